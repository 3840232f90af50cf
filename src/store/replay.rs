//! Replay: rebuilding a case from its journal — record 0 opens it (re-verifying the
//! declaration and the pins), every later record is re-decided and re-verified at its time of
//! record — from a store's records ([`replay`]) or as a journal streams ([`replay_reader`],
//! [`replay_file`]), with the relying party's [`Anchors`].

use super::StoreError;
use crate::approval::Trust;
use crate::case::{Case, EventRecord, GenesisRecord};
use crate::digest::Digest;
use crate::ids::CaseId;
use crate::journal::{self, JournalError, RawRecord, Record, TornTail};
use crate::packet::{JournalRef, RecommendationPacket};
use crate::store::index;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;
/// Opens the case record 0 declares, with the caller's workflow and trust copies or the ones
/// embedded in the record; `Case::from_genesis` checks both against the pinned digests and
/// re-verifies the declaration at the record's time of record.
pub(super) fn open_genesis(
    event: serde_json::Value,
    recorded_at: DateTime<Utc>,
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<(Case, bool), StoreError> {
    let bad = |m: String| StoreError::Genesis(m);
    let record: GenesisRecord = serde_json::from_value(event).map_err(|e| bad(e.to_string()))?;
    let (genesis, embedded_workflow, embedded_trust, clock) = record.into_parts();
    let supplied = clock.is_some();
    if genesis.at != recorded_at {
        return Err(bad(format!(
            "the declaration's time {} is not record 0's time of record {}",
            crate::time::format(&genesis.at),
            crate::time::format(&recorded_at)
        )));
    }
    let workflow = given_or_embedded(
        workflow,
        embedded_workflow,
        "workflow",
        &genesis.workflow_digest,
        |spec| Workflow::from_spec(spec).map_err(|e| e.to_string()),
        Workflow::digest,
    )?;
    let trust = given_or_embedded(
        trust,
        embedded_trust,
        "trust file",
        &genesis.trust_digest,
        |file| Trust::from_file(file).map_err(|e| e.to_string()),
        Trust::digest,
    )?;
    let case = Case::from_genesis(workflow, trust, &genesis)
        .map_err(|error| StoreError::Replay { seq: 0, error })?;
    Ok((case, supplied))
}

/// The caller's copy of a pinned document if given, else the copy embedded in record 0. An
/// embedded copy must match its own pin whichever is used: a record 0 whose documents disagree
/// with its pins was not written by this crate.
fn given_or_embedded<T, D>(
    given: Option<Arc<T>>,
    embedded: Option<D>,
    what: &str,
    pin: &Digest,
    load: impl FnOnce(D) -> Result<T, String>,
    digest: impl Fn(&T) -> &Digest,
) -> Result<Arc<T>, StoreError> {
    let embedded = embedded
        .map(|doc| {
            let doc =
                load(doc).map_err(|e| StoreError::Genesis(format!("embedded {what}: {e}")))?;
            if digest(&doc) != pin {
                return Err(StoreError::Genesis(format!(
                    "the embedded {what} has digest {}, not the pinned {pin}",
                    digest(&doc)
                )));
            }
            Ok(doc)
        })
        .transpose()?;
    match (given, embedded) {
        (Some(copy), _) => Ok(copy),
        (None, Some(doc)) => Ok(Arc::new(doc)),
        (None, None) => Err(StoreError::Genesis(format!(
            "no {what} given and none embedded in record 0"
        ))),
    }
}

/// A case rebuilt from its journal, with what the replay saw.
#[derive(Debug)]
pub struct Replay {
    /// The case.
    pub case: Case,
    /// The last record.
    pub head: JournalRef,
    /// Complete records replayed.
    pub records: u64,
    /// Records whose time of record was supplied rather than read from the writer's clock.
    pub supplied_clock: u64,
    /// The earliest and latest supplied time of record, when any record carries one. Set by
    /// a replay from record 0 (`verify` always does one); `None` for a case opened from a
    /// snapshot, which keeps only the count.
    pub supplied_span: Option<ClockSpan>,
    /// A partial last line a crashed writer left (never acknowledged), if any.
    pub torn_tail: Option<TornTail>,
    /// The last record is complete but lacks its newline (acknowledged; the next writer
    /// completes the line).
    pub unterminated: bool,
    /// The last checkpoint replayed past (or the snapshot's), with the state it commits.
    pub(crate) checkpoint: Option<super::Checkpointed>,
}

impl Replay {
    /// Refuses a journal whose last time of record is later than `now` (the verifier's clock)
    /// plus the workflow's skew (`future_record`, DESIGN §12.7). Times of record never go
    /// back, so the last is the latest.
    pub fn check_not_future(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let skew = super::clock_skew(&self.case);
        let last = self.case.last_at();
        match now.checked_add_signed(skew) {
            Some(limit) if last > limit => Err(StoreError::FutureRecord { last, now, skew }),
            _ => Ok(()),
        }
    }

    /// The accepted packet, carrying the journal position of the acceptance: `Some` only for a
    /// case in `closed/accepted`.
    pub fn packet(&self) -> Option<RecommendationPacket> {
        let record = self.case.acceptance_record().unwrap_or(&self.head);
        self.case.packet(record.clone())
    }
}

/// The span of the supplied times of record in a journal (DESIGN §12.7): how far the writer's
/// clock was overridden, not only how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ClockSpan {
    /// The earliest supplied time of record.
    pub first: DateTime<Utc>,
    /// The latest supplied time of record.
    pub last: DateTime<Utc>,
}

