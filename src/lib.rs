//! authority-lane
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod approval;
pub mod assess;
pub mod case;
pub mod cast;
pub mod demo;
pub mod digest;
pub mod evidence;
pub mod ids;
pub mod journal;
pub mod packet;
pub mod render;
pub mod schema;
pub mod store;
/// quickcheck generators for property-testing an integration (feature `testing`).
#[cfg(feature = "testing")]
pub mod testing;
pub mod workflow;
