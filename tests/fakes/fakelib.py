"""Shared plumbing for the local HTTPS fakes (vault, GitHub).

Python 3 standard library only. Loopback only.

What every fake gets from here:
  * an HTTP/1.1 keep-alive server over TLS, one thread per connection,
    bound to 127.0.0.1 (port 0 = any free port, or --port);
  * --port-file / --pid-file written (atomically) only once listening;
  * a clean exit on SIGTERM / SIGINT;
  * one JSON line per request appended to --log, plus {"event":"connect"}
    at every new TLS connection, so tests can count requests and handshakes
    (each request line says whether an Authorization header came, never
    its value);
  * the JSON --config re-read on every request, with the common keys
    "latency_ms" (sleep before answering), "rtt_ms" (a round trip of a
    slow network: slept once after each TLS handshake and once before
    each answer) and "hang" (never answer);
    "barrier" {"request": "GET /path", "count": N, "timeout_s": S} holds
    such requests until N are in at once (logged "barrier": "met"), or S
    seconds passed ("timeout"): proof that requests overlap, untimed;
    "gate" {"request": "METHOD /path-prefix", "file": F, "timeout_s": S}
    holds such requests (logging an "gate-held" event first) until file F
    exists: a test acts while a request is in flight, untimed;
  * bodies read whole (Content-Length or chunked) before routing, so an
    early error answer never desynchronises a keep-alive connection;
  * the fault table: "behavior" {KEY: NAME} in the config makes the
    requests of KEY fail as NAME says (see FaultTable), and
    "behavior.fail_times" (N, or {KEY: N}) makes that the first N only.

A fake subclasses FakeHandler, sets `srv_name` and `faults` (its
FaultTable), implements `route(cfg) -> Response`, and ends with
`sys.exit(fakelib.main(ItsHandler, __doc__))`.
"""

import argparse
import base64
import email.utils
import hashlib
import json
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")

# Query keys whose values must never reach the log.
SECRET_QUERY_KEYS = {"access_token", "token", "clientsecret", "client_secret", "secret", "password"}


# ---------------------------------------------------------------- small helpers

def sha256_hex(s):
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return hashlib.sha256(s).hexdigest()


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_decode_strict(s):
    """Decode unpadded base64url; refuse padding and foreign characters."""
    if not s or any(c not in _B64URL for c in s) or len(s) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def atomic_write(path, data):
    """Write via temp file + rename, so readers never see half a file."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp.", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json_file(path, default=None, tries=10):
    """Read a JSON file that another process may be rewriting in place.

    Tests should rewrite atomically, but `cat >cfg` truncates first: retry a
    few times on a half-written file before giving up.
    """
    for i in range(tries):
        try:
            with open(path, "rb") as f:
                raw = f.read()
            return json.loads(raw.decode("utf-8"))
        except FileNotFoundError:
            return default
        except (ValueError, UnicodeDecodeError):
            if i == tries - 1:
                raise
            time.sleep(0.02)
    return default


def iso_utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def iso_ms(epoch):
    """Infisical-style timestamp: 2024-01-02T03:04:05.678Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % (int(epoch * 1000) % 1000)


# ---------------------------------------------------------------- responses

