// A batch may stop at a rejected command; `?` alone would drop the rejection silently.
#![deny(unused_must_use)]

use authority_lane::case::Command;
use authority_lane::journal::MemoryJournal;
use authority_lane::store::{CaseStore, StoreError};

fn submit_and_forget(store: &mut CaseStore<MemoryJournal>, commands: &[Command]) -> Result<(), StoreError> {
    store.submit(commands)?;
    Ok(())
}

fn main() {}
