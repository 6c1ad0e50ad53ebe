# bash completion for git-credential-raxx(1)
#
# `make install` puts it in $(BASHCOMPDIR) (bash-completion loads it the
# first time the command is completed); or source it from ~/.bashrc.
#
# --bot and --agent complete from the trusted agent map, read as the
# program reads it: $RAXX_BOT_MAP, else `git config raxx.botMap`, else the
# map committed at raxx.trustedRef (default refs/remotes/origin/HEAD).
# Never the working-tree copy: it may say what an agent wants it to say.

_git_credential_raxx_map()
{
	local f ref
	if [ -n "${RAXX_BOT_MAP-}" ]; then
		cat -- "$RAXX_BOT_MAP" 2>/dev/null
	elif f=$(git config --get raxx.botMap 2>/dev/null) && [ -n "$f" ]; then
		cat -- "$f" 2>/dev/null
	else
		ref=$(git config --get raxx.trustedRef 2>/dev/null)
		case $ref in '' | -*) ref=refs/remotes/origin/HEAD ;; esac
		git show "${ref}:scripts/agents/agent_bot_map.yaml" 2>/dev/null
	fi
}

# _git_credential_raxx_names bots|agents: the keys under `bots:`, or the
# entries of their `agents:` lists (flow [a, b] or block "- a" lines).
_git_credential_raxx_names()
{
	_git_credential_raxx_map | awk -v want="$1" -v q="'" '
	/^[^ #]/ { inbots = ($0 ~ /^bots:[ \t]*(#.*)?$/); ind = 0; next }
	!inbots || /^[ \t]*(#.*)?$/ { next }
	{
		match($0, /^ */); n = RLENGTH; line = substr($0, n + 1)
		if (!ind) ind = n
		if (n == ind) {
			inagents = 0
			if (want == "bots") {
				sub(/[ \t]*:.*/, "", line); gsub(/"/, "", line); gsub(q, "", line)
				print line
			}
			next
		}
		if (want != "agents") next
		if (line ~ /^agents[ \t]*:/) {
			sub(/^agents[ \t]*:[ \t]*/, "", line); sub(/#.*/, "", line)
			if (line ~ /^\[/) {
				gsub(/[][ \t"]/, "", line); gsub(q, "", line)
				k = split(line, a, ",")
				for (i = 1; i <= k; i++) if (a[i] != "") print a[i]
			} else {
				inagents = 1
			}
			next
		}
		if (inagents && line ~ /^-/) {
			sub(/^-[ \t]*/, "", line); sub(/[ \t]*(#.*)?$/, "", line)
			gsub(/"/, "", line); gsub(q, "", line)
			if (line != "") print line
			next
		}
		inagents = 0
	}'
}

_git_credential_raxx()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i start=1 w action= sub=
	local actions="get store erase token exec setup doctor revoke status broker handoff audit help"
	local globals="--bot --agent --repo -q --quiet -v --verbose --help --version"

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# `git credential-raxx ...` too, where git's completion hands over
	for ((i = 0; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		*git-credential-raxx | credential-raxx) start=$((i + 1)) ;;
		esac
	done
	# --opt=value: bash splits at the =
	if [ "$cur" = "=" ]; then
		cur=
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	# the action is the first word after the global options and their values
	for ((i = start; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--bot | --agent | --repo)
			[ "${COMP_WORDS[i + 1]-}" = "=" ] && i=$((i + 1))
			i=$((i + 1))
			;;
		-* | =) ;;
		*)
			if [ -z "$action" ]; then
				action=$w
			elif [ -z "$sub" ]; then
				sub=$w
			fi
			;;
		esac
	done

	case $prev in
	--bot)
		COMPREPLY=($(compgen -W "$(_git_credential_raxx_names bots)" -- "$cur"))
		return
		;;
	--agent)
		COMPREPLY=($(compgen -W "$(_git_credential_raxx_names agents)" -- "$cur"))
		return
		;;
	--repo | --task-slug | --owner | --ttl-hours | --permissions | --max-time | --handoff)
		COMPREPLY=()
		return
		;;
	--shim | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac

	if [ -z "$action" ]; then
		case $cur in
		-*) COMPREPLY=($(compgen -W "$globals" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$actions" -- "$cur")) ;;
		esac
		return
	fi

	local opts=
	case $action in
	token) opts="--json --export" ;;
	exec)
		# after --, the command and its arguments
		for ((i = start; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = "--" ]; then
				if [ $i -eq $((COMP_CWORD - 1)) ]; then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					COMPREPLY=($(compgen -f -- "$cur"))
				fi
				return
			fi
		done
		opts="--gh --shim --keep-env --"
		;;
	setup) opts="--dry-run -n --undo --handoff" ;;
	doctor) opts="--json --quiet --ops --all --max-time" ;;
	status) opts="--json" ;;
	broker) opts="--socket" ;;
	help)
		[ -z "$sub" ] && COMPREPLY=($(compgen -W "$actions" -- "$cur"))
		return
		;;
	handoff)
		case $sub in
		'') COMPREPLY=($(compgen -W "provision verify revoke list attach detach" -- "$cur"))
			return ;;
		provision) opts="--task-slug --repo --owner --bot --ttl-hours --permissions" ;;
		verify | revoke) opts="--task-slug" ;;
		esac
		;;
	esac
	case $cur in
	-*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
	*) COMPREPLY=() ;;
	esac
}

complete -F _git_credential_raxx git-credential-raxx
