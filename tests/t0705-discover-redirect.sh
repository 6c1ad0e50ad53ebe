#!/bin/sh
# A renamed organization: GET /repos/OLD/REPO/installation answers 301 to
# /repositories/ID/installation on the same API, as GitHub does. Discovery
# follows one 301/307/308 within the API (scheme, host, port, base path),
# sending the App JWT only there; anything else is refused, naming where it
# pointed, and the JWT goes nowhere else.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

DEV=/MooseQuest/raxx-dev-bot
set_inst() { fake_set vault "secrets.$DEV.INSTALLATION_ID" -s "$1"; }
cold() { rm -rf "$RAXX_CACHE_DIR" "$RAXX_STATE_DIR"; }
lookups() { count_requests github GET "$1" "${2:-}"; }
# the id the fake gives a repository: a stable hash of the name (the first
# 12 hex of the SHA-256 of it in lower case, modulo 10^8, plus 1000)
repo_id() {
	_h=$(sha256_hex "$(printf %s "$1" | tr "[:upper:]" "[:lower:]")" | cut -c1-12)
	echo $((0x$_h % 100000000 + 1000))
}
DEMO_ID=$(repo_id raxx-app/demo)
OTHER_ID=$(repo_id raxx-app/other)
redirect_to() {
	fake_set github redirect_location -s "$1" redirect_status "${2:-301}"
}
no_redirect_override() {
	fake_unset github redirect_location redirect_status
}

# Another GitHub at another origin (same address, another port), answering
# as the real one would: a client that followed would get an installation.
cp "$FAKES/github.json" "$FAKES/elsewhere.json"
ELSEWHERE_PORT=$(start_fake elsewhere github --state "$FAKES/elsewhere-tokens.json") ||
	{ echo "Bail out! no second fake"; exit 1; }
: >>"$FAKES/elsewhere.log"
elsewhere_requests() { grep -c '"method"' "$FAKES/elsewhere.log" || true; }

test_expect_success 'setup: the organization old-org is now raxx-app' '
	fake_set github renames.old-org -s raxx-app &&
	git init -q -b main wt &&
	git -C wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C wt remote add origin "$GIT_URL/old-org/demo.git" &&
	git -C wt fetch -q origin 2>err &&
	git -C wt checkout -q -b main origin/main
'

test_expect_success 'a stale INSTALLATION_ID and an origin naming the old org: a real git push heals' '
	cold &&
	test_when_finished "set_inst 4711" &&
	set_inst 999 &&
	echo moved >wt/moved.txt &&
	git -C wt add moved.txt &&
	git -C wt commit -q -m "pushed through a renamed organization" &&
	git -C wt push origin main 2>err &&
	test_grep "update INSTALLATION_ID at $DEV (environment prod) from 999 to 4711" err &&
	test_grep "found through old-org/demo" err &&
	test_grep "old-org/demo. moved: GitHub answered with a redirect to .$RAXX_GITHUB_API/repositories/$DEMO_ID/installation." err &&
	test "$(lookups /api/v3/repos/old-org/demo/installation 301)" = 1 &&
	test "$(lookups /api/v3/repositories/$DEMO_ID/installation 200)" = 1 &&
	log_notes github | grep "POST /raxx-app/demo.git/git-receive-pack 200 push-by:raxx-dev-bot" &&
	git --git-dir="$FAKES/repos/raxx-app/demo.git" log -1 --format=%s main >msg &&
	test "$(cat msg)" = "pushed through a renamed organization"
'

test_expect_success 'the JWT went to the API origin only, on both requests' '
	both="path~^/api/v3/(repos/old-org/demo|repositories/$DEMO_ID)/installation\$" &&
	test "$(fake_log_count github "$both")" = 2 &&
	test "$(fake_log_count github "$both" authorization)" = 2
'

