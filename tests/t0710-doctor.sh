#!/bin/sh
# doctor: one line per check; each check's PASS and FAIL against the fakes,
# WARN never changing the exit status, --json, --quiet, --max-time.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

# commits and the author check follow the worktree's config, not the harness's
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
DEV=/MooseQuest/raxx-dev-bot
BOTNAME="raxx-dev-bot[bot]"
BOTMAIL="190001+raxx-dev-bot[bot]@users.noreply.127.0.0.1"
# vault_set KEY [-s|-f] VALUE: a secret of the dev bot (fake_set's VALUE)
vault_set() { _k=$1; shift; fake_set vault "secrets.$DEV.$_k" "$@"; }
restore_vault() { fake_reset vault "secrets.$DEV" cf behavior; }
restore_github() { fake_reset github behavior clock_offset apps.3501352.installations.4711.suspended; }
# doctor_in DIR ARGS...: run doctor in DIR, output in doctor.out, exit in doctor.rc
doctor_in() {
	_d=$1
	shift
	(cd "$_d" && git-credential-raxx "$@" doctor $DOCTOR_OPTS) >doctor.out 2>doctor.err
	echo $? >doctor.rc
	cat doctor.out
}
DOCTOR_OPTS=
line() { grep "^\[$1\] $2 " doctor.out; }
rc_is() { test "$(cat doctor.rc)" = "$1" || { echo "exit $(cat doctor.rc), want $1"; cat doctor.err; false; }; }

test_expect_success 'setup: a worktree that is the bot'"'"'s' '
	git init -q -b main wt &&
	git -C wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C wt config raxx.bot raxx-dev-bot &&
	git -C wt config user.name "$BOTNAME" &&
	git -C wt config user.email "$BOTMAIL" &&
	git -C wt remote add origin "$GIT_URL/raxx-app/demo.git"
'

test_expect_success 'a healthy worktree: every check PASS but git 2.39 (WARN) and CF Access (SKIP), exit 0' '
	doctor_in wt &&
	rc_is 0 &&
	for c in infisical-env vault-login bot bot-secrets app-key installation mint \
		fallback fallbacks cache-dir state-dir clock author helper-chain
	do
		line PASS "$c" || exit 1
	done &&
	line SKIP cf-access &&
	line WARN git-version &&
	test_grep "git 2.39.5 ignores password_expiry_utc" doctor.out &&
	test_grep "fix: upgrade git to 2.41 or later" doctor.out &&
	test_grep "^doctor: 14 PASS, 1 WARN, 0 FAIL, 1 SKIP$" doctor.out &&
	test_grep "installation 4711 on raxx-app" doctor.out &&
	test_grep -F "commits here are authored by $BOTNAME <$BOTMAIL>" doctor.out
'

test_expect_success 'the mint check mints a ghs_ token, never prints it, and revokes it' '
	test_grep "mint             minted a ghs_ token for installation 4711" doctor.out &&
	test_grep "and revoked it" doctor.out &&
	test "$(count_requests github DELETE /api/v3/installation/token 204)" = 1 &&
	! grep -E "ghs_[A-Za-z0-9]{8}" doctor.out doctor.err
'

test_expect_success '--json: the same verdicts as one JSON object' '
	DOCTOR_OPTS=--json doctor_in wt >/dev/null &&
	rc_is 0 &&
	python3 - doctor.out <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	st = {c["name"]: c["status"] for c in d["checks"]}
	assert st["git-version"] == "WARN" and st["cf-access"] == "SKIP", st
	assert all(v == "PASS" for k, v in st.items() if k not in ("git-version", "cf-access")), st
	assert d["exit"] == 0 and d["fail"] == 0 and d["warn"] == 1 and d["bot"] == "raxx-dev-bot", d
	gv = [c for c in d["checks"] if c["name"] == "git-version"][0]
	assert gv["fix"] == "upgrade git to 2.41 or later", gv
	EOF
'

test_expect_success '--quiet prints nothing when nothing fails; -q too' '
	DOCTOR_OPTS=--quiet doctor_in wt >/dev/null && rc_is 0 &&
	test_must_be_empty doctor.out &&
	doctor_in wt -q >/dev/null && rc_is 0 &&
	test_must_be_empty doctor.out
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 git-credential-raxx doctor --max-time 0 2>err &&
	test_grep "max-time" err &&
	test_expect_code 64 git-credential-raxx doctor --bogus 2>err &&
	git-credential-raxx help doctor >help && test_grep -e "--max-time SECS" help
