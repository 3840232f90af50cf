//! Property tests of the severe case (DESIGN §11) over random scripts from
//! `authority_lane::testing`. Run with `cargo test --all-features`.
//!
//! Each property runs `CASES` generated scripts; with the eight properties below that is over
//! 10,000 generated cases. Set `QUICKCHECK_CASES` to run more (or fewer) per property.
#![cfg(feature = "testing")]

use authority_lane::ErrorCode;
use authority_lane::approval::{AnyApproval, VerifyContext, verify};
use authority_lane::assess::LaneStatus;
use authority_lane::case::Leaf;
use authority_lane::case::{Case, Command};
use authority_lane::ids::{CaseId, PrincipalId, RoleId};
use authority_lane::testing::{
    Advance, CASE_ID, Driver, Fault, Outcome, Script, Trace, drive, reached, shipped_workflow,
    snapshot,
};
use authority_lane::workflow::{Sensitivity, Workflow};

use quickcheck::{Gen, TestResult};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Generated scripts per property (8 properties).
const CASES: u64 = 1_300;

/// Where these properties pretend an acceptance sits in a journal (the core never sees one).
fn jref() -> authority_lane::packet::JournalRef {
    authority_lane::packet::JournalRef {
        seq: 1,
        head: authority_lane::digest::Digest::of_bytes(b"head"),
    }
}

fn check(prop: fn(Script) -> TestResult) {
    crate::support::check_property(prop, CASES);
}

fn fail(msg: String) -> TestResult {
    TestResult::error(msg)
}

fn rank(w: &Workflow, lane: &authority_lane::ids::LaneId) -> u32 {
    w.lane(lane).map_or(0, |l| l.rank)
}

/// Every state the trace went through: the opened case and the case after each step.
fn cases(trace: &Trace) -> impl Iterator<Item = &Case> {
    std::iter::once(&trace.start).chain(trace.entries.iter().map(|e| &e.case))
}

/// Whether each role can be given a different principal among `signers` who holds it
/// (an independent re-statement of the quorum's role rule: tries every assignment).
fn roles_covered(
    roles: &[RoleId],
    signers: &[PrincipalId],
    holds: &dyn Fn(&PrincipalId, &RoleId) -> bool,
) -> bool {
    fn go(
        roles: &[RoleId],
        signers: &[PrincipalId],
        used: &mut BTreeSet<usize>,
        holds: &dyn Fn(&PrincipalId, &RoleId) -> bool,
    ) -> bool {
        let Some((role, rest)) = roles.split_first() else {
            return true;
        };
        (0..signers.len()).any(|i| {
            if used.contains(&i) || !holds(&signers[i], role) {
                return false;
            }
            used.insert(i);
            let ok = go(rest, signers, used, holds);
            used.remove(&i);
            ok
        })
    }
    go(roles, signers, &mut BTreeSet::new(), holds)
}

// ----- 1. accepted implies a valid quorum and a valid acceptance on the final epoch -----

fn prop_accepted_needs_quorum_and_owner(script: Script) -> TestResult {
    accepted_needs_quorum_and_owner(shipped_workflow(), script)
}

/// Invariant 1 under `carry_over: "decision_unchanged"` (DESIGN §15): the quorum and the
/// acceptance may name any draft of the final decision epoch.
fn prop_accepted_needs_quorum_and_owner_when_carrying(script: Script) -> TestResult {
    accepted_needs_quorum_and_owner(
        authority_lane::testing::shipped_workflow_carrying(
            authority_lane::workflow::CarryOver::DecisionUnchanged,
        ),
        script,
    )
}

