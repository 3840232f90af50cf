//! The writer's clock (DESIGN §12.3, §12.7): where each record's time of record comes from,
//! and the rule that a writer never stamps a time that is not its own reading.

use super::StoreError;
use crate::case::Case;
use crate::journal::Backend;
use chrono::{DateTime, Utc};

/// The writer's clock: where each record's time of record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock of the writing process (or the backend's own clock, if it keeps one).
    /// If it reads earlier than the last record by at most the skew, the writer waits for it
    /// to pass that record; by more, the append is refused (`clock_behind`).
    #[default]
    System,
    /// A supplied time (tests, the demo, `--at T`): every record written gets it, it may not be
    /// earlier than the last record's time (`time_regression`), and each record it stamps is
    /// marked `"clock": "supplied"`.
    Supplied(DateTime<Utc>),
}

/// The time of record for the next records after one recorded at `last`, and whether it was
/// supplied: a supplied clock's time, else the backend's clock if it keeps one, else the
/// system clock.
///
/// A writer on the system (or server) clock never stamps a time that is not its own reading
/// (DESIGN §12.7): when `last` is ahead of the reading by more than `skew`, the journal holds a
/// future time and the append is refused (`clock_behind`); when it is ahead by less (a clock
/// stepped back, or a supplied time a little ahead), the writer waits until its clock has
/// passed `last`, so records stay in order and every unmarked record carries a real reading.
pub(super) fn time_of_record<B: Backend>(
    backend: &mut B,
    clock: Clock,
    last: DateTime<Utc>,
    skew: chrono::TimeDelta,
) -> Result<(DateTime<Utc>, bool), StoreError> {
    match clock {
        Clock::Supplied(t) => Ok((t, true)),
        Clock::System => loop {
            let now = backend.time_of_record()?.unwrap_or_else(Utc::now);
            if now >= last {
                return Ok((now, false));
            }
            let behind = last - now;
            if behind > skew {
                return Err(StoreError::ClockBehind { last, now, skew });
            }
            // At most `skew` in all: each wait is what the clock was behind.
            std::thread::sleep(behind.to_std().unwrap_or_default());
        },
    }
}

/// The most a time of record may lead a writer's or verifier's clock:
/// `review.max_clock_skew_secs` (a workflow number beyond `TimeDelta`'s range counts as its
/// maximum, never as a panic).
pub(crate) fn clock_skew(case: &Case) -> chrono::TimeDelta {
    chrono::TimeDelta::try_seconds(case.workflow().review().max_clock_skew_secs)
        .unwrap_or(chrono::TimeDelta::MAX)
}
