#!/bin/sh
# The audit log: one JSON object a line for mint, reuse, fallback and
# fail (erase and revoke: t0420), fingerprints instead of tokens, rotation
# at 10 MiB, and a log that cannot be written never stops a token.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

LOG=$RAXX_STATE_DIR/audit.log
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }

# check_log FILE: every line a JSON object with exactly the documented
# fields, in order; prints the events
check_log() {
	python3 - "$1" <<'PY'
import json, re, sys
keys = ["time", "event", "bot", "agent", "host", "repo", "fingerprint",
        "expires_at", "pid", "reason"]
for n, line in enumerate(open(sys.argv[1], encoding="ascii"), 1):
    d = json.loads(line)
    assert list(d) == keys, (n, list(d))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["time"]), d
    assert d["event"] in ("mint", "reuse", "fallback", "erase", "revoke", "fail"), d
    assert isinstance(d["pid"], int) and d["pid"] > 0, d
    fp = d["fingerprint"]
    assert fp is None or re.fullmatch(r"[0-9a-f]{12}", fp), d
    print(d["event"])
PY
}
# field EVENT KEY: KEY of the last EVENT line
field() { json_lines "$LOG" --last -p "$2" "event=$1"; }

test_expect_success 'a mint and a reuse are logged, with the token fingerprint' '
	dev token >out.1 &&
	dev token >out.2 &&
	check_log "$LOG" >events &&
	printf "mint\nreuse\n" >expect &&
	test_cmp expect events &&
	test "$(field mint fingerprint)" = "$(token_fp "$(cat out.1)")" &&
	test "$(field reuse fingerprint)" = "$(token_fp "$(cat out.1)")" &&
	test "$(field mint bot)" = raxx-dev-bot &&
	test "$(field mint host)" = "$RAXX_GITHUB_HOST" &&
	test "$(field mint reason)" = null &&
	dev token --json >out.json &&
	grep "\"expires_at\":\"$(field mint expires_at)\"" out.json
'

test_expect_success 'the log is private and holds no token' '
	test "$(file_mode "$RAXX_STATE_DIR")" = 700 &&
	test "$(file_mode "$LOG")" = 600 &&
	test_grep ! -F "$(cat out.1)" "$LOG" &&
	test_grep ! "ghs_" "$LOG"
'

test_expect_success 'agent and repository are recorded' '
	cat >map.yaml <<-\EOF &&
	bots:
	  raxx-dev-bot:
	    agents: [feature-developer]
	    permissions: {contents: write}
	EOF
	RAXX_BOT_MAP="$TRASH/map.yaml" git-credential-raxx --agent feature-developer \
		--repo raxx-app/demo token >out.agent &&
	test "$(field mint agent)" = feature-developer &&
	test "$(field mint repo)" = raxx-app/demo &&
	test "$(field mint bot)" = raxx-dev-bot
'

test_expect_success 'a failed mint is logged with its reason' '
	rm -rf "$RAXX_CACHE_DIR" &&
	fake_set github behavior.access_tokens -s 500 &&
	test_when_finished "fake_reset github behavior" &&
	test_expect_code 6 dev token 2>err &&
	test "$(json_lines "$LOG" --last -p event)" = fail &&
	field fail reason | grep "GitHub failed to mint a token for raxx-dev-bot" &&
	test "$(field fail fingerprint)" = null
'

test_expect_success 'the operator-token fallback is logged, never the token itself' '
	pat="ghp_auditfallback$(random_secret)" && set_operator_pat "$pat" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	fake_set github behavior.access_tokens -s 500 &&
	test_when_finished "fake_reset github behavior" &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		RAXX_OPERATOR_TOKEN="$pat" dev get >out.pat 2>err.pat &&
	grep "^password=$pat$" out.pat &&
	tail -n 2 "$LOG" >last2 && check_log last2 >events &&
	printf "fail\nfallback\n" >expect &&
	test_cmp expect events &&
	test "$(field fallback fingerprint)" = "$(token_fp "$pat")" &&
	field fallback reason | grep "RAXX_FALLBACK=pat" &&
	test_grep ! -F "$pat" "$LOG"
'

test_expect_success 'quotes, backslashes and control characters are escaped' '
	test_expect_code 6 env RAXX_GITHUB_API="https://127.0.0.1:1/a\"b\\c	d" \
		git-credential-raxx --bot raxx-dev-bot token 2>err &&
	check_log "$LOG" >/dev/null &&
	field fail reason >reason &&
	grep -F "a\"b\\c" reason
'

test_expect_success 'concurrent writers leave whole lines' '
	dev token >/dev/null &&
	before=$(wc -l <"$LOG") &&
	i=0 && pids= &&
	while [ $i -lt 12 ]; do
		dev token >/dev/null &
		pids="$pids $!" && i=$((i + 1))
	done &&
	for p in $pids; do wait $p || exit 1; done &&
	check_log "$LOG" >events &&
	test "$(wc -l <"$LOG")" = "$((before + 12))"
'

test_expect_success 'the log is rotated to audit.log.1 at 10 MiB' '
	python3 -c "
import sys
line = open(sys.argv[1]).readline()
with open(sys.argv[1], \"a\") as f:
    while f.tell() < 10 * 1024 * 1024:
        f.write(line)
" "$LOG" &&
	size=$(wc -c <"$LOG") &&
	dev token >/dev/null &&
	test "$(wc -c <"$LOG.1")" = "$size" &&
	test_line_count = 1 "$LOG" &&
	check_log "$LOG" >events && echo reuse >expect && test_cmp expect events &&
	test "$(file_mode "$LOG")" = 600 &&
	dev token >/dev/null &&
	test_line_count = 2 "$LOG" &&
	test "$(wc -c <"$LOG.1")" = "$size"
'

test_expect_success 'a state directory that cannot be used: the token comes anyway, one warning' '
	: >not-a-dir &&
	RAXX_STATE_DIR="$TRASH/not-a-dir/state" dev token >out.nostate 2>err.nostate &&
	grep "^ghs_" out.nostate &&
	test_line_count = 1 err.nostate &&
	test_grep "audit log in .* cannot be written" err.nostate &&
	mkdir -m 755 open-state &&
	RAXX_STATE_DIR="$TRASH/open-state" dev token >out.open 2>err.open &&
	grep "^ghs_" out.open &&
	test_grep "open to group or others" err.open &&
	test ! -e open-state/audit.log
'

test_expect_success 'a symlink in place of the log is refused' '
	mkdir -m 700 st && : >elsewhere && ln -s "$TRASH/elsewhere" st/audit.log &&
	RAXX_STATE_DIR="$TRASH/st" dev token >out.symlog 2>err.symlog &&
	grep "^ghs_" out.symlog &&
	test_grep "symbolic link" err.symlog &&
	test_must_be_empty elsewhere
'

test_secrets_never_leak
test_done