fn accepted_needs_quorum_and_owner(
    workflow: std::sync::Arc<Workflow>,
    script: Script,
) -> TestResult {
    let mut driver = Driver::with_workflow(workflow.clone());
    let trace = driver.run(&script);
    let last = trace.last();
    if last.state() != Leaf::Accepted {
        return TestResult::passed();
    }
    let trust = driver.trust();
    let policy = workflow.review();
    let Some(packet) = last.packet(jref()) else {
        return fail("accepted without a packet".into());
    };
    let final_digest = packet.packet_digest().clone();
    if packet.draft().content.digest().ok().as_ref() != Some(&final_digest) {
        return fail("packet digest is not the digest of its content".into());
    }
    let case_id = CaseId::from(CASE_ID);
    // The drafts of the final decision epoch (DESIGN §15), from the trace alone: under
    // `carry_over: "decision_unchanged"`, walking back from the end, every draft version with
    // the final decision digest, up to the first state without a draft or with another
    // decision; under `"never"` the final draft alone.
    let final_decision = packet.draft().decision_digest.clone();
    let carries =
        workflow.review().carry_over == authority_lane::workflow::CarryOver::DecisionUnchanged;
    let mut final_epoch: BTreeSet<authority_lane::digest::Digest> = BTreeSet::new();
    let cases = std::iter::once(&trace.start).chain(trace.entries.iter().map(|e| &e.case));
    for case in cases.collect::<Vec<_>>().into_iter().rev() {
        match (case.draft_digest(), case.decision_digest()) {
            (Some(draft), Some(decision))
                if decision == final_decision && (carries || draft == final_digest) =>
            {
                final_epoch.insert(draft);
            }
            _ => break,
        }
    }
    if !final_epoch.contains(&final_digest) {
        return fail("the final draft is not in its own epoch".into());
    }

    // Re-verify the raw token of every applied decision at its recorded time.
    let mut reviews = Vec::new();
    let mut accepts = Vec::new();
    let mut delegations = Vec::new();
    for (event, at) in trace.events() {
        if event["type"] != "decision" {
            continue;
        }
        let token = event["token"].as_str().unwrap_or_default();
        let ctx = VerifyContext {
            case_id: Some(&case_id),
            at,
            max_lifetime_secs: policy.max_token_lifetime_secs,
        };
        match verify(token, trust, &ctx) {
            Ok(AnyApproval::Review(a)) => reviews.push((at, a)),
            Ok(AnyApproval::Accept(a)) => accepts.push((at, a)),
            Ok(AnyApproval::Delegate(a)) => delegations.push((at, a)),
            Ok(_) => {}
            Err(e) => return fail(format!("an applied token does not verify: {e}")),
        }
    }

    // The review quorum on the final digest.
    let bound: Vec<_> = reviews
        .iter()
        .filter(|(_, a)| final_epoch.contains(&a.decision().packet_digest))
        .collect();
    let issuers: BTreeSet<&PrincipalId> = bound.iter().map(|(_, a)| a.issuer()).collect();
    let kids: BTreeSet<_> = bound.iter().map(|(_, a)| a.kid()).collect();
    if issuers.len() != bound.len() || kids.len() != bound.len() {
        return fail(format!(
            "a principal or key signed the final draft twice: {bound:?}"
        ));
    }
    if bound.len() < policy.quorum as usize {
        return fail(format!(
            "accepted with {} sign-offs on the final digest, quorum {}",
            bound.len(),
            policy.quorum
        ));
    }
    let signers: Vec<PrincipalId> = issuers.iter().map(|p| (*p).clone()).collect();
    if !roles_covered(&policy.required_roles, &signers, &|p, r| {
        trust.has_role(p, r)
    }) {
        return fail(format!(
            "the required roles are not covered by distinct signers: {signers:?}"
        ));
    }
    for (_, a) in &bound {
        if !policy
            .required_roles
            .iter()
            .any(|r| trust.has_role(a.issuer(), r))
        {
            return fail(format!("{} signed off without a reviewer role", a.issuer()));
        }
        if let Some(missing) = policy
            .attestations
            .iter()
            .find(|att| !a.decision().attests.contains(att))
        {
            return fail(format!("{} did not attest {missing}", a.issuer()));
        }
        let voided = packet
            .draft()
            .approvals
            .iter()
            .find(|r| &r.token_digest == a.token_digest())
            .map(|r| r.voided);
        if voided != Some(false) {
            return fail(format!(
                "sign-off by {} is not recorded as valid: {voided:?}",
                a.issuer()
            ));
        }
    }

    // One acceptance per accepted revision (a decision-changing finding after an acceptance
    // reopens the case, DESIGN §15); the last one bound to the final digest by the lane's
    // owner, and followed by findings only.
    let revisions = last.prior_revisions().len() + 1;
    let Some((accepted_at, accept)) = accepts.last().filter(|_| accepts.len() == revisions) else {
        return fail(format!(
            "{} acceptances applied for {revisions} accepted revisions",
            accepts.len()
        ));
    };
    let after: Vec<_> = trace
        .events()
        .skip_while(|(e, at)| !(e["kind"] == "accept" && at == accepted_at))
        .skip(1)
        .filter(|(e, _)| e["type"] != "finding")
        .collect();
    if !after.is_empty() {
        return fail(format!("decisions after the last acceptance: {after:?}"));
    }
    if !final_epoch.contains(&accept.decision().packet_digest) {
        return fail("the acceptance names a draft outside the final epoch".into());
    }
    let lane = &packet.draft().content.recommended_lane;
    if &accept.decision().lane != lane {
        return fail(format!(
            "accepted for {} but the packet recommends {lane}",
            accept.decision().lane
        ));
    }
    if packet.accepted_by() != accept.issuer() {
        return fail("the packet names another acceptor".into());
    }
    let Some(lane_def) = workflow.lane(lane) else {
        return fail(format!("unknown recommended lane {lane}"));
    };
    let holds = trust.has_role(accept.issuer(), &lane_def.holder_role);
    let delegated = delegations.iter().any(|(at, d)| {
        let d_ = d.decision();
        &d_.lane == lane
            && &d_.to == accept.issuer()
            && at < accepted_at
            && *accepted_at < d_.until
            && trust.has_role(d.issuer(), &lane_def.holder_role)
    });
    if !holds && !delegated {
        return fail(format!(
            "{} accepted for {lane} without holding or being delegated it",
            accept.issuer()
        ));
    }
    if policy.separation_of_duties && issuers.contains(accept.issuer()) {
        return fail(format!(
            "{} both signed off and accepted the final draft",
            accept.issuer()
        ));
    }
    TestResult::passed()
}

