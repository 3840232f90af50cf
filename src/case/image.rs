//! A case as a snapshot keeps it ([`crate::store`]'s snapshot beside a journal): every part of
//! the state as plain JSON, and every approval the case holds as its token.
//!
//! An image is never trusted as it stands. [`Case::from_image`] starts from the case record 0
//! opens (the declaration re-verified, the workflow and trust pinned), types every fact value
//! against the workflow again, re-verifies every approval token at its time of record against
//! the trust registry (its issuer, kind and digest must match the record the image claims for
//! it), and rebuilds the statechart by feeding it the verified approvals it holds — the quorum's
//! last review, the acceptance, the stand-down — so a state that needs a proof can only be
//! reached with one. What it cannot check without replaying the journal (that these findings
//! and decisions are the ones the journal holds) is why the snapshot is bound to a journal
//! record and why `verify` and the accepted packet always replay.

use super::*;
use crate::ids::KeyId;
use crate::lineage::EvidenceImage;

/// The state of a [`Case`] beyond what record 0 gives, as plain data.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseImage {
    state: Leaf,
    evidence: EvidenceImage,
    lanes: LaneContext,
    lane_history: Vec<LaneChange>,
    delegations: Vec<DelegationRecord>,
    redirects: Vec<RedirectRecord>,
    requested: BTreeSet<FactKey>,
    revision: u64,
    /// Every approval with its token, in the order applied (the declaration first).
    approvals: Vec<(ApprovalRecord, String)>,
    /// Sign-offs on the current draft: issuer, key, revision.
    signoffs: Vec<(PrincipalId, KeyId, u64)>,
    seen_jti: BTreeSet<String>,
    last_at: DateTime<Utc>,
    first_draft_at: Option<DateTime<Utc>>,
    applied: u64,
    /// The quorum the chart holds (`awaiting_acceptance`, `accepted`): revision, signers, when.
    quorum: Option<(u64, Vec<PrincipalId>, DateTime<Utc>)>,
    /// The decision epoch, under `carry_over: "decision_unchanged"` only (under `never` the
    /// epoch is the current revision, and images are as they were before epochs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    epoch: Option<EpochImage>,
}

#[cfg(test)]
impl CaseImage {
    /// True when the image carries no epoch (as under `carry_over: "never"`).
    pub(crate) fn epoch_is_absent(&self) -> bool {
        self.epoch.is_none()
    }
}

/// The decision epoch as an image keeps it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EpochImage {
    first_revision: u64,
    decision: Option<Digest>,
    drafts: Vec<crate::packet::SignedDraft>,
}

/// Why an image does not describe a case this crate could have reached.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the snapshot's case state is not valid: {0}")]
pub struct ImageError(String);

fn bad(what: impl Into<String>) -> ImageError {
    ImageError(what.into())
}

/// The approvals an image's chart needs, verified.
#[derive(Default)]
struct Held {
    review: Option<Arc<Approval<crate::approval::Review>>>,
    accept: Option<(Approval<crate::approval::Accept>, DateTime<Utc>)>,
    stand_down: Option<Arc<Approval<crate::approval::StandDown>>>,
    /// (issuer, key, revision) of every review.
    reviews: Vec<(PrincipalId, KeyId, Option<u64>)>,
}

/// The case state a checkpoint commits (DESIGN §12.8): the RFC 8785 form of its image (what a
/// snapshot stores, byte for byte), that form's digest, and the lineage.
#[derive(Debug, Clone)]
pub struct StateCheckpoint {
    /// The image's RFC 8785 bytes.
    pub image: Vec<u8>,
    /// SHA-256 of `image`.
    pub state: Digest,
    /// The lineage's count and root.
    pub lineage: super::CheckpointLineage,
}

impl Case {
    /// What a checkpoint written now commits: the state image in RFC 8785 form, its digest and
    /// the lineage. Pure: the same records give the same bytes on every machine.
    pub fn checkpoint(&self) -> StateCheckpoint {
        let image = serde_jcs::to_vec(&self.image()).expect("a case image is plain JSON");
        StateCheckpoint {
            state: Digest::of_bytes(&image),
            image,
            lineage: super::CheckpointLineage {
                count: self.evidence.count(),
                root: crate::lineage::digest_of(&self.evidence.root()),
            },
        }
    }

