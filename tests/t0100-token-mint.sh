#!/bin/sh
# token: mint an installation token end to end against the fakes, and
# every failure's exit code and message.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

DEV=/MooseQuest/raxx-dev-bot OPS=/MooseQuest/raxx-ops-bot
# every call here mints: a fresh cache each time (t04xx test the cache)
raxx() { rm -rf "$RAXX_CACHE_DIR"; git-credential-raxx "$@"; }
# escaped_newlines FILE: its text on one line, each newline written \n
escaped_newlines() { awk '{ printf "%s\\n", $0 }' "$1"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }

test_expect_success 'token prints a ghs_ token and nothing else' '
	raxx --bot raxx-dev-bot token >out 2>err &&
	test_line_count = 1 out &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out &&
	test_must_be_empty err
'

test_expect_success 'one login, one fetch, one mint, one TLS connection per host' '
	test "$(count_requests vault POST /api/v1/auth/universal-auth/login 200)" = 1 &&
	test "$(count_requests vault GET /api/v4/secrets 200)" = 1 &&
	test "$(mints)" = 1 &&
	test "$(count_connections vault)" = 1 &&
	test "$(count_connections github)" = 1
'

test_expect_success 'the GitHub fake saw a valid JWT for App 3501352 and our User-Agent' '
	grep "\"iss\":\"3501352\"" "$FAKES/github.log" &&
	grep "\"ua\":\"git-credential-raxx/" "$FAKES/github.log"
'

test_expect_success 'token --json' '
	raxx --bot raxx-dev-bot token --json >out.json &&
	json_get out.json token >out.json.token &&
	grep "^ghs_" out.json.token &&
	test "$(json_get out.json bot source)" = "raxx-dev-bot mint" &&
	token_expiry_ok out.json.token "$(epoch "$(json_get out.json expires_at)")"
'

test_expect_success 'token --export can be eval-ed (an enterprise host: GH_ENTERPRISE_TOKEN and GH_HOST, never GH_TOKEN)' '
	raxx --bot raxx-dev-bot token --export >out.export &&
	! grep GH_TOKEN= out.export &&
	(
		unset GH_TOKEN &&
		eval "$(cat out.export)" &&
		case "$GH_ENTERPRISE_TOKEN" in ghs_*) ;; *) exit 1 ;; esac &&
		test "$GH_HOST" = "$RAXX_GITHUB_HOST" &&
		test -z "${GH_TOKEN-}" &&
		test -n "$GH_TOKEN_EXPIRES_AT"
	)
'

test_expect_success 'a ~520-character stateless token is printed whole' '
	fake_set github token_style -s stateless &&
	test_when_finished "fake_reset github token_style" &&
	raxx --bot raxx-dev-bot token >out.stateless &&
	tok=$(cat out.stateless) &&
	test ${#tok} -gt 400 &&
	case "$tok" in *.*) ;; *) exit 1 ;; esac
'

test_expect_success 'a PKCS#8 key and a PEM with literal \n both mint' '
	fake_set vault "secrets.$DEV.PRIVATE_KEY_PEM" -f "$TLS/dev-app.p8.pem" &&
	raxx --bot raxx-dev-bot token >out.p8 &&
	fake_set vault "secrets.$DEV.PRIVATE_KEY_PEM" -s "$(escaped_newlines "$TLS/dev-app.pem")" &&
	raxx --bot raxx-dev-bot token >out.escaped &&
	grep ^ghs_ out.p8 && grep ^ghs_ out.escaped
'

test_expect_success 'a clock 15 minutes behind GitHub still mints, after one retry' '
	fake_set github clock_offset 900 &&
	test_when_finished "fake_reset github clock_offset" &&
	before=$(count_requests github POST "/api/v3/app/installations/4711/access_tokens" 401) &&
	raxx --bot raxx-dev-bot token >out.skew 2>err.skew &&
	grep ^ghs_ out.skew &&
	test_grep "time is off" err.skew &&
	after=$(count_requests github POST "/api/v3/app/installations/4711/access_tokens" 401) &&
	test $((after - before)) = 1
'

test_expect_success 'a clock 15 minutes ahead of GitHub still mints' '
	fake_set github clock_offset -900 &&
	test_when_finished "fake_reset github clock_offset" &&
	raxx --bot raxx-dev-bot token --json >out.ahead &&
	json_get out.ahead token >out.ahead.token &&
	# expires_at is on local time: the fake'"'"'s, 900 s behind, moved here
	token_expiry_ok out.ahead.token "$(epoch "$(json_get out.ahead expires_at)")" -900
'

# --- exit 2: the vault

test_expect_success 'no bot: exit 2' '
	test_expect_code 2 raxx token 2>err &&
	test_grep "no bot" err
