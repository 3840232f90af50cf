//! Inline SVG for the HTML pages: the statechart (laid out from the hierarchy and drawn from the
//! one table of transitions, as the Mermaid and DOT diagrams are) and the small charts of the
//! pages and the report. Every text goes through [`esc`](super::html::esc); no SVG here links,
//! embeds or scripts anything.

use super::children;
use super::page::esc;
use crate::case::machine::{Leaf, Node, TRANSITIONS, Target};
use crate::packet::{ChannelView, FullView};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// A box of the statechart's layout.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn cx(self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(self) -> f64 {
        self.y + self.h / 2.0
    }
    fn contains(self, other: Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.x + other.w <= self.x + self.w
            && other.y + other.h <= self.y + self.h
    }
    /// Where the segment from the centre towards `(tx, ty)` leaves the box.
    fn border_towards(self, tx: f64, ty: f64) -> (f64, f64) {
        let (dx, dy) = (tx - self.cx(), ty - self.cy());
        if dx == 0.0 && dy == 0.0 {
            return (self.cx(), self.y);
        }
        let sx = if dx == 0.0 {
            f64::INFINITY
        } else {
            (self.w / 2.0) / dx.abs()
        };
        let sy = if dy == 0.0 {
            f64::INFINITY
        } else {
            (self.h / 2.0) / dy.abs()
        };
        let s = sx.min(sy);
        (self.cx() + dx * s, self.cy() + dy * s)
    }
}

const LEAF_W: f64 = 196.0;
const LEAF_H: f64 = 40.0;
const LINE: f64 = 15.0;
const TITLE: f64 = 24.0;
const PAD: f64 = 14.0;
/// The gap between stacked superstates, where edges between them run.
const GAP_V: f64 = 96.0;
const GAP_H: f64 = 118.0;

/// The labels of the inputs a node handles without leaving its leaf.
fn stays(node: Node) -> Vec<&'static str> {
    TRANSITIONS
        .iter()
        .filter(|t| t.at == node && t.to == Target::Stay)
        .map(|t| t.on.label())
        .collect()
}

/// The size of `node`'s box; the root's children stack vertically, every other node's sit side
/// by side.
fn size(node: Node, depth: usize) -> (f64, f64) {
    let head = TITLE + LINE * stays(node).len() as f64;
    let kids: Vec<Node> = children(node).collect();
    if kids.is_empty() {
        // A line more for the words "current state", so that lighting a box moves nothing.
        return (LEAF_W, LEAF_H + LINE * (stays(node).len() + 1) as f64);
    }
    let sizes: Vec<(f64, f64)> = kids.iter().map(|k| size(*k, depth + 1)).collect();
    let n = sizes.len() as f64;
    let (w, h) = if depth == 0 {
        (
            sizes.iter().map(|s| s.0).fold(0.0, f64::max),
            sizes.iter().map(|s| s.1).sum::<f64>() + GAP_V * (n - 1.0),
        )
    } else {
        (
            sizes.iter().map(|s| s.0).sum::<f64>() + GAP_H * (n - 1.0),
            sizes.iter().map(|s| s.1).fold(0.0, f64::max),
        )
    };
    (w + 2.0 * PAD, h + head + PAD)
}

/// Places `node` at `(x, y)` and its descendants inside it.
fn place(node: Node, depth: usize, x: f64, y: f64, out: &mut Vec<(Node, Rect)>) {
    let (w, h) = size(node, depth);
    out.push((node, Rect { x, y, w, h }));
    let head = TITLE + LINE * stays(node).len() as f64;
    let (mut cx, mut cy) = (x + PAD, y + head);
    for kid in children(node) {
        let (kw, kh) = size(kid, depth + 1);
        place(kid, depth + 1, cx, cy, out);
        if depth == 0 {
            cy += kh + GAP_V;
        } else {
            cx += kw + GAP_H;
        }
    }
}

