//! The lean check (see `lean`) of a value done *while* it deserialises into its Rust type, so
//! that replay reads each event once: [`Tee`] wraps `serde_json`'s deserializer, hands every
//! token on to the type's own visitor, and on the way sums the length the value's RFC 8785
//! form would have, under the lean path's rules — keys borrowed from the line (escape-free),
//! strictly increasing, with no byte ≥ 0xEE; string values as [`escaped_len`] counts them;
//! I-JSON integers.
//!
//! Every token `serde_json` reads reaches exactly one `visit_*` call of the wrapped visitor,
//! and each call adds that token's canonical bytes; braces, brackets, colons and commas are
//! added where a map or sequence ends. Anything the rules cannot vouch for — an escaped key,
//! a float, bytes, a value skipped unread (`IgnoredAny`) — fails the deserialisation
//! with a refusal, and the caller falls back to checking the line without the type. The count
//! can fall short of the canonical length (an enum written as an object: its braces are not
//! visited), never exceed it, and a line's length is at least its canonical length, so a short
//! count only refuses a line: the line is canonical exactly when its length equals the count.

use crate::digest::MAX_SAFE_INTEGER;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

/// Refusal: not provably canonical here (never shown to anyone; the next path explains).
pub(super) fn no<E: de::Error>() -> E {
    E::custom("not on the lean path")
}

/// Decimal digits of `n`.
fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Whether `serde_json` reads numbers the way both lean counts assume: an integer within
/// `u64`/`i64` to `visit_u64`/`visit_i64`, anything else to `visit_f64` (which they refuse).
/// Its `arbitrary_precision` feature — which any crate in a build can turn on for every crate
/// — hands a number outside those ranges over as a map, which the counts would measure
/// wrongly (too long); the lean paths then step aside and every line takes the Value-based
/// and reference paths. Probed once, with 2^64.
pub(super) fn numbers_are_plain() -> bool {
    struct Probe;
    impl<'de> Visitor<'de> for Probe {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
            Ok(false)
        }
    }
    static PLAIN: OnceLock<bool> = OnceLock::new();
    *PLAIN.get_or_init(|| {
        let mut de = serde_json::Deserializer::from_str("18446744073709551616");
        de.deserialize_any(Probe).unwrap_or(false)
    })
}

/// The canonical length of a non-negative integer, if it is within I-JSON.
pub(super) fn u64_len(n: u64) -> Option<usize> {
    (n <= MAX_SAFE_INTEGER).then(|| digits(n))
}

/// The canonical length of a negative integer, if it is within I-JSON (`serde_json` hands
/// non-negative integers to `visit_u64`).
pub(super) fn i64_len(n: i64) -> Option<usize> {
    match n.checked_neg().map(i64::unsigned_abs) {
        Some(m) if n < 0 && m <= MAX_SAFE_INTEGER => Some(1 + digits(m)),
        _ => None,
    }
}

/// The length RFC 8785 gives a string value that held an escape (quotes included): `"` and `\`
/// and the controls with a short escape (`\b \t \n \f \r`) take two bytes, the other controls
/// six (`\u00xx`, lowercase hex), everything else its UTF-8 bytes. Each character's canonical
/// spelling is its shortest, and the only other spelling of the same length is a `\u00xx`
/// escape with a hex letter written in upper case, so a string holding a control whose escape
/// has a hex letter (U+000B, U+000E, U+000F, U+001A–U+001F) is refused (`None`): with those
/// out, a line whose length equals the count spells every string canonically.
pub(super) fn escaped_len(s: &str) -> Option<usize> {
    let mut n = 2;
    for c in s.chars() {
        n += match c {
            '"' | '\\' | '\u{8}' | '\u{9}' | '\u{a}' | '\u{c}' | '\u{d}' => 2,
            '\u{0}'..='\u{1f}' if u32::from(c) & 0xf >= 10 => return None,
            '\u{0}'..='\u{1f}' => 6,
            c => c.len_utf8(),
        };
    }
    Some(n)
}

/// Any JSON value, kept as nothing: read through a [`Tee`], what is left is the value's
/// canonical length (the lean check of a line whose event is not wanted as a type).
pub(super) struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// What a deserialisation through [`Tee`] has counted.
#[derive(Default)]
pub(super) struct Acc<'de> {
    len: Cell<usize>,
    /// The key a key-position visit just read (taken by the map that asked for it).
    key: Cell<Option<&'de str>>,
}

