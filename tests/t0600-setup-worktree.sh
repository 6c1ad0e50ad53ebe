#!/bin/sh
# setup: make one linked worktree the bot's (helper, agent, commit author)
# with real `git worktree add`, commits and pushes through the local git
# server; the main worktree and the other worktrees stay the operator's;
# --dry-run, --undo, idempotence; get keeping the author true.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

# test-lib exports these; here the commit author must come from git config
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

HOSTPORT=$RAXX_GITHUB_HOST
# the ops bot may push in these tests
fake_set github apps.3501353.permissions.contents -s write
HELPER_KEY="credential.https://$HOSTPORT.helper"
# setup writes the helper as this program's absolute path
HELPER="$(cd "$BUILD_DIR" && pwd -P)/git-credential-raxx"
DOMAIN=users.noreply.127.0.0.1	# GHES default: users.noreply.HOST, no port
DEV="raxx-dev-bot[bot] <190001+raxx-dev-bot[bot]@$DOMAIN>"
OPS="raxx-ops-bot[bot] <190002+raxx-ops-bot[bot]@$DOMAIN>"
DEV_USERS=/api/v3/users/raxx-dev-bot%5Bbot%5D
OPS_USERS=/api/v3/users/raxx-ops-bot%5Bbot%5D

mkdir -p "$TRASH/map" && cat >"$TRASH/map/agent_bot_map.yaml" <<'YAML'
bots:
  raxx-dev-bot:
    agents: [feature-developer, ux-polisher]
  raxx-ops-bot:
    agents: [sre-agent]
YAML

# The operator: their own name, and their own credential for the host in
# a store helper that git would ask first. The file is named out.* so the
# secret scan leaves it alone: it holds the operator's PAT on purpose.
OPERATOR_PAT="ghp_operator$(random_secret)"
set_operator_pat "$OPERATOR_PAT"
STORE="$TRASH/out.git-credentials"
printf 'https://operator:%s@%s\n' "$OPERATOR_PAT" "$HOSTPORT" >"$STORE"
git config --global user.name Operator
git config --global user.email operator@example.com
git config --global credential.helper "store --file=$STORE"

# The trash directory lies inside the project's own repository: never let
# git find that one from here (setup would make it the bot's).
export GIT_CEILING_DIRECTORIES="$TEST_DIR"

# config_of DIR: everything git config says there, with scopes
config_of() {
	git -C "$1" config --list --show-scope
}
users_lookups() {
	count_requests github GET "$1"
}

test_expect_success 'a clone with two linked worktrees; the operator pushes as the operator' '
	git clone -q "$GIT_URL/raxx-app/demo.git" main &&
	git -C main config raxx.botMap "$TRASH/map/agent_bot_map.yaml" &&
	git -C main worktree add -q -b agent-work ../wt-agent &&
	git -C main worktree add -q -b other-work ../wt-other &&
	echo op >main/op.txt && git -C main add op.txt &&
	git -C main commit -qm "by the operator" &&
	git -C main push -q origin main &&
	log_notes github | grep "git-receive-pack .*push-by:pat-of:operator" &&
	config_of main >main.before &&
	config_of wt-other >other.before &&
	config_of wt-agent >agent.before
'

test_expect_success 'setup --dry-run shows every change and changes nothing' '
	(cd wt-agent && git-credential-raxx --agent feature-developer setup --dry-run \
		>../out.dry 2>../err.dry) &&
	test_must_be_empty out.dry &&
	test_grep "would set extensions.worktreeConfig=true" err.dry &&
	test_grep -F "would set $HELPER_KEY to '"''"' then '"'$HELPER'"'" err.dry &&
	test_grep "would set raxx.bot=raxx-dev-bot" err.dry &&
	test_grep "would set raxx.agent=feature-developer" err.dry &&
	test_grep -Fx "raxx: setup: would set user.name=raxx-dev-bot[bot]" err.dry &&
	test_grep -F "would set user.email=190001+raxx-dev-bot[bot]@$DOMAIN" err.dry &&
	test_grep "dry run: 6 changes would be made" err.dry &&
	config_of main >main.now && test_cmp main.before main.now &&
	config_of wt-agent >agent.now && test_cmp agent.before agent.now &&
	! ls "$RAXX_STATE_DIR"/user-id.* 2>/dev/null &&
	test "$(users_lookups "$DEV_USERS")" = 1
