//! RFC 8785 (JCS) canonical JSON: when the text `serde_json` writes for a value is already its
//! canonical form, so that writers and the journal's fast check can skip the reference
//! serialiser (`serde_jcs`) without ever disagreeing with it. The reference serialisation and
//! the I-JSON checks are [`crate::digest::canonical_json`] and [`crate::digest::check_i_json`];
//! the fuzz target `canonical_differential` and the journal's differential tests keep the fast
//! and reference paths agreeing.

use serde_json::Value;

/// The largest integer magnitude I-JSON allows (RFC 7493 §2.2): 2^53 − 1, the largest `n` such
/// that every integer in `-n..=n` is exactly representable as an IEEE 754 double.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// True when `serde_json`'s compact serialisation of `v` is its RFC 8785 serialisation. The
/// two serialisers share `serde_json`'s string escaping (`serde_jcs` is `serde_json` with a
/// formatter that escapes exactly the same characters the same way), emit no whitespace and
/// write literals, arrays and empty containers alike. They differ only in
///
/// * numbers: `serde_jcs` formats every number as an IEEE 754 double; for an integer stored as
///   an integer with |n| <= 2^53 − 1 that is its plain decimal, as `serde_json` writes it. A
///   float (however integral) is written `1.0` by `serde_json` and `1` by RFC 8785;
/// * member order: `serde_json`'s maps sort keys by code point (UTF-8 bytes), RFC 8785 by UTF-16
///   code units. These orders agree unless a key holds a character at or above U+E000 (UTF-16
///   puts U+10000 and above, as surrogates D800–DFFF, before U+E000–U+FFFF), i.e. a UTF-8 byte
///   of 0xEE or more.
///
/// So: every number an in-range integer held as an integer, and no key with a byte >= 0xEE.
/// The members must also already be in code-point order, so that this does not depend on how
/// `serde_json::Map` orders them (its `preserve_order` feature keeps them as parsed).
pub fn compact_is_canonical(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_u64().is_some_and(|u| u <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER)
        }
        Value::Array(items) => items.iter().all(compact_is_canonical),
        Value::Object(members) => {
            members
                .keys()
                .zip(members.keys().skip(1))
                .all(|(a, b)| a < b)
                && members
                    .iter()
                    .all(|(k, v)| k.bytes().all(|b| b < 0xEE) && compact_is_canonical(v))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}
