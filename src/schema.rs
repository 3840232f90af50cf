//! JSON Schemas for every document that crosses the JSON boundary, generated from the Rust
//! types with schemars. `schemas/` holds the checked-in copies; `authority-lane schema --check
//! schemas` fails when they drift from the types.
//!
//! Every file is self-contained: it carries the definitions it uses under `$defs` and refers to
//! them with `$ref` (`#/$defs/Digest`), so any Draft 2020-12 validator or code generator reads
//! it alone, with no resolver and no network. A definition has the same name and shape in every
//! file that holds it (the types are the same Rust types), so generated models agree across
//! files. Each file has an `$id` under [`ID_BASE`]. The private `shape` module closes unions
//! and titles their branches for generators.

mod shape;
pub mod workflow;

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value};

/// The base URI of every schema's `$id`: `https://authority-lane.example/schemas/<file>`.
pub const ID_BASE: &str = "https://authority-lane.example/schemas/";

/// The schema of `T` as it is read (Draft 2020-12, serde's deserialisation rules: a member
/// with a default is optional), before [`finish`]: for inputs.
pub fn raw<T: JsonSchema>() -> Value {
    let schema = SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<T>();
    schema.to_value()
}

/// The schema of `T` as it is written (serde's serialisation rules: a member skipped when
/// empty or zero is optional, whatever its default), before [`finish`]: for outputs.
pub fn raw_output<T: JsonSchema>() -> Value {
    let settings = SchemaSettings::draft2020_12().for_serialize();
    SchemaGenerator::new(settings)
        .into_root_schema_for::<T>()
        .to_value()
}

