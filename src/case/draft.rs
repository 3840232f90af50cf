//! The draft: its content, digests (memoised until the next `evolve`), the packet and status.

use super::*;

impl Case {
    /// The digest of the current assessment (`sha256:` + SHA-256 of its RFC 8785 form), which
    /// `set_lane` and `exclude_option` redirects must name: it binds a redirect to what its
    /// signer saw.
    pub fn assessment_digest(&self) -> Digest {
        self.memo
            .assessment_digest
            .get_or_init(|| digest_of(&self.assessment()))
            .clone()
    }

    /// The current draft, in any `open/deciding/*` state.
    pub fn draft(&self) -> Option<DraftPacket> {
        if !self.state().is_deciding() && self.state() != Leaf::Accepted {
            return None;
        }
        Some(self.build_draft())
    }

    /// The current draft's digest, in any `open/deciding/*` state.
    pub fn draft_digest(&self) -> Option<Digest> {
        self.digests().map(|(draft, _)| draft.clone())
    }

    /// The digest of the current draft's decision ([`Decision`](crate::packet::Decision)), in
    /// any `open/deciding/*` state: unchanged by findings that change only the evidence tail.
    pub fn decision_digest(&self) -> Option<Digest> {
        self.digests().map(|(_, decision)| decision.clone())
    }

    /// The draft and decision digests, computed once per state.
    fn digests(&self) -> Option<&(Digest, Digest)> {
        self.memo
            .draft_digests
            .get_or_init(|| self.draft().map(|d| (d.packet_digest, d.decision_digest)))
            .as_ref()
    }

    /// The accepted recommendation: `Some` only in `closed/accepted`. `journal` is where the
    /// acceptance — the case's last record, since a closed case takes nothing more — sits in
    /// its journal; the packet carries it so that a relying party can detect a rollback.
    pub fn packet(&self, journal: crate::packet::JournalRef) -> Option<RecommendationPacket> {
        let acceptance = self.chart.acceptance()?;
        let by = acceptance.approval().issuer().clone();
        Some(RecommendationPacket::new(self.build_draft(), by, journal))
    }

    /// A summary for `status`.
    pub fn status(&self) -> Status {
        let a = self.assessment();
        Status {
            case_id: self.id().clone(),
            state: self.state(),
            path: self.path(),
            revision: self.revision,
            recommended_lane: self.recommended_lane().clone(),
            draft_digest: self.draft_digest(),
            decision_digest: self.decision_digest(),
            assessment_digest: self.assessment_digest(),
            decision_owner: self.decision_owner(),
            signoffs: self.current_signoffs().count(),
            stable: a.stable,
            missing_required: a.missing_required,
            requested_evidence: self.requested.iter().cloned().collect(),
            findings: usize::try_from(self.evidence.count()).unwrap_or(usize::MAX),
            findings_since_acceptance: self.findings_since_acceptance(),
            lineage: (self.findings_since_acceptance() > 0).then(|| self.lineage_head()),
            reopened: self.reopened.clone(),
            awaiting: self.awaiting(),
            trust_digest: self.trust.digest().clone(),
            trust_history: self.chain.history.clone(),
            pending_amendments: self.pending_amendments(),
        }
    }

    pub(super) fn build_draft(&self) -> DraftPacket {
        let content = self.draft_content();
        let packet_digest = content
            .digest()
            .expect("draft content is plain JSON (string keys, integers, no floats) and always canonicalises");
        let decision_digest = content
            .decision()
            .digest()
            .expect("a decision is part of a draft's content and canonicalises as it does");
        self.draft_with(content, packet_digest, decision_digest)
    }

