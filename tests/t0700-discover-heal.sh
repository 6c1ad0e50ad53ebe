#!/bin/sh
# Self-heal: a stale (404) or absent INSTALLATION_ID is found again through
# the repository (request path, --repo, or the worktree's origin), minted
# with, warned about with the vault path to update, and remembered.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

raxx() { git-credential-raxx "$@"; }
DEV=/MooseQuest/raxx-dev-bot
set_inst() { fake_set vault "secrets.$DEV.INSTALLATION_ID" -s "$1"; }
drop_inst() { fake_unset vault "secrets.$DEV.INSTALLATION_ID"; }
mints_on() { count_requests github POST "/api/v3/app/installations/$1/access_tokens" "$2"; }
lookups() { count_requests github GET "/api/v3/repos/$1/installation" "${2:-}"; }
memory() { ls "$RAXX_STATE_DIR"/installation.raxx-dev-bot.* 2>/dev/null; }
# every cold mint below must really go to GitHub
cold() { rm -rf "$RAXX_CACHE_DIR"; }

test_expect_success 'the vault holds a stale installation id (org renamed)' '
	set_inst 999 &&
	test_expect_code 5 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "installation 999 of App 3501352 not found (HTTP 404)" err &&
	test_grep -e "--repo OWNER/REPO" err
'

test_expect_success '--repo: minted with the discovered installation, warning names both ids and the vault path' '
	cold &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out 2>err &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out &&
	test_grep "installation 999 of App 3501352 for raxx-dev-bot is gone (HTTP 404" err &&
	test_grep "found through raxx-app/demo" err &&
	test_grep "update INSTALLATION_ID at /MooseQuest/raxx-dev-bot (environment prod) from 999 to 4711" err &&
	test "$(lookups raxx-app/demo 200)" = 1 &&
	test "$(mints_on 999 404)" -ge 1 &&
	test "$(mints_on 4711 201)" = 1
'

test_expect_success 'the discovered id is remembered: 0600 file in a 0700 state directory' '
	f=$(memory) && test -n "$f" &&
	test "$(file_mode "$RAXX_STATE_DIR")" = 700 &&
	test "$(file_mode "$f")" = 600 &&
	test "$(json_get "$f" installation_id vault_installation_id bot repository)" = \
		"4711 999 raxx-dev-bot raxx-app/demo"
'

test_expect_success 'a later cold mint goes straight to the remembered installation, no repo needed' '
	cold &&
	stale=$(mints_on 999) lk=$(lookups raxx-app/demo) ok=$(mints_on 4711 201) &&
	raxx --bot raxx-dev-bot token >out.again 2>err &&
	grep ^ghs_ out.again &&
	test "$(mints_on 999)" = "$stale" &&
	test "$(lookups raxx-app/demo)" = "$lk" &&
	test "$(mints_on 4711 201)" = $((ok + 1)) &&
	test_grep "INSTALLATION_ID 999 at /MooseQuest/raxx-dev-bot (environment prod) is stale" err &&
	test_grep "update INSTALLATION_ID there to 4711" err
'

test_expect_success 'once the vault holds the new id, the memory is dropped and nothing is said' '
	cold &&
	set_inst 4711 &&
	raxx --bot raxx-dev-bot token >out.fixed 2>err &&
	grep ^ghs_ out.fixed &&
	test_must_be_empty err &&
	test -z "$(memory)"
'

test_expect_success 'a memory gone stale itself is forgotten and discovery runs again' '
	cold &&
	set_inst 999 &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.1 2>/dev/null &&
	fake_mv github apps.3501352.installations.4711 apps.3501352.installations.5150 &&
	test_when_finished "fake_reset github apps.3501352.installations" &&
	cold &&
	raxx --bot raxx-dev-bot --repo raxx-app/demo token >out.2 2>err &&
	grep ^ghs_ out.2 &&
	test_grep "from 999 to 5150" err &&
	test "$(json_get "$(memory)" installation_id)" = 5150 &&
	rm -f "$(memory)"
'

test_expect_success 'an absent INSTALLATION_ID is discovered too' '
	cold &&
	test_when_finished "set_inst 4711" &&
	drop_inst &&
	raxx --bot raxx-dev-bot --repo raxx-app/other token >out.absent 2>err &&
	grep ^ghs_ out.absent &&
	test_grep "INSTALLATION_ID missing at /MooseQuest/raxx-dev-bot (environment prod)" err &&
	test_grep "add INSTALLATION_ID = 4711 there" err &&
	rm -f "$(memory)"
'

test_expect_success 'an absent INSTALLATION_ID and no repository: exit 4, as before' '
	cold &&
	test_when_finished "set_inst 4711" &&
	drop_inst &&
	test_expect_code 4 raxx --bot raxx-dev-bot token 2>err &&
	test_grep "missing keys: INSTALLATION_ID" err
'

test_expect_success 'a look-alike installation-id key is not healed over: exit 4 with the rename hint' '
	cold &&
	test_when_finished "fake_reset vault secrets.$DEV" &&
	fake_mv vault "secrets.$DEV.INSTALLATION_ID" "secrets.$DEV.installation-id" &&
	test_expect_code 4 raxx --bot raxx-dev-bot --repo raxx-app/demo token 2>err &&
	test_grep "installation-id. should be named INSTALLATION_ID" err
