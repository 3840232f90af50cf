//! Content digests: `sha256:` followed by 64 lowercase hex digits.
//!
//! Structured content is digested over its RFC 8785 (JCS) canonical JSON form, produced by the
//! `serde_jcs` crate, so that any party holding the same JSON value computes the same digest
//! whatever key order or number spelling its serialiser chose.
//!
//! # Numbers are I-JSON integers
//!
//! RFC 8785 serialises every number as an IEEE 754 double (ECMAScript `Number`), and `serde_jcs`
//! does so too: `9007199254740993` (2^53 + 1) comes out as `9007199254740992`, so two different
//! values would share one digest. Everything canonicalised here is therefore first checked with
//! [`check_i_json`]: every number must be an integer of magnitude at most 2^53 − 1
//! ([`MAX_SAFE_INTEGER`], RFC 7493 §2.2), and then its canonical form is exact. Anything else is a
//! [`CanonicalError::NotIJsonNumber`], never a silently rounded digest.

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A SHA-256 digest written `sha256:<64 lowercase hex>`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "DigestSchema")]
pub struct Digest(String);

/// Schema stand-in for [`Digest`]: a string matching `^sha256:[0-9a-f]{64}$`.
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // only read by schemars
struct DigestSchema(#[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))] String);

/// The text was not `sha256:` followed by 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a digest (expected `sha256:` and 64 lowercase hex digits): {0:?}")]
pub struct DigestParseError(pub String);

pub use crate::canonical::MAX_SAFE_INTEGER;

/// A value could not be put in canonical (RFC 8785) form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// A number is not an integer of magnitude at most 2^53 − 1 ([`MAX_SAFE_INTEGER`]), so its
    /// RFC 8785 form (an IEEE 754 double) would not be exact.
    #[error(
        "number {number} at {path} is not an I-JSON integer (an integer n with |n| <= 2^53 - 1)"
    )]
    NotIJsonNumber {
        /// JSON Pointer (RFC 6901) to the number; empty for the whole value.
        path: String,
        /// The number as parsed.
        number: String,
    },
    /// The value could not be serialised (e.g. a map with non-string keys).
    #[error("cannot canonicalise value: {0}")]
    Serialize(String),
}

impl Digest {
    /// SHA-256 of raw bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self::of_hash(Sha256::digest(bytes).into())
    }

    /// `sha256:` and the lowercase hex of `hash` (without `hex::encode`'s char-by-char
    /// `String`: digests are made once per journal line).
    fn of_hash(hash: [u8; 32]) -> Self {
        let mut text = [0u8; 71];
        text[..7].copy_from_slice(b"sha256:");
        hex::encode_to_slice(hash, &mut text[7..]).expect("32 bytes are 64 hex digits");
        Digest(std::str::from_utf8(&text).expect("ASCII hex").to_owned())
    }

    /// SHA-256 of the concatenation of `parts` (no copy is made).
    pub(crate) fn of_parts(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Self::of_hash(h.finalize().into())
    }

    /// SHA-256 of the RFC 8785 canonical JSON form of `value` (see [`canonical_json`]: a number
    /// that is not an I-JSON integer is refused, never rounded).
    pub fn of_canonical<T: Serialize + ?Sized>(value: &T) -> Result<Self, CanonicalError> {
        canonical_json(value).map(|bytes| Self::of_bytes(&bytes))
    }

    /// The digest as written, `sha256:...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The RFC 8785 canonical JSON bytes of `value`. `value` is first converted to a JSON value and
/// checked with [`check_i_json`], so the result is exact: a number that is not an integer with
/// |n| <= 2^53 − 1 is a [`CanonicalError::NotIJsonNumber`] instead of a rounded serialisation.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value =
        serde_json::to_value(value).map_err(|e| CanonicalError::Serialize(e.to_string()))?;
    canonical_value(&value)
}

/// [`canonical_json`] for a value that is already a [`serde_json::Value`] (no conversion).
///
/// When `serde_json`'s compact text of the value is already canonical
/// ([`crate::canonical::compact_is_canonical`]: integers only, members in code-point order, no
/// key with a character at or above U+E000) that text is written directly; otherwise the
/// reference serialiser (`serde_jcs`). The `canonical_differential` fuzz target and the unit
/// tests keep the two agreeing.
pub fn canonical_value(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    check_i_json(value)?;
    if crate::canonical::compact_is_canonical(value) {
        return serde_json::to_vec(value).map_err(|e| CanonicalError::Serialize(e.to_string()));
    }
    serde_jcs::to_vec(value).map_err(|e| CanonicalError::Serialize(e.to_string()))
}

