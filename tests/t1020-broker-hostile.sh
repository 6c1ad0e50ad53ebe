#!/bin/sh
# Junk never stops the broker: NUL floods, a 200 KB line, CRLF input,
# malformed and forged requests, a client that connects and says nothing,
# more connections than it serves at once. A burst of cold clients of one
# bot is one mint. A request naming another API base is refused: the
# broker never sends the App JWT or the vault identity where a client says.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
. "$TEST_DIR/lib/broker.sh"
start_stack || { echo "Bail out! the fake stack did not start"; exit 1; }
start_broker || { echo "Bail out! the broker did not start"; exit 1; }

mints() {
	[ -e "$FAKES/github.log" ] || { echo 0; return; }
	count_requests github POST "/api/v3/app/installations/[0-9]+/access_tokens" 201
}
alive() { as_client git-credential-raxx --bot raxx-ops-bot token >out.alive; }

# raw PYTHON-EXPR: send the bytes of the expression on one connection,
# print what comes back (until the broker closes, 5 s at most)
raw() {
	python3 - "$BROKER_SOCK" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
data = eval(sys.argv[2])
s.settimeout(5)
try:
    s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.write(out.decode("utf-8", "replace"))
PY
}
HEAD='b"version=1\napi=" + __import__("os").environ["RAXX_GITHUB_API"].encode() + b"\nhost=" + __import__("os").environ["RAXX_GITHUB_HOST"].encode() + b"\n"'

test_expect_success 'a NUL flood is dropped, and the broker goes on' '
	raw "b\"\\0\" * (1 << 20)" >out.nul &&
	test_grep "status=error" out.nul &&
	test_grep "message=malformed request (a NUL byte)" out.nul &&
	alive && broker_logged "outcome=dropped: a NUL byte"
'

test_expect_success 'a 200 KB line is dropped at 64 KiB' '
	raw "b\"version=1\\naction=token\\nbot=\" + b\"a\" * 200000 + b\"\\n\\n\"" >out.big &&
	test_grep "message=malformed request (over 64 KiB)" out.big &&
	alive
'

test_expect_success 'CRLF input is refused with a clear answer' '
	raw "b\"version=1\\r\\naction=status\\r\\n\\r\\n\"" >out.crlf &&
	test_grep "message=malformed request (a CR (lines end at LF only))" out.crlf &&
	alive
'

test_expect_success 'malformed and forged requests: an error answer each, never a crash' '
	raw "b\"garbage\\n\\n\"" >out.g1 && test_grep "line without .=." out.g1 &&
	raw "b\"version=1\\naction=token\\naction=token\\n\\n\"" >out.g2 &&
	test_grep "repeated key" out.g2 &&
	raw "b\"version=2\\naction=status\\n\\n\"" >out.g3 &&
	test_grep "wire version .2." out.g3 &&
	raw "b\"version=1\\naction=rm-rf\\n\\n\"" >out.g4 &&
	test_grep "unknown action .rm-rf." out.g4 &&
	raw "$HEAD + b\"action=token\\nbot=../../etc\\n\\n\"" >out.g5 &&
	test_grep "request field bot .../../etc. is not valid" out.g5 &&
	raw "$HEAD + b\"action=token\\nbot=raxx-dev-bot\\nrepo=a/b/c\\n\\n\"" >out.g6 &&
	test_grep "request field repo" out.g6 &&
	raw "$HEAD + b\"action=token\\nbot=raxx-dev-bot\\npermission=contents:root\\n\\n\"" >out.g7 &&
	test_grep "request field permission" out.g7 &&
	raw "$HEAD + b\"action=token\\nbot=raxx-dev-bot\\nhandoff=\\x1b[31m\\n\\n\"" >out.g8 &&
	test_grep "handoff slug" out.g8 &&
	raw "b\"\\n\"" >out.g9 && test_grep "status=error" out.g9 &&
	raw "b\"version=1\\naction=token\\n\"" >out.g10 &&
	test_must_be_empty out.g10 &&
	raw "bytes(range(256)) * 300" >out.g11 &&
	alive && test "$(mints)" = 1
'

