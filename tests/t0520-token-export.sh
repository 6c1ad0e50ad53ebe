#!/bin/sh
# token --export: shell-quoted export lines for eval, in sh, bash and zsh,
# that give gh the bot's token; nothing to eval when minting fails.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

raxx() { git-credential-raxx "$@"; }
export RAXX_BOT=raxx-dev-bot

test_expect_success 'export lines for an enterprise host: GH_ENTERPRISE_TOKEN, GH_HOST, GH_TOKEN_EXPIRES_AT; never GH_TOKEN' '
	raxx token --export >out.export 2>err &&
	test_must_be_empty err &&
	test_line_count = 3 out.export &&
	! grep GH_TOKEN= out.export &&
	grep -E "^export GH_ENTERPRISE_TOKEN='"'"'ghs_[A-Za-z0-9._]{36,}'"'"'$" out.export &&
	grep -x "export GH_HOST='"'"'$RAXX_GITHUB_HOST'"'"'" out.export &&
	grep -E "^export GH_TOKEN_EXPIRES_AT='"'"'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'"'"'$" out.export
'

test_expect_success 'github.com: no GH_ENTERPRISE_TOKEN line' '
	RAXX_GITHUB_HOST=github.com raxx token --export >out.com &&
	test_line_count = 2 out.com &&
	grep "^export GH_TOKEN=" out.com &&
	grep "^export GH_TOKEN_EXPIRES_AT=" out.com &&
	! grep GH_ENTERPRISE_TOKEN out.com
'

# eval_in SHELL: eval the export lines in SHELL, print what it then has
eval_in() {
	"$1" -c '
		set -u
		out=$(git-credential-raxx token --export) || exit $?
		eval "$out" || exit 1
		printf "%s\n" "$GH_ENTERPRISE_TOKEN" >out.'"$1"'.ent_token
		printf "%s\n" "$GH_HOST" >report.'"$1"'.gh_host
		printf "%s\n" "$GH_TOKEN_EXPIRES_AT" >report.'"$1"'.expires
		sh -c "printf \"%s\\n\" \"\$GH_ENTERPRISE_TOKEN\"" >out.'"$1"'.exported
	'
}

for sh in sh dash bash zsh; do
	if ! test_have $sh; then
		test_skip "eval in $sh" "$sh not installed"
		continue
	fi
	test_expect_success "eval in $sh: the variables are set and exported" '
		eval_in '$sh' &&
		grep -E "^ghs_[A-Za-z0-9._]{36,}$" out.'$sh'.ent_token &&
		echo "$RAXX_GITHUB_HOST" >expect.'$sh' &&
		test_cmp expect.'$sh' report.'$sh'.gh_host &&
		test_cmp out.'$sh'.ent_token out.'$sh'.exported &&
		token_expiry_ok out.'$sh'.ent_token "$(epoch "$(cat report.'$sh'.expires)")"
	'
done

test_expect_success 'the evaluated token works with the real gh as the bot' '
	test_have gh || { echo "# gh not installed: skipped"; exit 0; }
	mkdir -p gh-config &&
	(
		eval "$(raxx token --export)" &&
		GH_CONFIG_DIR="$TRASH/gh-config" \
		SSL_CERT_FILE="$TLS/ca.pem" GH_NO_UPDATE_NOTIFIER=1 \
			gh api repos/raxx-app/demo --jq .full_name
	) >out.gh &&
	echo raxx-app/demo >expect &&
	test_cmp expect out.gh &&
	log_notes github | tail -n 1 >notes &&
	test_grep "GET /api/v3/repos/raxx-app/demo 200 token-of:raxx-dev-bot" notes
'

test_expect_success 'a failed mint prints nothing to eval and keeps its exit code' '
	fake_set github behavior.access_tokens -s 500 &&
	test_when_finished "fake_reset github behavior" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	RAXX_OPERATOR_TOKEN=ghp_never_printed test_expect_code 6 raxx token --export >out.fail 2>err &&
	test_must_be_empty out.fail &&
	test_grep "HTTP 500" err &&
	(
		GH_TOKEN=before &&
		if out=$(raxx token --export 2>/dev/null); then eval "$out"; fi &&
		test "$GH_TOKEN" = before
	)
'

test_expect_success 'no bot: exit 2, nothing printed' '
	(
		unset RAXX_BOT &&
		test_expect_code 2 raxx token --export >out.nobot 2>err
	) &&
	test_must_be_empty out.nobot &&
	test_grep "no bot" err
'

test_expect_success '--export and --json exclude each other; unknown options are refused' '
	test_expect_code 64 raxx token --export --json 2>err &&
	test_grep "exclude each other" err &&
	test_expect_code 64 raxx token --exports 2>err &&
	test_grep "unknown option" err
'

test_secrets_never_leak
test_done
