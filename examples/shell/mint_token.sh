#!/usr/bin/env bash
# Mint an approval token for authority-lane with OpenSSL 3 and coreutils alone (no JOSE library).
#
#   mint_token.sh new-key KEY.pem
#       Writes a new Ed25519 private key to KEY.pem (keep it secret, never commit it) and prints
#       the public JWK to paste into the trust file: {"kty": "OKP", "crv": "Ed25519", "x": "..."}.
#
#   mint_token.sh sign KEY.pem ISSUER KID CASE_ID 'DECISION_JSON' [LIFETIME_SECS]
#       Prints a compact JWS (alg EdDSA, header kid) whose claims are
#       {iss: ISSUER, aud: "authority-lane", sub: CASE_ID, iat: now, exp: now + LIFETIME_SECS
#       (default 600; the shipped policy allows at most 3600), jti: a fresh random id, decision}.
#
# Same interface as examples/python/mint_token.py. A compact JWS is
# base64url(header) "." base64url(claims) "." base64url(Ed25519 signature over the first two
# parts, as ASCII). Needs OpenSSL 3 (pkeyutl -rawin) and GNU coreutils' basenc.
set -euo pipefail

b64url() { basenc --base64url --wrap=0 | tr -d '='; }

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case "${1:-}" in
  new-key)
    [ $# -eq 2 ] || usage
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$2")
    # The raw public key is the last 32 bytes of its DER SubjectPublicKeyInfo.
    x=$(openssl pkey -in "$2" -pubout -outform DER | tail -c 32 | b64url)
    printf '{"kty": "OKP", "crv": "Ed25519", "x": "%s"}\n' "$x"
    ;;
  sign)
    [ $# -eq 6 ] || [ $# -eq 7 ] || usage
    key=$2 iss=$3 kid=$4 sub=$5 decision=$6 lifetime=${7:-600}
    # Ids go into JSON unescaped: accept only the trust file's id grammar (no quote, no escape).
    for id in "$iss" "$kid" "$sub"; do
      [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ ]] || { echo "not an id: $id" >&2; exit 2; }
    done
    [[ $lifetime =~ ^[0-9]+$ ]] || { echo "not a lifetime in seconds: $lifetime" >&2; exit 2; }
    now=$(date +%s)
    jti=$(openssl rand -hex 16)
    header=$(printf '{"alg":"EdDSA","typ":"JWT","kid":"%s"}' "$kid" | b64url)
    claims=$(printf '{"iss":"%s","aud":"authority-lane","sub":"%s","iat":%d,"exp":%d,"jti":"%s","decision":%s}' \
      "$iss" "$sub" "$now" "$((now + lifetime))" "$jti" "$decision" | b64url)
    input="$header.$claims"
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    printf '%s' "$input" > "$tmp"
    sig=$(openssl pkeyutl -sign -rawin -inkey "$key" -in "$tmp" | b64url)
    printf '%s.%s\n' "$input" "$sig"
    ;;
  *) usage ;;
esac
