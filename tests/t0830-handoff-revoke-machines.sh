#!/bin/sh
# handoff revoke across machines: every handoff token is recorded in the
# vault, in the handoff's folder (TOKEN_<FINGERPRINT>), before it is
# handed out, so one `handoff revoke` anywhere revokes the tokens minted on
# every machine. Two "machines" here are two cache and state directories;
# the revoke runs from a third. A token that cannot be recorded is revoked
# again and not handed out; expired records are swept.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

SLUG=fix-login-20260621
FOLDER=/MooseQuest/handoffs/$SLUG
raxx() { git-credential-raxx "$@"; }
revokes() { count_requests github DELETE /api/v3/installation/token; }

# on MACHINE CMD...: run CMD with that machine's own cache and state
on() {
	_m=$1
	shift
	mkdir -p "$TRASH/$_m" && chmod 700 "$TRASH/$_m" &&
	RAXX_CACHE_DIR="$TRASH/$_m/cache" RAXX_STATE_DIR="$TRASH/$_m/state" "$@"
}

# fill MACHINE: git credential fill in the handoff worktree; the token in
# out.tok.MACHINE
fill() {
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" >req &&
	(cd agent && on "$1" git credential fill <../req >../out.fill.$1) &&
	sed -n "s/^password=//p" out.fill.$1 >out.tok.$1 &&
	test -s out.tok.$1
}

# records: "NAME" per TOKEN_ secret in the handoff's folder, sorted
records() { fake_get -k vault "secrets.$FOLDER" 2>/dev/null | grep "^TOKEN_" || :; }

# record_name FILE: the record name of the token in FILE (its fingerprint)
record_name() { echo "TOKEN_$(token_fp "$(cat "$1")" | tr a-f A-F)"; }

# liveness FILE: "live" or "revoked" at the GitHub fake
liveness() { token_state "$1" | sed "s/.* //"; }

# live_tokens: how many tokens the GitHub fake issued and still honours
live_tokens() { token_states live | wc -l | tr -d " "; }

# plant NAME TEXT: a record written by hand into the handoff's folder
plant() { fake_set vault "secrets.$FOLDER.$1" -s "$2"; }

test_expect_success 'setup: a handoff, and an agent worktree attached to it' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo \
		--bot raxx-dev-bot 2>err.prov &&
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	git -C demo config credential.helper "" &&
	git -C demo config --add credential.helper raxx &&
	git -C demo worktree add -q -b agent-work ../agent &&
	(cd agent && raxx handoff attach $SLUG 2>/dev/null)
'

test_expect_success 'two machines each mint through git credential fill: two live tokens' '
	fill machine-a &&
	fill machine-b &&
	! test_cmp out.tok.machine-a out.tok.machine-b &&
	test "$(liveness out.tok.machine-a)" = live &&
	test "$(liveness out.tok.machine-b)" = live
'

test_expect_success 'each token is recorded in the vault, in the handoff'"'"'s folder, named by its fingerprint' '
	records >got &&
	{ record_name out.tok.machine-a && record_name out.tok.machine-b; } | sort >want &&
	test_cmp want got &&
	# (out.*: the record holds the token, on purpose)
	fake_get vault "secrets.$FOLDER.$(record_name out.tok.machine-a)" >out.record &&
	json_get -k out.record >keys &&
	printf "%s\n" api bot expires_at repo token >expect &&
	test_cmp expect keys &&
	json_get out.record token >out.record.token &&
	test_cmp out.tok.machine-a out.record.token &&
	test "$(json_get out.record bot repo)" = "raxx-dev-bot raxx-app/demo" &&
	json_get out.record api | grep "/api/v3$" &&
	token_expiry_ok out.tok.machine-a "$(epoch "$(json_get out.record expires_at)")"
'

test_expect_success 'a warm call records nothing more; the record never reaches a log' '
	before=$(count_requests vault POST "/api/v3/secrets/raw/TOKEN_[0-9A-F]+") &&
	fill machine-a &&
	test "$(count_requests vault POST "/api/v3/secrets/raw/TOKEN_[0-9A-F]+")" = "$before" &&
	! grep -rl "$(cat out.tok.machine-a)" machine-a machine-b
'

test_expect_success 'one handoff revoke from a third machine revokes both at GitHub and empties the folder' '
	(on machine-c raxx handoff revoke --task-slug $SLUG) 2>err.revoke &&
	test_grep "manifest $FOLDER/PROVISION_MANIFEST deleted" err.revoke &&
	test "$(grep -c "(recorded in the vault) revoked at GitHub" err.revoke)" = 2 &&
	test_grep "handoff $SLUG revoked: 2 tokens revoked, manifest deleted, 2 vault records deleted" err.revoke &&
	test "$(liveness out.tok.machine-a)" = revoked &&
	test "$(liveness out.tok.machine-b)" = revoked &&
	records >left &&
	test_must_be_empty left &&
	test -z "$(fake_get -k vault "secrets.$FOLDER" 2>/dev/null)" &&
	test "$(grep -c "\"event\":\"revoke\".*\"reason\":\"handoff revoke\"" machine-c/state/audit.log)" = 2
'

test_expect_success 'machine a, which minted one, then revokes nothing twice: its cached token is dropped, exit 8 next' '
	(on machine-a raxx handoff revoke --task-slug $SLUG) 2>err.a &&
	test_grep "0 tokens revoked" err.a &&
	(on machine-a test_expect_code 8 raxx handoff revoke --task-slug $SLUG) 2>err.a2 &&
	test_grep "no token recorded in the vault" err.a2
'

