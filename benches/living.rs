//! The living case at scale (issue 22, DESIGN §15): N findings (default 100,000;
//! `AUTHORITY_LANE_BENCH_FINDINGS`) stream through a `CaseStore` on an in-memory journal (sealed
//! records, a checkpoint every 1,024) under the shipped workflow (`carry_over:
//! "decision_unchanged"`), interleaved with the humans: the first review at 25 % of the stream,
//! the second at 50 %, the acceptance at 75 % naming the draft current 500 findings before it
//! (so the epoch's remembered versions are rebuilt and digested until it is found). Every finding repeats a resolved value, so every review is carried to the end; after
//! the acceptance the case records them beside its unchanged packet. Then one finding escalates
//! (a contractual disclosure requirement: legal and trust office), which reopens the case as
//! revision 2; two reviews and the legal lane's acceptance close it again.
//!
//! Prints the median time per finding (`submit_one`: decide, evolve, seal, append) in chunks of
//! 10,000 and per phase, the last chunk against the first (flat: O(1) per finding beyond the
//! lineage root's O(log n)), and each human command's time. Asserts what the stream must leave,
//! so a wrong behaviour fails the bench.

use authority_lane::approval::{Accept, Decision, Review};
use authority_lane::case::{Command, Leaf};
use authority_lane::store::{CaseStore, Clock};
use authority_lane::testing::{Cast, Harness};
use authority_lane::{Digest, journal::MemoryJournal};
use serde_json::json;
use std::time::Instant;

const CHUNK: usize = 10_000;

type Store = CaseStore<MemoryJournal>;

/// Submits `c`, which must be accepted; returns how long it took (ns).
fn timed(store: &mut Store, c: &Command) -> f64 {
    let t = Instant::now();
    store
        .submit_one(c.clone())
        .unwrap_or_else(|e| panic!("refused: {e}"));
    t.elapsed().as_nanos() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The baseline: the same findings into a drafted case under `carry_over: "never"` (each a new
/// revision; no epoch kept), median and mean ns per finding.
fn never_baseline(n: usize) -> (f64, f64) {
    let workflow = authority_lane::testing::shipped_workflow_carrying(
        authority_lane::workflow::CarryOver::Never,
    );
    let mut h = Harness::open(
        workflow.clone(),
        Cast::fixed(),
        "sam.rivera",
        "case-7".into(),
        "2026-11-28T09:00:00Z".parse().unwrap(),
    );
    let (at, cast) = (h.now, Cast::fixed());
    let declaration = cast.declaration(h.case.id(), at);
    let trust = cast.trust().clone().into();
    let mut store = CaseStore::in_memory(workflow, trust, &declaration, Clock::Supplied(at))
        .expect("the case opens");
    let mut times = Vec::with_capacity(n);
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(3)),
        ("authority.platform_delegation", json!("active")),
    ] {
        let c = h.finding(f, v);
        timed(&mut store, &c);
    }
    for i in 0..n {
        let c = repeat(&mut h, i);
        h.now = at;
        times.push(timed(&mut store, &c));
    }
    assert_eq!(store.case().state(), Leaf::Drafted);
    (mean(&times), median(times))
}

/// A finding repeating `lineage.internal_packages_in_window` = 3 from a new record.
fn repeat(h: &mut Harness, i: usize) -> Command {
    let mut c = h.finding("lineage.internal_packages_in_window", json!(3));
    if let Command::Finding { finding, .. } = &mut c {
        finding.source.record = format!("inventory-{i}");
    }
    c
}

fn review(h: &mut Harness, who: &str, digest: &Digest) -> Command {
    let attests = h.case.workflow().review().attestations.clone();
    h.decision(
        who,
        Decision::Review(Review {
            packet_digest: digest.clone(),
            attests,
        }),
    )
}

fn accept(h: &mut Harness, who: &str, store: &Store, digest: &Digest) -> Command {
    let lane = store.case().recommended_lane().clone();
    h.decision(
        who,
        Decision::Accept(Accept {
            lane,
            packet_digest: digest.clone(),
        }),
    )
}

