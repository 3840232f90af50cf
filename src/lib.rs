//! authority-lane
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assess;
pub mod digest;
pub mod ids;
pub mod schema;
pub mod workflow;