/// Makes a generated schema a published document named `file`: closed unions and objects,
/// titled branches, unused definitions dropped, `$id` set; as pretty JSON with a trailing
/// newline.
pub fn finish(file: &str, mut root: Value) -> String {
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    shape::close_unions(&mut root, &defs);
    shape::close_objects(&mut root);
    shape::pattern_timestamps(&mut root);
    let context = root
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("Document")
        .to_owned();
    shape::title_branches(&mut root, &context);
    prune_defs(&mut root);
    let mut text = serde_json::to_string_pretty(&with_id(file, root))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// `root` with `$schema` and `$id` first.
fn with_id(file: &str, root: Value) -> Value {
    let Value::Object(map) = root else {
        return root;
    };
    let mut out = Map::new();
    if let Some(s) = map.get("$schema") {
        out.insert("$schema".into(), s.clone());
    }
    out.insert("$id".into(), format!("{ID_BASE}{file}").into());
    for (k, v) in map {
        if k != "$schema" && k != "$id" {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// Drops the definitions nothing refers to any more (e.g. a flattened view's parts, now
/// inlined), repeatedly, so that a generator emits no orphan classes.
fn prune_defs(root: &mut Value) {
    loop {
        let Some(Value::Object(defs)) = root.get("$defs") else {
            return;
        };
        let mut text = serde_json::to_string(&root_without_defs(root)).unwrap_or_default();
        text.push_str(&serde_json::to_string(defs).unwrap_or_default());
        let unused: Vec<String> = defs
            .iter()
            .filter(|(name, _)| {
                let needle = format!("\"#/$defs/{name}\"");
                let own = serde_json::to_string(&defs[name.as_str()]).unwrap_or_default();
                text.matches(&needle).count() == own.matches(&needle).count()
            })
            .map(|(name, _)| name.clone())
            .collect();
        if unused.is_empty() {
            return;
        }
        if let Some(Value::Object(defs)) = root.get_mut("$defs") {
            for name in unused {
                defs.remove(&name);
            }
        }
    }
}

fn root_without_defs(root: &Value) -> Value {
    let mut copy = root.clone();
    if let Value::Object(map) = &mut copy {
        map.remove("$defs");
    }
    copy
}

pub use crate::workflow::fact::{fact_value_input, fact_values_input};

/// `facts.schema.json`: the facts file of the shipped workflow (`workflows/
/// signing-key-compromise.json`, the policy the CLI and the demo run), every declared fact by
/// key with its type, enum values and bounds, no other key. A facts file names facts, so no
/// schema can refuse an undeclared fact or a mistyped value without knowing the workflow;
/// `schema --workflow FILE` writes the same for any other workflow.
fn shipped_facts() -> Value {
    let shipped = crate::workflow::shipped();
    let mut root = workflow::facts(&shipped);
    if let Value::Object(map) = &mut root {
        map.insert("title".into(), "FactsInput".into());
        map.insert(
            "description".into(),
            format!(
                "The input of `authority-lane evaluate` under the shipped workflow `{}`: `{{\"facts\": {{\"<fact>\": <value>, ...}}}}`, each declared fact by key with its type (an absent fact is unknown; no other key). For another workflow, `authority-lane schema --workflow FILE --out DIR` writes `<id>.facts.schema.json`.",
                shipped.id()
            )
            .into(),
        );
    }
    root
}

/// The token-claims schema for tokens that may live at most `max_lifetime_secs`: the claims
/// with [`lifetime_ladder`] in `allOf`.
pub fn claims(max_lifetime_secs: i64) -> Value {
    let mut root = raw::<crate::approval::Claims>();
    if let Value::Object(map) = &mut root {
        map.insert("allOf".into(), lifetime_ladder(max_lifetime_secs));
    }
    root
}

/// The first and last year [`lifetime_ladder`] covers.
pub const LADDER_YEARS: (i32, i32) = (1970, 2100);

/// `exp − iat ≤ max_secs` as nearly as JSON Schema can say it. The schema language cannot
/// compare two members, so for the first second `y` of each year in [`LADDER_YEARS`] (and of
/// the year after) the ladder says "if `iat < y` then `exp < y + max_secs`". A token whose
/// lifetime is within the bound satisfies every rung (`exp ≤ iat + max < y + max`); a token
/// issued in the covered years that lives more than a year plus `max_secs` breaks the rung of
/// the year after its `iat`. Lifetimes in between, and tokens issued outside the covered years,
/// only the verifier refuses (`token_lifetime_too_long`).
pub fn lifetime_ladder(max_secs: i64) -> Value {
    let (first, last) = LADDER_YEARS;
    (first + 1..=last + 1)
        .filter_map(|year| chrono::NaiveDate::from_ymd_opt(year, 1, 1))
        .filter_map(|day| day.and_hms_opt(0, 0, 0))
        .map(|start| {
            let y = start.and_utc().timestamp();
            serde_json::json!({
                "if": {"properties": {"iat": {"exclusiveMaximum": y}}},
                "then": {"properties": {"exp": {"exclusiveMaximum": y + max_secs}}}
            })
        })
        .collect()
}

/// The packet views `authority-lane packet` prints: a draft (`packet --draft`: no
/// `accepted_by`/`journal`) or an accepted packet (both required).
fn view_schema(accepted: bool) -> Value {
    let mut root = raw_output::<crate::packet::ChannelView>();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    shape::close_unions(&mut root, &defs);
    if let Some(Value::Array(branches)) = root.get_mut("oneOf") {
        for branch in branches.iter_mut() {
            let Value::Object(b) = branch else { continue };
            if accepted {
                if let Some(Value::Array(required)) = b.get_mut("required") {
                    required.push("accepted_by".into());
                    required.push("journal".into());
                }
            } else if let Some(Value::Object(props)) = b.get_mut("properties") {
                props.remove("accepted_by");
                props.remove("journal");
            }
        }
    }
    if let Value::Object(map) = &mut root {
        let (title, what) = if accepted {
            (
                "RecommendationPacketView",
                "the accepted recommendation packet",
            )
        } else {
            ("DraftPacketView", "the current draft")
        };
        map.insert("title".into(), title.into());
        map.insert(
            "description".into(),
            format!(
                "What `authority-lane packet{}` prints: {what} as one channel sees it. A `full` channel (security-trust-review, executive-brief) gets the whole packet; an `authority_selection` channel only lane statuses, options, owner and deadlines. Each finding is shown (all of it) or redacted (fact, sensitivity, digest) as the channel's sensitivities decide.",
                if accepted { "" } else { " --draft" }
            )
            .into(),
        );
    }
    root
}

/// Every schema of the library's documents as (file name, generated schema), in a stable order.
/// The CLI adds the schemas of its own outputs (`init`, `apply`, `verify`, errors, demo).
pub fn documents() -> Vec<(&'static str, Value)> {
    use crate::{approval, assess, case, journal, store, workflow};
    vec![
        ("workflow.schema.json", raw::<workflow::WorkflowSpec>()),
        ("facts.schema.json", shipped_facts()),
        ("assessment.schema.json", raw_output::<assess::Assessment>()),
        ("command.schema.json", raw::<case::Command>()),
        ("event.schema.json", raw::<case::EventRecord>()),
        ("genesis.schema.json", raw::<case::GenesisRecord>()),
        ("journal-record.schema.json", raw::<journal::Record>()),
        ("status.schema.json", raw_output::<store::JournalStatus>()),
        ("report.schema.json", raw_output::<crate::report::Report>()),
        ("draft-packet.schema.json", view_schema(false)),
        ("packet.schema.json", view_schema(true)),
        ("trust.schema.json", raw::<approval::TrustFile>()),
        (
            "trust-in-force.schema.json",
            raw_output::<case::SigningRights>(),
        ),
        (
            "token-claims.schema.json",
            claims(workflow::MAX_TOKEN_LIFETIME_SECS),
        ),
    ]
}

/// Every library schema as (file name, pretty JSON with a trailing newline), in a stable order.
pub fn all() -> Vec<(&'static str, String)> {
    documents()
        .into_iter()
        .map(|(name, schema)| (name, finish(name, schema)))
        .collect()
}
