# broker.sh — the token broker in integration tests. Source after stack.sh
# and start_stack.
#
#   start_broker [VAR=VALUE...] [-- BROKER ARGS...]
#       run `git-credential-raxx broker` in the background with the vault
#       identity start_stack made (plus the assignments), its socket at
#       $BROKER_SOCK (in $TRASH/run: sock_dir), its stderr in $TRASH/broker.err;
#       waits until it answers. Call it outside test bodies (they run in
#       subshells). $BROKER_PID is its pid; stop_stack (and so test_done)
#       stops it with the fakes.
#   stop_broker [SIGNAL]   send SIGNAL (TERM), wait for the exit (from any
#                          subshell); its status in $TRASH/broker.rc
#   wait_broker            only wait for the exit (a signal sent already)
#   as_client [VAR=VALUE...] CMD...
#       CMD (a shell function too) with no vault identity (no INFISICAL_*,
#       no CF_ACCESS_*, no RAXX_OPERATOR_TOKEN), RAXX_BROKER_SOCKET=
#       $BROKER_SOCK and the assignments: an agent's shell

BROKER_SOCK="$(sock_dir run)/broker.sock"

start_broker() {
	_sb_env=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_sb_env="$_sb_env $1"
		shift
	done
	[ "${1:-}" = -- ] && shift
	rm -f "$TRASH/broker.pid" "$TRASH/broker.rc"
	# a subshell waits for the broker and keeps its exit status
	# shellcheck disable=SC2086
	(
		env $_sb_env RAXX_BROKER_SOCKET="$BROKER_SOCK" \
			"$RAXX" broker "$@" >>"$TRASH/broker.out" 2>>"$TRASH/broker.err" \
			</dev/null &
		echo $! >"$TRASH/broker.pid"
		wait $!
		echo $? >"$TRASH/broker.rc"
	) 3>&- 2>/dev/null &
	_sb_i=0
	while [ ! -s "$TRASH/broker.pid" ]; do
		_sb_i=$((_sb_i + 1))
		[ $_sb_i -gt 3000 ] && { echo "the broker did not start" >&2; return 1; }
		sleep 0.02
	done
	BROKER_PID=$(cat "$TRASH/broker.pid")
	echo "$BROKER_PID" >>"$FAKES/pids"
	_sb_i=0
	# probed as a client is: without the vault identity, so the probe
	# itself writes nothing to the cache directory
	while ! env -u INFISICAL_CLIENT_SECRET -u INFISICAL_CLIENT_SECRET_FILE \
		RAXX_BROKER_SOCKET="$BROKER_SOCK" "$RAXX" status >/dev/null 2>&1; do
		_sb_i=$((_sb_i + 1))
		if [ $_sb_i -gt 1200 ] || [ -e "$TRASH/broker.rc" ]; then
			echo "the broker did not start:" >&2
			cat "$TRASH/broker.err" >&2
			return 1
		fi
		sleep 0.05
	done
}

# broker_logged PATTERN: wait for the broker's stderr to hold a line
# matching PATTERN (grep's basic regexp). It logs a request once the
# answer is sent, so a client may be back before the line is written.
broker_logged() {
	wait_until grep -q "$1" "$TRASH/broker.err"
}

stop_broker() {
	kill -"${1:-TERM}" "$BROKER_PID" 2>/dev/null
	wait_broker
}

wait_broker() {
	_sb_i=0
	while [ ! -s "$TRASH/broker.rc" ]; do
		_sb_i=$((_sb_i + 1))
		[ $_sb_i -gt 600 ] && { echo "the broker did not stop" >&2; return 1; }
		sleep 0.05
	done
}

as_client() (
	unset INFISICAL_CLIENT_ID INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID \
		INFISICAL_HOST INFISICAL_CLIENT_SECRET_FILE CF_ACCESS_CLIENT_ID \
		CF_ACCESS_CLIENT_SECRET RAXX_OPERATOR_TOKEN
	export RAXX_BROKER_SOCKET="$BROKER_SOCK"
	while case $1 in *=*) true ;; *) false ;; esac; do export "$1"; shift; done
	"$@"
)
