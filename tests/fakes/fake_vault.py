#!/usr/bin/env python3
"""Local HTTPS fake of an Infisical instance (optionally behind Cloudflare Access).

Behaviour follows Infisical's own server code: Universal Auth login, v4 /
v3-raw secret reads, v3-raw secret writes, v1/v2 folder creation and
listing; error bodies {"reqId","statusCode","message","error"}.

Config (JSON, re-read on every request):
  client_id, client_secret, project_id     the machine identity and project
  environment        env slug (default "prod")
  cf                 {"id","secret","reject":"302"|"403"} or null: Cloudflare
                     Access service token required on every request
  secrets            {"/Path/bot": {"KEY": "value", ...}, ...}
  folders            ["/Path", ...] extra folders (written by folder creation,
                     listed by GET /api/v{1,2}/folders?path=)
  token_ttl          access token lifetime in s (default 2592000; 0 = never)
  api_v4, api_v3     false: a vault without those routes (an older
                     self-hosted one has no v4): they answer Fastify's 404
                     "Route GET:/api/v4/... not found", as any unknown route
  behavior           {"login": 401|403|429|500|503|badjson|html403,
                      "secrets": the same, or expire-token (reads and folder
                                 listings),
                      "write": the same (secret writes, folder creation),
                      "fail_times": N or {key: N}, "fail_id": any}
                     (FAULTS below; hang and close too: see fakelib)
  latency_ms, hang   see fakelib
Writes (folders, secrets) are saved back into the config file atomically.
"""

import json
import os
import re
import secrets as rnd
import sys
import threading
import time
import uuid
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
from fakelib import b64url_encode, iso_ms, json_response, text_response  # noqa: E402

BOOL_FLAGS = ("viewSecretValue", "expandSecretReferences", "recursive", "include_imports",
              "includeImports", "includePersonalOverrides")
FOLDER_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
CREATED = time.time()

# Issued access tokens: token -> {"exp": epoch or None, "client_id": str}.
# Memory only: a restarted vault forgets its sessions, like a revoked token.
TOKENS = {}
TOKENS_LOCK = threading.Lock()
CONFIG_WRITE_LOCK = threading.Lock()


def norm_path(p):
    """Infisical strips a trailing slash; keep "/" for the root."""
    if not p:
        return "/"
    if not p.startswith("/"):
        p = "/" + p
    p = re.sub(r"/+", "/", p)
    return p.rstrip("/") or "/"


def parents(p):
    out = []
    while p != "/":
        p = p.rsplit("/", 1)[0] or "/"
        out.append(p)
    return out


def known_folders(cfg):
    """Folders that exist: configured secret paths, their parents, created ones."""
    f = {"/"}
    for p in list((cfg.get("secrets") or {}).keys()) + list(cfg.get("folders") or []):
        p = norm_path(p)
        f.add(p)
        f.update(parents(p))
    return f


def secrets_at(cfg, path):
    """The secrets dict of a folder (config keys may carry a trailing slash)."""
    for k, v in (cfg.get("secrets") or {}).items():
        if norm_path(k) == path:
            return v or {}
    return {}


def as_text(v):
    """Tests may write numbers (APP_ID: 123); the vault only holds strings."""
    if isinstance(v, str):
        return v
    return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else json.dumps(v)


def secret_obj(cfg, path, key, value, hidden=False):
    value = as_text(value)
    sid = str(uuid.uuid5(uuid.NAMESPACE_URL, "raxx-fake:%s:%s" % (path, key)))
    return {
        "id": sid, "_id": sid,
        "workspace": cfg.get("project_id", ""),
        "environment": cfg.get("environment", "prod"),
        "version": 1, "type": "shared",
        "secretKey": key,
        "secretValue": "<hidden-by-infisical>" if hidden else value,
        "secretComment": "",
        "secretValueHidden": bool(hidden),
        "secretPath": path,
        "tags": [], "secretMetadata": [],
        "skipMultilineEncoding": False,
        "createdAt": iso_ms(CREATED), "updatedAt": iso_ms(CREATED),
    }


