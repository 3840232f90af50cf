//! Loader tests: the shipped workflow loads, and each validation error names its path.

use super::*;
use crate::error_code::ErrorCode;
use serde_json::{Value, json};

const SHIPPED: &[u8] = include_bytes!("../../workflows/signing-key-compromise.json");

fn shipped() -> Value {
    serde_json::from_slice(SHIPPED).unwrap()
}

fn load_err(v: Value) -> WorkflowError {
    Workflow::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err()
}

fn assert_err(v: Value, path: &str, needle: &str) {
    let e = load_err(v);
    assert_eq!(e.path, path, "{e}");
    assert!(e.message.contains(needle), "{e} should mention {needle:?}");
    assert_eq!(e.code(), ErrorCode::InvalidWorkflow);
    assert!(e.to_string().contains(path));
}

#[test]
fn shipped_workflow_loads_with_the_designed_policy() {
    let w = Workflow::from_json(SHIPPED).unwrap();
    assert_eq!(w.facts().len(), 13);
    let lanes: Vec<_> = w.lanes().iter().map(|l| (l.id.as_str(), l.rank)).collect();
    assert_eq!(
        lanes,
        [
            ("platform-security-command", 1),
            ("executive-cyber-command", 2),
            ("legal-trust-office", 3)
        ]
    );
    let triggers: Vec<_> = w
        .lanes()
        .iter()
        .flat_map(|l| l.triggers.iter().map(|t| t.id.as_str()))
        .collect();
    assert_eq!(triggers, ["E1", "E2", "E3", "E4", "E5", "L1", "L2", "L3"]);
    assert_eq!(w.options().len(), 7);
    assert!(w.options().iter().all(|o| !o.notes.is_empty()));
    assert_eq!(w.review().quorum, 2);
    // Round trip: the spec serialises back to the same document.
    let again = serde_json::to_value(w.spec()).unwrap();
    assert_eq!(again, shipped());
}

#[test]
fn undeclared_fact_in_a_trigger() {
    let mut v = shipped();
    v["lanes"][2]["required_when"][1]["when"] = json!({"any": [{"fact": "impact.customers_affected", "gt": 0}, {"fact": "impact.nope", "eq": true}]});
    assert_err(
        v,
        "lanes[2].required_when[1].when.any[1].fact",
        "undeclared fact `impact.nope`",
    );
}

#[test]
fn enum_value_not_in_its_list() {
    let mut v = shipped();
    v["lanes"][1]["required_when"][2]["when"] = json!({"fact": "custody.exposure", "eq": "leaked"});
    assert_err(v, "lanes[1].required_when[2].when.eq", "one of");
}

#[test]
fn negative_count() {
    let mut v = shipped();
    v["lanes"][1]["required_when"][0]["when"] =
        json!({"fact": "lineage.desktop_agent_artifacts_in_window", "gt": -1});
    assert_err(v, "lanes[1].required_when[0].when.gt", "non-negative");
}

#[test]
fn bool_compared_with_a_number() {
    let mut v = shipped();
    v["lanes"][2]["required_when"][0]["when"] =
        json!({"fact": "impact.contractual_disclosure_required", "eq": 1});
    assert_err(v, "lanes[2].required_when[0].when.eq", "a bool");
}

#[test]
fn ordering_comparison_on_a_bool() {
    let mut v = shipped();
    v["options"][6]["applicable_when"] =
        json!({"fact": "impact.contractual_disclosure_required", "gte": true});
    assert_err(v, "options[6].applicable_when.gte", "ordering comparison");
}

#[test]
fn unknown_lane_in_a_boundary() {
    let mut v = shipped();
    v["options"][0]["boundary_lane"] = json!("board-of-directors");
    assert_err(
        v,
        "options[0].boundary_lane",
        "unknown lane `board-of-directors`",
    );
    let mut v = shipped();
    v["options"][2]["boundary_lane"]["else"] = json!("nobody");
    assert_err(v, "options[2].boundary_lane.else", "unknown lane `nobody`");
}

#[test]
fn duplicate_fact_id() {
    let mut v = shipped();
    let first = v["facts"][0].clone();
    v["facts"].as_array_mut().unwrap().push(first);
    assert_err(v, "facts[13].key", "duplicate fact id `custody.exposure`");
}

