#!/usr/bin/env python3
"""The HTML pages and the report (DESIGN §17) in a real browser. Usage:
check_html.py PATH/TO/authority-lane [SCREENSHOT_DIR]  (exit 0 = every page passed).

Builds pages through the CLI — every channel of the demo's accepted packet, `packet --revision
1`, status; every channel of a draft in review (tokens minted by PyJWT); every channel of a
HOSTILE case whose untrusted strings (finding notes, source systems and records, agent ids,
redirect reasons, the declaration's scope and severity) are injection payloads; the report over
the 24 fixture cases — and writes a manifest of what each must show, taken from the CLI's JSON
(never from the HTML). `.ci/browser/check_pages.mjs` then opens each page in Debian's chromium
(playwright-core) and checks the DOM, the network, leaks, injection and axe-core's rules, and
writes a screenshot of each to SCREENSHOT_DIR (default target/screenshots).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import external_threat_check as ext  # noqa: E402  (PyJWT tokens, the CLI driver)
from external_threat_check import (  # noqa: E402
    ATTESTS, LEE, MARCUS, SAM, WORKFLOW, Case, decision, finding, run,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHANNELS = ["security-trust-review", "executive-brief", "authority-selection"]
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "</style><svg onload=alert(1)>",
    '<a href="https://evil.example">click</a>',
    "javascript:alert(1)",
    "<iframe src=//evil.example></iframe>",
    "&lt;b&gt;not bold&lt;/b&gt;",
    "<!-- comment --> ]]> <base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "line\nbreak and \u202ebidi",
]
# What shows as text verbatim: payloads without line breaks or invisible characters (those are
# shown as \n, \u{202e}).
VISIBLE = [p for p in PAYLOADS if "\n" not in p and "\u202e" not in p]


def must(*args):
    rc, out, err = run(*args)
    if rc != 0:
        raise SystemExit(f"{' '.join(args[:3])}… failed ({rc}): {err}")
    return out


def strings(v, out):
    if isinstance(v, str):
        if len(v) >= 6:
            out.add(v)
    elif isinstance(v, list):
        for x in v:
            strings(x, out)
    elif isinstance(v, dict):
        for x in v.values():
            strings(x, out)
    return out


class Pages:
    def __init__(self, dir):
        self.dir, self.pages = dir, []

    def add(self, name, kind, html, expect):
        path = os.path.join(self.dir, name + ".html")
        with open(path, "w") as f:
            f.write(html)
        self.pages.append({"name": name, "kind": kind, "file": path, "expect": expect})

    def channels(self, prefix, journal, state, pins=(), draft=False, payloads=()):
        """Every channel's packet page of a case, with expectations from its JSON views."""
        which = ("--draft",) if draft else tuple(pins)
        views = {c: json.loads(must("packet", "--journal", journal, *which, "--channel", c))
                 for c in CHANNELS}
        status_text = must("status", "--journal", journal, "--format", "html")
        full = strings(views["security-trust-review"], set())
        for c, view in views.items():
            html = must("packet", "--journal", journal, *which, "--channel", c, "--format", "html")
            withheld = sorted(s for s in full - strings(view, set()) if s not in status_text)
            # The payloads this channel's JSON view carries (a redacted finding carries none).
            mine = strings(view, set())
            shown = [p for p in payloads if any(p in s for s in mine)]
            self.add(f"{prefix}-{c}", "packet", html, {
                "state": state, "lane": view["recommended_lane"], "channel": c,
                "options": [[o["id"], o["boundary"]] for o in view["options"]],
                "withheld": withheld, "payloads": shown,
            })
        status = json.loads(must("status", "--journal", journal))
        self.add(f"{prefix}-status", "status", status_text,
                 {"state": status["state"], "lane": status["recommended_lane"]})


def demo(pages, tmp):
    journal = os.path.join(tmp, "demo.jsonl")
    must("demo", "--journal", journal)
    pins = ("--trust", os.path.join(tmp, "demo.trust.json"), "--workflow", WORKFLOW)
    pages.channels("demo", journal, "accepted", pins=pins)
    view = json.loads(must("packet", "--journal", journal, *pins, "--revision", "1"))
    pages.add("demo-revision-1", "packet",
              must("packet", "--journal", journal, *pins, "--revision", "1", "--format", "html"),
              {"state": "accepted", "lane": view["recommended_lane"],
               "options": [[o["id"], o["boundary"]] for o in view["options"]]})


