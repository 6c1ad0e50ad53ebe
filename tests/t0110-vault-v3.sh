#!/bin/sh
# Infisical versions: reads use v4; an older self-hosted vault without the
# v4 routes (Fastify's 404 "Route GET:/api/v4/... not found") is read
# through v3 raw for the rest of the process. A folder or secret 404 is not
# that, and changes nothing.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

raxx() { rm -rf "$RAXX_CACHE_DIR"; git-credential-raxx "$@"; }
v4() { count_requests vault GET "/api/v4/secrets.*" "${1:-}"; }
v3() { count_requests vault GET "/api/v3/secrets/raw.*" "${1:-}"; }
SLUG=v3-handoff-20260621

test_expect_success 'a vault without v4: the mint reads through v3 raw, with workspaceId' '
	fake_set vault api_v4 false &&
	RAXX_TRACE=1 raxx --bot raxx-dev-bot token >out 2>err &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out &&
	test "$(v4 404)" = 1 &&
	test "$(v3 200)" = 1 &&
	test_grep "no v4 routes here (HTTP 404 .Route ... not found.): reading through v3 raw" err &&
	fake_log vault path=/api/v3/secrets/raw -p query.workspaceId -p query.secretPath \
		-p query.environment | sort -u >got &&
	echo "$INFISICAL_PROJECT_ID /MooseQuest/raxx-dev-bot prod" >expect &&
	test_cmp expect got &&
	test "$(fake_log_count vault path=/api/v3/secrets/raw query.projectId~)" = 0
'

test_expect_success 'the v4 404 that switched was Fastify'"'"'s route answer, not a folder 404' '
	grep "\"path\":\"/api/v4/secrets\".*\"status\":404,\"note\":\"no-route\"" "$FAKES/vault.log"
'

test_expect_success 'for the rest of the process: one v4 try, then v3 for every read (handoff)' '
	a=$(v4) &&
	git-credential-raxx handoff provision --task-slug $SLUG --repo raxx-app/demo \
		--bot raxx-dev-bot >out.prov 2>err.prov &&
	b=$(v4) && r3=$(v3) &&
	test $((b - a)) = 1 &&
	mkdir -p wt && git init -q wt &&
	(cd wt && git-credential-raxx handoff attach $SLUG >/dev/null 2>&1 || true) &&
	(cd wt && RAXX_HANDOFF=$SLUG RAXX_TRACE=1 raxx token >../out.handoff 2>../err.handoff) &&
	grep ^ghs_ out.handoff &&
	c=$(v4) &&
	test $((c - b)) = 1 &&
	test "$(v3)" -ge $((r3 + 2)) &&
	test "$(grep -c "reading through v3 raw" err.handoff)" = 1
'

test_expect_success 'doctor says the vault is read through v3' '
	git-credential-raxx --bot raxx-dev-bot doctor >out.doctor 2>err.doctor;
	test_grep "\[PASS\] bot-secrets .*read through v3 raw: this vault has no v4 routes" out.doctor
'

test_expect_success 'without v4, a missing folder is still a folder error (exit 2)' '
	test_expect_code 2 raxx --bot raxx-nobody-bot token 2>err &&
	test_grep "vault fetch failed at /MooseQuest/raxx-nobody-bot: HTTP 404 Folder with path" err &&
	test_grep "check INFISICAL_PATH_PREFIX" err
'

test_expect_success 'with v4, a missing folder never switches to v3' '
	fake_set vault api_v4 true &&
	n=$(v3) &&
	test_expect_code 2 raxx --bot raxx-nobody-bot token 2>err &&
	test_grep "HTTP 404 Folder with path" err &&
	test "$(v3)" = "$n" &&
	raxx --bot raxx-dev-bot token >out.v4 &&
	grep ^ghs_ out.v4 &&
	test "$(v3)" = "$n"
'

test_expect_success 'a server with neither v4 nor v3 secrets: exit 2, check INFISICAL_HOST' '
	test_when_finished "fake_reset vault api_v4 api_v3" &&
	fake_set vault api_v4 false api_v3 false &&
	test_expect_code 2 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "HTTP 404 Route GET:/api/v3/secrets/raw?.* not found: check INFISICAL_HOST: it serves neither v4 nor v3 secrets" err
'

test_secrets_never_leak
test_done
