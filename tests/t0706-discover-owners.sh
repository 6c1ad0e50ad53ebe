#!/bin/sh
# One App, several organizations: an App installed on two of the operator's
# accounts has two installations, the vault one INSTALLATION_ID. With
# RAXX_OWNERS (or raxx.owners in the global config) a repository of the
# second account is minted on that account's installation, narrowed to the
# repository, and the installation is remembered per owner. Without it,
# such a repository gets no token: a refusal naming the owner, never the
# operator's PAT. raxx.owners in the repository's own config is ignored.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

HOSTPORT=$RAXX_GITHUB_HOST
OPERATOR_PAT="ghp_operator$(random_secret)"
set_operator_pat "$OPERATOR_PAT"
OTHER_ID=7100001
raxx() { git-credential-raxx "$@"; }
cold() { rm -rf "$RAXX_CACHE_DIR"; }
mints_on() { count_requests github POST "/api/v3/app/installations/$1/access_tokens" "${2:-}"; }
lookups() { count_requests github GET "/api/v3/repos/$1/installation" "${2:-}"; }
accounts() { ls "$RAXX_STATE_DIR"/accounts.raxx-dev-bot.* 2>/dev/null; }
# the installation and the repositories of the last token minted
# ("4800 other-org/tools", "4711 (all)")
last_mint() {
	fake_log github --last -p installation -p repositories method=POST status=201 \
		'path~^/api/v3/app/installations/[0-9]+/access_tokens$' |
		sed 's/ null$/ (all)/; s/[]["]//g; s/,/ /g'
}
OTHER=apps.3501352.installations.4800

test_expect_success 'setup: the App is installed on other-org too (installation 4800)' '
	make_bare_repo other-org/tools && make_bare_repo other-org/demo &&
	fake_set github $OTHER.account -s other-org $OTHER.account_id $OTHER_ID \
		$OTHER.repositories "[\"other-org/tools\", \"other-org/demo\"]" &&
	raxx --bot raxx-dev-bot token >out.first &&
	grep ^ghs_ out.first &&
	cold
'

test_expect_success 'whose INSTALLATION_ID is is asked once: GET /app/installations/4711' '
	test "$(count_requests github GET /api/v3/app/installations/4711 200)" = 1 &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.once &&
	test "$(count_requests github GET /api/v3/app/installations/4711 200)" = 1 &&
	cold
'

test_expect_success 'without RAXX_OWNERS a repository of other-org gets no token: exit 5 naming the owner' '
	test_expect_code 5 raxx --bot raxx-dev-bot --repo other-org/tools token >out.refused 2>err &&
	test_must_be_empty out.refused &&
	test_grep "repository .other-org/tools. is on .other-org., not an account raxx-dev-bot may use (raxx-app, the account of INSTALLATION_ID)" err &&
	test_grep "add it to RAXX_OWNERS or raxx.owners" err &&
	test "$(mints_on 4800)" = 0 &&
	test "$(mints_on 4711 422)" = 0 &&
	! grep -q other-org "$(accounts)"
'

test_expect_success 'through git it is a refusal, not an outage: no operator PAT, git told to stop' '
	printf "protocol=https\nhost=%s\npath=other-org/tools.git\n\n" "$HOSTPORT" >req &&
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" test_must_fail git -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" -c credential.useHttpPath=true \
		credential fill <req >out.fill 2>err.fill &&
	! grep "^password=" out.fill &&
	! grep -F "$OPERATOR_PAT" out.fill err.fill &&
	test_grep "not an account raxx-dev-bot may use" err.fill &&
	test_grep "a refusal, not an outage" err.fill
'

test_expect_success 'a path-less request still uses the vault installation' '
	cold &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot token >out.pathless &&
	grep ^ghs_ out.pathless &&
	test "$(last_mint)" = "4711 (all)"
'

test_expect_success 'with RAXX_OWNERS each repository is minted on its own installation, narrowed' '
	cold &&
	n=$(lookups other-org/tools 200) &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/tools token >out.tools 2>err &&
	test_must_be_empty err &&
	grep ^ghs_ out.tools &&
	test "$(last_mint)" = "4800 other-org/tools" &&
	test "$(lookups other-org/tools 200)" = $((n + 1)) &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.demo &&
	test "$(last_mint)" = "4711 raxx-app/demo" &&
	test "$(lookups raxx-app/demo)" = 0
'

test_expect_success 'the same repository name on both accounts: each on its own installation' '
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/demo token >out.odemo &&
	test "$(last_mint)" = "4800 other-org/demo" &&
	! test_cmp out.demo out.odemo >/dev/null &&
	git -c credential.helper= -c http.extraHeader= ls-remote \
		"https://x-access-token:$(cat out.odemo)@$HOSTPORT/other-org/demo.git" >refs &&
	grep refs/heads/main refs &&
	test_must_fail git ls-remote \
		"https://x-access-token:$(cat out.demo)@$HOSTPORT/other-org/demo.git" 2>/dev/null
'

