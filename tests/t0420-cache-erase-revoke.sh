#!/bin/sh
# Forgetting tokens: `erase` (git credential reject) drops a cached token,
# and `revoke` kills the bot's cached tokens at GitHub, through real git.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

C=$RAXX_CACHE_DIR
H=$RAXX_GITHUB_HOST
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }
ops() { git-credential-raxx --bot raxx-ops-bot "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
entries() { ls "$C" | grep -E '^t-[0-9a-f]{32}$'; }
HELPER="raxx --bot raxx-dev-bot"
g() { git -c credential.helper= -c "credential.helper=$HELPER" "$@"; }
fill() { printf "protocol=https\nhost=%s\n\n" "$H" | g credential fill; }
password() { sed -n "s/^password=//p" "$1"; }
# a helper that answers one fixed token, as a copy of it elsewhere would
fixed_helper() {
	printf '!f() { test "$1" = get && printf "username=x-access-token\\npassword=%s\\n"; }; f' "$1"
}

# the ops bot may push in these tests
fake_set github apps.3501353.permissions.contents -s write

test_expect_success 'setup: a clone that pushes through the helper' '
	g clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	git -C demo config credential.helper "" &&
	git -C demo config --add credential.helper "$HELPER" &&
	git -C demo config user.name Bot && git -C demo config user.email bot@example.com
'

test_expect_success 'git credential reject drops the cached token; the next fill mints anew' '
	fill >out.fill1 &&
	fill >out.fill2 &&
	test_cmp out.fill1 out.fill2 &&
	m=$(mints) &&
	g credential reject <out.fill1 &&
	test -z "$(entries)" &&
	fill >out.fill3 &&
	test "$(password out.fill3)" != "$(password out.fill1)" &&
	test "$(mints)" = "$((m + 1))" &&
	grep "\"event\":\"erase\"" "$RAXX_STATE_DIR/audit.log"
'

test_expect_success 'reject of a token not in the cache, or for another host, drops nothing' '
	fill >out.keep1 &&
	printf "protocol=https\nhost=%s\nusername=x-access-token\npassword=ghs_notours0000000000000000000000000000\n\n" "$H" |
		g credential reject &&
	sed "s/^host=.*/host=github.com/" out.keep1 | g credential reject &&
	sed "s/^protocol=.*/protocol=http/" out.keep1 | g credential reject &&
	test -n "$(entries)" &&
	fill >out.keep2 &&
	test_cmp out.keep1 out.keep2
'

test_expect_success 'erase matches the whole token only' '
	fill >out.part &&
	tok=$(password out.part) &&
	printf "protocol=https\nhost=%s\npassword=%s\n\n" "$H" "${tok%?}" | dev erase &&
	printf "protocol=https\nhost=%s\npassword=%sx\n\n" "$H" "$tok" | dev erase &&
	fill >out.part2 &&
	test_cmp out.part out.part2
'

test_expect_success 'a token revoked behind our back: git rejects it, the next push mints' '
	fill >out.stale &&
	tok=$(password out.stale) &&
	curl -sS -o /dev/null -w "%{http_code}" --cacert "$GIT_SSL_CAINFO" -X DELETE \
		-H "Authorization: Bearer $tok" "$RAXX_GITHUB_API/installation/token" >code &&
	test "$(cat code)" = 204 &&
	echo one >>demo/README && git -C demo commit -qam one &&
	test_must_fail git -C demo push -q origin main 2>err.stale &&
	test_grep "Authentication failed" err.stale &&
	test -z "$(entries)" &&
	git -C demo push -q origin main &&
	log_notes github | grep "git-receive-pack .*push-by:raxx-dev-bot"
'

test_expect_success 'revoke: GitHub refuses the old token in a real push; the next push mints' '
	fill >out.rev &&
	tok=$(password out.rev) &&
	echo two >>demo/README && git -C demo commit -qam two &&
	git -C demo push -q origin main &&
	dev revoke 2>err.revoke &&
	test_grep "revoked 1 token of raxx-dev-bot" err.revoke &&
	test -z "$(entries)" &&
	log_notes github | grep "DELETE /api/v3/installation/token 204 revoked:token-of:raxx-dev-bot" &&
	echo three >>demo/README && git -C demo commit -qam three &&
	test_must_fail git -C demo -c credential.helper= -c "credential.helper=$(fixed_helper "$tok")" \
		push -q origin main 2>err.old &&
	test_grep "Authentication failed" err.old &&
	log_notes github | grep "bad-token:revoked" &&
	m=$(mints) &&
	git -C demo push -q origin main &&
	test "$(mints)" = "$((m + 1))" &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 --format=%s main >subject &&
	echo three >expect && test_cmp expect subject
'

test_expect_success 'revoke with nothing cached exits 8' '
	dev revoke >/dev/null 2>&1 ;
	test_expect_code 8 dev revoke >out.none 2>err.none &&
	test_must_be_empty out.none &&
	test_grep "nothing to revoke" err.none
'

test_expect_success 'revoke covers every scope of the bot and no other bot' '
	dev token >out.plain &&
	dev --repo raxx-app/demo token >out.scoped &&
	ops token >out.ops &&
	dev revoke 2>err.two &&
	test_grep "revoked 2 tokens of raxx-dev-bot" err.two &&
	test "$(entries | wc -l)" = 1 &&
	ops token >out.ops2 &&
	test_cmp out.ops out.ops2 &&
	git -C demo -c credential.helper= -c "credential.helper=$(fixed_helper "$(cat out.ops)")" \
		fetch -q origin &&
	ops revoke 2>/dev/null &&
	test -z "$(entries)"
'

test_expect_success 'revoke when GitHub fails: exit 6, the token stays cached' '
	dev token >out.keep &&
	fake_set github behavior.revoke -s 500 &&
	test_when_finished "fake_reset github behavior" &&
	test_expect_code 6 dev revoke 2>err.fail &&
	test_grep "did not revoke" err.fail &&
	test -n "$(entries)" &&
	dev token >out.keep2 &&
	test_cmp out.keep out.keep2
'

test_expect_success 'a token GitHub already forgot is dropped by revoke' '
	dev revoke 2>/dev/null;
	dev token >out.dead &&
	curl -sS -o /dev/null --cacert "$GIT_SSL_CAINFO" -X DELETE \
		-H "Authorization: Bearer $(cat out.dead)" "$RAXX_GITHUB_API/installation/token" &&
	dev revoke 2>err.dead &&
	test_grep "revoked 1 token" err.dead &&
	test -z "$(entries)" &&
	grep "\"event\":\"revoke\".*GitHub no longer knew it" "$RAXX_STATE_DIR/audit.log"
'

test_expect_success 'revoke needs a bot and the identity' '
	dev token >/dev/null &&
	test_expect_code 2 git-credential-raxx revoke 2>err.nobot &&
	test_grep "no bot" err.nobot &&
	(
		unset INFISICAL_CLIENT_SECRET &&
		test_expect_code 2 dev revoke 2>err.nosecret
	) &&
	test_grep "INFISICAL_CLIENT_SECRET" err.nosecret &&
	test -n "$(entries)" &&
	test_expect_code 64 dev revoke --all 2>err.usage &&
	dev help revoke >out.help &&
	test_grep "exit 8" out.help &&
	git-credential-raxx --help >out.usage &&
	test_grep "revoke" out.usage
'

test_expect_success 'the audit log recorded erase and revoke with fingerprints only' '
	grep -c "\"event\":\"erase\"" "$RAXX_STATE_DIR/audit.log" &&
	grep "\"event\":\"revoke\",\"bot\":\"raxx-dev-bot\"" "$RAXX_STATE_DIR/audit.log" &&
	fp=$(token_fp "$(password out.rev)") &&
	grep "\"event\":\"revoke\".*\"fingerprint\":\"$fp\"" "$RAXX_STATE_DIR/audit.log"
'

test_secrets_never_leak
test_done
