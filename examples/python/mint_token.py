#!/usr/bin/env python3
"""Mint an approval token for authority-lane with PyJWT (pip install pyjwt cryptography).

  mint_token.py new-key KEY.pem
      Writes a new Ed25519 private key to KEY.pem (keep it secret, never commit it) and prints
      the public JWK to paste into the trust file: {"kty": "OKP", "crv": "Ed25519", "x": "..."}.

  mint_token.py sign KEY.pem ISSUER KID CASE_ID 'DECISION_JSON' [LIFETIME_SECS]
      Prints a compact JWS (alg EdDSA, header kid) whose claims are
      {iss: ISSUER, aud: "authority-lane", sub: CASE_ID, iat: now, exp: now + LIFETIME_SECS
      (default 600; the shipped policy allows at most 3600), jti: a fresh UUID, decision}.

Example (a review of the draft `status` shows as draft_digest):
  mint_token.py sign lee.pem lee.park lee-2026 sev1-case \\
    '{"kind": "review", "packet_digest": "sha256:…", "attests": ["blocked_paths_surfaced",
      "irreversibility_surfaced", "evidence_lineage_checked"]}'
"""
import base64
import json
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def new_key(path):
    key = Ed25519PrivateKey.generate()
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    print(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": x}))


def sign(path, issuer, kid, case_id, decision, lifetime=600):
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    claims = {"iss": issuer, "aud": "authority-lane", "sub": case_id, "iat": now,
              "exp": now + int(lifetime), "jti": str(uuid.uuid4()),
              "decision": json.loads(decision)}
    print(jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "new-key":
        new_key(sys.argv[2])
    elif len(sys.argv) in (7, 8) and sys.argv[1] == "sign":
        sign(*sys.argv[2:])
    else:
        sys.exit(__doc__)
