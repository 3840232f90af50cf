//! authority-lane
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod approval;
pub mod assess;
pub mod case;
pub mod cast;
pub mod digest;
pub mod evidence;
pub mod ids;
pub mod journal;
pub mod packet;
pub mod schema;
pub mod workflow;