// ----- 2. packet iff accepted -----

fn prop_packet_iff_accepted(script: Script) -> TestResult {
    let trace = drive(&script);
    for (i, case) in cases(&trace).enumerate() {
        if case.packet(jref()).is_some() != (case.state() == Leaf::Accepted) {
            return fail(format!(
                "after step {i}: state {} but packet present = {}",
                case.state(),
                case.packet(jref()).is_some()
            ));
        }
    }
    TestResult::passed()
}

// ----- 3. a rejected command changes nothing -----

fn prop_rejection_changes_nothing(script: Script) -> TestResult {
    let trace = drive(&script);
    for (i, e) in trace.entries.iter().enumerate() {
        if let Outcome::Rejected(r) = &e.outcome {
            let before = trace.before(i);
            if snapshot(before) != snapshot(&e.case) {
                return fail(format!(
                    "step {i} was refused ({}) but changed the case",
                    r.code()
                ));
            }
            if before.draft_digest() != e.case.draft_digest() {
                return fail(format!("step {i} was refused but changed the digest"));
            }
        }
    }
    TestResult::passed()
}

// ----- 3b. faulty tokens and regressed times are always refused, with their code -----

fn prop_faults_are_refused_with_their_code(script: Script) -> TestResult {
    let trace = drive(&script);
    for (i, e) in trace.entries.iter().enumerate() {
        let before = trace.before(i);
        // A closed case refuses every decision; an accepted one under the shipped workflow's
        // `carry_over: "decision_unchanged"` still records findings (DESIGN §15).
        let finding = matches!(e.step.step, authority_lane::testing::Step::Finding { .. });
        let expected = if before.state() == Leaf::StoodDown
            || (before.state() == Leaf::Accepted && !finding)
        {
            Some(ErrorCode::CaseClosed)
        } else if matches!(e.step.advance, Advance::Back(_)) {
            Some(ErrorCode::TimeRegression)
        } else {
            e.step.step.fault().expected_code()
        };
        if let Some(code) = expected
            && e.outcome.code() != Some(code)
        {
            return fail(format!(
                "step {i} ({:?}) expected {code}, got {:?}",
                e.step,
                e.outcome.code()
            ));
        }
        if matches!(e.step.step, authority_lane::testing::Step::Replay { .. })
            && e.outcome.code().is_none()
        {
            return fail(format!("step {i}: a replayed token was applied"));
        }
    }
    TestResult::passed()
}

// ----- 4. replay rebuilds the same case -----

fn prop_replay_rebuilds_the_case(script: Script) -> TestResult {
    let trace = drive(&script);
    let driver = Driver::new();
    let last = trace.last();
    let mut again = match Case::from_genesis(
        driver.workflow().clone(),
        driver.trust().clone(),
        last.genesis(),
    ) {
        Ok(c) => c,
        Err(e) => return fail(format!("genesis does not replay: {e}")),
    };
    for (i, (event, at)) in trace.events().enumerate() {
        if let Err(e) = again.replay_event(event, at) {
            return fail(format!("event {i} does not replay: {e}\n{event}"));
        }
    }
    if snapshot(&again) != snapshot(last) {
        return fail("replay built a different case".into());
    }
    if again.draft_digest() != last.draft_digest() {
        return fail("replay built a different draft digest".into());
    }
    let digest = |c: &Case| c.packet(jref()).map(|p| p.packet_digest().clone());
    if digest(&again) != digest(last) {
        return fail("replay built a different packet".into());
    }
    TestResult::passed()
}

