#!/bin/sh
# An agent cannot change who it is: the bot comes only from trusted inputs
# (never the working-tree copy of the agent map), a handoff cannot be
# switched off by an empty value, exec and the gh shim keep the vault
# identity from the command, a refusal never becomes the operator's PAT,
# outside text never drives the terminal, a stalled request or a closed
# pipe cannot hold or kill the helper, and an outage serves a cached token
# that still lives before any fallback. Everything through real git (and
# gh where it applies) against the fakes.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

HOSTPORT=$RAXX_GITHUB_HOST
# the ops bot may push in these tests
fake_set github apps.3501353.permissions.contents -s write
OPERATOR_PAT="ghp_operator$(random_secret)"
set_operator_pat "$OPERATOR_PAT"
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }

cat >trusted-map.yaml <<'YAML'
bots:
  raxx-dev-bot:
    agents: [feature-developer]
    permissions: {contents: write, pull_requests: write}
  raxx-ops-bot:
    agents: [sre-agent]
  raxx-ghost-bot:
    agents: [ghost-agent]
YAML
cat >moved-map.yaml <<'YAML'
bots:
  raxx-ops-bot:
    agents: [feature-developer, sre-agent]
YAML

# fill [GIT ARGS...]: git credential fill through the raxx helper alone,
# in the current directory, for the request in ./request
fill() {
	git -c credential.helper= -c credential.helper=raxx "$@" credential fill <"$TRASH/request"
}
printf 'protocol=https\nhost=%s\n\n' "$HOSTPORT" >request
cp request req

test_expect_success 'setup: the trusted map committed on the default branch, fetched' '
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		clone -q "$GIT_URL/raxx-app/demo.git" demo &&
	mkdir -p demo/scripts/agents &&
	cp trusted-map.yaml demo/scripts/agents/agent_bot_map.yaml &&
	git -C demo add scripts/agents/agent_bot_map.yaml &&
	git -C demo -c user.name=Op -c user.email=op@example.com commit -qm "agent map" &&
	git -C demo -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		push -q origin main &&
	git -C demo fetch -q origin 2>/dev/null || git -C demo -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" fetch -q origin &&
	git -C demo cat-file blob origin/HEAD:scripts/agents/agent_bot_map.yaml >committed &&
	test_cmp trusted-map.yaml committed &&
	git-credential-raxx --bot raxx-dev-bot get <request >out.dev &&
	git-credential-raxx --bot raxx-ops-bot get <request >out.ops
'

# --- 1. the working tree's map is content, not configuration

test_expect_success 'a PR branch that moves its agent under another bot still gets its own bot' '
	git -C demo checkout -q -b pr-moves-me &&
	cp moved-map.yaml demo/scripts/agents/agent_bot_map.yaml &&
	git -C demo -c user.name=Agent -c user.email=a@example.com commit -qam "move me to ops" &&
	(cd demo && fill -c raxx.agent=feature-developer >../out.pr 2>../err.pr) &&
	grep "$(grep ^password= out.dev)" out.pr &&
	! grep "$(grep ^password= out.ops)" out.pr &&
	test_grep "working tree.s scripts/agents/agent_bot_map.yaml puts agent .feature-developer. under raxx-ops-bot" err.pr &&
	test_grep "the trusted map .* says raxx-dev-bot, which is used" err.pr
'

test_expect_success 'and its push from that branch goes out as the trusted map'"'"'s bot' '
	git -C demo config raxx.agent feature-developer &&
	git -C demo config --replace-all credential.helper "" &&
	git -C demo config --add credential.helper raxx &&
	git -C demo push -q origin pr-moves-me 2>err.push &&
	log_notes github | grep "git-receive-pack" | tail -n 1 >notes &&
	test_grep "push-by:raxx-dev-bot" notes
'

