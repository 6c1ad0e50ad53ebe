#!/bin/sh
# contrib/: the daily GitHub Actions workflow (doctor --all, failing loudly),
# its report script, and the chat webhook alert (Slack or Discord style)
# posted with curl without ever printing the webhook URL.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

CONTRIB="$TEST_DIR/../contrib"
WORKFLOW="$CONTRIB/github-actions/raxx-doctor.yml"
REPORT="$CONTRIB/raxx-doctor-report.py"
WEBHOOK="$CONTRIB/raxx-alert-webhook.sh"
unset RAXX_ALERT_CMD RAXX_DOCTOR_ENV RAXX_PROGRAM RAXX_ALERT_WEBHOOK_URL \
	RAXX_ALERT_WEBHOOK_FORMAT GITHUB_STEP_SUMMARY
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

# the chat webhook fake: one Slack-style and one Discord-style hook
HOOK_SECRET=$(random_secret)
echo "$HOOK_SECRET" >>"$TRASH/.secrets"
printf '{"hooks": ["/services/T0RAXX/B0RAXX/%s", "/api/webhooks/42/%s"], "behavior": {}}\n' \
	"$HOOK_SECRET" "$HOOK_SECRET" >"$FAKES/webhook.json"
WEBHOOK_PORT=$(start_fake webhook) || { echo "Bail out! the webhook fake did not start"; exit 1; }
SLACK_URL="https://127.0.0.1:$WEBHOOK_PORT/services/T0RAXX/B0RAXX/$HOOK_SECRET"
DISCORD_URL="https://127.0.0.1:$WEBHOOK_PORT/api/webhooks/42/$HOOK_SECRET"
export CURL_CA_BUNDLE="$TLS/ca.pem"

# last_payload KEY: the KEY of the last payload the webhook fake accepted
last_payload() { printf %s "$(fake_log webhook --last -p "payload.$1" payload)"; }
posts() { grep -c '"posted:' "$FAKES/webhook.log" || true; }

test_expect_success 'the workflow: daily and on demand, doctor --all --json, report, chat alert' '
	python3 - "$WORKFLOW" "$CONTRIB" <<-\EOF
	import os, re, sys, yaml
	w = yaml.safe_load(open(sys.argv[1]))
	on = w.get("on", w.get(True))            # YAML 1.1 reads a bare on as true
	cron = on["schedule"][0]["cron"].split()
	assert len(cron) == 5 and cron[2:] == ["*", "*", "*"], cron
	assert "workflow_dispatch" in on, on
	assert w["permissions"] == {"contents": "read"}, w["permissions"]
	steps = w["jobs"]["doctor"]["steps"]
	runs = [s.get("run", "") for s in steps]
	doctor = [s for s in steps if "git-credential-raxx doctor --all --json" in s.get("run", "")]
	assert doctor, runs
	# not in a worktree: the author and helper-chain checks would FAIL there
	assert doctor[0]["working-directory"] == "${{ runner.temp }}", doctor
	assert doctor[0]["env"]["RAXX_BOT_MAP"].endswith("/scripts/agents/agent_bot_map.yaml"), doctor
	report = [s for s in steps if "raxx-doctor-report.py" in s.get("run", "")]
	assert report and "--github" in report[0]["run"], report
	alert = [s for s in steps if "raxx-alert-webhook.sh" in s.get("run", "")]
	assert alert and alert[0]["if"] == "failure()", alert
	assert alert[0]["env"]["RAXX_ALERT_WEBHOOK_URL"] == "${{ secrets.RAXX_ALERT_WEBHOOK_URL }}"
	for name in ("raxx-doctor-report.py", "raxx-alert-webhook.sh"):
	    assert os.path.exists(os.path.join(sys.argv[2], name)), name
	# secrets only as whole environment values, never in a script or echoed
	text = open(sys.argv[1]).read()
	for s in steps:
	    assert "secrets." not in s.get("run", ""), s
	    assert "set -x" not in s.get("run", ""), s
	    for k, v in (s.get("env") or {}).items():
	        if "secrets." in str(v):
	            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", v), (k, v)
	assert len(re.findall(r"secrets\.", text)) >= 6, "the secrets are passed"
	for k in ("INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET", "INFISICAL_PROJECT_ID"):
	    assert "${{ secrets.%s }}" % k in text, k
	EOF
'

