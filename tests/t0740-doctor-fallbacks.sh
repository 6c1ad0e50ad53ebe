#!/bin/sh
# doctor's fallbacks check: a vault outage makes `get` fall back to the
# operator's PAT; the next doctor run, healthy otherwise, FAILs naming how
# many, which bots, when and why, and exits 1 (so the scheduled run
# alerts); the run after it passes, and only new events FAIL again.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
LOG=$RAXX_STATE_DIR/audit.log
STAMP=$RAXX_STATE_DIR/doctor.last-pass
ISO='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z'
PAT="ghp_fallbacks$(random_secret)"
set_operator_pat "$PAT"

doctor_in() {
	_d=$1
	shift
	(cd "$_d" && git-credential-raxx "$@" doctor $DOCTOR_OPTS) >doctor.out 2>doctor.err
	echo $? >doctor.rc
	cat doctor.out
}
DOCTOR_OPTS=
line() { grep "^\[$1\] $2 " doctor.out; }
rc_is() { test "$(cat doctor.rc)" = "$1" || { echo "exit $(cat doctor.rc), want $1"; cat doctor.err; false; }; }
vault_down() { fake_set vault behavior.login -s 503; }
vault_up() { fake_reset vault behavior; }
# outage_get BOT [ENV...]: git's credential request while the vault
# answers 503, with a cold cache; the answer in out.get, stderr in err.get
outage_get() {
	_bot=$1
	shift
	rm -rf "$RAXX_CACHE_DIR"
	vault_down || return 1
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		env "$@" git-credential-raxx --bot "$_bot" get >out.get 2>err.get
	vault_up
}
stamp_time() { cut -d" " -f1 "$STAMP"; }
# every check but fallbacks as a healthy worktree has them
others_healthy() {
	for c in infisical-env vault-login bot bot-secrets app-key installation mint \
		fallback cache-dir state-dir clock author helper-chain
	do
		line PASS "$c" >/dev/null || { echo "$c is not PASS"; cat doctor.out; return 1; }
	done
}

test_expect_success 'setup: a worktree that is the bot'"'"'s' '
	git init -q -b main wt &&
	git -C wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C wt config raxx.bot raxx-dev-bot &&
	git -C wt config user.name "raxx-dev-bot[bot]" &&
	git -C wt config user.email "190001+raxx-dev-bot[bot]@users.noreply.127.0.0.1" &&
	git -C wt remote add origin "$GIT_URL/raxx-app/demo.git"
'

test_expect_success 'no audit log yet: fallbacks PASS, after fallback; the passing run is recorded' '
	doctor_in wt &&
	rc_is 0 &&
	line PASS fallbacks &&
	test_grep "no audit log in $RAXX_STATE_DIR yet" doctor.out &&
	grep -n "^\[" doctor.out | grep -A1 "\] fallback " | tail -n 1 | grep -q "\] fallbacks " &&
	test_grep "^doctor: 14 PASS, 1 WARN, 0 FAIL, 1 SKIP$" doctor.out &&
	grep -q "^$ISO 0$" "$STAMP" &&
	test "$(file_mode "$STAMP")" = 600
'

test_expect_success 'a vault 503: get falls back to the operator PAT (an outage)' '
	outage_get raxx-dev-bot RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$PAT" &&
	grep -q "^password=$PAT$" out.get &&
	test_grep "falling back to the operator token" err.get &&
	tail -n 2 "$LOG" | grep -c "\"event\":\"fail\"\|\"event\":\"fallback\"" | grep -qx 2
'

test_expect_success 'then a healthy doctor exits 1: FAIL fallbacks, how many, which bot, when, why' '
	before=$(stamp_time) &&
	doctor_in wt &&
	rc_is 1 &&
	others_healthy &&
	line FAIL fallbacks &&
	test_grep "^doctor: 13 PASS, 1 WARN, 1 FAIL, 1 SKIP$" doctor.out &&
	test_grep "fallbacks        1 fallback (not the bot.s token) and 1 failed mint since the last passing doctor run ($before), by raxx-dev-bot; first $ISO, last $ISO (a fallback); last reason: vault login failed: HTTP 503" doctor.out &&
	test_grep "(then: RAXX_FALLBACK=pat: the operator token)$" doctor.out &&
	test_grep "fix: git-credential-raxx audit --since [0-9]*m shows them per bot" doctor.out &&
	! grep -F "$PAT" doctor.out doctor.err
'

test_expect_success 'the run after it passes: that run was healthy but for what it reported' '
	reported=$(stamp_time) &&
	doctor_in wt &&
	rc_is 0 &&
	line PASS fallbacks &&
	test_grep "no fallback and no failed mint since the last passing doctor run ($reported)" doctor.out
'

test_expect_success 'a failed mint alone (RAXX_FALLBACK=deny) FAILs too, and only the new one counts' '
	outage_get raxx-ops-bot RAXX_FALLBACK=deny &&
	test_grep "^quit=1$" out.get &&
	doctor_in wt &&
	rc_is 1 &&
	line FAIL fallbacks &&
	test_grep "fallbacks        1 failed mint since the last passing doctor run ($ISO), by raxx-ops-bot; first $ISO, last $ISO (a failed mint); last reason: vault login failed: HTTP 503" doctor.out &&
	! grep "raxx-dev-bot;" doctor.out
