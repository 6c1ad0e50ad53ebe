#!/bin/sh
# doctor --ops: the operator's Cloudflare, Heroku and GitHub credentials
# (session-bootstrap runbook), from the environment or the keychain,
# verified against local fakes; redacted; the last all-PASS time kept.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
. "$TEST_DIR/lib/opsfakes.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }
start_ops_fakes || { echo "Bail out! the ops fakes did not start"; exit 1; }

OPS="CLOUDFLARE_ACCESS_MGMT_TOKEN CF_WORKER_DEPLOY HEROKU_API_KEY GITHUB_API_SECRETS_TOKEN"
# ops ARGS...: doctor --ops from $TRASH (no worktree, no bot), output in
# doctor.out, exit status in doctor.rc
ops() {
	git-credential-raxx doctor --ops "$@" >doctor.out 2>doctor.err
	echo $? >doctor.rc
	cat doctor.out
}
line() { grep "^\[$1\] $2 " doctor.out; }
rc_is() { test "$(cat doctor.rc)" = "$1" || { echo "exit $(cat doctor.rc), want $1"; cat doctor.err; false; }; }
redacted() { printf '%s' "$1" | cut -c1-4; printf '\342\200\246'; printf '%s' "$1" | rev | cut -c1-4 | rev; }
last_pass() { cat "$RAXX_STATE_DIR/doctor-ops.last-pass" 2>/dev/null; }

CF_MGMT=$(new_cf_token active) &&
CF_DEPLOY=$(new_cf_token active) &&
HK=$(new_heroku_key ops@raxx.example) &&
GHPAT="ghp_$(random_secret)" &&
set_operator_pat "$GHPAT" || { echo "Bail out! could not make the credentials"; exit 1; }

test_expect_success 'nothing anywhere and no keychain tool: four FAILs (mode D), exit 1, never all-PASS' '
	ops &&
	rc_is 1 &&
	for k in $OPS; do line FAIL "$k" || exit 1; done &&
	test_grep "not in the environment, and no keychain tool (secret-tool) here" doctor.out &&
	test_grep "fix: store it once: secret-tool store --label=raxx-heroku-api-key service raxx-heroku-api-key (it reads the value from stdin); or export HEROKU_API_KEY (no current value: rotate via docs/ops/runbooks/rotation/heroku-platform-token.md)" doctor.out &&
	test_grep "^ops: last run with all 4 operator credentials PASS: never$" doctor.out &&
	test -z "$(last_pass)"
'

install_keychain_stub

test_expect_success 'nothing in the environment or the keychain: FAIL (mode D) naming the runbook service' '
	ops &&
	rc_is 1 &&
	test_grep "^\[FAIL\] CLOUDFLARE_ACCESS_MGMT_TOKEN.*not in the environment or the keychain (service raxx-cf-access-mgmt-token)" doctor.out &&
	test_grep "^\[FAIL\] CF_WORKER_DEPLOY.*(service raxx-cf-worker-deploy-token)" doctor.out &&
	test_grep "^\[FAIL\] HEROKU_API_KEY.*(service raxx-heroku-api-key)" doctor.out &&
	test_grep "^\[FAIL\] GITHUB_API_SECRETS_TOKEN.*(service raxx-github-api-secrets-token)" doctor.out &&
	test_grep "fix: store it once: secret-tool store --label=raxx-github-api-secrets-token service raxx-github-api-secrets-token" doctor.out
'

test_expect_success 'all four from the environment: PASS, redacted to first and last 4, time recorded' '
	CLOUDFLARE_ACCESS_MGMT_TOKEN=$CF_MGMT CF_WORKER_DEPLOY=$CF_DEPLOY \
	HEROKU_API_KEY=$HK GITHUB_API_SECRETS_TOKEN=$GHPAT ops &&
	rc_is 0 &&
	for k in $OPS; do line PASS "$k" || exit 1; done &&
	test_grep -F "(redacted $(redacted "$CF_MGMT"), from the environment): active" doctor.out &&
	test_grep -F "(redacted $(redacted "$HK"), from the environment): account ops@raxx.example" doctor.out &&
	test_grep -F "(redacted $(redacted "$GHPAT"), from the environment): user operator" doctor.out &&
	! grep -F -e "$CF_MGMT" -e "$CF_DEPLOY" -e "$HK" -e "$GHPAT" doctor.out doctor.err &&
	stamp=$(last_pass) &&
	echo "$stamp" | grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" &&
	test_grep "^ops: last run with all 4 operator credentials PASS: $stamp$" doctor.out &&
	test "$(file_mode "$RAXX_STATE_DIR/doctor-ops.last-pass")" = 600 &&
	test "$(count_requests cloudflare GET /client/v4/user/tokens/verify 200)" = 2 &&
	test "$(count_requests heroku GET /account 200)" = 1 &&
	test "$(count_requests github GET /api/v3/user 200)" = 1
