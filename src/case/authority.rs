//! Authority: who owns which lane, who may review, accept, delegate and redirect, and the
//! review quorum.

use super::*;

impl Case {
    pub(super) fn lane(&self, id: &LaneId) -> Option<&Lane> {
        self.workflow.lane(id)
    }

    pub(super) fn rank(&self, id: &LaneId) -> u32 {
        self.lane(id).map_or(0, |l| l.rank)
    }

    /// True when `who` owns `lane` at `at`: holds its role, or has a delegation of it that is
    /// unexpired at `at`. The one ownership rule `decide` applies (and a harness may ask).
    pub fn owns(&self, who: &PrincipalId, lane: &LaneId, at: DateTime<Utc>) -> bool {
        let holds = self
            .lane(lane)
            .is_some_and(|l| self.trust.has_role(who, &l.holder_role));
        holds
            || self
                .delegations
                .iter()
                .any(|d| &d.lane == lane && &d.to == who && at < d.until)
    }

    /// The highest lane the case has reached (the lane a `set_lane` lowering is judged
    /// against).
    pub fn max_lane(&self) -> &LaneId {
        self.lane_history
            .iter()
            .map(|c| &c.to)
            .max_by_key(|l| self.rank(l))
            .unwrap_or_else(|| self.recommended_lane())
    }

