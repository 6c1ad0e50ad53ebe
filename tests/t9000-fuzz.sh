#!/bin/sh
# Every libFuzzer target (tests/fuzz/run.sh names them: one for each
# parser of outside input) for ${FUZZ_SECONDS:-3} seconds each, one TAP
# line a target; `make fuzz` runs them long. Skipped without clang and
# libFuzzer.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
secs=${FUZZ_SECONDS:-3}

out=$(sh "$top/tests/fuzz/run.sh" "$secs" 2>&1)
rc=$?
case $out in
"skip: "*)
	echo "1..0 # SKIP ${out#skip: }"
	exit 0
	;;
esac
# one TAP line a target; run.sh's other lines (why one failed) as comments
printf '%s\n' "$out" | awk -v rc="$rc" -v secs="$secs" '
/^ok fuzz-/ { n++; t = $2; sub(/:$/, "", t); print "ok " n " - " t " for " secs "s"; print "# " $0; next }
/^FAIL fuzz-/ { n++; bad++; t = $2; sub(/:$/, "", t); print "not ok " n " - " t " for " secs "s"; print "# " $0; next }
/^FAIL / { n++; bad++; print "not ok " n " - the fuzz targets build"; print "# " $0; next }
{ print "# " $0 }
END {
	if (n == 0 || (rc != 0 && !bad)) { n++; print "not ok " n " - tests/fuzz/run.sh exited " rc }
	print "1.." n
}'
