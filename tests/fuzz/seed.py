#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/).

    python3 tests/fuzz/seed.py

The vault's and GitHub's answers are the fakes' own (tests/fakes): both
are started on loopback with a throwaway certificate and App key, asked
what the program asks (and made to fail as the tests make them fail),
and their answers written in the scripts the targets read (fake-http.h),
with the fakes' address replaced by the one the targets use. The dates
come from those answers too. The other inputs are written here as the
program writes them (cache records, handoff manifests and records, git
config as `git config -z` prints it), with the malformed cases the unit
tests use. Needs python3, openssl and git; writes only seed-* files, and
replaces those. The answers carry the time they were made: the targets
do not depend on it (see fuzz-github.c).
"""

import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FAKES = os.path.join(TOP, "tests", "fakes")
CORPUS = os.path.join(HERE, "corpus")

VAULT_BASE = "https://vault.example"          # fuzz-vault.c: BASE without /api
GITHUB_HOST = "https://ghe.example"           # fuzz-github.c: API without /api/v3
APP_ID, INST = "3501352", "4711"
PATH = "/MooseQuest/raxx-dev-bot"
KEPT = ("location", "date", "retry-after", "content-type", "x-ratelimit-remaining",
        "github-authentication-token-expiration")

written = {}


def out(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    written.setdefault(target, {})["seed-" + name] = data


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, **kw).stdout


# ---------------------------------------------------------------- the fakes

class Fake:
    def __init__(self, tmp, name, config, public_base):
        self.name, self.public = name, public_base
        self.cfg_path = os.path.join(tmp, name + ".json")
        self.config = config
        self.save()
        port_file = os.path.join(tmp, name + ".port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(FAKES, "fake_%s.py" % name),
             "--cert", os.path.join(tmp, "tls.pem"), "--key", os.path.join(tmp, "tls.key"),
             "--config", self.cfg_path, "--log", os.path.join(tmp, name + ".log"),
             "--port-file", port_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("fake %s did not start" % name)
        self.port = int(open(port_file).read().strip())
        self.base = "https://127.0.0.1:%d" % self.port

    def save(self):
        with open(self.cfg_path + ".tmp", "w") as f:
            json.dump(self.config, f)
        os.replace(self.cfg_path + ".tmp", self.cfg_path)

    def set(self, **kw):
        self.config.update(kw)
        self.save()

    def behave(self, **kw):
        self.config["behavior"] = kw
        self.save()

    def ask(self, method, path, headers=None, body=None):
        """One request: the answer as a script block (fake-http.h)."""
        ctx = ssl._create_unverified_context()
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=10)
        h = {"User-Agent": "git-credential-raxx/seed"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        lines = ["%d" % r.status]
        for k, v in r.getheaders():
            if k.lower() in KEPT:
                lines.append("%s: %s" % (k, self.public_text(v)))
        block = ("\n".join(lines) + "\n\n").encode() + self.public_text(data)
        return block, r.status, data

    def public_text(self, t):
        """The fake's address replaced by the one the targets use."""
        hp = "127.0.0.1:%d" % self.port
        host = self.public.split("//", 1)[1]
        if isinstance(t, bytes):
            return t.replace(self.base.encode(), self.public.encode()).replace(
                hp.encode(), host.encode())
        return t.replace(self.base, self.public).replace(hp, host)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def script(op, flags, *blocks):
    return ("%d%d\n" % (op, flags)).encode() + b"\n--\n".join(blocks)


# ---------------------------------------------------------------- the vault