'

test_expect_success 'mode D: one credential nowhere FAILs alone, the three others PASS' '
	before=$(last_pass) &&
	CLOUDFLARE_ACCESS_MGMT_TOKEN=$CF_MGMT CF_WORKER_DEPLOY=$CF_DEPLOY \
	GITHUB_API_SECRETS_TOKEN=$GHPAT ops &&
	rc_is 1 &&
	line FAIL HEROKU_API_KEY &&
	test_grep "^doctor: .* 1 FAIL" doctor.out &&
	for k in CLOUDFLARE_ACCESS_MGMT_TOKEN CF_WORKER_DEPLOY GITHUB_API_SECRETS_TOKEN; do
		line PASS "$k" || exit 1
	done &&
	test "$(last_pass)" = "$before"
'

test_expect_success 'from the keychain under the runbook'"'"'s service names' '
	keychain_put raxx-cf-access-mgmt-token "$CF_MGMT" &&
	keychain_put raxx-cf-worker-deploy-token "$CF_DEPLOY" &&
	keychain_put raxx-heroku-api-key "$HK" &&
	keychain_put raxx-github-api-secrets-token "$GHPAT" &&
	ops &&
	rc_is 0 &&
	for k in $OPS; do line PASS "$k" || exit 1; done &&
	test_grep -F "from keychain raxx-heroku-api-key): account ops@raxx.example" doctor.out &&
	test_grep "lookup service raxx-github-api-secrets-token" "$FAKES/keyring/.calls" &&
	! grep -F -e "$CF_MGMT" -e "$HK" -e "$GHPAT" doctor.out doctor.err
'

test_expect_success 'the environment wins over the keychain' '
	: >"$FAKES/keyring/.calls" &&
	HEROKU_API_KEY=$HK ops >/dev/null &&
	test_grep -F "(redacted $(redacted "$HK"), from the environment)" doctor.out &&
	! grep "raxx-heroku-api-key" "$FAKES/keyring/.calls"
'

test_expect_success '--json carries the verdicts and the last all-PASS time' '
	git-credential-raxx doctor --ops --json >doctor.json &&
	for k in $OPS; do
		test "$(json_get doctor.json checks.name=$k.status)" = PASS || exit 1
	done &&
	test "$(json_get doctor.json ops_last_all_pass)" = "$(last_pass)"
'

test_expect_success 'Cloudflare FAIL: an unknown token, success:false, with the rotation fix' '
	before=$(last_pass) &&
	bad="cfut_$(random_secret)" && echo "$bad" >>"$TRASH/.secrets" &&
	CLOUDFLARE_ACCESS_MGMT_TOKEN=$bad ops &&
	rc_is 1 &&
	line FAIL CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test_grep -F "(redacted $(redacted "$bad"), from the environment): Cloudflare returned success:false, HTTP 401 (1000: Invalid API Token)" doctor.out &&
	test_grep "fix: rotate via docs/ops/runbooks/rotation/cloudflare-user-api-token.md, then update CLOUDFLARE_ACCESS_MGMT_TOKEN" doctor.out &&
	! grep -F "$bad" doctor.out doctor.err &&
	test "$(last_pass)" = "$before"
'

test_expect_success 'Cloudflare FAIL: a disabled token (success:true, status disabled) from the keychain' '
	dis=$(new_cf_token disabled) &&
	keychain_put raxx-cf-worker-deploy-token "$dis" &&
	test_when_finished "keychain_put raxx-cf-worker-deploy-token \"$CF_DEPLOY\"" &&
	ops &&
	rc_is 1 &&
	line FAIL CF_WORKER_DEPLOY &&
	test_grep "Cloudflare says the token is disabled, not active" doctor.out &&
	test_grep "scope Zone:Workers Routes:Edit" doctor.out &&
	test_grep "then store the new value: secret-tool store --label=raxx-cf-worker-deploy-token service raxx-cf-worker-deploy-token" doctor.out
