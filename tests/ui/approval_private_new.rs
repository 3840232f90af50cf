//! An `Approval` cannot be built outside the crate: its only constructor is private.
#![allow(unreachable_code)]
use authority_lane::approval::{Approval, StandDown};

fn forge() -> Approval<StandDown> {
    Approval::new(
        todo!("the verifier's private `Verified`"),
        StandDown {
            reason: "forged".into(),
        },
    )
}

fn main() {
    let _ = forge;
}