/// The statechart as inline SVG with `current` lit (its box thick and filled, its superstates
/// outlined, and the words "current state" in its box, so colour is not the only cue). The
/// root is not drawn; its children are the outermost boxes.
pub(crate) fn statechart(current: Option<Leaf>) -> String {
    let mut boxes = Vec::new();
    let mut y = 0.0;
    for top in children(Node::Case) {
        place(top, 1, 36.0, y, &mut boxes);
        y += size(top, 1).1 + GAP_V;
    }
    let width = boxes.iter().map(|(_, r)| r.x + r.w).fold(0.0, f64::max) + 8.0;
    let height = y - GAP_V + 8.0;
    let rect = |n: Node| boxes.iter().find(|(b, _)| *b == n).map(|(_, r)| *r);
    let lit: Vec<Node> = current
        .map(|l| l.node().ancestors().collect())
        .unwrap_or_default();
    let now = current.map_or("none", |l| l.node().as_str());
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="statechart" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">The case's statechart; current state: {now}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>"#
    );
    for (node, r) in &boxes {
        let class = match (node.leaf(), lit.contains(node)) {
            (Some(_), true) => "state leaf current",
            (Some(_), false) => "state leaf",
            (None, true) => "state super active",
            (None, false) => "state super",
        };
        let _ = write!(
            svg,
            r#"<g class="{class}" data-state="{}"><rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" rx="8"/>"#,
            node.as_str(),
            r.x,
            r.y,
            r.w,
            r.h
        );
        let (tx, ty) = if node.leaf().is_some() {
            (r.cx(), r.y + 24.0)
        } else {
            (r.x + 10.0, r.y + 17.0)
        };
        let anchor = if node.leaf().is_some() {
            "middle"
        } else {
            "start"
        };
        let _ = write!(
            svg,
            r#"<text x="{tx:.0}" y="{ty:.0}" text-anchor="{anchor}" class="name">{}</text>"#,
            node.as_str()
        );
        let stays = stays(*node);
        if node.leaf().is_some() && lit.contains(node) {
            let _ = write!(
                svg,
                r#"<text x="{tx:.0}" y="{:.0}" text-anchor="middle" class="now">▶ current state</text>"#,
                ty + LINE * (stays.len() as f64 + 1.0)
            );
        }
        for (i, label) in stays.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<text x="{tx:.0}" y="{:.0}" text-anchor="{anchor}" class="stay">↻ {}</text>"#,
                ty + LINE * (i as f64 + 1.0),
                esc(label)
            );
        }
        svg.push_str("</g>");
    }
    // The initial transition: declare → gathering.
    if let Some(g) = rect(Node::Gathering) {
        let _ = write!(
            svg,
            r#"<g class="edge"><circle cx="8" cy="{0:.0}" r="6" class="start"/><path d="M14,{0:.0} L{1:.0},{0:.0}" marker-end="url(#arrow)"/><text x="16" y="{2:.0}" class="label">declare</text></g>"#,
            g.cy(),
            g.x,
            g.cy() - 6.0
        );
    }
    for (i, t) in TRANSITIONS.iter().enumerate() {
        let Target::Go(to) = t.to else { continue };
        let (Some(a), Some(b)) = (rect(t.at), rect(to.node())) else {
            continue;
        };
        edge(&mut svg, a, b, t.on.label(), i);
    }
    svg.push_str("</svg>");
    svg
}

/// One transition's arrow from box `a` to box `b`, curved so that arrows between the same rows
/// do not lie on each other, with its label at the curve's middle.
fn edge(svg: &mut String, a: Rect, b: Rect, label: &str, i: usize) {
    if a.contains(b) {
        // A superstate's transition into one of its leaves enters from the superstate's top,
        // labelled beside the arrow.
        let x = b.x + b.w - 28.0;
        let _ = write!(
            svg,
            r#"<g class="edge"><path d="M{x:.1},{:.1} L{x:.1},{:.1}" marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" class="label">{}</text></g>"#,
            a.y,
            b.y,
            x + 5.0,
            (a.y + b.y) / 2.0 + 4.0,
            esc(label)
        );
        return;
    }
    let same_row = (a.cy() - b.cy()).abs() < 1.0;
    let neighbours =
        same_row && (b.x - (a.x + a.w)).abs().min((a.x - (b.x + b.w)).abs()) <= GAP_H + 1.0;
    let ((x0, y0), (x1, y1)) = if same_row && !neighbours {
        // Over a box between them: from bottom to bottom, bending below the row.
        ((a.cx() + 20.0, a.y + a.h), (b.cx() - 20.0, b.y + b.h))
    } else {
        (
            a.border_towards(b.cx(), b.cy()),
            b.border_towards(a.cx(), a.cy()),
        )
    };
    let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    // Same-row neighbours bend little; longer arrows bend more, alternately left and right.
    let bend = if neighbours {
        0.0
    } else if same_row {
        // Positive bends below a left-to-right arrow, negative below a right-to-left one.
        if dx > 0.0 { 70.0 } else { -70.0 }
    } else if i.is_multiple_of(2) {
        26.0
    } else {
        -26.0
    };
    let (cx, cy) = (mx - dy / len * bend, my + dx / len * bend);
    let (lx, ly) = ((x0 + 2.0 * cx + x1) / 4.0, (y0 + 2.0 * cy + y1) / 4.0);
    let w = label.chars().count() as f64 * 6.1 + 8.0;
    let _ = write!(
        svg,
        r#"<g class="edge"><path d="M{x0:.1},{y0:.1} Q{cx:.1},{cy:.1} {x1:.1},{y1:.1}" marker-end="url(#arrow)"/><rect class="label-bg" x="{:.1}" y="{:.1}" width="{w:.1}" height="15" rx="3"/><text x="{lx:.1}" y="{:.1}" text-anchor="middle" class="label">{}</text></g>"#,
        lx - w / 2.0,
        ly - 11.0,
        ly,
        esc(label)
    );
}

