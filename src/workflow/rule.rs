//! The rule language: `all`, `any`, `not` and comparisons on facts, evaluated in three-valued
//! (Kleene) logic so that an unknown fact yields `unknown`, never a guess.
//!
//! Rules are written as JSON ([`RuleSpec`]) and compiled against the workflow's fact
//! declarations ([`Rule`]) when the workflow is loaded; a compiled rule only holds comparisons
//! whose literals have the fact's type, so evaluation cannot fail.

use super::fact::{FactDef, FactType, FactValue};
use crate::ids::FactKey;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A Kleene truth value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// Holds for every completion of the unknown facts this rule reads.
    True,
    /// Fails for every completion.
    False,
    /// Depends on facts not yet known.
    Unknown,
}

impl std::ops::Not for Truth {
    type Output = Truth;
    /// Kleene negation: `not unknown = unknown`.
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

impl Truth {
    /// Kleene conjunction: false if any is false, else unknown if any is unknown, else true.
    pub fn all(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut acc = Truth::True;
        for t in items {
            match t {
                Truth::False => return Truth::False,
                Truth::Unknown => acc = Truth::Unknown,
                Truth::True => {}
            }
        }
        acc
    }

    /// Kleene disjunction: true if any is true, else unknown if any is unknown, else false.
    pub fn any(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut acc = Truth::False;
        for t in items {
            match t {
                Truth::True => return Truth::True,
                Truth::Unknown => acc = Truth::Unknown,
                Truth::False => {}
            }
        }
        acc
    }
}

/// Read access to known fact values; an absent key is unknown.
pub trait Facts {
    /// The fact's value, if known.
    fn get(&self, key: &FactKey) -> Option<&FactValue>;
}

impl Facts for BTreeMap<FactKey, FactValue> {
    fn get(&self, key: &FactKey) -> Option<&FactValue> {
        BTreeMap::get(self, key)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater than (counts numerically, enums by severity order, timestamps by time).
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Equal to one of a list.
    In,
}

impl Op {
    const ALL: [Op; 7] = [Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::In];

    /// The operator's JSON key.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::In => "in",
        }
    }

    fn is_ordering(self) -> bool {
        matches!(self, Op::Gt | Op::Gte | Op::Lt | Op::Lte)
    }
}

/// A rule as written in the workflow JSON: exactly one of `all`, `any`, `not`, or a `fact`
/// with one comparison operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RuleRepr", into = "RuleRepr")]
pub enum RuleSpec {
    /// True when every sub-rule is true.
    All(Vec<RuleSpec>),
    /// True when some sub-rule is true.
    Any(Vec<RuleSpec>),
    /// The negation of a rule.
    Not(Box<RuleSpec>),
    /// A comparison of a fact with a literal (a list of literals for `in`).
    Compare {
        /// The fact compared.
        fact: FactKey,
        /// The operator.
        op: Op,
        /// The literal, as JSON.
        value: serde_json::Value,
    },
}

/// The flat JSON shape every rule object is read through.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not: Option<Box<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fact: Option<FactKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eq: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ne: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gt: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gte: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lt: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lte: Option<serde_json::Value>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    in_: Option<serde_json::Value>,
}

impl TryFrom<RuleRepr> for RuleSpec {
    type Error = String;
    fn try_from(r: RuleRepr) -> Result<Self, String> {
        let ops: Vec<(Op, serde_json::Value)> = [r.eq, r.ne, r.gt, r.gte, r.lt, r.lte, r.in_]
            .into_iter()
            .zip(Op::ALL)
            .filter_map(|(v, op)| v.map(|v| (op, v)))
            .collect();
        let shapes = usize::from(r.all.is_some())
            + usize::from(r.any.is_some())
            + usize::from(r.not.is_some())
            + usize::from(r.fact.is_some() || !ops.is_empty());
        if shapes != 1 {
            return Err("a rule must have exactly one of `all`, `any`, `not`, or `fact` with one operator (eq, ne, gt, gte, lt, lte, in)".into());
        }
        if let Some(all) = r.all {
            return Ok(RuleSpec::All(all));
        }
        if let Some(any) = r.any {
            return Ok(RuleSpec::Any(any));
        }
        if let Some(not) = r.not {
            return Ok(RuleSpec::Not(not));
        }
        let fact = r
            .fact
            .ok_or("a comparison needs `fact` naming the fact it compares")?;
        let mut ops = ops.into_iter();
        match (ops.next(), ops.next()) {
            (Some((op, value)), None) => Ok(RuleSpec::Compare { fact, op, value }),
            _ => Err(format!(
                "comparison on `{fact}` needs exactly one operator (eq, ne, gt, gte, lt, lte, in)"
            )),
        }
    }
}