def vault_seeds(tmp):
    cid, csec, proj = "raxx-agent-dispatcher", "ucs-seed-secret", "proj-mq-seed"
    # the shape of the App's key, not a key: the corpus is committed
    pem = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key\n-----END RSA PRIVATE KEY-----\n"
    cfg = {"client_id": cid, "client_secret": csec, "project_id": proj,
           "environment": "prod", "cf": None, "behavior": {},
           "secrets": {PATH: {"APP_ID": APP_ID, "INSTALLATION_ID": INST, "PRIVATE_KEY_PEM": pem},
                       "/MooseQuest/handoffs/fix-login": {"PROVISION_MANIFEST": "{}"}}}
    v = Fake(tmp, "vault", cfg, VAULT_BASE)
    try:
        jh = {"Content-Type": "application/json", "Accept": "application/json"}

        def login(secret=csec):
            b, _, data = v.ask("POST", "/api/v1/auth/universal-auth/login", jh,
                                json.dumps({"clientId": cid, "clientSecret": secret}))
            try:
                return b, json.loads(data).get("accessToken")
            except ValueError:
                return b, None

        ok_login, tok = login()
        auth = {"Authorization": "Bearer " + tok, "Accept": "application/json"}
        q = ("projectId=%s&environment=prod&secretPath=%%s&viewSecretValue=true"
             "&expandSecretReferences=true&recursive=false&include_imports=true"
             "&includeImports=true" % proj)

        def secrets(path=PATH, api="v4/secrets", key="projectId", a=None):
            return v.ask("GET", "/api/%s?%s" % (api, (q % path).replace("projectId", key)),
                         a or auth)[0]

        one_q = ("projectId=%s&environment=prod&secretPath=%%s&type=shared&viewSecretValue=true"
                 "&expandSecretReferences=false&include_imports=false&includeImports=false" % proj)

        def one(name, path=PATH):
            return v.ask("GET", "/api/v4/secrets/%s?%s" % (name, one_q % path), auth)[0]

        # logins
        out("vault", "login-ok", script(1, 0, ok_login))
        out("vault", "login-refused", script(1, 0, login("wrong")[0]))
        for beh in ("403", "429", "500", "503", "badjson", "html403"):
            v.behave(login=beh)
            out("vault", "login-" + beh, script(1, 0, login()[0]))
        v.behave()

        # the secrets of a folder
        ok = secrets()
        out("vault", "secrets-ok", script(2, 0, ok_login, ok))
        out("vault", "secrets-session", script(2, 1, ok))
        out("vault", "secrets-no-folder", script(2, 0, ok_login, secrets("/MooseQuest/nobody")))
        out("vault", "secrets-unknown-session",
            script(2, 1, v.ask("GET", "/api/v4/secrets?" + q % PATH,
                               {"Authorization": "Bearer nope"})[0], ok_login, ok))
        out("vault", "secrets-wrong-env",
            script(2, 0, ok_login, v.ask("GET", "/api/v4/secrets?" +
                                         (q % PATH).replace("prod", "dev"), auth)[0]))
        out("vault", "secrets-wrong-project",
            script(2, 0, ok_login, v.ask("GET", "/api/v4/secrets?" +
                                         (q % PATH).replace(proj, "other"), auth)[0]))
        for beh in ("expire-token", "403", "429", "500", "503", "badjson"):
            v.behave(secrets=beh)
            out("vault", "secrets-" + beh, script(2, 1, secrets(), ok_login, ok))
        v.behave()
        v.set(api_v4=False)
        v3 = secrets(api="v3/secrets/raw", key="workspaceId")
        out("vault", "secrets-v3", script(2, 0, ok_login, secrets(), v3))
        out("vault", "secret-v3", script(3, 1, one("APP_ID"),
                                         v.ask("GET", "/api/v3/secrets/raw/APP_ID?" +
                                               (one_q % PATH).replace("projectId", "workspaceId"),
                                               auth)[0]))
        v.set(api_v4=True)
        v.set(cf={"id": "cf-id.access", "secret": "cf-secret"})
        out("vault", "cf-redirect", script(2, 2, secrets()))
        v.set(cf={"id": "cf-id.access", "secret": "cf-secret", "reject": "403"})
        out("vault", "cf-403", script(1, 2, login()[0]))
        v.set(cf=None)
        out("vault", "waf-1010", script(2, 1, v.ask("GET", "/api/v4/secrets?" + q % PATH,
                                                    dict(auth, **{"User-Agent": ""}))[0]))

        # one secret, writes, folders
        out("vault", "secret-ok", script(3, 1, one("APP_ID")))
        out("vault", "secret-missing", script(3, 1, one("NOPE")))
        out("vault", "secret-no-folder", script(3, 0, ok_login, one("APP_ID", "/nowhere")))
        wj = dict(auth, **{"Content-Type": "application/json"})

        def write(method, name, value=None, path=PATH):
            body = {"workspaceId": proj, "environment": "prod", "secretPath": path,
                    "type": "shared"}
            if value is not None:
                body["secretValue"] = value
            return v.ask(method, "/api/v3/secrets/raw/" + name, wj, json.dumps(body))[0]

        rec = json.dumps({"token": "ghs_" + "a" * 36, "expires_at": "2026-06-21T09:00:00Z",
                          "bot": "raxx-dev-bot", "repo": "raxx-app/demo",
                          "api": "https://api.github.com"})
        out("vault", "create-ok", script(4, 1, write("POST", "TOKEN_AB12", rec)))
        out("vault", "create-exists", script(4, 1, write("POST", "TOKEN_AB12", rec)))
        out("vault", "create-no-folder", script(4, 0, ok_login,
                                                write("POST", "X", "v", "/nowhere")))
        out("vault", "create-approval", script(4, 1, (
            b'200\nContent-Type: application/json; charset=utf-8\n\n'
            b'{"approval":{"id":"a1","policyId":"p1","hasMerged":false,"status":"open",'
            b'"slug":"tired-ant","folderId":"f1"}}\n')))
        out("vault", "update-ok", script(5, 1, write("PATCH", "TOKEN_AB12", "v2")))
        out("vault", "delete-ok", script(6, 1, write("DELETE", "TOKEN_AB12")))
        out("vault", "delete-missing", script(6, 1, write("DELETE", "TOKEN_AB12")))
        v.behave(write="403")
        out("vault", "write-403", script(5, 1, write("PATCH", "APP_ID", "x")))
        v.behave()

        def folder(name, parent="/MooseQuest/handoffs"):
            return v.ask("POST", "/api/v2/folders", wj, json.dumps(
                {"projectId": proj, "environment": "prod", "name": name, "path": parent}))[0]

        out("vault", "folder-ok", script(7, 1, folder("fix-login-2")))
        out("vault", "folder-exists", script(7, 1, folder("fix-login-2")))
        out("vault", "folder-bad-name", script(7, 1, folder("a/b")))
        lst = v.ask("GET", "/api/v2/folders?projectId=%s&environment=prod&path=%s" %
                    (proj, "/MooseQuest/handoffs"), auth)[0]
        out("vault", "folders-ok", script(8, 0, ok_login, lst))
        out("vault", "folders-none", script(8, 1, v.ask(
            "GET", "/api/v2/folders?projectId=%s&environment=prod&path=/nowhere" % proj, auth)[0]))

        # the bodies alone, for vault_parse_secrets, and the unit tests' broken ones
        out("vault", "parse-ok", script(0, 0) + ok.split(b"\n\n", 1)[1])
        out("vault", "parse-v3", script(0, 0) + v3.split(b"\n\n", 1)[1])
        out("vault", "parse-imports", script(0, 0) + json.dumps(
            {"secrets": [{"secretKey": "APP_ID", "secretValue": "3501352"}],
             "imports": [{"secretPath": "/shared", "environment": "prod",
                          "secrets": [{"secretKey": "APP_ID", "secretValue": "999"},
                                      {"secretKey": "PRIVATE_KEY_PEM",
                                       "secretValue": "-----BEGIN"}]}]}).encode())
        for i, b in enumerate(["", "not json", '{"secrets":{}}', '{"message":"x"}',
                               "<html><body>Access denied</body></html>", '{"secrets":[] ',
                               "null"]):
            out("vault", "parse-broken-%d" % i, script(0, 0) + b.encode())
        return [ok]
    finally:
        v.stop()


