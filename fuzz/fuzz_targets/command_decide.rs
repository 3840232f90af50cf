//! `command_decide`: untrusted command lines against a live case (DESIGN §11.3–§11.5, §11.8).
//!
//! Two input forms:
//! - **raw**: input starting with `{` is UTF-8 text, one command line per `\n`-separated line
//!   (at most 16), decided against the case in `open/deciding/drafted` at the fixed time of
//!   record `now()` (+1 s per line);
//! - **structured**: any other input drives `arbitrary` to build a script from
//!   `open/gathering` or `open/deciding/drafted`: findings (any declared fact, values at the
//!   edges of each fact type and of I-JSON), decision tokens signed by the fixed cast (any
//!   kind), "the next step a well-run case takes" (a missing required finding, a review by the
//!   next reviewer, the owner's acceptance) and raw lines, with the clock standing still,
//!   moving forward or going back. Each step is right by default; its optional `odd` part
//!   changes any piece of it (agent role, source, note, `at` at the edges of the timestamp
//!   grammar; signer, `iat`, lifetime, `jti`, case, digest, attestations, lane, delegate,
//!   `until`, facts, option, reason), so both deep states and every refusal are close;
//!   trust amendments (DESIGN §16): `amend_trust` decisions signed by an amender of the trust
//!   in force (or anyone), whose new trust is the trust in force with changes (a newcomer with a
//!   pool key and roles, a principal, role or key removed, a second key, `amendments` dropped
//!   or its threshold 0, 1, 2, 3 or large, a compromised key re-admitted, a key listed twice)
//!   and whose `compromised` keys (kids of the trust in force, the signer's own, unknown ones;
//!   `since` before the declaration, at a time of record of the script, now, in the future)
//!   leave the trust, or stay in it, or are replaced by a pool key; and "the next signature of
//!   the last amendment" by another amender, so that amendments take effect often. Tokens are
//!   signed with a key the signer holds in the trust in force (a pool key after a re-key).
//!
//! Properties, after every command:
//! - a rejection has a non-empty code (and a message that formats);
//! - an accepted command's events carry the time of record, serialise, have an RFC 8785 form
//!   (the journal hashes it), and replay — both from the JSON value (`replay_event`, as a
//!   writer rebuilds) and from its text (`replay_json`, as `verify` reads) — into a clone of the
//!   case before the command (§11.8: every acknowledged command replays);
//! - the evolved case and both replayed cases have equal `status()` (which holds the
//!   `draft_digest()`), lane history and clock (§11.4);
//! - a packet exists iff the case is `closed/accepted` (§11.2);
//! - a finding never lowers the recommended lane (§11.5; a voided `set_lane` may raise it, a
//!   finding never lowers it);
//! - the replayed cases also agree on the trust in force, the keys declared compromised and,
//!   once amendments exist, every approval record (voided or not, and by which amendment) and
//!   the stability record;
//! - issue 23: no approval counts whose key was compromised at its time of record — every
//!   approval record that is not voided (declarations and amendment signatures aside: the
//!   chain they built stands) was made with a key no amendment declared compromised since at or
//!   before its time of record (the kid read from the token the script sent); every `voided_by`
//!   names an amendment that took effect; in `awaiting_acceptance` and `closed/accepted` at
//!   least `quorum` distinct reviewers of the current revision count with sound keys, and in
//!   `closed/accepted` an acceptance of the current revision does.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use authority_lane::approval::{Decision, KeyEntry, PrincipalEntry, Trust, TrustFile};
use authority_lane::case::Leaf;
use authority_lane::case::{Case, Command};
use authority_lane::digest::Digest;
use authority_lane::ids::{KeyId, PrincipalId, RoleId};
use authority_lane::packet::ApprovalRecord;
use authority_lane::testing::no_journal;
use authority_lane_fuzz::fixture::{
    NEWCOMERS, POOL, ROLES, World, decision_line, finding_line, now, rfc3339, t0,
};
use authority_lane_fuzz::inputs::{DigestChoice, Name, TimeText, ValueGen};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

thread_local! {
    static WORLD: World = World::new();
    /// `FUZZ_TRACE=1`: print each command's outcome (to see what a seed reaches).
    static TRACE: bool = std::env::var_os("FUZZ_TRACE").is_some();
}

fn trace(what: impl FnOnce() -> String) {
    if TRACE.with(|t| *t) {
        eprintln!("{}", what());
    }
}

/// Most commands a script (or a raw input) sends.
const MAX_STEPS: usize = 16;

fuzz_target!(|data: &[u8]| {
    WORLD.with(|w| {
        if data.first() == Some(&b'{') {
            raw(w, data);
        } else {
            structured(w, data);
        }
    })
});

fn raw(w: &World, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut run = Run::new(w, w.drafted.clone());
    for (i, line) in text.split('\n').take(MAX_STEPS).enumerate() {
        step(w, &mut run, line, now() + Duration::seconds(i as i64));
    }
}

