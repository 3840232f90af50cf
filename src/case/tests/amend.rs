//! DESIGN §16 trust amendments: a reviewer added mid-case signs; a compromised acceptor's key
//! voids its acceptance and reopens the case; every guard rail refuses with its code; the
//! chain replays from record 0 and from a checkpoint image.

use super::super::*;
use crate::approval::{
    AmendTrust, Compromised, Decision, KeyEntry, PrincipalEntry, Review, Signer, TrustFile,
};
use crate::error_code::ErrorCode;
use crate::ids::KeyId;
use crate::testing::{Cast, Harness};
use serde_json::json;

/// A harness that records every event it applies, to replay them.
struct Recorded {
    h: Harness,
    events: Vec<(serde_json::Value, DateTime<Utc>)>,
}

impl Recorded {
    fn new() -> Recorded {
        let h = Harness::open(
            crate::testing::shipped_workflow(),
            Cast::fixed(),
            "sam.rivera",
            "case-16".into(),
            "2026-11-28T09:00:00Z".parse().unwrap(),
        );
        Recorded {
            h,
            events: Vec::new(),
        }
    }

    #[track_caller]
    fn must(&mut self, cmd: Command) {
        let events = self
            .h
            .case
            .decide(&cmd, cmd.at())
            .unwrap_or_else(|e| panic!("{cmd:?} refused: {e}"));
        for e in events {
            self.events
                .push((serde_json::to_value(&e).unwrap(), e.recorded_at()));
            self.h.case.evolve(e).unwrap();
        }
    }

    #[track_caller]
    fn refuse(&mut self, cmd: Command, code: ErrorCode) -> Rejection {
        self.h.refuse(cmd, code)
    }

    /// A command signed by `signer` (who may be outside the cast) as principal `who`.
    fn signed(&mut self, who: &str, signer: &Signer, d: Decision) -> Command {
        let at = self.h.tick();
        let claims = crate::approval::Claims {
            iss: who.into(),
            aud: crate::approval::AUDIENCE.into(),
            sub: self.h.case.id().clone(),
            iat: at.timestamp(),
            exp: at.timestamp() + 600,
            jti: format!("outside-{}", at.timestamp()),
            decision: d,
        };
        Command::Decision {
            at,
            token: signer.sign_claims(&claims),
        }
    }

    fn amend(&mut self, who: &str, d: &AmendTrust) -> Command {
        self.h.decision(who, Decision::AmendTrust(d.clone()))
    }

    /// The replay of every recorded event from record 0 equals the case, and so does the case
    /// a checkpoint image restores.
    fn check_replays(&self) {
        let (workflow, root) = self.h.case.shared();
        let mut replayed = Case::from_genesis(
            Arc::clone(&workflow),
            Arc::clone(&root),
            self.h.case.genesis(),
        )
        .unwrap();
        for (event, at) in &self.events {
            replayed.replay_event(event, *at).unwrap();
        }
        assert_eq!(replayed.status(), self.h.case.status());
        assert_eq!(replayed.draft(), self.h.case.draft());
        let cp = self.h.case.checkpoint();
        let image = serde_json::from_slice(&cp.image).unwrap();
        let opened = Case::from_genesis(workflow, root, self.h.case.genesis()).unwrap();
        let restored = Case::from_image(opened, image).unwrap();
        // (No journal here: the harness tells the case no seqs, and neither has the image.)
        assert_eq!(restored.status(), self.h.case.status());
        assert_eq!(restored.checkpoint().state, cp.state);
    }
}

/// Ready for review.
fn drafted(r: &mut Recorded) {
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(0)),
        ("authority.platform_delegation", json!("active")),
        ("lineage.internal_packages_in_window", json!(3)),
    ] {
        let c = r.h.finding(f, v);
        r.must(c);
    }
    assert_eq!(r.h.case.state(), Leaf::Drafted);
}

/// The trust in force with `who` added, holding `roles` and the key of `signer`.
fn with_principal(case: &Case, who: &str, roles: &[&str], signer: &Signer) -> TrustFile {
    let mut file = case.trust().file().clone();
    file.principals.push(PrincipalEntry {
        id: who.into(),
        roles: roles.iter().map(|r| (*r).into()).collect(),
        keys: vec![KeyEntry {
            kid: signer.kid().clone(),
            jwk: signer.public_jwk(),
        }],
    });
    file
}