    /// The case's state as an image.
    pub(crate) fn image(&self) -> CaseImage {
        CaseImage {
            state: self.state(),
            evidence: self.evidence.image(),
            lanes: self.lanes.clone(),
            lane_history: self.lane_history.clone(),
            delegations: self.delegations.clone(),
            redirects: self.redirects.clone(),
            requested: self.requested.clone(),
            revision: self.revision,
            approvals: self
                .approvals
                .iter()
                .cloned()
                .zip(self.tokens.iter().cloned())
                .collect(),
            signoffs: self
                .signoffs
                .iter()
                .map(|s| (s.issuer.clone(), s.kid.clone(), s.revision))
                .collect(),
            seen_jti: self.seen_jti.clone(),
            last_at: self.last_at,
            first_draft_at: self.first_draft_at,
            applied: self.applied,
            quorum: self
                .chart
                .quorum()
                .map(|q| (q.revision(), q.signers().to_vec(), q.reached_at())),
            epoch: self.carries().then(|| EpochImage {
                first_revision: self.epoch.first_revision,
                decision: self.epoch.decision.clone(),
                drafts: self.epoch.drafts.iter().cloned().collect(),
            }),
        }
    }

    /// The case `image` describes, on top of `opened` — the case its journal's record 0 opens
    /// ([`Case::from_genesis`]) — with every token re-verified and the chart rebuilt from the
    /// verified approvals (see the module docs).
    pub(crate) fn from_image(opened: Case, image: CaseImage) -> Result<Case, ImageError> {
        let mut case = opened;
        let evidence = Evidence::from_image(image.evidence, &case.workflow).map_err(bad)?;
        let held = case.verify_held(&image.approvals, &image.seen_jti)?;
        for (issuer, kid, revision) in &image.signoffs {
            if !held
                .reviews
                .iter()
                .any(|(i, k, r)| i == issuer && k == kid && *r == Some(*revision))
            {
                return Err(bad(format!("a sign-off by {issuer} has no review token")));
            }
        }
        let (approvals, tokens) = image.approvals.into_iter().unzip();
        case.evidence = evidence;
        case.lanes = image.lanes;
        case.lane_history = image.lane_history;
        case.delegations = image.delegations;
        case.redirects = image.redirects;
        case.requested = image.requested;
        case.revision = image.revision;
        case.approvals = approvals;
        case.tokens = tokens;
        case.signoffs = image
            .signoffs
            .into_iter()
            .map(|(issuer, kid, revision)| SignOff {
                issuer,
                kid,
                revision,
            })
            .collect();
        case.epoch = match (case.carries(), image.epoch) {
            (false, None) => Epoch {
                first_revision: image.revision,
                ..Epoch::default()
            },
            (true, Some(e)) => {
                if e.first_revision > image.revision
                    || e.drafts.len() > EPOCH_DRAFTS
                    || e.drafts
                        .iter()
                        .any(|d| d.revision < e.first_revision || d.revision > image.revision)
                {
                    return Err(bad("the decision epoch is not one a case could hold"));
                }
                Epoch {
                    first_revision: e.first_revision,
                    decision: e.decision,
                    decided: None,
                    drafts: e.drafts.into(),
                }
            }
            (false, Some(_)) => return Err(bad("an epoch under carry_over \"never\"")),
            (true, None) => {
                return Err(bad(
                    "no decision epoch under carry_over \"decision_unchanged\"",
                ));
            }
        };
        case.seen_jti = image.seen_jti;
        case.last_at = image.last_at;
        case.first_draft_at = image.first_draft_at;
        case.applied = image.applied;
        case.memo = Memo::default();
        let quorum = image
            .quorum
            .map(|(revision, signers, at)| Quorum::new(revision, signers, at));
        case.chart = chart_for(image.state, held, quorum)?;
        if case.lane_history.is_empty() || case.lane_history[0] != opened_lane(&case) {
            return Err(bad("the lane history does not start at the declaration"));
        }
        Ok(case)
    }