test_expect_success 'a working-tree map naming an unknown bot never reaches the operator PAT' '
	printf "bots:\n  raxx-nobody-bot:\n    agents: [feature-developer]\n" \
		>demo/scripts/agents/agent_bot_map.yaml &&
	(cd demo && RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" fill >../out.unknown 2>../err.unknown) &&
	grep "$(grep ^password= out.dev)" out.unknown &&
	! grep -F "$OPERATOR_PAT" out.unknown err.unknown &&
	git -C demo checkout -q -- scripts/agents/agent_bot_map.yaml
'

test_expect_success 'a trusted map naming a bot the vault lacks: a refusal, no PAT, git told to stop' '
	(cd demo && RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" \
		test_must_fail fill -c raxx.agent=ghost-agent >../out.ghost 2>../err.ghost) &&
	! grep -F "$OPERATOR_PAT" out.ghost err.ghost &&
	! grep "^password=" out.ghost &&
	test_grep "raxx-ghost-bot" err.ghost &&
	test_grep "never falls back to the operator token" err.ghost &&
	(cd demo && RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" \
		test_expect_code 2 git-credential-raxx --agent ghost-agent get <../req >../out.ghost2 2>/dev/null) &&
	echo quit=1 >expect && test_cmp expect out.ghost2
'

test_expect_success 'a bot from the map never falls back to the PAT, not even in an outage' '
	fake_set vault behavior.secrets -s 503 &&
	test_when_finished "fake_reset vault behavior" &&
	(cd demo && RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" RAXX_CACHE_DIR="$TRASH/cache-empty" \
		git-credential-raxx --agent sre-agent get <../req >../out.mapout 2>../err.mapout);
	echo quit=1 >expect && test_cmp expect out.mapout &&
	! grep -F "$OPERATOR_PAT" out.mapout err.mapout &&
	test_grep "the bot came from the agent map" err.mapout
'

test_expect_success 'no trusted map: the working-tree copy (even through a symlink) is never read' '
	git init -q -b main lonely &&
	mkdir -p lonely/scripts/agents &&
	cp trusted-map.yaml real-map.yaml &&
	ln -s "$TRASH/real-map.yaml" lonely/scripts/agents/agent_bot_map.yaml &&
	(cd lonely && test_expect_code 64 git-credential-raxx --agent feature-developer \
		get <../req >../out.lonely 2>../err.lonely) &&
	test_must_be_empty out.lonely &&
	test_grep "no trusted agent map: set RAXX_BOT_MAP or git config raxx.botMap" err.lonely &&
	test "$(mints)" = "$(mints)"
'

test_expect_success 'a repository git refuses (dubious ownership): no map from it' '
	git clone -q demo dubious &&
	if ! chown -R 65534 dubious 2>/dev/null; then
		echo "# cannot chown (not root): skipped"; exit 0
	fi
	test_when_finished "chown -R $(id -u) dubious" &&
	(cd dubious && test_must_fail git status >/dev/null 2>../err.git) &&
	test_grep "dubious ownership" err.git &&
	(cd dubious && test_expect_code 64 git-credential-raxx --agent feature-developer \
		get <../req >../out.dub 2>../err.dub) &&
	test_must_be_empty out.dub &&
	test_grep "no trusted agent map" err.dub
'

test_expect_success 'setup --agent pins the bot once from the trusted map' '
	git -C demo worktree add -q -b pinned ../wt-pinned main &&
	git -C demo config extensions.worktreeConfig true &&
	(cd wt-pinned && git-credential-raxx --agent feature-developer setup 2>../err.setup) &&
	test "$(git -C wt-pinned config --worktree raxx.bot)" = raxx-dev-bot &&
	test "$(git -C wt-pinned config --worktree raxx.agent)" = feature-developer
'

# --- 2. handoff mode fails closed

SLUG=trust-20261130
test_expect_success 'a handoff worktree for raxx-app/demo' '
	git-credential-raxx --bot raxx-dev-bot handoff provision --task-slug $SLUG \
		--repo raxx-app/demo 2>err.prov &&
	git -C demo worktree add -q -b handoff-work ../wt-handoff &&
	(cd wt-handoff && git-credential-raxx setup --handoff $SLUG 2>../err.attach) &&
	test "$(git -C wt-handoff config raxx.handoff)" = $SLUG &&
	printf "protocol=https\nhost=%s\npath=raxx-app/other.git\n\n" "$HOSTPORT" >other-req &&
	printf "protocol=https\nhost=%s\npath=raxx-app/demo.git\n\n" "$HOSTPORT" >demo-req &&
	(cd wt-handoff && git -c credential.useHttpPath=true credential fill <../demo-req >../out.ho) &&
	grep "^password=ghs_" out.ho
'

# each way of giving an empty handoff: git must get nothing for another repo
for how in "git -c raxx.handoff=" "RAXX_HANDOFF=" "GIT_CONFIG_COUNT"; do
	test_expect_success "an empty handoff ($how) does not switch it off" '
		before=$(mints) &&
		(
			cd wt-handoff &&
			case "$how" in
			git*) test_must_fail git -c raxx.handoff= -c credential.useHttpPath=true \
				credential fill <../other-req >../out.empty 2>../err.empty ;;
			RAXX*) test_must_fail env RAXX_HANDOFF= git -c credential.useHttpPath=true \
				credential fill <../other-req >../out.empty 2>../err.empty ;;
			GIT*) test_must_fail env GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=raxx.handoff \
				GIT_CONFIG_VALUE_0= GIT_CONFIG_KEY_1=credential.useHttpPath \
				GIT_CONFIG_VALUE_1=true git credential fill <../other-req \
				>../out.empty 2>../err.empty ;;
			esac
		) &&
		! grep "^password=" out.empty &&
		test_grep "does not turn off handoff .$SLUG." err.empty &&
		test "$(mints)" = "$before"
	'
done

test_expect_success 'two sources naming different slugs: both refused, exit 9' '
	(cd wt-handoff && RAXX_HANDOFF=another-slug test_expect_code 9 \
		git-credential-raxx get <../req >../out.two 2>../err.two) &&
	echo quit=1 >expect && test_cmp expect out.two &&
	test_grep "disagree" err.two
'

# --- 3. exec and the gh shim do not hand the keys to the command

test_expect_success 'exec -- env: no vault identity, no CF secret, no operator PAT' '
	CF_ACCESS_CLIENT_ID=cf-id CF_ACCESS_CLIENT_SECRET=cf-secret-x \
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" \
		git-credential-raxx --bot raxx-dev-bot exec -- env >out.env 2>err.env &&
	grep "^GH_ENTERPRISE_TOKEN=ghs_" out.env &&
	! grep -E "^(INFISICAL_CLIENT_SECRET|CF_ACCESS_CLIENT_SECRET|RAXX_OPERATOR_TOKEN)=" out.env
'

test_expect_success 'the gh shim, warm and cold: gh gets no vault identity, no CF secret, no PAT' '
	for cache in warm cold; do
		if test $cache = cold; then rm -rf "$RAXX_CACHE_DIR"; fi
		CF_ACCESS_CLIENT_ID=cf-id CF_ACCESS_CLIENT_SECRET=cf-secret-x \
		RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" RAXX_GH="$(command -v env)" \
		RAXX_BOT=raxx-dev-bot PATH="$BUILD_DIR/helper:$PATH" \
			gh >out.shim.$cache 2>err.shim.$cache || exit 1
		grep "^GH_ENTERPRISE_TOKEN=ghs_" out.shim.$cache &&
		! grep -E "^(INFISICAL_CLIENT_SECRET|CF_ACCESS_CLIENT_SECRET|RAXX_OPERATOR_TOKEN)=" \
			out.shim.$cache || exit 1
	done
'

test_expect_success 'inside exec, git and gh use the token the command was given' '
	git-credential-raxx --bot raxx-dev-bot exec -- sh -c "
		git-credential-raxx --bot raxx-dev-bot get <request >out.inner &&
		printf %s \"\$GH_ENTERPRISE_TOKEN\" >out.given" &&
	grep -x "password=$(cat out.given)" out.inner
'

if test_have gh; then
	test_expect_success 'real gh through the shim works with the token and no vault identity in its environment' '
		mkdir -p gh-config &&
		RAXX_BOT=raxx-dev-bot GH_CONFIG_DIR="$TRASH/gh-config" SSL_CERT_FILE="$TLS/ca.pem" \
		GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 PATH="$BUILD_DIR/helper:$PATH" \
			gh api repos/raxx-app/demo --jq .full_name >out.realgh &&
		echo raxx-app/demo >expect && test_cmp expect out.realgh &&
		log_notes github | tail -n 1 | grep "token-of:raxx-dev-bot"
	'
fi

# --- 4. a refusal never becomes the operator's PAT

test_expect_success 'GitHub 422 (a repository outside the installation): no PAT, git told to stop' '
	printf "protocol=https\nhost=%s\npath=raxx-app/elsewhere.git\n\n" "$HOSTPORT" >req422 &&
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" test_must_fail git -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" -c credential.useHttpPath=true \
		credential fill <req422 >out.422 2>err.422 &&
	! grep "^password=" out.422 &&
	! grep -F "$OPERATOR_PAT" out.422 err.422 &&
	test_grep "HTTP 422" err.422 &&
	test_grep "a refusal, not an outage" err.422
'

test_expect_success 'vault 404 (a bot not in the vault): no PAT' '
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" test_expect_code 2 \
		git-credential-raxx --bot raxx-nobody-bot get <request >out.404 2>err.404 &&
	echo quit=1 >expect && test_cmp expect out.404 &&
	! grep -F "$OPERATOR_PAT" out.404 err.404 &&
	test_grep "HTTP 404" err.404
'

test_expect_success 'an outage (vault 503) still falls back under pat, loudly and audited' '
	fake_set vault behavior.secrets -s 503 &&
	test_when_finished "fake_reset vault behavior" &&
	RAXX_CACHE_DIR="$TRASH/cache-outage" RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" \
		git-credential-raxx --bot raxx-dev-bot get <request >out.outage 2>err.outage &&
	grep -x "password=$OPERATOR_PAT" out.outage &&
	test_grep "HTTP 503" err.outage &&
	test_grep "falling back to the operator token" err.outage &&
	tail -n 1 "$RAXX_STATE_DIR/audit.log" >audit.last &&
	test_grep "\"event\":\"fallback\"" audit.last &&
	! grep -F "$OPERATOR_PAT" err.outage audit.last
'

# --- 5. outside text never drives the terminal

test_expect_success 'escape sequences in a vault value are shown as ?' '
	evil=secrets./MooseQuest/raxx-evil-bot &&
	fake_set vault $evil.APP_ID -s "$(printf "\033]0;pwned\007")" \
		$evil.INSTALLATION_ID -s 4711 $evil.PRIVATE_KEY_PEM -f "$DEV_PEM" &&
	RAXX_FALLBACK=deny test_must_fail git-credential-raxx --bot raxx-evil-bot token \
		>out.evil 2>err.evil &&
	test -s err.evil &&
	! grep -q "$(printf "\033")" err.evil &&
	! grep -q "$(printf "\007")" err.evil