'

test_expect_success 'the App is not installed on the repository either: exit 5 saying so' '
	cold &&
	test_when_finished "set_inst 4711" &&
	set_inst 999 &&
	test_expect_code 5 raxx --bot raxx-dev-bot --repo raxx-app/nope token >out.none 2>err &&
	test_must_be_empty out.none &&
	test_grep "installation 999 of App 3501352 not found (HTTP 404)" err &&
	test_grep "not installed on .raxx-app/nope." err &&
	test -z "$(memory)"
'

# The worktree's origin, read only when the installation fails.
mkdir -p "$TRASH/gitlog"
cat >"$TRASH/gitlog/git" <<EOF
#!/bin/sh
echo "\$*" >>"$TRASH/git.calls"
exec $(command -v git) "\$@"
EOF
chmod +x "$TRASH/gitlog/git"

test_expect_success 'a worktree whose origin is on the configured host heals without --repo' '
	cold &&
	test_when_finished "set_inst 4711; rm -f \"\$(memory)\"" &&
	set_inst 999 &&
	git init -q wt-origin &&
	git -C wt-origin remote add origin "$GIT_URL/raxx-app/demo.git" &&
	(cd wt-origin && raxx --bot raxx-dev-bot token >../out.origin 2>../err) &&
	grep ^ghs_ out.origin &&
	test_grep "found through raxx-app/demo" err
'

test_expect_success 'an scp-like origin on the same host name heals too' '
	cold &&
	test_when_finished "set_inst 4711; rm -f \"\$(memory)\"" &&
	set_inst 999 &&
	git init -q wt-scp &&
	git -C wt-scp remote add origin "git@127.0.0.1:raxx-app/other.git" &&
	(cd wt-scp && raxx --bot raxx-dev-bot token >../out.scp 2>../err) &&
	grep ^ghs_ out.scp &&
	test_grep "found through raxx-app/other" err
'

test_expect_success 'an origin on another host is not used: exit 5' '
	cold &&
	test_when_finished "set_inst 4711" &&
	set_inst 999 &&
	git init -q wt-elsewhere &&
	git -C wt-elsewhere remote add origin "https://github.example.com/raxx-app/demo.git" &&
	lk=$(lookups raxx-app/demo) &&
	(cd wt-elsewhere && test_expect_code 5 raxx --bot raxx-dev-bot token 2>../err) &&
	test_grep "no repository to look the installation up by" err &&
	test "$(lookups raxx-app/demo)" = "$lk"
'

test_expect_success 'the origin is read only when the installation fails' '
	cold &&
	test_when_finished "set_inst 4711; rm -f \"\$(memory)\"" &&
	: >git.calls &&
	(cd wt-origin && PATH="$TRASH/gitlog:$PATH" raxx --bot raxx-dev-bot token >../out.warm) &&
	grep ^ghs_ out.warm &&
	! grep "remote get-url" git.calls &&
	cold &&
	set_inst 999 &&
	(cd wt-origin && PATH="$TRASH/gitlog:$PATH" raxx --bot raxx-dev-bot token >../out.healed 2>/dev/null) &&
	grep ^ghs_ out.healed &&
	grep "remote get-url origin" git.calls
'

test_expect_success 'setup: a worktree whose helper is raxx --bot raxx-dev-bot' '
	git init -q -b main push-wt &&
	git -C push-wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C push-wt remote add origin "$GIT_URL/raxx-app/demo.git" &&
	git -C push-wt fetch -q origin &&
	git -C push-wt checkout -q -b main origin/main
'

test_expect_success 'a real git push heals a stale installation and goes out as the bot' '
	cold &&
	test_when_finished "set_inst 4711; rm -f \"\$(memory)\"" &&
	set_inst 999 &&
	echo healed >push-wt/healed.txt &&
	git -C push-wt add healed.txt &&
	git -C push-wt commit -q -m "pushed through a healed installation" &&
	git -C push-wt push origin main 2>err &&
	test_grep "update INSTALLATION_ID at /MooseQuest/raxx-dev-bot (environment prod) from 999 to 4711" err &&
	log_notes github | grep "POST /raxx-app/demo.git/git-receive-pack 200 push-by:raxx-dev-bot" &&
	git --git-dir="$FAKES/repos/raxx-app/demo.git" log -1 --format=%s main >msg &&
	test "$(cat msg)" = "pushed through a healed installation"
'

test_expect_success 'with credential.useHttpPath the request path names the repository' '
	cold &&
	test_when_finished "set_inst 4711; rm -f \"\$(memory)\"" &&
	set_inst 999 &&
	git init -q -b main path-wt &&
	git -C path-wt config credential.helper "raxx --bot raxx-dev-bot" &&
	git -C path-wt config credential.useHttpPath true &&
	git -C path-wt ls-remote "$GIT_URL/raxx-app/other.git" >refs 2>err &&
	grep refs/heads/main refs &&
	test_grep "found through raxx-app/other" err
'

test_secrets_never_leak
test_done