fn amendment(case: &Case, trust: TrustFile, compromised: Vec<Compromised>) -> AmendTrust {
    AmendTrust {
        trust_digest_before: case.trust().digest().clone(),
        trust,
        compromised,
        reason: "people change".into(),
    }
}

#[test]
fn a_reviewer_added_mid_case_signs_once_the_quorum_of_amenders_signed() {
    let mut r = Recorded::new();
    drafted(&mut r);
    let nora = Signer::from_seed(KeyId::from("nora-2026"), [42; 32]);
    let c = r.h.review("lee.park");
    r.must(c);
    let digest = r.h.digest();
    let review = Decision::Review(Review {
        packet_digest: digest.clone(),
        attests: r.h.case.workflow().review().attestations.clone(),
    });
    let d = amendment(
        &r.h.case,
        with_principal(&r.h.case, "nora.quinn", &["trust-reviewer"], &nora),
        vec![],
    );
    let c = r.amend("sam.rivera", &d);
    r.must(c);
    // Below threshold: nothing changed yet.
    assert_eq!(r.h.case.pending_amendments().len(), 1);
    assert!(r.h.case.trust_history().is_empty());
    let c = r.signed("nora.quinn", &nora, review.clone());
    r.refuse(c, ErrorCode::UnknownKey);
    // The same signer again, and a signer without an amendment role.
    let c = r.amend("sam.rivera", &d);
    r.refuse(c, ErrorCode::DuplicateApprover);
    let c = r.amend("lee.park", &d);
    r.refuse(c, ErrorCode::NotAuthorized);
    let c = r.amend("marcus.chen", &d);
    r.must(c);
    assert_eq!(r.h.case.trust_history().len(), 1);
    let change = &r.h.case.trust_history()[0];
    assert_eq!(
        change.signed_by,
        ["sam.rivera", "marcus.chen"].map(PrincipalId::from)
    );
    assert_eq!(change.added.len(), 1);
    assert_eq!(change.added[0].principal, PrincipalId::from("nora.quinn"));
    // Adding a reviewer changes no decision: lee.park's sign-off still counts.
    assert_eq!(r.h.case.state(), Leaf::InReview);
    assert_eq!(r.h.digest(), digest);
    let c = r.signed("nora.quinn", &nora, review);
    r.must(c);
    assert_eq!(r.h.case.state(), Leaf::AwaitingAcceptance);
    // Applied once: the same amendment again is stale (its trust is no longer in force).
    let c = r.amend("dana.okafor", &d);
    r.refuse(c, ErrorCode::StaleApproval);
    r.check_replays();
}