def in_review(pages):
    c = Case()
    c.ok(*ext.REQUIRED)
    c.ok(decision(LEE.token({"kind": "review", "packet_digest": c.status()["draft_digest"],
                             "attests": ATTESTS})))
    assert c.status()["state"] == "in_review", c.status()
    pages.channels("review", c.journal, "in_review", draft=True)


def hostile(pages):
    """A case whose every untrusted string is a payload."""
    c = Case.__new__(Case)
    c.dir = tempfile.mkdtemp()
    c.journal = os.path.join(c.dir, "case.jsonl")
    c.trust = os.path.join(c.dir, "trust.json")
    with open(c.trust, "w") as f:
        json.dump(ext.trust_doc(ext.CAST), f)
    tok = os.path.join(c.dir, "declare.jws")
    with open(tok, "w") as f:
        f.write(SAM.token({"kind": "declare", "scope": PAYLOADS[0], "severity": PAYLOADS[1]}))
    must("init", "--workflow", WORKFLOW, "--trust", c.trust, "--journal", c.journal, "--token", tok)
    p = iter(PAYLOADS * 3)
    c.ok(
        finding("custody.exposure", "suspected", "custody-evidence", agent=next(p),
                record=next(p), system=next(p), note=next(p)),
        finding("lineage.desktop_agent_artifacts_in_window", 3, "release-lineage", agent=next(p),
                record=next(p), system=next(p), note=next(p)),
        finding("authority.platform_delegation", "active", "authority-matrix", agent=next(p),
                record=next(p), system=next(p), note=next(p)),
    )
    c.ok(decision(SAM.token({"kind": "redirect", "action": "request_evidence",
                             "facts": ["impact.customers_affected"], "reason": PAYLOADS[2]})))
    c.ok(finding("impact.customers_affected", 40, "impact-assessment", agent=PAYLOADS[5],
                 record=PAYLOADS[6], system=PAYLOADS[7], note=PAYLOADS[8]))
    digest = c.status()["assessment_digest"]
    c.ok(decision(MARCUS.token({"kind": "redirect", "action": "set_lane",
                                "lane": "legal-trust-office", "assessment_digest": digest,
                                "reason": PAYLOADS[3]})))
    state = c.status()["state"]
    # Payloads the full channel shows as text: every visible one (notes, records, systems, agent
    # ids, the redirect reasons and the declaration are all on the page).
    pages.channels("hostile", c.journal, state, draft=True, payloads=VISIBLE)


def report(pages, tmp):
    fixtures = os.path.join(tmp, "fixtures")
    subprocess.run(["cargo", "run", "-q", "--profile", "test", "--all-features", "--example",
                    "report_fixtures", "--", fixtures], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    r = json.loads(must("report", "--dir", fixtures))
    pages.add("report", "report", must("report", "--dir", fixtures, "--format", "html"),
              {"rows": [[c["case_id"], c["state"]] for c in r["cases"]]})


def main():
    shots = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "screenshots")
    browser = os.path.join(ROOT, ".ci", "browser")
    if not os.path.isdir(os.path.join(browser, "node_modules")):
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], check=True,
                       cwd=browser)
    tmp = tempfile.mkdtemp()
    try:
        pages = Pages(tmp)
        demo(pages, tmp)
        in_review(pages)
        hostile(pages)
        report(pages, tmp)
        manifest = os.path.join(tmp, "manifest.json")
        with open(manifest, "w") as f:
            json.dump(pages.pages, f)
        rc = subprocess.run(["node", os.path.join(browser, "check_pages.mjs"), manifest, shots]
                            ).returncode
        if rc != 0:
            raise SystemExit(f"html: the browser checks failed (pages in {tmp})")
        shutil.rmtree(tmp)
    except BaseException:
        print(f"html: pages kept in {tmp}", file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
