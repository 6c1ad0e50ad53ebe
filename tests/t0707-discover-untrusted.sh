#!/bin/sh
# Self-heal trusts only the vault's own account. A public App may be
# installed by anyone: with a stale INSTALLATION_ID, a repository of an
# account that installed the same App (attacker/evil, installation 6666)
# must not become the replacement: no "update INSTALLATION_ID ... to
# 6666", nothing remembered, and a later path-less mint is not on it. A
# renamed organization (a new login, the same account id) still heals.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

HOSTPORT=$RAXX_GITHUB_HOST
DEV=/MooseQuest/raxx-dev-bot
OPERATOR_PAT="ghp_operator$(random_secret)"
set_operator_pat "$OPERATOR_PAT"
RAXX_APP_ID=5000001
raxx() { git-credential-raxx "$@"; }
cold() { rm -rf "$RAXX_CACHE_DIR"; }
set_inst() { fake_set vault "secrets.$DEV.INSTALLATION_ID" -s "$1"; }
APP=apps.3501352 INST=apps.3501352.installations
mints_on() { count_requests github POST "/api/v3/app/installations/$1/access_tokens" "${2:-}"; }
memory() { ls "$RAXX_STATE_DIR"/installation.raxx-dev-bot.* 2>/dev/null; }
# no advice naming it, no mint on it, nothing remembered of it
no_trace_of_6666() {
	test_grep ! "6666" "$1" &&
	test "$(mints_on 6666)" = 0 &&
	test -z "$(memory)" &&
	! grep -q 6666 "$RAXX_STATE_DIR"/accounts.* 2>/dev/null
}

test_expect_success 'setup: attacker installed the same App; the vault id is learned, then goes stale' '
	make_bare_repo attacker/evil &&
	fake_set github $APP.owner -s raxx-app $INST.4711.account_id $RAXX_APP_ID \
		$INST.6666.account -s attacker $INST.6666.repositories "[\"attacker/evil\"]" &&
	raxx --bot raxx-dev-bot token >out.first &&
	grep ^ghs_ out.first &&
	cold &&
	set_inst 999
'

test_expect_success 'a request for attacker/evil: no advice, nothing remembered, exit 5' '
	test_expect_code 5 raxx --bot raxx-dev-bot --repo attacker/evil token >out.evil 2>err &&
	test_must_be_empty out.evil &&
	test_grep "repository .attacker/evil. is on .attacker., not an account raxx-dev-bot may use (raxx-app, the account of INSTALLATION_ID): no token for it" err &&
	test_grep ! "update INSTALLATION_ID" err &&
	no_trace_of_6666 err
'

test_expect_success 'through git (useHttpPath): a refusal, never the operator PAT' '
	printf "protocol=https\nhost=%s\npath=attacker/evil.git\n\n" "$HOSTPORT" >req &&
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" test_must_fail git -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" -c credential.useHttpPath=true \
		credential fill <req >out.fill 2>err.fill &&
	! grep "^password=" out.fill &&
	! grep -F "$OPERATOR_PAT" out.fill err.fill &&
	test_grep "a refusal, not an outage" err.fill &&
	no_trace_of_6666 err.fill
'

test_expect_success 'a later path-less mint is not on that installation' '
	cold &&
	test_expect_code 5 raxx --bot raxx-dev-bot token >out.later 2>err &&
	test_must_be_empty out.later &&
	test_grep "no repository to look the installation up by" err &&
	no_trace_of_6666 err
'

test_expect_success 'an origin pointing at the attacker heals nothing either' '
	cold &&
	git init -q wt-evil &&
	git -C wt-evil remote add origin "$GIT_URL/attacker/evil.git" &&
	(cd wt-evil && test_expect_code 5 raxx --bot raxx-dev-bot token >../out.origin 2>../err) &&
	test_must_be_empty out.origin &&
	test_grep "installation 999 of App 3501352 not found (HTTP 404), and the App.s installation found through attacker/evil is on .attacker., not an account raxx-dev-bot may use" err &&
	test_grep "not used, nothing remembered" err &&
	test_grep ! "update INSTALLATION_ID" err &&
	no_trace_of_6666 err
'

test_expect_success 'RAXX_OWNERS naming another account does not make it the vault fix' '
	cold &&
	(cd wt-evil && test_expect_code 5 env RAXX_OWNERS=attacker \
		git-credential-raxx --bot raxx-dev-bot token >../out.owners 2>../err) &&
	no_trace_of_6666 err
'

test_expect_success 'doctor prints no fix naming the attacker installation' '
	(cd wt-evil && test_expect_code 1 raxx --bot raxx-dev-bot doctor >../doctor.out 2>&1) &&
	test_grep "FAIL.*installation" doctor.out &&
	test_grep ! "to 6666" doctor.out &&
	fake_mv github $INST.4711 $INST.4712 &&
	test_when_finished "fake_mv github $INST.4712 $INST.4711" &&
	(cd wt-evil && test_expect_code 1 raxx --bot raxx-dev-bot doctor >../doctor.out 2>&1) &&
	test_grep "to 4712, the App.s only installation on an account it may use" doctor.out &&
	test_grep ! "to 6666" doctor.out
'

test_expect_success 'the vault account still heals: a repository of raxx-app' '
	cold &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.heal 2>err &&
	grep ^ghs_ out.heal &&
	test_grep "update INSTALLATION_ID at $DEV (environment prod) from 999 to 4711" err &&
	test -n "$(memory)"
'