/// A case under test, with what the script learnt while driving it.
struct Run {
    case: Case,
    /// The kid in the header of every token the case accepted, by token digest (the digest
    /// its approval records carry).
    kids: HashMap<String, String>,
    /// The times of record of the accepted commands, oldest first.
    times: Vec<DateTime<Utc>>,
    /// The decision object of the last `amend_trust` the script built (for `Cosign`).
    last_amend: Option<Value>,
}

impl Run {
    fn new(w: &World, case: Case) -> Run {
        let mut kids = HashMap::new();
        let kid = header_kid(&w.declaration).expect("the declaration names its kid");
        kids.insert(Digest::of_bytes(w.declaration.as_bytes()).as_str().to_owned(), kid);
        let times = vec![case.last_at()];
        Run {
            case,
            kids,
            times,
            last_amend: None,
        }
    }
}

/// The `kid` of a compact JWS's header, read without verifying anything.
fn header_kid(token: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

/// Decides one command line at the time of record `at`, checks every property, and applies the
/// command when it is accepted (then returns true).
fn step(w: &World, run: &mut Run, line: &str, at: DateTime<Utc>) -> bool {
    let command = match Command::from_json(line) {
        Ok(c) => c,
        Err(rejection) => {
            let _ = rejection.code(); // every refusal names an ErrorCode (by type)
            let _ = rejection.to_string();
            return false;
        }
    };
    let case = &mut run.case;
    let events = match case.decide(&command, at) {
        Ok(events) => events,
        Err(rejection) => {
            let _ = rejection.code(); // every refusal names an ErrorCode (by type)
            trace(|| format!("refused {}: {rejection}", rejection.code()));
            let _ = rejection.to_string();
            return false;
        }
    };
    if let Command::Decision { token, .. } = &command {
        let kid = header_kid(token).unwrap_or_else(|| panic!("an accepted token has no readable kid\nline: {line}"));
        run.kids.insert(Digest::of_bytes(token.as_bytes()).as_str().to_owned(), kid);
    }
    run.times.push(at);
    let rank = |c: &Case| w.workflow.lane(c.recommended_lane()).map(|l| l.rank);
    let rank_before = rank(case);
    let mut from_value = case.clone();
    let mut from_text = case.clone();
    for event in &events {
        assert_eq!(event.recorded_at(), at, "an event carries its time of record");
        let value = serde_json::to_value(event).expect("an event serialises");
        if let Err(e) = Digest::of_canonical(&value) {
            panic!("acknowledged event has no RFC 8785 form (the journal cannot hash it): {e}\nline: {line}\nevent: {value}");
        }
        if let Err(e) = from_value.replay_event(&value, event.recorded_at()) {
            panic!("acknowledged command does not replay from its event value: {e}\nline: {line}\nevent: {value}");
        }
        let text = serde_json::to_string(&value).expect("a JSON value serialises");
        if let Err(e) = from_text.replay_json(&text, event.recorded_at()) {
            panic!("acknowledged command does not replay from its event text: {e}\nline: {line}\nevent: {text}");
        }
    }
    for event in events {
        case.evolve(event).expect("an event decided on this case applies to it");
    }
    // `Status` carries the state, revision, lane, draft digest (so the draft), assessment
    // digest, owner, sign-offs, evidence counts, the trust digest, the trust history and the
    // pending amendments; with the lane history, the clock, the compromised keys and (once
    // amendments exist) the approval records, two cases that agree here agree on everything
    // `testing::snapshot` shows.
    let status = case.status();
    let amended = !case.trust_history().is_empty() || !status.pending_amendments.is_empty();
    let approvals = |c: &Case| c.draft().map(|d| d.approvals);
    let ours = amended.then(|| (approvals(case), case.stability()));
    for (how, replayed) in [("value", &from_value), ("text", &from_text)] {
        let again = replayed.status();
        assert_eq!(status.draft_digest, again.draft_digest, "replay (from the event {how}) reaches another draft\nline: {line}");
        assert_eq!(status, again, "replay (from the event {how}) reaches another status\nline: {line}");
        assert_eq!(case.lane_history(), replayed.lane_history(), "replay (from the event {how}) has another lane history\nline: {line}");
        assert_eq!(case.last_at(), replayed.last_at(), "replay (from the event {how}) has another clock\nline: {line}");
        assert_eq!(case.trust().digest(), replayed.trust().digest(), "replay (from the event {how}) has another trust in force\nline: {line}");
        assert_eq!(case.compromised_keys(), replayed.compromised_keys(), "replay (from the event {how}) has other compromised keys\nline: {line}");
        if let Some((approvals_now, stability)) = &ours {
            assert_eq!(approvals_now, &approvals(replayed), "replay (from the event {how}) has other approval records\nline: {line}");
            assert_eq!(stability, &replayed.stability(), "replay (from the event {how}) has another stability record\nline: {line}");
        }
    }
    assert_eq!(
        case.packet(no_journal()).is_some(),
        case.state() == Leaf::Accepted,
        "a packet exists iff the case is closed/accepted"
    );
    // Only findings: a voided `set_lane` (an amendment declaring its signer's key compromised)
    // may raise the lane back, and a `set_lane` lowers it by design.
    if matches!(command, Command::Finding { .. }) {
        assert!(rank(case) >= rank_before, "a finding lowered the lane\nline: {line}");
    }
    trace(|| {
        format!(
            "accepted -> {} (signoffs {}, amendments in effect {}, pending {}, compromised {:?})",
            run.case.path(),
            status.signoffs,
            run.case.trust_history().len(),
            status.pending_amendments.len(),
            run.case.compromised_keys().iter().map(|c| c.kid.to_string()).collect::<Vec<_>>()
        )
    });
    no_compromised_approval(w, run, ours.and_then(|(a, _)| a), line);
    true
}

/// Issue 23: no approval counts whose key was compromised at its time of record, and what a
/// case in `awaiting_acceptance` or `closed/accepted` rests on counts without such keys.
fn no_compromised_approval(w: &World, run: &Run, approvals: Option<Vec<ApprovalRecord>>, line: &str) {
    let case = &run.case;
    let compromised = case.compromised_keys();
    let state = case.state();
    let resting = matches!(state, Leaf::AwaitingAcceptance | Leaf::Accepted);
    if compromised.is_empty() && !resting {
        return;
    }
    let Some(approvals) = approvals.or_else(|| case.draft().map(|d| d.approvals)) else {
        return;
    };
    let kid = |r: &ApprovalRecord| {
        run.kids
            .get(r.token_digest.as_str())
            .unwrap_or_else(|| panic!("an approval record of a token the script did not send: {r:?}"))
    };
    let unsound = |r: &ApprovalRecord| {
        let kid = kid(r);
        compromised.iter().find(|c| c.kid.as_str() == kid && c.since <= r.at)
    };
    let amendments: Vec<&Digest> = case.trust_history().iter().map(|c| &c.amendment_digest).collect();
    for r in &approvals {
        if let Some(by) = &r.voided_by {
            assert!(r.voided, "an approval voided by {by} is not marked voided: {r:?}\nline: {line}");
            assert!(amendments.contains(&by), "an approval is voided by {by}, which is no amendment that took effect: {r:?}\nline: {line}");
        }
        if r.voided || matches!(r.kind.as_str(), "declare" | "amend_trust") {
            continue;
        }
        if let Some(c) = unsound(r) {
            panic!(
                "an approval counts whose key {} was compromised since {} (at or before its time of record {}): {r:?}\nline: {line}",
                c.kid,
                rfc3339(&c.since),
                rfc3339(&r.at)
            );
        }
    }
    if !resting {
        return;
    }
    let revision = Some(case.revision());
    let counted = |kind: &str| {
        approvals
            .iter()
            .filter(|r| r.kind == kind && !r.voided && r.revision == revision && unsound(r).is_none())
            .map(|r| &r.issuer)
            .collect::<BTreeSet<_>>()
    };
    let quorum = w.workflow.review().quorum as usize;
    let reviewers = counted("review");
    assert!(
        reviewers.len() >= quorum,
        "{} with {} sound sign-offs of revision {} ({reviewers:?}), quorum {quorum}\nline: {line}",
        case.path(),
        reviewers.len(),
        case.revision()
    );
    if state == Leaf::Accepted {
        assert!(
            !counted("accept").is_empty(),
            "closed/accepted with no sound acceptance of revision {}\nline: {line}",
            case.revision()
        );
    }
}

// ----- structured scripts -----
//
// Every step is right by default — the right agent role, a valid value, a token by the right
// principal naming the current digest, valid at the time of record — and `odd` (when present)
// changes any of its parts, so that the fuzzer reaches `in_review`, `awaiting_acceptance` and
// `closed/accepted` in a few steps and explores every refusal on the way.

#[derive(Debug, Arbitrary)]
struct Script {
    drafted: bool,
    steps: Vec<Timed>,
}

#[derive(Debug, Arbitrary)]
struct Timed {
    advance: Advance,
    step: Step,
}

#[derive(Debug, Arbitrary)]
enum Advance {
    Same,
    Seconds(u8),
    Minutes(u8),
    /// This many seconds (plus one) before the case's last event: `time_regression`.
    Back(u8),
}

#[derive(Debug, Arbitrary)]
enum Step {
    Finding {
        /// The workflow's fact at this index.
        fact: u8,
        /// `None`: a valid value for the fact's type.
        value: Option<ValueGen>,
        odd: Option<Box<OddFinding>>,
    },
    Decision {
        kind: Kind,
        odd: Option<Box<OddDecision>>,
    },
    /// The step a well-run case takes next: a missing required finding in `open/gathering`, a
    /// review by the next reviewer in `drafted` or `in_review`, the owner's acceptance in
    /// `awaiting_acceptance` (a stand-down once closed).
    Next { odd: Option<Box<OddDecision>> },
    Line(String),
    /// A signature of a new `amend_trust` (DESIGN §16).
    Amend(Box<Amend>),
    /// Another signature of the last `amend_trust` the script built: by default the next
    /// amender of the trust in force that has not signed it, so that it takes effect.
    Cosign {
        who: Option<Who>,
        odd: Option<Box<OddDecision>>,
    },
}

/// Who signs an amendment.
#[derive(Debug, Arbitrary)]
enum Who {
    /// The amender of the trust in force (holding a key this world holds) at this index.
    Amender(u8),
    /// Anyone: the principal (cast or newcomer) at this index.
    Any(u8),
}

/// An `amend_trust` decision: the trust in force with `changes`, declaring `compromised` keys.
#[derive(Debug, Arbitrary)]
struct Amend {
    /// `None`: the first amender of the trust in force.
    who: Option<Who>,
    changes: Vec<Change>,
    compromised: Vec<Compromise>,
    /// `None`: the digest of the trust in force.
    before: Option<Before>,
    reason: Option<String>,
    odd: Option<Box<OddDecision>>,
}

#[derive(Debug, Arbitrary)]
enum Before {
    Current,
    /// The root trust (pinned in record 0).
    Root,
    Other(DigestChoice),
}

/// One change of the new trust document (principals and their roles and keys by index, modulo
/// the document's lengths).
#[derive(Debug, Arbitrary)]
enum Change {
    /// A newcomer with pool key `key` and the roles of bit set `roles` over [`ROLES`].
    AddPrincipal { newcomer: u8, key: u8, roles: u8 },
    RemovePrincipal(u8),
    DropRole { principal: u8, role: u8 },
    AddRole { principal: u8, role: u8 },
    /// A second (third...) key: pool key `key`.
    AddKey { principal: u8, key: u8 },
    RemoveKey { principal: u8, key: u8 },
    /// No `amendments` (a lock-out).
    DropAmendments,
    Threshold(Threshold),
    /// The amendment roles: the bit set over [`ROLES`].
    AmendmentRoles(u8),
    /// A key declared compromised earlier, back in the trust (under its kid or another).
    Readmit { compromised: u8, principal: u8, same_kid: bool },
    /// Another principal's key, under a new kid (one key listed twice).
    DuplicateKey { principal: u8, from: u8 },
}

#[derive(Debug, Arbitrary)]
enum Threshold {
    Zero,
    One,
    Two,
    Three,
    Large,
    Any(u32),
}

/// A key declared compromised.
#[derive(Debug, Arbitrary)]
struct Compromise {
    kid: KidPick,
    since: Since,
    /// Leave the key in the new trust (`compromised_key_readmitted`); by default it leaves.
    keep: bool,
    /// Give its owner pool key `i` in the new trust (a re-key).
    rekey: Option<u8>,
}

#[derive(Debug, Arbitrary)]
enum KidPick {
    /// A kid of the trust in force, by index.
    InForce(u8),
    /// The signer's own key.
    Signer,
    /// A kid no trust lists.
    Unknown(u8),
}

#[derive(Debug, Arbitrary)]
enum Since {
    /// This many seconds (plus one) before the declaration.
    BeforeDeclaration(u16),
    Declaration,
    /// The time of record of the accepted command this many back (0: the last).
    Record(u8),
    /// The step's time of record.
    Now,
    /// This many seconds (plus one) after the step's time of record.
    Future(u16),
    Text(TimeText),
}

#[derive(Debug, Arbitrary)]
struct OddFinding {
    /// Another fact name.
    fact: Option<String>,
    /// Another agent role (`None`: the role the workflow lets submit the fact).
    role: Option<Name>,
    agent: Option<String>,
    system: Option<Name>,
    record: Option<String>,
    digest: Option<DigestChoice>,
    note: Option<String>,
    at: Option<TimeText>,
}

#[derive(Debug, Arbitrary)]
enum Kind {
    Review,
    Accept,
    Delegate,
    RequestEvidence,
    SetLane,
    ExcludeOption,
    StandDown,
    /// Any decision JSON (taken as a JSON string when it does not parse).
    Json(String),
}

#[derive(Debug, Arbitrary)]
struct OddDecision {
    /// Another signer: the cast member at this index.
    who: Option<u8>,
    /// `iat` at this offset from the time of record, in seconds (default: one minute before).
    iat: Option<i16>,
    life: Option<Life>,
    /// A `jti` from a small set, so that some repeat (default: unique per step).
    jti: Option<u8>,
    /// Another case id.
    sub: Option<String>,
    /// The command's `at` (default: the time of record).
    at: Option<TimeText>,
    /// The packet or assessment digest named (default: the current one).
    digest: Option<DigestChoice>,
    /// Attestations left out (bits 0–2), plus a foreign one (bit 6), plus a repeat (bit 7).
    attests: Option<u8>,
    /// The lane named (default: the recommended lane; `set_lane` defaults to the lowest).
    lane: Option<Name>,
    /// Delegate: the delegate, by index (default: omar.haddad) and the end (default: a day).
    to: Option<u8>,
    until: Option<TimeText>,
    /// Request evidence: the facts wanted, as a bit set over the workflow's facts.
    facts: Option<u16>,
    /// Exclude option: the option (default: the first).
    option: Option<Name>,
    reason: Option<String>,
}

#[derive(Debug, Arbitrary)]
enum Life {
    Max,
    Over,
    Secs(i32),
}

const REVIEWERS: &[&str] = &["lee.park", "ines.duarte", "omar.haddad", "ruth.mensah"];

fn structured(w: &World, data: &[u8]) {
    let u = Unstructured::new(data);
    let Ok(script) = Script::arbitrary_take_rest(u) else {
        return;
    };
    let facts = &w.workflow.spec().facts;
    let mut run = Run::new(w, if script.drafted { w.drafted.clone() } else { w.gathering.clone() });
    let mut clock = now();
    for (index, timed) in script.steps.iter().take(MAX_STEPS).enumerate() {
        let at = match timed.advance {
            Advance::Same => clock,
            Advance::Seconds(s) => {
                clock += Duration::seconds(i64::from(s));
                clock
            }
            Advance::Minutes(m) => {
                clock += Duration::minutes(i64::from(m));
                clock
            }
            Advance::Back(s) => run.case.last_at() - Duration::seconds(i64::from(s) + 1),
        };
        let case = &run.case;
        let line = match &timed.step {
            Step::Finding { fact, value, odd } => finding(w, *fact, value.as_ref(), odd.as_deref(), at),
            Step::Decision { kind, odd } => decision(w, case, kind, odd.as_deref(), at, index),
            Step::Next { odd } => {
                let missing = case.status().missing_required;
                match case.state() {
                    Leaf::Gathering => {
                        let fact = missing.first().and_then(|m| facts.iter().position(|f| f.key == *m));
                        finding(w, fact.unwrap_or(0) as u8, None, None, at)
                    }
                    Leaf::AwaitingAcceptance => decision(w, case, &Kind::Accept, odd.as_deref(), at, index),
                    Leaf::Drafted | Leaf::InReview => decision(w, case, &Kind::Review, odd.as_deref(), at, index),
                    _ => decision(w, case, &Kind::StandDown, odd.as_deref(), at, index),
                }
            }
            Step::Line(l) => l.clone(),
            Step::Amend(a) => {
                let (line, decision) = amend(w, &run, a, at, index);
                run.last_amend = Some(decision);
                line
            }
            Step::Cosign { who, odd } => match &run.last_amend {
                Some(decision) => cosign(w, case, decision, who.as_ref(), odd.as_deref(), at, index),
                None => continue,
            },
        };
        step(w, &mut run, &line, at);
    }
}

fn finding(w: &World, fact: u8, value: Option<&ValueGen>, odd: Option<&OddFinding>, at: DateTime<Utc>) -> String {
    let facts = &w.workflow.spec().facts;
    let def = &facts[usize::from(fact) % facts.len()];
    let roles: Vec<&str> = facts.iter().map(|d| d.submitted_by.as_str()).collect();
    let values: Vec<String> = def.values.clone();
    let ty = def.ty.to_string();
    let value = match value {
        Some(v) => v.render(&ty, &values, at),
        None => ValueGen::Typed(u64::from(fact)).render(&ty, &values, at),
    };
    let key = odd.and_then(|o| o.fact.clone()).unwrap_or_else(|| def.key.as_str().to_owned());
    let role = odd
        .and_then(|o| o.role.as_ref())
        .map_or_else(|| def.submitted_by.as_str().to_owned(), |n| n.pick(&roles));
    let agent = odd.and_then(|o| o.agent.clone()).unwrap_or_else(|| "agent-1".to_owned());
    let system = odd
        .and_then(|o| o.system.as_ref())
        .map_or_else(|| def.source_systems.first().cloned().unwrap_or_default(), |n| n.pick(&def.source_systems));
    let record = odd.and_then(|o| o.record.clone()).unwrap_or_else(|| "record/1".to_owned());
    let time = odd.and_then(|o| o.at.as_ref()).map_or_else(|| rfc3339(&at), |t| t.render(at));
    let note = odd.and_then(|o| o.note.as_deref());
    let mut line = finding_line(&time, &role, &agent, &key, value, &system, &record, note);
    if let Some(digest) = odd.and_then(|o| o.digest.as_ref()) {
        let own = Digest::of_bytes(record.as_bytes());
        line["finding"]["source"]["digest"] = json!(digest.render(Some(own.as_str())));
    }
    line.to_string()
}

/// Everyone who may sign: the cast, then the newcomers amendments add.
fn principals() -> Vec<&'static str> {
    World::principals().chain(NEWCOMERS.iter().copied()).collect()
}

