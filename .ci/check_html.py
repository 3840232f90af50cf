#!/usr/bin/env python3
"""The HTML pages and the report (DESIGN §17) in a real browser. Usage, from the repo root:

    python3 .ci/check_html.py PATH/TO/authority-lane [SCREENSHOT_DIR]   (exit 0 = every page passed)

Builds pages through the CLI, in a temporary directory:
  - the demo: every channel of its accepted packet, `packet --revision 1`, `status`;
  - a case in review (tokens minted here with PyJWT): every channel's `packet --draft`, status;
  - HOSTILE cases, with a trust file and Ed25519 keys of their own: injection payloads in every
    untrusted string the CLI accepts — the case id (the tokens' `sub`), the declaration's scope and
    severity, finding notes, source systems and records, agent ids, the reasons of
    `request_evidence`, `set_lane` and `exclude_option` redirects and of a stand-down (a second
    case). Every channel of the draft and of the accepted packet, and both cases' status pages.
    (Principal ids cannot carry a payload: the trust file's grammar refuses them; checked here.)
  - the report over the 24 fixture cases (`examples/report_fixtures`).
It writes a manifest of what each page must show, taken from the CLI's JSON for the same view
(`packet --format json`, `status`, `report`) — never from the HTML — and runs
`.ci/browser/check_pages.mjs`, which opens each page in Debian's chromium (playwright-core) and
checks: no request leaves the page and no CSP violation; the CSP names only the page's
stylesheet; header, lit state (and its superstates), lanes, options, evidence rows, approvals
(packet, status) or case rows and distributions (report) as the JSON says; only the renderer's
elements, and no attribute that runs, loads or links; no string the channel withholds; each
payload the view carries shown as text; axe-core (no serious or critical violation); a
full-page screenshot of each into SCREENSHOT_DIR (default target/screenshots).

Installs what it needs, quietly: PyJWT and cryptography (pip), playwright-core and axe-core
(`npm ci --prefix .ci/browser`). Chromium: /usr/bin/chromium, or $CHROMIUM.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BROWSER = os.path.join(HERE, "browser")


def quietly(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def python_deps():
    missing = [pip for mod, pip in (("jwt", "pyjwt"), ("cryptography", "cryptography"))
               if importlib.util.find_spec(mod) is None]
    if missing:
        quietly(sys.executable, "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", *missing)


def node_deps():
    if os.path.isdir(os.path.join(BROWSER, "node_modules")):
        return
    how = "ci" if os.path.exists(os.path.join(BROWSER, "package-lock.json")) else "install"
    quietly("npm", how, "--prefix", BROWSER, "--silent", "--no-audit", "--no-fund")


python_deps()
sys.path.insert(0, HERE)
import jwt  # noqa: E402
import external_threat_check as ext  # noqa: E402  (the cast, PyJWT tokens, the CLI driver)
from external_threat_check import (  # noqa: E402
    ATTESTS, CAST, DANA, INES, LEE, MARCUS, SAM, WORKFLOW, Case, Person, decision, finding, run,
)

CHANNELS = ["security-trust-review", "executive-brief", "authority-selection"]
FULL = CHANNELS[0]
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "</style><svg onload=alert(1)>",
    '<a href="https://evil.example">x</a>',
    "javascript:alert(1)",
    "<iframe src=//evil.example>",
    "&lt;b&gt;not bold&lt;/b&gt;",
    "<!-- comment",
    "]]> <![CDATA[ x",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "line\nbreak",
    "\u202ebidi override",
]
# Payloads that must be visible verbatim: without line breaks or bidi controls, which the
# renderer may show escaped (the page checks that no raw bidi control reaches the text).
VISIBLE = [p for p in PAYLOADS if "\n" not in p and "\u202e" not in p]
# The case id: an attribute break-out and a script, distinct from every payload above.
HOSTILE_CASE = 'sev1"><b onmouseover=alert(2)>case</b><script>alert(2)</script>'
VOCABULARY = set()
TEMP = []  # the cases' directories, removed when every check passed
CHECKS = []  # (name, ok, detail) of the checks made here, outside the browser


def must(*args, stdin=None):
    rc, out, err = run(*args, stdin=stdin)
    if rc != 0:
        raise SystemExit(f"{' '.join(args[:3])}… failed ({rc}): {err}")
    return out


def strings(v, out):
    """Every string value (≥ 6 characters) in a JSON document."""
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


def vocabulary():
    """Words any page may show whatever its channel: every string of the workflow (ids, enum
    values, titles) and every enum or const of the published schemas (kinds, states)."""
    words = strings(json.load(open(WORKFLOW)), set())

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "const" and isinstance(x, str):
                    words.add(x)
                elif k == "enum":
                    words.update(e for e in x if isinstance(e, str))
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    schemas = os.path.join(ROOT, "schemas")
    for name in os.listdir(schemas):
        walk(json.load(open(os.path.join(schemas, name))))
    return words


def withheld(full, view):
    """Strings of the full channel's view that this channel's view does not carry: neither one
    of its own strings nor inside one, nor a word of the workflow or the schemas."""
    mine = strings(view, set())
    return sorted(s for s in strings(full, set()) - mine - VOCABULARY
                  if not any(s in m for m in mine))


def carried(view, payloads):
    """The payloads some string of a JSON view carries."""
    mine = strings(view, set())
    return [p for p in payloads if any(p in s for s in mine)]


def findings(view):
    """[fact, index, redacted] of every evidence row the view lists."""
    return [[fact, e["index"], bool(e.get("redacted"))]
            for fact, fl in view.get("lineage", {}).get("facts", {}).items()
            for e in fl.get("decisive", [])]


def approvals(view):
    """[kind, status] per approval: voided, carried (signed an earlier draft of this revision),
    superseded (an earlier revision) or counts."""
    out = []
    for a in view.get("approvals", []):
        s = a.get("signed")
        if a["voided"]:
            status = "voided"
        elif s and s["revision"] == view["revision"] and s["draft_digest"] != view["packet_digest"]:
            status = "carried"
        elif a.get("revision") is not None and a["revision"] < view["revision"]:
            status = "superseded"
        else:
            status = "counts"
        out.append([a["kind"], status])
    return out


def supers(path, state):
    """The superstates lit with a leaf, from status's `path` (e.g. open/deciding/drafted)."""
    parts = path.split("/")
    return parts[:-1] if parts[-1] == state else None


