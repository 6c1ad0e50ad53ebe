#!/bin/sh
# bench-gh-shim.sh: what the gh shim adds to a gh call on a warm cache,
# against the local stack (fake vault and GitHub over TLS on 127.0.0.1).
# Called by tests/bench.sh (make bench), or alone: sh tests/bench-gh-shim.sh
#
#   BENCH_RUNS=N      runs per command (default 200), after 10 warm-up runs
#   BENCH_STRICT=1    exit 1 when the shim's overhead is over the target
#
# The overhead is the median time of `gh` through the shim minus the
# median of the same command run directly: with a gh that does nothing
# (RAXX_GH=/bin/true: the shim's own cost, precisely) and with the real
# `gh --version` (what an agent sees; Go's start-up adds noise). The two
# shell shims the compiled one replaced are timed the same way:
#   sh-exec:   exec git-credential-raxx exec --gh --shim "$0" -- "$@"
#   sh-search: the PATH search in sh (cd -P per entry), then exec
#              git-credential-raxx exec -- REAL_GH "$@"
# and so are the parts: sh's start-up, the full program on a warm cache.
# The last lines are machine-readable: gh_shim_overhead_ms=..., etc.
set -u
TARGET_MS=5
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${RAXX_BUILD_DIR:-$(cd "$TEST_DIR/.." && pwd)}
TRASH="$TEST_DIR/trash.bench-gh-shim.$$"	# unique: runs may overlap
RUNS=${BENCH_RUNS:-200}
rm -rf "$TRASH" && mkdir -p "$TRASH/home" && cd "$TRASH" || exit 1
export HOME="$TRASH/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$TRASH/home/.gitconfig"
export RAXX_CACHE_DIR="$TRASH/cache" RAXX_STATE_DIR="$TRASH/state" LC_ALL=C
unset XDG_RUNTIME_DIR RAXX_AGENT RAXX_GH RAXX_PROGRAM RAXX_TRACE GH_TOKEN \
	GH_ENTERPRISE_TOKEN RAXX_FALLBACK RAXX_OPERATOR_TOKEN
. "$TEST_DIR/lib/stack.sh"
trap 'stop_stack; cd "$TEST_DIR" && rm -rf "$TRASH"' EXIT
trap 'exit 130' INT TERM

REAL_GH=$(command -v gh) || { echo "bench-gh-shim: gh is not installed (make deps)" >&2; exit 1; }
[ -x "$BUILD_DIR/git-credential-raxx" ] || { echo "bench-gh-shim: build first (make)" >&2; exit 1; }
start_stack >/dev/null || { echo "bench-gh-shim: the fake stack did not start" >&2; exit 1; }
# an installed layout, copied: PREFIX/bin and PREFIX/libexec/git-credential-raxx
# (and a rebuild in the tree meanwhile cannot disturb the timing)
[ -x "$BUILD_DIR/helper/gh" ] || { echo "bench-gh-shim: build first (make)" >&2; exit 1; }
mkdir -p "$TRASH/prefix/bin" "$TRASH/prefix/libexec/git-credential-raxx"
cp "$BUILD_DIR/git-credential-raxx" "$TRASH/prefix/bin/" &&
cp "$BUILD_DIR/helper/gh" "$TRASH/prefix/libexec/git-credential-raxx/" || exit 1
SHIM_DIR="$TRASH/prefix/libexec/git-credential-raxx"
export PATH="$TRASH/prefix/bin:$PATH" RAXX_BOT=raxx-dev-bot
export GH_HOST="$RAXX_GITHUB_HOST" SSL_CERT_FILE="$TLS/ca.pem"
export GH_CONFIG_DIR="$TRASH/gh-config" GH_NO_UPDATE_NOTIFIER=1
mkdir -p "$GH_CONFIG_DIR"

# the two designs not taken (see above), as shell scripts
mkdir -p "$TRASH/sh-exec" "$TRASH/sh-search"
cat >"$TRASH/sh-exec/gh" <<'ALT'
#!/bin/sh
exec git-credential-raxx exec --gh --shim "$0" -- "$@"
ALT
cat >"$TRASH/sh-search/gh" <<'ALT'
#!/bin/sh
here=$(cd -P "${0%/*}" && pwd)
gh=
IFS=:
for d in $PATH; do
	[ -x "${d:-.}/gh" ] || continue
	[ "$(cd -P "${d:-.}" 2>/dev/null && pwd)" = "$here" ] && continue
	gh=${d:-.}/gh
	break
