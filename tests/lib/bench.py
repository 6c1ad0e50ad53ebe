#!/usr/bin/env python3
"""The measurements of `make bench` (tests/bench.sh sets up the fakes).

usage: bench.py FAKES TRASH GIT_URL BUILD_DIR

Runs in the environment start_stack made (INFISICAL_*, RAXX_GITHUB_*,
RAXX_CA_BUNDLE, GIT_SSL_CAINFO, private HOME). Prints one Markdown table.
Timings are wall-clock from spawning the command to its exit, as a caller
sees them; warm runs are interleaved round by round so that drift in the
machine's load hits every contender alike. Client CPU is the user + system
time the kernel accounts to the command and the children it waited for
(wait4), which does not depend on how busy the shared machine is.

Each group of rows is one function (warm_rows, cold_cpu_rows,
cold_wall_rows, burst_rows, rss_rows), so that rows can be added without
touching the others.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

FAKES, TRASH, GIT_URL, BUILD = sys.argv[1:5]
RAXX = os.path.join(BUILD, "git-credential-raxx")
HOST = os.environ["RAXX_GITHUB_HOST"]
CACHE = os.environ["RAXX_CACHE_DIR"]
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
RTT = int(os.environ.get("BENCH_RTT_MS", "50"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "20"))
CONCURRENT = int(os.environ.get("BENCH_CONCURRENT", "32"))
ONESHOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oneshot_mint.py")
BOT = "raxx-dev-bot"
REQUEST = ("protocol=https\nhost=%s\n\n" % HOST).encode()
WT = os.path.join(TRASH, "wt")
DEVNULL = subprocess.DEVNULL


def run(argv, inp=None, env=None, cwd=WT, out=DEVNULL, check=True):
    return subprocess.run(argv, input=inp, stdout=out, stderr=subprocess.PIPE,
                          env=env, cwd=cwd, check=check)


def git_fill(helper):
    return ["git", "-c", "credential.helper=", "-c", "credential.helper=" + helper,
            "credential", "fill"]


def fake_config(name, fn):
    path = os.path.join(FAKES, name + ".json")
    with open(path) as f:
        c = json.load(f)
    fn(c)
    with open(path + ".tmp", "w") as f:
        json.dump(c, f)
    os.replace(path + ".tmp", path)


def log_events(name):
    with open(os.path.join(FAKES, name + ".log")) as f:
        return [json.loads(line) for line in f]


def counters():
    """(vault requests, GitHub requests, connections, mints) so far."""
    v, g = log_events("vault"), log_events("github")
    req = lambda evs: sum(1 for e in evs if e.get("method"))
    conn = lambda evs: sum(1 for e in evs if e.get("event") == "connect")
    mints = sum(1 for e in g if e.get("method") == "POST" and e.get("status") == 201
                and re.search(r"/access_tokens$", e.get("path", "")))
    return req(v), req(g), conn(v) + conn(g), mints


def delta(after, before):
    return tuple(a - b for a, b in zip(after, before))


def ms(ns):
    return ns / 1e6


def timed(argv, inp=None, env=None):
    t0 = time.perf_counter_ns()
    run(argv, inp, env, check=False)   # answers checked once, before
    return time.perf_counter_ns() - t0


def wipe_cache(tokens_only=False):
    """Drop the tokens, and unless tokens_only the vault session too (what
    makes a mint cold); the remembered git config stays, as it would."""
    if not os.path.isdir(CACHE):
        return
    for name in os.listdir(CACHE):
        if re.fullmatch(r"t-[0-9a-f]{32}", name) or \
                (not tokens_only and re.fullmatch(r"s-[0-9a-f]{32}", name)):
            os.unlink(os.path.join(CACHE, name))


def cpu_ms(argv, env=None):
    """User + system CPU of one run of argv and the children it waited
    for, in ms, and its exit status."""
    pid = os.posix_spawnp(argv[0], argv, env if env is not None else os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1000, os.waitstatus_to_exitcode(status)


def set_rtt(ms):
    for name in ("vault", "github"):
        fake_config(name, lambda c: c.update(rtt_ms=ms))


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))   # nearest rank
    return s[k]


def peak_rss_kib(argv, inp, env=None):
    """Peak RSS of one run: /usr/bin/time -v when it is GNU time, else
    getrusage in a fresh wrapper process (only that child counted)."""
    gnu = shutil.which("time") and os.path.exists("/usr/bin/time") and \
        subprocess.run(["/usr/bin/time", "-v", "true"], stdout=DEVNULL,
                       stderr=DEVNULL).returncode == 0
    if gnu:
        r = subprocess.run(["/usr/bin/time", "-v"] + argv, input=inp, stdout=DEVNULL,
                           stderr=subprocess.PIPE, env=env, cwd=WT)
        m = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        return int(m.group(1)), "/usr/bin/time -v"
    wrapper = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
               "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
               "print(r // 1024 if sys.platform == 'darwin' else r)\n")
    r = subprocess.run([sys.executable, "-c", wrapper] + argv, input=inp,
                       stdout=subprocess.PIPE, env=env, cwd=WT, check=True)
    return int(r.stdout), "getrusage"


def version(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=DEVNULL,
                              check=True).stdout.decode().splitlines()[0].strip()
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None


def setup():
    """A worktree, as an agent has (git reads its config there too), and a
    live token."""
    run(git_fill("raxx --bot " + BOT)[:-2] + ["clone", "-q", GIT_URL + "/raxx-app/demo.git", WT],
        cwd=TRASH)
    return run(["git-credential-raxx", "--bot", BOT, "token"], out=subprocess.PIPE).stdout.strip()


def warm_rows(rows, warm):
    """git credential fill, warm, through each helper; and its parts."""
    token = warm.decode()
    # the contenders, each primed with the same credential
    cred = REQUEST[:-1] + b"username=x-access-token\npassword=" + warm + b"\n\n"
    sock = os.path.join(TRASH, "cc", "socket")
    store = os.path.join(TRASH, "store-file")
    cache_helper = "cache --timeout 3600 --socket " + sock
    store_helper = "store --file " + store
    run(git_fill(cache_helper)[:-1] + ["approve"], cred)
    run(git_fill(store_helper)[:-1] + ["approve"], cred)
    gh_env = dict(os.environ, GH_HOST=HOST, GH_ENTERPRISE_TOKEN=token,
                  GH_CONFIG_DIR=os.path.join(TRASH, "gh-config"), GH_NO_UPDATE_NOTIFIER="1")
    contenders = [
        ("raxx (`credential.helper=raxx --bot %s`)" % BOT,
         git_fill("raxx --bot " + BOT), None),
        ("raxx, helper by absolute path (as setup writes it)", git_fill(RAXX + " --bot " + BOT),
         None),
        ("git credential-cache", git_fill(cache_helper), None),
        ("git credential-store", git_fill(store_helper), None),
    ]
    have_gh = shutil.which("gh") is not None
    if have_gh:
        contenders.append(("gh auth git-credential", git_fill("!gh auth git-credential"),
                           gh_env))
    for name, argv, env in contenders:   # each answers the token
        out = run(argv, REQUEST, env, out=subprocess.PIPE).stdout
        assert b"password=" + warm in out, (name, out)
    # where a warm raxx call spends its time
    bare = [("bare `git version`", ["git", "version"], None),
            ("raxx `get` alone, no git around it", [RAXX, "--bot", BOT, "get"], None),
            ("of which: raxx process start (`--version`)", [RAXX, "--version"], None),
            ("for scale: one `git config` read in the worktree (a warm `get` remembers it)",
             ["git", "config", "-z", "--show-scope", "--show-origin", "--list"], None)]

    before = counters()
    times = {name: [] for name, _, _ in contenders + bare}
    for _ in range(5):   # warm-up
        for name, argv, env in contenders + bare:
            timed(argv, REQUEST, env)
    for _ in range(RUNS):
        for name, argv, env in contenders + bare:
            times[name].append(timed(argv, REQUEST, env))
    warm_requests = sum(delta(counters(), before)[:2])
    med = {k: ms(statistics.median(v)) for k, v in times.items()}
    cc = med["git credential-cache"]
    for name, _, _ in contenders + bare:
        extra = ""
        if name.startswith("raxx") and "alone" not in name:
            extra = " (%.2f x credential-cache)" % (med[name] / cc)
        plain = name.startswith(("bare", "of which", "for scale")) or "alone" in name
        rows.append((name if plain else "warm fill: " + name,
                     "%.1f ms median%s" % (med[name], extra)))
    rows.append(("requests to the vault or GitHub during the warm runs", str(warm_requests)))
    return sock, gh_env if have_gh else None


def cold_cpu_rows(rows):
    """Client CPU of a cold mint: raxx against a one-shot script in the
    manner of the operator's original (tests/lib/oneshot_mint.py)."""
    set_rtt(0)
    raxx, script = [], []
    here = os.getcwd()
    os.chdir(WT)   # where git runs the helper
    for i in range(COLD_RUNS + 2):
        wipe_cache()
        r, rc = cpu_ms([RAXX, "--bot", BOT, "token"])
        assert rc == 0, "raxx token exited %d" % rc
        s, rc = cpu_ms([sys.executable, ONESHOT, BOT])
        assert rc == 0, "oneshot_mint.py exited %d" % rc
        if i >= 2:   # warm-up: page cache, the fakes' first requests
            raxx.append(r)
            script.append(s)
    os.chdir(here)
    r, s = statistics.median(raxx), statistics.median(script)
    rows.append(("cold mint, client CPU (user+sys, children included): raxx `token`",
                 "%.1f ms median of %d" % (r, COLD_RUNS)))
    rows.append(("cold mint, client CPU: a one-shot Python script (tests/lib/oneshot_mint.py)",
                 "%.1f ms median of %d" % (s, COLD_RUNS)))
    rows.append(("cold mint, client CPU: raxx / one-shot script", "%.2f" % (r / s)))


