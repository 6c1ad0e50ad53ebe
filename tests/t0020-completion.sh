#!/bin/sh
# Shell completions (contrib/completions): bash, zsh and fish, each run for
# real, offering the actions, the global options and the bots and agents
# of the trusted agent map, never of the working tree's copy.
. "$(dirname "$0")/lib/test-lib.sh"

COMP="$BUILD_DIR/contrib/completions"

# A clone whose origin's default branch holds the map (the trusted one);
# the agent's own branch and working tree name another bot.
test_expect_success 'setup: an origin with a committed agent map, a clone that changes it' '
	git init -q -b main seed &&
	mkdir -p seed/scripts/agents &&
	cat >seed/scripts/agents/agent_bot_map.yaml <<-\EOF &&
	# the trusted map
	bots:
	  raxx-dev-bot:
	    agents: [feature-developer, ux-polisher]
	    permissions: {contents: write}
	  "raxx-ops-bot":
	    # block list
	    agents:
	      - sre-agent
	      - card-groomer  # grooms
	    permissions:
	      contents: read
	EOF
	git -C seed add . && git -C seed commit -q -m map &&
	git clone -q --bare seed origin.git &&
	git clone -q origin.git wt &&
	git -C wt rev-parse --verify -q refs/remotes/origin/HEAD &&
	git -C wt checkout -q -b agent-branch &&
	printf "  evil-bot:\n    agents: [evil-agent]\n    permissions: {}\n" \
		>>wt/scripts/agents/agent_bot_map.yaml &&
	git -C wt commit -q -am "my own bot" &&
	printf "  worse-bot:\n    agents: [worse-agent]\n    permissions: {}\n" \
		>>wt/scripts/agents/agent_bot_map.yaml &&
	cat >other-map.yaml <<-\EOF &&
	bots:
	  env-bot:
	    agents: [env-agent]
	    permissions: {}
	EOF
	cat >config-map.yaml <<-\EOF
	bots:
	  config-bot:
	    agents: [config-agent]
	    permissions: {}
	EOF
'

if test_have bash; then
# bash_complete WORD...: COMPREPLY for the line, the last word being
# completed, one a line (bash splits --opt=value into --opt, =, value)
bash_complete() {
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_git_credential_raxx
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
	' bash "$COMP/git-credential-raxx.bash" "$@"
}

test_expect_success 'bash: registered for git-credential-raxx' '
	bash --norc --noprofile -c ". \"$COMP/git-credential-raxx.bash\" && complete -p git-credential-raxx" >out &&
	echo "complete -F _git_credential_raxx git-credential-raxx" >expect &&
	test_cmp expect out
'

test_expect_success 'bash: the actions, then the global options' '
	bash_complete git-credential-raxx "" >out &&
	printf "%s\n" get store erase token exec setup doctor revoke status broker \
		handoff audit help >expect &&
	test_cmp expect out &&
	bash_complete git-credential-raxx - >out &&
	printf "%s\n" --bot --agent --repo -q --quiet -v --verbose --help --version >expect &&
	test_cmp expect out &&
	bash_complete git-credential-raxx --bot raxx-dev-bot t >out &&
	echo token >expect &&
	test_cmp expect out
'

test_expect_success 'bash: --bot and --agent from the map committed at origin/HEAD, not the working tree' '
	(cd wt && bash_complete git-credential-raxx --bot "") >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out &&
	(cd wt && bash_complete git-credential-raxx --agent "") >out &&
	printf "%s\n" feature-developer ux-polisher sre-agent card-groomer >expect &&
	test_cmp expect out &&
	(cd wt && bash_complete git-credential-raxx --bot = r) >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out &&
	(cd wt && bash_complete git credential-raxx --bot "") >out &&
	test_cmp expect out
'

test_expect_success 'bash: RAXX_BOT_MAP, then raxx.botMap, then raxx.trustedRef' '
	(cd wt && RAXX_BOT_MAP="$TRASH/other-map.yaml" bash_complete git-credential-raxx --bot "") >out &&
	echo env-bot >expect &&
	test_cmp expect out &&
	git -C wt config raxx.botMap "$TRASH/config-map.yaml" &&
	(cd wt && bash_complete git-credential-raxx --agent "") >out &&
	echo config-agent >expect &&
	test_cmp expect out &&
	git -C wt config --unset raxx.botMap &&
	git -C wt config raxx.trustedRef refs/heads/agent-branch &&
	(cd wt && bash_complete git-credential-raxx --bot "") >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot evil-bot >expect &&
	test_cmp expect out &&
	git -C wt config raxx.trustedRef "--output=$TRASH/clobbered" &&
	(cd wt && bash_complete git-credential-raxx --bot "") >out &&
	test ! -e clobbered &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out &&
	git -C wt config --unset raxx.trustedRef
'

test_expect_success 'bash: no trusted map, no bots (and no error)' '
	git init -q lonely &&
	(cd lonely && bash_complete git-credential-raxx --bot "") >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'bash: the options of an action, and handoff subcommands' '
	bash_complete git-credential-raxx token -- >out &&
	printf "%s\n" --json --export >expect &&
	test_cmp expect out &&
	bash_complete git-credential-raxx --agent sre-agent setup --d >out &&
	echo --dry-run >expect &&
	test_cmp expect out &&
	bash_complete git-credential-raxx handoff "" >out &&
	printf "%s\n" provision verify revoke list attach detach >expect &&
	test_cmp expect out &&
	bash_complete git-credential-raxx handoff verify - >out &&
	echo --task-slug >expect &&
	test_cmp expect out &&
	(cd wt && bash_complete git-credential-raxx handoff provision --bot raxx-o) >out &&
	echo raxx-ops-bot >expect &&
	test_cmp expect out
