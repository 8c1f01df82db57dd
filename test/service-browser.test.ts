/**
 * The service's web page in real headless Chromium (Debian's chromium via
 * puppeteer-core), as a marketer uses it: upload Mall_Customers.csv, tick
 * income and spending, start, watch the sweep, and get 5 named segments with
 * the report inline, without a console error, an exception or a failed load.
 * Skips, saying why, without Chromium or the Mall file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from './helpers/headless-chromium.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { startService, type TestService } from './helpers/service-server.js';

const CHROMIUM = findChromium();
const SKIP = !CHROMIUM ? ' — skipped: no Chromium found ($CHROMIUM_PATH, /usr/bin/chromium…); `.ci/run` installs it' : !HAVE_MALL ? ` — ${MALL_SKIP_REASON}` : '';
if (SKIP) console.warn(SKIP);

describe.skipIf(SKIP !== '')(`the service's web page in headless Chromium${SKIP}`, () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ token: 'page-test-token' });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('upload Mall, pick features, watch the sweep, see 5 segments and the report; no console errors', async () => {
    const browser = await launchChromium(CHROMIUM!, 90_000);
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(90_000);
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'assert') errors.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`exception: ${e instanceof Error ? e.message : String(e)}`));
      page.on('requestfailed', (r) => {
        // The page aborts its own event stream once the job has ended.
        if (!(r.url().endsWith('/events') && r.failure()?.errorText === 'net::ERR_ABORTED')) errors.push(`load failed: ${r.url()} (${r.failure()?.errorText})`);
      });
      page.on('request', (r) => requests.push(r.url()));
      await page.setViewport({ width: 1200, height: 900 });
      const response = await page.goto(`${svc.url}/`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);

      // The server has a token: the page asks for it up front.
      await page.waitForSelector('#auth:not([hidden])');
      await page.type('#token', 'page-test-token');
      const input = await page.$('#file');
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(MALL_CSV);
      await page.waitForSelector('#feature-list input[value="Spending Score (1-100)"]');
      const offered = await page.$$eval('#feature-list input', (boxes) => boxes.map((b) => (b as HTMLInputElement).value));
      expect(offered).toEqual(['CustomerID', 'Gender', 'Age', 'Annual Income (k$)', 'Spending Score (1-100)']);
      await page.click('#feature-list input[value="Annual Income (k$)"]');
      await page.click('#feature-list input[value="Spending Score (1-100)"]');
      await page.click('#run');

      // The elbow chart fills in as the sweep reports each k.
      await page.waitForFunction(() => document.querySelectorAll('#elbow circle').length >= 3, { polling: 20 });
      await page.waitForSelector('#result:not([hidden])');
      expect(await page.$eval('#error', (e) => (e as HTMLElement).hidden)).toBe(true);
      const rows = await page.$$eval('#segments tbody tr.segment', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(rows).toHaveLength(5);
      expect(rows.reduce((sum, r) => sum + Number(r[2]), 0)).toBe(200);
      for (const r of rows) expect(r[1]!.length).toBeGreaterThan(3);
      expect(await page.$eval('#result-summary', (e) => e.textContent)).toContain('5 segments of 200 customers');
      expect(await page.$eval('#download-labels', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#download-model', (e) => (e as HTMLElement).hidden)).toBe(false);

      // The report is inline: its charts are laid out in the frame.
      const frame = await (await page.$('#report'))!.contentFrame();
      await frame!.waitForSelector('svg');
      const charts = await frame!.$$eval('svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width));
      expect(charts.length).toBeGreaterThanOrEqual(5);
      for (const w of charts) expect(w).toBeGreaterThan(100);

      // Downloads fetch with the token.
      const labels = await page.evaluate(async () => {
        const jobID = (await (await fetch('jobs', { headers: { Authorization: 'Bearer page-test-token' } })).json()).jobs[0].jobID;
        return (await fetch(`jobs/${jobID}/results/labels.csv`, { headers: { Authorization: 'Bearer page-test-token' } })).text();
      });
      expect(labels.split('\n')[0]).toBe('CustomerID,segment');
      expect(labels.trim().split('\n')).toHaveLength(201);

      expect(errors).toEqual([]);
      // Everything the page loaded came from the service itself.
      const origin = new URL(svc.url).origin;
      expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:') && u !== 'about:srcdoc')).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
