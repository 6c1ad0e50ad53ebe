# fish completion for git-credential-raxx(1)
#
# `make install` puts it in $(FISHCOMPDIR); or copy it to
# ~/.config/fish/completions/.
#
# --bot and --agent complete from the trusted agent map, read as the
# program reads it: $RAXX_BOT_MAP, else `git config raxx.botMap`, else the
# map committed at raxx.trustedRef (default refs/remotes/origin/HEAD).
# Never the working-tree copy: it may say what an agent wants it to say.

function __git_credential_raxx_map
    if test -n "$RAXX_BOT_MAP"
        cat -- $RAXX_BOT_MAP 2>/dev/null
        return
    end
    set -l f (git config --get raxx.botMap 2>/dev/null)
    if test -n "$f"
        cat -- $f 2>/dev/null
        return
    end
    set -l ref (git config --get raxx.trustedRef 2>/dev/null)
    if test -z "$ref"; or string match -q -- '-*' $ref
        set ref refs/remotes/origin/HEAD
    end
    git show "$ref:scripts/agents/agent_bot_map.yaml" 2>/dev/null
end

# __git_credential_raxx_names bots|agents: the keys under `bots:`, or the
# entries of their `agents:` lists (flow [a, b] or block "- a" lines).
function __git_credential_raxx_names
    __git_credential_raxx_map | awk -v want=$argv[1] -v q="'" '
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
end

# The action (and for handoff, its subcommand): the first words after the
# global options and their values.
function __git_credential_raxx_words
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --bot --agent --repo
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end

function __git_credential_raxx_no_action
    set -l w (__git_credential_raxx_words)
    test (count $w) -eq 0
end

# __git_credential_raxx_action ACTION [SUB]
function __git_credential_raxx_action
    set -l w (__git_credential_raxx_words)
    test "$w[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; and return 0
    test "$w[2]" = "$argv[2]"
end

set -l c git-credential-raxx
set -l n __git_credential_raxx_no_action
complete -c $c -f

# global options, before the action
complete -c $c -n $n -l bot -x -a '(__git_credential_raxx_names bots)' -d 'Act as this bot'
complete -c $c -n $n -l agent -x -a '(__git_credential_raxx_names agents)' -d 'The agent, looked up in the trusted agent map'
complete -c $c -n $n -l repo -x -d 'Narrow the token to one repository (OWNER/REPO)'
complete -c $c -n $n -s q -l quiet -d 'Print only errors and warnings'
complete -c $c -n $n -s v -l verbose -d 'Say what was decided; twice, trace each step'
complete -c $c -n $n -l help -d 'Print the usage'
complete -c $c -n $n -l version -d 'Print the version'

# the actions
complete -c $c -n $n -a get -d 'Answer git with the bot\'s token'
complete -c $c -n $n -a store -d 'Change nothing (credential protocol)'
complete -c $c -n $n -a erase -d 'Drop the cached token git rejected'
complete -c $c -n $n -a token -d 'Print the bot\'s token'
complete -c $c -n $n -a exec -d 'Run a command with the bot\'s token'
complete -c $c -n $n -a setup -d 'Make this worktree the bot\'s'
complete -c $c -n $n -a doctor -d 'Check the whole chain'
complete -c $c -n $n -a revoke -d 'Revoke the bot\'s cached tokens'
complete -c $c -n $n -a status -d 'The bot, helper and cached token, without network'
complete -c $c -n $n -a broker -d 'Run the token broker'
complete -c $c -n $n -a handoff -d 'Least-privilege identities for unattended agents'
complete -c $c -n $n -a audit -d 'The audit log'
complete -c $c -n $n -a help -d 'Usage of an action'

# the actions' own options
complete -c $c -n '__git_credential_raxx_action token' -l json -d 'Print token, expires_at, bot and source'
complete -c $c -n '__git_credential_raxx_action token' -l export -d 'Print export lines for eval'
complete -c $c -n '__git_credential_raxx_action exec' -l gh -d 'Run the real gh'
complete -c $c -n '__git_credential_raxx_action exec' -l shim -r -F -d 'The gh shim\'s own path'
complete -c $c -n '__git_credential_raxx_action exec' -l keep-env -d 'Keep the vault identity in the environment'
complete -c $c -n '__git_credential_raxx_action setup' -s n -l dry-run -d 'Print what would change'
complete -c $c -n '__git_credential_raxx_action setup' -l undo -d 'Remove what setup set'
complete -c $c -n '__git_credential_raxx_action setup' -l handoff -x -d 'A handoff worktree (SLUG)'
complete -c $c -n '__git_credential_raxx_action doctor' -l json -d 'One JSON object'
complete -c $c -n '__git_credential_raxx_action doctor' -l quiet -d 'Only the FAIL lines'
complete -c $c -n '__git_credential_raxx_action doctor' -l ops -d 'Also the operator credentials'
complete -c $c -n '__git_credential_raxx_action doctor' -l all -d 'Every bot of the trusted map'
complete -c $c -n '__git_credential_raxx_action doctor' -l max-time -x -d 'Each check\'s network deadline (seconds)'
complete -c $c -n '__git_credential_raxx_action status' -l json -d 'One JSON object'
complete -c $c -n '__git_credential_raxx_action broker' -l socket -r -F -d 'The socket'
complete -c $c -n '__git_credential_raxx_action help; and test (count (__git_credential_raxx_words)) -lt 2' \
    -a 'get store erase token exec setup doctor revoke status broker handoff audit help'
complete -c $c -n '__git_credential_raxx_action handoff; and test (count (__git_credential_raxx_words)) -lt 2' \
    -a 'provision verify revoke list attach detach'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l task-slug -x -d 'The task slug'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l repo -x -d 'OWNER/REPO'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l owner -x -d 'The owner'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l bot -x -a '(__git_credential_raxx_names bots)' -d 'The bot'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l ttl-hours -x -d '1 to 24'
complete -c $c -n '__git_credential_raxx_action handoff provision' -l permissions -x -d 'NAME:LEVEL,...'
complete -c $c -n '__git_credential_raxx_action handoff verify; or __git_credential_raxx_action handoff revoke' -l task-slug -x -d 'The task slug'
