//! Markdown for reviewers, rendered from a typed [`ChannelView`] (so a rendering can never show more than
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

use super::wire_name;
use crate::approval::Redirect;
use crate::assess::{BoundaryStatus, LaneAssessment, LaneStatus, OptionAssessment, Pending};
use crate::packet::{
    ApprovalRecord, ChannelView, LaneCause, LaneChange, RedirectRecord, ScopedView, ViewFinding,
    ViewLineage,
};
use crate::workflow::FactValue;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::{Display, Write as _};

/// Renders a packet or draft channel view as Markdown. Every value from the view, and the
/// title, is rendered inert (see the module docs).
pub fn packet_markdown(view: &ChannelView, title: &str) -> String {
    let mut out = String::new();
    header(&mut out, view, title);
    decision_owner(&mut out, view);
    lanes(&mut out, &view.lanes);
    options(&mut out, view);
    pending(&mut out, &view.pending);
    stability(&mut out, view);
    if let Some(full) = view.full() {
        revisions(&mut out, full);
        lane_history(&mut out, &full.lane_history);
        redirects(&mut out, &full.redirects);
        trust_history(&mut out, full);
        approvals(&mut out, &full.approvals);
    }
    lineage(&mut out, &view.lineage);
    out
}

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
            c if super::shown_as_code_point(c) => {
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

/// A value from the view as inert text.
fn text(v: impl Display) -> String {
    inert(&v.to_string())
}

/// An optional value as inert text; none is an em dash.
fn text_or_dash<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".into(), text)
}

