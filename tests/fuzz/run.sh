#!/bin/sh
# Build and run the libFuzzer targets for a while each.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# TARGET: one of $all_targets below (default: all of them). The sources
# in src/'s folders (all but src/base/lazyload.c) are compiled
# once with clang -fsanitize=fuzzer-no-link,address,undefined into
# tests/fuzz/build/libraxx-fuzz.a, again only when a source or a header
# changed; each tests/fuzz/fuzz-TARGET.c links against it, taking only
# what it needs. The targets that read answers from the vault or GitHub
# link tests/fuzz/fake-http.c too, which serves those answers from the
# fuzzer's input in place of the network (see that file).
#
# Each target runs for SECONDS seconds (default 10) on a working corpus
# (tests/fuzz/corpus-run/TARGET, kept between runs) seeded from
# tests/fuzz/corpus/TARGET, with tests/fuzz/TARGET.dict when there is one.
# The last lines of the log name the runs made and the coverage reached.
# Exits non-zero when a target fails to build or finds a crash, a leak,
# undefined behaviour, a broken invariant or a hang; prints "skip: ..."
# and exits 0 when clang or its libFuzzer runtime is missing.
set -u

all_targets="protocol agentmap auditlog broker vault github cache handoff dates http gitconfig"

secs=${1:-10}
[ $# -gt 0 ] && shift
targets=${*:-$all_targets}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 64 ;;
esac
for t in $targets; do
	case " $all_targets " in
	*" $t "*) ;;
	*) echo "fuzz: unknown target '$t' ($all_targets)" >&2; exit 64 ;;
	esac
done

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
fuzz=$top/tests/fuzz
build=$fuzz/build
CLANG=${CLANG:-clang}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "skip: $CLANG not found"
	exit 0
fi
mkdir -p "$build/obj" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	>"$build/probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined -o "$build/probe" \
	"$build/probe.c" >"$build/probe.log" 2>&1; then
	echo "skip: $CLANG cannot build with -fsanitize=fuzzer (libFuzzer runtime missing? e.g. libclang-rt-dev)"
	exit 0
fi

pkgs="libcurl openssl libsodium json-c yaml-0.1"
if ! pkgcflags=$($PKG_CONFIG --cflags $pkgs 2>/dev/null) ||
   ! pkglibs=$($PKG_CONFIG --libs $pkgs 2>/dev/null); then
	echo "fuzz: $pkgs not all found by $PKG_CONFIG: run 'make deps'" >&2
	exit 1
fi

# no -Werror: the main build enforces zero warnings (with $CC); clang may
# warn differently in shared code, and that must not stop the fuzzing
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -std=c11 -Wall -Wextra -Wshadow -Wformat=2 $SAN \
	-fno-omit-frame-pointer -pthread -I$top/src $pkgcflags"

# ---- the library, rebuilt where a source, a header or the flags changed
lib=$build/libraxx-fuzz.a
flags="$CLANG $CFLAGS"
if [ "$(cat "$build/obj/flags" 2>/dev/null)" != "$flags" ]; then
	rm -rf "$build"/obj/*/ "$lib"
	printf '%s\n' "$flags" >"$build/obj/flags"
fi
newest_h=$(ls -t "$top"/src/*/*.h | head -n 1)
stale=
for c in "$top"/src/*/*.c; do
	n=${c#"$top"/src/}
	n=${n%.c}
	case $n in base/lazyload) continue ;; esac
	o=$build/obj/$n.o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
		stale="$stale $n"
	fi
done
# objects of sources since removed
for o in "$build"/obj/*/*.o; do
	[ -f "$o" ] || continue
	n=${o#"$build"/obj/}
	[ -f "$top/src/${n%.o}.c" ] || { rm -f "$o"; stale="$stale -"; }
done
if [ -n "$stale" ] || [ ! -f "$lib" ]; then
	status=0
	for n in $stale; do
		[ "$n" = - ] && continue
		mkdir -p "$build/obj/${n%/*}"
		echo "$n"
	done | (cd "$top" && xargs -P "${FUZZ_JOBS:-2}" -I@ sh -c \
		'"$0" $1 -fsanitize=fuzzer-no-link -c -o "$2/obj/@.o" src/@.c \
		 >"$2/obj/@.log" 2>&1 || { echo "FAIL fuzz: src/@.c does not build:"; \
		 sed "s/^/  /" "$2/obj/@.log"; exit 255; }' \
		"$CLANG" "$CFLAGS" "$build") || status=1
	if [ $status -ne 0 ]; then
		rm -f "$lib"
		exit 1
	fi
	rm -f "$lib"
	ar rcs "$lib" "$build"/obj/*/*.o || exit 1
fi

# ---- the targets
status=0
for t in $targets; do
	bin=$build/fuzz-$t
	log=$build/fuzz-$t.log
	run=$fuzz/corpus-run/$t
	srcs="tests/fuzz/fuzz-$t.c"
	case $t in
	vault|github) srcs="$srcs tests/fuzz/fake-http.c" ;;
	esac
	# shellcheck disable=SC2086
	if ! (cd "$top" && "$CLANG" $CFLAGS -fsanitize=fuzzer -o "$bin" $srcs \
		"$lib" $pkglibs) >"$build/fuzz-$t.build.log" 2>&1; then
		echo "FAIL fuzz-$t: build failed:"
		sed 's/^/  /' "$build/fuzz-$t.build.log"
		status=1
		continue
	fi
	mkdir -p "$run" "$fuzz/corpus/$t" || exit 1
	dict=
	[ -f "$fuzz/$t.dict" ] && dict=-dict=$fuzz/$t.dict
	# the first directory receives new inputs; the seeds stay untouched;
	# the program's own warnings (a redirect followed, a clock off...)
	# would fill the log: they are left out
	# shellcheck disable=SC2086
	{ "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 $dict \
		-artifact_prefix="$build/fuzz-$t-" \
		"$run" "$fuzz/corpus/$t" 2>&1; echo $? >"$build/fuzz-$t.rc"; } |
		sed '/^raxx: /d' >"$log"
	rc=$(cat "$build/fuzz-$t.rc")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# the last status line: "#N DONE cov: C ft: F corp: K/S ..."
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
	      sed -n 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [0-9]*\/[0-9a-zA-Z]*\).*/\1 \2 \3/p')
	if [ $rc -eq 0 ]; then
		echo "ok fuzz-$t: ${runs:-?} runs in ${secs}s, ${cov:-no coverage line}, no crash"
	else
		echo "FAIL fuzz-$t: exit $rc after ${runs:-?} runs; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|.*runtime error)|artifact_prefix|Test unit written' \
			"$log" | head -n 8 | sed 's/^/  /'
		status=1
	fi
done
exit $status
