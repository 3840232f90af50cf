//! Running a script: the [`Driver`] turns each symbolic [`Step`] into a concrete [`Command`]
//! against the case as it runs, and records a [`Trace`] of [`Entry`]s with their [`Outcome`]s.

use super::entitled;
use super::mint::Minter;
use super::{
    Advance, AttestChoice, CASE_ID, Cast, DigestChoice, Fault, LaneChoice, RoleChoice, Script,
    Step, Timed, Who, shipped_workflow, t0,
};
use crate::ErrorCode;
use crate::approval::{
    Accept, Decision, Declare, Delegate, Redirect, RedirectAction, Review, StandDown, Trust,
};
use crate::case::Leaf;
use crate::case::{Case, Command, Rejection};
use crate::digest::Digest;
use crate::evidence::{Agent, FindingInput, Source};
use crate::ids::{AgentRole, Attestation, CaseId, FactKey, PrincipalId};
use crate::workflow::Workflow;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::sync::Arc;

/// What happened to one step's command.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted: the journal form of each event it caused (what replay reads back).
    Applied(Vec<Value>),
    /// Refused, changing nothing.
    Rejected(Rejection),
}

impl Outcome {
    /// The rejection code, or `None` when applied.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Outcome::Applied(_) => None,
            Outcome::Rejected(r) => Some(r.code()),
        }
    }
}

/// One executed step.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The symbolic step.
    pub step: Timed,
    /// The concrete command sent.
    pub command: Command,
    /// What the case did with it.
    pub outcome: Outcome,
    /// The case after the step.
    pub case: Case,
}

/// A script's run.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The case as opened, before the first step.
    pub start: Case,
    /// Every step, in order.
    pub entries: Vec<Entry>,
}

impl Trace {
    /// The case after the last step.
    pub fn last(&self) -> &Case {
        self.entries.last().map_or(&self.start, |e| &e.case)
    }

    /// The case before step `i`.
    pub fn before(&self, i: usize) -> &Case {
        if i == 0 {
            &self.start
        } else {
            &self.entries[i - 1].case
        }
    }

    /// The journal form of every applied event, in order, with its time of record (the driver
    /// is an honest writer whose clock reads each command's time).
    pub fn events(&self) -> impl Iterator<Item = (&Value, DateTime<Utc>)> {
        self.entries.iter().flat_map(|e| {
            let events = match &e.outcome {
                Outcome::Applied(events) => events.as_slice(),
                Outcome::Rejected(_) => &[],
            };
            events.iter().map(move |v| (v, e.command.at()))
        })
    }
}

/// Runs a script against a fresh case with [`Driver::new`].
pub fn drive(script: &Script) -> Trace {
    Driver::new().run(script)
}
/// Turns symbolic steps into commands against a running case, minting tokens with the cast.
#[derive(Debug)]
pub struct Driver {
    minter: Minter,
    trust: Arc<Trust>,
    workflow: Arc<Workflow>,
    clock: DateTime<Utc>,
    /// Tokens of applied decisions (the declaration first).
    applied_tokens: Vec<String>,
    /// Every draft digest seen, oldest first, without repeats in a row.
    digests: Vec<Digest>,
}

impl Default for Driver {
    fn default() -> Self {
        Driver::new()
    }
}

impl Driver {
    /// A driver for the shipped workflow and the fixed cast.
    pub fn new() -> Driver {
        Driver::with_workflow(shipped_workflow())
    }

    /// A driver for another workflow that uses the standard cast's roles.
    pub fn with_workflow(workflow: Arc<Workflow>) -> Driver {
        let cast = Cast::fixed();
        let trust = Arc::new(cast.trust().clone());
        Driver {
            minter: Minter::new(cast, CaseId::from(CASE_ID)),
            trust,
            workflow,
            clock: t0(),
            applied_tokens: Vec::new(),
            digests: Vec::new(),
        }
    }

    /// The cast whose keys sign the tokens.
    pub fn cast(&self) -> &Cast {
        self.minter.cast()
    }
    /// The trust registry of the cast.
    pub fn trust(&self) -> &Arc<Trust> {
        &self.trust
    }
    /// The workflow.
    pub fn workflow(&self) -> &Arc<Workflow> {
        &self.workflow
    }

    /// Opens the case: security leadership declares it at [`t0`].
    pub fn open(&mut self) -> Case {
        let token = self.mint(
            "sam.rivera",
            t0(),
            Fault::None,
            Decision::Declare(Declare {
                scope: "production signing key".into(),
                severity: "sev1".into(),
            }),
        );
        let case = Case::open(self.workflow.clone(), self.trust.clone(), &token, t0())
            .unwrap_or_else(|e| panic!("the fixed cast's declaration opens a case: {e}"));
        self.applied_tokens = vec![token];
        self.clock = t0();
        case
    }

