#!/bin/sh
# The broker's life: the client secret only in guarded memory (not in its
# environment, or read from INFISICAL_CLIENT_SECRET_FILE), keys held for
# RAXX_BROKER_KEY_TTL and then wiped, handoffs checked against the
# vault's manifest, SIGTERM finishing the request in flight and removing
# the socket (exit 0), a killed broker losing nothing but its memory, no
# core and no ptrace, and no secret in its stderr or the audit log.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
. "$TEST_DIR/lib/broker.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
key_fetches() { count_requests vault GET "/api/v4/secrets" 200; }
vault_reqs() { grep -c '"method"' "$FAKES/vault.log" 2>/dev/null || echo 0; }
status_line() { as_client git-credential-raxx status | grep "^broker"; }
SLUG=fix-login-20260621
# the operator's shell: the vault identity, a cache of its own, the broker
operator() {
	RAXX_CACHE_DIR="$TRASH/operator-cache" RAXX_BROKER_SOCKET="$BROKER_SOCK" \
		git-credential-raxx "$@"
}
PY3=$(command -v /usr/bin/python3 python3 | head -n 1)


CF_SECRET="cf-secret-$(random_secret)"
echo "$CF_SECRET" >>"$TRASH/.secrets"
# the vault behind Cloudflare Access: the broker must send the secret it
# keeps in guarded memory
fake_set vault cf.id -s cf-id cf.secret -s "$CF_SECRET"
start_broker CF_ACCESS_CLIENT_ID=cf-id CF_ACCESS_CLIENT_SECRET="$CF_SECRET" ||
	{ echo "Bail out! the broker did not start"; exit 1; }

test_expect_success 'the client secret and CF secret are gone from the broker'"'"'s environment' '
	tr "\0" "\n" </proc/$BROKER_PID/environ >env.broker &&
	test_grep "^INFISICAL_CLIENT_ID=" env.broker &&
	test_grep "^CF_ACCESS_CLIENT_ID=cf-id" env.broker &&
	! grep -a -F "$INFISICAL_CLIENT_SECRET" /proc/$BROKER_PID/environ &&
	! grep -a -F "$CF_SECRET" /proc/$BROKER_PID/environ
'

test_expect_success 'the broker is not dumpable: no core, and /proc owned by root' '
	grep "^Max core file size  *0 " /proc/$BROKER_PID/limits &&
	if [ "$(id -u)" != 0 ]; then
		test "$(file_uid /proc/$BROKER_PID)" = 0
	fi
'

test_expect_success 'a re-mint with the key held: one GitHub request, no vault request' '
	as_client git-credential-raxx --bot raxx-dev-bot token >out.1 &&
	test "$(key_fetches)" = 1 && test "$(mints)" = 1 &&
	v=$(vault_reqs) &&
	as_client git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.2 &&
	test "$(mints)" = 2 && test "$(vault_reqs)" = "$v" &&
	status_line >st && test_grep "1 App key and 2 tokens held" st &&
	fake_reset vault cf
'

test_expect_success 'handoff through the broker: narrowed by the vault'"'"'s manifest' '
	operator handoff provision --task-slug $SLUG --repo raxx-app/demo \
		--bot raxx-dev-bot >/dev/null 2>err.prov &&
	as_client RAXX_HANDOFF=$SLUG git-credential-raxx token >out.h1 2>err.h1 &&
	test "$(token_state out.h1)" = "raxx-app/demo contents:write,issues:write,pull_requests:write live" &&
	as_client RAXX_HANDOFF=$SLUG git-credential-raxx token >out.h2 &&
	test_cmp out.h1 out.h2 &&
	as_client RAXX_HANDOFF=$SLUG test_expect_code 9 \
		git-credential-raxx --repo raxx-app/other token 2>err.h3 &&
	test_grep "raxx-app/other" err.h3
'

test_expect_success 'handoff revoke reaches the broker'"'"'s tokens; then it refuses' '
	operator handoff revoke --task-slug $SLUG >/dev/null 2>err.hr &&
	test_grep "the broker at .* revoked 1 token of it" err.hr &&
	test "$(token_state out.h1)" = "raxx-app/demo contents:write,issues:write,pull_requests:write revoked" &&
	as_client RAXX_HANDOFF=$SLUG test_expect_code 9 git-credential-raxx token 2>err.h4 &&
	test_grep "handoff .$SLUG. has no manifest" err.h4
'

test_expect_success 'SIGTERM: the request in flight finishes, the socket goes, exit 0' '
	# the mint is held at GitHub until the broker has been told to stop
	rm -f gate.open &&
	fake_set github gate.request -s "POST /api/v3/app/installations/" gate.file -s "$TRASH/gate.open" &&
	test_when_finished "touch gate.open; fake_reset github gate" &&
	{ (as_client git-credential-raxx --bot raxx-ops-bot token >out.inflight \
		2>err.inflight; echo $? >rc.inflight) & } &&
	wait_until grep -q "\"gate-held\"" "$FAKES/github.log" &&
	kill -TERM "$BROKER_PID" &&
	wait_until grep -q "broker: SIGTERM: finishing the requests in flight" broker.err &&
	touch gate.open &&
	wait_broker &&
	wait &&
	test "$(cat broker.rc)" = 0 && test "$(cat rc.inflight)" = 0 &&
	grep "^ghs_" out.inflight &&
	test ! -e "$BROKER_SOCK" &&
	test_grep "broker: SIGTERM: finishing the requests in flight" broker.err &&
	test_grep "broker: stopped; the socket is removed and the keys wiped" broker.err
