//! Schemas narrowed to one workflow (`authority-lane schema --workflow FILE --out DIR`), so a
//! client validates a facts file, a finding or a token's claims before sending it:
//!
//! - `<id>.facts.schema.json`: every declared fact by key, with its type, enum values in
//!   ascending severity, bounds; no other key;
//! - `<id>.command.schema.json`: a command whose finding branch is one titled branch per fact
//!   (the fact as a `const`, the submitting role as a `const`, the value typed);
//! - `<id>.token-claims.schema.json`: claims whose `review` attestations are exactly the review
//!   policy's set.
//!
//! What a schema cannot say exactly (a token's lifetime relative to its `iat`: the claims carry
//! a ladder that refuses lifetimes above a year; a role's standing at the
//! time of record) stays the CLI's and the library's to refuse.

use super::{finish, raw, shape::camel};
use crate::workflow::{FactDef, FactType, MAX_COUNT, Workflow};
use serde_json::{Map, Value, json};

/// The schema of one fact's value.
pub fn value_schema(def: &FactDef) -> Value {
    match def.ty {
        FactType::Bool => json!({"type": "boolean"}),
        FactType::Count => json!({"type": "integer", "minimum": 0, "maximum": MAX_COUNT}),
        FactType::Enum => json!({
            "type": "string",
            "enum": def.values,
            "description": "In ascending severity."
        }),
        FactType::Timestamp => json!({
            "type": "string",
            "format": "date-time",
            "pattern": crate::time::PATTERN
        }),
    }
}

/// The facts-file schema of `workflow`.
pub fn facts(workflow: &Workflow) -> Value {
    let properties: Map<String, Value> = workflow
        .facts()
        .iter()
        .map(|(key, def)| {
            let mut schema = value_schema(def);
            if let Value::Object(m) = &mut schema {
                m.insert(
                    "description".into(),
                    format!(
                        "{} fact ({}; submitted by {}){}",
                        def.ty,
                        def.sensitivity.as_str(),
                        def.submitted_by,
                        if def.ty == FactType::Enum {
                            ", values in ascending severity"
                        } else {
                            ""
                        }
                    )
                    .into(),
                );
            }
            (key.to_string(), schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{}Facts", camel(workflow.id())),
        "description": format!("A facts file for `authority-lane evaluate` under workflow `{}`: each known fact by key; an absent fact is unknown.", workflow.id()),
        "type": "object",
        "properties": {
            "facts": {"type": "object", "properties": properties, "additionalProperties": false}
        },
        "required": ["facts"],
        "additionalProperties": false
    })
}

/// The command schema of `workflow`: the finding branch split into one branch per fact.
pub fn command(workflow: &Workflow) -> Value {
    let mut root = raw::<crate::case::Command>();
    let finding_input = root["$defs"]["FindingInput"].clone();
    let agent = root["$defs"]["Agent"].clone();
    let Some(Value::Array(branches)) = root.get_mut("oneOf") else {
        return root;
    };
    let mut out = Vec::new();
    for branch in branches.drain(..) {
        if branch["properties"]["type"]["const"] != "finding" {
            out.push(branch);
            continue;
        }
        for (key, def) in workflow.facts() {
            let mut b = branch.clone();
            let mut finding = finding_input.clone();
            finding["properties"]["fact"] = json!({"const": key.as_str()});
            finding["properties"]["value"] = value_schema(def);
            let mut by = agent.clone();
            by["properties"]["role"] = json!({"const": def.submitted_by.as_str()});
            b["properties"]["finding"] = finding;
            b["properties"]["agent"] = by;
            b["title"] = format!("{}Finding", camel(key.as_str())).into();
            b["description"] = format!("A finding on `{key}` ({}).", def.ty).into();
            out.push(b);
        }
    }
    *branches = out;
    if let Value::Object(m) = &mut root {
        m.insert(
            "title".into(),
            format!("{}Command", camel(workflow.id())).into(),
        );
    }
    root
}

/// The token-claims schema of `workflow`: `review` attestations are exactly the policy's set.
pub fn token_claims(workflow: &Workflow) -> Value {
    let mut root = super::claims(workflow.review().max_token_lifetime_secs);
    let set = &workflow.review().attestations;
    if let Some(review) = root
        .pointer_mut("/$defs/Decision/oneOf")
        .and_then(Value::as_array_mut)
        .and_then(|b| {
            b.iter_mut()
                .find(|b| b["properties"]["kind"]["const"] == "review")
        })
    {
        review["properties"]["attests"] = json!({
            "description": "Exactly the review policy's attestations, each once, in any order.",
            "type": "array",
            "items": {"enum": set},
            "uniqueItems": true,
            "minItems": set.len(),
            "maxItems": set.len()
        });
    }
    // A token verifies only at a time of record in 0000..=9999 (the one timestamp grammar),
    // with iat at most 60 s after it, exp after it and exp − iat at most the policy's lifetime:
    // so iat and exp lie within these bounds (their difference only the verifier checks).
    let (first, last) = (-62_167_219_200i64, 253_402_300_799i64);
    let lifetime = workflow.review().max_token_lifetime_secs;
    if let Some(props) = root.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "iat".into(),
            json!({"type": "integer", "minimum": first - lifetime, "maximum": last + 60,
                   "description": "Issued-at, seconds since the Unix epoch."}),
        );
        props.insert(
            "exp".into(),
            json!({"type": "integer", "minimum": first, "maximum": last + 60 + lifetime,
                   "description": format!("Expiry, seconds since the Unix epoch; at most {lifetime} s after iat (exactly checked by the verifier only: JSON Schema cannot relate two members; the `allOf` ladder refuses lifetimes above a year and {lifetime} s).")}),
        );
    }
    if let Value::Object(m) = &mut root {
        m.insert(
            "title".into(),
            format!("{}TokenClaims", camel(workflow.id())).into(),
        );
    }
    root
}

