//! Rendered text is inert (DESIGN §12 rule 5): no string in a channel view can change the
//! structure of the Markdown that `render::packet_markdown` makes of it.
//!
//! The views come from the shipped demo scenario (every channel of the accepted packet), widened
//! with one entry in each list the scenario leaves empty (delegates, redirects, pending
//! triggers, excluded options, options outside the boundary, deadlines, a redirect in the lane
//! history) so that every branch of the renderer runs. Then every string in the view is replaced
//! by an injection payload, and the rendering must have the same block skeleton as the rendering
//! with every string replaced by a benign word: same lines, same line kinds, same table cells,
//! same Markdown markup per line.

use authority_lane::demo;
use authority_lane::ids::ChannelId;
use authority_lane::journal::MemoryJournal;
use authority_lane::render::packet_markdown;
use authority_lane::store::CaseStore;
use serde_json::{Map, Value, json};

const CHANNELS: [&str; 3] = [
    "security-trust-review",
    "executive-brief",
    "authority-selection",
];

/// Strings that try to start a block, close a code span, open emphasis, split a table cell,
/// inject HTML or break the line by every line ending Markdown or a browser knows.
const PAYLOADS: &[&str] = &[
    "x\n\n# Heading\n**Recommended lane: `platform-security-command`**\n| a | b |\n- item\r\n<script>alert(1)</script>\u{2028}Accepted by mallory",
    "x\n\n**Recommended lane: `platform-security-command`**\n\nAccepted by mallory",
    "\n\n- **Accepted by mallory**\n",
    "# Heading",
    "###### Heading ######",
    "- item",
    "+ item",
    "* item",
    "1. item",
    "2) item",
    "> quote",
    "---",
    "===",
    "    indented code",
    "```\nfenced\n```",
    "~~~",
    "a | b | c",
    "| a | b |",
    "x` **bold** `y",
    "``",
    "**Accepted by mallory**",
    "__strong__ _em_ ~~struck~~",
    "[link](https://evil.example) ![img](https://evil.example/x.png)",
    "[ref]: https://evil.example",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;script&gt; &#10; &amp;",
    "x\r# carriage return",
    "x\r\n# crlf",
    "x\u{85}# next line",
    "x\u{2028}# line separator",
    "x\u{2029}# paragraph separator",
    "x\u{b}\u{c}# vertical tab and form feed",
    "x\t\u{0}\u{1b}[31m controls",
    "x\u{202e}drow\u{2066}bidi",
    "trailing backslash\\",
    "hard break  ",
    "\\*escaped\\*",
    "$\\text{math}$",
];

/// The kinds of Markdown line the renderer may write, coarse enough that a payload's text does
/// not change them unless it changes the structure.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Heading(usize),
    /// A list item: its indentation and the kind of its content.
    Item(usize, Box<Kind>),
    Ordered(usize),
    /// Indented code.
    Code,
    Quote,
    Fence,
    Html,
    Break,
    /// A table row and its number of cells.
    Row(usize),
    Paragraph,
}

fn kind(line: &str) -> Kind {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    if rest.is_empty() {
        return Kind::Blank;
    }
    if indent >= 4 {
        return Kind::Code;
    }
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && (rest.len() == hashes || rest[hashes..].starts_with(' ')) {
        return Kind::Heading(hashes);
    }
    for marker in ["-", "*", "+"] {
        if rest == marker {
            return Kind::Item(indent, Box::new(Kind::Blank));
        }
        if let Some(content) = rest.strip_prefix(marker).and_then(|r| r.strip_prefix(' ')) {
            if rest.chars().all(|c| c == ' ' || c == '-' || c == '*') && rest.len() >= 3 {
                return Kind::Break;
            }
            return Kind::Item(indent, Box::new(kind(content)));
        }
    }
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=9).contains(&digits) {
        let after = &rest[digits..];
        if (after.starts_with('.') || after.starts_with(')'))
            && (after.len() == 1 || after[1..].starts_with(' '))
        {
            return Kind::Ordered(indent);
        }
    }
    if rest.starts_with('>') {
        return Kind::Quote;
    }
    if rest.starts_with("```") || rest.starts_with("~~~") {
        return Kind::Fence;
    }
    if rest.starts_with('<') {
        return Kind::Html;
    }
    let trimmed = rest.trim_end();
    if trimmed.len() >= 3
        && ["-", "*", "_", "="]
            .iter()
            .any(|m| trimmed.chars().all(|c| c == ' ' || m.starts_with(c)))
    {
        return Kind::Break;
    }
    if rest.starts_with('|') {
        return Kind::Row(unescaped(rest, '|') - 1);
    }
    Kind::Paragraph
}

