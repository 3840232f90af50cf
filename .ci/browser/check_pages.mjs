// The HTML pages (DESIGN §17) in a real browser: Debian's chromium, driven by playwright-core.
// Usage: node check_pages.mjs MANIFEST.json SCREENSHOT_DIR
//
// The manifest (written by .ci/check_html.py from the CLI's JSON, never from the HTML) lists
// pages with what each must show. Per page, in a context that enforces the page's CSP:
//   - no request leaves the page (every request other than the page's own file:// URL fails
//     the check), and no CSP violation is reported on the console;
//   - the CSP meta tag is there and starts from default-src 'none';
//   - the DOM shows the expected kind, state, lane and options (packet, status) or case rows
//     (report), with exactly one lit state in the statechart;
//   - every element is one the renderer writes and no attribute can run, load or link anything
//     (on*, href, src, srcdoc, action, formaction, style; http-equiv only on the CSP meta);
//   - no withheld string (in the full channel's JSON view, not in this channel's) is in the
//     DOM, and each expected payload is in the visible text, as text;
// then a full-page screenshot, and, in a second context that lets axe-core in, axe's rules:
// no violation of impact serious or critical.
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const [manifestPath, shots] = process.argv.slice(2);
const pages = JSON.parse(readFileSync(manifestPath, "utf8"));
mkdirSync(shots, { recursive: true });

const TAGS = new Set(("html head meta title style body header footer main section div h1 h2 h3 p " +
  "code strong em span br dl dt dd ol ul li table thead tbody tr th td figure figcaption time " +
  "svg defs marker path g rect text circle line").split(" "));
const FORBIDDEN_ATTRS = /^(on.*|href|xlink:href|src|srcdoc|srcset|action|formaction|style|http-equiv|background|poster|data|ping)$/i;

const failures = [];
const fail = (page, what) => failures.push(`${page.name}: ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});

async function strict(page) {
  const url = pathToFileURL(path.resolve(page.file)).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tab = await context.newPage();
  const requests = [];
  const console_ = [];
  tab.on("request", (r) => { if (r.url() !== url) requests.push(r.url()); });
  tab.on("console", (m) => console_.push(m.text()));
  await tab.goto(url, { waitUntil: "load" });
  const dom = await tab.evaluate(() => {
    const all = [...document.querySelectorAll("*")];
    const attr = (sel, name) => [...document.querySelectorAll(sel)].map((e) => e.getAttribute(name));
    return {
      kind: document.documentElement.dataset.kind,
      csp: attr('meta[http-equiv="Content-Security-Policy"]', "content"),
      tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))],
      attrs: all.flatMap((e) => [...e.attributes].map((a) => [e.tagName.toLowerCase(), a.name, a.value])),
      header: (() => { const h = document.querySelector("header"); return h ? { ...h.dataset } : {}; })(),
      current: attr("svg.statechart g.state.leaf.current", "data-state"),
      options: [...document.querySelectorAll("li[data-option]")].map((e) => [e.dataset.option, e.dataset.boundary]),
      rows: [...document.querySelectorAll("tr[data-case]")].map((e) => [e.dataset.case, e.dataset.state]),
      html: document.documentElement.outerHTML,
      text: document.body.innerText,
    };
  });
  await tab.screenshot({ path: path.join(shots, `${page.name}.png`), fullPage: true });
  await context.close();
  if (requests.length) fail(page, `requests left the page: ${requests.join(", ")}`);
  const violations = console_.filter((m) => /Content Security Policy|Refused to/i.test(m));
  if (violations.length) fail(page, `CSP violations: ${violations.join(" | ")}`);
  if (dom.csp.length !== 1 || !dom.csp[0].startsWith("default-src 'none'")) fail(page, `CSP meta: ${JSON.stringify(dom.csp)}`);
  if (dom.kind !== page.kind) fail(page, `data-kind ${dom.kind}, expected ${page.kind}`);
  for (const t of dom.tags) if (!TAGS.has(t)) fail(page, `element <${t}> is not one the renderer writes`);
  for (const [tag, name, value] of dom.attrs) {
    if (FORBIDDEN_ATTRS.test(name) && !(tag === "meta" && name === "http-equiv" && value === "Content-Security-Policy")) {
      fail(page, `<${tag}> carries attribute ${name}=${JSON.stringify(value)}`);
    }
  }
  const e = page.expect;
  if (e.state !== undefined) {
    if (dom.header.state !== e.state) fail(page, `header state ${dom.header.state}, expected ${e.state}`);
    if (JSON.stringify(dom.current) !== JSON.stringify([e.state])) fail(page, `lit states ${JSON.stringify(dom.current)}, expected [${e.state}]`);
  }
  if (e.lane !== undefined && dom.header.lane !== e.lane) fail(page, `lane ${dom.header.lane}, expected ${e.lane}`);
  if (e.channel !== undefined && dom.header.channel !== e.channel) fail(page, `channel ${dom.header.channel}`);
  if (e.options !== undefined) {
    const got = JSON.stringify([...dom.options].sort());
    const want = JSON.stringify([...e.options].sort());
    if (got !== want) fail(page, `options ${got}, expected ${want}`);
  }
  if (e.rows !== undefined) {
    const got = JSON.stringify([...dom.rows].sort());
    const want = JSON.stringify([...e.rows].sort());
    if (got !== want) fail(page, `report rows ${got}, expected ${want}`);
  }
  for (const w of e.withheld || []) {
    if (dom.text.includes(w) || dom.html.includes(w)) fail(page, `shows ${JSON.stringify(w)}, which its channel withholds`);
  }
  for (const p of e.payloads || []) {
    if (!dom.text.includes(p)) fail(page, `payload ${JSON.stringify(p)} is not shown as text`);
  }
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
      fail(page, `axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
    }
  }
  return result.violations.length;
}

for (const page of pages) {
  const before = failures.length;
  await strict(page);
  const minor = await accessible(page);
  if (failures.length === before) console.log(`ok ${page.name} (${page.kind}; axe: ${minor} minor or moderate findings)`);
}
await browser.close();
if (failures.length) {
  for (const f of failures) console.error(`FAIL ${f}`);
  process.exit(1);
}
console.log(`html: all ${pages.length} pages passed in headless Chromium`);
