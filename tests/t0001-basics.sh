#!/bin/sh
# The command line itself: help, version, usage errors, the man page and
# make install / uninstall.
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success '--version names the program and version' '
	git-credential-raxx --version >out &&
	grep -E "^git-credential-raxx [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success '--help lists the actions on stdout, exit 0' '
	git-credential-raxx --help >out &&
	for a in get store erase token exec help; do
		grep -E "^  .*\<$a\>" out || exit 1
	done
'

test_expect_success 'help ACTION shows that action, unknown ACTION is a usage error' '
	git-credential-raxx help token >out &&
	test_grep -- "--export" out &&
	test_expect_code 64 git-credential-raxx help frobnicate 2>err &&
	test_grep "unknown action" err
'

test_expect_success 'no action: usage on stderr, exit 64' '
	test_expect_code 64 git-credential-raxx >out 2>err &&
	test_must_be_empty out &&
	test_grep "usage:" err
'

test_expect_success 'unknown option, missing value, bad --repo: exit 64 with one clear line' '
	test_expect_code 64 git-credential-raxx --nope get 2>err </dev/null &&
	test_grep "unknown option .--nope." err &&
	test_expect_code 64 git-credential-raxx --agent 2>err &&
	test_grep "needs a value" err &&
	test_expect_code 64 git-credential-raxx --repo a/b/c token 2>err &&
	test_grep "is not OWNER/REPO" err
'

test_expect_success 'the man page is clean roff' '
	if test_have mandoc; then
		mandoc -Tlint -W warning "$BUILD_DIR/man/git-credential-raxx.1" >lint 2>&1 || true
		test_must_be_empty lint
	else
		man -l "$BUILD_DIR/man/git-credential-raxx.1" >/dev/null
	fi
'

test_expect_success 'the man page documents every exit code and variable' '
	for w in RAXX_FALLBACK RAXX_OPERATOR_TOKEN RAXX_TIMEOUT RAXX_TRACE \
		 INFISICAL_HOST INFISICAL_PATH_PREFIX CF_ACCESS_CLIENT_ID \
		 RAXX_GITHUB_HOST RAXX_GITHUB_API RAXX_CA_BUNDLE; do
		grep -q "$w" "$BUILD_DIR/man/git-credential-raxx.1" || { echo "no $w"; exit 1; }
	done &&
	for c in 0 1 2 3 4 5 6 8 9 64; do
		grep -q "^\.B $c$" "$BUILD_DIR/man/git-credential-raxx.1" || { echo "no exit $c"; exit 1; }
	done
'

test_expect_success 'make install and uninstall honour PREFIX and DESTDIR' '
	make -s -C "$BUILD_DIR" install DESTDIR="$TRASH/dest" PREFIX=/opt/raxx >/dev/null &&
	test -x dest/opt/raxx/bin/git-credential-raxx &&
	test -f dest/opt/raxx/share/man/man1/git-credential-raxx.1 &&
	test -f dest/opt/raxx/share/git-credential-raxx/git-credential-raxx-broker.service &&
	test -f dest/opt/raxx/share/git-credential-raxx/app.raxx.git-credential-raxx.broker.plist &&
	dest/opt/raxx/bin/git-credential-raxx --version &&
	make -s -C "$BUILD_DIR" uninstall DESTDIR="$TRASH/dest" PREFIX=/opt/raxx >/dev/null &&
	test ! -e dest/opt/raxx/bin/git-credential-raxx &&
	test ! -e dest/opt/raxx/share/man/man1/git-credential-raxx.1 &&
	test ! -e dest/opt/raxx/share/git-credential-raxx
'

test_expect_success 'core dumps are off' '
	if test -r /proc/self/status; then
		git-credential-raxx exec -- sh -c "ulimit -c" >out &&
		echo 0 >expect &&
		test_cmp expect out
	fi
' 

test_done
