#!/bin/sh
# The token cache: reuse, the expiry margin, scopes, the vault session, and
# every kind of bad cache file or directory, each refused without a crash
# and answered with a fresh mint.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

C=$RAXX_CACHE_DIR
raxx() { git-credential-raxx "$@"; }
dev() { git-credential-raxx --bot raxx-dev-bot "$@"; }
mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
logins() { count_requests vault POST /api/v1/auth/universal-auth/login 200; }
fetches() { count_requests vault GET /api/v4/secrets 200; }
# the token entries (not the vault session, not the lock files)
entries() { ls "$C" | grep -E '^t-[0-9a-f]{32}$'; }
# the one token entry there is
entry() {
	test "$(entries | wc -l)" = 1 || { ls -la "$C" >&2; return 1; }
	echo "$C/$(entries)"
}
wipe_tokens() { rm -f "$C"/t-*; }

test_expect_success 'repeated calls mint once and give the same token' '
	dev token >out.1 &&
	dev token >out.2 &&
	dev token >out.3 &&
	test_cmp out.1 out.2 && test_cmp out.1 out.3 &&
	test "$(mints)" = 1 &&
	test "$(logins)" = 1 && test "$(fetches)" = 1
'

test_expect_success 'token --json says where the token came from' '
	dev token --json >out.json &&
	grep "\"source\":\"cache\"" out.json &&
	grep "\"token\":\"$(cat out.1)\"" out.json
'

test_expect_success 'git credential fill reuses it too, with the same expiry' '
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
			credential fill >out.fill &&
	grep "^password=$(cat out.1)$" out.fill &&
	dev token --json >out.json2 &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" | dev get >out.get &&
	exp=$(sed -n "s/^password_expiry_utc=//p" out.get) &&
	test "$(epoch "$(json_get out.json2 expires_at)")" = "$exp" &&
	test "$(mints)" = 1
'

