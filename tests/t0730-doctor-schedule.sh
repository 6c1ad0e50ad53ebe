#!/bin/sh
# contrib/: the daily doctor run (cron line, launchd plist, systemd user
# timer and service) and the alert wrapper that calls RAXX_ALERT_CMD on FAIL.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

CONTRIB="$TEST_DIR/../contrib"
ALERT="$CONTRIB/raxx-doctor-alert.sh"
unset RAXX_ALERT_CMD RAXX_DOCTOR_ENV RAXX_PROGRAM

test_expect_success 'the cron line runs the wrapper daily with doctor --ops for a bot' '
	grep -v "^#" "$CONTRIB/cron/raxx-doctor.crontab" | grep -v "^PATH=" | grep -v "^$" >cron.lines &&
	test_line_count = 1 cron.lines &&
	test_grep -E "^0[[:space:]]+8[[:space:]]+\*[[:space:]]+\*[[:space:]]+\*[[:space:]]" cron.lines &&
	test_grep -F "raxx-doctor-alert.sh" cron.lines &&
	test_grep -F -e "--bot raxx-ops-bot -- --ops" cron.lines &&
	test_grep -F "RAXX_ALERT_CMD=" cron.lines
'

test_expect_success 'the launchd plist parses and runs the wrapper at 08:00' '
	python3 - "$CONTRIB/launchd/app.raxx.git-credential-raxx.doctor.plist" <<-\EOF
	import plistlib, sys
	p = plistlib.load(open(sys.argv[1], "rb"))
	assert p["Label"] == "app.raxx.git-credential-raxx.doctor", p
	a = p["ProgramArguments"]
	assert a[0].endswith("/raxx-doctor-alert.sh") and a[1:] == ["--bot", "raxx-ops-bot", "--", "--ops"], a
	assert p["StartCalendarInterval"] == {"Hour": 8, "Minute": 0}, p
	assert "RAXX_ALERT_CMD" in p["EnvironmentVariables"], p
	EOF
'

test_expect_success 'the systemd timer and service pass systemd-analyze verify' '
	if ! test_have systemd-analyze; then
		echo "# no systemd-analyze here: checked by hand below"
	fi &&
	mkdir -p units man/man1 &&
	cp "$TEST_DIR/../man/git-credential-raxx.1" man/man1/ &&
	sed "s|%h/.local/bin/raxx-doctor-alert.sh|$ALERT|" \
		"$CONTRIB/systemd/raxx-doctor.service" >units/raxx-doctor.service &&
	cp "$CONTRIB/systemd/raxx-doctor.timer" units/ &&
	grep -q "^Type=oneshot$" units/raxx-doctor.service &&
	grep -q "^ExecStart=.*raxx-doctor-alert.sh --bot raxx-ops-bot -- --ops$" units/raxx-doctor.service &&
	grep -q "^OnCalendar=\*-\*-\* 08:00:00$" units/raxx-doctor.timer &&
	grep -q "^Persistent=true$" units/raxx-doctor.timer &&
	if test_have systemd-analyze; then
		MANPATH="$TRASH/man" systemd-analyze verify units/raxx-doctor.service \
			units/raxx-doctor.timer >verify.out 2>&1 || { cat verify.out; exit 1; }
	fi
'

test_expect_success 'the wrapper passes shellcheck (when installed)' '
	if test_have shellcheck; then shellcheck -s sh "$ALERT"; fi
'

# A worktree where doctor passes, and an alert command that records its input.
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
git init -q -b main wt
git -C wt config credential.helper "raxx --bot raxx-dev-bot"
git -C wt config user.name "raxx-dev-bot[bot]"
git -C wt config user.email "190001+raxx-dev-bot[bot]@users.noreply.127.0.0.1"
ALERT_CMD="cat >'$TRASH/alert.txt'; echo \"status=\$RAXX_DOCTOR_STATUS host=\$RAXX_DOCTOR_HOST\" >>'$TRASH/alert.txt'"

test_expect_success 'nothing fails: no alert, exit 0, nothing printed' '
	(cd wt && RAXX_ALERT_CMD=$ALERT_CMD "$ALERT" --bot raxx-dev-bot) >out.ok 2>err.ok &&
	test_must_be_empty out.ok &&
	test_must_be_empty err.ok &&
	test ! -e alert.txt
'

test_expect_success 'a FAIL: the alert command gets the FAIL lines and the status, exit 1' '
	fake_set vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID -s 999 &&
	test_when_finished "fake_reset vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID; rm -f alert.txt" &&
	(cd wt && export RAXX_ALERT_CMD="$ALERT_CMD" && test_expect_code 1 "$ALERT" --bot raxx-dev-bot) &&
	test_grep "^git-credential-raxx doctor on .*: exit 1$" alert.txt &&
	test_grep "^\[FAIL\] installation " alert.txt &&
	test_grep "fix: set INSTALLATION_ID at /MooseQuest/raxx-dev-bot (environment prod) to 4711" alert.txt &&
	! grep "^\[PASS\]" alert.txt &&
	test_grep "^status=1 host=" alert.txt
'

test_expect_success 'no RAXX_ALERT_CMD: the report goes to stderr (cron mails it)' '
	(unset INFISICAL_CLIENT_ID && cd wt && test_expect_code 1 "$ALERT" --bot raxx-dev-bot) 2>err.cron &&
	test_grep "\[FAIL\] infisical-env" err.cron
'

test_expect_success 'doctor options after --, and a failing alert command is reported' '
	test_when_finished "rm -f alert.txt" &&
	(cd wt && export RAXX_ALERT_CMD="$ALERT_CMD" && test_expect_code 64 "$ALERT" --bot raxx-dev-bot -- --bogus) &&
	test_grep "unknown option .--bogus." alert.txt &&
	(unset INFISICAL_CLIENT_ID && cd wt &&
	 export RAXX_ALERT_CMD="exit 3" && test_expect_code 1 "$ALERT" --bot raxx-dev-bot) 2>err.alert &&
	test_grep "the alert command failed (exit 3)" err.alert
'

test_expect_success 'the environment file is sourced, and refused when others can read it' '
	mkdir -p "$HOME/.config/git-credential-raxx" &&
	envf="$HOME/.config/git-credential-raxx/doctor.env" &&
	{
		echo "export INFISICAL_CLIENT_ID=\"$INFISICAL_CLIENT_ID\""
		echo "export INFISICAL_CLIENT_SECRET=\"$INFISICAL_CLIENT_SECRET\""
		echo "export INFISICAL_PROJECT_ID=\"$INFISICAL_PROJECT_ID\""
	} >"$FAKES/doctor.env" &&
	cp "$FAKES/doctor.env" "$envf" && chmod 600 "$envf" &&
	test_when_finished "rm -f \"$envf\"" &&
	(unset INFISICAL_CLIENT_ID INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID &&
	 cd wt && "$ALERT" --bot raxx-dev-bot) &&
	chmod 644 "$envf" &&
	(cd wt && test_expect_code 78 "$ALERT" --bot raxx-dev-bot) 2>err.env &&
	test_grep "refusing .*doctor.env: not yours, or readable by others" err.env
'

test_secrets_never_leak
test_done
