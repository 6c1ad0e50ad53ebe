#!/usr/bin/env bash
# selftest.sh — proof that the local fakes behave: makes a CA and an App key in
# a temp dir, starts fake_vault.py and fake_github.py, and drives them with
# curl, a tiny JWT signer (openssl dgst) and real git over HTTPS. TAP output.
#   usage: tests/fakes/selftest.sh        (KEEP=1 keeps the temp dir)
set -u

here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../lib
T=$(mktemp -d "${TMPDIR:-/tmp}/raxx-fakes.XXXXXX")
VPID='' GPID=''

cleanup() {
	for p in $VPID $GPID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "# kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0 failed=0
ok()    { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# check DESC CMD...: ok when CMD succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d" "failed: $*"; fi; }
# is DESC GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got:  '$2'" "want: '$3'"; fi; }
like() { if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else notok "$1" "got:  '$2'" "want /$3/"; fi; }

# ----------------------------------------------------------------- material
"$lib/mkca.sh" "$T/ca" || { echo "Bail out! mkca.sh failed"; exit 1; }
"$lib/mkappkey.sh" "$T/keys" app || { echo "Bail out! mkappkey.sh failed"; exit 1; }
"$lib/mkappkey.sh" "$T/keys" other || { echo "Bail out! mkappkey.sh failed"; exit 1; }
CA=$T/ca/ca.pem
mkdir -p "$T/repos/raxx-app" "$T/home" "$T/vault" "$T/github"
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false
unset SSLKEYLOGFILE GIT_DIR GIT_WORK_TREE
git config --global user.name selftest
git config --global user.email selftest@example.invalid
git config --global init.defaultBranch main

CLIENT_SECRET=csecret-$RANDOM$RANDOM-selftest
PAT=ghp_operatorSelftestPAT$RANDOM$RANDOM
CF_SECRET=cf-secret-$RANDOM$RANDOM

# The JWT signer: iat = now-60, exp = now+540, both shifted by OFFSET.
cat >"$T/jwt.py" <<'PY'
import base64, json, subprocess, sys, time
key, iss = sys.argv[1], sys.argv[2]
off = int(sys.argv[3]) if len(sys.argv) > 3 else 0
now = int(time.time()) + off
b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
signing = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + \
          b64(json.dumps({"iat": now - 60, "exp": now + 540, "iss": iss}).encode())
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                     stdout=subprocess.PIPE, check=True).stdout
print(signing + "." + b64(sig))
PY
jwt() { python3 "$T/jwt.py" "$@"; }

# Edit a fake's JSON config in place (atomically), as the tests do:
# cfgset FILE PATH JSON... ; cfgunset FILE PATH... (tests/lib/jsontool.py)
cfgset() { python3 "$lib/jsontool.py" set "$@"; }
cfgunset() { python3 "$lib/jsontool.py" unset "$@"; }
sha256_hex() {
	if command -v sha256sum >/dev/null 2>&1; then printf '%s' "$1" | sha256sum | cut -d' ' -f1
	else printf '%s' "$1" | shasum -a 256 | cut -d' ' -f1; fi
}
jq_() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

CLIENT_SECRET=$CLIENT_SECRET PAT=$PAT T=$T python3 - <<'PY'
import hashlib, json, os
T = os.environ["T"]
pem = open(T + "/keys/app.pem").read()
json.dump({"client_id": "cid-selftest", "client_secret": os.environ["CLIENT_SECRET"],
           "project_id": "proj-1", "environment": "prod", "cf": None,
           "secrets": {"/MooseQuest/raxx-dev-bot": {"APP_ID": "123", "INSTALLATION_ID": "456",
                                                    "PRIVATE_KEY_PEM": pem}}},
          open(T + "/vault/config.json", "w"), indent=2)
json.dump({"apps": {"123": {"slug": "raxx-dev-bot",
                            "modulus": open(T + "/keys/app.modulus").read().strip(), "exponent": 65537,
                            "permissions": {"contents": "write", "pull_requests": "write",
                                            "issues": "write", "metadata": "read"},
                            "installations": {"456": {"account": "raxx-app",
                                                      "repositories": ["raxx-app/demo", "raxx-app/other"],
                                                      "suspended": False}}}},
           "users": {"raxx-dev-bot[bot]": 4242, "operator": 7},
           "pats": {hashlib.sha256(os.environ["PAT"].encode()).hexdigest(): "operator"},
           "repos_root": T + "/repos", "behavior": {}, "clock_offset": 0, "token_ttl": 3600,
           "token_style": "classic"},
          open(T + "/github/config.json", "w"), indent=2)
PY

# ----------------------------------------------------------------- start fakes
start() {   # start NAME SCRIPT -> sets ${NAME}_PORT
	local script=$2 d=$T/$1
	python3 "$here/$script" --cert "$T/ca/server.pem" --key "$T/ca/server.key" \
		--config "$d/config.json" --log "$d/log.jsonl" \
		--port-file "$d/port" --pid-file "$d/pid" 2>"$d/stderr" &
}
t0=$(python3 -c 'import time; print(time.time())')
start vault fake_vault.py; VPID=$!
start github fake_github.py; GPID=$!
for _ in $(seq 100); do [ -s "$T/vault/port" ] && [ -s "$T/github/port" ] && break; sleep 0.05; done
t1=$(python3 -c 'import time; print(time.time())')
[ -s "$T/vault/port" ] && [ -s "$T/github/port" ] || { echo "Bail out! fakes did not start"; cat "$T"/*/stderr; exit 1; }
VPORT=$(cat "$T/vault/port") GPORT=$(cat "$T/github/port")
V=https://127.0.0.1:$VPORT G=https://127.0.0.1:$GPORT
is "vault pid file names the vault" "$(cat "$T/vault/pid")" "$VPID"
check "both fakes listening in under a second" python3 -c "import sys; sys.exit(not ($t1 - $t0) < 1.0)"

# req METHOD URL [curl args...] -> $code, $body (file $T/body), headers in $T/hdr
req() {
	local m=$1 u=$2; shift 2
	code=$(curl -sS --cacert "$CA" -A raxx-selftest/1 -X "$m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$u")
	body=$(cat "$T/body")
}
hdr() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# ----------------------------------------------------------------- vault
login_body=$(printf '{"clientId":"cid-selftest","clientSecret":"%s"}' "$CLIENT_SECRET")
req GET "$V/api/v4/secrets" -H 'User-Agent:'
is "vault: no User-Agent -> 403 error code: 1010" "$code $body" "403 error code: 1010"

req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' \
	--data '{"clientId":"cid-selftest","clientSecret":"wrong"}'
is "vault: wrong client secret -> 401 Invalid credentials" "$code $(jq_ 'd["message"]' <<<"$body")" "401 Invalid credentials"

req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' \
	-H 'Authorization: Bearer x' --data "$login_body"
is "vault: login carrying Authorization -> 400" "$code" "400"

req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' \
	--data " {\"clientId\":\" cid-selftest \",\"clientSecret\":\"$CLIENT_SECRET\"} "
VTOK=$(jq_ 'd["accessToken"]' <<<"$body")
is "vault: login ok (values trimmed)" "$code $(jq_ 'd["tokenType"], d["expiresIn"]' <<<"$body")" "200 ('Bearer', 2592000)"
like "vault: access token looks like a JWT" "$VTOK" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'

q="projectId=proj-1&environment=prod&secretPath=/MooseQuest/raxx-dev-bot/&viewSecretValue=true"
q="$q&expandSecretReferences=true&recursive=false&include_imports=false&includeImports=false"
req GET "$V/api/v4/secrets?$q" -H "Authorization: Bearer $VTOK"
got=$(jq_ '{s["secretKey"]: s["secretValue"] for s in d["secrets"]}["APP_ID"], d["imports"]' <<<"$body")
is "vault: v4 secrets fetch" "$code $got" "200 ('123', [])"
pem_ok=$(jq_ '[s["secretValue"] for s in d["secrets"] if s["secretKey"] == "PRIVATE_KEY_PEM"][0] == open("'"$T"'/keys/app.pem").read()' <<<"$body")
is "vault: PRIVATE_KEY_PEM round-trips" "$pem_ok" "True"

req GET "$V/api/v3/secrets/raw?workspaceId=proj-1&environment=prod&secretPath=/MooseQuest/raxx-dev-bot&include_imports=false" \
	-H "Authorization: Bearer $VTOK"
is "vault: v3 raw fetch" "$code $(jq_ 'len(d["secrets"])' <<<"$body")" "200 3"

req GET "$V/api/v4/secrets?projectId=proj-1&environment=prod&secretPath=/MooseQuest/raxx-dev-bot&recursive=1" \
	-H "Authorization: Bearer $VTOK"
is "vault: boolean flag not true/false -> 422 with array message" "$code $(jq_ 'type(d["message"]).__name__' <<<"$body")" "422 list"
req GET "$V/api/v4/secrets?projectId=proj-1&environment=prod&secretPath=/MooseQuest/nobot" -H "Authorization: Bearer $VTOK"
is "vault: unknown path -> 404 SecretPathNotFound" "$code $(jq_ 'd["error"]' <<<"$body")" "404 SecretPathNotFound"
req GET "$V/api/v4/secrets?projectId=proj-1&environment=dev&secretPath=/MooseQuest/raxx-dev-bot" -H "Authorization: Bearer $VTOK"
is "vault: wrong environment -> 404" "$code" "404"
req GET "$V/api/v4/secrets?$q"
is "vault: no token -> 401 Token missing" "$code $(jq_ 'd["message"]' <<<"$body")" "401 Token missing"
req GET "$V/api/v4/secrets?$q" -H "Authorization: Bearer ${VTOK}x"
is "vault: unknown token -> 401" "$code" "401"

cfgset "$T/vault/config.json" behavior '{"secrets": "expire-token"}'
req GET "$V/api/v4/secrets?$q" -H "Authorization: Bearer $VTOK"
is "vault: expired session -> 403 TokenError" "$code $(jq_ 'd["error"]' <<<"$body")" "403 TokenError"
cfgset "$T/vault/config.json" behavior '{"login": "500", "fail_times": 1}'
req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' --data "$login_body"
c1=$code
req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' --data "$login_body"
is "vault: forced login 500, once (fail_times)" "$c1 $code" "500 200"
cfgset "$T/vault/config.json" behavior '{}' cf.id '"cfid.access"' cf.secret "\"$CF_SECRET\""
req GET "$V/api/v4/secrets?$q" -H "Authorization: Bearer $VTOK"
like "vault: Cloudflare Access without service token -> 302 to cloudflareaccess" "$code $(hdr Location)" \
	'^302 https://raxx\.cloudflareaccess\.com/cdn-cgi/access/login/'
req GET "$V/api/v4/secrets?$q" -H "Authorization: Bearer $VTOK" \
	-H "CF-Access-Client-Id: cfid.access" -H "CF-Access-Client-Secret: $CF_SECRET"
is "vault: with the service token -> 200" "$code" "200"
cfgset "$T/vault/config.json" cf null

# Chunked request body (how some clients send JSON).
req POST "$V/api/v1/auth/universal-auth/login" -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data "$login_body"
is "vault: chunked request body accepted" "$code" "200"

# Writes are persisted into the config file.
req POST "$V/api/v2/folders" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"projectId":"proj-1","environment":"prod","name":"raxx-new-bot","path":"/MooseQuest"}'
is "vault: create folder" "$code" "200"
req POST "$V/api/v2/folders" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"projectId":"proj-1","environment":"prod","name":"raxx-new-bot","path":"/MooseQuest"}'
is "vault: folder exists -> 400" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"400 Folder with name 'raxx-new-bot' already exists in path '/MooseQuest'"
req POST "$V/api/v3/secrets/raw/APP_ID" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"workspaceId":"proj-1","environment":"prod","secretPath":"/MooseQuest/raxx-new-bot","secretValue":" 999 ","type":"shared"}'
is "vault: create secret" "$code $(jq_ 'd["secret"]["secretValue"]' <<<"$body")" "200 999"
is "vault: secret persisted to config" \
	"$(jq_ 'd["secrets"]["/MooseQuest/raxx-new-bot"]["APP_ID"]' <"$T/vault/config.json")" "999"
req POST "$V/api/v3/secrets/raw/APP_ID" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"workspaceId":"proj-1","environment":"prod","secretPath":"/MooseQuest/raxx-new-bot","secretValue":"1","type":"shared"}'
is "vault: secret exists -> 400" "$code $(jq_ 'd["message"]' <<<"$body")" "400 Secret already exists"
req POST "$V/api/v3/secrets/raw/X" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"workspaceId":"proj-1","environment":"prod","secretPath":"/Nope/nobot","secretValue":"1","type":"shared"}'
is "vault: secret in missing folder -> 404" "$code" "404"
req GET "$V/api/v3/secrets/raw/APP_ID?workspaceId=proj-1&environment=prod&secretPath=/MooseQuest/raxx-new-bot" \
	-H "Authorization: Bearer $VTOK"
is "vault: get one secret" "$code $(jq_ 'd["secret"]["secretKey"]' <<<"$body")" "200 APP_ID"
req DELETE "$V/api/v3/secrets/raw/APP_ID" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data '{"workspaceId":"proj-1","environment":"prod","secretPath":"/MooseQuest/raxx-new-bot","type":"shared"}'
is "vault: delete secret" "$code $(jq_ '"APP_ID" in d["secrets"]["/MooseQuest/raxx-new-bot"]' <"$T/vault/config.json")" "200 False"

# Keep-alive: two requests in one curl run share one TLS connection.
before=$(grep -c '"event":"connect"' "$T/vault/log.jsonl")
curl -sS --cacert "$CA" -A raxx-selftest/1 -o /dev/null -o /dev/null "$V/api/status" "$V/api/status"
after=$(grep -c '"event":"connect"' "$T/vault/log.jsonl")
is "vault: keep-alive (2 requests, 1 TLS connection)" "$((after - before))" "1"

cfgset "$T/vault/config.json" hang true
curl -sS --cacert "$CA" -A raxx-selftest/1 -m 1 -o /dev/null "$V/api/status" 2>/dev/null
is "vault: hang -> client times out (curl 28)" "$?" "28"
cfgunset "$T/vault/config.json" hang

# ----------------------------------------------------------------- GitHub API
H=(-H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28')
J=$(jwt "$T/keys/app.pem" 123)
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J" -H 'User-Agent:'
is "github: no User-Agent -> 403" "$code" "403"

req POST "$G/api/v3/app/installations/456/access_tokens" -H "Authorization: Bearer $J"
is "github: access_tokens without Accept/API version -> 400" "$code" "400"

req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
TOK=$(jq_ 'd["token"]' <<<"$body")
is "github: JWT mint -> 201" "$code $(jq_ 'd["repository_selection"]' <<<"$body")" "201 all"
like "github: classic token shape" "$TOK" '^ghs_[A-Za-z0-9]{36}$'
exp_ok=$(jq_ 'abs(__import__("calendar").timegm(__import__("time").strptime(d["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - __import__("time").time() - 3600) < 10' <<<"$body")
is "github: expires_at one hour ahead" "$exp_ok" "True"
sha=$(sha256_hex "$TOK")
check "github: tokens.json holds the token's sha256" grep -q "$sha" "$T/github/tokens.json"
check "github: tokens.json never holds the token" bash -c "! grep -qF '$TOK' '$T/github/tokens.json'"

req GET "$G/api/v3/app" -H "Authorization: Bearer $J"
is "github: GET /app with JWT" "$code $(jq_ 'd["slug"]' <<<"$body")" "200 raxx-dev-bot"
req GET "$G/api/v3/repos/raxx-app/demo/installation" -H "Authorization: Bearer $J"
is "github: GET /repos/o/r/installation" "$code $(jq_ 'd["id"], d["account"]["login"]' <<<"$body")" "200 (456, 'raxx-app')"
req GET "$G/api/v3/users/raxx-dev-bot%5Bbot%5D"
is "github: GET /users/slug%5Bbot%5D" "$code $(jq_ 'd["id"], d["type"]' <<<"$body")" "200 (4242, 'Bot')"

J2=$(jwt "$T/keys/other.pem" 123)
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J2"
is "github: JWT signed by another key -> 401 decode" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"401 A JSON web token could not be decoded"
req POST "$G/api/v3/app/installations/999/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
is "github: installation of another app -> 404" "$code" "404"

req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J" \
	--data '{"repositories":["demo"],"permissions":{"contents":"read","metadata":"read"}}'
RTOK=$(jq_ 'd["token"]' <<<"$body")
is "github: scoped read-only mint" "$code $(jq_ 'd["repository_selection"], [r["full_name"] for r in d["repositories"]]' <<<"$body")" \
	"201 ('selected', ['raxx-app/demo'])"
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J" \
	--data '{"repositories":["nope"]}'
is "github: unknown repository -> 422" "$code" "422"
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J" \
	--data '{"permissions":{"contents":"admin"}}'
is "github: permission above grant -> 422" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"422 The permissions requested are not granted to this installation."
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J" --data '{bad'
is "github: malformed body -> 400" "$code" "400"

req GET "$G/api/v3/installation/repositories" -H "Authorization: token $TOK"
is "github: /installation/repositories with the token" "$code $(jq_ 'd["total_count"]' <<<"$body")" "200 2"
req GET "$G/api/v3/user" -H "Authorization: Bearer $TOK"
is "github: /user with installation token -> 403" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"403 Resource not accessible by integration"
req GET "$G/api/v3/user" -H "Authorization: Bearer $PAT"
is "github: /user with operator PAT" "$code $(jq_ 'd["login"], d["type"]' <<<"$body")" "200 ('operator', 'User')"
check "github: log notes token-of:raxx-dev-bot" grep -q '"note":"token-of:raxx-dev-bot"' "$T/github/log.jsonl"

# ----------------------------------------------------------------- git over HTTPS
git init -q "$T/seed" && (cd "$T/seed" && echo hello >README && git add README && git commit -qm seed)
git init -q --bare "$T/repos/raxx-app/demo.git"
git -C "$T/seed" push -q "$T/repos/raxx-app/demo.git" main
export GIT_SSL_CAINFO=$CA
helper='!f() { test "$1" = get && printf "username=x-access-token\npassword=%s\n" "$RAXX_T"; }; f'
g() { RAXX_T=$1 git -c credential.helper= -c "credential.helper=$helper" "${@:2}"; }

g "$TOK" clone -q "$G/raxx-app/demo.git" "$T/clone" 2>"$T/git.err"
is "git: clone over https with the minted token" "$? $(cat "$T/clone/README" 2>/dev/null)" "0 hello"
(cd "$T/clone" && echo more >>README && git commit -qam "bot change")
g "$TOK" -C "$T/clone" push -q origin main 2>"$T/git.err"
is "git: push with the token" "$?" "0"
is "git: the push landed in the bare repo" "$(git --git-dir="$T/repos/raxx-app/demo.git" log -1 --format=%s main)" "bot change"
check "git: log notes push-by:raxx-dev-bot" grep -q '"note":"push-by:raxx-dev-bot"' "$T/github/log.jsonl"
check "git: first request without credentials got 401" grep -q '"status":401,"note":"auth-required"' "$T/github/log.jsonl"

(cd "$T/clone" && echo again >>README && git commit -qam "denied change")
g "$RTOK" -C "$T/clone" push -q origin main 2>"$T/git.err"
rc=$?
check "git: push with a contents:read token is refused (403)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'denied-push:raxx-dev-bot:needs-contents:write' '$T/github/log.jsonl'"
g "$RTOK" ls-remote "$G/raxx-app/other.git" >/dev/null 2>&1
is "git: token scoped to demo cannot read other" "$?" "128"
RAXX_T=$PAT git -c credential.helper= -c "credential.helper=!f() { echo username=operator; echo password=\$RAXX_T; }; f" \
	ls-remote "$G/raxx-app/demo.git" >/dev/null 2>&1
is "git: operator PAT accepted" "$?" "0"

req DELETE "$G/api/v3/installation/token" -H "Authorization: token $TOK"
is "github: revoke -> 204" "$code" "204"
req GET "$G/api/v3/installation/repositories" -H "Authorization: token $TOK"
is "github: revoked token -> 401 Bad credentials" "$code $(jq_ 'd["message"]' <<<"$body")" "401 Bad credentials"
g "$TOK" ls-remote "$G/raxx-app/demo.git" >/dev/null 2>&1
is "git: revoked token refused" "$?" "128"
check "git: revoked token logged as such" grep -q '"note":"bad-token:revoked"' "$T/github/log.jsonl"

# ----------------------------------------------------------------- clock and retries
cfgset "$T/github/config.json" clock_offset -3600
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
is "github: local clock 1 h ahead -> exp too far" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"401 'Expiration time' claim ('exp') is too far in the future"
skew=$(python3 -c 'import email.utils,sys,time; print(round((email.utils.parsedate_to_datetime(sys.argv[1]).timestamp() - time.time()) / 60))' "$(hdr Date)")
is "github: Date header follows clock_offset (minutes)" "$skew" "-60"
cfgset "$T/github/config.json" clock_offset 3600
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
is "github: local clock 1 h behind -> exp must be in the future" "$code $(jq_ 'd["message"]' <<<"$body")" \
	"401 'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $(jwt "$T/keys/app.pem" 123 3600)"
is "github: JWT made with the Date offset is accepted" "$code" "201"
cfgset "$T/github/config.json" clock_offset 0 behavior '{"access_tokens": "502", "fail_times": 2}'
codes=
for _ in 1 2 3; do req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"; codes="$codes $code"; done
is "github: forced 502 twice, then ok (fail_times)" "$codes" " 502 502 201"
cfgset "$T/github/config.json" behavior '{"access_tokens": "429"}'
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
is "github: forced 429 carries Retry-After: 1" "$code $(hdr Retry-After)" "429 1"
cfgset "$T/github/config.json" behavior '{"access_tokens": "nonsense"}'
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
is "github: an unknown behavior name is a loud 500" "$code $(tail -n 1 "$T/github/log.jsonl" | jq_ 'd["note"]')" "500 bad-behavior"
cfgset "$T/github/config.json" behavior '{"acess_tokens": "500"}'
req GET "$G/api/v3/rate_limit"
is "github: an unknown behavior key is a loud 500" "$code $(tail -n 1 "$T/github/log.jsonl" | jq_ 'd["note"]')" "500 bad-behavior"
cfgset "$T/github/config.json" behavior '{"rate_limit": "close"}'
curl -sS --cacert "$CA" -A raxx-selftest/1 -o /dev/null "$G/api/v3/rate_limit" 2>/dev/null
is "github: close drops the connection unanswered (curl 52)" "$?" "52"
cfgset "$T/github/config.json" behavior '{}' token_style '"stateless"'
req POST "$G/api/v3/app/installations/456/access_tokens" "${H[@]}" -H "Authorization: Bearer $J"
STOK=$(jq_ 'd["token"]' <<<"$body")
like "github: stateless token (~520 chars, '.' and '_')" "${#STOK} $STOK" '^5[0-9][0-9] ghs_123_[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$'
g "$STOK" ls-remote "$G/raxx-app/demo.git" >/dev/null 2>&1
is "git: stateless token works for git" "$?" "0"

if command -v gh >/dev/null 2>&1; then
	out=$(GH_CONFIG_DIR=$T/gh GH_HOST=127.0.0.1:$GPORT GH_ENTERPRISE_TOKEN=$STOK SSL_CERT_FILE=$CA \
		GH_NO_UPDATE_NOTIFIER=1 gh api /installation/repositories --jq .total_count 2>&1)
	is "gh (Go TLS) accepts the cert and the token" "$out" "2"
fi

# ----------------------------------------------------------------- logs
leaks=
for s in "$CLIENT_SECRET" "$VTOK" "$TOK" "$RTOK" "$STOK" "$PAT" "$CF_SECRET" "$(sed -n 2p "$T/keys/app.pem")"; do
	grep -qF -- "$s" "$T/vault/log.jsonl" "$T/github/log.jsonl" "$T/github/tokens.json" && leaks="$leaks ${s:0:6}"
done
is "logs and state hold no secret values" "$leaks" ""
check "every log line is JSON with the common fields" python3 - "$T/vault/log.jsonl" "$T/github/log.jsonl" <<'PY'
import json, sys
for fn in sys.argv[1:]:
    for line in open(fn):
        d = json.loads(line)
        need = ("t", "conn", "event") if "event" in d else ("t", "conn", "method", "path", "query", "status", "ua", "note")
        assert all(k in d for k in need), (fn, d)
PY

kill "$VPID"; wait "$VPID"
is "vault exits 0 on SIGTERM" "$?" "0"
kill "$GPID"; wait "$GPID"
is "github exits 0 on SIGTERM" "$?" "0"
VPID='' GPID=''

echo "1..$n"
[ "$failed" -eq 0 ]