'

test_expect_success 'INFISICAL_* missing: exit 2, each one named, no request sent' '
	before=$(count_requests vault POST /api/v1/auth/universal-auth/login) &&
	(
		unset INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID &&
		test_expect_code 2 raxx --bot raxx-dev-bot token >out.none 2>err
	) &&
	test_must_be_empty out.none &&
	test_grep "INFISICAL_CLIENT_SECRET, INFISICAL_PROJECT_ID not set" err &&
	test "$(count_requests vault POST /api/v1/auth/universal-auth/login)" = "$before"
'

test_expect_success 'wrong client secret: exit 2 with the vault message' '
	INFISICAL_CLIENT_SECRET=wrong test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "vault login failed: HTTP 401 Invalid credentials" err &&
	test_grep "INFISICAL_CLIENT_SECRET" err
'

test_expect_success 'Cloudflare Access 302: exit 2 naming CF_ACCESS_CLIENT_ID/SECRET' '
	fake_set vault cf.id -s cfid.access cf.secret -s "cf-sec-$$" &&
	test_when_finished "fake_reset vault cf" &&
	test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "Cloudflare Access" err &&
	test_grep "CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET" err
'

test_expect_success 'with the CF Access pair set, every vault request carries it' '
	echo "cf-sec-$$" >>"$TRASH/.secrets" &&
	fake_set vault cf.id -s cfid.access cf.secret -s "cf-sec-$$" &&
	test_when_finished "fake_reset vault cf" &&
	CF_ACCESS_CLIENT_ID=cfid.access CF_ACCESS_CLIENT_SECRET="cf-sec-$$" \
		raxx --bot raxx-dev-bot token >out.cf 2>err &&
	grep ^ghs_ out.cf &&
	test_must_be_empty err
'

test_expect_success 'one CF variable alone is ignored with a warning' '
	CF_ACCESS_CLIENT_ID=cfid.access raxx --bot raxx-dev-bot token >out.cf1 2>err &&
	grep ^ghs_ out.cf1 &&
	test_grep "only CF_ACCESS_CLIENT_ID is set: ignoring it" err
'

test_expect_success 'a vault that is down: exit 2' '
	INFISICAL_HOST=https://127.0.0.1:1 test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "vault at .* unreachable" err
'

test_expect_success 'a vault that hangs: exit 2 within RAXX_TIMEOUT' '
	fake_set vault hang true &&
	test_when_finished "fake_reset vault hang" &&
	RAXX_TIMEOUT=2 test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "did not answer in time" err
'

test_expect_success 'a vault whose certificate is not trusted: exit 2, TLS named' '
	(
		unset RAXX_CA_BUNDLE &&
		test_expect_code 2 raxx --bot raxx-dev-bot token 2>err
	) &&
	test_grep "TLS failure" err
'

test_expect_success 'http:// vault refused unless loopback is allowed' '
	INFISICAL_HOST=http://127.0.0.1:$VAULT_PORT test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "only https:// is accepted" err
'

test_expect_success 'the bot folder is missing in the vault: exit 2 with the path' '
	test_expect_code 2 raxx --bot raxx-nope-bot token 2>err &&
	test_grep "vault fetch failed at /MooseQuest/raxx-nope-bot: HTTP 404" err
'

test_expect_success 'INFISICAL_PATH_PREFIX and INFISICAL_ENV are honoured' '
	INFISICAL_PATH_PREFIX=/MooseQuest/github/ test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "/MooseQuest/github/raxx-dev-bot" err &&
	INFISICAL_ENV=staging test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "HTTP 404" err
'

test_expect_success 'an expired vault session is renewed by a new login' '
	fake_set vault behavior.secrets -s expire-token &&
	test_when_finished "fake_reset vault behavior" &&
	test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "TokenError\|expired" err
'

# --- exit 4: the bot secrets

test_expect_success 'lower-case look-alike keys: exit 4, names and hints' '
	fake_mv vault "secrets.$DEV.APP_ID" "secrets.$DEV.app-id" &&
	fake_mv vault "secrets.$DEV.PRIVATE_KEY_PEM" "secrets.$DEV.private-key-pem" &&
	test_when_finished "fake_reset vault secrets.$DEV" &&
	test_expect_code 4 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "missing keys: APP_ID, PRIVATE_KEY_PEM" err &&
	test_grep "app-id. should be named APP_ID" err &&
	test_grep "private-key-pem. should be named PRIVATE_KEY_PEM" err
'

# --- exit 3: the App credentials

