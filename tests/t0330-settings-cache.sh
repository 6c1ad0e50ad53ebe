#!/bin/sh
# The remembered git config (settings_cache.h): a warm call runs no git
# when nothing git reads has changed, and asks git again after a change to
# the worktree's config, an included file, a file an includeIf names or
# the branch it tests, the global config, git -c or GIT_CONFIG_COUNT.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

C=$RAXX_CACHE_DIR
raxx() { git-credential-raxx "$@"; }
# which bot, and whether git was asked: "BOT SOURCE asked|remembered"
who() {
	RAXX_TRACE=1 git-credential-raxx status --json >out.who 2>err.who || return 1
	if grep -q "git config: remembered" err.who; then _how=remembered
	elif grep -q "git config: read" err.who; then _how=asked
	else _how="?"
	fi
	echo "$(json_get out.who bot bot_source) $_how"
}
# wait until the files just written are older than the racy margin
settle() { sleep 3; }

test_expect_success 'a worktree whose config includes files' '
	git init -q -b main repo &&
	git -C repo commit -q --allow-empty -m first &&
	git -C repo config extensions.worktreeConfig true &&
	printf "[raxx]\n\tbot = raxx-dev-bot\n" >inc.cfg &&
	git -C repo config include.path "$TRASH/inc.cfg" &&
	printf "[raxx]\n\tbot = raxx-ops-bot\n" >branch.cfg &&
	git -C repo config includeIf.onbranch:feature.path "$TRASH/branch.cfg" &&
	settle
'

test_expect_success 'the first call asks git, the second remembers' '
	(cd repo && who) >got.1 &&
	echo "raxx-dev-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got.1 &&
	(cd repo && who) >got.2 &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect got.2 &&
	ls "$C" | grep -E "^g-[0-9a-f]{32}$"
'

test_expect_success 'the remembered settings are sealed, private, and hold no value in the clear' '
	f=$(ls "$C"/g-*) &&
	test "$(file_mode "$f")" = 600 &&
	test_grep ! -r "raxx-dev-bot" "$C" &&
	test_grep ! -r "inc.cfg" "$C"
'

