//! HTML for reviewers (DESIGN §17): one self-contained page per channel, rendered from the same
//! typed [`ChannelView`] as the JSON and the Markdown, so a page can never show more than its
//! channel carries. No script, no remote resource, a strict Content-Security-Policy (see
//! `page`); every value from the view goes through `esc`.
//!
//! Elements carry `data-*` attributes naming what they show (`data-state`, `data-lane`,
//! `data-option`, `data-boundary`, `data-reversibility`, `data-fact`, `data-approval`), so that
//! tests and tools read a page without scraping its words.

use super::page::{document, esc};
use super::svg;
use super::wire_name;
use crate::assess::{BoundaryStatus, LaneAssessment, LaneStatus, OptionAssessment};
use crate::case::Leaf;
use crate::case::Status;
use crate::digest::Digest;
use crate::packet::{
    ApprovalRecord, ChannelView, FullView, LaneCause, ScopedView, ViewFact, ViewFinding,
};
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write as _;

/// A packet or draft channel view as a self-contained HTML page; `state` is the case's state
/// when the view was taken (lit in the statechart).
pub fn packet_html(view: &ChannelView, title: &str, state: Leaf) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<header id="packet" data-channel="{}" data-case="{}" data-state="{}" data-lane="{}" data-revision="{}"><h1>{}</h1><p class="meta">Case <code>{}</code> · revision {} · channel <code>{}</code> · state <strong>{}</strong></p></header><main>"#,
        esc(view.channel.as_str()),
        esc(view.case_id.as_str()),
        state.as_str(),
        esc(view.recommended_lane.as_str()),
        view.revision,
        esc(title),
        esc(view.case_id.as_str()),
        view.revision,
        esc(view.channel.as_str()),
        state.path()
    );
    decision(&mut b, view);
    let _ = write!(
        b,
        r#"<section id="statechart"><h2>Where the case is</h2><figure>{}<figcaption>The statechart drawn from the crate's one table of transitions; the lit box is the case's state, ↻ marks inputs a state takes without leaving it.</figcaption></figure></section>"#,
        svg::statechart(Some(state))
    );
    ladder(&mut b, &view.lanes);
    options(&mut b, view);
    pending_and_stability(&mut b, view);
    if let Some(full) = view.full() {
        timeline(&mut b, view, full);
    }
    evidence(&mut b, view);
    if let Some(full) = view.full() {
        redirects(&mut b, full);
        trust_history(&mut b, full);
        signoffs(&mut b, view, &full.approvals);
    }
    anchor(&mut b, view);
    b.push_str("</main>");
    document("packet", title, &b)
}

