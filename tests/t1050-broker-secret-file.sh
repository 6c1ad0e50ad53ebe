#!/bin/sh
# The vault identity's client secret from a file instead of the
# environment: INFISICAL_CLIENT_SECRET_FILE and systemd's
# $CREDENTIALS_DIRECTORY/infisical-client-secret, for the program and the
# broker alike; an unsafe file is a clear error (exit 2), never used.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

mints() { count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201; }
# the secret's files live beside the fakes (the secret scan skips them)
CREDS=$FAKES/creds
mkdir -p "$CREDS"
printf '%s\n' "$INFISICAL_CLIENT_SECRET" >"$CREDS/infisical-client-secret"
chmod 600 "$CREDS/infisical-client-secret"

# no_env [VAR=VALUE...] CMD...: CMD (a function too) without the secret
# in its environment, with the assignments exported
no_env() (
	unset INFISICAL_CLIENT_SECRET
	while case $1 in *=*) true ;; *) false ;; esac; do export "$1"; shift; done
	"$@"
)

test_expect_success 'INFISICAL_CLIENT_SECRET_FILE: a token, minted once, then reused from the cache' '
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/infisical-client-secret" \
		git-credential-raxx --bot raxx-dev-bot token >out.1 2>err.1 &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/infisical-client-secret" \
		git-credential-raxx --bot raxx-dev-bot token >out.2 2>err.2 &&
	grep "^ghs_" out.1 && test_cmp out.1 out.2 &&
	test "$(mints)" = 1
'

test_expect_success 'the file and the environment seal the same cache' '
	git-credential-raxx --bot raxx-dev-bot token >out.3 &&
	test_cmp out.1 out.3 && test "$(mints)" = 1
'

test_expect_success 'systemd credentials: $CREDENTIALS_DIRECTORY/infisical-client-secret' '
	no_env CREDENTIALS_DIRECTORY="$CREDS" RAXX_CACHE_DIR="$TRASH/cache-creds" \
		git-credential-raxx --bot raxx-ops-bot token >out.4 2>err.4 &&
	grep "^ghs_" out.4 && test "$(mints)" = 2
'

test_expect_success 'a file open to others is refused: exit 2, named, nothing minted' '
	cp "$CREDS/infisical-client-secret" "$CREDS/open-secret" && chmod 644 "$CREDS/open-secret" &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/open-secret" RAXX_CACHE_DIR="$TRASH/cache-x" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token >out.5 2>err.5 &&
	test_must_be_empty out.5 &&
	test_grep "client secret file .*open-secret.* is open to group or others (mode 0644): refused: chmod 600 it" err.5 &&
	test "$(mints)" = 2
'

test_expect_success 'a symlink, a missing file, an empty file: refused with exit 2' '
	ln -s "$CREDS/infisical-client-secret" "$CREDS/link-secret" &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/link-secret" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.6 &&
	test_grep "is a symbolic link, refused" err.6 &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$TRASH/nowhere" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.7 &&
	test_grep "client secret file .*nowhere.*No such file" err.7 &&
	>"$CREDS/empty-secret" && chmod 600 "$CREDS/empty-secret" &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/empty-secret" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.8 &&
	test_grep "is empty" err.8
'

test_expect_success 'a file owned by another user is refused' '
	if [ "$(id -u)" != 0 ]; then echo "# not root: cannot chown, skipped"; exit 0; fi
	cp "$CREDS/infisical-client-secret" "$CREDS/foreign-secret" &&
	chmod 600 "$CREDS/foreign-secret" && chown 65534 "$CREDS/foreign-secret" &&
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/foreign-secret" \
		test_expect_code 2 git-credential-raxx --bot raxx-dev-bot token 2>err.9 &&
	test_grep "belongs to uid 65534, not to you" err.9
'

test_expect_success 'the variable set too: it is used, and the file is not read' '
	INFISICAL_CLIENT_SECRET_FILE="$TRASH/nowhere" \
		git-credential-raxx --bot raxx-dev-bot token >out.10 2>err.10 &&
	test_cmp out.1 out.10
'

test_expect_success 'doctor accepts the file for infisical-env' '
	no_env INFISICAL_CLIENT_SECRET_FILE="$CREDS/infisical-client-secret" \
		git-credential-raxx --bot raxx-dev-bot doctor >doctor.out 2>&1;
	test_grep "^\[PASS\] infisical-env" doctor.out
'

test_secrets_never_leak
test_done