/// A time as the JSON view writes it (RFC 3339, `Z`, as many fraction digits as needed: the
/// form chrono's serde gives), inert.
fn time(t: &DateTime<Utc>) -> String {
    inert(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// A fact value as the JSON view writes it (a string's text, a bool's or a count's JSON),
/// inert.
fn fact_value(v: &FactValue) -> String {
    text(v)
}

/// An identifier as a code span when it is plain (nothing in it needs escaping, and a code
/// span cannot escape), otherwise as inert text.
fn code(id: impl Display) -> String {
    let id = id.to_string();
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/@+".contains(c));
    if plain { format!("`{id}`") } else { inert(&id) }
}

/// Values as inert text, comma-separated; none is an em dash.
fn join<T: Display>(items: &[T]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        items.iter().map(text).collect::<Vec<_>>().join(", ")
    }
}

/// Title and the line naming case, revision, channel and digest.
fn header(out: &mut String, view: &ChannelView, title: &str) {
    let _ = writeln!(out, "# {}\n", inert(title));
    let _ = writeln!(
        out,
        "Case {} · revision {} · channel {} · packet digest {} · decision digest {}\n",
        code(&view.case_id),
        text(view.revision),
        code(&view.channel),
        code(&view.packet_digest),
        code(&view.decision_digest)
    );
}

/// The recommended lane, its holders and delegates, the acceptor and the deadlines.
fn decision_owner(out: &mut String, view: &ChannelView) {
    let owner = &view.decision_owner;
    let _ = writeln!(out, "## Decision owner\n");
    let _ = writeln!(
        out,
        "**Recommended lane: {}**\n",
        code(&view.recommended_lane)
    );
    let _ = writeln!(out, "- Holders: {}", join(&owner.holders));
    for d in &owner.delegates {
        let _ = writeln!(
            out,
            "- Delegate: {} (lent by {} until {})",
            text(&d.to),
            text(&d.by),
            time(&d.until)
        );
    }
    if let Some(accepted) = &view.accepted {
        let _ = writeln!(out, "- **Accepted by {}**", text(&accepted.accepted_by));
        if !accepted.consistency.is_empty() {
            let counts: Vec<String> = accepted
                .consistency
                .iter()
                .map(|c| text(c.proof.from.count))
                .collect();
            let _ = writeln!(
                out,
                "- Every approval saw a prefix of the accepted evidence: consistency proofs from {} findings (JSON packet, `consistency`)",
                counts.join(", ")
            );
        }
    }
    if let ScopedView::AuthoritySelection(selection) = &view.scope {
        for (k, v) in &selection.deadlines {
            let _ = writeln!(out, "- Deadline {}: {}", code(k), fact_value(v));
        }
    }
    out.push('\n');
}

/// The lane table and the blocked lower-authority paths.
fn lanes(out: &mut String, lanes: &[LaneAssessment]) {
    let _ = writeln!(out, "## Lanes\n");
    let _ = writeln!(out, "| rank | lane | status | reasons |\n|---|---|---|---|");
    for l in lanes {
        let reasons: Vec<String> = l
            .reasons
            .iter()
            .map(|r| format!("{} → {} ({})", text(&r.rule), code(&r.lane), join(&r.facts)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | **{}** | {} |",
            text(l.rank),
            code(&l.lane),
            inert(&wire_name(&l.status, None)),
            if reasons.is_empty() {
                "—".into()
            } else {
                reasons.join("; ")
            }
        );
    }
    let blocked: Vec<String> = lanes
        .iter()
        .filter(|l| l.status == LaneStatus::Blocked)
        .map(|l| code(&l.lane))
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(
            out,
            "\nBlocked lower-authority paths: {}.",
            blocked.join(", ")
        );
    }
    out.push('\n');
}

/// Options inside and outside the recommended lane's authority, and those redirects excluded.
fn options(out: &mut String, view: &ChannelView) {
    let _ = writeln!(out, "## Options\n");
    for (heading, which) in [
        (
            "Inside the recommended lane's authority",
            BoundaryStatus::Inside,
        ),
        (
            "Outside it (needs a higher authority)",
            BoundaryStatus::Outside,
        ),
    ] {
        let _ = writeln!(out, "### {heading}\n");
        let opts: Vec<&OptionAssessment> = view
            .options
            .iter()
            .filter(|o| o.boundary == which)
            .collect();
        if opts.is_empty() {
            let _ = writeln!(out, "None.\n");
            continue;
        }
        for o in opts {
            option(out, o);
        }
        out.push('\n');
    }
    let excluded = view.full().map(|f| f.excluded_options.as_slice());
    if let Some(excluded) = excluded.filter(|e| !e.is_empty()) {
        let _ = writeln!(out, "Excluded by redirect: {}.\n", join(excluded));
    }
}

/// One option and its notes.
fn option(out: &mut String, o: &OptionAssessment) {
    let conditional = if o.conditional {
        " · *conditional: depends on unknown facts*"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "- **{}** — boundary {} · **{}**{conditional}",
        code(&o.id),
        code(&o.boundary_lane),
        inert(o.reversibility.as_str())
    );
    for n in &o.notes {
        let _ = writeln!(out, "  - {}", text(n));
    }
}

/// Unknown triggers that could still raise the lane, or that there are none.
fn pending(out: &mut String, pending: &[Pending]) {
    let _ = writeln!(out, "## Pending evidence and stability\n");
    if pending.is_empty() {
        let _ = writeln!(out, "Stable: no unknown trigger could raise the lane.\n");
        return;
    }
    let _ = writeln!(
        out,
        "**Not stable**: these triggers are unknown and could raise the lane.\n"
    );
    for p in pending {
        let _ = writeln!(
            out,
            "- {} → {} (waiting on {})",
            text(&p.rule),
            code(&p.could_escalate_to),
            join(&p.facts)
        );
    }
    out.push('\n');
}

/// Every lane change and its cause.
fn lane_history(out: &mut String, history: &[LaneChange]) {
    let _ = writeln!(out, "## Lane history\n");
    for c in history {
        let why = match &c.cause {
            LaneCause::Finding {
                index,
                fact,
                agent,
                rules,
            } => format!(
                "finding #{} on {} by {} ({})",
                text(index),
                code(fact),
                text(agent),
                join(rules)
            ),
            LaneCause::Redirect { by, reason, .. } => {
                format!("redirect by {}: {}", text(by), text(reason))
            }
            LaneCause::Declared { by } => format!("declared by {}", text(by)),
            LaneCause::Amendment { amendment_digest } => format!(
                "trust amendment {} voided a set_lane redirect",
                code(amendment_digest)
            ),
        };
        let _ = writeln!(
            out,
            "- {} · {} → {} · {why}",
            time(&c.at),
            text_or_dash(c.from.as_ref()),
            code(&c.to)
        );
    }
    out.push('\n');
}

/// Human redirects, when there are any.
fn redirects(out: &mut String, redirects: &[RedirectRecord]) {
    if redirects.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Redirects\n");
    for r in redirects {
        let Redirect { action, reason } = &r.redirect;
        let _ = writeln!(
            out,
            "- {} · {} · {} — {}",
            time(&r.at),
            text(&r.by),
            code(wire_name(action, Some("action"))),
            text(reason)
        );
    }
    out.push('\n');
}

/// How stable the recommendation was (DESIGN §15), for every channel.
fn stability(out: &mut String, view: &ChannelView) {
    let s = &view.stability;
    let _ = writeln!(out, "## Stability\n");
    for (what, n) in [
        ("Revisions (decisions put to the owner)", s.revisions),
        ("Lane changes", s.lane_changes),
        (
            "Decision changes while under review",
            s.decision_changes_while_in_review,
        ),
        (
            "Sign-offs carried over findings that changed nothing",
            s.carried_signoffs,
        ),
        (
            "Sign-offs voided by a change of decision",
            s.voided_signoffs,
        ),
    ] {
        let _ = writeln!(out, "- {what}: {}", text(n));
    }
    out.push('\n');
}

/// Why this revision exists and the accepted revisions it superseded (DESIGN §15).
fn revisions(out: &mut String, full: &crate::packet::FullView) {
    if full.reopened.is_none() && full.prior_revisions.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Prior revisions
"
    );
    if let Some(r) = &full.reopened {
        let by = match &r.cause {
            crate::packet::ReopenCause::Finding { index, fact, agent } => format!(
                "finding #{} on {} from {}",
                text(index),
                code(fact),
                text(agent)
            ),
            crate::packet::ReopenCause::Amendment { amendment_digest } => {
                format!("trust amendment {}", code(amendment_digest))
            }
        };
        let _ = writeln!(
            out,
            "Reopened from accepted revision {} (packet {}) by {by}.\n",
            text(r.from_revision),
            code(&r.packet_digest),
        );
    }
    let _ = writeln!(
        out,
        "| revision | lane | accepted by | accepted at | superseded at | packet digest |\n|---|---|---|---|---|---|"
    );
    for p in &full.prior_revisions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            text(p.revision),
            code(&p.lane),
            text(&p.accepted_by),
            time(&p.accepted_at),
            time(&p.superseded_at),
            code(&p.packet_digest)
        );
    }
    out.push('\n');
}

