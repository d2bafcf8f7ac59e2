// Opens rendered reports in Debian's headless Chromium (never a downloaded browser) and prints
// one JSON object: per file, axe-core WCAG 2.1 AA violations, dialogs, outgoing requests,
// script/img/on* counts, CSP and stylesheet state, and screenshot / PDF paths.
// Usage: node browser_check.mjs OUT_DIR REPORT.html [REPORT.html ...]
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 900 };

// Record everything a page tries: dialogs, errors, and any request that is not the file itself.
function watch(page, fileUrl, seen) {
  page.on('dialog', async (d) => { seen.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') seen.console.push(m.text()); });
  page.on('request', (r) => { if (r.url() !== fileUrl) seen.requests.push(r.url()); });
}

async function blockNetwork(context) {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return url.startsWith('file:') ? route.continue() : route.abort();
  });
}

// As a reader sees it, CSP enforced: is the stylesheet applied? screenshots and a PDF.
async function strictPass(browser, file, fileUrl, outDir, seen) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await blockNetwork(context);
  const page = await context.newPage();
  watch(page, fileUrl, seen);
  await page.goto(fileUrl, { waitUntil: 'load' });
  const base = path.join(outDir, path.basename(file, '.html'));
  const dom = await page.evaluate(() => {
    const h2 = document.querySelector('h2');
    const heading = document.querySelector('#summary-title');
    return {
      lang: document.documentElement.lang,
      styled: !!h2 && getComputedStyle(h2).borderBottomStyle === 'solid',
      summaryHeading: heading ? heading.textContent.trim() : null,
    };
  });
  const summary = page.locator('#summary-title');
  dom.summaryVisible = await summary.isVisible();
  await page.screenshot({ path: `${base}-top.png` });
  await page.locator('#summary').screenshot({ path: `${base}-summary.png` });
  if (process.env.REMPART_FULL_SCREENSHOT) {
    await page.screenshot({ path: `${base}-full.png`, fullPage: true });
  }
  await page.pdf({ path: `${base}.pdf`, format: 'A4', printBackground: true });
  await context.close();
  return { ...dom, screenshot: `${base}-top.png`, summaryShot: `${base}-summary.png`, pdf: `${base}.pdf` };
}

// With scripts allowed despite the CSP: did any markup from the data run? then axe.
async function scriptPass(browser, fileUrl, seen) {
  const context = await browser.newContext({ viewport: VIEWPORT, bypassCSP: true });
  await blockNetwork(context);
  const page = await context.newPage();
  watch(page, fileUrl, seen);
  await page.goto(fileUrl, { waitUntil: 'load' });
  await page.waitForTimeout(200); // let any injected handler (onerror=...) fire
  const counts = await page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    handlers: [...document.querySelectorAll('*')]
      .flatMap((el) => [...el.attributes].map((a) => a.name))
      .filter((name) => name.startsWith('on')).length,
  }));
  await page.addScriptTag({ path: AXE });
  const axe = await page.evaluate(async (tags) => {
    const res = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
    });
    return res.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, WCAG);
  await context.close();
  return { counts, axe };
}

async function main() {
  const [outDir, ...files] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const reports = [];
  try {
    for (const file of files) {
      const fileUrl = pathToFileURL(path.resolve(file)).href;
      const seen = { dialogs: [], errors: [], console: [], requests: [] };
      const strict = await strictPass(browser, file, fileUrl, outDir, seen);
      const scripted = await scriptPass(browser, fileUrl, seen);
      reports.push({ file, ...strict, ...scripted, ...seen });
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify({ reports }));
}

main().catch((e) => { console.error(e); process.exit(1); });
