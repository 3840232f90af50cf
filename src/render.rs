//! Markdown for reviewers, rendered from a channel view (so a rendering can never show more than
//! the channel carries): the lane and its owner first, then blocked lower-authority paths,
//! options inside and outside the boundary with reversibility, pending evidence and stability,
//! lane history, approvals, and the evidence lineage as the channel may see it.
//!
//! # Rendered text is inert
//!
//! Every string that comes from the view (ids, digests, lanes and times as much as notes,
//! records and reasons: an agent id is as untrusted as a note) goes through one function,
//! `inert`, and the renderer's own literals are the only Markdown on a line. A value can
//! therefore never end a line, start a heading, list item, quote, fence or table row, add a
//! table cell, open emphasis, a link or a code span, or carry HTML:
//!
//! - line breaks and other invisible characters are shown, not kept: CR, LF and tab become the
//!   two characters `\r`, `\n`, `\t`; every other control character (C0, DEL, C1 including
//!   U+0085), the line and paragraph separators U+2028/U+2029 and the zero-width and
//!   bidirectional format characters become `\u{…}` with their hex code point;
//! - `\` `` ` `` `*` `_` `[` `]` `|` `~` `#` `$` are backslash-escaped wherever they occur
//!   (emphasis, code spans, links, table cells, strikethrough, headings, math), except `_`
//!   between two ASCII letters or digits (`key_custody`), where CommonMark lets it neither open
//!   nor close emphasis;
//! - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`, so neither Markdown nor a later HTML
//!   rendering sees a tag, an autolink or an entity of the value's own making;
//! - what starts a block only at the start of a value is escaped only there: a leading `-`, `+`
//!   or `=`, and the `.` or `)` after leading digits (`1\.`); leading and trailing spaces become
//!   `&#32;` (no indented code, no hard line break);
//! - everything else (`-` inside `executive-cyber-command`, `.`, `(`, `!`, `:`) is left alone.
//!
//! Identifiers that the renderer shows as code (`` `legal-trust-office` ``) are put in a code
//! span only when they consist of ASCII letters, digits and `-._:/@+` (backslash escapes do not
//! work inside a code span, so nothing else may go in one); any other value is shown as
//! escaped text instead.

use crate::case::machine::{Leaf, Step, transition_table};
use serde_json::Value;
use std::fmt::Write as _;