def cold_wall_rows(rows):
    """A cold mint on a slow network: BENCH_RTT_MS on every TLS handshake
    and every request, without and with the connection to GitHub opened
    while the vault answers."""
    set_rtt(RTT)
    for label, tokens_only, pre in (
            ("cold mint, without pre-connecting (RAXX_PRECONNECT=0)", False, "0"),
            ("cold mint, pre-connecting (the default)", False, "1"),
            ("re-mint with a live vault session, without pre-connecting", True, "0"),
            ("re-mint with a live vault session, pre-connecting", True, "1")):
        spent, shapes = [], set()
        env = dict(os.environ, RAXX_PRECONNECT=pre)
        for _ in range(5):
            if tokens_only:
                run([RAXX, "--bot", BOT, "token"])   # a live session for the next
            wipe_cache(tokens_only)
            b = counters()
            spent.append(timed([RAXX, "--bot", BOT, "token"], env=env))
            d = delta(counters(), b)
            shapes.add("%d requests (vault %d, GitHub %d) over %d TLS connections"
                       % (d[0] + d[1], d[0], d[1], d[2]))
        rows.append(("%s, %d ms a round trip" % (label, RTT),
                     "%.0f ms median; %s" % (ms(statistics.median(spent)),
                                             "; ".join(sorted(shapes)))))