'

test_expect_success 'setup makes the worktree the bot'"'"'s, in its own config' '
	(cd wt-agent && git-credential-raxx --agent feature-developer setup \
		>../out.setup 2>../err.setup) &&
	test_must_be_empty out.setup &&
	test_grep "setup: set extensions.worktreeConfig=true" err.setup &&
	test_grep "now acts as raxx-dev-bot (6 changes)" err.setup &&
	git -C wt-agent config --worktree --get-all "$HELPER_KEY" >helpers &&
	printf "\n%s\n" "$HELPER" >expect && test_cmp expect helpers &&
	test "$(git -C wt-agent config --worktree raxx.bot)" = raxx-dev-bot &&
	test "$(git -C wt-agent config --worktree raxx.agent)" = feature-developer &&
	test "$(git -C wt-agent config --worktree user.name)" = "raxx-dev-bot[bot]" &&
	test "$(git -C wt-agent config --worktree user.email)" = "190001+raxx-dev-bot[bot]@$DOMAIN" &&
	test "$(users_lookups "$DEV_USERS")" = 2
'

test_expect_success 'the user id is remembered: 0600 file in a 0700 state directory' '
	f=$(ls "$RAXX_STATE_DIR"/user-id.raxx-dev-bot.*) &&
	test "$(file_mode "$f")" = 600 &&
	test "$(file_mode "$RAXX_STATE_DIR")" = 700 &&
	grep -x "api=$RAXX_GITHUB_API" "$f" &&
	grep -x "login=raxx-dev-bot\[bot\]" "$f" &&
	grep -x "id=190001" "$f"
'

test_expect_success 'the main worktree and the other worktree are untouched (but for the extension)' '
	printf "+local\textensions.worktreeconfig=true\n" >expect &&
	config_of main >main.after &&
	diff -u main.before main.after | grep "^[+-][^+-]" >main.diff || true &&
	test_cmp expect main.diff &&
	config_of wt-other >other.after &&
	diff -u other.before other.after | grep "^[+-][^+-]" >other.diff || true &&
	test_cmp expect other.diff &&
	test "$(git -C main config user.name)" = Operator &&
	test "$(git -C wt-other config user.name)" = Operator
'

test_expect_success 'commit and push in the worktree: the bot is author, committer and pusher' '
	echo bot >wt-agent/bot.txt && git -C wt-agent add bot.txt &&
	git -C wt-agent commit -qm "by the bot" &&
	git -C wt-agent push -q origin agent-work 2>err.push &&
	log_notes github >notes &&
	grep "git-receive-pack .*push-by:raxx-dev-bot" notes &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 \
		--format="%an <%ae> / %cn <%ce>" agent-work >who &&
	echo "$DEV / $DEV" >expect && test_cmp expect who &&
	! grep ghs_ "$STORE" &&
	! grep "commit author is now" err.push
'

test_expect_success 'the main worktree and the other still commit as the operator' '
	echo op2 >>main/op.txt && git -C main commit -qam "operator again" &&
	git -C main log -1 --format="%an <%ae> / %cn <%ce>" >who &&
	echo "Operator <operator@example.com> / Operator <operator@example.com>" >expect &&
	test_cmp expect who &&
	echo other >wt-other/o.txt && git -C wt-other add o.txt &&
	git -C wt-other commit -qm other &&
	git -C wt-other log -1 --format="%an" >who && echo Operator >expect &&
	test_cmp expect who
'

test_expect_success 'setup again changes nothing, and asks GitHub nothing' '
	common=$(cd wt-agent && git rev-parse --path-format=absolute --git-common-dir) &&
	wtcfg=$(cd wt-agent && git rev-parse --path-format=absolute --git-path config.worktree) &&
	cp "$common/config" common.before && cp "$wtcfg" wt.before &&
	(cd wt-agent && git-credential-raxx --agent feature-developer setup 2>../err.again) &&
	test_grep "already acts as raxx-dev-bot: nothing changed" err.again &&
	test_line_count = 1 err.again &&
	cmp "$common/config" common.before &&
	cmp "$wtcfg" wt.before &&
	test "$(users_lookups "$DEV_USERS")" = 2
'