impl ClockSpan {
    fn widen(span: &mut Option<ClockSpan>, at: DateTime<Utc>) {
        *span = Some(match *span {
            None => ClockSpan {
                first: at,
                last: at,
            },
            Some(s) => ClockSpan {
                first: s.first.min(at),
                last: s.last.max(at),
            },
        });
    }
}

/// What a replay checks beyond the chain and the tokens.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// The relying party's workflow; its digest must match record 0's pin. `None`: use the
    /// embedded copy (a writer's convenience, never proof).
    pub workflow: Option<Arc<Workflow>>,
    /// The relying party's trust file; as for `workflow`.
    pub trust: Option<Arc<Trust>>,
    /// A record the relying party was acknowledged earlier (`--expect-head SEQ:HASH`): the
    /// journal must still hold it, else [`StoreError::Rollback`].
    pub expect_head: Option<JournalRef>,
    /// The case the caller asked for (`--case ID`, the case a store was opened under): record
    /// 0 must declare it, else [`StoreError::CaseMismatch`] (DESIGN §12.6). `None`: whatever
    /// case record 0 declares.
    pub case: Option<CaseId>,
}

impl Anchors {
    /// The anchor rule for a relying party (`verify`, the accepted packet): it must hold its
    /// own workflow and trust file, else [`StoreError::AnchorRequired`] naming `purpose`. A
    /// writer may replay against the copies embedded in record 0; a relying party never.
    pub fn require_own_documents(&self, purpose: &str) -> Result<(), StoreError> {
        if self.workflow.is_none() || self.trust.is_none() {
            return Err(StoreError::AnchorRequired {
                purpose: purpose.to_owned(),
            });
        }
        Ok(())
    }

    /// Refuses a case whose record 0 declares another id than [`Anchors::case`]
    /// ([`StoreError::CaseMismatch`]); every replay and snapshot load checks this itself, this
    /// is for a case opened some other way.
    pub fn check_case(&self, case: &Case) -> Result<(), StoreError> {
        case_is(self.case.as_ref(), case)
    }
}

