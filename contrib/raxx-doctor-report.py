#!/usr/bin/env python3
"""raxx-doctor-report.py: turn `git-credential-raxx doctor [--all] --json`
into a report a person reads: plain text on stdout (the alert's text), and
in GitHub Actions (--github) an error annotation per FAIL, a warning per
WARN, and a table in the job summary.

usage: raxx-doctor-report.py [--status N] [--stderr FILE] [--title TEXT]
                             [--github] DOCTOR_JSON

  --status N     doctor's exit status (default 0)
  --stderr FILE  doctor's stderr, quoted when there is no JSON report
  --title TEXT   the report's first line, before ": exit N"

The JSON is walked as a whole: every object with a "name" and a "status"
of FAIL or WARN is a check, and the nearest "bot" above it names its bot,
so one run (doctor --json) and every bot of the map (doctor --all --json)
read the same way. Text from the report is stripped of control
characters; doctor never prints a secret, so the report holds none.

Exit status: 1 when doctor failed (a non-zero status, a FAIL, or no JSON
report at all), else 0.
"""

import argparse
import json
import os
import re
import sys

CTRL = re.compile(r"[\x00-\x1f\x7f]")


def clean(v):
    return CTRL.sub("?", v if isinstance(v, str) else "" if v is None else str(v))


def checks(o, bot=None):
    """(bot, check) for every FAIL or WARN check below o, in order."""
    if isinstance(o, dict):
        if isinstance(o.get("bot"), str):
            bot = o["bot"]
        if isinstance(o.get("name"), str) and o.get("status") in ("FAIL", "WARN"):
            yield bot, o
        for v in o.values():
            if isinstance(v, (dict, list)):
                yield from checks(v, bot)
    elif isinstance(o, list):
        for v in o:
            yield from checks(v, bot)


def gh_escape(s, prop=False):
    """A workflow command's data (or property) escaped as GitHub wants it."""
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def md_cell(s):
    return clean(s).replace("|", "\\|")


def main():
    p = argparse.ArgumentParser(description="Report git-credential-raxx doctor's JSON for people.")
    p.add_argument("--status", type=int, default=0)
    p.add_argument("--stderr")
    p.add_argument("--title", default="git-credential-raxx doctor")
    p.add_argument("--github", action="store_true")
    p.add_argument("json")
    a = p.parse_args()

    report = None
    try:
        with open(a.json, encoding="utf-8", errors="replace") as f:
            report = json.load(f)
    except (OSError, ValueError):
        report = None

    found = list(checks(report)) if report is not None else []
    fails = [c for c in found if c[1]["status"] == "FAIL"]
    warns = [c for c in found if c[1]["status"] == "WARN"]
    failed = a.status != 0 or bool(fails) or report is None

    out = ["%s: exit %d" % (clean(a.title), a.status)]
    if report is None:
        out.append("doctor gave no JSON report (exit %d)%s" % (
            a.status, "; its stderr:" if a.stderr else ""))
        if a.stderr:
            try:
                with open(a.stderr, encoding="utf-8", errors="replace") as f:
                    out += ["  " + clean(x.rstrip("\n")) for x in f.readlines()[-20:]]
            except OSError:
                pass
    else:
        out.append("%d FAIL, %d WARN" % (len(fails), len(warns)))
        for bot, c in fails + warns:
            out.append("[%s] %s%s  %s" % (c["status"], clean(bot) + ": " if bot else "",
                                          clean(c["name"]), clean(c.get("detail"))))
            if c.get("fix"):
                out.append("       fix: " + clean(c["fix"]))
    print("\n".join(out))

    if a.github:
        for bot, c in fails + warns:
            kind = "error" if c["status"] == "FAIL" else "warning"
            title = "raxx doctor: %s%s" % (clean(bot) + " " if bot else "", clean(c["name"]))
            msg = clean(c.get("detail"))
            if c.get("fix"):
                msg += " (fix: %s)" % clean(c["fix"])
            print("::%s title=%s::%s" % (kind, gh_escape(title, True), gh_escape(msg)))
        if report is None:
            print("::error title=raxx doctor::%s" % gh_escape(out[1]))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as f:
                f.write("## %s %s\n\n" % ("FAIL" if failed else "PASS", md_cell(out[0])))
                if fails or warns:
                    f.write("| status | bot | check | detail | fix |\n|---|---|---|---|---|\n")
                    for bot, c in fails + warns:
                        f.write("| %s | %s | %s | %s | %s |\n" % (
                            c["status"], md_cell(bot or ""), md_cell(c["name"]),
                            md_cell(c.get("detail")), md_cell(c.get("fix"))))
                else:
                    f.write("\n".join(md_cell(x) for x in out[1:]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
