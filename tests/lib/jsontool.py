#!/usr/bin/env python3
"""JSON files and JSON-lines logs for the shell tests, so that no test
carries Python of its own to read or edit them. The shell functions in
test-lib.sh (json_*) and stack.sh (fake_*, token_state) call it.

A PATH names a value inside a document: keys separated by dots; in a
list, an index as a number or KEY=VALUE for the first object whose KEY
shows as VALUE; a dot inside a key written \\. (a slash needs nothing):
    behavior.access_tokens   secrets./MooseQuest/raxx-dev-bot.APP_ID
    checks.0.status          checks.name=mint.status   hosts.127\\.0\\.0\\.1
A value is printed as it is if it is a string, else as compact JSON
(null, true, 42, {"a":1}); several values on one line, space-separated.

  get [-k|-j] FILE PATH...     the values (-j: all as JSON, strings quoted;
                               -k: the keys of the object at PATH, or of the
                               document without one, sorted, one a line);
                               one absent: nothing, exit 1
  set FILE PATH VALUE...       VALUE is JSON, or -s STRING, or -f FILE (its
                               text); missing (or null) objects on the way
                               are made
  unset FILE PATH...           absent already is fine
  mv FILE FROM TO, cp FILE FROM TO
  reset FILE START [PATH...]   FILE as START holds it (only PATH, if given;
                               a PATH START does not have is removed)
  lines FILE [--requests] [--last] [-p FIELD]... [FILTER...]
                               the JSON lines that match every FILTER, whole
                               or their FIELDs; --requests: not the fakes'
                               events (connect, gate-held) unless a filter
                               names "event"
  count FILE [--requests] [FILTER...]
  token STATE TOKEN-FILE [FIELD...]
                               the GitHub fake's record of the token in
                               TOKEN-FILE: "REPOS PERMISSIONS live|revoked"
                               (REPOS "ALL" for the whole installation), or
                               its FIELDs
  tokens STATE [live|revoked]  the same line for every token it issued

A FILTER is FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, FIELD!~REGEX (a search,
anchor it for a whole match), FIELD (present, not null, false or empty) or
!FIELD. Edits are atomic (a temporary file, then a rename): a fake reading
its config meanwhile sees the old or the new one, never half.
"""

import hashlib
import json
import os
import re
import sys
import tempfile

ABSENT = object()


class Usage(Exception):
    pass


def split_path(path):
    keys, cur, i = [], "", 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path):
            cur += path[i + 1]
            i += 2
            continue
        if c == ".":
            keys.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    keys.append(cur)
    if any(k == "" for k in keys):
        raise Usage("bad path %r" % path)
    return keys


def step(node, key):
    if isinstance(node, dict):
        return node.get(key, ABSENT)
    if isinstance(node, list) and re.fullmatch(r"-?\d+", key):
        i = int(key)
        return node[i] if -len(node) <= i < len(node) else ABSENT
    if isinstance(node, list) and "=" in key:
        k, v = key.split("=", 1)
        return next((e for e in node if isinstance(e, dict) and k in e and show(e[k]) == v), ABSENT)
    return ABSENT


def lookup(doc, path):
    node = doc
    for k in split_path(path):
        node = step(node, k)
        if node is ABSENT:
            break
    return node


def parent_of(doc, path, make=False):
    """(the container holding PATH's last key, that key)."""
    keys = split_path(path)
    node = doc
    for k in keys[:-1]:
        nxt = step(node, k)
        if nxt is ABSENT or (make and nxt is None):
            if not make or not isinstance(node, dict):
                return None, keys[-1]
            nxt = node[k] = {}
        node = nxt
    return node, keys[-1]


def put(doc, path, value):
    node, k = parent_of(doc, path, make=True)
    if isinstance(node, list) and re.fullmatch(r"-?\d+", k):
        node[int(k)] = value
    elif isinstance(node, dict):
        node[k] = value
    else:
        raise Usage("cannot set %s: its parent is not an object" % path)


