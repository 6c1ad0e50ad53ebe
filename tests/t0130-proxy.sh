#!/bin/sh
# Proxies: https_proxy/HTTPS_PROXY/all_proxy and no_proxy/NO_PROXY, read as
# git and gh read them. Every request goes through CONNECT (TLS end to end),
# the proxy never sees a request header of ours, and the trace says which
# proxy (never its password).
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

# tunnels NAME PORT: CONNECTs to 127.0.0.1:PORT the proxy NAME let through
tunnels() { fake_log_count "$1" method=CONNECT "target=127.0.0.1:$2" status=200; }
raxx() { rm -rf "$RAXX_CACHE_DIR"; git-credential-raxx "$@"; }

# CONNECT-only proxies, their logs in $FAKES/NAME.log
PROXY_PORT=$(start_fake proxy) || { echo "Bail out! the proxy did not start"; exit 1; }
PROXY="http://127.0.0.1:$PROXY_PORT"
PROXY_PW="pw-$(random_secret | cut -c1-16)"
echo "$PROXY_PW" >>"$TRASH/.secrets"
AUTH_PORT=$(start_fake authproxy proxy --auth "proxyuser:$PROXY_PW") ||
	{ echo "Bail out! the proxy did not start"; exit 1; }

test_expect_success 'https_proxy: the mint goes through CONNECT to the vault and to GitHub' '
	https_proxy=$PROXY RAXX_TRACE=1 raxx --bot raxx-dev-bot token >out 2>err &&
	grep -E "^ghs_[A-Za-z0-9._]{36,}$" out &&
	test "$(tunnels proxy "$VAULT_PORT")" = 1 &&
	test "$(tunnels proxy "$GITHUB_PORT")" = 1 &&
	test_grep "POST https://127.0.0.1:$VAULT_PORT/api/v1/auth/universal-auth/login -> 200 .* through proxy .$PROXY. (https_proxy)" err &&
	test_grep "POST https://127.0.0.1:$GITHUB_PORT/api/v3/app/installations/4711/access_tokens -> 201 .* through proxy .$PROXY. (https_proxy)" err
'

test_expect_success 'the proxy saw only CONNECT, and none of our headers' '
	test "$(fake_log_count proxy method!=CONNECT)" = 0 &&
	test "$(fake_log_count proxy authorization)" = 0 &&
	fake_log proxy -p headers | tr -d "[]\"" | tr , "\n" | sort -u >headers &&
	test_grep ! -v -x -e host -e user-agent -e proxy-connection headers
'

test_expect_success 'HTTPS_PROXY (upper case) is honoured too' '
	before=$(tunnels proxy "$GITHUB_PORT") &&
	HTTPS_PROXY=$PROXY raxx --bot raxx-dev-bot token >out.upper &&
	grep ^ghs_ out.upper &&
	test "$(tunnels proxy "$GITHUB_PORT")" = $((before + 1))
'

test_expect_success 'NO_PROXY naming the host: straight to the servers, no CONNECT' '
	v=$(tunnels proxy "$VAULT_PORT") g=$(tunnels proxy "$GITHUB_PORT") &&
	https_proxy=$PROXY NO_PROXY=127.0.0.1 RAXX_TRACE=1 \
		raxx --bot raxx-dev-bot token >out.noproxy 2>err &&
	grep ^ghs_ out.noproxy &&
	test "$(tunnels proxy "$VAULT_PORT")" = "$v" &&
	test "$(tunnels proxy "$GITHUB_PORT")" = "$g" &&
	test_grep ! "through proxy" err
'

test_expect_success 'no_proxy: a list with a CIDR range; other entries do not match' '
	v=$(tunnels proxy "$VAULT_PORT") &&
	https_proxy=$PROXY no_proxy="example.com, .internal 127.0.0.0/8" \
		raxx --bot raxx-dev-bot token >out.cidr &&
	grep ^ghs_ out.cidr &&
	test "$(tunnels proxy "$VAULT_PORT")" = "$v" &&
	https_proxy=$PROXY no_proxy="example.com,10.0.0.0/8,127.0.0.10" \
		raxx --bot raxx-dev-bot token >out.nomatch &&
	grep ^ghs_ out.nomatch &&
	test "$(tunnels proxy "$VAULT_PORT")" = $((v + 1))
'

test_expect_success 'NO_PROXY=* turns the proxy off for every host' '
	v=$(tunnels proxy "$VAULT_PORT") &&
	all_proxy=$PROXY NO_PROXY="*" raxx --bot raxx-dev-bot token >out.star &&
	grep ^ghs_ out.star &&
	test "$(tunnels proxy "$VAULT_PORT")" = "$v"
'

test_expect_success 'a proxy password is sent to the proxy only, and never shown' '
	https_proxy="http://proxyuser:$PROXY_PW@127.0.0.1:$AUTH_PORT" RAXX_TRACE=1 \
		raxx --bot raxx-dev-bot token >out.auth 2>err &&
	grep ^ghs_ out.auth &&
	test "$(tunnels authproxy "$GITHUB_PORT")" = 1 &&
	test_grep "through proxy .http://127.0.0.1:$AUTH_PORT. (https_proxy)" err &&
	test_grep ! proxyuser err &&
	test "$(fake_log_count authproxy !proxy_authorization)" = 0 &&
	test "$(fake_log_count authproxy authorization)" = 0
'

test_expect_success 'a proxy that is down: exit 2, naming the proxy and NO_PROXY' '
	rm -rf "$RAXX_CACHE_DIR" &&
	test_expect_code 2 env https_proxy=http://127.0.0.1:9 \
		git-credential-raxx --bot raxx-dev-bot token >out.down 2>err &&
	test_must_be_empty out.down &&
	test_grep "unreachable through proxy .http://127.0.0.1:9. (https_proxy)" err &&
	test_grep "name the host in NO_PROXY" err
'

test_expect_success 'a real git fetch through the proxy, as the bot' '
	git init -q -b main wt &&
	git -C wt config credential.helper "raxx --bot raxx-dev-bot" &&
	rm -rf "$RAXX_CACHE_DIR" &&
	before=$(tunnels proxy "$GITHUB_PORT") &&
	https_proxy=$PROXY git -C wt ls-remote "$GIT_URL/raxx-app/demo.git" >refs &&
	grep refs/heads/main refs &&
	test "$(tunnels proxy "$GITHUB_PORT")" -gt "$before" &&
	log_notes github | grep "fetch-by:raxx-dev-bot"
'

test_expect_success 'the proxy fake itself refuses anything but CONNECT' '
	test_must_fail curl -sf -x "$PROXY" "http://127.0.0.1:$GITHUB_PORT/" &&
	grep "\"note\":\"not-connect\"" "$FAKES/proxy.log"
'

test_secrets_never_leak
test_done
