//! Streaming evidence under review (DESIGN §15): the per-finding cost of `decide` + `evolve`
//! while a sign-off waits, under `review.carry_over: "never"` (every finding voids it) and
//! `"decision_unchanged"` (every finding that changes no decision carries it; a repeat of a
//! resolved value is known to change none without building the draft, and the epoch keeps the
//! finding, not a draft digest).
//!
//! `cargo bench --bench epochs` streams N findings (default 100,000;
//! `AUTHORITY_LANE_BENCH_FINDINGS`) that repeat a resolved value into a case in review, in
//! chunks of 10,000, and prints the median per-finding time of each chunk under both modes,
//! the ratio between them, and the last chunk against the first (flat means the cost does not
//! grow with the lineage). Under `decision_unchanged` it then checks what the stream did: the
//! sign-off carried through every finding, a second review naming the first draft (N findings
//! old, outside the remembered window when N ≥ `EPOCH_DRAFTS`) refused and one naming the current draft
//! taken, an acceptance naming the current draft accepted.

use authority_lane::case::{Command, Leaf};
use authority_lane::digest::Digest;
use authority_lane::testing::{Cast, Harness, shipped_workflow_carrying};
use authority_lane::workflow::CarryOver;
use serde_json::json;
use std::time::Instant;

const CHUNK: usize = 10_000;

/// A case in review (one sign-off) with `lineage.internal_packages_in_window` = 3.
fn in_review(carry: CarryOver) -> Harness {
    let mut h = Harness::open(
        shipped_workflow_carrying(carry),
        Cast::fixed(),
        "sam.rivera",
        "case-7".into(),
        "2026-11-28T09:00:00Z".parse().unwrap(),
    );
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(0)),
        ("authority.platform_delegation", json!("active")),
        ("lineage.internal_packages_in_window", json!(3)),
    ] {
        let c = h.finding(f, v);
        h.must(c);
    }
    let c = h.review("lee.park");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::InReview);
    h
}

fn corroboration(h: &mut Harness, i: usize) -> Command {
    let mut c = h.finding("lineage.internal_packages_in_window", json!(3));
    if let Command::Finding { finding, .. } = &mut c {
        finding.source.record = format!("corroboration-{i}");
    }
    // The harness's clock moves ten seconds a command; keep the stream inside token lifetimes
    // by not advancing it (a stream arrives within seconds).
    h.now -= chrono::Duration::seconds(10);
    c
}

/// Median of per-finding times (ns) in each chunk of `n` findings.
fn stream(h: &mut Harness, n: usize, after: impl Fn(&Harness)) -> Vec<f64> {
    let mut medians = Vec::new();
    let mut times = Vec::with_capacity(CHUNK);
    for i in 0..n {
        let c = corroboration(h, i);
        let t = Instant::now();
        h.must(c);
        times.push(t.elapsed().as_nanos() as f64);
        after(h);
        if times.len() == CHUNK || i + 1 == n {
            times.sort_by(f64::total_cmp);
            medians.push(times[times.len() / 2]);
            times.clear();
        }
    }
    medians
}

fn main() {
    let n: usize = std::env::var("AUTHORITY_LANE_BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut never = in_review(CarryOver::Never);
    let never_medians = stream(&mut never, n, |_| {});
    assert_eq!(
        never.case.state(),
        Leaf::Drafted,
        "under never a finding voids"
    );

    let mut carry = in_review(CarryOver::DecisionUnchanged);
    let first = carry.case.draft_digest().unwrap();
    let decision = carry.case.decision_digest();
    let carry_medians = stream(&mut carry, n, |h| {
        debug_assert_eq!(h.case.state(), Leaf::InReview);
    });
    assert_eq!(carry.case.state(), Leaf::InReview, "the sign-off carried");
    assert_eq!(carry.case.status().signoffs, 1);
    assert_eq!(carry.case.decision_digest(), decision);

    println!(
        "{n} findings repeating a resolved value into a case in review, decide + evolve per finding (median ns per chunk of {CHUNK}):"
    );
    println!(
        "{:>8}  {:>10}  {:>18}  {:>6}",
        "chunk", "never", "decision_unchanged", "ratio"
    );
    for (i, (a, b)) in never_medians.iter().zip(&carry_medians).enumerate() {
        println!("{:>8}  {:>10.0}  {:>18.0}  {:>5.2}×", i + 1, a, b, b / a);
    }
    let flat = |m: &[f64]| m[m.len() - 1] / m[0];
    println!(
        "last chunk / first chunk: never {:.2}×, decision_unchanged {:.2}×",
        flat(&never_medians),
        flat(&carry_medians)
    );

    // What the stream left: the first draft fell out of the epoch's window (when n > EPOCH_DRAFTS),
    // the current one is nameable, and the acceptance closes the case.
    let named = |h: &mut Harness, who: &str, digest: &Digest| {
        let attests = h.case.workflow().review().attestations.clone();
        h.decision(
            who,
            authority_lane::approval::Decision::Review(authority_lane::approval::Review {
                packet_digest: digest.clone(),
                attests,
            }),
        )
    };
    if n > authority_lane::case::EPOCH_DRAFTS {
        let c = named(&mut carry, "ines.duarte", &first);
        assert!(
            carry.apply(&c).is_err(),
            "a draft outside the window is stale"
        );
    }
    let c = carry.review("ines.duarte");
    carry.must(c);
    assert_eq!(carry.case.state(), Leaf::AwaitingAcceptance);
    let c = carry.accept("priya.natarajan");
    carry.must(c);
    assert_eq!(carry.case.state(), Leaf::Accepted);
    println!(
        "decision_unchanged: the sign-off carried through {n} findings; quorum and acceptance on the current draft; {} findings in the accepted packet",
        carry.case.evidence().count()
    );
}