/// `raw` as Markdown text that renders as `raw` (with line breaks and invisible characters made
/// visible) and cannot change the structure of the line it is put on. See the module docs for
/// the rules.
fn inert(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let lead = chars.iter().take_while(|c| **c == ' ').count();
    let trail = chars.len()
        - chars[lead..]
            .iter()
            .rev()
            .take_while(|c| **c == ' ')
            .count();
    let digits = chars[lead..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let mut out = String::with_capacity(raw.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ' ' if i < lead || i >= trail => out.push_str("&#32;"),
            '\n' => out.push_str("\\\\n"),
            '\r' => out.push_str("\\\\r"),
            '\t' => out.push_str("\\\\t"),
            c if shown_as_code_point(c) => {
                let _ = write!(out, "\\\\u{{{:04x}}}", u32::from(c));
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Between ASCII letters or digits `_` can neither open nor close emphasis.
            '_' if i > 0
                && chars[i - 1].is_ascii_alphanumeric()
                && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric) =>
            {
                out.push('_');
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if i == lead => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if digits > 0 && i == lead + digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that break a line or hide or reorder text: controls (C0, DEL, C1 with U+0085),
/// the line and paragraph separators, zero-width and bidirectional format characters.
fn shown_as_code_point(c: char) -> bool {
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

/// A view value as inert text; null is an em dash, other non-strings their JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => inert(s),
        Value::Null => "—".into(),
        other => inert(&other.to_string()),
    }
}

/// An identifier as a code span when it is plain (nothing in it needs escaping, and a code
/// span cannot escape), otherwise as inert text.
fn code(v: &Value) -> String {
    match v.as_str() {
        Some(id) => code_str(id),
        None => text(v),
    }
}

fn code_str(id: &str) -> String {
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/@+".contains(c));
    if plain { format!("`{id}`") } else { inert(id) }
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn join(v: &Value) -> String {
    let items: Vec<String> = list(v).iter().map(text).collect();
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

/// Renders a packet or draft channel view as Markdown. Every value from the view, and the
/// title, is rendered inert (see the module docs).
pub fn packet_markdown(view: &Value, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", inert(title));
    let _ = writeln!(
        out,
        "Case {} · revision {} · channel {} · packet digest {}\n",
        code(&view["case_id"]),
        text(&view["revision"]),
        code(&view["channel"]),
        code(&view["packet_digest"])
    );

    let owner = &view["decision_owner"];
    let _ = writeln!(out, "## Decision owner\n");
    let _ = writeln!(
        out,
        "**Recommended lane: {}**\n",
        code(&view["recommended_lane"])
    );
    let _ = writeln!(out, "- Holders: {}", join(&owner["holders"]));
    for d in list(&owner["delegates"]) {
        let _ = writeln!(
            out,
            "- Delegate: {} (lent by {} until {})",
            text(&d["to"]),
            text(&d["by"]),
            text(&d["until"])
        );
    }
    if !view["accepted_by"].is_null() {
        let _ = writeln!(out, "- **Accepted by {}**", text(&view["accepted_by"]));
    }
    if let Some(deadlines) = view["deadlines"].as_object() {
        for (k, v) in deadlines {
            let _ = writeln!(out, "- Deadline {}: {}", code_str(k), text(v));
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
                    "{} → {} ({})",
                    text(&r["rule"]),
                    code(&r["lane"]),
                    join(&r["facts"])
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | **{}** | {} |",
            text(&l["rank"]),
            code(&l["lane"]),
            text(&l["status"]),
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
                .map(|l| code(&l["lane"]))
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
                "- **{}** — boundary {} · **{}**{conditional}",
                code(&o["id"]),
                code(&o["boundary_lane"]),
                text(&o["reversibility"])
            );
            for n in list(&o["notes"]) {
                let _ = writeln!(out, "  - {}", text(&n));
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
                "- {} → {} (waiting on {})",
                text(&p["rule"]),
                code(&p["could_escalate_to"]),
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
                    "finding #{} on {} by {} ({})",
                    text(&cause["index"]),
                    code(&cause["fact"]),
                    text(&cause["agent"]),
                    join(&cause["rules"])
                ),
                Some("redirect") => {
                    format!(
                        "redirect by {}: {}",
                        text(&cause["by"]),
                        text(&cause["reason"])
                    )
                }
                Some("declared") => format!("declared by {}", text(&cause["by"])),
                _ => text(cause),
            };
            let _ = writeln!(
                out,
                "- {} · {} → {} · {why}",
                text(&c["at"]),
                text(&c["from"]),
                code(&c["to"])
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
                "- {} · {} · {} — {}",
                text(&r["at"]),
                text(&r["by"]),
                code(&d["action"]),
                text(&d["reason"])
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
                format!("{} (voided)", text(&a["kind"]))
            } else {
                text(&a["kind"])
            };
            let _ = writeln!(
                out,
                "| {} | {} | {kind} | {} | {} |",
                text(&a["at"]),
                text(&a["issuer"]),
                text(&a["revision"]),
                code(&a["token_digest"])
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
                "| — | {} | *redacted* | — | digest {} | {} |",
                code(&e["fact"]),
                code(&e["digest"]),
                text(&e["sensitivity"])
            );
        } else {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} ({}) | {} {} | {} |",
                text(&e["at"]),
                code(&e["fact"]),
                text(&e["value"]),
                text(&e["agent"]["id"]),
                text(&e["agent"]["role"]),
                text(&e["source"]["system"]),
                code(&e["source"]["record"]),
                text(&e["sensitivity"])
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

#[cfg(test)]
mod tests {
    use super::{code_str, inert, text};
    use serde_json::json;

    #[test]
    fn plain_words_and_ids_are_left_alone() {
        for plain in [
            "executive-cyber-command",
            "dana.okafor",
            "2026-11-29T03:25:00Z",
            "hsm-eu1/audit/88121",
            "HSM audit shows an export attempt (partition 2): see ticket!",
        ] {
            assert_eq!(inert(plain), plain);
        }
        assert_eq!(code_str("legal-trust-office"), "`legal-trust-office`");
        assert_eq!(code_str("sha256:ab12"), "`sha256:ab12`");
    }

    #[test]
    fn line_breaks_and_invisible_characters_are_shown() {
        assert_eq!(inert("a\nb\r\nc\td"), "a\\\\nb\\\\r\\\\nc\\\\td");
        assert_eq!(
            inert("a\u{85}b\u{2028}c\u{2029}d\u{202e}e\u{0}"),
            "a\\\\u{0085}b\\\\u{2028}c\\\\u{2029}d\\\\u{202e}e\\\\u{0000}"
        );
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            inert("**a** _b_ `c` [d](e) |f| ~~g~~ #h $i$ \\j"),
            "\\*\\*a\\*\\* \\_b\\_ \\`c\\` \\[d\\](e) \\|f\\| \\~\\~g\\~\\~ \\#h \\$i\\$ \\\\j"
        );
        assert_eq!(
            inert("key_custody a__b _c d_"),
            "key_custody a\\_\\_b \\_c d\\_"
        );
        assert_eq!(
            inert("<script>&amp;</script>"),
            "&lt;script&gt;&amp;amp;&lt;/script&gt;"
        );
    }

    #[test]
    fn block_starts_are_escaped_only_at_the_start() {
        assert_eq!(inert("- a-b"), "\\- a-b");
        assert_eq!(inert("+ a+b"), "\\+ a+b");
        assert_eq!(inert("==="), "\\===");
        assert_eq!(inert("12. a. b"), "12\\. a. b");
        assert_eq!(inert("3) a)"), "3\\) a)");
        assert_eq!(inert("2026-11-29"), "2026-11-29");
        assert_eq!(inert("  a  b  "), "&#32;&#32;a  b&#32;&#32;");
        assert_eq!(inert("  "), "&#32;&#32;");
        assert_eq!(inert(""), "");
    }

    #[test]
    fn only_plain_ids_go_in_code_spans() {
        assert_eq!(code_str("a`b"), "a\\`b");
        assert_eq!(code_str("a b"), "a b");
        assert_eq!(code_str("a|b"), "a\\|b");
        assert_eq!(code_str(""), "");
    }

    #[test]
    fn non_strings_render_as_inert_json() {
        assert_eq!(text(&json!(null)), "—");
        assert_eq!(text(&json!(3)), "3");
        assert_eq!(text(&json!({"k": "a|b\n"})), "{\"k\":\"a\\|b\\\\n\"}");
    }
}