#[test]
fn a_compromised_acceptor_key_voids_the_acceptance_and_reopens_the_case() {
    let mut r = Recorded::new();
    drafted(&mut r);
    for who in ["lee.park", "ines.duarte"] {
        let c = r.h.review(who);
        r.must(c);
    }
    let owner = r.h.case.status().decision_owner.holders[0].clone();
    let accepted_at = r.h.now;
    let c = r.h.accept(owner.as_str());
    r.must(c);
    assert_eq!(r.h.case.state(), Leaf::Accepted);
    let packet = r.h.case.draft().unwrap().packet_digest;
    // The owner's key is compromised since before the acceptance: the new trust drops it
    // and gives the owner a new key.
    let kid =
        r.h.cast
            .member(owner.as_str())
            .unwrap()
            .signer
            .kid()
            .clone();
    let fresh = Signer::from_seed(KeyId::from("fresh-2026"), [77; 32]);
    let mut trust = r.h.case.trust().file().clone();
    let entry = trust.principals.iter_mut().find(|p| p.id == owner).unwrap();
    entry.keys = vec![KeyEntry {
        kid: fresh.kid().clone(),
        jwk: fresh.public_jwk(),
    }];
    let compromised = vec![Compromised {
        kid: kid.clone(),
        since: accepted_at,
    }];
    // A readmission of the compromised key (by kid) is refused.
    let readmit = amendment(
        &r.h.case,
        r.h.case.trust().file().clone(),
        compromised.clone(),
    );
    let c = r.amend("sam.rivera", &readmit);
    r.refuse(c, ErrorCode::CompromisedKeyReadmitted);
    let d = amendment(&r.h.case, trust, compromised);
    // The owner may not count towards the amendment of their own key.
    let signers: Vec<&str> = ["sam.rivera", "marcus.chen", "dana.okafor"]
        .into_iter()
        .filter(|p| *p != owner.as_str())
        .collect();
    if ["marcus.chen", "dana.okafor"].contains(&owner.as_str()) {
        let c = r.amend(owner.as_str(), &d);
        r.refuse(c, ErrorCode::KeyCompromised);
    }
    for who in &signers[..2] {
        let c = r.amend(who, &d);
        r.must(c);
    }
    assert_eq!(
        r.h.case.state(),
        Leaf::Drafted,
        "the voided acceptance reopens"
    );
    assert_eq!(r.h.case.revision(), 2);
    let status = r.h.case.status();
    let reopened = status.reopened.unwrap();
    assert_eq!(reopened.packet_digest, packet);
    assert!(matches!(
        reopened.cause,
        crate::packet::ReopenCause::Amendment { .. }
    ));
    let draft = r.h.case.draft().unwrap();
    let acceptance = draft.approvals.iter().find(|a| a.kind == "accept").unwrap();
    assert!(acceptance.voided && acceptance.voided_by.is_some());
    // The old key is refused by name; reviews, then the owner's new key, close revision 2.
    let c = r.h.review("lee.park");
    r.must(c);
    let c = r.h.accept(owner.as_str());
    r.refuse(c, ErrorCode::KeyCompromised);
    let c = r.h.review("ines.duarte");
    r.must(c);
    let lane = r.h.case.recommended_lane().clone();
    let packet_digest = r.h.digest();
    let c = r.signed(
        owner.as_str(),
        &fresh,
        Decision::Accept(crate::approval::Accept {
            lane,
            packet_digest,
        }),
    );
    r.must(c);
    assert_eq!(r.h.case.state(), Leaf::Accepted);
    assert_eq!(r.h.case.prior_revisions().len(), 1);
    r.check_replays();
}

#[test]
fn a_compromised_reviewer_key_leaves_the_quorum_and_its_later_signoffs_are_refused() {
    let mut r = Recorded::new();
    drafted(&mut r);
    let since = r.h.now;
    for who in ["lee.park", "ines.duarte"] {
        let c = r.h.review(who);
        r.must(c);
    }
    assert_eq!(r.h.case.state(), Leaf::AwaitingAcceptance);
    let kid = r.h.cast.member("lee.park").unwrap().signer.kid().clone();
    let mut trust = r.h.case.trust().file().clone();
    trust.principals.retain(|p| p.id.as_str() != "lee.park");
    let d = amendment(&r.h.case, trust, vec![Compromised { kid, since }]);
    for who in ["sam.rivera", "dana.okafor"] {
        let c = r.amend(who, &d);
        r.must(c);
    }
    assert_eq!(r.h.case.state(), Leaf::InReview, "one sign-off left");
    assert_eq!(r.h.case.status().signoffs, 1);
    let c = r.h.review("lee.park");
    r.refuse(c, ErrorCode::KeyCompromised);
    let c = r.h.review("omar.haddad");
    r.must(c);
    assert_eq!(r.h.case.state(), Leaf::AwaitingAcceptance);
    r.check_replays();
}

