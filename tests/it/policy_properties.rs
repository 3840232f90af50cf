//! Property tests of the lane assessment (DESIGN §3–5) over random partial fact assignments
//! for the shipped signing-key-compromise workflow.
//!
//! A *partial assignment* gives each declared fact either no value (unknown) or a valid value
//! of its declared type. A *completion* fills every unknown fact from a per-type representative
//! domain that covers each rule's decision boundary in this workflow (bool: false/true; count:
//! 0, 1, 5; enum: every value; timestamp: two instants).

use authority_lane::assess::{Assessment, BoundaryStatus, LaneStatus, assess};
use authority_lane::ids::{FactKey, LaneId};
use authority_lane::workflow::{FactType, FactValue, Truth, Workflow};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// Quickcheck cases per property.
const CASES: u64 = 500;
/// Enumerate every completion up to this many; sample beyond.
const FULL_ENUMERATION_LIMIT: usize = 4096;
/// Random completions checked when the completion space is too large to enumerate.
const SAMPLED_COMPLETIONS: usize = 500;

static WORKFLOW: LazyLock<Workflow> = LazyLock::new(|| {
    Workflow::from_json(include_bytes!(
        "../../workflows/signing-key-compromise.json"
    ))
    .expect("the shipped workflow loads")
});

fn wf() -> &'static Workflow {
    &WORKFLOW
}

/// A partial assignment of raw JSON values, each valid for its fact's declared type.
#[derive(Clone)]
struct Assignment(BTreeMap<String, Value>);

impl std::fmt::Debug for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", json!({ "facts": self.0 }))
    }
}

fn arbitrary_timestamp(g: &mut Gen) -> String {
    let year = 2020 + u32::arbitrary(g) % 10;
    let month = 1 + u32::arbitrary(g) % 12;
    let day = 1 + u32::arbitrary(g) % 28;
    let (h, m, s) = (
        u32::arbitrary(g) % 24,
        u32::arbitrary(g) % 60,
        u32::arbitrary(g) % 60,
    );
    let zone = *g.choose(&["Z", "Z", "+00:00", "+02:00", "-05:30"]).unwrap();
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{zone}")
}

fn arbitrary_count(g: &mut Gen) -> u64 {
    match u8::arbitrary(g) % 10 {
        0..=3 => 0,
        4..=6 => 1 + u64::arbitrary(g) % 3,
        7..=8 => u64::arbitrary(g) % 50,
        // Any count a finding may carry: I-JSON integers, at most 2^53 - 1.
        _ => u64::arbitrary(g) % (authority_lane::workflow::MAX_COUNT + 1),
    }
}

impl Arbitrary for Assignment {
    fn arbitrary(g: &mut Gen) -> Self {
        // Vary how much is known, from almost nothing to everything.
        let known_percent = *g.choose(&[0u8, 10, 30, 50, 70, 90, 100]).unwrap();
        let mut out = BTreeMap::new();
        for (key, def) in wf().facts() {
            if u8::arbitrary(g) % 100 >= known_percent {
                continue;
            }
            let v = match def.ty {
                FactType::Bool => json!(bool::arbitrary(g)),
                FactType::Count => json!(arbitrary_count(g)),
                FactType::Enum => json!(g.choose(&def.values).unwrap()),
                FactType::Timestamp => json!(arbitrary_timestamp(g)),
            };
            out.insert(key.as_str().to_owned(), v);
        }
        Assignment(out)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        // Forget one fact, or lower a count towards 0.
        let mut smaller = Vec::new();
        for (k, v) in &self.0 {
            let mut forgotten = self.0.clone();
            forgotten.remove(k);
            smaller.push(Assignment(forgotten));
            if let Some(n) = v.as_u64().filter(|n| *n > 1) {
                let mut lowered = self.0.clone();
                lowered.insert(k.clone(), json!(n / 2));
                smaller.push(Assignment(lowered));
            }
        }
        Box::new(smaller.into_iter())
    }
}

type Typed = BTreeMap<FactKey, FactValue>;

fn typed(raw: &BTreeMap<String, Value>) -> Typed {
    raw.iter()
        .map(|(k, v)| {
            let key = FactKey::from(k.as_str());
            let val = wf()
                .parse_fact(&key, v)
                .unwrap_or_else(|e| panic!("generator produced an invalid value {k}={v}: {e}"));
            (key, val)
        })
        .collect()
}

fn assess_raw(raw: &BTreeMap<String, Value>) -> Assessment {
    assess(wf(), &typed(raw))
}