fn decision(w: &World, case: &Case, kind: &Kind, odd: Option<&OddDecision>, at: DateTime<Utc>, index: usize) -> String {
    let principals = principals();
    let lanes: Vec<&str> = w.workflow.lanes().iter().map(|l| l.id.as_str()).collect();
    let facts: Vec<&str> = w.workflow.spec().facts.iter().map(|d| d.key.as_str()).collect();
    let options: Vec<&str> = w.workflow.options().iter().map(|o| o.id.as_str()).collect();
    let attestations: Vec<&str> = w.workflow.review().attestations.iter().map(|a| a.as_str()).collect();
    let lane = |default: &str| {
        odd.and_then(|o| o.lane.as_ref()).map_or_else(|| default.to_owned(), |n| n.pick(&lanes))
    };
    let current_lane = case.recommended_lane().as_str().to_owned();
    // Digests are computed only when a decision names one: building a draft is the most
    // expensive thing a case does.
    let digest = |current: &dyn Fn() -> Option<String>| match odd.and_then(|o| o.digest.as_ref()) {
        None | Some(DigestChoice::Current) => DigestChoice::Current.render(current().as_deref()),
        Some(other) => other.render(None),
    };
    let draft = || case.draft_digest().map(|d| d.as_str().to_owned());
    let assessment = || Some(case.assessment_digest().as_str().to_owned());
    let reason = || odd.and_then(|o| o.reason.clone()).unwrap_or_else(|| "fuzz".to_owned());
    let mut named_lane = None;
    let decision = match kind {
        Kind::Review => {
            let attests = odd.and_then(|o| o.attests).unwrap_or(0);
            let mut list: Vec<&str> = attestations
                .iter()
                .enumerate()
                .filter(|(i, _)| attests & (1 << i) == 0)
                .map(|(_, a)| *a)
                .collect();
            if attests & 0x40 != 0 {
                list.push("not_an_attestation");
            }
            if attests & 0x80 != 0 && !list.is_empty() {
                list.push(list[0]);
            }
            json!({"kind": "review", "packet_digest": digest(&draft), "attests": list})
        }
        Kind::Accept => {
            let lane = lane(&current_lane);
            named_lane = Some(lane.clone());
            json!({"kind": "accept", "lane": lane, "packet_digest": digest(&draft)})
        }
        Kind::Delegate => {
            let lane = lane(&current_lane);
            named_lane = Some(lane.clone());
            let to = odd.and_then(|o| o.to).map_or("omar.haddad", |i| principals[usize::from(i) % principals.len()]);
            let until = odd
                .and_then(|o| o.until.as_ref())
                .map_or_else(|| rfc3339(&(at + Duration::days(1))), |t| t.render(at));
            json!({"kind": "delegate", "lane": lane, "to": to, "until": until})
        }
        Kind::RequestEvidence => {
            let mask = odd.and_then(|o| o.facts).unwrap_or(1);
            let wanted: Vec<&str> = facts
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| *f)
                .collect();
            json!({"kind": "redirect", "action": "request_evidence", "facts": wanted, "reason": reason()})
        }
        Kind::SetLane => {
            let lane = lane(lanes[0]);
            json!({"kind": "redirect", "action": "set_lane", "lane": lane,
                   "assessment_digest": digest(&assessment), "reason": reason()})
        }
        Kind::ExcludeOption => {
            let option = odd.and_then(|o| o.option.as_ref()).map_or_else(|| options[0].to_owned(), |n| n.pick(&options));
            json!({"kind": "redirect", "action": "exclude_option", "option": option,
                   "assessment_digest": digest(&assessment), "reason": reason()})
        }
        Kind::StandDown => json!({"kind": "stand_down", "reason": reason()}),
        Kind::Json(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
    };
    let who = match odd.and_then(|o| o.who) {
        Some(i) => principals[usize::from(i) % principals.len()],
        None => match kind {
            Kind::Review => REVIEWERS[case.status().signoffs % REVIEWERS.len()],
            Kind::StandDown => "sam.rivera",
            // Redirects and acceptances: the owner of the lane named, else of the case's lane.
            _ => named_lane
                .as_deref()
                .and_then(|l| w.owner_of(&l.into()))
                .or_else(|| w.owner_of(case.recommended_lane()))
                .unwrap_or("sam.rivera"),
        },
    };
    token_line(w, case, who, decision, odd, at, index)
}

