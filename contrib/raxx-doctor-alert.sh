#!/bin/sh
# raxx-doctor-alert.sh — run `git-credential-raxx doctor --quiet` and, when a
# check FAILs, hand the report to an alert command. Made for cron, launchd
# and systemd timers (contrib/cron, contrib/launchd, contrib/systemd).
#
#   raxx-doctor-alert.sh [GLOBAL OPTION...] [-- DOCTOR OPTION...]
#   e.g. raxx-doctor-alert.sh --bot raxx-ops-bot -- --ops
#
# Environment:
#   RAXX_ALERT_CMD   shell command run when doctor fails, with the report on
#                    stdin and RAXX_DOCTOR_STATUS (doctor's exit status) and
#                    RAXX_DOCTOR_HOST set, e.g.
#                      mail -s "raxx doctor FAIL" you@example.com
#                      raxx-alert-webhook.sh   (a Slack or Discord webhook:
#                        RAXX_ALERT_WEBHOOK_URL in the environment file)
#                    Unset: the report goes to stderr (cron mails it, launchd
#                    and journald keep it).
#   RAXX_DOCTOR_ENV  a file of `export NAME=value` lines sourced first
#                    (default ~/.config/git-credential-raxx/doctor.env):
#                    schedulers start with an almost empty environment. It
#                    holds the vault identity, so it must be yours and closed
#                    to group and others, or it is refused.
#   RAXX_PROGRAM     the program (default: git-credential-raxx in PATH)
#
# Exit status: doctor's (0: nothing failed, 1: a check failed, 64: usage;
# 78 when RAXX_DOCTOR_ENV is refused). doctor never prints a secret, so the
# report is safe to send.
set -u

env_file=${RAXX_DOCTOR_ENV:-${HOME:-/nonexistent}/.config/git-credential-raxx/doctor.env}
if [ -f "$env_file" ]; then
	if [ ! -O "$env_file" ] ||
	   [ -n "$(find "$env_file" -prune \( -perm -004 -o -perm -040 \) -print)" ]; then
		echo "raxx-doctor-alert: refusing $env_file: not yours, or readable by others (chmod 600 it)" >&2
		exit 78
	fi
	# shellcheck disable=SC1090
	. "$env_file"
fi

prog=${RAXX_PROGRAM:-git-credential-raxx}

# "$@" is GLOBAL... [-- DOCTOR...]: rebuild it as GLOBAL... doctor --quiet DOCTOR...
n=$# i=0 seen=
while [ "$i" -lt "$n" ]; do
	a=$1
	shift
	i=$((i + 1))
	if [ -z "$seen" ] && [ "$a" = -- ]; then
		set -- "$@" doctor --quiet
		seen=1
	else
		set -- "$@" "$a"
	fi
done
[ -n "$seen" ] || set -- "$@" doctor --quiet

report=$("$prog" "$@" 2>&1)
status=$?
[ "$status" -eq 0 ] && exit 0

host=$(hostname 2>/dev/null || uname -n)
if [ -n "${RAXX_ALERT_CMD:-}" ]; then
	printf 'git-credential-raxx doctor on %s: exit %s\n%s\n' "$host" "$status" "$report" |
		RAXX_DOCTOR_STATUS=$status RAXX_DOCTOR_HOST=$host sh -c "$RAXX_ALERT_CMD"
	rc=$?
	[ "$rc" -eq 0 ] || echo "raxx-doctor-alert: the alert command failed (exit $rc)" >&2
else
	printf 'git-credential-raxx doctor on %s: exit %s\n%s\n' "$host" "$status" "$report" >&2
fi
exit "$status"
