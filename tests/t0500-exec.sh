#!/bin/sh
# exec -- CMD: one command with the bot's token in its environment, its
# exit status passed through, and each fallback mode when minting fails.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

raxx() { git-credential-raxx "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
# a failing mint: GitHub answers 500, and no cached token to reuse
mint_fails() {
	fake_set github behavior.access_tokens -s 500 &&
	rm -rf "$RAXX_CACHE_DIR"
}
mint_works() { fake_unset github behavior.access_tokens; }

# A child that reports what it got: the token goes to out.* (the secret
# scan learns tokens from there), the rest to report.*.
cat >"$TRASH/bin/report-env" <<'EOF'
#!/bin/sh
printf '%s\n' "${GH_TOKEN-<unset>}" >"out.$1.gh_token"
printf '%s\n' "${GH_ENTERPRISE_TOKEN-<unset>}" >"out.$1.ent_token"
printf '%s\n' "${GH_HOST-<unset>}" >"report.$1.gh_host"
echo ran >"report.$1"
exit "${2:-0}"
EOF
chmod +x "$TRASH/bin/report-env"

test_expect_success 'exec: an enterprise host: the token in GH_ENTERPRISE_TOKEN with GH_HOST, never GH_TOKEN' '
	GH_TOKEN=caller-own raxx --bot raxx-dev-bot exec -- report-env a 2>err &&
	test_must_be_empty err &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out.a.ent_token &&
	echo "<unset>" >expect && test_cmp expect out.a.gh_token &&
	echo "$RAXX_GITHUB_HOST" >expect && test_cmp expect report.a.gh_host &&
	test "$(mints)" = 1
'

test_expect_success 'exec: a warm cache is reused: no second mint' '
	raxx --bot raxx-dev-bot exec -- report-env warm &&
	test_cmp out.a.ent_token out.warm.ent_token &&
	test "$(mints)" = 1
'

test_expect_success 'exec: the token it got is live: the GitHub fake takes it for the bot' '
	raxx --bot raxx-dev-bot exec -- sh -c "printf %s \"\$GH_ENTERPRISE_TOKEN\" >out.live" &&
	tok=$(cat out.live) &&
	curl -sf --cacert "$TLS/ca.pem" -H "Authorization: Bearer $tok" \
		-A raxx-test "$RAXX_GITHUB_API/repos/raxx-app/demo" >out.repo.json &&
	log_notes github | tail -n 1 >notes &&
	test_grep "token-of:raxx-dev-bot" notes
'

test_expect_success 'exec: github.com gets GH_TOKEN only (no GH_ENTERPRISE_TOKEN, no GH_HOST)' '
	RAXX_GITHUB_HOST=github.com raxx --bot raxx-dev-bot exec -- report-env com &&
	grep ^ghs_ out.com.gh_token &&
	echo "<unset>" >expect &&
	test_cmp expect out.com.ent_token &&
	test_cmp expect report.com.gh_host
'

test_expect_success 'exec: the command does not get the vault identity, the CF secret or the operator PAT' '
	RAXX_OPERATOR_TOKEN=ghp_not_for_children CF_ACCESS_CLIENT_ID=cf-id \
	CF_ACCESS_CLIENT_SECRET=cf-secret-not-for-children \
	INFISICAL_CLIENT_SECRET_FILE=/nonexistent/secret \
		raxx --bot raxx-dev-bot exec -- env >out.env &&
	grep "^GH_ENTERPRISE_TOKEN=ghs_" out.env &&
	! grep -E "^(INFISICAL_CLIENT_SECRET|INFISICAL_CLIENT_SECRET_FILE|CF_ACCESS_CLIENT_SECRET|RAXX_OPERATOR_TOKEN)=" out.env &&
	grep "^INFISICAL_CLIENT_ID=" out.env &&
	grep "^CF_ACCESS_CLIENT_ID=cf-id$" out.env
'

test_expect_success 'exec --keep-env: a child that must mint itself keeps them' '
	RAXX_OPERATOR_TOKEN=ghp_kept CF_ACCESS_CLIENT_ID=cf-id CF_ACCESS_CLIENT_SECRET=cf-kept \
		raxx --bot raxx-dev-bot exec --keep-env -- env >out.keep &&
	grep "^INFISICAL_CLIENT_SECRET=" out.keep &&
	grep "^CF_ACCESS_CLIENT_SECRET=cf-kept$" out.keep &&
	grep "^RAXX_OPERATOR_TOKEN=ghp_kept$" out.keep
'

test_expect_success 'exec: the token lives only in the child: not in the caller, not on a command line' '
	raxx --bot raxx-dev-bot exec -- sh -c "cat /proc/\$\$/cmdline 2>/dev/null | tr \"\\0\" \" \" >report.cmdline; printf %s \"\$GH_ENTERPRISE_TOKEN\" >out.cmdline" &&
	test -z "${GH_ENTERPRISE_TOKEN:-}" &&
	tok=$(cat out.cmdline) &&
	test -n "$tok" &&
	! grep -F "$tok" report.cmdline
'

test_expect_success 'exec: the exit status is the command'"'"'s' '
	test_expect_code 7 raxx --bot raxx-dev-bot exec -- sh -c "exit 7" &&
	test_expect_code 0 raxx --bot raxx-dev-bot exec -- true &&
	test_expect_code 1 raxx --bot raxx-dev-bot exec -- false &&
	test_expect_code 3 raxx --bot raxx-dev-bot exec -- report-env st 3 &&
	test -f report.st
'

test_expect_success 'exec: a command that is not there exits 127, one that cannot run 126' '
	test_expect_code 127 raxx --bot raxx-dev-bot exec -- no-such-command-xyz 2>err &&
	test_grep "cannot run .no-such-command-xyz." err &&
	printf "#!/bin/sh\necho hi\n" >not-executable &&
	chmod 644 not-executable &&
	test_expect_code 126 raxx --bot raxx-dev-bot exec -- ./not-executable 2>err &&
	test_grep "cannot run .\./not-executable.: Permission denied" err
'

test_expect_success 'exec: "--" is optional; options before it are checked' '
	test_expect_code 5 raxx --bot raxx-dev-bot exec sh -c "exit 5" &&
	test_expect_code 64 raxx --bot raxx-dev-bot exec 2>err &&
	test_grep "no command given" err &&
	test_expect_code 64 raxx --bot raxx-dev-bot exec -- 2>err &&
	test_expect_code 64 raxx --bot raxx-dev-bot exec --bogus -- true 2>err &&
	test_grep "unknown option .--bogus." err &&
	raxx exec --help >out.help &&
	test_grep "exec" out.help
'

test_expect_success 'exec: arguments, stdin and stdout reach the command untouched' '
	printf "line one\nline two\n" >input &&
	raxx --bot raxx-dev-bot exec -- sh -c "cat; printf \"[%s]\\n\" \"\$@\"" sh \
		"a b" "" "c'"'"'d" "\$HOME" <input >got &&
	cat >expect <<-\EOF &&
	line one
	line two
	[a b]
	[]
	[c'"'"'d]
	[$HOME]
	EOF
	test_cmp expect got
'

test_expect_success 'exec: the command runs in this process (exec, same pid)' '
	sh -c "echo \$\$ >report.shell-pid; exec git-credential-raxx --bot raxx-dev-bot exec -- sh -c \"echo \\\$\\\$ >report.child-pid\"" &&
	test_cmp report.shell-pid report.child-pid
'

test_expect_success 'exec: the command gets the caller'"'"'s umask and core limit back' '
	(
		umask 022 &&
		raxx --bot raxx-dev-bot exec -- sh -c umask >report.umask &&
		echo 0022 >expect &&
		test_cmp expect report.umask &&
		# (AddressSanitizer sets the core limit to 0 before main: not ours)
		if test -z "${SANITIZE:-}" && ulimit -c 1024 2>/dev/null; then
			raxx --bot raxx-dev-bot exec -- sh -c "ulimit -c" >report.core &&
			echo 1024 >expect &&
			test_cmp expect report.core
		fi
	)
'

test_expect_success 'exec: SSLKEYLOGFILE is dropped for the command too' '
	SSLKEYLOGFILE="$TRASH/keylog" raxx --bot raxx-dev-bot exec -- \
		sh -c "echo \"\${SSLKEYLOGFILE-unset}\"" >report.keylog &&
	echo unset >expect &&
	test_cmp expect report.keylog &&
	test ! -e "$TRASH/keylog"
'

test_expect_success 'exec: the terminal is the command'"'"'s' '
	if ! { test_have script && script -V 2>&1 | grep -q util-linux; }; then
		echo "# no util-linux script: skipped"; exit 0
	fi
	script -qec "git-credential-raxx --bot raxx-dev-bot exec -- sh -c \"test -t 0 && test -t 1 && test -t 2 && echo TTY-OK\"" /dev/null >report.tty &&
	test_grep TTY-OK report.tty
'

# --- fallback when minting fails

test_expect_success 'deny: the command does not run; exit with the mint failure'"'"'s code' '
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=deny test_expect_code 6 raxx --bot raxx-dev-bot exec -- report-env deny 2>err &&
	test ! -e report.deny &&
	test_grep "not running report-env (RAXX_FALLBACK=deny)" err &&
	test_grep "HTTP 500" err
'

test_expect_success 'deny: no bot at all is exit 2 and nothing runs' '
	RAXX_FALLBACK=deny test_expect_code 2 raxx exec -- report-env nobot 2>err &&
	test ! -e report.nobot &&
	test_grep "no bot" err
'

test_expect_success 'pat: in an outage gh gets the operator token, with a warning' '
	op="ghp_operator$(random_secret)" &&
	set_operator_pat "$op" &&
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN="$op" \
		raxx --bot raxx-dev-bot exec -- report-env pat 0 2>err &&
	test "$(cat out.pat.ent_token)" = "$op" &&
	echo "<unset>" >expect && test_cmp expect out.pat.gh_token &&
	test_grep "warning: minting for raxx-dev-bot failed (exit 6)" err &&
	test_grep "running report-env with the operator token RAXX_OPERATOR_TOKEN" err &&
	test_grep "acts as you, not the bot" err
'

test_expect_success 'pat is the default, and without RAXX_OPERATOR_TOKEN it acts as pass' '
	mint_fails && test_when_finished mint_works &&
	GH_TOKEN=caller-own GH_ENTERPRISE_TOKEN=caller-ent \
		raxx --bot raxx-dev-bot exec -- report-env patpass 2>err &&
	echo caller-own >expect && test_cmp expect out.patpass.gh_token &&
	echo caller-ent >expect && test_cmp expect out.patpass.ent_token &&
	test_grep "RAXX_OPERATOR_TOKEN unset" err &&
	test_grep "RAXX_FALLBACK=pat acts as pass" err
'

test_expect_success 'pass: the command runs with the environment untouched, with a warning' '
	mint_fails && test_when_finished mint_works &&
	RAXX_FALLBACK=pass RAXX_OPERATOR_TOKEN=ghp_not_used \
		raxx --bot raxx-dev-bot exec -- report-env pass 4 2>err
	test $? = 4 &&
	echo "<unset>" >expect &&
	test_cmp expect out.pass.gh_token &&
	test_cmp expect out.pass.ent_token &&
	test_grep "running report-env with its own credentials, not the bot.s (RAXX_FALLBACK=pass)" err
'

test_expect_success 'pass: git config raxx.fallback works as RAXX_FALLBACK' '
	mint_fails && test_when_finished mint_works &&
	git config --global raxx.fallback deny &&
	test_when_finished "git config --global --unset raxx.fallback" &&
	test_expect_code 6 raxx --bot raxx-dev-bot exec -- report-env cfgdeny 2>err &&
	test ! -e report.cfgdeny
'

test_expect_success 'a broken RAXX_FALLBACK runs nothing: exit 64' '
	RAXX_FALLBACK=maybe test_expect_code 64 raxx --bot raxx-dev-bot exec -- report-env badfb 2>err &&
	test ! -e report.badfb &&
	test_grep "fallback .maybe. is not pat, pass or deny" err
'

test_secrets_never_leak
test_done
