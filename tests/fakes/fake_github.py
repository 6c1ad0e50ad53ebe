#!/usr/bin/env python3
"""Local HTTPS fake of a GitHub Enterprise Server: REST under /api/v3 and git
smart-HTTP (through `git http-backend`) at /OWNER/REPO.git/... on one port.

Behaviour follows GitHub's REST documentation: App JWTs checked as
GitHub does (RS256 verified here in pure Python, with GitHub's exact 401
messages), installation tokens minted, scoped, revoked; git access only with
a live installation token (username x-access-token) or a configured PAT.

Config (JSON, re-read on every request):
  apps          {"<APP_ID>": {"slug", "name"?, "client_id"?, "modulus": hex,
                 "exponent": 65537, "permissions": {...}, "owner"?: login
                 (default: the first installation's account),
                 "installations": {"<INST_ID>": {"account", "account_type"?,
                   "account_id"?: N, "repositories": ["owner/repo", ...],
                   "suspended": false,
                   "repository_selection"?: "all"|"selected"}}}}
                An App may be installed on several accounts (one installation
                each). An account's numeric id is its "account_id" when an
                installation gives one (a renamed organization: a new login,
                the same id), else "users"' entry, else a stable hash of the
                login.
  users         {"login": id, ...}            (e.g. "raxx-dev-bot[bot]": 4242)
  pats          {"<sha256 hex of a PAT>": "operator-login"}
  pat_expiry    {"<sha256 hex of a PAT>": UNIX_SECONDS}: a PAT with an expiry
                gets GitHub-Authentication-Token-Expiration ("2026-12-10
                12:00:00 UTC") on every API answer, and 401 once expired
  repos_root    directory of bare repos, repos_root/OWNER/REPO.git
  behavior      {"access_tokens": 401|403|404|422|429|500|502|503|badjson|
                   redirect|decode-error|hang|close, or a token shaped
                   wrong: newline-token|badchar-token|no-expiry|past-expiry,
                 other endpoint keys (the same but the token shapes): "app",
                   "installation", "installations", "repo_installation",
                   "users", "user", "repos", "installation_repositories",
                   "rate_limit", "revoke", "git",
                 "fail_times": N or {key: N}, "fail_id": any}
                (FAULTS below; an unknown name or key: HTTP 500)
  renames       {"old-org": "new-org", "old-org/repo": "new-org/repo"}: a
                renamed organization or repository. REST calls under
                /repos/OLD/REPO/... answer 301 with Location (and "url")
                {api}/repositories/{id}/..., as GitHub does; git smart-HTTP
                to /OLD/REPO.git/info/refs answers 301 to the new name
  redirect_location  a Location to send instead (absolute or relative),
                e.g. another origin, for tests of what must not be followed
  redirect_status    301 (default), or 302, 307, 308
  repos_selection  what GET /installation/repositories says in
                repository_selection: "token" (default: "selected" for a
                narrowed token), "installation" (the installation's own,
                e.g. "all"), or "absent" (GitHub does not promise the field)
  repos_extra   ["owner/repo", ...] also listed there for any token: a token
                that reaches more than it was narrowed to, for tests
  log_bodies    true: log the JSON request and response bodies of REST calls
                ("request_json", "response_json"; every "token" value
                replaced by a dummy of the same shape), for the check against
                GitHub's description (tests/openapi/validate.py)
  clock_offset  seconds added to this server's clock (Date header, JWT checks,
                expires_at)
  token_ttl     installation token lifetime, s (default 3600)
  token_style   "classic" (ghs_ + 36) | "stateless" (~520 chars, '.' and '_');
                the request header X-GitHub-Stateless-S2S-Token overrides it
  latency_ms, hang   see fakelib
Issued tokens are kept in memory and mirrored (by sha256, never the token) in
the state file (default: tokens.json beside the log). Edits a test makes to
that file (revoked, expires_at) are honoured.
"""

import hashlib
import json
import os
import re
import secrets as rnd
import string
import subprocess
import sys
import time
from base64 import b64decode
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import (b64url_decode_strict, iso_utc, json_response, read_json_file,  # noqa: E402
                     sha256_hex, text_response)

DOCS = "https://docs.github.com/rest"
PERM_LEVEL = {"read": 1, "write": 2, "admin": 3}
# DER prefix of DigestInfo{sha256, NULL}, RFC 8017 section 9.2 note 1.
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")

MSG_DECODE = "A JSON web token could not be decoded"
MSG_EXP_PAST = ("'Expiration time' claim ('exp') must be a numeric value representing the future "
                "time at which the assertion expires")
MSG_EXP_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
MSG_UA = ("Request forbidden by administrative rules. Please make sure your request has a "
          "User-Agent header")
MSG_REPOS_422 = ("There is at least one repository that does not exist or is not accessible to the "
                 "parent installation.")
MSG_PERMS_422 = "The permissions requested are not granted to this installation."

ALNUM = string.ascii_letters + string.digits
TOKEN_CHARS = ALNUM + "_"          # stateless token parts: no '-' (GitHub's regex has none)
GIT_RE = re.compile(r"^/([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9._-]+?)(\.git)?"
                    r"(/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+))$")

# sha256(token) -> record; the state file mirrors it.
TOKENS = {}


def gh_error(status, message, **extra):
    return dict({"message": message, "documentation_url": DOCS, "status": str(status)}, **extra)


def gh_fault(status, message, headers=(), **extra):
    return fakelib.Fault(status, gh_error(status, message, **extra), headers=headers)