'
else
	test_skip 'bash completion' 'no bash'
fi

if test_have zsh && zsh -fc "zmodload zsh/zpty" 2>/dev/null; then
zsh_complete() {
	zsh -f "$TEST_DIR/lib/zsh-complete.zsh" "$COMP" "$1"
}

test_expect_success 'zsh: the actions, the global options, the trusted bots' '
	zsh -n "$COMP/_git-credential-raxx" &&
	zsh_complete "git-credential-raxx " >out &&
	printf "%s\n" get store erase token exec setup doctor revoke status broker \
		handoff audit help >expect &&
	test_cmp expect out &&
	zsh_complete "git-credential-raxx --" >out &&
	sort out >sorted &&
	printf "%s\n" --agent --bot --help --quiet --repo --verbose --version >expect &&
	test_cmp expect sorted &&
	(cd wt && zsh_complete "git-credential-raxx --bot ") >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out &&
	(cd wt && zsh_complete "git-credential-raxx --agent=") >out &&
	printf "%s\n" feature-developer ux-polisher sre-agent card-groomer >expect &&
	test_cmp expect out &&
	(cd wt && RAXX_BOT_MAP="$TRASH/other-map.yaml" zsh_complete "git-credential-raxx --bot ") >out &&
	echo env-bot >expect &&
	test_cmp expect out
'

test_expect_success 'zsh: the options of an action, and handoff subcommands' '
	zsh_complete "git-credential-raxx --bot raxx-dev-bot token --" >out &&
	sort out >sorted &&
	printf "%s\n" --export --json >expect &&
	test_cmp expect sorted &&
	zsh_complete "git-credential-raxx handoff " >out &&
	printf "%s\n" provision verify revoke list attach detach >expect &&
	test_cmp expect out &&
	(cd wt && zsh_complete "git-credential-raxx handoff provision --bot ") >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out
'
else
	test_skip 'zsh completion' 'no zsh with zsh/zpty'
fi

if test_have fish; then
# fish_complete LINE: the candidates fish offers, one a line, sorted
fish_complete() {
	fish --no-config -c "source \$argv[1]; complete -C \$argv[2]" \
		"$COMP/git-credential-raxx.fish" "$1" | cut -f1 | sort
}

test_expect_success 'fish: the actions, the global options, the trusted bots' '
	fish_complete "git-credential-raxx " >out &&
	printf "%s\n" get store erase token exec setup doctor revoke status broker \
		handoff audit help | sort >expect &&
	test_cmp expect out &&
	fish_complete "git-credential-raxx --" >out &&
	printf "%s\n" --agent --bot --help --quiet --repo --verbose --version >expect &&
	test_cmp expect out &&
	(cd wt && fish_complete "git-credential-raxx --bot ") >out &&
	printf "%s\n" raxx-dev-bot raxx-ops-bot >expect &&
	test_cmp expect out &&
	(cd wt && fish_complete "git-credential-raxx --agent ") >out &&
	printf "%s\n" card-groomer feature-developer sre-agent ux-polisher >expect &&
	test_cmp expect out &&
	(cd wt && fish_complete "git-credential-raxx --bot raxx-dev-bot token --") >out &&
	printf "%s\n" --export --json >expect &&
	test_cmp expect out
'
else
	test_skip 'fish completion' 'no fish'
fi

# (the directories named: a make above this one may pass its own)
test_expect_success 'make install puts the completions where the shells look, uninstall removes them' '
	make -s -C "$BUILD_DIR" install DESTDIR="$TRASH/dest" PREFIX=/usr \
		BASHCOMPDIR=/usr/share/bash-completion/completions \
		ZSHCOMPDIR=/usr/share/zsh/site-functions \
		FISHCOMPDIR=/usr/share/fish/vendor_completions.d >/dev/null &&
	cmp "$COMP/git-credential-raxx.bash" dest/usr/share/bash-completion/completions/git-credential-raxx &&
	cmp "$COMP/_git-credential-raxx" dest/usr/share/zsh/site-functions/_git-credential-raxx &&
	cmp "$COMP/git-credential-raxx.fish" dest/usr/share/fish/vendor_completions.d/git-credential-raxx.fish &&
	make -s -C "$BUILD_DIR" install DESTDIR="$TRASH/dest2" PREFIX=/usr \
		ZSHCOMPDIR=/usr/share/zsh/vendor-completions >/dev/null &&
	test -f dest2/usr/share/zsh/vendor-completions/_git-credential-raxx &&
	make -s -C "$BUILD_DIR" uninstall DESTDIR="$TRASH/dest" PREFIX=/usr \
		BASHCOMPDIR=/usr/share/bash-completion/completions \
		ZSHCOMPDIR=/usr/share/zsh/site-functions \
		FISHCOMPDIR=/usr/share/fish/vendor_completions.d >/dev/null &&
	test ! -e dest/usr/share/bash-completion/completions/git-credential-raxx &&
	test ! -e dest/usr/share/zsh/site-functions/_git-credential-raxx &&
	test ! -e dest/usr/share/fish/vendor_completions.d/git-credential-raxx.fish
'

test_done
