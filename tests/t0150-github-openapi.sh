#!/bin/sh
# The fakes against GitHub's published description: every REST call the
# program makes in the runs below (mint, scoped mint, refusals, discovery
# with a renamed repository, revoke, doctor, doctor --ops, handoff verify)
# is logged by the GitHub fake with its bodies and checked against
# tests/openapi/github-rest.json, extracted from @octokit/openapi: the
# program's request bodies, the statuses and the fake's answers. No network.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

SPEC="$TEST_DIR/openapi/github-rest.json"
VALIDATE="$TEST_DIR/openapi/validate.py"
DEV=/MooseQuest/raxx-dev-bot
raxx() { rm -rf "$RAXX_CACHE_DIR"; git-credential-raxx "$@"; }
set_inst() { fake_set vault "secrets.$DEV.INSTALLATION_ID" -s "$1"; }
fake_set github log_bodies true

cat >map.yaml <<'YAML'
bots:
  raxx-dev-bot:
    agents: [feature-developer]
    permissions: {contents: write, pull_requests: write, issues: write, workflows: write}
  raxx-ops-bot:
    agents: [sre-agent]
    permissions: {contents: read, administration: write}
YAML

test_expect_success 'the committed description names its source and version' '
	python3 - "$SPEC" <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	s = d["source"]
	assert s["package"] == "@octokit/openapi" and s["version"], s
	assert s["file"] == "generated/api.github.com.deref.json", s
	ops = {(o["method"], o["path"]) for o in d["operations"]}
	assert ("POST", "/app/installations/{installation_id}/access_tokens") in ops, ops
	body = [o for o in d["operations"] if o["path"].endswith("/access_tokens")][0]["request_body"]
	assert sorted(body["schema"]["properties"]) == ["permissions", "repositories", "repository_ids"], body
	PY
'

test_expect_success 'runs: mints, scoped mints, refusals' '
	raxx --bot raxx-dev-bot token >out.plain &&
	RAXX_BOT_MAP=$PWD/map.yaml raxx --agent feature-developer --repo raxx-app/demo token >out.scoped &&
	test_expect_code 3 env RAXX_BOT_MAP=$PWD/map.yaml git-credential-raxx --agent sre-agent --repo raxx-app/demo token 2>err.422 &&
	test_grep "HTTP 422" err.422
'

test_expect_success 'runs: discovery (404, 200, a renamed repository 301)' '
	test_when_finished "set_inst 4711; fake_reset github renames" &&
	set_inst 999 &&
	test_expect_code 5 raxx --bot raxx-dev-bot --repo raxx-app/nope token 2>/dev/null &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.heal 2>/dev/null &&
	rm -rf "$RAXX_STATE_DIR" &&
	fake_set github renames.old-org -s raxx-app &&
	raxx --bot raxx-dev-bot --repo old-org/demo token >out.moved 2>/dev/null &&
	rm -rf "$RAXX_STATE_DIR"
'

test_expect_success 'runs: revoke' '
	git-credential-raxx --bot raxx-dev-bot token >out.rev &&
	git-credential-raxx --bot raxx-dev-bot revoke >/dev/null 2>&1 &&
	test "$(count_requests github DELETE /api/v3/installation/token 204)" -ge 1
'

test_expect_success 'runs: doctor (App, installations, users, clock) and doctor --ops (user)' '
	git-credential-raxx --bot raxx-dev-bot doctor >/dev/null 2>&1;
	set_inst 999 &&
	git-credential-raxx --bot raxx-dev-bot doctor >/dev/null 2>&1;
	set_inst 4711 &&
	INFISICAL_HOST=https://127.0.0.1:9 git-credential-raxx --bot raxx-dev-bot doctor >/dev/null 2>&1;
	set_operator_pat "ghp_$(random_secret | cut -c1-36)" &&
	GITHUB_API_SECRETS_TOKEN=$(tail -n 1 "$TRASH/.secrets") \
		git-credential-raxx doctor --ops >/dev/null 2>&1;
	test "$(count_requests github GET /api/v3/user 200)" = 1
'

test_expect_success 'runs: handoff provision and verify (installation repositories)' '
	git-credential-raxx handoff provision --task-slug openapi-check --repo raxx-app/demo \
		--bot raxx-dev-bot >/dev/null 2>&1 &&
	git-credential-raxx handoff verify --task-slug openapi-check >verdict &&
	test_grep "^verdict: handoff openapi-check is sound" verdict
'

test_expect_success 'every exchange fits GitHub'"'"'s description, and every operation was seen' '
	python3 "$VALIDATE" --require-all "$FAKES/github.log" >report &&
	cat report &&
	test_grep "0 problems" report &&
	test_grep "(10 of 10 operations seen)" report
'

test_expect_success 'the request bodies checked include permissions and repositories' '
	grep "\"request_json\":{\"repositories\":\[\"demo\"\],\"permissions\":{\"contents\":\"write\"" "$FAKES/github.log"
'

test_expect_success 'the check catches drift: a fake answer or a request body GitHub would not give' '
	python3 - "$FAKES/github.log" drift.log <<-\PY &&
	import json, sys
	out = open(sys.argv[2], "w")
	done = set()
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    p = e.get("path", "")
	    if p.startswith("/api/v3/repos/") and p.endswith("/installation") and e.get("status") == 200 and "inst" not in done:
	        del e["response_json"]["account"]
	        e["response_json"]["repository_selection"] = "some"
	        done.add("inst")
	    elif p.endswith("/access_tokens") and e.get("request_json") and "body" not in done:
	        e["request_json"]["permissions"]["contnets"] = "write"
	        e["request_json"]["repositories"] = "demo"
	        done.add("body")
	    elif p == "/api/v3/app" and e.get("status") == 200 and "app" not in done:
	        e["response_json"]["owner"]["login"] = None
	        done.add("app")
	    elif p == "/api/v3/installation/token" and "tok" not in done:
	        e["status"] = 200
	        done.add("tok")
	    elif p == "/api/v3/installation/repositories" and "unknown" not in done:
	        e["path"] = "/api/v3/installation/repos"
	        done.add("unknown")
	    out.write(json.dumps(e) + "\n")
	assert len(done) == 5, done
	PY
	test_expect_code 1 python3 "$VALIDATE" drift.log >report.drift &&
	cat report.drift &&
	test_grep "answer: required property .account. missing" report.drift &&
	test_grep "answer.repository_selection: .some. is not one of" report.drift &&
	test_grep "request body.permissions: property .contnets. is not in GitHub.s description" report.drift &&
	test_grep "request body.repositories: str, not array" report.drift &&
	test_grep "answer.owner.*login: null, which is not allowed" report.drift &&
	test_grep "DELETE /installation/token -> 200: HTTP 200 is not an answer GitHub lists" report.drift &&
	test_grep "GET /installation/repos -> 200: not an operation the program is known to use" report.drift
'

test_secrets_never_leak
test_done
