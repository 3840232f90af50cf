//! The frame every HTML page shares: escaping, the stylesheet (screen and print) and a strict
//! Content-Security-Policy that allows nothing but the page's own stylesheet, named by its
//! SHA-256 (no script, no remote resource, no form, no base URL, no inline style attribute).

use sha2::{Digest as _, Sha256};

/// `raw` as HTML text or attribute value: `& < > " '` become entities, and line breaks and
/// invisible characters are shown, not kept, as in the Markdown (CR, LF, tab as `\r`, `\n`,
/// `\t`; other controls, the line and paragraph separators and the zero-width and
/// bidirectional format characters as `\u{…}`). Nothing a value holds can open an element,
/// close an attribute, start an entity of its own or reorder the text around it.
pub(crate) fn esc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if super::shown_as_code_point(c) => {
                out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet: readable on a laptop, printable (no backgrounds needed to read it, sections
/// kept whole where they fit), and never colour alone — states, statuses and reversibility
/// also carry a word and a border style.
const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #4a5561; --line: #8a96a3; --lit: #fff2b3; --lit-line: #7a5a00;
  --ok: #0f5f2a; --warn: #8a4b00; --bad: #9b1c1c; --paper: #ffffff; --band: #f3f5f7; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--paper); margin: 0 auto; max-width: 1180px; padding: 1.2rem 1.6rem 3rem; }
h1 { font-size: 1.55rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .6rem; border-bottom: 2px solid var(--band); padding-bottom: .2rem; }
h3 { font-size: 1.02rem; margin: 1.1rem 0 .4rem; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .88em;
  overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0; }
.lede { font-size: 1.15rem; margin: .6rem 0; }
.lede strong { font-size: 1.25rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .4rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #d5dbe1; }
th { background: var(--band); font-weight: 600; }
td { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .45rem; border: 1.5px solid currentColor; border-radius: .3rem;
  font-size: .82rem; font-weight: 600; white-space: nowrap; }
.recommended { color: var(--ok); border-style: double; border-width: 3px; }
.blocked { color: var(--bad); border-style: dashed; }
.viable { color: var(--muted); }
.reversible { color: var(--ok); }
.partially_reversible { color: var(--warn); border-style: dashed; }
.irreversible { color: var(--bad); border-width: 3px; }
.voided { color: var(--bad); text-decoration: line-through; }
.carried { color: var(--warn); }
ol.ladder { list-style: none; padding: 0; margin: .4rem 0; }
ol.ladder > li { border: 1.5px solid var(--line); border-radius: .4rem; padding: .45rem .7rem; margin: .35rem 0; }
ol.ladder > li.is-recommended { border: 3px double var(--ok); background: #eef8f1; }
ol.ladder > li.is-blocked { border-style: dashed; }
ul.options { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: .6rem; }
ul.options > li { border: 1.5px solid var(--line); border-radius: .4rem; padding: .5rem .7rem; }
ul.options > li.irreversible { border-width: 3px; border-color: var(--bad); }
ul.options > li.partially_reversible { border-style: dashed; border-color: var(--warn); }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1.2rem; }
.columns > div { min-width: 0; }
figure { margin: .4rem 0; }
figcaption { color: var(--muted); font-size: .88rem; }
svg { max-width: 100%; height: auto; display: block; }
svg.statechart { max-width: 1040px; }
svg.timeline { max-width: 880px; }
figure[data-histogram] svg { max-width: 380px; }
time { white-space: nowrap; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .state rect { fill: var(--paper); stroke: var(--line); stroke-width: 1.5; }
svg .state.super > rect { fill: #f8f9fb; }
svg .state.active > rect { stroke: var(--lit-line); stroke-width: 2.5; stroke-dasharray: 6 3; }
svg .state.current > rect { fill: var(--lit); stroke: var(--lit-line); stroke-width: 4; }
svg .state .name { font-weight: 700; }
svg .state .stay { fill: var(--muted); font-size: 11px; }
svg .state .now { font-weight: 700; fill: var(--lit-line); }
svg .edge path { fill: none; stroke: var(--muted); stroke-width: 1.3; }
svg .arrowhead, svg .start { fill: var(--muted); }
svg .label { font-size: 11px; }
svg .label-bg { fill: var(--paper); opacity: .9; }
svg .axis { stroke: var(--line); stroke-width: 1; }
svg .grid { stroke: #e3e7eb; stroke-width: 1; }
svg .step { fill: none; stroke: var(--ink); stroke-width: 2.5; }
svg .mark { stroke: var(--ink); stroke-width: 1.5; fill: var(--paper); }
svg .mark.accepted { fill: var(--ok); }
svg .mark.reopened, svg .mark.stood_down { fill: var(--bad); }
svg .mark.quorum { fill: var(--warn); }
svg .bar { fill: #5b7083; }
svg .median { stroke: var(--ok); stroke-width: 2.5; }
svg .p90 { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 5 3; }
svg .dot { fill: #5b7083; opacity: .75; }
.note { color: var(--muted); font-size: .9rem; }
.redacted { color: var(--muted); font-style: italic; }
footer { margin-top: 2.4rem; color: var(--muted); font-size: .85rem; border-top: 1px solid #d5dbe1; padding-top: .6rem; }
@media (max-width: 760px) { .columns { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  section, figure, ol.ladder > li, ul.options > li, tr { break-inside: avoid; }
  ol.ladder > li.is-recommended { background: none; }
  svg .state.current > rect { fill: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A whole page: doctype, language, charset, the CSP naming the stylesheet's hash, the title,
/// the stylesheet and `body` (already escaped HTML). `kind` goes on the root element as
/// `data-kind` (`packet`, `status`, `report`).
pub(crate) fn document(kind: &str, title: &str, body: &str) -> String {
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        Sha256::digest(STYLE.as_bytes()),
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" data-kind=\"{kind}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n\
<footer>Rendered by authority-lane {} from the journal; the page runs no script and loads nothing. \
Check what it shows with <code>authority-lane verify</code> against your own workflow and trust file.</footer>\n\
</body>\n</html>\n",
        csp(&hash),
        esc(title),
        env!("CARGO_PKG_VERSION")
    )
}

/// The page's Content-Security-Policy: nothing but the stylesheet whose hash is `hash`.
fn csp(hash: &str) -> String {
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; script-src 'none'; \
connect-src 'none'; font-src 'none'; object-src 'none'; media-src 'none'; frame-src 'none'; \
base-uri 'none'; form-action 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_invisible_characters_are_escaped() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('1')">&amp;"#),
            "&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;amp;"
        );
        assert_eq!(
            esc("a\nb\r\tc\u{202e}d\u{0}"),
            "a\\nb\\r\\tc\\u{202e}d\\u{0000}"
        );
        assert_eq!(esc("executive-cyber-command"), "executive-cyber-command");
    }

    #[test]
    fn the_policy_allows_only_the_stylesheet_it_names() {
        let page = document("packet", "t", "<p>x</p>");
        let hash = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            Sha256::digest(STYLE.as_bytes()),
        );
        assert!(page.contains(&format!("style-src 'sha256-{hash}'")));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(page.contains("default-src 'none'"));
        assert!(!page.contains("<script"));
        assert!(!STYLE.contains("url("), "the stylesheet fetches nothing");
        assert!(!STYLE.contains("@import"));
    }
}