'

test_expect_success 'Cloudflare WARN: active but expiring within a week' '
	soon=$(iso_utc $((2 * 86400))) &&
	exp=$(new_cf_token active expires_on "$soon") &&
	CLOUDFLARE_ACCESS_MGMT_TOKEN=$exp ops &&
	rc_is 0 &&
	line WARN CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test_grep "active, but expires in 4[0-9] h" doctor.out
'

test_expect_success 'Cloudflare: an account-owned token needs CLOUDFLARE_ACCOUNT_ID, then PASSes' '
	acct=0123456789abcdef0123456789abcdef &&
	at=$(new_cf_token active account $acct) &&
	CLOUDFLARE_ACCESS_MGMT_TOKEN=$at ops &&
	line SKIP CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test_grep "set CLOUDFLARE_ACCOUNT_ID to check it" doctor.out &&
	CLOUDFLARE_ACCOUNT_ID=$acct CLOUDFLARE_ACCESS_MGMT_TOKEN=$at ops &&
	line PASS CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test "$(count_requests cloudflare GET /client/v4/accounts/$acct/tokens/verify 200)" = 1
'

test_expect_success 'Cloudflare FAIL: the firewall'"'"'s error 1010 is named, not parsed' '
	test_when_finished "fake_reset cloudflare behavior" &&
	fake_set cloudflare behavior.verify -s 1010 &&
	ops &&
	rc_is 1 && line FAIL CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test_grep "HTTP 403 (error code 1010: its firewall refused the client)" doctor.out
'

test_expect_success 'Heroku FAIL: a revoked key (401), a legacy error body, a suspended account' '
	old="HRKU-$(random_secret)" && echo "$old" >>"$TRASH/.secrets" &&
	HEROKU_API_KEY=$old ops &&
	rc_is 1 && line FAIL HEROKU_API_KEY &&
	test_grep "HTTP 401 (invalid or revoked) (unauthorized: Invalid credentials provided.)" doctor.out &&
	test_grep "fix: rotate via docs/ops/runbooks/rotation/heroku-platform-token.md" doctor.out &&
	fake_set heroku behavior.account -s 401-legacy &&
	ops && line FAIL HEROKU_API_KEY &&
	test_grep "HTTP 401 (invalid or revoked) (?: Invalid credentials provided.)" doctor.out &&
	fake_reset heroku behavior &&
	sus=$(new_heroku_key gone@raxx.example suspended) &&
	HEROKU_API_KEY=$sus ops && line FAIL HEROKU_API_KEY &&
	test_grep "HTTP 403 (suspended: This account has been suspended.)" doctor.out
'

test_expect_success 'Heroku: the Accept header is the version-3 one (the fake refuses others)' '
	test "$(count_requests heroku GET /account 406)" = 0
'

test_expect_success 'GitHub FAIL: a bad PAT (401), an installation token (403)' '
	gone="ghp_$(random_secret)" && echo "$gone" >>"$TRASH/.secrets" &&
	GITHUB_API_SECRETS_TOKEN=$gone ops &&
	rc_is 1 && line FAIL GITHUB_API_SECRETS_TOKEN &&
	test_grep "HTTP 401 (invalid or expired): Bad credentials" doctor.out &&
	test_grep "fix: rotate via docs/ops/runbooks/rotation/github-pat.md" doctor.out &&
	git-credential-raxx --bot raxx-ops-bot token >out.inst &&
	GITHUB_API_SECRETS_TOKEN=$(cat out.inst) ops &&
	line FAIL GITHUB_API_SECRETS_TOKEN &&
	test_grep "this is an installation token, not a personal access token" doctor.out &&
	! grep -F "$(cat out.inst)" doctor.out doctor.err
'

