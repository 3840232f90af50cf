#!/usr/bin/env python3
"""Checks `authority-lane lineage --consistency FROM_COUNT` output against an independent
implementation of RFC 9162 section 2.1.4 (consistency proofs), with hashlib alone.

For every FROM_COUNT from 0 to the journal's finding count: the proof's `from` and `to` are the
lineage `{count, root}` this script computes itself (Merkle Tree Hash of the first FROM_COUNT
leaves and of all of them, leaves taken from `lineage --proof`, each checked against its entry),
its path is exactly RFC 9162's PROOF(m, D[n]) computed here from the leaves, and it verifies with
the README's recipe (`consistent` below). A relabelled proof (another from-count), a proof against
another root, and a bent hash must fail.

    python3 .ci/check_consistency_proof.py PATH/TO/authority-lane JOURNAL
    python3 .ci/check_consistency_proof.py --check PROOF.json FROM_COUNT FROM_ROOT TO_COUNT TO_ROOT
"""
import hashlib
import json
import os
import subprocess
import sys

WORKFLOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workflows",
                        "signing-key-compromise.json")

h = lambda b: hashlib.sha256(b).digest()
EMPTY = "sha256:" + h(b"").hex()


def consistent(p, from_count, from_root, to_count, to_root):
    """The README's recipe: True iff proof `p` shows that the lineage {from_count, from_root}
    (what a reviewer signed) is a prefix of {to_count, to_root} (what was accepted)."""
    if (p["from"]["count"], p["from"]["root"], p["to"]["count"], p["to"]["root"]) != (
            from_count, from_root, to_count, to_root):
        return False
    m, n = from_count, to_count
    path = [bytes.fromhex(x.removeprefix("sha256:")) for x in p["path"]]
    if not (isinstance(m, int) and isinstance(n, int)) or not 0 <= m <= n:
        return False
    if m == 0:
        return not path and from_root == EMPTY
    if m == n:
        return not path and from_root == to_root
    if m & (m - 1) == 0:  # the first tree is a perfect subtree: it is its own first node
        path = [bytes.fromhex(from_root.removeprefix("sha256:"))] + path
    if not path:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = h(b"\x01" + c + fr), h(b"\x01" + c + sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = h(b"\x01" + sr + c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and "sha256:" + fr.hex() == from_root and "sha256:" + sr.hex() == to_root


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """RFC 9162 section 2.1.1, from scratch."""
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def subproof(m, leaves, whole):
    """RFC 9162 section 2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = split(n)
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def digest(b):
    return "sha256:" + b.hex()


def main(binary, journal):
    run = lambda *args: subprocess.run([binary, *args], check=True, capture_output=True,
                                       text=True).stdout
    draft = json.loads(run("packet", "--journal", journal, "--draft"))
    count, root = draft["lineage"]["count"], draft["lineage"]["root"]
    assert count > 0, "the journal has findings"
    leaves = []
    for index in range(count):
        p = json.loads(run("lineage", "--journal", journal, "--proof", str(index)))
        leaf = bytes.fromhex(p["leaf"].removeprefix("sha256:"))
        if p["entry"].get("redacted") is not True:
            jcs = json.dumps(p["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert h(b"\x00" + jcs.encode()) == leaf, f"leaf {index} is not its entry's hash"
        leaves.append(leaf)
    assert digest(mth(leaves)) == root, "the leaves do not make the packet's lineage root"
    for m in range(count + 1):
        p = json.loads(run("lineage", "--journal", journal, "--consistency", str(m)))
        from_root = digest(mth(leaves[:m]))
        expected = [] if m in (0, count) else [digest(x) for x in subproof(m, leaves, True)]
        assert p["from"] == {"count": m, "root": from_root}, (m, p["from"])
        assert p["to"] == {"count": count, "root": root}, (m, p["to"])
        assert p["path"] == expected, f"{m} -> {count}: not RFC 9162's PROOF(m, D[n])"
        assert consistent(p, m, from_root, count, root), f"{m} -> {count} does not verify"
        for other in range(count + 1):
            # An empty path relabelled to the whole lineage or to the empty one is a true
            # proof (n to n, 0 to n).
            if other != m and not (not p["path"] and other in (0, count)):
                other_root = digest(mth(leaves[:other]))
                relabelled = dict(p, **{"from": {"count": other, "root": other_root}})
                assert not consistent(relabelled, other, other_root, count, root), \
                    f"{m} -> {count} relabelled as {other} verifies"
                assert not consistent(dict(p, **{"from": dict(p["from"], count=other)}),
                                      other, from_root, count, root), f"count {other} verifies"
        assert not consistent(p, m, from_root, count, digest(h(b"another tree")))
        for i in range(len(p["path"])):
            bent = list(p["path"])
            bent[i] = "sha256:" + "00" * 32
            assert not consistent(dict(p, path=bent), m, from_root, count, root), f"bent {i}"
    print(f"consistency proofs: every prefix 0..{count} of {root} verifies with hashlib, "
          "matches an independent RFC 9162 PROOF(m, D[n]), and fails relabelled or bent")
    # The accepted packet (the demo leaves its trust file beside the journal): every sign-off's
    # proof from the lineage it signed to the accepted lineage verifies with the recipe.
    trust = journal.removesuffix(".jsonl") + ".trust.json"
    if os.path.exists(trust):
        packet = json.loads(run("packet", "--journal", journal, "--trust", trust,
                                "--workflow", WORKFLOW))
        signed = {a["token_digest"]: a["signed"]["lineage"] for a in packet["approvals"]
                  if "signed" in a and not a["voided"]}
        proofs = packet.get("consistency", [])
        assert {c["token_digest"] for c in proofs} == set(signed), "a sign-off has no proof"
        for c in proofs:
            lin = signed[c["token_digest"]]
            assert c["proof"]["from"] == lin, "the proof is not from the lineage signed"
            assert consistent(c["proof"], lin["count"], lin["root"], count, root), c
        print(f"accepted packet: {len(proofs)} sign-off consistency proofs verify with hashlib")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        proof = json.load(open(sys.argv[2]) if sys.argv[2] != "-" else sys.stdin)
        try:
            ok = consistent(proof, int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
        except (KeyError, TypeError, ValueError, AttributeError):
            ok = False
        print("proof verifies" if ok else "proof refused")
        sys.exit(0 if ok else 1)
    main(*sys.argv[1:])
