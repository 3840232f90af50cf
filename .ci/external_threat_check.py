#!/usr/bin/env python3
"""The threat model (DESIGN §12) checked from outside the crate: tokens minted with PyJWT,
journals re-chained with the `rfc8785` package, the CLI driven with the system clock as a real
integration would. Usage: external_threat_check.py PATH/TO/authority-lane  (exit 0 = all held).

Independent of the Rust test suite on purpose: nothing here uses the crate's signer, verifier
or canonicaliser.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import jwt
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BIN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKFLOW = os.path.join(ROOT, "workflows", "signing-key-compromise.json")
CASE = "sev1-external-check"
FAILURES = []


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Person:
    def __init__(self, pid, roles):
        self.id, self.roles, self.kid = pid, roles, pid.split(".")[0] + "-k1"
        self.key = Ed25519PrivateKey.generate()

    def jwk(self):
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}

    def token(self, decision, iat=None):
        iat = int(time.time()) if iat is None else iat
        claims = {"iss": self.id, "aud": "authority-lane", "sub": CASE, "iat": iat,
                  "exp": iat + 600, "jti": str(uuid.uuid4()), "decision": decision}
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


SAM = Person("sam.rivera", ["security-leadership"])
PRIYA = Person("priya.natarajan", ["platform-security-command"])
MARCUS = Person("marcus.chen", ["executive-cyber-command"])
DANA = Person("dana.okafor", ["legal-trust-office"])
LEE = Person("lee.park", ["product-security-reviewer"])
INES = Person("ines.duarte", ["trust-reviewer"])
CAST = [SAM, PRIYA, MARCUS, DANA, LEE, INES]
ATTESTS = ["blocked_paths_surfaced", "irreversibility_surfaced", "evidence_lineage_checked"]


def trust_doc(people):
    return {"principals": [{"id": p.id, "roles": p.roles, "keys": [{"kid": p.kid, "jwk": p.jwk()}]}
                           for p in people]}


def now_iso(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def run(*args, stdin=None):
    p = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def code_of(stderr):
    try:
        return json.loads(stderr.strip().splitlines()[-1])["error"]["code"]
    except Exception:  # noqa: BLE001 - report whatever came out
        return stderr.strip()[:200]


def expect(name, got, want):
    if got != want:
        FAILURES.append(f"{name}: expected {want}, got {got}")
        print(f"FAIL {name}: expected {want}, got {got}")
    else:
        print(f"ok   {name}")


class Case:
    def __init__(self, people=CAST):
        self.dir = tempfile.mkdtemp()
        self.journal = os.path.join(self.dir, "case.jsonl")
        self.trust = os.path.join(self.dir, "trust.json")
        with open(self.trust, "w") as f:
            json.dump(trust_doc(people), f)
        tok = os.path.join(self.dir, "declare.jws")
        with open(tok, "w") as f:
            f.write(SAM.token({"kind": "declare", "scope": "prod signing key", "severity": "sev1"}))
        rc, out, err = run("init", "--workflow", WORKFLOW, "--trust", self.trust,
                           "--journal", self.journal, "--token", tok)
        self.init_rc, self.init_err = rc, err

    def apply(self, *commands, extra=()):
        text = "".join(json.dumps(c) + "\n" for c in commands)
        return run("apply", "--journal", self.journal, *extra, stdin=text)

    def ok(self, *commands):
        rc, out, err = self.apply(*commands)
        if rc != 0:
            raise SystemExit(f"setup apply failed: {err}")
        return [json.loads(l) for l in out.splitlines()]

    def refused(self, name, command, code):
        before = open(self.journal, "rb").read()
        rc, out, err = self.apply(command)
        expect(name, (rc, code_of(err)), (3, code))
        expect(name + " (journal unchanged)", open(self.journal, "rb").read() == before, True)

    def status(self):
        return json.loads(run("status", "--journal", self.journal)[1])

    def verify(self, *extra, trust=None):
        return run("verify", "--journal", self.journal, "--trust", trust or self.trust,
                   "--workflow", WORKFLOW, *extra)


def finding(fact, value, role, agent="agent-1", at=None, record="rec/1", system="sys", note=None):
    f = {"fact": fact, "value": value,
         "source": {"system": system, "record": record,
                    "digest": "sha256:" + hashlib.sha256(record.encode()).hexdigest()}}
    if note is not None:
        f["note"] = note
    return {"type": "finding", "at": at or now_iso(), "agent": {"role": role, "id": agent},
            "finding": f}


def decision(token, at=None):
    return {"type": "decision", "at": at or now_iso(), "token": token}


REQUIRED = [
    finding("custody.exposure", "suspected", "custody-evidence"),
    finding("lineage.desktop_agent_artifacts_in_window", 3, "release-lineage"),
    finding("authority.platform_delegation", "active", "authority-matrix"),
]


def review(p, digest, attests=ATTESTS):
    return decision(p.token({"kind": "review", "packet_digest": digest, "attests": attests}))


def rechain(records):
    prev = None
    for r in records:
        r["prev"] = prev
        r.pop("hash", None)
        r["hash"] = "sha256:" + hashlib.sha256(rfc8785.dumps(r)).hexdigest()
        prev = r["hash"]
    return b"".join(rfc8785.dumps(r) + b"\n" for r in records)


def read_records(path):
    return [json.loads(l) for l in open(path, "rb").read().splitlines() if l.strip()]


def main():
    # Anchors: bare verify refuses; the honest journal verifies; lines are RFC 8785.
    c = Case()
    expect("init", c.init_rc, 0)
    c.ok(*REQUIRED)
    expect("bare verify", code_of(run("verify", "--journal", c.journal)[2]), "anchor_required")
    expect("anchored verify", c.verify()[0], 0)
    expect("lines are RFC 8785", all(rfc8785.dumps(json.loads(l)) == l
                                     for l in open(c.journal, "rb").read().splitlines()), True)

    # 1. Rewritten trust, re-pinned, re-chained, attacker-signed quorum and acceptance.
    genuine = c.status()["draft_digest"]
    records = read_records(c.journal)
    eve = {p.id: Person(p.id, p.roles) for p in (LEE, INES, MARCUS)}
    forged_people = [SAM, PRIYA, eve[MARCUS.id], DANA, eve[LEE.id], eve[INES.id]]
    forged_trust = trust_doc(forged_people)
    records[0]["event"]["trust"] = forged_trust
    records[0]["event"]["trust_digest"] = "sha256:" + hashlib.sha256(rfc8785.dumps(forged_trust)).hexdigest()
    open(c.journal, "wb").write(rechain(records))
    d = c.status().get("draft_digest")
    expect("1 forged draft digest differs", d != genuine, True)
    c.apply(review(eve[LEE.id], d), review(eve[INES.id], d),
            decision(eve[MARCUS.id].token({"kind": "accept", "lane": "executive-cyber-command",
                                           "packet_digest": d})))
    expect("1 verify with the original trust", code_of(c.verify()[2]), "pin_mismatch")
    rc, _, err = run("packet", "--journal", c.journal, "--trust", c.trust, "--workflow", WORKFLOW)
    expect("1 packet with the original trust", (rc, code_of(err)), (4, "pin_mismatch"))

    # 2. Rollback and the missing final newline.
    c = Case()
    c.ok(*REQUIRED)
    d = c.status()["draft_digest"]
    c.ok(review(LEE, d), review(INES, d))
    ack = c.ok(decision(MARCUS.token({"kind": "accept", "lane": "executive-cyber-command",
                                      "packet_digest": d})))[0]
    head = f"{ack['seq']}:{ack['head']}"
    expect("2 verify at the kept head", c.verify("--expect-head", head)[0], 0)
    full = open(c.journal, "rb").read()
    open(c.journal, "wb").write(b"\n".join(full.splitlines()[:-1]) + b"\n")
    rc, _, err = c.verify("--expect-head", head)
    expect("2 cut acceptance", (rc, code_of(err)), (4, "rollback"))
    open(c.journal, "wb").write(full[:-1])
    expect("2 no final newline still verifies", c.verify("--expect-head", head)[0], 0)
    # (An accepted case takes no more decisions; findings it would record, DESIGN §15.)
    c.apply(review(LEE, d))
    expect("2 the next writer completes the line", open(c.journal, "rb").read(), full)

    # 3. Timestamps outside the grammar.
    c = Case()
    c.ok(*REQUIRED)
    c.refused("3 +12026", finding("lineage.internal_packages_in_window", 1, "release-lineage",
                                  at="+12026-11-28T12:30:00Z"), "invalid_json")
    expect("3 still verifies", c.verify()[0], 0)

    # 4. The submitter does not set the clock.
    c.refused("4 far future", finding("lineage.internal_packages_in_window", 1, "release-lineage",
                                      at="9999-12-31T23:59:59Z"), "clock_skew")

    # 5. A held set_lane token; a delegate lowering the lane.
    seen = c.status()["assessment_digest"]
    held = decision(MARCUS.token({"kind": "redirect", "action": "set_lane",
                                  "lane": "platform-security-command",
                                  "assessment_digest": seen, "reason": "internal builds"}))
    c.ok(finding("custody.exposure", "confirmed", "custody-evidence", record="c/2"),
         finding("custody.rogue_signatures_observed", 412, "custody-evidence", record="c/3"),
         finding("impact.customers_affected", 18000, "impact-assessment", record="i/1"))
    c.refused("5 held set_lane", held, "stale_approval")
    until = now_iso(3600)
    c.ok(decision(MARCUS.token({"kind": "delegate", "lane": "executive-cyber-command",
                                "to": PRIYA.id, "until": until})))
    seen = c.status()["assessment_digest"]
    c.refused("5 delegate lowers", decision(PRIYA.token({
        "kind": "redirect", "action": "set_lane", "lane": "platform-security-command",
        "assessment_digest": seen, "reason": "mine"})), "not_authorized")

    # 6. One key under two principals.
    twin = Person("ines.duarte", ["trust-reviewer"])
    twin.key = LEE.key
    c6 = Case([SAM, PRIYA, MARCUS, DANA, LEE, twin])
    expect("6 one key twice", code_of(c6.init_err), "invalid_trust")

    # 7. A lower lane excluding a legal option.
    seen = c.status()["assessment_digest"]
    c.refused("7 lower lane excludes", decision(PRIYA.token({
        "kind": "redirect", "action": "exclude_option", "option": "contractual-disclosure",
        "assessment_digest": seen, "reason": "no"})), "not_authorized")

    # 8. Injection in an agent id.
    payload = "x\n\n**Recommended lane: `platform-security-command`**\n\nAccepted by mallory"
    c.ok(finding("lineage.internal_packages_in_window", 2, "release-lineage", agent=payload,
                 record=payload, system=payload))
    md = run("packet", "--journal", c.journal, "--draft", "--channel", "executive-brief",
             "--format", "markdown")[1]
    expect("8 one recommended-lane line",
           sum(1 for l in md.splitlines() if l.startswith("**Recommended lane")), 1)
    expect("8 no injected acceptance", any(l.startswith("Accepted by") for l in md.splitlines()), False)

    # 9. Numbers and bytes.
    c.refused("9 2^53+1", finding("lineage.internal_packages_in_window", 2**53 + 1, "release-lineage"),
              "invalid_value")
    c.refused("9 50 MB note", finding("lineage.internal_packages_in_window", 1, "release-lineage",
                                      note="n" * 5_000_000), "input_too_large")
    text = open(c.journal, "rb").read()
    open(c.journal, "wb").write(text.replace(b'"event":{"agent"', b'"event":{ "agent"', 1))
    expect("9 non-canonical line", code_of(c.verify()[2]), "journal_tampered")
    open(c.journal, "wb").write(text)

    # 10. A stalled apply holds no lock.
    stalled = subprocess.Popen([BIN, "apply", "--journal", c.journal], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    stalled.stdin.write(json.dumps(finding("lineage.internal_packages_in_window", 3,
                                           "release-lineage", record="s/1")) + "\n")
    stalled.stdin.flush()
    stalled.stdout.readline()
    rc, _, err = c.apply(finding("lineage.internal_packages_in_window", 4, "release-lineage",
                                 record="s/2"), extra=("--lock-timeout", "2"))
    expect("10 another writer gets through", (rc, err), (0, ""))
    stalled.stdin.close()
    stalled.wait(timeout=30)

    # 11. Attestation sets, self-delegation, endless delegation.
    d = c.status()["draft_digest"]
    c.refused("11 duplicate attestation", review(LEE, d, ATTESTS + [ATTESTS[0]]), "missing_attestation")
    c.refused("11 unknown attestation", review(LEE, d, ATTESTS + ["vibes"]), "missing_attestation")
    c.refused("11 self-delegation", decision(MARCUS.token({
        "kind": "delegate", "lane": "executive-cyber-command", "to": MARCUS.id, "until": until})),
        "not_authorized")
    c.refused("11 endless delegation", decision(MARCUS.token({
        "kind": "delegate", "lane": "executive-cyber-command", "to": PRIYA.id,
        "until": "9999-12-31T23:59:59Z"})), "not_authorized")
    expect("the case still verifies", c.verify()[0], 0)

    if FAILURES:
        print(f"{len(FAILURES)} failed")
        sys.exit(1)
    print("external threat check: all held")


if __name__ == "__main__":
    main()
