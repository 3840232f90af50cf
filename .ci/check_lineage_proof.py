#!/usr/bin/env python3
"""Checks `authority-lane lineage --proof INDEX` output with SHA-256 alone (the README's recipe):
for every finding of a journal, index < count and the entry's index is the proof's (RFC 9162
section 2.1.3.2 step 1), the leaf is SHA-256(0x00 || JCS(entry)), the path folds to the root
consuming every hash, and the root and count are the ones the draft packet carries. A tampered
entry or path, or a relabelled index, must fail.

    python3 .ci/check_lineage_proof.py PATH/TO/authority-lane JOURNAL
    python3 .ci/check_lineage_proof.py --check PROOF.json ROOT [COUNT]   # one proof; exit 1 if refused
"""
import hashlib
import json
import subprocess
import sys


def verify(p, root=None, count=None):
    """The README's recipe: True iff the proof `p` checks out (against `root` and `count`, the
    packet's lineage.root and lineage.count, when given)."""
    h = lambda b: hashlib.sha256(b).digest()
    if not (isinstance(p["index"], int) and isinstance(p["count"], int)):
        return False
    if not (0 <= p["index"] < p["count"]) or p["entry"].get("index") != p["index"]:
        return False
    if (root is not None and p["root"] != root) or (count is not None and p["count"] != count):
        return False
    # The entry's RFC 8785 form: sorted keys, no whitespace, UTF-8 (its numbers are integers).
    if p["entry"].get("redacted") is True:
        leaf = bytes.fromhex(p["leaf"].removeprefix("sha256:"))  # a channel hid the entry
    else:
        jcs = json.dumps(p["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        leaf = h(b"\x00" + jcs.encode())
        if "sha256:" + leaf.hex() != p["leaf"]:
            return False
    i, n, r = p["index"], p["count"] - 1, leaf
    for s in p["path"]:
        s = bytes.fromhex(s.removeprefix("sha256:"))
        if n == 0:
            return False
        if i % 2 == 1 or i == n:
            r = h(b"\x01" + s + r)
            while i % 2 == 0 and i != 0:
                i, n = i >> 1, n >> 1
        else:
            r = h(b"\x01" + r + s)
        i, n = i >> 1, n >> 1
    return n == 0 and "sha256:" + r.hex() == p["root"]


def main(binary, journal):
    run = lambda *args: subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    draft = json.loads(run("packet", "--journal", journal, "--draft"))
    root, count = draft["lineage"]["root"], draft["lineage"]["count"]
    assert count > 0, "the journal has findings"
    for index in range(count):
        p = json.loads(run("lineage", "--journal", journal, "--proof", str(index)))
        assert p["root"] == root and p["count"] == count, p
        assert verify(p, root, count), f"proof {index} does not verify"
        for other in range(count + 3):
            if other != index:
                assert not verify(dict(p, index=other)), f"index {index} relabelled {other} verifies"
                moved = dict(p, index=other, entry=dict(p["entry"], index=other))
                assert not verify(moved), f"index {index} moved to {other} verifies"
        for other in range(2 * count + 2):
            if other != count:
                assert not verify(dict(p, count=other), root, count), f"count {other} verifies"
        forged = dict(p, entry=dict(p["entry"], value="forged"))
        assert not verify(forged), f"a forged entry verifies at {index}"
        if p["path"]:
            bent = dict(p, path=[("sha256:" + "00" * 32)] + p["path"][1:])
            assert not verify(bent), f"a bent path verifies at {index}"
            assert not verify(dict(p, index=(index + 1) % count)) or count == 1
    print(f"lineage proofs: {count} findings, every proof verifies against {root} with hashlib")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        proof = json.load(open(sys.argv[2]) if sys.argv[2] != "-" else sys.stdin)
        trusted_count = int(sys.argv[4]) if len(sys.argv) > 4 else None
        try:
            ok = verify(proof, sys.argv[3], trusted_count)
        except (KeyError, TypeError, ValueError, AttributeError):
            ok = False
        print("proof verifies" if ok else "proof refused")
        sys.exit(0 if ok else 1)
    main(*sys.argv[1:])
