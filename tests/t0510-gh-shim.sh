#!/bin/sh
# The gh shim (helper/gh): the real gh, run through the shim first in PATH,
# reaches the GitHub fake (an enterprise host over TLS) with the bot's
# installation token; arguments, stdin, the terminal and the exit status
# are gh's own; no loop whatever PATH holds; each fallback mode.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

if ! REAL_GH=$(command -v gh); then
	echo "1..0 # SKIP gh is not installed (make deps)"
	exit 0
fi
SHIM_DIR="$BUILD_DIR/helper"
SYS_PATH=$PATH			# the test PATH, without the shim
export RAXX_BOT=raxx-dev-bot
# gh: the fake as an enterprise host, trusted through the test CA, and a
# private config directory so gh has no other auth
export GH_HOST="$RAXX_GITHUB_HOST" SSL_CERT_FILE="$TLS/ca.pem"
export GH_CONFIG_DIR="$TRASH/gh-config" GH_NO_UPDATE_NOTIFIER=1
export GH_PROMPT_DISABLED=1 NO_COLOR=1
mkdir -p "$GH_CONFIG_DIR"

# an agent's shell: the shim's directory first in PATH
ghs() { PATH="$SHIM_DIR:$SYS_PATH" gh "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
demo_gets() { count_requests github GET /api/v3/repos/raxx-app/demo; }
last_note() { log_notes github | tail -n 1; }
# a failing mint: GitHub answers 500, and no cached token to reuse
mint_fails() {
	fake_set github behavior.access_tokens -s 500 &&
	rm -rf "$RAXX_CACHE_DIR"
}
mint_works() { fake_unset github behavior.access_tokens; }
# add_pat VALUE LOGIN: a PAT the GitHub fake takes as LOGIN
add_pat() {
	echo "$1" >>"$TRASH/.secrets"
	fake_set github "pats.$(sha256_hex "$1")" -s "$2"
}

# A stand-in gh that reports what it got (tokens to out.*, the rest to
# report.*), for what the real gh cannot show.
mkdir -p "$TRASH/fakegh"
cat >"$TRASH/fakegh/gh" <<'EOF'
#!/bin/sh
printf '[%s]\n' "$@" >report.args
echo "$$" >report.pid
printf '%s\n' "${GH_TOKEN-<unset>}" >out.fakegh.gh_token
printf '%s\n' "${GH_ENTERPRISE_TOKEN-<unset>}" >out.fakegh.ent_token
case ${1-} in
stdin) cat ;;
tty) test -t 0 && test -t 1 && test -t 2 && echo TTY-OK ;;
exit) exit "$2" ;;
esac
exit 0
EOF
chmod +x "$TRASH/fakegh/gh"

test_expect_success 'gh api through the shim reaches GitHub as the bot' '
	ghs api repos/raxx-app/demo >out.api 2>err &&
	test_must_be_empty err &&
	test_grep "\"full_name\":\"raxx-app/demo\"" out.api &&
	last_note >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 200 token-of:raxx-dev-bot" notes &&
	test "$(mints)" = 1
'

test_expect_success 'a second gh call reuses the cached token' '
	ghs api repos/raxx-app/demo --jq .full_name >out.api2 &&
	echo raxx-app/demo >expect &&
	test_cmp expect out.api2 &&
	test "$(mints)" = 1 &&
	last_note >notes &&
	test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'without the shim, gh has no auth here (the test is honest)' '
	test_expect_code 1 gh api repos/raxx-app/demo >out.noauth 2>err &&
	test_grep "Not Found" err &&
	last_note >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 404 anonymous" notes
'

test_expect_success 'GH_TOKEN alone does not reach an enterprise host: the shim sets GH_ENTERPRISE_TOKEN' '
	tok=$(git-credential-raxx token) &&
	GH_TOKEN=$tok test_expect_code 1 gh api repos/raxx-app/demo >out.ghtoken 2>err &&
	last_note >notes &&
	test_grep "404 anonymous" notes &&
	GH_ENTERPRISE_TOKEN=$tok gh api repos/raxx-app/demo --jq .name >out.ent &&
	echo demo >expect &&
	test_cmp expect out.ent &&
	last_note >notes &&
	test_grep "200 token-of:raxx-dev-bot" notes
'

