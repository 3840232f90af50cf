#!/usr/bin/env python3
"""The living case (DESIGN §15) checked from outside the crate, through the CLI, on the shipped
workflow, with tokens minted by PyJWT and consistency proofs checked with the README's hashlib
recipe. Usage: check_living_case.py PATH/TO/authority-lane  (exit 0 = everything held).

1. A review followed by 1,000 findings that change no decision keeps its sign-off; a dispute
   voids it (recorded) and a token naming a draft of the old epoch is refused.
2. An acceptance naming a draft 500 findings old in the same epoch is accepted; every
   consistency proof in the packet verifies with the recipe, and a relabelled one fails.
3. After acceptance a same-value finding leaves the packet unchanged (byte for byte); a
   decision-changing one reopens the case as revision 2; `packet --revision 1` reproduces the
   first accepted packet byte for byte, before and after revision 2 is accepted by the new owner.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import external_threat_check as ext  # noqa: E402  (PyJWT tokens, the CLI driver)
from check_consistency_proof import consistent  # noqa: E402  (the README's recipe)

from external_threat_check import (  # noqa: E402
    ATTESTS, DANA, INES, LEE, MARCUS, REQUIRED, WORKFLOW, Case, decision, expect, finding, run,
)


def review(p, digest):
    return decision(p.token({"kind": "review", "packet_digest": digest, "attests": ATTESTS}))


def accept(p, lane, digest):
    return decision(p.token({"kind": "accept", "lane": lane, "packet_digest": digest}))


def same_value(n, start=0):
    """`n` findings repeating lineage.internal_packages_in_window = 12 from new records."""
    return [finding("lineage.internal_packages_in_window", 12, "release-lineage",
                    agent="lineage-agent-2", system="inventory-b", record=f"inv/{i}")
            for i in range(start, start + n)]


def bulk(c, commands):
    for i in range(0, len(commands), 500):
        c.ok(*commands[i:i + 500])


def packet(c, *extra):
    rc, out, err = run("packet", "--journal", c.journal, "--trust", c.trust,
                       "--workflow", WORKFLOW, *extra)
    if rc != 0:
        raise SystemExit(f"packet {' '.join(extra)} failed: {err}")
    return out


def drafted():
    c = Case()
    c.ok(*REQUIRED, *same_value(1, start=10_000))
    expect("drafted", c.status()["state"], "drafted")
    return c


def carried_then_disputed():
    c = drafted()
    reviewed = c.status()["draft_digest"]
    c.ok(review(LEE, reviewed))
    bulk(c, same_value(1000))
    s = c.status()
    expect("1 review kept through 1,000 findings", (s["state"], s["signoffs"]), ("in_review", 1))
    c.ok(finding("lineage.internal_packages_in_window", 9, "release-lineage",
                 agent="lineage-agent-3", system="inventory-c", record="inv/disputing"))
    s = c.status()
    expect("1 a dispute voids it", (s["state"], s["signoffs"]), ("drafted", 0))
    draft = json.loads(run("packet", "--journal", c.journal, "--draft")[1])
    voided = [a["voided"] for a in draft["approvals"] if a["kind"] == "review"]
    expect("1 the voided sign-off is recorded", voided, [True])
    c.refused("1 a token naming the old epoch", review(INES, reviewed), "stale_approval")


def accepted_then_reopened():
    c = drafted()
    first = c.status()
    c.ok(review(LEE, first["draft_digest"]))
    bulk(c, same_value(1000))
    signed = c.status()["draft_digest"]
    c.ok(review(INES, signed))
    bulk(c, same_value(500, start=1000))
    s = c.status()
    expect("2 quorum kept through 500 more", s["state"], "awaiting_acceptance")
    lane = s["recommended_lane"]
    c.ok(accept(MARCUS, lane, signed))
    expect("2 acceptance naming a draft 500 findings old", c.status()["state"], "accepted")
    expect("2 verify", c.verify()[0], 0)

    first_packet = packet(c)
    p = json.loads(first_packet)
    to = (p["lineage"]["count"], p["lineage"]["root"])
    proofs = p.get("consistency", [])
    expect("2 a proof per sign-off and the acceptance", len(proofs), 3)
    for i, sc in enumerate(proofs):
        proof = sc["proof"]
        frm = (proof["from"]["count"], proof["from"]["root"])
        expect(f"2 proof {i} verifies with the recipe", consistent(proof, *frm, *to), True)
        bent = json.loads(json.dumps(proof))
        bent["from"]["count"] += 1
        expect(f"2 proof {i} relabelled fails", consistent(bent, bent["from"]["count"],
                                                           frm[1], *to), False)

    c.ok(*same_value(1, start=5000))
    s = c.status()
    expect("3 a same-value finding after acceptance is recorded",
           (s["state"], s.get("findings_since_acceptance")), ("accepted", 1))
    expect("3 the packet is unchanged", packet(c), first_packet)

    c.ok(finding("impact.contractual_disclosure_required", True, "impact-assessment",
                 agent="impact-agent-1", system="contracts", record="msa/s9.2"))
    s = c.status()
    expect("3 a decision-changing finding reopens",
           (s["state"], s["revision"], s.get("reopened", {}).get("from_revision")),
           ("drafted", 2, 1))
    expect("3 packet --revision 1 is the first packet", packet(c, "--revision", "1"), first_packet)
    rc, _, err = run("packet", "--journal", c.journal, "--trust", c.trust, "--workflow", WORKFLOW)
    expect("3 no current packet while revision 2 is open", (rc, ext.code_of(err)),
           (5, "not_ready"))

    d = s["draft_digest"]
    c.ok(review(LEE, d), review(INES, d))
    owner = c.status()["recommended_lane"]
    acceptor = {"legal-trust-office": DANA, "executive-cyber-command": MARCUS}[owner]
    c.ok(accept(acceptor, owner, d))
    s = c.status()
    expect("3 revision 2 accepted by the new owner", (s["state"], s["revision"]), ("accepted", 2))
    second = json.loads(packet(c))
    expect("3 the second packet lists the first",
           [(r["revision"], r["packet_digest"]) for r in second.get("prior_revisions", [])],
           [(1, p["packet_digest"])])
    expect("3 packet --revision 1 still the first packet", packet(c, "--revision", "1"),
           first_packet)
    expect("3 packet --revision 2 is the current packet", packet(c, "--revision", "2"),
           packet(c))
    expect("3 verify", c.verify()[0], 0)


def main():
    carried_then_disputed()
    accepted_then_reopened()
    if ext.FAILURES:
        print(f"{len(ext.FAILURES)} check(s) failed")
        sys.exit(1)
    print("living case: every check held")


if __name__ == "__main__":
    main()
