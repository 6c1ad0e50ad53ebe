#!/bin/sh
# For the Makefile (LAZY=1): the names with which the program can dlopen()
# libcurl, libssl and libcrypto at run time (src/base/lazyload.c).
#
#   CC=cc sh src/lazyload-probe.sh CFLAGS... -- LIBS...
#
# Links a probe against LIBS as the build would, reads which files it
# needs (the ELF sonames, or the Mach-O install names), and checks with a
# second probe that dlopen() finds each and that it has the functions the
# program uses. Prints the -D flags, shell-quoted, on one line, followed by
# -ldl when dlopen() needs it; or nothing when any of that fails: the
# Makefile then links the libraries as usual.
set -u
cc=${CC:-cc}
cflags=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	cflags="$cflags $1"
	shift
done
[ $# -gt 0 ] && shift
libs=$*

tmp=$(mktemp -d "${TMPDIR:-/tmp}/raxx-lazy.XXXXXX") || exit 0
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/need.c" <<'EOF'
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/evp.h>
int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1000) {	/* referenced, never called */
		curl_version();
		SSL_CTX_get_cert_store(0);
		EVP_sha256();
	}
	return 0;
}
EOF
# shellcheck disable=SC2086
$cc $cflags -o "$tmp/need" "$tmp/need.c" $libs >/dev/null 2>&1 || exit 0

needed=
if command -v otool >/dev/null 2>&1 && otool -L "$tmp/need" >/dev/null 2>&1; then
	needed=$(otool -L "$tmp/need" | sed -n 's/^[[:space:]]*\([^ ]*\) (.*/\1/p')
elif command -v readelf >/dev/null 2>&1; then
	needed=$(readelf -d "$tmp/need" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
elif command -v objdump >/dev/null 2>&1; then
	needed=$(objdump -p "$tmp/need" 2>/dev/null | sed -n 's/^ *NEEDED *//p')
fi
pick() {
	printf '%s\n' "$needed" | while read -r f; do
		case ${f##*/} in "$1"*) echo "$f"; break ;; esac
	done
}
curl=$(pick libcurl)
ssl=$(pick libssl)
crypto=$(pick libcrypto)
[ -n "$curl" ] && [ -n "$ssl" ] && [ -n "$crypto" ] || exit 0

cat >"$tmp/open.c" <<EOF
#include <dlfcn.h>
static int has(const char *file, const char *sym)
{
	void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);

	return h && dlsym(h, sym);
}
int main(void)
{
	return !(has("$curl", "curl_easy_setopt") &&
		 has("$ssl", "SSL_CTX_get_cert_store") &&
		 has("$crypto", "EVP_DigestSign"));
}
EOF
dl=
$cc -o "$tmp/open" "$tmp/open.c" >/dev/null 2>&1 ||
	{ dl=-ldl && $cc -o "$tmp/open" "$tmp/open.c" -ldl >/dev/null 2>&1; } || exit 0
"$tmp/open" || exit 0

# the Makefile splits the line at spaces, and the shell reads the quotes
case "$curl$ssl$crypto" in *"'"*|*'"'*|*" "*) exit 0 ;; esac
printf "'-DRAXX_LAZY_CURL=\"%s\"' '-DRAXX_LAZY_SSL=\"%s\"' '-DRAXX_LAZY_CRYPTO=\"%s\"'%s\n" \
	"$curl" "$ssl" "$crypto" "${dl:+ -ldl}"