    /// Runs a script from a freshly opened case.
    pub fn run(&mut self, script: &Script) -> Trace {
        let start = self.open();
        let mut case = start.clone();
        self.observe(&case);
        let mut entries = Vec::with_capacity(script.steps.len());
        for timed in &script.steps {
            let at = self.time_for(&case, timed.advance);
            let command = self.command_for(&case, &timed.step, at);
            // An honest writer: the time of record is the command's time (`Back` steps make it
            // go back, which is `time_regression`).
            let outcome = match case.decide(&command, at) {
                Ok(events) => {
                    let journal = events
                        .iter()
                        .map(|e| {
                            serde_json::to_value(e)
                                .unwrap_or_else(|err| panic!("events serialise: {err}"))
                        })
                        .collect();
                    for e in events {
                        case.evolve(e)
                            .unwrap_or_else(|e| panic!("an event decided on this case: {e}"));
                    }
                    if let Command::Decision { token, .. } = &command {
                        self.applied_tokens.push(token.clone());
                    }
                    Outcome::Applied(journal)
                }
                Err(r) => Outcome::Rejected(r),
            };
            self.observe(&case);
            entries.push(Entry {
                step: timed.clone(),
                command,
                outcome,
                case: case.clone(),
            });
        }
        Trace { start, entries }
    }

    fn observe(&mut self, case: &Case) {
        if let Some(d) = case.draft_digest()
            && self.digests.last() != Some(&d)
        {
            self.digests.push(d);
        }
    }

    /// The time for the next command: the driver's clock moved forward, or a time before the
    /// case's last event.
    pub fn time_for(&mut self, case: &Case, advance: Advance) -> DateTime<Utc> {
        match advance {
            Advance::Forward(s) => {
                self.clock = self.clock.max(case.last_at()) + Duration::seconds(i64::from(s));
                self.clock
            }
            Advance::Back(s) => case.last_at() - Duration::seconds(i64::from(s.max(1))),
        }
    }

    /// The concrete command for `step` at `at`, given the case as it is now.
    pub fn command_for(&mut self, case: &Case, step: &Step, at: DateTime<Utc>) -> Command {
        let ((issuer, decision), fault) = match step {
            Step::Finding {
                fact,
                value,
                role,
                record,
                note,
            } => return finding(case, at, fact, value, role, record, note),
            Step::Replay { back } => {
                let token = self.replayed(*back);
                return Command::Decision { at, token };
            }
            Step::Declare { who, fault } => {
                let issuer = entitled::resolve(case, who, || vec![entitled::fallback()]);
                let declare = Declare {
                    scope: "again".into(),
                    severity: "sev1".into(),
                };
                ((issuer, Decision::Declare(declare)), *fault)
            }
            Step::Delegate {
                who,
                lane,
                to,
                for_secs,
                fault,
            } => {
                let issuer = entitled::resolve(case, who, || entitled::holders(case, lane));
                let delegate = Delegate {
                    lane: lane.clone(),
                    to: to.clone(),
                    until: at + Duration::seconds(*for_secs),
                };
                ((issuer, Decision::Delegate(delegate)), *fault)
            }
            Step::Review {
                who,
                digest,
                attests,
                fault,
            } => (self.review(case, who, *digest, *attests), *fault),
            Step::Accept {
                who,
                lane,
                digest,
                fault,
            } => (self.acceptance(case, who, lane, *digest, at), *fault),
            Step::Redirect { who, action, fault } => (redirect(case, who, action, at), *fault),
            Step::StandDown { who, fault } => {
                let command_role = &case.workflow().review().command_role;
                let issuer =
                    entitled::resolve(case, who, || entitled::with_role(case, command_role));
                let stand_down = StandDown {
                    reason: "quickcheck stand-down".into(),
                };
                ((issuer, Decision::StandDown(stand_down)), *fault)
            }
        };
        let token = self.mint(issuer.as_str(), at, fault, decision);
        Command::Decision { at, token }
    }

    /// The token of an earlier applied decision, `back` from the latest (modulo their number).
    fn replayed(&self, back: u8) -> String {
        let n = self.applied_tokens.len();
        if n == 0 {
            "not.a.token".to_owned()
        } else {
            self.applied_tokens[n - 1 - usize::from(back) % n].clone()
        }
    }

    /// A review: [`Who::Right`] is a reviewer whose role the quorum still needs.
    fn review(
        &self,
        case: &Case,
        who: &Who,
        digest: DigestChoice,
        attests: AttestChoice,
    ) -> (PrincipalId, Decision) {
        let issuer = entitled::resolve(case, who, || entitled::needed_reviewers(case));
        let mut all: Vec<Attestation> = case.workflow().review().attestations.clone();
        if let AttestChoice::Drop(i) = attests
            && !all.is_empty()
        {
            all.remove(usize::from(i) % all.len());
        }
        let review = Review {
            packet_digest: self.digest_for(case, digest),
            attests: all,
        };
        (issuer, Decision::Review(review))
    }

