#!/bin/sh
# The token broker: agents with no vault identity at all get tokens for
# two bots through `token`, `git credential fill`, real pushes and the gh
# shim; status and doctor report the broker; revoke and erase go through
# it; a broker that is named but silent is an error, never a local mint.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
. "$TEST_DIR/lib/broker.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
vault_reqs() { count_requests vault GET ".*"; }
HOSTPORT=$RAXX_GITHUB_HOST
printf 'protocol=https\nhost=%s\n\n' "$HOSTPORT" >request
start_broker || { echo "Bail out! the broker did not start"; exit 1; }

test_expect_success 'the broker starts: socket 0600 in a 0700 directory' '
	test -S "$BROKER_SOCK" &&
	test "$(file_mode "$BROKER_SOCK")" = 600 &&
	test "$(file_mode "${BROKER_SOCK%/*}")" = 700 &&
	test_grep "broker: listening on $BROKER_SOCK" broker.err
'

test_expect_success 'token for two bots, from a shell with no INFISICAL_* or CF_ACCESS_*' '
	as_client env | grep -E "^(INFISICAL|CF_ACCESS)_" >leaked

	test_must_be_empty leaked &&
	as_client git-credential-raxx --bot raxx-dev-bot token >out.dev 2>err.dev &&
	as_client git-credential-raxx --bot raxx-ops-bot token >out.ops 2>err.ops &&
	grep "^ghs_" out.dev && grep "^ghs_" out.ops &&
	! test_cmp out.dev out.ops >/dev/null &&
	test "$(mints)" = 2
'

test_expect_success 'a second call is served from the broker'"'"'s memory' '
	as_client git-credential-raxx --bot raxx-dev-bot token >out.dev2 &&
	test_cmp out.dev out.dev2 && test "$(mints)" = 2 &&
	as_client git-credential-raxx --bot raxx-dev-bot token --json >out.json &&
	test_grep "\"source\":\"broker, cached\"" out.json
'

test_expect_success 'the client wrote no cache: nothing on disk holds a token' '
	test_must_fail ls cache/t-* 2>/dev/null
'

test_expect_success 'git credential fill through the broker, for both bots' '
	as_client git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		credential fill <request >out.fill.dev &&
	as_client git -c credential.helper= -c "credential.helper=raxx --bot raxx-ops-bot" \
		credential fill <request >out.fill.ops &&
	grep "^password=$(cat out.dev)$" out.fill.dev &&
	grep "^password=$(cat out.ops)$" out.fill.ops &&
	test "$(mints)" = 2
'

test_expect_success 'a push through the broker goes out as the bot' '
	as_client git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	echo change >demo/file && git -C demo add file &&
	git -C demo -c user.name=Bot -c user.email=bot@example.com commit -qm change &&
	as_client git -C demo -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		push -q origin main &&
	log_notes github | grep "git-receive-pack" | tail -n 1 >notes &&
	test_grep "push-by:raxx-dev-bot" notes
'

test_expect_success 'one stderr line per request, and the audit log says broker' '
	broker_logged "raxx: broker: uid=$(id -u) action=token bot=raxx-dev-bot repo=- outcome=minted" &&
	broker_logged "outcome=held token" &&
	test_grep "\"event\":\"mint\",\"bot\":\"raxx-dev-bot\".*\"reason\":\"broker uid $(id -u)\"" state/audit.log &&
	test_grep "\"event\":\"reuse\",\"bot\":\"raxx-ops-bot\"" state/audit.log
'

test_expect_success 'status: the broker in use, and the token held there' '
	as_client git-credential-raxx --bot raxx-dev-bot status >out.status 2>err.status &&
	test_grep "^broker   $BROKER_SOCK (pid $BROKER_PID, uid $(id -u); 2 App keys and 2 tokens held)" out.status &&
	test_grep "^token    $(token_fp "$(cat out.dev)"), expires" out.status &&
	as_client git-credential-raxx --bot raxx-dev-bot status --json >out.sj &&
	test "$(json_get out.sj broker)" = "$BROKER_SOCK"
'

if REAL_GH=$(command -v gh); then
	SYS_PATH=$PATH
	ghs() {
		as_client PATH="$BUILD_DIR/helper:$SYS_PATH" GH_HOST="$HOSTPORT" \
			SSL_CERT_FILE="$TLS/ca.pem" GH_CONFIG_DIR="$TRASH/gh-config" \
			GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 NO_COLOR=1 gh "$@"
	}
	test_expect_success 'the gh shim gets each bot'"'"'s token from the broker' '
		ghs --version >/dev/null &&
		RAXX_BOT=raxx-dev-bot ghs api repos/raxx-app/demo --jq .full_name >out.gh.dev 2>err.gh &&
		echo raxx-app/demo >expect && test_cmp expect out.gh.dev &&
		log_notes github | tail -n 1 >notes &&
		test_grep "token-of:raxx-dev-bot" notes &&
		RAXX_BOT=raxx-ops-bot ghs api repos/raxx-app/demo --jq .full_name >out.gh.ops &&
		log_notes github | tail -n 1 >notes &&
		test_grep "token-of:raxx-ops-bot" notes &&
		test "$(mints)" = 2
	'
else
	test_skip 'the gh shim gets each bot'"'"'s token from the broker' 'gh is not installed'
fi

test_expect_success 'exec: the command gets the token; a nested call uses it, not the broker' '
	cat >show.sh <<-\EOS &&
	env | grep -E "^(INFISICAL|CF_ACCESS)_" || true
	RAXX_TRACE=1 git-credential-raxx --bot raxx-dev-bot token 2>nested.err
	EOS
	as_client git-credential-raxx --bot raxx-dev-bot exec -- sh show.sh >out.exec &&
	test_cmp out.dev out.exec &&
	test_grep "token: raxx-dev-bot.s token as given to this command (RAXX_TOKEN_FOR)" nested.err &&
	test_grep ! "broker" nested.err
'

test_expect_success 'doctor: the broker check, the vault checks skipped, mint through it' '
	as_client git-credential-raxx --bot raxx-dev-bot doctor >doctor.out 2>&1;
	test_grep "^\[PASS\] broker  *$BROKER_SOCK answers: pid $BROKER_PID, uid $(id -u); uid $(id -u) (the broker.s own): any bot; 2 App keys and 2 tokens held, keys for 3600 s; vault session held" doctor.out &&
	test_grep "^\[SKIP\] infisical-env  *the broker holds the vault identity" doctor.out &&
	test_grep "^\[SKIP\] app-key  *checked by the broker" doctor.out &&
	test_grep "^\[PASS\] mint  *the broker handed out a token for raxx-dev-bot (broker, cached" doctor.out &&
	! grep -F "$(cat out.dev)" doctor.out
'

test_expect_success 'revoke through the broker: one DELETE; the next token one POST, no vault request' '
	vault_before=$(vault_reqs) &&
	as_client git-credential-raxx --bot raxx-dev-bot revoke 2>err.revoke &&
	test_grep "revoked 1 token of raxx-dev-bot (through the broker)" err.revoke &&
	test "$(count_requests github DELETE /api/v3/installation/token 204)" = 1 &&
	as_client git-credential-raxx --bot raxx-dev-bot token >out.dev3 &&
	! test_cmp out.dev out.dev3 >/dev/null &&
	test "$(mints)" = 3 &&
	test "$(vault_reqs)" = "$vault_before" &&
	as_client git-credential-raxx --bot raxx-ops-bot revoke 2>/dev/null &&
	as_client test_expect_code 8 git-credential-raxx --bot raxx-ops-bot revoke 2>err.none &&
	test "$(count_requests github DELETE /api/v3/installation/token 204)" = 2 &&
	test_grep "holds no live token of raxx-ops-bot: nothing to revoke" err.none
'

test_expect_success 'erase (git rejected the token) makes the broker forget it' '
	printf "protocol=https\nhost=%s\nusername=x-access-token\npassword=%s\n\n" \
		"$HOSTPORT" "$(cat out.dev3)" >out.reject &&
	as_client git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		credential reject <out.reject &&
	broker_logged "action=erase bot=- repo=- outcome=dropped 1" &&
	as_client git-credential-raxx --bot raxx-dev-bot token >out.dev4 &&
	! test_cmp out.dev3 out.dev4 >/dev/null && test "$(mints)" = 4
'

test_expect_success 'a broker named but silent: exit 2, never a local mint' '
	as_client RAXX_BROKER_SOCKET="$TRASH/nobody.sock" INFISICAL_CLIENT_ID=x \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token >out.silent 2>err.silent &&
	test_must_be_empty out.silent &&
	test_grep "broker at .*nobody.sock. does not answer" err.silent &&
	test "$(mints)" = 4 &&
	as_client RAXX_BROKER_SOCKET="$TRASH/nobody.sock" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot status >out.st 2>err.st &&
	test_grep "^broker   .*nobody.sock (not answering)" out.st &&
	as_client RAXX_BROKER_SOCKET="$TRASH/nobody.sock" \
		test_expect_code 1 git-credential-raxx --bot raxx-dev-bot doctor >doc.silent 2>&1 &&
	test_grep "^\[FAIL\] broker .*does not answer" doc.silent
'

test_expect_success 'SIGTERM: the broker stops cleanly (exit 0), its socket gone' '
	stop_broker TERM && test "$(cat broker.rc)" = 0 &&
	test ! -e "$BROKER_SOCK" &&
	test_grep ! "Sanitizer\|runtime error" broker.err
'

test_secrets_never_leak
test_done
