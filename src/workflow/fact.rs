//! Fact declarations and typed fact values.
//!
//! A fact's type is declared in the workflow; JSON values from agents or fact files are typed
//! against it here, once, so that everything past this point compares typed values.

use crate::ids::{AgentRole, FactKey};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// How sensitive a fact is; decides which channels may carry a finding's value and record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Key-custody evidence: HSM audit logs, custody records, signing telemetry.
    KeyCustody,
    /// Which products, artifacts and customers are exposed.
    ProductExposure,
    /// Legal and contractual disclosure constraints.
    DisclosureConstraint,
    /// Operational facts with no special handling.
    General,
}

impl Sensitivity {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::KeyCustody => "key_custody",
            Sensitivity::ProductExposure => "product_exposure",
            Sensitivity::DisclosureConstraint => "disclosure_constraint",
            Sensitivity::General => "general",
        }
    }
}

/// The type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    /// `true` or `false`; `true` is the more severe value.
    Bool,
    /// A non-negative integer; larger is more severe.
    Count,
    /// One of `values`, listed in ascending severity.
    Enum,
    /// An RFC 3339 timestamp.
    Timestamp,
}

impl fmt::Display for FactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FactType::Bool => "bool",
            FactType::Count => "count",
            FactType::Enum => "enum",
            FactType::Timestamp => "timestamp",
        })
    }
}

/// For timestamp facts: which of two conflicting values is the more severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeSeverity {
    /// The earlier instant is more severe (a window that starts sooner, a nearer deadline).
    #[default]
    Earliest,
    /// The later instant is more severe (a window that ends later).
    Latest,
}

/// One fact the workflow knows about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactDef {
    /// The fact's key, e.g. `custody.exposure`.
    pub key: FactKey,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// For `enum` facts: the allowed values in ascending severity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// For `timestamp` facts: which conflicting value wins a dispute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_severity: Option<TimeSeverity>,
    /// How sensitive the fact is.
    pub sensitivity: Sensitivity,
    /// The agent role allowed to submit findings for it.
    pub submitted_by: AgentRole,
    /// The source systems its evidence comes from.
    pub source_systems: Vec<String>,
    /// What the fact means, for a reviewer.
    pub description: String,
}

/// A typed fact value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactValue {
    /// A `bool` fact's value.
    Bool(bool),
    /// A `count` fact's value.
    Count(u64),
    /// An `enum` fact's value with its position in the severity order.
    Enum {
        /// The value as written.
        value: String,
        /// Its index in the fact's `values` (higher is more severe).
        rank: usize,
    },
    /// A `timestamp` fact's value.
    Timestamp(DateTime<Utc>),
}

impl Serialize for FactValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FactValue::Bool(b) => s.serialize_bool(*b),
            FactValue::Count(n) => s.serialize_u64(*n),
            FactValue::Enum { value, .. } => s.serialize_str(value),
            FactValue::Timestamp(t) => {
                s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
        }
    }
}

impl JsonSchema for FactValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FactValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A fact value: bool, non-negative integer count, enum value (string) or RFC 3339 timestamp (string), as the fact's declared type requires.",
            "type": ["boolean", "integer", "string"],
            "minimum": 0
        })
    }
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Count(n) => write!(f, "{n}"),
            FactValue::Enum { value, .. } => f.write_str(value),
            FactValue::Timestamp(t) => {
                f.write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
        }
    }
}

/// The largest count a fact may hold: 2^53 − 1, the largest integer every I-JSON (RFC 7493)
/// reader represents exactly, so that every RFC 8785 implementation hashes it alike.
pub const MAX_COUNT: u64 = (1 << 53) - 1;

/// Why a JSON value is not a valid value of a fact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{expected} expected, got {got}")]
pub struct ValueMismatch {
    /// What the fact's type accepts.
    pub expected: String,
    /// What was given, abbreviated.
    pub got: String,
}

impl FactDef {
    /// Types a JSON value against this fact's declared type.
    pub fn parse_value(&self, v: &serde_json::Value) -> Result<FactValue, ValueMismatch> {
        let mismatch = |expected: String| ValueMismatch {
            expected,
            got: abbreviate(v),
        };
        match self.ty {
            FactType::Bool => v
                .as_bool()
                .map(FactValue::Bool)
                .ok_or_else(|| mismatch("a bool".into())),
            FactType::Count => v
                .as_u64()
                .filter(|n| *n <= MAX_COUNT)
                .map(FactValue::Count)
                .ok_or_else(|| {
                    mismatch(format!(
                        "a non-negative integer count of at most {MAX_COUNT} (2^53 - 1, I-JSON)"
                    ))
                }),
            FactType::Enum => v
                .as_str()
                .and_then(|s| {
                    self.values
                        .iter()
                        .position(|allowed| allowed == s)
                        .map(|rank| FactValue::Enum {
                            value: s.to_owned(),
                            rank,
                        })
                })
                .ok_or_else(|| mismatch(format!("one of {:?}", self.values))),
            FactType::Timestamp => v
                .as_str()
                .and_then(|s| crate::time::parse(s).ok())
                .map(FactValue::Timestamp)
                .ok_or_else(|| {
                    mismatch("an RFC 3339 timestamp string with a four-digit year".into())
                }),
        }
    }

