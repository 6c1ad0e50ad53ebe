#!/bin/sh
# make bench: a benchmark, not a test. Against the local HTTPS fakes it
# times, in one run, and prints one Markdown table:
#
#   - a warm `git credential fill` through raxx (by short name and by
#     absolute path), git credential-cache, git credential-store and
#     `gh auth git-credential` (median of BENCH_RUNS runs each,
#     interleaved), and the raxx/credential-cache ratio;
#   - the client CPU (user+sys) of a cold mint, raxx against a one-shot
#     Python script in the manner of the operator's original
#     (tests/lib/oneshot_mint.py), median of BENCH_COLD_RUNS each;
#   - a cold mint with BENCH_RTT_MS (50) ms added to every TLS handshake
#     and every request the fakes answer: time, requests and TLS
#     connections, without and with the connection to GitHub opened
#     while the vault answers, with and without a live vault session;
#   - BENCH_CONCURRENT (32) cold calls at once: mints, p50, p99;
#   - the peak RSS of a warm `get`;
#   - the token broker (bench.py broker_rows): a warm fill through it
#     against the sealed cache and credential-cache, and a re-mint with
#     the App key held.
#
# Environment: BENCH_RUNS (default 200), BENCH_COLD_RUNS (20),
# BENCH_RTT_MS (50), BENCH_CONCURRENT (32). Needs python3, git, openssl,
# and gh for its row.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/stack.sh"
start_stack || { echo "bench: the fake stack did not start" >&2; exit 1; }

python3 "$LIB_DIR/bench.py" "$FAKES" "$TRASH" "$GIT_URL" "$BUILD_DIR"
rc=$?
stop_stack
cd "$TEST_DIR" && rm -rf "$TRASH"
exit $rc
