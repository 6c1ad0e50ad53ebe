#!/bin/sh
# handoff: what is refused, with exit 9 and a clear message: a provision
# asking for more than the policy allows, an expired manifest, a manifest
# edited by hand to ask for more (administration:write), for nothing, or for
# longer than 24 hours; and never the operator's token in a handoff
# worktree, whatever the fallback says.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

raxx() { git-credential-raxx "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
logins() {
	if test -f "$FAKES/vault.log"; then
		count_requests vault POST /api/v1/auth/universal-auth/login
	else
		echo 0
	fi
}
provision() {
	raxx handoff provision --bot raxx-dev-bot --repo raxx-app/demo \
		--task-slug "$@" 2>>err.provisions
}
req() { printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST"; }

# manifest SLUG: the manifest the vault holds.
manifest() { fake_get vault "secrets./MooseQuest/handoffs/$1.PROVISION_MANIFEST"; }

# edit_manifest SLUG PATH VALUE...: change the manifest in the vault's
# config, as someone with write access to the vault would (PATH VALUE as
# json_set takes them; iso_utc SECONDS gives a timestamp)
edit_manifest() {
	_em=$1
	shift
	manifest "$_em" >"$TRASH/manifest.edit" &&
	json_set "$TRASH/manifest.edit" "$@" &&
	fake_set vault "secrets./MooseQuest/handoffs/$_em.PROVISION_MANIFEST" \
		-s "$(cat "$TRASH/manifest.edit")"
}

# --- provision: the policy

test_expect_success 'provision refuses more than 24 hours and more than the three permissions' '
	before=$(logins) &&
	test_expect_code 9 provision too-long --ttl-hours 25 2>err &&
	test_grep "ttl-hours 25 is beyond the 24-hour limit" err.provisions &&
	test_expect_code 9 provision admin --permissions contents:write,administration:write &&
	test_grep "asks for administration:write, beyond the allowed contents:write, pull_requests:write, issues:write" err.provisions &&
	test_expect_code 9 provision admin --permissions contents:admin &&
	test_expect_code 9 provision wf --permissions workflows:write &&
	test "$(logins)" = "$before"
'

test_expect_success 'provision usage errors: exit 64, nothing sent' '
	before=$(logins) &&
	test_expect_code 64 provision "bad/slug" &&
	test_expect_code 64 provision "a.b" &&
	test_expect_code 64 provision "$(printf "%065d" 0)" &&
	test_expect_code 64 raxx handoff provision --repo raxx-app/demo 2>err &&
	test_grep "task-slug SLUG is required" err &&
	test_expect_code 64 raxx handoff provision --task-slug x 2>err &&
	test_grep "repo OWNER/REPO is required" err &&
	test_expect_code 64 provision x --repo not-a-repo &&
	test_expect_code 64 provision x --ttl-hours 0 &&
	test_expect_code 64 provision x --ttl-hours 1h &&
	test_expect_code 64 provision x --permissions contents &&
	test_expect_code 64 provision x --frobnicate &&
	test_expect_code 64 raxx handoff frobnicate 2>err &&
	test_expect_code 64 raxx handoff 2>err &&
	test "$(logins)" = "$before"
'

test_expect_success 'provision with fewer permissions and a shorter life: the token has just those' '
	raxx handoff provision --task-slug narrow --owner raxx-app --repo demo \
		--bot raxx-dev-bot --permissions "contents:read, issues:write" \
		--ttl-hours 2 2>err &&
	manifest narrow >m.json &&
	test "$(json_get m.json permissions)" = "{\"contents\":\"read\",\"issues\":\"write\"}" &&
	test $(($(epoch "$(json_get m.json expires_at)") - $(epoch "$(json_get m.json created_at)"))) = 7200 &&
	RAXX_HANDOFF=narrow raxx token >out.narrow &&
	token_state out.narrow | cut -d" " -f1,2 >scope &&
	echo "raxx-app/demo contents:read,issues:write" >expect &&
	test_cmp expect scope
'

test_expect_success 'the narrowed token is read-only for contents: a push is refused by the server' '
	RAXX_HANDOFF=narrow git -c credential.helper= -c credential.helper=raxx \
		clone -q "$GIT_URL/raxx-app/demo.git" ro &&
	echo x >>ro/README &&
	git -C ro commit -qam "read-only" &&
	RAXX_HANDOFF=narrow test_must_fail git -C ro -c credential.helper= \
		-c credential.helper=raxx push -q origin main 2>err &&
	log_notes github | grep "denied-push:raxx-dev-bot:needs-contents:write"
'

test_expect_success 'a live handoff is not provisioned twice' '
	test_expect_code 9 provision narrow 2>err &&
	test_grep "already provisioned" err.provisions &&
	manifest narrow >m.after &&
	test_cmp m.json m.after
'

test_expect_success 'provision inside a handoff worktree is refused' '
	RAXX_HANDOFF=narrow test_expect_code 9 provision other-task &&
	test_grep "refused inside a handoff worktree" err.provisions
'

test_expect_success 'an App that cannot reach the repository fails at step 2/5, nothing written' '
	test_expect_code 3 raxx handoff provision --task-slug nope --repo raxx-app/nope \
		--bot raxx-dev-bot 2>err &&
	test_grep "^step 2/5: " err &&
	test_grep "error: step 2/5 failed (GitHub): GitHub refused" err &&
	test_grep ! "^step 3/5" err &&
	test_must_fail manifest nope
'

# --- the manifest, as the vault holds it

test_expect_success 'an expired manifest is refused: token, get, exec and verify exit 9, nothing minted' '
	provision expired &&
	edit_manifest expired created_at -s "$(iso_utc $((-10 * 3600)))" expires_at -s "$(iso_utc -60)" &&
	before=$(mints) &&
	RAXX_HANDOFF=expired test_expect_code 9 raxx token >out.exp 2>err &&
	test_must_be_empty out.exp &&
	test_grep "handoff .expired. expired at" err &&
	req | RAXX_HANDOFF=expired test_expect_code 9 raxx get >out.get 2>err &&
	echo quit=1 >expect &&
	test_cmp expect out.get &&
	RAXX_HANDOFF=expired test_expect_code 9 raxx exec -- touch ran 2>err &&
	test_path_is_missing() { ! test -e "$1"; } &&
	test_path_is_missing ran &&
	test_expect_code 9 raxx handoff verify --task-slug expired >verdict 2>err &&
	test_grep "^\[FAIL\] expiry: handoff .expired. expired at" verdict &&
	test_grep "^verdict: handoff expired REFUSED (exit 9)" verdict &&
	test "$(mints)" = "$before"
'

test_expect_success 'a manifest edited by hand to ask for administration:write: minting refused' '
	provision tampered &&
	edit_manifest tampered permissions.administration -s write &&
	before=$(mints) &&
	RAXX_HANDOFF=tampered test_expect_code 9 raxx token >out.t 2>err &&
	test_must_be_empty out.t &&
	test_grep "scope violation: handoff manifest /MooseQuest/handoffs/tampered/PROVISION_MANIFEST asks for administration:write" err &&
	test "$(mints)" = "$before"
'

test_expect_success 'verify fails loudly on the scope violation: exit 9, [FAIL] and stderr' '
	test_expect_code 9 raxx handoff verify --task-slug tampered >verdict 2>err &&
	test_grep "^\[FAIL\] permissions .*administration:write: scope violation" verdict &&
	test_grep "^\[SKIP\] live token" verdict &&
	test_grep "^verdict: handoff tampered REFUSED" verdict &&
	test_grep "error: scope violation" err &&
	raxx handoff list >listing &&
	test_grep "^tampered .*SCOPE VIOLATION" listing
'

test_expect_success 'a cached sound manifest does not save a tampered one at the next mint' '
	provision later-tampered &&
	RAXX_HANDOFF=later-tampered raxx token >out.lt &&
	edit_manifest later-tampered permissions.administration -s write &&
	RAXX_HANDOFF=later-tampered RAXX_MIN_TTL=3600 test_expect_code 9 raxx token 2>err &&
	test_grep "scope violation" err
'

test_expect_success 'a manifest with no permissions is a scope violation (GitHub would give all)' '
	provision empty-perms &&
	edit_manifest empty-perms permissions {} &&
	RAXX_HANDOFF=empty-perms test_expect_code 9 raxx token 2>err &&
	test_grep "grants no permissions, which GitHub reads as all of the App" err
'

test_expect_success 'a manifest living more than 24 hours, or for another repository shape, is refused' '
	provision long-life &&
	# 24 h 30 min: 25 h however the two clock readings fall (rounded up)
	edit_manifest long-life created_at -s "$(iso_utc -1800)" expires_at -s "$(iso_utc $((24 * 3600)))" &&
	RAXX_HANDOFF=long-life test_expect_code 9 raxx token 2>err &&
	test_grep "lives 25 h" err &&
	edit_manifest long-life created_at -s "$(iso_utc 0)" expires_at -s "$(iso_utc 3600)" repo -s raxx-app &&
	RAXX_HANDOFF=long-life test_expect_code 9 raxx token 2>err &&
	test_grep "not OWNER/REPO" err &&
	edit_manifest long-life repo -s raxx-app/demo slug -s someone-else &&
	RAXX_HANDOFF=long-life test_expect_code 9 raxx token 2>err &&
	test_grep "names slug .someone-else., not .long-life." err
'

test_expect_success 'a manifest that is not JSON is refused' '
	provision garbage &&
	fake_set vault secrets./MooseQuest/handoffs/garbage.PROVISION_MANIFEST -s "{not json" &&
	RAXX_HANDOFF=garbage test_expect_code 9 raxx token 2>err &&
	test_grep "is malformed (not a JSON object)" err
'

test_expect_success 'a slug never provisioned: token 9, verify 9, revoke 8' '
	RAXX_HANDOFF=never test_expect_code 9 raxx token 2>err &&
	test_grep "has no manifest" err &&
	test_expect_code 9 raxx handoff verify --task-slug never >verdict 2>err &&
	test_grep "^\[FAIL\] manifest: handoff .never. has no manifest" verdict &&
	test_expect_code 8 raxx handoff revoke --task-slug never 2>err
'

test_expect_success 'RAXX_HANDOFF with a bad slug is refused, not ignored' '
	RAXX_HANDOFF="../x" test_expect_code 9 raxx token 2>err &&
	test_grep "handoff slug .\.\./x. is not valid" err
'

# --- never the operator token

test_expect_success 'setup: an operator PAT, fallback pat, a handoff worktree, minting broken' '
	set_operator_pat "ghp_operator$(random_secret)" &&
	tail -n 1 "$TRASH/.secrets" >out.pat &&
	provision nofallback &&
	RAXX_HANDOFF=nofallback git -c credential.helper= -c credential.helper=raxx \
		clone -q "$GIT_URL/raxx-app/demo.git" agent &&
	git -C agent config credential.helper "" &&
	git -C agent config --add credential.helper raxx &&
	git -C agent config raxx.fallback pat &&
	(cd agent && raxx handoff attach nofallback) &&
	echo change >>agent/README &&
	git -C agent commit -qam "should not go out as the operator"
'

mint_broken() {
	fake_set github behavior.access_tokens -s 500 &&
	rm -rf "$RAXX_CACHE_DIR"
}

test_expect_success 'get answers nothing but quit=1: no password, whatever RAXX_FALLBACK says' '
	mint_broken &&
	test_when_finished "fake_reset github behavior" &&
	for fb in pat pass deny; do
		req | (cd agent && RAXX_FALLBACK=$fb RAXX_OPERATOR_TOKEN=$(cat ../out.pat) \
			test_expect_code 6 raxx get >../out.fb.$fb 2>../err.fb.$fb) &&
		echo quit=1 >expect &&
		test_cmp expect out.fb.$fb &&
		test_grep "never falls back to the operator token" err.fb.$fb || exit 1
	done
'

test_expect_success 'a push in the handoff worktree does not go out as the operator' '
	mint_broken &&
	test_when_finished "fake_reset github behavior" &&
	(cd agent && RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN=$(cat ../out.pat) \
		test_must_fail git push -q origin main 2>../err.push) &&
	test_grep "told us to quit" err.push &&
	log_notes github >notes &&
	test_grep ! "pat-of:operator" notes
'

test_expect_success 'exec and token: the command does not run, no operator token printed' '
	mint_broken &&
	test_when_finished "fake_reset github behavior" &&
	(cd agent && RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN=$(cat ../out.pat) \
		test_expect_code 6 raxx exec -- sh -c "echo \$GH_TOKEN >../report.exec" 2>../err.exec) &&
	! test -e report.exec &&
	test_grep "not running sh" err.exec &&
	(cd agent && RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN=$(cat ../out.pat) \
		test_expect_code 6 raxx token >../out.tok.fb 2>/dev/null) &&
	test_must_be_empty out.tok.fb
'

test_expect_success 'outside a handoff worktree the same fallback does use the operator token' '
	mint_broken &&
	test_when_finished "fake_reset github behavior" &&
	req | RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN=$(cat out.pat) \
		raxx --bot raxx-dev-bot get >out.plain 2>err.plain &&
	grep -F "password=$(cat out.pat)" out.plain
'

test_expect_success 'the manifest gone: nothing answered either' '
	raxx handoff revoke --task-slug nofallback 2>/dev/null &&
	req | (cd agent && RAXX_FALLBACK=pat RAXX_OPERATOR_TOKEN=$(cat ../out.pat) \
		test_expect_code 9 raxx get >../out.gone 2>../err.gone) &&
	echo quit=1 >expect &&
	test_cmp expect out.gone &&
	test_grep "has no manifest" err.gone
'

test_secrets_never_leak
test_done
