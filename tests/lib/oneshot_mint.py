#!/usr/bin/env python3
"""A one-shot mint in the manner of the operator's original Python script,
for `make bench` to compare the program's client CPU with.

usage: oneshot_mint.py BOT

Reads the same environment the program does (INFISICAL_CLIENT_ID,
INFISICAL_CLIENT_SECRET, INFISICAL_PROJECT_ID, INFISICAL_HOST,
INFISICAL_ENV, INFISICAL_PATH_PREFIX, RAXX_GITHUB_API, RAXX_CA_BUNDLE)
and does what such a script does on every call: log in to the vault,
read the bot's secrets, sign the App JWT (with `openssl dgst`, as scripts
without a JWT library do), ask GitHub for an installation token, print it.
No cache, no retries, no single flight. Standard library only.

The TLS context is made once and shared by the three requests, which is
the kinder way to Python: a script that lets urllib make one per request
decodes the CA bundle three times.
"""

import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def call(ctx, method, url, headers, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    for k, v in headers.items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read())


def sign_rs256(pem, signing_input):
    # the key goes through a private temporary file, never argv
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=True) as f:
        os.chmod(f.name, 0o600)
        f.write(pem)
        f.flush()
        r = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f.name],
                           input=signing_input, stdout=subprocess.PIPE, check=True)
    return r.stdout


def main():
    bot = sys.argv[1]
    env = os.environ
    host = env.get("INFISICAL_HOST", "https://app.infisical.com").rstrip("/")
    api = host if host.endswith("/api") else host + "/api"
    prefix = env.get("INFISICAL_PATH_PREFIX", "/MooseQuest/").rstrip("/")
    github = env.get("RAXX_GITHUB_API", "https://api.github.com").rstrip("/")

    ctx = ssl.create_default_context()
    if env.get("RAXX_CA_BUNDLE"):
        ctx.load_verify_locations(env["RAXX_CA_BUNDLE"])

    login = call(ctx, "POST", api + "/v1/auth/universal-auth/login", {},
                 {"clientId": env["INFISICAL_CLIENT_ID"],
                  "clientSecret": env["INFISICAL_CLIENT_SECRET"]})
    q = urllib.parse.urlencode({"workspaceId": env["INFISICAL_PROJECT_ID"],
                                "environment": env.get("INFISICAL_ENV", "prod"),
                                "secretPath": prefix + "/" + bot})
    raw = call(ctx, "GET", api + "/v3/secrets/raw?" + q,
               {"Authorization": "Bearer " + login["accessToken"]})
    secrets = {s["secretKey"]: s["secretValue"] for s in raw["secrets"]}

    now = int(time.time())
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"iat": now - 60, "exp": now + 540,
                                "iss": secrets["APP_ID"]}).encode())
    signing_input = (head + "." + claims).encode()
    pem = secrets["PRIVATE_KEY_PEM"].replace("\\n", "\n")
    jwt = head + "." + claims + "." + b64url(sign_rs256(pem, signing_input))

    tok = call(ctx, "POST", "%s/app/installations/%s/access_tokens"
               % (github, secrets["INSTALLATION_ID"]),
               {"Authorization": "Bearer " + jwt,
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}, {})
    print(tok["token"])


if __name__ == "__main__":
    main()