/// Every per-workflow schema as (file name, pretty JSON).
pub fn all(workflow: &Workflow) -> Vec<(String, String)> {
    let id = workflow.id();
    [
        (format!("{id}.facts.schema.json"), facts(workflow)),
        (format!("{id}.command.schema.json"), command(workflow)),
        (
            format!("{id}.token-claims.schema.json"),
            token_claims(workflow),
        ),
    ]
    .into_iter()
    .map(|(name, schema)| {
        let text = finish(&name, schema);
        (name, text)
    })
    .collect()
}

#[cfg(test)]
mod ladder_tests {
    use crate::workflow::MAX_TOKEN_LIFETIME_SECS as DAY;
    use quickcheck::{QuickCheck, TestResult};
    use serde_json::{Value, json};

    fn validator() -> &'static jsonschema::Validator {
        static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
        V.get_or_init(|| {
            let text = super::finish("t.json", super::super::claims(DAY));
            let schema: Value = serde_json::from_str(&text).unwrap();
            jsonschema::draft202012::new(&schema).unwrap()
        })
    }

    fn claims(iat: i64, exp: i64) -> Value {
        json!({"iss": "lee.reviewer", "aud": "authority-lane", "sub": "case-1", "iat": iat,
               "exp": exp, "jti": "j-1",
               "decision": {"kind": "review", "packet_digest": format!("sha256:{}", "0".repeat(64)),
                            "attests": ["blocked_paths_surfaced"]}})
    }

    /// Seconds 1970-01-01 .. 2100-12-31, the years the ladder covers.
    const SPAN: i64 = 4_133_980_799;

    #[test]
    fn the_ladder_never_refuses_a_lifetime_within_the_bound() {
        let prop = |iat: u64, life: u32| {
            let v = validator();
            let iat = (iat % SPAN as u64) as i64 - 400 * 86_400;
            let exp = iat + i64::from(life) % (DAY + 1);
            v.is_valid(&claims(iat, exp))
        };
        QuickCheck::new()
            .tests(2_000)
            .quickcheck(prop as fn(u64, u32) -> bool);
        let v = validator();
        // The edges: the last second before a rung and a whole-day lifetime from there.
        assert!(v.is_valid(&claims(1_798_761_599, 1_798_761_599 + DAY)));
    }

    #[test]
    fn the_ladder_refuses_any_lifetime_above_a_year_and_a_day() {
        let prop = |iat: u64, extra: u64| {
            let v = validator();
            let iat = (iat % SPAN as u64) as i64;
            let exp = iat + 366 * 86_400 + DAY + 1 + (extra % (3_000 * 366 * 86_400)) as i64;
            if exp > 9_007_199_254_740_991 {
                return TestResult::discard();
            }
            TestResult::from_bool(!v.is_valid(&claims(iat, exp)))
        };
        QuickCheck::new()
            .tests(2_000)
            .quickcheck(prop as fn(u64, u64) -> TestResult);
        let v = validator();
        let now = 1_796_000_000; // 2026-11-30
        assert!(!v.is_valid(&claims(now, now + 3_000 * 365 * 86_400)));
        assert!(v.is_valid(&claims(now, now + 600)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_facts_schema_names_every_fact_in_order() {
        let w = crate::workflow::shipped();
        let s = facts(&w);
        let props = &s["properties"]["facts"]["properties"];
        assert_eq!(
            props["custody.exposure"]["enum"],
            json!(["not_indicated", "suspected", "confirmed"])
        );
        assert_eq!(
            props["impact.customers_affected"]["maximum"],
            json!(MAX_COUNT)
        );
        assert_eq!(
            props["lineage.third_party_redistribution"]["type"],
            "boolean"
        );
        assert_eq!(
            s["properties"]["facts"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(props.as_object().map(|p| p.len()), Some(w.facts().len()));
    }

    #[test]
    fn the_command_schema_has_a_branch_per_fact_and_the_decision() {
        let w = crate::workflow::shipped();
        let s = command(&w);
        let branches = s["oneOf"].as_array().cloned().unwrap_or_default();
        assert_eq!(branches.len(), w.facts().len() + 1);
        let exposure = branches
            .iter()
            .find(|b| b["title"] == "CustodyExposureFinding")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            exposure["properties"]["agent"]["properties"]["role"]["const"],
            "custody-evidence"
        );
        assert_eq!(
            exposure["properties"]["finding"]["properties"]["fact"]["const"],
            "custody.exposure"
        );
    }
}