/// How many times `c` occurs in `line` not escaped by a backslash.
fn unescaped(line: &str, c: char) -> usize {
    let mut n = 0;
    let mut backslashes = 0;
    for ch in line.chars() {
        if ch == c && backslashes % 2 == 0 {
            n += 1;
        }
        backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
    }
    n
}

/// Every line's kind, and the Markdown markup on it that a value must not add to.
fn skeleton(md: &str) -> Vec<(Kind, [usize; 8])> {
    md.split('\n')
        .map(|line| {
            let marks = ['*', '_', '~', '[', ']', '<', '>', '$'].map(|c| unescaped(line, c));
            (kind(line), marks)
        })
        .collect()
}

/// `view` with every string value (not object key) replaced by `with`; when `keep_tags`, the
/// closed-enum tags the renderer branches on stay, so that the same branches run.
fn replace_strings(view: &Value, with: &str, keep_tags: bool) -> Value {
    fn walk(v: &Value, key: Option<&str>, with: &str, keep_tags: bool) -> Value {
        match v {
            Value::String(_)
                if keep_tags && matches!(key, Some("status" | "boundary" | "kind")) =>
            {
                v.clone()
            }
            Value::String(_) => Value::String(with.to_owned()),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| walk(i, None, with, keep_tags))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, x)| (k.clone(), walk(x, Some(k), with, keep_tags)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }
    walk(view, None, with, keep_tags)
}

fn push(view: &mut Value, path: &[&str], item: Value) {
    let mut v = &mut *view;
    for p in path {
        v = &mut v[*p];
    }
    match v.as_array_mut() {
        Some(items) => items.push(item),
        None => *v = json!([item]),
    }
}

/// The accepted demo packet in every channel, with every renderer branch populated.
fn views() -> Vec<Value> {
    let at = chrono::DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default();
    let run = demo::run(at, |w, t, token| {
        CaseStore::<MemoryJournal>::in_memory(
            w,
            t,
            token,
            authority_lane::store::Clock::Supplied(at),
        )
    })
    .expect("the demo runs");
    let packet = run.packet().expect("the demo reaches closed/accepted");
    let workflow = run.store.case().workflow();
    CHANNELS
        .iter()
        .map(|id| {
            let channel = workflow
                .channel(&ChannelId::from(*id))
                .expect("the shipped workflow defines the channel");
            let mut v = packet.view(channel).to_json();
            let time = "2026-11-29T03:40:00Z";
            push(
                &mut v,
                &["decision_owner", "delegates"],
                json!({"lane": "legal-trust-office", "to": "ruth.mensah", "until": time,
                       "by": "dana.okafor", "at": time}),
            );
            push(
                &mut v,
                &["pending"],
                json!({"rule": "E9", "could_escalate_to": "legal-trust-office",
                       "facts": ["impact.customers_affected", "lineage.third_party_redistribution"]}),
            );
            push(&mut v, &["excluded_options"], json!("full-release-freeze"));
            let mut outside = v["options"][0].clone();
            outside["boundary"] = json!("outside");
            outside["conditional"] = json!(true);
            push(&mut v, &["options"], outside);
            v["deadlines"] = json!({"impact.disclosure_deadline": "2026-11-30T17:00:00Z"});
            if v.get("lane_history").is_some() {
                push(
                    &mut v,
                    &["lane_history"],
                    json!({"at": time, "from": "executive-cyber-command", "to": "legal-trust-office",
                           "cause": {"kind": "redirect", "by": "sam.rivera",
                                     "token_digest": "sha256:00", "reason": "counsel asked"}}),
                );
            }
            if v.get("redirects").is_some() {
                push(
                    &mut v,
                    &["redirects"],
                    json!({"by": "sam.rivera", "at": time, "token_digest": "sha256:00",
                           "redirect": {"action": "set_lane", "lane": "legal-trust-office",
                                        "reason": "counsel asked"}}),
                );
            }
            v
        })
        .collect()
}

/// Lines a payload would write if it escaped its cell: none may start a line.
const FORBIDDEN_LINE_STARTS: &[&str] = &[
    "# Heading",
    "**Recommended",
    "Accepted by",
    "- item",
    "<script",
    "<img",
    "fenced",
    "indented code",
];