#[test]
fn duplicate_lane_id() {
    let mut v = shipped();
    v["lanes"][2]["id"] = json!("executive-cyber-command");
    assert_err(v, "lanes[2].id", "duplicate lane id");
}

#[test]
fn duplicate_rule_id() {
    let mut v = shipped();
    v["lanes"][2]["required_when"][0]["id"] = json!("E1");
    assert_err(v, "lanes[2].required_when[0].id", "duplicate rule id `E1`");
}

#[test]
fn duplicate_option_id() {
    let mut v = shipped();
    v["options"][1]["id"] = json!("contain-and-monitor");
    assert_err(v, "options[1].id", "duplicate option id");
}

#[test]
fn ranks_not_exactly_one_to_n() {
    let mut v = shipped();
    v["lanes"][2]["rank"] = json!(4);
    assert_err(v, "lanes[2].rank", "exactly 1..3");
    let mut v = shipped();
    v["lanes"][2]["rank"] = json!(2);
    assert_err(v, "lanes[2].rank", "exactly 1..3");
    let mut v = shipped();
    v["lanes"][0]["rank"] = json!(0);
    assert_err(v, "lanes[0].rank", "exactly 1..3");
}

#[test]
fn fact_with_no_submitting_role() {
    let mut v = shipped();
    v["facts"][4]["submitted_by"] = json!(" ");
    assert_err(v, "facts[4].submitted_by", "no submitting agent role");
    let mut v = shipped();
    v["facts"][4]
        .as_object_mut()
        .unwrap()
        .remove("submitted_by");
    assert_err(v, "facts[4]", "submitted_by");
}

#[test]
fn structural_errors_carry_the_serde_path() {
    let mut v = shipped();
    v["lanes"][1]["required_when"][0]["when"] =
        json!({"fact": "impact.customers_affected", "gt": 0, "lt": 9});
    let e = load_err(v);
    assert!(e.path.starts_with("lanes[1].required_when[0].when"), "{e}");
    let mut v = shipped();
    v["review"]["quorum"] = json!("two");
    assert_eq!(load_err(v).path, "review.quorum");
    let mut v = shipped();
    v["facts"][0]["type"] = json!("float");
    assert_eq!(load_err(v).path, "facts[0].type");
}

#[test]
fn other_policy_errors() {
    let mut v = shipped();
    v["facts"][0]["values"] = json!(["a", "a"]);
    assert_err(v, "facts[0].values[1]", "duplicate enum value");
    let mut v = shipped();
    v["required_before_review"][0] = json!("custody.unknown");
    assert_err(v, "required_before_review[0]", "undeclared fact");
    let mut v = shipped();
    v["review"]["quorum"] = json!(1);
    assert_err(v, "review.required_roles", "raise the quorum");
    let mut v = shipped();
    v["channels"][1]["id"] = json!("security-trust-review");
    assert_err(v, "channels[1].id", "duplicate channel id");
}

#[test]
fn token_lifetime_is_between_a_second_and_a_day() {
    for bad in [0, -1, MAX_TOKEN_LIFETIME_SECS + 1, 3000 * 365 * 86_400] {
        let mut v = shipped();
        v["review"]["max_token_lifetime_secs"] = json!(bad);
        assert_err(v, "review.max_token_lifetime_secs", "between 1 and 86400");
    }
    let mut v = shipped();
    v["review"]["max_token_lifetime_secs"] = json!(MAX_TOKEN_LIFETIME_SECS);
    assert!(Workflow::from_json(&serde_json::to_vec(&v).unwrap()).is_ok());
}

/// The default channel is the one named `security-trust-review` when a workflow declares it,
/// else the workflow's first channel (so another workflow's `packet` needs no `--channel`).
#[test]
fn the_default_channel_is_the_named_one_else_the_first() {
    let w = Workflow::from_json(SHIPPED).unwrap();
    assert_eq!(w.default_channel().unwrap().id.as_str(), DEFAULT_CHANNEL);
    let mut v = shipped();
    let channels = v["channels"].as_array_mut().unwrap();
    channels.retain(|c| c["id"] != DEFAULT_CHANNEL);
    let first = channels[0]["id"].as_str().unwrap().to_owned();
    let other = Workflow::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(other.default_channel().unwrap().id.as_str(), first);
    assert_ne!(first, DEFAULT_CHANNEL);
}
