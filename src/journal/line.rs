//! The checks on one complete line: strict (I-JSON) parsing, the reference check against the
//! RFC 8785 serialisation, and the fast path replay uses.

use super::seal::{HASH_MEMBER_LEN, members_after_hash_len};
use super::{Checked, RawRecord, TamperReason};
use crate::canonical::compact_is_canonical;
use crate::digest::{self, CanonicalError, Digest};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

pub(super) use crate::digest::StrictValue;

/// Checks one complete line (without its `\n`) on its own: the fast path when it applies, else
/// the reference path.
pub(super) fn check_line(bytes: &[u8]) -> Result<Checked<'_>, TamperReason> {
    match super::lean::check_lean(bytes).or_else(|| check_fast(bytes)) {
        Some(checked) => Ok(checked),
        None => check_full(bytes),
    }
}

/// The reference check: parse strictly, check the numbers, compare the bytes with `serde_jcs`'s
/// serialisation of the parsed value, check the fields, recompute the hash.
pub(super) fn check_full(bytes: &[u8]) -> Result<Checked<'static>, TamperReason> {
    let field = |field: &'static str, detail: String| TamperReason::BadField { field, detail };
    let StrictValue(value) =
        serde_json::from_slice(bytes).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(TamperReason::NotAnObject);
    };
    if !obj.contains_key("hash") {
        return Err(TamperReason::MissingField("hash"));
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "seq" | "at" | "prev" | "event" | "hash"))
    {
        return Err(TamperReason::UnexpectedField(k.clone()));
    }
    for name in ["seq", "at", "prev", "event"] {
        if !obj.contains_key(name) {
            return Err(TamperReason::MissingField(name));
        }
    }
    let canonical = digest::canonical_value(&value).map_err(|e| match e {
        CanonicalError::NotIJsonNumber { path, number } => {
            TamperReason::NotIJsonNumber { path, number }
        }
        other => TamperReason::NotJson(other.to_string()),
    })?;
    if canonical != bytes {
        return Err(not_canonical(&canonical, bytes));
    }

    let Value::Object(mut obj) = value else {
        unreachable!("checked above")
    };
    let stored = obj.remove("hash").unwrap_or(Value::Null);
    // The hash covers the members as they are on the line (e.g. `at` as written, whatever
    // RFC 3339 spelling it uses), not a re-serialisation of the parsed fields.
    let computed = Digest::of_canonical(&obj).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let mut take = |name: &'static str| obj.remove(name).unwrap_or(Value::Null);
    let stored = match stored {
        Value::String(s) => s
            .parse::<Digest>()
            .map_err(|e| field("hash", e.to_string()))?,
        _ => return Err(field("hash", "not a string".into())),
    };
    let seq = take("seq")
        .as_u64()
        .ok_or_else(|| field("seq", "not an unsigned integer".into()))?;
    let at = match take("at") {
        Value::String(s) => DateTime::parse_from_rfc3339(&s)
            .map_err(|e| field("at", format!("not RFC 3339: {e}")))?
            .with_timezone(&Utc),
        _ => return Err(field("at", "not a string".into())),
    };
    let prev = match take("prev") {
        Value::Null => None,
        Value::String(s) => Some(
            s.parse::<Digest>()
                .map_err(|e| field("prev", e.to_string()))?,
        ),
        _ => return Err(field("prev", "not a digest or null".into())),
    };
    let event = take("event");
    if !event.is_object() {
        return Err(field("event", "not a JSON object".into()));
    }
    if computed != stored {
        return Err(TamperReason::HashMismatch { stored, computed });
    }
    let text = digest::canonical_value(&event).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    Ok(Checked {
        raw: RawRecord {
            seq,
            at,
            prev,
            event: Cow::Owned(text),
            hash: stored,
            offset: 0,
        },
        event: Some(event),
    })
}

/// Where `found` first differs from `canonical`.
fn not_canonical(canonical: &[u8], found: &[u8]) -> TamperReason {
    let offset = canonical
        .iter()
        .zip(found)
        .position(|(a, b)| a != b)
        .unwrap_or(canonical.len().min(found.len()));
    let excerpt = |b: &[u8]| String::from_utf8_lossy(&b[offset..b.len().min(offset + 24)]).into();
    TamperReason::NotCanonical {
        offset: offset as u64,
        expected: excerpt(canonical),
        found: excerpt(found),
    }
}

/// The fast path: `Some` only for a line that the reference path accepts with the same result,
/// `None` whenever it cannot tell cheaply (the reference path then decides and explains).
///
/// It parses the line as the reference path does, and accepts it only if `serde_json`'s compact
/// serialisation of the parsed value is byte-identical to the line and provably RFC 8785
/// ([`compact_is_canonical`]): then the line is exactly what the reference path compares it
/// with. Being canonical, the line's members sit at known offsets: the hash covers the line
/// minus its `,"hash":"…"` member (the JCS form of the record without `hash`), and the event's
/// text is the line between `,"event":` and that member.
pub(super) fn check_fast(bytes: &[u8]) -> Option<Checked<'_>> {
    let StrictValue(value) = serde_json::from_slice(bytes).ok()?;
    if !compact_is_canonical(&value) || serde_json::to_vec(&value).ok()? != bytes {
        return None;
    }
    let Value::Object(mut obj) = value else {
        return None;
    };
    if obj.len() != 5 {
        return None;
    }
    let stored = obj.get("hash")?.as_str()?.parse::<Digest>().ok()?;
    let seq = obj.get("seq")?.as_u64()?;
    let at_text = obj.get("at")?.as_str()?;
    let at = DateTime::parse_from_rfc3339(at_text)
        .ok()?
        .with_timezone(&Utc);
    let at_len = at_text.len();
    let prev = match obj.get("prev")? {
        Value::Null => None,
        Value::String(s) => Some(s.parse::<Digest>().ok()?),
        _ => return None,
    };
    let event = obj.remove("event")?;
    if !event.is_object() {
        return None;
    }
    // An RFC 3339 time holds no character JSON escapes, so `at` is its text in quotes.
    let event_start = "{\"at\":\"".len() + at_len + "\",\"event\":".len();
    let hash_start = bytes
        .len()
        .checked_sub(members_after_hash_len(prev.as_ref(), seq) + HASH_MEMBER_LEN)?;
    if bytes.get(event_start - ",\"event\":".len()..event_start)? != b",\"event\":"
        || !bytes.get(hash_start..)?.starts_with(b",\"hash\":\"")
    {
        return None;
    }
    let computed =
        Digest::of_parts(&[&bytes[..hash_start], &bytes[hash_start + HASH_MEMBER_LEN..]]);
    if computed != stored {
        return None;
    }
    let text = std::str::from_utf8(bytes.get(event_start..hash_start)?).ok()?;
    Some(Checked {
        raw: RawRecord {
            seq,
            at,
            prev,
            event: Cow::Borrowed(text),
            hash: stored,
            offset: 0,
        },
        event: Some(event),
    })
}
