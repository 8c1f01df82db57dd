/**
 * The visual report: chart specs rendered in Node (vega → SVG → resvg PNG),
 * chart data (samples, histograms, dendrogram layout), the self-contained
 * page, the atomic report directory, and `segmenta report` end to end.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { matrixFromRows } from '../src/common/matrix.js';
import { generateCustomers, writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { histogramBySegment, niceStep, sampleIndices } from '../src/report/chart-data.js';
import {
  categoryChartSpec,
  dendrogramChartSpec,
  elbowChartSpec,
  featureBoxesChartSpec,
  histogramChartSpec,
  layoutDendrogram,
  scatterChartSpec,
  segmentSizesChartSpec,
} from '../src/report/chart-specs.js';
import { dendrogramChartInput } from '../src/report/dendrogram-input.js';
import { sampleDendrogram } from '../src/pipeline/sample-dendrogram.js';
import { decodePng, pngPixelStats } from './helpers/png-pixels.js';
import { chartFontOptions, renderChart, svgToPng } from '../src/report/render-chart.js';
import { escapeHtml, inlineSvg } from '../src/report/report-html.js';
import { writeSegmentationReport, type SegmentationReportInput } from '../src/report/write-report.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('segmenta-report-test-');

/** Every src/href/url() in a page, and whether any http(s) text appears at all. */
function externalReferences(html: string): string[] {
  const refs = [...html.matchAll(/\s(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]!);
  refs.push(...[...html.matchAll(/url\(\s*['"]?([^'")]*)/gi)].map((m) => m[1]!));
  refs.push(...[...html.matchAll(/@import/gi)].map(() => '@import'));
  const external = refs.filter((r) => !r.startsWith('data:') && !r.startsWith('#'));
  if (/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i.test(html)) external.push('an http(s) or protocol-relative URL in the text');
  return external;
}

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSegmenta(...argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('chart data', () => {
  it('samples distinct rows with a seed, all rows when few', () => {
    const a = sampleIndices(100_000, 5_000, 7);
    expect(a.length).toBe(5_000);
    expect(new Set(a).size).toBe(5_000);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(a[a.length - 1]!).toBeLessThan(100_000);
    expect(Array.from(sampleIndices(100_000, 5_000, 7))).toEqual(Array.from(a));
    expect(Array.from(sampleIndices(100_000, 5_000, 8))).not.toEqual(Array.from(a));
    expect(Array.from(sampleIndices(4, 10, 1))).toEqual([0, 1, 2, 3]);
  });

  it('bins values per segment in nice steps, every pair present', () => {
    expect(niceStep(53, 20)).toBe(5);
    expect(niceStep(0.7, 10)).toBeCloseTo(0.1, 12);
    const bins = histogramBySegment([18, 19, 20, 24.9, 25, 70, NaN], [0, 1, 0, 1, 0, 1, 0], 2, 20);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(6);
    expect(bins.slice(0, 2)).toEqual([{ start: 15, end: 20, segment: 0, count: 1 }, { start: 15, end: 20, segment: 1, count: 1 }]);
    expect(bins.filter((b) => b.start === 20).map((b) => b.count)).toEqual([1, 1]);
    expect(bins.length % 2).toBe(0);
  });

  it('lays out a dendrogram: leaves in walk order, links at merge heights', () => {
    // Leaves 0..3; merge 4 = (0, 2) at 1, merge 5 = (1, 3) at 2, root 6 = (4, 5) at 5.
    const merges = [
      { left: 0, right: 2, distance: 1, size: 2 },
      { left: 1, right: 3, distance: 2, size: 2 },
      { left: 4, right: 5, distance: 5, size: 4 },
    ];
    const { leafOrder, links } = layoutDendrogram(merges, 4);
    expect(leafOrder).toEqual([0, 2, 1, 3]);
    expect(links).toContainEqual({ x: 0, x2: 1, y: 1, y2: 1 });
    expect(links).toContainEqual({ x: 2, x2: 3, y: 2, y2: 2 });
    expect(links).toContainEqual({ x: 0.5, x2: 2.5, y: 5, y2: 5 });
    expect(links).toContainEqual({ x: 2.5, x2: 2.5, y: 2, y2: 5 });
    // The cut into 2 clusters lies between the last two merges.
    const input = dendrogramChartInput(
      { leafCount: 4, rootId: 6, merges: merges.map((m, i) => ({ ...m, id: 4 + i })), leaves: [0, 2, 1, 3].map((id) => ({ id, size: 1, height: 0 })) },
      2,
    );
    expect(input.cutDistance).toBe(3.5);
  });
});

describe('charts render in Node to SVG and PNG', () => {
  it('finds a system font, and text alone rasterises to visible pixels', () => {
    const font = chartFontOptions();
    expect(font.loadSystemFonts === true || (font.fontFiles?.length ?? 0) > 0).toBe(true);
    const png = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" font-family="sans-serif" font-size="24">Segments</text></svg>', 1);
    const stats = pngPixelStats(png);
    expect(stats).toMatchObject({ width: 200, height: 40 });
    expect(stats.inkShare).toBeGreaterThan(0.03);
  });

  const segments = ['0 · A', '1 · B', '2 · C'];
  const charts = {
    elbow: elbowChartSpec({ ks: [1, 2, 3, 4, 5, 6], wcss: [100, 50, 20, 15, 12, 10], chosenK: 3, suggestedK: 3 }),
    scatter: scatterChartSpec({
      xTitle: 'Annual Income (k$)',
      yTitle: 'Spending Score (1-100)',
      points: Array.from({ length: 60 }, (_, i) => ({ x: (i % 3) * 30 + (i % 7), y: (i % 3) * 25 + (i % 5), segment: segments[i % 3]! })),
      centres: segments.map((s, i) => ({ x: i * 30 + 3, y: i * 25 + 2, segment: s, number: i })),
      segments,
      sampleNote: 'all 60 customers',
    }),
    sizes: segmentSizesChartSpec({ segments: segments.map((s, i) => ({ segment: s, size: 10 * (3 - i), share: (3 - i) / 6 })) }),
    category: categoryChartSpec({
      column: 'Gender',
      segments,
      levels: ['Female', 'Male'],
      counts: segments.flatMap((s, i) => [{ segment: s, level: 'Female', count: 5 + i, share: 0.5 }, { segment: s, level: 'Male', count: 4, share: 0.5 }]),
    }),
    histogram: histogramChartSpec({ column: 'Age', segments, bins: histogramBySegment([20, 25, 30, 35, 40, 60], [0, 0, 1, 1, 2, 2], 3) }),
    boxes: featureBoxesChartSpec({
      segments,
      features: [{ title: 'Age', baseMedian: 35, boxes: segments.map((s, i) => ({ segment: s, p05: 10 + i, q1: 20 + i, median: 30 + i, q3: 40 + i, p95: 50 + i, mean: 31 })) }],
    }),
    dendrogram: dendrogramChartSpec({
      leaves: 4,
      merges: [
        { left: 0, right: 2, distance: 1, size: 2 },
        { left: 1, right: 3, distance: 2, size: 2 },
        { left: 4, right: 5, distance: 5, size: 4 },
      ],
      cutDistance: 3.5,
    }),
  };

  for (const [name, spec] of Object.entries(charts)) {
    it(`${name}: compiles without warnings, SVG with text, PNG not blank`, async () => {
      const r = await renderChart(spec, { scale: 1 }, name);
      expect(r.warnings).toEqual([]);
      expect(r.svg.startsWith('<svg')).toBe(true);
      expect(r.svg).toMatch(/<text\b/);
      expect(r.width).toBeGreaterThan(100);
      const png = decodePng(r.png);
      expect(png.width).toBe(Math.round(r.width));
      const stats = pngPixelStats(r.png);
      expect(stats.inkShare).toBeGreaterThan(0.01);
      expect(stats.colours).toBeGreaterThan(10);
    });
  }

  it('a broken spec is a typed error naming the chart', async () => {
    await expect(renderChart({ mark: 'nonsense' } as never, {}, 'broken')).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('broken chart') });
  });
});

describe('the report page', () => {
  it('escapes text and namespaces SVG ids so charts do not share clip paths', () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="5"><g clip-path="url(#clip1)"></g><defs><clipPath id="clip1"></clipPath></defs></svg>';
    const out = inlineSvg(svg, 'chart-a', 'A & B');
    expect(out).toContain('url(#chart-a-clip1)');
    expect(out).toContain('id="chart-a-clip1"');
    expect(out).not.toContain('http');
    expect(out).toContain('<title id="chart-a-title">A &amp; B</title>');
  });
});

/** 20,000 generated customers labelled by their latent segment (no clustering needed). */
function generatedInput(rows = 20_000): SegmentationReportInput {
  const g = generateCustomers({ rows, seed: 3 });
  const income = g.numeric[g.featureNames.indexOf('Annual Income (k$)')]!;
  const score = g.numeric[g.featureNames.indexOf('Spending Score (1-100)')]!;
  const age = g.numeric[g.featureNames.indexOf('Age')]!;
  const matrix = matrixFromRows(Array.from({ length: rows }, (_, i) => [income[i]!, score[i]!]));
  return {
    table: { path: 'generated.csv', idColumn: 'CustomerID', ids: g.ids, featureNames: ['Annual Income (k$)', 'Spending Score (1-100)'], matrix, kept: { Gender: g.gender, Age: age } },
    labels: g.trueSegment,
    k: 5,
    sweep: { ks: [1, 2, 3, 4, 5, 6, 7], wcss: [900, 600, 350, 200, 80, 70, 62], suggestedK: 5 },
    about: { seed: 3, scale: 'standard', backend: 'test' },
  };
}

describe('writeSegmentationReport', () => {
  it('writes index.html, the PNGs, labels.csv and segments.json, consistently', async () => {
    const out = join(dir, 'generated');
    const input = generatedInput();
    const r = await writeSegmentationReport(out, input);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['.segmenta-manifest.json', ...r.files].sort());
    expect(JSON.parse(await readFile(join(out, '.segmenta-manifest.json'), 'utf8')).files).toEqual([...r.files].sort());
    const pngs = files.filter((f) => f.endsWith('.png'));
    expect(pngs.sort()).toEqual(['age-distribution.png', 'elbow.png', 'feature-distributions.png', 'gender-by-segment.png', 'segment-sizes.png', 'segments-scatter.png']);
    for (const f of pngs) expect(pngPixelStats(await readFile(join(out, f))).inkShare, f).toBeGreaterThan(0.02);

    // labels.csv: every customer in input order, segments renumbered by size.
    const lines = (await readFile(join(out, 'labels.csv'), 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('CustomerID,segment');
    expect(lines).toHaveLength(20_001);
    const labels = lines.slice(1).map((l) => Number(l.split(',')[1]));
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from(input.table.ids as Float64Array));
    const counts = [0, 0, 0, 0, 0];
    for (const l of labels) counts[l]!++;
    expect(counts).toEqual(r.segments.map((s) => s.size));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));

    // segments.json agrees with the summary and names every segment uniquely.
    const doc = JSON.parse(await readFile(join(out, 'segments.json'), 'utf8'));
    expect(doc).toMatchObject({ generator: 'segmenta report', rows: 20_000, k: 5, sweep: { suggestedK: 5 } });
    expect(doc.segments.map((s: { name: string }) => s.name)).toEqual(r.segments.map((s) => s.name));
    expect(new Set(r.segments.map((s) => s.name)).size).toBe(5);
    expect(doc.segments[0].features[0]).toHaveProperty('q1');
    expect(doc.segments[0].categories[0].column).toBe('Gender');
    // The latent "Average" segment (40%, income 55, score 50) comes first.
    expect(r.segments[0]).toMatchObject({ name: 'Average income · Average spending', action: 'Nurture' });

    // The page: self-contained, every chart inline, the sample stated.
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(externalReferences(html)).toEqual([]);
    expect(html.match(/<svg\b/g)).toHaveLength(pngs.length);
    expect(html).toContain('a seeded random sample of 5,000 of 20,000 customers (seed 3)');
    expect(html).toContain("Content-Security-Policy");
    for (const s of r.segments) expect(html).toContain(escapeHtml(s.name));
    // No temporary directory left beside it.
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('replaces an earlier report, but refuses a directory holding other files', async () => {
    const out = join(dir, 'replace');
    const small = generatedInput(300);
    await writeSegmentationReport(out, small);
    await writeSegmentationReport(out, { ...small, k: 5, sweep: undefined } as SegmentationReportInput);
    expect(existsSync(join(out, 'elbow.png'))).toBe(false);
    expect(existsSync(join(out, 'index.html'))).toBe(true);

    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'mine');
    await expect(writeSegmentationReport(other, small)).rejects.toMatchObject({ code: 'OUTPUT_REFUSED', message: expect.stringContaining('segmenta did not write it') });
    expect(await readdir(other)).toEqual(['notes.txt']);
  });

  it('leaves nothing behind when it fails or is aborted', async () => {
    const out = join(dir, 'failed');
    const input = generatedInput(300);
    const controller = new AbortController();
    const aborted = writeSegmentationReport(out, input, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'phase' && e.phase === 'charts' && e.detail?.includes('(3/')) controller.abort();
      },
    });
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(out)).toBe(false);
    await expect(writeSegmentationReport(out, input, { scatter: ['Annual Income (k$)', 'Nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
    await expect(writeSegmentationReport(out, { ...input, labels: input.labels.slice(1) as Int32Array })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.startsWith('.failed'))).toEqual([]);
  });

  it('draws the dendrogram of a seeded sample when given one', async () => {
    const input = generatedInput(3_000);
    const dendrogram = await sampleDendrogram(input.table.matrix, { k: 5, seed: 1, sampleSize: 500, backend: 'js' });
    expect(dendrogram.subtitle).toContain('a seeded random sample of 500 of 3,000 customers (seed 1)');
    expect(dendrogram.merges).toHaveLength(30);
    expect(dendrogram.leaves).toBe(31);
    const out = join(dir, 'dendrogram');
    const r = await writeSegmentationReport(out, { ...input, dendrogram });
    expect(r.charts.map((c) => c.file)).toContain('dendrogram.png');
    expect(pngPixelStats(await readFile(join(out, 'dendrogram.png'))).inkShare).toBeGreaterThan(0.02);
  });
});

describe('segmenta report', () => {
  it('on a generated file: --k N --no-sweep, --keep none, --json', async () => {
    const csv = join(dir, 'customers.csv');
    await writeGeneratedCustomers(csv, { rows: 1_000, seed: 9 });
    const out = join(dir, 'cli-generated');
    const { code, out: stdout, err } = await capture([
      'report', csv, '--features', 'Annual Income (k$),Spending Score (1-100)', '--scale', 'standard',
      '--k', '4', '--no-sweep', '--no-dendrogram', '--keep', 'none', '--backend', 'js', '--json', '--out', out,
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ k: 4, rows: 1_000, suggestedK: null, dir: out });
    expect(doc.segments).toHaveLength(4);
    const files = await readdir(out);
    expect(files).not.toContain('elbow.png');
    expect(files).not.toContain('gender-by-segment.png');
    // Profiles are in original units even though the clustering was standardised.
    const seg = JSON.parse(await readFile(join(out, 'segments.json'), 'utf8'));
    expect(seg.base.features[0].mean).toBeGreaterThan(30);
    expect(seg.scale).toBe('standard');
  });

  it('--keep auto finds Sex/Age under other spellings, and a small table caps the sweep', async () => {
    const csv = join(dir, 'tiny.csv');
    await writeFile(csv, 'id,sex,AGE,x,y\n1,F,20,1,2\n2,M,30,2,1\n3,F,40,10,12\n4,M,50,11,10\n5,F,60,20,1\n6,F,61,21,2\n');
    const out = join(dir, 'tiny-report');
    const { code, err } = await capture(['report', csv, '--features', 'x,y', '--k', '3', '--backend', 'js', '--out', out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(await readFile(join(out, 'segments.json'), 'utf8'));
    expect(doc.sweep.ks).toEqual([1, 2, 3, 4, 5, 6]);
    expect(doc.base.categories.map((c: { column: string }) => c.column)).toEqual(['sex']);
    expect(doc.base.descriptors.map((c: { column: string }) => c.column)).toEqual(['AGE']);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['sex-by-segment.png', 'age-distribution.png']));
  });

  it('user errors exit 2 with one line', async () => {
    const missingOut = await capture(['report', 'x.csv', '--features', 'A']);
    expect(missingOut.code).toBe(2);
    expect(missingOut.err).toBe('segmenta: error: --out is required: the directory to write the report to\n');
    const badK = await capture(['report', 'x.csv', '--features', 'A', '--k', 'zero', '--out', join(dir, 'x')]);
    expect(badK.code).toBe(2);
    expect(badK.err).toContain("--k must be an integer >= 1, got 'zero'");
    const missingFile = await capture(['report', join(dir, 'none.csv'), '--features', 'A', '--out', join(dir, 'y')]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.err).toMatch(/file not found/);
    expect(existsSync(join(dir, 'y'))).toBe(false);
  });
});

describe.skipIf(!HAVE_MALL)(`segmenta report on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('k from the sweep: 5 named segments, 200 labels, at least 4 PNGs, no external references', async () => {
    const out = join(dir, 'mall');
    const { code, out: stdout, err } = await capture(['report', MALL_CSV, '--features', 'Annual Income (k$),Spending Score (1-100)', '--out', out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`report written to ${join(out, 'index.html')}`);
    const doc = JSON.parse(await readFile(join(out, 'segments.json'), 'utf8'));
    expect(doc.k).toBe(5);
    expect(doc.sweep.suggestedK).toBe(5);
    expect(doc.segments.map((s: { name: string }) => s.name)).toEqual([
      'Average income · Average spending',
      'High income · High spending',
      'High income · Low spending',
      'Low income · Low spending',
      'Low income · High spending',
    ]);
    const labels = (await readFile(join(out, 'labels.csv'), 'utf8')).trimEnd().split('\n');
    expect(labels).toHaveLength(201);
    expect(labels[0]).toBe('CustomerID,segment');
    const pngs = (await readdir(out)).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(4);
    expect(pngs).toEqual(expect.arrayContaining(['choosing-k.png', 'segments-scatter.png', 'gender-by-segment.png', 'age-distribution.png', 'feature-distributions.png', 'segment-tree.png']));
    expect(doc.kSelection).toMatchObject({ suggestedK: 5, byMethod: { elbow: { k: 5 }, silhouette: { k: 5 } } });
    expect(doc.nextSteps.map((n: { action: string; segment: number }) => [n.action, n.segment])).toEqual([
      ['Keep', 1],
      ['Win over', 2],
      ['Serve with care', 4],
    ]);
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain('all 200 customers');
  });
});
