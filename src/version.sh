#!/bin/sh
# The program's version, for the Makefile (and `make dist`, which writes it
# to the tarball's VERSION file):
#
#   a release tarball          the VERSION file in it
#   a git checkout at tag vX.Y.Z          X.Y.Z
#   N commits after tag vX.Y.Z            X.Y.Z-N-gHASH      (git describe)
#   no tag yet                            BASE-dev-N-gHASH   (N: commits so far)
#   tracked files changed                 ...-dirty
#   neither git nor VERSION               BASE-unknown
#
# BASE is the next release. `--deb` prints the same version as a Debian
# upstream version, ordered as dpkg compares: X.Y.Z+N.gHASH after X.Y.Z,
# BASE~dev.N.gHASH before BASE. `--base` prints BASE.
set -u
base=0.2.0
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1

version() {
	if [ -f "$top/VERSION" ]; then
		sed -n '1{s/[[:space:]]//g;p;}' "$top/VERSION"
		return
	fi
	# only this project's own checkout: a tarball unpacked inside another
	# repository must not take that repository's history
	if command -v git >/dev/null 2>&1 &&
		t=$(git -C "$top" rev-parse --show-toplevel 2>/dev/null) &&
		[ "$(cd "$t" && pwd -P)" = "$(cd "$top" && pwd -P)" ]; then
		if v=$(git -C "$top" describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
			echo "${v#v}"
			return
		fi
		if n=$(git -C "$top" rev-list --count HEAD 2>/dev/null) &&
			h=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
			git -C "$top" update-index -q --refresh >/dev/null 2>&1
			d=
			git -C "$top" diff-index --quiet HEAD -- 2>/dev/null || d=-dirty
			echo "$base-dev-$n-g$h$d"
			return
		fi
	fi
	echo "$base-unknown"
}

# only what is safe in a file name, a C string and a Debian version
checked() {
	v=$(version)
	case $v in
	[0-9]*[!A-Za-z0-9.+~-]*|[!0-9]*|'') echo "$base-unknown" ;;
	*) echo "$v" ;;
	esac
}

case ${1:-} in
--base) echo "$base" ;;
--deb)
	checked | sed -e 's/-dev-\([0-9][0-9]*\)-g/~dev.\1.g/' \
		-e 's/-\([0-9][0-9]*\)-g/+\1.g/' -e 's/-dirty$/.dirty/' \
		-e 's/-unknown$/~unknown/' ;;
'') checked ;;
*) echo "usage: sh src/version.sh [--base | --deb]" >&2; exit 64 ;;
esac