test_expect_success 'a memory of the attacker installation, left by an older version, is dropped unused' '
	cold &&
	f=$(memory) &&
	json_set "$f" installation_id -s 6666 repository -s attacker/evil &&
	json_unset "$f" account account_id &&
	n=$(mints_on 4711 201) &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.old 2>err &&
	test_grep "installation 6666 remembered in .* is on an account it does not name" err &&
	test_grep "forgetting it" err &&
	test "$(mints_on 6666)" = 0 &&
	test "$(mints_on 4711 201)" = $((n + 1)) &&
	test "$(json_get "$(memory)" installation_id)" = 4711
'

test_expect_success 'a fresh machine (the vault account never learned): the App owner stands in' '
	cold &&
	fresh="$TRASH/state-fresh" &&
	test_expect_code 5 env RAXX_STATE_DIR="$fresh" \
		git-credential-raxx --bot raxx-dev-bot --repo attacker/evil token 2>err &&
	test_grep "is on .attacker., not an account raxx-dev-bot may use (raxx-app, the App.s owner)" err &&
	test_grep ! "6666" err &&
	RAXX_STATE_DIR="$fresh" git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo \
		token >out.fresh 2>err &&
	grep ^ghs_ out.fresh &&
	test_grep "from 999 to 4711" err &&
	test "$(json_get "$fresh"/accounts.raxx-dev-bot.* app_owner.account)" = raxx-app
'

test_expect_success 'an App owned by another account: a fresh machine heals only through RAXX_OWNERS' '
	cold &&
	fake_set github $APP.owner -s someone &&
	test_when_finished "fake_set github $APP.owner -s raxx-app" &&
	fresh="$TRASH/state-fresh2" &&
	test_expect_code 5 env RAXX_STATE_DIR="$fresh" \
		git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo token 2>err &&
	test_grep "is on .raxx-app., not an account raxx-dev-bot may use (someone, the App.s owner)" err &&
	test_grep ! "update INSTALLATION_ID" err &&
	test_expect_code 5 env RAXX_STATE_DIR="$fresh" RAXX_OWNERS=raxx-app \
		git-credential-raxx --bot raxx-dev-bot --repo attacker/evil token 2>err &&
	test_grep ! "6666" err &&
	n=$(mints_on 4711 201) &&
	RAXX_STATE_DIR="$fresh" RAXX_OWNERS=raxx-app \
		git-credential-raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.fresh2 &&
	grep ^ghs_ out.fresh2 &&
	test "$(mints_on 4711 201)" = $((n + 1)) &&
	git init -q wt-raxx &&
	git -C wt-raxx remote add origin "$GIT_URL/raxx-app/demo.git" &&
	cold &&
	(cd wt-raxx && RAXX_STATE_DIR="$fresh" RAXX_OWNERS=raxx-app \
		git-credential-raxx --bot raxx-dev-bot token >../out.fresh3 2>../err) &&
	grep ^ghs_ out.fresh3 &&
	test_grep "from 999 to 4711" err &&
	test "$(mints_on 6666)" = 0
'

test_expect_success 'the organization renamed (new login, same id): heals by the remembered id' '
	cold &&
	rm -f "$RAXX_STATE_DIR"/installation.* &&
	set_inst 4711 &&
	raxx --bot raxx-dev-bot token >out.before &&
	cold &&
	fake_unset github $INST.4711 &&
	fake_set github $INST.5150.account -s raxx-new $INST.5150.account_id $RAXX_APP_ID \
		$INST.5150.repositories "[\"raxx-new/demo\", \"raxx-new/other\"]" \
		renames "{\"raxx-app\": \"raxx-new\"}" &&
	raxx --bot raxx-dev-bot --repo raxx-new/demo token >out.renamed 2>err &&
	grep ^ghs_ out.renamed &&
	test_grep "update INSTALLATION_ID at $DEV (environment prod) from 4711 to 5150" err &&
	test "$(json_get -j "$(memory)" installation_id account account_id)" = \
		"\"5150\" \"raxx-new\" $RAXX_APP_ID" &&
	test "$(json_get -j "$RAXX_STATE_DIR"/accounts.raxx-dev-bot.* vault.account vault.account_id)" = \
		"\"raxx-new\" $RAXX_APP_ID"
'

test_expect_success 'after the rename: the old name heals too, path-less goes to 5150, the attacker still not' '
	cold &&
	raxx --bot raxx-dev-bot --repo raxx-app/other token >out.oldname 2>err &&
	grep ^ghs_ out.oldname &&
	cold &&
	raxx --bot raxx-dev-bot token >out.pathless 2>err &&
	test_grep "update INSTALLATION_ID there to 5150" err &&
	cold &&
	test_expect_code 5 raxx --bot raxx-dev-bot --repo attacker/evil token 2>err &&
	test_grep "is on .attacker., not an account" err &&
	test "$(mints_on 6666)" = 0
'

test_expect_success 'the old login taken by someone else: not allowed, even if RAXX_OWNERS still names it' '
	cold &&
	fake_unset github renames &&
	fake_set github $INST.6667.account -s raxx-app $INST.6667.account_id 9900001 \
		$INST.6667.repositories "[\"raxx-app/squat\"]" &&
	test_expect_code 5 env RAXX_OWNERS=raxx-app \
		git-credential-raxx --bot raxx-dev-bot --repo raxx-app/squat token >out.squat 2>err &&
	test_must_be_empty out.squat &&
	test_grep "repository .raxx-app/squat. is on .raxx-app., a login that belonged to another account" err &&
	test "$(mints_on 6667)" = 0
'

test_secrets_never_leak
test_done