test_expect_success 'a change to the worktree config is seen' '
	git -C repo config --worktree raxx.bot raxx-ops-bot &&
	(cd repo && who) >got &&
	echo "raxx-ops-bot raxx.bot (worktree config) asked" >expect &&
	test_cmp expect got &&
	git -C repo config --worktree --unset raxx.bot &&
	(cd repo && who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got
'

test_expect_success 'a change to an included file is seen' '
	settle &&
	(cd repo && who && who) >got &&
	tail -n 1 got >last &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect last &&
	printf "[raxx]\n\tbot = raxx-pm-bot\n" >inc.cfg &&
	(cd repo && who) >got &&
	echo "raxx-pm-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got &&
	printf "[raxx]\n\tbot = raxx-dev-bot\n" >inc.cfg
'

test_expect_success 'includeIf onbranch: a checkout is seen, no file changing' '
	settle &&
	(cd repo && who && who) >got &&
	tail -n 1 got >last &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect last &&
	git -C repo checkout -q -b feature &&
	(cd repo && who) >got &&
	echo "raxx-ops-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got &&
	git -C repo checkout -q main &&
	(cd repo && who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got
'

test_expect_success 'includeIf: a file it names that appears is seen' '
	git -C repo config includeIf.gitdir:$TRASH/repo/.git.path "$TRASH/late.cfg" &&
	settle &&
	(cd repo && who && who) >got &&
	tail -n 1 got >last &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect last &&
	printf "[raxx]\n\tbot = raxx-late-bot\n" >late.cfg &&
	(cd repo && who) >got &&
	echo "raxx-late-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got &&
	rm late.cfg
'

test_expect_success 'a linked worktree: its own config.worktree, its own answer' '
	git -C repo worktree add -q ../linked &&
	git -C linked config --worktree raxx.bot raxx-ops-bot &&
	settle &&
	(cd linked && who && who) >got &&
	tail -n 1 got >last &&
	echo "raxx-ops-bot raxx.bot (worktree config) remembered" >expect &&
	test_cmp expect last &&
	# (a worktree added changes nothing the main one reads)
	(cd repo && who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect got &&
	git -C linked config --worktree raxx.bot raxx-pm-bot &&
	(cd linked && who) >got &&
	echo "raxx-pm-bot raxx.bot (worktree config) asked" >expect &&
	test_cmp expect got
'

test_expect_success 'GIT_CONFIG_COUNT, its pairs, and git -c are part of the key' '
	settle &&
	(cd repo && who) >/dev/null &&
	(cd repo && GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=raxx.bot \
		GIT_CONFIG_VALUE_0=raxx-ops-bot who) >got &&
	echo "raxx-ops-bot raxx.bot (command config) asked" >expect &&
	test_cmp expect got &&
	(cd repo && GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=raxx.bot \
		GIT_CONFIG_VALUE_0=raxx-pm-bot who) >got &&
	echo "raxx-pm-bot raxx.bot (command config) asked" >expect &&
	test_cmp expect got &&
	(cd repo && GIT_CONFIG_COUNT=0 who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got &&
	(cd repo && who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect got &&
	(cd repo && GIT_CONFIG_PARAMETERS="'\''raxx.bot'\''='\''raxx-ops-bot'\''" who) >got &&
	echo "raxx-ops-bot raxx.bot (command config) asked" >expect &&
	test_cmp expect got
'

test_expect_success 'the global config, and an XDG one that appears, are seen' '
	git config --global raxx.fallback deny &&
	(cd repo && RAXX_TRACE=1 raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "git config: read" err &&
	settle &&
	(
		# git reads ~/.gitconfig and the XDG file only without this
		unset GIT_CONFIG_GLOBAL &&
		cd repo && who && who
	) >got &&
	tail -n 1 got >last &&
	echo "raxx-dev-bot raxx.bot (local config) remembered" >expect &&
	test_cmp expect last &&
	mkdir -p "$XDG_CONFIG_HOME/git" &&
	printf "[raxx]\n\tbot = raxx-xdg-bot\n" >"$XDG_CONFIG_HOME/git/config" &&
	(unset GIT_CONFIG_GLOBAL && cd repo && who) >got &&
	echo "raxx-dev-bot raxx.bot (local config) asked" >expect &&
	test_cmp expect got &&
	rm "$XDG_CONFIG_HOME/git/config"
'

test_expect_success 'a remembered answer keeps every entry: an emptied handoff is still refused' '
	git -C repo config raxx.handoff some-task &&
	settle &&
	for i in 1 2; do
		(cd repo && printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
			GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=raxx.handoff GIT_CONFIG_VALUE_0= \
			RAXX_TRACE=1 test_expect_code 9 raxx get >"$TRASH/out.h.$i" 2>"$TRASH/err.h.$i") || exit 1
		grep "^quit=1$" out.h.$i || exit 1
		test_grep "does not turn off handoff" err.h.$i || exit 1
	done &&
	test_grep "git config: remembered" err.h.2 &&
	git -C repo config --unset raxx.handoff
'

test_expect_success 'a file changed just now is not remembered' '
	git -C repo config raxx.owners raxx-app &&
	(cd repo && who) >/dev/null &&
	(cd repo && RAXX_TRACE=1 raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "git config: read" err
'

test_expect_success 'GIT_DIR set, or no cache: git is asked every time' '
	settle &&
	(cd repo && who) >/dev/null &&
	(cd repo && GIT_DIR=.git RAXX_TRACE=1 raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "not remembered (GIT_DIR is set)" err &&
	: >"$TRASH/not-a-dir" &&
	(cd repo && RAXX_CACHE_DIR="$TRASH/not-a-dir/cache" RAXX_TRACE=1 \
		raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "git config: read" err &&
	(cd repo && RAXX_CACHE_DIR="$TRASH/not-a-dir/cache" RAXX_TRACE=1 \
		raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "git config: read" err
'

test_expect_success 'without the vault identity (a broker'"'"'s client) the settings are remembered too' '
	settle &&
	(unset INFISICAL_CLIENT_SECRET && cd repo && who) >/dev/null &&
	(unset INFISICAL_CLIENT_SECRET && cd repo &&
		RAXX_TRACE=1 raxx status 2>"$TRASH/err" >/dev/null) &&
	test_grep "git config: remembered for this directory" err &&
	test "$(file_mode "$RAXX_CACHE_DIR/local.key")" = 600 &&
	test "$(wc -c <"$RAXX_CACHE_DIR/local.key" | tr -d " ")" = 32
'

test_secrets_never_leak
test_done