/// The approval table.
fn approvals(out: &mut String, approvals: &[ApprovalRecord]) {
    let _ = writeln!(out, "## Approvals\n");
    let _ = writeln!(
        out,
        "| at | issuer | kind | revision | token digest |\n|---|---|---|---|---|"
    );
    for a in approvals {
        let mut kind = match (a.voided, &a.voided_by) {
            (true, Some(by)) => format!(
                "{} (voided: key declared compromised by amendment {})",
                text(&a.kind),
                code(by)
            ),
            (true, None) => format!("{} (voided)", text(&a.kind)),
            (false, _) => text(&a.kind),
        };
        // Under carry_over "decision_unchanged": the draft the token named and what it saw.
        if let Some(signed) = &a.signed {
            let _ = write!(
                kind,
                " — signed draft {} at {} findings",
                code(&signed.draft_digest),
                text(signed.lineage.count)
            );
        }
        let _ = writeln!(
            out,
            "| {} | {} | {kind} | {} | {} |",
            time(&a.at),
            text(&a.issuer),
            text_or_dash(a.revision),
            code(&a.token_digest)
        );
    }
    out.push('\n');
}

/// The trust amendments that took effect (DESIGN §16): who signed each, what it added and
/// removed, the keys it declared compromised, and the trust in force now.
fn trust_history(out: &mut String, full: &crate::packet::FullView) {
    if full.trust_history.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Trust amendments
"
    );
    if let Some(now) = &full.trust_in_force {
        let _ = writeln!(
            out,
            "Trust in force: {} (pinned in record 0: {}).\n",
            code(now),
            code(&full.trust_digest)
        );
    }
    for c in &full.trust_history {
        let [added, removed, compromised] =
            super::amendment_words(c, |v| text(v), |v| code(v), time);
        let _ = writeln!(
            out,
            "- {} · amendment {} signed by {} · {}\n  - added: {added}\n  - removed: {removed}\n  - compromised: {compromised}",
            time(&c.at),
            code(&c.amendment_digest),
            join(&c.signed_by),
            text(&c.reason),
        );
    }
    out.push('\n');
}