/// The recommended lane over time, as a step line over the lanes (highest authority at the
/// top), from the declaration to the last thing that happened; acceptances (●) and reopenings
/// (✖) marked. Drawn only for channels that carry the lane history.
pub(crate) fn lane_timeline(view: &ChannelView, full: &FullView) -> String {
    let mut lanes: Vec<(&str, u32)> = view
        .lanes
        .iter()
        .map(|l| (l.lane.as_str(), l.rank))
        .collect();
    lanes.sort_by_key(|(_, rank)| std::cmp::Reverse(*rank));
    let start = full.declared.at;
    let mut end = full
        .lane_history
        .iter()
        .map(|c| c.at)
        .max()
        .unwrap_or(start);
    for p in &full.prior_revisions {
        end = end.max(p.superseded_at);
    }
    for t in [
        full.timings.first_draft_at,
        full.timings.reviewed_at,
        full.timings.accepted_at,
    ]
    .into_iter()
    .flatten()
    {
        end = end.max(t);
    }
    let span = (end - start).num_milliseconds().max(1) as f64;
    let (left, width, row) = (190.0, 620.0, 30.0);
    let height = row * lanes.len() as f64 + 40.0;
    let x =
        |t: DateTime<Utc>| left + scale((t - start).num_milliseconds() as f64, 0.0, span, width);
    let y = |lane: &str| {
        lanes
            .iter()
            .position(|(l, _)| *l == lane)
            .map_or(height - 30.0, |i| 20.0 + row * i as f64)
    };
    let mut svg = format!(
        r#"<svg class="timeline" viewBox="0 0 {:.0} {height:.0}" role="img" aria-labelledby="timeline-title" xmlns="http://www.w3.org/2000/svg"><title id="timeline-title">Recommended lane from {} to {}</title>"#,
        left + width + 30.0,
        esc(&start.to_rfc3339()),
        esc(&end.to_rfc3339())
    );
    let right = left + width;
    for (lane, _) in &lanes {
        let (ly, lx) = (y(lane), left - 8.0);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{left}" x2="{right:.0}" y1="{ly:.0}" y2="{ly:.0}"/><text x="{lx:.0}" y="{:.0}" text-anchor="end">{}</text>"#,
            ly + 4.0,
            esc(lane)
        );
    }
    let mut d = String::new();
    let mut last: Option<f64> = None;
    for c in &full.lane_history {
        let (cx, cy) = (x(c.at), y(c.to.as_str()));
        match last {
            None => {
                let _ = write!(d, "M{cx:.1},{cy:.1}");
            }
            Some(_) => {
                let _ = write!(d, " H{cx:.1} V{cy:.1}");
            }
        }
        last = Some(cy);
    }
    if last.is_some() {
        let _ = write!(d, " H{right:.1}");
        let _ = write!(svg, r#"<path class="step" d="{d}"/>"#);
    }
    let mark = |svg: &mut String, t: DateTime<Utc>, lane: &str, class: &str, what: &str| {
        marker(
            svg,
            (x(t), y(lane)),
            class,
            &format!("{what} at {}", t.to_rfc3339()),
        );
    };
    for p in &full.prior_revisions {
        mark(
            &mut svg,
            p.accepted_at,
            p.lane.as_str(),
            "accepted",
            "revision accepted",
        );
        mark(
            &mut svg,
            p.superseded_at,
            p.lane.as_str(),
            "reopened",
            "reopened",
        );
    }
    if let Some(t) = full.timings.accepted_at {
        mark(
            &mut svg,
            t,
            view.recommended_lane.as_str(),
            "accepted",
            "accepted",
        );
    }
    let (axis, label) = (height - 18.0, height - 4.0);
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" x2="{right:.0}" y1="{axis:.0}" y2="{axis:.0}"/><text x="{left}" y="{label:.0}">declared</text><text x="{right:.0}" y="{label:.0}" text-anchor="end">+{}</text></svg>"#,
        human_ms((end - start).num_milliseconds().max(0) as u64)
    );
    svg
}