'

test_expect_success 'infisical-env FAIL names what is missing; the vault checks SKIP' '
	(unset INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID && doctor_in wt) &&
	rc_is 1 &&
	line FAIL infisical-env &&
	test_grep "INFISICAL_CLIENT_SECRET, INFISICAL_PROJECT_ID not set" doctor.out &&
	test_grep "fix: export the Universal Auth machine identity" doctor.out &&
	line SKIP vault-login && line SKIP bot-secrets && line SKIP mint
'

test_expect_success 'vault-login FAIL: a wrong client secret, with the vault'"'"'s answer and the fix' '
	INFISICAL_CLIENT_SECRET=wrong-secret doctor_in wt &&
	rc_is 1 &&
	line FAIL vault-login &&
	test_grep "vault login failed: HTTP 401 Invalid credentials" doctor.out &&
	test_grep "fix: check INFISICAL_HOST, and INFISICAL_CLIENT_ID" doctor.out
'

test_expect_success 'cf-access: FAIL when the vault is behind Access and no token is set, PASS with one' '
	test_when_finished restore_vault &&
	fake_set vault cf.id -s doctor.access cf.secret -s "cf-doctor-$$" &&
	echo "cf-doctor-$$" >>"$TRASH/.secrets" &&
	doctor_in wt &&
	rc_is 1 &&
	line FAIL cf-access &&
	test_grep "the vault is behind Cloudflare Access and no service token is set" doctor.out &&
	test_grep "fix: set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET" doctor.out &&
	line FAIL vault-login && test_grep "fix: see cf-access above" doctor.out &&
	CF_ACCESS_CLIENT_ID=doctor.access CF_ACCESS_CLIENT_SECRET="cf-doctor-$$" doctor_in wt &&
	rc_is 0 &&
	line PASS cf-access && line PASS vault-login &&
	! grep "cf-doctor-$$" doctor.out doctor.err
'

test_expect_success 'cf-access: a wrong service token FAILs; one half of the pair WARNs' '
	test_when_finished restore_vault &&
	fake_set vault cf.id -s doctor.access cf.secret -s "cf-doctor-$$" &&
	CF_ACCESS_CLIENT_ID=doctor.access CF_ACCESS_CLIENT_SECRET=not-it doctor_in wt &&
	rc_is 1 && line FAIL cf-access &&
	test_grep "Cloudflare Access refused service token" doctor.out &&
	restore_vault &&
	CF_ACCESS_CLIENT_ID=doctor.access doctor_in wt &&
	rc_is 0 && line WARN cf-access &&
	test_grep "only CF_ACCESS_CLIENT_ID is set, so it is ignored" doctor.out
'

test_expect_success 'bot FAIL: an agent the map does not list' '
	cat >map.yaml <<-\EOF &&
	bots:
	  raxx-dev-bot:
	    agents: [feature-developer]
	EOF
	RAXX_BOT_MAP="$TRASH/map.yaml" doctor_in "$TRASH" --agent nobody &&
	rc_is 1 &&
	line FAIL bot &&
	test_grep "agent .nobody. (from --agent) is not listed" doctor.out
'

test_expect_success 'bot SKIP without a bot: the bot checks SKIP, exit 0' '
	git init -q plain &&
	doctor_in plain &&
	rc_is 0 &&
	line SKIP bot && line SKIP bot-secrets && line SKIP app-key &&
	line SKIP installation && line SKIP mint && line SKIP author &&
	line SKIP helper-chain
'

test_expect_success 'bot-secrets FAIL: lower-case look-alike names are flagged' '
	test_when_finished restore_vault &&
	fake_mv vault "secrets.$DEV.APP_ID" "secrets.$DEV.app-id" &&
	fake_mv vault "secrets.$DEV.INSTALLATION_ID" "secrets.$DEV.installation_id" &&
	doctor_in wt &&
	rc_is 1 &&
	line FAIL bot-secrets &&
	test_grep "lacks APP_ID, INSTALLATION_ID" doctor.out &&
	test_grep "app-id. should be named APP_ID" doctor.out &&
	test_grep "installation_id. should be named INSTALLATION_ID" doctor.out &&
	test_grep "fix: rename the look-alike keys" doctor.out &&
	line SKIP app-key
