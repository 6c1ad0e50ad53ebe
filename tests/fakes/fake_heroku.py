#!/usr/bin/env python3
"""Local HTTPS fake of the Heroku Platform API's GET /account.

Config (JSON, re-read on every request):
  keys       {"<sha256 hex of an API key>": {"id": "<uuid>", "email": "...",
               "suspended"?: false}}
  behavior   {"account": 401-legacy|429|500|503|hang|close,
              "fail_times": N or {key: N}, "fail_id": any}   (FAULTS below)
  latency_ms, hang   see fakelib
Routes:
  GET /account   Accept: application/vnd.heroku+json; version=3 is required
                 (406 not_acceptable without it); Authorization: Bearer KEY.
Errors are {"id", "message"} as the Platform API answers them: 401
unauthorized "Invalid credentials provided.", 403 suspended, 429 rate_limit;
"401-legacy" answers the very old {"error": ...} shape. Keys are kept as
sha256 only, and the log never holds one.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import json_response, sha256_hex  # noqa: E402

ACCEPT = "application/vnd.heroku+json; version=3"


def hk_error(status, eid, message, note, headers=None):
    return json_response(status, {"id": eid, "message": message}, note=note, headers=headers)


# What behavior.account can force.
FAULTS = fakelib.FaultTable(keys=("account",), faults={
    "401-legacy": fakelib.Fault(401, {"error": "Invalid credentials provided."}),
    "429": fakelib.Fault(429, {"id": "rate_limit", "message": "Your account reached the API rate limit. "
                               "Please wait a few minutes before making new requests."},
                         headers=[("RateLimit-Remaining", "0")]),
    "500": fakelib.Fault(500, {"id": "internal_server_error", "message": "Internal server error."}),
    "503": fakelib.Fault(503, {"id": "unavailable", "message": "Internal server error."}),
})


class HerokuHandler(fakelib.FakeHandler):
    srv_name = "heroku"
    server_version = "Heroku"
    faults = FAULTS

    def route(self, cfg):
        if self.req_path != "/account":
            return hk_error(404, "not_found", "The requested API endpoint was not found.", "no-route")
        if self.command != "GET":
            return hk_error(405, "method_not_allowed", "Method not allowed.", "bad-method")
        accept = [a.strip() for a in (self.header("Accept") or "").split(",")]
        if ACCEPT not in accept:
            return hk_error(406, "not_acceptable", "The requested API version is not available. "
                            "Please specify Accept: application/vnd.heroku+json; version=3.", "bad-accept")
        r = self.forced(cfg, "account")
        if r:
            return r
        h, scheme, key = self.authorization()
        if scheme.lower() != "bearer" or not key:
            self.auth_state = "none" if not h else "bad"
            return hk_error(401, "unauthorized", "Invalid credentials provided.", "no-or-bad-auth")
        rec = (cfg.get("keys") or {}).get(sha256_hex(key))
        if rec is None:
            self.auth_state = "bad"
            return hk_error(401, "unauthorized", "Invalid credentials provided.", "unknown-key")
        self.auth_state = "ok"
        if rec.get("suspended"):
            return hk_error(403, "suspended", "This account has been suspended.", "suspended")
        acct = {"id": rec.get("id", "00000000-0000-0000-0000-000000000000"), "email": rec.get("email", ""),
                "name": rec.get("name"), "allow_tracking": False, "beta": False, "verified": True,
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "last_login": "2026-01-01T00:00:00Z", "two_factor_authentication": True}
        return json_response(200, acct, note="account:%s" % rec.get("email", "?"),
                             headers=[("RateLimit-Remaining", "4499")])


if __name__ == "__main__":
    sys.exit(fakelib.main(HerokuHandler, __doc__))
