#!/usr/bin/env python3
"""Check logged GitHub exchanges against GitHub's published description.

    python3 tests/openapi/validate.py [--require-all] [--spec FILE] LOG...

LOG is a GitHub fake's JSON-lines log written with "log_bodies" on (see
tests/fakes/fake_github.py): per REST call the method, path, status, the
request body ("request_json") and the answer ("response_json"). Each call
is matched to an operation of tests/openapi/github-rest.json (extracted
from @octokit/openapi by extract.py) and checked:

  * the operation is one the program is known to use (else: drift);
  * the request body against the operation's request schema, strictly
    (no property the description does not name: GitHub refuses them);
  * the status is one the description lists for the operation; an
    unlisted 4xx/5xx is allowed with GitHub's basic error body;
  * the answer against that status's schema, strictly (the fake must not
    invent fields), required properties, types, enums, nullability and the
    date-time/uri/email formats.

One known difference is allowed: GitHub's error answers carry
"status" ("404", as a string) beside "message" and "documentation_url",
also where the description's error schema (validation-error) does not
name it.

GitHub's own redirects for moved repositories are matched as the
operation they stand for: /repositories/{id}/installation is
/repos/{owner}/{repo}/installation (GitHub's documented behaviour for
renamed repositories; the description lists the 301 but not the target).

--require-all: also fail when an operation of the file was never seen.
Prints one line per problem and a summary; exit 1 when there were any.
Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
API_PREFIX = "/api/v3"     # the GitHub fake serves GHES paths
ALIASES = [
    ("GET", "/repositories/{repository_id}/installation", "/repos/{owner}/{repo}/installation"),
]
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class Checker:
    def __init__(self, spec):
        self.spec = spec
        self.defs = spec.get("definitions") or {}

    def resolve(self, schema):
        while isinstance(schema, dict) and "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.defs[name]
        return schema

    def nullable(self, schema):
        schema = self.resolve(schema)
        if schema.get("nullable") or schema.get("type") == "null":
            return True
        return any(self.nullable(s) for s in (schema.get("anyOf") or []) + (schema.get("oneOf") or []))

    def check(self, schema, v, where, strict):
        """A list of problems ("" list: v fits)."""
        schema = self.resolve(schema)
        if not schema:
            return []
        if v is None:
            return [] if self.nullable(schema) else ["%s: null, which is not allowed" % where]
        errs = []
        if schema.get("allOf"):
            # one object made of the parts: a property named by any part
            # is known (strictness must not flag it in the others)
            merged = {k: x for k, x in schema.items() if k != "allOf"}
            for sub in schema["allOf"]:
                sub = self.resolve(sub)
                for k, x in sub.items():
                    if k == "properties":
                        merged["properties"] = dict(merged.get("properties") or {}, **x)
                    elif k == "required":
                        merged["required"] = list(merged.get("required") or []) + list(x)
                    else:
                        merged.setdefault(k, x)
            return self.check(merged, v, where, strict)
        alts = (schema.get("anyOf") or []) + (schema.get("oneOf") or [])
        if alts:
            tries = [self.check(a, v, where, strict) for a in alts]
            if all(tries):
                best = min(tries, key=len)
                errs += ["%s: fits none of %d alternatives; the closest: %s" % (
                    where, len(alts), "; ".join(best[:3]))]
        t = schema.get("type")
        if t is not None:
            ok = {"string": lambda x: isinstance(x, str),
                  "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
                  "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
                  "boolean": lambda x: isinstance(x, bool),
                  "object": lambda x: isinstance(x, dict),
                  "array": lambda x: isinstance(x, list),
                  "null": lambda x: x is None}.get(t, lambda x: True)
            if not ok(v):
                return errs + ["%s: %s, not %s" % (where, type(v).__name__, t)]
        if "enum" in schema and v not in schema["enum"]:
            errs.append("%s: %r is not one of %s" % (where, v, schema["enum"]))
        fmt = schema.get("format")
        if isinstance(v, str):
            if fmt == "date-time" and not DATE_TIME.match(v):
                errs.append("%s: %r is not a date-time" % (where, v))
            elif fmt == "uri" and not URI.match(v):
                errs.append("%s: %r is not a URI" % (where, v))
            elif fmt == "email" and "@" not in v:
                errs.append("%s: %r is not an email address" % (where, v))
        if isinstance(v, dict):
            props = schema.get("properties")
            for k in schema.get("required") or []:
                if k not in v:
                    errs.append("%s: required property %r missing" % (where, k))
            extra = schema.get("additionalProperties")
            for k, x in v.items():
                if props and k in props:
                    errs += self.check(props[k], x, "%s.%s" % (where, k), strict)
                elif isinstance(extra, dict):
                    errs += self.check(extra, x, "%s.%s" % (where, k), strict)
                elif extra is False or (strict and props is not None and extra is None and not alts):
                    errs.append("%s: property %r is not in GitHub's description" % (where, k))
        if isinstance(v, list):
            if "maxItems" in schema and len(v) > schema["maxItems"]:
                errs.append("%s: %d items, at most %d" % (where, len(v), schema["maxItems"]))
            if "minItems" in schema and len(v) < schema["minItems"]:
                errs.append("%s: %d items, at least %d" % (where, len(v), schema["minItems"]))
            if "items" in schema:
                for i, x in enumerate(v):
                    errs += self.check(schema["items"], x, "%s[%d]" % (where, i), strict)
        return errs


def template_re(path):
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def match(ops, method, path):
    for m, alias, real in ALIASES:
        if m == method and template_re(alias).match(path):
            path = None
            target = real
            break
    else:
        target = None
    for op in ops:
        if op["method"] != method:
            continue
        if (target and op["path"] == target) or (path and template_re(op["path"]).match(path)):
            return op
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spec", default=os.path.join(HERE, "github-rest.json"))
    p.add_argument("--require-all", action="store_true")
    p.add_argument("logs", nargs="+")
    args = p.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    c = Checker(spec)
    ops = spec["operations"]
    basic_error = {"$ref": "#/definitions/basic-error"}
    seen, problems, checked = set(), [], 0
    statuses = {}

    for log in args.logs:
        with open(log) as f:
            for n, line in enumerate(f, 1):
                e = json.loads(line)
                path, method = e.get("path") or "", e.get("method")
                if e.get("event") or not path.startswith(API_PREFIX + "/"):
                    continue
                path = path[len(API_PREFIX):]
                status = e.get("status")
                where = "%s:%d %s %s -> %s" % (os.path.basename(log), n, method, path, status)
                if status is None:
                    continue   # a request the fake let hang
                checked += 1
                op = match(ops, method, path)
                if op is None:
                    problems.append("%s: not an operation the program is known to use "
                                    "(add it to tests/openapi/extract.py)" % where)
                    continue
                seen.add((op["method"], op["path"]))
                per = statuses.setdefault((op["method"], op["path"]), {})
                per[status] = per.get(status, 0) + 1
                for k in ("request_json_invalid", "response_json_invalid"):
                    if e.get(k):
                        problems.append("%s: the %s body is not JSON" % (where, k.split("_")[0]))
                rb = op.get("request_body")
                body = e.get("request_json")
                if body is not None:
                    if rb is None:
                        problems.append("%s: a request body, where GitHub takes none" % where)
                    else:
                        problems += ["%s: request %s" % (where, x) for x in
                                     c.check(rb["schema"], body, "body", strict=True)]
                resp = op["responses"].get(str(status))
                answer = e.get("response_json")
                if resp is None:
                    if status < 400:
                        problems.append("%s: HTTP %s is not an answer GitHub lists for %s (%s)" % (
                            where, status, op["operationId"], ", ".join(sorted(op["responses"]))))
                    elif answer is not None:
                        problems += ["%s: error %s" % (where, x) for x in
                                     c.check(basic_error, answer, "answer", strict=True)]
                    continue
                if resp["schema"] is None:
                    if answer is not None:
                        problems.append("%s: a body, where GitHub sends none" % where)
                    continue
                if answer is None:
                    problems.append("%s: no JSON answer, where GitHub sends one" % where)
                    continue
                if status >= 400 and isinstance(answer, dict) and isinstance(answer.get("status"), str):
                    answer = {k: v for k, v in answer.items() if k != "status"}
                problems += ["%s: %s" % (where, x) for x in
                             c.check(resp["schema"], answer, "answer", strict=True)]

    if args.require_all:
        for op in ops:
            if (op["method"], op["path"]) not in seen:
                problems.append("never exercised: %s %s (%s)" % (op["method"], op["path"], op["operationId"]))
    for x in problems:
        print("openapi: " + x)
    for op in ops:
        per = statuses.get((op["method"], op["path"]))
        if per:
            print("openapi: seen %s %s: %s" % (op["method"], op["path"], ", ".join(
                "%s x%d" % (st, n) for st, n in sorted(per.items()))))
    src = spec["source"]
    print("openapi: %d exchanges checked against %s %s (%d of %d operations seen): %d problems" % (
        checked, src["package"], src["version"], len(seen), len(ops), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