    /// An acceptance: [`Who::Right`] is an owner of the recommended lane at `at` who did not sign
    /// off; [`Who::Signer`] prefers a signer who also owns it, to exercise the separation of
    /// duties.
    fn acceptance(
        &self,
        case: &Case,
        who: &Who,
        lane: &LaneChoice,
        digest: DigestChoice,
        at: DateTime<Utc>,
    ) -> (PrincipalId, Decision) {
        let owners = entitled::owners(case, case.recommended_lane(), at);
        let signed = entitled::current_signers(case);
        let who = match who {
            Who::Signer(pick) => {
                let both: Vec<&PrincipalId> =
                    signed.iter().filter(|p| owners.contains(p)).collect();
                match both.len() {
                    0 => who.clone(),
                    n => Who::Named(both[usize::from(*pick) % n].clone()),
                }
            }
            _ => who.clone(),
        };
        let issuer = entitled::resolve(case, &who, || {
            owners.into_iter().filter(|p| !signed.contains(p)).collect()
        });
        let accept = Accept {
            lane: match lane {
                LaneChoice::Recommended => case.recommended_lane().clone(),
                LaneChoice::Named(l) => l.clone(),
            },
            packet_digest: self.digest_for(case, digest),
        };
        (issuer, Decision::Accept(accept))
    }

    fn digest_for(&self, case: &Case, choice: DigestChoice) -> Digest {
        let current = case.draft_digest();
        match choice {
            DigestChoice::Current => {
                current.unwrap_or_else(|| Digest::of_bytes(b"no draft exists yet"))
            }
            DigestChoice::Previous => self
                .digests
                .iter()
                .rev()
                .find(|d| Some(*d) != current.as_ref())
                .cloned()
                .unwrap_or_else(|| Digest::of_bytes(b"no earlier draft")),
            DigestChoice::Random(n) => Digest::of_bytes(format!("random-{n}").as_bytes()),
        }
    }

    /// Mints a token by `who` about the driver's case at `at`, made invalid as `fault` says.
    pub fn mint(
        &mut self,
        who: &str,
        at: DateTime<Utc>,
        fault: Fault,
        decision: Decision,
    ) -> String {
        let max = self.workflow.review().max_token_lifetime_secs;
        self.minter.mint(who, at, fault, max, decision)
    }
}

/// A finding of `fact` by the agent role `role` chooses, from the fact's first source system
/// (the workflow's, when it declares the fact), citing `record`.
fn finding(
    case: &Case,
    at: DateTime<Utc>,
    fact: &FactKey,
    value: &Value,
    role: &RoleChoice,
    record: &str,
    note: &Option<String>,
) -> Command {
    let def = case.workflow().fact(fact);
    let role = match role {
        RoleChoice::Right => def
            .map(|d| d.submitted_by.clone())
            .unwrap_or_else(|| AgentRole::from("custody-evidence")),
        RoleChoice::Wrong(r) => r.clone(),
    };
    let system = def
        .and_then(|d| d.source_systems.first().cloned())
        .unwrap_or_else(|| "unknown-system".into());
    Command::Finding {
        at,
        agent: Agent {
            role,
            id: "qc-agent".into(),
        },
        finding: FindingInput {
            fact: fact.clone(),
            value: value.clone(),
            source: Source {
                system,
                record: record.to_owned(),
                digest: Digest::of_bytes(record.as_bytes()),
            },
            note: note.clone(),
        },
    }
}

/// A redirect bound to the assessment the case shows now. [`Who::Right`] is a holder of the
/// case's maximum lane for `set_lane` (entitled to raise or lower it), an owner of the highest
/// lane for `exclude_option` (it owns every option's boundary), the command role for
/// `request_evidence`.
fn redirect(
    case: &Case,
    who: &Who,
    action: &RedirectAction,
    at: DateTime<Utc>,
) -> (PrincipalId, Decision) {
    let issuer = entitled::resolve(case, who, || match action {
        RedirectAction::SetLane { .. } => entitled::holders(case, case.max_lane()),
        RedirectAction::ExcludeOption { .. } => entitled::top_lane_owners(case, at),
        RedirectAction::RequestEvidence { .. } => {
            entitled::with_role(case, &case.workflow().review().command_role)
        }
    });
    let mut action = action.clone();
    if let RedirectAction::SetLane {
        assessment_digest, ..
    }
    | RedirectAction::ExcludeOption {
        assessment_digest, ..
    } = &mut action
    {
        *assessment_digest = case.assessment_digest();
    }
    let redirect = Redirect {
        action,
        reason: "quickcheck redirect".into(),
    };
    (issuer, Decision::Redirect(redirect))
}

/// Whether the case is in a state where `leaf` could be observed: helper for coverage reports.
pub fn reached(trace: &Trace, leaf: Leaf) -> bool {
    trace.start.state() == leaf || trace.entries.iter().any(|e| e.case.state() == leaf)
}
