#!/usr/bin/env python3
"""Local HTTPS fake of Cloudflare's API token verification.

Config (JSON, re-read on every request):
  tokens     {"<sha256 hex of a token>": {"id": "<32 hex>",
                "status": "active"|"disabled"|"expired",
                "owner": "user"|"account", "account": "<account id>",
                "expires_on"?: "2026-01-01T00:00:00Z"}}
  behavior   {"verify": 500|502|html403|1010|badjson|hang|close,
              "fail_times": N or {key: N}, "fail_id": any}   (FAULTS below)
  latency_ms, hang   see fakelib
Routes (under /client/v4):
  GET /user/tokens/verify                 user-owned tokens
  GET /accounts/{account_id}/tokens/verify account-owned tokens
Answers as Cloudflare does: 200 {"success":true,"errors":[],"messages":[...],
"result":{"id","status"[,"expires_on"]}}; 401 code 1000 "Invalid API Token"
for an unknown token or one owned elsewhere (an account token at the user
endpoint); 403 "error code: 1010" (text) without a User-Agent. Tokens are
kept as sha256 only, and the log never holds one.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import json_response, sha256_hex, text_response  # noqa: E402


# What behavior.verify can force.
FAULTS = fakelib.FaultTable(keys=("verify",), faults={
    "500": fakelib.text_fault(500, "<html><body>500</body></html>\n", ctype=fakelib.HTML),
    "502": fakelib.text_fault(502, "<html><body>502</body></html>\n", ctype=fakelib.HTML),
    "html403": fakelib.text_fault(403, "<html><body>Forbidden</body></html>\n", ctype=fakelib.HTML),
    "1010": fakelib.text_fault(403, "error code: 1010"),    # its firewall
    "badjson": fakelib.Fault(200, '{"success": tru'),
})


def cf_error(status, code, message, note):
    return json_response(status, {"success": False, "errors": [{"code": code, "message": message}],
                                  "messages": [], "result": None}, note=note)


class CloudflareHandler(fakelib.FakeHandler):
    srv_name = "cloudflare"
    server_version = "cloudflare"
    faults = FAULTS

    def route(self, cfg):
        p = self.req_path
        if not p.startswith("/client/v4/"):
            return cf_error(404, 7003, "Could not route to %s, perhaps your object identifier is invalid?" % p,
                            "no-route")
        if not (self.header("User-Agent") or "").strip():
            return text_response(403, "error code: 1010", note="no-user-agent")
        segs = p[len("/client/v4/"):].split("/")
        if self.command != "GET":
            return cf_error(405, 10000, "Method not allowed", "bad-method")
        if segs == ["user", "tokens", "verify"]:
            return self.verify(cfg, "user", None)
        if len(segs) == 4 and segs[0] == "accounts" and segs[2:] == ["tokens", "verify"]:
            return self.verify(cfg, "account", segs[1])
        return cf_error(404, 7003, "Could not route to %s, perhaps your object identifier is invalid?" % p,
                        "no-route")

    def verify(self, cfg, owner, account):
        r = self.forced(cfg, "verify")
        if r:
            return r
        h, scheme, tok = self.authorization()
        if not h:
            self.auth_state = "none"
            return cf_error(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers", "no-auth")
        if scheme != "Bearer" or not tok:
            self.auth_state = "bad"
            return cf_error(400, 6003, "Invalid request headers", "bad-auth-scheme")
        rec = (cfg.get("tokens") or {}).get(sha256_hex(tok))
        if rec is None:
            self.auth_state = "bad"
            return cf_error(401, 1000, "Invalid API Token", "unknown-token")
        if rec.get("owner", "user") != owner or (owner == "account" and rec.get("account") != account):
            self.auth_state = "bad"
            return cf_error(401, 1000, "Invalid API Token", "owner-mismatch:%s" % rec.get("owner", "user"))
        self.auth_state = "ok"
        status = rec.get("status", "active")
        result = {"id": rec.get("id", "0" * 32), "status": status}
        if rec.get("expires_on"):
            result["expires_on"] = rec["expires_on"]
        msg = "This API Token is valid and active" if status == "active" else "This API Token is %s" % status
        return json_response(200, {"success": True, "errors": [],
                                   "messages": [{"code": 10000, "message": msg, "type": None}],
                                   "result": result}, note="verified:%s:%s" % (rec.get("id", "?")[:8], status))


if __name__ == "__main__":
    sys.exit(fakelib.main(CloudflareHandler, __doc__))