'

test_expect_success 'bot-secrets FAIL: a wrong path prefix names the path and INFISICAL_PATH_PREFIX' '
	INFISICAL_PATH_PREFIX=/MooseQuest/github/ doctor_in wt &&
	rc_is 1 &&
	line FAIL bot-secrets &&
	test_grep "vault fetch failed at /MooseQuest/github/raxx-dev-bot: HTTP 404" doctor.out &&
	test_grep "INFISICAL_PATH_PREFIX (now /MooseQuest/github/)" doctor.out &&
	test_grep "bot folders under /MooseQuest/github/ (INFISICAL_PATH_PREFIX)" doctor.out
'

test_expect_success 'bot-secrets WARN: INSTALLATION_ID absent (it is discovered), exit stays 1 for the installation' '
	test_when_finished restore_vault &&
	fake_unset vault "secrets.$DEV.INSTALLATION_ID" &&
	doctor_in wt &&
	line WARN bot-secrets &&
	line FAIL installation &&
	test_grep "INSTALLATION_ID missing at $DEV; the App.s installation is now 4711 (found through raxx-app/demo)" doctor.out &&
	line PASS mint
'

test_expect_success 'app-key FAIL: a key that does not parse' '
	test_when_finished restore_vault &&
	printf "%s\n" "-----BEGIN RSA PRIVATE KEY-----" AAAA "-----END RSA PRIVATE KEY-----" >bad.pem &&
	vault_set PRIVATE_KEY_PEM -f bad.pem &&
	doctor_in wt &&
	rc_is 1 && line FAIL app-key &&
	test_grep "does not parse" doctor.out &&
	test_grep "fix: store the App.s private key" doctor.out
'

test_expect_success 'app-key FAIL: the key of another App' '
	test_when_finished restore_vault &&
	vault_set PRIVATE_KEY_PEM -f "$TLS/ops-app.pem" &&
	doctor_in wt &&
	rc_is 1 && line FAIL app-key &&
	test_grep "GitHub refused the App JWT for App 3501352 (HTTP 401: A JSON web token could not be decoded)" doctor.out &&
	test_grep "fix: APP_ID and PRIVATE_KEY_PEM must belong to the same App" doctor.out &&
	line SKIP installation && line SKIP mint
'

test_expect_success 'installation FAIL after an org rename: names the discovered id and the exact vault update' '
	test_when_finished restore_vault &&
	vault_set INSTALLATION_ID -s 999 &&
	doctor_in wt &&
	rc_is 1 && line FAIL installation &&
	test_grep "installation 999 of App 3501352 not found (HTTP 404: the App was reinstalled or the organization renamed); the App.s installation is now 4711 (found through raxx-app/demo)" doctor.out &&
	test_grep "fix: set INSTALLATION_ID at /MooseQuest/raxx-dev-bot (environment prod) to 4711" doctor.out &&
	line PASS mint &&
	test_grep "for installation 4711" doctor.out
'

test_expect_success 'installation FAIL with no repository: the App'"'"'s only installation is named' '
	test_when_finished restore_vault &&
	vault_set INSTALLATION_ID -s 999 &&
	doctor_in plain --bot raxx-dev-bot &&
	rc_is 1 && line FAIL installation &&
	test_grep "no repository to look the installation up by" doctor.out &&
	test_grep "the App.s installations: 4711 (raxx-app)" doctor.out &&
	test_grep "to 4711, the App.s only installation" doctor.out &&
	line SKIP mint
'

test_expect_success 'installation FAIL: suspended' '
	test_when_finished restore_github &&
	fake_set github apps.3501352.installations.4711.suspended true &&
	doctor_in wt &&
	rc_is 1 && line FAIL installation &&
	test_grep "installation 4711 on raxx-app is suspended" doctor.out &&
	line FAIL mint && test_grep "This installation has been suspended" doctor.out
'

test_expect_success 'mint FAIL: GitHub answers 500' '
	test_when_finished restore_github &&
	fake_set github behavior.access_tokens -s 500 &&
	doctor_in wt &&
	rc_is 1 && line FAIL mint &&
	test_grep "HTTP 500" doctor.out &&
	test_grep "fix: check RAXX_GITHUB_API and the network, then retry" doctor.out
