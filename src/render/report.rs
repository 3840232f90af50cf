//! The cross-case report as one self-contained HTML page (DESIGN §17): a timeline per case,
//! the distributions across cases as inline SVG, and every figure also in a table (the charts
//! say nothing the tables do not).

use super::page::{document, esc};
use super::svg::{human_ms, scale};
use crate::report::{CaseReport, Distribution, Report};
use std::fmt::Write as _;

/// A measure's JSON key, its label, its distribution and how to read it off one case.
type Row<'a, T> = (
    &'static str,
    &'static str,
    &'a Distribution,
    fn(&CaseReport) -> T,
);

/// `report --format html`.
pub fn report_html(report: &Report) -> String {
    let title = format!("Incident report: {} cases", report.across.cases);
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<header id="report" data-cases="{}"><h1>{}</h1><p class="meta">The seed's evaluation measures, from the journals alone: time from declaration to first draft, quorum and acceptance; revisions; lane changes and their causes; redirects; carried and voided sign-offs. Medians and p90 are nearest-rank.</p></header><main>"#,
        report.across.cases,
        esc(&title)
    );
    summary(&mut b, report);
    durations(&mut b, report);
    counts(&mut b, report);
    timelines(&mut b, &report.cases);
    table(&mut b, &report.cases);
    b.push_str("</main>");
    document("report", &title, &b)
}