test_expect_success 'get keeps the author: a changed user.name is set back, said once' '
	git -C wt-agent config --worktree user.name "Someone Else" &&
	printf "protocol=https\nhost=%s\n\n" "$HOSTPORT" >req &&
	(cd wt-agent && git-credential-raxx --agent feature-developer get <../req >../out.keep 2>../err.keep) &&
	grep "^password=ghs_" out.keep &&
	test_grep -F "commit author is now $DEV (was Someone Else <190001+raxx-dev-bot[bot]@$DOMAIN>)" err.keep &&
	test "$(git -C wt-agent config --worktree user.name)" = "raxx-dev-bot[bot]" &&
	(cd wt-agent && git-credential-raxx --agent feature-developer get <../req >../out.keep2 2>../err.keep2) &&
	test_must_be_empty err.keep2 &&
	test "$(users_lookups "$DEV_USERS")" = 2
'

test_expect_success 'get through git fetch sets the author back too' '
	git -C wt-agent config --worktree user.email someone@example.com &&
	git -C wt-agent fetch -q origin 2>err.fetch &&
	test_grep "commit author is now" err.fetch &&
	test "$(git -C wt-agent config --worktree user.email)" = "190001+raxx-dev-bot[bot]@$DOMAIN"
'

test_expect_success 'raxx.author=off: get leaves the author alone' '
	git -C wt-agent config --worktree user.name "Hand Made" &&
	test_when_finished "git -C wt-agent config --worktree --unset raxx.author" &&
	git -C wt-agent config --worktree raxx.author off &&
	(cd wt-agent && git-credential-raxx --agent feature-developer get <../req >../out.off 2>../err.off) &&
	grep "^password=ghs_" out.off &&
	test_must_be_empty err.off &&
	test "$(git -C wt-agent config --worktree user.name)" = "Hand Made"
'

test_expect_success 'get with no remembered id: a trace line, no change, no network look-up' '
	mkdir -p state2 && chmod 700 state2 &&
	(cd wt-agent && RAXX_STATE_DIR="$TRASH/state2" RAXX_TRACE=1 \
		git-credential-raxx --agent feature-developer get <../req >../out.noid 2>../err.noid) &&
	grep "^password=ghs_" out.noid &&
	test_grep "user id of raxx-dev-bot\[bot\] is not remembered yet" err.noid &&
	test "$(git -C wt-agent config --worktree user.name)" = "Hand Made" &&
	test "$(users_lookups "$DEV_USERS")" = 2
'

test_expect_success 'the other worktree (no bot) is never touched by get' '
	(cd wt-other && git-credential-raxx get <../req >../out.other 2>../err.other) &&
	test_must_be_empty out.other &&
	config_of wt-other >other.now &&
	test_cmp other.after other.now
'

test_expect_success 'setup --undo --dry-run changes nothing' '
	(cd wt-agent && git-credential-raxx get <../req >../out.fix 2>../err.fix) &&
	test_grep -F "commit author is now $DEV (was Hand Made" err.fix &&
	config_of wt-agent >agent.set &&
	(cd wt-agent && git-credential-raxx setup --undo --dry-run 2>../err.undodry) &&
	test_grep "would remove the raxx entries of $HELPER_KEY" err.undodry &&
	test_grep "would unset raxx.agent" err.undodry &&
	test_grep "would unset user.email" err.undodry &&
	config_of wt-agent >agent.now && test_cmp agent.set agent.now
'

test_expect_success 'setup --undo leaves no trace: the worktree reads as the untouched one' '
	(cd wt-agent && git-credential-raxx setup --undo 2>../err.undo) &&
	test_grep "no longer acts as a bot" err.undo &&
	wtcfg=$(cd wt-agent && git rev-parse --path-format=absolute --git-path config.worktree) &&
	test_grep "removed $wtcfg" err.undo &&
	! test -e "$wtcfg" &&
	config_of wt-agent >agent.undone &&
	config_of wt-other >other.now &&
	test_cmp other.now agent.undone &&
	test "$(git -C wt-agent config user.name)" = Operator &&
	(cd wt-agent && git-credential-raxx setup --undo 2>../err.undo2) &&
	test_grep "nothing to undo" err.undo2
'

