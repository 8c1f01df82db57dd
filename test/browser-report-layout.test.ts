/**
 * The redesigned report in real headless Chromium: tables fit their cards at
 * 8 and 12 features (no element sticks out of a card, no card or table
 * scrolls sideways), the page reads summary first and technical details
 * last, and it prints to a PDF that is not blank. Skips, saying why, without
 * Chromium (`.ci/run` installs it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { segmentCentroidTree } from '../src/pipeline/centroid-tree.js';
import { writeSegmentationReport } from '../src/report/write-report.js';
import { findChromium, inspectPage } from './helpers/headless-chromium.js';
import { pdfContent } from './helpers/pdf-content.js';
import { tempDir } from './helpers/temp-dir.js';

const CHROMIUM = findChromium();
const SKIP_REASON = CHROMIUM ? '' : ' — skipped: no Chromium found ($CHROMIUM_PATH, /usr/bin/chromium…); `.ci/run` installs it with apt-get install chromium';
if (!CHROMIUM) console.warn(SKIP_REASON);

/** Every element of every card that reaches past the card's left or right edge, and every card or table that scrolls sideways. */
const OVERFLOW_PROBE = `(() => {
  const out = [];
  const cards = [...document.querySelectorAll('.card')];
  for (const card of cards) {
    const c = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > c.right + 0.5 || r.left < c.left - 0.5) out.push(card.id + ': <' + el.tagName.toLowerCase() + '> ' + (el.textContent || '').trim().slice(0, 40) + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + ' vs ' + Math.round(c.left) + '..' + Math.round(c.right) + ']');
    }
    for (const box of [card, ...card.querySelectorAll('.table-wrap, table')]) {
      if (box.scrollWidth > box.clientWidth + 1) out.push(card.id + ': ' + box.className + ' scrolls (' + box.scrollWidth + ' > ' + box.clientWidth + ')');
    }
  }
  const rows = cards.map((card) => card.querySelectorAll('tbody tr').length);
  const headings = [...document.querySelectorAll('h2')].map((h) => h.id);
  return { cards: cards.length, rows, overflow: out, headings };
})()`;

interface Probe {
  cards: number;
  rows: number[];
  overflow: string[];
  headings: string[];
}

const dir = tempDir('segmenta-layout-test-');

/** A report of the generator's five segments on `features` numeric columns, with the segment tree. */
async function generatedReport(features: number, name: string): Promise<string> {
  const g = generateCustomers({ rows: 3000, seed: 5, features });
  const matrix = generatedFeatureMatrix(g);
  const sizes = [0, 0, 0, 0, 0];
  const centres = new Float64Array(5 * features);
  g.trueSegment.forEach((s, i) => {
    sizes[s]!++;
    for (let j = 0; j < features; j++) centres[s * features + j]! += matrix.data[i * features + j]!;
  });
  for (let s = 0; s < 5; s++) for (let j = 0; j < features; j++) centres[s * features + j]! /= sizes[s]!;
  const report = await writeSegmentationReport(join(dir, name), {
    table: { path: `generated-${features}.csv`, idColumn: 'CustomerID', ids: g.ids, featureNames: g.featureNames, matrix, kept: { Gender: g.gender } },
    labels: g.trueSegment,
    k: 5,
    centroidTree: await segmentCentroidTree(centres, sizes, 5, features),
    about: { seed: 5, backend: 'js', scale: 'none' },
  });
  return report.index;
}

describe.skipIf(!CHROMIUM)(`the report's layout in headless Chromium${SKIP_REASON}`, () => {
  it.each([8, 12])('at %i features no element overflows its card, and the page reads summary first, details last', async (features) => {
    const index = await generatedReport(features, `report-${features}`);
    const seen = await inspectPage(index, { executable: CHROMIUM!, timeoutMs: 90_000, evaluate: OVERFLOW_PROBE });
    expect(seen.errors).toEqual([]);
    const probe = seen.evaluated as Probe;
    expect(probe.cards).toBe(5);
    expect(probe.rows).toEqual([features, features, features, features, features]);
    expect(probe.overflow).toEqual([]);
    expect(probe.headings[0]).toBe('summary');
    expect(probe.headings[probe.headings.length - 1]).toBe('details');
    expect(seen.svgs.map((s) => s.figure)).toContain('chart-segment-tree');
  });

  it('the overflow check finds an element that sticks out of a card (the check can fail)', async () => {
    const page = join(dir, 'wide.html');
    const html = (await readFile(join(dir, 'report-8', 'index.html'), 'utf8')).replace('<p class="reading">', '<p style="width:900px;white-space:nowrap">wide</p><p class="reading">');
    await writeFile(page, html);
    const seen = await inspectPage(page, { executable: CHROMIUM!, timeoutMs: 90_000, evaluate: OVERFLOW_PROBE });
    expect((seen.evaluated as Probe).overflow.length).toBeGreaterThan(0);
  });

  it('prints to a PDF that is not blank (A4, print stylesheet)', async () => {
    const seen = await inspectPage(join(dir, 'report-8', 'index.html'), { executable: CHROMIUM!, timeoutMs: 120_000, pdf: true });
    const pdf = seen.pdf!;
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const content = pdfContent(pdf);
    expect(content.pages).toBeGreaterThanOrEqual(3);
    expect(content.textOps).toBeGreaterThan(200);
    expect(content.paintOps).toBeGreaterThan(100);
    // A blank page prints a PDF with no text and nothing painted: the check can fail.
    const blank = join(dir, 'blank.html');
    await writeFile(blank, '<!doctype html><title>blank</title>');
    const empty = pdfContent((await inspectPage(blank, { executable: CHROMIUM!, timeoutMs: 60_000, pdf: true })).pdf!);
    expect(empty.textOps).toBe(0);
  });
});