def trim_secret_value(v):
    """The server trims values but keeps one trailing newline if there was one."""
    t = v.strip()
    if v.endswith("\n") and t:
        t += "\n"
    return t


def vault_error(status, message, error, **extra):
    """An Infisical error body (a fresh reqId each time)."""
    return lambda h: dict({"reqId": "req-" + rnd.token_hex(8), "statusCode": status,
                           "message": message, "error": error}, **extra)


def vault_fault(status, message, error, **extra):
    return fakelib.Fault(status, vault_error(status, message, error, **extra))


# What behavior.login / .secrets / .write can force.
FAULTS = fakelib.FaultTable(
    keys=("login", "secrets", "write"),
    note="forced:{name}",
    faults={
        "401": vault_fault(401, "Invalid credentials", "UnauthorizedError"),
        "403": vault_fault(403, "You are not allowed to read secrets in this environment",
                           "PermissionDenied", details=[{"action": "read", "subject": "secrets"}]),
        "429": fakelib.Fault(429, vault_error(429, "Rate limit exceeded. Please try again in 1 seconds",
                                              "Too Many Requests"), headers=[("Retry-After", "1")]),
        "500": vault_fault(500, "Something went wrong", "InternalServerError"),
        # what a proxy or load balancer in front of the vault says in an outage
        "503": fakelib.Fault(503, "<html><body><h1>503 Service Unavailable</h1></body></html>\n",
                             ctype=fakelib.HTML),
        "badjson": fakelib.Fault(200, '{"accessToken": "tru'),
        # Cloudflare Access, Service-Auth-only application: hard 403, HTML.
        "html403": fakelib.Fault(403, "<!DOCTYPE html><html><head><title>Forbidden</title></head>"
                                 "<body><h1>Forbidden</h1><p>You don't have permission to view this "
                                 "page.</p><p>Cloudflare Access</p></body></html>\n",
                                 ctype="text/html; charset=UTF-8"),
    },
    by_key={
        "login": {"403": vault_fault(403, "You are not allowed to access this resource from the "
                                     "current IP address", "ForbiddenError")},
        "secrets": {"expire-token": vault_fault(403, "Your token has expired. Please re-authenticate.",
                                                "TokenError"),
                    "badjson": fakelib.Fault(200, '{"secrets": [{"secretKey": "APP_')},
    })


def make_access_token(identity):
    """Opaque, but shaped like Infisical's JWT (three base64url parts)."""
    now = int(time.time())
    head = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url_encode(json.dumps({
        "identityId": str(uuid.uuid5(uuid.NAMESPACE_URL, "raxx-fake-identity:" + identity)),
        "identityAccessTokenId": str(uuid.uuid4()),
        "authTokenType": "identityAccessToken", "iat": now}).encode())
    return head + "." + body + "." + b64url_encode(rnd.token_bytes(32))


