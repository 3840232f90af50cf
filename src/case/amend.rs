//! Trust amendments mid-case (DESIGN §16): the trust pinned in record 0 is the root, and later
//! trust is reached only through amendments a quorum of its own amendment-role holders signed
//! (TUF's root rotation, applied to one case). An amendment may declare keys compromised since
//! a time: every approval made with one at or after it is voided, and what rested on it —
//! sign-offs in the quorum, the acceptance, a delegation, a redirect — falls with it.
//!
//! The chain is rebuilt, never trusted: replay decides every signature again against the trust
//! in force at its time of record, and a snapshot's image re-walks the amendment tokens it holds
//! ([`TrustChain::check`] and [`TrustChain::sign`] are the one place both go through).

use super::*;
use crate::approval::{AmendTrust, Compromised, read_verified};
use crate::ids::KeyId;
use crate::packet::{ReopenCause, TrustChange, TrustGrant};
use std::collections::BTreeMap;

/// The amendments of a case beyond its root trust: those in effect, those collecting
/// signatures, and the keys declared compromised.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct TrustChain {
    /// Every amendment that took effect, oldest first.
    pub(super) history: Vec<TrustChange>,
    /// Amendments of the trust in force still short of their threshold: digest and signers.
    pending: Vec<(Digest, Vec<(PrincipalId, KeyId)>)>,
    /// Every key declared compromised so far.
    compromised: Vec<CompromisedKey>,
    /// The last amendment took effect in the record just applied, whose journal seq the case
    /// has not been told yet.
    unsealed: bool,
}

/// A key declared compromised, with its public key (so that the same key under another kid
/// is refused too) and the amendment that declared it.
#[derive(Debug, Clone, PartialEq)]
struct CompromisedKey {
    kid: KeyId,
    since: DateTime<Utc>,
    key: [u8; 32],
    amendment: Digest,
}

/// A signature still collecting toward an amendment, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PendingAmendment {
    /// The amendment digest its signers sign.
    pub amendment_digest: Digest,
    /// Who has signed it so far.
    pub signed_by: Vec<PrincipalId>,
    /// How many more distinct signers it needs.
    pub signatures_to_threshold: u64,
}