# ---------------------------------------------------------------- GitHub

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(tmp, now_delta=0):
    now = int(time.time()) + now_delta
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"iat": now - 60, "exp": now + 540, "iss": APP_ID}).encode())
    signing = (head + "." + body).encode()
    sig = run("openssl", "dgst", "-sha256", "-sign", os.path.join(tmp, "app.pem"), input=signing)
    return head + "." + body + "." + b64url(sig)


def github_seeds(tmp):
    modulus = run("openssl", "rsa", "-in", os.path.join(tmp, "app.pem"), "-noout",
                  "-modulus").decode().strip().split("=", 1)[1]
    cfg = {"apps": {APP_ID: {"slug": "raxx-dev-bot", "modulus": modulus, "exponent": 65537,
                             "permissions": {"contents": "write", "pull_requests": "write",
                                             "issues": "write", "metadata": "read"},
                             "installations": {INST: {"account": "raxx-app",
                                                      "repositories": ["raxx-app/demo",
                                                                       "raxx-app/other"]}}}},
           "users": {"raxx-dev-bot[bot]": 190001}, "pats": {},
           "repos_root": os.path.join(tmp, "repos"), "behavior": {},
           "clock_offset": 0, "token_ttl": 3600, "token_style": "classic"}
    os.makedirs(cfg["repos_root"])
    g = Fake(tmp, "github", cfg, GITHUB_HOST)
    try:
        base = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

        def app(method, path, body=None, delta=0):
            h = dict(base, Authorization="Bearer " + jwt(tmp, delta))
            if body is not None:
                h["Content-Type"] = "application/json"
            return g.ask(method, "/api/v3" + path, h, body)

        def mint(body=""):
            return app("POST", "/app/installations/%s/access_tokens" % INST, body)

        ok, _, data = mint()
        token = json.loads(data)["token"]
        scoped = mint(json.dumps({"repositories": ["demo"],
                                  "permissions": {"contents": "write",
                                                  "pull_requests": "write"}}))[0]
        out("github", "mint-ok", script(1, 0, ok))
        out("github", "mint-scoped", script(1, 4, scoped))
        out("github", "mint-exp-past", script(1, 0, app(
            "POST", "/app/installations/%s/access_tokens" % INST, "", delta=-1200)[0], ok))
        out("github", "mint-iat-future", script(1, 0, app(
            "POST", "/app/installations/%s/access_tokens" % INST, "", delta=1200)[0], ok))
        g.set(token_style="stateless")
        out("github", "mint-stateless", script(1, 0, mint()[0]))
        g.set(token_style="classic")
        for beh in ("401", "403", "404", "422", "429", "500", "502", "badjson", "redirect",
                    "newline-token", "badchar-token", "no-expiry", "past-expiry",
                    "decode-error"):
            g.behave(access_tokens=beh)
            out("github", "mint-" + beh, script(1, 0, mint()[0], ok))
        g.behave()
        g.set(clock_offset=-900)
        out("github", "mint-clock-behind", script(1, 0, mint()[0]))
        g.set(clock_offset=0)

        # installations, the App, users
        inst = app("GET", "/repos/raxx-app/demo/installation")[0]
        out("github", "repo-installation", script(2, 0, inst))
        out("github", "repo-installation-404",
            script(2, 0, app("GET", "/repos/raxx-app/nope/installation")[0]))
        g.set(renames={"old-org": "raxx-app"})
        moved = app("GET", "/repos/old-org/demo/installation")[0]
        loc = [l for l in moved.split(b"\n\n")[0].split(b"\n")
               if l.lower().startswith(b"location:")][0].split(b":", 1)[1].strip().decode()
        out("github", "repo-installation-moved",
            script(2, 0, moved, app("GET", loc.replace(GITHUB_HOST + "/api/v3", ""))[0]))
        for status, where in ((301, "https://evil.example/api/v3/repositories/1/installation"),
                              (302, None), (307, "/api/v3/repositories/1/installation"),
                              (308, GITHUB_HOST + "/api/v3x/repositories/1/installation")):
            g.set(redirect_status=status, redirect_location=where)
            out("github", "repo-installation-%d" % status,
                script(2, 0, app("GET", "/repos/old-org/demo/installation")[0], inst))
        g.set(renames={}, redirect_status=301, redirect_location=None)
        out("github", "installation", script(3, 0, app("GET", "/app/installations/" + INST)[0]))
        out("github", "installation-404", script(3, 0, app("GET", "/app/installations/9")[0]))
        out("github", "app-owner", script(4, 0, app("GET", "/app")[0]))
        th = dict(base, Authorization="Bearer " + token)
        out("github", "user-id", script(5, 1, g.ask("GET", "/api/v3/users/raxx-dev-bot%5Bbot%5D",
                                                      th)[0]))
        out("github", "user-id-404", script(5, 0, g.ask("GET", "/api/v3/users/nobody-here",
                                                          base)[0]))
        out("github", "token-get", script(7, 0, g.ask(
            "GET", "/api/v3/installation/repositories?per_page=100", th)[0]))
        out("github", "app-get", script(8, 0, app("GET", "/app/installations?per_page=100")[0]))
        out("github", "revoke", script(6, 0, g.ask("DELETE", "/api/v3/installation/token", th)[0]))
        out("github", "revoke-again", script(6, 0, g.ask("DELETE", "/api/v3/installation/token",
                                                          th)[0]))

        # the token bodies alone, for github_parse_token (flags 3: any date)
        body = ok.split(b"\n\n", 1)[1]
        out("github", "parse-ok", script(0, 3) + body)
        out("github", "parse-stateless", script(0, 3) + json.dumps(
            {"token": "ghs_3501352_" + "abcXYZ019._" * 46, "expires_at": "2026-06-21T09:00:00Z"}
        ).encode())
        for name, b in (("not-json", "<html>2026-06-21T09:00:00Z</html>"),
                        ("trailing", '{"token":"ghs_abc","expires_at":"2026-06-21T09:00:00Z"} x'),
                        ("no-token", '{"expires_at":"2026-06-21T09:00:00Z"}'),
                        ("token-number", '{"token":42,"expires_at":"2026-06-21T09:00:00Z"}'),
                        ("token-newline", '{"token":"ghs_a\\nb","expires_at":"2026-06-21T09:00:00Z"}'),
                        ("token-space", '{"token":"ghs_a b","expires_at":"2026-06-21T09:00:00Z"}'),
                        ("fraction", '{"token":"ghs_abc","expires_at":"2026-06-21T09:00:00.123Z"}'),
                        ("no-expiry", '{"token":"ghs_abc"}'),
                        ("bad-expiry", '{"token":"ghs_abc","expires_at":"tomorrow"}'),
                        ("array", '["2026-06-21T09:00:00Z"]')):
            out("github", "parse-" + name, script(0, 3) + b.encode())
        return ok, inst, moved
    finally:
        g.stop()