def remove(doc, path):
    node, k = parent_of(doc, path)
    if isinstance(node, dict):
        node.pop(k, None)
    elif isinstance(node, list) and re.fullmatch(r"-?\d+", k) and -len(node) <= int(k) < len(node):
        del node[int(k)]


def show(v):
    if v is ABSENT:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save(path, doc):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp.", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------- commands

def cmd_get(args):
    keys = as_json = False
    while args[:1] in (["-k"], ["-j"]):
        keys, as_json = keys or args[0] == "-k", as_json or args[0] == "-j"
        args = args[1:]
    if keys and len(args) == 1:
        args = args + [""]     # the document's own keys
    if len(args) < 2 or (keys and len(args) != 2):
        raise Usage("get [-k] FILE PATH...")
    doc = load(args[0])
    vals = [lookup(doc, p) if p else doc for p in args[1:]]
    missing = [p for p, v in zip(args[1:], vals) if v is ABSENT]
    if keys and not missing:
        if not isinstance(vals[0], dict):
            raise Usage("%s in %s is not an object" % (args[1], args[0]))
        for k in sorted(vals[0]):
            print(k)
    elif not keys and not missing:
        print(" ".join(json.dumps(v, separators=(",", ":"), sort_keys=True) if as_json else show(v)
                       for v in vals))
    if missing:
        sys.stderr.write("json: %s has no %s\n" % (args[0], ", ".join(missing)))
        return 1
    return 0


def cmd_set(args):
    if len(args) < 3:
        raise Usage("set FILE PATH VALUE...")
    path, rest = args[0], args[1:]
    doc = load(path)
    while rest:
        if len(rest) < 2:
            raise Usage("set: %s has no value" % rest[0])
        where, val = rest[0], rest[1]
        if val in ("-s", "-f"):
            if len(rest) < 3:
                raise Usage("set: %s %s needs an argument" % (where, val))
            if val == "-s":
                value = rest[2]
            else:
                with open(rest[2], encoding="utf-8") as f:
                    value = f.read()
            rest = rest[3:]
        else:
            try:
                value = json.loads(val)
            except ValueError:
                raise Usage("set: %s: %r is not JSON (-s VALUE for a string)" % (where, val))
            rest = rest[2:]
        put(doc, where, value)
    save(path, doc)
    return 0


def cmd_unset(args):
    if len(args) < 2:
        raise Usage("unset FILE PATH...")
    doc = load(args[0])
    for p in args[1:]:
        remove(doc, p)
    save(args[0], doc)
    return 0


def cmd_mv(args, keep=False):
    if len(args) != 3:
        raise Usage("mv|cp FILE FROM TO")
    doc = load(args[0])
    v = lookup(doc, args[1])
    if v is ABSENT:
        raise Usage("%s has no %s" % (args[0], args[1]))
    if keep:
        v = json.loads(json.dumps(v))
    else:
        remove(doc, args[1])
    put(doc, args[2], v)
    save(args[0], doc)
    return 0


def cmd_reset(args):
    if len(args) < 2:
        raise Usage("reset FILE START [PATH...]")
    start = load(args[1])
    if len(args) == 2:
        save(args[0], start)
        return 0
    doc = load(args[0])
    for p in args[2:]:
        v = lookup(start, p)
        if v is ABSENT:
            remove(doc, p)
        else:
            put(doc, p, v)
    save(args[0], doc)
    return 0


FILTER_RE = re.compile(r"^(!?)([^=~!]+)(?:(!?)([=~])(.*))?$", re.S)


