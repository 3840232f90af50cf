//! Evolving: an event applied to the state it was decided against, and the statechart fed.

use super::*;

impl Case {
    /// Applies an event made by [`decide`](Case::decide) on this case in its current state.
    /// Deterministic; the only refusal is [`StaleEvent`], for an event decided against another
    /// state (a stale clone of the case, or before other events were applied) or another case.
    pub fn evolve(&mut self, event: Event) -> Result<(), StaleEvent> {
        let here = Basis {
            case: self.id().clone(),
            applied: self.applied,
        };
        if event.basis != here {
            return Err(StaleEvent {
                decided_case: event.basis.case,
                decided_at: event.basis.applied,
                case: here.case,
                case_at: here.applied,
            });
        }
        self.applied += 1;
        // A decision changes neither the evidence nor the epoch: the draft version a token
        // named (found by `decide`) is still the one it names.
        let named = self.memo.named.take();
        self.memo = Memo::default();
        if let (EventKind::Decision { .. }, Some(named)) = (&event.kind, named) {
            let _ = self.memo.named.set(named);
        }
        let at = event.recorded_at;
        self.last_at = at;
        match event.kind {
            EventKind::Finding(f) => {
                let fact = f.fact.clone();
                let agent = f.agent.id.clone();
                let before = self.evidence.resolved().get(&fact).cloned();
                let repeats = before.as_ref().is_some_and(|r| r.value == f.value);
                if let Some(def) = self.workflow.fact(&f.fact) {
                    self.evidence.record(def, f);
                }
                // A repeat of the resolved value that left the resolution as it was changes
                // only the evidence tail (see `Case::same_decision`).
                let tail_only = repeats && self.evidence.resolved().get(&fact) == before.as_ref();
                self.requested.remove(&fact);
                let index =
                    usize::try_from(self.evidence.count().saturating_sub(1)).unwrap_or(usize::MAX);
                self.ratchet(at, |rules| LaneCause::Finding {
                    index,
                    fact,
                    agent,
                    rules,
                });
                self.settle_finding(at, tail_only);
            }
            EventKind::Decision { approval, .. } => self.apply_decision(at, approval),
        }
        Ok(())
    }

    /// Feeds the statechart. `evolve` only applies events decided against this very state
    /// (the basis check), and `decide` asked the same table, so the machine always takes it: a
    /// refusal here is a bug, never an input to ignore.
    pub(super) fn dispatch(&mut self, input: Input) {
        let kind = input.kind();
        let from = self.state();
        assert!(
            self.chart.dispatch(input),
            "the statechart refused {kind:?} in {from}, which decide allowed"
        );
    }

    pub(super) fn apply_decision(&mut self, at: DateTime<Utc>, approval: AnyApproval) {
        self.seen_jti.insert(approval.jti().to_owned());
        match approval {
            AnyApproval::Declare(_) => {}
            AnyApproval::Delegate(a) => {
                self.keep(&a, DecisionKind::Delegate, at, None);
                let d = a.decision();
                self.delegations.push(DelegationRecord {
                    lane: d.lane.clone(),
                    to: d.to.clone(),
                    until: d.until,
                    by: a.issuer().clone(),
                    at,
                });
                self.settle(at, Revision::Delegation(Arc::new(a)));
            }
            AnyApproval::Redirect(a) => {
                self.keep(&a, DecisionKind::Redirect, at, None);
                self.apply_redirect(at, &a);
                self.settle(at, Revision::Redirect(Arc::new(a)));
            }
            AnyApproval::Review(a) => {
                let (version, signed) = self.approved(&a.decision().packet_digest);
                self.keep_signed(&a, DecisionKind::Review, at, version, signed);
                self.signoffs.push(SignOff {
                    issuer: a.issuer().clone(),
                    kid: a.kid().clone(),
                    version,
                });
                let quorum = self
                    .quorum_signers()
                    .map(|signers| Quorum::new(self.version, signers, at));
                self.dispatch(Input::SignOff {
                    review: Arc::new(a),
                    quorum,
                });
            }
            AnyApproval::Accept(a) => {
                let (version, signed) = self.approved(&a.decision().packet_digest);
                self.keep_signed(&a, DecisionKind::Accept, at, version, signed);
                self.dispatch(Input::Accept(Acceptance::new(a, at)));
                self.keep_accepted();
            }
            AnyApproval::StandDown(a) => {
                self.keep(&a, DecisionKind::StandDown, at, None);
                self.dispatch(Input::StandDown(Arc::new(a)));
            }
            AnyApproval::AmendTrust(a) => self.apply_amendment(at, a),
        }
    }

