#!/bin/sh
# Refresh ahead (RAXX_REFRESH_AHEAD): a warm call that finds its token close
# to its end answers with it at once and re-mints in the background, once,
# detached from its caller; a failed background mint changes nothing.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

C=$RAXX_CACHE_DIR
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
entries() { ls "$C" | grep -E '^t-[0-9a-f]{32}$'; }
audit() { cat "$RAXX_STATE_DIR/audit.log"; }
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
export RAXX_REFRESH_AHEAD=600

# wait_mints N: until the GitHub fake has minted N tokens (10 s at most)
wait_mints() {
	_i=0
	while [ "$(mints)" -lt "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt 200 ] && { echo "mints: $(mints), want $1" >&2; return 1; }
		sleep 0.05
	done
}

# a token of 500 s: inside the refresh window, outside RAXX_MIN_TTL
short_token() {
	rm -rf "$C" &&
	fake_config github "c['token_ttl'] = 500" &&
	dev token >"$1" &&
	fake_config github "c['token_ttl'] = 3600"
}

test_expect_success 'a 500 s token: the same token at once, a new one minted behind, then served' '
	short_token out.1 &&
	m=$(mints) &&
	# a mint would now take 3 s: the answer must not wait for one
	fake_config github "c[\"latency_ms\"] = 1500" &&
	test_when_finished "fake_config github \"c[\\\"latency_ms\\\"] = 0\"" &&
	t0=$(now_ms) &&
	dev token >out.2 &&
	t1=$(now_ms) &&
	test_cmp out.1 out.2 &&
	test $((t1 - t0)) -lt 1500 &&
	test "$(mints)" = "$m" &&
	wait_mints $((m + 1)) &&
	# the background process stores it, then exits
	for i in $(seq 1 100); do
		grep -q "\"reason\":\"refresh ahead\"" "$RAXX_STATE_DIR/audit.log" && break
		sleep 0.05
	done &&
	dev token >out.3 &&
	! test_cmp out.1 out.3 >/dev/null &&
	grep -E "^ghs_" out.3 &&
	test "$(mints)" = "$((m + 1))" &&
	audit | grep "\"event\":\"mint\".*\"reason\":\"refresh ahead\"" >mint.lines &&
	test_line_count = 1 mint.lines
'

test_expect_success 'the new token lives an hour: no further refresh' '
	m=$(mints) &&
	dev token >out.4 &&
	test_cmp out.3 out.4 &&
	sleep 1 &&
	test "$(mints)" = "$m"
'

fill() {
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
			credential fill
}

test_expect_success 'through git: fill returns at once (the background holds no pipe of git)' '
	short_token out.g1 &&
	m=$(mints) &&
	fake_config github "c[\"latency_ms\"] = 1500" &&
	test_when_finished "fake_config github \"c[\\\"latency_ms\\\"] = 0\"" &&
	t0=$(now_ms) &&
	fill >out.fill &&
	t1=$(now_ms) &&
	grep "^password=$(cat out.g1)$" out.fill &&
	test $((t1 - t0)) -lt 1500 &&
	wait_mints $((m + 1))
'

test_expect_success 'single flight: many warm calls at once start one mint' '
	short_token out.s1 &&
	m=$(mints) &&
	fake_config github "c[\"latency_ms\"] = 500" &&
	test_when_finished "fake_config github \"c[\\\"latency_ms\\\"] = 0\"" &&
	for i in 1 2 3 4 5 6 7 8; do
		dev token >out.s.$i &
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		test_cmp out.s1 out.s.$i || exit 1
	done &&
	wait_mints $((m + 1)) &&
	sleep 1 &&
	test "$(mints)" = "$((m + 1))"
'

test_expect_success 'a failed background mint changes nothing, and is not retried at once' '
	short_token out.f1 &&
	entry=$(entries) && cp "$C/$entry" entry.before &&
	m=$(mints) &&
	fake_config github "c[\"behavior\"] = {\"access_tokens\": \"500\"}" &&
	test_when_finished "fake_config github \"c[\\\"behavior\\\"] = {}\"" &&
	dev token >out.f2 2>err.f2 &&
	test_cmp out.f1 out.f2 &&
	test_must_be_empty err.f2 &&
	for i in $(seq 1 200); do
		grep -q "\"event\":\"fail\".*refresh ahead" "$RAXX_STATE_DIR/audit.log" && break
		sleep 0.05
	done &&
	audit | grep "\"event\":\"fail\".*\"reason\":\"refresh ahead: GitHub" &&
	cmp "$C/$entry" entry.before &&
	f=$(audit | grep -c "refresh ahead: ") &&
	dev token >out.f3 &&
	test_cmp out.f1 out.f3 &&
	sleep 1 &&
	test "$(audit | grep -c "refresh ahead: ")" = "$f" &&
	test "$(mints)" = "$m"
'

test_expect_success 'RAXX_REFRESH_AHEAD=0 turns it off; a bad value warns and uses 600' '
	short_token out.o1 &&
	m=$(mints) &&
	RAXX_REFRESH_AHEAD=0 dev token >out.o2 &&
	test_cmp out.o1 out.o2 &&
	sleep 1 &&
	test "$(mints)" = "$m" &&
	RAXX_REFRESH_AHEAD=soon dev token >out.o3 2>err.o3 &&
	test_grep "RAXX_REFRESH_AHEAD .soon. is not a number" err.o3 &&
	wait_mints $((m + 1))
'

test_expect_success 'a token beyond the window is not refreshed' '
	short_token out.w1 &&
	m=$(mints) &&
	RAXX_REFRESH_AHEAD=400 dev token >out.w2 &&
	sleep 1 &&
	test "$(mints)" = "$m"
'

test_expect_success 'a handoff token is refreshed ahead too, within its manifest' '
	git-credential-raxx handoff provision --task-slug refresh-ahead-1 \
		--repo raxx-app/demo --bot raxx-dev-bot 2>err.prov &&
	rm -rf "$C" &&
	fake_config github "c[\"token_ttl\"] = 500" &&
	RAXX_HANDOFF=refresh-ahead-1 git-credential-raxx token >out.h1 &&
	fake_config github "c[\"token_ttl\"] = 3600" &&
	m=$(mints) &&
	RAXX_HANDOFF=refresh-ahead-1 git-credential-raxx token >out.h2 &&
	test_cmp out.h1 out.h2 &&
	wait_mints $((m + 1)) &&
	for i in $(seq 1 100); do
		grep -q "refresh ahead, handoff refresh-ahead-1" "$RAXX_STATE_DIR/audit.log" && break
		sleep 0.05
	done &&
	RAXX_HANDOFF=refresh-ahead-1 git-credential-raxx token >out.h3 &&
	! test_cmp out.h1 out.h3 >/dev/null &&
	test "$(mints)" = "$((m + 1))"
'

if command -v gh >/dev/null 2>&1; then
	test_expect_success 'the gh shim starts the refresh too, and gh gets the token at once' '
		short_token out.gh1 &&
		m=$(mints) &&
		mkdir -p fakegh &&
		printf "#!/bin/sh\nprintf \"%%s\\n\" \"\$GH_ENTERPRISE_TOKEN\" >out.gh2\n" >fakegh/gh &&
		chmod +x fakegh/gh &&
		RAXX_BOT=raxx-dev-bot RAXX_GH="$TRASH/fakegh/gh" \
			PATH="$BUILD_DIR/helper:$PATH" RAXX_PROGRAM="$BUILD_DIR/git-credential-raxx" \
			"$BUILD_DIR/helper/gh" api user &&
		test_cmp out.gh1 out.gh2 &&
		wait_mints $((m + 1))
	'
else
	test_skip 'the gh shim starts the refresh too' 'gh is not installed'
fi

test_secrets_never_leak
test_done
