/**
 * `segmenta hclust`: JSON fields, --out, the two-stage switch, text output and
 * user errors (exit 2, one line). Runs the CLI in process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

const FEATURES = 'Annual Income (k$),Spending Score (1-100)';
const dir = tempDir('segmenta-hclust-');
const customers = customersFile(dir, 'customers.csv', { rows: 2500, seed: 11 });

describe('segmenta hclust', () => {
  it('--json prints mode, m, sizes, seconds, centroids in original units and the top merges', async () => {
    const r = await runSegmenta('hclust', customers, '--features', FEATURES, '--k', '5', '--scale', 'standard', '--backend', 'js', '--json', '--top-merges', '8');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ backend: 'js', mode: 'exact', m: null, linkage: 'ward', rows: 2500, k: 5, scale: 'standard', features: FEATURES.split(',') });
    expect(doc.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(2500);
    expect(typeof doc.seconds).toBe('number');
    expect(doc.centroids).toHaveLength(5);
    for (const [income] of doc.centroids) expect(income).toBeGreaterThan(10); // k$, not standardised
    expect(doc.dendrogram.leafKind).toBe('row');
    expect(doc.dendrogram.merges).toHaveLength(8);
    expect(doc.dendrogram.merges[7]).toMatchObject({ id: 4998, size: 2500 });
    expect(Object.keys(doc.dendrogram.merges[0]).sort()).toEqual(['distance', 'id', 'left', 'right', 'size']);
    expect(doc.dendrogram.leaves.reduce((a: number, l: { size: number }) => a + l.size, 0)).toBe(2500);
  });

  it('--out writes the first input column then segment, in input order, matching the JSON sizes', async () => {
    const out = join(dir, 'labels.csv');
    const r = await runSegmenta('hclust', customers, '--features', FEATURES, '--k', '4', '--linkage', 'average', '--backend', 'js', '--out', out, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.out).toBe(out);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,segment');
    expect(lines).toHaveLength(2501);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    const counts = [0, 0, 0, 0];
    for (const l of lines.slice(1)) counts[Number(l.split(',')[1])]!++;
    expect(counts).toEqual(doc.sizes);
    expect(lines[1]!.split(',')[1]).toBe('0'); // labels numbered by first occurrence
  });

  it('switches to two-stage above --exact-max-rows and says so (JSON and text)', async () => {
    const j = await runSegmenta('hclust', customers, '--features', FEATURES, '--k', '5', '--backend', 'js', '--exact-max-rows', '1000', '--micro-clusters', '150', '--json');
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ mode: 'two-stage', m: 150 });
    expect(doc.dendrogram.leafKind).toBe('micro-cluster');
    expect(doc.dendrogram.leafCount).toBe(150);
    const t = await runSegmenta('hclust', customers, '--features', FEATURES, '--k', '5', '--backend', 'js', '--mode', 'two-stage', '--micro-clusters', '150');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/mode: two-stage \(m = 150 micro-clusters\)/);
    expect(t.stdout).toMatch(/segment\s+customers\s+share/);
    expect(t.stdout).toMatch(/last merges \(distance, customers\): .*\(2,500\)/);
  });

  it('cuts at --distance-threshold instead of --k', async () => {
    const r = await runSegmenta('hclust', customers, '--features', FEATURES, '--distance-threshold', '1e9', '--backend', 'js', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ k: 1, distanceThreshold: 1e9, sizes: [2500] });
  });

  const errors: [string, () => string[], RegExp][] = [
    ['neither --k nor --distance-threshold', () => ['hclust', customers, '--features', FEATURES], /give exactly one of --k and --distance-threshold/],
    ['both --k and --distance-threshold', () => ['hclust', customers, '--features', FEATURES, '--k', '2', '--distance-threshold', '3'], /exactly one/],
    ['unknown linkage', () => ['hclust', customers, '--features', FEATURES, '--k', '2', '--linkage', 'centroid'], /--linkage must be one of ward, complete, average, single, got 'centroid'/],
    ['unknown mode', () => ['hclust', customers, '--features', FEATURES, '--k', '2', '--mode', 'fast'], /--mode must be auto, exact or two-stage, got 'fast'/],
    ['k = 0', () => ['hclust', customers, '--features', FEATURES, '--k', '0'], /--k must be an integer >= 1, got '0'/],
    ['k above the rows', () => ['hclust', customers, '--features', FEATURES, '--k', '2501', '--backend', 'js'], /k = 2501 is larger than the number of rows \(2500\)/],
    ['bad --micro-clusters', () => ['hclust', customers, '--features', FEATURES, '--k', '2', '--micro-clusters', '1'], /--micro-clusters must be an integer from 2/],
    ['exact complete forced above the bound', () => ['hclust', customers, '--features', FEATURES, '--k', '2', '--linkage', 'complete', '--mode', 'exact', '--exact-max-rows', '100'], /exact complete clustering of 2,500 rows needs a .* distance matrix, above the bound exactMaxRows = 100/],
    ['missing file', () => ['hclust', join(dir, 'nope.csv'), '--features', FEATURES, '--k', '2'], /nope\.csv/],
  ];
  for (const [what, args, message] of errors) {
    it(`${what}: exit 2 and one line`, async () => {
      const r = await runSegmenta(...args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^segmenta: error: /);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe.skipIf(!HAVE_MALL)(`segmenta hclust on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('ward k = 5 gives the sizes 85, 39, 32, 23, 21 in exact mode', async () => {
    const r = await runSegmenta('hclust', MALL_CSV, '--features', FEATURES, '--k', '5', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.mode).toBe('exact');
    expect([...doc.sizes].sort((a: number, b: number) => b - a)).toEqual([85, 39, 32, 23, 21]);
  });
});
