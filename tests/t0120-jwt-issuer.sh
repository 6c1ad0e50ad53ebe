#!/bin/sh
# The App JWT's issuer: GitHub recommends the App's client ID (Iv1.../Iv23...)
# and still takes the numeric App ID. A CLIENT_ID secret beside APP_ID is the
# issuer when present; APP_ID may hold a client ID too.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

DEV=/MooseQuest/raxx-dev-bot OPS=/MooseQuest/raxx-ops-bot
DEV_CID=Iv23liRaxxDevBot0001 OPS_CID=Iv1.0123456789abcdef
raxx() { rm -rf "$RAXX_CACHE_DIR"; git-credential-raxx "$@"; }
secret() { fake_set vault "secrets.$1.$2" -s "$3"; }
unset_secret() { fake_unset vault "secrets.$1.$2"; }
# the issuer of the last JWT GitHub saw on an access_tokens call
last_iss() { fake_log github --last -p jwt.iss 'path~/access_tokens$' jwt; }

fake_set github apps.3501352.client_id -s "$DEV_CID" apps.3501353.client_id -s "$OPS_CID"

test_expect_success 'a numeric APP_ID is still the issuer without CLIENT_ID' '
	raxx --bot raxx-dev-bot token >out &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out &&
	test "$(last_iss)" = 3501352
'

test_expect_success 'CLIENT_ID beside APP_ID is the issuer (GitHub looks the App up by it)' '
	test_when_finished "unset_secret $DEV CLIENT_ID" &&
	secret $DEV CLIENT_ID $DEV_CID &&
	raxx --bot raxx-dev-bot token >out.cid &&
	grep ^ghs_ out.cid &&
	test "$(last_iss)" = $DEV_CID
'

test_expect_success 'CLIENT_ID alone, without APP_ID, is enough' '
	test_when_finished "unset_secret $DEV CLIENT_ID; secret $DEV APP_ID 3501352" &&
	secret $DEV CLIENT_ID $DEV_CID &&
	unset_secret $DEV APP_ID &&
	raxx --bot raxx-dev-bot token >out.only 2>err &&
	grep ^ghs_ out.only &&
	test_must_be_empty err &&
	test "$(last_iss)" = $DEV_CID
'

test_expect_success 'APP_ID holding a client ID (the Iv1. form) is accepted as the issuer' '
	test_when_finished "secret $OPS APP_ID 3501353" &&
	secret $OPS APP_ID $OPS_CID &&
	raxx --bot raxx-ops-bot token >out.ops &&
	grep ^ghs_ out.ops &&
	test "$(last_iss)" = $OPS_CID
'

test_expect_success 'a stale installation heals with a client-ID issuer too' '
	test_when_finished "unset_secret $DEV CLIENT_ID; secret $DEV INSTALLATION_ID 4711; rm -rf \"$RAXX_STATE_DIR\"" &&
	secret $DEV CLIENT_ID $DEV_CID &&
	secret $DEV INSTALLATION_ID 999 &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.heal 2>err &&
	grep ^ghs_ out.heal &&
	test_grep "installation 999 of App $DEV_CID for raxx-dev-bot is gone" err &&
	test "$(count_requests github GET /api/v3/repos/raxx-app/demo/installation 200)" = 1
'

test_expect_success 'an issuer that is neither form: exit 3 before anything reaches GitHub' '
	test_when_finished "secret $DEV APP_ID 3501352" &&
	secret $DEV APP_ID app-3501352 &&
	n=$(count_requests github POST "/api/v3/app/installations/.*") &&
	test_expect_code 3 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "the App JWT issuer .app-3501352. is neither an App ID (a number) nor a client ID" err &&
	test_grep "CLIENT_ID" err &&
	test "$(count_requests github POST "/api/v3/app/installations/.*")" = "$n"
'

test_expect_success 'a client ID GitHub does not know: exit 3, naming CLIENT_ID' '
	test_when_finished "unset_secret $DEV CLIENT_ID" &&
	secret $DEV CLIENT_ID Iv23liSomeoneElse999 &&
	test_expect_code 3 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "A JSON web token could not be decoded" err &&
	test_grep "APP_ID (or CLIENT_ID) and PRIVATE_KEY_PEM must belong to the same App" err
'

test_expect_success 'doctor: CLIENT_ID as the issuer passes bot-secrets and app-key' '
	test_when_finished "unset_secret $DEV CLIENT_ID" &&
	secret $DEV CLIENT_ID $DEV_CID &&
	git-credential-raxx --bot raxx-dev-bot doctor >doctor.out 2>&1;
	test_grep "^\[PASS\] bot-secrets  *CLIENT_ID (the JWT issuer), INSTALLATION_ID, PRIVATE_KEY_PEM at $DEV" doctor.out &&
	test_grep "^\[PASS\] app-key  *PRIVATE_KEY_PEM signs for App $DEV_CID (raxx-dev-bot)" doctor.out &&
	test_grep "^\[PASS\] mint" doctor.out
'

test_expect_success 'doctor: CLIENT_ID and APP_ID of different Apps fail app-key' '
	test_when_finished "unset_secret $DEV CLIENT_ID; secret $DEV APP_ID 3501352" &&
	secret $DEV CLIENT_ID $DEV_CID &&
	secret $DEV APP_ID 3501353 &&
	test_expect_code 1 git-credential-raxx --bot raxx-dev-bot doctor >doctor.out 2>&1 &&
	test_grep "^\[FAIL\] app-key  *GitHub.s /app answer does not name App $DEV_CID with App ID 3501353" doctor.out &&
	test_grep "fix: check that CLIENT_ID, APP_ID and PRIVATE_KEY_PEM are the same App.s" doctor.out
'

test_secrets_never_leak
test_done
