#!/usr/bin/env python3
"""An independent RFC 9162 Merkle Tree Hash (section 2.1.1), from the RFC's text alone, over the
certificate-transparency reference leaves: prints the roots of the first 1..8 leaves, which
`src/lineage/merkle.rs` checks as test vectors. Run: python3 .ci/merkle_vectors.py"""
import hashlib

LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
          "606162636465666768696a6b6c6d6e6f"]


def mth(data):
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


for i in range(1, len(LEAVES) + 1):
    print(mth([bytes.fromhex(x) for x in LEAVES[:i]]).hex())