/// The command line of a token by `who` carrying `decision`, signed with `who`'s key in the
/// trust in force, valid at `at` unless `odd` says otherwise.
fn token_line(w: &World, case: &Case, who: &str, decision: Value, odd: Option<&OddDecision>, at: DateTime<Utc>, index: usize) -> String {
    let iat = at.timestamp() + odd.and_then(|o| o.iat).map_or(-60, i64::from);
    let max = w.workflow.review().max_token_lifetime_secs;
    let exp = match odd.and_then(|o| o.life.as_ref()) {
        None => iat + 600,
        Some(Life::Max) => iat + max,
        Some(Life::Over) => iat + max + 1,
        Some(Life::Secs(s)) => iat.saturating_add(i64::from(*s)),
    };
    let sub = odd.and_then(|o| o.sub.clone()).unwrap_or_else(|| w.case_id.as_str().to_owned());
    let jti = match odd.and_then(|o| o.jti) {
        Some(j) => format!("fz-{j}"),
        None => format!("fz-step-{index}"),
    };
    let time = odd.and_then(|o| o.at.as_ref()).map_or_else(|| rfc3339(&at), |t| t.render(at));
    let token = w.sign_in(case.trust(), who, &sub, iat, exp, &jti, decision);
    decision_line(&time, &token).to_string()
}

