/**
 * `segmenta dbscan` and `segmenta hdbscan` from the outside: labels files
 * (first input column, then `segment`), JSON documents, the k-distance PNG,
 * and one-line errors with exit code 2.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitDbscan } from '../src/drivers/density/dbscan.js';
import { fitHdbscan } from '../src/drivers/density/hdbscan.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { decodePng } from './helpers/png-pixels.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { kDistanceCurve } from '../src/drivers/density/k-distance.js';
import { writeSegmentationReport } from '../src/report/write-report.js';
import { pngPixelStats } from './helpers/png-pixels.js';
import { rmSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'segmenta-density-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const customers = join(dir, 'customers.csv');
const FEATURES = 'Annual Income (k$),Spending Score (1-100)';

describe('segmenta dbscan and hdbscan', async () => {
  const gen = await runSegmenta('generate', '--rows', '1500', '--seed', '5', '--out', customers);
  it('generate made the input', () => expect(gen.code).toBe(0));

  it('dbscan --out --json --plot: the labels file matches fitDbscan on the same scaled matrix; the PNG is a real chart', async () => {
    const out = join(dir, 'dbscan.csv');
    const png = join(dir, 'kdist.png');
    const r = await runSegmenta('dbscan', customers, '--features', FEATURES, '--scale', 'standard', '--eps', '0.15', '--min-samples', '8', '--out', out, '--plot', png, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { clusters: number; noise: number; sizes: number[]; eps: number; minSamples: number };
    const table = await readCustomerTable(customers, { features: FEATURES.split(',') });
    const scaled = fitScaler(table.matrix, 'standard').transform(table.matrix);
    const fit = await fitDbscan(scaled, { eps: 0.15, minSamples: 8 });
    expect(doc.clusters).toBe(fit.clusters);
    expect(doc.noise).toBe(fit.noise);
    expect(doc.sizes).toEqual(fit.sizes);
    expect(doc.clusters).toBeGreaterThanOrEqual(2);
    expect(doc.noise).toBeGreaterThan(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,segment');
    expect(lines.length).toBe(1501);
    expect(lines.slice(1).map((l) => Number(l.split(',')[1]))).toEqual(Array.from(fit.labels));
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from(table.ids as Float64Array));
    const image = decodePng(readFileSync(png));
    expect(image.width).toBeGreaterThan(600);
    expect(image.height).toBeGreaterThan(300);
  });

  it('dbscan prints segments, noise and means in original units', async () => {
    const r = await runSegmenta('dbscan', customers, '--features', FEATURES, '--eps', '3', '--min-samples', '5');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DBSCAN eps=3 min-samples=5 on 1,500 customers × 2 features \(scale none, grid search\)/);
    expect(r.stdout).toMatch(/\d+ segments, [\d,]+ unusual customers \(noise, \d+\.\d%\)/);
    expect(r.stdout).toMatch(/segment means \(original units\)/);
  });

  it('hdbscan --out --with-scores --json: labels, GLOSH scores and probabilities as fitHdbscan gives them', async () => {
    const out = join(dir, 'hdbscan.csv');
    const r = await runSegmenta('hdbscan', customers, '--features', FEATURES, '--scale', 'standard', '--min-cluster-size', '25', '--out', out, '--with-scores', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { clusters: number; noise: number; sizes: number[]; minSamples: number; mostUnusual: { id: number; outlierScore: number }[] };
    const table = await readCustomerTable(customers, { features: FEATURES.split(',') });
    const scaled = fitScaler(table.matrix, 'standard').transform(table.matrix);
    const fit = await fitHdbscan(scaled, { minClusterSize: 25 });
    expect(doc.clusters).toBe(fit.clusters);
    expect(doc.sizes).toEqual(fit.sizes);
    expect(doc.noise).toBe(fit.noise);
    expect(doc.minSamples).toBe(25);
    expect(doc.clusters).toBeGreaterThanOrEqual(3);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,outlier_score,probability,segment');
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((c) => c[3])).toEqual(Array.from(fit.labels));
    expect(rows.map((c) => c[1])).toEqual(Array.from(fit.outlierScores));
    expect(rows.map((c) => c[2])).toEqual(Array.from(fit.probabilities));
    // The most unusual customer has the highest score.
    expect(doc.mostUnusual[0]!.outlierScore).toBeCloseTo(Math.max(...fit.outlierScores), 4);
  });

  it.each([
    [['dbscan', '--features', FEATURES], /--eps is required/],
    [['dbscan', '--features', FEATURES, '--eps', '0'], /--eps must be a number > 0, got '0'/],
    [['dbscan', '--features', FEATURES, '--eps', 'abc'], /--eps must be a number >= 0, got 'abc'/],
    [['dbscan', '--features', FEATURES, '--eps', '1', '--min-samples', '0'], /--min-samples must be an integer from 1/],
    [['dbscan', '--features', FEATURES, '--eps', '1', '--plot', 'k.svg'], /--plot names one \.png file, got 'k\.svg'/],
    [['hdbscan', '--features', FEATURES, '--min-cluster-size', '1'], /--min-cluster-size must be an integer from 2/],
    [['hdbscan', '--features', FEATURES, '--with-scores'], /--with-scores needs --out/],
    [['dbscan', '--features', 'Nope', '--eps', '1'], /Nope/],
  ])('%j → one line, exit 2', async (args, message) => {
    const [command, ...rest] = args;
    const r = await runSegmenta(command!, customers, ...rest);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a NaN in the data is one line naming the row and column, and no labels file appears', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,a,b\n1,1,2\n2,3,nan\n3,4,5\n');
    const out = join(dir, 'never.csv');
    const r = await runSegmenta('dbscan', bad, '--features', 'a,b', '--eps', '1', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/row 2/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the k-distance plot in the report', () => {
  it('writeSegmentationReport given a k-distance curve draws it (k-distance.png and its section in the page)', async () => {
    if (!existsSync(customers)) await runSegmenta('generate', '--rows', '1500', '--seed', '5', '--out', customers);
    const table = await readCustomerTable(customers, { features: FEATURES.split(',') });
    const scaled = fitScaler(table.matrix, 'standard').transform(table.matrix);
    const curve = await kDistanceCurve(scaled, { k: 7 });
    const labels = Int32Array.from({ length: table.matrix.rows }, (_, i) => i % 3);
    const out = join(dir, 'report');
    const r = await writeSegmentationReport(out, {
      table,
      labels,
      k: 3,
      kDistance: { k: curve.k, distances: curve.distances, eps: 0.15, knee: curve.knee, rows: curve.rows, sampled: curve.sampled },
    });
    expect(r.charts.map((c) => c.file)).toContain('k-distance.png');
    expect(pngPixelStats(readFileSync(join(out, 'k-distance.png'))).inkShare).toBeGreaterThan(0.01);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('Choosing eps (DBSCAN)');
    expect(html).toMatch(/eps = 0\.15: \d+% core rows/);
  });
});
