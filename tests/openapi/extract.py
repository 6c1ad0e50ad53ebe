#!/usr/bin/env python3
"""Extract, from GitHub's published REST description, the operations this
program (and the GitHub fake) uses, into a small JSON file that the tests
check the fake's answers and the program's request bodies against without
any network (tests/openapi/validate.py, tests/t0150-github-openapi.sh).

The source is the npm package @octokit/openapi (GitHub's own OpenAPI
description, published by the Octokit team), file
generated/api.github.com.deref.json (every $ref resolved). Run again when
the program starts using another endpoint, or to follow GitHub:

    python3 tests/openapi/extract.py            # npm pack into a temp dir
    python3 tests/openapi/extract.py --package DIR_OR_TGZ

and commit tests/openapi/github-rest.json. Python 3 standard library only
(npm is needed only to fetch the package).

The output keeps, per operation: method, path, operationId, the
request-body schema (access_tokens: repositories, repository_ids,
permissions) and, per documented status, the response schema (or null for
a status without a body) and documented headers. Documentation keys
(description, example, ...) are dropped; named object schemas (the spec's
"title": "Simple User", "Repository", ...) are stored once under
"definitions" and referred to with {"$ref": "#/definitions/NAME"}.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@octokit/openapi"
SPEC_FILE = "package/generated/api.github.com.deref.json"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "github-rest.json")

# (method, path, what the program does with it)
OPERATIONS = [
    ("post", "/app/installations/{installation_id}/access_tokens",
     "mint an installation token (github.c github_create_token)"),
    ("get", "/repos/{owner}/{repo}/installation",
     "find the installation of a repository (github.c github_find_installation)"),
    ("get", "/app/installations/{installation_id}", "doctor: the vault's installation"),
    ("get", "/app/installations", "doctor: the App's installations"),
    ("get", "/app", "doctor: the App the key signs for"),
    ("get", "/installation/repositories", "handoff verify: what a live token reaches"),
    ("delete", "/installation/token", "revoke a token (github.c github_revoke_token)"),
    ("get", "/users/{username}", "the bot user's id for the commit email"),
    ("get", "/rate_limit", "doctor: GitHub's clock (Date), without credentials"),
    ("get", "/user", "doctor --ops: the operator's PAT"),
]
# the request-body properties the program may send
BODY_PROPERTIES = {
    "/app/installations/{installation_id}/access_tokens": ["repositories", "repository_ids", "permissions"],
}
DOC_KEYS = {"description", "example", "examples", "externalDocs", "summary", "title",
            "x-github", "x-octokit", "x-github-breaking-changes", "deprecated", "readOnly",
            "writeOnly"}


def fetch_package(tmp):
    """npm pack the package into tmp; the tarball's path."""
    out = subprocess.run(["npm", "pack", PACKAGE, "--silent", "--pack-destination", tmp],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()
    return os.path.join(tmp, out[-1].strip())


def load(package):
    """(spec, package.json) from a tarball or an unpacked package directory."""
    if os.path.isdir(package):
        base = package if os.path.basename(package.rstrip("/")) == "package" else os.path.join(package, "package")
        with open(os.path.join(base, "generated", "api.github.com.deref.json")) as f:
            spec = json.load(f)
        with open(os.path.join(base, "package.json")) as f:
            meta = json.load(f)
        return spec, meta
    with tarfile.open(package) as t:
        spec = json.load(t.extractfile(SPEC_FILE))
        meta = json.load(t.extractfile("package/package.json"))
    return spec, meta


class Definitions:
    def __init__(self):
        self.defs = {}

    def name_for(self, title, body):
        base = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower() or "schema"
        name, n = base, 1
        while name in self.defs and self.defs[name] != body:
            n += 1
            name = "%s-%d" % (base, n)
        self.defs[name] = body
        return name

    def strip(self, x):
        """Drop documentation keys; store titled object schemas once."""
        if isinstance(x, list):
            return [self.strip(v) for v in x]
        if not isinstance(x, dict):
            return x
        body = {}
        for k, v in x.items():
            if k == "properties" and isinstance(v, dict):
                # property names are data, even "description" or "title"
                body[k] = {name: self.strip(sub) for name, sub in v.items()}
            elif k not in DOC_KEYS:
                body[k] = self.strip(v)
        title = x.get("title")
        if title and (body.get("type") == "object" or "properties" in body):
            return {"$ref": "#/definitions/" + self.name_for(title, body)}
        return body


def extract(spec, meta):
    d = Definitions()
    ops = []
    for method, path, why in OPERATIONS:
        op = spec["paths"][path][method]
        entry = {"method": method.upper(), "path": path, "operationId": op["operationId"],
                 "used_for": why, "request_body": None, "responses": {}}
        rb = op.get("requestBody")
        if rb:
            schema = rb["content"]["application/json"]["schema"]
            keep = BODY_PROPERTIES.get(path)
            props = schema.get("properties") or {}
            missing = [k for k in keep or [] if k not in props]
            if missing:
                sys.exit("extract: %s %s has no %s in its request body" % (method, path, missing))
            body = dict(schema)
            if keep is not None:
                body["properties"] = {k: props[k] for k in keep}
            entry["request_body"] = {"required": bool(rb.get("required")), "schema": d.strip(body)}
        for status, resp in sorted(op["responses"].items()):
            content = (resp.get("content") or {}).get("application/json")
            entry["responses"][status] = {
                "schema": d.strip(content["schema"]) if content and "schema" in content else None,
                "headers": sorted((resp.get("headers") or {}).keys()),
            }
        ops.append(entry)
    return {
        "source": {"package": PACKAGE, "version": meta["version"],
                   "file": SPEC_FILE.split("/", 1)[1],
                   "openapi": spec.get("openapi"), "info_version": (spec.get("info") or {}).get("version")},
        "note": "generated by tests/openapi/extract.py; do not edit by hand",
        "operations": ops,
        "definitions": dict(sorted(d.defs.items())),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--package", help="the package: a .tgz from `npm pack " + PACKAGE + "`, or its directory")
    p.add_argument("--out", default=OUT)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = args.package or fetch_package(tmp)
        spec, meta = load(package)
    out = extract(spec, meta)
    tmp_out = args.out + ".tmp"
    with open(tmp_out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp_out, args.out)
    print("%s: %d operations, %d definitions, from %s %s" % (
        os.path.relpath(args.out), len(out["operations"]), len(out["definitions"]),
        PACKAGE, meta["version"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