// ----- trust amendments (DESIGN §16) -----

/// The amenders of the trust in force that hold a key this world can sign with; the fixed
/// cast's amenders when none does.
fn amenders(w: &World, trust: &Trust) -> Vec<String> {
    let able: Vec<String> = World::amenders(trust)
        .into_iter()
        .filter(|p| {
            trust
                .principal(&PrincipalId::from(p.as_str()))
                .is_some_and(|e| e.keys.iter().any(|k| w.signer(k.kid.as_str()).is_some()))
        })
        .collect();
    if able.is_empty() {
        ["sam.rivera", "marcus.chen", "dana.okafor", "ruth.mensah"].map(str::to_owned).to_vec()
    } else {
        able
    }
}

fn pick_who(w: &World, trust: &Trust, who: Option<&Who>, default: impl FnOnce(&[String]) -> String) -> String {
    let amenders = amenders(w, trust);
    match who {
        None => default(&amenders),
        Some(Who::Amender(i)) => amenders[usize::from(*i) % amenders.len()].clone(),
        Some(Who::Any(i)) => {
            let all = principals();
            all[usize::from(*i) % all.len()].to_owned()
        }
    }
}

fn key_entry(w: &World, pool: u8) -> KeyEntry {
    let signer = &w.pool[usize::from(pool) % POOL];
    KeyEntry {
        kid: signer.kid().clone(),
        jwk: signer.public_jwk(),
    }
}