test_expect_success 'gh'"'"'s exit status passes through: a 404 is gh'"'"'s own 1' '
	test_expect_code 1 ghs api repos/raxx-app/nope >out.404 2>err &&
	test_grep "Not Found" err &&
	last_note >notes &&
	test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'gh sees the terminal through the shim (it colours its JSON)' '
	if ! { test_have script && script -V 2>&1 | grep -q util-linux; }; then
		echo "# no util-linux script: skipped"; exit 0
	fi
	(
		unset NO_COLOR &&
		PATH="$SHIM_DIR:$SYS_PATH" script -qec "gh api repos/raxx-app/demo" /dev/null >out.tty
	) &&
	test_grep "raxx-app/demo" out.tty &&
	esc=$(printf "\033") &&
	test_grep "$esc\[" out.tty
'

test_expect_success 'a gh alias that runs gh again goes through the shim again' '
	PATH="$SHIM_DIR:$SYS_PATH" gh alias set --shell demo-name "gh api repos/raxx-app/demo --jq .name" >/dev/null 2>&1 &&
	before=$(demo_gets) &&
	RAXX_TRACE=1 ghs demo-name >out.alias 2>err &&
	echo demo >expect &&
	test_cmp expect out.alias &&
	grep "is the real gh" err >shim-runs &&
	test_line_count = 2 shim-runs &&
	test "$(demo_gets)" = $((before + 1)) &&
	last_note >notes &&
	test_grep "token-of:raxx-dev-bot" notes
'

# --- arguments, stdin, exit status, process: with a stand-in gh (RAXX_GH)

