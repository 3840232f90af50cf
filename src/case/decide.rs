//! Deciding: a command checked against the workflow, the trust registry and the statechart.

use super::*;

impl Case {
    /// Validates a command at the time of record `now` and returns the events it causes.
    /// Pure: reads no clock, no disk, changes nothing.
    ///
    /// `now` is the writer's clock (DESIGN §12.3), never the submitter's: tokens, delegations
    /// and ordering are judged at it. It may not be earlier than the last record's time
    /// (`time_regression`), and the command's own `at` may not run ahead of it by more than the
    /// review policy's `max_clock_skew_secs` (`clock_skew`).
    pub fn decide(&self, command: &Command, now: DateTime<Utc>) -> Result<Vec<Event>, Rejection> {
        // A stood-down case takes nothing at all: one code for all of it. An accepted case
        // still records findings and trust amendments under `carry_over: "decision_unchanged"`
        // (DESIGN §15, §16; any other decision is `case_closed`, see `decide_decision`); under
        // `"never"` it takes nothing, as before.
        let takes_findings = self.carries() && self.chart.allows(InputKind::Carry);
        // Which decision a token carries is read here only to keep the order of refusals an
        // accepted case always had (`case_closed` first); `decide_decision` verifies it.
        let amends = |token: &str| {
            crate::approval::read_verified(token).is_some_and(|(_, claims)| {
                claims.decision.kind() == crate::approval::DecisionKind::AmendTrust
            })
        };
        let closed_to = match command {
            Command::Finding { .. } => !takes_findings,
            Command::Decision { token, .. } => !takes_findings || !amends(token),
        };
        if self.state().is_closed() && closed_to {
            return Err(Rejection::CaseClosed {
                state: self.state(),
            });
        }
        if now < self.last_at {
            return Err(Rejection::TimeRegression {
                at: now,
                last: self.last_at,
            });
        }
        let skew = self.workflow.review().max_clock_skew_secs;
        if command.at() > crate::time::plus_secs(now, skew) {
            return Err(Rejection::ClockSkew {
                at: command.at(),
                recorded_at: now,
                max_skew_secs: skew,
            });
        }
        let event = |kind| Event {
            kind,
            recorded_at: now,
            basis: Basis {
                case: self.id().clone(),
                applied: self.applied,
            },
        };
        match command {
            Command::Finding { at, agent, finding } => self
                .decide_finding(*at, agent, finding)
                .map(|f| vec![event(EventKind::Finding(f))]),
            Command::Decision { at, token } => self
                .decide_decision(now, token)
                .map(|approval| vec![event(EventKind::Decision { at: *at, approval })]),
        }
    }

    /// Whether the statechart takes an input of `kind` in the current state (the table, as the
    /// machine dispatches it), else `not_allowed_in_state` naming what the state accepts.
    pub(super) fn allowed(&self, kind: InputKind, command: &str) -> Result<(), Rejection> {
        if self.chart.allows(kind) {
            return Ok(());
        }
        Err(Rejection::NotAllowedInState {
            state: self.state(),
            path: self.path(),
            command: command.to_owned(),
            accepts: machine::accepted_commands(self.state()),
        })
    }

    pub(super) fn decide_finding(
        &self,
        at: DateTime<Utc>,
        agent: &Agent,
        input: &FindingInput,
    ) -> Result<Finding, Rejection> {
        for (what, text, limit) in [
            ("the agent role", agent.role.as_str(), limits::ID_BYTES),
            ("the agent id", agent.id.as_str(), limits::ID_BYTES),
            ("the fact", input.fact.as_str(), limits::ID_BYTES),
            (
                "source.system",
                input.source.system.as_str(),
                limits::ID_BYTES,
            ),
            (
                "source.record",
                input.source.record.as_str(),
                limits::ID_BYTES,
            ),
            (
                "the note",
                input.note.as_deref().unwrap_or_default(),
                limits::NOTE_BYTES,
            ),
        ] {
            bounded(what, text, limit)?;
        }
        let def = self.workflow.fact(&input.fact).ok_or_else(|| {
            crate::workflow::FactError::UnknownFact {
                fact: input.fact.clone(),
            }
        })?;
        if agent.role != def.submitted_by {
            return Err(Rejection::RoleNotPermitted {
                role: agent.role.clone(),
                fact: input.fact.clone(),
                allowed: def.submitted_by.clone(),
            });
        }
        let value = self.workflow.parse_fact(&input.fact, &input.value)?;
        // `open` takes a revision whether or not it makes the draft reviewable; `accepted` a
        // finding whether or not it reopens the case.
        if !self.chart.allows(InputKind::Carry) {
            self.allowed(InputKind::Revise { ready: true }, "finding")?;
        }
        Ok(Finding {
            fact: input.fact.clone(),
            value,
            agent: agent.clone(),
            source: input.source.clone(),
            note: input.note.clone(),
            at,
            sensitivity: def.sensitivity,
        })
    }

    pub(super) fn decide_decision(
        &self,
        at: DateTime<Utc>,
        token: &str,
    ) -> Result<AnyApproval, Rejection> {
        // An accepted case takes findings and trust amendments only (DESIGN §15, §16): `decide`
        // refused any other token there; an amendment's refusals are its own.
        bounded("the token", token, limits::TOKEN_BYTES)?;
        let ctx = VerifyContext {
            case_id: Some(self.id()),
            at,
            max_lifetime_secs: self.workflow.review().max_token_lifetime_secs,
        };
        self.check_not_compromised(token)?;
        let approval = verify(token, &self.trust, &ctx)?;
        if self.state().is_closed() && !matches!(approval, AnyApproval::AmendTrust(_)) {
            return Err(Rejection::CaseClosed {
                state: self.state(),
            });
        }
        if self.seen_jti.contains(approval.jti()) {
            return Err(Rejection::ReplayedToken {
                jti: approval.jti().to_owned(),
            });
        }
        match &approval {
            AnyApproval::Declare(_) => self.allowed(InputKind::Declare, "declare")?,
            AnyApproval::Delegate(a) => self.check_delegate(a, at)?,
            AnyApproval::Review(a) => self.check_review(a)?,
            AnyApproval::Accept(a) => self.check_accept(a, at)?,
            AnyApproval::Redirect(a) => self.check_redirect(a, at)?,
            AnyApproval::AmendTrust(a) => self.chain.check(&self.trust, a, at)?,
            AnyApproval::StandDown(a) => {
                self.allowed(InputKind::StandDown, "stand_down")?;
                let role = &self.workflow.review().command_role;
                if !self.trust.has_role(a.issuer(), role) {
                    return Err(Rejection::NotAuthorized {
                        issuer: a.issuer().clone(),
                        action: "stand the case down".into(),
                        needed: Needed::Role(role.clone()),
                    });
                }
            }
        }
        Ok(approval)
    }
}
