#!/usr/bin/env node
/**
 * Regenerates docs/images/report-top.png: the top of the Mall report as a
 * reader first sees it, shot with Debian's headless Chromium (puppeteer-core).
 *
 *   npm run build && node scripts/report-screenshot.mjs [../shared/data/Mall_Customers.csv]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = resolve(import.meta.dirname, '..');
const mall = resolve(process.argv[2] ?? join(root, '../shared/data/Mall_Customers.csv'));
const dir = mkdtempSync(join(tmpdir(), 'segmenta-shot-'));
try {
  const run = spawnSync(
    process.execPath,
    [join(root, 'dist/src/cli/main.js'), 'report', mall, '--features', 'Annual Income (k$),Spending Score (1-100)', '--scale', 'standard', '--seed', '42', '--out', join(dir, 'report')],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (run.status !== 0) process.exit(run.status ?? 1);
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--hide-scrollbars', '--force-color-profile=srgb'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 760, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(join(dir, 'report', 'index.html')).href, { waitUntil: 'load' });
    const out = join(root, 'docs/images/report-top.png');
    await page.screenshot({ path: out, type: 'png', clip: { x: 0, y: 0, width: 1100, height: 760 } });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
