#!/bin/sh
# status (no network, never a token), the progress note a slow mint shows
# on a terminal, and the command line as getopt_long reads it.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

HOSTPORT=$RAXX_GITHUB_HOST
vault_requests() { grep -c '"method"' "$FAKES/vault.log"; }
github_requests() { grep -c '"method"' "$FAKES/github.log"; }

test_expect_success 'a worktree set up for the bot' '
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	(cd demo && git-credential-raxx -q --bot raxx-dev-bot setup)
'

test_expect_success 'status before any token: the bot, its source, the helper chain, no token' '
	rm -rf "$RAXX_CACHE_DIR" &&
	v=$(vault_requests) && g=$(github_requests) &&
	(cd demo && git-credential-raxx status >../out.st1 2>../err.st1) &&
	test_must_be_empty err.st1 &&
	test_grep "^bot      raxx-dev-bot (from raxx.bot (worktree config))" out.st1 &&
	test_grep "^handoff  none" out.st1 &&
	test_grep "^author   raxx-dev-bot\[bot\] <190001+raxx-dev-bot\[bot\]@" out.st1 &&
	test_grep "^helper   .*git-credential-raxx" out.st1 &&
	test_grep "^broker   not in use" out.st1 &&
	test_grep "^token    none cached" out.st1 &&
	test_grep "^cache    $RAXX_CACHE_DIR" out.st1 &&
	test "$(vault_requests)" = "$v" && test "$(github_requests)" = "$g"
'

test_expect_success 'status after a mint: the fingerprint and expiry, never the token, no network' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" >req &&
	(cd demo && git-credential-raxx get <../req >../out.get) &&
	tok=$(sed -n "s/^password=//p" out.get) &&
	fp=$(token_fp "$tok") &&
	v=$(vault_requests) && g=$(github_requests) &&
	(cd demo && git-credential-raxx status >../out.st2 &&
		git-credential-raxx status --json >../out.st2.json) &&
	test_grep "^token    $fp, expires 20" out.st2 &&
	! grep -F "$tok" out.st2 out.st2.json &&
	! grep ghs_ out.st2 out.st2.json &&
	test "$(vault_requests)" = "$v" && test "$(github_requests)" = "$g" &&
	json_get -k out.st2.json >keys &&
	printf "%s\n" author_email author_name bot bot_source broker cache_dir \
		handoff helper token_expires_at token_fingerprint >expect &&
	test_cmp expect keys &&
	json_get out.st2.json bot bot_source handoff broker author_name \
		token_fingerprint cache_dir >got &&
	echo "raxx-dev-bot raxx.bot (worktree config) null null raxx-dev-bot[bot] $fp $RAXX_CACHE_DIR" >expect &&
	test_cmp expect got &&
	json_get out.st2.json token_expires_at | grep "^20.*Z$" &&
	json_get out.st2.json helper | grep "git-credential-raxx\"[],]"
'

test_expect_success 'status outside a worktree, with no bot: nulls, exit 0' '
	mkdir -p nowhere &&
	(cd nowhere && git-credential-raxx status --json >../out.st3) &&
	test "$(json_get out.st3 bot token_fingerprint token_expires_at helper)" = "null null null []"
'

test_expect_success 'status is a real action: an unknown one stays silent for git' '
	git-credential-raxx status </dev/null >out.st4 &&
	test -s out.st4 &&
	git-credential-raxx frobnicate </dev/null >out.unknown 2>err.unknown &&
	test_must_be_empty out.unknown &&
	test_must_be_empty err.unknown
'

# --- the progress note: a slow mint at a terminal, and only there

if test_have script && script -V 2>&1 | grep -q util-linux; then
	test_expect_success 'a slow mint at a terminal says so, once' '
		fake_set vault latency_ms 1500 &&
		test_when_finished "fake_unset vault latency_ms" &&
		rm -rf "$RAXX_CACHE_DIR" &&
		script -qec "git-credential-raxx --bot raxx-ops-bot token >/dev/null" /dev/null >out.tty &&
		test_grep "minting a token for raxx-ops-bot" out.tty &&
		test_line_count = 1 out.tty
	'
else
	test_skip 'a slow mint at a terminal says so' 'no util-linux script'
fi

test_expect_success 'no terminal: no progress note, however slow' '
	fake_set vault latency_ms 1500 &&
	test_when_finished "fake_unset vault latency_ms" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	git-credential-raxx --bot raxx-ops-bot token >out.notty 2>err.notty &&
	test_must_be_empty err.notty
'

# --- the command line

test_expect_success 'get --help, help get and token -h print the action'"'"'s help' '
	git-credential-raxx get --help >out.h1 &&
	test_grep "^usage: git-credential-raxx \[OPTIONS\] get" out.h1 &&
	git-credential-raxx help get >out.h2 && test_cmp out.h1 out.h2 &&
	git-credential-raxx token -h >out.h3 &&
	test_grep "token \[--json | --export\]" out.h3 &&
	git-credential-raxx help status >out.h4 &&
	test_grep "no network, never a" out.h4
'

test_expect_success '--opt=value, bundled -qv, and setup -q' '
	git-credential-raxx --bot=raxx-dev-bot token >out.eq &&
	grep ^ghs_ out.eq &&
	git-credential-raxx -qv --bot raxx-dev-bot token >out.qv 2>err.qv &&
	grep ^ghs_ out.qv &&
	git -C demo worktree add -q ../wt-quiet &&
	(cd wt-quiet && git-credential-raxx --bot raxx-dev-bot setup -q >../out.sq 2>../err.sq) &&
	test_must_be_empty out.sq &&
	test_must_be_empty err.sq &&
	test "$(git -C wt-quiet config --worktree raxx.bot)" = raxx-dev-bot
'

test_expect_success 'usage errors name the option and the action, exit 64' '
	test_expect_code 64 git-credential-raxx --bogus token 2>err.u1 &&
	test_grep "unknown option .--bogus." err.u1 &&
	test_expect_code 64 git-credential-raxx --bot 2>err.u2 &&
	test_grep "option .--bot. needs a value" err.u2 &&
	test_expect_code 64 git-credential-raxx token --frob 2>err.u3 &&
	test_grep "raxx: token: unknown option .--frob." err.u3 &&
	test_expect_code 64 git-credential-raxx status extra 2>err.u4 &&
	test_grep "unexpected argument .extra." err.u4
'

test_secrets_never_leak
test_done
