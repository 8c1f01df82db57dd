/**
 * The report in a real browser: Debian's headless Chromium (--no-sandbox)
 * opens index.html and must meet no console error, exception, failed load,
 * CSP violation or network request; every chart must lay out at a real size
 * and the screenshot must not be blank. Skips, saying why, without Chromium
 * (`.ci/run` installs it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { generateCustomers } from '../src/data-in/generate-customers.js';
import { matrixFromRows } from '../src/common/matrix.js';
import { sampleDendrogram } from '../src/pipeline/sample-dendrogram.js';
import { findChromium, inspectPage } from './helpers/headless-chromium.js';
import { pngPixelStats } from './helpers/png-pixels.js';
import { writeSegmentationReport } from '../src/report/write-report.js';
import { tempDir } from './helpers/temp-dir.js';

const CHROMIUM = findChromium();
const SKIP_REASON = CHROMIUM ? '' : ' — skipped: no Chromium found ($CHROMIUM_PATH, /usr/bin/chromium…); `.ci/run` installs it with apt-get install chromium';
if (!CHROMIUM) console.warn(SKIP_REASON);

const dir = tempDir('segmenta-browser-test-');

describe.skipIf(!CHROMIUM)(`the report in headless Chromium${SKIP_REASON}`, () => {
  it('loads with no console errors or requests, and its charts render', async () => {
    const rows = 8_000;
    const g = generateCustomers({ rows, seed: 11 });
    const col = (name: string): Float64Array => g.numeric[g.featureNames.indexOf(name)]!;
    const income = col('Annual Income (k$)');
    const score = col('Spending Score (1-100)');
    const matrix = matrixFromRows(Array.from({ length: rows }, (_, i) => [income[i]!, score[i]!]));
    const dendrogram = await sampleDendrogram(matrix, { k: 5, seed: 11, sampleSize: 400, backend: 'js' });
    const report = await writeSegmentationReport(join(dir, 'report'), {
      table: { path: 'generated.csv', idColumn: 'CustomerID', ids: g.ids, featureNames: ['Annual Income (k$)', 'Spending Score (1-100)'], matrix, kept: { Gender: g.gender, Age: col('Age') } },
      labels: g.trueSegment,
      k: 5,
      sweep: { ks: [1, 2, 3, 4, 5, 6, 7, 8], wcss: [900, 600, 350, 200, 80, 70, 62, 58], suggestedK: 5 },
      dendrogram,
      about: { seed: 11 },
    });

    const seen = await inspectPage(report.index, { executable: CHROMIUM!, timeoutMs: 90_000 });
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.title).toBe('Customer segments — generated.csv');
    // One inline SVG per chart, each laid out at a real size with its marks.
    expect(seen.svgs.map((s) => s.figure)).toEqual(report.charts.map((c) => `chart-${c.file.replace(/\.png$/, '')}`));
    for (const svg of seen.svgs) {
      expect(svg.width, svg.figure).toBeGreaterThan(200);
      expect(svg.height, svg.figure).toBeGreaterThan(100);
      expect(svg.marks, svg.figure).toBeGreaterThan(20);
    }
    // The screenshot shows the page, not a blank (or error) page.
    const shot = pngPixelStats(seen.screenshot);
    expect(shot.width).toBeGreaterThanOrEqual(1200);
    expect(shot.height).toBeGreaterThan(2000);
    expect(shot.inkShare).toBeGreaterThan(0.2);
    expect(shot.colours).toBeGreaterThan(200);
    expect(shot.lumaStd).toBeGreaterThan(15);
  });

  it('reports console errors and blocked external loads (the check can fail)', async () => {
    const page = join(dir, 'broken.html');
    const html = (await readFile(join(dir, 'report', 'index.html'), 'utf8')).replace(
      '</main>',
      '<img src="https://cdn.example.invalid/x.png" alt=""><script>console.error("boom")</script></main>',
    );
    await writeFile(page, html);
    const seen = await inspectPage(page, { executable: CHROMIUM!, timeoutMs: 90_000 });
    // The report's Content-Security-Policy blocks both the script and the image, and says so.
    expect(seen.errors.length).toBeGreaterThan(0);
    expect(seen.errors.join('\n')).toMatch(/Content Security Policy|blocked/i);

    const plain = join(dir, 'plain.html');
    await writeFile(plain, '<!doctype html><title>t</title><script>console.error("boom", 42); undefinedFunction();</script>');
    const seenPlain = await inspectPage(plain, { executable: CHROMIUM!, timeoutMs: 90_000 });
    expect(seenPlain.errors).toEqual(expect.arrayContaining(['console.error: boom 42', expect.stringMatching(/^exception: .*undefinedFunction/)]));
    expect(pngPixelStats(seenPlain.screenshot).inkShare).toBe(0);
  });
});