    /// Orders two values of this fact by severity (`Greater` = `a` is more severe).
    pub fn severity_cmp(&self, a: &FactValue, b: &FactValue) -> Ordering {
        match (a, b) {
            (FactValue::Bool(a), FactValue::Bool(b)) => a.cmp(b),
            (FactValue::Count(a), FactValue::Count(b)) => a.cmp(b),
            (FactValue::Enum { rank: a, .. }, FactValue::Enum { rank: b, .. }) => a.cmp(b),
            (FactValue::Timestamp(a), FactValue::Timestamp(b)) => {
                match self.time_severity.unwrap_or_default() {
                    TimeSeverity::Earliest => b.cmp(a),
                    TimeSeverity::Latest => a.cmp(b),
                }
            }
            // Values are typed against one declaration, so kinds never differ; order by kind
            // to stay total all the same.
            _ => kind_index(a).cmp(&kind_index(b)),
        }
    }
}

fn kind_index(v: &FactValue) -> u8 {
    match v {
        FactValue::Bool(_) => 0,
        FactValue::Count(_) => 1,
        FactValue::Enum { .. } => 2,
        FactValue::Timestamp(_) => 3,
    }
}

/// A short rendering of a JSON value for error messages.
pub(crate) fn abbreviate(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// The schema of a fact value as submitted, whatever the fact: a boolean, an I-JSON count or a
/// string. `schema --workflow` narrows it per fact.
pub fn fact_value_input(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A fact value: a boolean, a count (integer 0 to 2^53 - 1, I-JSON) or a string (an enum value or an RFC 3339 timestamp), as the fact's declared type requires.",
        "type": ["boolean", "integer", "string"],
        "minimum": 0,
        "maximum": MAX_COUNT
    })
}

/// The schema of the `facts` map of a facts file: any key, each value as [`fact_value_input`].
pub fn fact_values_input(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let value = fact_value_input(g);
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": value
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A plain declaration for unit tests: general sensitivity, one submitting role.
    pub(crate) fn test_def(key: &str, ty: FactType, values: &[&str]) -> FactDef {
        FactDef {
            key: key.into(),
            ty,
            values: values.iter().map(|s| s.to_string()).collect(),
            time_severity: None,
            sensitivity: Sensitivity::General,
            submitted_by: "agent".into(),
            source_systems: vec![],
            description: String::new(),
        }
    }

    fn def(ty: FactType, values: &[&str]) -> FactDef {
        test_def("k", ty, values)
    }

    #[test]
    fn values_are_typed_against_the_declaration() {
        let e = def(FactType::Enum, &["low", "high"]);
        assert_eq!(
            e.parse_value(&json!("high")).unwrap(),
            FactValue::Enum {
                value: "high".into(),
                rank: 1
            }
        );
        assert!(e.parse_value(&json!("medium")).is_err());
        assert!(e.parse_value(&json!(1)).is_err());
        let c = def(FactType::Count, &[]);
        assert_eq!(c.parse_value(&json!(3)).unwrap(), FactValue::Count(3));
        assert!(c.parse_value(&json!(-1)).is_err());
        assert!(c.parse_value(&json!(1.5)).is_err());
        assert!(c.parse_value(&json!("3")).is_err());
        let b = def(FactType::Bool, &[]);
        assert!(b.parse_value(&json!(0)).is_err());
        let t = def(FactType::Timestamp, &[]);
        assert!(t.parse_value(&json!("2026-11-28T10:00:00Z")).is_ok());
        assert!(t.parse_value(&json!("yesterday")).is_err());
    }

    #[test]
    fn severity_orders_by_declared_direction() {
        let mut t = def(FactType::Timestamp, &[]);
        let early = t.parse_value(&json!("2026-01-01T00:00:00Z")).unwrap();
        let late = t.parse_value(&json!("2026-06-01T00:00:00Z")).unwrap();
        assert_eq!(t.severity_cmp(&early, &late), Ordering::Greater);
        t.time_severity = Some(TimeSeverity::Latest);
        assert_eq!(t.severity_cmp(&early, &late), Ordering::Less);
        let b = def(FactType::Bool, &[]);
        assert_eq!(
            b.severity_cmp(&FactValue::Bool(true), &FactValue::Bool(false)),
            Ordering::Greater
        );
    }
}