test_expect_success 'the workflow'"'"'s scripts pass shellcheck (when installed)' '
	test_have shellcheck || { echo "# no shellcheck here"; exit 0; } &&
	python3 - "$WORKFLOW" <<-\EOF &&
	import re, sys, yaml
	w = yaml.safe_load(open(sys.argv[1]))
	for i, s in enumerate(w["jobs"]["doctor"]["steps"]):
	    if "run" in s:
	        body = re.sub(r"\$\{\{[^}]*\}\}", "x", s["run"])
	        open("step%d.sh" % i, "w").write("#!/bin/bash\nset -eo pipefail\n" + body)
	EOF
	shellcheck -s bash step*.sh &&
	shellcheck -s sh "$WEBHOOK"
'

test_expect_success 'the report: a doctor --json with a FAIL becomes text, annotations and a summary' '
	git init -q -b main wt &&
	git -C wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C wt remote add origin "$GIT_URL/raxx-app/demo.git" &&
	fake_set vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID -s 999 &&
	test_when_finished "fake_reset vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID" &&
	(cd wt && test_expect_code 1 git-credential-raxx --bot raxx-dev-bot doctor --json) >doctor.json &&
	GITHUB_STEP_SUMMARY="$TRASH/summary.md" test_expect_code 1 python3 "$REPORT" --github \
		--status 1 --title "raxx doctor --all in raxx-app/ops" doctor.json >report.txt &&
	test_grep "^raxx doctor --all in raxx-app/ops: exit 1$" report.txt &&
	test_grep "^[1-9] FAIL, [0-9] WARN$" report.txt &&
	test_grep "^\[FAIL\] raxx-dev-bot: installation  installation 999 of App 3501352 not found" report.txt &&
	test_grep "^       fix: set INSTALLATION_ID at /MooseQuest/raxx-dev-bot (environment prod) to 4711" report.txt &&
	test_grep "^::error title=raxx doctor%3A raxx-dev-bot installation::installation 999 of App 3501352 not found.*(fix: set INSTALLATION_ID" report.txt &&
	test_grep "^::warning title=raxx doctor%3A raxx-dev-bot git-version::" report.txt &&
	test_grep "^## FAIL raxx doctor --all in raxx-app/ops: exit 1$" summary.md &&
	test_grep "^| FAIL | raxx-dev-bot | installation | installation 999" summary.md
'

test_expect_success 'the report: every bot of an --all answer, outside text sanitized; all PASS exits 0' '
	cat >all.json <<-\EOF &&
	{"bots": [
	  {"bot": "raxx-dev-bot", "checks": [{"name": "mint", "status": "PASS", "detail": "ok", "fix": null}]},
	  {"bot": "raxx-blr-bot", "checks": [{"name": "bot-secrets", "status": "FAIL",
	    "detail": "lacks APP_ID\u001b[2J", "fix": "add it"}]}],
	 "fail": 1, "exit": 1}
	EOF
	test_expect_code 1 python3 "$REPORT" --status 1 all.json >report.all &&
	test_grep "^\[FAIL\] raxx-blr-bot: bot-secrets  lacks APP_ID?\[2J$" report.all &&
	! grep "raxx-dev-bot" report.all &&
	! grep -q "$(printf "\033")" report.all &&
	printf "{\"checks\": [{\"name\": \"mint\", \"status\": \"PASS\"}], \"exit\": 0}\n" >pass.json &&
	python3 "$REPORT" pass.json >report.pass &&
	test_grep "^0 FAIL, 0 WARN$" report.pass
'

test_expect_success 'the report: no JSON at all (an unknown option, a crash) is a FAIL with doctor'"'"'s stderr' '
	: >empty.json &&
	echo "raxx: doctor: unknown option '"'"'--all'"'"'" >doctor.err &&
	test_expect_code 1 python3 "$REPORT" --github --status 64 --stderr doctor.err empty.json >report.none &&
	test_grep "^doctor gave no JSON report (exit 64); its stderr:$" report.none &&
	test_grep "unknown option .--all." report.none &&
	test_grep "^::error title=raxx doctor::doctor gave no JSON report" report.none
'

test_expect_success 'webhook, Slack style: the report as {"text"}, first line apart, the rest in a code block' '
	printf "git-credential-raxx doctor on box: exit 1\n[FAIL] fallbacks        1 fallback\n       fix: see \"audit\" \\\\ then\tgo\n" >report.in &&
	before=$(posts) &&
	RAXX_ALERT_WEBHOOK_URL=$SLACK_URL sh "$WEBHOOK" <report.in >out.hook 2>err.hook &&
	test_must_be_empty out.hook && test_must_be_empty err.hook &&
	test "$(posts)" = $((before + 1)) &&
	last_payload text >got &&
	{ printf "git-credential-raxx doctor on box: exit 1\n\`\`\`\n" && sed 1d report.in && printf "\`\`\`"; } >want &&
	test_cmp want got