class Response:
    """What a route returns. `log` holds extra (non-secret!) log fields."""

    def __init__(self, status, body=b"", ctype="application/json; charset=utf-8",
                 headers=None, note="", log=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.ctype = ctype
        self.headers = list(headers or [])
        self.note = note
        self.log = dict(log or {})


def json_response(status, obj, headers=None, note="", log=None):
    return Response(status, json.dumps(obj, indent=None, separators=(",", ":")) + "\n",
                    headers=headers, note=note, log=log)


def text_response(status, text, ctype="text/plain; charset=utf-8", headers=None, note="", log=None):
    return Response(status, text, ctype=ctype, headers=headers, note=note, log=log)


class BadRequestBody(Exception):
    pass


# ---------------------------------------------------------------- faults

JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html"


class Hang(Exception):
    """Raised while handling a request: never answer it (a dead server)."""


class Close(Exception):
    """Raised while handling a request: drop the connection, no answer."""


class Fault:
    """One way a fake fails on purpose: an answer (status, body, content
    type, headers) or an action instead of one:
      "hang"   never answer (the client must time out)
      "close"  drop the connection without an answer
      "shape"  answer normally, but the route shapes the answer by the
               fault's name (e.g. a token holding a newline)
    A body is bytes, text, or a dict/list sent as compact JSON; a body or
    the headers may also be a function of the handler (a fresh request id,
    the Host the client used)."""

    def __init__(self, status=None, body=b"", ctype=JSON, headers=(), action=None):
        assert (status is None) == (action is not None), "a status or an action"
        assert action in (None, "hang", "close", "shape"), action
        self.status, self.body, self.ctype = status, body, ctype
        self.headers, self.action = headers, action

    def answer(self, handler, note):
        """The Response; raises Hang or Close; None for a "shape" fault."""
        if self.action == "hang":
            raise Hang(note)
        if self.action == "close":
            raise Close(note)
        if self.action == "shape":
            return None
        body = self.body(handler) if callable(self.body) else self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")) + "\n"
        headers = self.headers(handler) if callable(self.headers) else self.headers
        return Response(self.status, body, ctype=self.ctype, headers=headers, note=note)


def text_fault(status, text, ctype=TEXT, headers=()):
    return Fault(status, text, ctype=ctype, headers=headers)


SHAPE = Fault(action="shape")

# What every fake can be told, whatever the key.
COMMON_FAULTS = {"hang": Fault(action="hang"), "close": Fault(action="close")}


class FaultTable:
    """The failures a fake can be told to show: behavior {KEY: NAME}.

    KEY names a kind of request (the fake's `keys`: "login", "secrets",
    "access_tokens", ...); NAME is looked up in KEY's own entries
    (`by_key`), then in the fake's (`faults`), then in COMMON_FAULTS. A
    NAME found nowhere, or a KEY the fake does not have, is a loud error
    (HTTP 500, note "bad-behavior"): a typo never passes for "behave
    normally". `note` is the log note of a forced answer ({key}, {name}).
    """

    def __init__(self, keys, faults, by_key=None, note="forced:{key}:{name}"):
        self.keys = frozenset(keys)
        self.faults = dict(COMMON_FAULTS, **faults)
        self.by_key = dict(by_key or {})
        self.note = note
        assert set(self.by_key) <= self.keys, set(self.by_key) - self.keys

    def lookup(self, key, name):
        if not isinstance(name, str):
            return None
        mine = self.by_key.get(key) or {}
        return mine[name] if name in mine else self.faults.get(name)

    def unknown_keys(self, behavior):
        """The keys of a behavior object this fake does not have."""
        if not isinstance(behavior, dict):
            return ["(behavior is not an object)"]
        return sorted(set(behavior) - self.keys - {"fail_times", "fail_id"})


# ---------------------------------------------------------------- log

class JsonLog:
    """A JSON-lines log: one O_APPEND write per line, so lines stay whole
    across threads and across processes sharing the file. No path: no log."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()

    def write(self, obj):
        if not self.path:
            return
        line = (json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


# ---------------------------------------------------------------- server

class TLSServer(ThreadingHTTPServer):
    """ThreadingHTTPServer whose connections speak TLS.

    The handshake runs in the connection's own thread (not in accept), so a
    client that stalls or rejects our certificate cannot block the others.
    """

    daemon_threads = True          # a "hang" request must not block exit

    def barrier_wait(self, barrier):
        """Hold a request until barrier["count"] of its kind are here at
        once (then "met"), or barrier["timeout_s"] passed ("timeout"): a
        test proves requests overlap without timing anything."""
        with self._barrier_cv:
            self._barrier_n += 1
            self._barrier_cv.notify_all()
            met = self._barrier_cv.wait_for(lambda: self._barrier_n >= int(barrier.get("count", 2)),
                                            timeout=float(barrier.get("timeout_s", 20)))
        return "met" if met else "timeout"
    allow_reuse_address = True
    request_queue_size = 128       # tests start many helpers at once

    def __init__(self, addr, handler, args, srv_name):
        self.args = args
        self.srv_name = srv_name
        self.ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ssl_ctx.load_cert_chain(args.cert, args.key)
        # We only speak HTTP/1.1; say so, so clients offering h2 settle at once.
        self.ssl_ctx.set_alpn_protocols(["http/1.1"])
        self._conn_lock = threading.Lock()
        self._conn_serial = 0
        self._barrier_cv = threading.Condition()
        self._barrier_n = 0
        self.log = JsonLog(args.log)
        self.state_lock = threading.RLock()   # for fakes' own shared state
        self._fail_counts = {}
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # An answer goes out in several writes (head, body): without this,
        # Nagle holds the body until the client's delayed ACK, 40 ms on
        # Linux, and every request looks that much slower than it is.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ssl_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def next_conn(self):
        with self._conn_lock:
            self._conn_serial += 1
            return self._conn_serial

    def handle_error(self, request, client_address):
        # Clients hanging up or refusing our cert are routine in tests.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, socket.timeout, BrokenPipeError)):
            return
        sys.stderr.write("%s: error on connection from %s:\n" % (self.srv_name, client_address))
        traceback.print_exc()

    # -- log

    def log_json(self, obj):
        self.log.write(obj)

    # -- config

    def load_config(self):
        cfg = read_json_file(self.args.config, default={})
        if not isinstance(cfg, dict):
            raise ValueError("config is not a JSON object")
        return cfg

    def forced_name(self, cfg, key):
        """The name behavior.KEY forces, or None, honouring fail_times.

        behavior.fail_times (an int, or {key: int}) applies the failure only to
        the first N requests that would get it; then the fake behaves normally.
        Counters live in memory, keyed by (key, value, N, behavior.fail_id):
        change any of them (e.g. bump "fail_id") to start counting afresh.
        """
        beh = cfg.get("behavior") or {}
        v = beh.get(key, "ok")
        if v in (None, "ok", ""):
            return None
        n = beh.get("fail_times")
        if isinstance(n, dict):
            n = n.get(key)
        if n is None:
            return v
        ck = (key, json.dumps(v, sort_keys=True), n, json.dumps(beh.get("fail_id")))
        with self.state_lock:
            c = self._fail_counts.get(ck, 0)
            self._fail_counts[ck] = c + 1
        return v if c < int(n) else None


# ---------------------------------------------------------------- handler

class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive; every answer has Content-Length
    server_version = "raxx-fake"
    sys_version = ""
    timeout = 120                   # idle keep-alive connections go away eventually
    srv_name = "fake"
    faults = FaultTable(keys=(), faults={})   # each fake has its own

    @classmethod
    def add_arguments(cls, parser):
        """A fake's own command-line options, beside arg_parser's."""

    # -- connection

    def setup(self):
        super().setup()
        self.conn = self.server.next_conn()
        self.clock_offset = 0
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            # Still a connection attempt: tests may want to see it refused.
            self.server.log_json({"t": time.time(), "event": "connect", "conn": self.conn,
                                  "srv": self.srv_name, "tls": "error",
                                  "reason": type(e).__name__ + ": " + str(e)[:200]})
            raise
        self.server.log_json({"t": time.time(), "event": "connect", "conn": self.conn,
                              "srv": self.srv_name, "tls": "ok",
                              "version": self.request.version()})
        self.sleep_rtt()

    def sleep_rtt(self):
        """One round trip of the network the config pretends to be."""
        try:
            rtt = self.server.load_config().get("rtt_ms") or 0
        except Exception:   # a broken config is reported by the request
            rtt = 0
        if rtt:
            time.sleep(rtt / 1000.0)

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass   # the JSON log replaces the default stderr chatter

    def date_time_string(self, timestamp=None):
        # GitHub fake: its Date header follows its (possibly skewed) clock.
        if timestamp is None:
            timestamp = time.time() + self.clock_offset
        return email.utils.formatdate(timestamp, usegmt=True)

    # -- body

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            return self._read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise BadRequestBody("bad Content-Length")
        if n < 0:
            raise BadRequestBody("bad Content-Length")
        data = self.rfile.read(n)
        if len(data) != n:
            raise BadRequestBody("short body")
        return data

    def _read_chunked(self):
        out = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise BadRequestBody("eof in chunked body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequestBody("bad chunk size")
            if size == 0:
                # trailers, up to the blank line
                while True:
                    t = self.rfile.readline(65537)
                    if t in (b"\r\n", b"\n", b""):
                        break
                return b"".join(out)
            data = self.rfile.read(size)
            if len(data) != size:
                raise BadRequestBody("short chunk")
            out.append(data)
            self.rfile.readline(3)   # CRLF after the chunk

    # -- dispatch

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self):
        t0 = time.time()
        split = urlsplit(self.path)
        self.req_path = split.path
        self.query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.raw_query = split.query
        self.auth_state = None    # "ok" / "bad" / "none" once a route decides
        self.cfg = {}
        # whether an Authorization header arrived at all (never its value):
        # tests prove a credential was not sent somewhere
        base_log = {"t": t0, "conn": self.conn, "srv": self.srv_name, "method": self.command,
                    "path": self.req_path, "query": self._loggable_query(),
                    "ua": self.headers.get("User-Agent"),
                    "authorization": self.headers.get("Authorization") is not None}
        try:
            self.body = self.read_body()
        except BadRequestBody as e:
            self.close_connection = True
            self._send(text_response(400, "bad request body: %s\n" % e), base_log)
            return

        try:
            cfg = self.server.load_config()
        except Exception as e:   # a broken config is the test's bug: say so loudly
            self._send(text_response(500, "fake config unreadable: %s\n" % e, note="config-error"), base_log)
            return

        unknown = self.faults.unknown_keys(cfg.get("behavior") or {})
        if unknown:   # a typo must not pass for "behave normally"
            self._send(text_response(500, "fake %s: unknown behavior key %s\n"
                                     % (self.srv_name, ", ".join(unknown)), note="bad-behavior"), base_log)
            return

        self.cfg = cfg
        self.clock_offset = cfg.get("clock_offset", 0) or 0
        if cfg.get("hang"):
            self.hang(base_log, "hang")
            return
        lat = (cfg.get("latency_ms") or 0) + (cfg.get("rtt_ms") or 0)
        if lat:
            time.sleep(lat / 1000.0)
        barrier = cfg.get("barrier")
        if barrier and self.command + " " + self.req_path == barrier.get("request"):
            base_log["barrier"] = self.server.barrier_wait(barrier)
        gate = cfg.get("gate")
        if gate and (self.command + " " + self.req_path).startswith(gate.get("request", "")):
            # logged before it waits, so a test sees the request held
            self.server.log_json({"event": "gate-held", "t": time.time(),
                                  "method": self.command, "path": self.req_path})
            deadline = time.time() + float(gate.get("timeout_s", 30))
            while not os.path.exists(gate["file"]) and time.time() < deadline:
                time.sleep(0.02)

        try:
            resp = self.route(cfg)
        except Hang as e:
            self.hang(base_log, str(e))
            return
        except Close as e:
            self.server.log_json(dict(base_log, status=None, note=str(e)))
            self.close_connection = True
            return
        except Exception:
            traceback.print_exc()
            resp = text_response(500, "fake crashed; see its stderr\n", note="exception")
        if resp is None:      # route already answered
            return
        self._send(resp, base_log)

    def hang(self, base_log, note):
        """A dead server: the request accepted (and logged), never answered."""
        self.server.log_json(dict(base_log, status=None, note=note))
        time.sleep(3600)
        self.close_connection = True

    def forced(self, cfg, key):
        """What behavior.KEY forces on this request (see FaultTable): None
        (answer normally), a Response to send, or the name of a "shape"
        fault for the route to apply. A "hang" or "close" fault raises
        Hang or Close, which the dispatcher carries out."""
        assert key in self.faults.keys, key
        name = self.server.forced_name(cfg, key)
        if name is None:
            return None
        fault = self.faults.lookup(key, name)
        if fault is None:
            return text_response(500, "fake %s: unknown behavior %r for %s\n" % (self.srv_name, name, key),
                                 note="bad-behavior")
        r = fault.answer(self, self.faults.note.format(key=key, name=name))
        return name if r is None else r

    def _send(self, resp, base_log):
        # logged before the answer goes out: a client that has its answer
        # finds its request in the log, so no test waits for the log
        entry = dict(base_log)
        entry["status"] = resp.status
        entry["note"] = resp.note or ""
        if self.auth_state is not None:
            entry["auth"] = self.auth_state
        entry.update(resp.log)
        entry.update(self.extra_log(resp))
        self.server.log_json(entry)
        self.send_response(resp.status)
        if resp.ctype and resp.status != 204:
            self.send_header("Content-Type", resp.ctype)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0" if resp.status in (204, 304) else str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and resp.status not in (204, 304):
            self.wfile.write(resp.body)
        self.wfile.flush()

    def extra_log(self, resp):
        """More (non-secret!) log fields about a whole exchange; a fake may
        override it, e.g. to log bodies for a schema check."""
        return {}

    def _loggable_query(self):
        return {k: ("<redacted>" if k.lower() in SECRET_QUERY_KEYS else v) for k, v in self.query.items()}

    def route(self, cfg):
        raise NotImplementedError

    # -- helpers for routes

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def body_json(self):
        """Parse the body as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def body_object(self):
        """The body as a JSON object; None when it is not one."""
        try:
            body = self.body_json()
        except ValueError:     # UnicodeDecodeError is one
            return None
        return body if isinstance(body, dict) else None

    def authorization(self):
        """(the Authorization header or "", its scheme, its credential)."""
        h = self.header("Authorization") or ""
        scheme, _, cred = h.partition(" ")
        return h, scheme, cred.strip()

    def host_base(self):
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        return "https://" + host


# ---------------------------------------------------------------- main

def arg_parser(description, tls=True):
    """The options every fake takes; tls=False: a plain TCP fake, no config."""
    p = argparse.ArgumentParser(description=description)
    if tls:
        p.add_argument("--cert", required=True, help="server certificate (PEM)")
        p.add_argument("--key", required=True, help="server private key (PEM)")
        p.add_argument("--config", required=True, help="JSON config, re-read on every request")
    p.add_argument("--log", help="JSON-lines request log (appended)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--pid-file", help="write the pid here once listening")
    return p


def loopback(args, srv_name):
    """The address to bind: loopback only, whatever --host says."""
    if args.host not in LOOPBACK:
        sys.exit("%s: refusing to bind %s: loopback only" % (srv_name, args.host))
    return ("127.0.0.1" if args.host == "localhost" else args.host), args.port


def run(server, args):
    """Serve until SIGTERM or SIGINT (then exit 0), having written the pid
    and port files once listening."""
    def on_term(signum, frame):
        # shutdown() waits for serve_forever() to return: run it off this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    # Only now, listening, tell the world: pid first, so a test that sees the
    # port file can rely on the pid file too.
    if args.pid_file:
        atomic_write(args.pid_file, "%d\n" % os.getpid())
    if args.port_file:
        atomic_write(args.port_file, "%d\n" % server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


def main(handler_cls, doc):
    """A fake's whole main: its options (the common ones and the handler's
    add_arguments), then serve; `doc` is the fake's module docstring, whose
    first line describes it."""
    p = arg_parser(doc.strip().splitlines()[0])
    handler_cls.add_arguments(p)
    args = p.parse_args()
    name = handler_cls.srv_name
    return run(TLSServer(loopback(args, name), handler_cls, args, name), args)
