#!/bin/sh
# The command line itself: help, version, usage errors, the man page and
# make install / uninstall.
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success '--version names the program and the version it was built as' '
	git-credential-raxx --version >out &&
	grep -E "^git-credential-raxx [0-9]+\.[0-9]+\.[0-9]+([-+~][0-9A-Za-z.+~-]+)?$" out &&
	echo "git-credential-raxx $(sh "$BUILD_DIR/src/version.sh")" >expect &&
	test_cmp expect out
'

# src/version.sh in a repository of its own: tags, commits, changes, and
# the VERSION file of a tarball
version_repo() {
	rm -rf vr && mkdir -p vr/src && cp "$BUILD_DIR/src/version.sh" vr/src/ &&
	git init -q vr && echo a >vr/f &&
	git -C vr add . && git -C vr commit -q -m one
}

test_expect_success 'version: BASE-dev-N-gHASH before the first tag, -dirty with changes' '
	version_repo &&
	base=$(sh vr/src/version.sh --base) &&
	h=$(git -C vr rev-parse --short HEAD) &&
	test "$(sh vr/src/version.sh)" = "$base-dev-1-g$h" &&
	test "$(sh vr/src/version.sh --deb)" = "$base~dev.1.g$h" &&
	echo b >vr/f &&
	test "$(sh vr/src/version.sh)" = "$base-dev-1-g$h-dirty" &&
	grep -F "#define RAXX_VERSION \"$base\"" "$BUILD_DIR/src/base/util.h"
'

test_expect_success 'version: X.Y.Z at tag vX.Y.Z, git describe after it' '
	version_repo &&
	git -C vr tag v1.2.3 &&
	test "$(sh vr/src/version.sh)" = 1.2.3 &&
	test "$(sh vr/src/version.sh --deb)" = 1.2.3 &&
	git -C vr commit -q --allow-empty -m two &&
	h=$(git -C vr rev-parse --short HEAD) &&
	test "$(sh vr/src/version.sh)" = "1.2.3-1-g$h" &&
	test "$(sh vr/src/version.sh --deb)" = "1.2.3+1.g$h" &&
	if test_have dpkg; then
		dpkg --compare-versions "1.2.3+1.g$h" gt 1.2.3 &&
		dpkg --compare-versions 1.2.4~dev.9.gabc lt 1.2.4
	fi
'

test_expect_success 'version: a VERSION file wins, and a tarball inside another repository ignores it' '
	version_repo &&
	mkdir -p vr/dist/t/src && cp vr/src/version.sh vr/dist/t/src/ &&
	test "$(sh vr/dist/t/src/version.sh)" = "$(sh vr/src/version.sh --base)-unknown" &&
	echo 2.0.0 >vr/dist/t/VERSION &&
	test "$(sh vr/dist/t/src/version.sh)" = 2.0.0 &&
	echo "2.0.0 junk;rm" >vr/dist/t/VERSION &&
	test "$(sh vr/dist/t/src/version.sh)" = "$(sh vr/src/version.sh --base)-unknown"
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
		 RAXX_GITHUB_HOST RAXX_GITHUB_API RAXX_CA_BUNDLE RAXX_OWNERS; do
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

# only in this project's own checkout (a tarball unpacked inside another
# repository has none)
top=$(git -C "$BUILD_DIR" rev-parse --show-toplevel 2>/dev/null) &&
	top=$(cd "$top" && pwd -P)
if [ "$top" = "$(cd "$BUILD_DIR" && pwd -P)" ]; then
test_expect_success 'make dist: a tarball with a VERSION file that builds without git' '
	make -s -C "$BUILD_DIR" dist DISTDIR="$TRASH/dist" >dist.out &&
	v=$(make -s -C "$BUILD_DIR" version) &&
	tarball="$TRASH/dist/git-credential-raxx-$v.tar.gz" &&
	test_grep -F "$tarball sha256 " dist.out &&
	mkdir unpacked && gzip -dc "$tarball" | (cd unpacked && tar -xf -) &&
	top="unpacked/git-credential-raxx-$v" &&
	echo "$v" >expect && test_cmp expect "$top/VERSION" &&
	for f in LICENSE Makefile README.md man/git-credential-raxx.1 src/version.sh \
		 debian/control debian/rules; do
		test -f "$top/$f" || { echo "no $f"; exit 1; }
	done &&
	test ! -e "$top/.git" &&
	make -s -C "$top" version >got &&
	test_cmp expect got &&
	make -s -C "$top" >build.out 2>&1 &&
	"$top/git-credential-raxx" --version >got &&
	echo "git-credential-raxx $v" >expect &&
	test_cmp expect got
'
else
	test_skip 'make dist' 'not a git checkout'
fi

test_expect_success 'core dumps are off' '
	if test -r /proc/self/status; then
		git-credential-raxx exec -- sh -c "ulimit -c" >out &&
		echo 0 >expect &&
		test_cmp expect out
	fi
' 

test_done
