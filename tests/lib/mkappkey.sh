#!/bin/sh
# mkappkey.sh DIR NAME — a GitHub-App-style RSA 2048 private key for tests.
#
#   DIR/NAME.pem       PKCS#1 ("BEGIN RSA PRIVATE KEY"), as GitHub hands it out
#   DIR/NAME.p8.pem    the same key as PKCS#8 ("BEGIN PRIVATE KEY")
#   DIR/NAME.pub.pem   the public key (SubjectPublicKeyInfo)
#   DIR/NAME.modulus   the public modulus as hex (no "Modulus=" prefix);
#                      the public exponent is always 65537
# Idempotent: an existing DIR/NAME.pem is kept and only missing files are made.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 DIR NAME" >&2; exit 64; }
dir=$1 name=$2
mkdir -p "$dir"
base="$dir/$name"

if [ ! -f "$base.pem" ]; then
	tmp="$base.pem.tmp.$$"
	trap 'rm -f "$tmp"' EXIT INT TERM
	# OpenSSL 3 writes PKCS#8 unless told -traditional; OpenSSL 1.1 and
	# LibreSSL write PKCS#1 already and do not know the flag.
	( umask 077
	  openssl genrsa -traditional -out "$tmp" 2048 2>/dev/null ||
	  openssl genrsa -out "$tmp" 2048 2>/dev/null )
	grep -q 'BEGIN RSA PRIVATE KEY' "$tmp" ||
		{ echo "mkappkey.sh: openssl did not write a PKCS#1 key" >&2; exit 1; }
	mv "$tmp" "$base.pem"
fi

[ -f "$base.p8.pem" ] ||
	( umask 077; openssl pkcs8 -topk8 -nocrypt -in "$base.pem" -out "$base.p8.pem" )
[ -f "$base.pub.pem" ] ||
	openssl rsa -in "$base.pem" -pubout -out "$base.pub.pem" 2>/dev/null
[ -f "$base.modulus" ] ||
	openssl rsa -in "$base.pem" -noout -modulus | sed 's/^Modulus=//' >"$base.modulus"