'

test_expect_success 'events stay in the window while other checks fail; then one healthy run reports them once' '
	doctor_in wt >/dev/null && rc_is 0 &&
	stamp=$(stamp_time) &&
	outage_get raxx-dev-bot RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$PAT" &&
	(RAXX_FALLBACK=sometimes && export RAXX_FALLBACK && doctor_in wt >/dev/null) &&
	rc_is 1 && line FAIL fallback && line FAIL fallbacks &&
	test "$(stamp_time)" = "$stamp" &&
	doctor_in wt &&
	rc_is 1 && line FAIL fallbacks &&
	test_grep "since the last passing doctor run ($stamp)" doctor.out &&
	doctor_in wt &&
	rc_is 0 && line PASS fallbacks
'

test_expect_success '--json: the check, its fix, and last_pass' '
	outage_get raxx-dev-bot RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$PAT" &&
	stamp=$(stamp_time) &&
	DOCTOR_OPTS=--json doctor_in wt >/dev/null &&
	rc_is 1 &&
	python3 - doctor.out "$stamp" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	names = [c["name"] for c in d["checks"]]
	assert names.index("fallbacks") == names.index("fallback") + 1, names
	fb = [c for c in d["checks"] if c["name"] == "fallbacks"][0]
	assert fb["status"] == "FAIL" and "1 fallback" in fb["detail"], fb
	assert fb["fix"].startswith("git-credential-raxx audit --since "), fb
	assert d["last_pass"] == sys.argv[2] and d["exit"] == 1 and d["fail"] == 1, d
	EOF
'

test_expect_success 'the scheduled run alerts: --quiet prints the FAIL, the wrapper hands it on' '
	outage_get raxx-ops-bot RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$PAT" &&
	(cd wt && RAXX_ALERT_CMD="cat >\"$TRASH/alert.txt\"" \
		test_expect_code 1 "$TEST_DIR/../contrib/raxx-doctor-alert.sh" --bot raxx-dev-bot) &&
	test_grep "^\[FAIL\] fallbacks        1 fallback" alert.txt &&
	test_grep "by raxx-ops-bot" alert.txt &&
	! grep "^\[PASS\]" alert.txt &&
	! grep -F "$PAT" alert.txt
'

test_expect_success 'no passing run recorded: the last 24 h, the rotated log included' '
	mkdir -m 700 st24 &&
	printf "{\"time\":\"%s\",\"event\":\"fallback\",\"bot\":\"raxx-pm-bot\",\"pid\":1,\"reason\":\"old\"}\n" "$(ago 90000)" >st24/audit.log.1 &&
	printf "{\"time\":\"%s\",\"event\":\"fail\",\"bot\":\"raxx-blr-bot\",\"pid\":2,\"reason\":\"recent\"}\n" "$(ago 3600)" >>st24/audit.log.1 &&
	echo "not json" >st24/audit.log &&
	chmod 600 st24/* &&
	RAXX_STATE_DIR="$TRASH/st24" doctor_in wt &&
	rc_is 1 &&
	test_grep "fallbacks        1 failed mint in the last 24 h (no passing doctor run recorded), by raxx-blr-bot;.*last reason: recent$" doctor.out &&
	! grep "raxx-pm-bot" doctor.out &&
	test_grep "fix: git-credential-raxx audit --since 6[0-9]m" doctor.out &&
	RAXX_STATE_DIR="$TRASH/st24" doctor_in wt &&
	rc_is 0 &&
	test_grep "no fallback and no failed mint since the last passing doctor run ($ISO) (0 mints, 0 reuses); 1 malformed line skipped" doctor.out
'

test_expect_success 'outside text in the log is sanitized' '
	mkdir -m 700 stesc &&
	printf "{\"time\":\"%s\",\"event\":\"fail\",\"bot\":\"raxx-\\\\u001b[2Jbot\",\"pid\":2,\"reason\":\"x\\\\u001b]0;pwned\\\\u0007y\"}\n" "$(ago 60)" >stesc/audit.log &&
	chmod 600 stesc/audit.log &&
	RAXX_STATE_DIR="$TRASH/stesc" doctor_in wt &&
	rc_is 1 &&
	test_grep "by raxx-?\[2Jbot;.*last reason: x?\]0;pwned?y$" doctor.out &&
	! grep -q "$(printf "\033")" doctor.out
'

test_expect_success 'an audit log that cannot be read FAILs: its events are unknown' '
	mkdir -m 700 stsym && : >elsewhere &&
	ln -s "$TRASH/elsewhere" stsym/audit.log &&
	RAXX_STATE_DIR="$TRASH/stsym" doctor_in wt &&
	rc_is 1 &&
	line FAIL fallbacks &&
	test_grep "the audit log cannot be read: .*stsym/audit.log is a symbolic link, refused" doctor.out &&
	test ! -e stsym/doctor.last-pass
'

test_secrets_never_leak
test_done
