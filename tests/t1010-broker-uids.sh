#!/bin/sh
# The broker's door: each peer's uid is checked. Another uid gets nothing
# from a broker without RAXX_BROKER_UIDS (0700 directory, 0600 socket);
# with RAXX_BROKER_UIDS granting it one bot it gets that bot only, its
# permissions only narrowed by the broker's map, and never the operator's
# token. Needs root (setpriv, from util-linux, to become uid 65534).
. "$(dirname "$0")/lib/test-lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root, to run clients as another uid"
	exit 0
fi
if ! command -v setpriv >/dev/null 2>&1; then
	echo "1..0 # SKIP setpriv (util-linux) is not installed"
	exit 0
fi
. "$TEST_DIR/lib/stack.sh"
. "$TEST_DIR/lib/broker.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

mints() {
	[ -e "$FAKES/github.log" ] || { echo 0; return; }
	count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201
}
# the last token request's permissions and repositories, as GitHub saw them
# ({"contents":"read"} null: null for the whole installation)
last_scope() { fake_log github --last -p permissions -p repositories method=POST 'path~/access_tokens$'; }
OPERATOR_PAT="ghp_operator$(random_secret)"
set_operator_pat "$OPERATOR_PAT"

# as_uid UID CMD...: CMD as that uid (and gid), no groups, no vault
# identity, with a state directory of its own
mkdir -p nobody-state nobody-home && chown 65534:65534 nobody-state nobody-home
as_uid() (
	_uid=$1
	shift
	unset INFISICAL_CLIENT_ID INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID \
		INFISICAL_HOST CF_ACCESS_CLIENT_ID CF_ACCESS_CLIENT_SECRET RAXX_OPERATOR_TOKEN
	export RAXX_BROKER_SOCKET="$BROKER_SOCK" RAXX_STATE_DIR="$TRASH/nobody-state" \
		HOME="$TRASH/nobody-home" GIT_CONFIG_GLOBAL=/dev/null
	while case $1 in *=*) true ;; *) false ;; esac; do export "$1"; shift; done
	exec setpriv --reuid="$_uid" --regid="$_uid" --clear-groups "$@"
)

printf 'protocol=https\nhost=%s\n\n' "$RAXX_GITHUB_HOST" >request
start_broker || { echo "Bail out! the broker did not start"; exit 1; }