fn tally(map: &std::collections::BTreeMap<impl AsRef<str>, u64>) -> String {
    if map.is_empty() {
        return "—".into();
    }
    map.iter()
        .map(|(k, v)| format!("{} ({v})", esc(k.as_ref())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary(b: &mut String, report: &Report) {
    let a = &report.across;
    let lanes: std::collections::BTreeMap<&str, u64> =
        a.by_lane.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let _ = write!(
        b,
        r#"<section id="summary"><h2>Across the cases</h2><dl class="facts"><dt>Cases</dt><dd data-measure="cases">{}</dd><dt>Final states</dt><dd>{}</dd><dt>Final lanes</dt><dd>{}</dd><dt>Lane changes by cause</dt><dd>{}</dd></dl></section>"#,
        a.cases,
        tally(&a.by_state),
        tally(&lanes),
        tally(&a.lane_change_causes)
    );
}

/// The three durations: a strip of every case's value with the median and p90 marked, and
/// the figures in a table.
fn durations(b: &mut String, report: &Report) {
    let a = &report.across;
    let rows: [Row<'_, Option<u64>>; 3] = [
        (
            "to_first_draft_ms",
            "Declaration → first draft",
            &a.to_first_draft_ms,
            |c| c.to_first_draft_ms,
        ),
        (
            "to_quorum_ms",
            "Declaration → review quorum",
            &a.to_quorum_ms,
            |c| c.to_quorum_ms,
        ),
        (
            "to_acceptance_ms",
            "Declaration → acceptance",
            &a.to_acceptance_ms,
            |c| c.to_acceptance_ms,
        ),
    ];
    let max = rows
        .iter()
        .filter_map(|r| r.2.max)
        .max()
        .unwrap_or(0)
        .max(1);
    let (left, width, row) = (200.0, 600.0, 46.0);
    let height = row * 3.0 + 30.0;
    let _ = write!(
        b,
        r#"<section id="durations"><h2>How long it took</h2><figure><svg class="timeline" viewBox="0 0 {:.0} {height:.0}" role="img" aria-labelledby="durations-title" xmlns="http://www.w3.org/2000/svg"><title id="durations-title">Durations across cases: one dot per case, median solid, p90 dashed</title>"#,
        left + width + 40.0
    );
    for (i, (key, label, d, value)) in rows.iter().enumerate() {
        let y = 24.0 + row * i as f64;
        let _ = write!(
            b,
            r#"<g data-distribution="{key}"><text x="{:.0}" y="{:.0}" text-anchor="end">{label}</text><line class="grid" x1="{left}" x2="{:.0}" y1="{y:.0}" y2="{y:.0}"/>"#,
            left - 10.0,
            y + 4.0,
            left + width
        );
        for c in &report.cases {
            if let Some(v) = value(c) {
                let _ = write!(
                    b,
                    r#"<circle class="dot" cx="{:.1}" cy="{y:.0}" r="4"><title>{}: {}</title></circle>"#,
                    left + scale(v as f64, 0.0, max as f64, width),
                    esc(c.case_id.as_str()),
                    human_ms(v)
                );
            }
        }
        for (class, v) in [("median", d.median), ("p90", d.p90)] {
            if let Some(v) = v {
                let x = left + scale(v as f64, 0.0, max as f64, width);
                let _ = write!(
                    b,
                    r#"<line class="{class}" x1="{x:.1}" x2="{x:.1}" y1="{:.0}" y2="{:.0}"><title>{class} {}</title></line>"#,
                    y - 13.0,
                    y + 13.0,
                    human_ms(v)
                );
            }
        }
        b.push_str("</g>");
    }
    let (right, axis, label) = (left + width, height - 16.0, height - 2.0);
    let _ = write!(
        b,
        r#"<line class="axis" x1="{left}" x2="{right:.0}" y1="{axis:.0}" y2="{axis:.0}"/><text x="{left}" y="{label:.0}">0</text><text x="{right:.0}" y="{label:.0}" text-anchor="end">{}</text></svg><figcaption>One dot per case; solid line median, dashed line p90.</figcaption></figure>"#,
        human_ms(max)
    );
    let human = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), human_ms);
    let rows: Vec<_> = rows.iter().map(|(k, l, d, _)| (*k, *l, *d)).collect();
    figures(b, &rows, ("Cases", |d| d.n), human);
    b.push_str("</section>");
}

/// A table of distributions, one row per measure: `first` (its header and value) then min,
/// median, p90 and max as `show` writes them; the row's `data-*` attributes carry n, median
/// and p90 for tools.
fn figures(
    b: &mut String,
    rows: &[(&str, &str, &Distribution)],
    first: (&str, fn(&Distribution) -> u64),
    show: impl Fn(Option<u64>) -> String,
) {
    let _ = write!(
        b,
        r#"<table><thead><tr><th scope="col">Measure</th><th scope="col">{}</th><th scope="col">Min</th><th scope="col">Median</th><th scope="col">p90</th><th scope="col">Max</th></tr></thead><tbody>"#,
        first.0
    );
    for (key, label, d) in rows {
        let _ = write!(
            b,
            r#"<tr data-distribution="{key}" data-n="{}" data-median="{}" data-p90="{}"><th scope="row">{label}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            d.n,
            opt(d.median),
            opt(d.p90),
            (first.1)(d),
            show(d.min),
            show(d.median),
            show(d.p90),
            show(d.max)
        );
    }
    b.push_str("</tbody></table>");
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// The counts per case: a small histogram each (cases per value), and a table.
fn counts(b: &mut String, report: &Report) {
    let a = &report.across;
    let rows: [Row<'_, u64>; 5] = [
        ("revisions", "Revisions", &a.revisions, |c| c.revisions),
        ("lane_changes", "Lane changes", &a.lane_changes, |c| {
            c.lane_changes.len() as u64
        }),
        ("redirects", "Redirects", &a.redirects, |c| {
            c.redirects.values().sum()
        }),
        (
            "carried_signoffs",
            "Carried sign-offs",
            &a.carried_signoffs,
            |c| c.carried_signoffs,
        ),
        (
            "voided_signoffs",
            "Voided sign-offs",
            &a.voided_signoffs,
            |c| c.voided_signoffs,
        ),
    ];
    b.push_str(r#"<section id="counts"><h2>How stable it stayed</h2><div class="columns">"#);
    for (key, label, _, value) in &rows {
        let mut hist = std::collections::BTreeMap::<u64, u64>::new();
        for c in &report.cases {
            *hist.entry(value(c)).or_insert(0) += 1;
        }
        let top = hist.values().copied().max().unwrap_or(1).max(1);
        let bars = hist.len().max(1) as f64;
        let (w, h) = (360.0, 150.0);
        let bw = (w - 40.0) / bars;
        let _ = write!(
            b,
            r#"<figure data-histogram="{key}"><svg viewBox="0 0 {w:.0} {h:.0}" role="img" aria-labelledby="hist-{key}" xmlns="http://www.w3.org/2000/svg"><title id="hist-{key}">{label}: cases per value</title>"#
        );
        for (i, (v, n)) in hist.iter().enumerate() {
            let bh = scale(*n as f64, 0.0, top as f64, h - 50.0);
            let x = 20.0 + bw * i as f64;
            let _ = write!(
                b,
                r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}"><title>{v}: {n} cases</title></rect><text x="{:.1}" y="{:.0}" text-anchor="middle">{v}</text><text x="{3:.1}" y="{:.1}" text-anchor="middle">{n}</text>"#,
                x + 2.0,
                h - 28.0 - bh,
                (bw - 4.0).max(1.0),
                x + bw / 2.0,
                h - 12.0,
                h - 32.0 - bh
            );
        }
        let _ = write!(
            b,
            r#"</svg><figcaption>{label}: cases (bar height, number above) per value (below)</figcaption></figure>"#
        );
    }
    let rows: Vec<_> = rows.iter().map(|(k, l, d, _)| (*k, *l, *d)).collect();
    b.push_str("</div>");
    figures(b, &rows, ("Sum", |d| d.sum), opt);
    b.push_str("</section>");
}

/// One row per case on a shared time axis: first draft (◇), quorum (▲), acceptance (●),
/// stand-down (■), lane changes (|).
fn timelines(b: &mut String, cases: &[CaseReport]) {
    let span =
        |c: &CaseReport| u64::try_from((c.last_at - c.declared_at).num_milliseconds()).unwrap_or(0);
    let max = cases.iter().map(span).max().unwrap_or(0).max(1) as f64;
    let (left, width, row) = (250.0, 640.0, 26.0);
    let height = row * cases.len() as f64 + 40.0;
    let _ = write!(
        b,
        r#"<section id="timelines"><h2>Each case over time</h2><figure><svg class="cases" viewBox="0 0 {:.0} {height:.0}" role="img" aria-labelledby="cases-title" xmlns="http://www.w3.org/2000/svg"><title id="cases-title">Each case from its declaration: ◇ first draft, ▲ quorum, ● acceptance, ■ stand-down, | lane change</title>"#,
        left + width + 30.0
    );
    for (i, c) in cases.iter().enumerate() {
        let y = 18.0 + row * i as f64;
        let at = |t: chrono::DateTime<chrono::Utc>| {
            left + scale(
                (t - c.declared_at).num_milliseconds() as f64,
                0.0,
                max,
                width,
            )
        };
        let _ = write!(
            b,
            r#"<g data-case="{}"><text x="{:.0}" y="{:.0}" text-anchor="end">{}</text><line class="axis" x1="{left}" x2="{:.1}" y1="{y:.0}" y2="{y:.0}"/>"#,
            esc(c.case_id.as_str()),
            left - 8.0,
            y + 4.0,
            esc(c.case_id.as_str()),
            at(c.last_at)
        );
        for l in &c.lane_changes {
            let x = at(l.at);
            let _ = write!(
                b,
                r#"<line class="p90" x1="{x:.1}" x2="{x:.1}" y1="{:.0}" y2="{:.0}"><title>{} → {} ({})</title></line>"#,
                y - 9.0,
                y + 9.0,
                esc(l.from.as_str()),
                esc(l.to.as_str()),
                esc(&l.cause)
            );
        }
        let marks = [
            (c.first_draft_at, "draft", "M-5,0 L0,-5 L5,0 L0,5 z"),
            (c.first_quorum_at, "quorum", "M-5,4 L0,-5 L5,4 z"),
            (c.stood_down_at, "stood_down", "M-4,-4 H4 V4 H-4 z"),
        ];
        for (t, class, d) in marks {
            if let Some(t) = t {
                let _ = write!(
                    b,
                    r#"<path class="mark {class}" transform="translate({:.1},{y:.0})" d="{d}"><title>{class}</title></path>"#,
                    at(t)
                );
            }
        }
        for a in &c.acceptances {
            let _ = write!(
                b,
                r#"<circle class="mark accepted" cx="{:.1}" cy="{y:.0}" r="5"><title>revision {} accepted ({})</title></circle>"#,
                at(a.at),
                a.revision,
                esc(a.lane.as_str())
            );
        }
        b.push_str("</g>");
    }
    let _ = write!(
        b,
        r#"<text x="{left}" y="{:.0}">declared</text><text x="{:.0}" y="{0:.0}" text-anchor="end">+{}</text></svg><figcaption>Shared time axis from each case's declaration. ◇ first draft, ▲ quorum, ● acceptance, ■ stand-down, | lane change.</figcaption></figure></section>"#,
        height - 6.0,
        left + width,
        human_ms(max as u64)
    );
}

/// Every case's figures.
fn table(b: &mut String, cases: &[CaseReport]) {
    b.push_str(r#"<section id="cases"><h2>Per case</h2><table><thead><tr><th scope="col">Case</th><th scope="col">State</th><th scope="col">Lane</th><th scope="col">To first draft</th><th scope="col">To quorum</th><th scope="col">To acceptance</th><th scope="col">Revisions</th><th scope="col">Lane changes (causes)</th><th scope="col">Redirects</th><th scope="col">Carried</th><th scope="col">Voided</th></tr></thead><tbody>"#);
    for c in cases {
        let f = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), human_ms);
        let causes: Vec<String> = c.lane_changes.iter().map(|l| esc(&l.cause)).collect();
        let _ = write!(
            b,
            r#"<tr data-case="{}" data-state="{}"><th scope="row"><code>{}</code></th><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(c.case_id.as_str()),
            esc(&c.state),
            esc(c.case_id.as_str()),
            esc(&c.state),
            esc(c.recommended_lane.as_str()),
            f(c.to_first_draft_ms),
            f(c.to_quorum_ms),
            f(c.to_acceptance_ms),
            c.revisions,
            c.lane_changes.len(),
            if causes.is_empty() {
                String::new()
            } else {
                format!(" ({})", causes.join(", "))
            },
            tally(&c.redirects),
            c.carried_signoffs,
            c.voided_signoffs
        );
    }
    b.push_str("</tbody></table></section>");
}
