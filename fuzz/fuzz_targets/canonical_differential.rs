//! The journal's fast line check and its RFC 8785 reference check must agree on every input
//! (DESIGN §9: the fast path may accept nothing the full path would refuse).
//!
//! The check that also deserialises the event in the same pass (`check_line_typed`, what
//! replay uses) must return the same record, as a `serde_json::Value` and as the crate's own
//! `EventRecord`, and hand out only events that equal a separate parse of the record's event.
//!
//! Two modes, chosen by the first byte:
//! - raw: the rest is a candidate line, checked as it is;
//! - sealed: the rest is a candidate line whose `hash` is first replaced by the hash of the
//!   RFC 8785 form of the line's parsed value without `hash` — so mutated, non-canonical lines
//!   still carry a consistent hash and reach the canonical-form checks (the "whitespace inside
//!   `event`" attack). `seq` and `prev` are taken from the line so the chain links.
#![no_main]

use authority_lane::digest::{Digest, canonical_value};
use authority_lane::case::EventRecord;
use authority_lane::journal::fuzzing::{check_line_fast, check_line_full, check_line_typed};
use libfuzzer_sys::fuzz_target;

fn seal(line: &[u8]) -> Option<(Vec<u8>, u64, Option<Digest>)> {
    let mut value: serde_json::Value = serde_json::from_slice(line).ok()?;
    let obj = value.as_object_mut()?;
    let stored = obj.remove("hash")?.as_str()?.to_owned();
    let seq = obj.get("seq").and_then(|s| s.as_u64()).unwrap_or(0);
    let prev = obj
        .get("prev")
        .and_then(|p| p.as_str())
        .and_then(|p| p.parse::<Digest>().ok());
    let hash = Digest::of_bytes(&canonical_value(&value).ok()?);
    let text = std::str::from_utf8(line).ok()?;
    let sealed = text.replacen(&stored, hash.as_str(), 1);
    Some((sealed.into_bytes(), seq, prev))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (line, seq, prev) = if mode % 2 == 0 {
        (rest.to_vec(), 0, None)
    } else {
        match seal(rest) {
            Some(sealed) => sealed,
            None => (rest.to_vec(), 0, None),
        }
    };
    let fast = check_line_fast(seq, prev.as_ref(), &line);
    let full = check_line_full(seq, prev.as_ref(), &line);
    assert_eq!(
        fast, full,
        "fast and reference line checks disagree on {:?}",
        String::from_utf8_lossy(&line)
    );
    typed_agrees::<serde_json::Value>(seq, prev.as_ref(), &line, &full);
    typed_agrees::<EventRecord>(seq, prev.as_ref(), &line, &full);
});

fn typed_agrees<T>(
    seq: u64,
    prev: Option<&Digest>,
    line: &[u8],
    full: &Result<authority_lane::journal::RawRecord<'_>, authority_lane::journal::TamperReason>,
) where
    T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let (typed, event) = check_line_typed::<T>(seq, prev, line);
    assert_eq!(
        &typed,
        full,
        "typed and reference line checks disagree on {:?}",
        String::from_utf8_lossy(line)
    );
    if let Some(event) = event {
        let record = typed.expect("an event comes only with a verified record");
        let parsed: T = serde_json::from_str(&record.event).expect("the event parses");
        assert_eq!(event, parsed, "{:?}", String::from_utf8_lossy(line));
    }
}