test_expect_success 'a token that cannot be recorded is revoked again and not handed out (exit 2)' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo --bot raxx-dev-bot 2>/dev/null &&
	test_when_finished "fake_reset vault behavior" &&
	fake_set vault behavior.write -s 403 &&
	live=$(live_tokens) &&
	mints=$(count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201) &&
	(cd agent && on machine-d test_expect_code 2 raxx token >../out.norecord 2>../err.norecord) &&
	test_must_be_empty out.norecord &&
	test "$(count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201)" = $((mints + 1)) &&
	test "$(live_tokens)" = "$live" &&
	test_grep "handoff .$SLUG.: the new token is revoked again and not handed out: it could not be recorded in $FOLDER, where a revoke on any machine looks for it: vault write of $FOLDER/TOKEN_[0-9A-F]* failed: HTTP 403" err.norecord &&
	records >left &&
	test_must_be_empty left
'

test_expect_success 'git gets nothing either: quit=1, never the unrecorded token' '
	test_when_finished "fake_reset vault behavior" &&
	fake_set vault behavior.write -s 403 &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" >req &&
	(cd agent && on machine-e git-credential-raxx get <../req >../out.get.norecord 2>/dev/null) ;
	echo quit=1 >expect &&
	test_cmp expect out.get.norecord
'

test_expect_success 'a revoke elsewhere while a token is minted: it is revoked again here (exit 9)' '
	# the revoke deletes the manifest first and lists the records second:
	# a mint that records after that list reads the manifest back, finds
	# it gone, and undoes itself
	test_when_finished "fake_reset github gate" &&
	live=$(live_tokens) &&
	rm -f gate.open &&
	fake_set github gate.request -s "POST /api/v3/app/installations/" gate.file -s "$TRASH/gate.open" &&
	{ (cd agent && on machine-r raxx token >../out.race 2>../err.race; echo $? >../race.rc) & } &&
	# the mint is at GitHub, held: now the revoke elsewhere deletes the manifest
	wait_until grep -q "\"gate-held\"" "$FAKES/github.log" &&
	fake_unset vault "secrets.$FOLDER.PROVISION_MANIFEST" &&
	touch gate.open &&
	wait &&
	test "$(cat race.rc)" = 9 &&
	test_must_be_empty out.race &&
	test_grep "handoff .$SLUG. was revoked or provisioned again while a token was minted for it" err.race &&
	test "$(live_tokens)" = "$live" &&
	records >left &&
	test_must_be_empty left &&
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo --bot raxx-dev-bot 2>/dev/null
'

test_expect_success 'a cold mint sweeps the expired records (past their expiry by 5 min), never a live one' '
	plant TOKEN_0000DEADBEEF "{\"token\": \"ghs_expiredlongago0000000000000000000000\", \"expires_at\": \"$(ago 7200)\", \"bot\": \"raxx-dev-bot\", \"repo\": \"raxx-app/demo\", \"api\": \"$RAXX_GITHUB_API\"}" &&
	plant TOKEN_0000000FRESH "{\"token\": \"ghs_justexpired000000000000000000000000\", \"expires_at\": \"$(ago 60)\", \"bot\": \"raxx-dev-bot\", \"repo\": \"raxx-app/demo\", \"api\": \"$RAXX_GITHUB_API\"}" &&
	fill machine-f &&
	records >got &&
	{ echo TOKEN_0000000FRESH && record_name out.tok.machine-f; } | sort >want &&
	test_cmp want got
'

test_expect_success 'revoke: a record GitHub no longer knows is deleted with a warning; an expired one without asking GitHub' '
	plant TOKEN_0000DEADBEEF "{\"token\": \"ghs_expiredlongago0000000000000000000000\", \"expires_at\": \"$(ago 7200)\", \"bot\": \"raxx-dev-bot\", \"repo\": \"raxx-app/demo\", \"api\": \"$RAXX_GITHUB_API\"}" &&
	plant TOKEN_00000000JUNK "not a record" &&
	before=$(revokes) &&
	(on machine-g raxx handoff revoke --task-slug $SLUG) 2>err.mixed &&
	test_grep "token [0-9a-f]* of raxx-dev-bot for raxx-app/demo (recorded in the vault) had expired" err.mixed &&
	test_grep "(recorded in the vault) was already expired or revoked at GitHub" err.mixed &&
	test_grep "record $FOLDER/TOKEN_00000000JUNK holds no token raxx can read: deleted" err.mixed &&
	test_grep "1 token revoked, manifest deleted, 4 vault records deleted" err.mixed &&
	test "$(revokes)" = $((before + 2)) &&
	test "$(liveness out.tok.machine-f)" = revoked &&
	records >left &&
	test_must_be_empty left
'

test_expect_success 'a vault that refuses the deletes: the revoke says so and exits non-zero, the records stay' '
	raxx handoff provision --task-slug $SLUG --repo raxx-app/demo --bot raxx-dev-bot 2>/dev/null &&
	fill machine-h &&
	test_when_finished "fake_reset vault behavior" &&
	fake_set vault behavior.write -s 403 &&
	(on machine-i test_expect_code 2 raxx handoff revoke --task-slug $SLUG) 2>err.refused &&
	test_grep "only partly revoked" err.refused &&
	records >left &&
	test_line_count = 1 left &&
	fake_reset vault behavior &&
	(on machine-i raxx handoff revoke --task-slug $SLUG) 2>err.again &&
	test "$(liveness out.tok.machine-h)" = revoked &&
	records >left &&
	test_must_be_empty left
'

test_secrets_never_leak
test_done