    /// The draft around `content` and its digests: the approvals and timings so far.
    fn draft_with(
        &self,
        content: DraftContent,
        packet_digest: Digest,
        decision_digest: Digest,
    ) -> DraftPacket {
        let approvals: Vec<ApprovalRecord> = self
            .approvals
            .iter()
            .zip(&self.versions)
            .map(|(r, &version)| ApprovalRecord {
                voided: self.voided_now(r, version),
                ..r.clone()
            })
            .collect();
        DraftPacket {
            content,
            approvals,
            stability: self.stability(),
            timings: Timings {
                declared_at: self.declared.at,
                first_draft_at: self.first_draft_at,
                reviewed_at: self.chart.quorum().map(Quorum::reached_at),
                accepted_at: self.chart.acceptance().map(Acceptance::at),
            },
            packet_digest,
            decision_digest,
            trust_in_force: (!self.chain.history.is_empty()).then(|| self.trust.digest().clone()),
            trust_history: self.chain.history.clone(),
        }
    }

    /// How stable the recommendation has been so far (DESIGN §15), with or without a draft:
    /// what every draft and packet carries as `stability`. A case that never had a draft put
    /// no decision to its owner: 0 revisions.
    pub fn stability(&self) -> crate::packet::Stability {
        let count = |keep: &dyn Fn(&ApprovalRecord, u64, bool) -> bool| {
            self.approvals
                .iter()
                .zip(&self.versions)
                .filter(|(r, v)| r.kind == "review" && keep(r, **v, self.voided_now(r, **v)))
                .count() as u64
        };
        crate::packet::Stability {
            revisions: if self.version == 0 {
                0
            } else {
                self.prior.len() as u64 + 1
            },
            lane_changes: self.lane_history.len() as u64 - 1,
            decision_changes_while_in_review: self.changes_in_review,
            carried_signoffs: count(&|r, v, voided| {
                !voided && r.revision == Some(self.revision) && v < self.version
            }),
            voided_signoffs: count(&|_, _, voided| voided),
        }
    }

    /// Whether approval `r`, which named draft version `version`, is voided as of now.
    fn voided_now(&self, r: &ApprovalRecord, version: u64) -> bool {
        living::is_voided(r, version, &self.epoch, self.accepted_floor)
    }

    /// The draft's content: what reviewers sign.
    pub(super) fn draft_content(&self) -> DraftContent {
        self.content_with(self.draft_evidence())
    }

    /// The draft's content over `evidence`: the current draft's over the case's evidence, an
    /// earlier version's of the epoch over that version's (only the evidence tail differs).
    pub(super) fn content_with(&self, evidence: &Evidence) -> DraftContent {
        let facts = evidence
            .resolved()
            .iter()
            .map(|(k, r)| {
                let sensitivity = self
                    .workflow
                    .fact(k)
                    .map_or(crate::workflow::Sensitivity::General, |d| d.sensitivity);
                (
                    k.clone(),
                    FactEntry {
                        value: r.value.clone(),
                        disputed: r.disputed,
                        sensitivity,
                    },
                )
            })
            .collect();
        let Assessment {
            recommended_lane,
            lanes,
            options,
            pending,
            stable,
            missing_required,
            ready_for_review: _,
        } = assess_in(&self.workflow, evidence, &self.lanes);
        DraftContent {
            case_id: self.id().clone(),
            revision: self.revision,
            workflow: WorkflowRef {
                id: self.workflow.id().to_owned(),
                digest: self.workflow.digest().clone(),
            },
            workflow_digest: self.workflow.digest().clone(),
            trust_digest: self.root_trust.digest().clone(),
            declared: self.declared.clone(),
            recommended_lane,
            lanes,
            options,
            pending,
            stable,
            missing_required,
            decision_owner: self.decision_owner(),
            lane_history: self.lane_history.clone(),
            facts,
            lineage: evidence.lineage(),
            delegations: self.delegations.clone(),
            redirects: self.redirects.clone(),
            excluded_options: self.lanes.excluded.iter().cloned().collect(),
            reopened: self.reopened.clone(),
            prior_revisions: self.prior.clone(),
        }
    }
}

/// `sha256:` + SHA-256 of an assessment's RFC 8785 form.
pub(super) fn digest_of(assessment: &Assessment) -> Digest {
    Digest::of_canonical(assessment)
        .expect("an assessment is plain JSON (string keys, integers, no floats)")
}