test_expect_success '--undo removes only what setup set' '
	git -C main worktree add -q -b own-work ../wt-own &&
	git -C wt-own config --worktree color.ui never &&
	git -C wt-own config --worktree credential.https://example.com.helper cache &&
	git -C wt-own config --worktree user.signingkey ABCDEF &&
	config_of wt-own >own.before &&
	(cd wt-own && git-credential-raxx --bot raxx-ops-bot setup 2>../err.own) &&
	test "$(git -C wt-own config --worktree --get-all "$HELPER_KEY" | tail -n 1)" = "$HELPER" &&
	test "$(git -C wt-own config --worktree raxx.bot)" = raxx-ops-bot &&
	test "$(git -C wt-own config user.email)" = "190002+raxx-ops-bot[bot]@$DOMAIN" &&
	(cd wt-own && git-credential-raxx setup --undo 2>../err.ownundo) &&
	config_of wt-own >own.after &&
	test_cmp own.before own.after
'

test_expect_success 'undo keeps a hand-set author and the other entries of the helper list' '
	(cd wt-own && git-credential-raxx --bot raxx-ops-bot setup 2>/dev/null) &&
	git -C wt-own config --worktree user.name "A Human" &&
	git -C wt-own config --worktree --add "$HELPER_KEY" "cache --timeout=60" &&
	(cd wt-own && git-credential-raxx setup --undo 2>../err.keep) &&
	test "$(git -C wt-own config --worktree user.name)" = "A Human" &&
	test "$(git -C wt-own config --worktree --get-all "$HELPER_KEY")" = "cache --timeout=60" &&
	test_must_fail git -C wt-own config --worktree user.email &&
	test_must_fail git -C wt-own config --worktree raxx.bot
'

test_expect_success 'an unknown bot: a clear error (GitHub 404), nothing changed' '
	config_of wt-other >other.before2 &&
	(cd wt-other && test_expect_code 5 git-credential-raxx --bot no-such-bot setup \
		>../out.unknown 2>../err.unknown) &&
	test_must_be_empty out.unknown &&
	test_grep "error: GitHub has no user .no-such-bot\[bot\]. (HTTP 404)" err.unknown &&
	test_line_count = 1 err.unknown &&
	config_of wt-other >other.now && test_cmp other.before2 other.now &&
	! ls "$RAXX_STATE_DIR"/user-id.no-such-bot.* 2>/dev/null
'

test_expect_success 'anonymous look-ups refused (GHES private mode): asked again with the bot'"'"'s token' '
	fake_set github behavior.users -s 401 behavior.fail_times.users 1 behavior.fail_id -s private &&
	test_when_finished "fake_reset github behavior" &&
	git -C main worktree add -q -b ops-work ../wt-ops &&
	mkdir -p state-private && chmod 700 state-private &&
	(cd wt-ops && RAXX_STATE_DIR="$TRASH/state-private" \
		git-credential-raxx --agent sre-agent setup 2>../err.private) &&
	test -f state-private/user-id.raxx-ops-bot.* &&
	test "$(git -C wt-ops config user.email)" = "190002+raxx-ops-bot[bot]@$DOMAIN" &&
	log_notes github | grep "^GET $OPS_USERS 401 forced:users" &&
	log_notes github | grep "^GET $OPS_USERS 200 token-of:raxx-ops-bot"
'

test_expect_success 'the ops worktree pushes and commits as the ops bot' '
	echo ops >wt-ops/ops.txt && git -C wt-ops add ops.txt &&
	git -C wt-ops commit -qm "by ops" &&
	git -C wt-ops push -q origin ops-work &&
	log_notes github | grep "git-receive-pack .*push-by:raxx-ops-bot" &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 \
		--format="%an <%ae> / %cn <%ce>" ops-work >who &&
	echo "$OPS / $OPS" >expect && test_cmp expect who
'

