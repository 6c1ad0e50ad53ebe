#!/bin/sh
# The credential helper through the real git binary: fill, approve,
# reject, and real pushes and fetches over HTTPS to the local git server
# (git http-backend behind the GitHub fake), which accepts only live
# installation tokens.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

HOSTPORT=$RAXX_GITHUB_HOST
# the map every repository here uses
mkdir -p "$TRASH/map" && cat >"$TRASH/map/agent_bot_map.yaml" <<'YAML'
bots:
  raxx-dev-bot:
    agents: [feature-developer, ux-polisher]
    permissions: {contents: write, pull_requests: write}
  raxx-ops-bot:
    agents: [sre-agent, card-groomer]
    permissions: {contents: write, issues: write}
YAML
# the ops bot may push in these tests
fake_set github apps.3501353.permissions.contents -s write

fill() {
	printf 'protocol=https\nhost=%s\n%s\n' "$HOSTPORT" "${1:-}" |
		git -c credential.helper= -c "credential.helper=raxx ${HELPER_ARGS:-}" \
			credential fill
}

test_expect_success 'git credential fill answers with the bot token' '
	HELPER_ARGS="--bot raxx-dev-bot" fill >out 2>err &&
	grep "^username=x-access-token$" out &&
	grep -E "^password=ghs_[A-Za-z0-9._]+$" out &&
	test_must_be_empty err
'

test_expect_success 'password_expiry_utc is the token expiry on the local clock' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		git-credential-raxx --bot raxx-dev-bot get >out.exp &&
	exp=$(sed -n "s/^password_expiry_utc=//p" out.exp) &&
	sed -n "s/^password=//p" out.exp >out.exp.token &&
	token_expiry_ok out.exp.token "$exp"
'

test_expect_success 'the helper answers the bare protocol: username, password, expiry only' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		git-credential-raxx --bot raxx-dev-bot get >out.raw &&
	test_line_count = 3 out.raw &&
	sed "s/=.*//" out.raw >keys &&
	printf "username\npassword\npassword_expiry_utc\n" >expect &&
	test_cmp expect keys
'

test_expect_success 'a last line without newline and no blank line is accepted' '
	printf "protocol=https\nhost=%s" "$HOSTPORT" |
		git-credential-raxx --bot raxx-dev-bot get >out.nolf &&
	grep "^password=ghs_" out.nolf
'

test_expect_success 'host matching is case-insensitive; :443 equals no port' '
	printf "protocol=https\nhost=%s\n" "$(echo "$HOSTPORT" | tr a-z A-Z)" |
		git-credential-raxx --bot raxx-dev-bot get >out.case &&
	grep "^password=ghs_" out.case &&
	printf "protocol=https\nhost=github.com:443\n" |
		RAXX_GITHUB_HOST=github.com RAXX_FALLBACK=pass \
		git-credential-raxx --bot raxx-dev-bot get >out.443 2>err.443 &&
	grep "^password=ghs_" out.443
'

test_expect_success 'store changes nothing and prints nothing' '
	printf "protocol=https\nhost=%s\nusername=x-access-token\npassword=ghs_fake\n" "$HOSTPORT" |
		git-credential-raxx --bot raxx-dev-bot store >out.store 2>err &&
	test_must_be_empty out.store &&
	test_must_be_empty err
'

test_expect_success 'git credential approve and reject succeed quietly' '
	printf "protocol=https\nhost=%s\nusername=x-access-token\npassword=ghs_fake\n" "$HOSTPORT" |
		git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" credential approve 2>err &&
	test_must_be_empty err &&
	printf "protocol=https\nhost=%s\nusername=x-access-token\npassword=ghs_fake\n" "$HOSTPORT" |
		git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" credential reject 2>err &&
	test_must_be_empty err
'

test_expect_success 'another host, protocol or port: no answer, no network' '
	before=$(count_requests vault POST /api/v1/auth/universal-auth/login) &&
	for req in "protocol=https\nhost=github.com" \
		   "protocol=http\nhost=$HOSTPORT" \
		   "protocol=https\nhost=127.0.0.1:1$GITHUB_PORT" \
		   "protocol=https\nhost=$HOSTPORT.evil.com" \
		   "protocol=https\nhost=evil.com/$HOSTPORT" \
		   "protocol=https\nhost=x@$HOSTPORT"
	do
		printf "$req\n\n" | git-credential-raxx --bot raxx-dev-bot get >out.other 2>err.other || exit 1
		test_must_be_empty out.other || exit 1
	done &&
	test "$(count_requests vault POST /api/v1/auth/universal-auth/login)" = "$before"
'

test_expect_success 'a worktree with no bot: no answer, exit 0' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		git-credential-raxx get >out.nobot 2>err &&
	test_must_be_empty out.nobot
'

