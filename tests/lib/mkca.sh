#!/bin/sh
# mkca.sh DIR — throwaway test CA plus a server certificate for 127.0.0.1/localhost.
#
# Writes DIR/ca.pem, DIR/ca.key, DIR/server.pem, DIR/server.key (EC P-256).
# The CA has basicConstraints CA:TRUE + keyUsage keyCertSign; the server cert
# has SAN IP:127.0.0.1, IP:::1, DNS:localhost and extendedKeyUsage serverAuth,
# and lives 825 days, so OpenSSL/curl, Go (gh) and Apple's verifier accept it.
# Idempotent: does nothing when DIR/ca.pem exists. Safe to run concurrently on
# the same DIR (a mkdir lock; files are built aside and moved in, ca.pem last).
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 64; }
dir=$1
mkdir -p "$dir"
[ -f "$dir/ca.pem" ] && exit 0

lock="$dir/.mkca.lock"
tries=0
until mkdir "$lock" 2>/dev/null; do
	# Another run is making the CA; wait for it (stale lock after 30 s).
	tries=$((tries + 1))
	[ $tries -gt 300 ] && { echo "mkca.sh: stale lock $lock" >&2; exit 1; }
	sleep 0.1
	[ -f "$dir/ca.pem" ] && exit 0
done
work="$lock/work"
trap 'rm -rf "$lock"' EXIT INT TERM
[ -f "$dir/ca.pem" ] && exit 0
mkdir "$work"

# Our own config, so neither OPENSSL_CONF nor the distribution's openssl.cnf
# adds or duplicates extensions. Works with OpenSSL 1.1/3.x and LibreSSL.
cat >"$work/openssl.cnf" <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

serial() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | sed 's/^/0x7/; s/^\(.\{17\}\).*/\1/'; }

openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key" 2>/dev/null
openssl req -new -x509 -config "$work/openssl.cnf" -extensions v3_ca \
	-key "$work/ca.key" -sha256 -days 3650 -set_serial "$(serial)" \
	-subj "/O=git-credential-raxx tests/CN=raxx throwaway test CA" \
	-out "$work/ca.pem"

openssl ecparam -name prime256v1 -genkey -noout -out "$work/server.key" 2>/dev/null
openssl req -new -config "$work/openssl.cnf" -key "$work/server.key" \
	-subj "/O=git-credential-raxx tests/CN=localhost" -out "$work/server.csr"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
	-set_serial "$(serial)" -sha256 -days 825 \
	-extfile "$work/openssl.cnf" -extensions v3_server -out "$work/server.pem" 2>/dev/null

# Fail loudly here rather than in some later TLS handshake.
openssl verify -CAfile "$work/ca.pem" -purpose sslserver "$work/server.pem" >/dev/null

chmod 600 "$work/ca.key" "$work/server.key"
mv "$work/server.key" "$dir/server.key"
mv "$work/server.pem" "$dir/server.pem"
mv "$work/ca.key" "$dir/ca.key"
mv "$work/ca.pem" "$dir/ca.pem"
