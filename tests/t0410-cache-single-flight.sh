#!/bin/sh
# Single flight: many processes needing the same token at once mint it
# once; a lock holder that dies releases the lock; the wait is bounded by
# RAXX_TIMEOUT.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

C=$RAXX_CACHE_DIR
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
mints_of() { count_requests github POST "/api/v3/app/installations/$1/access_tokens" 201; }
logins() { count_requests vault POST /api/v1/auth/universal-auth/login 200; }
entries() { ls "$C" | grep -E '^t-[0-9a-f]{32}$'; }
wipe() { rm -rf "$C"; }

# one request each first: the fakes start their logs with it
dev token >out.first 2>/dev/null || { echo "Bail out! no first token"; exit 1; }
# every fake request answers slowly, so that the callers overlap
fake_set github latency_ms 400
fake_set vault latency_ms 100

# run_many N PREFIX CMD...: N copies of CMD at once, stdout to PREFIX.I;
# fails when any of them fails
run_many() {
	_n=$1 _p=$2
	shift 2
	_i=0 _pids=
	while [ $_i -lt "$_n" ]; do
		"$@" >"$_p.$_i" 2>"err.$_p.$_i" &
		_pids="$_pids $!"
		_i=$((_i + 1))
	done
	_rc=0
	for _pid in $_pids; do
		wait "$_pid" || _rc=1
	done
	return $_rc
}

test_expect_success '24 concurrent cold calls mint exactly once, all get the same token' '
	wipe &&
	m=$(mints) l=$(logins) &&
	run_many 24 out.burst dev token &&
	cat out.burst.* | sort -u >out.tokens &&
	test_line_count = 1 out.tokens &&
	grep -E "^ghs_[A-Za-z0-9._]+$" out.tokens &&
	test "$(mints)" = "$((m + 1))" &&
	test "$(logins)" = "$((l + 1))" &&
	cat err.out.burst.* >errs &&
	test_must_be_empty errs
'

fill() {
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
			credential fill
}

test_expect_success '16 concurrent git credential fill through real git mint once' '
	wipe &&
	m=$(mints) &&
	run_many 16 out.fill fill &&
	cat out.fill.* | grep "^password=" | sort -u >out.passwords &&
	test_line_count = 1 out.passwords &&
	test "$(mints)" = "$((m + 1))"
'

test_expect_success 'a burst for two bots mints once per bot' '
	wipe &&
	dev_m=$(mints_of 4711) ops_m=$(mints_of 4712) &&
	{
		run_many 10 out.dev dev token &
		p1=$!
		run_many 10 out.ops git-credential-raxx --bot raxx-ops-bot token &
		p2=$!
		wait $p1 && wait $p2
	} &&
	cat out.dev.* | sort -u >out.dev-tokens && test_line_count = 1 out.dev-tokens &&
	cat out.ops.* | sort -u >out.ops-tokens && test_line_count = 1 out.ops-tokens &&
	! test_cmp out.dev-tokens out.ops-tokens >/dev/null &&
	test "$(mints_of 4711)" = "$((dev_m + 1))" &&
	test "$(mints_of 4712)" = "$((ops_m + 1))"
'

# hold_lock FILE: a process holding flock(FILE) until killed; its pid in
# holder.pid once the lock is held.
hold_lock() {
	rm -f held holder.pid
	# never outlives the test for long, and keeps off prove's pipe (fd 3)
	python3 -c "
import fcntl, sys, time
f = open(sys.argv[1], \"a\")
fcntl.flock(f, fcntl.LOCK_EX)
open(\"held\", \"w\").close()
time.sleep(60)
" "$1" 3>&- &
	echo $! >holder.pid
	wait_until test -f held
}

test_expect_success 'a waiter goes on when the lock holder dies' '
	wipe && dev token >/dev/null &&
	lock=$(ls "$C"/t-*.lock) && rm -f "$C"/t-*[0-9a-f] &&
	test -z "$(entries)" &&
	hold_lock "$lock" &&
	test_when_finished "kill \$(cat holder.pid) 2>/dev/null" &&
	m=$(mints) &&
	{ RAXX_TRACE=1 dev token >out.waiter 2>err.waiter & } &&
	waiter=$! &&
	wait_until grep -q "another process is minting for raxx-dev-bot: waiting" err.waiter &&
	test "$(mints)" = "$m" &&
	kill -9 "$(cat holder.pid)" &&
	wait $waiter &&
	grep -E "^ghs_" out.waiter &&
	test_grep "lock for raxx-dev-bot taken after" err.waiter &&
	test "$(mints)" = "$((m + 1))"
'

test_expect_success 'the wait is bounded by RAXX_TIMEOUT' '
	wipe && dev token >/dev/null &&
	lock=$(ls "$C"/t-*.lock) && rm -f "$C"/t-*[0-9a-f] &&
	hold_lock "$lock" &&
	test_when_finished "kill \$(cat holder.pid) 2>/dev/null" &&
	m=$(mints) &&
	RAXX_TIMEOUT=2 test_expect_code 6 dev token >out.bounded 2>err.bounded &&
	test_must_be_empty out.bounded &&
	test_grep "gave up after [0-9]* ms waiting for another git-credential-raxx process minting for raxx-dev-bot" err.bounded &&
	test_grep "raise RAXX_TIMEOUT" err.bounded &&
	test "$(mints)" = "$m" &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		RAXX_TIMEOUT=1 RAXX_FALLBACK=deny dev get >out.bounded.get 2>err.bounded.get;
	grep "^quit=1$" out.bounded.get &&
	test_grep ! password out.bounded.get &&
	grep "\"event\":\"fail\".*gave up after" "$RAXX_STATE_DIR/audit.log"
'

test_expect_success 'a reader of a live entry never waits for the lock' '
	wipe && dev token >out.live &&
	lock=$(ls "$C"/t-*.lock) &&
	hold_lock "$lock" &&
	test_when_finished "kill \$(cat holder.pid) 2>/dev/null" &&
	RAXX_TIMEOUT=1 dev token >out.live2 &&
	test_cmp out.live out.live2
'

test_secrets_never_leak
test_done
