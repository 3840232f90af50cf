// The HTML pages (DESIGN §17) in a real browser: Debian's chromium, driven by playwright-core.
// Usage: node check_pages.mjs MANIFEST.json [SCREENSHOT_DIR]   (run by .ci/check_html.py)
//
// The manifest (written by .ci/check_html.py from the CLI's JSON, never from the HTML) lists
// pages with what each must show. Per page, in a context that enforces the page's CSP (no
// bypassCSP), loaded from its file:// URL:
//   - no request other than the page's own URL, no CSP violation (or any error) on the console;
//   - the CSP meta tag is there, with default-src 'none', and names nothing but the sha256 of
//     the page's one stylesheet;
//   - the DOM shows the expected kind, header (state, lane, case, channel, revision), exactly
//     one lit leaf in the statechart and its superstates lit, the lanes, the options, the
//     evidence rows (redacted or not) and the approvals (packet, status) or the case rows and
//     distributions (report);
//   - every element is one the renderer writes, and no attribute can run, load or link
//     anything (on*, href, xlink:href, src, srcdoc, action, formaction, style; http-equiv only
//     on the CSP meta in head);
//   - no withheld string (in the full channel's JSON view, not in this channel's) is in the
//     HTML or the visible text; each payload the view carries is in the visible text, as text;
//     no raw bidi control character reaches the visible text;
// then a full-page screenshot; then, in a second context with bypassCSP (so axe-core can be
// injected), axe's rules: no violation of impact serious or critical.
import { readFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const [manifestPath, shotsArg] = process.argv.slice(2);
const shots = shotsArg || path.join(ROOT, "target", "screenshots");
const pages = JSON.parse(readFileSync(manifestPath, "utf8"));
mkdirSync(shots, { recursive: true });

const TAGS = new Set(("html head meta title style body header footer main section div h1 h2 h3 p " +
  "code strong em span br dl dt dd ol ul li table thead tbody tr th td figure figcaption time " +
  "svg defs marker path g rect text circle line title").split(" "));
const FORBIDDEN_ATTRS = /^(on.*|href|xlink:href|src|srcdoc|srcset|action|formaction|style|http-equiv|background|poster|data|ping)$/i;
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/;

const failures = [];
const fail = (page, what) => failures.push(`${page.name}: ${what}`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const sorted = (xs) => [...xs].map((x) => JSON.stringify(x)).sort();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});

function checkCsp(page, dom) {
  if (dom.csp.length !== 1) return fail(page, `expected one CSP meta in head, found ${dom.csp.length}`);
  const directives = dom.csp[0].split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]);
  const byName = Object.fromEntries(directives.map(([n, ...v]) => [n, v]));
  if (!same(byName["default-src"], ["'none'"])) fail(page, `CSP default-src is ${JSON.stringify(byName["default-src"])}`);
  if (dom.styles.length !== 1) fail(page, `expected one <style>, found ${dom.styles.length}`);
  const hash = `'sha256-${createHash("sha256").update(dom.styles[0] ?? "", "utf8").digest("base64")}'`;
  for (const [name, ...sources] of directives) {
    const allowed = name === "style-src" ? [hash] : ["'none'"];
    if (!same(sources, allowed)) fail(page, `CSP ${name} ${sources.join(" ")}; expected ${allowed.join(" ")}`);
  }
  if (!byName["style-src"]) fail(page, "CSP has no style-src naming the stylesheet's hash");
}