class Pages:
    def __init__(self, dir):
        self.dir, self.pages = dir, []

    def add(self, name, kind, html, expect):
        path = os.path.join(self.dir, name + ".html")
        with open(path, "w") as f:
            f.write(html)
        self.pages.append({"name": name, "kind": kind, "file": path, "expect": expect})

    def packet(self, name, journal, which, channel, full, status, payloads):
        """One channel's packet page; `full` is the full channel's JSON view of the same packet."""
        view = json.loads(must("packet", "--journal", journal, *which, "--channel", channel))
        html = must("packet", "--journal", journal, *which, "--channel", channel,
                    "--format", "html")
        current = "--revision" not in which  # the current draft or packet: status describes it
        self.add(name, "packet", html, {
            "state": status["state"] if "--draft" in which else "accepted",
            "supers": supers(status["path"], status["state"]) if current else None,
            "lane": view["recommended_lane"], "channel": view["channel"],
            "case": view["case_id"], "revision": view["revision"],
            "options": [[o["id"], o["boundary"]] for o in view["options"]],
            "lanes": [[l["lane"], l["status"]] for l in view["lanes"]],
            "findings": findings(view), "approvals": approvals(view),
            "withheld": withheld(full, view),
            "payloads": carried(view, payloads),
        })
        return view

    def channels(self, prefix, journal, which, payloads=()):
        """Every channel's packet page of a case, and its status page."""
        status = json.loads(must("status", "--journal", journal))
        full = json.loads(must("packet", "--journal", journal, *which, "--channel", FULL))
        for c in CHANNELS:
            self.packet(f"{prefix}-{c}", journal, which, c, full, status, payloads)
        self.status(f"{prefix}-status", journal, payloads)

    def status(self, name, journal, payloads=()):
        status = json.loads(must("status", "--journal", journal))
        self.add(name, "status", must("status", "--journal", journal, "--format", "html"), {
            "state": status["state"], "supers": supers(status["path"], status["state"]),
            "lane": status["recommended_lane"], "case": status["case_id"],
            "revision": status["revision"], "payloads": carried(status, payloads),
        })


    def report(self, name, which, payloads=()):
        """A report page, with expectations from `report`'s JSON over the same journals."""
        r = json.loads(must("report", *which))
        dists = {k: v for k, v in r["across"].items() if isinstance(v, dict) and "n" in v}
        self.add(name, "report", must("report", *which, "--format", "html"), {
            "cases": len(r["cases"]),
            "rows": [[c["case_id"], c["state"]] for c in r["cases"]],
            "distributions": [[k, str(v["n"]), str(v.get("median", "")), str(v.get("p90", ""))]
                              for k, v in dists.items()],
            "payloads": carried(r, payloads),
        })


