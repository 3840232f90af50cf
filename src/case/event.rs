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
// Deserialised by a visitor that fills each member's slot ([`EventVisitor`]) rather than serde's
// internally tagged enum, which buffers every event into an intermediate tree before choosing
// the variant: replay reads one event per journal record. (A `//` comment: doc comments become
// the schema's description.)
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

/// The members an event may hold, by name (unknown names are refused with the list).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum EventField {
    Type,
    At,
    Agent,
    Finding,
    Kind,
    Issuer,
    TokenDigest,
    Token,
    State,
    Lineage,
    Clock,
}

/// An event's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventType {
    Finding,
    Decision,
    Checkpoint,
}

impl<'de> Deserialize<'de> for EventRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

/// Reads an event's members straight into their slots (replay reads one event per journal
/// record), then checks that the event holds exactly its kind's members.
struct EventVisitor;

/// Every member an event may hold, each in its slot as read.
#[derive(Default)]
struct EventSlots {
    kind: Option<EventType>,
    at: Option<super::wire::At>,
    agent: Option<Agent>,
    finding: Option<FindingInput>,
    decision: Option<DecisionKind>,
    issuer: Option<PrincipalId>,
    token_digest: Option<Digest>,
    token: Option<String>,
    state: Option<Digest>,
    lineage: Option<CheckpointLineage>,
    clock: Option<ClockMark>,
}

impl<'de> serde::de::Visitor<'de> for EventVisitor {
    type Value = EventRecord;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<EventRecord, A::Error> {
        use super::wire::slot;
        let mut f = EventSlots::default();
        while let Some(field) = map.next_key()? {
            match field {
                EventField::Type => slot(&mut f.kind, "type", &mut map)?,
                EventField::At => slot(&mut f.at, "at", &mut map)?,
                EventField::Agent => slot(&mut f.agent, "agent", &mut map)?,
                EventField::Finding => slot(&mut f.finding, "finding", &mut map)?,
                EventField::Kind => slot(&mut f.decision, "kind", &mut map)?,
                EventField::Issuer => slot(&mut f.issuer, "issuer", &mut map)?,
                EventField::TokenDigest => slot(&mut f.token_digest, "token_digest", &mut map)?,
                EventField::Token => slot(&mut f.token, "token", &mut map)?,
                EventField::State => slot(&mut f.state, "state", &mut map)?,
                EventField::Lineage => slot(&mut f.lineage, "lineage", &mut map)?,
                EventField::Clock => slot(&mut f.clock, "clock", &mut map)?,
            }
        }
        f.into_record::<A::Error>()
    }
}

impl EventSlots {
    /// The event these members make, or the member that is missing or does not belong.
    fn into_record<E: serde::de::Error>(self) -> Result<EventRecord, E> {
        let missing = |field: &'static str| E::missing_field(field);
        let kind = self.kind.ok_or_else(|| missing("type"))?;
        let at = self.at.ok_or_else(|| missing("at"))?.0;
        let (name, own): (&str, &[&str]) = match kind {
            EventType::Finding => ("finding", &["agent", "finding"]),
            EventType::Decision => ("decision", &["kind", "issuer", "token_digest", "token"]),
            EventType::Checkpoint => ("checkpoint", &["state", "lineage"]),
        };
        let present = [
            ("agent", self.agent.is_some()),
            ("finding", self.finding.is_some()),
            ("kind", self.decision.is_some()),
            ("issuer", self.issuer.is_some()),
            ("token_digest", self.token_digest.is_some()),
            ("token", self.token.is_some()),
            ("state", self.state.is_some()),
            ("lineage", self.lineage.is_some()),
        ];
        if let Some((field, _)) = present
            .iter()
            .find(|(field, here)| *here && !own.contains(field))
        {
            return Err(E::custom(format_args!(
                "unknown field `{field}` in a {name} event"
            )));
        }
        Ok(match kind {
            EventType::Finding => EventRecord::Finding {
                at,
                agent: self.agent.ok_or_else(|| missing("agent"))?,
                finding: self.finding.ok_or_else(|| missing("finding"))?,
                clock: self.clock,
            },
            EventType::Decision => EventRecord::Decision {
                at,
                kind: self.decision.ok_or_else(|| missing("kind"))?,
                issuer: self.issuer.ok_or_else(|| missing("issuer"))?,
                token_digest: self.token_digest.ok_or_else(|| missing("token_digest"))?,
                token: self.token.ok_or_else(|| missing("token"))?,
                clock: self.clock,
            },
            EventType::Checkpoint => EventRecord::Checkpoint {
                at,
                state: self.state.ok_or_else(|| missing("state"))?,
                lineage: self.lineage.ok_or_else(|| missing("lineage"))?,
                clock: self.clock,
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

use crate::evidence::{CanonicalAgent, CanonicalSource};
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
                    agent: f.agent.canonical(),
                    at: Rfc3339(&f.at),
                    clock,
                    finding: SortedInput {
                        fact: f.fact.as_str(),
                        note: f.note.as_deref(),
                        source: f.source.canonical(),
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
    agent: CanonicalAgent<'a>,
    at: Rfc3339<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock: Option<ClockMark>,
    finding: SortedInput<'a>,
    r#type: &'static str,
}

#[derive(Serialize)]
struct SortedInput<'a> {
    fact: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    source: CanonicalSource<'a>,
    value: &'a crate::workflow::FactValue,
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
