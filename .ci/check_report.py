#!/usr/bin/env python3
"""`authority-lane report` checked against an independent computation from the journals.
Usage, from the repo root (exit 0 = every figure matched):

    python3 .ci/check_report.py PATH/TO/authority-lane [DIR]

DIR holds journals (`*.jsonl`); without it, the 24 fixture cases of `examples/report_fixtures`
are written to a temporary directory (the example built next to the CLI, else `cargo run`).
The demo's journal (`demo --journal`) is always added. `report --dir DIR --journal DEMO` is run
and its JSON validated against schemas/report.schema.json (python-jsonschema, installed quietly
if missing). Then every figure is recomputed WITHOUT `report`: for each journal and each prefix
of k records (the first k lines copied to a file of their own, no side files) `status` gives the
state, revision and recommended lane, and `packet --draft` (whenever a draft exists) the
approvals. From those, per case (src/report.rs's definitions):

  - records, findings (finding lines), declared_at / last_at (first and last line's `at`), the
    case id (the declaration token's `sub`), the final state and lane;
  - first_draft_at / first_quorum_at / first_accepted_at / stood_down_at: the `at` of the first
    prefix in drafted..accepted / awaiting_acceptance or accepted / accepted / stood_down; the
    `to_*_ms` durations from record 0, parsed with all nine fraction digits as integers and
    truncated toward zero to whole milliseconds (chrono's `num_milliseconds`);
  - acceptances (each entry into accepted: revision, at, lane); revisions (final status);
    reopenings (accepted → anything else);
  - lane changes: the recommended lane differing between consecutive prefixes, cause `finding`
    when the record is a finding line and `redirect` when it is a decision;
  - redirects by action: each decision record's JWT payload decoded (base64url, unverified:
    the replay verified it) where decision.kind is `redirect`;
  - voided_signoffs: reviews marked voided in the last draft (the last prefix that had one);
  - carried_signoffs: summed over revisions, at the last prefix of each revision that has a
    draft, the reviews of that revision, not voided, whose signed draft_digest is not that
    draft's packet_digest.

Across cases: by_state, by_lane, lane_change_causes, and every distribution's n, sum, min, max
and nearest-rank median and p90 (sorted values, the value at 1-based rank ceil(p·n/100)).
Any field of the report this script does not compute is a failure too, so a new field cannot
go unchecked.
"""
import base64
import calendar
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAILURES = []
DRAFTED = {"drafted", "in_review", "awaiting_acceptance", "accepted"}  # a draft exists
TIMES = {"declared_at", "last_at", "first_draft_at", "first_quorum_at", "first_accepted_at",
         "stood_down_at", "at"}


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def must(*args):
    rc, out, err = run(*args)
    if rc != 0:
        raise SystemExit(f"{' '.join(args[:3])}… failed ({rc}): {err}")
    return out


def nanos(text):
    """RFC 3339 time of record → integer nanoseconds since the epoch, exactly (no float, no
    datetime: Python's has microseconds only)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                     r"(?:([Zz])|([+-])(\d\d):(\d\d))", text)
    if not m:
        raise SystemExit(f"unexpected time {text!r}")
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(9, "0")
    offset = 0 if m.group(8) else (1 if m.group(9) == "+" else -1) * (
        int(m.group(10)) * 3600 + int(m.group(11)) * 60)
    return (calendar.timegm((y, mo, d, h, mi, s)) - offset) * 10**9 + int(frac)


def ms_between(a, b):
    """Whole milliseconds from a to b, truncated toward zero (chrono's num_milliseconds)."""
    d = nanos(b) - nanos(a)
    return d // 10**6 if d >= 0 else -((-d) // 10**6)


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def replay(lines, tmp):
    """Per prefix of k records: (at, state, revision, lane, draft JSON or None)."""
    records = [json.loads(line) for line in lines]
    work = os.path.join(tmp, "prefix")
    seen = []
    for k in range(1, len(lines) + 1):
        shutil.rmtree(work, ignore_errors=True)  # a fresh directory: no side files
        os.makedirs(work)
        prefix = os.path.join(work, "case.jsonl")
        with open(prefix, "wb") as f:
            f.writelines(lines[:k])
        s = json.loads(must("status", "--journal", prefix))
        draft = None
        if s["state"] in DRAFTED:
            draft = json.loads(must("packet", "--journal", prefix, "--draft"))
        seen.append((records[k - 1]["at"], s["state"], s["revision"], s["recommended_lane"],
                     draft))
    return records, seen


def independent(path, tmp):
    lines = [line for line in open(path, "rb").read().splitlines(keepends=True) if line.strip()]
    records, seen = replay(lines, tmp)
    t0 = records[0]["at"]

    def first(states):
        return next((at for at, state, *_ in seen if state in states), None)

    declaration = claims(records[0]["event"]["token"])
    out = {
        "case_id": declaration["sub"],
        "source": path,
        "records": len(records),
        "findings": sum(1 for r in records if r["event"].get("type") == "finding"),
        "state": seen[-1][1],
        "recommended_lane": seen[-1][3],
        "declared_at": t0,
        "last_at": records[-1]["at"],
        "first_draft_at": first(DRAFTED),
        "first_quorum_at": first({"awaiting_acceptance", "accepted"}),
        "first_accepted_at": first({"accepted"}),
        "stood_down_at": first({"stood_down"}),
        "revisions": seen[-1][2],
        "reopenings": sum(1 for a, b in zip(seen, seen[1:])
                          if a[1] == "accepted" and b[1] != "accepted"),
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
         "cause": {"finding": "finding", "decision": "redirect"}.get(
             records[k + 1]["event"].get("type"), records[k + 1]["event"].get("type"))}
        for k, (a, b) in enumerate(zip(seen, seen[1:])) if a[3] != b[3]
    ]
    redirects = {}
    for r in records[1:]:
        if r["event"].get("type") == "decision":
            d = claims(r["event"]["token"])["decision"]
            if d["kind"] == "redirect":
                redirects[d["action"]] = redirects.get(d["action"], 0) + 1
    out["redirects"] = redirects
    drafts = [x[4] for x in seen if x[4] is not None]
    out["voided_signoffs"] = sum(1 for a in (drafts[-1]["approvals"] if drafts else [])
                                 if a["kind"] == "review" and a["voided"])
    carried = 0
    for rev in sorted({x[2] for x in seen}):
        having = [x[4] for x in seen if x[2] == rev and x[4] is not None]
        if not having:
            continue  # a revision that never drafted (gathering, stood down before a draft)
        d = having[-1]
        carried += sum(1 for a in d["approvals"]
                       if a["kind"] == "review" and not a["voided"] and a.get("revision") == rev
                       and a.get("signed") and a["signed"]["draft_digest"] != d["packet_digest"])
    out["carried_signoffs"] = carried
    return out


