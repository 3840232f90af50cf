//! Unit tests for the trust registry.

use super::*;
use crate::error_code::ErrorCode;
use serde_json::json;

/// RFC 8037 A.1's public key.
const X1: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const X2: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

fn file(v: serde_json::Value) -> Result<Trust, TrustError> {
    Trust::from_json(v.to_string().as_bytes())
}

fn good() -> serde_json::Value {
    json!({"principals": [
        {"id": "dana.okafor", "roles": ["legal-trust-office"],
         "keys": [{"kid": "dana-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": X1}}]},
        {"id": "sam.lee", "roles": ["security-leadership", "trust-reviewer"],
         "keys": [{"kid": "sam-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": X2}}]}
    ]})
}

#[test]
fn valid_file_loads_and_answers_queries() {
    let t = file(good()).unwrap();
    let dana = PrincipalId::from("dana.okafor");
    assert!(t.has_role(&dana, &RoleId::from("legal-trust-office")));
    assert!(!t.has_role(&dana, &RoleId::from("trust-reviewer")));
    assert!(!t.has_role(
        &PrincipalId::from("nobody"),
        &RoleId::from("trust-reviewer")
    ));
    assert_eq!(t.principal(&dana).map(|p| p.keys.len()), Some(1));
    assert_eq!(
        t.key_owner(&KeyId::from("sam-2026")).map(|p| p.as_str()),
        Some("sam.lee")
    );
    assert_eq!(t.file().principals.len(), 2);
    assert_eq!(t.roles().len(), 3);
    // Digest is over canonical JSON: key order and whitespace do not matter.
    let reordered = r#"{ "principals": [
            {"keys": [{"jwk": {"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "crv": "Ed25519", "kty": "OKP"}, "kid": "dana-2026"}],
             "roles": ["legal-trust-office"], "id": "dana.okafor"},
            {"roles": ["security-leadership", "trust-reviewer"], "id": "sam.lee",
             "keys": [{"kid": "sam-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}}]}]}"#;
    assert_eq!(
        Trust::from_json(reordered.as_bytes()).unwrap().digest(),
        t.digest()
    );
    assert_eq!(t.digest(), &Digest::of_canonical(t.file()).unwrap());
}

#[test]
fn parse_errors_and_unknown_fields() {
    for bad in [&b"not json"[..], br#"{"principals": [], "extra": 1}"#,
                br#"{"principals": [{"id": "a", "roles": [], "keys": [{"kid": "k", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "secret"}}]}]}"#] {
        let e = Trust::from_json(bad).unwrap_err();
        assert!(matches!(e, TrustError::Parse(_)), "{e}");
        assert_eq!(e.code(), ErrorCode::InvalidTrust);
    }
}

#[test]
fn principal_ids_must_match_the_pattern() {
    for (id, fault) in [
        ("", NameFault::Empty),
        ("Dana.okafor", NameFault::BadStart { found: 'D' }),
        (".dana", NameFault::BadStart { found: '.' }),
        ("dana.Okafor", NameFault::BadChar { found: 'O', at: 5 }),
        // Cyrillic е (U+0435), which renders like the Latin e of an existing principal.
        ("eve.exеc", NameFault::BadChar { found: 'е', at: 6 }),
        ("dana okafor", NameFault::BadChar { found: ' ', at: 4 }),
    ] {
        let mut v = good();
        v["principals"][0]["id"] = json!(id);
        let e = file(v).unwrap_err();
        assert_eq!(
            e,
            TrustError::BadPrincipalId {
                id: id.into(),
                fault
            },
            "{id:?}"
        );
        assert_eq!(e.code(), ErrorCode::InvalidTrust);
    }
    let mut v = good();
    v["principals"][0]["id"] = json!("a".repeat(65));
    assert!(matches!(
        file(v).unwrap_err(),
        TrustError::BadPrincipalId {
            fault: NameFault::TooLong { len: 65 },
            ..
        }
    ));
    let mut v = good();
    v["principals"][0]["id"] = json!("a".repeat(64));
    assert!(file(v).is_ok());

    let mut v = good();
    v["principals"][0]["id"] = json!("eve.exеc");
    let msg = file(v).unwrap_err().to_string();
    assert!(
        msg.contains("eve.exеc") && msg.contains("\\u{435}") && msg.contains(TRUST_NAME_PATTERN),
        "{msg}"
    );
}

#[test]
fn duplicate_principal() {
    let mut v = good();
    v["principals"][1]["id"] = json!("dana.okafor");
    let e = file(v).unwrap_err();
    assert!(matches!(e, TrustError::DuplicatePrincipal(ref p) if p.as_str() == "dana.okafor"));
    assert!(e.to_string().contains("dana.okafor"));
    assert_eq!(e.code(), ErrorCode::InvalidTrust);
}

#[test]
fn kids_must_match_the_pattern() {
    for (kid, fault) in [
        ("", NameFault::Empty),
        ("Sam-2026", NameFault::BadStart { found: 'S' }),
        ("-sam", NameFault::BadStart { found: '-' }),
        (
            "sam-2026\u{200b}",
            NameFault::BadChar {
                found: '\u{200b}',
                at: 8,
            },
        ),
        ("sam-2О26", NameFault::BadChar { found: 'О', at: 5 }), // Cyrillic О
        ("sam/2026", NameFault::BadChar { found: '/', at: 3 }),
    ] {
        let mut v = good();
        v["principals"][1]["keys"][0]["kid"] = json!(kid);
        let e = file(v).unwrap_err();
        assert_eq!(
            e,
            TrustError::BadKid {
                principal: "sam.lee".into(),
                kid: kid.into(),
                fault
            },
            "{kid:?}"
        );
        assert!(e.to_string().contains("sam.lee"), "{e}");
    }
    let mut v = good();
    v["principals"][1]["keys"][0]["kid"] = json!("k".repeat(65));
    assert!(matches!(
        file(v).unwrap_err(),
        TrustError::BadKid {
            fault: NameFault::TooLong { len: 65 },
            ..
        }
    ));
}

#[test]
fn duplicate_kid_across_principals_and_within_one() {
    let mut v = good();
    v["principals"][1]["keys"][0]["kid"] = json!("dana-2026");
    let e = file(v).unwrap_err();
    assert!(matches!(e, TrustError::DuplicateKid { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("dana-2026") && msg.contains("sam.lee") && msg.contains("dana.okafor"),
        "{msg}"
    );

    let mut v = good();
    let k = v["principals"][0]["keys"][0].clone();
    v["principals"][0]["keys"] = json!([k.clone(), k]);
    assert!(matches!(
        file(v).unwrap_err(),
        TrustError::DuplicateKid { .. }
    ));
}

#[test]
fn non_ed25519_keys_are_rejected() {
    for (kty, crv) in [
        ("EC", "Ed25519"),
        ("OKP", "X25519"),
        ("OKP", "Ed448"),
        ("RSA", ""),
    ] {
        let mut v = good();
        v["principals"][0]["keys"][0]["jwk"]["kty"] = json!(kty);
        v["principals"][0]["keys"][0]["jwk"]["crv"] = json!(crv);
        let e = file(v).unwrap_err();
        assert!(matches!(e, TrustError::UnsupportedKey { .. }), "{e}");
        assert!(e.to_string().contains("dana-2026"));
    }
}

#[test]
fn bad_key_material_is_rejected() {
    let std_alphabet = X1.replace('_', "/");
    for x in [
        "",
        "AAAA",
        &X1[..40],
        &format!("{X1}AAAA"),
        &std_alphabet,
        "!!!!",
        &format!(" {X1}"),
    ] {
        let mut v = good();
        v["principals"][0]["keys"][0]["jwk"]["x"] = json!(x);
        let e = file(v).unwrap_err();
        assert!(
            matches!(e, TrustError::BadKeyMaterial { .. }),
            "x={x:?}: {e}"
        );
        assert!(e.to_string().contains("dana.okafor"));
    }
}

/// A trust file whose first key (dana.okafor / dana-2026) is `x`.
fn with_first_key(x: &str) -> Result<Trust, TrustError> {
    let mut v = good();
    v["principals"][0]["keys"][0]["jwk"]["x"] = json!(x);
    file(v)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn bytes(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

#[test]
fn non_canonical_base64_is_refused() {
    // X1 ends in 'o' (0b101000): its last two bits are padding and must be zero.
    let trailing_bits = format!("{}p", &X1[..42]);
    let padded = format!("{X1}=");
    for x in [padded.as_str(), &trailing_bits] {
        let e = with_first_key(x).unwrap_err();
        assert_eq!(
            e,
            TrustError::NonCanonicalBase64 {
                principal: "dana.okafor".into(),
                kid: "dana-2026".into(),
                canonical: X1.to_owned(),
            },
            "x={x:?}"
        );
        assert!(e.to_string().contains(X1), "{e}");
    }
    assert!(with_first_key(X1).is_ok());
}

#[test]
fn bytes_that_are_not_a_curve_point_are_refused() {
    // y = 2 has no x on the curve; the second is the A.1 key as once misquoted.
    let y2 = b64(&bytes(
        "0200000000000000000000000000000000000000000000000000000000000000",
    ));
    for x in [y2.as_str(), "11qYAYKxCrfVS_7TyWQHOg7hcvPc1FhHVDg-T5pKvxY"] {
        assert!(
            matches!(
                with_first_key(x).unwrap_err(),
                TrustError::NotACurvePoint { .. }
            ),
            "x={x:?}"
        );
    }
}

#[test]
fn small_order_keys_are_refused() {
    // The eight points of small order, canonically encoded: the identity, (0, -1), the two
    // of order 4 and the four of order 8.
    for hex_key in [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ] {
        let key = bytes(hex_key);
        let point = VerifyingKey::from_bytes(&key).unwrap();
        assert!(point.is_weak(), "control: {hex_key} is of small order");
        assert_eq!(
            point.to_edwards().compress().to_bytes(),
            key,
            "control: {hex_key} is canonical"
        );
        let e = with_first_key(&b64(&key)).unwrap_err();
        assert_eq!(
            e,
            TrustError::SmallOrderKey {
                principal: "dana.okafor".into(),
                kid: "dana-2026".into(),
            },
            "{hex_key}"
        );
        assert!(e.to_string().contains("dana-2026"), "{e}");
    }
}

#[test]
fn non_canonical_point_encodings_are_refused() {
    let y3 = "0300000000000000000000000000000000000000000000000000000000000000";
    for (hex_key, canonical) in [
        // y = p + 3: the same full-order point as y = 3, spelled differently.
        (
            "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            y3,
        ),
        // y = p + 3 with the sign bit: the point's negation, -(x, 3).
        (
            "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "0300000000000000000000000000000000000000000000000000000000000080",
        ),
        // y = p + 1 and the identity with x = "-0": small order as well, but refused first
        // for the encoding.
        (
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0100000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "0100000000000000000000000000000000000000000000000000000000000080",
            "0100000000000000000000000000000000000000000000000000000000000000",
        ),
    ] {
        let key = bytes(hex_key);
        assert!(
            VerifyingKey::from_bytes(&key).is_ok(),
            "control: {hex_key} decompresses"
        );
        let e = with_first_key(&b64(&key)).unwrap_err();
        assert_eq!(
            e,
            TrustError::NonCanonicalPoint {
                principal: "dana.okafor".into(),
                kid: "dana-2026".into(),
                canonical: b64(&bytes(canonical)),
            },
            "{hex_key}"
        );
    }
    // The first two are not weak: only the encoding check stands in their way.
    for hex_key in [
        "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ] {
        assert!(!VerifyingKey::from_bytes(&bytes(hex_key)).unwrap().is_weak());
    }
    // The canonical spelling of y = 3 is itself a usable key.
    assert!(with_first_key(&b64(&bytes(y3))).is_ok());
}

#[test]
fn one_public_key_appears_once_in_the_whole_file() {
    // Under two principals.
    let mut v = good();
    v["principals"][1]["keys"][0]["jwk"]["x"] = json!(X1);
    let e = file(v).unwrap_err();
    assert_eq!(
        e,
        TrustError::DuplicateKey {
            principal: "sam.lee".into(),
            kid: "sam-2026".into(),
            first_principal: "dana.okafor".into(),
            first_kid: "dana-2026".into(),
        }
    );
    let msg = e.to_string();
    for part in ["sam.lee", "sam-2026", "dana.okafor", "dana-2026"] {
        assert!(msg.contains(part), "{msg}");
    }
    assert_eq!(e.code(), ErrorCode::InvalidTrust);

    // Under two kids of one principal.
    let mut v = good();
    let mut second = v["principals"][0]["keys"][0].clone();
    second["kid"] = json!("dana-2027");
    v["principals"][0]["keys"]
        .as_array_mut()
        .unwrap()
        .push(second);
    assert_eq!(
        file(v).unwrap_err(),
        TrustError::DuplicateKey {
            principal: "dana.okafor".into(),
            kid: "dana-2027".into(),
            first_principal: "dana.okafor".into(),
            first_kid: "dana-2026".into(),
        }
    );

    // Two distinct keys under one principal are fine.
    let mut v = good();
    let mut second = v["principals"][0]["keys"][0].clone();
    second["kid"] = json!("dana-2027");
    second["jwk"]["x"] = json!(b64(&bytes(
        "0300000000000000000000000000000000000000000000000000000000000000"
    )));
    v["principals"][0]["keys"]
        .as_array_mut()
        .unwrap()
        .push(second);
    assert_eq!(
        file(v)
            .unwrap()
            .key_owner(&KeyId::from("dana-2027"))
            .map(|p| p.as_str()),
        Some("dana.okafor")
    );
}
