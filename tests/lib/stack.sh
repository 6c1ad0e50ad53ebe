# stack.sh — the local stack for integration tests: a throwaway CA, a
# fake Infisical vault and a fake GitHub (REST + git smart-HTTP), both over
# real TLS on 127.0.0.1. Source after test-lib.sh, then `start_stack`.
#
# After start_stack the environment points the program at the fakes:
#   INFISICAL_* (a random client secret per test file), RAXX_GITHUB_API,
#   RAXX_GITHUB_HOST (127.0.0.1:PORT), RAXX_CA_BUNDLE, GIT_SSL_CAINFO.
# Two bots exist: raxx-dev-bot (App 3501352, installation 4711) and
# raxx-ops-bot (App 3501353, installation 4712), installed on the bare
# repositories raxx-app/demo and raxx-app/other.

LIB_DIR="$TEST_DIR/lib"
. "$LIB_DIR/tools.sh"
FAKES_SRC="$TEST_DIR/fakes"
TLS="$TEST_DIR/trash.tls"	# shared by all test files: made once
FAKES="$TRASH/fakes"
DEV_APP=3501352 DEV_INST=4711 OPS_APP=3501353 OPS_INST=4712

random_secret() {
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# The fakes' state, without Python in the tests (JSON paths, values and
# filters as json_get/json_set/json_lines take them, in test-lib.sh). FAKE
# is vault, github, or any fake start_fake started; each re-reads its
# config on every request.
#   fake_set FAKE PATH VALUE...     edit the config, e.g.
#       fake_set github behavior.access_tokens -s 500
#       fake_set vault secrets./MooseQuest/raxx-dev-bot.PRIVATE_KEY_PEM -f FILE
#   fake_unset FAKE PATH...         remove keys
#   fake_mv FAKE FROM TO, fake_cp FAKE FROM TO
#   fake_reset FAKE [PATH...]       the config (or only PATH) back to what
#                                   the fake started with
#   fake_get [-k] FAKE PATH...      read it (a secret the vault holds, ...)
#   fake_log FAKE [--last] [-p FIELD]... [FILTER...]
#                                   its logged requests (not the connect
#                                   and gate-held events, unless a filter
#                                   names event), whole or their FIELDs
#   fake_log_count FAKE [FILTER...] how many
fake_set() { _fs=$1; shift; json_set "$FAKES/$_fs.json" "$@"; }
fake_unset() { _fs=$1; shift; json_unset "$FAKES/$_fs.json" "$@"; }
fake_mv() { python3 "$JSONTOOL" mv "$FAKES/$1.json" "$2" "$3"; }
fake_cp() { python3 "$JSONTOOL" cp "$FAKES/$1.json" "$2" "$3"; }
fake_reset() {
	_fs=$1
	shift
	python3 "$JSONTOOL" reset "$FAKES/$_fs.json" "$FAKES/$_fs.start.json" "$@"
}
fake_get() {
	if [ "$1" = -k ]; then
		json_get -k "$FAKES/$2.json" "$3"
	else
		_fs=$1
		shift
		json_get "$FAKES/$_fs.json" "$@"
	fi
}
fake_log() { _fs=$1; shift; json_lines "$FAKES/$_fs.log" --requests "$@"; }
fake_log_count() { _fs=$1; shift; json_count "$FAKES/$_fs.log" --requests "$@"; }

# count_requests FAKE METHOD PATH-REGEX [STATUS]: requests logged.
count_requests() {
	fake_log_count "$1" "method=$2" "path~^(?:$3)\$" ${4:+"status=$4"}
}

# count_connections FAKE: TLS connections the fake accepted.
count_connections() {
	grep -c '"event": *"connect"' "$FAKES/$1.log" || true
}

# log_notes FAKE: "METHOD PATH STATUS NOTE" of the requests logged with a
# note (e.g. "token-of:raxx-dev-bot").
log_notes() {
	json_lines "$FAKES/$1.log" -p method -p path -p status -p note note
}

# token_state FILE [FIELD...]: the GitHub fake's record of the token in
# FILE: "REPOS PERMISSIONS live|revoked" (REPOS is ALL for the whole
# installation; PERMISSIONS sorted, as contents:write,issues:write), or
# the record's FIELDs (expires_at, created_at: unix seconds on its clock)
token_state() { python3 "$JSONTOOL" token "$FAKES/tokens.json" "$@"; }
# token_states [live|revoked]: that line for each token it issued, oldest first
token_states() { python3 "$JSONTOOL" tokens "$FAKES/tokens.json" "$@"; }

# token_expiry_ok TOKEN-FILE EXPIRY [CLOCK-OFFSET]: EXPIRY (unix seconds),
# when the program says the token in TOKEN-FILE expires on this machine's
# clock, is the GitHub fake's expires_at for it, moved to this clock (the
# fake's runs CLOCK-OFFSET s ahead), less the mint's own round trip (under
# 10 minutes): never later, never much earlier. Timed by the fake's
# record, not by when the test looks.
token_expiry_ok() {
	_te=$(token_state "$1" expires_at) || return 1
	_te=$((_te - ${3:-0}))
	if [ "$2" -gt "$_te" ] || [ "$2" -le $((_te - 600)) ]; then
		echo "expiry $2 is not in ($((_te - 600)), $_te]" >&2
		return 1
	fi
}

# _start_fake NAME [KIND [ARGS...]]: start fake_KIND.py (KIND: NAME) as
# NAME: its config $FAKES/NAME.json (kept as NAME.start.json for
# fake_reset), its log, port and pid files beside it; the proxy has no TLS
# and no config.
_start_fake() {
	name=$1 kind=${2:-$1}
	shift
	[ $# -gt 0 ] && shift
	rm -f "$FAKES/$name.port"
	if [ "$kind" != proxy ]; then
		cp "$FAKES/$name.json" "$FAKES/$name.start.json" || return 1
		set -- --cert "$TLS/server.pem" --key "$TLS/server.key" \
			--config "$FAKES/$name.json" "$@"
	fi
	python3 "$FAKES_SRC/fake_$kind.py" --log "$FAKES/$name.log" \
		--port-file "$FAKES/$name.port" --pid-file "$FAKES/$name.pid" "$@" \
		>>"$FAKES/$name.stdout" 2>&1 3>&- </dev/null &
	# (fd 3 is prove's pipe: a fake left running must not hold it open)
	echo $! >>"$FAKES/pids"
}

# _wait_port NAME: the fake's port once it listens (it writes the file then)
_wait_port() {
	if ! wait_until test -s "$FAKES/$1.port" 2>/dev/null; then
		echo "fake $1 did not start:" >&2
		cat "$FAKES/$1.stdout" >&2
		return 1
	fi
	cat "$FAKES/$1.port"
}

# start_fake NAME [KIND [ARGS...]]: start a fake (see _start_fake; write
# its config first) and print its port once it listens. Outside test
# bodies: PORT=$(start_fake webhook) || bail out.
start_fake() {
	_start_fake "$@" && _wait_port "$1"
}

# make_bare_repo OWNER/REPO: a bare repository with one commit on main.
make_bare_repo() {
	_bare="$FAKES/repos/$1.git"
	mkdir -p "$(dirname "$_bare")"
	git init -q --bare -b main "$_bare" &&
	git -C "$_bare" config http.receivepack true &&
	_seed="$FAKES/seed-$$" &&
	rm -rf "$_seed" &&
	git init -q -b main "$_seed" &&
	echo "hello from $1" >"$_seed/README" &&
	git -C "$_seed" add README &&
	git -C "$_seed" -c user.name=Seed -c user.email=seed@example.com \
		commit -q -m "initial commit" &&
	git -C "$_seed" push -q "$_bare" main &&
	rm -rf "$_seed"
}

start_stack() {
	mkdir -p "$FAKES/repos" &&
	sh "$LIB_DIR/mkca.sh" "$TLS" &&
	sh "$LIB_DIR/mkappkey.sh" "$TLS" dev-app &&
	sh "$LIB_DIR/mkappkey.sh" "$TLS" ops-app || return 1
	DEV_PEM="$TLS/dev-app.pem" OPS_PEM="$TLS/ops-app.pem"

	export INFISICAL_CLIENT_ID="raxx-agent-dispatcher-$(random_secret | cut -c1-8)"
	export INFISICAL_CLIENT_SECRET="ucs-$(random_secret)"
	export INFISICAL_PROJECT_ID="proj-mq-$(random_secret | cut -c1-12)"
	echo "$INFISICAL_CLIENT_SECRET" >>"$TRASH/.secrets"

	make_bare_repo raxx-app/demo && make_bare_repo raxx-app/other || return 1

	python3 - "$FAKES" "$TLS" "$INFISICAL_CLIENT_ID" "$INFISICAL_CLIENT_SECRET" \
		"$INFISICAL_PROJECT_ID" <<'PY' || return 1
import json, sys
fakes, tls, cid, csec, proj = sys.argv[1:6]
def pem(n): return open(f"{tls}/{n}.pem").read()
def mod(n): return open(f"{tls}/{n}.modulus").read().strip()
vault = {"client_id": cid, "client_secret": csec, "project_id": proj,
         "environment": "prod", "cf": None, "behavior": {},
         "secrets": {
             "/MooseQuest/raxx-dev-bot": {"APP_ID": "3501352", "INSTALLATION_ID": "4711",
                                          "PRIVATE_KEY_PEM": pem("dev-app")},
             "/MooseQuest/raxx-ops-bot": {"APP_ID": "3501353", "INSTALLATION_ID": "4712",
                                          "PRIVATE_KEY_PEM": pem("ops-app")}}}
perms_dev = {"contents": "write", "pull_requests": "write", "issues": "write",
             "workflows": "write", "metadata": "read"}
perms_ops = {"contents": "read", "pull_requests": "write", "issues": "write",
             "metadata": "read"}
repos = ["raxx-app/demo", "raxx-app/other"]
github = {"apps": {
             "3501352": {"slug": "raxx-dev-bot", "modulus": mod("dev-app"), "exponent": 65537,
                         "permissions": perms_dev,
                         "installations": {"4711": {"account": "raxx-app", "repositories": repos}}},
             "3501353": {"slug": "raxx-ops-bot", "modulus": mod("ops-app"), "exponent": 65537,
                         "permissions": perms_ops,
                         "installations": {"4712": {"account": "raxx-app", "repositories": repos}}}},
          "users": {"raxx-dev-bot[bot]": 190001, "raxx-ops-bot[bot]": 190002},
          "pats": {}, "repos_root": f"{fakes}/repos", "behavior": {},
          "clock_offset": 0, "token_ttl": 3600, "token_style": "classic"}
json.dump(vault, open(f"{fakes}/vault.json", "w"), indent=1)
json.dump(github, open(f"{fakes}/github.json", "w"), indent=1)
PY
	_start_fake vault
	_start_fake github
	VAULT_PORT=$(_wait_port vault) && GITHUB_PORT=$(_wait_port github) || return 1
	export INFISICAL_HOST="https://127.0.0.1:$VAULT_PORT"
	export RAXX_GITHUB_HOST="127.0.0.1:$GITHUB_PORT"
	export RAXX_GITHUB_API="https://127.0.0.1:$GITHUB_PORT/api/v3"
	export RAXX_CA_BUNDLE="$TLS/ca.pem" GIT_SSL_CAINFO="$TLS/ca.pem"
	GIT_URL="https://127.0.0.1:$GITHUB_PORT"
}

# stop_stack: stop every fake this test started (the pids recorded at
# start, and the ones the fakes wrote themselves), and wait until they are
# gone; one that ignores SIGTERM for 5 s gets SIGKILL.
stop_stack() {
	_ss_pids=$(cat "$FAKES/pids" "$FAKES"/*.pid 2>/dev/null | sort -u)
	rm -f "$FAKES/pids" "$FAKES"/*.pid
	[ -n "$_ss_pids" ] || return 0
	kill $_ss_pids 2>/dev/null
	_ss_i=0
	while :; do
		_ss_left=
		for _ss_p in $_ss_pids; do
			kill -0 "$_ss_p" 2>/dev/null && _ss_left="$_ss_left $_ss_p"
		done
		[ -n "$_ss_left" ] || break
		_ss_i=$((_ss_i + 1))
		if [ $_ss_i -gt 100 ]; then
			kill -9 $_ss_left 2>/dev/null
			break
		fi
		sleep 0.05
	done
	return 0
}

# set_operator_pat VALUE [EXPIRES]: a PAT the GitHub fake accepts as
# "operator"; with EXPIRES (unix seconds) it expires then, and GitHub's
# answers carry GitHub-Authentication-Token-Expiration.
set_operator_pat() {
	echo "$1" >>"$TRASH/.secrets"
	_h=$(sha256_hex "$1")
	fake_set github "pats.$_h" -s operator &&
	if [ -n "${2:-}" ]; then
		fake_set github "pat_expiry.$_h" "$2"
	fi
}

# The secret scan: no client secret, CF secret, operator PAT, private key
# line or installation token in anything the program wrote, other than
# stdout captures (files named out*, which hold the protocol answer or the
# token on purpose). Tokens are learnt from those captures.
test_secrets_never_leak() {
	test_expect_success 'no secret in stderr, logs, cache or state files' '
		: >"$TRASH/.needles" &&
		cat "$TRASH/.secrets" >>"$TRASH/.needles" 2>/dev/null
		for k in "$TLS"/dev-app.pem "$TLS"/ops-app.pem; do
			sed -n "3p;8p" "$k" >>"$TRASH/.needles"
		done &&
		find "$TRASH" -name "out*" -type f -exec cat {} + 2>/dev/null |
			grep -o "ghs_[A-Za-z0-9._]*" | sort -u >>"$TRASH/.needles"
		sort -u "$TRASH/.needles" | grep -v "^$" >"$TRASH/.needles.u" &&
		test -s "$TRASH/.needles.u" &&
		leaks=$(find "$TRASH" -type f ! -path "$FAKES/*" ! -name "out*" \
			! -name ".needles*" ! -name ".secrets" ! -name ".test-out" \
			! -path "*/.git/*" ! -path "*/objects/*" \
			-exec grep -l -F -f "$TRASH/.needles.u" {} + || true) &&
		if test -n "$leaks"; then echo "secret found in: $leaks"; false; fi
	'
}