# ---------------------------------------------------------------- the rest

def header(block, name):
    for line in block.split(b"\n\n", 1)[0].split(b"\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name.encode():
            return v.strip().decode()
    return None


def date_seeds(vault_ok, mint_ok):
    d = header(mint_ok, "date")
    out("dates", "http-date", d)
    exp = json.loads(mint_ok.split(b"\n\n", 1)[1])["expires_at"]
    out("dates", "expires-at", exp)
    created = json.loads(vault_ok.split(b"\n\n", 1)[1])["secrets"][0]["createdAt"]
    out("dates", "vault-created-at", created)
    # GitHub-Authentication-Token-Expiration, as the fake (and GitHub) write it
    out("dates", "pat-expiry", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + 86400 * 30)))
    for i, s in enumerate(["2016-07-11T22:14:10Z", "2016-07-11T22:14:10.5Z",
                           "2016-07-11 22:14:10Z", "2016-07-11T22:14:10+02:00",
                           "2016-13-11T22:14:10Z", "2016-07-11T22:14:10+00:00",
                           "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                           "2026-12-10 21:00:00 +0900", "2026-12-10 07:30:00 -0430",
                           "2026-12-10 12:00:00 GMT", "2026-12-10 12:00:00 CET",
                           "2026-12-10 12:00:00 +09:00", "2026-12-10 12:00:00 +2400",
                           "9999-12-31T23:59:60Z", "1970-01-01T00:00:00Z", "never", ""]):
        out("dates", "unit-%02d" % i, s)


