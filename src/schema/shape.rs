//! Post-processing that makes the generated schemas generator-friendly and closed:
//!
//! - an object whose `properties` sit beside a `oneOf`/`anyOf` (what `#[serde(flatten)]` of an
//!   enum and internally tagged enums with struct payloads produce) becomes a `oneOf` of closed
//!   objects, each holding the shared properties and its branch's own ([`close_unions`]);
//! - nested `oneOf`s are spliced into their parent, so a decision is one flat union whose
//!   branches are told apart by `const` discriminators (`kind`, then `action`);
//! - every object with named properties and no other rule for extra members gets
//!   `additionalProperties: false` ([`close_objects`]): Rust structs are closed;
//! - every `oneOf`/`anyOf` branch gets a `title` ([`title_branches`]), from its discriminators
//!   (`FindingCommand`, `RedirectSetLaneDecision`) or, for a `$ref`, the referenced name, so code
//!   generators name the variants instead of numbering them.

use serde_json::{Map, Value};

/// The members whose `const` value names a branch, outermost first.
const DISCRIMINATORS: [&str; 3] = ["type", "kind", "action"];

/// Rewrites every object with `properties` beside a union of objects into a union of closed
/// objects, everywhere in `node`.
pub(crate) fn close_unions(node: &mut Value, defs: &Map<String, Value>) {
    match node {
        Value::Object(map) => {
            for child in map.values_mut() {
                close_unions(child, defs);
            }
            merge_union(map, defs);
            splice_nested(map);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| close_unions(v, defs)),
        _ => {}
    }
}

fn merge_union(map: &mut Map<String, Value>, defs: &Map<String, Value>) {
    let key = if map.contains_key("oneOf") {
        "oneOf"
    } else if map.contains_key("anyOf") {
        "anyOf"
    } else {
        return;
    };
    let Some(Value::Object(shared)) = map.get("properties").cloned() else {
        return;
    };
    let shared_required = map.get("required").cloned().unwrap_or(Value::Array(vec![]));
    let Some(Value::Array(branches)) = map.remove(key) else {
        return;
    };
    let mut merged = Vec::with_capacity(branches.len());
    for branch in branches {
        let mut branch = resolve(branch, defs);
        let props = branch
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = props {
            for (k, v) in &shared {
                props.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let mut required = as_strings(&shared_required);
        for r in as_strings(branch.get("required").unwrap_or(&Value::Null)) {
            if !required.contains(&r) {
                required.push(r);
            }
        }
        branch.insert("type".into(), "object".into());
        branch.insert("required".into(), required.into());
        merged.push(Value::Object(branch));
    }
    map.remove("properties");
    map.remove("required");
    map.remove("type");
    map.remove("additionalProperties");
    map.insert("oneOf".into(), Value::Array(merged));
}

/// A `$ref` branch replaced by (a copy of) the object it names, so that it can be merged.
fn resolve(branch: Value, defs: &Map<String, Value>) -> Map<String, Value> {
    let Value::Object(mut map) = branch else {
        return Map::new();
    };
    if let Some(Value::String(reference)) = map.remove("$ref") {
        let name = reference.trim_start_matches("#/$defs/");
        if let Some(Value::Object(def)) = defs.get(name) {
            for (k, v) in def {
                if k != "description" || !map.contains_key("description") {
                    map.insert(k.clone(), v.clone());
                }
            }
            map.entry("title").or_insert_with(|| name.into());
        }
    }
    map
}

/// `oneOf: [A, {oneOf: [B, C]}]` → `oneOf: [A, B, C]` when the inner union has nothing else.
fn splice_nested(map: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = map.get_mut("oneOf") else {
        return;
    };
    let mut flat = Vec::with_capacity(branches.len());
    for branch in branches.drain(..) {
        match branch {
            Value::Object(b)
                if matches!(b.get("oneOf"), Some(Value::Array(_)))
                    && b.keys().all(|k| k == "oneOf" || k == "description") =>
            {
                if let Some(Value::Array(inner)) = b.get("oneOf") {
                    flat.extend(inner.iter().cloned());
                }
            }
            other => flat.push(other),
        }
    }
    *branches = flat;
}

fn as_strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// Adds `additionalProperties: false` to every object schema with named properties and no
/// other rule for extra members.
pub(crate) fn close_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            // A condition (`if`/`then`/`else`) names only the members it tests: closing it
            // would make it refuse every real document.
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "if" | "then" | "else") {
                    close_objects(child);
                }
            }
            let conditions_only = map
                .get("allOf")
                .and_then(Value::as_array)
                .is_some_and(|all| {
                    all.iter()
                        .all(|b| b.get("if").is_some() && b.get("properties").is_none())
                });
            let composed = ["oneOf", "anyOf", "additionalProperties"]
                .iter()
                .any(|k| map.contains_key(*k))
                || (map.contains_key("allOf") && !conditions_only);
            if map.contains_key("properties") && !composed {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Adds the crate's one timestamp grammar ([`crate::time::PATTERN`]) to every
/// `"format": "date-time"` string, so a validator without format checking refuses
/// `2026-11-28T12:00:00` (no offset) as the CLI does.
pub(crate) fn pattern_timestamps(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("date-time") {
                map.entry("pattern")
                    .or_insert_with(|| crate::time::PATTERN.into());
            }
            map.values_mut().for_each(pattern_timestamps);
        }
        Value::Array(items) => items.iter_mut().for_each(pattern_timestamps),
        _ => {}
    }
}