    pub(super) fn apply_redirect(&mut self, at: DateTime<Utc>, a: &Approval<Redirect>) {
        let r = a.decision();
        self.redirects.push(RedirectRecord {
            by: a.issuer().clone(),
            at,
            redirect: r.clone(),
            token_digest: a.token_digest().clone(),
        });
        match &r.action {
            RedirectAction::RequestEvidence { facts } => {
                self.requested.extend(facts.iter().cloned());
            }
            RedirectAction::ExcludeOption { option, .. } => {
                self.lanes.excluded.insert(option.clone());
            }
            RedirectAction::SetLane { lane, .. } => {
                let rank = self.rank(lane);
                // Triggers now true on lanes above the chosen one were weighed by the redirecting
                // owner: they no longer raise the lane. New triggers still do.
                let assessment_facts = &self.evidence;
                let acknowledged: Vec<_> = self
                    .workflow
                    .lanes()
                    .iter()
                    .filter(|l| l.rank > rank)
                    .flat_map(|l| l.triggers.iter())
                    .filter(|t| t.rule.eval(assessment_facts) == Truth::True)
                    .map(|t| t.id.clone())
                    .collect();
                self.lanes.acknowledged.extend(acknowledged);
                self.set_floor(at, lane.clone(), "redirect", || LaneCause::Redirect {
                    by: a.issuer().clone(),
                    token_digest: a.token_digest().clone(),
                    reason: r.reason.clone(),
                });
            }
        }
    }

    /// Floors the lane at `lane` (the reason named `rule`) and records the change of the
    /// recommended lane this makes, if any, with its `cause`.
    pub(super) fn set_floor(
        &mut self,
        at: DateTime<Utc>,
        lane: LaneId,
        rule: &str,
        cause: impl FnOnce() -> LaneCause,
    ) {
        self.lanes.floor = Some(Floor {
            lane: lane.clone(),
            reasons: vec![Reason {
                rule: rule.into(),
                lane,
                facts: Vec::new(),
            }],
        });
        let from = self.recommended_lane().clone();
        let to = self.assessment().recommended_lane;
        if to != from {
            self.lane_history.push(LaneChange {
                at,
                from: Some(from),
                to,
                cause: cause(),
            });
        }
    }

    /// The escalation ratchet: when the lane rises, the floor follows it, so that findings can
    /// never lower the lane later. Cheap: no full assessment. The cause names the new lane's
    /// true triggers: none of them was true before, or the lane would already have been there.
    pub(super) fn ratchet(
        &mut self,
        at: DateTime<Utc>,
        cause: impl FnOnce(Vec<RuleId>) -> LaneCause,
    ) {
        let workflow = Arc::clone(&self.workflow);
        let (lane, true_rules) = recommend(&workflow, &self.evidence, &self.lanes);
        let from = self.recommended_lane().clone();
        if lane.rank <= self.rank(&from) {
            return;
        }
        let reasons: Vec<Reason> = lane
            .triggers
            .iter()
            .filter(|t| true_rules.contains(&&t.id))
            .map(|t| Reason {
                rule: t.id.clone(),
                lane: lane.id.clone(),
                facts: t.rule.facts().into_iter().cloned().collect(),
            })
            .collect();
        let rules = true_rules.into_iter().cloned().collect();
        self.lanes.floor = Some(Floor {
            lane: lane.id.clone(),
            reasons,
        });
        self.lane_history.push(LaneChange {
            at,
            from: Some(from),
            to: lane.id.clone(),
            cause: cause(rules),
        });
    }