fn rank(lane: &LaneId) -> u32 {
    wf().lane(lane)
        .unwrap_or_else(|| panic!("assessment names undeclared lane {lane}"))
        .rank
}

/// The representative domain of a fact, least severe first.
fn domain(key: &FactKey) -> Vec<Value> {
    let def = wf().fact(key).unwrap();
    match def.ty {
        FactType::Bool => vec![json!(false), json!(true)],
        FactType::Count => vec![json!(0), json!(1), json!(5)],
        FactType::Enum => def.values.iter().map(|v| json!(v)).collect(),
        FactType::Timestamp => vec![json!("2026-11-26T00:00:00Z"), json!("2026-12-01T12:00:00Z")],
    }
}

/// A tiny deterministic generator for sampling completions (xorshift64*).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// Completions of `raw`: all of them when few, else the all-minimum and all-maximum
/// completions, every single deviation from the all-minimum one, and random samples.
fn completions(raw: &BTreeMap<String, Value>) -> Vec<BTreeMap<String, Value>> {
    let unknown: Vec<(String, Vec<Value>)> = wf()
        .facts()
        .keys()
        .filter(|k| !raw.contains_key(k.as_str()))
        .map(|k| (k.as_str().to_owned(), domain(k)))
        .collect();
    let total = unknown
        .iter()
        .try_fold(1usize, |acc, (_, d)| acc.checked_mul(d.len()))
        .unwrap_or(usize::MAX);
    let build = |choice: &[usize]| {
        let mut c = raw.clone();
        for ((k, d), i) in unknown.iter().zip(choice) {
            c.insert(k.clone(), d[*i].clone());
        }
        c
    };
    let mut out = Vec::new();
    if total <= FULL_ENUMERATION_LIMIT {
        let mut choice = vec![0usize; unknown.len()];
        loop {
            out.push(build(&choice));
            // Odometer increment.
            let mut pos = 0;
            loop {
                if pos == choice.len() {
                    return out;
                }
                choice[pos] += 1;
                if choice[pos] < unknown[pos].1.len() {
                    break;
                }
                choice[pos] = 0;
                pos += 1;
            }
        }
    }
    let min = vec![0usize; unknown.len()];
    let max: Vec<usize> = unknown.iter().map(|(_, d)| d.len() - 1).collect();
    out.push(build(&min));
    out.push(build(&max));
    for (pos, (_, d)) in unknown.iter().enumerate() {
        for i in 1..d.len() {
            let mut c = min.clone();
            c[pos] = i;
            out.push(build(&c));
        }
    }
    let seed = raw.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, (k, v)| {
        (h ^ (k.len() as u64 * 31 + v.to_string().len() as u64)).rotate_left(7) | 1
    });
    let mut rng = Rng(seed);
    for _ in 0..SAMPLED_COMPLETIONS {
        let c: Vec<usize> = unknown.iter().map(|(_, d)| rng.below(d.len())).collect();
        out.push(build(&c));
    }
    out
}

fn check(prop: fn(Assignment) -> TestResult) {
    QuickCheck::new()
        .tests(CASES)
        .max_tests(CASES * 20)
        .quickcheck(prop);
}

/// (a) A stable recommendation holds for every completion of the unknown facts.
#[test]
fn stable_recommendation_holds_for_every_completion() {
    fn prop(a: Assignment) -> TestResult {
        let base = assess_raw(&a.0);
        if !base.stable {
            return TestResult::discard();
        }
        for c in completions(&a.0) {
            let got = assess_raw(&c).recommended_lane;
            if got != base.recommended_lane {
                return TestResult::error(format!(
                    "stable recommendation {} but completion {:?} recommends {got}",
                    base.recommended_lane,
                    Assignment(c)
                ));
            }
        }
        TestResult::passed()
    }
    check(prop);
}

/// (b) Every pending trigger is reachable: some completion makes its lane the recommended one.
#[test]
fn every_pending_trigger_can_escalate_in_some_completion() {
    fn prop(a: Assignment) -> TestResult {
        let base = assess_raw(&a.0);
        if base.pending.is_empty() {
            return TestResult::discard();
        }
        let reached: BTreeSet<LaneId> = completions(&a.0)
            .iter()
            .map(|c| assess_raw(c).recommended_lane)
            .collect();
        for p in &base.pending {
            if !reached.contains(&p.could_escalate_to) {
                return TestResult::error(format!(
                    "pending {} could escalate to {} but no completion recommends it (reached {reached:?})",
                    p.rule, p.could_escalate_to
                ));
            }
        }
        TestResult::passed()
    }
    check(prop);
}