'

test_expect_success 'nothing of it on disk: no cache entry, nothing beside the socket' '
	find run -type f >files && test_must_be_empty files &&
	! ls cache/t-* 2>/dev/null
'

test_expect_success 'a broker that is gone: exit 2, never a local mint' '
	m=$(mints) &&
	as_client test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.gone &&
	test_grep "does not answer" err.gone && test "$(mints)" = "$m"
'

mkdir -p "$FAKES/creds"
printf '%s\n' "$INFISICAL_CLIENT_SECRET" >"$FAKES/creds/secret" && chmod 600 "$FAKES/creds/secret"
start_broker INFISICAL_CLIENT_SECRET= INFISICAL_CLIENT_SECRET_FILE="$FAKES/creds/secret" \
	RAXX_BROKER_KEY_TTL=5 || { echo "Bail out! the broker did not start again"; exit 1; }

# (5 s: time enough to see the key held, on a loaded machine too; the wipe
# is waited for)
test_expect_success 'INFISICAL_CLIENT_SECRET_FILE for the broker; a key held 5 s is then wiped' '
	k=$(key_fetches) &&
	as_client git-credential-raxx --bot raxx-dev-bot token >out.f1 &&
	test "$(key_fetches)" = $((k + 1)) &&
	status_line >st1 && test_grep "1 App key and 1 token held" st1 &&
	keys_wiped() { status_line >st2 && grep -q "0 App keys and 1 token held" st2; } &&
	wait_until keys_wiped &&
	as_client git-credential-raxx --bot raxx-dev-bot --repo raxx-app/other token >out.f2 &&
	test "$(key_fetches)" = $((k + 2))
'

test_expect_success 'a killed broker loses nothing but its memory' '
	m=$(mints) &&
	stop_broker KILL &&
	test -S "$BROKER_SOCK" &&
	# (what a client remembers of its own git config is no token)
	find run cache -type f ! -name "g-*" ! -name local.key >files 2>/dev/null
	test_must_be_empty files &&
	as_client test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.killed &&
	test_grep "does not answer (Connection refused)" err.killed &&
	test_grep "remove the stale socket\|unset RAXX_BROKER_SOCKET" err.killed &&
	test "$(mints)" = "$m"
'

start_broker RAXX_BROKER_KEY_TTL=0 || { echo "Bail out! the broker did not restart"; exit 1; }

test_expect_success 'restarted: the stale socket replaced; RAXX_BROKER_KEY_TTL=0 fetches per mint' '
	test_grep "broker: removed the stale socket $BROKER_SOCK" broker.err &&
	k=$(key_fetches) && m=$(mints) &&
	as_client git-credential-raxx --bot raxx-dev-bot token >out.r1 &&
	as_client git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.r2 &&
	test "$(mints)" = $((m + 2)) && test "$(key_fetches)" = $((k + 2)) &&
	status_line >st3 && test_grep "0 App keys and 2 tokens held" st3
'

test_expect_success 'a second broker on the same socket is refused' '
	test_expect_code 2 env RAXX_BROKER_SOCKET="$BROKER_SOCK" \
		git-credential-raxx broker 2>err.second &&
	test_grep "a broker is already listening on" err.second
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	test_expect_success 'as another user: /proc of the broker is root'"'"'s, ptrace is refused' '
		run=$(sock_dir nobody-run) &&
		mkdir -p "$run" nobody-state && chown 65534 "$run" nobody-state &&
		(RAXX_STATE_DIR="$TRASH/nobody-state" setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$RAXX" broker --socket "$run/b.sock" \
			>/dev/null 2>nobody.err 3>&- & echo $! >nobody.pid) &&
		pid=$(cat nobody.pid) && echo "$pid" >>"$FAKES/pids" &&
		wait_until test -S nobody-run/b.sock &&
		test "$(file_uid /proc/$pid/status)" = 0 &&
		grep "^Uid:	65534" /proc/$pid/status &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$PY3" - "$pid" <<-\PY &&
		import ctypes, os, sys
		libc = ctypes.CDLL(None, use_errno=True)
		PTRACE_ATTACH = 16
		r = libc.ptrace(PTRACE_ATTACH, int(sys.argv[1]), None, None)
		err = ctypes.get_errno()
		assert r == -1 and err == 1, (r, err)   # EPERM
		print("ptrace refused:", os.strerror(err))
		PY
		kill -TERM $pid && wait_until test ! -e nobody-run/b.sock
	'
else
	test_skip 'as another user: /proc of the broker is root'"'"'s, ptrace is refused' 'needs root and setpriv'
fi

test_expect_success 'stopped again with SIGINT: exit 0' '
	stop_broker INT && test "$(cat broker.rc)" = 0 && test ! -e "$BROKER_SOCK"
'

test_secrets_never_leak
test_done
