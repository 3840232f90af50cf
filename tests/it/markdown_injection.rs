//! Rendered text is inert (DESIGN §12 rule 5): no string in a channel view can change the
//! structure of the Markdown that `render::packet_markdown` makes of it.
//!
//! The views come from the shipped demo scenario (every channel of the accepted packet), widened
//! with one entry in each list the scenario leaves empty (delegates, redirects, pending
//! triggers, excluded options, options outside the boundary, deadlines, a redirect in the lane
//! history) so that every branch of the renderer runs. Then every text member of the typed view
//! is replaced by an injection payload (times, digests and closed enums are typed and cannot carry
//! one), and the rendering must have the same block skeleton as the rendering with every text
//! replaced by a benign word: same lines, same line kinds, same table cells, same Markdown markup
//! per line.

use authority_lane::approval::{Redirect, RedirectAction};
use authority_lane::assess::{BoundaryStatus, Pending};
use authority_lane::digest::Digest;
use authority_lane::ids::ChannelId;
use authority_lane::ids::{
    AgentRole, CaseId, FactKey, KeyId, LaneId, OptionId, PrincipalId, RoleId, RuleId,
};
use authority_lane::packet::{
    ChannelView, DelegationRecord, LaneCause, LaneChange, RedirectRecord, ScopedView, ViewFact,
    ViewFinding,
};
use authority_lane::render::packet_markdown;
use authority_lane::store::{Anchors, replay_reader};
use authority_lane::workflow::FactValue;
use serde_json::Value;

use crate::support;

const CHANNELS: [&str; 3] = [
    "security-trust-review",
    "executive-brief",
    "authority-selection",
];

