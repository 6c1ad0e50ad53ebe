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
	test "$(stat -c %a "$BROKER_SOCK")" = 600 &&
	test "$(stat -c %a "$TRASH/run")" = 700 &&
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
	test_grep "raxx: broker: uid=$(id -u) action=token bot=raxx-dev-bot repo=- outcome=minted" broker.err &&
	test_grep "outcome=held token" broker.err &&
	test_grep "\"event\":\"mint\",\"bot\":\"raxx-dev-bot\".*\"reason\":\"broker uid $(id -u)\"" state/audit.log &&
	test_grep "\"event\":\"reuse\",\"bot\":\"raxx-ops-bot\"" state/audit.log
'

test_expect_success 'status: the broker in use, and the token held there' '
	as_client git-credential-raxx --bot raxx-dev-bot status >out.status 2>err.status &&
	test_grep "^broker   $BROKER_SOCK (pid $BROKER_PID, uid $(id -u); 2 App keys and 2 tokens held)" out.status &&
	test_grep "^token    $(printf %s "$(cat out.dev)" | b2sum -l 256 | cut -c1-12), expires" out.status &&
	as_client git-credential-raxx --bot raxx-dev-bot status --json >out.sj &&
	python3 -c "import json,sys; d=json.load(open(\"out.sj\")); assert d[\"broker\"] == sys.argv[1], d" "$BROKER_SOCK"
'

test_expect_success 'a broker named but silent: exit 2, never a local mint' '
	as_client RAXX_BROKER_SOCKET="$TRASH/nobody.sock" INFISICAL_CLIENT_ID=x \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token >out.silent 2>err.silent &&
	test_must_be_empty out.silent &&
	test_grep "broker at .*nobody.sock. does not answer" err.silent &&
	test "$(mints)" = 2
'

test_done