/// More severe values of `v` for fact `key` (timestamps have no rule-relevant raise).
fn raises(key: &FactKey, v: &Value) -> Vec<Value> {
    let def = wf().fact(key).unwrap();
    match def.ty {
        FactType::Bool if v == &json!(false) => vec![json!(true)],
        FactType::Bool => vec![],
        FactType::Count => {
            let n = v.as_u64().unwrap();
            [1, 5, n.saturating_add(1)]
                .into_iter()
                .chain(n.checked_mul(2).map(|d| d + 1))
                .filter(|m| *m > n && *m <= authority_lane::workflow::MAX_COUNT)
                .map(|m| json!(m))
                .collect()
        }
        FactType::Enum => {
            let pos = def.values.iter().position(|s| v == s).unwrap();
            def.values[pos + 1..].iter().map(|s| json!(s)).collect()
        }
        FactType::Timestamp => vec![],
    }
}

/// (c) Raising a known fact's severity never lowers the recommended lane.
#[test]
fn raising_a_known_fact_never_lowers_the_lane() {
    fn prop(a: Assignment) -> TestResult {
        let base_rank = rank(&assess_raw(&a.0).recommended_lane);
        let mut raised_any = false;
        for (k, v) in &a.0 {
            for higher in raises(&FactKey::from(k.as_str()), v) {
                raised_any = true;
                let mut r = a.0.clone();
                r.insert(k.clone(), higher.clone());
                let got = assess_raw(&r).recommended_lane;
                if rank(&got) < base_rank {
                    return TestResult::error(format!(
                        "raising {k} from {v} to {higher} lowered the lane to {got}"
                    ));
                }
            }
        }
        if raised_any {
            TestResult::passed()
        } else {
            TestResult::discard()
        }
    }
    check(prop);
}

/// (d) Lanes below the recommended one are blocked with true reasons; lanes above are viable.
#[test]
fn blocked_lanes_have_true_reasons_and_statuses_follow_rank() {
    fn prop(a: Assignment) -> TestResult {
        let facts = typed(&a.0);
        let out = assess(wf(), &facts);
        let rec = rank(&out.recommended_lane);
        if out.lanes.len() != wf().lanes().len() {
            return TestResult::error("not every lane is assessed");
        }
        for (la, lane) in out.lanes.iter().zip(wf().lanes()) {
            if la.lane != lane.id || la.rank != lane.rank {
                return TestResult::error(format!(
                    "lanes out of order: {} vs {}",
                    la.lane, lane.id
                ));
            }
            let expected = match la.rank.cmp(&rec) {
                std::cmp::Ordering::Less => LaneStatus::Blocked,
                std::cmp::Ordering::Equal => LaneStatus::Recommended,
                std::cmp::Ordering::Greater => LaneStatus::Viable,
            };
            if la.status != expected {
                return TestResult::error(format!(
                    "lane {} (rank {}) is {:?}, expected {expected:?} with recommended rank {rec}",
                    la.lane, la.rank, la.status
                ));
            }
            if la.status != LaneStatus::Blocked {
                continue;
            }
            if la.reasons.is_empty() {
                return TestResult::error(format!("blocked lane {} has no reason", la.lane));
            }
            for reason in &la.reasons {
                let Some((owner, trigger)) = wf().lanes().iter().find_map(|l| {
                    l.triggers
                        .iter()
                        .find(|t| t.id == reason.rule)
                        .map(|t| (l, t))
                }) else {
                    return TestResult::error(format!("reason names unknown rule {}", reason.rule));
                };
                if trigger.rule.eval(&facts) != Truth::True {
                    return TestResult::error(format!(
                        "reason {} for blocked lane {} is not true",
                        reason.rule, la.lane
                    ));
                }
                if reason.lane != owner.id || owner.rank <= la.rank {
                    return TestResult::error(format!(
                        "reason {} names lane {} (owner {}), not above blocked lane {}",
                        reason.rule, reason.lane, owner.id, la.lane
                    ));
                }
            }
        }
        TestResult::passed()
    }
    check(prop);
}

