#!/usr/bin/env python3
"""Checks `authority-lane lineage --proof INDEX` output with SHA-256 alone (the README's recipe):
for every finding of a journal, the leaf is SHA-256(0x00 || JCS(entry)), the path folds to the
root (RFC 9162 section 2.1.3.2), and the root is the one the draft packet carries. A tampered
entry or path must fail.

    python3 .ci/check_lineage_proof.py target/release/authority-lane JOURNAL
"""
import hashlib
import json
import subprocess
import sys


def verify(p):
    """The README's recipe: True iff the proof `p` checks out."""
    h = lambda b: hashlib.sha256(b).digest()
    # The entry's RFC 8785 form: sorted keys, no whitespace, UTF-8 (its numbers are integers).
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
        assert verify(p), f"proof {index} does not verify"
        forged = dict(p, entry=dict(p["entry"], value="forged"))
        assert not verify(forged), f"a forged entry verifies at {index}"
        if p["path"]:
            bent = dict(p, path=[("sha256:" + "00" * 32)] + p["path"][1:])
            assert not verify(bent), f"a bent path verifies at {index}"
            assert not verify(dict(p, index=(index + 1) % count)) or count == 1
    print(f"lineage proofs: {count} findings, every proof verifies against {root} with hashlib")


if __name__ == "__main__":
    main(*sys.argv[1:])