    /// Re-verifies every approval token at its time of record; the declaration must be the
    /// one record 0 holds.
    fn verify_held(
        &self,
        approvals: &[(ApprovalRecord, String)],
        seen_jti: &BTreeSet<String>,
    ) -> Result<Held, ImageError> {
        let Some(((first, first_token), rest)) = approvals.split_first() else {
            return Err(bad("no declaration"));
        };
        if *first != self.approvals[0] || *first_token != self.tokens[0] {
            return Err(bad("the first approval is not record 0's declaration"));
        }
        let mut held = Held::default();
        for (record, token) in rest {
            let ctx = VerifyContext {
                case_id: Some(self.id()),
                at: record.at,
                max_lifetime_secs: self.workflow.review().max_token_lifetime_secs,
            };
            let a = verify(token, &self.trust, &ctx).map_err(|e| {
                bad(format!(
                    "an approval by {} does not verify: {e}",
                    record.issuer
                ))
            })?;
            if a.kind().as_str() != record.kind
                || a.issuer() != &record.issuer
                || a.token_digest() != &record.token_digest
                || !seen_jti.contains(a.jti())
            {
                return Err(bad(format!(
                    "the {} approval by {} is not the token beside it",
                    record.kind, record.issuer
                )));
            }
            match a {
                AnyApproval::Review(r) => {
                    held.reviews
                        .push((r.issuer().clone(), r.kid().clone(), record.revision));
                    held.review = Some(Arc::new(r));
                }
                AnyApproval::Accept(r) => held.accept = Some((r, record.at)),
                AnyApproval::StandDown(r) => held.stand_down = Some(Arc::new(r)),
                AnyApproval::Declare(_) => return Err(bad("a second declaration")),
                AnyApproval::Delegate(_) | AnyApproval::Redirect(_) => {}
            }
        }
        Ok(held)
    }
}

/// Record 0's lane change, as [`Case::open`] makes it.
fn opened_lane(case: &Case) -> LaneChange {
    LaneChange {
        at: case.genesis.at,
        from: None,
        to: case.workflow.lanes()[0].id.clone(),
        cause: LaneCause::Declared {
            by: case.genesis.issuer.clone(),
        },
    }
}

/// The chart in `state`, reached from `gathering` by the inputs that lead there, each carrying
/// the verified approval it needs.
fn chart_for(state: Leaf, held: Held, quorum: Option<Quorum>) -> Result<Chart, ImageError> {
    let mut chart = Chart::default();
    let mut feed = |input: Input| {
        let kind = input.kind();
        if chart.dispatch(input) {
            Ok(())
        } else {
            Err(bad(format!(
                "the statechart refuses {kind:?} on the way to {state}"
            )))
        }
    };
    let needs = |what: &str| bad(format!("{state} needs {what}"));
    let draft = Input::Revise {
        ready: true,
        by: Revision::Finding,
    };
    match state {
        Leaf::Gathering => {}
        Leaf::Drafted => feed(draft)?,
        Leaf::InReview => {
            feed(draft)?;
            let review = held.review.ok_or_else(|| needs("a review"))?;
            feed(Input::SignOff {
                review,
                quorum: None,
            })?;
        }
        Leaf::AwaitingAcceptance | Leaf::Accepted => {
            feed(draft)?;
            let review = held.review.ok_or_else(|| needs("a review"))?;
            let quorum = quorum.ok_or_else(|| needs("a quorum"))?;
            feed(Input::SignOff {
                review,
                quorum: Some(quorum),
            })?;
            if state == Leaf::Accepted {
                let (accept, at) = held.accept.ok_or_else(|| needs("an acceptance"))?;
                feed(Input::Accept(Acceptance::new(accept, at)))?;
            }
        }
        Leaf::StoodDown => {
            let s = held.stand_down.ok_or_else(|| needs("a stand-down"))?;
            feed(Input::StandDown(s))?;
        }
    }
    if chart.leaf() != state {
        return Err(bad(format!(
            "the statechart ends in {}, not {state}",
            chart.leaf()
        )));
    }
    Ok(chart)
}
