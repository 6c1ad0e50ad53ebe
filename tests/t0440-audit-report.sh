#!/bin/sh
# `audit [--since DURATION] [--json]`: the audit log as a table per bot,
# counting what this test did (mints, reuses, a vault outage's failed mint
# and fallback, a revoke), the rotated log too; malformed lines skipped and
# mentioned; outside text sanitized.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

LOG=$RAXX_STATE_DIR/audit.log
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }
ops() { git-credential-raxx --bot raxx-ops-bot "$@"; }
# count BOT EVENT: from audit --json in audit.json ("total" for the totals)
count() {
	if [ "$1" = total ]; then
		json_get audit.json "total.$2"
	else
		json_get audit.json "bots.bot=$1.$2" 2>/dev/null || echo 0
	fi
}
# append_line TIME EVENT BOT REASON: a line as audit.c writes it
append_line() {
	printf '{"time":"%s","event":"%s","bot":"%s","agent":null,"host":"github.com","repo":null,"fingerprint":null,"expires_at":null,"pid":1,"reason":%s}\n' \
		"$1" "$2" "$3" "$4" >>"$LOG"
}

test_expect_success 'no audit log yet: said so, exit 0' '
	git-credential-raxx audit >out.none &&
	test_grep "^no audit log in $RAXX_STATE_DIR yet$" out.none &&
	git-credential-raxx audit --json >audit.json &&
	test "$(count total mint)" = 0
'

test_expect_success 'what the test does: mints, a reuse, a vault outage, a revoke' '
	dev token >out.dev1 &&
	dev token >out.dev2 &&
	ops token >out.ops1 &&
	test "$(cat out.dev1)" = "$(cat out.dev2)" &&
	pat="ghp_auditreport$(random_secret)" && set_operator_pat "$pat" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	fake_set vault behavior.login -s 503 &&
	test_when_finished "fake_reset vault behavior" &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$pat" dev get >out.pat 2>err.pat &&
	fake_reset vault behavior &&
	grep -q "^password=$pat$" out.pat &&
	test_grep "falling back to the operator token" err.pat &&
	ops token >out.ops2 &&
	ops revoke 2>err.revoke
'

test_expect_success 'audit --since 1h: the counts are what the test did' '
	git-credential-raxx audit --since 1h --json >audit.json &&
	test "$(count raxx-dev-bot mint)" = 1 &&
	test "$(count raxx-dev-bot reuse)" = 1 &&
	test "$(count raxx-dev-bot fail)" = 1 &&
	test "$(count raxx-dev-bot fallback)" = 1 &&
	test "$(count raxx-dev-bot revoke)" = 0 &&
	test "$(count raxx-ops-bot mint)" = 2 &&
	test "$(count raxx-ops-bot revoke)" = 1 &&
	test "$(count raxx-ops-bot fallback)" = 0 &&
	test "$(count total mint)" = 3 &&
	test "$(count total fallback)" = 1 &&
	test "$(json_get audit.json bots.0.bot bots.1.bot bots.1.last_failure malformed files)" = \
		"raxx-dev-bot raxx-ops-bot null 0 1" &&
	! json_get audit.json bots.2 2>/dev/null &&
	json_get audit.json bots.0.last_failure.time | grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" &&
	json_get audit.json bots.0.last_failure.reason | grep "vault" | grep 503 &&
	json_get audit.json since until | grep -E "^[0-9T:-]+Z [0-9T:-]+Z$"
'

test_expect_success 'the table: one row per bot, the totals, the last failure'"'"'s reason' '
	git-credential-raxx audit --since 1h >out.table &&
	head -n 1 out.table >first &&
	test_grep "^audit log in $RAXX_STATE_DIR, the last 1h (since [0-9T:-]*Z)$" first &&
	test_grep "^bot  *mints  reuses  fallbacks  failures  revokes  last failure$" out.table &&
	test_grep "^raxx-dev-bot  *1  *1  *1  *1  *0  [0-9T:-]*Z vault.*503" out.table &&
	test_grep "^raxx-ops-bot  *2  *0  *0  *0  *1  -$" out.table &&
	test_grep "^total  *3  *1  *1  *1  *1$" out.table
