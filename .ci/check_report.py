#!/usr/bin/env python3
"""`authority-lane report` checked against an independent computation from the journals.
Usage: check_report.py PATH/TO/authority-lane  (exit 0 = every figure matched).

Writes the 24 fixture cases (`examples/report_fixtures`) and the demo's journal, runs `report`,
validates its JSON against schemas/report.schema.json (python-jsonschema), then recomputes every
figure without `report`: for each prefix of each journal (the first k records, copied to a file
of their own) it asks `status` for the state, revision and lane, and `packet --draft` for the
approvals; times come from the journal lines' own `at`, parsed here with nine-digit fractions
exact; redirects from the decision tokens' payloads (base64url, unverified: the replay verified
them). Then per case and across cases (nearest-rank median and p90) the two must agree.
"""
import base64
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAILURES = []


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def must(*args):
    rc, out, err = run(*args)
    if rc != 0:
        raise SystemExit(f"{' '.join(args[:3])}… failed ({rc}): {err}")
    return out


def nanos(text):
    """RFC 3339 UTC time of record → integer nanoseconds since the epoch, exactly."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        raise SystemExit(f"unexpected time {text!r}")
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(9, "0")
    return calendar.timegm((y, mo, d, h, mi, s)) * 10**9 + int(frac)


def ms_between(a, b):
    """Whole milliseconds from a to b, truncated toward zero (chrono's num_milliseconds)."""
    d = nanos(b) - nanos(a)
    return d // 10**6 if d >= 0 else -((-d) // 10**6)


def token_decision(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["decision"]


DECIDING = {"drafted", "in_review", "awaiting_acceptance"}


def independent(path, tmp):
    lines = open(path, "rb").read().splitlines(keepends=True)
    records = [json.loads(l) for l in lines]
    prefix = os.path.join(tmp, "prefix.jsonl")
    seen = []  # per prefix: (at, state, revision, lane, draft or None)
    for k in range(1, len(lines) + 1):
        for side in (".lineage", ".snapshot", ".lock"):
            if os.path.exists(prefix + side):
                os.remove(prefix + side)
        with open(prefix, "wb") as f:
            f.writelines(lines[:k])
        s = json.loads(must("status", "--journal", prefix))
        draft = None
        if s["state"] in DECIDING or s["state"] == "accepted":
            draft = json.loads(must("packet", "--journal", prefix, "--draft"))
        seen.append((records[k - 1]["at"], s["state"], s["revision"], s["recommended_lane"], draft))
    t0 = records[0]["at"]

    def first(pred):
        return next((at for at, state, *_ in seen if pred(state)), None)

    out = {
        "records": len(records),
        "state": seen[-1][1],
        "recommended_lane": seen[-1][3],
        "first_draft_at": first(lambda s: s in DECIDING or s == "accepted"),
        "first_quorum_at": first(lambda s: s in ("awaiting_acceptance", "accepted")),
        "first_accepted_at": first(lambda s: s == "accepted"),
        "stood_down_at": first(lambda s: s == "stood_down"),
        "revisions": seen[-1][2],
        "reopenings": sum(1 for a, b in zip(seen, seen[1:]) if a[1] == "accepted" and b[1] != "accepted"),
        "acceptances": [{"revision": rev, "at": at, "lane": lane}
                        for i, (at, state, rev, lane, _) in enumerate(seen)
                        if state == "accepted" and (i == 0 or seen[i - 1][1] != "accepted")],
    }
    for key, at in (("to_first_draft_ms", out["first_draft_at"]),
                    ("to_quorum_ms", out["first_quorum_at"]),
                    ("to_acceptance_ms", out["first_accepted_at"])):
        out[key] = None if at is None else ms_between(t0, at)
    out["lane_changes"] = [
        {"at": b[0], "from": a[3], "to": b[3],
         "cause": "finding" if records[k + 1]["event"].get("type") == "finding" else "redirect"}
        for k, (a, b) in enumerate(zip(seen, seen[1:])) if a[3] != b[3]
    ]
    redirects = {}
    for r in records[1:]:
        e = r["event"]
        if e.get("type") == "decision":
            d = token_decision(e["token"])
            if d["kind"] == "redirect":
                redirects[d["action"]] = redirects.get(d["action"], 0) + 1
    out["redirects"] = redirects
    drafts = [x for x in seen if x[4] is not None]
    out["voided_signoffs"] = sum(1 for a in (drafts[-1][4]["approvals"] if drafts else [])
                                 if a["kind"] == "review" and a["voided"])
    carried = 0
    for i, (at, state, rev, lane, draft) in enumerate(seen):
        last_of_revision = i + 1 == len(seen) or seen[i + 1][2] != rev
        if not last_of_revision:
            continue
        # The revision's last prefix with a draft (a stand-down or gathering has none).
        having = [x for x in seen[:i + 1] if x[2] == rev and x[4] is not None]
        if not having:
            continue
        d = having[-1][4]
        carried += sum(1 for a in d["approvals"]
                       if a["kind"] == "review" and not a["voided"] and a.get("revision") == rev
                       and a.get("signed") and a["signed"]["draft_digest"] != d["packet_digest"])
    out["carried_signoffs"] = carried
    return out


def distribution(values):
    v = sorted(values)
    n = len(v)
    rank = lambda p: v[max(1, -(-p * n // 100)) - 1] if n else None  # noqa: E731
    d = {"n": n, "sum": sum(v)}
    if n:
        d.update(min=v[0], median=rank(50), p90=rank(90), max=v[-1])
    return d


def expect(what, got, want):
    if got != want:
        FAILURES.append(f"{what}: report says {got!r}, independently {want!r}")


def main():
    tmp = tempfile.mkdtemp()
    fixtures = os.path.join(tmp, "cases")
    subprocess.run(["cargo", "run", "-q", "--profile", "test", "--all-features", "--example",
                    "report_fixtures", "--", fixtures], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    must("demo", "--journal", os.path.join(fixtures, "zz-demo.jsonl"))
    report = json.loads(must("report", "--dir", fixtures))
    try:
        import jsonschema
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "jsonschema"], check=True)
        import jsonschema
    schema = json.load(open(os.path.join(ROOT, "schemas", "report.schema.json")))
    jsonschema.validate(report, schema)
    print("ok report JSON validates against schemas/report.schema.json")

    mine = []
    for c in report["cases"]:
        want = independent(c["source"], tmp)
        name = c["case_id"]
        for key, value in want.items():
            expect(f"{name} {key}", c.get(key), value)
        mine.append(want)
        print(f"ok {name}" if not any(f.startswith(name + " ") for f in FAILURES) else f"MISMATCH {name}")

    across = report["across"]
    tally = lambda f: {k: sum(1 for x in f if x == k) for k in set(f)}  # noqa: E731
    expect("across cases", across["cases"], len(mine))
    expect("across by_state", across["by_state"], tally([m["state"] for m in mine]))
    expect("across by_lane", across["by_lane"], tally([m["recommended_lane"] for m in mine]))
    expect("across lane_change_causes", across["lane_change_causes"],
           tally([l["cause"] for m in mine for l in m["lane_changes"]]))
    for key, f in [
        ("to_first_draft_ms", lambda m: m["to_first_draft_ms"]),
        ("to_quorum_ms", lambda m: m["to_quorum_ms"]),
        ("to_acceptance_ms", lambda m: m["to_acceptance_ms"]),
        ("revisions", lambda m: m["revisions"]),
        ("lane_changes", lambda m: len(m["lane_changes"])),
        ("redirects", lambda m: sum(m["redirects"].values())),
        ("carried_signoffs", lambda m: m["carried_signoffs"]),
        ("voided_signoffs", lambda m: m["voided_signoffs"]),
    ]:
        expect(f"across {key}", across[key],
               distribution([f(m) for m in mine if f(m) is not None]))
    if FAILURES:
        for f in FAILURES:
            print("FAIL", f, file=sys.stderr)
        raise SystemExit(1)
    print(f"report: {len(mine)} cases match an independent computation")


if __name__ == "__main__":
    main()
