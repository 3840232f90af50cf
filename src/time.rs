//! One timestamp grammar for everything the crate reads and writes (DESIGN §12.3).
//!
//! A timestamp is RFC 3339 (`date-time` of §5.6) with a **four-digit year**, converted to UTC,
//! and its UTC year must lie in `0000..=9999`. That is exactly the set of instants this crate can
//! write back out in the same grammar, so anything accepted from a command replays: the journal
//! never holds a time that a later reader refuses. chrono's lenient `FromStr` (which takes
//! `+12026-…` and writes years beyond 9999 with a sign) is never used on untrusted input.

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not an RFC 3339 timestamp with a four-digit year (expected e.g. 2026-11-28T12:30:00Z): {reason}"
)]
pub struct TimestampError {
    /// The text given (abbreviated to 64 characters).
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses `text` under the crate's one timestamp grammar.
pub fn parse(text: &str) -> Result<DateTime<Utc>, TimestampError> {
    let fail = |reason: String| TimestampError {
        text: text.chars().take(64).collect(),
        reason,
    };
    let bytes = text.as_bytes();
    let four_digit_year =
        bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-';
    if !four_digit_year {
        return Err(fail("the year must be four digits".into()));
    }
    let t = DateTime::parse_from_rfc3339(text)
        .map_err(|e| fail(e.to_string()))?
        .with_timezone(&Utc);
    if !(0..=9999).contains(&t.year()) {
        return Err(fail(format!(
            "in UTC its year is {}, outside 0000..=9999",
            t.year()
        )));
    }
    Ok(t)
}

/// Formats a time as the crate writes it (`Z`, fractional seconds only when present).
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `#[serde(deserialize_with = "crate::time::de")]` for `DateTime<Utc>` fields of untrusted
/// documents.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_with_four_digit_years() {
        for ok in [
            "2026-11-28T12:30:00Z",
            "2026-11-28T12:30:00.123456Z",
            "2026-11-28T12:30:00+05:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let t = parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            // What is written back parses to the same instant.
            assert_eq!(parse(&format(&t)).unwrap(), t, "{ok}");
        }
    }

    #[test]
    fn refuses_what_could_not_be_written_back() {
        for bad in [
            "+12026-11-28T12:30:00Z",
            "12026-11-28T12:30:00Z",
            "-0001-11-28T12:30:00Z",
            "0000-01-01T00:00:00+05:00", // -0001 in UTC
            "9999-12-31T23:59:59-01:00", // +10000 in UTC
            "2026-11-28T12:30:00",
            "2026-11-28",
            "",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn serde_field_uses_the_grammar() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "de")]
            #[allow(dead_code)]
            at: DateTime<Utc>,
        }
        assert!(serde_json::from_str::<T>(r#"{"at":"2026-11-28T12:30:00Z"}"#).is_ok());
        assert!(serde_json::from_str::<T>(r#"{"at":"+12026-11-28T12:30:00Z"}"#).is_err());
    }
}
