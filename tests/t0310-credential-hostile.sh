#!/bin/sh
# Hostile credential requests: each is refused or ignored with no answer
# on stdout, and none of them reaches the vault or GitHub.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }

H=$RAXX_GITHUB_HOST
logins() { count_requests vault POST /api/v1/auth/universal-auth/login; }
helper() { git-credential-raxx --bot raxx-dev-bot get; }

# refused REQUEST-FILE: exit 64, nothing on stdout, one line on stderr
refused() {
	test_expect_code 64 helper <"$1" >out.refused 2>err.refused &&
	test_must_be_empty out.refused &&
	test_line_count = 1 err.refused &&
	test_grep "credential input" err.refused
}

# ignored REQUEST-FILE: exit 0, nothing on stdout
ignored() {
	helper <"$1" >out.ignored 2>err.ignored &&
	test_must_be_empty out.ignored
}

test_expect_success 'a good request is answered (the control case)' '
	printf "protocol=https\nhost=%s\n\n" "$H" >req &&
	helper <req >out.good &&
	grep "^password=ghs_" out.good
'
test_expect_success 'unknown attributes are ignored' '
	printf "protocol=https\nhost=%s\nwwwauth[]=Basic realm=\"GitHub\"\ncapability[]=authtype\nfrobnicate=1\n\n" "$H" >req &&
	helper <req >out.unknown &&
	grep "^password=ghs_" out.unknown
'

base=$(logins)

test_expect_success 'CR inside a value (CVE-2024-52006) is refused' '
	printf "protocol=https\nhost=%s\r\n\n" "$H" >req && refused req &&
	printf "protocol=https\r\nhost=%s\n\n" "$H" >req && refused req &&
	printf "protocol=https\nhost=%s\nusername=a\rb\n\n" "$H" >req && refused req
'

test_expect_success 'a NUL byte is refused' '
	printf "protocol=https\nhost=%s\000evil.com\n\n" "$H" >req && refused req
'

test_expect_success 'a newline smuggled through a URL (CVE-2020-5260) is refused' '
	printf "protocol=https\nhost=evil.com\nhost=%s\n\n" "$H" >req && refused req &&
	printf "protocol=https\nhost=%s\nhost=evil.com\n\n" "$H" >req && refused req
'

test_expect_success 'git itself refuses the URL form; no token comes out' '
	printf "url=https://%s%%0ahost=evil.com\n\n" "$H" |
		test_must_fail git -c credential.helper= -c "credential.helper=raxx --bot raxx-dev-bot" \
			credential fill >out.url 2>err.url &&
	! grep password out.url
'

test_expect_success 'a missing host or protocol (CVE-2020-11008) is refused' '
	printf "protocol=https\n\n" >req && refused req &&
	printf "host=%s\n\n" "$H" >req && refused req &&
	printf "protocol=https\nhost=\n\n" >req && refused req &&
	printf "\n" >req && refused req &&
	: >req && refused req
'

test_expect_success 'repeated protocol, path or username lines are refused' '
	printf "protocol=https\nprotocol=https\nhost=%s\n\n" "$H" >req && refused req &&
	printf "protocol=https\nhost=%s\npath=a/b\npath=c/d\n\n" "$H" >req && refused req &&
	printf "protocol=https\nhost=%s\nusername=a\nusername=b\n\n" "$H" >req && refused req
'

test_expect_success 'a line without = is refused' '
	printf "protocol=https\nhost=%s\ngarbage\n\n" "$H" >req && refused req
'

test_expect_success 'a line over 64 KiB is refused' '
	{ printf "protocol=https\nhost=%s\nwwwauth[]=" "$H"; head -c 70000 /dev/zero | tr "\000" a; printf "\n\n"; } >req &&
	refused req
'

test_expect_success 'an absurd number of lines is refused' '
	{ printf "protocol=https\nhost=%s\n" "$H"; i=0; while [ $i -lt 2000 ]; do echo "capability[]=x"; i=$((i + 1)); done; echo; } >req &&
	refused req
'

# git's "not confused by long header" case: a host= line padded so that it
# ends exactly on a buffer boundary. Within the line limit it parses, and
# since the padded host is not ours it gets no answer.
for size in 1024 4096 8192 65536; do
	test_expect_success "a host= line ending on a $size-byte boundary is not confused" '
		pad=$((size - 5 - ${#H} - 1)) &&
		{ printf "protocol=https\nhost=%s" "$H"; head -c $pad /dev/zero | tr "\000" a; printf "\n\n"; } >req &&
		ignored req &&
		{ printf "protocol=https\nhost="; head -c $((size - 5)) /dev/zero | tr "\000" a; printf "\nhost=%s\n\n" "$H"; } >req2 &&
		refused req2
	'
done

test_expect_success 'look-alike hosts and other protocols get no answer' '
	for host in "$H.evil.com" "evil.com/$H" "evil.com" "${H%:*}:1${H#*:}" \
		    "${H%:*}" "$H/" "user@$H" " $H" "$H:" "[::1]:${H#*:}"
	do
		printf "protocol=https\nhost=%s\n\n" "$host" >req &&
		ignored req || exit 1
	done &&
	for proto in http ssh HTTPS "https " git; do
		printf "protocol=%s\nhost=%s\n\n" "$proto" "$H" >req &&
		ignored req || exit 1
	done
'

test_expect_success 'github.com look-alikes, with github.com configured' '
	for host in github.com.evil.com evil.com/github.com github.com:8443 \
		    gist.github.com github.co xgithub.com
	do
		printf "protocol=https\nhost=%s\n\n" "$host" >req &&
		RAXX_GITHUB_HOST=github.com helper <req >out.gh 2>&1 &&
		test_must_be_empty out.gh || exit 1
	done
'

test_expect_success 'an unknown action is ignored, as git expects' '
	printf "protocol=https\nhost=%s\n\n" "$H" |
		git-credential-raxx --bot raxx-dev-bot frobnicate >out.action 2>err &&
	test_must_be_empty out.action
'

test_expect_success 'none of the hostile requests reached the vault' '
	test "$(logins)" = "$base"
'

test_secrets_never_leak
test_done
