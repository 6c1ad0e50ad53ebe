# tools.sh — helpers for the shell tests that need no harness: portable
# stand-ins for GNU-only tools, waits for events, and the shell side of
# lib/jsontool.py. test-lib.sh and stack.sh source it (so does anything
# that sources stack.sh alone, as demo.sh does); TEST_DIR must be set.

# file_mode FILE: its permission bits in octal (600), with GNU stat or
# BSD stat (macOS)
file_mode() {
	stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"
}

# file_uid FILE: the uid that owns it (GNU stat or BSD stat)
file_uid() {
	stat -c %u "$1" 2>/dev/null || stat -f %u "$1"
}

# sha256_hex STRING: its SHA-256 in hex (sha256sum, or shasum on macOS)
sha256_hex() {
	if command -v sha256sum >/dev/null 2>&1; then
		printf '%s' "$1" | sha256sum | cut -d' ' -f1
	else
		printf '%s' "$1" | shasum -a 256 | cut -d' ' -f1
	fi
}

# token_fp STRING: the fingerprint the program shows for a token (the
# first 12 hex of its BLAKE2b-256; b2sum is GNU only)
token_fp() {
	if command -v b2sum >/dev/null 2>&1; then
		printf '%s' "$1" | b2sum -l 256 | cut -c1-12
	else
		python3 -c 'import hashlib, sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest()[:12])' "$1"
	fi
}

# iso_utc [SECONDS]: the time SECONDS from now (negative: ago), as
# 2026-01-02T03:04:05Z; ago SECONDS: the time SECONDS ago
iso_utc() {
	python3 -c 'import sys, time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + int(sys.argv[1]))))' "${1:-0}"
}
ago() { iso_utc "-$1"; }
# epoch ISO: 2026-01-02T03:04:05Z as unix seconds (date -d is GNU only)
epoch() {
	python3 -c 'import calendar, sys, time; print(calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")))' "$1"
}

# wait_until [-t SECONDS] CMD...: run CMD until it succeeds (every 50 ms,
# 60 s at most: time enough for any machine). For an event a test waits
# for (a line in a log, a file), never for time to pass.
wait_until() {
	_wu_max=60
	if [ "$1" = -t ]; then _wu_max=$2; shift 2; fi
	_wu_i=0
	until "$@"; do
		_wu_i=$((_wu_i + 1))
		if [ $_wu_i -gt $((_wu_max * 20)) ]; then
			echo "wait_until: '$*' not true after $_wu_max s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# JSON files and logs (lib/jsontool.py says more): PATH is keys joined by
# dots (a list index as a number, a dot inside a key as \.); a string
# prints as it is, anything else as compact JSON.
#   json_get [-k|-j] FILE PATH...     the values, one line (-k: the keys;
#                                     -j: strings quoted, as JSON)
#   json_set FILE PATH VALUE...       VALUE: JSON, -s STRING or -f FILE
#   json_unset FILE PATH...
#   json_lines FILE [--last] [-p FIELD]... [FILTER...]   JSON-lines entries
#   json_count FILE [FILTER...]       FILTER: F=V F!=V F~RE F!~RE F !F
JSONTOOL="$TEST_DIR/lib/jsontool.py"
json_get() { python3 "$JSONTOOL" get "$@"; }
json_set() { python3 "$JSONTOOL" set "$@"; }
json_unset() { python3 "$JSONTOOL" unset "$@"; }
json_lines() { python3 "$JSONTOOL" lines "$@"; }
json_count() { python3 "$JSONTOOL" count "$@"; }
