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
    /// The draft version, under `decision_unchanged` (under `never` it is the revision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    /// The draft version each approval named, under `decision_unchanged` (under `never` it is
    /// the record's revision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    versions: Vec<u64>,
    /// See `Case::accepted_floor`.
    #[serde(default, skip_serializing_if = "is_zero")]
    accepted_floor: u64,
    /// In `closed/accepted` once findings arrived since the acceptance: what it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accepted: Option<AcceptedImage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prior: Vec<crate::packet::PriorRevision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reopened: Option<crate::packet::Reopened>,
    #[serde(default, skip_serializing_if = "is_zero")]
    changes_in_review: u64,
    /// The journal seq of each trust amendment that took effect, oldest first, when the case
    /// knows them all (a writer and a replay both learn each before the next checkpoint). The
    /// amendments themselves are re-walked from the approvals' tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    trust_seqs: Vec<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The accepted revision once findings arrived after it (before, it is the case's evidence).
/// The journal record its packet names is not kept: a writer learns it only once its batch is
/// sealed, after the batch's checkpoint was computed, so a replay and the writer would commit
/// different states. A case opened from an image learns it again from the records it replays;
/// `authority-lane packet` always replays from record 0.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedImage {
    evidence: EvidenceImage,
    since: u64,
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
    first_version: u64,
    decision: Option<Digest>,
    /// The evidence of the oldest remembered version.
    base: EvidenceImage,
    /// The findings after it: each lineage entry's RFC 8785 text, as a string (a checkpoint
    /// digests the image on every interval; a string is escaped, not re-sorted).
    later: Vec<String>,
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
    /// The trust in force after the last approval, and the chain of amendments that led to
    /// it, re-walked from the root (DESIGN §16).
    trust: Option<(Arc<Trust>, super::amend::TrustChain)>,
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
                .map(|s| (s.issuer.clone(), s.kid.clone(), s.version))
                .collect(),
            seen_jti: self.seen_jti.clone(),
            last_at: self.last_at,
            first_draft_at: self.first_draft_at,
            applied: self.applied,
            quorum: self
                .chart
                .quorum()
                .map(|q| (q.revision(), q.signers().to_vec(), q.reached_at())),
            epoch: self.epoch_image(),
            version: self.carries().then_some(self.version),
            versions: if self.carries() {
                self.versions.clone()
            } else {
                Vec::new()
            },
            accepted_floor: self.accepted_floor,
            accepted: self
                .accepted
                .as_ref()
                .filter(|a| a.since > 0)
                .map(|a| AcceptedImage {
                    evidence: a.evidence.image(),
                    since: a.since,
                }),
            prior: self.prior.clone(),
            reopened: self.reopened.clone(),
            changes_in_review: self.changes_in_review,
            trust_seqs: self
                .chain
                .history
                .iter()
                .map(|c| c.seq)
                .collect::<Option<Vec<u64>>>()
                .unwrap_or_default(),
        }
    }

    /// The epoch as an image keeps it (`decision_unchanged` only).
    fn epoch_image(&self) -> Option<EpochImage> {
        let base = self.epoch.base.as_ref().filter(|_| self.carries())?;
        let first = base.count();
        Some(EpochImage {
            first_version: self.epoch.first_version,
            decision: self.epoch.decision.clone(),
            base: base.image(),
            later: (first..)
                .zip(&self.epoch.later)
                .map(|(index, finding)| {
                    let entry = crate::lineage::LineageEntry {
                        index,
                        finding: finding.clone(),
                    };
                    String::from_utf8(entry.canonical()).expect("RFC 8785 text is UTF-8")
                })
                .collect(),
        })
    }

    /// The case `image` describes, on top of `opened` — the case its journal's record 0 opens
    /// ([`Case::from_genesis`]) — with every token re-verified and the chart rebuilt from the
    /// verified approvals (see the module docs).
    pub(crate) fn from_image(opened: Case, image: CaseImage) -> Result<Case, ImageError> {
        let mut case = opened;
        let evidence = Evidence::from_image(image.evidence, &case.workflow).map_err(bad)?;
        let mut held = case.verify_held(&image.approvals, &image.seen_jti)?;
        if let Some((trust, chain)) = held.trust.take() {
            case.trust = trust;
            case.chain = chain.sealed();
        }
        if !image.trust_seqs.is_empty() {
            if image.trust_seqs.len() != case.chain.history.len() {
                return Err(bad("a journal seq for each trust amendment in effect"));
            }
            for (c, seq) in case.chain.history.iter_mut().zip(&image.trust_seqs) {
                c.seq = Some(*seq);
            }
        }
        for (issuer, kid, _) in &image.signoffs {
            if !held.reviews.iter().any(|(i, k, _)| i == issuer && k == kid) {
                return Err(bad(format!("a sign-off by {issuer} has no review token")));
            }
        }
        let (approvals, tokens): (Vec<ApprovalRecord>, Vec<String>) =
            image.approvals.into_iter().unzip();
        case.evidence = evidence;
        case.lanes = image.lanes;
        case.lane_history = image.lane_history;
        case.delegations = image.delegations;
        case.redirects = image.redirects;
        case.requested = image.requested;
        // Counters past 2^53 - 1 could not be written into the next checkpoint (RFC 7493
        // numbers, as every journal line holds): no case reaches them, so an image holding one
        // is refused here rather than restored into a case whose next checkpoint fails.
        let safe = crate::digest::MAX_SAFE_INTEGER;
        if image.revision > safe
            || image.version.is_some_and(|v| v > safe)
            || image.versions.iter().any(|v| *v > safe)
        {
            return Err(bad("a revision or draft version beyond 2^53 - 1"));
        }
        case.revision = image.revision;
        case.version = match (case.carries(), image.version) {
            (false, None) => image.revision,
            (true, Some(v)) if v >= image.revision => v,
            _ => return Err(bad("the draft version does not match carry_over")),
        };
        case.versions = if case.carries() {
            image.versions
        } else {
            approvals_versions(&approvals)
        };
        if case.versions.len() != approvals.len() {
            return Err(bad("a draft version for each approval"));
        }
        case.approvals = approvals;
        case.tokens = tokens;
        case.signoffs = image
            .signoffs
            .into_iter()
            .map(|(issuer, kid, version)| SignOff {
                issuer,
                kid,
                version,
            })
            .collect();
        case.accepted_floor = image.accepted_floor;
        case.prior = image.prior;
        case.reopened = image.reopened;
        case.changes_in_review = image.changes_in_review;
        case.seen_jti = image.seen_jti;
        case.last_at = image.last_at;
        case.first_draft_at = image.first_draft_at;
        case.applied = image.applied;
        case.memo = Memo::default();
        let quorum = image
            .quorum
            .map(|(revision, signers, at)| Quorum::new(revision, signers, at));
        case.chart = chart_for(image.state, held, quorum)?;
        case.accepted = match (image.state, image.accepted) {
            (Leaf::Accepted, None) => Some(case.accepted_now(case.evidence.clone())),
            (Leaf::Accepted, Some(a)) => {
                let evidence = Evidence::from_image(a.evidence, &case.workflow).map_err(bad)?;
                if evidence.count() > case.evidence.count() || a.since == 0 {
                    return Err(bad("the accepted evidence is not a prefix of the case's"));
                }
                let mut accepted = case.accepted_now(evidence);
                // The findings since changed no decision: the case's evidence decides as the
                // accepted evidence does.
                if case.content_with(&case.evidence).decision() != accepted.decided {
                    return Err(bad("findings since the acceptance changed its decision"));
                }
                accepted.since = a.since;
                Some(accepted)
            }
            (_, None) => None,
            (_, Some(_)) => return Err(bad("an accepted revision outside closed/accepted")),
        };
        case.epoch = case.epoch_from(image.epoch)?;
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
        // Each token is verified against the trust in force at its place in the order applied:
        // the root, then each amendment as its quorum completes.
        let mut trust = Arc::clone(&self.root_trust);
        let mut chain = super::amend::TrustChain::default();
        for (record, token) in rest {
            let ctx = VerifyContext {
                case_id: Some(self.id()),
                at: record.at,
                max_lifetime_secs: self.workflow.review().max_token_lifetime_secs,
            };
            let a = verify(token, &trust, &ctx).map_err(|e| {
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
                AnyApproval::AmendTrust(a) => {
                    chain.check(&trust, &a, record.at).map_err(|e| {
                        bad(format!("an amendment by {} is refused: {e}", record.issuer))
                    })?;
                    if let Some(new) = chain.sign(&trust, &a, record.at) {
                        trust = new;
                    }
                }
            }
        }
        held.trust = Some((trust, chain));
        Ok(held)
    }
}