class VaultHandler(fakelib.FakeHandler):
    srv_name = "vault"
    faults = FAULTS

    # -- error shapes

    def err(self, status, message, error, note="", **extra):
        return json_response(status, vault_error(status, message, error, **extra)(self), note=note)

    def zod_err(self, issues, note="validation"):
        return self.err(422, issues, "ValidationFailure", note=note)

    # -- gatekeepers in front of every request

    def edge(self, cfg):
        """Cloudflare in front of the vault: WAF UA check, then Access."""
        if not (self.header("User-Agent") or "").strip():
            return text_response(403, "error code: 1010", note="waf:no-user-agent")
        cf = cfg.get("cf")
        if cf:
            cid, csec = self.header("CF-Access-Client-Id"), self.header("CF-Access-Client-Secret")
            if cid == cf.get("id") and csec == cf.get("secret"):
                self.cf_state = "ok"
                return None
            self.cf_state = "bad" if (cid or csec) else "none"
            log = {"cf": self.cf_state}
            if str(cf.get("reject", "302")) == "403":
                return text_response(403, "<!DOCTYPE html><html><body><h1>Forbidden</h1>"
                                     "<p>Cloudflare Access</p></body></html>\n",
                                     ctype="text/html; charset=UTF-8", note="cf-access:403", log=log)
            loc = ("https://raxx.cloudflareaccess.com/cdn-cgi/access/login/vault?kid=%s"
                   "&redirect_url=%%2Fapi%%2F&meta=fake" % rnd.token_hex(16))
            return text_response(302, "<html><head><title>Redirecting</title></head><body>"
                                 "<a href=\"%s\">Found</a>.</body></html>\n" % loc,
                                 ctype="text/html; charset=utf-8",
                                 headers=[("Location", loc)], note="cf-access:redirect", log=log)
        self.cf_state = None
        return None

    def bearer(self, cfg):
        """Check the Infisical session; None when fine, else the error response."""
        h = self.header("Authorization")
        if not h:
            self.auth_state = "none"
            return self.err(401, "Token missing", "UnauthorizedError", note="no-token")
        # The server does header.slice(7): anything but "Bearer " breaks it.
        if not h.startswith("Bearer ") or len(h) <= 7:
            self.auth_state = "bad"
            return self.err(401, "Invalid token", "UnauthorizedError", note="bad-auth-scheme")
        tok = h[7:]
        with TOKENS_LOCK:
            rec = TOKENS.get(tok)
        if rec is None:
            self.auth_state = "bad"
            return self.err(401, "Invalid token", "UnauthorizedError", note="unknown-token")
        if rec["exp"] is not None and time.time() >= rec["exp"]:
            self.auth_state = "bad"
            return self.err(403, "Your token has expired. Please re-authenticate.", "TokenError",
                            note="expired-token")
        self.auth_state = "ok"
        return None

    # -- routing

    def route(self, cfg):
        self.cf_state = None
        r = self.edge(cfg)
        if r is None:
            r = self.route_api(cfg)
        if self.cf_state is not None:
            r.log.setdefault("cf", self.cf_state)
        return r

    def no_route(self):
        """Fastify's own 404 for a route the server does not have (its
        default handler: the method and the whole URL, query included)."""
        return json_response(404, {"message": "Route %s:%s not found" % (self.command, self.path),
                                   "error": "Not Found", "statusCode": 404}, note="no-route")

    def route_api(self, cfg):
        p, m = self.req_path, self.command
        for v in ("v3", "v4"):
            if cfg.get("api_" + v) is False and p.startswith("/api/%s/" % v):
                return self.no_route()
        if p == "/api/v1/auth/universal-auth/login" and m == "POST":
            return self.login(cfg)
        if p in ("/api/v1/auth/token/renew", "/api/v1/auth/token/revoke") and m == "POST":
            return self.renew_or_revoke(cfg, p.endswith("renew"))
        if p == "/api/status":
            return json_response(200, {"date": iso_ms(time.time()), "message": "Ok", "emailConfigured": False})
        if p.startswith("/api/"):
            r = self.bearer(cfg)
            if r is not None:
                return r
        if p == "/api/v4/secrets" and m == "GET":
            return self.list_secrets(cfg, "projectId")
        if p == "/api/v3/secrets/raw" and m == "GET":
            return self.list_secrets(cfg, "workspaceId")
        mm = re.match(r"^/api/(v3)/secrets/raw/([^/]+)$", p) or re.match(r"^/api/(v4)/secrets/([^/]+)$", p)
        if mm and mm.group(2) != "batch":
            pkey = "workspaceId" if mm.group(1) == "v3" else "projectId"
            name = unquote(mm.group(2))
            if m == "GET":
                return self.get_secret(cfg, pkey, name)
            if m in ("POST", "PATCH", "DELETE"):
                return self.write_secret(cfg, pkey, name, m)
        if p in ("/api/v1/folders", "/api/v2/folders") and m == "POST":
            return self.create_folder(cfg, "workspaceId" if "/v1/" in p else "projectId")
        if p in ("/api/v1/folders", "/api/v2/folders") and m == "GET":
            return self.list_folders(cfg, "workspaceId" if "/v1/" in p else "projectId")
        return self.no_route()

    # -- login

    def login(self, cfg):
        if self.header("Authorization") is not None:
            self.auth_state = "bad"
            return self.err(400, "Authorization header must not be sent to login", "BadRequestError",
                            note="login-with-authorization")
        ctype = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self.err(415, "Unsupported Media Type: %s" % (ctype or "none"), "Unsupported Media Type",
                            note="login-not-json")
        try:
            body = self.body_json()
        except ValueError:
            return self.err(400, "Body is not valid JSON but content-type is set to 'application/json'",
                            "Bad Request", note="login-bad-json")
        if not isinstance(body, dict):
            body = {}
        issues = []
        for k in ("clientId", "clientSecret"):
            if not isinstance(body.get(k), str):
                issues.append({"code": "invalid_type", "expected": "string",
                               "received": "undefined" if k not in body else type(body.get(k)).__name__,
                               "path": [k], "message": "Required" if k not in body else "Expected string"})
        if issues:
            return self.zod_err(issues, note="login-validation")
        ok = (body["clientId"].strip() == cfg.get("client_id")
              and body["clientSecret"].strip() == cfg.get("client_secret"))
        self.auth_state = "ok" if ok else "bad"
        r = self.forced(cfg, "login")
        if r:
            return r
        if not ok:
            return self.err(401, "Invalid credentials", "UnauthorizedError", note="login-refused")
        return self.issue_token(cfg, body["clientId"].strip(), "login-ok")

    def issue_token(self, cfg, identity, note):
        ttl = int(cfg.get("token_ttl", 2592000))
        tok = make_access_token(identity)
        with TOKENS_LOCK:
            TOKENS[tok] = {"exp": time.time() + ttl if ttl > 0 else None, "client_id": identity}
        return json_response(200, {"accessToken": tok, "expiresIn": ttl, "accessTokenMaxTTL": ttl,
                                   "tokenType": "Bearer"}, note=note)

    def renew_or_revoke(self, cfg, renew):
        try:
            tok = self.body_json().get("accessToken")
        except (ValueError, AttributeError):
            tok = None
        with TOKENS_LOCK:
            rec = TOKENS.get(tok) if isinstance(tok, str) else None
            if rec and not renew:
                del TOKENS[tok]
        if rec is None or (rec["exp"] is not None and time.time() >= rec["exp"]):
            self.auth_state = "bad"
            return self.err(401, "Failed to renew MI access token due to TTL expiration" if renew
                            else "Invalid token", "UnauthorizedError", note="renew-refused")
        self.auth_state = "ok"
        if not renew:
            return json_response(200, {"message": "Successfully revoked access token"}, note="revoked")
        return self.issue_token(cfg, rec["client_id"], "renewed")

    # -- reads

    def check_scope(self, cfg, args, pkey):
        """Project, environment and boolean flags; returns (error, env, path)."""
        env_cfg = cfg.get("environment", "prod")
        proj, env = args.get(pkey), args.get("environment")
        issues = []
        for f in BOOL_FLAGS:
            if f in args and args[f] not in ("true", "false"):
                issues.append({"received": args[f], "code": "invalid_enum_value",
                               "options": ["true", "false"], "path": [f],
                               "message": "Invalid enum value. Expected 'true' | 'false', received '%s'"
                                          % args[f]})
        if issues:
            return self.zod_err(issues, note="bad-flag"), None, None
        if not proj or not env:
            return self.err(400, "Missing project id or environment", "BadRequestError",
                            note="missing-scope"), None, None
        if proj != cfg.get("project_id"):
            return self.err(400, "Project with ID '%s' not found" % proj, "BadRequestError",
                            note="wrong-project"), None, None
        if env != env_cfg:
            return self.err(404, "Environment with slug '%s' in project with ID '%s' not found" % (env, proj),
                            "NotFound", note="wrong-environment"), None, None
        return None, env, norm_path(args.get("secretPath") or args.get("path") or "/")

    def folder_missing(self, path, env):
        return self.err(404, "Folder with path '%s' in environment '%s' was not found. Please ensure the "
                        "environment slug and secret path is correct." % (path, env),
                        "SecretPathNotFound", note="path-not-found")

    def read_request(self, cfg, pkey):
        """(an answer, None) for a forced failure or a scope or folder that
        is not there, else (None, the folder's path)."""
        r = self.forced(cfg, "secrets")
        if r:
            return r, None
        r, env, path = self.check_scope(cfg, self.query, pkey)
        if r:
            return r, None
        if path not in known_folders(cfg):
            return self.folder_missing(path, env), None
        return None, path

    def list_secrets(self, cfg, pkey):
        r, path = self.read_request(cfg, pkey)
        if r:
            return r
        hidden = self.query.get("viewSecretValue") == "false"
        out = []
        for k, v in secrets_at(cfg, path).items():
            out.append(secret_obj(cfg, path, k, v, hidden))
        if self.query.get("recursive") == "true":
            for p2 in sorted((cfg.get("secrets") or {}).keys()):
                np2 = norm_path(p2)
                if np2 != path and np2.startswith(path.rstrip("/") + "/"):
                    out += [secret_obj(cfg, np2, k, v, hidden) for k, v in (cfg["secrets"][p2] or {}).items()]
        return json_response(200, {"secrets": out, "imports": []},
                             note="secrets:%s" % path, log={"count": len(out)})

    def get_secret(self, cfg, pkey, name):
        r, path = self.read_request(cfg, pkey)
        if r:
            return r
        s = secrets_at(cfg, path)
        if name not in s:
            return self.err(404, "Secret with name '%s' not found" % name, "NotFound", note="secret-not-found")
        return json_response(200, {"secret": secret_obj(cfg, path, name, s[name],
                                                        self.query.get("viewSecretValue") == "false")},
                             note="secret:%s/%s" % (path, name))

    # -- writes (persisted into the config file)

    def save_config(self, cfg):
        fakelib.atomic_write(self.server.args.config, json.dumps(cfg, indent=2) + "\n")

    def write_request(self, cfg):
        """(an answer, None) for a forced failure or a body that is not a
        JSON object, else (None, the body)."""
        r = self.forced(cfg, "write")
        if r:
            return r, None
        body = self.body_object()
        if body is None:
            return self.err(400, "Body is not valid JSON", "Bad Request", note="bad-json"), None
        return None, body

    def write_secret(self, cfg, pkey, name, method):
        r, body = self.write_request(cfg)
        if r:
            return r
        if not SECRET_NAME_RE.match(name):
            return self.zod_err([{"code": "custom", "path": ["secretName"],
                                  "message": "Invalid secret name"}], note="bad-secret-name")
        if method != "DELETE" and "secretValue" in body and not isinstance(body["secretValue"], str):
            return self.zod_err([{"code": "invalid_type", "expected": "string", "path": ["secretValue"],
                                  "message": "Expected string"}])
        if method == "POST" and not isinstance(body.get("secretValue"), str):
            return self.zod_err([{"code": "invalid_type", "expected": "string", "received": "undefined",
                                  "path": ["secretValue"], "message": "Required"}])
        with CONFIG_WRITE_LOCK:
            cfg = self.server.load_config()   # fresh copy under the lock
            r, env, path = self.check_scope(cfg, body, pkey)
            if r:
                return r
            if path not in known_folders(cfg):
                return self.err(404, "Folder with path '%s' in environment with slug '%s' not found"
                                % (path, env), "NotFound", note="folder-not-found")
            allsec = cfg.setdefault("secrets", {})
            key = next((k for k in allsec if norm_path(k) == path), path)
            folder = allsec.setdefault(key, {}) if method == "POST" else (allsec.get(key) or {})
            exists = name in folder
            if method == "POST":
                if exists:
                    return self.err(400, "Secret already exists", "BadRequestError", note="secret-exists")
                folder[name] = trim_secret_value(body["secretValue"])
                note = "created:%s/%s" % (path, name)
            else:
                if not exists:
                    return self.err(404, "Secret with name '%s' not found" % name, "NotFound",
                                    note="secret-not-found")
                if method == "PATCH":
                    if isinstance(body.get("secretValue"), str):
                        folder[name] = trim_secret_value(body["secretValue"])
                    new = body.get("newSecretName")
                    if isinstance(new, str) and new and new != name:
                        folder[new] = folder.pop(name)
                        name = new
                    note = "updated:%s/%s" % (path, name)
                else:
                    del folder[name]
                    note = "deleted:%s/%s" % (path, name)
            value = folder.get(name, "")
            allsec[key] = folder
            self.save_config(cfg)
        return json_response(200, {"secret": secret_obj(cfg, path, name, value)}, note=note)

    def create_folder(self, cfg, pkey):
        r, body = self.write_request(cfg)
        if r:
            return r
        name = body.get("name")
        if not isinstance(name, str) or not FOLDER_NAME_RE.match(name):
            return self.zod_err([{"code": "custom", "path": ["name"],
                                  "message": "Folder name can only contain alphanumeric, dashes, and "
                                             "underscore characters"}], note="bad-folder-name")
        with CONFIG_WRITE_LOCK:
            cfg = self.server.load_config()
            args = dict(body)
            args["secretPath"] = body.get("path") or body.get("directory") or "/"
            r, env, parent = self.check_scope(cfg, args, pkey)
            if r:
                return r
            full = norm_path(parent.rstrip("/") + "/" + name)
            if full in known_folders(cfg):
                return self.err(400, "Folder with name '%s' already exists in path '%s'" % (name, parent),
                                "BadRequestError", note="folder-exists")
            # The server makes missing intermediate folders too; listing the
            # full path covers its parents (see known_folders).
            folders = cfg.setdefault("folders", [])
            folders.append(full)
            self.save_config(cfg)
        fid = str(uuid.uuid5(uuid.NAMESPACE_URL, "raxx-fake-folder:" + full))
        now = iso_ms(time.time())
        return json_response(200, {"folder": {"id": fid, "name": name, "envId": "env-" + env,
                                              "parentId": None, "version": 1, "isReserved": False,
                                              "createdAt": now, "updatedAt": now, "path": full}},
                             note="folder-created:%s" % full)

    # -- folder listing (added for `handoff list`)

    def list_folders(self, cfg, pkey):
        """GET /api/v{1,2}/folders?...&path= : the folders directly in path.

        Like Infisical's getFolders, a path that does not exist lists nothing
        (an empty array, not a 404). v1 also takes `directory` for path.
        """
        r = self.forced(cfg, "secrets")
        if r:
            return r
        args = dict(self.query)
        args["secretPath"] = args.get("path") or args.get("directory") or "/"
        r, env, parent = self.check_scope(cfg, args, pkey)
        if r:
            return r
        out = []
        for f in sorted(known_folders(cfg)):
            if f != "/" and f.rsplit("/", 1)[0] == ("" if parent == "/" else parent):
                fid = str(uuid.uuid5(uuid.NAMESPACE_URL, "raxx-fake-folder:" + f))
                out.append({"id": fid, "name": f.rsplit("/", 1)[1], "envId": "env-" + env,
                            "parentId": None, "version": 1, "isReserved": False,
                            "createdAt": iso_ms(CREATED), "updatedAt": iso_ms(CREATED),
                            "path": f})
        return json_response(200, {"folders": out}, note="folders:%s" % parent,
                             log={"count": len(out)})


if __name__ == "__main__":
    sys.exit(fakelib.main(VaultHandler, __doc__))