test_expect_success 'clone, commit and push as the bot over HTTPS' '
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	git -C demo config credential.helper "" &&
	git -C demo config --add credential.helper "raxx --bot raxx-dev-bot" &&
	echo change >>demo/README &&
	git -C demo commit -qam "a change by the bot" &&
	git -C demo push -q origin main 2>err &&
	log_notes github >notes &&
	grep "git-receive-pack .*push-by:raxx-dev-bot" notes &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 --format=%s main >subject &&
	echo "a change by the bot" >expect &&
	test_cmp expect subject
'

test_expect_success 'fetch as the bot' '
	git -C demo fetch -q origin &&
	log_notes github | grep "fetch-by:raxx-dev-bot"
'

test_expect_success 'without the helper the server refuses (no anonymous access)' '
	test_must_fail git -c credential.helper= clone -q "$GIT_URL/raxx-app/demo.git" anon 2>err &&
	test_grep "Authentication failed\|could not read Username\|terminal prompts disabled" err
'

test_expect_success 'two linked worktrees with different agents push as different bots' '
	git -C demo config extensions.worktreeConfig true &&
	git -C demo config --replace-all credential.helper "" &&
	git -C demo config --add credential.helper raxx &&
	git -C demo config raxx.botMap "$TRASH/map/agent_bot_map.yaml" &&
	git -C demo worktree add -q -b dev-work ../wt-dev &&
	git -C demo worktree add -q -b ops-work ../wt-ops &&
	git -C wt-dev config --worktree raxx.agent feature-developer &&
	git -C wt-ops config --worktree raxx.agent sre-agent &&
	echo dev >wt-dev/dev.txt && git -C wt-dev add dev.txt && git -C wt-dev commit -qm dev &&
	echo ops >wt-ops/ops.txt && git -C wt-ops add ops.txt && git -C wt-ops commit -qm ops &&
	git -C wt-dev push -q origin dev-work &&
	git -C wt-ops push -q origin ops-work &&
	log_notes github >notes &&
	grep "git-receive-pack .*push-by:raxx-dev-bot" notes &&
	grep "git-receive-pack .*push-by:raxx-ops-bot" notes
'

# commit_map BRANCH FILE: commit FILE as the agent map on BRANCH of the
# remote (from a scratch clone), then fetch it into demo
commit_map() {
	rm -rf mapclone &&
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" mapclone &&
	git -C mapclone checkout -q -B "$1" &&
	mkdir -p mapclone/scripts/agents &&
	cp "$2" mapclone/scripts/agents/agent_bot_map.yaml &&
	git -C mapclone add scripts/agents/agent_bot_map.yaml &&
	git -C mapclone -c user.name=Op -c user.email=op@example.com \
		commit -qm "the agent map" &&
	git -C mapclone -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" push -q origin "$1" &&
	git -C demo -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		fetch -q origin
}

test_expect_success 'the agent map committed on the remote'"'"'s default branch is found without raxx.botMap' '
	git -C demo config --unset raxx.botMap &&
	commit_map main "$TRASH/map/agent_bot_map.yaml" &&
	git -C demo merge -q --ff-only origin/main &&
	git -C demo symbolic-ref refs/remotes/origin/HEAD >head &&
	echo refs/remotes/origin/main >expect && test_cmp expect head &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" >req &&
	(cd wt-ops && git-credential-raxx get <../req >../out.map) &&
	grep "^password=ghs_" out.map &&
	git-credential-raxx --bot raxx-ops-bot get <req >out.opsbot &&
	test_cmp out.opsbot out.map
'

test_expect_success 'a malformed agent map: one error naming the ref, file and line, no answer' '
	printf "bots:\n  raxx-dev-bot:\n    agentz: [x]\n" >badmap.yaml &&
	commit_map badmap badmap.yaml &&
	git -C demo config raxx.trustedRef refs/remotes/origin/badmap &&
	test_when_finished "git -C demo config --unset raxx.trustedRef" &&
	(cd wt-ops && test_expect_code 64 git-credential-raxx get <../req >../out.badmap 2>../err.badmap) &&
	test_must_be_empty out.badmap &&
	test_grep "refs/remotes/origin/badmap:scripts/agents/agent_bot_map.yaml:3: unknown key" err.badmap &&
	test_line_count = 1 err.badmap
'

test_expect_success 'an agent no bot lists: a clear error' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_BOT_MAP="$TRASH/map/agent_bot_map.yaml" \
		test_expect_code 64 git-credential-raxx --agent nobody get >out.noagent 2>err &&
	test_must_be_empty out.noagent &&
	test_grep "agent .nobody. .* is not listed" err
'

test_expect_success 'credential.useHttpPath narrows the token to the repository and map permissions' '
	printf "protocol=https\nhost=%s\npath=raxx-app/demo.git\n\n" "$HOSTPORT" |
		RAXX_BOT_MAP="$TRASH/map/agent_bot_map.yaml" \
		git-credential-raxx --agent feature-developer get >out.scoped &&
	grep "^password=ghs_" out.scoped &&
	tail -n 1 "$FAKES/github.log" >last &&
	test_grep "\"repositories\":\[\"raxx-app/demo\"\]" last &&
	test_grep "\"permissions\":{\"contents\":\"write\",\"pull_requests\":\"write\"}" last