/// (e) An option is inside exactly when its boundary lane ranks at or below the recommendation.
#[test]
fn option_boundaries_agree_with_ranks() {
    fn prop(a: Assignment) -> TestResult {
        let out = assess_raw(&a.0);
        let rec = rank(&out.recommended_lane);
        for o in &out.options {
            let inside = rank(&o.boundary_lane) <= rec;
            if inside != (o.boundary == BoundaryStatus::Inside) {
                return TestResult::error(format!(
                    "option {} boundary {:?} with boundary lane {} and recommended {}",
                    o.id, o.boundary, o.boundary_lane, out.recommended_lane
                ));
            }
        }
        TestResult::passed()
    }
    check(prop);
}

/// (f) The assessment is a pure function and its summary flags agree with its lists.
#[test]
fn assessment_is_pure_and_self_consistent() {
    fn prop(a: Assignment) -> TestResult {
        let first = assess_raw(&a.0);
        let second = assess_raw(&a.0);
        if first != second {
            return TestResult::error("two assessments of one input differ");
        }
        if serde_json::to_string(&first).unwrap() != serde_json::to_string(&second).unwrap() {
            return TestResult::error("two serialisations of one input differ");
        }
        TestResult::from_bool(
            first.stable == first.pending.is_empty()
                && first.ready_for_review == first.missing_required.is_empty(),
        )
    }
    check(prop);
}

// ---------------------------------------------------------------------------------------------
// An independent model of DESIGN §4–5, written over the raw JSON values in Kleene logic.
// ---------------------------------------------------------------------------------------------

/// Kleene truth: `None` is unknown.
type K = Option<bool>;

fn k_and(items: &[K]) -> K {
    if items.contains(&Some(false)) {
        Some(false)
    } else if items.contains(&None) {
        None
    } else {
        Some(true)
    }
}

fn k_or(items: &[K]) -> K {
    if items.contains(&Some(true)) {
        Some(true)
    } else if items.contains(&None) {
        None
    } else {
        Some(false)
    }
}

const PLATFORM: &str = "platform-security-command";
const EXECUTIVE: &str = "executive-cyber-command";
const LEGAL: &str = "legal-trust-office";

#[derive(Debug, PartialEq)]
struct ModelOption {
    id: &'static str,
    conditional: bool,
    boundary_lane: &'static str,
    inside: bool,
    reversibility: &'static str,
}