def handoff_seeds():
    def manifest(perms, created="2026-06-21T08:00:00Z", expires="2026-06-22T08:00:00Z",
                 slug="fix-login-20260621", repo="raxx-app/demo", bot="raxx-dev-bot"):
        return "m" + json.dumps({"slug": slug, "repo": repo, "bot": bot, "permissions": perms,
                                 "created_at": created, "expires_at": expires},
                                separators=(",", ":"))

    three = {"contents": "write", "pull_requests": "write", "issues": "write"}
    out("handoff", "manifest", manifest(three))
    out("handoff", "manifest-read", manifest({"contents": "read"}))
    out("handoff", "manifest-admin", manifest({"contents": "write", "administration": "write"}))
    out("handoff", "manifest-empty", manifest({}))
    out("handoff", "manifest-array", manifest(["contents"]))
    out("handoff", "manifest-level-number", manifest({"contents": 2}))
    out("handoff", "manifest-too-long", manifest(three, expires="2026-06-22T08:00:01Z"))
    out("handoff", "manifest-backwards", manifest(three, expires="2026-06-21T07:00:00Z"))
    out("handoff", "manifest-repo", manifest(three, repo="raxx-app/demo.git"))
    out("handoff", "manifest-bot", manifest(three, bot="../bot"))
    out("handoff", "manifest-many", manifest({"p%d" % i: "read" for i in range(20)}))
    for i, b in enumerate(["", "{", "[]", "\"a string\"", "{\"slug\":\"fix-login\"}",
                           manifest(three, created="yesterday", expires="tomorrow")[1:]]):
        out("handoff", "manifest-broken-%d" % i, "m" + b)

    def record(**kw):
        r = {"token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
             "expires_at": "2026-06-21T09:00:00Z", "bot": "raxx-dev-bot",
             "repo": "raxx-app/demo", "api": "https://api.github.com"}
        r.update(kw)
        return "r" + json.dumps(r, separators=(",", ":"))

    out("handoff", "record", record())
    out("handoff", "record-no-repo", record(repo=None))
    out("handoff", "record-stateless", record(token="ghs_3501352_" + "abcXYZ019._" * 46))
    out("handoff", "record-bad-token", record(token="ghs_a b"))
    out("handoff", "record-no-expiry", record(expires_at=None))
    out("handoff", "record-broken", "r{\"token\":")