    pub(super) fn check_delegate(
        &self,
        a: &Approval<crate::approval::Delegate>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        self.allowed(InputKind::Revise { ready: true }, "delegate")?;
        let d = a.decision();
        let deny = |needed: Needed| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: format!("delegate `{}` to {}", d.lane, d.to),
            needed,
        };
        let lane = self
            .lane(&d.lane)
            .ok_or_else(|| deny(Needed::UnknownLane(d.lane.clone())))?;
        if !self.trust.has_role(a.issuer(), &lane.holder_role) {
            return Err(deny(Needed::LaneHolderToLend {
                role: lane.holder_role.clone(),
            }));
        }
        if self.trust.principal(&d.to).is_none() {
            return Err(deny(Needed::UnknownPrincipal(d.to.clone())));
        }
        if &d.to == a.issuer() {
            return Err(deny(Needed::AnotherPrincipal));
        }
        if d.until <= at {
            return Err(deny(Needed::EndAfterGiven { until: d.until, at }));
        }
        let longest = self.workflow.review().max_delegation_secs;
        let latest = crate::time::plus_secs(at, longest);
        if d.until > latest {
            return Err(deny(Needed::ShorterDelegation {
                longest_secs: longest,
                until: d.until,
                latest,
            }));
        }
        Ok(())
    }

    pub(super) fn current_signoffs(&self) -> impl Iterator<Item = &SignOff> {
        self.signoffs
            .iter()
            .filter(move |s| s.version >= self.epoch.first_version)
    }

    pub(super) fn check_review(
        &self,
        a: &Approval<crate::approval::Review>,
    ) -> Result<(), Rejection> {
        // A state that takes a sign-off takes it whether or not it completes the quorum.
        self.allowed(InputKind::SignOff { quorum: false }, "review")?;
        let policy = self.workflow.review();
        if !policy
            .required_roles
            .iter()
            .any(|r| self.trust.has_role(a.issuer(), r))
        {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: "sign off the draft".into(),
                needed: Needed::ReviewerRole(policy.required_roles.clone()),
            });
        }
        self.check_digest(&a.decision().packet_digest)?;
        // Exactly the policy's set: each required attestation once, nothing else.
        let attests = &a.decision().attests;
        let missing: Vec<String> = policy
            .attestations
            .iter()
            .filter(|att| !attests.contains(att))
            .map(|att| att.to_string())
            .collect();
        let unexpected: Vec<String> = attests
            .iter()
            .enumerate()
            .filter(|(i, att)| !policy.attestations.contains(att) || attests[..*i].contains(att))
            .map(|(_, att)| att.to_string())
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(Rejection::MissingAttestation {
                issuer: a.issuer().clone(),
                missing,
                unexpected,
                expected: policy.attestations.iter().map(|a| a.to_string()).collect(),
            });
        }
        if self
            .current_signoffs()
            .any(|s| &s.issuer == a.issuer() || &s.kid == a.kid())
        {
            return Err(Rejection::DuplicateApprover {
                issuer: a.issuer().clone(),
                kid: a.kid().clone(),
            });
        }
        Ok(())
    }

    pub(super) fn check_digest(&self, got: &Digest) -> Result<(), Rejection> {
        let expected = self
            .draft_digest()
            .ok_or_else(|| Rejection::NotAllowedInState {
                state: self.state(),
                path: self.path(),
                command: "an approval of a draft".into(),
                accepts: machine::accepted_commands(self.state()),
            })?;
        match self.named_draft(got) {
            Some(_) => Ok(()),
            None => Err(Rejection::StaleApproval {
                expected,
                got: got.clone(),
            }),
        }
    }

    /// True when sign-offs survive findings that leave the decision unchanged (DESIGN §15).
    pub(super) fn carries(&self) -> bool {
        self.workflow.review().carry_over == crate::workflow::CarryOver::DecisionUnchanged
    }

    /// The lineage's count and root now.
    pub(super) fn lineage_head(&self) -> crate::lineage::proof::LineageHead {
        epoch::head_of(&self.evidence)
    }

    pub(super) fn check_accept(
        &self,
        a: &Approval<crate::approval::Accept>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        self.allowed(InputKind::Accept, "accept")?;
        let d = a.decision();
        let recommended = self.recommended_lane();
        if &d.lane != recommended {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: format!("accept for `{}`", d.lane),
                needed: Needed::RecommendedLane {
                    recommended: recommended.clone(),
                },
            });
        }
        if !self.owns(a.issuer(), recommended, at) {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: format!("accept for `{recommended}`"),
                needed: Needed::LaneOwnerAt {
                    lane: recommended.clone(),
                    at,
                },
            });
        }
        self.check_digest(&d.packet_digest)?;
        if self.workflow.review().separation_of_duties
            && self.current_signoffs().any(|s| &s.issuer == a.issuer())
        {
            return Err(Rejection::SeparationOfDuties {
                issuer: a.issuer().clone(),
            });
        }
        Ok(())
    }

    pub(super) fn check_redirect(
        &self,
        a: &Approval<Redirect>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        self.allowed(InputKind::Revise { ready: true }, "redirect")?;
        let r = a.decision();
        let deny = |action: &str, needed: Needed| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: action.to_owned(),
            needed,
        };
        // True when the issuer owns (holds, or has an unexpired delegation of) a lane of at
        // least `rank`.
        let owns_rank = |rank: u32| {
            self.workflow
                .lanes()
                .iter()
                .filter(|l| l.rank >= rank)
                .any(|l| self.owns(a.issuer(), &l.id, at))
        };
        match &r.action {
            RedirectAction::RequestEvidence { facts } => {
                if let Some(f) = facts.iter().find(|f| self.workflow.fact(f).is_none()) {
                    return Err(crate::workflow::FactError::UnknownFact { fact: f.clone() }.into());
                }
                let command_role = &self.workflow.review().command_role;
                if !owns_rank(self.rank(self.recommended_lane()))
                    && !self.trust.has_role(a.issuer(), command_role)
                {
                    return Err(deny("request evidence", Needed::OwnerOrCommand));
                }
            }
            RedirectAction::ExcludeOption {
                option,
                assessment_digest,
            } => self.check_exclusion(a, option, assessment_digest, owns_rank)?,
            RedirectAction::SetLane {
                lane,
                assessment_digest,
            } => {
                if self.lane(lane).is_none() {
                    return Err(deny("set the lane", Needed::UnknownLane(lane.clone())));
                }
                self.signed_what_was_seen(assessment_digest)?;
                let max = self.max_lane();
                let max_lane = self.lane(max).expect("the case's lanes are the workflow's");
                if self.rank(lane) < max_lane.rank {
                    // Lowering below the case maximum is the holder's call alone.
                    if !self.trust.has_role(a.issuer(), &max_lane.holder_role) {
                        return Err(deny(
                            &format!("lower the lane to `{lane}`"),
                            Needed::MaximumLaneHolder {
                                lane: max.clone(),
                                role: max_lane.holder_role.clone(),
                            },
                        ));
                    }
                } else if !self.owns(a.issuer(), max, at) {
                    return Err(deny(
                        "set the lane",
                        Needed::MaximumLaneOwner { lane: max.clone() },
                    ));
                }
            }
        }
        Ok(())
    }

    /// `exclude_option`: bound to the assessment its signer saw; signed by an owner of the
    /// option's boundary lane or a higher one — and never below the recommended lane, so a lower
    /// lane cannot shrink a higher authority's options —; never the last option.
    pub(super) fn check_exclusion(
        &self,
        a: &Approval<Redirect>,
        option: &crate::ids::OptionId,
        signed: &Digest,
        owns_rank: impl Fn(u32) -> bool,
    ) -> Result<(), Rejection> {
        let deny = |needed: Needed| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: format!("exclude the option `{option}`"),
            needed,
        };
        let Some(def) = self.workflow.options().iter().find(|o| &o.id == option) else {
            return Err(deny(Needed::UnknownOption(option.clone())));
        };
        if self.lanes.excluded.contains(option) {
            return Err(deny(Needed::NotExcluded(option.clone())));
        }
        self.signed_what_was_seen(signed)?;
        let assessment = self.assessment();
        // The boundary the reader sees now; for an option not listed now, the highest lane its
        // boundary could name.
        let boundary_rank = match assessment.options.iter().find(|o| &o.id == option) {
            Some(listed) => self.rank(&listed.boundary_lane),
            None => match &def.boundary {
                crate::workflow::Boundary::Lane(l) => self.rank(l),
                crate::workflow::Boundary::Conditional { then, else_, .. } => {
                    self.rank(then).max(self.rank(else_))
                }
            },
        };
        let needed_rank = boundary_rank.max(self.rank(self.recommended_lane()));
        if !owns_rank(needed_rank) {
            let lane = self
                .workflow
                .lanes()
                .iter()
                .find(|l| l.rank == needed_rank)
                .map_or_else(|| format!("rank {needed_rank}"), |l| format!("`{}`", l.id));
            return Err(deny(Needed::OwnerOfBoundary { lane }));
        }
        if assessment.options.iter().all(|o| &o.id == option) {
            return Err(deny(Needed::AnotherOption));
        }
        Ok(())
    }

    /// A redirect is bound to the assessment its signer saw: `stale_approval` once it changed.
    pub(super) fn signed_what_was_seen(&self, signed: &Digest) -> Result<(), Rejection> {
        let expected = self.assessment_digest();
        if &expected == signed {
            Ok(())
        } else {
            Err(Rejection::StaleApproval {
                expected,
                got: signed.clone(),
            })
        }
    }

    /// The principals whose sign-offs count now, each once, in signing order.
    fn distinct_signers(&self) -> Vec<&PrincipalId> {
        let mut seen = BTreeSet::new();
        self.current_signoffs()
            .map(|s| &s.issuer)
            .filter(|p| seen.insert(*p))
            .collect()
    }

    /// The quorum on the current revision, if it is met: enough distinct principals, and every
    /// required role covered by a different signer.
    pub(super) fn quorum_signers(&self) -> Option<Vec<PrincipalId>> {
        let policy = self.workflow.review();
        let signers = self.distinct_signers();
        (signers.len() >= policy.quorum as usize
            && roles_coverable(&policy.required_roles, &signers, &self.trust))
        .then(|| signers.into_iter().cloned().collect())
    }

    /// What an open draft still waits for (`None` outside `open/deciding/*`).
    pub(super) fn awaiting(&self) -> Option<super::Awaiting> {
        if !self.state().is_deciding() {
            return None;
        }
        let policy = self.workflow.review();
        let signers = self.distinct_signers();
        // Greedy over the required roles finds a largest set the signers can cover, each by a
        // different signer (coverable sets form a transversal matroid); the rest are missing.
        let mut covered: Vec<RoleId> = Vec::new();
        let mut roles_to_sign = Vec::new();
        for role in &policy.required_roles {
            covered.push(role.clone());
            if !roles_coverable(&covered, &signers, &self.trust) {
                covered.pop();
                roles_to_sign.push(role.clone());
            }
        }
        let owner = self.decision_owner();
        let mut may_accept = owner.holders;
        for d in owner.delegates {
            if d.until > self.last_at && !may_accept.contains(&d.to) {
                may_accept.push(d.to);
            }
        }
        Some(super::Awaiting {
            quorum: policy.quorum,
            signoffs_to_quorum: u64::from(policy.quorum).saturating_sub(signers.len() as u64),
            roles_to_sign,
            attestations: policy.attestations.clone(),
            may_accept,
        })
    }

    pub(super) fn decision_owner(&self) -> DecisionOwner {
        let lane = self.recommended_lane().clone();
        let holders = self
            .lane(&lane)
            .map(|l| {
                self.trust
                    .file()
                    .principals
                    .iter()
                    .filter(|p| p.roles.contains(&l.holder_role))
                    .map(|p| p.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let delegates = self
            .delegations
            .iter()
            .filter(|d| d.lane == lane)
            .cloned()
            .collect();
        DecisionOwner {
            lane,
            holders,
            delegates,
        }
    }
}

/// Whether each required role can be assigned a different signer holding it.
pub(super) fn roles_coverable(roles: &[RoleId], signers: &[&PrincipalId], trust: &Trust) -> bool {
    pub(super) fn assign(
        roles: &[RoleId],
        signers: &[&PrincipalId],
        used: &mut Vec<bool>,
        trust: &Trust,
    ) -> bool {
        let Some((role, rest)) = roles.split_first() else {
            return true;
        };
        for (i, s) in signers.iter().enumerate() {
            if !used[i] && trust.has_role(s, role) {
                used[i] = true;
                if assign(rest, signers, used, trust) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    assign(roles, signers, &mut vec![false; signers.len()], trust)
}