impl<'de> Acc<'de> {
    /// Canonical bytes counted so far.
    pub(super) fn len(&self) -> usize {
        self.len.get()
    }
    fn add(&self, n: usize) {
        self.len.set(self.len.get() + n);
    }
    /// `de`, counting into this (`key`: it reads an object key).
    fn tee<D>(&self, de: D, key: bool) -> Tee<'_, 'de, D> {
        Tee { de, acc: self, key }
    }
    /// `v`, counting into this.
    fn visitor<V>(&self, v: V, key: bool) -> TeeVisitor<'_, 'de, V> {
        TeeVisitor { v, acc: self, key }
    }
    /// `seed`, counting into this.
    fn seed<S>(&self, seed: S, key: bool) -> TeeSeed<'_, 'de, S> {
        TeeSeed {
            seed,
            acc: self,
            key,
        }
    }
}

/// A deserializer that counts what it hands on (see the module docs). `key`: it reads an
/// object key, which must be a borrowed string.
pub(super) struct Tee<'a, 'de, D> {
    de: D,
    acc: &'a Acc<'de>,
    key: bool,
}

impl<'a, 'de, D> Tee<'a, 'de, D> {
    /// Wraps `de`, counting into `acc`.
    pub(super) fn new(de: D, acc: &'a Acc<'de>) -> Self {
        acc.tee(de, false)
    }
}

struct TeeVisitor<'a, 'de, V> {
    v: V,
    acc: &'a Acc<'de>,
    key: bool,
}

struct TeeSeed<'a, 'de, S> {
    seed: S,
    acc: &'a Acc<'de>,
    key: bool,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for TeeSeed<'_, 'de, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(self.acc.tee(de, self.key))
    }
}