test_expect_success 'the cache is private and holds no token in the clear' '
	test "$(file_mode "$C")" = 700 &&
	for f in "$C"/*; do
		test "$(file_mode "$f")" = 600 || exit 1
	done &&
	test_grep ! -r -F "$(cat out.1)" "$C" &&
	test_grep ! -r -F "$INFISICAL_CLIENT_SECRET" "$C" &&
	test_grep ! -r "raxx-dev-bot" "$C" &&
	ls "$C" >names &&
	test_grep -E "^t-[0-9a-f]{32}$" names &&
	test_grep -E "^s-[0-9a-f]{32}$" names
'

test_expect_success 'each bot and each repository scope has its own entry' '
	raxx --bot raxx-ops-bot token >out.ops &&
	dev --repo raxx-app/demo token >out.demo &&
	dev --repo raxx-app/demo token >out.demo2 &&
	dev token >out.plain &&
	test_cmp out.demo out.demo2 &&
	test_cmp out.1 out.plain &&
	! test_cmp out.1 out.ops >/dev/null &&
	! test_cmp out.1 out.demo >/dev/null &&
	test "$(entries | wc -l)" = 3 &&
	test "$(mints)" = 3
'

test_expect_success 'the vault session is reused: a re-mint is one fetch and one mint' '
	wipe_tokens &&
	l=$(logins) f=$(fetches) m=$(mints) &&
	RAXX_TRACE=1 dev token >out.remint 2>err.remint &&
	! test_cmp out.1 out.remint >/dev/null &&
	test "$(logins)" = "$l" &&
	test "$(fetches)" = "$((f + 1))" &&
	test "$(mints)" = "$((m + 1))" &&
	test_grep "reusing the vault session" err.remint &&
	test_grep "vault 1 requests over 1 connections, GitHub 1 requests" err.remint
'

test_expect_success 'a vault session the vault refuses is replaced by a new login' '
	wipe_tokens &&
	session=$(ls "$C"/s-*) && cp "$session" old-session &&
	fake_set vault behavior.secrets -s expire-token behavior.fail_times 1 behavior.fail_id 1 &&
	test_when_finished "fake_reset vault behavior" &&
	l=$(logins) &&
	dev token >out.expired 2>err.expired &&
	grep "^ghs_" out.expired &&
	test "$(logins)" = "$((l + 1))" &&
	! cmp -s "$session" old-session &&
	wipe_tokens &&
	dev token >out.after &&
	test "$(logins)" = "$((l + 1))"
'

test_expect_success 'the expiry margin: a token with less than RAXX_MIN_TTL left is not reused' '
	fake_set github token_ttl 200 &&
	test_when_finished "fake_reset github token_ttl" &&
	wipe_tokens &&
	m=$(mints) &&
	dev token >out.short1 &&
	RAXX_TRACE=1 dev token >out.short2 2>err.short &&
	dev token >out.short3 &&
	test "$(mints)" = "$((m + 3))" &&
	test_grep "within RAXX_MIN_TTL (300 s)" err.short &&
	! test_cmp out.short1 out.short2 >/dev/null &&
	# (no refresh ahead here: t0440 tests it)
	RAXX_MIN_TTL=100 RAXX_REFRESH_AHEAD=0 dev token >out.short4 &&
	test_cmp out.short3 out.short4 &&
	test "$(mints)" = "$((m + 3))"
'

test_expect_success 'a bad RAXX_MIN_TTL warns and uses 300' '
	wipe_tokens &&
	dev token >out.ttl0 &&
	RAXX_MIN_TTL=soon dev token >out.ttl1 2>err.ttl &&
	test_cmp out.ttl0 out.ttl1 &&
	test_grep "RAXX_MIN_TTL .soon. is not a number" err.ttl
'

# bad_entry DESCRIPTION: the entry was spoilt; the next call discards it
# (trace), mints a fresh token, and stores a good entry again.
bad_entry() {
	m=$(mints) &&
	RAXX_TRACE=1 dev token >out.bad 2>err.bad &&
	grep -E "^ghs_[A-Za-z0-9._]+$" out.bad &&
	test_grep "cache: discarding .*: $1" err.bad &&
	test "$(mints)" = "$((m + 1))" &&
	test "$(file_mode "$(entry)")" = 600 &&
	dev token >out.bad2 &&
	test_cmp out.bad out.bad2 &&
	test "$(mints)" = "$((m + 1))"
}

test_expect_success 'a corrupt entry is discarded and a fresh token minted' '
	f=$(entry) &&
	python3 -c "
import sys
p = sys.argv[1]
b = bytearray(open(p, \"rb\").read())
b[len(b) // 2] ^= 0x40
open(p, \"wb\").write(bytes(b))
" "$f" &&
	bad_entry "corrupt, or sealed with another"
'

test_expect_success 'a truncated entry is discarded' '
	f=$(entry) && head -c 20 "$f" >short && cat short >"$f" &&
	bad_entry truncated &&
	f=$(entry) && size=$(wc -c <"$f") &&
	head -c $((size - 1)) "$f" >short && cat short >"$f" &&
	bad_entry "corrupt, or sealed" &&
	f=$(entry) && : >"$f" &&
	bad_entry truncated
'

test_expect_success 'garbage and a file too large are discarded' '
	f=$(entry) && printf "hello, not a cache entry at all, not at all\n" >"$f" &&
	bad_entry "not a cache entry" &&
	f=$(entry) && head -c 20000 /dev/zero >"$f" &&
	bad_entry "too large"
'

test_expect_success 'an entry moved to another name is refused' '
	wipe_tokens &&
	dev token >/dev/null && dev_entry=$(entries) &&
	raxx --bot raxx-ops-bot token >out.ops2 &&
	ops_entry=$(entries | grep -v "^$dev_entry$") &&
	cp "$C/$dev_entry" "$C/$ops_entry" &&
	m=$(mints) &&
	RAXX_TRACE=1 raxx --bot raxx-ops-bot token >out.moved 2>err.moved &&
	test_grep "moved from another entry" err.moved &&
	test "$(mints)" = "$((m + 1))" &&
	! test_cmp out.moved out.ops2 >/dev/null
'

test_expect_success 'an entry sealed with another client secret is refused, and rotating the secret voids the cache' '
	wipe_tokens &&
	dev token >out.a &&
	a=$(entries) && cp "$C/$a" entry-a &&
	new="ucs-$(random_secret)" && echo "$new" >>"$TRASH/.secrets" &&
	fake_set vault client_secret -s "$new" &&
	test_when_finished "fake_reset vault client_secret" &&
	m=$(mints) &&
	INFISICAL_CLIENT_SECRET=$new dev token >out.b &&
	test "$(mints)" = "$((m + 1))" &&
	! test_cmp out.a out.b >/dev/null &&
	b=$(entries | grep -v "^$a$") &&
	test -n "$b" &&
	cp entry-a "$C/$b" && rm "$C/$a" &&
	(
		INFISICAL_CLIENT_SECRET=$new &&
		export INFISICAL_CLIENT_SECRET &&
		bad_entry "corrupt, or sealed with another INFISICAL_CLIENT_SECRET"
	)
'

test_expect_success 'a cached token is useless without INFISICAL_CLIENT_SECRET' '
	wipe_tokens &&
	dev token >/dev/null &&
	(
		unset INFISICAL_CLIENT_SECRET &&
		test_expect_code 2 dev token >out.nosecret 2>err.nosecret
	) &&
	test_must_be_empty out.nosecret &&
	test_grep "INFISICAL_CLIENT_SECRET" err.nosecret
'

test_expect_success 'a group-readable entry (0644) is discarded' '
	chmod 644 "$(entry)" &&
	bad_entry "mode 0644, not 0600"
'

test_expect_success 'an entry with a second hard link is discarded' '
	ln "$(entry)" hardlink &&
	bad_entry "more than one link" &&
	test -f hardlink
'

test_expect_success 'a symlink in place of an entry is removed, its target untouched' '
	f=$(entry) && cp "$f" target && chmod 600 target &&
	rm "$f" && ln -s "$TRASH/target" "$f" &&
	cp target target.orig &&
	bad_entry "a symbolic link, refused" &&
	test ! -L "$(entry)" &&
	cmp target target.orig
'

test_expect_success 'a FIFO in place of an entry does not hang the helper' '
	f=$(entry) && rm "$f" && mkfifo "$f" &&
	bad_entry "not a regular file"
'

test_expect_success 'a cache directory open to others (0755) is refused, with the fix' '
	chmod 755 "$C" &&
	test_when_finished "chmod 700 \"$C\"" &&
	wipe_tokens &&
	m=$(mints) &&
	dev token >out.open 2>err.open &&
	grep ^ghs_ out.open &&
	test_grep "cache directory .* is open to group or others (mode 0755), refused: chmod 700 it" err.open &&
	test_line_count = 1 err.open &&
	test -z "$(entries)" &&
	dev token >out.open2 2>/dev/null &&
	test "$(mints)" = "$((m + 2))"
'

test_expect_success 'a symlinked cache directory is refused' '
	mkdir -m 700 realdir && ln -s "$TRASH/realdir" linkdir &&
	m=$(mints) &&
	RAXX_CACHE_DIR="$TRASH/linkdir" dev token >out.link 2>err.link &&
	RAXX_CACHE_DIR="$TRASH/linkdir" dev token >out.link2 2>/dev/null &&
	test_grep "is a symbolic link, refused" err.link &&
	test "$(mints)" = "$((m + 2))" &&
	test -z "$(ls realdir)"
'

test_expect_success 'a missing cache directory is created 0700, parents too' '
	RAXX_CACHE_DIR="$TRASH/deep/er/cache" dev token >out.deep &&
	test "$(file_mode "$TRASH/deep/er/cache")" = 700 &&
	test "$(file_mode "$TRASH/deep")" = 700 &&
	RAXX_CACHE_DIR="$TRASH/deep/er/cache" dev token >out.deep2 &&
	test_cmp out.deep out.deep2
'

test_expect_success 'an unwritable cache location: mint anyway, warn once' '
	: >not-a-dir &&
	m=$(mints) &&
	RAXX_CACHE_DIR="$TRASH/not-a-dir/cache" dev token >out.ro 2>err.ro &&
	grep ^ghs_ out.ro &&
	test_line_count = 1 err.ro &&
	test_grep "cache directory .*/not-a-dir/cache. cannot be .*minting without reuse" err.ro &&
	test "$(mints)" = "$((m + 1))"