# What behavior.KEY can force, for every endpoint KEY; access_tokens has
# its own answers, and the token shapes.
FAULTS = fakelib.FaultTable(
    keys=("access_tokens", "app", "installation", "installations", "repo_installation", "users",
          "user", "repos", "installation_repositories", "rate_limit", "revoke", "git"),
    faults={
        "401": gh_fault(401, "Bad credentials"),
        "403": gh_fault(403, "Resource not accessible by integration"),
        "404": gh_fault(404, "Not Found"),
        "422": gh_fault(422, "Validation Failed", errors=[{"code": "invalid"}]),
        "429": gh_fault(429, "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
                        headers=lambda h: [("Retry-After", "1")] + h.ratelimit_headers()),
        "500": fakelib.text_fault(500, "500 Internal Server Error\n"),
        "502": fakelib.text_fault(502, "502 Bad Gateway\n"),
        "503": fakelib.text_fault(503, "503 Service Unavailable\n"),
        "badjson": fakelib.Fault(200, '{"id": 1, "slug": "tru'),
        "redirect": fakelib.text_fault(302, "", headers=lambda h: [("Location", h.host_base()
                                                                     + "/redirected-by-fake")]),
        "decode-error": gh_fault(401, MSG_DECODE),
    },
    by_key={"access_tokens": {
        "403": gh_fault(403, "This installation has been suspended"),
        "422": gh_fault(422, MSG_PERMS_422),
        "badjson": fakelib.Fault(201, '{"token": "ghs_trunc'),
        "newline-token": fakelib.SHAPE,    # a token holding a newline
        "badchar-token": fakelib.SHAPE,    # a token holding a space and a ';'
        "no-expiry": fakelib.SHAPE,        # no expires_at in the answer
        "past-expiry": fakelib.SHAPE,      # expires_at two minutes ago
    }})


def rand_str(n, chars=ALNUM):
    return "".join(rnd.choice(chars) for _ in range(n))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num_id(s, mod=10 ** 8):
    """A stable numeric id for names that have none in the config."""
    return int(hashlib.sha256(s.lower().encode()).hexdigest()[:12], 16) % mod + 1000


def redact_tokens(o):
    """Every "token" value replaced by a dummy of the same type and shape."""
    if isinstance(o, dict):
        return {k: ("ghs_" + "0" * 36 if k == "token" and isinstance(v, str) else redact_tokens(v))
                for k, v in o.items()}
    if isinstance(o, list):
        return [redact_tokens(v) for v in o]
    return o


class JwtError(Exception):
    def __init__(self, message, note, info=None):
        super().__init__(message)
        self.message, self.note, self.info = message, note, info or {}


def rsa_verify_sha256(modulus_hex, exponent, signed, sig):
    """RSASSA-PKCS1-v1_5 / SHA-256 verification, by the book (RFC 8017 8.2.2)."""
    n = int(modulus_hex.strip().replace(":", ""), 16)
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    em = pow(s, int(exponent), n).to_bytes(k, "big")
    t = SHA256_DIGESTINFO + hashlib.sha256(signed).digest()
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return em == expected


def find_app(cfg, iss):
    """iss names an app by App ID (string or number) or by Client ID."""
    apps = cfg.get("apps") or {}
    if is_int(iss):
        iss = str(iss)
    if not isinstance(iss, str):
        return None, None
    if iss in apps:
        return iss, apps[iss]
    for aid, app in apps.items():
        if app.get("client_id") and app.get("client_id") == iss:
            return aid, app
    return None, None