test_expect_success 'GitHub PAT expiry: PASS with the date; WARN within 14 days; FAIL once expired' '
	# each expiry half an hour past the day or hour the check shows: time
	# enough for any machine to run the checks before the number changes
	now=$(date +%s) &&
	far="ghp_$(random_secret)" && set_operator_pat "$far" $((now + 40 * 86400)) &&
	GITHUB_API_SECRETS_TOKEN=$far ops &&
	rc_is 0 &&
	line PASS GITHUB_API_SECRETS_TOKEN &&
	test_grep "(redacted $(redacted "$far"), from the environment): user operator, expires [0-9T:-]*Z (in [34][09] days)" doctor.out &&
	soon="github_pat_$(random_secret)" && set_operator_pat "$soon" $((now + 10 * 86400 + 1800)) &&
	GITHUB_API_SECRETS_TOKEN=$soon ops &&
	rc_is 0 &&
	line WARN GITHUB_API_SECRETS_TOKEN &&
	test_grep "user operator, but the token expires [0-9T:-]*Z (in 10 days)" doctor.out &&
	test_grep "fix: rotate via docs/ops/runbooks/rotation/github-pat.md, then update GITHUB_API_SECRETS_TOKEN" doctor.out &&
	hours="github_pat_$(random_secret)" && set_operator_pat "$hours" $((now + 5 * 3600 + 1800)) &&
	keychain_put raxx-github-api-secrets-token "$hours" &&
	test_when_finished "keychain_put raxx-github-api-secrets-token \"$GHPAT\"" &&
	ops &&
	line WARN GITHUB_API_SECRETS_TOKEN &&
	test_grep "but the token expires [0-9T:-]*Z (in 5 h)" doctor.out &&
	test_grep "then store the new value: secret-tool store --label=raxx-github-api-secrets-token" doctor.out &&
	gone="github_pat_$(random_secret)" && set_operator_pat "$gone" $((now - 60)) &&
	GITHUB_API_SECRETS_TOKEN=$gone ops &&
	rc_is 1 &&
	line FAIL GITHUB_API_SECRETS_TOKEN &&
	test_grep "HTTP 401 (invalid or expired): Bad credentials" doctor.out &&
	! grep -F -e "$far" -e "$soon" -e "$hours" -e "$gone" doctor.out doctor.err
'

test_expect_success 'a PAT without an expiry: PASS, no date' '
	GITHUB_API_SECRETS_TOKEN=$GHPAT ops &&
	line PASS GITHUB_API_SECRETS_TOKEN &&
	test_grep "from the environment): user operator$" doctor.out
'

test_expect_success 'a service that does not answer: FAIL naming it; a hung one is cut at --max-time' '
	RAXX_HEROKU_API=https://127.0.0.1:9 ops &&
	rc_is 1 && line FAIL HEROKU_API_KEY &&
	test_grep "no answer from Heroku (network or Heroku down?)" doctor.out &&
	test_when_finished "fake_reset cloudflare behavior" &&
	fake_set cloudflare behavior.verify -s hang &&
	ops --max-time 1 &&
	line FAIL CLOUDFLARE_ACCESS_MGMT_TOKEN &&
	test_grep "did not answer in time" doctor.out &&
	line PASS HEROKU_API_KEY
'

test_expect_success 'a keychain that never answers (a prompt) is cut at --max-time: WARN' '
	test_when_finished "install_keychain_stub" &&
	printf "#!/bin/sh\nexec sleep 60\n" >"$TRASH/bin/secret-tool" &&
	ops --max-time 1 &&
	rc_is 0 &&
	line WARN HEROKU_API_KEY &&
	test_grep "secret-tool did not answer within 1 s" doctor.out
'

test_expect_success 'a value with a stray newline FAILs without being sent' '
	before=$(count_requests heroku GET /account) &&
	HEROKU_API_KEY="$HK
" ops &&
	line FAIL HEROKU_API_KEY &&
	test_grep "holds a control character" doctor.out &&
	test "$(count_requests heroku GET /account)" = "$before"
'

test_expect_success 'endpoints must be https (http only to loopback with RAXX_ALLOW_HTTP_LOOPBACK=1)' '
	RAXX_HEROKU_API=http://heroku.example ops &&
	line FAIL HEROKU_API_KEY &&
	test_grep "RAXX_HEROKU_API uses http://" doctor.out
'

test_secrets_never_leak
test_done