'

test_expect_success 'a cache that cannot take new files: mint anyway, warn once' '
	test "$(id -u)" != 0 || { echo "# root ignores directory modes: skipped"; exit 0; }
	mkdir -m 700 ro && dev token >/dev/null &&
	RAXX_CACHE_DIR="$TRASH/ro" dev token >/dev/null &&
	chmod 500 "$TRASH/ro" && rm -f "$TRASH/ro"/t-* 2>/dev/null;
	test_when_finished "chmod 700 \"$TRASH/ro\"" &&
	RAXX_CACHE_DIR="$TRASH/ro" dev token >out.ro2 2>err.ro2 &&
	grep ^ghs_ out.ro2 &&
	test_line_count = 1 err.ro2 &&
	test_grep "cannot be written" err.ro2
'

test_expect_success 'the default directories follow XDG' '
	(
		unset RAXX_CACHE_DIR RAXX_STATE_DIR &&
		XDG_RUNTIME_DIR="$TRASH/run" && mkdir -m 700 "$XDG_RUNTIME_DIR" &&
		export XDG_RUNTIME_DIR &&
		dev token >/dev/null &&
		ls "$XDG_RUNTIME_DIR/git-credential-raxx" | grep -E "^t-" &&
		test -s "$XDG_STATE_HOME/git-credential-raxx/audit.log" &&
		unset XDG_RUNTIME_DIR XDG_CACHE_HOME XDG_STATE_HOME &&
		dev token >/dev/null &&
		ls "$HOME/.cache/git-credential-raxx" | grep -E "^t-" &&
		test -s "$HOME/.local/state/git-credential-raxx/audit.log"
	)