impl From<RuleSpec> for RuleRepr {
    fn from(r: RuleSpec) -> RuleRepr {
        match r {
            RuleSpec::All(v) => RuleRepr {
                all: Some(v),
                ..Default::default()
            },
            RuleSpec::Any(v) => RuleRepr {
                any: Some(v),
                ..Default::default()
            },
            RuleSpec::Not(v) => RuleRepr {
                not: Some(v),
                ..Default::default()
            },
            RuleSpec::Compare { fact, op, value } => {
                let mut r = RuleRepr {
                    fact: Some(fact),
                    ..Default::default()
                };
                let slot = match op {
                    Op::Eq => &mut r.eq,
                    Op::Ne => &mut r.ne,
                    Op::Gt => &mut r.gt,
                    Op::Gte => &mut r.gte,
                    Op::Lt => &mut r.lt,
                    Op::Lte => &mut r.lte,
                    Op::In => &mut r.in_,
                };
                *slot = Some(value);
                r
            }
        }
    }
}

impl JsonSchema for RuleSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rule".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let rule = generator.subschema_for::<RuleSpec>();
        let literal = schemars::json_schema!({"type": ["boolean", "integer", "string"]});
        let mut one_of = vec![
            schemars::json_schema!({"type": "object", "additionalProperties": false, "required": ["all"],
                "properties": {"all": {"type": "array", "items": rule}}}),
            schemars::json_schema!({"type": "object", "additionalProperties": false, "required": ["any"],
                "properties": {"any": {"type": "array", "items": rule}}}),
            schemars::json_schema!({"type": "object", "additionalProperties": false, "required": ["not"],
                "properties": {"not": rule}}),
        ];
        for op in Op::ALL {
            let rhs = if op == Op::In {
                schemars::json_schema!({"type": "array", "items": literal})
            } else {
                literal.clone()
            };
            one_of.push(schemars::json_schema!({
                "type": "object", "additionalProperties": false, "required": ["fact", op.as_str()],
                "properties": {"fact": {"type": "string"}, (op.as_str()): rhs}
            }));
        }
        schemars::json_schema!({
            "description": "A rule in three-valued logic: all / any / not, or a comparison of one fact.",
            "oneOf": one_of
        })
    }
}

/// A rule compiled against the fact declarations: literals are typed, facts exist.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Kleene conjunction.
    All(Vec<Rule>),
    /// Kleene disjunction.
    Any(Vec<Rule>),
    /// Kleene negation.
    Not(Box<Rule>),
    /// A comparison; `rhs` has one element except for `in`.
    Compare {
        /// The fact compared.
        fact: FactKey,
        /// The operator.
        op: Op,
        /// The typed literal(s).
        rhs: Vec<FactValue>,
    },
}

/// Why a rule does not compile; `path` is relative to the rule (e.g. `.any[1].fact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Where in the rule, as a JSON path suffix.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl RuleSpec {
    /// Compiles the rule against fact declarations.
    pub fn compile(&self, facts: &BTreeMap<FactKey, FactDef>) -> Result<Rule, RuleError> {
        let err = |path: String, message: String| RuleError { path, message };
        let list = |items: &[RuleSpec], name: &str| -> Result<Vec<Rule>, RuleError> {
            items
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    r.compile(facts).map_err(|mut e| {
                        e.path = format!(".{name}[{i}]{}", e.path);
                        e
                    })
                })
                .collect()
        };
        match self {
            RuleSpec::All(items) => list(items, "all").map(Rule::All),
            RuleSpec::Any(items) => list(items, "any").map(Rule::Any),
            RuleSpec::Not(inner) => inner
                .compile(facts)
                .map(|r| Rule::Not(Box::new(r)))
                .map_err(|mut e| {
                    e.path = format!(".not{}", e.path);
                    e
                }),
            RuleSpec::Compare { fact, op, value } => {
                let def = facts
                    .get(fact)
                    .ok_or_else(|| err(".fact".into(), format!("undeclared fact `{fact}`")))?;
                let at = format!(".{}", op.as_str());
                if op.is_ordering() && def.ty == FactType::Bool {
                    return Err(err(
                        at,
                        format!(
                            "ordering comparison `{}` on bool fact `{fact}`",
                            op.as_str()
                        ),
                    ));
                }
                let literals: Vec<&serde_json::Value> = match (op, value) {
                    (Op::In, serde_json::Value::Array(items)) if !items.is_empty() => {
                        items.iter().collect()
                    }
                    (Op::In, _) => {
                        return Err(err(at, "`in` needs a non-empty list of values".into()));
                    }
                    _ => vec![value],
                };
                let rhs = literals
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        def.parse_value(v).map_err(|m| {
                            let at = if *op == Op::In {
                                format!("{at}[{i}]")
                            } else {
                                at.clone()
                            };
                            err(at, format!("wrong value for {} fact `{fact}`: {m}", def.ty))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Rule::Compare {
                    fact: fact.clone(),
                    op: *op,
                    rhs,
                })
            }
        }
    }
}