test_expect_success 'the noreply domain: RAXX_NOREPLY_DOMAIN, raxx.noreplyDomain, github.com' '
	(cd wt-ops && RAXX_NOREPLY_DOMAIN=noreply.ghe.example \
		git-credential-raxx --agent sre-agent setup --dry-run 2>../err.dom) &&
	test_grep -F "would set user.email=190002+raxx-ops-bot[bot]@noreply.ghe.example" err.dom &&
	git -C wt-ops config --worktree raxx.noreplyDomain Mail.Example.org &&
	(cd wt-ops && git-credential-raxx --agent sre-agent setup --dry-run 2>../err.dom2) &&
	test_grep -F "user.email=190002+raxx-ops-bot[bot]@mail.example.org" err.dom2 &&
	git -C wt-ops config --worktree --unset raxx.noreplyDomain &&
	(cd wt-ops && RAXX_GITHUB_HOST=github.com \
		git-credential-raxx --agent sre-agent setup --dry-run 2>../err.dom3) &&
	test_grep -F "user.email=190002+raxx-ops-bot[bot]@users.noreply.github.com" err.dom3 &&
	test_grep -F "credential.https://github.com.helper" err.dom3 &&
	(cd wt-ops && RAXX_NOREPLY_DOMAIN="x y>" test_expect_code 64 \
		git-credential-raxx --agent sre-agent setup 2>../err.dom4) &&
	test_grep "noreply domain .x y>. (from RAXX_NOREPLY_DOMAIN) is not a domain name" err.dom4
'

test_expect_success 'usage errors: outside a worktree, both --bot and --agent, no bot, bad option' '
	mkdir -p nowhere &&
	(cd nowhere && test_expect_code 64 git-credential-raxx --bot raxx-dev-bot setup 2>../err.u1) &&
	test_grep "not inside a git worktree" err.u1 &&
	(cd wt-other && test_expect_code 64 git-credential-raxx --bot raxx-dev-bot \
		--agent sre-agent setup 2>../err.u2) &&
	test_grep "exclude each other" err.u2 &&
	(cd wt-other && test_expect_code 64 git-credential-raxx setup 2>../err.u3) &&
	test_grep "which bot" err.u3 &&
	(cd wt-other && test_expect_code 64 git-credential-raxx --agent nobody setup 2>../err.u4) &&
	test_grep "agent .nobody. (from setup --agent) is not listed in" err.u4 &&
	test_expect_code 64 git-credential-raxx setup --frob 2>err.u5 &&
	test_grep "setup: unknown option .--frob." err.u5 &&
	git-credential-raxx help setup >out.help &&
	test_grep -- "--undo" out.help
'

test_expect_success 'an inherited raxx.bot does not win: setup pins the agent'"'"'s bot in the worktree'"'"'s own config' '
	git -C main config raxx.bot raxx-ops-bot &&
	test_when_finished "git -C main config --unset raxx.bot" &&
	git -C main worktree add -q -b pinned-work ../wt-pinned &&
	(cd wt-pinned && git-credential-raxx --agent feature-developer setup 2>../err.inh) &&
	test "$(git -C wt-pinned config raxx.bot)" = raxx-dev-bot &&
	test "$(git -C wt-pinned config --show-scope --get raxx.bot | cut -f1)" = worktree &&
	(cd wt-pinned && git-credential-raxx get <../req >../out.pinned 2>../err.pinned) &&
	git-credential-raxx --bot raxx-dev-bot get <req >out.devbot &&
	test_cmp out.devbot out.pinned
'

test_expect_success 'a bare repository with worktrees: core.bare moves as git does it' '
	git clone -q --bare "$GIT_URL/raxx-app/demo.git" bare.git &&
	git -C bare.git worktree add -q ../wt-bare main &&
	(cd wt-bare && git-credential-raxx --bot raxx-dev-bot setup 2>../err.bare) &&
	test_grep "move core.bare=true" err.bare &&
	test "$(git -C bare.git rev-parse --is-bare-repository)" = true &&
	test "$(git -C wt-bare rev-parse --is-bare-repository)" = false &&
	test "$(git config --file bare.git/config.worktree core.bare)" = true &&
	echo b >wt-bare/b.txt && git -C wt-bare add b.txt && git -C wt-bare commit -qm bare &&
	git -C wt-bare log -1 --format="%an <%ae>" >who &&
	echo "$DEV" >expect && test_cmp expect who
'

test_expect_success '-q silences the change lines' '
	git -C main worktree add -q -b quiet-work ../wt-quiet &&
	(cd wt-quiet && git-credential-raxx -q --bot raxx-dev-bot setup >../out.q 2>../err.q) &&
	test_must_be_empty out.q &&
	test_must_be_empty err.q &&
	test "$(git -C wt-quiet config user.name)" = "raxx-dev-bot[bot]"
'

test_secrets_never_leak
test_done
