//! Compile-fail tests: the capability types cannot be forged, duplicated or deserialised from
//! outside the crate. Each `tests/ui/*.rs` must fail to compile with the error in its
//! `.stderr` file (regenerate with `TRYBUILD=overwrite` and inspect the diff).

#[test]
fn capabilities_cannot_be_forged() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
