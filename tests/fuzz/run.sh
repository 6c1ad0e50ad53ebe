#!/bin/sh
# Build and run the libFuzzer targets for a while each.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (TARGET: protocol, agentmap,
#                                                auditlog, broker)
#
# Builds tests/fuzz/fuzz-TARGET.c with clang -fsanitize=fuzzer,address,
# undefined plus only the sources it needs into tests/fuzz/build/, seeds
# a working corpus (tests/fuzz/corpus-run/TARGET, kept between runs) from
# tests/fuzz/corpus/TARGET, and runs each target for SECONDS seconds
# (default 10). Exits non-zero when a target fails to build or finds a
# crash, a leak, undefined behaviour or a hang; prints "skip: ..." and
# exits 0 when clang or its libFuzzer runtime is missing.
set -u

secs=${1:-10}
[ $# -gt 0 ] && shift
targets=${*:-protocol agentmap auditlog broker}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 64 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
fuzz=$top/tests/fuzz
build=$fuzz/build
CLANG=${CLANG:-clang}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "skip: $CLANG not found"
	exit 0
fi
mkdir -p "$build" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	>"$build/probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined -o "$build/probe" \
	"$build/probe.c" >"$build/probe.log" 2>&1; then
	echo "skip: $CLANG cannot build with -fsanitize=fuzzer (libFuzzer runtime missing? e.g. libclang-rt-dev)"
	exit 0
fi

if ! pkgflags=$($PKG_CONFIG --cflags --libs libsodium yaml-0.1 json-c 2>/dev/null); then
	echo "fuzz: libsodium, yaml-0.1 or json-c not found by $PKG_CONFIG: run 'make deps'" >&2
	exit 1
fi

# no -Werror: the main build enforces zero warnings (with $CC); clang may
# warn differently in shared code, and that must not stop the fuzzing
CFLAGS="-g -O1 -std=c11 -Wall -Wextra -Wshadow -Wformat=2 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I$top/src"

status=0
for t in $targets; do
	case $t in
	protocol) srcs="src/util.c src/protocol.c" ;;
	agentmap) srcs="src/util.c src/agentmap.c" ;;
	auditlog) srcs="src/util.c src/json.c src/auditlog.c" ;;
	broker) srcs="src/util.c src/broker_wire.c src/broker_policy.c" ;;
	*) echo "fuzz: unknown target '$t' (protocol, agentmap, auditlog, broker)" >&2; exit 64 ;;
	esac
	bin=$build/fuzz-$t
	log=$build/fuzz-$t.log
	run=$fuzz/corpus-run/$t
	# shellcheck disable=SC2086
	if ! (cd "$top" && "$CLANG" $CFLAGS -o "$bin" "tests/fuzz/fuzz-$t.c" \
		$srcs $pkgflags) >"$build/fuzz-$t.build.log" 2>&1; then
		echo "FAIL fuzz-$t: build failed:"
		sed 's/^/  /' "$build/fuzz-$t.build.log"
		status=1
		continue
	fi
	mkdir -p "$run" || exit 1
	# the first directory receives new inputs; the seeds stay untouched
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-$t-" \
		"$run" "$fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok fuzz-$t: ${runs:-?} runs in ${secs}s, no crash"
	else
		echo "FAIL fuzz-$t: exit $rc after ${runs:-?} runs; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|.*runtime error)|artifact_prefix|Test unit written' \
			"$log" | head -n 8 | sed 's/^/  /'
		status=1
	fi
done
exit $status