/// The evidence lineage as the channel may see it: the count and Merkle root, then per fact its
/// counts by source and its decisive findings (bounded, whatever the number of findings).
fn lineage(out: &mut String, lineage: &ViewLineage) {
    let _ = writeln!(out, "## Evidence lineage\n");
    let _ = writeln!(
        out,
        "{} findings; Merkle root {} (every finding's inclusion proof: `authority-lane lineage --proof INDEX`).\n",
        lineage.count,
        code(&lineage.root)
    );
    for (fact, l) in &lineage.facts {
        let mut sources: Vec<String> = l
            .sources
            .iter()
            .map(|(system, n)| format!("{} ({n})", text(system)))
            .collect();
        if l.other_sources > 0 {
            sources.push(format!("other systems ({})", l.other_sources));
        }
        let sources = if sources.is_empty() {
            "*withheld*".to_owned()
        } else {
            sources.join(", ")
        };
        let _ = writeln!(
            out,
            "### {}\n\n{} findings; sources: {sources}. Decisive findings:\n",
            code(fact),
            l.findings
        );
        let _ = writeln!(
            out,
            "| # | at | value | agent | source | sensitivity |\n|---|---|---|---|---|---|"
        );
        for e in &l.decisive {
            let _ = match e {
                ViewFinding::Redacted(r) => writeln!(
                    out,
                    "| {} | — | *redacted* | — | digest {} | {} |",
                    r.index,
                    code(&r.digest),
                    inert(r.sensitivity.as_str())
                ),
                ViewFinding::Shown(entry) => {
                    let f = &entry.finding;
                    writeln!(
                        out,
                        "| {} | {} | {} | {} ({}) | {} {} | {} |",
                        entry.index,
                        time(&f.at),
                        fact_value(&f.value),
                        text(&f.agent.id),
                        text(&f.agent.role),
                        text(&f.source.system),
                        code(&f.source.record),
                        inert(f.sensitivity.as_str())
                    )
                }
            };
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::{code, inert, text, text_or_dash, wire_name};

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
        assert_eq!(code("legal-trust-office"), "`legal-trust-office`");
        assert_eq!(code("sha256:ab12"), "`sha256:ab12`");
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
        assert_eq!(code("a`b"), "a\\`b");
        assert_eq!(code("a b"), "a b");
        assert_eq!(code("a|b"), "a\\|b");
        assert_eq!(code(""), "");
    }

    #[test]
    fn non_strings_render_as_their_json_text() {
        assert_eq!(text_or_dash(None::<u64>), "—");
        assert_eq!(text_or_dash(Some(3)), "3");
        assert_eq!(text(true), "true");
    }

    #[test]
    fn enum_words_are_the_json_words() {
        use crate::approval::RedirectAction;
        use crate::assess::LaneStatus;
        assert_eq!(wire_name(&LaneStatus::Blocked, None), "blocked");
        let action = RedirectAction::RequestEvidence { facts: vec![] };
        assert_eq!(wire_name(&action, Some("action")), "request_evidence");
    }
}
