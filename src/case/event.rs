//! Events: what `decide` makes and `evolve` consumes, and their journal form.

use super::*;
use crate::error_code::ErrorCode;

/// Something that happened to the case. Only [`Case::decide`] makes events; each carries the
/// time of record it was decided at and the case state it was decided against, and
/// [`Case::evolve`] consumes it (an event is not `Clone`): it is applied once, to that state.
#[derive(Debug)]
pub struct Event {
    pub(super) kind: EventKind,
    pub(super) recorded_at: DateTime<Utc>,
    pub(super) basis: Basis,
}

/// The case state an event was decided against: the case, and how many events it had applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Basis {
    pub(super) case: CaseId,
    pub(super) applied: u64,
}

/// [`Case::evolve`] refused an event decided against another state of the case (e.g. on a
/// stale clone) or against another case: its checks — digests, quorum, authority — were made
/// against what that state held, not what this one holds. Decide the command again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stale event: decided against case `{decided_case}` after {decided_at} events, applied to case `{case}` after {case_at}; decide the command again against the current state"
)]
pub struct StaleEvent {
    /// The case the event was decided against.
    pub decided_case: CaseId,
    /// How many events that case had applied.
    pub decided_at: u64,
    /// The case it was applied to.
    pub case: CaseId,
    /// How many events this case has applied.
    pub case_at: u64,
}

impl StaleEvent {
    /// The stable code: `stale_event`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::StaleEvent
    }
}

#[derive(Debug)]
pub(super) enum EventKind {
    Finding(Finding),
    Decision {
        at: DateTime<Utc>,
        approval: AnyApproval,
    },
}

impl Event {
    /// When its submitter says it happened (the command's `at`).
    pub fn at(&self) -> DateTime<Utc> {
        match &self.kind {
            EventKind::Finding(f) => f.at,
            EventKind::Decision { at, .. } => *at,
        }
    }

    /// The time of record it was decided at: the journal record's `at`.
    pub fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
}

/// The journal form of an event, one type both ways: what [`Event`] serialises to and what
/// replay reads back (`event.schema.json`). A finding mirrors its command; a decision keeps the
/// raw token (so replay re-verifies it) plus its kind, issuer and digest for readers. `clock`
/// is the store's supplied-clock mark.
// Deserialised through a flat struct (`FlatEvent`) rather than serde's internally tagged enum,
// which buffers every event into an intermediate tree before choosing the variant: replay reads
// one event per journal record. (A `//` comment: doc comments become the schema's description.)
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventRecord {
    /// A finding.
    Finding {
        /// When the agent observed it.
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        /// Who.
        agent: Agent,
        /// What, as submitted (the value typed per the fact's declaration).
        finding: FindingInput,
        /// `supplied` when the time of record was supplied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockMark>,
    },
    /// A verified decision.
    Decision {
        /// When the human decided it.
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        /// Decision kind.
        kind: DecisionKind,
        /// Issuer.
        issuer: PrincipalId,
        /// SHA-256 of the token.
        token_digest: Digest,
        /// The compact JWS.
        token: String,
        /// `supplied` when the time of record was supplied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockMark>,
    },
    /// A checkpoint: the digests of the case state and lineage after every record before it,
    /// written by a writer at intervals (DESIGN §12.8). A snapshot or lineage index is trusted
    /// only when it matches one; replay recomputes both here and refuses the journal when they
    /// differ. It changes nothing in the case.
    Checkpoint {
        /// The time of record the writer stamped it with.
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        /// SHA-256 of the RFC 8785 form of the case state (what a snapshot holds).
        state: Digest,
        /// The lineage's count and Merkle root.
        lineage: CheckpointLineage,
        /// `supplied` when the time of record was supplied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockMark>,
    },
}

/// The lineage a checkpoint commits: how many findings, and their RFC 9162 Merkle root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointLineage {
    /// Findings so far.
    pub count: u64,
    /// Their Merkle root.
    pub root: Digest,
}

/// An event's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventType {
    Finding,
    Decision,
    Checkpoint,
}

/// Every member either kind of event may hold; [`EventRecord`]'s `Deserialize` checks that an
/// event holds exactly its kind's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlatEvent {
    #[serde(rename = "type")]
    event_type: EventType,
    #[serde(deserialize_with = "crate::time::de_at")]
    at: DateTime<Utc>,
    agent: Option<Agent>,
    finding: Option<FindingInput>,
    kind: Option<DecisionKind>,
    issuer: Option<PrincipalId>,
    token_digest: Option<Digest>,
    token: Option<String>,
    state: Option<Digest>,
    lineage: Option<CheckpointLineage>,
    clock: Option<ClockMark>,
}