def burst_rows(rows):
    """BENCH_CONCURRENT cold calls at once: one mints, the rest wait for
    it and reuse its token."""
    set_rtt(RTT)
    wipe_cache()
    b = counters()
    lat, errors = [], []
    gate = threading.Barrier(CONCURRENT)

    def one():
        gate.wait()
        t0 = time.perf_counter_ns()
        r = subprocess.run([RAXX, "--bot", BOT, "token"], stdout=subprocess.PIPE,
                           stderr=DEVNULL, cwd=WT)
        lat.append(time.perf_counter_ns() - t0)
        if r.returncode:
            errors.append(r.returncode)
        return r
    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    d = delta(counters(), b)
    rows.append(("%d concurrent cold calls, %d ms a round trip" % (CONCURRENT, RTT),
                 "%d mint%s, %d failures; p50 %.0f ms, p99 %.0f ms"
                 % (d[3], "" if d[3] == 1 else "s", len(errors),
                    ms(pct(lat, 50)), ms(pct(lat, 99)))))
    set_rtt(0)


def rss_rows(rows, sock, gh_env):
    """Memory of a warm get, and of the others' clients for scale."""
    run([RAXX, "--bot", BOT, "token"])
    rss, how = peak_rss_kib([RAXX, "--bot", BOT, "get"], REQUEST)
    rows.append(("peak RSS, warm `get` (%s)" % how, "%.1f MiB" % (rss / 1024)))
    rss_cc, _ = peak_rss_kib(["git", "credential-cache", "--socket", sock, "get"], REQUEST)
    rows.append(("peak RSS, `git credential-cache get` (for scale)", "%.1f MiB" % (rss_cc / 1024)))
    if gh_env:
        rss_gh, _ = peak_rss_kib(["gh", "auth", "git-credential", "get"], REQUEST, gh_env)
        rows.append(("peak RSS, `gh auth git-credential get` (for scale)",
                     "%.1f MiB" % (rss_gh / 1024)))
    rows += broker_rows(sock)
    subprocess.run(["git", "credential-cache", "--socket", sock, "exit"], stdout=DEVNULL,
                   stderr=DEVNULL, cwd=WT)


