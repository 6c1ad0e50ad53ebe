#!/bin/sh
# doctor --all: every bot of the trusted agent map (and of the audit log),
# each bot's checks in a process of its own, in parallel, within
# --max-time; the shared checks once; one block per bot and a summary
# line; --json as one document that the contrib report reads.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
STAMP=$RAXX_STATE_DIR/doctor.last-pass
REPORT="$TEST_DIR/../contrib/raxx-doctor-report.py"

# all_run ARGS...: doctor --all outside any worktree; doctor.out, doctor.rc
all_run() {
	git-credential-raxx doctor --all "$@" >doctor.out 2>doctor.err
	echo $? >doctor.rc
}
rc_is() { test "$(cat doctor.rc)" = "$1" || { echo "exit $(cat doctor.rc), want $1"; cat doctor.out doctor.err; false; }; }
# block BOT: the lines of BOT's block in doctor.out
block() {
	sed -n "/^== $1: /,/^\(== \|doctor --all: \)/p" doctor.out | sed '$d'
}
stale_ops() { fake_set vault secrets./MooseQuest/raxx-ops-bot.INSTALLATION_ID -s "$1"; }

test_expect_success 'setup: a third bot (raxx-qa-bot), and a map of the three' '
	# the dev bot'"'"'s App and key under another App ID and slug
	fake_cp github apps.3501352 apps.3501354 &&
	fake_set github apps.3501354.slug -s raxx-qa-bot "users.raxx-qa-bot[bot]" 190003 \
		apps.3501354.installations "{\"4713\": {\"account\": \"raxx-app\", \"repositories\": [\"raxx-app/demo\"]}}" &&
	qa=secrets./MooseQuest/raxx-qa-bot &&
	fake_set vault $qa.APP_ID -s 3501354 $qa.INSTALLATION_ID -s 4713 $qa.PRIVATE_KEY_PEM -f "$DEV_PEM" &&
	cat >map.yaml <<-\EOF
	bots:
	  raxx-dev-bot:
	    agents: [feature-developer, ux-polisher]
	  raxx-ops-bot:
	    agents: [sre-agent]
	  raxx-qa-bot:
	    agents: [qa-agent]
	EOF
'
export RAXX_BOT_MAP="$TRASH/map.yaml"

test_expect_success 'three bots, one stale installation: one FAIL block, two PASS, a summary, exit 1' '
	stale_ops 999 &&
	all_run &&
	rc_is 1 &&
	test_grep "^\[PASS\] bots  *3 bots: raxx-dev-bot, raxx-ops-bot, raxx-qa-bot (the trusted map at $TRASH/map.yaml)$" doctor.out &&
	test "$(grep -c "^== " doctor.out)" = 3 &&
	test_grep "^== raxx-dev-bot: PASS$" doctor.out &&
	test_grep "^== raxx-ops-bot: FAIL$" doctor.out &&
	test_grep "^== raxx-qa-bot: PASS$" doctor.out &&
	block raxx-ops-bot >ops.block &&
	test_grep "^\[FAIL\] installation  *installation 999 of App 3501353 not found" ops.block &&
	test_grep "^       fix: set INSTALLATION_ID at /MooseQuest/raxx-ops-bot (environment prod) to 4712" ops.block &&
	test_grep "^\[SKIP\] mint " ops.block &&
	for b in raxx-dev-bot raxx-qa-bot; do
		block $b >pass.block &&
		for c in bot bot-secrets app-key installation mint; do
			grep "^\[PASS\] $c " pass.block >/dev/null || { cat pass.block; exit 1; }
		done
	done &&
	test_grep "^\[PASS\] bot  *raxx-qa-bot: in the trusted map (agents: qa-agent)$" doctor.out &&
	tail -n 1 doctor.out >summary &&
	test_grep "^doctor --all: 3 bots, 2 PASS, 1 FAIL (raxx-ops-bot); shared checks: [0-9]* PASS, 1 WARN, 0 FAIL, [0-9]* SKIP$" summary &&
	test_must_be_empty doctor.err
'

test_expect_success 'the shared checks run once, the bots'"'"' checks once per bot, in the map'"'"'s order' '
	for c in infisical-env vault-login bots fallback fallbacks cache-dir state-dir clock git-version; do
		test "$(grep -c "^\[[A-Z]*\] $c " doctor.out)" = 1 || { echo "$c"; exit 1; }
	done &&
	test "$(grep -c "^\[[A-Z]*\] bot-secrets " doctor.out)" = 3 &&
	grep "^== " doctor.out | cut -d: -f1 >order &&
	printf "== raxx-dev-bot\n== raxx-ops-bot\n== raxx-qa-bot\n" >expect &&
	test_cmp expect order &&
	test "$(count_requests vault POST /api/v1/auth/universal-auth/login 200)" = 1