/// Forwards `deserialize_*` methods (with their arguments before the visitor) to the wrapped
/// deserializer with a counting visitor.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Result<V::Value, D::Error> {
            let visitor = self.acc.visitor(v, self.key);
            self.de.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tee<'_, 'de, D> {
    type Error = D::Error;

    forward! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16()
        deserialize_i32() deserialize_i64() deserialize_u8() deserialize_u16()
        deserialize_u32() deserialize_u64() deserialize_f32() deserialize_f64()
        deserialize_char() deserialize_str() deserialize_string() deserialize_option()
        deserialize_unit() deserialize_seq() deserialize_map() deserialize_identifier()
        deserialize_unit_struct(name: &'static str)
        deserialize_newtype_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        // `serde_json` hands bytes over raw, escapes undecoded.
        Err(no())
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(no())
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        // `serde_json` skips such a value without visiting it: it could not be counted.
        Err(no())
    }
    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

impl<'a, 'de, V> TeeVisitor<'a, 'de, V> {
    /// Counts `n` bytes of a value; a key must be a borrowed string, so nothing else counts there.
    fn value<E: de::Error>(&self, n: usize) -> Result<(), E> {
        if self.key {
            return Err(no());
        }
        self.acc.add(n);
        Ok(())
    }
    fn wrap<D>(&self, de: D) -> Tee<'a, 'de, D> {
        self.acc.tee(de, false)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.v.expecting(f)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        self.value(if b { 4 } else { 5 })?;
        self.v.visit_bool(b)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
        self.value(i64_len(n).ok_or_else(no)?)?;
        self.v.visit_i64(n)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        self.value(u64_len(n).ok_or_else(no)?)?;
        self.v.visit_u64(n)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_char<E: de::Error>(self, _: char) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        if self.key {
            if s.bytes().any(|b| b >= 0xEE) {
                return Err(no());
            }
            self.acc.key.set(Some(s));
        }
        self.acc.add(s.len() + 2);
        self.v.visit_borrowed_str(s)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        // Not borrowed: the string held an escape. A key must be borrowed (its text is kept
        // to check the key order).
        self.value(escaped_len(s).ok_or_else(no)?)?;
        self.v.visit_str(s)
    }
    fn visit_string<E: de::Error>(self, _: String) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<V::Value, E> {
        Err(no())
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.value(4)?;
        self.v.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        // `serde_json` reports `null` for an `Option` this way.
        self.value(4)?;
        self.v.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        if self.key {
            return Err(no());
        }
        let de = self.wrap(d);
        self.v.visit_some(de)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        if self.key {
            return Err(no());
        }
        let de = self.wrap(d);
        self.v.visit_newtype_struct(de)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.key {
            return Err(no());
        }
        let n = Cell::new(0);
        let out = self.v.visit_seq(TeeSeq {
            seq,
            acc: self.acc,
            n: &n,
        })?;
        self.acc.add(2 + n.get().saturating_sub(1));
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        if self.key {
            return Err(no());
        }
        let n = Cell::new(0);
        let out = self.v.visit_map(TeeMap {
            map,
            acc: self.acc,
            n: &n,
            last: None,
        })?;
        self.acc.add(2 + n.get().saturating_sub(1));
        Ok(out)
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        if self.key {
            return Err(no());
        }
        self.v.visit_enum(TeeEnum {
            data,
            acc: self.acc,
        })
    }
}

/// A sequence's elements, counted (the count of elements gives the commas).
struct TeeSeq<'a, 'de, A> {
    seq: A,
    acc: &'a Acc<'de>,
    n: &'a Cell<usize>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for TeeSeq<'_, 'de, A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let seed = self.acc.seed(seed, false);
        let out = self.seq.next_element_seed(seed)?;
        if out.is_some() {
            self.n.set(self.n.get() + 1);
        }
        Ok(out)
    }
    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// A map's entries, counted, its keys strictly increasing.
struct TeeMap<'a, 'de, A> {
    map: A,
    acc: &'a Acc<'de>,
    n: &'a Cell<usize>,
    last: Option<&'de str>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, 'de, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.acc.key.set(None);
        let seed = self.acc.seed(seed, true);
        let Some(k) = self.map.next_key_seed(seed)? else {
            return Ok(None);
        };
        let key = self.acc.key.take().ok_or_else(no)?;
        if self.last.is_some_and(|l| l >= key) {
            return Err(no());
        }
        self.last = Some(key);
        self.n.set(self.n.get() + 1);
        self.acc.add(1); // the colon
        Ok(Some(k))
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.map.next_value_seed(self.acc.seed(seed, false))
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// An enum: its variant's name and content are counted as they are read (a unit variant, the
/// string form, counts exactly; the object form's braces and colon are not counted).
struct TeeEnum<'a, 'de, A> {
    data: A,
    acc: &'a Acc<'de>,
}

impl<'a, 'de, A: EnumAccess<'de>> EnumAccess<'de> for TeeEnum<'a, 'de, A> {
    type Error = A::Error;
    type Variant = TeeVariant<'a, 'de, A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let seed = self.acc.seed(seed, false);
        let (value, variant) = self.data.variant_seed(seed)?;
        Ok((
            value,
            TeeVariant {
                variant,
                acc: self.acc,
            },
        ))
    }
}

struct TeeVariant<'a, 'de, A> {
    variant: A,
    acc: &'a Acc<'de>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for TeeVariant<'_, 'de, A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.variant.unit_variant()
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.variant
            .newtype_variant_seed(self.acc.seed(seed, false))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        let visitor = self.acc.visitor(v, false);
        self.variant.tuple_variant(len, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = self.acc.visitor(v, false);
        self.variant.struct_variant(fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::EventRecord;
    use serde::Deserialize;

    /// What a pass through [`Tee`] counted for `text`, if the value deserialised as a `T`.
    fn counted<'de, T: Deserialize<'de>>(text: &'de str) -> Option<usize> {
        let acc = Acc::default();
        let mut de = serde_json::Deserializer::from_str(text);
        T::deserialize(Tee::new(&mut de, &acc)).ok()?;
        de.end().ok()?;
        Some(acc.len())
    }

    const FINDING: &str = r#"{"agent":{"id":"a-1","role":"release-lineage"},"at":"2026-11-29T10:00:00Z","finding":{"fact":"lineage.count","note":"n","source":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","record":"r/1","system":"s"},"value":-14},"type":"finding"}"#;

    #[test]
    fn this_build_reads_numbers_as_the_counts_assume() {
        // If this fails, serde_json's `arbitrary_precision` is on in this build: the lean
        // paths step aside (slower, still correct), and the other tests here would fail too.
        assert!(numbers_are_plain());
    }

    #[test]
    fn a_canonical_event_counts_its_length() {
        assert_eq!(counted::<EventRecord>(FINDING), Some(FINDING.len()));
        assert_eq!(counted::<serde_json::Value>(FINDING), Some(FINDING.len()));
        let decision = r#"{"at":"2026-11-29T10:00:00Z","clock":"supplied","issuer":"dana.okafor","kind":"stand_down","token":"x.y.z","token_digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","type":"decision"}"#;
        assert_eq!(counted::<EventRecord>(decision), Some(decision.len()));
        for value in ["[]", "[1,[true,false],null]", "{}", r#"{"":{"a":[]}}"#, "0"] {
            assert_eq!(counted::<serde_json::Value>(value), Some(value.len()));
        }
    }

    #[test]
    fn an_escaped_value_counts_its_canonical_spelling() {
        let with_note =
            |note: &str| FINDING.replace(r#""note":"n""#, &format!(r#""note":"{note}""#));
        // Canonical spellings: the count is the text's length.
        for note in [
            r#"say \"hi\""#,
            r"back\\slash",
            r"tab\tnewline\nreturn\rform\fbell\b",
            r"nul\u0000 unit\u0001 us\u0019",
            "é \u{1f600} \u{2028} \u{7f}",
        ] {
            let text = with_note(note);
            assert_eq!(counted::<EventRecord>(&text), Some(text.len()), "{text}");
        }
        // Longer spellings of the same characters count short of the text.
        for (note, canonical) in [
            (r"\u0022", r#"\""#),
            (r"\u000a", r"\n"),
            (r"\u0041", "A"),
            (r"\ud83d\ude00", "\u{1f600}"),
        ] {
            let text = with_note(note);
            let want = FINDING.len() - 1 + canonical.len();
            assert_eq!(counted::<EventRecord>(&text), Some(want), "{text}");
        }
        // A control whose `\u00xx` has a hex letter could be spelled in either case at the
        // same length: refused, whichever case the line uses.
        for note in [r"\u001f", r"\u001F", r"\u000b", r"\u000E"] {
            let text = with_note(note);
            assert_eq!(counted::<EventRecord>(&text), None, "{text}");
        }
        assert_eq!(escaped_len("\u{1f}"), None);
        assert_eq!(escaped_len("\u{19}"), Some(8));
    }

    #[test]
    fn what_it_cannot_vouch_for_is_refused_or_counted_short() {
        // Refused: an escaped key, a float, an integer past I-JSON, keys out of order or
        // repeated.
        for text in [
            FINDING.replace(r#""id""#, r#""\u0069d""#),
            FINDING.replace("-14", "-14.0"),
            FINDING.replace("-14", "9007199254740992"),
            FINDING.replace(r#""id":"a-1","role""#, r#""role":"x","id":"a-1","role""#),
            FINDING.replace(
                r#""id":"a-1","role":"release-lineage""#,
                r#""role":"r","id":"a""#,
            ),
        ] {
            assert_eq!(counted::<EventRecord>(&text), None, "{text}");
        }
        // Whitespace is not counted, and an escape a value need not have counts as the
        // character it stands for, so the count falls short of the text's length.
        let spaced = FINDING.replace(r#""fact":"#, r#""fact": "#);
        assert_eq!(counted::<EventRecord>(&spaced), Some(FINDING.len()));
        let escaped = FINDING.replace("a-1", r"a\u002d1");
        assert_eq!(counted::<EventRecord>(&escaped), Some(FINDING.len()));
        let solidus = FINDING.replace("r/1", r"r\/1");
        assert_eq!(counted::<EventRecord>(&solidus), Some(FINDING.len()));
        // A unit variant written as an object: its braces and colon are not visited, so the
        // count falls short of even its canonical length (never above it).
        let decision = r#"{"at":"2026-11-29T10:00:00Z","issuer":"i","kind":{"review":null},"token":"t","token_digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","type":"decision"}"#;
        if let Some(n) = counted::<EventRecord>(decision) {
            assert!(n < decision.len(), "{n}");
        }
        // A value skipped unread cannot be counted.
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Lax {
            a: u8,
        }
        assert_eq!(counted::<Lax>(r#"{"a":1,"b":[1,2,3]}"#), None);
        assert_eq!(counted::<Lax>(r#"{"a":1}"#), Some(7));
    }
}