#[derive(Debug, PartialEq)]
struct Model {
    recommended: &'static str,
    /// (lane, status, sorted rule ids of the reasons for a blocked lane)
    lanes: Vec<(&'static str, &'static str, Vec<&'static str>)>,
    /// (rule, lane, unknown facts)
    pending: Vec<(&'static str, &'static str, Vec<&'static str>)>,
    options: Vec<ModelOption>,
    missing_required: Vec<&'static str>,
}

fn model(raw: &BTreeMap<String, Value>) -> Model {
    let count_gt0 = |k: &str| raw.get(k).map(|v| v.as_u64().expect("count") > 0);
    let str_eq = |k: &str, s: &str| raw.get(k).map(|v| v.as_str().expect("enum") == s);
    let bool_eq = |k: &str, b: bool| raw.get(k).map(|v| v.as_bool().expect("bool") == b);

    // (rule, lane, rank, truth, fact)
    let triggers: Vec<(&str, &str, u32, K, &str)> = vec![
        (
            "E1",
            EXECUTIVE,
            2,
            count_gt0("lineage.desktop_agent_artifacts_in_window"),
            "lineage.desktop_agent_artifacts_in_window",
        ),
        (
            "E2",
            EXECUTIVE,
            2,
            count_gt0("impact.customers_affected"),
            "impact.customers_affected",
        ),
        (
            "E3",
            EXECUTIVE,
            2,
            str_eq("custody.exposure", "confirmed"),
            "custody.exposure",
        ),
        (
            "E4",
            EXECUTIVE,
            2,
            count_gt0("custody.rogue_signatures_observed"),
            "custody.rogue_signatures_observed",
        ),
        (
            "E5",
            EXECUTIVE,
            2,
            str_eq("authority.platform_delegation", "active").map(|b| !b),
            "authority.platform_delegation",
        ),
        (
            "L1",
            LEGAL,
            3,
            bool_eq("impact.contractual_disclosure_required", true),
            "impact.contractual_disclosure_required",
        ),
        (
            "L2",
            LEGAL,
            3,
            bool_eq("impact.broad_invalidation_required", true),
            "impact.broad_invalidation_required",
        ),
        (
            "L3",
            LEGAL,
            3,
            bool_eq("lineage.third_party_redistribution", true),
            "lineage.third_party_redistribution",
        ),
    ];
    let lanes = [(PLATFORM, 1u32), (EXECUTIVE, 2), (LEGAL, 3)];
    let rec_rank = triggers
        .iter()
        .filter(|t| t.3 == Some(true))
        .map(|t| t.2)
        .max()
        .unwrap_or(1);
    let recommended = lanes.iter().find(|l| l.1 == rec_rank).unwrap().0;
    let lane_rank = |id: &str| lanes.iter().find(|l| l.0 == id).unwrap().1;

    let lane_rows = lanes
        .iter()
        .map(|&(id, r)| {
            if r < rec_rank {
                let mut reasons: Vec<&str> = triggers
                    .iter()
                    .filter(|t| t.2 > r && t.3 == Some(true))
                    .map(|t| t.0)
                    .collect();
                reasons.sort();
                (id, "blocked", reasons)
            } else if r == rec_rank {
                (id, "recommended", vec![])
            } else {
                (id, "viable", vec![])
            }
        })
        .collect();
    let mut pending: Vec<_> = triggers
        .iter()
        .filter(|t| t.2 > rec_rank && t.3.is_none())
        .map(|t| (t.0, t.1, vec![t.4]))
        .collect();
    pending.sort();

    let desktop = count_gt0("lineage.desktop_agent_artifacts_in_window");
    let exposure_suspected_or_confirmed = raw
        .get("custody.exposure")
        .map(|v| matches!(v.as_str(), Some("suspected" | "confirmed")));
    let contractual_ne_false = bool_eq("impact.contractual_disclosure_required", false).map(|b| !b);
    let freeze_boundary = if bool_eq("release.freeze_within_policy", true) == Some(true) {
        PLATFORM
    } else {
        EXECUTIVE
    };
    let table: Vec<(&str, K, &str, &str)> = vec![
        ("contain-and-monitor", Some(true), PLATFORM, "reversible"),
        (
            "limited-revocation-internal",
            count_gt0("lineage.internal_packages_in_window"),
            PLATFORM,
            "partially_reversible",
        ),
        (
            "targeted-release-freeze",
            Some(true),
            freeze_boundary,
            "reversible",
        ),
        (
            "customer-trust-review",
            k_or(&[desktop, count_gt0("impact.customers_affected")]),
            EXECUTIVE,
            "reversible",
        ),
        ("full-release-freeze", desktop, EXECUTIVE, "reversible"),
        (
            "broad-package-invalidation",
            k_and(&[
                exposure_suspected_or_confirmed,
                k_or(&[desktop, bool_eq("impact.broad_invalidation_required", true)]),
            ]),
            LEGAL,
            "irreversible",
        ),
        (
            "contractual-disclosure",
            contractual_ne_false,
            LEGAL,
            "irreversible",
        ),
    ];
    let mut options: Vec<ModelOption> = table
        .into_iter()
        .filter(|(_, applicable, _, _)| *applicable != Some(false))
        .map(
            |(id, applicable, boundary_lane, reversibility)| ModelOption {
                id,
                conditional: applicable.is_none(),
                boundary_lane,
                inside: lane_rank(boundary_lane) <= rec_rank,
                reversibility,
            },
        )
        .collect();
    options.sort_by_key(|o| o.id);
    let mut missing_required: Vec<&str> = [
        "custody.exposure",
        "lineage.desktop_agent_artifacts_in_window",
        "authority.platform_delegation",
    ]
    .into_iter()
    .filter(|k| !raw.contains_key(*k))
    .collect();
    missing_required.sort();
    Model {
        recommended,
        lanes: lane_rows,
        pending,
        options,
        missing_required,
    }
}

/// Projects an assessment onto the model's shape (via its JSON, the contract).
fn project(a: &Assessment) -> Value {
    let j = serde_json::to_value(a).unwrap();
    let lanes: Vec<Value> = j["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut rules: Vec<&str> = if l["status"] == "blocked" {
                l["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["rule"].as_str().unwrap())
                    .collect()
            } else {
                vec![]
            };
            rules.sort();
            json!([l["lane"], l["status"], rules])
        })
        .collect();
    let mut pending: Vec<Value> = j["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["rule"], p["could_escalate_to"], p["facts"]]))
        .collect();
    pending.sort_by_key(|p| p.to_string());
    let mut options: Vec<Value> = j["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            json!({"id": o["id"], "conditional": o["conditional"], "boundary_lane": o["boundary_lane"],
                   "inside": o["boundary"] == "inside", "reversibility": o["reversibility"]})
        })
        .collect();
    options.sort_by_key(|o| o["id"].as_str().unwrap().to_owned());
    let mut missing = j["missing_required"].as_array().unwrap().clone();
    missing.sort_by_key(|m| m.to_string());
    json!({"recommended": j["recommended_lane"], "lanes": lanes, "pending": pending,
           "options": options, "missing_required": missing, "stable": j["stable"],
           "ready_for_review": j["ready_for_review"]})
}

