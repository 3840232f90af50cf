//! The lean path of the line check: the common line — no escape sequence in any key, every
//! number an integer — checked without building a JSON value.
//!
//! `serde_json` parses the line (strictly: JSON syntax, UTF-8, no raw control characters); the
//! record's members are read here, its event through `tee`, which adds up the length the
//! event's RFC 8785 form would have as the event deserialises (as a type replay wants, or as
//! `tee::Skip`, which keeps nothing). That form is fixed by the parsed tokens when
//!
//! * every key is borrowed from the line (`serde_json` borrows exactly when the raw string
//!   holds no escape), and so is every string value or it is counted by `tee::escaped_len`: a
//!   borrowed string's canonical form is its raw text, since RFC 8785 escapes only `"`, `\` and
//!   control characters, which an unescaped JSON string cannot hold; an escaped one's raw text
//!   is at least as long as its canonical form, and as long only when it is that form (the
//!   strings where a case variant of a `\u00xx` escape could match are refused);
//! * every number is an integer `serde_json` reads as one, within ±(2^53 − 1): its canonical
//!   form is its decimal digits, which is what JSON's grammar allows for it (`-0`, fractions
//!   and exponents arrive as floats and are refused here);
//! * every object's keys are strictly increasing and hold no byte ≥ 0xEE, so their UTF-8 order
//!   is the UTF-16 order RFC 8785 sorts by (see `compact_is_canonical`), and no key repeats.
//!
//! Literals and punctuation have one spelling, so the line is canonical exactly when its
//! length equals that sum: anything else (whitespace) only adds bytes. Whatever the visitor
//! does not vouch for returns `None`, and the Value-based fast path and then the reference
//! path decide, as before; the differential tests and the `canonical_differential` fuzz target
//! check that the three agree on every input.

use super::seal::{HASH_MEMBER_LEN, members_after_hash_len};
use super::{Checked, RawRecord};
use crate::digest::{Digest, MAX_SAFE_INTEGER};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use super::tee::{self, no};

/// An object key borrowed from the line, with no byte ≥ 0xEE.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = &'de str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = &'de str;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<&'de str, E> {
        if v.bytes().all(|b| b < 0xEE) {
            Ok(v)
        } else {
            Err(no())
        }
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<&'de str, E> {
        Err(no())
    }
}

/// A record's members, in their canonical order, with the line's canonical length.
struct Members<'a> {
    at: &'a str,
    hash: &'a str,
    prev: Option<&'a str>,
    seq: u64,
    canonical_len: usize,
}

/// A borrowed string or null (`prev`).
struct StrOrNull;

impl<'de> DeserializeSeed<'de> for StrOrNull {
    type Value = Option<&'de str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrOrNull {
    type Value = Option<&'de str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
}

/// A borrowed string.
struct Str;

impl<'de> DeserializeSeed<'de> for Str {
    type Value = &'de str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = &'de str;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<&'de str, E> {
        Ok(v)
    }
}

/// An unsigned integer within I-JSON.
struct Seq;

impl<'de> DeserializeSeed<'de> for Seq {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seq {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a seq")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        if v <= MAX_SAFE_INTEGER {
            Ok(v)
        } else {
            Err(no())
        }
    }
}

/// The event as a `T`, with its canonical length counted as it deserialises (see `tee`).
struct Typed<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Typed<T> {
    type Value = (usize, T);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(usize, T), D::Error> {
        let acc = tee::Acc::default();
        let value = T::deserialize(tee::Tee::new(d, &acc))?;
        Ok((acc.len(), value))
    }
}

/// The record: exactly `at`, `event`, `hash`, `prev`, `seq`, in that (canonical) order; the
/// event read as a `T`.
struct Record<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Record<T> {
    type Value = (Members<'de>, T);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a journal record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut len = 2 + 4;
        let mut member = |map: &mut A, name: &str| -> Result<(), A::Error> {
            match map.next_key_seed(Key)? {
                Some(k) if k == name => {
                    len += k.len() + 3;
                    Ok(())
                }
                _ => Err(no()),
            }
        };
        member(&mut map, "at")?;
        let at = map.next_value_seed(Str)?;
        member(&mut map, "event")?;
        let (event_len, event) = map.next_value_seed(Typed::<T>(PhantomData))?;
        member(&mut map, "hash")?;
        let hash = map.next_value_seed(Str)?;
        member(&mut map, "prev")?;
        let prev = map.next_value_seed(StrOrNull)?;
        member(&mut map, "seq")?;
        let seq = map.next_value_seed(Seq)?;
        if map.next_key_seed(Key)?.is_some() {
            return Err(no());
        }
        let values = at.len() + 2 + event_len + hash.len() + 2 + prev.map_or(4, |p| p.len() + 2);
        let members = Members {
            at,
            hash,
            prev,
            seq,
            canonical_len: len + values + tee::u64_len(seq).ok_or_else(no)?,
        };
        Ok((members, event))
    }
}

/// The lean check of one complete line (without its `\n`): `Some` only for a line the
/// reference path accepts with the same result; `None` whenever it cannot tell this way.
pub(super) fn check_lean(bytes: &[u8]) -> Option<Checked<'_>> {
    check_lean_typed::<tee::Skip>(bytes).map(|(checked, tee::Skip)| checked)
}

/// [`check_lean`], also deserialising the event as a `T` in the same pass: `None` also when
/// the event is not an object or is not a `T` (the caller then checks the line without it).
pub(super) fn check_lean_typed<T: DeserializeOwned>(bytes: &[u8]) -> Option<(Checked<'_>, T)> {
    if !tee::numbers_are_plain() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (m, event) = de.deserialize_map(Record::<T>(PhantomData)).ok()?;
    de.end().ok()?;
    if m.canonical_len != bytes.len() {
        return None;
    }
    let stored = m.hash.parse::<Digest>().ok()?;
    let at = DateTime::parse_from_rfc3339(m.at).ok()?.with_timezone(&Utc);
    let prev = match m.prev {
        None => None,
        Some(p) => Some(p.parse::<Digest>().ok()?),
    };
    // Canonical, so the members sit at known offsets (as in the Value-based fast path).
    let event_start = "{\"at\":\"".len() + m.at.len() + "\",\"event\":".len();
    let hash_start = bytes
        .len()
        .checked_sub(members_after_hash_len(prev.as_ref(), m.seq) + HASH_MEMBER_LEN)?;
    if !bytes.get(hash_start..)?.starts_with(b",\"hash\":\"") || hash_start < event_start {
        return None;
    }
    let computed =
        Digest::of_parts(&[&bytes[..hash_start], &bytes[hash_start + HASH_MEMBER_LEN..]]);
    if computed != stored {
        return None;
    }
    let text = std::str::from_utf8(bytes.get(event_start..hash_start)?).ok()?;
    if !text.starts_with('{') {
        return None;
    }
    let checked = Checked {
        raw: RawRecord {
            seq: m.seq,
            at,
            prev,
            event: Cow::Borrowed(text),
            hash: stored,
            offset: 0,
        },
        event: None,
    };
    Some((checked, event))
}