fn role_set(bits: u8) -> Vec<RoleId> {
    ROLES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, r)| RoleId::from(*r))
        .collect()
}

/// Applies one change to the new trust document.
fn change(w: &World, case: &Case, file: &mut TrustFile, c: &Change) {
    let n = file.principals.len();
    let at = |i: u8| usize::from(i) % n.max(1);
    match c {
        Change::AddPrincipal { newcomer, key, roles } => file.principals.push(PrincipalEntry {
            id: PrincipalId::from(NEWCOMERS[usize::from(*newcomer) % NEWCOMERS.len()]),
            roles: role_set(*roles),
            keys: vec![key_entry(w, *key)],
        }),
        Change::RemovePrincipal(i) if n > 0 => {
            file.principals.remove(at(*i));
        }
        Change::DropRole { principal, role } if n > 0 => {
            let roles = &mut file.principals[at(*principal)].roles;
            if !roles.is_empty() {
                let j = usize::from(*role) % roles.len();
                roles.remove(j);
            }
        }
        Change::AddRole { principal, role } if n > 0 => {
            file.principals[at(*principal)].roles.push(RoleId::from(ROLES[usize::from(*role) % ROLES.len()]));
        }
        Change::AddKey { principal, key } if n > 0 => {
            let entry = key_entry(w, *key);
            file.principals[at(*principal)].keys.push(entry);
        }
        Change::RemoveKey { principal, key } if n > 0 => {
            let keys = &mut file.principals[at(*principal)].keys;
            if !keys.is_empty() {
                let j = usize::from(*key) % keys.len();
                keys.remove(j);
            }
        }
        Change::DropAmendments => file.amendments = None,
        Change::Threshold(t) => {
            let threshold = match t {
                Threshold::Zero => 0,
                Threshold::One => 1,
                Threshold::Two => 2,
                Threshold::Three => 3,
                Threshold::Large => 1 << 20,
                Threshold::Any(n) => *n,
            };
            file.amendments.get_or_insert_with(authority_lane::testing::amendments).threshold = threshold;
        }
        Change::AmendmentRoles(bits) => {
            file.amendments.get_or_insert_with(authority_lane::testing::amendments).roles = role_set(*bits);
        }
        Change::Readmit { compromised, principal, same_kid } if n > 0 => {
            let gone = case.compromised_keys();
            if gone.is_empty() {
                return;
            }
            let kid = &gone[usize::from(*compromised) % gone.len()].kid;
            let Some(signer) = w.signer(kid.as_str()) else {
                return;
            };
            let kid = if *same_kid { kid.clone() } else { KeyId::from("fz-readmitted") };
            file.principals[at(*principal)].keys.push(KeyEntry {
                kid,
                jwk: signer.public_jwk(),
            });
        }
        Change::DuplicateKey { principal, from } if n > 0 => {
            let Some(key) = file.principals[at(*from)].keys.first().cloned() else {
                return;
            };
            file.principals[at(*principal)].keys.push(KeyEntry {
                kid: KeyId::from("fz-duplicate"),
                jwk: key.jwk,
            });
        }
        _ => {}
    }
}