def demo(pages, tmp):
    journal = os.path.join(tmp, "demo.jsonl")
    must("demo", "--journal", journal)
    pins = ("--trust", os.path.join(tmp, "demo.trust.json"), "--workflow", WORKFLOW)
    pages.channels("demo", journal, pins)
    first = pins + ("--revision", "1")
    full = json.loads(must("packet", "--journal", journal, *first, "--channel", FULL))
    status = json.loads(must("status", "--journal", journal))
    pages.packet("demo-revision-1-executive-brief", journal, first, "executive-brief", full,
                 status, ())


def in_review(pages):
    c = Case()
    TEMP.append(c.dir)
    c.ok(*ext.REQUIRED)
    c.ok(decision(LEE.token({"kind": "review", "packet_digest": c.status()["draft_digest"],
                             "attests": ATTESTS})))
    if c.status()["state"] != "in_review":
        raise SystemExit(f"the review case is not in review: {c.status()}")
    pages.channels("review", c.journal, ("--draft",))


class Hostile:
    """A case of its own (trust file, fresh Ed25519 keys from `cryptography`, case id), every
    token minted here with PyJWT."""

    def __init__(self, case_id, scope, severity):
        self.case_id = case_id
        self.people = {p.id: Person(p.id, p.roles) for p in CAST}
        self.dir = tempfile.mkdtemp()
        TEMP.append(self.dir)
        self.journal = os.path.join(self.dir, "hostile.jsonl")
        self.trust = os.path.join(self.dir, "trust.json")
        with open(self.trust, "w") as f:
            json.dump(ext.trust_doc(self.people.values()), f)
        tok = os.path.join(self.dir, "declare.jws")
        with open(tok, "w") as f:
            f.write(self.token(SAM, {"kind": "declare", "scope": scope, "severity": severity}))
        must("init", "--workflow", WORKFLOW, "--trust", self.trust, "--journal", self.journal,
             "--token", tok)

    def token(self, who, decision_):
        p = self.people[who.id]
        iat = int(time.time())
        claims = {"iss": p.id, "aud": "authority-lane", "sub": self.case_id, "iat": iat,
                  "exp": iat + 600, "jti": str(uuid.uuid4()), "decision": decision_}
        return jwt.encode(claims, p.key, algorithm="EdDSA", headers={"kid": p.kid})

    def apply(self, *commands):
        must("apply", "--journal", self.journal,
             stdin="".join(json.dumps(c) + "\n" for c in commands))

    def decide(self, who, decision_):
        self.apply(decision(self.token(who, decision_)))

    def status(self):
        return json.loads(must("status", "--journal", self.journal))