fn project_model(m: &Model) -> Value {
    let options: Vec<Value> = m
        .options
        .iter()
        .map(|o| {
            json!({"id": o.id, "conditional": o.conditional, "boundary_lane": o.boundary_lane,
                   "inside": o.inside, "reversibility": o.reversibility})
        })
        .collect();
    json!({"recommended": m.recommended, "lanes": m.lanes, "pending": m.pending,
           "options": options, "missing_required": m.missing_required,
           "stable": m.pending.is_empty(), "ready_for_review": m.missing_required.is_empty()})
}

/// The assessment agrees with a hand-written model of DESIGN §4–5.
#[test]
fn assessment_agrees_with_independent_model() {
    fn prop(a: Assignment) -> TestResult {
        let got = project(&assess_raw(&a.0));
        let want = project_model(&model(&a.0));
        if got == want {
            TestResult::passed()
        } else {
            TestResult::error(format!("model mismatch\n  got:  {got}\n  want: {want}"))
        }
    }
    check(prop);
}

/// The model itself, on fixed inputs from DESIGN §4–5, so a model bug cannot hide a library bug.
#[test]
fn model_matches_hand_checked_cases() {
    let raw = |v: Value| -> BTreeMap<String, Value> { serde_json::from_value(v).unwrap() };
    let m = model(&raw(json!({})));
    assert_eq!(m.recommended, PLATFORM);
    assert_eq!(m.pending.len(), 8);
    assert_eq!(m.missing_required.len(), 3);
    let ids: Vec<_> = m.options.iter().map(|o| (o.id, o.conditional)).collect();
    assert!(ids.contains(&("contractual-disclosure", true)));
    assert!(ids.contains(&("contain-and-monitor", false)));

    let m = model(&raw(json!({"authority.platform_delegation": "suspended",
                              "impact.contractual_disclosure_required": false})));
    assert_eq!(m.recommended, EXECUTIVE);
    assert_eq!(m.lanes[0], (PLATFORM, "blocked", vec!["E5"]));
    assert!(m.options.iter().all(|o| o.id != "contractual-disclosure"));
    let p: Vec<_> = m.pending.iter().map(|p| p.0).collect();
    assert_eq!(p, ["L2", "L3"]);

    let m = model(&raw(json!({"lineage.third_party_redistribution": true,
                              "custody.exposure": "confirmed"})));
    assert_eq!(m.recommended, LEGAL);
    assert_eq!(m.lanes[0].2, vec!["E3", "L3"]);
    assert_eq!(m.lanes[1].2, vec!["L3"]);
    assert!(m.pending.is_empty());

    // The library agrees on the same fixed cases.
    for v in [
        json!({}),
        json!({"authority.platform_delegation": "suspended", "impact.contractual_disclosure_required": false}),
        json!({"lineage.third_party_redistribution": true, "custody.exposure": "confirmed"}),
    ] {
        let r = raw(v);
        assert_eq!(project(&assess_raw(&r)), project_model(&model(&r)), "{r:?}");
    }
}

/// Sanity check on the generator: every value it makes is accepted by the workflow, and the
/// completion machinery covers the whole domain for small unknown sets.
#[test]
fn generator_and_completions_are_well_formed() {
    let mut g = Gen::new(50);
    for _ in 0..200 {
        let a = Assignment::arbitrary(&mut g);
        let _ = typed(&a.0);
        for c in completions(&a.0).iter().take(50) {
            assert_eq!(c.len(), wf().facts().len());
            let _ = typed(c);
        }
    }
    let mut all_but_two: BTreeMap<String, Value> = BTreeMap::new();
    for k in wf().facts().keys() {
        if k.as_str() != "custody.exposure" && k.as_str() != "impact.customers_affected" {
            all_but_two.insert(k.as_str().to_owned(), domain(k)[0].clone());
        }
    }
    assert_eq!(completions(&all_but_two).len(), 9);
}