fn assert_inert(benign: &str, attacked: &str, payload: &str) {
    let (want, got) = (skeleton(benign), skeleton(attacked));
    assert_eq!(
        want.len(),
        got.len(),
        "payload {payload:?} changed the number of lines:\n{attacked}"
    );
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        let line = attacked.split('\n').nth(i).unwrap_or_default();
        let own = benign.split('\n').nth(i).unwrap_or_default();
        assert_eq!(
            w, g,
            "payload {payload:?} changed line {i}: {line:?}\nbenign: {own:?}"
        );
        assert_eq!(
            unescaped(line, '`') % 2,
            0,
            "payload {payload:?} left a code span open on line {i}: {line:?}"
        );
        // The renderer's own lines may start so ("**Recommended lane: …**"); no other may.
        for start in FORBIDDEN_LINE_STARTS {
            assert!(
                own.trim_start().starts_with(start) || !line.trim_start().starts_with(start),
                "payload {payload:?} starts line {i} with {start:?}: {line:?}"
            );
        }
    }
    for (needle, what) in [
        ("**Recommended lane", "a second recommended lane"),
        ("**Accepted by", "a second acceptance"),
    ] {
        assert_eq!(
            benign.matches(needle).count(),
            attacked.matches(needle).count(),
            "payload {payload:?} injected {what}:\n{attacked}"
        );
    }
    let lower = attacked.to_lowercase();
    for raw in [
        "<script", "<img", "&#10;", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\u{b}", "\u{c}",
        "\u{202e}", "\u{2066}",
    ] {
        assert!(
            !lower.contains(raw),
            "payload {payload:?} reached the Markdown raw ({raw:?}):\n{attacked}"
        );
    }
    assert!(
        !attacked.chars().any(|c| c.is_control() && c != '\n'),
        "payload {payload:?} left a control character in the Markdown:\n{attacked}"
    );
}

#[test]
fn every_view_string_renders_inert() {
    for view in views() {
        for keep_tags in [true, false] {
            let benign = packet_markdown(&replace_strings(&view, "x", keep_tags), "Packet");
            for payload in PAYLOADS {
                let attacked =
                    packet_markdown(&replace_strings(&view, payload, keep_tags), "Packet");
                assert_inert(&benign, &attacked, payload);
            }
        }
    }
}

#[test]
fn benign_words_keep_the_real_skeleton() {
    // The benign comparison is honest: replacing every value by a word (keeping the tags the
    // renderer branches on) renders the same structure as the real view.
    for view in views() {
        let real = packet_markdown(&view, "Packet");
        let benign = packet_markdown(&replace_strings(&view, "x", true), "Packet");
        assert_eq!(
            skeleton(&real).iter().map(|s| &s.0).collect::<Vec<_>>(),
            skeleton(&benign).iter().map(|s| &s.0).collect::<Vec<_>>(),
            "{real}"
        );
    }
}

#[test]
fn the_title_renders_inert() {
    let view = views().remove(0);
    let benign = packet_markdown(&view, "Packet");
    for payload in PAYLOADS {
        assert_inert(&benign, &packet_markdown(&view, payload), payload);
    }
}

#[test]
fn benign_ids_stay_readable() {
    let view = views().remove(1);
    let md = packet_markdown(&view, "Recommendation packet");
    assert!(
        md.contains("**Recommended lane: `legal-trust-office`**"),
        "{md}"
    );
    assert!(md.contains("`executive-cyber-command`"), "{md}");
    assert!(md.contains("- **Accepted by dana.okafor**"), "{md}");
    assert!(md.contains("Case `sev1-signing-key-2026-11-28`"), "{md}");
}

#[test]
fn an_agent_id_cannot_forge_a_recommendation_in_the_executive_brief() {
    let mut view = views().remove(1);
    assert_eq!(view["channel"], "executive-brief");
    let honest = packet_markdown(&view, "Recommendation packet");
    let forged = "x\n\n**Recommended lane: `platform-security-command`**\n\nAccepted by mallory";
    for e in view["evidence"].as_array_mut().into_iter().flatten() {
        if e.get("agent").is_some() {
            e["agent"]["id"] = json!(forged);
        }
    }
    let md = packet_markdown(&view, "Recommendation packet");
    assert_eq!(md.lines().count(), honest.lines().count(), "{md}");
    assert_eq!(md.matches("**Recommended lane").count(), 1, "{md}");
    assert!(
        !md.lines().any(|l| l.starts_with("Accepted by")),
        "an agent id wrote an acceptance line:\n{md}"
    );
    assert!(md.contains("\\*\\*Recommended lane: \\`platform"), "{md}");
}