fn main() {
    let n: usize = std::env::var("AUTHORITY_LANE_BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // The harness mints commands and tokens (the fixed cast); the store decides them.
    let mut h = Harness::new();
    let at = h.now;
    let cast = Cast::fixed();
    let declaration = cast.declaration(h.case.id(), at);
    let workflow = authority_lane::workflow::shipped();
    let mut store = CaseStore::in_memory(
        workflow,
        cast.trust().clone().into(),
        &declaration,
        Clock::Supplied(at),
    )
    .expect("the case opens");
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(3)),
        ("authority.platform_delegation", json!("active")),
        ("lineage.internal_packages_in_window", json!(3)),
    ] {
        let c = h.finding(f, v);
        timed(&mut store, &c);
    }
    assert_eq!(store.case().state(), Leaf::Drafted);
    h.now = at;

    let (quarter, half, three_quarters) = (n / 4, n / 2, 3 * n / 4);
    let mut phases: Vec<(&str, Vec<f64>)> = vec![
        ("drafted", Vec::new()),
        ("in_review (1 sign-off carried)", Vec::new()),
        ("awaiting_acceptance (quorum carried)", Vec::new()),
        ("accepted (recorded beside the packet)", Vec::new()),
    ];
    let mut chunks = Vec::new();
    let mut all = Vec::with_capacity(n);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut humans: Vec<(String, f64)> = Vec::new();
    let mut older = None;
    let mut packet = None;
    for i in 0..n {
        if i == quarter || i == half {
            let who = if i == quarter {
                "lee.park"
            } else {
                "ines.duarte"
            };
            let digest = store.case().draft_digest().expect("a draft");
            let c = review(&mut h, who, &digest);
            humans.push((
                format!("review by {who} (current draft)"),
                timed(&mut store, &c),
            ));
        }
        if i + 500 == three_quarters {
            older = store.case().draft_digest();
        }
        if i == three_quarters {
            let digest = older.clone().expect("a draft 500 findings before");
            let c = accept(&mut h, "marcus.chen", &store, &digest);
            let name = "acceptance naming the draft 500 findings old".to_owned();
            humans.push((name, timed(&mut store, &c)));
            assert_eq!(store.case().state(), Leaf::Accepted);
            packet = store.packet().map(|p| p.packet_digest().clone());
        }
        let phase = match i {
            _ if i < quarter => 0,
            _ if i < half => 1,
            _ if i < three_quarters => 2,
            _ => 3,
        };
        let c = repeat(&mut h, i);
        h.now = at;
        let t = timed(&mut store, &c);
        phases[phase].1.push(t);
        all.push(t);
        chunk.push(t);
        if chunk.len() == CHUNK {
            chunks.push(median(std::mem::take(&mut chunk)));
        }
    }
    // Every review carried; the accepted packet unchanged by the findings after it.
    let case = store.case();
    assert_eq!(case.state(), Leaf::Accepted, "the acceptance stands");
    assert_eq!(
        case.findings_since_acceptance(),
        (n - three_quarters) as u64
    );
    assert_eq!(store.packet().map(|p| p.packet_digest().clone()), packet);
    let draft = store.packet().expect("accepted").draft().clone();
    assert_eq!(draft.stability.carried_signoffs, 2, "both reviews carried");
    assert_eq!(draft.stability.voided_signoffs, 0);

    // The escalation reopens the case; the new owner closes revision 2.
    let c = h.finding("impact.contractual_disclosure_required", json!(true));
    humans.push((
        "escalation (reopens as revision 2)".into(),
        timed(&mut store, &c),
    ));
    assert_eq!(store.case().state(), Leaf::Drafted);
    assert_eq!(store.case().revision(), 2);
    assert_eq!(store.case().prior_revisions().len(), 1);
    let digest = store.case().draft_digest().expect("a draft");
    for who in ["lee.park", "ines.duarte"] {
        let c = review(&mut h, who, &digest);
        humans.push((
            format!("revision 2: review by {who}"),
            timed(&mut store, &c),
        ));
    }
    let c = accept(&mut h, "dana.okafor", &store, &digest);
    humans.push((
        "revision 2: acceptance by dana.okafor".into(),
        timed(&mut store, &c),
    ));
    assert_eq!(store.case().state(), Leaf::Accepted);
    assert_eq!(store.case().revision(), 2);
    let second = store.packet().expect("accepted");
    assert_eq!(second.draft().content.prior_revisions.len(), 1);
    assert_eq!(
        second.draft().content.recommended_lane.as_str(),
        "legal-trust-office"
    );

    println!(
        "{n} findings through a CaseStore (memory journal, checkpoint every 1,024 records), shipped workflow; submit_one per finding, median ns per chunk of {CHUNK}:"
    );
    for (i, m) in chunks.iter().enumerate() {
        println!("  chunk {:>3}: {m:>8.0}", i + 1);
    }
    if let (Some(first), Some(last)) = (chunks.first(), chunks.last()) {
        println!("last chunk / first chunk: {:.2}×", last / first);
    }
    println!("per phase (median and mean ns per finding; the mean includes checkpoints):");
    for (name, times) in phases {
        let count = times.len();
        let m = mean(&times);
        println!(
            "  {name:<40} {:>8.0} {m:>8.0}  ({count} findings)",
            median(times)
        );
    }
    let (base_mean, base_median) = never_baseline(n);
    println!(
        "whole stream: median {:.0}, mean {:.0}; the same {n} findings under carry_over \"never\" (drafted, nothing carried): median {base_median:.0}, mean {base_mean:.0} — ratio {:.2}× (median), {:.2}× (mean)",
        median(all.clone()),
        mean(&all),
        median(all.clone()) / base_median,
        mean(&all) / base_mean
    );
    println!("human commands and the escalation (ns, one each):");
    for (name, t) in humans {
        println!("  {name:<50} {t:>12.0}");
    }
    println!(
        "revision 1 accepted with both sign-offs carried over {} findings; revision 2 accepted by dana.okafor after the escalation",
        three_quarters - quarter
    );
}