def distribution(values):
    v = sorted(values)
    n = len(v)
    d = {"n": n, "sum": sum(v)}
    if n:
        rank = lambda p: v[-(-p * n // 100) - 1]  # noqa: E731  (1-based rank ceil(p·n/100))
        d.update(min=v[0], median=rank(50), p90=rank(90), max=v[-1])
    return d


def same(key, got, want):
    if key in TIMES and isinstance(got, str) and isinstance(want, str):
        return nanos(got) == nanos(want)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(key, g, w) for g, w in zip(got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(k, got[k], want[k]) for k in got)
    return got == want


def expect(what, key, got, want):
    if not same(key, got, want):
        FAILURES.append(f"{what}: report says {got!r}, independently {want!r}")


def jsonschema():
    if importlib.util.find_spec("jsonschema") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "jsonschema"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import jsonschema as js
    return js


def fixtures(dir):
    built = os.path.join(os.path.dirname(BIN), "examples", "report_fixtures")
    cmd = [built, dir] if os.access(built, os.X_OK) else [
        "cargo", "run", "-q", "--all-features", "--example", "report_fixtures", "--", dir]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def main():
    tmp = tempfile.mkdtemp()
    try:
        if len(sys.argv) > 2:
            cases = os.path.abspath(sys.argv[2])
            if not glob.glob(os.path.join(cases, "*.jsonl")):
                raise SystemExit(f"no *.jsonl journal in {cases}")
        else:
            cases = os.path.join(tmp, "cases")
            fixtures(cases)
        demo = os.path.join(tmp, "demo", "demo.jsonl")
        os.makedirs(os.path.dirname(demo))
        must("demo", "--journal", demo)
        report = json.loads(must("report", "--dir", cases, "--journal", demo))
        schema = json.load(open(os.path.join(ROOT, "schemas", "report.schema.json")))
        jsonschema().validate(report, schema)
        print("ok report JSON validates against schemas/report.schema.json")
        check(report, sorted(glob.glob(os.path.join(cases, "*.jsonl"))) + [demo], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(report, journals, tmp):
    sources = sorted(c["source"] for c in report["cases"])
    expect("the journals reported", "sources", sources, sorted(journals))
    mine = []
    for c in report["cases"]:
        name = c["case_id"]
        want = independent(c["source"], tmp)
        before = len(FAILURES)
        for key in sorted(set(c) | set(want)):
            if key not in want:
                FAILURES.append(f"{name} {key}: not computed independently (a new field?)")
            else:
                expect(f"{name} {key}", key, c.get(key), want[key])
        mine.append(want)
        print(f"ok {name} ({want['records']} records, {want['state']})"
              if len(FAILURES) == before else f"MISMATCH {name}")

    across = dict(report["across"])
    tally = lambda xs: {k: xs.count(k) for k in set(xs)}  # noqa: E731
    expect("across cases", "cases", across.pop("cases"), len(mine))
    expect("across by_state", "", across.pop("by_state"), tally([m["state"] for m in mine]))
    expect("across by_lane", "", across.pop("by_lane"),
           tally([m["recommended_lane"] for m in mine]))
    expect("across lane_change_causes", "", across.pop("lane_change_causes"),
           tally([lc["cause"] for m in mine for lc in m["lane_changes"]]))
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
        got = {k: v for k, v in across.pop(key).items() if v is not None}
        expect(f"across {key}", key, got, distribution([f(m) for m in mine if f(m) is not None]))
    for key in across:
        FAILURES.append(f"across {key}: not computed independently (a new field?)")
    print(f"ok across: {len(mine)} cases, by state, by lane, lane-change causes, 8 distributions")
    if FAILURES:
        for f in FAILURES:
            print("FAIL", f, file=sys.stderr)
        raise SystemExit(f"report: {len(FAILURES)} mismatch(es)")
    print(f"report: {len(mine)} cases match an independent computation")


if __name__ == "__main__":
    main()