impl Case {
    /// The epoch an image describes: under `never` the current version's; under
    /// `decision_unchanged` its base and later findings, which must replay to the evidence the
    /// draft shows (in `closed/accepted`, what the acceptance saw).
    fn epoch_from(&self, image: Option<EpochImage>) -> Result<Epoch, ImageError> {
        let e = match (self.carries(), image) {
            // Under `decision_unchanged` the first draft starts the first epoch.
            (carries, None) if !carries || self.version == 0 => {
                return Ok(Epoch {
                    first_version: self.version,
                    ..Epoch::default()
                });
            }
            (true, Some(e)) => e,
            (false, Some(_)) => return Err(bad("an epoch under carry_over \"never\"")),
            (_, None) => {
                return Err(bad(
                    "no decision epoch under carry_over \"decision_unchanged\"",
                ));
            }
        };
        let invalid = || bad("the decision epoch is not one a case could hold");
        let mut evidence = Evidence::from_image(e.base, &self.workflow).map_err(bad)?;
        let base = evidence.clone();
        let mut later = std::collections::VecDeque::new();
        for text in e.later {
            let value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            let entry =
                crate::lineage::LineageEntry::from_image(value, &self.workflow).map_err(bad)?;
            let def = self
                .workflow
                .fact(&entry.finding.fact)
                .ok_or_else(invalid)?;
            if entry.index != evidence.count() {
                return Err(invalid());
            }
            evidence.record(def, entry.finding.clone());
            later.push_back(entry.finding);
        }
        let later_versions = later.len() as u64;
        // In `gathering` findings arrived since the epoch's last draft (its versions are not
        // nameable there; the next draft starts a new epoch); elsewhere they replay to the
        // evidence the draft shows.
        let replays = self.state() == Leaf::Gathering
            || (evidence.count() == self.draft_evidence().count()
                && evidence.root() == self.draft_evidence().root());
        if later.len() >= EPOCH_DRAFTS
            || later_versions > self.version
            || e.first_version > self.version - later_versions
            || !replays
        {
            return Err(invalid());
        }
        Ok(Epoch {
            first_version: e.first_version,
            decision: e.decision,
            decided: None,
            base: Some(base),
            later,
        })
    }
}

/// Under `never`, the draft version each approval named: its revision.
fn approvals_versions(approvals: &[ApprovalRecord]) -> Vec<u64> {
    approvals.iter().map(|r| r.revision.unwrap_or(0)).collect()
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
