#!/bin/bash
# Fuzz the protocol parser, the agent map parser and the broker's wire
# format and uid policy for ${FUZZ_SECONDS:-10} seconds each
# (tests/fuzz/run.sh). Skipped without clang and libFuzzer.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
secs=${FUZZ_SECONDS:-10}
n=0

for t in protocol agentmap broker; do
	out=$(sh "$top/tests/fuzz/run.sh" "$secs" "$t" 2>&1)
	rc=$?
	if [ $n -eq 0 ] && [ $rc -eq 0 ] && [ "${out#skip: }" != "$out" ]; then
		echo "1..0 # SKIP ${out#skip: }"
		exit 0
	fi
	n=$((n + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz-$t for ${secs}s"
	else
		echo "not ok $n - fuzz-$t for ${secs}s"
	fi
	printf '%s\n' "$out" | sed 's/^/# /'
done
echo "1..$n"