'

test_expect_success 'a narrowed token cannot push to another repository' '
	tok=$(sed -n "s/^password=//p" out.scoped) &&
	test_must_fail git -C demo -c credential.helper= push -q \
		"https://x-access-token:$tok@$HOSTPORT/raxx-app/other.git" HEAD:refs/heads/x 2>err &&
	log_notes github | grep "denied-\(push\|fetch\):raxx-dev-bot"
'

test_expect_success '--repo narrows the token the same way' '
	git-credential-raxx --bot raxx-dev-bot --repo raxx-app/other token >out.repo &&
	tail -n 1 "$FAKES/github.log" >last &&
	test_grep "\"repositories\":\[\"raxx-app/other\"\]" last
'

# --- fallback when minting fails

break_mint() {
	fake_set github behavior.access_tokens -s 500 &&
	rm -rf "$RAXX_CACHE_DIR"	# no cached token to hide the failure
}
heal_mint() {
	fake_reset github behavior
}

test_expect_success 'fallback pat: the operator token, with a loud warning' '
	break_mint && test_when_finished heal_mint &&
	pat="ghp_operator$(random_secret)" &&
	set_operator_pat "$pat" &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_OPERATOR_TOKEN="$pat" git-credential-raxx --bot raxx-dev-bot get >out.pat 2>err &&
	grep -x "password=$pat" out.pat &&
	! grep password_expiry_utc out.pat &&
	test_grep "warning: minting for raxx-dev-bot failed (exit 6)" err &&
	test_grep "falling back to the operator token" err &&
	! grep -F "$pat" err
'

test_expect_success 'fallback pat through a real push goes as the operator' '
	break_mint && test_when_finished heal_mint &&
	pat=$(tail -n 1 "$TRASH/.secrets") &&
	echo more >>demo/README && git -C demo commit -qam "operator fallback" &&
	git -C demo config --unset-all credential.helper &&
	git -C demo config --add credential.helper "" &&
	git -C demo config --add credential.helper "raxx --bot raxx-dev-bot" &&
	RAXX_OPERATOR_TOKEN="$pat" git -C demo push -q origin main 2>err &&
	test_grep "falling back to the operator token" err &&
	log_notes github | grep "push-by:pat-of:operator"
'

test_expect_success 'fallback pat without RAXX_OPERATOR_TOKEN acts as pass' '
	break_mint && test_when_finished heal_mint &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		test_expect_code 6 git-credential-raxx --bot raxx-dev-bot get >out.pat2 2>err &&
	test_must_be_empty out.pat2 &&
	test_grep "RAXX_OPERATOR_TOKEN unset" err
'

test_expect_success 'fallback pass: nothing, with a warning' '
	break_mint && test_when_finished heal_mint &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_FALLBACK=pass RAXX_OPERATOR_TOKEN=ghp_unused \
		test_expect_code 6 git-credential-raxx --bot raxx-dev-bot get >out.pass 2>err &&
	test_must_be_empty out.pass &&
	test_grep "answering nothing (RAXX_FALLBACK=pass)" err
'

test_expect_success 'fallback deny: quit=1, and git stops asking' '
	break_mint && test_when_finished heal_mint &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_FALLBACK=deny test_expect_code 6 git-credential-raxx --bot raxx-dev-bot get >out.deny 2>err &&
	echo quit=1 >expect && test_cmp expect out.deny &&
	test_grep "refusing (RAXX_FALLBACK=deny)" err &&
	test_must_fail env RAXX_FALLBACK=deny git -C demo fetch -q origin 2>err &&
	test_grep "quit\|refusing" err
'

test_expect_success 'raxx.fallback from git config is honoured' '
	break_mint && test_when_finished heal_mint &&
	git -C demo config raxx.fallback deny &&
	(cd demo && printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		test_expect_code 6 git-credential-raxx --bot raxx-dev-bot get >../out.cfgdeny 2>/dev/null) &&
	echo quit=1 >expect && test_cmp expect out.cfgdeny &&
	git -C demo config --unset raxx.fallback
'

test_expect_success 'an unknown fallback value is a usage error' '
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_FALLBACK=maybe test_expect_code 64 git-credential-raxx --bot raxx-dev-bot get >out.badfb 2>err &&
	test_must_be_empty out.badfb &&
	test_grep "fallback .maybe. is not pat, pass or deny" err
'

test_expect_success 'a token holding a newline is never written' '
	fake_set github behavior.access_tokens -s newline-token &&
	rm -rf "$RAXX_CACHE_DIR" &&
	test_when_finished heal_mint &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" |
		RAXX_FALLBACK=pass test_expect_code 6 git-credential-raxx --bot raxx-dev-bot get >out.nl 2>err &&
	test_must_be_empty out.nl &&
	test_grep "no usable token" err
'

test_secrets_never_leak
test_done
