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
//!   `until`, facts, option, reason), so both deep states and every refusal are close.
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
//! - a finding never lowers the recommended lane (§11.5).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use authority_lane::case::Leaf;
use authority_lane::case::{Case, Command};
use authority_lane::digest::Digest;
use authority_lane::testing::no_journal;
use authority_lane_fuzz::fixture::{World, decision_line, finding_line, now, rfc3339};
use authority_lane_fuzz::inputs::{DigestChoice, Name, TimeText, ValueGen};
use chrono::{DateTime, Duration, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

thread_local! {
    static WORLD: World = World::new();
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
    let mut case = w.drafted.clone();
    for (i, line) in text.split('\n').take(MAX_STEPS).enumerate() {
        step(w, &mut case, line, now() + Duration::seconds(i as i64));
    }
}

/// Decides one command line at the time of record `at`, checks every property, and applies the
/// command when it is accepted.
fn step(w: &World, case: &mut Case, line: &str, at: DateTime<Utc>) {
    let command = match Command::from_json(line) {
        Ok(c) => c,
        Err(rejection) => {
            let _ = rejection.code(); // every refusal names an ErrorCode (by type)
            let _ = rejection.to_string();
            return;
        }
    };
    let events = match case.decide(&command, at) {
        Ok(events) => events,
        Err(rejection) => {
            let _ = rejection.code(); // every refusal names an ErrorCode (by type)
            let _ = rejection.to_string();
            return;
        }
    };
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
    // digest, owner, sign-offs and evidence counts; with the lane history and the clock, two
    // cases that agree here agree on everything `testing::snapshot` shows.
    let status = case.status();
    for (how, replayed) in [("value", &from_value), ("text", &from_text)] {
        let again = replayed.status();
        assert_eq!(status.draft_digest, again.draft_digest, "replay (from the event {how}) reaches another draft\nline: {line}");
        assert_eq!(status, again, "replay (from the event {how}) reaches another status\nline: {line}");
        assert_eq!(case.lane_history(), replayed.lane_history(), "replay (from the event {how}) has another lane history\nline: {line}");
        assert_eq!(case.last_at(), replayed.last_at(), "replay (from the event {how}) has another clock\nline: {line}");
    }
    assert_eq!(
        case.packet(no_journal()).is_some(),
        case.state() == Leaf::Accepted,
        "a packet exists iff the case is closed/accepted"
    );
    if matches!(command, Command::Finding { .. }) {
        assert!(rank(case) >= rank_before, "a finding lowered the lane\nline: {line}");
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
    let mut case = if script.drafted { w.drafted.clone() } else { w.gathering.clone() };
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
            Advance::Back(s) => case.last_at() - Duration::seconds(i64::from(s) + 1),
        };
        let line = match &timed.step {
            Step::Finding { fact, value, odd } => finding(w, *fact, value.as_ref(), odd.as_deref(), at),
            Step::Decision { kind, odd } => decision(w, &case, kind, odd.as_deref(), at, index),
            Step::Next { odd } => {
                let missing = case.status().missing_required;
                match case.state() {
                    Leaf::Gathering => {
                        let fact = missing.first().and_then(|m| facts.iter().position(|f| f.key == *m));
                        finding(w, fact.unwrap_or(0) as u8, None, None, at)
                    }
                    Leaf::AwaitingAcceptance => decision(w, &case, &Kind::Accept, odd.as_deref(), at, index),
                    Leaf::Drafted | Leaf::InReview => decision(w, &case, &Kind::Review, odd.as_deref(), at, index),
                    _ => decision(w, &case, &Kind::StandDown, odd.as_deref(), at, index),
                }
            }
            Step::Line(l) => l.clone(),
        };
        step(w, &mut case, &line, at);
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

fn decision(w: &World, case: &Case, kind: &Kind, odd: Option<&OddDecision>, at: DateTime<Utc>, index: usize) -> String {
    let principals: Vec<&str> = World::principals().collect();
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
    let token = w.sign(who, &sub, iat, exp, &jti, decision);
    decision_line(&time, &token).to_string()
}