/// `status` as a page: the statechart with the state lit, the lane, the owner, what is still
/// missing, and the journal head.
pub fn status_html(status: &Status, seq: u64, head: &Digest) -> String {
    let title = format!("Case status: {}", status.case_id);
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<header id="status" data-case="{}" data-state="{}" data-lane="{}" data-revision="{}"><h1>{}</h1><p class="meta">State <strong>{}</strong> · revision {} · journal record {seq}</p></header><main>"#,
        esc(status.case_id.as_str()),
        status.state.as_str(),
        esc(status.recommended_lane.as_str()),
        status.revision,
        esc(&title),
        esc(&status.path),
        status.revision,
    );
    let _ = write!(
        b,
        r#"<section id="decision"><h2>Decision owner</h2><p class="lede">Recommended lane: <strong data-lane="{}">{}</strong> · {}</p><dl class="facts"><dt>Holders</dt><dd>{}</dd><dt>Sign-offs counted</dt><dd>{}</dd><dt>Findings</dt><dd>{}</dd><dt>Required facts missing</dt><dd>{}</dd><dt>Evidence requested</dt><dd>{}</dd></dl></section>"#,
        esc(status.recommended_lane.as_str()),
        esc(status.recommended_lane.as_str()),
        if status.stable {
            "stable: no unknown trigger could raise the lane"
        } else {
            "<strong>not stable</strong>: unknown triggers could raise the lane"
        },
        list(status.decision_owner.holders.iter().map(|h| h.as_str())),
        status.signoffs,
        status.findings,
        list(status.missing_required.iter().map(|f| f.as_str())),
        list(status.requested_evidence.iter().map(|f| f.as_str())),
    );
    if let Some(a) = &status.awaiting {
        let _ = write!(
            b,
            r#"<section id="awaiting"><h2>Waiting for</h2><dl class="facts"><dt>Sign-offs to quorum</dt><dd data-measure="signoffs_to_quorum">{} (quorum {})</dd><dt>Review roles still to sign</dt><dd>{}</dd><dt>Each review attests</dt><dd>{}</dd><dt>May accept</dt><dd>{}</dd></dl></section>"#,
            a.signoffs_to_quorum,
            a.quorum,
            list(a.roles_to_sign.iter().map(|r| r.as_str())),
            list(a.attestations.iter().map(|r| r.as_str())),
            list(a.may_accept.iter().map(|p| p.as_str())),
        );
    }
    let _ = write!(
        b,
        r#"<section id="statechart"><h2>Where the case is</h2><figure>{}<figcaption>The lit box is the case's state.</figcaption></figure></section>"#,
        svg::statechart(Some(status.state))
    );
    let _ = write!(
        b,
        r#"<section id="journal"><h2>Journal anchor</h2><dl class="facts"><dt>Last record</dt><dd>{seq}</dd><dt>Head</dt><dd><code>{}</code></dd><dt>Draft digest (what reviewers sign)</dt><dd><code>{}</code></dd><dt>Decision digest</dt><dd><code>{}</code></dd><dt>Assessment digest (what redirects name)</dt><dd><code>{}</code></dd></dl></section></main>"#,
        esc(head.as_str()),
        esc(&dash(status.draft_digest.as_ref().map(Digest::as_str))),
        esc(&dash(status.decision_digest.as_ref().map(Digest::as_str))),
        esc(status.assessment_digest.as_str()),
    );
    document("status", &title, &b)
}

/// Values as escaped text, comma-separated; none is an em dash.
fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.map(esc).collect();
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

fn dash(v: Option<&str>) -> String {
    v.unwrap_or("—").to_owned()
}