def cache_seeds():
    def rec(kind, api, name, scope, inst, exp, secret):
        return "%sraxx-cache 1\nkind=%s\napi=%s\nname=%s\nscope=%s\ninstallation_id=%s\n" \
               "expires_at=%d\nsecret=%s\n" % (kind, kind, api, name, scope, inst, exp, secret)

    out("cache", "token", rec("t", "https://api.github.com", "raxx-dev-bot", "", INST,
                              1782003600, "ghs_16C7e42F292c6912E7710c838347Ae178B4a"))
    out("cache", "token-scoped", rec("t", "https://api.github.com", "raxx-dev-bot",
                                     "raxx-app/demo handoff=fix-login perms=contents=write",
                                     INST, 1782003600, "ghs_abc"))
    out("cache", "session", rec("s", "https://app.infisical.com/api", "raxx-agent-dispatcher",
                                "", "", 1784592000, "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"))
    out("cache", "settings", rec("g", "", "/home/dev/work/demo", "0" * 64, "", 1782086400,
                                 base64.b64encode(b"raxx-settings 1\nsystem \nentries\n").decode()))
    out("cache", "empty-secret", rec("t", "a", "b", "", "", 1, ""))
    out("cache", "raw-junk", "RRXC1" + "\0" * 40)
    out("cache", "raw-empty", "R")

    # the state directory's memories, as discover.c writes them
    ident = {"api": "https://api.github.com", "bot": "raxx-dev-bot", "app_id": APP_ID}
    when = "2026-06-21T08:00:00Z"
    accounts = dict(ident, vault={"installation_id": INST, "account": "raxx-app",
                                  "account_id": 38512332, "learned_at": when,
                                  "former_logins": ["old-org"]},
                    app_owner={"account": "raxx-app", "account_id": 38512332,
                               "learned_at": when},
                    owners={"other-org": {"installation_id": "4712", "account": "other-org",
                                          "account_id": 77, "repository": "other-org/tools",
                                          "found_at": when}})
    out("cache", "memory-accounts", "Da" + json.dumps(accounts, indent=2))
    out("cache", "memory-accounts-owner", "Da" + json.dumps(
        dict(ident, app_owner={"account": "raxx-app", "account_id": 38512332,
                               "learned_at": when})))
    out("cache", "memory-accounts-other-app", "Da" + json.dumps(dict(ident, app_id="1")))
    out("cache", "memory-installation", "Di" + json.dumps(dict(
        ident, vault_installation_id=INST, installation_id="4799", account="raxx-app",
        account_id=38512332, repository="raxx-app/demo", discovered_at=when), indent=2))
    out("cache", "memory-installation-old", "Di" + json.dumps(dict(
        ident, vault_installation_id=INST, installation_id="4799",
        repository="raxx-app/demo", discovered_at=when)))
    out("cache", "memory-installation-vault-changed", "Di" + json.dumps(dict(
        ident, vault_installation_id="1", installation_id="4799", account="raxx-app",
        account_id=38512332)))
    out("cache", "memory-broken", "Di{\"api\":")