// ----- 5. findings never lower the recommended lane -----

fn prop_findings_never_lower_the_lane(script: Script) -> TestResult {
    let trace = drive(&script);
    let w = shipped_workflow();
    for (i, e) in trace.entries.iter().enumerate() {
        let before = trace.before(i);
        if matches!(e.command, Command::Finding { .. }) && e.outcome.code().is_none() {
            let (from, to) = (before.recommended_lane(), e.case.recommended_lane());
            if rank(&w, to) < rank(&w, from) {
                return fail(format!(
                    "step {i}: a finding lowered the lane {from} -> {to}"
                ));
            }
        }
        // The case's lane and its assessment's lane are one and the same.
        if e.case.assessment().recommended_lane != *e.case.recommended_lane() {
            return fail(format!(
                "step {i}: case lane {} but assessment recommends {}",
                e.case.recommended_lane(),
                e.case.assessment().recommended_lane
            ));
        }
    }
    TestResult::passed()
}

// ----- 6. channel views never carry what their sensitivity forbids -----

/// Checks one view. The `authority-selection` view's `deadlines` map is allowed by DESIGN §8
/// ("lane statuses, options, owner, deadlines") and is left out of the check.
fn view_leaks(case: &Case, view: &Value, carries: &[Sensitivity]) -> Option<String> {
    let forbidden = |s: &Value| {
        serde_json::from_value::<Sensitivity>(s.clone()).map_or(true, |s| !carries.contains(&s))
    };
    let decisive = view["lineage"]["facts"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, l)| l["decisive"].as_array().into_iter().flatten());
    for e in decisive {
        if forbidden(&e["sensitivity"]) {
            for key in ["value", "source", "note", "agent"] {
                if e.get(key).is_some() {
                    return Some(format!("redacted finding shows `{key}`: {e}"));
                }
            }
            if e["redacted"] != true {
                return Some(format!("finding not marked redacted: {e}"));
            }
        }
    }
    for (k, f) in view["facts"].as_object().into_iter().flatten() {
        if forbidden(&f["sensitivity"]) && f.get("value").is_some() {
            return Some(format!("fact {k} shows its value: {f}"));
        }
    }
    let mut rest = view.clone();
    if let Some(obj) = rest.as_object_mut() {
        obj.remove("deadlines");
    }
    let text = rest.to_string();
    // Records and notes are random; one a carried finding also has may legitimately appear.
    // A view holds the decisive findings of the lineage (the rest are only counted).
    let lineage = case.evidence().lineage();
    let (shown, hidden): (Vec<_>, Vec<_>) = lineage
        .facts
        .values()
        .flat_map(|l| l.decisive.iter().map(|e| &e.finding))
        .partition(|f| carries.contains(&f.sensitivity));
    let shown: BTreeSet<&str> = shown
        .iter()
        .flat_map(|f| [Some(f.source.record.as_str()), f.note.as_deref()])
        .flatten()
        .collect();
    for f in hidden {
        let record = f.source.record.as_str();
        if !shown.contains(record) && text.contains(record) {
            return Some(format!("record {record} of {} leaks", f.fact));
        }
        if let Some(note) = f.note.as_deref()
            && !shown.contains(note)
            && text.contains(note)
        {
            return Some(format!("note of {} leaks", f.fact));
        }
    }
    None
}

fn prop_views_respect_sensitivity(script: Script) -> TestResult {
    let trace = drive(&script);
    let w = shipped_workflow();
    for (i, case) in cases(&trace).enumerate() {
        let draft = case.draft();
        let packet = case.packet(jref());
        for channel in &w.spec().channels {
            let views = draft
                .iter()
                .map(|d| d.view(channel).to_json())
                .chain(packet.iter().map(|p| p.view(channel).to_json()));
            for view in views {
                if let Some(leak) = view_leaks(case, &view, &channel.carries) {
                    return fail(format!("after step {i}, channel {}: {leak}", channel.id));
                }
            }
        }
    }
    TestResult::passed()
}

// ----- 7. lanes below the recommended one are blocked, with a reason -----

fn prop_lower_lanes_blocked_with_reasons(script: Script) -> TestResult {
    let trace = drive(&script);
    let w = shipped_workflow();
    for (i, case) in cases(&trace).enumerate() {
        let mut assessments = vec![(case.assessment().recommended_lane, case.assessment().lanes)];
        if let Some(d) = case.draft() {
            assessments.push((d.content.recommended_lane, d.content.lanes));
        }
        for (recommended, lanes) in assessments {
            let top = rank(&w, &recommended);
            for l in &lanes {
                if l.rank < top && (l.status != LaneStatus::Blocked || l.reasons.is_empty()) {
                    return fail(format!(
                        "after step {i}: lane {} below {recommended} is {:?} with {} reasons",
                        l.lane,
                        l.status,
                        l.reasons.len()
                    ));
                }
                if l.rank == top && l.status != LaneStatus::Recommended {
                    return fail(format!("after step {i}: {recommended} is not recommended"));
                }
            }
        }
    }
    TestResult::passed()
}