def hostile(pages):
    """Payloads in every untrusted string the CLI accepts; the drafts and the accepted packet.
    Each string is a payload tagged with where it went, so that each must show (or stay
    withheld) on its own."""
    injected = []

    def tag(payload, where):
        injected.append(f"{payload} ({where})")
        return injected[-1]

    c = Hostile(HOSTILE_CASE, tag(PAYLOADS[0], "scope"), tag(PAYLOADS[1], "severity"))
    p = iter(PAYLOADS * 4)

    def hostile_finding(fact, value, role):
        return finding(fact, value, role, agent=tag(next(p), f"{fact} agent"),
                       record=tag(next(p), f"{fact} record"),
                       system=tag(next(p), f"{fact} system"), note=tag(next(p), f"{fact} note"))
    c.apply(hostile_finding("custody.exposure", "suspected", "custody-evidence"),
            hostile_finding("lineage.desktop_agent_artifacts_in_window", 3, "release-lineage"),
            hostile_finding("authority.platform_delegation", "active", "authority-matrix"))
    c.decide(SAM, {"kind": "redirect", "action": "request_evidence",
                   "facts": ["impact.customers_affected"],
                   "reason": tag(PAYLOADS[2], "request_evidence reason")})
    c.apply(hostile_finding("impact.customers_affected", 40, "impact-assessment"))
    c.decide(MARCUS, {"kind": "redirect", "action": "set_lane", "lane": "legal-trust-office",
                      "assessment_digest": c.status()["assessment_digest"],
                      "reason": tag(PAYLOADS[3], "set_lane reason")})
    c.decide(DANA, {"kind": "redirect", "action": "exclude_option",
                    "option": "contain-and-monitor",
                    "assessment_digest": c.status()["assessment_digest"],
                    "reason": tag(PAYLOADS[4], "exclude_option reason")})
    c.apply(finding("lineage.internal_packages_in_window", 2, "release-lineage",
                    agent=next(p), record=next(p), system=next(p), note="\n".join(PAYLOADS)))
    shown = VISIBLE + [HOSTILE_CASE] + [x for x in injected
                                        if "\n" not in x and "\u202e" not in x]
    s = c.status()
    if s["state"] != "drafted" or s["case_id"] != HOSTILE_CASE:
        raise SystemExit(f"the hostile case is not drafted: {s}")
    pages.channels("hostile-draft", c.journal, ("--draft",), payloads=shown)

    d = s["draft_digest"]
    for who in (LEE, INES):
        c.decide(who, {"kind": "review", "packet_digest": d, "attests": ATTESTS})
    c.decide(DANA, {"kind": "accept", "lane": s["recommended_lane"], "packet_digest": d})
    if c.status()["state"] != "accepted":
        raise SystemExit(f"the hostile case is not accepted: {c.status()}")
    pages.channels("hostile-accepted", c.journal, ("--trust", c.trust, "--workflow", WORKFLOW),
                   payloads=shown)

    # A second case, stood down from a draft with a payload as its reason.
    b = Hostile(PAYLOADS[6], PAYLOADS[10], PAYLOADS[11])
    b.apply(*[finding(fact, value, role, agent=PAYLOADS[5], record=PAYLOADS[7],
                      system=PAYLOADS[9], note=PAYLOADS[8])
              for fact, value, role in [
                  ("custody.exposure", "confirmed", "custody-evidence"),
                  ("lineage.desktop_agent_artifacts_in_window", 0, "release-lineage"),
                  ("authority.platform_delegation", "active", "authority-matrix")]])
    b.decide(SAM, {"kind": "stand_down", "reason": PAYLOADS[3] + " " + PAYLOADS[0]})
    if b.status()["state"] != "stood_down":
        raise SystemExit(f"the second hostile case did not stand down: {b.status()}")
    # No page carries a stand-down's reason (status does not; a stood-down case has no draft
    # or packet), so its payload is only checked not to run; the case id shows on its status
    # page, and both hostile cases' ids on a report of the two.
    pages.status("hostile-stood-down-status", b.journal, payloads=VISIBLE)
    pages.report("hostile-report", ("--journal", c.journal, "--journal", b.journal), shown)

    # Principal ids: the trust file's grammar refuses a payload before anything is written.
    eve = Person("eve<script>alert(1)</script>", ["trust-reviewer"])
    eve.kid = "eve-k1"
    refused = Case(CAST + [eve])
    TEMP.append(refused.dir)
    CHECKS.append(("a payload as a principal id is refused (invalid_trust)",
                   refused.init_rc != 0 and ext.code_of(refused.init_err) == "invalid_trust",
                   refused.init_err.strip()))


def fixtures(dir):
    """The 24 fixture journals: the example built next to the CLI, else `cargo run`."""
    built = os.path.join(os.path.dirname(os.path.abspath(ext.BIN)), "examples", "report_fixtures")
    if os.access(built, os.X_OK):
        quietly(built, dir)
    else:
        quietly("cargo", "run", "-q", "--all-features", "--example", "report_fixtures", "--", dir,
                cwd=ROOT)


def report(pages, tmp):
    dir = os.path.join(tmp, "fixtures")
    fixtures(dir)
    pages.report("report", ("--dir", dir))


def main():
    shots = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "screenshots")
    node_deps()
    VOCABULARY.update(vocabulary())
    tmp = tempfile.mkdtemp()
    try:
        pages = Pages(tmp)
        demo(pages, tmp)
        in_review(pages)
        hostile(pages)
        report(pages, tmp)
        for name, ok, detail in CHECKS:
            print(f"ok {name}" if ok else f"FAIL {name}: {detail}")
        manifest = os.path.join(tmp, "manifest.json")
        with open(manifest, "w") as f:
            json.dump(pages.pages, f)
        rc = subprocess.run(["node", os.path.join(BROWSER, "check_pages.mjs"), manifest, shots]
                            ).returncode
        if rc != 0 or not all(ok for _, ok, _ in CHECKS):
            raise SystemExit(f"html: the checks failed (pages in {tmp})")
        for dir in [tmp, *TEMP]:
            shutil.rmtree(dir, ignore_errors=True)
    except BaseException:
        print(f"html: pages kept in {tmp}", file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