test_expect_success 'a PEM that does not parse: exit 3, nothing sent to GitHub' '
	printf "%s\n" "-----BEGIN RSA PRIVATE KEY-----" AAAA "-----END RSA PRIVATE KEY-----" >bad.pem &&
	fake_set vault "secrets.$OPS.PRIVATE_KEY_PEM" -f bad.pem &&
	before=$(count_requests github POST "/api/v3/app/installations/4712/access_tokens") &&
	test_expect_code 3 raxx --bot raxx-ops-bot token 2>err &&
	test_grep "does not parse" err &&
	test "$(count_requests github POST "/api/v3/app/installations/4712/access_tokens")" = "$before"
'

test_expect_success 'a key of another App: exit 3 with GitHub'"'"'s message' '
	fake_set vault "secrets.$OPS.PRIVATE_KEY_PEM" -f "$TLS/dev-app.pem" &&
	test_expect_code 3 raxx --bot raxx-ops-bot token 2>err &&
	test_grep "A JSON web token could not be decoded" err &&
	fake_reset vault "secrets.$OPS.PRIVATE_KEY_PEM"
'

test_expect_success 'a suspended installation: exit 3' '
	fake_set github apps.3501353.installations.4712.suspended true &&
	test_when_finished "fake_reset github apps.3501353.installations.4712.suspended" &&
	test_expect_code 3 raxx --bot raxx-ops-bot token 2>err &&
	test_grep "This installation has been suspended" err
'

# --- exit 5 and 6: GitHub

test_expect_success 'a stale installation id: exit 5' '
	fake_set vault "secrets.$OPS.INSTALLATION_ID" -s 999 &&
	test_when_finished "fake_reset vault secrets.$OPS.INSTALLATION_ID" &&
	test_expect_code 5 raxx --bot raxx-ops-bot token 2>err &&
	test_grep "installation 999 of App 3501353 not found" err
'

for case in 500:"HTTP 500" redirect:redirect badjson:"not JSON" newline-token:"no usable token" \
	badchar-token:"no usable token" no-expiry:"no valid expires_at" past-expiry:"expired already"
do
	behavior=${case%%:*} msg=${case#*:}
	test_expect_success "GitHub answers $behavior: exit 6" '
		fake_set github behavior.access_tokens -s "$behavior" &&
		test_when_finished "fake_reset github behavior" &&
		test_expect_code 6 raxx --bot raxx-dev-bot token >out.bad 2>err &&
		test_must_be_empty out.bad &&
		test_grep "$msg" err
	'
done

test_expect_success 'a 502 once is retried and then mints' '
	fake_set github behavior.access_tokens -s 502 behavior.fail_times 1 behavior.fail_id -s "$$-1" &&
	test_when_finished "fake_reset github behavior" &&
	raxx --bot raxx-dev-bot token >out.retry &&
	grep ^ghs_ out.retry
'

test_expect_success 'a 429 with Retry-After is waited for and retried' '
	fake_set github behavior.access_tokens -s 429 behavior.fail_times 1 behavior.fail_id -s "$$-2" &&
	test_when_finished "fake_reset github behavior" &&
	raxx --bot raxx-dev-bot token >out.429 &&
	grep ^ghs_ out.429
'

test_expect_success 'GitHub unreachable: exit 6' '
	RAXX_GITHUB_API=https://127.0.0.1:1/api/v3 test_expect_code 6 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "GitHub at .* unreachable" err
'

test_expect_success 'GitHub hangs: exit 6 within RAXX_TIMEOUT' '
	fake_set github hang true &&
	test_when_finished "fake_reset github hang" &&
	RAXX_TIMEOUT=3 test_expect_code 6 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "did not answer in time" err
'

test_expect_success 'http:// GitHub API refused: exit 6' '
	RAXX_GITHUB_API=http://example.com/api/v3 test_expect_code 6 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "RAXX_GITHUB_API uses http" err
'

test_expect_success 'usage errors: exit 64' '
	test_expect_code 64 raxx --frobnicate token 2>err &&
	test_grep "unknown option" err &&
	test_expect_code 64 raxx --bot raxx-dev-bot token --bogus 2>err &&
	test_expect_code 64 raxx --bot 2>err &&
	test_expect_code 64 raxx --repo not-a-repo token 2>err
'

test_expect_success 'RAXX_TRACE shows each step and no secret' '
	RAXX_TRACE=1 raxx --bot raxx-dev-bot token >out.trace 2>err.trace &&
	test_grep "trace: POST https://127.0.0.1:$VAULT_PORT/api/v1/auth/universal-auth/login -> 200" err.trace &&
	test_grep "trace: GET https://127.0.0.1:$VAULT_PORT/api/v4/secrets -> 200" err.trace &&
	test_grep "access_tokens -> 201" err.trace
'

test_secrets_never_leak
test_done
