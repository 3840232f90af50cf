//! Content digests: `sha256:` followed by 64 lowercase hex digits.
//!
//! Structured content is digested over its RFC 8785 (JCS) canonical JSON form, produced by the
//! `serde_jcs` crate, so that any party holding the same JSON value computes the same digest
//! whatever key order or number spelling its serialiser chose.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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

/// A value could not be put in canonical (RFC 8785) form.
#[derive(Debug, thiserror::Error)]
#[error("cannot canonicalise value for digest: {0}")]
pub struct CanonicalError(String);

impl Digest {
    /// SHA-256 of raw bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    /// SHA-256 of the RFC 8785 canonical JSON form of `value`.
    pub fn of_canonical<T: Serialize + ?Sized>(value: &T) -> Result<Self, CanonicalError> {
        canonical_json(value).map(|bytes| Self::of_bytes(&bytes))
    }

    /// The digest as written, `sha256:...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The RFC 8785 canonical JSON bytes of `value`.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_jcs::to_vec(value).map_err(|e| CanonicalError(e.to_string()))
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
        let numbers: serde_json::Value = serde_json::from_str(
            r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#,
        )
        .unwrap();
        let out = String::from_utf8(canonical_json(&numbers).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }
}