impl TrustChain {
    /// Checks one verified `amend_trust` signature against the trust in force `trust` at the
    /// time of record `at`: who may sign, what it amends, what the new trust would be.
    pub(super) fn check(
        &self,
        trust: &Trust,
        a: &Approval<AmendTrust>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        let d = a.decision();
        let Some(policy) = trust.amendment_policy() else {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: "amend the trust".into(),
                needed: Needed::AmendmentPolicy,
            });
        };
        if !trust.may_amend(a.issuer()) {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: "amend the trust".into(),
                needed: Needed::AmendmentRole(policy.roles.clone()),
            });
        }
        if &d.trust_digest_before != trust.digest() {
            return Err(Rejection::StaleAmendment {
                expected: trust.digest().clone(),
                got: d.trust_digest_before.clone(),
            });
        }
        let digest = d.digest();
        if let Some(done) = self.history.iter().find(|c| c.amendment_digest == digest) {
            return Err(Rejection::AmendmentApplied {
                digest,
                at: done.at,
            });
        }
        let own: Vec<&KeyId> = trust
            .principal(a.issuer())
            .map(|p| p.keys.iter().map(|k| &k.kid).collect())
            .unwrap_or_default();
        if let Some(c) = d.compromised.iter().find(|c| own.contains(&&c.kid)) {
            return Err(Rejection::SignerCompromised {
                issuer: a.issuer().clone(),
                kid: c.kid.clone(),
            });
        }
        if let Some((_, signers)) = self.pending.iter().find(|(p, _)| *p == digest)
            && signers.iter().any(|(p, k)| p == a.issuer() || k == a.kid())
        {
            return Err(Rejection::DuplicateApprover {
                issuer: a.issuer().clone(),
                kid: a.kid().clone(),
            });
        }
        self.check_new_trust(trust, d, at)
    }

    /// The amendment's compromised keys and its new trust document.
    fn check_new_trust(
        &self,
        trust: &Trust,
        d: &AmendTrust,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        let invalid = |reason: String| Err(Rejection::InvalidAmendment { reason });
        let mut declared = BTreeMap::new();
        for c in &d.compromised {
            let Some((_, key)) = trust.key(c.kid.as_str()) else {
                return invalid(format!(
                    "compromised kid {} is not a key of the trust in force",
                    c.kid
                ));
            };
            if c.since > at {
                return invalid(format!(
                    "compromised kid {} is declared compromised since {}, after the time of record {}",
                    c.kid,
                    crate::time::format(&c.since),
                    crate::time::format(&at)
                ));
            }
            if declared.insert(&c.kid, key.to_bytes()).is_some() {
                return invalid(format!("compromised kid {} is listed twice", c.kid));
            }
        }
        let new = match Trust::from_file(d.trust.clone()) {
            Ok(new) => new,
            Err(e @ crate::approval::TrustError::AmendmentsUnsatisfiable { .. }) => {
                return Err(Rejection::AmendmentLockout {
                    reason: e.to_string(),
                });
            }
            Err(e) => return invalid(format!("the new trust is not valid: {e}")),
        };
        if new.amendment_policy().is_none() {
            return Err(Rejection::AmendmentLockout {
                reason:
                    "the new trust declares no `amendments`, so it could never be amended again"
                        .into(),
            });
        }
        let compromised = self
            .compromised
            .iter()
            .map(|c| (&c.kid, c.key))
            .chain(declared.iter().map(|(k, v)| (*k, *v)));
        for (kid, key) in compromised {
            if let Some((found, _)) = new.key_bytes().find(|(k, b)| *k == kid || *b == key) {
                return Err(Rejection::CompromisedKeyReadmitted {
                    kid: found.clone(),
                    compromised: kid.clone(),
                });
            }
        }
        Ok(())
    }

    /// Counts one signature that [`check`](TrustChain::check) passed. When it completes the
    /// amendment's quorum, the amendment takes effect: its change is recorded, its keys are
    /// declared compromised, signatures of other amendments of the old trust lapse, and the
    /// new trust is returned.
    pub(super) fn sign(
        &mut self,
        trust: &Trust,
        a: &Approval<AmendTrust>,
        at: DateTime<Utc>,
    ) -> Option<Arc<Trust>> {
        let d = a.decision();
        let digest = d.digest();
        let threshold = trust.amendment_policy()?.threshold as usize;
        let i = match self.pending.iter().position(|(p, _)| *p == digest) {
            Some(i) => i,
            None => {
                self.pending.push((digest.clone(), Vec::new()));
                self.pending.len() - 1
            }
        };
        self.pending[i]
            .1
            .push((a.issuer().clone(), a.kid().clone()));
        if self.pending[i].1.len() < threshold {
            return None;
        }
        let (_, signers) = self.pending.swap_remove(i);
        self.pending.clear();
        let new = Trust::from_file(d.trust.clone())
            .expect("check refused an amendment whose new trust is not valid");
        for c in &d.compromised {
            let (_, key) = trust
                .key(c.kid.as_str())
                .expect("check refused a compromised kid the trust in force does not hold");
            self.compromised.push(CompromisedKey {
                kid: c.kid.clone(),
                since: c.since,
                key: key.to_bytes(),
                amendment: digest.clone(),
            });
        }
        let (added, removed) = (grants(&new, trust), grants(trust, &new));
        self.history.push(TrustChange {
            seq: None,
            at,
            amendment_digest: digest,
            trust_digest_before: trust.digest().clone(),
            trust_digest: new.digest().clone(),
            signed_by: signers.into_iter().map(|(p, _)| p).collect(),
            added,
            removed,
            compromised: d.compromised.clone(),
            reason: d.reason.clone(),
        });
        self.unsealed = true;
        Some(Arc::new(new))
    }

    /// The chain as rebuilt from a snapshot's tokens (the snapshot gives the seqs, when it
    /// has them).
    pub(super) fn sealed(mut self) -> TrustChain {
        self.unsealed = false;
        self
    }

    /// The declaration that voids an approval made with `kid` at `at`, if any.
    fn voiding(&self, kid: &KeyId, at: DateTime<Utc>) -> Option<&CompromisedKey> {
        self.compromised
            .iter()
            .find(|c| &c.kid == kid && at >= c.since)
    }

    /// The amendments collecting signatures, with what each still needs under `trust`.
    pub(super) fn pending(&self, trust: &Trust) -> Vec<PendingAmendment> {
        let threshold = trust.amendment_policy().map_or(0, |p| p.threshold as usize);
        self.pending
            .iter()
            .map(|(digest, signers)| PendingAmendment {
                amendment_digest: digest.clone(),
                signed_by: signers.iter().map(|(p, _)| p.clone()).collect(),
                signatures_to_threshold: threshold.saturating_sub(signers.len()) as u64,
            })
            .collect()
    }

    /// The keys declared compromised, each since a time.
    pub(super) fn compromised(&self) -> Vec<Compromised> {
        self.compromised
            .iter()
            .map(|c| Compromised {
                kid: c.kid.clone(),
                since: c.since,
            })
            .collect()
    }
}