/// Checks that every number in `value` is an I-JSON integer (RFC 7493 §2.2): an integer `n` with
/// `|n| <= 2^53 − 1` ([`MAX_SAFE_INTEGER`]). Such numbers are exact as IEEE 754 doubles, so every
/// RFC 8785 implementation serialises them alike (as plain decimal digits). A number held as a
/// float counts when its value is such an integer (`100.0` is 100); a fraction, a magnitude of
/// 2^53 or more, or anything that only a float could hold is refused, with a JSON Pointer to it.
///
/// ```
/// use authority_lane::digest::{check_i_json, CanonicalError};
/// assert!(check_i_json(&serde_json::json!({"n": [9007199254740991_u64, -3]})).is_ok());
/// let err = check_i_json(&serde_json::json!({"n": [1, 9007199254740993_u64]})).unwrap_err();
/// assert!(matches!(err, CanonicalError::NotIJsonNumber { ref path, .. } if path == "/n/1"));
/// assert!(check_i_json(&serde_json::json!(0.5)).is_err());
/// ```
pub fn check_i_json(value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Number(n) if is_i_json_integer(n) => Ok(()),
        Value::Number(n) => Err(CanonicalError::NotIJsonNumber {
            path: String::new(),
            number: n.to_string(),
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_i_json(v).map_err(|e| e.within(&i.to_string()))),
        Value::Object(members) => members
            .iter()
            .try_for_each(|(k, v)| check_i_json(v).map_err(|e| e.within(k))),
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

/// True for an integer `n` with `|n| <= 2^53 − 1`, whether held as an integer or a float.
pub(crate) fn is_i_json_integer(n: &serde_json::Number) -> bool {
    if let Some(u) = n.as_u64() {
        u <= MAX_SAFE_INTEGER
    } else if let Some(i) = n.as_i64() {
        i.unsigned_abs() <= MAX_SAFE_INTEGER
    } else {
        // A float: exact integers up to 2^53 - 1 in magnitude are exactly the doubles below.
        n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64)
    }
}

impl CanonicalError {
    /// Prefixes the JSON Pointer of a [`NotIJsonNumber`](Self::NotIJsonNumber) with `token`.
    fn within(self, token: &str) -> Self {
        match self {
            CanonicalError::NotIJsonNumber { path, number } => CanonicalError::NotIJsonNumber {
                path: format!("/{}{path}", token.replace('~', "~0").replace('/', "~1")),
                number,
            },
            other => other,
        }
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let well_formed = s.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if well_formed {
            Ok(Digest(s))
        } else {
            Err(DigestParseError(s))
        }
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::try_from(s.to_owned())
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a JSON document strictly: a duplicated object key anywhere is an error naming it
/// (see [`StrictValue`]), never the last value silently kept.
pub fn strict_json(bytes: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_slice::<StrictValue>(bytes).map(|StrictValue(v)| v)
}

/// A JSON value parsed under I-JSON rules (as RFC 8785 requires): duplicate object keys are
/// rejected instead of silently keeping the last one, so that every reader of a document sees
/// the same value (DESIGN §12.9: journal lines, commands, tokens, workflows, trust files,
/// facts files).
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_of_empty_input_is_the_known_sha256() {
        assert_eq!(
            Digest::of_bytes(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_rejects_malformed_digests() {
        assert!("sha256:abc".parse::<Digest>().is_err());
        assert!(
            format!("sha256:{}", "A".repeat(64))
                .parse::<Digest>()
                .is_err()
        );
        assert!(format!("md5:{}", "a".repeat(64)).parse::<Digest>().is_err());
        assert!(
            format!("sha256:{}", "a".repeat(64))
                .parse::<Digest>()
                .is_ok()
        );
    }

    /// RFC 8785 §3.2.2 / appendix examples: key order by UTF-16 code units, ES6 number form,
    /// minimal string escaping.
    #[test]
    fn canonical_json_follows_rfc8785_examples() {
        let sorting = json!({
            "\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{0080}": "Control", "\u{00f6}": "Latin Small Letter O With Diaeresis"
        });
        let out = String::from_utf8(canonical_json(&sorting).unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{0080}\":\"Control\",\"\u{00f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
        // The numbers of the RFC's example are not I-JSON integers: `serde_jcs` itself formats
        // them as the RFC says, but `canonical_json` refuses them (see the tests below).
        let numbers: serde_json::Value = serde_json::from_str(
            r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#,
        )
        .unwrap();
        let out = serde_jcs::to_string(&numbers).unwrap();
        assert_eq!(
            out,
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
        assert!(matches!(
            canonical_json(&numbers),
            Err(CanonicalError::NotIJsonNumber { ref path, .. }) if path == "/numbers/0"
        ));
        let mut strings = numbers;
        strings["numbers"] = json!([0, -1, 9_007_199_254_740_991_u64, -9_007_199_254_740_991_i64]);
        let out = String::from_utf8(canonical_json(&strings).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"literals":[null,true,false],"numbers":[0,-1,9007199254740991,-9007199254740991],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// `serde_jcs` formats numbers as doubles: 2^53 + 1 would silently become 2^53. Every
    /// canonicalising entry point refuses numbers beyond 2^53 - 1 and fractions instead.
    #[test]
    fn numbers_beyond_i_json_are_refused_not_rounded() {
        let big = json!({"n": 9_007_199_254_740_993_u64});
        assert_eq!(
            serde_jcs::to_string(&big).unwrap(),
            r#"{"n":9007199254740992}"#,
            "the rounding this guards against"
        );
        for v in [
            big.clone(),
            json!({"n": 9_007_199_254_740_992_u64}),
            json!({"n": -9_007_199_254_740_992_i64}),
            json!({"n": u64::MAX}),
            json!({"n": i64::MIN}),
            json!({"n": 0.5}),
            json!({"n": 1e300}),
            json!({"n": 9_007_199_254_740_992.0}),
        ] {
            let err = canonical_json(&v).unwrap_err();
            assert!(
                matches!(&err, CanonicalError::NotIJsonNumber { path, .. } if path == "/n"),
                "{v}: {err:?}"
            );
            assert!(Digest::of_canonical(&v).is_err(), "{v}");
            assert!(canonical_value(&v).is_err(), "{v}");
        }
        // Within range, as integers or as integral floats: exact.
        for (v, text) in [
            (
                json!({"n": 9_007_199_254_740_991_u64}),
                r#"{"n":9007199254740991}"#,
            ),
            (
                json!({"n": -9_007_199_254_740_991_i64}),
                r#"{"n":-9007199254740991}"#,
            ),
            (json!({"n": 100.0}), r#"{"n":100}"#),
            (json!({"n": -0.0}), r#"{"n":0}"#),
        ] {
            assert_eq!(canonical_json(&v).unwrap(), text.as_bytes(), "{v}");
        }
        // Typed values are checked after conversion, with a JSON Pointer (RFC 6901 escapes).
        #[derive(Serialize)]
        struct Typed {
            #[serde(rename = "a/b~c")]
            inner: Vec<u64>,
        }
        let err = Digest::of_canonical(&Typed {
            inner: vec![1, u64::MAX],
        })
        .unwrap_err();
        assert_eq!(
            err,
            CanonicalError::NotIJsonNumber {
                path: "/a~1b~0c/1".into(),
                number: u64::MAX.to_string()
            }
        );
        assert!(err.to_string().contains("2^53 - 1"), "{err}");
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    /// The fast path (serde_json's compact text when it is already canonical) and the reference
    /// serialiser agree, on values that take the fast path and on values that must not.
    #[test]
    fn canonical_value_agrees_with_the_reference_serialiser() {
        let values = [
            serde_json::json!({"b": [1, -2, {"z": null, "a": true}], "a": "tab\t \u{1f} € 😀"}),
            serde_json::json!({"\u{e000}": 1, "\u{10000}": 2, "a": 3}),
            serde_json::json!({"n": 9007199254740991_u64, "m": -9007199254740991_i64}),
            serde_json::json!([]),
            serde_json::json!({}),
        ];
        for v in values {
            assert_eq!(
                canonical_value(&v).unwrap(),
                serde_jcs::to_vec(&v).unwrap(),
                "{v}"
            );
        }
        // A key at or above U+E000 beside a supplementary one takes the reference path: the
        // UTF-16 order puts the supplementary character first.
        let v = serde_json::json!({"\u{e000}": 1, "\u{10000}": 2});
        assert!(!crate::canonical::compact_is_canonical(&v));
        assert!(
            String::from_utf8(canonical_value(&v).unwrap())
                .unwrap()
                .starts_with("{\"\u{10000}\"")
        );
    }
}
