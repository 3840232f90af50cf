//! Shared parts of the fuzz targets (see `FUZZING.md` at the repository root).

pub mod fixture;
pub mod inputs;