/// What `from` grants that `other` does not, per principal: roles and key ids.
fn grants(from: &Trust, other: &Trust) -> Vec<TrustGrant> {
    from.file()
        .principals
        .iter()
        .filter_map(|p| {
            let theirs = other.principal(&p.id);
            let roles: Vec<RoleId> = p
                .roles
                .iter()
                .filter(|r| !theirs.is_some_and(|o| o.roles.contains(r)))
                .cloned()
                .collect();
            let kids: Vec<KeyId> = p
                .keys
                .iter()
                .filter(|k| !theirs.is_some_and(|o| o.keys.contains(k)))
                .map(|k| k.kid.clone())
                .collect();
            (!roles.is_empty() || !kids.is_empty() || theirs.is_none()).then(|| TrustGrant {
                principal: p.id.clone(),
                roles,
                kids,
            })
        })
        .collect()
}

/// What voiding a compromised key's approvals took away.
#[derive(Debug, Default)]
struct Voided {
    /// A sign-off that counted on the current draft.
    signoffs: bool,
    /// The acceptance of the current revision.
    acceptance: bool,
    /// A sign-off of the accepted revision's quorum.
    quorum: bool,
}

impl Case {
    /// The trust in force: the trust pinned in record 0, as amended since (DESIGN §16).
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Every trust amendment that took effect, oldest first.
    pub fn trust_history(&self) -> &[TrustChange] {
        &self.chain.history
    }

    /// Amendments of the trust in force still collecting signatures.
    pub fn pending_amendments(&self) -> Vec<PendingAmendment> {
        self.chain.pending(&self.trust)
    }

    /// Keys declared compromised by amendments so far.
    pub fn compromised_keys(&self) -> Vec<Compromised> {
        self.chain.compromised()
    }

    /// Tells the case the journal seq of the record it has just applied: a trust amendment
    /// that took effect in it is recorded with it.
    pub(crate) fn note_record_seq(&mut self, seq: u64) {
        if std::mem::take(&mut self.chain.unsealed)
            && let Some(last) = self.chain.history.last_mut()
        {
            last.seq = Some(seq);
        }
    }