'

test_expect_success '--max-time bounds each check: a hung GitHub FAILs app-key, the rest still runs' '
	test_when_finished restore_github &&
	fake_set github behavior.app -s hang &&
	DOCTOR_OPTS="--max-time 2" doctor_in wt &&
	rc_is 1 && line FAIL app-key &&
	test_grep "did not answer in time" doctor.out &&
	line PASS cache-dir && line WARN git-version
'

test_expect_success 'fallback: WARN with an operator token, FAIL on a bad value, PASS with deny' '
	pat=ghp_doctor$(random_secret) &&
	echo "$pat" >>"$TRASH/.secrets" &&
	RAXX_OPERATOR_TOKEN=$pat doctor_in wt &&
	rc_is 0 && line WARN fallback &&
	test_grep "fix: set RAXX_FALLBACK=deny" doctor.out &&
	! grep "$pat" doctor.out doctor.err &&
	RAXX_FALLBACK=sometimes doctor_in wt &&
	rc_is 1 && line FAIL fallback &&
	test_grep "fallback .sometimes. is not pat, pass or deny" doctor.out &&
	RAXX_FALLBACK=deny doctor_in wt &&
	rc_is 0 && line PASS fallback
'

test_expect_success 'cache-dir: FAIL when open to others or a symlink, PASS when 0700' '
	mkdir -m 755 "$TRASH/cache755" &&
	RAXX_CACHE_DIR="$TRASH/cache755" doctor_in wt &&
	rc_is 1 && line FAIL cache-dir &&
	test_grep "cache755 is mode 0755" doctor.out &&
	test_grep "fix: chmod 700 $TRASH/cache755" doctor.out &&
	chmod 700 "$TRASH/cache755" &&
	RAXX_CACHE_DIR="$TRASH/cache755" doctor_in wt &&
	rc_is 0 && line PASS cache-dir &&
	ln -s "$TRASH/cache755" "$TRASH/cachelink" &&
	RAXX_CACHE_DIR="$TRASH/cachelink" doctor_in wt &&
	rc_is 1 && test_grep "cachelink is a symlink" doctor.out &&
	unset RAXX_CACHE_DIR && XDG_RUNTIME_DIR="$TRASH/run" doctor_in wt &&
	test_grep "cache-dir        $TRASH/run/git-credential-raxx" doctor.out
'

test_expect_success 'state-dir: FAIL on a file open to others inside' '
	mkdir -p -m 700 "$TRASH/st" && echo x >"$TRASH/st/audit.log" && chmod 644 "$TRASH/st/audit.log" &&
	RAXX_STATE_DIR="$TRASH/st" doctor_in wt &&
	rc_is 1 && line FAIL state-dir &&
	test_grep "st/audit.log is not private" doctor.out &&
	test_grep "fix: chmod 600" doctor.out
'

test_expect_success 'clock: PASS in sync, WARN 2 minutes off, FAIL 15 minutes off' '
	test_when_finished restore_github &&
	doctor_in wt >/dev/null && line PASS clock &&
	fake_set github clock_offset 120 &&
	doctor_in wt &&
	rc_is 0 && line WARN clock &&
	test_grep "behind GitHub.s" doctor.out &&
	fake_set github clock_offset 900 &&
	doctor_in wt &&
	rc_is 1 && line FAIL clock &&
	test_grep "fix: set the clock from the network" doctor.out &&
	line PASS mint
'

test_expect_success 'clock without a bot: measured against GitHub anonymously' '
	doctor_in plain && line PASS clock
'

test_expect_success 'author FAIL: the operator'"'"'s identity, from config or from the environment' '
	git -C wt config user.name Operator &&
	git -C wt config user.email operator@example.com &&
	doctor_in wt &&
	rc_is 1 && line FAIL author &&
	test_grep -F "authored by Operator <operator@example.com>, not $BOTNAME <$BOTMAIL>" doctor.out &&
	test_grep "fix: run git-credential-raxx setup in this worktree" doctor.out &&
	git -C wt config user.name "$BOTNAME" &&
	git -C wt config user.email "$BOTMAIL" &&
	GIT_AUTHOR_NAME=Operator doctor_in wt &&
	rc_is 1 && line FAIL author &&
	test_grep "fix: unset GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL" doctor.out
'

