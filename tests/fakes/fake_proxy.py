#!/usr/bin/env python3
"""Local fake of an HTTP proxy that only tunnels: CONNECT, nothing else.

What a corporate egress proxy does for HTTPS: the client sends
`CONNECT host:port`, the proxy answers 200 and relays bytes both ways, so
TLS runs end to end and the proxy never sees a request header of the
tunnelled request. Anything but CONNECT is refused (405), as is a target
that is not a loopback address (403): this fake never reaches out.

One JSON line per CONNECT (or refusal) in --log:
  {"t", "method", "target", "status", "headers": [lower-case names],
   "authorization": bool, "proxy_authorization": bool, "note"}
Header values are never logged (a Proxy-Authorization holds a password).

--auth USER:PASSWORD requires Proxy-Authorization: Basic (else 407).
Python 3 standard library only; plain TCP on 127.0.0.1.
"""

import base64
import os
import select
import socket
import socketserver
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import LOOPBACK  # noqa: E402

MAX_HEAD = 64 * 1024


def read_head(sock):
    """The request line and headers, up to the blank line (capped)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return None, b""
        buf += chunk
        if len(buf) > MAX_HEAD:
            return None, b""
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def relay(a, b):
    """Copy bytes both ways until one side closes."""
    socks = [a, b]
    try:
        while True:
            r, _, x = select.select(socks, [], socks, 300)
            if x or not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


class ProxyHandler(socketserver.BaseRequestHandler):
    def answer(self, status, reason, extra=""):
        self.request.sendall(("HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n" % (status, reason, extra)).encode("ascii"))

    def handle(self):
        args = self.server.args
        self.request.settimeout(30)
        try:
            head, rest = read_head(self.request)
        except OSError:
            return
        if head is None:
            return
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        method = parts[0] if parts else ""
        target = parts[1] if len(parts) > 1 else ""
        names, auth_ok = [], args.auth is None
        has_auth = has_pauth = False
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            names.append(k)
            if k == "authorization":
                has_auth = True
            if k == "proxy-authorization":
                has_pauth = True
                scheme, _, cred = v.partition(" ")
                if args.auth is not None and scheme.lower() == "basic":
                    try:
                        auth_ok = base64.b64decode(cred.strip(), validate=True).decode() == args.auth
                    except (ValueError, UnicodeDecodeError):
                        auth_ok = False
        entry = {"t": time.time(), "method": method, "target": target, "headers": sorted(names),
                 "authorization": has_auth, "proxy_authorization": has_pauth}

        def done(status, note):
            entry.update(status=status, note=note)
            self.server.log.write(entry)

        if method != "CONNECT":
            done(405, "not-connect")
            self.answer(405, "Method Not Allowed", "Allow: CONNECT\r\n")
            return
        if not auth_ok:
            done(407, "proxy-auth-required")
            self.answer(407, "Proxy Authentication Required",
                        'Proxy-Authenticate: Basic realm="fake-proxy"\r\n')
            return
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if host not in LOOPBACK or not port.isdigit():
            done(403, "target-not-loopback")
            self.answer(403, "Forbidden")
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            done(502, "upstream-unreachable")
            self.answer(502, "Bad Gateway")
            return
        done(200, "tunnel")
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.request.settimeout(None)
        upstream.settimeout(None)
        try:
            if rest:
                upstream.sendall(rest)
            relay(self.request, upstream)
        finally:
            upstream.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        self.args = args
        self.log = fakelib.JsonLog(args.log)
        super().__init__(fakelib.loopback(args, "proxy"), ProxyHandler)


def main():
    p = fakelib.arg_parser(__doc__.strip().splitlines()[0], tls=False)
    p.add_argument("--auth", help="USER:PASSWORD required as Proxy-Authorization: Basic")
    args = p.parse_args()
    return fakelib.run(ProxyServer(args), args)


if __name__ == "__main__":
    sys.exit(main())
