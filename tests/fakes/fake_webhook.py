#!/usr/bin/env python3
"""Local HTTPS fake of a chat webhook, Slack or Discord style, for
contrib/raxx-alert-webhook.sh.

Config (JSON, re-read on every request):
  hooks      ["<path>", ...]  the webhook paths that exist, e.g.
             "/services/T0/B0/SECRET" (Slack) or "/api/webhooks/1/SECRET"
             (Discord); anything else answers 404
  behavior   {"post": 500|hang|close, "fail_times": N, "fail_id": any}
  latency_ms, hang   see fakelib
Routes:
  POST <hook>  Content-Type: application/json, a JSON object. Slack style
               (/services/...) needs a string "text" and answers 200 "ok";
               Discord style (/api/webhooks/...) needs a string "content" of
               at most 2000 characters and answers 204. Accepted payloads are
               logged whole as "payload" (they are reports, never secrets);
               the path is logged too, so the log is not for leak scans.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import json_response, text_response  # noqa: E402


# What behavior.post can force.
FAULTS = fakelib.FaultTable(keys=("post",), faults={
    "500": fakelib.text_fault(500, "internal error\n"),
})


class WebhookHandler(fakelib.FakeHandler):
    srv_name = "webhook"
    server_version = "webhook-fake"
    faults = FAULTS

    def route(self, cfg):
        if self.req_path not in (cfg.get("hooks") or []):
            return text_response(404, "no_service\n", note="no-such-hook")
        if self.command != "POST":
            return text_response(405, "method not allowed\n", note="bad-method")
        r = self.forced(cfg, "post")
        if r:
            return r
        if (self.header("Content-Type") or "").split(";")[0].strip() != "application/json":
            return text_response(400, "invalid_payload\n", note="bad-content-type")
        try:
            body = self.body_json()
        except (ValueError, UnicodeDecodeError):
            return text_response(400, "invalid_payload\n", note="bad-json")
        discord = self.req_path.startswith("/api/webhooks/")
        key = "content" if discord else "text"
        if not isinstance(body, dict) or not isinstance(body.get(key), str) or not body[key]:
            return text_response(400, "no_text\n", note="no-%s" % key)
        if discord and len(body[key]) > 2000:
            return json_response(400, {"content": ["Must be 2000 or fewer in length."]}, note="too-long")
        log = {"payload": body}
        if discord:
            return fakelib.Response(204, b"", ctype=None, note="posted:discord", log=log)
        return text_response(200, "ok", note="posted:slack", log=log)


if __name__ == "__main__":
    sys.exit(fakelib.main(WebhookHandler, __doc__))