'

test_expect_success 'escape sequences in a request are shown as ?' '
	printf "protocol=https\nhost=\033[31mevil.example\n\n" |
		RAXX_TRACE=1 git-credential-raxx --bot raxx-dev-bot get >out.esc 2>err.esc &&
	test_must_be_empty out.esc &&
	test_grep "not answering for https://?\[31mevil.example" err.esc &&
	printf "protocol=https\nhost=%s\npath=\033]0;x\007\n\n" "$HOSTPORT" |
		git-credential-raxx --bot raxx-dev-bot get >out.esc2 2>err.esc2 &&
	test_grep "ignoring path .?\]0;x?." err.esc2 &&
	! grep -q "$(printf "\033")" err.esc err.esc2
'

# --- 6. a stalled request, a closed pipe, a ten-year token

test_expect_success 'a request that never ends is refused within RAXX_TIMEOUT' '
	( printf "protocol=https\nhost=%s\n" "$HOSTPORT"; sleep 30 ) |
		RAXX_TIMEOUT=1 test_expect_code 64 git-credential-raxx --bot raxx-dev-bot get \
		>out.stall 2>err.stall &&
	test_must_be_empty out.stall &&
	test_grep "did not end .* within RAXX_TIMEOUT" err.stall
'

test_expect_success 'a reader that went away: an error, not death by SIGPIPE' '
	python3 - "$RAXX" <<-\EOF >report.pipe
	import os, subprocess, sys
	r, w = os.pipe()
	os.close(r)		# nobody will read the answer
	p = subprocess.run([sys.argv[1], "--bot", "raxx-dev-bot", "get"],
	                   stdin=open("request"), stdout=w, stderr=subprocess.DEVNULL)
	print(p.returncode)
	EOF
	test "$(cat report.pipe)" = 1