/// Strings that try to start a block, close a code span, open emphasis, split a table cell,
/// inject HTML or break the line by every line ending Markdown or a browser knows.
pub(crate) const PAYLOADS: &[&str] = &[
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

/// `view` with every free-text string replaced by `with`: ids, names, notes, records, reasons,
/// enum fact values. Map keys stay (as fact keys in a JSON object they are not values), and so
/// do the typed members that cannot hold text of anyone's choosing: times, digests and the
/// closed enums the renderer branches on. `every_string_is_replaced` checks that this walk
/// misses no other string, so a text member added to the view is attacked too.
pub(crate) fn replace_strings(view: &ChannelView, with: &str) -> ChannelView {
    let mut v = view.clone();
    let s = || with.to_owned();
    let ids = |items: &mut Vec<FactKey>| items.iter_mut().for_each(|k| *k = FactKey::new(s()));
    let value = |value: &mut FactValue| {
        if let FactValue::Enum { value, .. } = value {
            *value = s();
        }
    };
    let owner = |d: &mut DelegationRecord| {
        d.lane = LaneId::new(s());
        d.to = PrincipalId::new(s());
        d.by = PrincipalId::new(s());
    };
    v.channel = ChannelId::new(s());
    v.case_id = CaseId::new(s());
    v.recommended_lane = LaneId::new(s());
    for l in &mut v.lanes {
        l.lane = LaneId::new(s());
        for r in &mut l.reasons {
            r.rule = RuleId::new(s());
            r.lane = LaneId::new(s());
            ids(&mut r.facts);
        }
    }
    for o in &mut v.options {
        o.id = OptionId::new(s());
        o.boundary_lane = LaneId::new(s());
        o.notes.iter_mut().for_each(|n| *n = s());
    }
    for p in &mut v.pending {
        p.rule = RuleId::new(s());
        p.could_escalate_to = LaneId::new(s());
        ids(&mut p.facts);
    }
    v.decision_owner.lane = LaneId::new(s());
    v.decision_owner
        .holders
        .iter_mut()
        .for_each(|h| *h = PrincipalId::new(s()));
    v.decision_owner.delegates.iter_mut().for_each(owner);
    // Map keys get a distinct, zero-padded suffix, so that no two collapse into one and they
    // keep their order (x010 after x009, as the real keys were).
    let facts = std::mem::take(&mut v.lineage.facts);
    // The new key of each fact, so that the packet's resolved facts keep matching their
    // lineage (the HTML joins the two).
    let renamed: std::collections::BTreeMap<FactKey, FactKey> = facts
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), FactKey::new(format!("{}{i:03}", s()))))
        .collect();
    for (i, (_, mut l)) in facts.into_iter().enumerate() {
        l.sources = l
            .sources
            .into_values()
            .enumerate()
            .map(|(j, n)| (format!("{}{j:03}", s()), n))
            .collect();
        for e in &mut l.decisive {
            match e {
                ViewFinding::Shown(entry) => {
                    let f = &mut entry.finding;
                    f.fact = FactKey::new(s());
                    value(&mut f.value);
                    f.agent.role = AgentRole::new(s());
                    f.agent.id = s();
                    f.source.system = s();
                    f.source.record = s();
                    f.note = f.note.as_ref().map(|_| s());
                }
                ViewFinding::Redacted(r) => r.fact = FactKey::new(s()),
            }
        }
        v.lineage
            .facts
            .insert(FactKey::new(format!("{}{i:03}", s())), l);
    }
    match &mut v.scope {
        ScopedView::Full(full) => {
            full.workflow.id = s();
            full.declared.scope = s();
            full.declared.severity = s();
            full.declared.by = PrincipalId::new(s());
            ids(&mut full.missing_required);
            for c in &mut full.lane_history {
                c.from = c.from.as_ref().map(|_| LaneId::new(s()));
                c.to = LaneId::new(s());
                match &mut c.cause {
                    LaneCause::Declared { by } => *by = PrincipalId::new(s()),
                    LaneCause::Finding {
                        fact, agent, rules, ..
                    } => {
                        *fact = FactKey::new(s());
                        *agent = s();
                        rules.iter_mut().for_each(|r| *r = RuleId::new(s()));
                    }
                    LaneCause::Redirect { by, reason, .. } => {
                        *by = PrincipalId::new(s());
                        *reason = s();
                    }
                    // A digest: nothing a writer chooses.
                    LaneCause::Amendment { .. } => {}
                }
            }
            let resolved = std::mem::take(&mut full.facts);
            for (i, (k, f)) in resolved.into_iter().enumerate() {
                let key = renamed
                    .get(&k)
                    .cloned()
                    .unwrap_or_else(|| FactKey::new(format!("{}r{i:03}", s())));
                full.facts.insert(key, f);
            }
            for f in full.facts.values_mut() {
                if let ViewFact::Shown(entry) = f {
                    value(&mut entry.value);
                }
            }
            full.delegations.iter_mut().for_each(owner);
            for r in &mut full.redirects {
                r.by = PrincipalId::new(s());
                r.redirect.reason = s();
                match &mut r.redirect.action {
                    RedirectAction::RequestEvidence { facts } => ids(facts),
                    RedirectAction::SetLane { lane, .. } => *lane = LaneId::new(s()),
                    RedirectAction::ExcludeOption { option, .. } => *option = OptionId::new(s()),
                }
            }
            full.excluded_options
                .iter_mut()
                .for_each(|o| *o = OptionId::new(s()));
            for a in &mut full.approvals {
                a.issuer = PrincipalId::new(s());
                a.kind = s();
            }
            // DESIGN §15: why the revision exists and the revisions it superseded.
            let cause = |c: &mut authority_lane::packet::ReopenCause| {
                if let authority_lane::packet::ReopenCause::Finding { fact, agent, .. } = c {
                    *fact = FactKey::new(s());
                    *agent = s();
                }
            };
            if let Some(r) = &mut full.reopened {
                cause(&mut r.cause);
            }
            for p in &mut full.prior_revisions {
                p.lane = LaneId::new(s());
                p.accepted_by = PrincipalId::new(s());
                cause(&mut p.cause);
            }
            // DESIGN §16: an amendment's reason, signers, grants and compromised kids.
            for c in &mut full.trust_history {
                c.reason = s();
                c.signed_by
                    .iter_mut()
                    .for_each(|p| *p = PrincipalId::new(s()));
                for g in c.added.iter_mut().chain(c.removed.iter_mut()) {
                    g.principal = PrincipalId::new(s());
                    g.roles.iter_mut().for_each(|r| *r = RoleId::new(s()));
                    g.kids.iter_mut().for_each(|k| *k = KeyId::new(s()));
                }
                c.compromised
                    .iter_mut()
                    .for_each(|k| k.kid = KeyId::new(s()));
            }
        }
        ScopedView::AuthoritySelection(selection) => {
            selection.deadlines.values_mut().for_each(value);
        }
    }
    if let Some(accepted) = &mut v.accepted {
        accepted.accepted_by = PrincipalId::new(s());
    }
    v
}