/// A timeline marker at `(mx, my)`: an acceptance is a circle, a reopening a diamond (the
/// shape says which, not the colour), with `what` as its tooltip.
fn marker(svg: &mut String, (mx, my): (f64, f64), class: &str, what: &str) {
    let shape = if class == "reopened" {
        format!(
            r#"<path class="mark {class}" d="M{:.1},{my:.1} L{mx:.1},{:.1} L{:.1},{my:.1} L{mx:.1},{:.1} z"/>"#,
            mx - 7.0,
            my - 7.0,
            mx + 7.0,
            my + 7.0
        )
    } else {
        format!(r#"<circle class="mark {class}" cx="{mx:.1}" cy="{my:.1}" r="6"/>"#)
    };
    let _ = write!(
        svg,
        r#"<g data-mark="{class}">{shape}<title>{}</title></g>"#,
        esc(what)
    );
}

/// A horizontal axis of `width` pixels over `[lo, hi]`: where `v` falls.
pub(crate) fn scale(v: f64, lo: f64, hi: f64, width: f64) -> f64 {
    if hi <= lo {
        0.0
    } else {
        (v - lo) / (hi - lo) * width
    }
}

/// A duration in milliseconds as people read it: `45 s`, `12 min`, `3.5 h`, `2.1 d`.
pub(crate) fn human_ms(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} d", s / 86400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_is_drawn_and_only_the_current_leaf_is_lit() {
        for leaf in Leaf::ALL {
            let svg = statechart(Some(leaf));
            for node in Node::ALL.into_iter().skip(1) {
                assert!(svg.contains(&format!(r#"data-state="{}""#, node.as_str())));
            }
            assert_eq!(svg.matches("leaf current").count(), 1);
            assert!(svg.contains(&format!(
                r#"class="state leaf current" data-state="{}""#,
                leaf.as_str()
            )));
            let supers = leaf.node().ancestors().count() - 2;
            assert_eq!(svg.matches("super active").count(), supers, "{leaf:?}");
        }
        assert_eq!(statechart(None).matches("current").count(), 1); // the title's words only
    }

    #[test]
    fn every_transition_to_a_leaf_is_an_arrow_and_every_stay_a_line() {
        let svg = statechart(None);
        let goes = TRANSITIONS
            .iter()
            .filter(|t| matches!(t.to, Target::Go(_)))
            .count();
        // Plus the initial transition.
        assert_eq!(svg.matches(r#"marker-end="url(#arrow)""#).count(), goes + 1);
        let stays = TRANSITIONS.iter().filter(|t| t.to == Target::Stay).count();
        assert_eq!(svg.matches(r#"class="stay""#).count(), stays);
    }

    #[test]
    fn boxes_nest_as_the_hierarchy_does() {
        let mut boxes = Vec::new();
        place(Node::Open, 1, 0.0, 0.0, &mut boxes);
        let find = |n: Node| boxes.iter().find(|(b, _)| *b == n).unwrap().1;
        for (node, r) in &boxes {
            if let Some(parent) = node.parent().filter(|p| *p != Node::Case) {
                assert!(find(parent).contains(*r), "{node:?} outside {parent:?}");
            }
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_ms(45_000), "45 s");
        assert_eq!(human_ms(12 * 60_000), "12 min");
        assert_eq!(human_ms(3 * 3_600_000 + 1_800_000), "3.5 h");
        assert_eq!(human_ms(3 * 86_400_000), "3.0 d");
        assert_eq!(scale(5.0, 0.0, 10.0, 100.0), 50.0);
        assert_eq!(scale(5.0, 1.0, 1.0, 100.0), 0.0);
    }
}
