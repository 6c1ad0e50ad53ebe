# test-lib.sh — a small TAP harness for the shell tests, in the manner of
# git's t/test-lib.sh. Source it first thing:
#
#   . "$(dirname "$0")/lib/test-lib.sh"
#   test_expect_success 'what it proves' '
#   	cmd1 &&
#   	cmd2
#   '
#   test_done
#
# Each test file runs in its own trash directory with its own HOME, git
# config, cache and state directories, so files can run in parallel.

set -u
TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${RAXX_BUILD_DIR:-$(cd "$TEST_DIR/.." && pwd)}
RAXX="$BUILD_DIR/git-credential-raxx"
TRASH="$TEST_DIR/trash.$TEST_NAME.$$"	# unique: runs may overlap
test_count=0
test_failed=0
test_cleanup_cmds=

rm -rf "$TRASH"
mkdir -p "$TRASH/home" "$TRASH/bin"
cd "$TRASH" || exit 1

# A clean, private environment: nothing of the machine's own leaks in.
export HOME="$TRASH/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
export XDG_STATE_HOME="$HOME/.local/state"
unset XDG_RUNTIME_DIR
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$HOME/.gitconfig"
# never find the project's own repository above the trash directory
export GIT_CEILING_DIRECTORIES="$TEST_DIR"
export GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false SSH_ASKPASS=/bin/false
export GIT_AUTHOR_NAME="Operator" GIT_AUTHOR_EMAIL="operator@example.com"
export GIT_COMMITTER_NAME="Operator" GIT_COMMITTER_EMAIL="operator@example.com"
export RAXX_CACHE_DIR="$TRASH/cache" RAXX_STATE_DIR="$TRASH/state"
export PATH="$TRASH/bin:$BUILD_DIR:$PATH"
export LC_ALL=C
unset RAXX_BOT RAXX_AGENT RAXX_BOT_MAP RAXX_FALLBACK RAXX_OPERATOR_TOKEN \
	RAXX_TRACE RAXX_GITHUB_HOST RAXX_GITHUB_API RAXX_CA_BUNDLE RAXX_TIMEOUT RAXX_OWNERS \
	INFISICAL_CLIENT_ID INFISICAL_CLIENT_SECRET INFISICAL_PROJECT_ID \
	INFISICAL_HOST INFISICAL_ENV INFISICAL_PATH_PREFIX \
	CF_ACCESS_CLIENT_ID CF_ACCESS_CLIENT_SECRET GH_TOKEN GH_ENTERPRISE_TOKEN \
	GITHUB_TOKEN GH_HOST GIT_DIR GIT_WORK_TREE SSLKEYLOGFILE \
	https_proxy HTTPS_PROXY http_proxy all_proxy ALL_PROXY no_proxy NO_PROXY
# keep `ok`/`not ok` lines apart from what the commands print
exec 3>&1

say() { printf '# %s\n' "$*"; }

test_when_finished() {
	test_cleanup_cmds="$1; $test_cleanup_cmds"
}

# The body and its test_when_finished commands run in one subshell, so
# the cleanup sees what the body registered.
_run_test() {
	(
		test_cleanup_cmds=
		eval "$1"
		_rc=$?
		[ -n "$test_cleanup_cmds" ] && (eval "$test_cleanup_cmds") >/dev/null 2>&1
		exit $_rc
	) >"$TRASH/.test-out" 2>&1
}

# test_expect_success DESC BODY: the body runs in a subshell of this
# shell (it sees every variable; what it sets does not leak out).
test_expect_success() {
	test_count=$((test_count + 1))
	if _run_test "$2"; then
		printf "ok %d - %s\n" "$test_count" "$1" >&3
	else
		test_failed=$((test_failed + 1))
		printf "not ok %d - %s\n" "$test_count" "$1" >&3
		sed 's/^/#    /' "$TRASH/.test-out" >&3
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1 ($2)" >&3
}

# test_must_fail [code=N] CMD...: CMD fails (with code N, if given), and
# does not die of a signal (no crash passes for a failure).
test_must_fail() {
	_want=
	case "$1" in code=*) _want=${1#code=}; shift ;; esac
	"$@"
	_rc=$?
	if [ $_rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	fi
	if [ $_rc -gt 128 ] && [ $_rc -ne 255 ]; then
		echo "test_must_fail: '$*' died of signal $((_rc - 128))" >&2
		return 1
	fi
	if [ -n "$_want" ] && [ "$_rc" != "$_want" ]; then
		echo "test_must_fail: '$*' exited $_rc, want $_want" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD...
test_expect_code() {
	_want=$1
	shift
	"$@"
	_rc=$?
	[ "$_rc" = "$_want" ] && return 0
	echo "test_expect_code: '$*' exited $_rc, want $_want" >&2
	return 1
}

test_cmp() {
	diff -u "$1" "$2"
}

test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

# test_grep [-v] [-F] PATTERN FILE: like grep, but shows the file on failure.
test_grep() {
	_neg=
	[ "$1" = "!" ] && { _neg=1; shift; }
	if [ -n "$_neg" ]; then
		grep "$@" >/dev/null || return 0
		echo "test_grep: found '$*' unexpectedly:" >&2
	else
		grep "$@" >/dev/null && return 0
		echo "test_grep: no '$*' in:" >&2
	fi
	eval "_f=\${$#}"
	cat "$_f" >&2
	return 1
}

# test_line_count = N FILE
test_line_count() {
	_n=$(wc -l <"$3" | tr -d ' ')
	[ "$_n" "$1" "$2" ] && return 0
	echo "test_line_count: '$3' has $_n lines, want $1 $2" >&2
	cat "$3" >&2
	return 1
}

test_have() {
	command -v "$1" >/dev/null 2>&1
}

# portable helpers and the JSON tool's functions (file_mode, sha256_hex,
# token_fp, iso_utc, ago, epoch, wait_until, json_*)
. "$TEST_DIR/lib/tools.sh"

test_done() {
	# before the trash goes: the fakes' pid file is in it (and the fakes
	# hold fd 3, prove's pipe, so one left running hangs prove)
	command -v stop_stack >/dev/null 2>&1 && stop_stack
	echo "1..$test_count" >&3
	if [ $test_failed -eq 0 ] && [ -z "${RAXX_KEEP_TRASH:-}" ]; then
		cd "$TEST_DIR" && short_dirs_remove && rm -rf "$TRASH"
	fi
	[ $test_failed -eq 0 ]
	exit $?
}

# sock_dir NAME: a directory for Unix sockets that the tests know as
# "$TRASH/NAME" (made by whoever uses it). A socket's path holds at most
# 107 bytes: when the trash's path is too long for that (a deep checkout),
# "$TRASH/NAME" is a link to a short directory under /tmp, and the path
# printed is the short one; short_dirs_remove removes those with the trash.
sock_dir() {
	if [ ${#TRASH} -le 64 ]; then
		echo "$TRASH/$1"
		return
	fi
	_sd=$(mktemp -d /tmp/raxx.XXXXXX) || return 1
	chmod 755 "$_sd" && echo "$_sd" >>"$TRASH/.short-dirs" &&
	ln -s "$_sd/$1" "$TRASH/$1" && echo "$_sd/$1"
}
short_dirs_remove() {
	[ -f "$TRASH/.short-dirs" ] || return 0
	while read -r _sd; do
		case $_sd in /tmp/raxx.*) rm -rf "$_sd" ;; esac
	done <"$TRASH/.short-dirs"
	return 0
}

trap 'stop_stack 2>/dev/null' EXIT
trap 'exit 143' INT TERM HUP