test_expect_success 'the tokens are cached per repository: a warm call reuses each, no new mint' '
	n=$(mints_on "[0-9]+" 201) &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/tools token >out.tools2 &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.demo2 &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/demo token >out.odemo2 &&
	test_cmp out.tools out.tools2 && test_cmp out.demo out.demo2 &&
	test_cmp out.odemo out.odemo2 &&
	test "$(mints_on "[0-9]+" 201)" = "$n"
'

test_expect_success 'the installation is remembered per owner: a later cold mint skips the look-up' '
	json_get -j "$(accounts)" vault.installation_id vault.account \
		owners.other-org.installation_id owners.other-org.account owners.other-org.account_id >got &&
	echo "\"4711\" \"raxx-app\" \"4800\" \"other-org\" $OTHER_ID" >expect &&
	test_cmp expect got &&
	test "$(file_mode "$(accounts)")" = 600 &&
	cold &&
	n=$(lookups "other-org/.*") &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/tools token >out.again &&
	test "$(last_mint)" = "4800 other-org/tools" &&
	test "$(lookups "other-org/.*")" = "$n"
'

test_expect_success 'a memory of an owner no longer allowed is not used' '
	cold &&
	test_expect_code 5 raxx --bot raxx-dev-bot --repo other-org/tools token 2>err &&
	test_grep "not an account raxx-dev-bot may use" err &&
	! grep -q "\"other-org\"" "$(accounts)"
'

test_expect_success 'a real git push to the second account goes out as the bot' '
	git init -q -b main push-wt &&
	git -C push-wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C push-wt config credential.useHttpPath true &&
	git -C push-wt remote add origin "$GIT_URL/other-org/tools.git" &&
	RAXX_OWNERS="raxx-app, other-org" git -C push-wt fetch -q origin &&
	git -C push-wt checkout -q -b main origin/main &&
	echo second >push-wt/second.txt &&
	git -C push-wt add second.txt &&
	git -C push-wt commit -q -m "pushed to the second organization" &&
	RAXX_OWNERS="raxx-app, other-org" git -C push-wt push origin main 2>err &&
	log_notes github | grep "POST /other-org/tools.git/git-receive-pack 200 push-by:raxx-dev-bot" &&
	git --git-dir="$FAKES/repos/other-org/tools.git" log -1 --format=%s main >msg &&
	test "$(cat msg)" = "pushed to the second organization"
'

test_expect_success 'raxx.owners in the global config or on the command line is honoured' '
	cold &&
	test_when_finished "git config --global --unset raxx.owners" &&
	git config --global raxx.owners other-org &&
	raxx --bot raxx-dev-bot --repo other-org/tools token >out.global &&
	test "$(last_mint)" = "4800 other-org/tools" &&
	git config --global --unset raxx.owners &&
	cold &&
	git -c raxx.owners=other-org -C push-wt fetch -q origin &&
	log_notes github | tail -n 1 | grep "fetch-by:raxx-dev-bot"
'

test_expect_success 'raxx.owners in the repository config is ignored, with a warning' '
	cold &&
	git -C push-wt config raxx.owners other-org &&
	(cd push-wt && test_expect_code 5 raxx --bot raxx-dev-bot --repo other-org/tools token 2>../err) &&
	test_grep "raxx.owners in the local config is ignored" err &&
	test_grep "git config --global raxx.owners" err &&
	test_grep "not an account raxx-dev-bot may use" err &&
	git -C push-wt config --unset raxx.owners &&
	git -C push-wt config extensions.worktreeConfig true &&
	git -C push-wt config --worktree raxx.owners other-org &&
	(cd push-wt && test_expect_code 5 raxx --bot raxx-dev-bot --repo other-org/tools token 2>../err) &&
	test_grep "raxx.owners in the worktree config is ignored" err
'

test_expect_success 'an entry that is not a GitHub login: exit 64 naming it' '
	cold &&
	test_expect_code 64 env RAXX_OWNERS="other-org;id" \
		git-credential-raxx --bot raxx-dev-bot --repo other-org/tools token 2>err &&
	test_grep "owner .other-org;id. in RAXX_OWNERS is not a GitHub login" err
'

test_expect_success 'the App reinstalled on the second account: the remembered id is found again' '
	cold &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/tools token >/dev/null &&
	fake_mv github $OTHER apps.3501352.installations.4801 &&
	cold &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-org/tools token >out.re 2>err &&
	test_must_be_empty err &&
	test "$(mints_on 4800 404)" = 1 &&
	test "$(last_mint)" = "4801 other-org/tools" &&
	test "$(json_get "$(accounts)" owners.other-org.installation_id)" = 4801
'

test_expect_success 'the second account renamed: recognised by its remembered id' '
	cold &&
	i=apps.3501352.installations.4801 &&
	fake_set github $i.account -s other-new $i.repositories "[\"other-new/tools\", \"other-new/demo\"]" &&
	RAXX_OWNERS=other-org raxx --bot raxx-dev-bot --repo other-new/tools token >out.renamed 2>err &&
	test "$(last_mint)" = "4801 other-new/tools" &&
	cold &&
	test_expect_code 5 env RAXX_OWNERS=someone-else \
		git-credential-raxx --bot raxx-dev-bot --repo other-new/tools token 2>err &&
	test_grep "repository .other-new/tools. is on .other-new." err
'

test_secrets_never_leak
test_done