'

test_expect_success '--since leaves out what is older; without it, everything counts' '
	append_line "$(ago 7200)" fallback raxx-ops-bot "\"two hours ago\"" &&
	append_line "$(ago 7200)" mint raxx-pm-bot null &&
	git-credential-raxx audit --since 1h --json >audit.json &&
	test "$(count raxx-ops-bot fallback)" = 0 &&
	test "$(count raxx-pm-bot mint)" = 0 &&
	git-credential-raxx audit --since=3h --json >audit.json &&
	test "$(count raxx-ops-bot fallback)" = 1 &&
	git-credential-raxx audit --json >audit.json &&
	test "$(count raxx-pm-bot mint)" = 1 &&
	test "$(json_get audit.json since)" = null &&
	git-credential-raxx audit --since 5400 >out.secs &&
	test_grep "the last 5400 (since" out.secs
'

test_expect_success 'the rotated log (audit.log.1) is read too' '
	mv "$LOG" "$LOG.1" &&
	dev token >out.dev3 &&
	git-credential-raxx audit --since 1h --json >audit.json &&
	test "$(count raxx-dev-bot mint)" = 2 &&
	test "$(count raxx-dev-bot fallback)" = 1 &&
	test "$(json_get audit.json files)" = 2
'

test_expect_success 'malformed lines are skipped, counted and mentioned, never fatal' '
	echo "not json" >>"$LOG" &&
	printf "{\"time\":\"%s\",\"event\":\"mi\n" "$(ago 10)" >>"$LOG" &&
	append_line "$(ago 10)" teleport raxx-dev-bot null &&
	git-credential-raxx audit --since 1h >out.bad &&
	test_grep "^skipped 2 malformed lines, 1 line with an event this version does not know$" out.bad &&
	test_grep "^raxx-dev-bot  *2 " out.bad &&
	git-credential-raxx audit --since 1h --json >audit.json &&
	test "$(json_get audit.json malformed unknown)" = "2 1"
'

test_expect_success 'outside text is sanitized: control characters in a bot or a reason' '
	append_line "$(ago 5)" fail "raxx-\\u001b[31mevil" "\"bad\\u001b]0;title\\u0007 news\"" &&
	git-credential-raxx audit --since 1h >out.esc &&
	test_grep "^raxx-?\[31mevil  *0  *0  *0  *1  *0  [0-9T:-]*Z bad?\]0;title? news$" out.esc &&
	! grep -q "$(printf "\033")" out.esc &&
	git-credential-raxx audit --since 1h --json >audit.json &&
	! grep -q "u001b" audit.json &&
	json_get -k audit.json >/dev/null
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 git-credential-raxx audit --since 2>err &&
	test_grep "option .--since. needs a value" err &&
	test_expect_code 64 git-credential-raxx audit --since 1y 2>err &&
	test_grep "not a duration" err &&
	test_expect_code 64 git-credential-raxx audit --since -1h 2>err &&
	test_expect_code 64 git-credential-raxx audit --bogus 2>err &&
	test_grep "unknown option .--bogus." err &&
	esc=$(printf "\033") &&
	test_expect_code 64 git-credential-raxx audit "--x${esc}]0;t${esc}[31m" 2>err &&
	test_grep "unknown option .--x?]0;t?\[31m." err &&
	! grep -q "$esc" err &&
	git-credential-raxx help audit >help &&
	test_grep -e "--since DURATION" help &&
	git-credential-raxx --help >help &&
	test_grep "^  audit \[--since DURATION\] \[--json\]$" help
'

test_expect_success 'a symlinked log is refused: the rest is counted, exit 1' '
	mv "$LOG" "$TRASH/elsewhere.log" &&
	ln -s "$TRASH/elsewhere.log" "$LOG" &&
	test_when_finished "rm -f \"$LOG\"; mv \"$TRASH/elsewhere.log\" \"$LOG\"" &&
	test_expect_code 1 git-credential-raxx audit --since 1h >out.sym 2>err.sym &&
	test_grep "audit.log is a symbolic link, refused" err.sym &&
	test_grep "^raxx-dev-bot  *1 " out.sym
'

test_secrets_never_leak
test_done