#[test]
fn guard_rails_refuse_lock_outs_bad_keys_and_stale_amendments() {
    let mut r = Recorded::new();
    drafted(&mut r);
    let case = &r.h.case;
    let mut none = case.trust().file().clone();
    none.amendments = None;
    let mut high = case.trust().file().clone();
    high.amendments.as_mut().unwrap().threshold = 50;
    let mut twice = case.trust().file().clone();
    let dup = twice.principals[0].clone();
    twice.principals.push(dup);
    let stale = AmendTrust {
        trust_digest_before: Digest::of_bytes(b"another trust"),
        ..amendment(case, case.trust().file().clone(), vec![])
    };
    let unknown = amendment(
        case,
        case.trust().file().clone(),
        vec![Compromised {
            kid: KeyId::from("nobody-2026"),
            since: r.h.now,
        }],
    );
    let cases = [
        (amendment(case, none, vec![]), ErrorCode::AmendmentLockout),
        (amendment(case, high, vec![]), ErrorCode::AmendmentLockout),
        (amendment(case, twice, vec![]), ErrorCode::InvalidAmendment),
        (stale, ErrorCode::StaleApproval),
        (unknown, ErrorCode::InvalidAmendment),
    ];
    for (d, code) in cases {
        let c = r.amend("sam.rivera", &d);
        r.refuse(c, code);
    }
    // One person with two keys counts once.
    let second = Signer::from_seed(KeyId::from("sam-second"), [91; 32]);
    let mut two = r.h.case.trust().file().clone();
    two.principals
        .iter_mut()
        .find(|p| p.id.as_str() == "sam.rivera")
        .unwrap()
        .keys
        .push(KeyEntry {
            kid: second.kid().clone(),
            jwk: second.public_jwk(),
        });
    let d = amendment(&r.h.case, two, vec![]);
    for who in ["sam.rivera", "dana.okafor"] {
        let c = r.amend(who, &d);
        r.must(c);
    }
    let next = amendment(&r.h.case, r.h.case.trust().file().clone(), vec![]);
    let c = r.amend("sam.rivera", &next);
    r.must(c);
    let c = r.signed("sam.rivera", &second, Decision::AmendTrust(next.clone()));
    r.refuse(c, ErrorCode::DuplicateApprover);
    r.check_replays();
}

/// Each `Withdraw` row of the table is reached by a compromise that voids current sign-offs:
/// none left (→ `drafted`), some left short of the quorum (→ `in_review`), the quorum kept
/// by the others (→ `awaiting_acceptance`, with the remaining signers as its proof).
#[test]
fn voided_signoffs_take_the_case_where_the_table_says() {
    use crate::case::machine::{InputKind, TRANSITIONS, Target};
    let cases: [(&[&str], &str, Leaf, InputKind); 3] = [
        (
            &["lee.park"],
            "lee.park",
            Leaf::Drafted,
            InputKind::Withdraw {
                signoffs: false,
                quorum: false,
            },
        ),
        (
            &["lee.park", "ines.duarte"],
            "ines.duarte",
            Leaf::InReview,
            InputKind::Withdraw {
                signoffs: true,
                quorum: false,
            },
        ),
        (
            &["lee.park", "omar.haddad", "ines.duarte"],
            "omar.haddad",
            Leaf::AwaitingAcceptance,
            InputKind::Withdraw {
                signoffs: true,
                quorum: true,
            },
        ),
    ];
    for (reviewers, victim, to, kind) in cases {
        let mut r = Recorded::new();
        drafted(&mut r);
        let since = r.h.now;
        for who in reviewers {
            let c = r.h.review(who);
            r.must(c);
        }
        assert!(
            TRANSITIONS
                .iter()
                .any(|t| t.on == kind && t.to == Target::Go(to)),
            "{kind:?} → {to} is a row"
        );
        let kid = r.h.cast.member(victim).unwrap().signer.kid().clone();
        let mut trust = r.h.case.trust().file().clone();
        trust.principals.retain(|p| p.id.as_str() != victim);
        let d = amendment(&r.h.case, trust, vec![Compromised { kid, since }]);
        for who in ["sam.rivera", "dana.okafor"] {
            let c = r.amend(who, &d);
            r.must(c);
        }
        assert_eq!(
            r.h.case.state(),
            to,
            "compromising {victim} after {reviewers:?}"
        );
        if to == Leaf::AwaitingAcceptance {
            let signers = r.h.case.chart.quorum().unwrap().signers().to_vec();
            assert!(!signers.contains(&PrincipalId::from(victim)), "{signers:?}");
        }
        r.check_replays();
    }
}