test_expect_success 'without RAXX_BROKER_UIDS: 0700 and 0600, and uid 65534 gets nothing' '
	test "$(file_mode "${BROKER_SOCK%/*}")" = 700 &&
	test "$(file_mode "$BROKER_SOCK")" = 600 &&
	test_expect_code 2 as_uid 65534  "$RAXX" --bot raxx-dev-bot token >out.n1 2>err.n1;
	test_must_be_empty out.n1 &&
	test_grep "broker at .* does not answer (Permission denied)" err.n1 &&
	test "$(mints)" = 0
'

test_expect_success 'even a socket opened by hand: the uid check refuses it' '
	chmod 755 "$TRASH/run" && chmod 666 "$BROKER_SOCK" &&
	test_when_finished "chmod 700 \"$TRASH/run\"; chmod 600 \"$BROKER_SOCK\"" &&
	test_expect_code 2 as_uid 65534  "$RAXX" --bot raxx-dev-bot token >out.n2 2>err.n2;
	test_must_be_empty out.n2 &&
	test_grep "uid 65534 may not use the broker at .*: ask its operator to grant it a bot in RAXX_BROKER_UIDS" err.n2 &&
	broker_logged "uid=65534 .*outcome=refused: uid not admitted" &&
	test "$(mints)" = 0
'

test_expect_success 'the broker'"'"'s own uid still gets any bot' '
	as_client git-credential-raxx --bot raxx-dev-bot token >out.own &&
	grep "^ghs_" out.own && test "$(mints)" = 1
'

stop_broker
cat >broker-map.yaml <<'YAML'
bots:
  raxx-ops-bot:
    agents: [sre-agent]
    permissions: {contents: read, issues: write}
YAML
BROKER_SOCK="$(sock_dir shared)/broker.sock"
start_broker RAXX_BROKER_UIDS="65534:raxx-ops-bot" RAXX_BOT_MAP="$TRASH/broker-map.yaml" \
	RAXX_OPERATOR_TOKEN="$OPERATOR_PAT" ||
	{ echo "Bail out! the broker did not start again"; exit 1; }

test_expect_success 'with RAXX_BROKER_UIDS: 0711 and 0666, the uid check is the gate' '
	test "$(file_mode "${BROKER_SOCK%/*}")" = 711 &&
	test "$(file_mode "$BROKER_SOCK")" = 666 &&
	test_grep "uid 0 (the broker.s own): any bot; uid 65534: raxx-ops-bot" broker.err
'

test_expect_success 'uid 65534 gets its granted bot, narrowed to the broker'"'"'s map' '
	as_uid 65534 "$RAXX" --bot raxx-ops-bot token >out.ops 2>err.ops &&
	grep "^ghs_" out.ops &&
	test "$(last_scope)" = "{\"contents\":\"read\",\"issues\":\"write\"} null" &&
	broker_logged "uid=65534 action=token bot=raxx-ops-bot repo=- outcome=minted"
'

test_expect_success 'and only that bot' '
	test_expect_code 2 as_uid 65534  "$RAXX" --bot raxx-dev-bot token >out.dev 2>err.dev;
	test_must_be_empty out.dev &&
	test_grep "uid 65534 may not have raxx-dev-bot.s tokens from this broker" err.dev &&
	as_uid 65534 "$RAXX" --bot raxx-dev-bot get <request >out.get 2>err.get;
	echo quit=1 >expect && test_cmp expect out.get &&
	test_expect_code 2 as_uid 65534  "$RAXX" --bot raxx-dev-bot revoke 2>err.rv &&
	test_grep "may not have raxx-dev-bot.s tokens" err.rv
'

test_expect_success 'a granted uid cannot widen: a permission beyond the map is refused' '
	printf "bots:\n  raxx-ops-bot:\n    agents: [sre-agent]\n    permissions: {contents: write}\n" \
		>wide-map.yaml && chmod 644 wide-map.yaml &&
	test_expect_code 2 as_uid 65534 RAXX_BOT_MAP="$TRASH/wide-map.yaml" \
		"$RAXX" --bot raxx-ops-bot --repo raxx-app/demo token >out.wide 2>err.wide;
	test_must_be_empty out.wide &&
	test_grep "uid 65534 asked for contents:write, beyond raxx-ops-bot.s permissions in the broker.s map" err.wide
'

test_expect_success 'a narrower request within the map stands' '
	printf "bots:\n  raxx-ops-bot:\n    agents: [sre-agent]\n    permissions: {issues: read}\n" \
		>narrow-map.yaml && chmod 644 narrow-map.yaml &&
	as_uid 65534 RAXX_BOT_MAP="$TRASH/narrow-map.yaml" \
		"$RAXX" --bot raxx-ops-bot --repo raxx-app/demo token >out.narrow &&
	test "$(last_scope)" = "{\"issues\":\"read\"} [\"raxx-app/demo\"]"
'

test_expect_success 'an outage: the operator token goes to the broker'"'"'s uid only' '
	fake_set github behavior.access_tokens -s 500 &&
	test_when_finished "fake_reset github behavior.access_tokens" &&
	as_uid 65534 "$RAXX" --bot raxx-ops-bot --repo raxx-app/other get <request >out.pat1 2>err.pat1;
	test_must_be_empty out.pat1 &&
	! grep -F "$OPERATOR_PAT" out.pat1 err.pat1 &&
	test_grep "the broker gives the operator token to its own user only" err.pat1 &&
	as_client "$RAXX" --bot raxx-ops-bot --repo raxx-app/other get <request >out.pat2 2>err.pat2;
	grep -F "password=$OPERATOR_PAT" out.pat2 &&
	test_grep "falling back to the operator token" err.pat2
'

test_expect_success 'any other uid is refused at the door' '
	test_expect_code 2 as_uid 65533  "$RAXX" --bot raxx-ops-bot token >out.other 2>err.other;
	test_must_be_empty out.other &&
	test_grep "uid 65533 may not use the broker" err.other
'

test_secrets_never_leak
test_done