/// Refuses a case whose record 0 declares another id than the one asked for.
pub(super) fn case_is(expected: Option<&CaseId>, case: &Case) -> Result<(), StoreError> {
    {
        match expected {
            Some(expected) if expected != case.id() => Err(StoreError::CaseMismatch {
                expected: expected.clone(),
                found: case.id().clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// One record's event as a replay reads it: parsed (from a store's records) or as text (from
/// a journal as it streams).
enum EventSource<'a> {
    Value(&'a serde_json::Value),
    Text(&'a str),
    /// Already deserialised, in the same pass as its line's check.
    Record(EventRecord),
}

/// A relying party's workflow and trust copies (`None`: the copies record 0 embeds).
type Pins = (Option<Arc<Workflow>>, Option<Arc<Trust>>);

/// The one replay: record 0 opens the case (re-verifying the declaration and the pins), every
/// later record is re-decided and re-verified at its time of record. [`replay`] feeds it a
/// store's records, [`replay_reader`] a journal as it streams.
struct Replayer {
    /// The caller's workflow and trust copies, until record 0 has used them.
    pins: Option<Pins>,
    case: Option<Case>,
    /// The case asked for (see [`Anchors::case`]).
    expected: Option<CaseId>,
    supplied_clock: u64,
    supplied_span: Option<ClockSpan>,
}

impl Replayer {
    fn new(
        workflow: Option<Arc<Workflow>>,
        trust: Option<Arc<Trust>>,
        expected: Option<CaseId>,
    ) -> Replayer {
        Replayer {
            pins: Some((workflow, trust)),
            case: None,
            expected,
            supplied_clock: 0,
            supplied_span: None,
        }
    }

    /// Replays one record; true when it was a checkpoint (which matched).
    fn feed(
        &mut self,
        record: JournalRef,
        at: DateTime<Utc>,
        event: EventSource<'_>,
    ) -> Result<bool, StoreError> {
        let seq = record.seq;
        let mut checkpoint = false;
        let supplied = match (&mut self.case, self.pins.take()) {
            (Some(case), _) => {
                let replayed = match event {
                    EventSource::Value(v) => case.replay_event(v, at),
                    EventSource::Text(t) => case.replay_json(t, at),
                    EventSource::Record(r) => case.replay_recorded(r, at),
                }
                .map_err(|error| StoreError::Replay { seq, error })?;
                checkpoint = replayed.checkpoint;
                case.note_journal_record(&record);
                replayed.supplied_clock
            }
            (None, Some((workflow, trust))) => {
                let event = match event {
                    EventSource::Value(v) => v.clone(),
                    EventSource::Text(t) => {
                        serde_json::from_str(t).map_err(|e| StoreError::Genesis(e.to_string()))?
                    }
                    // Record 0 is a genesis, never an event record.
                    EventSource::Record(_) => {
                        return Err(StoreError::Genesis(
                            "record 0 is an event, not the case's opening".into(),
                        ));
                    }
                };
                let (opened, supplied) = open_genesis(event, at, workflow, trust)?;
                case_is(self.expected.as_ref(), &opened)?;
                self.case = Some(opened);
                supplied
            }
            (None, None) => {
                return Err(StoreError::Genesis("record 0 did not open the case".into()));
            }
        };
        self.supplied_clock += u64::from(supplied);
        if supplied {
            ClockSpan::widen(&mut self.supplied_span, at);
        }
        Ok(checkpoint)
    }

    fn finish(self) -> Result<(Case, u64, Option<ClockSpan>), StoreError> {
        let case = self.case.ok_or(StoreError::Journal(JournalError::Empty))?;
        Ok((case, self.supplied_clock, self.supplied_span))
    }
}

/// Rebuilds a case from journal records: record 0 opens it (re-verifying the declaration and the
/// pins), every later record is re-decided and re-verified at its time of record.
pub fn replay(
    records: &[Record],
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<Case, StoreError> {
    let mut replayer = Replayer::new(workflow, trust, None);
    for r in records {
        let record = JournalRef {
            seq: r.seq,
            head: r.hash.clone(),
        };
        replayer.feed(record, r.at, EventSource::Value(&r.event))?;
    }
    replayer.finish().map(|(case, _, _)| case)
}

/// Replays a journal as it streams from `reader`, without keeping its records: the read path of
/// `verify`, `status` and `packet`. Record 0 opens the case; each later record is re-decided at
/// its time of record; `anchors` are checked on the way.
pub fn replay_reader<R: std::io::BufRead>(
    reader: R,
    anchors: Anchors,
) -> Result<Replay, StoreError> {
    replay_reader_each(reader, anchors, |_| Ok(()))
}

/// [`replay_reader`], calling `each` with the case after every record is applied (record 0
/// included): how `authority-lane lineage` streams the lineage entries as they are replayed,
/// without keeping them.
pub fn replay_reader_each<R: std::io::BufRead>(
    reader: R,
    anchors: Anchors,
    mut each: impl FnMut(&Case) -> Result<(), StoreError>,
) -> Result<Replay, StoreError> {
    replay_scan(reader, anchors, |case, _| each(case)).map(|(replay, _)| replay)
}

/// [`replay_reader_each`], also handing `each` where each record's line starts and giving
/// where the last one starts.
fn replay_scan<R: std::io::BufRead>(
    reader: R,
    anchors: Anchors,
    mut each: impl FnMut(&Case, u64) -> Result<(), StoreError>,
) -> Result<(Replay, u64), StoreError> {
    let Anchors {
        workflow,
        trust,
        expect_head,
        case,
    } = anchors;
    let mut replayer = Replayer::new(workflow, trust, case);
    let mut anchor_seen = false;
    let mut checkpoint = None;
    let scan = journal::scan_typed(reader, |raw: RawRecord<'_>, event: Option<EventRecord>| {
        if let Some(anchor) = &expect_head
            && anchor.seq == raw.seq
        {
            if anchor.head != raw.hash {
                return Err(StoreError::Rollback {
                    seq: anchor.seq,
                    head: anchor.head.clone(),
                    found: format!("record {} has hash {}", raw.seq, raw.hash),
                });
            }
            anchor_seen = true;
        }
        let event = match event {
            Some(record) => EventSource::Record(record),
            None => EventSource::Text(&raw.event),
        };
        let record = JournalRef {
            seq: raw.seq,
            head: raw.hash.clone(),
        };
        let at_checkpoint = replayer.feed(record, raw.at, event)?;
        match &replayer.case {
            Some(case) => {
                if at_checkpoint {
                    checkpoint = Some(super::Checkpointed {
                        head: JournalRef {
                            seq: raw.seq,
                            head: raw.hash.clone(),
                        },
                        offset: Some(raw.offset),
                        supplied_clock: replayer.supplied_clock,
                        image: case.checkpoint().image,
                    });
                }
                each(case, raw.offset)
            }
            None => Ok(()),
        }
    })?;
    let (case, supplied_clock, supplied_span) = replayer.finish()?;
    let (seq, head) = scan.head.ok_or(StoreError::Journal(JournalError::Empty))?;
    if let Some(anchor) = expect_head
        && !anchor_seen
    {
        return Err(StoreError::Rollback {
            found: format!("the journal ends at record {seq}"),
            seq: anchor.seq,
            head: anchor.head,
        });
    }
    let replay = Replay {
        case,
        head: JournalRef { seq, head },
        records: scan.records,
        supplied_clock,
        supplied_span,
        torn_tail: scan.torn_tail,
        unterminated: scan.unterminated,
        checkpoint,
    };
    Ok((replay, scan.len - scan.last_line_len))
}

/// [`replay_reader`] over a journal file, without locking it.
pub fn replay_file(path: &Path, anchors: Anchors) -> Result<Replay, StoreError> {
    let file = std::fs::File::open(path).map_err(|source| {
        StoreError::Journal(JournalError::Io {
            path: Some(path.to_owned()),
            source,
        })
    })?;
    replay_reader(std::io::BufReader::with_capacity(1 << 20, file), anchors)
}

/// [`replay_file`], also giving where the case stands in the file (for its snapshot), and with
/// `with_index`, writing the lineage index beside the journal as the findings replay
/// (best-effort: a temporary file renamed over the old index once the whole journal has
/// replayed).
pub(super) fn replay_file_at(
    path: &Path,
    anchors: Anchors,
    with_index: bool,
) -> Result<Replay, StoreError> {
    let file = std::fs::File::open(path).map_err(|source| {
        StoreError::Journal(JournalError::Io {
            path: Some(path.to_owned()),
            source,
        })
    })?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let index = index::index_path(path);
    let tmp = crate::journal::side::temporary(&index);
    let mut writer = if with_index {
        index::IndexWriter::create(&tmp).ok()
    } else {
        None
    };
    let (mut seen, mut failed) = (0u64, false);
    let replayed = replay_scan(reader, anchors, |case, offset| {
        let evidence = case.evidence();
        if evidence.count() != seen {
            seen = evidence.count();
            if let Some(w) = &mut writer {
                failed |= w.push(evidence.last_nodes(), offset).is_err();
            }
        }
        Ok(())
    });
    let kept = with_index
        && !failed
        && replayed.is_ok()
        && writer.as_mut().is_some_and(|w| w.flush().is_ok())
        && std::fs::rename(&tmp, &index).is_ok();
    if with_index && !kept {
        let _ = std::fs::remove_file(&tmp);
    }
    let (replay, _) = replayed?;
    Ok(replay)
}
