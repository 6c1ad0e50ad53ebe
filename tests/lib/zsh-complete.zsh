# zsh -f tests/lib/zsh-complete.zsh FPATH-DIR 'COMMAND LINE': the matches
# zsh's completion system offers at the end of the line, one a line.
#
# Runs an interactive zsh on a pseudo-terminal (zsh/zpty), loads the
# completion functions from FPATH-DIR, types the line and a TAB, and reads
# what compadd was given, between two marks printed before and after the
# completion. compadd is wrapped to print each match it accepted.
zmodload zsh/zpty || exit 77
zpty raxx zsh -f -i
zpty -w raxx "PROMPT=; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
# the mark is built at run time, so that the echoed input never holds it
zpty -w raxx 'mark() { local m=QX; print -rn -- $'"'"'\n'"'"'${m}MARK${m}$'"'"'\n'"'"' }; compprefuncs=(mark); comppostfuncs=(mark exit)'
zpty -w raxx 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a _h; builtin compadd -A _h "$@"; (( $#_h )) && print -rl -- "" $_h }'
zpty -w raxx 'bindkey "^I" complete-word; bindkey "^M" undefined-key; bindkey "^J" undefined-key'
zpty -w raxx "$2"$'\t'
out=
integer idle=0
while (( idle < 200 )); do	# 10 s without output: give up
	if zpty -rt raxx chunk; then
		out+=$chunk
		idle=0
	else
		zpty -t raxx || break
		sleep 0.05
		(( idle++ ))
	fi
done
zpty -d raxx 2>/dev/null
out=${out//$'\r'/}
parts=("${(@s:QXMARKQX:)out}")
(( $#parts >= 3 )) || { print -u2 "no completion ran: $out"; exit 1 }
print -r -- "${parts[2]}" | sed '/^$/d'