'

test_expect_success 'a token said to live ten years is refused (exit 6) and not cached' '
	fake_set github token_ttl $((10 * 365 * 86400)) &&
	test_when_finished "fake_reset github token_ttl" &&
	RAXX_CACHE_DIR="$TRASH/cache-10y" RAXX_FALLBACK=deny test_expect_code 6 \
		git-credential-raxx --bot raxx-ops-bot token >out.10y 2>err.10y &&
	test_must_be_empty out.10y &&
	test_grep "more than 2 h ahead" err.10y &&
	! ls "$TRASH/cache-10y" | grep -v "\.lock$" | grep "^t-"
'

# --- 7. an outage serves a cached token that still lives, before any fallback

test_expect_success 'an outage with a cached token of 400 s and RAXX_MIN_TTL=450: the token, not the PAT' '
	fake_set github token_ttl 400 &&
	test_when_finished "fake_reset github token_ttl" &&
	export RAXX_CACHE_DIR="$TRASH/cache-400" &&
	git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
		credential fill <request >out.400 &&
	fake_set vault behavior.secrets -s 503 &&
	test_when_finished "fake_reset vault behavior" &&
	before=$(mints) &&
	RAXX_MIN_TTL=450 RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" git -c credential.helper= \
		-c "credential.helper=raxx --bot raxx-dev-bot" credential fill \
		<request >out.stale 2>err.stale &&
	grep "$(grep ^password= out.400)" out.stale &&
	! grep -F "$OPERATOR_PAT" out.stale &&
	test_grep "serving its cached token" err.stale &&
	test "$(mints)" = "$before"
'

test_secrets_never_leak
test_done