    /// A token made with a key an amendment declared compromised is refused by name (the new
    /// trust no longer holds the key, so it would otherwise be an `unknown_key`).
    pub(super) fn check_not_compromised(&self, token: &str) -> Result<(), Rejection> {
        if self.chain.compromised.is_empty() {
            return Ok(());
        }
        let Some((Some(kid), _)) = read_verified(token) else {
            return Ok(());
        };
        match self.chain.compromised.iter().find(|c| c.kid == kid) {
            Some(c) => Err(Rejection::KeyCompromised {
                kid,
                since: c.since,
                amendment: c.amendment.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Applies one verified `amend_trust` signature; when it completes the quorum the trust in
    /// force changes, the compromised keys' approvals are voided, and the case follows: a
    /// changed decision is a new draft version (or, after an acceptance, a reopening), a
    /// voided acceptance or quorum sign-off reopens, a voided sign-off leaves the quorum.
    pub(super) fn apply_amendment(&mut self, at: DateTime<Utc>, a: Approval<AmendTrust>) {
        self.keep(&a, DecisionKind::AmendTrust, at, None);
        let Some(new) = self.chain.sign(&self.trust, &a, at) else {
            return;
        };
        let digest = a.decision().digest();
        let before = self.state().is_deciding().then(|| self.draft_content());
        self.trust = new;
        let voided = self.void_compromised(at, &digest);
        self.memo = Memo::default();
        let cause = || ReopenCause::Amendment {
            amendment_digest: digest.clone(),
        };
        match self.state() {
            Leaf::Accepted => {
                let changed = self
                    .accepted
                    .as_ref()
                    .is_some_and(|acc| acc.decided != self.content_with(&self.evidence).decision());
                if voided.acceptance || voided.quorum || changed {
                    self.reopen(at, cause());
                }
            }
            Leaf::StoodDown => {}
            Leaf::Gathering => {
                if self.ready() {
                    self.settle(at, Revision::Amendment(Arc::new(a)));
                }
            }
            Leaf::Drafted | Leaf::InReview | Leaf::AwaitingAcceptance => {
                if !self.ready() || before.as_ref() != Some(&self.draft_content()) {
                    self.settle(at, Revision::Amendment(Arc::new(a)));
                } else if voided.signoffs {
                    self.withdraw(at);
                }
            }
        }
    }

    /// Voids every approval made with a compromised key at or after its `since`, marking each
    /// with the amendment, and takes away what rested on it. A voided declaration or amendment
    /// signature is marked and nothing more: the case stays declared, and the trust in force is
    /// the one the voiding amendment's own quorum set (it replaces whatever an earlier
    /// amendment signed with the key did; signatures of amendments not in effect lapsed).
    fn void_compromised(&mut self, at: DateTime<Utc>, digest: &Digest) -> Voided {
        let mut v = Voided::default();
        let acceptance = self
            .chart
            .acceptance()
            .map(|a| a.approval().token_digest().clone());
        let quorum: Vec<PrincipalId> = self
            .chart
            .quorum()
            .map(|q| q.signers().to_vec())
            .unwrap_or_default();
        let current = self.current_signoffs().count();
        let mut set_lane = false;
        for i in 1..self.approvals.len() {
            let r = &self.approvals[i];
            if r.voided_by.is_some() {
                continue;
            }
            let Some((Some(kid), claims)) = read_verified(&self.tokens[i]) else {
                continue;
            };
            let Some(by) = self.chain.voiding(&kid, r.at).map(|c| c.amendment.clone()) else {
                continue;
            };
            let r = &mut self.approvals[i];
            r.voided = true;
            r.voided_by = Some(by);
            let r = r.clone();
            match &claims.decision {
                crate::approval::Decision::Review(_) => {
                    let version = self.versions[i];
                    self.signoffs.retain(|s| {
                        !(s.issuer == r.issuer && s.kid == kid && s.version == version)
                    });
                    v.quorum |= r.revision == Some(self.revision) && quorum.contains(&r.issuer);
                }
                crate::approval::Decision::Accept(_) => {
                    v.acceptance |= acceptance.as_ref() == Some(&r.token_digest);
                }
                crate::approval::Decision::Delegate(d) => {
                    if let Some(j) = self.delegations.iter().position(|x| {
                        x.by == r.issuer && x.at == r.at && x.lane == d.lane && x.to == d.to
                    }) {
                        self.delegations.remove(j);
                    }
                }
                crate::approval::Decision::Redirect(_) => {
                    set_lane |= self.void_redirect(&r.token_digest);
                }
                _ => {}
            }
        }
        v.signoffs = self.current_signoffs().count() != current;
        if set_lane {
            self.restore_floor(at, digest);
        }
        v
    }

    /// Takes a voided redirect out of force: what it requested and excluded, unless a redirect
    /// still in force asks the same. True when it was a `set_lane`.
    fn void_redirect(&mut self, token: &Digest) -> bool {
        let Some(j) = self.redirects.iter().position(|x| &x.token_digest == token) else {
            return false;
        };
        let voided = self.redirects.remove(j);
        let still = |keep: &dyn Fn(&RedirectAction) -> bool| {
            self.redirects.iter().any(|x| keep(&x.redirect.action))
        };
        match &voided.redirect.action {
            RedirectAction::RequestEvidence { facts } => {
                let asked: Vec<FactKey> = facts
                    .iter()
                    .filter(|f| {
                        !still(&|a| {
                            matches!(a, RedirectAction::RequestEvidence { facts } if facts.contains(f))
                        })
                    })
                    .cloned()
                    .collect();
                self.requested.retain(|f| !asked.contains(f));
                false
            }
            RedirectAction::ExcludeOption { option, .. } => {
                if !still(
                    &|a| matches!(a, RedirectAction::ExcludeOption { option: o, .. } if o == option),
                ) {
                    self.lanes.excluded.remove(option);
                }
                false
            }
            RedirectAction::SetLane { .. } => true,
        }
    }

    /// A voided `set_lane` no longer holds the lane where it put it: the floor returns to the
    /// highest lane the case has recommended (a sound holder of the lane may set it again), and
    /// triggers it acknowledged raise the lane again.
    fn restore_floor(&mut self, at: DateTime<Utc>, digest: &Digest) {
        let highest = self.max_lane().clone();
        self.lanes.acknowledged.clear();
        self.set_floor(at, highest, "amendment", || LaneCause::Amendment {
            amendment_digest: digest.clone(),
        });
    }

    /// Voided sign-offs left the current draft's quorum: the state follows what is left.
    fn withdraw(&mut self, at: DateTime<Utc>) {
        let signoffs = self.current_signoffs().count() > 0;
        let quorum = self
            .quorum_signers()
            .map(|signers| Quorum::new(self.version, signers, at));
        self.dispatch(Input::Withdraw { signoffs, quorum });
    }
}