test_expect_success 'random junk on 200 connections: the broker goes on' '
	python3 - "$BROKER_SOCK" <<-\PY &&
	import os, random, socket, sys
	rnd = random.Random(4711)
	for i in range(200):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(sys.argv[1])
	    n = rnd.choice([1, 10, 100, 5000, 70000])
	    alphabet = rnd.choice([b"=\n", b"a=\n\r\0", bytes(range(256)), b"action=token\n"])
	    try:
	        s.sendall(bytes(rnd.choice(alphabet) for _ in range(n)) + b"\n\n")
	    except OSError:
	        pass
	    s.close()
	PY
	alive
'

test_expect_success 'a request naming another API base or host is refused' '
	as_client RAXX_GITHUB_API=https://attacker.example/api/v3 test_expect_code 2 \
		git-credential-raxx --bot raxx-dev-bot token >out.api 2>err.api &&
	test_must_be_empty out.api &&
	test_grep "this broker mints for the GitHub API .https://127.0.0.1:[0-9]*/api/v3., not .https://attacker.example/api/v3." err.api &&
	as_client RAXX_GITHUB_HOST=github.example test_expect_code 2 \
		git-credential-raxx --bot raxx-dev-bot token 2>err.host &&
	test_grep "answers for the git host" err.host &&
	test "$(count_requests github GET ".*attacker.*")" = 0
'

test_expect_success 'a client that connects and says nothing: dropped after 2 s, others served meanwhile' '
	rm -f silent.connected &&
	python3 - "$BROKER_SOCK" >out.silent <<-\PY &
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(sys.argv[1])
	open("silent.connected", "w").close()
	t0 = time.time()
	s.settimeout(10)
	got = s.recv(100)
	print("closed after %.1f s: %r" % (time.time() - t0, got))
	PY
	wait_until test -e silent.connected &&
	alive &&
	wait &&
	broker_logged "outcome=dropped: not whole within 2 s" &&
	# the broker logs a request when it is done with it: the other client
	# was served before the silent one was dropped
	served=$(grep -n "action=token bot=raxx-ops-bot" broker.err | tail -n 1 | cut -d: -f1) &&
	dropped=$(grep -n "outcome=dropped: not whole within 2 s" broker.err | tail -n 1 | cut -d: -f1) &&
	test -n "$served" && test -n "$dropped" &&
	test "$served" -lt "$dropped" &&
	# dropped after 2 s, not before (10 s: the client gives up)
	test_grep -E "closed after ([2-9]|10)\.[0-9] s: b..$" out.silent
'

test_expect_success 'more connections than the cap: the rest wait, then all are served' '
	python3 - "$BROKER_SOCK" "$BROKER_PID" >out.cap <<-\PY &&
	import socket, sys, time
	path, pid = sys.argv[1], sys.argv[2]
	conns = []
	for i in range(300):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(path)
	    conns.append(s)
	time.sleep(0.3)
	status = [l for l in open("/proc/%s/status" % pid) if l.startswith("Threads:")]
	threads = int(status[0].split()[1])
	print("threads with 300 silent connections:", threads)
	assert threads <= 257, threads
	for s in conns:
	    s.sendall(b"version=1\naction=status\n\n")
	answered = 0
	for s in conns:
	    s.settimeout(10)
	    out = b""
	    while not out.endswith(b"\n\n"):
	        b = s.recv(4096)
	        if not b:
	            break
	        out += b
	    answered += out.startswith(b"status=ok\n")
	    s.close()
	print("answered:", answered)
	assert answered == 300, answered
	PY
	cat out.cap && alive
'

test_expect_success '16 concurrent cold clients of one bot: 16 tokens, 1 mint' '
	fake_set github latency_ms 300 &&
	test_when_finished "fake_reset github latency_ms" &&
	before=$(mints) &&
	for i in $(seq 16); do
		as_client git-credential-raxx --bot raxx-dev-bot --repo raxx-app/other \
			token >out.burst.$i 2>err.burst.$i &
	done &&
	wait &&
	cat out.burst.* | sort | uniq -c >out.counts &&
	test_line_count = 1 out.counts &&
	grep "^ *16 ghs_" out.counts &&
	test "$(mints)" = $((before + 1))
'

test_expect_success 'the broker is still the same process' '
	kill -0 "$BROKER_PID" && test ! -e broker.rc
'

test_expect_success 'SIGTERM: the broker stops cleanly (exit 0), its socket gone' '
	stop_broker TERM && test "$(cat broker.rc)" = 0 &&
	test ! -e "$BROKER_SOCK" &&
	test_grep ! "Sanitizer\|runtime error" broker.err
'

test_secrets_never_leak
test_done