test_expect_success 'RAXX_GH names the real gh; arguments reach it untouched' '
	RAXX_GH="$TRASH/fakegh/gh" ghs api "a b" "" "c'"'"'d" "\$HOME" "--flag=x y" &&
	cat >expect <<-\EOF &&
	[api]
	[a b]
	[]
	[c'"'"'d]
	[$HOME]
	[--flag=x y]
	EOF
	test_cmp expect report.args &&
	grep ^ghs_ out.fakegh.ent_token &&
	echo "<unset>" >expect && test_cmp expect out.fakegh.gh_token
'

test_expect_success 'stdin and stdout are gh'"'"'s, and so is the exit status' '
	printf "one\ntwo\n" >input &&
	RAXX_GH="$TRASH/fakegh/gh" ghs stdin <input >got &&
	test_cmp input got &&
	RAXX_GH="$TRASH/fakegh/gh" test_expect_code 7 ghs exit 7 &&
	RAXX_GH="$TRASH/fakegh/gh" test_expect_code 0 ghs
'

test_expect_success 'gh runs in the shim'"'"'s process (exec all the way)' '
	RAXX_GH="$TRASH/fakegh/gh" PATH="$SHIM_DIR:$SYS_PATH" \
		sh -c "echo \$\$ >report.shell-pid; exec gh" &&
	test_cmp report.shell-pid report.pid
'

test_expect_success 'the terminal reaches gh' '
	if ! { test_have script && script -V 2>&1 | grep -q util-linux; }; then
		echo "# no util-linux script: skipped"; exit 0
	fi
	RAXX_GH="$TRASH/fakegh/gh" PATH="$SHIM_DIR:$SYS_PATH" \
		script -qec "gh tty" /dev/null >report.tty &&
	test_grep TTY-OK report.tty
'

test_expect_success 'github.com: GH_TOKEN only' '
	RAXX_GITHUB_HOST=github.com RAXX_GH="$TRASH/fakegh/gh" ghs &&
	grep ^ghs_ out.fakegh.gh_token &&
	echo "<unset>" >expect &&
	test_cmp expect out.fakegh.ent_token
'

# --- finding the real gh: never the shim, never a loop

test_expect_success 'the shim directory twice in PATH' '
	PATH="$SHIM_DIR:$SHIM_DIR:$SYS_PATH" gh api repos/raxx-app/demo --jq .name >out.twice &&
	echo demo >expect && test_cmp expect out.twice &&
	last_note >notes && test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'the shim directory through a symlink, and the shim file through one' '
	ln -s "$SHIM_DIR" "$TRASH/linked-dir" &&
	mkdir -p "$TRASH/agent-bin" && ln -s "$SHIM_DIR/gh" "$TRASH/agent-bin/gh" &&
	PATH="$TRASH/linked-dir:$TRASH/agent-bin:$SHIM_DIR:$SYS_PATH" \
		gh api repos/raxx-app/demo --jq .name >out.links &&
	echo demo >expect && test_cmp expect out.links &&
	last_note >notes && test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'a relative PATH entry naming the shim directory' '
	(
		cd "$SHIM_DIR" &&
		PATH=".:$SYS_PATH" gh api repos/raxx-app/demo --jq .name
	) >out.rel &&
	echo demo >expect && test_cmp expect out.rel
'

test_expect_success 'a second copy of the shim later in PATH is passed over, not looped' '
	mkdir -p "$TRASH/copy" && cp "$SHIM_DIR/gh" "$TRASH/copy/gh" &&
	PATH="$SHIM_DIR:$TRASH/copy:$SYS_PATH" RAXX_TRACE=1 \
		gh api repos/raxx-app/demo --jq .name >out.copy 2>err &&
	echo demo >expect && test_cmp expect out.copy &&
	test_grep "$TRASH/copy/gh is the shim: skipped" err &&
	test_grep "$REAL_GH is the real gh" err
'

test_expect_success 'no real gh anywhere: exit 127, a clear error, nothing minted' '
	before=$(mints) &&
	test_expect_code 127 env PATH="$SHIM_DIR:$TRASH/linked-dir:$SHIM_DIR:$BUILD_DIR" \
		gh api repos/raxx-app/demo >out.none 2>err &&
	test_must_be_empty out.none &&
	test_grep "no real gh in PATH besides the shim" err &&
	test_grep "set RAXX_GH" err &&
	test "$(mints)" = "$before"
'

test_expect_success 'RAXX_GH naming the shim, or nothing executable: exit 127' '
	RAXX_GH="$TRASH/linked-dir/gh" test_expect_code 127 ghs api repos/raxx-app/demo 2>err &&
	test_grep "is the gh shim itself" err &&
	RAXX_GH="$TRASH/copy/gh" test_expect_code 127 ghs --version 2>err &&
	test_grep "is the gh shim itself" err &&
	RAXX_GH="$TRASH/no/such/gh" test_expect_code 127 ghs --version 2>err &&
	test_grep "RAXX_GH .*no/such/gh. is not an executable file" err
'

# --- finding git-credential-raxx

cat >"$TRASH/wrapper" <<EOF
#!/bin/sh
echo via-wrapper >"$TRASH/report.wrapper"
exec "$RAXX" "\$@"
EOF
chmod +x "$TRASH/wrapper"

test_expect_success 'a warm cache: the shim runs gh without the full program' '
	ghs api repos/raxx-app/demo --jq .name >/dev/null &&
	rm -f "$TRASH/report.wrapper" &&
	RAXX_PROGRAM="$TRASH/wrapper" ghs api repos/raxx-app/demo --jq .name >out.warm &&
	echo demo >expect && test_cmp expect out.warm &&
	test ! -e "$TRASH/report.wrapper" &&
	last_note >notes && test_grep "token-of:raxx-dev-bot" notes &&
	tail -n 1 "$RAXX_STATE_DIR/audit.log" >audit.last &&
	test_grep "\"event\":\"reuse\"" audit.last &&
	test_grep "\"bot\":\"raxx-dev-bot\"" audit.last
'

test_expect_success 'the shim and exec give gh the same (cached) token' '
	RAXX_GH="$TRASH/fakegh/gh" ghs && mv out.fakegh.ent_token out.via-shim &&
	git-credential-raxx exec -- "$TRASH/fakegh/gh" && mv out.fakegh.ent_token out.via-exec &&
	grep ^ghs_ out.via-shim &&
	test_cmp out.via-shim out.via-exec
'

test_expect_success 'a cold cache: RAXX_PROGRAM names the program that mints' '
	rm -rf "$RAXX_CACHE_DIR" "$TRASH/report.wrapper" &&
	RAXX_PROGRAM="$TRASH/wrapper" ghs api repos/raxx-app/demo --jq .name >out.prog &&
	echo demo >expect && test_cmp expect out.prog &&
	test_grep via-wrapper "$TRASH/report.wrapper"
'

test_expect_success 'installed: the shim finds PREFIX/bin/git-credential-raxx before PATH' '
	inst="$TRASH/prefix" &&
	mkdir -p "$inst/bin" "$inst/libexec/git-credential-raxx" "$TRASH/decoy" &&
	cp "$RAXX" "$inst/bin/git-credential-raxx" &&
	cp "$SHIM_DIR/gh" "$inst/libexec/git-credential-raxx/gh" &&
	printf "#!/bin/sh\necho decoy >&2\nexit 99\n" >"$TRASH/decoy/git-credential-raxx" &&
	chmod +x "$TRASH/decoy/git-credential-raxx" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	PATH="$inst/libexec/git-credential-raxx:$TRASH/decoy:$(dirname "$REAL_GH"):/usr/bin:/bin" \
		gh api repos/raxx-app/demo --jq .name >out.inst 2>err &&
	echo demo >expect && test_cmp expect out.inst &&
	test_grep ! decoy err
'

test_expect_success 'installed, through a symlink to the shim: still PREFIX/bin' '
	mkdir -p "$TRASH/agent-bin2" &&
	ln -s "$TRASH/prefix/libexec/git-credential-raxx/gh" "$TRASH/agent-bin2/gh" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	PATH="$TRASH/agent-bin2:$TRASH/decoy:$(dirname "$REAL_GH"):/usr/bin:/bin" \
		gh api repos/raxx-app/demo --jq .name >out.inst2 2>err &&
	echo demo >expect && test_cmp expect out.inst2 &&
	test_grep ! decoy err
'

test_expect_success 'no git-credential-raxx anywhere: exit 127 and what to do' '
	mkdir -p "$TRASH/lone" && cp "$SHIM_DIR/gh" "$TRASH/lone/gh" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	test_expect_code 127 env PATH="$TRASH/lone" gh --version >out.lone 2>err &&
	test_must_be_empty out.lone &&
	test_grep "git-credential-raxx not found" err &&
	test_grep "RAXX_PROGRAM" err
'

# --- fallback when minting fails

test_expect_success 'deny: gh does not run; the exit status is the mint failure'"'"'s' '
	mint_fails && test_when_finished mint_works &&
	before=$(demo_gets) &&
	RAXX_FALLBACK=deny test_expect_code 6 ghs api repos/raxx-app/demo >out.deny 2>err &&
	test_must_be_empty out.deny &&
	test_grep "not running gh (RAXX_FALLBACK=deny)" err &&
	test "$(demo_gets)" = "$before"
'

test_expect_success 'pat: gh runs with the operator token, with a warning' '
	op="ghp_operator$(random_secret)" &&
	set_operator_pat "$op" &&
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$op" \
		ghs api repos/raxx-app/demo --jq .name >out.pat 2>err &&
	echo demo >expect && test_cmp expect out.pat &&
	last_note >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 200 pat-of:operator" notes &&
	test_grep "running gh with the operator token RAXX_OPERATOR_TOKEN" err &&
	test_grep "\"event\":\"fallback\"" "$RAXX_STATE_DIR/audit.log"
'

test_expect_success 'pass: gh runs with its own auth, not the operator token, with a warning' '
	own="ghp_ghauth$(random_secret)" &&
	add_pat "$own" gh-auth-user &&
	cat >"$GH_CONFIG_DIR/hosts.yml" <<-EOF &&
	$GH_HOST:
	    oauth_token: $own
	    user: gh-auth-user
	    git_protocol: https
	EOF
	test_when_finished "rm -f \"$GH_CONFIG_DIR/hosts.yml\"" &&
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=pass RAXX_OPERATOR_TOKEN=ghp_never_used \
		ghs api repos/raxx-app/demo --jq .name >out.pass 2>err &&
	echo demo >expect && test_cmp expect out.pass &&
	last_note >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 200 pat-of:gh-auth-user" notes &&
	test_grep "running gh with its own credentials, not the bot.s (RAXX_FALLBACK=pass)" err
'

test_expect_success 'pass with no auth of gh'"'"'s own: gh goes out anonymously' '
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=pass test_expect_code 1 ghs api repos/raxx-app/demo >out.passnone 2>err &&
	test_grep "RAXX_FALLBACK=pass" err &&
	last_note >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 404 anonymous" notes
'

test_expect_success 'the bot again once minting works' '
	ghs api repos/raxx-app/demo --jq .name >out.again &&
	last_note >notes &&
	test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'contrib/envrc.example: the shim directory first in PATH, INFISICAL_* set' '
	test_have bash || { echo "# no bash: skipped"; exit 0; }
	bash -c "
		PATH_add() { PATH=\"\$1:\$PATH\"; }
		security() { return 1; }; secret-tool() { return 1; }
		. \"$BUILD_DIR/contrib/envrc.example\" &&
		printf \"%s\\n\" \"\${PATH%%:*}\" \"\$INFISICAL_CLIENT_ID\" \"\$INFISICAL_PROJECT_ID\" \"\$RAXX_FALLBACK\"
	" >report.envrc &&
	cat >expect <<-\EOF &&
	/usr/local/libexec/git-credential-raxx
	REPLACE-with-the-identity-client-id
	REPLACE-with-the-project-id
	deny
	EOF
	test_cmp expect report.envrc
'

test_secrets_never_leak
test_done