def parse_filter(f):
    m = FILTER_RE.match(f)
    if not m or (m.group(1) and m.group(4)):
        raise Usage("bad filter %r" % f)
    neg_present, field, neg, op, want = m.groups()
    if not op:
        want_true = not neg_present

        def test(e):
            v = lookup(e, field)
            return (v is not ABSENT and v not in (None, False, "", [], {})) == want_true
    elif op == "=":
        def test(e):
            v = lookup(e, field)
            return (v is not ABSENT and show(v) == want) != bool(neg)
    else:
        rx = re.compile(want)

        def test(e):
            v = lookup(e, field)
            return (v is not ABSENT and rx.search(show(v)) is not None) != bool(neg)
    return field, test


def select(args):
    """(entries matching, fields to print, --last) from lines/count args."""
    if not args:
        raise Usage("lines|count FILE [options] [FILTER...]")
    path, rest = args[0], args[1:]
    requests = last = False
    fields, tests, named = [], [], set()
    while rest:
        a = rest.pop(0)
        if a == "--requests":
            requests = True
        elif a == "--last":
            last = True
        elif a == "-p":
            if not rest:
                raise Usage("-p needs a FIELD")
            fields.append(rest.pop(0))
        else:
            field, test = parse_filter(a)
            named.add(split_path(field)[0])
            tests.append(test)
    out = []
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return out, fields, last
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError:
                raise Usage("%s:%d is not JSON" % (path, n))
            if requests and "event" not in named and isinstance(e, dict) and e.get("event"):
                continue
            if all(t(e) for t in tests):
                out.append(e)
    return out, fields, last


def cmd_lines(args):
    entries, fields, last = select(args)
    if last:
        entries = entries[-1:]
    for e in entries:
        if fields:
            print(" ".join(show(lookup(e, p)) for p in fields))
        else:
            print(show(e))
    return 0


def cmd_count(args):
    entries, fields, last = select(args)
    if fields or last:
        raise Usage("count takes no -p or --last")
    print(len(entries))
    return 0


def token_line(rec):
    repos = ",".join(rec.get("repositories") or ["ALL"])
    perms = ",".join("%s:%s" % kv for kv in sorted((rec.get("permissions") or {}).items()))
    return "%s %s %s" % (repos, perms, "revoked" if rec.get("revoked") else "live")


def cmd_token(args):
    if len(args) < 2:
        raise Usage("token STATE TOKEN-FILE [FIELD...]")
    with open(args[1], encoding="utf-8") as f:
        tok = f.read().strip()
    try:
        state = load(args[0])
    except FileNotFoundError:
        state = {}
    rec = state.get(hashlib.sha256(tok.encode("utf-8")).hexdigest())
    if rec is None:
        sys.stderr.write("json: the GitHub fake issued no token like the one in %s\n" % args[1])
        return 1
    print(" ".join(show(lookup(rec, p)) for p in args[2:]) if args[2:] else token_line(rec))
    return 0


def cmd_tokens(args):
    if len(args) not in (1, 2) or args[1:] not in ([], ["live"], ["revoked"]):
        raise Usage("tokens STATE [live|revoked]")
    try:
        state = load(args[0])
    except FileNotFoundError:
        state = {}
    for _, rec in sorted(state.items(), key=lambda kv: (kv[1].get("created_at", 0), kv[0])):
        line = token_line(rec)
        if args[1:] and not line.endswith(" " + args[1]):
            continue
        print(line)
    return 0


COMMANDS = {"get": cmd_get, "set": cmd_set, "unset": cmd_unset, "mv": cmd_mv,
            "cp": lambda a: cmd_mv(a, keep=True), "reset": cmd_reset, "lines": cmd_lines,
            "count": cmd_count, "token": cmd_token, "tokens": cmd_tokens}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write("usage: jsontool.py %s ...\n" % "|".join(COMMANDS))
        return 64
    try:
        return COMMANDS[argv[0]](argv[1:])
    except Usage as e:
        sys.stderr.write("json: %s\n" % e)
        return 64
    except (OSError, ValueError) as e:
        sys.stderr.write("json: %s: %s\n" % (argv[0], e))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