'

test_expect_success 'each passing bot minted a token and revoked it; nothing of it printed' '
	token_states >tokens &&
	test_line_count = 2 tokens &&
	test_grep ! " live$" tokens &&
	! grep -E "ghs_[A-Za-z0-9]{8}" doctor.out doctor.err
'

test_expect_success 'a failing bot keeps the fallbacks window: no passing run recorded' '
	! test -e "$STAMP"
'

test_expect_success '--json: one document, the shared checks apart, a block and an exit per bot, a summary' '
	all_run --json &&
	rc_is 1 &&
	python3 - doctor.out <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["all"] is True and "bot" not in d and d["exit"] == 1, d.keys()
	assert sorted(d["bots"]) == ["raxx-dev-bot", "raxx-ops-bot", "raxx-qa-bot"], d["bots"].keys()
	shared = [c["name"] for c in d["shared"]]
	assert shared.count("fallbacks") == 1 and "bots" in shared and "bot-secrets" not in shared, shared
	for name, b in d["bots"].items():
	    assert b["bot"] == name and b["in_map"] is True and b["stopped"] is False, b
	    assert [c["name"] for c in b["checks"]] == ["bot", "bot-secrets", "app-key", "installation", "mint"], b
	ops = d["bots"]["raxx-ops-bot"]
	assert ops["exit"] == 1 and ops["fail"] == 1 and ops["skip"] == 1, ops
	inst = [c for c in ops["checks"] if c["name"] == "installation"][0]
	assert inst["status"] == "FAIL" and "4712" in inst["fix"], inst
	for b in ("raxx-dev-bot", "raxx-qa-bot"):
	    assert d["bots"][b]["exit"] == 0 and d["bots"][b]["pass"] == 5, d["bots"][b]
	assert d["summary"] == {"bots": 3, "pass": 2, "fail": 1, "failed": ["raxx-ops-bot"]}, d["summary"]
	assert d["fail"] == 1 and d["pass"] == sum(b["pass"] for b in d["bots"].values()) + \
	    sum(c["status"] == "PASS" for c in d["shared"]), d
	EOF
'

test_expect_success 'the contrib report reads it: the FAIL under its bot, shared lines under none' '
	test_expect_code 1 python3 "$REPORT" --status 1 --title "raxx doctor --all" doctor.out >report.txt &&
	test_grep "^raxx doctor --all: exit 1$" report.txt &&
	test_grep "^3 bots: 2 PASS, 1 FAIL (raxx-ops-bot)$" report.txt &&
	test_grep "^1 FAIL, 1 WARN$" report.txt &&
	test_grep "^\[FAIL\] raxx-ops-bot: installation  installation 999 of App 3501353" report.txt &&
	test_grep "^\[WARN\] git-version  git " report.txt
'

test_expect_success '--quiet: only the failing bot'"'"'s name and its FAIL lines' '
	all_run --quiet &&
	rc_is 1 &&
	sed -n 1p doctor.out >first &&
	echo "== raxx-ops-bot: FAIL" >expect &&
	test_cmp expect first &&
	test_line_count = 3 doctor.out &&
	test_grep "^\[FAIL\] installation " doctor.out &&
	test_grep "^       fix: " doctor.out
'

test_expect_success 'every bot passing: exit 0, and the passing run is recorded once' '
	stale_ops 4712 &&
	all_run &&
	rc_is 0 &&
	test_grep "^doctor --all: 3 bots, 3 PASS, 0 FAIL; shared checks: " doctor.out &&
	test -f "$STAMP" &&
	test "$(file_mode "$STAMP")" = 600
'

test_expect_success 'in parallel: the three bots'"'"' requests are at GitHub at once' '
	test_when_finished "fake_reset github barrier" &&
	fake_set github barrier.request -s "GET /api/v3/app" barrier.count 3 barrier.timeout_s 20 &&
	: >"$FAKES/github.log" &&
	all_run --max-time 60 &&
	rc_is 0 &&
	# one after the other, the first would wait alone and time out
	fake_log github -p barrier method=GET path=/api/v3/app >barriers &&
	printf "met\nmet\nmet\n" >expect &&
	test_cmp expect barriers
'

test_expect_success 'a hung GitHub: each bot FAILs within --max-time, the run ends' '
	test_when_finished "fake_reset github hang" &&
	fake_set github hang true &&
	all_run --max-time 2 &&
	rc_is 1 &&
	test_grep "^doctor --all: 3 bots, 0 PASS, 3 FAIL (raxx-dev-bot, raxx-ops-bot, raxx-qa-bot)" doctor.out &&
	test "$(grep -c "^\[FAIL\] app-key " doctor.out)" = 3