/// A time as the JSON writes it, kept on one line.
fn time(t: &DateTime<Utc>) -> String {
    format!(
        "<time>{}</time>",
        esc(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    )
}

/// The decision first: lane, owner, delegates, acceptance, deadlines.
fn decision(b: &mut String, view: &ChannelView) {
    let owner = &view.decision_owner;
    let _ = write!(
        b,
        r#"<section id="decision"><h2>Decision owner</h2><p class="lede">Recommended lane: <strong data-lane="{}">{}</strong></p><dl class="facts"><dt>Holders</dt><dd>{}</dd>"#,
        esc(view.recommended_lane.as_str()),
        esc(view.recommended_lane.as_str()),
        list(owner.holders.iter().map(|h| h.as_str()))
    );
    for d in &owner.delegates {
        let _ = write!(
            b,
            "<dt>Delegate</dt><dd>{} (lent by {} until {})</dd>",
            esc(d.to.as_str()),
            esc(d.by.as_str()),
            time(&d.until)
        );
    }
    if let Some(accepted) = &view.accepted {
        let _ = write!(
            b,
            r#"<dt>Accepted by</dt><dd><strong data-accepted-by="{0}">{0}</strong></dd>"#,
            esc(accepted.accepted_by.as_str())
        );
    }
    if let Some(full) = view.full() {
        let d = &full.declared;
        let _ = write!(
            b,
            "<dt>Declared</dt><dd>{} · {} · by {} at {}</dd><dt>Workflow</dt><dd><code>{}</code> <code>{}</code></dd><dt>Trust file</dt><dd><code>{}</code></dd>",
            esc(&d.severity),
            esc(&d.scope),
            esc(d.by.as_str()),
            time(&d.at),
            esc(&full.workflow.id),
            esc(full.workflow_digest.as_str()),
            esc(full.trust_digest.as_str())
        );
        if !full.missing_required.is_empty() {
            let _ = write!(
                b,
                "<dt>Required facts missing</dt><dd>{}</dd>",
                list(full.missing_required.iter().map(|f| f.as_str()))
            );
        }
    }
    if let ScopedView::AuthoritySelection(selection) = &view.scope {
        for (k, v) in &selection.deadlines {
            let _ = write!(
                b,
                "<dt>Deadline <code>{}</code></dt><dd>{}</dd>",
                esc(k.as_str()),
                esc(&v.to_string())
            );
        }
    }
    b.push_str("</dl></section>");
}

/// The lane ladder, highest authority first, with each lane's status and its reasons, then the
/// blocked lower-authority paths.
fn ladder(b: &mut String, lanes: &[LaneAssessment]) {
    let mut sorted: Vec<&LaneAssessment> = lanes.iter().collect();
    sorted.sort_by_key(|l| std::cmp::Reverse(l.rank));
    b.push_str(r#"<section id="lanes"><h2>Lane ladder</h2><p class="note">Highest authority first. A blocked lane may not own the decision: the reasons say which rule and which facts block it.</p><ol class="ladder">"#);
    for l in sorted {
        let status = wire_name(&l.status, None);
        let _ = write!(
            b,
            r#"<li class="is-{status}" data-lane="{}" data-status="{status}"><strong>{}</strong> <span class="badge {status}">{}</span> <span class="meta">rank {}</span>"#,
            esc(l.lane.as_str()),
            esc(l.lane.as_str()),
            match l.status {
                LaneStatus::Recommended => "✔ recommended",
                LaneStatus::Blocked => "✖ blocked",
                LaneStatus::Viable => "○ viable",
            },
            l.rank
        );
        if !l.reasons.is_empty() {
            b.push_str("<ul>");
            for r in &l.reasons {
                let _ = write!(
                    b,
                    "<li>rule <code>{}</code> → <code>{}</code> on {}</li>",
                    esc(r.rule.as_str()),
                    esc(r.lane.as_str()),
                    list(r.facts.iter().map(|f| f.as_str()))
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</li>");
    }
    b.push_str("</ol></section>");
}

/// Options inside and outside the boundary, reversibility as a word, a symbol and a border.
fn options(b: &mut String, view: &ChannelView) {
    b.push_str(r#"<section id="options"><h2>Options</h2><div class="columns">"#);
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
        let _ = write!(
            b,
            r#"<div data-boundary-group="{}"><h3>{heading}</h3>"#,
            wire_name(&which, None)
        );
        let opts: Vec<&OptionAssessment> = view
            .options
            .iter()
            .filter(|o| o.boundary == which)
            .collect();
        if opts.is_empty() {
            b.push_str("<p>None.</p></div>");
            continue;
        }
        b.push_str(r#"<ul class="options">"#);
        for o in opts {
            option(b, o);
        }
        b.push_str("</ul></div>");
    }
    b.push_str("</div>");
    if let Some(excluded) = view.full().map(|f| &f.excluded_options)
        && !excluded.is_empty()
    {
        let _ = write!(
            b,
            "<p>Excluded by redirect: {}.</p>",
            list(excluded.iter().map(|o| o.as_str()))
        );
    }
    b.push_str("</section>");
}

fn option(b: &mut String, o: &OptionAssessment) {
    let rev = o.reversibility.as_str();
    let (symbol, words) = match o.reversibility {
        crate::workflow::Reversibility::Reversible => ("↺", "reversible: can be undone"),
        crate::workflow::Reversibility::PartiallyReversible => {
            ("◐", "partially reversible: part cannot be undone")
        }
        crate::workflow::Reversibility::Irreversible => ("⚠", "irreversible: cannot be undone"),
    };
    let _ = write!(
        b,
        r#"<li class="{rev}" data-option="{}" data-boundary="{}" data-reversibility="{rev}"><strong><code>{}</code></strong><br><span class="badge {rev}">{symbol} {words}</span> <span class="meta">needs <code>{}</code></span>{}"#,
        esc(o.id.as_str()),
        wire_name(&o.boundary, None),
        esc(o.id.as_str()),
        esc(o.boundary_lane.as_str()),
        if o.conditional {
            r#"<br><em>conditional: depends on unknown facts</em>"#
        } else {
            ""
        }
    );
    if !o.notes.is_empty() {
        b.push_str("<ul>");
        for n in &o.notes {
            let _ = write!(b, "<li>{}</li>", esc(n));
        }
        b.push_str("</ul>");
    }
    b.push_str("</li>");
}

/// Pending triggers and the stability record.
fn pending_and_stability(b: &mut String, view: &ChannelView) {
    b.push_str(r#"<section id="stability"><h2>Pending evidence and stability</h2>"#);
    if view.pending.is_empty() {
        b.push_str("<p>Stable: no unknown trigger could raise the lane.</p>");
    } else {
        b.push_str(
            "<p><strong>Not stable</strong>: these triggers are unknown and could raise the lane.</p><ul>",
        );
        for p in &view.pending {
            let _ = write!(
                b,
                "<li><code>{}</code> → <code>{}</code> (waiting on {})</li>",
                esc(p.rule.as_str()),
                esc(p.could_escalate_to.as_str()),
                list(p.facts.iter().map(|f| f.as_str()))
            );
        }
        b.push_str("</ul>");
    }
    let s = &view.stability;
    let _ = write!(
        b,
        r#"<dl class="facts"><dt>Revisions (decisions put to the owner)</dt><dd data-measure="revisions">{}</dd><dt>Lane changes</dt><dd data-measure="lane_changes">{}</dd><dt>Decision changes while under review</dt><dd>{}</dd><dt>Sign-offs carried over findings that changed nothing</dt><dd data-measure="carried_signoffs">{}</dd><dt>Sign-offs voided by a change of decision</dt><dd data-measure="voided_signoffs">{}</dd></dl></section>"#,
        s.revisions,
        s.lane_changes,
        s.decision_changes_while_in_review,
        s.carried_signoffs,
        s.voided_signoffs
    );
}

/// The lane timeline across revisions: a chart and the same in words.
fn timeline(b: &mut String, view: &ChannelView, full: &FullView) {
    b.push_str(r#"<section id="timeline"><h2>Lane timeline</h2><figure>"#);
    b.push_str(&svg::lane_timeline(view, full));
    b.push_str("<figcaption>The recommended lane over time (higher is more authority); ● acceptance, ◆ reopening. The list below says the same in words.</figcaption></figure><ol>");
    for c in &full.lane_history {
        let why = match &c.cause {
            LaneCause::Finding {
                index,
                fact,
                agent,
                rules,
            } => format!(
                "finding #{index} on <code>{}</code> by {} ({})",
                esc(fact.as_str()),
                esc(agent.as_str()),
                list(rules.iter().map(|r| r.as_str()))
            ),
            LaneCause::Redirect { by, reason, .. } => {
                format!("redirect by {}: {}", esc(by.as_str()), esc(reason))
            }
            LaneCause::Declared { by } => format!("declared by {}", esc(by.as_str())),
            LaneCause::Amendment { amendment_digest } => format!(
                "trust amendment <code>{}</code> voided a set_lane redirect",
                esc(amendment_digest.as_str())
            ),
        };
        let _ = write!(
            b,
            r#"<li data-lane-change="{}">{} · {} → <strong>{}</strong> · {why}</li>"#,
            esc(c.to.as_str()),
            time(&c.at),
            esc(&dash(c.from.as_ref().map(|l| l.as_str()))),
            esc(c.to.as_str())
        );
    }
    b.push_str("</ol>");
    if !full.prior_revisions.is_empty() || full.reopened.is_some() {
        b.push_str(r#"<h3>Prior revisions</h3><table><thead><tr><th scope="col">Revision</th><th scope="col">Lane</th><th scope="col">Accepted by</th><th scope="col">Accepted at</th><th scope="col">Superseded at</th><th scope="col">Packet digest</th></tr></thead><tbody>"#);
        for p in &full.prior_revisions {
            let _ = write!(
                b,
                r#"<tr data-revision="{}"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>"#,
                p.revision,
                p.revision,
                esc(p.lane.as_str()),
                esc(p.accepted_by.as_str()),
                time(&p.accepted_at),
                time(&p.superseded_at),
                esc(p.packet_digest.as_str())
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</section>");
}

/// Per fact: its resolved value (full channels), the counts by source and the decisive
/// findings, shown or redacted as the view has them.
fn evidence(b: &mut String, view: &ChannelView) {
    let l = &view.lineage;
    let _ = write!(
        b,
        r#"<section id="evidence"><h2>Decisive evidence</h2><p>{} findings; Merkle root <code>{}</code> (each finding's inclusion proof: <code>authority-lane lineage --proof INDEX</code>).</p>"#,
        l.count,
        esc(l.root.as_str())
    );
    for (fact, fl) in &l.facts {
        let _ = write!(
            b,
            r#"<div data-fact="{}"><h3><code>{}</code></h3>"#,
            esc(fact.as_str()),
            esc(fact.as_str())
        );
        if let Some(full) = view.full() {
            match full.facts.get(fact) {
                Some(ViewFact::Shown(e)) => {
                    let _ = write!(
                        b,
                        "<p>Resolved value: <strong>{}</strong>{}</p>",
                        esc(&e.value.to_string()),
                        if e.disputed {
                            " · <em>disputed: findings disagree</em>"
                        } else {
                            ""
                        }
                    );
                }
                Some(ViewFact::Redacted(_)) => {
                    b.push_str(
                        r#"<p class="redacted">Resolved value withheld from this channel.</p>"#,
                    );
                }
                None => {}
            }
        }
        let mut sources: Vec<String> = fl
            .sources
            .iter()
            .map(|(system, n)| format!("{} ({n})", esc(system)))
            .collect();
        if fl.other_sources > 0 {
            sources.push(format!("other systems ({})", fl.other_sources));
        }
        let _ = write!(
            b,
            r#"<p>{} findings; sources: {}.</p><table><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Value</th><th scope="col">Agent</th><th scope="col">Source</th><th scope="col">Note</th><th scope="col">Sensitivity</th></tr></thead><tbody>"#,
            fl.findings,
            if sources.is_empty() {
                r#"<span class="redacted">withheld</span>"#.to_owned()
            } else {
                sources.join(", ")
            }
        );
        for e in &fl.decisive {
            finding_row(b, e);
        }
        b.push_str("</tbody></table></div>");
    }
    b.push_str("</section>");
}

fn finding_row(b: &mut String, e: &ViewFinding) {
    let _ = match e {
        ViewFinding::Redacted(r) => write!(
            b,
            r#"<tr data-finding="{}" data-redacted="true"><td>{}</td><td>—</td><td class="redacted">redacted</td><td>—</td><td>digest <code>{}</code></td><td>—</td><td>{}</td></tr>"#,
            r.index,
            r.index,
            esc(r.digest.as_str()),
            esc(r.sensitivity.as_str())
        ),
        ViewFinding::Shown(entry) => {
            let f = &entry.finding;
            write!(
                b,
                r#"<tr data-finding="{}"><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{} <code>{}</code></td><td>{}</td><td>{}</td></tr>"#,
                entry.index,
                entry.index,
                time(&f.at),
                esc(&f.value.to_string()),
                esc(f.agent.id.as_str()),
                esc(f.agent.role.as_str()),
                esc(&f.source.system),
                esc(&f.source.record),
                esc(f.note.as_deref().unwrap_or("—")),
                esc(f.sensitivity.as_str())
            )
        }
    };
}

/// Human redirects: who changed course, how and why.
fn redirects(b: &mut String, full: &FullView) {
    if full.redirects.is_empty() {
        return;
    }
    b.push_str(r#"<section id="redirects"><h2>Redirects</h2><table><thead><tr><th scope="col">At</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Reason</th></tr></thead><tbody>"#);
    for r in &full.redirects {
        let action = wire_name(&r.redirect.action, Some("action"));
        let what = match &r.redirect.action {
            crate::approval::RedirectAction::RequestEvidence { facts } => {
                list(facts.iter().map(|f| f.as_str()))
            }
            crate::approval::RedirectAction::SetLane { lane, .. } => {
                format!("<code>{}</code>", esc(lane.as_str()))
            }
            crate::approval::RedirectAction::ExcludeOption { option, .. } => {
                format!("<code>{}</code>", esc(option.as_str()))
            }
        };
        let _ = write!(
            b,
            r#"<tr data-redirect="{0}"><td>{1}</td><td>{2}</td><td>{0}: {what}</td><td>{3}</td></tr>"#,
            esc(&action),
            time(&r.at),
            esc(r.by.as_str()),
            esc(&r.redirect.reason)
        );
    }
    b.push_str("</tbody></table></section>");
}

/// The trust amendments that took effect (DESIGN §16): when, who signed, what each added,
/// removed and declared compromised, and the trust in force.
fn trust_history(b: &mut String, full: &FullView) {
    if full.trust_history.is_empty() {
        return;
    }
    let _ = write!(
        b,
        r#"<section id="trust"><h2>Trust amendments</h2><p>Trust in force <code>{}</code>; pinned in record 0 <code>{}</code>.</p><table><thead><tr><th scope="col">At</th><th scope="col">Signed by</th><th scope="col">Added</th><th scope="col">Removed</th><th scope="col">Compromised</th><th scope="col">Reason</th></tr></thead><tbody>"#,
        esc(full.trust_in_force.as_ref().map_or("", |d| d.as_str())),
        esc(full.trust_digest.as_str())
    );
    for c in &full.trust_history {
        let [added, removed, compromised] =
            super::amendment_words(c, esc, |kid| format!("<code>{}</code>", esc(kid)), time);
        let _ = write!(
            b,
            r#"<tr data-amendment="{}"><td>{}</td><td>{}</td><td>{added}</td><td>{removed}</td><td>{compromised}</td><td>{}</td></tr>"#,
            esc(c.amendment_digest.as_str()),
            time(&c.at),
            list(c.signed_by.iter().map(|p| p.as_str())),
            esc(&c.reason)
        );
    }
    b.push_str("</tbody></table></section>");
}

/// Sign-offs and every other approval: carried (signed an earlier draft of the same decision)
/// or voided (a change of decision), the draft each signed.
fn signoffs(b: &mut String, view: &ChannelView, approvals: &[ApprovalRecord]) {
    b.push_str(r#"<section id="signoffs"><h2>Sign-offs and approvals</h2><table><thead><tr><th scope="col">At</th><th scope="col">Who</th><th scope="col">Kind</th><th scope="col">Revision</th><th scope="col">Counts?</th><th scope="col">Draft signed</th><th scope="col">Token digest</th></tr></thead><tbody>"#);
    for a in approvals {
        let carried = !a.voided
            && a.signed.as_ref().is_some_and(|s| {
                s.revision == view.revision && s.draft_digest != view.packet_digest
            });
        let (status, words) = if a.voided_by.is_some() {
            ("voided", "✖ voided: its key was declared compromised")
        } else if a.voided {
            ("voided", "✖ voided by a change of decision")
        } else if carried {
            ("carried", "↷ carried: later findings changed nothing")
        } else if a.revision.is_some_and(|r| r < view.revision) {
            ("superseded", "earlier revision")
        } else {
            ("counts", "✔ counts")
        };
        let signed = a.signed.as_ref().map_or_else(
            || "—".to_owned(),
            |s| {
                format!(
                    "<code>{}</code> at {} findings",
                    esc(s.draft_digest.as_str()),
                    s.lineage.count
                )
            },
        );
        let _ = write!(
            b,
            r#"<tr data-approval="{}" data-status="{status}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="{status}">{words}</td><td>{signed}</td><td><code>{}</code></td></tr>"#,
            esc(&a.kind),
            time(&a.at),
            esc(a.issuer.as_str()),
            esc(&a.kind),
            a.revision.map_or_else(|| "—".to_owned(), |r| r.to_string()),
            esc(a.token_digest.as_str())
        );
    }
    b.push_str("</tbody></table></section>");
}

/// Where the packet sits: its digests and, for an accepted packet, the journal record.
fn anchor(b: &mut String, view: &ChannelView) {
    let _ = write!(
        b,
        r#"<section id="journal"><h2>Journal anchor</h2><dl class="facts"><dt>Packet digest (what reviewers signed)</dt><dd><code>{}</code></dd><dt>Decision digest</dt><dd><code>{}</code></dd>"#,
        esc(view.packet_digest.as_str()),
        esc(view.decision_digest.as_str())
    );
    if let Some(a) = &view.accepted {
        let _ = write!(
            b,
            "<dt>Acceptance record</dt><dd>seq {} · head <code>{}</code></dd><dt>Consistency proofs</dt><dd>{} (JSON packet, <code>consistency</code>)</dd>",
            a.journal.seq,
            esc(a.journal.head.as_str()),
            a.consistency.len()
        );
    }
    b.push_str("</dl><p class=\"note\">Keep the acceptance record: <code>--expect-head SEQ:HEAD</code> detects a rolled-back journal.</p></section>");
}
