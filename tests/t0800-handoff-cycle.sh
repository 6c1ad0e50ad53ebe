#!/bin/sh
# handoff: the whole life of a handoff identity against the fakes, through
# real git: provision -> an agent worktree attached to it pushes with a
# token narrowed to one repository and three permissions -> verify ->
# revoke; the other repository refused; list; a replaced token still
# revoked; revoke twice.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

SLUG=fix-login-20260621
raxx() { git-credential-raxx "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
manifest_reads() { count_requests vault GET "/api/v4/secrets/PROVISION_MANIFEST"; }
vault_requests() { grep -c '"method"' "$FAKES/vault.log"; }

# manifest SLUG: the PROVISION_MANIFEST the vault holds (none: exit 1).
manifest() { fake_get vault "secrets./MooseQuest/handoffs/$1.PROVISION_MANIFEST" 2>/dev/null; }

NARROW="raxx-app/demo contents:write,issues:write,pull_requests:write"

test_expect_success 'provision: numbered steps on stderr, nothing on stdout, the revoke command last' '
	date +%s >time.before &&
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo \
		--bot raxx-dev-bot >out.prov 2>err.prov &&
	date +%s >time.after &&
	test_must_be_empty out.prov &&
	for i in 1 2 3 4 5; do
		grep "^step $i/5: " err.prov || exit 1
	done &&
	test_grep "^Provisioning complete" err.prov &&
	tail -n 1 err.prov >last &&
	echo "  revoke via : git-credential-raxx handoff revoke --task-slug $SLUG" >expect &&
	test_cmp expect last
'

test_expect_success 'the manifest in the vault: slug, repo, bot, the three permissions, 24 hours' '
	manifest $SLUG >manifest.json &&
	json_get -k manifest.json >keys &&
	printf "%s\n" bot created_at expires_at permissions repo slug >expect &&
	test_cmp expect keys &&
	json_get manifest.json slug repo bot permissions >got &&
	echo "fix-login-20260621 raxx-app/demo raxx-dev-bot {\"contents\":\"write\",\"issues\":\"write\",\"pull_requests\":\"write\"}" >expect &&
	test_cmp expect got &&
	created=$(epoch "$(json_get manifest.json created_at)") &&
	test $(($(epoch "$(json_get manifest.json expires_at)") - created)) = $((24 * 3600)) &&
	# made by the provision, while it ran
	test "$created" -ge "$(cat time.before)" && test "$created" -le "$(cat time.after)"
'

test_expect_success 'provision made the folder and checked the App with a narrowed token, revoked at once' '
	test "$(count_requests vault POST /api/v2/folders 200)" = 1 &&
	test "$(mints)" = 1 &&
	token_states >tokens &&
	echo "$NARROW revoked" >expect &&
	test_cmp expect tokens
'

test_expect_success 'an agent worktree attached to the handoff pushes as the bot' '
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	git -C demo config credential.helper "" &&
	git -C demo config --add credential.helper raxx &&
	git -C demo worktree add -q -b agent-work ../agent &&
	(cd agent && raxx handoff attach $SLUG 2>../err.attach) &&
	test_grep "now handoff .$SLUG." err.attach &&
	test "$(git -C agent config --worktree raxx.handoff)" = $SLUG &&
	test_must_fail git -C demo config --worktree raxx.handoff &&
	echo "by the agent" >>agent/README &&
	git -C agent commit -qam "a change by the handoff agent" &&
	git -C agent push -q origin agent-work 2>err &&
	log_notes github >notes &&
	grep "git-receive-pack .*push-by:raxx-dev-bot" notes &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 --format=%s agent-work >subject &&
	echo "a change by the handoff agent" >expect &&
	test_cmp expect subject
'

test_expect_success 'setup --handoff: a second worktree, the bot'"'"'s author, the handoff'"'"'s token' '
	git -C demo worktree add -q -b setup-work ../agent2 &&
	(cd agent2 && raxx --bot raxx-dev-bot setup --handoff $SLUG 2>../err.setup) &&
	test_grep "set raxx.handoff=$SLUG" err.setup &&
	test "$(git -C agent2 config --worktree raxx.handoff)" = $SLUG &&
	echo "by setup" >>agent2/README &&
	(unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL &&
	 git -C agent2 commit -qam "from a setup --handoff worktree") &&
	git -C agent2 push -q origin setup-work &&
	git -C "$FAKES/repos/raxx-app/demo.git" log -1 --format=%an setup-work >author &&
	echo "raxx-dev-bot[bot]" >expect &&
	test_cmp expect author &&
	test_expect_code 64 raxx setup --handoff "no/slug" 2>err &&
	(cd agent2 && raxx setup --undo 2>../err.undo) &&
	test_grep "unset raxx.handoff" err.undo &&
	test_must_fail git -C agent2 config --worktree raxx.handoff
'

test_expect_success 'the token git got is narrowed to the repository and the three permissions' '
	(cd agent && raxx token >../out.tok) &&
	token_state out.tok >scope &&
	echo "$NARROW live" >expect &&
	test_cmp expect scope &&
	tail -n 1 "$RAXX_STATE_DIR/audit.log" >audit.last &&
	test_grep "\"reason\":\"handoff $SLUG\"" audit.last
'

test_expect_success 'password_expiry_utc is never after the token expiry or the handoff end' '
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" >req &&
	(cd agent && raxx get <../req >../out.get) &&
	exp=$(sed -n "s/^password_expiry_utc=//p" out.get) &&
	sed -n "s/^password=//p" out.get >out.get.token &&
	test "$exp" -le "$(token_state out.get.token expires_at)" &&
	test "$exp" -le "$(epoch "$(json_get manifest.json expires_at)")"
'

test_expect_success 'the handoff token cannot push to the other repository' '
	test_must_fail git -C agent push -q "$GIT_URL/raxx-app/other.git" agent-work 2>err &&
	log_notes github | grep "denied-push:raxx-dev-bot:repo-not-in-token"
'

test_expect_success 'asked for the other repository by path, the helper refuses and stops git' '
	printf "protocol=https\nhost=%s\npath=raxx-app/other.git\n\n" \
		"$RAXX_GITHUB_HOST" >req.other &&
	(cd agent && test_expect_code 9 raxx get <../req.other >../out.other 2>../err.other) &&
	echo quit=1 >expect &&
	test_cmp expect out.other &&
	test_grep "is for raxx-app/demo only, not raxx-app/other" err.other
'

test_expect_success 'exec in the handoff worktree hands the narrowed token to the command' '
	(cd agent && raxx exec -- sh -c "printf %s \"\$GH_ENTERPRISE_TOKEN\" >../out.exec") &&
	token_state out.exec >scope &&
	echo "$NARROW live" >expect &&
	test_cmp expect scope &&
	curl -sf --cacert "$TLS/ca.pem" -A raxx-test -H "Authorization: Bearer $(cat out.exec)" \
		"$RAXX_GITHUB_API/installation/repositories" >repos.json &&
	test "$(json_get repos.json total_count repositories.0.full_name)" = "1 raxx-app/demo"
'

if test_have gh; then
	test_expect_success 'gh through the shim in the handoff worktree sees only the repository' '
		(
			cd agent &&
			export GH_HOST="$RAXX_GITHUB_HOST" SSL_CERT_FILE="$TLS/ca.pem" \
				GH_CONFIG_DIR="$TRASH/gh-config" GH_NO_UPDATE_NOTIFIER=1 \
				GH_PROMPT_DISABLED=1 NO_COLOR=1 &&
			mkdir -p "$GH_CONFIG_DIR" &&
			PATH="$BUILD_DIR/helper:$PATH" gh api installation/repositories \
				--jq ".total_count, .repositories[].full_name" >../gh.out
		) &&
		printf "1\nraxx-app/demo\n" >expect &&
		test_cmp expect gh.out
	'
else
	test_skip 'gh through the shim in the handoff worktree' 'gh is not installed'
fi

test_expect_success 'warm: the cached manifest and token serve without the vault' '
	before=$(vault_requests) &&
	(cd agent && raxx token >../out.warm) &&
	test_cmp out.tok out.warm &&
	test "$(vault_requests)" = "$before"
'

test_expect_success 'verify: a sound handoff, a verdict on stdout, never a token' '
	raxx handoff verify --task-slug $SLUG >verdict 2>err.verify &&
	test_must_be_empty err.verify &&
	test "$(grep -c "^\[PASS\]" verdict)" = 4 &&
	test_grep "^\[PASS\] permissions contents:write, pull_requests:write, issues:write" verdict &&
	test_grep "^\[PASS\] live token [0-9a-f]* sees only raxx-app/demo" verdict &&
	test_grep "^verdict: handoff $SLUG is sound: raxx-app/demo only" verdict &&
	test_grep ! ghs_ verdict
'

test_expect_success 'list: the slug, its repository, bot and expiry' '
	raxx handoff list >listing &&
	test_grep "^SLUG  *REPO  *BOT  *EXPIRES  *STATE" listing &&
	test_grep "^$SLUG  *raxx-app/demo  *raxx-dev-bot  *[0-9T:-]*Z  *live, 2[34]h[0-9]*m left" listing
'

test_expect_success 'revoke: the live tokens revoked at GitHub, the manifest deleted' '
	raxx handoff revoke --task-slug $SLUG 2>err.revoke &&
	test_grep "manifest /MooseQuest/handoffs/$SLUG/PROVISION_MANIFEST deleted" err.revoke &&
	test_grep "revoked at GitHub" err.revoke &&
	token_state out.tok >scope &&
	echo "$NARROW revoked" >expect &&
	test_cmp expect scope &&
	test_must_fail manifest $SLUG &&
	test_grep "\"event\":\"revoke\".*\"reason\":\"handoff revoke\"" "$RAXX_STATE_DIR/audit.log"
'

test_expect_success 'after revoke the worktree gets nothing: git is told to stop, token exits 9' '
	echo "more" >>agent/README &&
	git -C agent commit -qam "after the revoke" &&
	test_must_fail git -C agent push -q origin agent-work 2>err &&
	test_grep "told us to quit" err &&
	(cd agent && test_expect_code 9 raxx token >../out.after 2>../err.after) &&
	test_must_be_empty out.after &&
	test_grep "no manifest at /MooseQuest/handoffs/$SLUG/PROVISION_MANIFEST" err.after
'

test_expect_success 'revoke twice: the second finds nothing and exits 8' '
	test_expect_code 8 raxx handoff revoke --task-slug $SLUG 2>err &&
	test_grep "nothing to revoke" err
'

test_expect_success 'list after revoke: the slug has no manifest' '
	raxx handoff list >listing &&
	test_grep "^$SLUG .*no manifest" listing
'

test_expect_success 'provisioning the slug again: the existing folder is fine' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo --bot raxx-dev-bot 2>err &&
	test_grep "vault folder confirmed (already there)" err &&
	manifest $SLUG >/dev/null &&
	(cd agent && raxx token >../out.again) &&
	token_state out.again >scope &&
	echo "$NARROW live" >expect &&
	test_cmp expect scope
'

test_expect_success 'a replaced token is kept and still revoked (RAXX_MIN_TTL forces new ones)' '
	(cd agent && RAXX_MIN_TTL=3600 raxx token >../out.r1 &&
	 RAXX_MIN_TTL=3600 raxx token >../out.r2) &&
	! test_cmp out.again out.r1 && ! test_cmp out.r1 out.r2 &&
	raxx handoff revoke --task-slug $SLUG 2>err.many &&
	test_grep "3 tokens revoked" err.many &&
	for f in out.again out.r1 out.r2; do
		token_state $f | grep " revoked$" || exit 1
	done
'

test_expect_success 'the bot'"'"'s own revoke also sees handoff tokens' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo --bot raxx-dev-bot 2>/dev/null &&
	(cd agent && raxx token >../out.botrev) &&
	raxx --bot raxx-dev-bot revoke 2>err &&
	token_state out.botrev | grep " revoked$" &&
	raxx handoff revoke --task-slug $SLUG 2>err.after &&
	test_grep "manifest .* deleted" err.after &&
	test_grep "0 tokens revoked" err.after
'

test_expect_success 'detach: the worktree is a plain one again' '
	(cd agent && raxx handoff detach 2>../err.detach) &&
	test_must_fail git -C agent config --worktree raxx.handoff &&
	(cd agent && test_expect_code 8 raxx handoff detach 2>../err.detach2) &&
	test_grep "nothing to detach" err.detach2
'

test_expect_success 'attach leaves a bare repository'"'"'s worktrees to setup (core.bare would spread)' '
	git clone -q --bare "$FAKES/repos/raxx-app/demo.git" bare.git &&
	git -C bare.git worktree add -q ../bare-wt main &&
	(cd bare-wt && test_expect_code 64 raxx handoff attach $SLUG 2>../err.bare) &&
	test_grep "use .git-credential-raxx setup --handoff $SLUG. instead" err.bare &&
	test "$(git -C bare.git config --bool core.bare)" = true &&
	test_must_fail git -C bare.git config extensions.worktreeConfig
'

test_secrets_never_leak
test_done
