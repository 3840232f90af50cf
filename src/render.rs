//! What people read: Markdown for reviewers ([`packet_markdown`], in `markdown`) and
//! self-contained HTML pages ([`packet_html`], [`status_html`]; DESIGN §17), rendered from a
//! typed channel view with every value made inert, and the statechart diagrams ([`mermaid`],
//! [`dot`]) drawn from the statechart's one table and hierarchy.

use crate::case::machine::{InputKind, Leaf, Node, TRANSITIONS, Target};
use std::fmt::Write as _;

mod html;
mod markdown;
mod page;
mod report;
mod svg;
pub use html::{packet_html, status_html};
pub use markdown::packet_markdown;
pub use report::report_html;

/// Characters that break a line or hide or reorder text: controls (C0, DEL, C1 with U+0085),
/// the line and paragraph separators, zero-width and bidirectional format characters.
pub(crate) fn shown_as_code_point(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// The word the JSON view writes for an enum (for an internally tagged enum, its tag under
/// `tag`), so that the Markdown and the HTML show the same word without a second copy of the
/// names.
fn wire_name<T: serde::Serialize>(value: &T, tag: Option<&str>) -> String {
    let v = serde_json::to_value(value).unwrap_or_default();
    let v = match tag {
        Some(t) => v.get(t).cloned().unwrap_or_default(),
        None => v,
    };
    v.as_str().unwrap_or_default().to_owned()
}

/// A trust amendment's added and removed grants and its compromised keys in words, the same in
/// every format (what each format's *Trust amendments* section shows): `text` writes a value,
/// `code` a key id and `time` a time as the format escapes them; several values are joined
/// with commas, none is an em dash.
fn amendment_words(
    c: &crate::packet::TrustChange,
    text: impl Fn(&str) -> String,
    code: impl Fn(&str) -> String,
    time: impl Fn(&chrono::DateTime<chrono::Utc>) -> String,
) -> [String; 3] {
    let joined = |items: Vec<String>, separator: &str| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items.join(separator)
        }
    };
    let grants = |grants: &[crate::packet::TrustGrant]| {
        let values = |items: Vec<&str>| joined(items.into_iter().map(&text).collect(), ", ");
        let items = grants
            .iter()
            .map(|g| {
                format!(
                    "{} (roles {}; keys {})",
                    text(g.principal.as_str()),
                    values(g.roles.iter().map(|r| r.as_str()).collect()),
                    values(g.kids.iter().map(|k| k.as_str()).collect())
                )
            })
            .collect();
        joined(items, "; ")
    };
    let compromised = c
        .compromised
        .iter()
        .map(|k| format!("{} since {}", code(k.kid.as_str()), time(&k.since)))
        .collect();
    [
        grants(&c.added),
        grants(&c.removed),
        joined(compromised, "; "),
    ]
}

/// What an input needs from a human, for the diagrams' legend.
fn needs(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Revise { .. } => {
            "a finding (unsigned; checked against the workflow), a delegate or redirect Approval, or a trust amendment that changes the decision"
        }
        InputKind::Carry => {
            "a finding that leaves the decision digest unchanged (carry_over: decision_unchanged)"
        }
        InputKind::Reopen { .. } => {
            "a finding in closed/accepted that changes the accepted decision, or a trust amendment that changes it or voids the acceptance or a quorum sign-off (opens the next revision)"
        }
        InputKind::SignOff { .. } => {
            "a review Approval naming the current draft digest (or a draft of its decision epoch)"
        }
        InputKind::Accept => "an accept Approval by an owner of the recommended lane",
        InputKind::StandDown => "a stand_down Approval by security leadership",
        InputKind::Declare => "a declare Approval by security leadership (opens the case)",
        InputKind::Withdraw { .. } => {
            "the amend_trust Approval completing an amendment's quorum, voiding sign-offs made with a key it declares compromised"
        }
    }
}

/// The legend: each input's label and what it needs, one line each.
fn legend() -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for kind in InputKind::ALL {
        let line = format!("{}: {}", kind.commands().join(" / "), needs(kind));
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// The nodes directly below `node` in the hierarchy.
fn children(node: Node) -> impl Iterator<Item = Node> {
    Node::ALL
        .into_iter()
        .filter(move |n| n.parent() == Some(node))
}

fn mermaid_tree(node: Node, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for child in children(node) {
        if child.leaf().is_some() {
            let _ = writeln!(out, "{pad}{}", child.as_str());
        } else {
            let _ = writeln!(out, "{pad}state {} {{", child.as_str());
            mermaid_tree(child, depth + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

fn dot_tree(node: Node, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for child in children(node) {
        if child.leaf().is_some() {
            let _ = writeln!(out, "{pad}{};", child.as_str());
        } else {
            let name = child.as_str();
            let _ = writeln!(
                out,
                "{pad}subgraph cluster_{name} {{\n{pad}    label=\"{name}\";"
            );
            dot_tree(child, depth + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

/// A leaf inside `node` (itself, for a leaf): where DOT anchors an edge drawn from a cluster.
fn anchor(node: Node) -> Leaf {
    Leaf::ALL
        .into_iter()
        .find(|l| l.node().ancestors().any(|n| n == node))
        .unwrap_or(Leaf::Gathering)
}

/// The statechart as a Mermaid `stateDiagram-v2`, drawn from [`TRANSITIONS`]: a transition a
/// superstate handles is one edge from that superstate; labels name the input; the legend says
/// which approval each needs.
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    mermaid_tree(Node::Case, 1, &mut out);
    out.push_str("    [*] --> gathering : declare\n");
    for t in TRANSITIONS {
        let to = match t.to {
            Target::Stay => t.at.as_str(),
            Target::Go(leaf) => leaf.as_str(),
        };
        let _ = writeln!(out, "    {} --> {to} : {}", t.at.as_str(), t.on.label());
    }
    out.push_str("    note right of closed\n");
    for line in legend() {
        let _ = writeln!(out, "        {line}");
    }
    out.push_str("    end note\n");
    out
}

/// The statechart in Graphviz DOT, drawn from [`TRANSITIONS`] as [`mermaid`] is; an edge a
/// superstate handles leaves its cluster (`ltail`).
pub fn dot() -> String {
    let mut out = String::from(
        "digraph authority_lane {\n    compound=true;\n    node [shape=box, style=rounded];\n    start [shape=point];\n",
    );
    dot_tree(Node::Case, 1, &mut out);
    out.push_str("    start -> gathering [label=\"declare\"];\n");
    for t in TRANSITIONS {
        let from = anchor(t.at);
        let to = match t.to {
            Target::Stay => from,
            Target::Go(leaf) => leaf,
        };
        let tail = if t.at.leaf().is_some() {
            String::new()
        } else {
            format!(", ltail=cluster_{}", t.at.as_str())
        };
        let _ = writeln!(
            out,
            "    {} -> {} [label=\"{}\"{tail}];",
            from.as_str(),
            to.as_str(),
            t.on.label()
        );
    }
    let _ = writeln!(
        out,
        "    legend [shape=note, label=\"{}\\l\"];",
        legend().join("\\l")
    );
    out.push_str("}\n");
    out
}
