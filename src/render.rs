//! What people read: Markdown for reviewers ([`packet_markdown`], in `markdown`), rendered from a
//! typed channel view with every value made inert, and the statechart diagrams ([`mermaid`],
//! [`dot`]) drawn from the machine's transition table.

use crate::case::machine::{Leaf, Step, transition_table};
use std::fmt::Write as _;

mod markdown;
pub use markdown::packet_markdown;

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