def verify_jwt(cfg, tok, now):
    """Check an App JWT as GitHub does; returns (app_id, app, log info)."""
    parts = tok.split(".")
    if len(parts) != 3:
        raise JwtError(MSG_DECODE, "jwt:not-a-jwt")
    try:
        hdr = json.loads(b64url_decode_strict(parts[0]))
        claims = json.loads(b64url_decode_strict(parts[1]))
        sig = b64url_decode_strict(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise JwtError(MSG_DECODE, "jwt:bad-encoding")
    if not isinstance(hdr, dict) or not isinstance(claims, dict):
        raise JwtError(MSG_DECODE, "jwt:bad-encoding")
    if hdr.get("alg") != "RS256" or hdr.get("typ") != "JWT":
        raise JwtError(MSG_DECODE, "jwt:bad-header")
    iss = claims.get("iss")
    info = {"iss": iss if isinstance(iss, (str, int)) else repr(iss)}
    exp, iat = claims.get("exp"), claims.get("iat")
    if is_num(exp):
        info["exp_in"] = round(exp - now, 1)     # seconds left, on the fake's clock
    if is_num(iat):
        info["iat_age"] = round(now - iat, 1)    # seconds since iat, on the fake's clock
    app_id, app = find_app(cfg, iss)
    if app is None:
        raise JwtError(MSG_DECODE, "jwt:unknown-iss", info)
    try:
        ok = rsa_verify_sha256(app["modulus"], app.get("exponent", 65537),
                               (parts[0] + "." + parts[1]).encode("ascii"), sig)
    except (KeyError, ValueError, TypeError):
        ok = False
    if not ok:
        raise JwtError(MSG_DECODE, "jwt:bad-signature", info)
    if not is_num(exp):
        raise JwtError(MSG_EXP_PAST, "jwt:exp-not-number", info)
    if exp <= now:
        raise JwtError(MSG_EXP_PAST, "jwt:exp-past", info)
    if exp > now + 600 + 30:
        raise JwtError(MSG_EXP_FAR, "jwt:exp-too-far", info)
    if not is_int(iat):
        raise JwtError(MSG_IAT, "jwt:iat-not-integer", info)
    if iat > now + 60:
        raise JwtError(MSG_IAT, "jwt:iat-future", info)
    return app_id, app, info


def inst_repos(inst):
    return list(inst.get("repositories") or [])


def owns(repos, full):
    fl = full.lower()
    return next((r for r in repos if r.lower() == fl), None)


class GitHubHandler(fakelib.FakeHandler):
    srv_name = "github"
    server_version = "GitHub.com"
    faults = FAULTS

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--state", help="issued-token state file (default: tokens.json beside --log)")

    # -- small helpers

    def now(self):
        return time.time() + self.clock_offset

    def api_base(self):
        return self.host_base() + "/api/v3"

    def gh_err(self, status, message, note="", headers=None, **extra):
        return json_response(status, gh_error(status, message, **extra), headers=headers, note=note)

    def ratelimit_headers(self, limit=5000):
        return [("x-ratelimit-limit", str(limit)), ("x-ratelimit-remaining", str(limit - 1)),
                ("x-ratelimit-used", "1"), ("x-ratelimit-reset", str(int(self.now()) + 3600)),
                ("x-ratelimit-resource", "core")]

    # -- token state (memory + state file)

    def state_path(self):
        args = self.server.args
        if args.state or not args.log:
            return args.state
        return os.path.join(os.path.dirname(os.path.abspath(args.log)), "tokens.json")

    def tokens_view(self):
        """Memory, overlaid with the state file (tests may edit it)."""
        with self.server.state_lock:
            d = {k: dict(v) for k, v in TOKENS.items()}
            path = self.state_path()
            if path:
                try:
                    f = read_json_file(path, default=None)
                except ValueError:
                    f = None
                if isinstance(f, dict):
                    for k, v in f.items():
                        if isinstance(v, dict):
                            d[k] = v
            return d

    def tokens_update(self, sha, rec):
        with self.server.state_lock:
            d = self.tokens_view()
            d[sha] = rec
            TOKENS.clear()
            TOKENS.update(d)
            if self.state_path():
                fakelib.atomic_write(self.state_path(), json.dumps(d, indent=2, sort_keys=True) + "\n")

    def lookup_secret(self, cfg, secret):
        """Classify a presented token: ("pat", login) / ("inst", rec) / ("bad", why)."""
        sha = sha256_hex(secret)
        pats = cfg.get("pats") or {}
        if sha in pats:
            exp = (cfg.get("pat_expiry") or {}).get(sha)
            if is_num(exp) and self.now() >= exp:
                return "bad", "expired-pat"
            return "pat", pats[sha]
        rec = self.tokens_view().get(sha)
        if rec is None:
            return "bad", "unknown"
        if rec.get("revoked"):
            return "bad", "revoked"
        if not is_num(rec.get("expires_at")) or self.now() >= rec["expires_at"]:
            return "bad", "expired"
        rec = dict(rec, sha=sha)
        return "inst", rec

    def token_auth(self, cfg):
        """Authorization: Bearer|token X for installation-token/PAT endpoints."""
        h = self.header("Authorization")
        if not h:
            self.auth_state = "none"
            return "none", None
        scheme, _, val = h.partition(" ")
        val = val.strip()
        if scheme.lower() not in ("bearer", "token") or not val:
            self.auth_state = "bad"
            return "bad", "bad-scheme"
        kind, what = self.lookup_secret(cfg, val)
        self.auth_state = "bad" if kind == "bad" else "ok"
        return kind, what

    def who_note(self, kind, what):
        return ("pat-of:%s" % what) if kind == "pat" else ("token-of:%s" % what.get("slug"))

    def who_log(self, kind, what):
        if kind == "inst":
            return {"token_fp": what["sha"][:12], "app_id": what.get("app_id"),
                    "installation": what.get("installation")}
        return {}

    def token_repos(self, cfg, rec):
        """Full names a token may reach (None in the record: the whole installation)."""
        if rec.get("repositories") is not None:
            return list(rec["repositories"])
        app = (cfg.get("apps") or {}).get(str(rec.get("app_id"))) or {}
        inst = (app.get("installations") or {}).get(str(rec.get("installation")))
        return inst_repos(inst) if inst else []

    def all_known_repos(self, cfg):
        out = []
        for app in (cfg.get("apps") or {}).values():
            for inst in (app.get("installations") or {}).values():
                out += [r for r in inst_repos(inst) if not owns(out, r)]
        root = cfg.get("repos_root")
        if root and os.path.isdir(root):
            for o in sorted(os.listdir(root)):
                od = os.path.join(root, o)
                if os.path.isdir(od):
                    for r in sorted(os.listdir(od)):
                        if r.endswith(".git") and not owns(out, "%s/%s" % (o, r[:-4])):
                            out.append("%s/%s" % (o, r[:-4]))
        return out

    def jwt_auth(self, cfg):
        """(app_id, app, None) or (None, None, error response)."""
        h = self.header("Authorization")
        if not h:
            self.auth_state = "none"
            return None, None, self.gh_err(401, "A JSON web token could not be decoded", note="jwt:none")
        scheme, _, tok = h.partition(" ")
        if scheme != "Bearer":
            self.auth_state = "bad"
            return None, None, self.gh_err(401, MSG_DECODE, note="jwt:not-bearer")
        try:
            app_id, app, info = verify_jwt(cfg, tok.strip(), self.now())
        except JwtError as e:
            self.auth_state = "bad"
            r = self.gh_err(401, e.message, note=e.note)
            if e.info:
                r.log["jwt"] = e.info
            return None, None, r
        self.auth_state = "ok"
        self.jwt_info = info
        return app_id, app, None

    # -- object shapes

    # Shapes as GitHub's description has them (tests/openapi/github-rest.json:
    # simple-user, public-user, github-app, installation, repository);
    # tests/t0150-github-openapi.sh checks every answer against it.

    def account_id(self, cfg, login):
        """The numeric id of an account: an installation's "account_id"
        (which a rename keeps), "users", else a stable hash of the login."""
        for app in (cfg.get("apps") or {}).values():
            for inst in (app.get("installations") or {}).values():
                if is_int(inst.get("account_id")) and inst.get("account", "").lower() == login.lower():
                    return inst["account_id"]
        users = cfg.get("users") or {}
        return users.get(login) if is_int(users.get(login)) else num_id(login)

    def account_obj(self, cfg, login, typ="Organization"):
        uid = self.account_id(cfg, login)
        api = "%s/users/%s" % (self.api_base(), login)
        return {"login": login, "id": uid, "node_id": "O_%d" % uid,
                "avatar_url": "%s/avatars/u/%d" % (self.host_base(), uid), "gravatar_id": "",
                "url": api, "html_url": "%s/%s" % (self.host_base(), login),
                "followers_url": api + "/followers", "following_url": api + "/following{/other_user}",
                "gists_url": api + "/gists{/gist_id}", "starred_url": api + "/starred{/owner}{/repo}",
                "subscriptions_url": api + "/subscriptions", "organizations_url": api + "/orgs",
                "repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
                "received_events_url": api + "/received_events", "type": typ,
                "user_view_type": "public", "site_admin": False}

    def user_obj(self, cfg, login, typ):
        """GET /users/{login}, GET /user: the public profile."""
        o = self.account_obj(cfg, login, typ)
        o.update({"name": None, "company": None, "blog": "", "location": None, "email": None,
                  "hireable": None, "bio": None, "twitter_username": None, "public_repos": 0,
                  "public_gists": 0, "followers": 0, "following": 0,
                  "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
        return o

    def client_id(self, app_id, app):
        slug = app.get("slug", "app-%s" % app_id)
        return app.get("client_id", "Iv1.%016x" % num_id(slug, 2 ** 63))

    def app_obj(self, cfg, app_id, app):
        insts = app.get("installations") or {}
        owner = app.get("owner") or next(iter(insts.values()), {}).get("account", "raxx-app")
        slug = app.get("slug", "app-%s" % app_id)
        return {"id": int(app_id) if app_id.isdigit() else app_id, "slug": slug,
                "node_id": "A_%s" % app_id, "client_id": self.client_id(app_id, app),
                "owner": self.account_obj(cfg, owner), "name": app.get("name", slug),
                "description": "", "external_url": "https://example.invalid/%s" % slug,
                "html_url": "%s/apps/%s" % (self.host_base(), slug),
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "permissions": app.get("permissions") or {}, "events": [],
                "installations_count": len(insts)}

    def inst_obj(self, cfg, app_id, app, inst_id, inst):
        acct = inst.get("account", "raxx-app")
        a = self.account_obj(cfg, acct, inst.get("account_type", "Organization"))
        susp = bool(inst.get("suspended"))
        base = self.api_base()
        return {"id": int(inst_id) if str(inst_id).isdigit() else inst_id, "account": a,
                "app_id": int(app_id) if app_id.isdigit() else app_id,
                "app_slug": app.get("slug", ""), "client_id": self.client_id(app_id, app),
                "target_id": a["id"], "target_type": a["type"],
                "repository_selection": inst.get("repository_selection", "all"),
                "permissions": app.get("permissions") or {}, "events": [],
                "access_tokens_url": "%s/app/installations/%s/access_tokens" % (base, inst_id),
                "repositories_url": "%s/installation/repositories" % base,
                "html_url": "%s/organizations/%s/settings/installations/%s" % (self.host_base(), acct, inst_id),
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "single_file_name": None, "has_multiple_single_files": False, "single_file_paths": [],
                "suspended_at": "2024-06-01T00:00:00Z" if susp else None,
                "suspended_by": self.account_obj(cfg, "site-admin", "User") if susp else None}

    def default_branch(self, cfg, full):
        root = cfg.get("repos_root")
        try:
            with open(os.path.join(root, full + ".git", "HEAD")) as f:
                head = f.read().strip()
            if head.startswith("ref: refs/heads/"):
                return head[len("ref: refs/heads/"):]
        except (OSError, TypeError):
            pass
        return "main"

    def listed_inst_obj(self, cfg, app_id, app, inst_id, inst):
        """An installation as GET /app/installations describes it: no
        client_id, and an account that is the user and enterprise shapes
        at once (allOf in GitHub's description, as published)."""
        o = self.inst_obj(cfg, app_id, app, inst_id, inst)
        del o["client_id"]
        a = o["account"]
        del a["user_view_type"]
        a.update({"name": a["login"], "slug": a["login"].lower(),
                  "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
        return o

    def repo_obj(self, cfg, full, perms=None):
        owner, name = full.split("/", 1)
        o = self.account_obj(cfg, owner)
        push = perms is None or PERM_LEVEL.get((perms or {}).get("contents"), 0) >= 2
        api = "%s/repos/%s" % (self.api_base(), full)
        host = self.host_base().split("://", 1)[1]
        r = {"id": num_id(full), "node_id": "R_%d" % num_id(full), "name": name, "full_name": full,
             "private": True, "owner": o, "visibility": "private", "description": None, "fork": False,
             "html_url": "%s/%s" % (self.host_base(), full), "url": api,
             "clone_url": "%s/%s.git" % (self.host_base(), full),
             "git_url": "git://%s/%s.git" % (host, full), "ssh_url": "git@%s:%s.git" % (host, full),
             "svn_url": "%s/%s" % (self.host_base(), full), "mirror_url": None, "homepage": None,
             "language": None, "license": None, "size": 0, "default_branch": self.default_branch(cfg, full),
             "forks": 0, "forks_count": 0, "open_issues": 0, "open_issues_count": 0, "watchers": 0,
             "watchers_count": 0, "stargazers_count": 0, "has_issues": True, "has_projects": True,
             "has_wiki": False, "has_pages": False, "has_downloads": True, "archived": False,
             "disabled": False, "pushed_at": "2024-01-01T00:00:00Z",
             "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
             "permissions": {"admin": False, "maintain": False, "push": push, "triage": push, "pull": True}}
        for k, tail in (("archive_url", "/{archive_format}{/ref}"), ("assignees_url", "/assignees{/user}"),
                        ("blobs_url", "/git/blobs{/sha}"), ("branches_url", "/branches{/branch}"),
                        ("collaborators_url", "/collaborators{/collaborator}"),
                        ("comments_url", "/comments{/number}"), ("commits_url", "/commits{/sha}"),
                        ("compare_url", "/compare/{base}...{head}"), ("contents_url", "/contents/{+path}"),
                        ("contributors_url", "/contributors"), ("deployments_url", "/deployments"),
                        ("downloads_url", "/downloads"), ("events_url", "/events"), ("forks_url", "/forks"),
                        ("git_commits_url", "/git/commits{/sha}"), ("git_refs_url", "/git/refs{/sha}"),
                        ("git_tags_url", "/git/tags{/sha}"), ("hooks_url", "/hooks"),
                        ("issue_comment_url", "/issues/comments{/number}"),
                        ("issue_events_url", "/issues/events{/number}"), ("issues_url", "/issues{/number}"),
                        ("keys_url", "/keys{/key_id}"), ("labels_url", "/labels{/name}"),
                        ("languages_url", "/languages"), ("merges_url", "/merges"),
                        ("milestones_url", "/milestones{/number}"),
                        ("notifications_url", "/notifications{?since,all,participating}"),
                        ("pulls_url", "/pulls{/number}"), ("releases_url", "/releases{/id}"),
                        ("stargazers_url", "/stargazers"), ("statuses_url", "/statuses/{sha}"),
                        ("subscribers_url", "/subscribers"), ("subscription_url", "/subscription"),
                        ("tags_url", "/tags"), ("teams_url", "/teams"), ("trees_url", "/git/trees{/sha}")):
            r[k] = api + tail
        return r

    def pat_expiry_headers(self, cfg):
        """GitHub tells a PAT with an expiry when it expires, on every answer."""
        h = self.header("Authorization") or ""
        scheme, _, val = h.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not val.strip():
            return []
        sha = sha256_hex(val.strip())
        exp = (cfg.get("pat_expiry") or {}).get(sha)
        if sha not in (cfg.get("pats") or {}) or not is_num(exp):
            return []
        return [("GitHub-Authentication-Token-Expiration",
                 time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp)))]

    # -- routing

    def route(self, cfg):
        p = self.req_path
        if p.startswith("/api/"):
            if not (self.header("User-Agent") or "").strip():
                return self.gh_err(403, MSG_UA, note="no-user-agent")
            r = self.route_api(cfg, [unquote(s) for s in p[len("/api/"):].split("/")])
            if r is None:
                return None
            r.headers += self.pat_expiry_headers(cfg)
            return r
        m = GIT_RE.match(p)
        if m and m.group(1) not in (".", "..") and m.group(2) not in (".", ".."):
            return self.git(cfg, m.group(1), m.group(2), m.group(4))
        return text_response(404, "Not Found\n", note="no-route")

    # -- bodies in the log (log_bodies), for the OpenAPI check

    def extra_log(self, resp):
        if not self.cfg.get("log_bodies") or not self.req_path.startswith("/api/"):
            return {}
        out = {}
        for key, raw, ctype in (("request_json", self.body, self.header("Content-Type") or ""),
                                ("response_json", resp.body, resp.ctype or "")):
            if not raw or not raw.strip() or "json" not in ctype:
                continue
            try:
                out[key] = redact_tokens(json.loads(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                out[key + "_invalid"] = True
        return out

    # -- renamed organizations and repositories

    def renamed(self, cfg, full):
        """The new full name of a renamed repository, or None."""
        ren = {k.lower(): v for k, v in (cfg.get("renames") or {}).items()}
        if full.lower() in ren:
            return ren[full.lower()]
        owner, _, repo = full.partition("/")
        if owner.lower() in ren:
            return "%s/%s" % (ren[owner.lower()], repo)
        return None

    def moved(self, cfg, location, note):
        """GitHub's answer for a renamed repository: 301 and where it went."""
        status = int(cfg.get("redirect_status", 301))
        location = cfg.get("redirect_location") or location
        reason = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
                  308: "Permanent Redirect"}.get(status, "Moved")
        return json_response(status, {"message": reason, "url": location,
                                      "documentation_url": "https://docs.github.com/rest/guides/"
                                      "best-practices-for-using-the-rest-api#follow-redirects"},
                             headers=[("Location", location)], note=note)

    def repo_by_id(self, cfg, rid):
        try:
            rid = int(rid)
        except ValueError:
            return None
        return next((f for f in self.all_known_repos(cfg) if num_id(f) == rid), None)

    def route_api(self, cfg, segs):
        m = self.command
        if segs[0] != "v3":
            return self.gh_err(404, "Not Found", note="no-route")
        s = segs[1:]
        n = len(s)
        if n >= 3 and s[0] == "repos":
            new = self.renamed(cfg, "%s/%s" % (s[1], s[2]))
            if new:
                rest = "/".join(s[3:])
                loc = "%s/repositories/%d%s%s" % (self.api_base(), num_id(new), "/" if rest else "", rest)
                if self.raw_query:
                    loc += "?" + self.raw_query
                return self.moved(cfg, loc, "moved:%s/%s->%s" % (s[1], s[2], new))
        if n >= 2 and s[0] == "repositories":
            full = self.repo_by_id(cfg, s[1])
            if full is None:
                return self.gh_err(404, "Not Found", note="no-such-repository-id")
            if m == "GET" and n == 3 and s[2] == "installation":
                return self.find_installation(cfg, "repo_installation", repo=full)
            if m == "GET" and n == 2:
                return self.get_repo(cfg, full)
            return self.gh_err(404, "Not Found", note="no-route")
        if m == "POST" and n == 4 and s[0] == "app" and s[1] == "installations" and s[3] == "access_tokens":
            return self.access_tokens(cfg, s[2])
        if m == "GET" and s == ["app"]:
            return self.get_app(cfg)
        if m == "GET" and s[:2] == ["app", "installations"] and n in (2, 3):
            return self.get_installations(cfg, s[2] if n == 3 else None)
        if m == "GET" and n == 4 and s[0] == "repos" and s[3] == "installation":
            return self.find_installation(cfg, "repo_installation", repo="%s/%s" % (s[1], s[2]))
        if m == "GET" and n == 3 and s[0] in ("orgs", "users") and s[2] == "installation":
            return self.find_installation(cfg, "repo_installation", account=s[1])
        if m == "GET" and n == 2 and s[0] == "users":
            return self.get_user_by_login(cfg, s[1])
        if m == "DELETE" and s == ["installation", "token"]:
            return self.revoke(cfg)
        if m == "GET" and s == ["installation", "repositories"]:
            return self.installation_repositories(cfg)
        if m == "GET" and n == 3 and s[0] == "repos":
            return self.get_repo(cfg, "%s/%s" % (s[1], s[2]))
        if m == "GET" and s == ["rate_limit"]:
            return self.rate_limit(cfg)
        if m == "GET" and s == ["user"]:
            return self.get_user(cfg)
        if m == "GET" and s in ([""], []):
            return json_response(200, {"current_user_url": self.api_base() + "/user"}, note="root")
        return self.gh_err(404, "Not Found", note="no-route")

    # -- App (JWT) endpoints

    def access_tokens(self, cfg, inst_id):
        accept = [a.strip().split(";")[0] for a in (self.header("Accept") or "").split(",")]
        if "application/vnd.github+json" not in accept:
            return self.gh_err(400, "Missing or wrong Accept header: application/vnd.github+json is required "
                               "(fake's check)", note="bad-accept")
        if self.header("X-GitHub-Api-Version") != "2022-11-28":
            return self.gh_err(400, "Missing or unsupported 'X-GitHub-Api-Version' header: 2022-11-28 is "
                               "required (fake's check)", note="bad-api-version")
        app_id, app, r = self.jwt_auth(cfg)
        if r:
            return r
        jlog = {"jwt": self.jwt_info}
        slug = app.get("slug", "app-%s" % app_id)

        v = self.forced(cfg, "access_tokens")    # an answer, or a token shape
        if isinstance(v, fakelib.Response):
            v.log.update(jlog)
            return v

        inst = (app.get("installations") or {}).get(str(inst_id))
        if inst is None:
            r = self.gh_err(404, "Not Found", note="installation-not-of-app:%s" % slug)
            r.log.update(jlog)
            return r
        if inst.get("suspended"):
            r = self.gh_err(403, "This installation has been suspended", note="suspended")
            r.log.update(jlog)
            return r

        try:
            body = self.body_json() if self.body.strip() else {}
            if not isinstance(body, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            return self.gh_err(400, "Problems parsing JSON", note="bad-body")

        # Repository scope: names only, resolved inside the installation.
        repos_all = inst_repos(inst)
        selected = None
        want = body.get("repositories")
        ids = body.get("repository_ids")
        if want is not None or ids is not None:
            if (want is not None and (not isinstance(want, list) or not all(isinstance(x, str) for x in want))) \
                    or (ids is not None and (not isinstance(ids, list) or not all(is_int(x) for x in ids))):
                return self.gh_err(422, "Invalid request.", note="bad-repositories")
            selected = []
            for name in want or []:
                full = next((f for f in repos_all if "/" not in name and f.split("/", 1)[1].lower() == name.lower()),
                            None)
                if full is None:
                    r = self.gh_err(422, MSG_REPOS_422, note="repo-not-in-installation")
                    r.log.update(jlog)
                    return r
                if full not in selected:
                    selected.append(full)
            for i in ids or []:
                full = next((f for f in repos_all if num_id(f) == i), None)
                if full is None:
                    return self.gh_err(422, MSG_REPOS_422, note="repo-id-not-in-installation")
                if full not in selected:
                    selected.append(full)
            if not selected:
                selected = None   # an empty list asks for nothing in particular: all

        granted = app.get("permissions") or {}
        perms = dict(granted)
        if body.get("permissions") is not None:
            req = body["permissions"]
            if not isinstance(req, dict):
                return self.gh_err(422, "Invalid request.", note="bad-permissions")
            for k, lvl in req.items():
                if k not in granted or lvl not in PERM_LEVEL or PERM_LEVEL[lvl] > PERM_LEVEL.get(granted[k], 0):
                    r = self.gh_err(422, MSG_PERMS_422, note="permission-not-granted:%s" % k)
                    r.log.update(jlog)
                    return r
            perms = dict(req)

        style = cfg.get("token_style", "classic")
        hs = (self.header("X-GitHub-Stateless-S2S-Token") or "").lower()
        if hs in ("enabled", "disabled"):
            style = "stateless" if hs == "enabled" else "classic"
        if style == "stateless":
            token = "ghs_%s_%s.%s.%s" % (app_id, rand_str(36, TOKEN_CHARS),
                                         rand_str(120 + rnd.randbelow(20), TOKEN_CHARS),
                                         rand_str(342, TOKEN_CHARS))
        else:
            token = "ghs_" + rand_str(36)
        now = self.now()
        exp = int(now) + int(cfg.get("token_ttl", 3600))
        note = "minted:%s" % slug

        if v == "newline-token":
            token, note = "ghs_" + rand_str(18) + "\n" + rand_str(18), "forced:access_tokens:newline-token"
        elif v == "badchar-token":
            token, note = "ghs_" + rand_str(12) + " " + rand_str(12) + ";" + rand_str(10), \
                "forced:access_tokens:badchar-token"
        elif v == "past-expiry":
            exp, note = int(now) - 120, "forced:access_tokens:past-expiry"
        elif v == "no-expiry":
            note = "forced:access_tokens:no-expiry"

        sel = "selected" if selected is not None else inst.get("repository_selection", "all")
        if v not in ("newline-token", "badchar-token"):
            sha = sha256_hex(token)
            self.tokens_update(sha, {"app_id": str(app_id), "slug": slug, "installation": str(inst_id),
                                     "repositories": selected, "permissions": perms, "expires_at": exp,
                                     "created_at": int(now), "revoked": False, "style": style,
                                     "length": len(token)})
            jlog["token_fp"] = sha[:12]
        out = {"token": token, "expires_at": iso_utc(exp), "permissions": perms,
               "repository_selection": sel}
        if v == "no-expiry":
            del out["expires_at"]
        if selected is not None:
            out["repositories"] = [self.repo_obj(cfg, f, perms) for f in selected]
        jlog.update({"installation": str(inst_id), "repositories": selected, "permissions": perms,
                     "token_style": style})
        return json_response(201, out, note=note, log=jlog)

    def get_app(self, cfg):
        app_id, app, r = self.jwt_auth(cfg)
        if r:
            return r
        r = self.forced(cfg, "app")
        if r:
            return r
        return json_response(200, self.app_obj(cfg, app_id, app), note="jwt-of:%s" % app.get("slug"),
                             log={"jwt": self.jwt_info})

    def get_installations(self, cfg, inst_id):
        app_id, app, r = self.jwt_auth(cfg)
        if r:
            return r
        note = "jwt-of:%s" % app.get("slug")
        insts = app.get("installations") or {}
        if inst_id is None:
            r = self.forced(cfg, "installations")
            if r:
                return r
            return json_response(200, [self.listed_inst_obj(cfg, app_id, app, i, x) for i, x in insts.items()],
                                 note=note)
        r = self.forced(cfg, "installation")
        if r:
            return r
        if inst_id not in insts:
            return self.gh_err(404, "Not Found", note=note + ",installation-not-of-app")
        return json_response(200, self.inst_obj(cfg, app_id, app, inst_id, insts[inst_id]), note=note)

    def find_installation(self, cfg, key, repo=None, account=None):
        app_id, app, r = self.jwt_auth(cfg)
        if r:
            return r
        r = self.forced(cfg, key)
        if r:
            return r
        note = "jwt-of:%s" % app.get("slug")
        for iid, inst in (app.get("installations") or {}).items():
            if (repo and owns(inst_repos(inst), repo)) or \
                    (account and inst.get("account", "").lower() == account.lower()):
                return json_response(200, self.inst_obj(cfg, app_id, app, iid, inst), note=note)
        return self.gh_err(404, "Not Found", note=note + ",not-installed")

    # -- user lookups

    def get_user_by_login(self, cfg, login):
        kind, what = self.token_auth(cfg)
        if kind == "bad":
            # An installation JWT is fine here too.
            h = self.header("Authorization") or ""
            if h.startswith("Bearer ") and h.count(".") == 2:
                try:
                    verify_jwt(cfg, h[7:].strip(), self.now())
                    kind, self.auth_state = "jwt", "ok"
                except JwtError:
                    pass
        if kind == "bad":
            return self.gh_err(401, "Bad credentials", note="bad-token:%s" % what)
        r = self.forced(cfg, "users")
        if r:
            return r
        users = cfg.get("users") or {}
        hit = next((k for k in users if k.lower() == login.lower()), None)
        note = self.who_note(kind, what) if kind in ("inst", "pat") else "anonymous" if kind == "none" else "jwt"
        if hit is None:
            return self.gh_err(404, "Not Found", note=note + ",no-such-user")
        typ = "Bot" if hit.endswith("[bot]") else "User"
        return json_response(200, self.user_obj(cfg, hit, typ), note=note)

    def get_user(self, cfg):
        kind, what = self.token_auth(cfg)
        if kind == "none":
            return self.gh_err(401, "Requires authentication", note="anonymous")
        if kind == "bad":
            return self.gh_err(401, "Bad credentials", note="bad-token:%s" % what)
        r = self.forced(cfg, "user")
        if r:
            return r
        note = self.who_note(kind, what)
        if kind == "inst":
            r = self.gh_err(403, "Resource not accessible by integration", note=note,
                            headers=self.ratelimit_headers())
            r.log.update(self.who_log(kind, what))
            return r
        obj = self.user_obj(cfg, what, "User")
        hdrs = self.ratelimit_headers()
        if (self.header("Authorization") or "").split(" ", 1)[-1].strip().startswith("ghp_"):
            hdrs.append(("X-OAuth-Scopes", "repo, read:org, workflow"))
        return json_response(200, obj, note=note, headers=hdrs)

    # -- installation-token endpoints

    def revoke(self, cfg):
        kind, what = self.token_auth(cfg)
        if kind in ("none", "bad"):
            return self.gh_err(401, "Bad credentials", note="revoke-refused:%s" % (what or "no-token"))
        if kind == "pat":
            return self.gh_err(403, "This endpoint requires an installation access token", note="pat-of:%s" % what)
        r = self.forced(cfg, "revoke")
        if r:
            return r
        with self.server.state_lock:
            rec = self.tokens_view().get(what["sha"])
            rec = dict(rec, revoked=True)
            self.tokens_update(what["sha"], rec)
        return fakelib.Response(204, b"", ctype=None, note="revoked:%s" % self.who_note(kind, what),
                                log=self.who_log(kind, what))

    def installation_repositories(self, cfg):
        kind, what = self.token_auth(cfg)
        if kind in ("none", "bad"):
            return self.gh_err(401, "Bad credentials" if kind == "bad" else "Requires authentication",
                               note="bad-token:%s" % (what or "none"))
        if kind == "pat":
            return self.gh_err(403, "You must authenticate with an installation access token in order to list "
                               "repositories for an installation.", note="pat-of:%s" % what)
        r = self.forced(cfg, "installation_repositories")
        if r:
            return r
        repos = self.token_repos(cfg, what)
        repos += [r for r in cfg.get("repos_extra") or [] if not owns(repos, r)]
        try:
            per = max(1, min(100, int(self.query.get("per_page", 30))))
            page = max(1, int(self.query.get("page", 1)))
        except ValueError:
            per, page = 30, 1
        chunk = repos[(page - 1) * per: page * per]
        body = {"total_count": len(repos),
                "repositories": [self.repo_obj(cfg, f, what.get("permissions")) for f in chunk]}
        mode = cfg.get("repos_selection", "token")
        if mode == "installation":
            app = (cfg.get("apps") or {}).get(str(what.get("app_id"))) or {}
            inst = (app.get("installations") or {}).get(str(what.get("installation"))) or {}
            body["repository_selection"] = inst.get("repository_selection", "all")
        elif mode != "absent":
            body["repository_selection"] = "selected" if what.get("repositories") is not None else "all"
        return json_response(200, body, note=self.who_note(kind, what), headers=self.ratelimit_headers(),
                             log=self.who_log(kind, what))

    def get_repo(self, cfg, full):
        kind, what = self.token_auth(cfg)
        if kind == "bad":
            return self.gh_err(401, "Bad credentials", note="bad-token:%s" % what)
        r = self.forced(cfg, "repos")
        if r:
            return r
        if kind == "none":
            return self.gh_err(404, "Not Found", note="anonymous")
        visible = self.token_repos(cfg, what) if kind == "inst" else self.all_known_repos(cfg)
        hit = owns(visible, full)
        note = self.who_note(kind, what)
        if hit is None:
            return self.gh_err(404, "Not Found", note=note + ",repo-not-visible")
        return json_response(200, self.repo_obj(cfg, hit, what.get("permissions") if kind == "inst" else None),
                             note=note, headers=self.ratelimit_headers(), log=self.who_log(kind, what))

    def rate_limit(self, cfg):
        kind, what = self.token_auth(cfg)
        if kind == "bad":
            return self.gh_err(401, "Bad credentials", note="bad-token:%s" % what)
        r = self.forced(cfg, "rate_limit")
        if r:
            return r
        limit = 60 if kind == "none" else 5000
        reset = int(self.now()) + 3600
        core = {"limit": limit, "used": 1, "remaining": limit - 1, "reset": reset}
        body = {"resources": {"core": core, "search": {"limit": 30, "used": 0, "remaining": 30, "reset": reset},
                              "graphql": dict(core)}, "rate": core}
        note = "anonymous" if kind == "none" else self.who_note(kind, what)
        return json_response(200, body, note=note, headers=self.ratelimit_headers(limit),
                             log=self.who_log(kind, what))

    # -- git smart-HTTP

    def git(self, cfg, owner, repo, rest):
        full = "%s/%s" % (owner, repo)
        new = self.renamed(cfg, full)
        if new and rest == "/info/refs":
            loc = "%s/%s.git%s%s" % (self.host_base(), new, rest,
                                     "?" + self.raw_query if self.raw_query else "")
            return text_response(301, "", headers=[("Location", loc)],
                                 note="moved:%s->%s" % (full, new),
                                 log={"git": "redirect", "repo": full})
        if rest == "/info/refs":
            service = self.query.get("service", "")
        else:
            service = rest.lstrip("/") if rest in ("/git-upload-pack", "/git-receive-pack") else ""
        push = service == "git-receive-pack"
        op = "push" if push else "fetch"
        glog = {"git": (service or "dumb").replace("git-", ""), "repo": full}

        r = self.forced(cfg, "git")
        if r:
            r.log.update(glog)
            return r

        realm = [("WWW-Authenticate", 'Basic realm="GitHub"')]
        h = self.header("Authorization") or ""
        scheme, _, cred = h.partition(" ")
        if scheme.lower() != "basic" or not cred.strip():
            self.auth_state = "none" if not h else "bad"
            return text_response(401, "Invalid username or token. Password authentication is not supported "
                                 "for Git operations.\n", headers=realm,
                                 note="auth-required" if not h else "bad-auth-scheme", log=glog)
        try:
            user, _, pw = b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            self.auth_state = "bad"
            return text_response(401, "Bad Basic credentials\n", headers=realm, note="bad-basic", log=glog)
        kind, what = self.lookup_secret(cfg, pw)
        if kind == "inst" and user != "x-access-token":
            kind, what = "bad", "username-not-x-access-token"
        if kind == "bad":
            self.auth_state = "bad"
            return text_response(401, "Invalid username or token. Password authentication is not supported "
                                 "for Git operations.\n", headers=realm, note="bad-token:%s" % what, log=glog)
        self.auth_state = "ok"
        glog.update(self.who_log(kind, what))
        if kind == "pat":
            who, note = what, "%s-by:pat-of:%s" % (op, what)
            target = owns(self.all_known_repos(cfg), full) or full
        else:
            who, note = "%s[bot]" % what.get("slug"), "%s-by:%s" % (op, what.get("slug"))
            target = owns(self.token_repos(cfg, what), full)
            need = 2 if push else 1
            level = PERM_LEVEL.get((what.get("permissions") or {}).get("contents"), 0)
            if target is None or level < need:
                why = "repo-not-in-token" if target is None else "needs-contents:%s" % ("write" if push else "read")
                # No "push-by:"/"fetch-by:" here: those notes mean the git op went through.
                return text_response(403, "Permission to %s.git denied to %s.\n" % (full, who),
                                     note="denied-%s:%s:%s" % (op, what.get("slug"), why), log=glog)

        root = cfg.get("repos_root")
        if not root or not os.path.isdir(os.path.join(root, target + ".git")):
            return text_response(404, "Repository not found.\n", note="no-such-repo:" + note, log=glog)
        return self.http_backend(cfg, root, target, rest, who, note, glog)

    def http_backend(self, cfg, root, target, rest, who, note, glog):
        # Scrub GIT_* from our own environment (a test may run under a hook
        # with GIT_DIR set) and pin config so the user's ~/.gitconfig is ignored.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_EXEC_PATH"}
        env.update({
            "GIT_PROJECT_ROOT": os.path.abspath(root), "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "REMOTE_USER": who, "REMOTE_ADDR": self.client_address[0],
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command, "PATH_INFO": "/%s.git%s" % (target, rest),
            "QUERY_STRING": self.raw_query, "CONTENT_LENGTH": str(len(self.body)),
        })
        if self.header("Content-Type"):
            env["CONTENT_TYPE"] = self.header("Content-Type")
        if self.header("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.header("Content-Encoding")
        if self.header("Git-Protocol"):
            env["GIT_PROTOCOL"] = env["HTTP_GIT_PROTOCOL"] = self.header("Git-Protocol")
        try:
            proc = subprocess.run(["git", "http-backend"], input=self.body, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            return text_response(500, "http-backend failed: %s\n" % type(e).__name__, note=note + ",cgi-error",
                                 log=glog)
        if proc.stderr:
            sys.stderr.write("github fake: git http-backend: %s" % proc.stderr.decode("utf-8", "replace"))
        out = proc.stdout
        sep = min((i for i in (out.find(b"\r\n\r\n"), out.find(b"\n\n")) if i >= 0), default=-1)
        if sep < 0:
            return text_response(502, "http-backend gave no headers\n", note=note + ",cgi-garbage", log=glog)
        head = out[:sep].decode("latin-1")
        body = out[sep + (4 if out[sep:sep + 4] == b"\r\n\r\n" else 2):]
        status, ctype, hdrs = 200, None, []
        for line in head.splitlines():
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v
            elif k.lower() not in ("content-length", "transfer-encoding", "connection"):
                hdrs.append((k, v))
        glog["cgi_status"] = status
        return fakelib.Response(status, body, ctype=ctype, headers=hdrs, note=note, log=glog)


if __name__ == "__main__":
    sys.exit(fakelib.main(GitHubHandler, __doc__))