def http_seeds(mint_ok, moved):
    loc = header(moved, "location")
    api = GITHUB_HOST + "/api/v3"
    out("http", "moved", "l%s\n%s/repos/old-org/demo/installation\n%s" % (api, api, loc))
    for name, l in (("other-origin", "https://evil.example/api/v3/repositories/1/installation"),
                    ("relative", "/api/v3/repositories/1/installation"),
                    ("sibling", GITHUB_HOST + "/api/v3x/repositories/1"),
                    ("dots", "/api/v3/../v4/x"), ("encoded", "/api/v3/%2e%2e/x"),
                    ("userinfo", "https://u@ghe.example/api/v3/x"),
                    ("port", "https://ghe.example:443/api/v3/x?a=1"),
                    ("redirected-by-fake", GITHUB_HOST + "/redirected-by-fake")):
        out("http", "location-" + name,
            "l%s\n%s/repos/old-org/demo/installation\n%s" % (api, api, l))
    out("http", "location-dotcom", "lhttps://api.github.com\nhttps://api.github.com/repos/a/b/"
        "installation\nhttps://api.github.com/repositories/42/installation")
    for name, l, h in (("star", "*", "api.github.com"),
                       ("domain", "localhost,.example.com, 10.0.0.0/8", "api.example.com"),
                       ("ip", "127.0.0.1 ::1", "127.0.0.1"),
                       ("cidr6", "[fd00::]/8,example.org", "[fd12::1]"),
                       ("cidr", "192.168.0.0/16", "192.168.3.4"),
                       ("trailing-dot", "example.com", "example.com."),
                       ("none", "", "github.com")):
        out("http", "noproxy-" + name, "n%s\n%s" % (l, h))