    /// True when a draft can be reviewed: every required fact is known and no evidence a
    /// redirect asked for is outstanding.
    pub(super) fn ready(&self) -> bool {
        self.requested.is_empty()
            && self
                .workflow
                .required_before_review()
                .iter()
                .all(|f| self.evidence.resolved().contains_key(f))
    }

    /// After the draft's content changed: a new draft version when a reviewable draft exists,
    /// else back to gathering. The new version starts a decision epoch, voiding the sign-offs
    /// of the old one.
    pub(super) fn settle(&mut self, at: DateTime<Utc>, by: Revision) {
        let ready = self.ready();
        if matches!(self.state(), Leaf::InReview | Leaf::AwaitingAcceptance) {
            self.changes_in_review += 1;
        }
        self.dispatch(Input::Revise { ready, by });
        if ready {
            self.new_version(at);
        }
    }

    /// After a finding: in `closed/accepted`, kept or reopening (see [`Case::after_acceptance`]);
    /// under `carry_over: "decision_unchanged"`, a new version of the current epoch when the
    /// decision is the epoch's (DESIGN §15); else as any change ([`Case::settle`]).
    fn settle_finding(&mut self, at: DateTime<Utc>, tail_only: bool) {
        if self.accepted.is_some() {
            return self.after_acceptance(at, tail_only);
        }
        if self.carries()
            && self.state().is_deciding()
            && self.ready()
            && self.same_decision(tail_only)
        {
            return self.carry_version();
        }
        self.settle(at, Revision::Finding);
    }

    /// A new draft version, starting a decision epoch. Under `never` the revision is the
    /// version; under `decision_unchanged` it is 1 from the first draft until a reopening.
    pub(super) fn new_version(&mut self, at: DateTime<Utc>) {
        self.version += 1;
        if !self.carries() {
            self.revision = self.version;
        } else if self.revision == 0 {
            self.revision = 1;
        }
        self.first_draft_at.get_or_insert(at);
        self.memo = Memo::default();
        self.start_epoch();
    }

    /// The draft version an applied review or acceptance approved and, under
    /// `decision_unchanged`, the draft it named (`decide` checked it names one). Under `never`
    /// it named the current draft: no digest is computed again here.
    fn approved(&self, digest: &Digest) -> (u64, Option<crate::packet::SignedDraft>) {
        if !self.carries() {
            return (self.version, None);
        }
        let (signed, version) = self
            .named_draft(digest)
            .expect("decide checked that the approval names a draft of the epoch");
        (version, Some(signed))
    }
}

impl Case {
    /// Keeps an applied approval: its record, and its token, which a snapshot re-verifies.
    pub(super) fn keep<D>(
        &mut self,
        a: &Approval<D>,
        kind: DecisionKind,
        at: DateTime<Utc>,
        revision: Option<u64>,
    ) {
        self.approvals.push(record(a, kind, at, revision));
        self.tokens.push(a.token().to_owned());
        self.versions.push(0);
    }

    /// Keeps an applied review or acceptance with the revision and draft version it approved
    /// and, under `decision_unchanged`, the draft it named (under `never` records are as
    /// before).
    fn keep_signed<D>(
        &mut self,
        a: &Approval<D>,
        kind: DecisionKind,
        at: DateTime<Utc>,
        version: u64,
        signed: Option<crate::packet::SignedDraft>,
    ) {
        let mut r = record(a, kind, at, Some(self.revision));
        r.signed = signed;
        self.approvals.push(r);
        self.tokens.push(a.token().to_owned());
        self.versions.push(version);
    }
}

pub(super) fn record<D>(
    a: &Approval<D>,
    kind: DecisionKind,
    at: DateTime<Utc>,
    revision: Option<u64>,
) -> ApprovalRecord {
    ApprovalRecord {
        issuer: a.issuer().clone(),
        kind: kind.as_str().to_owned(),
        at,
        token_digest: a.token_digest().clone(),
        revision,
        voided: false,
        voided_by: None,
        signed: None,
    }
}