impl Rule {
    /// Evaluates the rule in Kleene logic: a comparison on an unknown fact is unknown.
    pub fn eval(&self, facts: &impl Facts) -> Truth {
        match self {
            Rule::All(items) => Truth::all(items.iter().map(|r| r.eval(facts))),
            Rule::Any(items) => Truth::any(items.iter().map(|r| r.eval(facts))),
            Rule::Not(inner) => !inner.eval(facts),
            Rule::Compare { fact, op, rhs } => match facts.get(fact) {
                None => Truth::Unknown,
                Some(v) => {
                    if compare(v, *op, rhs) {
                        Truth::True
                    } else {
                        Truth::False
                    }
                }
            },
        }
    }

    /// Every fact the rule reads, in key order.
    pub fn facts(&self) -> BTreeSet<&FactKey> {
        let mut out = BTreeSet::new();
        self.collect_facts(&mut out);
        out
    }

    fn collect_facts<'a>(&'a self, out: &mut BTreeSet<&'a FactKey>) {
        match self {
            Rule::All(items) | Rule::Any(items) => {
                items.iter().for_each(|r| r.collect_facts(out));
            }
            Rule::Not(inner) => inner.collect_facts(out),
            Rule::Compare { fact, .. } => {
                out.insert(fact);
            }
        }
    }
}