/// The command line of a new `amend_trust` signature, and its decision object.
fn amend(w: &World, run: &Run, a: &Amend, at: DateTime<Utc>, index: usize) -> (String, Value) {
    let case = &run.case;
    let trust = case.trust();
    let who = pick_who(w, trust, a.who.as_ref(), |amenders| amenders[0].clone());
    let mut file = trust.file().clone();
    for c in a.changes.iter().take(4) {
        change(w, case, &mut file, c);
    }
    let in_force: Vec<(&PrincipalId, &KeyId)> = trust
        .file()
        .principals
        .iter()
        .flat_map(|p| p.keys.iter().map(move |k| (&p.id, &k.kid)))
        .collect();
    let mut compromised = Vec::new();
    for c in a.compromised.iter().take(3) {
        let kid = match c.kid {
            KidPick::InForce(i) if !in_force.is_empty() => in_force[usize::from(i) % in_force.len()].1.clone(),
            KidPick::Signer => w.signer_in(trust, &who).kid().clone(),
            KidPick::InForce(i) | KidPick::Unknown(i) => KeyId::from(format!("fz-unknown-{}", i % 4).as_str()),
        };
        let since = match &c.since {
            Since::BeforeDeclaration(s) => rfc3339(&(t0() - Duration::seconds(i64::from(*s) + 1))),
            Since::Declaration => rfc3339(&t0()),
            Since::Record(i) => {
                let times = &run.times;
                rfc3339(&times[times.len() - 1 - usize::from(*i) % times.len()])
            }
            Since::Now => rfc3339(&at),
            Since::Future(s) => rfc3339(&(at + Duration::seconds(i64::from(*s) + 1))),
            Since::Text(t) => t.render(at),
        };
        if !c.keep {
            for p in &mut file.principals {
                p.keys.retain(|k| k.kid != kid);
            }
        }
        if let Some(key) = c.rekey {
            let owner = in_force.iter().find(|(_, k)| **k == kid).map(|(p, _)| (*p).clone());
            if let Some(p) = owner.and_then(|o| file.principals.iter_mut().find(|p| p.id == o)) {
                p.keys.push(key_entry(w, key));
            }
        }
        compromised.push(json!({"kid": kid, "since": since}));
    }
    let before = match &a.before {
        None | Some(Before::Current) => trust.digest().as_str().to_owned(),
        Some(Before::Root) => case.shared().1.digest().as_str().to_owned(),
        Some(Before::Other(d)) => d.render(Some(trust.digest().as_str())),
    };
    let decision = json!({
        "kind": "amend_trust",
        "trust_digest_before": before,
        "trust": file,
        "compromised": compromised,
        "reason": a.reason.clone().unwrap_or_else(|| "fuzz amendment".to_owned()),
    });
    let line = token_line(w, case, &who, decision.clone(), a.odd.as_deref(), at, index);
    (line, decision)
}

/// Another signature of `decision` (the last amendment built): by default by the first amender
/// of the trust in force that has not signed it yet.
#[allow(clippy::too_many_arguments)]
fn cosign(w: &World, case: &Case, decision: &Value, who: Option<&Who>, odd: Option<&OddDecision>, at: DateTime<Utc>, index: usize) -> String {
    let trust = case.trust();
    let who = pick_who(w, trust, who, |amenders| {
        let digest = match serde_json::from_value::<Decision>(decision.clone()) {
            Ok(Decision::AmendTrust(a)) => Some(a.digest()),
            _ => None,
        };
        let signed: Vec<String> = case
            .pending_amendments()
            .into_iter()
            .filter(|p| Some(&p.amendment_digest) == digest.as_ref())
            .flat_map(|p| p.signed_by.into_iter().map(|s| s.as_str().to_owned()))
            .collect();
        amenders
            .iter()
            .find(|a| !signed.contains(a))
            .unwrap_or(&amenders[amenders.len() - 1])
            .clone()
    });
    token_line(w, case, &who, decision.clone(), odd, at, index)
}