done
unset IFS
[ -n "$gh" ] || { echo "gh: no real gh in PATH" >&2; exit 127; }
gh=${RAXX_GH:-$gh}	# searched all the same, as a fair comparison
exec git-credential-raxx exec -- "$gh" "$@"
ALT
chmod +x "$TRASH/sh-exec/gh" "$TRASH/sh-search/gh"

# warm the cache, and check each way runs before timing it
git-credential-raxx token >/dev/null || { echo "bench-gh-shim: mint failed" >&2; exit 1; }
for d in "$SHIM_DIR" "$TRASH/sh-exec" "$TRASH/sh-search"; do
	PATH="$d:$PATH" gh api repos/raxx-app/demo --jq .name >/dev/null ||
		{ echo "bench-gh-shim: gh through $d/gh failed" >&2; exit 1; }
done

python3 - "$RUNS" "$TARGET_MS" "$PATH" "$REAL_GH" "${BENCH_STRICT:-0}" \
	"$SHIM_DIR" "$TRASH/sh-exec" "$TRASH/sh-search" <<'PY'
import os, statistics, sys, time
runs, target = int(sys.argv[1]), float(sys.argv[2])
path, real_gh, strict = sys.argv[3], sys.argv[4], sys.argv[5] == "1"
shims = [("compiled shim (libexec/gh)", sys.argv[6]),
         ("sh-exec shim", sys.argv[7]),
         ("sh-search shim", sys.argv[8])]
devnull = os.open(os.devnull, os.O_RDWR)

def run_once(argv, env):
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, env,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                        (os.POSIX_SPAWN_DUP2, devnull, 1),
                                        (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    t = (time.perf_counter() - t0) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        # once more with its stderr, to say why
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        os.waitpid(pid, 0)
        sys.exit("bench-gh-shim: %s exited %d" % (" ".join(argv), os.waitstatus_to_exitcode(status)))
    return t

def median_ms(argv, **extra):
    env = dict(os.environ)
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    for _ in range(10):
        run_once(argv, env)
    return statistics.median(run_once(argv, env) for _ in range(runs))

rows = []
def row(name, ms, base=None):
    rows.append((name, ms, None if base is None else ms - base))

true_direct = median_ms(["/bin/true"])
row("/bin/true, directly", true_direct)
row("sh -c : (a shell shim's interpreter)", median_ms(["/bin/sh", "-c", ":"]))
row("git-credential-raxx --version (its start-up)", median_ms(["git-credential-raxx", "--version"]))
row("git-credential-raxx exec -- /bin/true", median_ms(["git-credential-raxx", "exec", "--", "/bin/true"]), true_direct)
over_true = {}
for name, d in shims:
    # a shell finds gh in PATH and runs that file: so do we, by its path
    ms = median_ms([d + "/gh"], PATH=d + ":" + path, RAXX_GH="/bin/true")
    over_true[name] = ms - true_direct
    row(name + " -> /bin/true", ms, true_direct)
gh_direct = median_ms([real_gh, "--version"])
row("gh --version, directly", gh_direct)
over_gh = {}
for name, d in shims:
    ms = median_ms([d + "/gh", "--version"], PATH=d + ":" + path)
    over_gh[name] = ms - gh_direct
    row("gh --version through the " + name, ms, gh_direct)

print("gh shim overhead on a warm cache, median of %d runs (target <= %g ms)" % (runs, target))
for name, ms, over in rows:
    print("  %-52s %7.2f ms%s" % (name, ms, "" if over is None else "   (+%.2f ms)" % over))
overhead = over_true[shims[0][0]]
print("gh_shim_overhead_ms=%.2f" % overhead)
print("gh_shim_overhead_gh_ms=%.2f" % over_gh[shims[0][0]])
print("gh_shim_sh_exec_overhead_ms=%.2f" % over_true[shims[1][0]])
print("gh_shim_sh_search_overhead_ms=%.2f" % over_true[shims[2][0]])
print("gh_shim_target_ms=%g" % target)
print("gh_shim_result=%s" % ("ok" if overhead <= target else "over"))
sys.exit(1 if strict and overhead > target else 0)
PY