/// Natural order of two values of one fact: counts numerically, enums by their position in the
/// declared order, timestamps by time. Bools are only compared for equality.
fn natural_cmp(a: &FactValue, b: &FactValue) -> Option<Ordering> {
    match (a, b) {
        (FactValue::Count(a), FactValue::Count(b)) => Some(a.cmp(b)),
        (FactValue::Enum { rank: a, .. }, FactValue::Enum { rank: b, .. }) => Some(a.cmp(b)),
        (FactValue::Timestamp(a), FactValue::Timestamp(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn compare(v: &FactValue, op: Op, rhs: &[FactValue]) -> bool {
    let Some(first) = rhs.first() else {
        return false;
    };
    match op {
        Op::Eq => v == first,
        Op::Ne => v != first,
        Op::In => rhs.contains(v),
        Op::Gt => natural_cmp(v, first) == Some(Ordering::Greater),
        Op::Gte => matches!(
            natural_cmp(v, first),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => natural_cmp(v, first) == Some(Ordering::Less),
        Op::Lte => matches!(
            natural_cmp(v, first),
            Some(Ordering::Less | Ordering::Equal)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Truth::{False as F, True as T, Unknown as U};
    use serde_json::json;

    const ALL3: [Truth; 3] = [T, F, U];

    #[test]
    fn not_truth_table() {
        assert_eq!([!T, !F, !U], [F, T, U]);
    }

    #[test]
    fn and_truth_table() {
        // rows: a, columns: b, over (T, F, U)
        let expected = [[T, F, U], [F, F, F], [U, F, U]];
        for (i, a) in ALL3.iter().enumerate() {
            for (j, b) in ALL3.iter().enumerate() {
                assert_eq!(Truth::all([*a, *b]), expected[i][j], "{a:?} and {b:?}");
            }
        }
        assert_eq!(Truth::all([]), T, "empty conjunction is true");
    }

    #[test]
    fn or_truth_table() {
        let expected = [[T, T, T], [T, F, U], [T, U, U]];
        for (i, a) in ALL3.iter().enumerate() {
            for (j, b) in ALL3.iter().enumerate() {
                assert_eq!(Truth::any([*a, *b]), expected[i][j], "{a:?} or {b:?}");
            }
        }
        assert_eq!(Truth::any([]), F, "empty disjunction is false");
    }

    fn decls() -> BTreeMap<FactKey, FactDef> {
        let mk = crate::workflow::fact::tests::test_def;
        [
            mk("n", FactType::Count, &[]),
            mk("b", FactType::Bool, &[]),
            mk("e", FactType::Enum, &["low", "mid", "high"]),
            mk("t", FactType::Timestamp, &[]),
        ]
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect()
    }

    fn rule(j: serde_json::Value) -> Rule {
        serde_json::from_value::<RuleSpec>(j)
            .unwrap()
            .compile(&decls())
            .unwrap()
    }

    fn facts(j: serde_json::Value) -> BTreeMap<FactKey, FactValue> {
        let d = decls();
        j.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let key = FactKey::from(k.as_str());
                let val = d[&key].parse_value(v).unwrap();
                (key, val)
            })
            .collect()
    }

    /// Each comparison over a known-true, known-false and unknown fact.
    #[test]
    fn comparison_truth_tables() {
        let cases = [
            (
                json!({"fact": "n", "eq": 2}),
                json!({"n": 2}),
                json!({"n": 3}),
            ),
            (
                json!({"fact": "n", "ne": 2}),
                json!({"n": 3}),
                json!({"n": 2}),
            ),
            (
                json!({"fact": "n", "gt": 2}),
                json!({"n": 3}),
                json!({"n": 2}),
            ),
            (
                json!({"fact": "n", "gte": 2}),
                json!({"n": 2}),
                json!({"n": 1}),
            ),
            (
                json!({"fact": "n", "lt": 2}),
                json!({"n": 1}),
                json!({"n": 2}),
            ),
            (
                json!({"fact": "n", "lte": 2}),
                json!({"n": 2}),
                json!({"n": 3}),
            ),
            (
                json!({"fact": "e", "in": ["mid", "high"]}),
                json!({"e": "mid"}),
                json!({"e": "low"}),
            ),
            (
                json!({"fact": "e", "gt": "low"}),
                json!({"e": "high"}),
                json!({"e": "low"}),
            ),
            (
                json!({"fact": "e", "lte": "mid"}),
                json!({"e": "low"}),
                json!({"e": "high"}),
            ),
            (
                json!({"fact": "b", "eq": true}),
                json!({"b": true}),
                json!({"b": false}),
            ),
            (
                json!({"fact": "b", "ne": false}),
                json!({"b": true}),
                json!({"b": false}),
            ),
            (
                json!({"fact": "t", "lt": "2026-06-01T00:00:00Z"}),
                json!({"t": "2026-01-01T00:00:00+00:00"}),
                json!({"t": "2026-07-01T00:00:00Z"}),
            ),
        ];
        for (r, yes, no) in cases {
            let compiled = rule(r.clone());
            assert_eq!(compiled.eval(&facts(yes)), T, "{r}");
            assert_eq!(compiled.eval(&facts(no)), F, "{r}");
            assert_eq!(compiled.eval(&facts(json!({}))), U, "{r} on unknown fact");
        }
    }

    #[test]
    fn combinators_follow_kleene_logic_over_facts() {
        let r = rule(json!({"any": [{"fact": "n", "gt": 0}, {"fact": "b", "eq": true}]}));
        assert_eq!(r.eval(&facts(json!({"n": 1}))), T, "one true decides `any`");
        assert_eq!(r.eval(&facts(json!({"n": 0}))), U, "false or unknown");
        assert_eq!(r.eval(&facts(json!({"n": 0, "b": false}))), F);
        let r = rule(json!({"all": [{"fact": "n", "gt": 0}, {"not": {"fact": "b", "eq": true}}]}));
        assert_eq!(
            r.eval(&facts(json!({"n": 0}))),
            F,
            "one false decides `all`"
        );
        assert_eq!(r.eval(&facts(json!({"n": 1}))), U);
        assert_eq!(r.eval(&facts(json!({"n": 1, "b": false}))), T);
        assert_eq!(
            r.facts().into_iter().cloned().collect::<Vec<_>>(),
            vec![FactKey::from("b"), FactKey::from("n")]
        );
    }

    #[test]
    fn compile_errors_name_the_path() {
        let compile = |j: serde_json::Value| {
            serde_json::from_value::<RuleSpec>(j)
                .unwrap()
                .compile(&decls())
                .unwrap_err()
        };
        let e = compile(json!({"any": [{"fact": "n", "gt": 0}, {"fact": "zz", "eq": 1}]}));
        assert_eq!(e.path, ".any[1].fact");
        assert!(e.message.contains("undeclared fact `zz`"));
        let e = compile(json!({"not": {"fact": "b", "gt": true}}));
        assert_eq!(e.path, ".not.gt");
        assert!(e.message.contains("ordering comparison"));
        let e = compile(json!({"fact": "b", "eq": 1}));
        assert!(e.message.contains("wrong value for bool"), "{e:?}");
        let e = compile(json!({"fact": "n", "eq": -1}));
        assert!(e.message.contains("non-negative"), "{e:?}");
        let e = compile(json!({"fact": "e", "in": ["low", "extreme"]}));
        assert_eq!(e.path, ".in[1]");
    }

    #[test]
    fn malformed_rule_shapes_are_refused() {
        for bad in [
            json!({}),
            json!({"fact": "n"}),
            json!({"fact": "n", "eq": 1, "ne": 2}),
            json!({"all": [], "any": []}),
            json!({"fact": "n", "equals": 1}),
        ] {
            assert!(
                serde_json::from_value::<RuleSpec>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let round =
            json!({"all": [{"fact": "n", "in": [1, 2]}, {"not": {"fact": "b", "eq": true}}]});
        let spec: RuleSpec = serde_json::from_value(round.clone()).unwrap();
        assert_eq!(serde_json::to_value(&spec).unwrap(), round);
    }
}
