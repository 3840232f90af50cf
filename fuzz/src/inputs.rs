//! Structured inputs built with `arbitrary`: timestamps, names and JSON values biased toward the
//! edges of the crate's grammars (DESIGN §12.3–§12.4), so that the fuzzer reaches deep paths
//! without having to discover the shape of a command first.

use arbitrary::Arbitrary;
use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

/// Timestamps at or beyond the edges of the one grammar (four-digit year, UTC year
/// 0000..=9999, RFC 3339 only).
pub const EDGE_TIMES: &[&str] = &[
    "0000-01-01T00:00:00Z",
    "0000-01-01T00:00:00+00:01",
    "0000-01-01T00:00:00-00:01",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999999Z",
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:60Z",
    "2026-11-28T23:59:60Z",
    "2026-11-28T23:59:60.5+01:00",
    "2026-02-29T00:00:00Z",
    "2028-02-29T00:00:00Z",
    "2026-11-28T12:30:00+23:59",
    "2026-11-28T12:30:00-23:59",
    "2026-11-28t12:30:00z",
    "2026-11-28 12:30:00Z",
    "+2026-11-28T12:30:00Z",
    "12026-11-28T12:30:00Z",
    "2026-11-28T12:30:00.0000000001Z",
    "2026-11-28T12:30:00.123456789123Z",
    "2026-11-28T12:30:00",
    "2026-11-28T12:30Z",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999999Z",
    "",
];

/// A timestamp string: near a reference time, at an edge, or any text.
#[derive(Debug, Clone, Arbitrary)]
pub enum TimeText {
    /// Reference time plus `secs` seconds and `nanos` nanoseconds, written with an offset of
    /// `offset_min` minutes (clamped to ±23:59) in one of the RFC 3339 precisions.
    Near {
        secs: i32,
        nanos: u32,
        offset_min: i16,
        precision: u8,
        z: bool,
    },
    /// One of [`EDGE_TIMES`].
    Edge(u8),
    /// Anything.
    Text(String),
}

impl TimeText {
    /// The text, relative to `reference`.
    pub fn render(&self, reference: DateTime<Utc>) -> String {
        match self {
            TimeText::Near {
                secs,
                nanos,
                offset_min,
                precision,
                z,
            } => {
                let t = reference
                    .checked_add_signed(Duration::seconds(i64::from(*secs)))
                    .and_then(|t| {
                        t.checked_add_signed(Duration::nanoseconds(i64::from(nanos % 1_000_000_000)))
                    })
                    .unwrap_or(reference);
                let format = match precision % 5 {
                    0 => SecondsFormat::Secs,
                    1 => SecondsFormat::Millis,
                    2 => SecondsFormat::Micros,
                    3 => SecondsFormat::Nanos,
                    _ => SecondsFormat::AutoSi,
                };
                let offset = i32::from((*offset_min).clamp(-1439, 1439)) * 60;
                match FixedOffset::east_opt(offset) {
                    Some(tz) if offset != 0 || !z => t.with_timezone(&tz).to_rfc3339_opts(format, false),
                    _ => t.to_rfc3339_opts(format, true),
                }
            }
            TimeText::Edge(i) => EDGE_TIMES[usize::from(*i) % EDGE_TIMES.len()].to_owned(),
            TimeText::Text(s) => s.clone(),
        }
    }
}

/// A name: one of a known list (by index), or any text.
#[derive(Debug, Clone, Arbitrary)]
pub enum Name {
    /// The known name at this index (modulo the list's length).
    Known(u8),
    /// Anything.
    Other(String),
}

impl Name {
    /// The name, picked from `known`.
    pub fn pick<S: AsRef<str>>(&self, known: &[S]) -> String {
        match self {
            Name::Known(i) if !known.is_empty() => known[usize::from(*i) % known.len()].as_ref().to_owned(),
            Name::Known(_) => String::new(),
            Name::Other(s) => s.clone(),
        }
    }
}

/// Number texts at the edges of I-JSON and of `serde_json`'s number types.
pub const EDGE_NUMBERS: &[&str] = &[
    "9007199254740991",
    "9007199254740992",
    "-9007199254740991",
    "-9007199254740992",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "0",
    "-0",
    "-1",
    "1.0",
    "1e2",
    "1E+2",
    "0.5",
    "1e-400",
    "9007199254740991.0",
    "4294967296",
];

/// A JSON value for a fact: usually of the fact's type, often at an edge.
#[derive(Debug, Clone, Arbitrary)]
pub enum ValueGen {
    /// A valid-looking value for a fact of this type (`bool`, `count`, `enum`, `timestamp`).
    Typed(u64),
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (non-finite ones become `null`).
    Float(f64),
    /// One of [`EDGE_NUMBERS`], parsed as `serde_json` parses it.
    Number(u8),
    /// A string.
    Str(String),
    /// A timestamp string.
    Time(TimeText),
    /// `null`.
    Null,
    /// An array.
    Array(Vec<ValueGen>),
    /// An object with one member.
    Object(String, Box<ValueGen>),
}

impl ValueGen {
    /// The value, for a fact of type `ty` (`bool`, `count`, `enum`, `timestamp`) whose enum
    /// values are `values`, relative to `reference`.
    pub fn render(&self, ty: &str, values: &[String], reference: DateTime<Utc>) -> Value {
        match self {
            ValueGen::Typed(n) => match ty {
                "bool" => json!(n % 2 == 1),
                "count" => json!(n % (1 << 53)),
                "enum" if !values.is_empty() => json!(values[(*n as usize) % values.len()]),
                "timestamp" => {
                    let t = reference + Duration::seconds((*n % 1_000_000) as i64 - 500_000);
                    json!(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                }
                _ => json!(n),
            },
            ValueGen::Bool(b) => json!(b),
            ValueGen::Int(i) => json!(i),
            ValueGen::UInt(u) => json!(u),
            ValueGen::Float(f) => json!(f),
            ValueGen::Number(i) => serde_json::from_str(EDGE_NUMBERS[usize::from(*i) % EDGE_NUMBERS.len()])
                .unwrap_or(Value::Null),
            ValueGen::Str(s) => json!(s),
            ValueGen::Time(t) => json!(t.render(reference)),
            ValueGen::Null => Value::Null,
            ValueGen::Array(items) => {
                Value::Array(items.iter().take(8).map(|v| v.render(ty, values, reference)).collect())
            }
            ValueGen::Object(k, v) => json!({ k: v.render(ty, values, reference) }),
        }
    }
}

/// A digest: the right one (supplied by the caller), a well-formed other one, or any text.
#[derive(Debug, Clone, Arbitrary)]
pub enum DigestChoice {
    /// The digest the caller considers current.
    Current,
    /// `sha256:` of these bytes.
    Other([u8; 4]),
    /// Anything.
    Text(String),
}

impl DigestChoice {
    /// The digest text, given the current one (if any).
    pub fn render(&self, current: Option<&str>) -> String {
        match (self, current) {
            (DigestChoice::Current, Some(c)) => c.to_owned(),
            (DigestChoice::Current, None) => authority_lane::digest::Digest::of_bytes(b"none").as_str().to_owned(),
            (DigestChoice::Other(b), _) => authority_lane::digest::Digest::of_bytes(b).as_str().to_owned(),
            (DigestChoice::Text(s), _) => s.clone(),
        }
    }
}