'

test_expect_success 'webhook, Discord style: {"content"}, a long report cut at whole lines under 2000' '
	{ echo "git-credential-raxx doctor on box: exit 1" &&
	  i=0 && while [ $i -lt 100 ]; do echo "[FAIL] check-$i        something is wrong with check number $i"; i=$((i + 1)); done; } >long.in &&
	RAXX_ALERT_WEBHOOK_URL=$DISCORD_URL RAXX_ALERT_WEBHOOK_FORMAT=discord sh "$WEBHOOK" <long.in 2>err.hook &&
	test_must_be_empty err.hook &&
	last_payload content >got &&
	test "$(wc -c <got)" -le 2000 &&
	test_grep "^\[FAIL\] check-0 " got &&
	test_grep "^\[\.\.\. cut: the report is longer\]$" got &&
	! grep "check-99" got
'

test_expect_success 'webhook failures: exit 1 naming curl'"'"'s and HTTP'"'"'s status, never the URL' '
	test_expect_code 1 env RAXX_ALERT_WEBHOOK_URL="https://127.0.0.1:$WEBHOOK_PORT/services/T0RAXX/B0RAXX/nope$HOOK_SECRET" \
		sh "$WEBHOOK" <report.in 2>err.404 &&
	test_grep "posting to the webhook failed (curl exit 0, HTTP 404)" err.404 &&
	test_when_finished "fake_reset webhook behavior" &&
	fake_set webhook behavior.post -s 500 &&
	test_expect_code 1 env RAXX_ALERT_WEBHOOK_URL=$SLACK_URL sh "$WEBHOOK" <report.in 2>err.500 &&
	test_grep "HTTP 500" err.500 &&
	test_expect_code 1 env RAXX_ALERT_WEBHOOK_URL="https://127.0.0.1:9/services/x/y/$HOOK_SECRET" \
		sh "$WEBHOOK" <report.in 2>err.down &&
	test_grep "posting to the webhook failed (curl exit 7, HTTP 000)" err.down &&
	! grep -F "$HOOK_SECRET" err.404 err.500 err.down
'

test_expect_success 'webhook refuses a missing or non-https URL (exit 78), and a URL with a quote' '
	test_expect_code 78 sh "$WEBHOOK" <report.in 2>err.none &&
	test_grep "RAXX_ALERT_WEBHOOK_URL is not set" err.none &&
	test_expect_code 78 env RAXX_ALERT_WEBHOOK_URL="http://127.0.0.1:$WEBHOOK_PORT/x" sh "$WEBHOOK" <report.in 2>err.http &&
	test_grep "must be an https:// URL" err.http &&
	test_expect_code 78 env RAXX_ALERT_WEBHOOK_URL="https://x.example/a\"b" sh "$WEBHOOK" <report.in 2>err.q &&
	test_expect_code 78 env RAXX_ALERT_WEBHOOK_URL=$SLACK_URL RAXX_ALERT_WEBHOOK_FORMAT=teams sh "$WEBHOOK" <report.in 2>err.fmt &&
	! grep -F "$HOOK_SECRET" err.none err.http err.q err.fmt
'

test_expect_success 'the daily wrapper with the webhook as its alert command: a FAIL reaches the chat' '
	fake_set vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID -s 999 &&
	test_when_finished "fake_reset vault secrets./MooseQuest/raxx-dev-bot.INSTALLATION_ID" &&
	(cd wt && RAXX_ALERT_WEBHOOK_URL=$SLACK_URL RAXX_ALERT_CMD="sh \"$WEBHOOK\"" \
		test_expect_code 1 sh "$CONTRIB/raxx-doctor-alert.sh" --bot raxx-dev-bot) >out.e2e 2>err.e2e &&
	test_must_be_empty err.e2e &&
	last_payload text >got &&
	test_grep "^git-credential-raxx doctor on .*: exit 1$" got &&
	test_grep "^\[FAIL\] installation " got &&
	! grep -F "$HOOK_SECRET" out.e2e err.e2e
'

test_secrets_never_leak
test_done