async function strict(page) {
  const url = pathToFileURL(path.resolve(page.file)).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tab = await context.newPage();
  const requests = [];
  const messages = [];
  tab.on("request", (r) => { if (r.url() !== url) requests.push(r.url()); });
  tab.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
  tab.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
  await tab.goto(url, { waitUntil: "load" });
  const dom = await tab.evaluate(() => {
    const $$ = (sel) => [...document.querySelectorAll(sel)];
    const header = document.querySelector("header");
    return {
      kind: document.documentElement.dataset.kind,
      csp: $$('head > meta[http-equiv="Content-Security-Policy"]').map((e) => e.getAttribute("content")),
      styles: $$("style").map((e) => e.textContent),
      tags: [...new Set($$("*").map((e) => e.tagName.toLowerCase()))],
      attrs: $$("*").flatMap((e) => [...e.attributes].map((a) => [e.tagName.toLowerCase(), a.name, a.value, e.parentElement?.tagName.toLowerCase()])),
      header: header ? { id: header.id, ...header.dataset } : null,
      current: $$("svg.statechart g.state.leaf.current").map((e) => e.dataset.state),
      supers: $$("svg.statechart g.state.super.active").map((e) => e.dataset.state),
      lanes: $$("ol.ladder li[data-lane]").map((e) => [e.dataset.lane, e.dataset.status]),
      options: $$("li[data-option]").map((e) => [e.dataset.option, e.dataset.boundary]),
      findings: $$("div[data-fact] tr[data-finding]").map((e) => [e.closest("div[data-fact]").dataset.fact, Number(e.dataset.finding), e.dataset.redacted === "true"]),
      approvals: $$("tr[data-approval]").map((e) => [e.dataset.approval, e.dataset.status]),
      rows: $$("tr[data-case]").map((e) => [e.dataset.case, e.dataset.state]),
      distributions: $$("tr[data-distribution]").map((e) => [e.dataset.distribution, e.dataset.n, e.dataset.median ?? "", e.dataset.p90 ?? ""]),
      html: document.documentElement.outerHTML,
      text: document.body.innerText,
    };
  });
  await tab.screenshot({ path: path.join(shots, `${page.name}.png`), fullPage: true });
  await context.close();

  if (requests.length) fail(page, `requests left the page: ${requests.join(", ")}`);
  const bad = messages.filter((m) => /Content.Security.Policy|Refused to|^error|pageerror/i.test(m));
  if (bad.length) fail(page, `console: ${bad.join(" | ")}`);
  checkCsp(page, dom);
  if (dom.kind !== page.kind) fail(page, `data-kind ${dom.kind}, expected ${page.kind}`);
  for (const t of dom.tags) if (!TAGS.has(t)) fail(page, `element <${t}> is not one the renderer writes`);
  for (const [tag, name, value, parent] of dom.attrs) {
    const csp = tag === "meta" && parent === "head" && name === "http-equiv" && value === "Content-Security-Policy";
    if (FORBIDDEN_ATTRS.test(name) && !csp) fail(page, `<${tag}> carries attribute ${name}=${JSON.stringify(value)}`);
  }

  const e = page.expect;
  const h = dom.header || {};
  if (page.kind !== "report" && h.id !== page.kind) fail(page, `header#${h.id}, expected header#${page.kind}`);
  for (const [key, attr] of [["state", "state"], ["lane", "lane"], ["channel", "channel"], ["case", "case"], ["revision", "revision"]]) {
    if (e[key] !== undefined && String(h[attr]) !== String(e[key])) fail(page, `header data-${attr}=${JSON.stringify(h[attr])}, expected ${JSON.stringify(e[key])}`);
  }
  if (page.kind !== "report") {
    if (!same(dom.current, [e.state])) fail(page, `lit leaves ${JSON.stringify(dom.current)}, expected exactly [${e.state}]`);
    if (e.supers && !same([...dom.supers].sort(), [...e.supers].sort())) fail(page, `lit superstates ${JSON.stringify(dom.supers)}, expected ${JSON.stringify(e.supers)}`);
  }
  for (const key of ["lanes", "options", "findings", "approvals", "rows", "distributions"]) {
    if (e[key] === undefined) continue;
    const got = sorted(dom[key]);
    const want = sorted(e[key]);
    if (!same(got, want)) {
      const missing = want.filter((x) => !got.includes(x));
      const extra = got.filter((x) => !want.includes(x));
      fail(page, `${key} differ from the JSON: missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]` +
        (missing.length || extra.length ? "" : ` (same items, other counts: ${got.length} vs ${want.length})`));
    }
  }
  if (e.cases !== undefined && String(h.cases) !== String(e.cases)) fail(page, `header#report data-cases=${h.cases}, expected ${e.cases}`);
  for (const w of e.withheld || []) {
    if (dom.html.includes(w) || dom.text.includes(w)) fail(page, `shows ${JSON.stringify(w)}, which its channel withholds`);
  }
  for (const p of e.payloads || []) {
    if (!dom.text.includes(p)) fail(page, `payload ${JSON.stringify(p)} is not shown as text`);
  }
  if (BIDI.test(dom.text)) fail(page, "a raw bidi control character reaches the visible text");
  return { payloads: e.payloads?.length ?? 0, withheld: e.withheld?.length ?? 0 };
}

async function accessible(page) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const tab = await context.newPage();
  await tab.goto(pathToFileURL(path.resolve(page.file)).href, { waitUntil: "load" });
  await tab.addScriptTag({ path: AXE });
  const result = await tab.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  await context.close();
  for (const v of result.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      const where = v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} ${n.html.slice(0, 120)}`).join("; ");
      fail(page, `axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} node(s): ${where}`);
    }
  }
  return result.violations.length;
}

for (const page of pages) {
  const before = failures.length;
  const { payloads, withheld } = await strict(page);
  const minor = await accessible(page);
  if (failures.length === before) {
    const notes = [page.kind];
    if (withheld) notes.push(`${withheld} withheld strings absent`);
    if (payloads) notes.push(`${payloads} payloads shown as text`);
    notes.push(`axe: ${minor} minor or moderate`);
    console.log(`ok ${page.name} (${notes.join("; ")})`);
  } else {
    console.log(`FAIL ${page.name}`);
  }
}
await browser.close();
if (failures.length) {
  for (const f of failures) console.error(`FAIL ${f}`);
  console.error(`html: ${failures.length} failure(s) over ${pages.length} pages`);
  process.exit(1);
}
console.log(`html: all ${pages.length} pages passed (headless Chromium)`);
