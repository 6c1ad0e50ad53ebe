#!/bin/sh
# doctor and discovery run git; what git says on its stderr ("fatal: not a
# git repository", "Please tell me who you are", "error: No such remote")
# never reaches their output, text or --json. And doctor's fix for a vault
# it cannot reach is about the host and the network, not the client secret.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
DEV=/MooseQuest/raxx-dev-bot
set_inst() { fake_set vault "secrets.$DEV.INSTALLATION_ID" -s "$1"; }
# no_git_noise FILE...: nothing of git's own stderr in these files
no_git_noise() {
	for f in "$@"; do
		test_grep ! -i -e "fatal:" -e "not a git repository" -e "tell me who you are" \
			-e "no such remote" -e "^error:" -e "auto-detect" -e "usage: git" "$f" || return 1
	done
}
# doctor_in DIR [--json]: stdout in d.out, stderr in d.err, both in d.all
doctor_in() {
	(cd "$1" && git-credential-raxx --bot raxx-dev-bot doctor ${2:-} >"$TRASH/d.out" 2>"$TRASH/d.err")
	(cd "$1" && git-credential-raxx --bot raxx-dev-bot doctor ${2:-} >"$TRASH/d.all" 2>&1)
	return 0
}
# json_ok FILE: one JSON object
json_ok() { json_get -k "$1" >/dev/null; }

mkdir -p outside
test_expect_success 'setup: a stale installation, so the installation check reads the origin' '
	set_inst 999 &&
	(cd outside && test_must_fail git rev-parse --git-dir 2>../git.err) &&
	test_grep "not a git repository" git.err
'

test_expect_success 'outside a repository: doctor says it plainly, git says nothing' '
	doctor_in outside &&
	test_grep "^\[FAIL\] installation .*no repository to look the installation up by" d.out &&
	no_git_noise d.out d.err d.all
'

test_expect_success 'outside a repository, --json: valid JSON, no git stderr anywhere' '
	doctor_in outside --json &&
	json_ok d.out &&
	no_git_noise d.out d.err d.all
'

test_expect_success 'token healing outside a repository: only raxx speaks' '
	rm -rf "$RAXX_CACHE_DIR" &&
	(cd outside && test_expect_code 5 git-credential-raxx --bot raxx-dev-bot token >../out.t 2>../err.t) &&
	test_must_be_empty out.t &&
	test_grep "no repository to look the installation up by" err.t &&
	no_git_noise err.t
'

test_expect_success 'a repository without an origin: no "No such remote" from git' '
	git init -q -b main no-origin &&
	doctor_in no-origin &&
	no_git_noise d.out d.err d.all &&
	doctor_in no-origin --json &&
	json_ok d.out &&
	no_git_noise d.out d.err d.all
'

test_expect_success 'a repository without user.name: the author check fails, git is not heard' '
	git init -q -b main no-name &&
	git -C no-name config user.useConfigOnly true &&
	git -C no-name remote add origin "$GIT_URL/raxx-app/demo.git" &&
	(cd no-name && test_must_fail git var GIT_AUTHOR_IDENT 2>../git.err) &&
	test_grep "tell me who you are" git.err &&
	doctor_in no-name &&
	test_grep "^\[FAIL\] author .*git has no author identity here" d.out &&
	no_git_noise d.out d.err d.all &&
	doctor_in no-name --json &&
	json_ok d.out &&
	no_git_noise d.out d.err d.all
'

test_expect_success 'an unreachable vault: the fix is the host, the network, Cloudflare Access' '
	set_inst 4711 &&
	(cd outside && INFISICAL_HOST=https://127.0.0.1:9 git-credential-raxx --bot raxx-dev-bot doctor >../d.out 2>&1);
	test_grep "^\[FAIL\] vault-login .*unreachable" d.out &&
	test_grep "fix: check INFISICAL_HOST (https://127.0.0.1:9/api), the network and any proxy (https_proxy, NO_PROXY), and Cloudflare Access in front of the vault" d.out &&
	test_grep ! -i "rotate" d.out &&
	test_grep ! -i "client secret" d.out
'

test_expect_success 'a refused login still points at the identity'"'"'s client secret' '
	(cd outside && INFISICAL_CLIENT_SECRET=wrong git-credential-raxx --bot raxx-dev-bot doctor >../d.out 2>&1);
	test_grep "^\[FAIL\] vault-login .*HTTP 401" d.out &&
	test_grep "fix: check INFISICAL_HOST, and INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET against the identity.s Universal Auth page in Infisical (rotate the client secret there if it expired)" d.out
'

test_secrets_never_leak
test_done