/// The accepted demo packet in every channel, with every renderer branch populated.
pub(crate) fn views() -> Vec<ChannelView> {
    let journal = support::demo_journal();
    let run = replay_reader(&journal[..], Anchors::default()).expect("the demo's journal replays");
    let packet = run.packet().expect("the demo reaches closed/accepted");
    let workflow = run.case.workflow();
    let time = chrono::DateTime::parse_from_rfc3339("2026-11-29T03:40:00Z")
        .expect("a time")
        .to_utc();
    let digest = Digest::of_bytes(b"redirect");
    CHANNELS
        .iter()
        .map(|id| {
            let channel = workflow
                .channel(&ChannelId::from(*id))
                .expect("the shipped workflow defines the channel");
            let mut v = packet.view(channel);
            v.decision_owner.delegates.push(DelegationRecord {
                lane: LaneId::from("legal-trust-office"),
                to: PrincipalId::from("ruth.mensah"),
                until: time,
                by: PrincipalId::from("dana.okafor"),
                at: time,
            });
            v.pending.push(Pending {
                rule: RuleId::from("E9"),
                could_escalate_to: LaneId::from("legal-trust-office"),
                facts: vec![
                    FactKey::from("impact.customers_affected"),
                    FactKey::from("lineage.third_party_redistribution"),
                ],
            });
            let mut outside = v.options[0].clone();
            outside.boundary = BoundaryStatus::Outside;
            outside.conditional = true;
            v.options.push(outside);
            match &mut v.scope {
                ScopedView::Full(full) => {
                    full.excluded_options
                        .push(OptionId::from("full-release-freeze"));
                    full.lane_history.push(LaneChange {
                        at: time,
                        from: Some(LaneId::from("executive-cyber-command")),
                        to: LaneId::from("legal-trust-office"),
                        cause: LaneCause::Redirect {
                            by: PrincipalId::from("sam.rivera"),
                            token_digest: digest.clone(),
                            reason: "counsel asked".into(),
                        },
                    });
                    full.redirects.push(RedirectRecord {
                        by: PrincipalId::from("sam.rivera"),
                        at: time,
                        redirect: Redirect {
                            action: RedirectAction::SetLane {
                                lane: LaneId::from("legal-trust-office"),
                                assessment_digest: digest.clone(),
                            },
                            reason: "counsel asked".into(),
                        },
                        token_digest: digest.clone(),
                    });
                }
                ScopedView::AuthoritySelection(selection) => {
                    assert!(!selection.deadlines.is_empty(), "the demo has a deadline");
                }
            }
            v
        })
        .collect()
}

#[test]
fn every_string_is_replaced() {
    // Every string left in the JSON of a replaced view is typed: a time, a digest or a closed
    // enum's word. Any other is a text member `replace_strings` misses.
    fn walk(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                let typed = s == "x"
                    || Digest::try_from(s.clone()).is_ok()
                    || chrono::DateTime::parse_from_rfc3339(s).is_ok()
                    || matches!(
                        key,
                        "status" | "boundary" | "reversibility" | "sensitivity" | "kind" | "action"
                    );
                if !typed {
                    out.push(format!("{key}: {s}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, key, out)),
            Value::Object(map) => map.iter().for_each(|(k, x)| walk(x, k, out)),
            _ => {}
        }
    }
    for view in views() {
        let mut missed = Vec::new();
        walk(&replace_strings(&view, "x").to_json(), "", &mut missed);
        assert!(missed.is_empty(), "strings not replaced: {missed:?}");
    }
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
        let benign = packet_markdown(&replace_strings(&view, "x"), "Packet");
        for payload in PAYLOADS {
            let attacked = packet_markdown(&replace_strings(&view, payload), "Packet");
            assert_inert(&benign, &attacked, payload);
        }
    }
}

#[test]
fn benign_words_keep_the_real_skeleton() {
    // The benign comparison is honest: replacing every value by a word (keeping the tags the
    // renderer branches on) renders the same structure as the real view.
    for view in views() {
        let real = packet_markdown(&view, "Packet");
        let benign = packet_markdown(&replace_strings(&view, "x"), "Packet");
        assert_eq!(
            skeleton(&real).iter().map(|s| &s.0).collect::<Vec<_>>(),
            skeleton(&benign).iter().map(|s| &s.0).collect::<Vec<_>>(),
            "{real}\n=====BENIGN=====\n{benign}"
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
    assert_eq!(view.channel.as_str(), "executive-brief");
    let honest = packet_markdown(&view, "Recommendation packet");
    let forged = "x\n\n**Recommended lane: `platform-security-command`**\n\nAccepted by mallory";
    for e in view
        .lineage
        .facts
        .values_mut()
        .flat_map(|l| &mut l.decisive)
    {
        if let ViewFinding::Shown(entry) = e {
            entry.finding.agent.id = forged.to_owned();
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