// ----- the tests -----

#[test]
fn accepted_implies_quorum_and_acceptance_on_the_final_digest() {
    check(prop_accepted_needs_quorum_and_owner);
}

#[test]
fn accepted_implies_quorum_and_acceptance_on_the_final_epoch_when_carrying() {
    check(prop_accepted_needs_quorum_and_owner_when_carrying);
}

#[test]
fn packet_exists_iff_accepted() {
    check(prop_packet_iff_accepted);
}

#[test]
fn rejected_commands_change_nothing() {
    check(prop_rejection_changes_nothing);
}

#[test]
fn faulty_tokens_are_refused_with_their_code() {
    check(prop_faults_are_refused_with_their_code);
}

#[test]
fn replay_rebuilds_the_same_case_and_digests() {
    check(prop_replay_rebuilds_the_case);
}

#[test]
fn findings_never_lower_the_lane() {
    check(prop_findings_never_lower_the_lane);
}

#[test]
fn channel_views_never_carry_forbidden_findings() {
    check(prop_views_respect_sensitivity);
}

#[test]
fn lanes_below_the_recommended_one_are_blocked_with_reasons() {
    check(prop_lower_lanes_blocked_with_reasons);
}

/// The properties are not vacuous: the generator reaches every leaf, `accepted` included, and
/// produces every verifier rejection it is meant to.
#[test]
fn generated_scripts_reach_acceptance_and_every_rejection() {
    // A fixed seed keeps this census reproducible; the properties above use fresh seeds.
    let mut g = Gen::from_size_and_seed(40, 0x5eed_cafe);
    let mut leaves: BTreeMap<Leaf, usize> = BTreeMap::new();
    let mut codes: BTreeMap<ErrorCode, usize> = BTreeMap::new();
    let runs = 500;
    for _ in 0..runs {
        let trace = drive(&quickcheck::Arbitrary::arbitrary(&mut g));
        for leaf in Leaf::ALL {
            if reached(&trace, leaf) {
                *leaves.entry(leaf).or_default() += 1;
            }
        }
        for e in &trace.entries {
            if let Some(code) = e.outcome.code() {
                *codes.entry(code).or_default() += 1;
            }
        }
    }
    eprintln!("scripts reaching each leaf (of {runs}): {leaves:?}");
    eprintln!("rejections by code: {codes:?}");
    let accepted = leaves.get(&Leaf::Accepted).copied().unwrap_or(0);
    let awaiting = leaves.get(&Leaf::AwaitingAcceptance).copied().unwrap_or(0);
    assert!(
        accepted >= runs / 20,
        "only {accepted} of {runs} reached accepted"
    );
    assert!(
        awaiting >= runs / 10,
        "only {awaiting} of {runs} reached awaiting_acceptance"
    );
    for leaf in Leaf::ALL {
        assert!(leaves.contains_key(&leaf), "no script reached {leaf}");
    }
    let faults = [
        Fault::ForeignKey,
        Fault::UnknownKid,
        Fault::WrongAlgorithm,
        Fault::Expired,
        Fault::NotYetValid,
        Fault::TooLongLived,
        Fault::WrongAudience,
        Fault::WrongCase,
    ];
    let mut expected: Vec<ErrorCode> = faults.iter().filter_map(|f| f.expected_code()).collect();
    expected.extend([
        ErrorCode::ReplayedToken,
        ErrorCode::StaleApproval,
        ErrorCode::NotAuthorized,
        ErrorCode::DuplicateApprover,
        ErrorCode::MissingAttestation,
        ErrorCode::NotAllowedInState,
        ErrorCode::TimeRegression,
        ErrorCode::RoleNotPermitted,
        ErrorCode::UnknownFact,
        ErrorCode::InvalidValue,
        ErrorCode::CaseClosed,
    ]);
    // `separation_of_duties` needs the one reviewer who also holds a lane (ruth.mensah, legal)
    // to sign a legal-lane draft and then accept it: the generator can (`Who::Signer`) but too
    // rarely to require here; the case's unit tests cover it.
    for code in expected {
        assert!(codes.contains_key(&code), "no script produced {code}");
    }
}