'

test_expect_success 'a bot only the audit log knows is checked too; a name that is no bot'"'"'s is not' '
	cat >map2.yaml <<-\EOF &&
	bots:
	  raxx-dev-bot:
	    agents: [feature-developer]
	EOF
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ) &&
	mkdir -p "$RAXX_STATE_DIR" &&
	for b in raxx-qa-bot raxx-qa-bot "../evil"; do
		printf "{\"time\":\"%s\",\"event\":\"mint\",\"bot\":\"%s\",\"pid\":1}\n" "$now" "$b"
	done >>"$RAXX_STATE_DIR/audit.log" &&
	chmod 600 "$RAXX_STATE_DIR/audit.log" &&
	RAXX_BOT_MAP="$TRASH/map2.yaml" all_run &&
	rc_is 0 &&
	test_grep "^\[PASS\] bots  *2 bots: raxx-dev-bot (the trusted map at $TRASH/map2.yaml); in the audit log only: raxx-qa-bot; 1 name in the audit log not a bot.s, skipped$" doctor.out &&
	test_grep "^\[PASS\] bot  *raxx-qa-bot: not in the trusted map; 2 events in the audit log$" doctor.out &&
	! grep "evil" doctor.out | grep -v "^\[PASS\] bots "
'

test_expect_success 'no map and no bot in the audit log: FAIL bots, exit 1' '
	mkdir -p empty-state && chmod 700 empty-state &&
	(unset RAXX_BOT_MAP && RAXX_STATE_DIR="$TRASH/empty-state" all_run) &&
	rc_is 1 &&
	test_grep "^\[FAIL\] bots  *no bot to check: no trusted agent map (RAXX_BOT_MAP, raxx.botMap, or the map committed at raxx.trustedRef), and no bot in the audit log$" doctor.out &&
	test_grep "^doctor --all: 0 bots, 0 PASS, 0 FAIL; shared checks: " doctor.out
'

test_expect_success 'a broken map FAILs bots naming the file and line; the audit log'"'"'s bots still run' '
	printf "bots:\n  raxx-dev-bot:\n    agents: [a]\n    colour: red\n" >broken.yaml &&
	RAXX_BOT_MAP="$TRASH/broken.yaml" all_run &&
	rc_is 1 &&
	test_grep "^\[FAIL\] bots  *$TRASH/broken.yaml:4: " doctor.out &&
	test_grep "^== raxx-qa-bot: PASS$" doctor.out
'

test_expect_success '--all with --bot or --agent is a usage error' '
	test_expect_code 64 git-credential-raxx --bot raxx-dev-bot doctor --all 2>err &&
	test_grep "all checks every bot of the trusted agent map: drop --bot" err &&
	test_expect_code 64 git-credential-raxx --agent sre-agent doctor --all 2>err &&
	git-credential-raxx help doctor >help && test_grep -e "--all" help
'

test_expect_success 'a bot stuck outside the network deadline is stopped, and FAILs with what it found' '
	# discovery asks git for the origin: this git never answers
	real_git=$(command -v git) &&
	test_when_finished "rm -f \"$TRASH/bin/git\"; stale_ops 4712" &&
	printf "#!/bin/sh\nif [ \"\$1\" = remote ]; then echo \$\$ >\"$TRASH/stuck.pid\"; exec sleep 60; fi\nexec \"%s\" \"\$@\"\n" \
		"$real_git" >"$TRASH/bin/git" &&
	chmod +x "$TRASH/bin/git" &&
	stale_ops 999 &&
	all_run --max-time 2 &&
	rc_is 1 &&
	block raxx-ops-bot >ops.block &&
	test_grep "^\[PASS\] app-key " ops.block &&
	test_grep "^\[FAIL\] deadline  *raxx-ops-bot: its checks did not end within 2 s (--max-time): stopped; the lines above are those that ended$" ops.block &&
	test_grep "^       fix: git-credential-raxx --bot raxx-ops-bot doctor shows the slow step; or raise --max-time$" ops.block &&
	test_grep "^== raxx-dev-bot: PASS$" doctor.out &&
	test -s stuck.pid &&
	# stopped with its bot (a zombie nobody reaps here counts as stopped)
	st=$(ps -o stat= -p "$(cat stuck.pid)" 2>/dev/null || true) &&
	case "$st" in ""|Z*) ;; *) echo "still running: $st"; false ;; esac
'

test_secrets_never_leak
test_done