def gitconfig_seeds(tmp):
    repo = os.path.join(tmp, "repo")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               GIT_CONFIG_NOSYSTEM="1")
    env.pop("GIT_CONFIG_GLOBAL", None)
    run("git", "init", "-q", repo, env=env)
    inc = os.path.join(home, "inc.gitconfig")
    with open(inc, "w") as f:
        f.write("[raxx]\n\towners = raxx-app other-org\n")
    with open(os.path.join(home, ".gitconfig"), "w") as f:
        f.write("[user]\n\tname = Dev\n\temail = dev@example.com\n[raxx]\n\tbot = raxx-dev-bot\n"
                "\tfallback = deny\n[include]\n\tpath = %s\n[raxx]\n\tflag\n" % inc)
    run("git", "-C", repo, "config", "remote.origin.url", "https://github.com/raxx-app/demo.git",
        env=env)
    run("git", "-C", repo, "config", "raxx.agent", "sre-agent", env=env)
    z = run("git", "-C", repo, "-c", "raxx.handoff=", "config", "-z", "--show-scope",
            "--show-origin", "--list", env=env)
    z = z.replace(tmp.encode(), b"/home/dev")
    out("gitconfig", "z-scope-origin", b"z3" + z)
    out("gitconfig", "z-plain", b"z0" + run("git", "-C", repo, "config", "-z", "--list",
                                            env=env).replace(tmp.encode(), b"/home/dev"))
    out("gitconfig", "z-truncated", b"z3" + z[:len(z) // 2])
    payload = (b"raxx-settings 1\nsystem /etc/gitconfig\n"
               b"w f 1 1 1000 2049 131075 120 1782000000 5 1782000000 5 /home/dev/.gitconfig\n"
               b"w d 0 0 0 0 0 0 0 0 0 0 0 /home/dev/work/demo/.git\n"
               b"entries\n") + z
    out("gitconfig", "payload", b"p" + payload)
    out("gitconfig", "payload-bare", b"praxx-settings 1\nsystem \nentries\n")
    out("gitconfig", "payload-tmp", b"praxx-settings 1\nsystem \n"
        b"w f 1 1 0 0 0 0 0 0 0 0 0 /tmp\nentries\n")
    for name, s in (("owners", "raxx-app other-org,third"), ("owners-bad", "raxx-app ../x"),
                    ("owners-twice", "A a, b\tB"), ("owners-empty", " , ")):
        out("gitconfig", name, "o" + s)
    for name, u in (("https", "https://github.com/raxx-app/demo.git"),
                    ("https-user", "https://x-access-token@github.com/raxx-app/demo/"),
                    ("https-port", "https://127.0.0.1:8443/raxx-app/demo.git"),
                    ("ssh", "ssh://git@github.com:22/raxx-app/demo.git"),
                    ("scp", "git@github.com:raxx-app/demo.git"),
                    ("other-host", "https://gitlab.com/raxx-app/demo.git"),
                    ("three-parts", "https://github.com/a/b/c"),
                    ("ipv6", "https://[::1]:8443/raxx-app/demo")):
        host = "127.0.0.1:8443" if "8443" in u and "::1" not in u else \
            "[::1]:8443" if "::1" in u else "github.com"
        out("gitconfig", "url-" + name, "u%s\n%s" % (u, host))


def main():
    for tool in ("openssl", "git"):
        if not shutil.which(tool):
            raise SystemExit("seed.py: %s not found" % tool)
    tmp = tempfile.mkdtemp(prefix="raxx-seed.")
    try:
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", os.path.join(tmp, "tls.key"), "-out", os.path.join(tmp, "tls.pem"),
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        key = run("openssl", "genrsa", "2048")
        key_path = os.path.join(tmp, "app.pem")
        with open(key_path, "wb") as f:
            f.write(key)
        (vault_ok,) = vault_seeds(tmp)
        mint_ok, _, moved = github_seeds(tmp)
        date_seeds(vault_ok, mint_ok)
        handoff_seeds()
        cache_seeds()
        http_seeds(mint_ok, moved)
        gitconfig_seeds(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for target, files in sorted(written.items()):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old.startswith("seed-"):
                os.unlink(os.path.join(d, old))
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%s: %d seeds" % (target, len(files)))


if __name__ == "__main__":
    main()