test_expect_success '307 and 308 within the API are followed too' '
	test_when_finished "set_inst 4711; no_redirect_override" &&
	set_inst 999 &&
	for st in 307 308; do
		cold &&
		redirect_to "$RAXX_GITHUB_API/repositories/$OTHER_ID/installation" $st &&
		git-credential-raxx --bot raxx-dev-bot --repo old-org/other token >out.$st 2>err.$st &&
		grep ^ghs_ out.$st &&
		test_grep "from 999 to 4711" err.$st || return 1
	done
'

refused() {
	cold &&
	set_inst 999 &&
	redirect_to "$1" "${2:-301}" &&
	test_expect_code 6 git-credential-raxx --bot raxx-dev-bot --repo old-org/demo \
		token >out.refused 2>err &&
	test_must_be_empty out.refused &&
	test_grep "installation 999 of App 3501352 not found (HTTP 404), and looking it up again failed" err &&
	test_grep ! "check RAXX_GITHUB_API" err
}

test_expect_success 'a redirect to another origin is refused, naming it; the JWT is not sent there' '
	test_when_finished "set_inst 4711; no_redirect_override" &&
	target="https://127.0.0.1:$ELSEWHERE_PORT/api/v3/repositories/$DEMO_ID/installation" &&
	refused "$target" &&
	test_grep "GitHub answered HTTP 301 for .old-org/demo., a redirect to .$target., which leaves the API at .$RAXX_GITHUB_API.: not followed, and the App JWT not sent there" err &&
	test "$(elsewhere_requests)" = 0 &&
	test_grep ! "\"authorization\":true" "$FAKES/elsewhere.log"
'

test_expect_success 'same host, another scheme; a path outside the API; userinfo; encoded dots: refused' '
	test_when_finished "set_inst 4711; no_redirect_override" &&
	for loc in "http://127.0.0.1:$GITHUB_PORT/api/v3/repositories/$DEMO_ID/installation" \
		"/elsewhere/repositories/$DEMO_ID/installation" \
		"/api/v3x/repositories/$DEMO_ID/installation" \
		"https://someone@127.0.0.1:$GITHUB_PORT/api/v3/repositories/$DEMO_ID/installation" \
		"/api/v3/%2e%2e/repositories/$DEMO_ID/installation"; do
		refused "$loc" &&
		test_grep "which leaves the API at" err || return 1
	done &&
	test "$(lookups "/elsewhere/.*")" = 0 &&
	test "$(lookups "/api/v3x/.*")" = 0 &&
	test "$(lookups "/api/v3/%2e%2e/.*")" = 0 &&
	test "$(lookups "/repositories/.*")" = 0
'

test_expect_success 'a 302, even within the API, is not followed' '
	test_when_finished "set_inst 4711; no_redirect_override" &&
	n=$(lookups "/api/v3/repositories/$DEMO_ID/installation") &&
	refused "$RAXX_GITHUB_API/repositories/$DEMO_ID/installation" 302 &&
	test_grep "GitHub answered HTTP 302 for .old-org/demo., a redirect to .$RAXX_GITHUB_API/repositories/$DEMO_ID/installation.: only a 301, 307 or 308 within the API is followed" err &&
	test "$(lookups "/api/v3/repositories/$DEMO_ID/installation")" = "$n"
'

test_expect_success 'at most one redirect is followed (a relative Location is resolved)' '
	test_when_finished "set_inst 4711; no_redirect_override" &&
	n=$(lookups /api/v3/repos/old-org/demo/installation) &&
	refused "/api/v3/repos/old-org/demo/installation" &&
	test_grep "GitHub redirected .old-org/demo. twice (to .$RAXX_GITHUB_API/repos/old-org/demo/installation., then HTTP 301" err &&
	test "$(lookups /api/v3/repos/old-org/demo/installation)" = $((n + 2))
'

test_expect_success 'a repository neither renamed nor redirected is looked up as before' '
	cold &&
	test_when_finished "set_inst 4711" &&
	set_inst 999 &&
	git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.plain 2>err &&
	grep ^ghs_ out.plain &&
	test_grep ! "moved" err
'

test_secrets_never_leak
test_done
