#!/bin/sh
# make demo: the whole chain against the local stack, step by step —
# a fake Infisical vault and a fake GitHub over real TLS on 127.0.0.1,
# a token minted from the vault's App secrets, and a real git push as the
# bot. Nothing leaves this machine.
#
# The program is the one built here, or RAXX_DEMO_PROGRAM (an installed
# one: RAXX_DEMO_PROGRAM=/usr/bin/git-credential-raxx sh tests/demo.sh).
set -u
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
TRASH="$TEST_DIR/trash.demo"
BUILD_DIR=$(cd "$TEST_DIR/.." && pwd)
PROGRAM=${RAXX_DEMO_PROGRAM:-$BUILD_DIR/git-credential-raxx}
case $PROGRAM in
*/git-credential-raxx) ;;
*) echo "demo: RAXX_DEMO_PROGRAM must name a git-credential-raxx" >&2; exit 64 ;;
esac
[ -x "$PROGRAM" ] || { echo "demo: $PROGRAM: not an executable" >&2; exit 1; }
rm -rf "$TRASH" && mkdir -p "$TRASH/home" && cd "$TRASH" || exit 1
export HOME="$TRASH/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$TRASH/home/.gitconfig"
export GIT_TERMINAL_PROMPT=0 RAXX_CACHE_DIR="$TRASH/cache" RAXX_STATE_DIR="$TRASH/state"
# git finds the helper `raxx` as git-credential-raxx in PATH
export PATH="$(cd "$(dirname "$PROGRAM")" && pwd):$PATH"
unset XDG_RUNTIME_DIR RAXX_BOT RAXX_AGENT GH_TOKEN
. "$TEST_DIR/lib/stack.sh"
trap stop_stack EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold= plain=; fi
step() { printf "\n${bold}==> %s${plain}\n" "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }

echo "program: $(command -v git-credential-raxx) ($(git-credential-raxx --version))"

step "1. Start a throwaway CA, a fake Infisical vault and a fake GitHub (TLS, 127.0.0.1)"
start_stack || fail "the fake stack did not start"
echo "vault:  $INFISICAL_HOST   (Universal Auth; secrets at /MooseQuest/raxx-dev-bot)"
echo "GitHub: $RAXX_GITHUB_API   (checks the App JWT's RS256 signature and claims)"
echo "git:    $GIT_URL/raxx-app/demo.git   (git http-backend; live installation tokens only)"

step "2. The operator's shell holds only the vault identity"
echo "INFISICAL_CLIENT_ID=$INFISICAL_CLIENT_ID"
echo "INFISICAL_CLIENT_SECRET=<set, $(printf %s "$INFISICAL_CLIENT_SECRET" | wc -c | tr -d ' ') characters>"
echo "INFISICAL_PROJECT_ID=$INFISICAL_PROJECT_ID"

step "3. Mint a token for raxx-dev-bot, tracing each step"
printf '$ RAXX_TRACE=1 git-credential-raxx --bot raxx-dev-bot token --json\n'
RAXX_TRACE=1 git-credential-raxx --bot raxx-dev-bot token --json >token.json ||
	fail "token exited $?"
python3 -c '
import json; d = json.load(open("token.json"))
print("token:      %s... (%d characters)" % (d["token"][:8], len(d["token"])))
print("expires_at: %s   bot: %s   source: %s" % (d["expires_at"], d["bot"], d["source"]))'

step "4. Make the clone the bot's: setup sets the helper and the [bot] author"
run git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
	clone -q "$GIT_URL/raxx-app/demo.git" demo || fail "clone"
cd demo || exit 1
run git-credential-raxx --bot raxx-dev-bot setup || fail "setup"
run git config --worktree --list

step "5. Commit and push: no prompt, the bot's token goes out"
echo "pushed by the demo at $(date -u +%H:%M:%SZ)" >>README
run git commit -qam "demo: a commit by raxx-dev-bot" || fail "commit"
run git push origin main || fail "push"
run git log -1 --format="%an <%ae>"

step "5b. The next git call reuses the sealed cached token: no vault, no GitHub"
before=$(count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201)
run git fetch -q origin || fail "fetch"
after=$(count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201)
echo "mints during the fetch: $((after - before))"

step "6. What the git server saw"
log_notes github | grep -E "push-by|minted" | sed 's/^/  /'
log_notes github | grep -q "git-receive-pack .*push-by:raxx-dev-bot" ||
	fail "the server did not see a push by raxx-dev-bot"
git -C "$FAKES/repos/raxx-app/demo.git" log -1 --format='  server head: %h %s (author %an)' main
echo
echo "demo ok: a real push as raxx-dev-bot[bot] over HTTPS, the token minted from the vault"
# the fakes' pid file is in the trash: stop them before it goes
stop_stack
cd "$TEST_DIR" && rm -rf "$TRASH"