test_expect_success 'helper-chain FAIL: a store helper after raxx would keep the token in plain text' '
	test_when_finished "git -C wt config --unset-all credential.helper store; git -C wt config credential.helper \"raxx --bot raxx-dev-bot\"" &&
	git -C wt config --add credential.helper store &&
	doctor_in wt &&
	rc_is 1 && line FAIL helper-chain &&
	test_grep "helper .store. from .git/config keeps every credential git approves, the bot.s token too, in plain text" doctor.out
'

test_expect_success 'helper-chain FAIL: gh auth setup-git'"'"'s empty entry hides a global raxx' '
	test_when_finished "rm -f \"$HOME/.gitconfig\"; git -C wt config credential.helper \"raxx --bot raxx-dev-bot\"" &&
	git -C wt config --unset-all credential.helper &&
	git config --global credential.helper "raxx --bot raxx-dev-bot" &&
	GH_ENTERPRISE_TOKEN=unused GH_HOST="$RAXX_GITHUB_HOST" gh auth setup-git --hostname "$RAXX_GITHUB_HOST" &&
	git config --global --get-all "credential.https://$RAXX_GITHUB_HOST.helper" >gh-helpers &&
	test_grep "gh auth git-credential" gh-helpers &&
	doctor_in wt &&
	rc_is 1 && line FAIL helper-chain &&
	test_grep "an empty credential.https://$RAXX_GITHUB_HOST.helper (.*gitconfig) (as .gh auth setup-git. writes) clears raxx from the chain" doctor.out &&
	test_grep "gh auth git-credential" doctor.out
'

test_expect_success 'helper-chain: FAIL with a bot but no raxx; WARN for a helper before raxx' '
	test_when_finished "git -C wt config --unset-all credential.helper; git -C wt config credential.helper \"raxx --bot raxx-dev-bot\"" &&
	git -C wt config --unset-all credential.helper &&
	doctor_in wt &&
	rc_is 1 && line FAIL helper-chain &&
	test_grep "raxx is not in the chain" doctor.out &&
	git -C wt config --add credential.helper osxkeychain &&
	git -C wt config --add credential.helper "raxx --bot raxx-dev-bot" &&
	doctor_in wt &&
	rc_is 0 && line WARN helper-chain &&
	test_grep "osxkeychain. from .git/config comes before raxx" doctor.out
'

test_expect_success 'helper-chain SKIP outside a worktree' '
	mkdir -p "$TRASH/outside" &&
	(GIT_CEILING_DIRECTORIES="$TRASH" && export GIT_CEILING_DIRECTORIES &&
	 cd / && git-credential-raxx --bot raxx-dev-bot doctor) >doctor.out 2>doctor.err;
	line SKIP helper-chain && line SKIP author
'

test_expect_success 'git-version PASS with git 2.41 or later' '
	mkdir -p newgit &&
	real=$(command -v git) &&
	printf "#!/bin/sh\n[ \"\$1\" = --version ] && { echo \"git version 2.45.1\"; exit 0; }\nexec %s \"\$@\"\n" "$real" >newgit/git &&
	chmod +x newgit/git &&
	PATH="$TRASH/newgit:$PATH" doctor_in wt &&
	rc_is 0 && line PASS git-version &&
	test_grep "git 2.45.1 honours password_expiry_utc" doctor.out
'

test_expect_success 'a FAIL in --json mode: exit 1 and "exit": 1, with the fix' '
	test_when_finished restore_vault &&
	vault_set INSTALLATION_ID -s 999 &&
	DOCTOR_OPTS=--json doctor_in wt >/dev/null &&
	rc_is 1 &&
	test "$(json_get doctor.out checks.name=installation.status exit)" = "FAIL 1" &&
	json_get doctor.out checks.name=installation.fix | grep "to 4711" &&
	test "$(json_get doctor.out fail)" -ge 1
'

test_expect_success '--quiet prints only the FAIL lines and their fixes' '
	test_when_finished restore_vault &&
	vault_set INSTALLATION_ID -s 999 &&
	DOCTOR_OPTS=--quiet doctor_in wt &&
	rc_is 1 &&
	test_line_count = 2 doctor.out &&
	line FAIL installation &&
	test_grep "^       fix: set INSTALLATION_ID" doctor.out
'

test_secrets_never_leak
test_done
