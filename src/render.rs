//! Markdown for reviewers, rendered from a channel view (so a rendering can never show more than
//! the channel carries): the lane and its owner first, then blocked lower-authority paths,
//! options inside and outside the boundary with reversibility, pending evidence and stability,
//! lane history, approvals, and the evidence lineage as the channel may see it.

use crate::case::machine::{Leaf, Step, transition_table};
use serde_json::Value;
use std::fmt::Write as _;

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn join(v: &Value) -> String {
    let items: Vec<String> = list(v).iter().map(s).collect();
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

/// Renders a packet or draft channel view as Markdown.
pub fn packet_markdown(view: &Value, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(
        out,
        "Case `{}` · revision {} · channel `{}` · packet digest `{}`\n",
        s(&view["case_id"]),
        s(&view["revision"]),
        s(&view["channel"]),
        s(&view["packet_digest"])
    );

    let owner = &view["decision_owner"];
    let _ = writeln!(out, "## Decision owner\n");
    let _ = writeln!(
        out,
        "**Recommended lane: `{}`**\n",
        s(&view["recommended_lane"])
    );
    let _ = writeln!(out, "- Holders: {}", join(&owner["holders"]));
    for d in list(&owner["delegates"]) {
        let _ = writeln!(
            out,
            "- Delegate: {} (lent by {} until {})",
            s(&d["to"]),
            s(&d["by"]),
            s(&d["until"])
        );
    }
    if !view["accepted_by"].is_null() {
        let _ = writeln!(out, "- **Accepted by {}**", s(&view["accepted_by"]));
    }
    if let Some(deadlines) = view["deadlines"].as_object() {
        for (k, v) in deadlines {
            let _ = writeln!(out, "- Deadline `{k}`: {}", s(v));
        }
    }
    out.push('\n');

    let _ = writeln!(out, "## Lanes\n");
    let _ = writeln!(out, "| rank | lane | status | reasons |\n|---|---|---|---|");
    for l in list(&view["lanes"]) {
        let reasons: Vec<String> = list(&l["reasons"])
            .iter()
            .map(|r| {
                format!(
                    "{} → `{}` ({})",
                    s(&r["rule"]),
                    s(&r["lane"]),
                    join(&r["facts"])
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | `{}` | **{}** | {} |",
            s(&l["rank"]),
            s(&l["lane"]),
            s(&l["status"]),
            if reasons.is_empty() {
                "—".into()
            } else {
                reasons.join("; ")
            }
        );
    }
    let blocked: Vec<Value> = list(&view["lanes"])
        .into_iter()
        .filter(|l| l["status"] == "blocked")
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(
            out,
            "\nBlocked lower-authority paths: {}.",
            blocked
                .iter()
                .map(|l| format!("`{}`", s(&l["lane"])))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');

    let _ = writeln!(out, "## Options\n");
    for (heading, which) in [
        ("Inside the recommended lane's authority", "inside"),
        ("Outside it (needs a higher authority)", "outside"),
    ] {
        let opts: Vec<Value> = list(&view["options"])
            .into_iter()
            .filter(|o| o["boundary"] == which)
            .collect();
        let _ = writeln!(out, "### {heading}\n");
        if opts.is_empty() {
            let _ = writeln!(out, "None.\n");
            continue;
        }
        for o in opts {
            let conditional = if o["conditional"] == true {
                " · *conditional: depends on unknown facts*"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "- **`{}`** — boundary `{}` · **{}**{conditional}",
                s(&o["id"]),
                s(&o["boundary_lane"]),
                s(&o["reversibility"])
            );
            for n in list(&o["notes"]) {
                let _ = writeln!(out, "  - {}", s(&n));
            }
        }
        out.push('\n');
    }
    let excluded = list(&view["excluded_options"]);
    if !excluded.is_empty() {
        let _ = writeln!(
            out,
            "Excluded by redirect: {}.\n",
            join(&view["excluded_options"])
        );
    }

    let _ = writeln!(out, "## Pending evidence and stability\n");
    let pending = list(&view["pending"]);
    if pending.is_empty() {
        let _ = writeln!(out, "Stable: no unknown trigger could raise the lane.\n");
    } else {
        let _ = writeln!(
            out,
            "**Not stable**: these triggers are unknown and could raise the lane.\n"
        );
        for p in pending {
            let _ = writeln!(
                out,
                "- {} → `{}` (waiting on {})",
                s(&p["rule"]),
                s(&p["could_escalate_to"]),
                join(&p["facts"])
            );
        }
        out.push('\n');
    }

    if view.get("lane_history").is_some() {
        let _ = writeln!(out, "## Lane history\n");
        for c in list(&view["lane_history"]) {
            let cause = &c["cause"];
            let why = match cause["kind"].as_str() {
                Some("finding") => format!(
                    "finding #{} on `{}` by {} ({})",
                    s(&cause["index"]),
                    s(&cause["fact"]),
                    s(&cause["agent"]),
                    join(&cause["rules"])
                ),
                Some("redirect") => {
                    format!("redirect by {}: {}", s(&cause["by"]), s(&cause["reason"]))
                }
                Some("declared") => format!("declared by {}", s(&cause["by"])),
                _ => s(cause),
            };
            let _ = writeln!(
                out,
                "- {} · {} → `{}` · {why}",
                s(&c["at"]),
                s(&c["from"]),
                s(&c["to"])
            );
        }
        out.push('\n');
    }

    if view.get("redirects").is_some_and(|r| !list(r).is_empty()) {
        let _ = writeln!(out, "## Redirects\n");
        for r in list(&view["redirects"]) {
            let d = &r["redirect"];
            let _ = writeln!(
                out,
                "- {} · {} · `{}` — {}",
                s(&r["at"]),
                s(&r["by"]),
                s(&d["action"]),
                s(&d["reason"])
            );
        }
        out.push('\n');
    }

    if view.get("approvals").is_some() {
        let _ = writeln!(out, "## Approvals\n");
        let _ = writeln!(
            out,
            "| at | issuer | kind | revision | token digest |\n|---|---|---|---|---|"
        );
        for a in list(&view["approvals"]) {
            let kind = if a["voided"] == true {
                format!("{} (voided)", s(&a["kind"]))
            } else {
                s(&a["kind"])
            };
            let _ = writeln!(
                out,
                "| {} | {} | {kind} | {} | `{}` |",
                s(&a["at"]),
                s(&a["issuer"]),
                s(&a["revision"]),
                s(&a["token_digest"])
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Evidence lineage\n");
    let _ = writeln!(
        out,
        "| at | fact | value | agent | source | sensitivity |\n|---|---|---|---|---|---|"
    );
    for e in list(&view["evidence"]) {
        if e["redacted"] == true {
            let _ = writeln!(
                out,
                "| — | `{}` | *redacted* | — | digest `{}` | {} |",
                s(&e["fact"]),
                s(&e["digest"]),
                s(&e["sensitivity"])
            );
        } else {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} ({}) | {} `{}` | {} |",
                s(&e["at"]),
                s(&e["fact"]),
                s(&e["value"]),
                s(&e["agent"]["id"]),
                s(&e["agent"]["role"]),
                s(&e["source"]["system"]),
                s(&e["source"]["record"]),
                s(&e["sensitivity"])
            );
        }
    }
    out
}

fn input_label(step: &Step) -> (&'static str, &'static str) {
    use crate::case::machine::Input;
    match step.input {
        Input::Evidence { ready: true } => (
            "finding, delegate or redirect [ready]",
            "findings unsigned, delegate and redirect need an Approval",
        ),
        Input::Evidence { ready: false } => (
            "finding, delegate or redirect [not ready]",
            "findings unsigned, delegate and redirect need an Approval",
        ),
        Input::SignOff { quorum: false } => ("review [below quorum]", "needs Approval of review"),
        Input::SignOff { quorum: true } => ("review [quorum met]", "needs Approval of review"),
        Input::Accept => ("accept", "needs Approval of accept"),
        Input::StandDown => ("stand_down", "needs Approval of stand_down"),
        Input::Declare => ("declare", "needs Approval of declare"),
    }
}

/// A superstate and what it contains, built from the leaves' declared superstates.
#[derive(Default)]
struct Node {
    name: String,
    children: Vec<Node>,
    leaves: Vec<Leaf>,
}

impl Node {
    fn tree() -> Node {
        let mut root = Node::default();
        for leaf in Leaf::ALL {
            let mut node = &mut root;
            for sup in leaf.superstates() {
                let i = match node.children.iter().position(|c| c.name == *sup) {
                    Some(i) => i,
                    None => {
                        node.children.push(Node {
                            name: (*sup).to_owned(),
                            ..Node::default()
                        });
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[i];
            }
            node.leaves.push(leaf);
        }
        root
    }

    fn mermaid(&self, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        for leaf in &self.leaves {
            let _ = writeln!(out, "{pad}{}", leaf.as_str());
        }
        for child in &self.children {
            let _ = writeln!(out, "{pad}state {} {{", child.name);
            child.mermaid(depth + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }

    fn dot(&self, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        for leaf in &self.leaves {
            let _ = writeln!(out, "{pad}{};", leaf.as_str());
        }
        for child in &self.children {
            let _ = writeln!(
                out,
                "{pad}subgraph cluster_{} {{\n{pad}    label=\"{}\";",
                child.name, child.name
            );
            child.dot(depth + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

/// The statechart as a Mermaid `stateDiagram-v2`, drawn from the machine's transition table.
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    Node::tree().mermaid(1, &mut out);
    out.push_str("    [*] --> gathering : declare / needs Approval of declare\n");
    for step in transition_table() {
        if let Some(to) = step.to {
            let (label, needs) = input_label(&step);
            let _ = writeln!(
                out,
                "    {} --> {} : {label} / {needs}",
                step.from.as_str(),
                to.as_str()
            );
        }
    }
    out
}

/// The statechart in Graphviz DOT, drawn from the machine's transition table.
pub fn dot() -> String {
    let mut out = String::from(
        "digraph authority_lane {\n    compound=true;\n    node [shape=box, style=rounded];\n    start [shape=point];\n",
    );
    Node::tree().dot(1, &mut out);
    out.push_str("    start -> gathering [label=\"declare\\nneeds Approval of declare\"];\n");
    for step in transition_table() {
        if let Some(to) = step.to {
            let (label, needs) = input_label(&step);
            let _ = writeln!(
                out,
                "    {} -> {} [label=\"{label}\\n{needs}\"];",
                step.from.as_str(),
                to.as_str()
            );
        }
    }
    out.push_str("}\n");
    out
}