def main():
    rows = []
    warm = setup()
    sock, gh_env = warm_rows(rows, warm)
    cold_cpu_rows(rows)
    cold_wall_rows(rows)
    burst_rows(rows)
    rss_rows(rows, sock, gh_env)

    print("make bench: %s %s, %d CPUs; %s; %s; %s; %d warm runs each"
          % (platform.system(), platform.machine(), os.cpu_count() or 0,
             version([RAXX, "--version"]), version(["git", "--version"]),
             version(["gh", "--version"]) or "no gh", RUNS))
    print()
    print("| measurement | result |")
    print("|---|---|")
    for k, v in rows:
        print("| %s | %s |" % (k, v))


# ---------------------------------------------------------------- the broker
#
# The token broker's rows, kept apart from the rows above: a warm fill
# through the broker against the same fill through the sealed cache and
# git's credential-cache (interleaved, helpers by absolute path), and the
# re-mint the broker makes with the App key held: one request to GitHub.

def broker_rows(cc_sock):
    import signal
    rows = []
    bsock = os.path.join(TRASH, "broker", "broker.sock")
    benv = dict(os.environ, RAXX_BROKER_SOCKET=bsock)
    broker = subprocess.Popen([RAXX, "broker"], env=benv, stdout=DEVNULL,
                              stderr=open(os.path.join(TRASH, "broker.err"), "w"),
                              cwd=TRASH)
    client = {k: v for k, v in benv.items()
              if not k.startswith(("INFISICAL_", "CF_ACCESS_"))}
    try:
        for _ in range(200):   # until it answers
            if run([RAXX, "status"], env=client, check=False).returncode == 0:
                break
            time.sleep(0.05)
        token = run([RAXX, "--bot", BOT, "token"], env=client, out=subprocess.PIPE).stdout.strip()
        cred = REQUEST[:-1] + b"username=x-access-token\npassword=" + token + b"\n\n"
        run(git_fill("cache --timeout 3600 --socket " + cc_sock)[:-1] + ["approve"], cred)
        run([RAXX, "--bot", BOT, "token"])   # the sealed cache, warm too
        contenders = [
            ("warm fill through the broker, helper by absolute path",
             git_fill(RAXX + " --bot " + BOT), client, token),
            ("warm fill through the sealed cache, helper by absolute path",
             git_fill(RAXX + " --bot " + BOT), None, None),
            ("warm fill through git credential-cache",
             git_fill("cache --timeout 3600 --socket " + cc_sock), None, token),
        ]
        for name, argv, env, want in contenders:
            out = run(argv, REQUEST, env, out=subprocess.PIPE).stdout
            assert b"password=" in out and (want is None or b"password=" + want in out), (name, out)
        times = {name: [] for name, _, _, _ in contenders}
        before = counters()
        for _ in range(5):
            for name, argv, env, _ in contenders:
                timed(argv, REQUEST, env)
        for _ in range(RUNS):
            for name, argv, env, _ in contenders:
                times[name].append(timed(argv, REQUEST, env))
        warm_requests = sum(delta(counters(), before)[:2])
        med = {k: ms(statistics.median(v)) for k, v in times.items()}
        cc = med["warm fill through git credential-cache"]
        for name, _, _, _ in contenders:
            extra = "" if "credential-cache" in name else \
                " (%.2f x credential-cache)" % (med[name] / cc)
            rows.append((name, "%.1f ms median%s" % (med[name], extra)))
        rows.append(("requests to the vault or GitHub during those warm runs",
                     str(warm_requests)))

        # re-mints: the token revoked (not timed), then minted again
        set_rtt(RTT)
        spent, shapes = [], set()
        for _ in range(5):
            run([RAXX, "--bot", BOT, "revoke"], env=client)
            b = counters()
            spent.append(timed([RAXX, "--bot", BOT, "token"], env=client))
            d = delta(counters(), b)
            shapes.add("%d request%s (vault %d, GitHub %d) over %d new TLS connections"
                       % (d[0] + d[1], "" if d[0] + d[1] == 1 else "s", d[0], d[1], d[2]))
        rows.append(("re-mint through the broker with the App key held, %d ms a round trip"
                     % RTT, "%.0f ms median; %s" % (ms(statistics.median(spent)),
                                                    "; ".join(sorted(shapes)))))
        set_rtt(0)
    finally:
        broker.send_signal(signal.SIGTERM)
        rc = broker.wait(timeout=30)
        assert rc == 0, "the broker exited %d" % rc
    return rows


if __name__ == "__main__":
    main()
