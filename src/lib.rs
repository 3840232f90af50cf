//! authority-lane
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod digest;
pub mod ids;
