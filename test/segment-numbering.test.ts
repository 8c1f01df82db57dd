/**
 * One numbering everywhere: `kmeans --out`, `hclust --out`, `report` and
 * `demo` give every customer the same segment number for the same partition
 * (segments by descending size, ties by centre), and `--keep-columns` writes
 * the original columns beside the segment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numberSegments } from '../src/results/segment-numbering.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('segmenta-numbering-');
const FEATURES = `${INCOME},${SCORE}`;

/** The segment column of a labels file, by id. */
function segments(path: string): Map<string, number> {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const at = header!.split(',').indexOf('segment');
  return new Map(lines.map((l) => [l.split(',')[0]!, Number(l.split(',')[at])]));
}

async function ok(...args: string[]): Promise<string> {
  const r = await runSegmenta(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('numberSegments', () => {
  it('numbers by descending size, then by ascending centre, then by the clustering label', () => {
    // Labels 0 and 2 have two rows each, labels 1 and 3 one each; label 2's centre is below label 0's, label 3's below label 1's.
    const matrix = { data: new Float32Array([5, 5, 1, 2, 2, 0]), rows: 6, cols: 1 };
    const n = numberSegments([0, 0, 1, 2, 2, 3], 4, matrix);
    expect(n.order).toEqual([2, 0, 3, 1]);
    expect(Array.from(n.labels)).toEqual([1, 1, 3, 0, 0, 2]);
    expect(n.sizes).toEqual([2, 2, 1, 1]);
    expect(n.centres).toEqual([[2], [5], [0], [1]]);
    // Equal sizes and centres: the clustering label decides.
    expect(numberSegments([1, 0], 2, { data: new Float32Array([3, 3]), rows: 2, cols: 1 }).order).toEqual([0, 1]);
    // Scaling by a positive factor keeps the numbering.
    const scaled = { ...matrix, data: matrix.data.map((v) => v * 0.1 - 3) };
    expect(numberSegments([0, 0, 1, 2, 2, 3], 4, scaled).labels).toEqual(n.labels);
  });
});

describe.skipIf(!HAVE_MALL)(`one numbering across commands on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('kmeans --out, hclust --out and report give every Mall customer the same segment for the same partition', async () => {
    // At k = 3 on standard-scaled income and spending, average linkage finds K-Means' partition exactly.
    const common = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js'];
    await ok('kmeans', MALL_CSV, ...common, '--k', '3', '--seed', '42', '--out', join(dir, 'km3.csv'));
    await ok('hclust', MALL_CSV, ...common, '--k', '3', '--linkage', 'average', '--out', join(dir, 'hc3.csv'));
    await ok('report', MALL_CSV, ...common, '--k', '3', '--seed', '42', '--no-dendrogram', '--out', join(dir, 'report3'));
    const km = segments(join(dir, 'km3.csv'));
    expect(km.size).toBe(200);
    expect([...segments(join(dir, 'hc3.csv'))]).toEqual([...km]);
    expect([...segments(join(dir, 'report3', 'labels.csv'))]).toEqual([...km]);
    // Segment 0 is the largest.
    const sizes = [0, 1, 2].map((s) => [...km.values()].filter((v) => v === s).length);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('at k = 5 kmeans --out and the report agree for all 200 customers; Ward numbers its segments the same way', async () => {
    const common = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js'];
    await ok('kmeans', MALL_CSV, ...common, '--k', '5', '--seed', '42', '--out', join(dir, 'km5.csv'));
    await ok('report', MALL_CSV, ...common, '--seed', '42', '--no-dendrogram', '--out', join(dir, 'report5'));
    await ok('hclust', MALL_CSV, ...common, '--k', '5', '--out', join(dir, 'hc5.csv'));
    const km = segments(join(dir, 'km5.csv'));
    expect([...segments(join(dir, 'report5', 'labels.csv'))]).toEqual([...km]);
    // Ward's partition differs from K-Means' by a few customers; each Ward segment carries the number of the K-Means segment it matches.
    const hc = segments(join(dir, 'hc5.csv'));
    const same = [...km].filter(([id, s]) => hc.get(id) === s).length;
    expect(same).toBeGreaterThanOrEqual(195);
  });

  it('--keep-columns writes every original column in file order, then the segment', async () => {
    const out = join(dir, 'kept.csv');
    await ok('kmeans', MALL_CSV, '--features', FEATURES, '--k', '5', '--scale', 'standard', '--seed', '42', '--backend', 'js', '--out', out, '--keep-columns');
    const written = readFileSync(out, 'utf8').trim().split('\n');
    const original = readFileSync(MALL_CSV, 'utf8').trim().split(/\r?\n/);
    expect(written[0]).toBe(`${original[0]},segment`);
    expect(written).toHaveLength(original.length);
    const km = segments(join(dir, 'km5.csv'));
    for (let i = 1; i < original.length; i++) expect(written[i]).toBe(`${original[i]},${km.get(original[i]!.split(',')[0]!)}`);
    // hclust takes the flag too.
    await ok('hclust', MALL_CSV, '--features', FEATURES, '--k', '5', '--scale', 'standard', '--backend', 'js', '--out', join(dir, 'hc-kept.csv'), '--keep-columns');
    expect(readFileSync(join(dir, 'hc-kept.csv'), 'utf8').split('\n')[0]).toBe(`${original[0]},segment`);
  });
});

describe('one numbering: the demo', () => {
  it("the demo's report numbers generated customers as kmeans --out and hclust --out do on the same file", async () => {
    const demoOut = join(dir, 'demo');
    const stdout = await ok('demo', '--rows', '2000', '--seed', '42', '--backend', 'js', '--out', demoOut);
    const k = /Segments at k = (\d+)/.exec(stdout)![1]!;
    const file = join(dir, 'generated.csv');
    await ok('generate', '--rows', '2000', '--seed', '42', '--out', file);
    const common = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js', '--k', k];
    await ok('kmeans', file, ...common, '--seed', '42', '--out', join(dir, 'gen-km.csv'));
    // Average linkage finds the same partition on these well-separated segments.
    await ok('hclust', file, ...common, '--linkage', 'average', '--out', join(dir, 'gen-hc.csv'));
    const demo = segments(join(demoOut, 'labels.csv'));
    expect(demo.size).toBe(2000);
    expect([...segments(join(dir, 'gen-km.csv'))]).toEqual([...demo]);
    expect([...segments(join(dir, 'gen-hc.csv'))]).toEqual([...demo]);
  });
});
