# opsfakes.sh — local HTTPS fakes of Cloudflare's token verification and of
# Heroku's GET /account, for `doctor --ops`. Source after stack.sh, then
# call start_ops_fakes at top level (after start_stack: it reuses its CA).
#
# After start_ops_fakes: RAXX_CLOUDFLARE_API and RAXX_HEROKU_API point at
# the fakes; new_cf_token / new_heroku_key mint credentials the fakes
# accept (recorded in $TRASH/.secrets for the leak scan); keychain_put
# stores a value where the stub secret-tool in $TRASH/bin finds it
# (under $FAKES, which the leak scan skips: it holds secrets on purpose).

start_ops_fakes() {
	printf '{"tokens": {}, "behavior": {}}\n' >"$FAKES/cloudflare.json" &&
	printf '{"keys": {}, "behavior": {}}\n' >"$FAKES/heroku.json" || return 1
	_start_fake cloudflare
	_start_fake heroku
	CF_PORT=$(_wait_port cloudflare) && HEROKU_PORT=$(_wait_port heroku) || return 1
	export RAXX_CLOUDFLARE_API="https://127.0.0.1:$CF_PORT/client/v4"
	export RAXX_HEROKU_API="https://127.0.0.1:$HEROKU_PORT"
}

# new_cf_token STATUS [account ACCOUNT_ID] [expires_on ISO]: prints a token.
new_cf_token() {
	_tok="cfut_$(random_secret)" _owner=user _acct= _exp= _st=$1
	if [ "${2:-}" = account ]; then
		_tok="cfat_$(random_secret)" _owner=account _acct=$3
		shift 2
	fi
	[ "${2:-}" = expires_on ] && _exp=$3
	echo "$_tok" >>"$TRASH/.secrets"
	_rec="tokens.$(sha256_hex "$_tok")"
	fake_set cloudflare "$_rec.id" -s "$(random_secret | cut -c1-32)" "$_rec.status" -s "$_st" \
		"$_rec.owner" -s "$_owner" "$_rec.account" -s "$_acct" "$_rec.expires_on" null &&
	if [ -n "$_exp" ]; then fake_set cloudflare "$_rec.expires_on" -s "$_exp"; fi &&
	printf '%s\n' "$_tok"
}

# new_heroku_key EMAIL [suspended]: prints a key.
new_heroku_key() {
	_key="HRKU-$(random_secret)" _susp=false
	[ "${2:-}" = suspended ] && _susp=true
	echo "$_key" >>"$TRASH/.secrets"
	_rec="keys.$(sha256_hex "$_key")"
	fake_set heroku "$_rec.id" -s 01234567-89ab-cdef-0123-456789abcdef "$_rec.email" -s "$1" \
		"$_rec.suspended" "$_susp" &&
	printf '%s\n' "$_key"
}

# A stand-in for libsecret's secret-tool (the only keychain on Linux):
# `secret-tool lookup service NAME` prints $FAKES/keyring/NAME, or exits 1.
install_keychain_stub() {
	mkdir -p "$FAKES/keyring" &&
	cat >"$TRASH/bin/secret-tool" <<STUB &&
#!/bin/sh
[ "\$1" = lookup ] && [ "\$2" = service ] || exit 2
echo "\$*" >>"$FAKES/keyring/.calls"
[ -f "$FAKES/keyring/\$3" ] || exit 1
exec cat "$FAKES/keyring/\$3"
STUB
	chmod +x "$TRASH/bin/secret-tool"
}

# keychain_put SERVICE VALUE
keychain_put() {
	printf '%s' "$2" >"$FAKES/keyring/$1"
}
