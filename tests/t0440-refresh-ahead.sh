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
export RAXX_REFRESH_AHEAD=600

# wait_mints N: until the GitHub fake has minted N tokens
minted() { test "$(mints)" -ge "$1"; }
wait_mints() { wait_until minted "$1"; }
# hold_mints: GitHub holds every mint until release_mints (fakelib's
# gate), so a test shows an answer did not wait for one, untimed
hold_mints() {
	rm -f "$TRASH/mints.open" &&
	fake_set github gate.request -s "POST /api/v3/app/installations/" \
		gate.file -s "$TRASH/mints.open"
}
release_mints() { touch "$TRASH/mints.open"; }
# started FILE: the stderr (RAXX_TRACE) of a call that started a refresh
started() { grep "re-minting it in the background" "$@"; }

# a token of 500 s: inside the refresh window, outside RAXX_MIN_TTL
short_token() {
	rm -rf "$C" &&
	fake_set github token_ttl 500 &&
	dev token >"$1" &&
	fake_set github token_ttl 3600
}

test_expect_success 'a 500 s token: the same token at once, a new one minted behind, then served' '
	short_token out.1 &&
	m=$(mints) &&
	# a mint is now held at GitHub: the answer must not wait for it
	hold_mints &&
	test_when_finished "release_mints; fake_reset github gate" &&
	RAXX_TRACE=1 dev token >out.2 2>err.2 &&
	started err.2 &&
	test_cmp out.1 out.2 &&
	test "$(mints)" = "$m" &&
	release_mints &&
	wait_mints $((m + 1)) &&
	# the background process stores it, then exits
	wait_until grep -q "\"reason\":\"refresh ahead\"" "$RAXX_STATE_DIR/audit.log" &&
	dev token >out.3 &&
	! test_cmp out.1 out.3 >/dev/null &&
	grep -E "^ghs_" out.3 &&
	test "$(mints)" = "$((m + 1))" &&
	audit | grep "\"event\":\"mint\".*\"reason\":\"refresh ahead\"" >mint.lines &&
	test_line_count = 1 mint.lines
'

test_expect_success 'the new token lives an hour: no further refresh' '
	m=$(mints) &&
	RAXX_TRACE=1 dev token >out.4 2>err.4 &&
	test_cmp out.3 out.4 &&
	! started err.4 &&
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
	hold_mints &&
	test_when_finished "release_mints; fake_reset github gate" &&
	fill >out.fill &&
	grep "^password=$(cat out.g1)$" out.fill &&
	test "$(mints)" = "$m" &&
	release_mints &&
	wait_mints $((m + 1))
'

test_expect_success 'single flight: many warm calls at once start one mint' '
	short_token out.s1 &&
	m=$(mints) &&
	fake_set github latency_ms 500 &&
	test_when_finished "fake_reset github latency_ms" &&
	for i in 1 2 3 4 5 6 7 8; do
		RAXX_TRACE=1 dev token >out.s.$i 2>err.s.$i &
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		test_cmp out.s1 out.s.$i || exit 1
	done &&
	started err.s.* >started &&
	test_line_count = 1 started &&
	wait_mints $((m + 1)) &&
	test "$(mints)" = "$((m + 1))"
'

test_expect_success 'a failed background mint changes nothing, and is not retried at once' '
	short_token out.f1 &&
	entry=$(entries) && cp "$C/$entry" entry.before &&
	m=$(mints) &&
	fake_set github behavior.access_tokens -s 500 &&
	test_when_finished "fake_reset github behavior" &&
	dev token >out.f2 2>err.f2 &&
	test_cmp out.f1 out.f2 &&
	test_must_be_empty err.f2 &&
	wait_until grep -q "\"event\":\"fail\".*refresh ahead" "$RAXX_STATE_DIR/audit.log" &&
	audit | grep "\"event\":\"fail\".*\"reason\":\"refresh ahead: GitHub" &&
	cmp "$C/$entry" entry.before &&
	f=$(audit | grep -c "refresh ahead: ") &&
	RAXX_TRACE=1 dev token >out.f3 2>err.f3 &&
	test_cmp out.f1 out.f3 &&
	! started err.f3 &&
	test "$(audit | grep -c "refresh ahead: ")" = "$f" &&
	test "$(mints)" = "$m"
'

test_expect_success 'RAXX_REFRESH_AHEAD=0 turns it off; a bad value warns and uses 600' '
	short_token out.o1 &&
	m=$(mints) &&
	RAXX_REFRESH_AHEAD=0 RAXX_TRACE=1 dev token >out.o2 2>err.o2 &&
	test_cmp out.o1 out.o2 &&
	! started err.o2 &&
	test "$(mints)" = "$m" &&
	RAXX_REFRESH_AHEAD=soon dev token >out.o3 2>err.o3 &&
	test_grep "RAXX_REFRESH_AHEAD .soon. is not a number" err.o3 &&
	wait_mints $((m + 1))
'

test_expect_success 'a token beyond the window is not refreshed' '
	short_token out.w1 &&
	m=$(mints) &&
	RAXX_REFRESH_AHEAD=400 RAXX_TRACE=1 dev token >out.w2 2>err.w2 &&
	! started err.w2 &&
	test "$(mints)" = "$m"
'

test_expect_success 'a handoff token is refreshed ahead too, within its manifest' '
	git-credential-raxx handoff provision --task-slug refresh-ahead-1 \
		--repo raxx-app/demo --bot raxx-dev-bot 2>err.prov &&
	rm -rf "$C" &&
	fake_set github token_ttl 500 &&
	RAXX_HANDOFF=refresh-ahead-1 git-credential-raxx token >out.h1 &&
	fake_set github token_ttl 3600 &&
	m=$(mints) &&
	RAXX_HANDOFF=refresh-ahead-1 git-credential-raxx token >out.h2 &&
	test_cmp out.h1 out.h2 &&
	wait_mints $((m + 1)) &&
	wait_until grep -q "refresh ahead, handoff refresh-ahead-1" "$RAXX_STATE_DIR/audit.log" &&
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