'

test_expect_success 'the warm path asks neither the vault nor GitHub' '
	dev token >/dev/null &&
	l=$(count_requests vault "[A-Z]+" ".*") g=$(count_requests github "[A-Z]+" ".*") &&
	for i in 1 2 3 4 5; do
		printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" | dev get >/dev/null || exit 1
	done &&
	test "$(count_requests vault "[A-Z]+" ".*")" = "$l" &&
	test "$(count_requests github "[A-Z]+" ".*")" = "$g"
'

test_expect_success 'the warm path loads neither libcurl nor OpenSSL; a mint does' '
	dev token >/dev/null &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" |
		LD_DEBUG=libs dev get >out.libs 2>err.libs &&
	grep "^password=" out.libs &&
	if ! grep -q "calling init" err.libs; then
		echo "# no glibc LD_DEBUG here: skipped"; exit 0
	fi
	if ldd "$RAXX" 2>/dev/null | grep -q libcurl; then
		echo "# built with LAZY=0: skipped"; exit 0
	fi
	test_grep ! "libcurl\|libssl\|libcrypto" err.libs &&
	wipe_tokens &&
	LD_DEBUG=libs dev token >out.libs2 2>err.libs2 &&
	test_grep "calling init: .*libcurl" err.libs2 &&
	test_grep "calling init: .*libcrypto" err.libs2
'

test_expect_success 'the warm path runs git at most once (one git config read)' '
	dev token >out.warm &&
	real_git=$(command -v git) &&
	printf "#!/bin/sh\necho \"\$*\" >>\"%s\"\nexec \"%s\" \"\$@\"\n" \
		"$TRASH/git-calls" "$real_git" >"$TRASH/bin/git" &&
	chmod +x "$TRASH/bin/git" &&
	test_when_finished "rm -f \"$TRASH/bin/git\"" &&
	: >"$TRASH/git-calls" &&
	printf "protocol=https\nhost=%s\n\n" "$RAXX_GITHUB_HOST" | dev get >out.onegit &&
	grep "^password=$(cat out.warm)$" out.onegit &&
	test_line_count -le 1 "$TRASH/git-calls" &&
	test_grep ! -v "^config " "$TRASH/git-calls"
'

test_secrets_never_leak
test_done