impl<'de> Deserialize<'de> for EventRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let f = FlatEvent::deserialize(d)?;
        let (name, own): (&str, &[&str]) = match f.event_type {
            EventType::Finding => ("finding", &["agent", "finding"]),
            EventType::Decision => ("decision", &["kind", "issuer", "token_digest", "token"]),
            EventType::Checkpoint => ("checkpoint", &["state", "lineage"]),
        };
        let present = [
            ("agent", f.agent.is_some()),
            ("finding", f.finding.is_some()),
            ("kind", f.kind.is_some()),
            ("issuer", f.issuer.is_some()),
            ("token_digest", f.token_digest.is_some()),
            ("token", f.token.is_some()),
            ("state", f.state.is_some()),
            ("lineage", f.lineage.is_some()),
        ];
        if let Some((field, _)) = present
            .iter()
            .find(|(field, here)| *here && !own.contains(field))
        {
            return Err(D::Error::custom(format_args!(
                "unknown field `{field}` in a {name} event"
            )));
        }
        let missing = |field: &'static str| D::Error::missing_field(field);
        Ok(match f.event_type {
            EventType::Finding => EventRecord::Finding {
                at: f.at,
                agent: f.agent.ok_or_else(|| missing("agent"))?,
                finding: f.finding.ok_or_else(|| missing("finding"))?,
                clock: f.clock,
            },
            EventType::Decision => EventRecord::Decision {
                at: f.at,
                kind: f.kind.ok_or_else(|| missing("kind"))?,
                issuer: f.issuer.ok_or_else(|| missing("issuer"))?,
                token_digest: f.token_digest.ok_or_else(|| missing("token_digest"))?,
                token: f.token.ok_or_else(|| missing("token"))?,
                clock: f.clock,
            },
            EventType::Checkpoint => EventRecord::Checkpoint {
                at: f.at,
                state: f.state.ok_or_else(|| missing("state"))?,
                lineage: f.lineage.ok_or_else(|| missing("lineage"))?,
                clock: f.clock,
            },
        })
    }
}

impl Event {
    /// The event's journal form (without a clock mark: the store adds it).
    pub fn record(&self) -> EventRecord {
        match &self.kind {
            EventKind::Finding(f) => EventRecord::Finding {
                at: f.at,
                agent: f.agent.clone(),
                finding: FindingInput {
                    fact: f.fact.clone(),
                    value: serde_json::to_value(&f.value)
                        .expect("a typed fact value is a JSON bool, integer or string"),
                    source: f.source.clone(),
                    note: f.note.clone(),
                },
                clock: None,
            },
            EventKind::Decision { at, approval } => EventRecord::Decision {
                at: *at,
                kind: approval.kind(),
                issuer: approval.issuer().clone(),
                token_digest: approval.token_digest().clone(),
                token: approval.token().to_owned(),
                clock: None,
            },
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(s)
    }
}

use crate::time::Rfc3339;

impl Event {
    /// Appends the event's RFC 8785 form to `out` — what [`Event`] serialises to, with
    /// `"clock": "supplied"` when `supplied` — without building a JSON value: every member name
    /// is a fixed ASCII key written in RFC 8785 order, every number an I-JSON integer (counts
    /// are checked when a finding is accepted), and `serde_json` escapes strings as RFC 8785
    /// does. A test checks the bytes against `serde_jcs`.
    pub(crate) fn canonical_into(&self, supplied: bool, out: &mut Vec<u8>) {
        let clock = supplied.then_some(ClockMark::Supplied);
        let written = match &self.kind {
            EventKind::Finding(f) => serde_json::to_writer(
                out,
                &SortedFinding {
                    agent: SortedAgent {
                        id: &f.agent.id,
                        role: f.agent.role.as_str(),
                    },
                    at: Rfc3339(&f.at),
                    clock,
                    finding: SortedInput {
                        fact: f.fact.as_str(),
                        note: f.note.as_deref(),
                        source: SortedSource {
                            digest: f.source.digest.as_str(),
                            record: &f.source.record,
                            system: &f.source.system,
                        },
                        value: &f.value,
                    },
                    r#type: "finding",
                },
            ),
            EventKind::Decision { at, approval } => serde_json::to_writer(
                out,
                &SortedDecision {
                    at: Rfc3339(at),
                    clock,
                    issuer: approval.issuer(),
                    kind: approval.kind(),
                    token: approval.token(),
                    token_digest: approval.token_digest(),
                    r#type: "decision",
                },
            ),
        };
        written.expect("an event is plain JSON and always serialises");
    }
}

/// A finding event, members in RFC 8785 order.
#[derive(Serialize)]
struct SortedFinding<'a> {
    agent: SortedAgent<'a>,
    at: Rfc3339<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock: Option<ClockMark>,
    finding: SortedInput<'a>,
    r#type: &'static str,
}

#[derive(Serialize)]
struct SortedAgent<'a> {
    id: &'a str,
    role: &'a str,
}

#[derive(Serialize)]
struct SortedInput<'a> {
    fact: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    source: SortedSource<'a>,
    value: &'a crate::workflow::FactValue,
}

#[derive(Serialize)]
struct SortedSource<'a> {
    digest: &'a str,
    record: &'a str,
    system: &'a str,
}

/// A decision event, members in RFC 8785 order.
#[derive(Serialize)]
struct SortedDecision<'a> {
    at: Rfc3339<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock: Option<ClockMark>,
    issuer: &'a PrincipalId,
    kind: DecisionKind,
    token: &'a str,
    token_digest: &'a Digest,
    r#type: &'static str,
}

/// The mark a store puts on an event whose time of record came from a supplied clock
/// (`"clock": "supplied"`), so that a relying party sees that the writer's clock was overridden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockMark {
    /// The time of record was supplied (`--at`, an injected clock), not read from the writer's
    /// clock.
    Supplied,
}
