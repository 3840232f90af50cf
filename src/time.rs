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

/// The grammar as a JSON Schema `pattern` (ECMA 262), used by every published schema beside
/// `"format": "date-time"`; the UTC year range is checked by [`parse`] only.
pub const PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// What a date and time without a UTC offset lacks, said plainly rather than as chrono's
/// "premature end of input".
fn missing_offset(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    let mut end = 19;
    if b.get(19) == Some(&b'.') {
        end = 20;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    end == b.len()
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
    if missing_offset(text) {
        return Err(fail(
            "a UTC offset is required after the time: `Z` or `+HH:MM`/`-HH:MM`".into(),
        ));
    }
    let t = DateTime::parse_from_rfc3339(text)
        .map_err(|e| {
            use chrono::format::ParseErrorKind;
            fail(match e.kind() {
                ParseErrorKind::TooShort => {
                    "it ends early; the form is YYYY-MM-DDTHH:MM:SS[.fraction] then Z or ±HH:MM"
                        .into()
                }
                ParseErrorKind::OutOfRange => "a field is out of range (month, day, hour…)".into(),
                _ => format!("{e}; the form is YYYY-MM-DDTHH:MM:SS[.fraction] then Z or ±HH:MM"),
            })
        })?
        .with_timezone(&Utc);
    if !(0..=9999).contains(&t.year()) {
        return Err(fail(format!(
            "in UTC its year is {}, outside 0000..=9999",
            t.year()
        )));
    }
    Ok(t)
}

/// `t` plus `secs` seconds, saturating at the ends of the representable range instead of
/// overflowing: date arithmetic on workflow numbers never panics (DESIGN §12.9; the workflow
/// maxima keep real cases far inside the range).
pub fn plus_secs(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    chrono::TimeDelta::try_seconds(secs)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(if secs < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// Formats a time as the crate writes it (`Z`, fractional seconds only when present).
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A time serialised exactly as chrono serialises a `DateTime<Utc>` (RFC 3339, `Z`,
/// fractional seconds only when present), without chrono's `Display` machinery when the time is
/// a whole second of a four-digit year: the stores serialise one or two per finding. A test
/// checks it against chrono on times of every shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rfc3339<'a>(pub(crate) &'a DateTime<Utc>);

impl serde::Serialize for Rfc3339<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match whole_second(self.0) {
            Some(bytes) => {
                s.serialize_str(std::str::from_utf8(&bytes).expect("ASCII digits and separators"))
            }
            None => self.0.serialize(s),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` when `t` has no fraction of a second (and is no leap second) and its
/// year has four digits; `None` otherwise.
fn whole_second(t: &DateTime<Utc>) -> Option<[u8; 20]> {
    use chrono::Timelike;
    let year = t.year();
    if t.nanosecond() != 0 || !(0..=9999).contains(&year) {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    Some(out)
}

/// `#[serde(deserialize_with = "crate::time::de")]` for `DateTime<Utc>` fields of untrusted
/// documents.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    named(d, None)
}

/// As [`de`], for a field named `at`: the error names the field (an internally tagged enum's
/// fields reach serde without their path).
pub fn de_at<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    named(d, Some("at"))
}

/// As [`de`], for a field named `until`.
pub fn de_until<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    named(d, Some("until"))
}

fn named<'de, D: Deserializer<'de>>(d: D, field: Option<&str>) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d).map_err(|e| match field {
        Some(f) => serde::de::Error::custom(format!(
            "field `{f}`: {e}; expected an RFC 3339 timestamp string"
        )),
        None => e,
    })?;
    parse(&text).map_err(|e| match field {
        Some(f) => serde::de::Error::custom(format!("field `{f}`: {e}")),
        None => serde::de::Error::custom(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Rfc3339` writes what chrono writes, for whole seconds (its fast path), fractions, leap
    /// seconds and years outside 0000..=9999 (chrono's path).
    #[test]
    fn date_arithmetic_saturates_instead_of_panicking() {
        let t = parse("2026-11-28T12:00:00Z").unwrap();
        assert_eq!(plus_secs(t, 60), parse("2026-11-28T12:01:00Z").unwrap());
        assert_eq!(plus_secs(t, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(plus_secs(t, i64::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            plus_secs(DateTime::<Utc>::MAX_UTC, 1),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            plus_secs(t, 9_000_000_000_000_000),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn rfc3339_serialises_as_chrono_does() {
        use chrono::TimeZone;
        let check = |t: DateTime<Utc>| {
            assert_eq!(
                serde_json::to_string(&Rfc3339(&t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
            assert_eq!(
                serde_json::to_value(Rfc3339(&t)).unwrap(),
                serde_json::to_value(t).unwrap()
            );
        };
        let mut seconds: i64 = -62_167_219_200 - 86_400 * 400; // before 0000-01-01
        let last = 253_402_300_799 + 86_400 * 400; // after 9999-12-31T23:59:59
        let mut step: i64 = 1;
        while seconds <= last {
            check(Utc.timestamp_opt(seconds, 0).unwrap());
            check(Utc.timestamp_opt(seconds, 500_000_000).unwrap());
            seconds += step;
            step = step * 7 % 1_000_003 + 1;
        }
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-11-29T23:59:60Z",
            "2026-11-29T23:59:60.5Z",
            "2026-02-28T08:07:06.000000001Z",
            "2024-02-29T00:00:00Z",
        ] {
            check(parse(text).unwrap());
        }
        for year in [-1, 10_000] {
            check(Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap());
        }
    }

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
    fn a_missing_offset_is_named() {
        for text in ["2026-11-28T12:00:00", "2026-11-28T12:00:00.5"] {
            let e = parse(text).expect_err(text);
            assert!(e.reason.contains("offset is required"), "{text}: {e}");
        }
        let e = parse("2026-11-28T12:00").expect_err("short");
        assert!(e.reason.contains("ends early"), "{e}");
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

    #[test]
    fn a_named_field_is_named_in_the_error() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(deserialize_with = "de_at")]
            #[allow(dead_code)]
            at: DateTime<Utc>,
        }
        let e =
            serde_json::from_str::<T>(r#"{"at":"2026-11-28T12:00:00"}"#).expect_err("no offset");
        assert!(
            e.to_string().contains("field `at`") && e.to_string().contains("offset"),
            "{e}"
        );
        let e = serde_json::from_str::<T>(r#"{"at":12}"#).expect_err("a number");
        assert!(e.to_string().contains("field `at`"), "{e}");
    }
}
