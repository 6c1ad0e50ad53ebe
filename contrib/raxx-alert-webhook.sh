#!/bin/sh
# raxx-alert-webhook.sh — post a report read on stdin to a chat webhook
# (Slack incoming webhook, Discord webhook, or anything that takes the same
# JSON), with curl. Made to be the alert command of raxx-doctor-alert.sh:
#
#   RAXX_ALERT_CMD=raxx-alert-webhook.sh raxx-doctor-alert.sh --bot raxx-ops-bot -- --ops
#
# and of the GitHub Actions workflow in contrib/github-actions/.
#
# Environment:
#   RAXX_ALERT_WEBHOOK_URL     the webhook URL (https:// only). It is a
#                              secret (whoever has it can post): keep it in
#                              the doctor.env file (0600) or a CI secret. This
#                              script never prints it, and hands it to curl
#                              on stdin, not on its command line.
#   RAXX_ALERT_WEBHOOK_FORMAT  slack ({"text": ...}) or discord
#                              ({"content": ...}); default: discord for a
#                              discord.com/api/webhooks/ URL, else slack.
#
# The first line of the report becomes the message's first line, the rest
# a code block. Long reports are cut at whole lines (Discord takes 2000
# characters, Slack about 40000). Exit status: 0 posted; 1 the post failed
# (curl's exit status and the HTTP status are printed, never the URL); 78
# no usable RAXX_ALERT_WEBHOOK_URL.
set -u

me=raxx-alert-webhook
url=${RAXX_ALERT_WEBHOOK_URL:-}
case $url in
https://*) ;;
"")
	echo "$me: RAXX_ALERT_WEBHOOK_URL is not set: nothing posted" >&2
	exit 78 ;;
*)
	echo "$me: RAXX_ALERT_WEBHOOK_URL must be an https:// URL: nothing posted" >&2
	exit 78 ;;
esac
case $url in
*[\"\\\ ]*|*"
"*)
	echo "$me: RAXX_ALERT_WEBHOOK_URL holds a quote, a backslash or a space: nothing posted" >&2
	exit 78 ;;
esac

format=${RAXX_ALERT_WEBHOOK_FORMAT:-auto}
if [ "$format" = auto ]; then
	case $url in
	https://discord.com/api/webhooks/* | https://*.discord.com/api/webhooks/* | \
	https://discordapp.com/api/webhooks/*) format=discord ;;
	*) format=slack ;;
	esac
fi
case $format in
slack) key=text limit=39000 ;;
discord) key=content limit=1900 ;;
*)
	echo "$me: RAXX_ALERT_WEBHOOK_FORMAT must be slack, discord or auto" >&2
	exit 78 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/raxx-alert.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' INT TERM HUP

# The report as one JSON string: whole lines up to the limit, the first
# line apart, the rest in a code block; quotes, backslashes and control
# characters escaped.
LC_ALL=C awk -v key="$key" -v limit="$limit" '
function esc(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") out = out "\\\\"
		else if (c == "\"") out = out "\\\""
		else if (c in ctl) out = out ctl[c]
		else out = out c
	}
	return out
}
BEGIN {
	for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
	used = 0; cut = 0; n = 0
}
{
	if (cut) next
	if (used + length($0) + 1 > limit) { cut = 1; next }
	used += length($0) + 1
	line[++n] = $0
}
END {
	if (n == 0) line[++n] = "git-credential-raxx doctor: (an empty report)"
	body = esc(line[1])
	if (n > 1 || cut) {
		body = body "\\n```\\n"
		for (i = 2; i <= n; i++) body = body esc(line[i]) "\\n"
		if (cut) body = body "[... cut: the report is longer]\\n"
		body = body "```"
	}
	printf "{\"%s\":\"%s\"}\n", key, body
}' >"$tmp/payload" || exit 1

# -q: no ~/.curlrc (a --verbose there would print the URL); the URL comes
# in a config on stdin; curl's own messages are dropped, since some name
# the URL; the answer goes to a file (a retry truncates it: not /dev/null).
code=$(printf 'url = "%s"\n' "$url" |
	curl -q --silent --config - --proto =https --max-time 20 \
		--retry 2 --retry-max-time 30 --output "$tmp/answer" \
		--write-out '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$tmp/payload" 2>/dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ "${code:-000}" -lt 200 ] || [ "${code:-000}" -ge 300 ]; then
	echo "$me: posting to the webhook failed (curl exit $rc, HTTP ${code:-000}): check RAXX_ALERT_WEBHOOK_URL and the chat service" >&2
	exit 1
fi
exit 0