/// Titles every untitled `oneOf`/`anyOf` branch under `node`; `context` names the definition
/// being walked (the suffix of discriminator-derived titles).
pub(crate) fn title_branches(node: &mut Value, context: &str) {
    let Value::Object(map) = node else {
        if let Value::Array(items) = node {
            items.iter_mut().for_each(|v| title_branches(v, context));
        }
        return;
    };
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            let counts = required_counts(branches);
            for branch in branches.iter_mut() {
                // `null` beside a type is an `Option`, not a variant: generators make it
                // `Optional[...]` only when it stays untitled.
                let is_null = branch.get("type").and_then(Value::as_str) == Some("null");
                if let Value::Object(b) = branch
                    && !b.contains_key("title")
                    && !is_null
                {
                    let title = branch_title(b, context, &counts);
                    b.insert("title".into(), title.into());
                }
            }
        }
    }
    for (key, child) in map.iter_mut() {
        if key == "$defs" {
            if let Value::Object(defs) = child {
                for (name, def) in defs.iter_mut() {
                    title_branches(def, name);
                }
            }
        } else {
            title_branches(child, context);
        }
    }
}

/// How many branches of a union require each member: a member only one branch requires
/// names that branch.
fn required_counts(branches: &[Value]) -> Map<String, Value> {
    let mut counts = Map::new();
    for b in branches {
        for k in as_strings(b.get("required").unwrap_or(&Value::Null)) {
            let n = counts.get(&k).and_then(Value::as_u64).unwrap_or(0);
            counts.insert(k, (n + 1).into());
        }
    }
    counts
}

fn branch_title(branch: &Map<String, Value>, context: &str, counts: &Map<String, Value>) -> String {
    let consts: Vec<&str> = DISCRIMINATORS
        .iter()
        .filter_map(|d| branch.get("properties")?.get(d)?.get("const")?.as_str())
        .collect();
    if !consts.is_empty() {
        let stem: String = consts.iter().map(|c| camel(c)).collect();
        return format!("{stem}{context}");
    }
    if let Some(Value::String(reference)) = branch.get("$ref") {
        return reference.trim_start_matches("#/$defs/").to_owned();
    }
    if let Some(c) = branch.get("const").and_then(Value::as_str) {
        return camel(c);
    }
    // An externally tagged variant, `{"all": [...]}` or `{"fact": …, "eq": …}`: its own member.
    if let Some(own) = as_strings(branch.get("required").unwrap_or(&Value::Null))
        .into_iter()
        .find(|k| counts.get(k).and_then(Value::as_u64) == Some(1))
    {
        return format!("{}{context}", camel(&own));
    }
    let ty = match branch.get("type") {
        Some(Value::String(t)) => camel(t),
        _ => "Value".to_owned(),
    };
    format!("{context}{ty}")
}

/// `set_lane` → `SetLane`; `security-trust-review` → `SecurityTrustReview`.
pub(crate) fn camel(text: &str) -> String {
    text.split(['_', '-', '.', ' '])
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flattened_union_becomes_closed_titled_branches() {
        let mut root = json!({
            "properties": {"kind": {"const": "redirect"}},
            "required": ["kind"],
            "oneOf": [
                {"type": "object", "properties": {"action": {"const": "set_lane"}}, "required": ["action"]},
                {"$ref": "#/$defs/Other"}
            ],
            "$defs": {"Other": {"type": "object", "properties": {"x": {"type": "string"}}}}
        });
        let defs = root["$defs"].as_object().cloned().unwrap_or_default();
        close_unions(&mut root, &defs);
        close_objects(&mut root);
        title_branches(&mut root, "Decision");
        assert!(root.pointer("/$defs/Other/title").is_none());
        let branches = root["oneOf"].as_array().cloned().unwrap_or_default();
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[0]["title"], "RedirectSetLaneDecision");
        assert_eq!(branches[0]["required"], json!(["kind", "action"]));
        assert_eq!(branches[0]["additionalProperties"], json!(false));
        assert_eq!(branches[1]["title"], "Other");
        assert_eq!(branches[1]["properties"]["kind"]["const"], "redirect");
        assert!(root.get("properties").is_none());
    }

    #[test]
    fn a_map_keeps_its_value_schema() {
        let mut node = json!({"type": "object", "additionalProperties": {"type": "integer"}, "properties": {}});
        close_objects(&mut node);
        assert_eq!(node["additionalProperties"], json!({"type": "integer"}));
    }

    #[test]
    fn nested_unions_are_spliced() {
        let mut node =
            json!({"oneOf": [{"const": "a"}, {"oneOf": [{"const": "b"}, {"const": "c"}]}]});
        close_unions(&mut node, &Map::new());
        title_branches(&mut node, "X");
        let titles: Vec<&str> = node["oneOf"]
            .as_array()
            .map(|a| a.iter().filter_map(|b| b["title"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(titles, ["A", "B", "C"]);
    }
}
