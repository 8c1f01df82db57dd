/**
 * HDBSCAN: the same clusters, noise, probabilities and GLOSH outlier scores
 * as the Python `hdbscan` package (when /usr/bin/python3 has it; see
 * test/helpers/python-reference.ts), on Mall and on generated data; hand
 * checks of the algorithm's steps that run everywhere; input checks;
 * cancellation from a timer.
 */
import { describe, expect, it } from 'vitest';
import { AbortedError, SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitHdbscan, heapArgsort, numpyArgsort, type HdbscanResult } from '../src/drivers/density/hdbscan.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { samePartition } from './helpers/partitions.js';
import { runHdbscanReference, runPythonReference, skipSuffix } from './helpers/python-reference.js';

interface Reference {
  /** algorithm='prims_kdtree' */
  labels: number[];
  /** The default algorithm ('best': Borůvka below 61 features). */
  best: number[];
  probabilities: number[];
  outlier_scores: number[];
}

interface Case {
  mcs: number;
  ms?: number;
}

function hdbscanReference(what: string, m: Matrix, cases: Case[]) {
  const X: number[][] = [];
  for (let i = 0; i < m.rows; i++) X.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const script = `
import json, sys
import numpy as np
import hdbscan
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float64)
out = []
for c in d['cases']:
    h = hdbscan.HDBSCAN(min_cluster_size=c['mcs'], min_samples=c.get('ms'), algorithm='prims_kdtree').fit(X)
    b = hdbscan.HDBSCAN(min_cluster_size=c['mcs'], min_samples=c.get('ms')).fit(X)
    out.append({'labels': h.labels_.tolist(), 'probabilities': h.probabilities_.tolist(), 'outlier_scores': h.outlier_scores_.tolist(), 'best': b.labels_.tolist()})
print(json.dumps(out))
`;
  return runHdbscanReference<Reference[]>(`HDBSCAN on ${what}`, script, JSON.stringify({ X, cases }));
}

/** Identical to prims_kdtree; the same partition as the default algorithm wherever the package's own two algorithms agree. */
function expectMatches(fit: HdbscanResult, ref: Reference, label: string): void {
  expect(fit.noise, `${label}: noise`).toBe(ref.labels.filter((l) => l === -1).length);
  expect(Array.from(fit.labels), `${label}: labels`).toEqual(ref.labels);
  const packageAgrees = samePartition(ref.best, ref.labels);
  if (packageAgrees) expect(samePartition(fit.labels, ref.best), `${label}: the default algorithm's partition`).toBe(true);
  else console.info(`hdbscan reference: ${label}: the package's Borůvka ('best') and Prim partitions differ here (ties), so only Prim's is compared`);
  for (let i = 0; i < ref.labels.length; i++) {
    expect(fit.probabilities[i], `${label}: probability of row ${i}`).toBeCloseTo(ref.probabilities[i]!, 12);
    expect(fit.outlierScores[i], `${label}: outlier score of row ${i}`).toBeCloseTo(ref.outlier_scores[i]!, 12);
  }
}

function blobs(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const blob = i % 4;
    const noise = i % 13 === 0;
    for (let j = 0; j < cols; j++) {
      data[i * cols + j] = noise ? rng.nextFloat() * 60 : ((blob * 17 + j * 7) % 40) + rng.nextGaussian() * (1 + blob);
    }
  }
  return { data, rows, cols };
}

describe.skipIf(!HAVE_MALL)(`the hdbscan package on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, async () => {
  const mall = HAVE_MALL ? (await readCustomerTable(MALL_CSV, { features: ['Age', INCOME, SCORE] })).matrix : matrixFromRows([[0]]);
  const scaled = fitScaler(mall, 'standard').transform(mall);
  const cases: Case[] = [{ mcs: 5 }, { mcs: 10 }, { mcs: 15, ms: 5 }];
  const raw = HAVE_MALL ? hdbscanReference('Mall (Age, income, score)', mall, cases) : { reason: MALL_SKIP_REASON };
  const std = HAVE_MALL ? hdbscanReference('Mall standard-scaled', scaled, cases) : { reason: MALL_SKIP_REASON };
  it.skipIf(!raw.value)(`(Age, income, score) as integers: same partition, noise, probabilities and outlier scores${skipSuffix(raw)}`, async () => {
    for (const [i, c] of cases.entries()) expectMatches(await fitHdbscan(mall, { minClusterSize: c.mcs, minSamples: c.ms }), raw.value![i]!, `mcs ${c.mcs}`);
  });
  it.skipIf(!std.value)(`standard-scaled: the same${skipSuffix(std)}`, async () => {
    for (const [i, c] of cases.entries()) expectMatches(await fitHdbscan(scaled, { minClusterSize: c.mcs, minSamples: c.ms }), std.value![i]!, `mcs ${c.mcs}`);
  });
});

describe('the hdbscan package on generated data', () => {
  const customers = generatedFeatureMatrix(generateCustomers({ rows: 1500, seed: 3 }));
  const scaled = fitScaler(customers, 'standard').transform(customers);
  const continuous = blobs(1200, 3, 17);
  const cases: Case[] = [{ mcs: 10 }, { mcs: 25, ms: 8 }];
  const refCustomers = hdbscanReference('1,500 generated customers (standard-scaled)', scaled, cases);
  const refContinuous = hdbscanReference('1,200 continuous rows × 3', continuous, cases);
  it.skipIf(!refCustomers.value)(`1,500 generated customers${skipSuffix(refCustomers)}`, async () => {
    for (const [i, c] of cases.entries()) expectMatches(await fitHdbscan(scaled, { minClusterSize: c.mcs, minSamples: c.ms }), refCustomers.value![i]!, `mcs ${c.mcs}`);
  });
  it.skipIf(!refContinuous.value)(`1,200 continuous rows × 3${skipSuffix(refContinuous)}`, async () => {
    for (const [i, c] of cases.entries()) expectMatches(await fitHdbscan(continuous, { minClusterSize: c.mcs, minSamples: c.ms }), refContinuous.value![i]!, `mcs ${c.mcs}`);
  });
});

describe('HDBSCAN by hand (runs everywhere)', () => {
  it('two groups on a line and one far row: the condensed tree, labels, probabilities and GLOSH worked out by hand', async () => {
    // Core distances (minSamples 1): 1 for the six grouped rows, 18 for row 6 (12 is its nearest).
    // Prim from row 0 adds edges of weight 1, 1, 8, 1, 1, 18; the root splits into {0,1,2} and {3,4,5}
    // at lambda 1/8 after row 6 falls out at lambda 1/18.
    const fit = await fitHdbscan(matrixFromRows([[0], [1], [2], [10], [11], [12], [30]]), { minClusterSize: 2, minSamples: 1 });
    expect(Array.from(fit.coreDistances)).toEqual([1, 1, 1, 1, 1, 1, 18]);
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 1, 1, 1, -1]);
    expect(fit.sizes).toEqual([3, 3]);
    expect(fit.noise).toBe(1);
    expect(Array.from(fit.probabilities)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    // Row 6 leaves the root at 1/18 while the root's subtree lives on to lambda 1: (1 - 1/18) / 1.
    expect(fit.outlierScores[6]).toBeCloseTo(17 / 18, 15);
    expect(Array.from(fit.outlierScores.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    const t = fit.condensedTree;
    // Root 7 → row 6 at 1/18, then clusters 8 and 9 at 1/8, then their rows at lambda 1.
    expect(Array.from(t.parent.subarray(0, 3))).toEqual([7, 7, 7]);
    expect(Array.from(t.child.subarray(0, 3))).toEqual([6, 8, 9]);
    expect(Array.from(t.lambda.subarray(0, 3))).toEqual([1 / 18, 1 / 8, 1 / 8]);
    expect(Array.from(t.childSize.subarray(0, 3))).toEqual([1, 3, 3]);
    // Every data row leaves the tree exactly once.
    const rowsOut = Array.from(t.child).filter((c) => c < 7).sort((a, b) => a - b);
    expect(rowsOut).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('core distances are the minSamples-th nearest other row (brute force in the test), minSamples defaults to minClusterSize and is capped at rows - 1', async () => {
    const m = blobs(300, 2, 5);
    const fit = await fitHdbscan(m, { minClusterSize: 7 });
    expect(fit.minSamples).toBe(7);
    for (const i of [0, 17, 123, 299]) {
      const d: number[] = [];
      for (let j = 0; j < m.rows; j++) {
        if (j === i) continue;
        const dx = m.data[2 * i]! - m.data[2 * j]!;
        const dy = m.data[2 * i + 1]! - m.data[2 * j + 1]!;
        d.push(Math.sqrt(dx * dx + dy * dy));
      }
      d.sort((a, b) => a - b);
      expect(fit.coreDistances[i]).toBe(d[6]);
    }
    const small = await fitHdbscan(matrixFromRows([[0], [1], [2], [3]]), { minClusterSize: 3, minSamples: 50 });
    expect(small.minSamples).toBe(3);
  });

  it('separated groups with scattered outliers: the groups are clusters, the outliers noise with the highest GLOSH scores', async () => {
    const m = blobs(800, 2, 9);
    const fit = await fitHdbscan(m, { minClusterSize: 20 });
    expect(fit.clusters).toBeGreaterThanOrEqual(3);
    let noiseScore = 0;
    let clusteredScore = 0;
    for (let i = 0; i < m.rows; i++) {
      expect(fit.probabilities[i]).toBeGreaterThanOrEqual(0);
      expect(fit.probabilities[i]).toBeLessThanOrEqual(1);
      expect(fit.outlierScores[i]).toBeGreaterThanOrEqual(0);
      expect(fit.outlierScores[i]).toBeLessThanOrEqual(1);
      if (fit.labels[i] === -1) expect(fit.probabilities[i]).toBe(0);
      if (i % 13 === 0) noiseScore += fit.outlierScores[i]!;
      else clusteredScore += fit.outlierScores[i]!;
    }
    const uniform = Math.ceil(m.rows / 13);
    expect(noiseScore / uniform).toBeGreaterThan(2 * (clusteredScore / (m.rows - uniform)));
    expect(fit.sizes.reduce((a, b) => a + b, 0) + fit.noise).toBe(m.rows);
  });

  it('one row: noise; rows fewer than minClusterSize: all noise', async () => {
    const one = await fitHdbscan(matrixFromRows([[1, 2]]));
    expect(Array.from(one.labels)).toEqual([-1]);
    expect(one).toMatchObject({ clusters: 0, noise: 1, sizes: [], minClusterSize: 5, minSamples: 1 });
    expect(Array.from(one.coreDistances)).toEqual([0]);
    const few = await fitHdbscan(matrixFromRows([[0], [1], [2]]), { minClusterSize: 5 });
    expect(few.clusters).toBe(0);
    expect(few.noise).toBe(3);
  });
});

describe("numpyArgsort is numpy 1.24's argsort (ties included)", () => {
  const rng = new SeededRandom(4);
  const arrays: number[][] = [];
  for (const n of [1, 2, 16, 17, 18, 40, 333, 2000]) arrays.push(Array.from({ length: n }, () => Math.floor(rng.nextFloat() * (n < 40 ? 3 : 25))));
  const ref = runPythonReference<{ quick: number[][]; heap: number[][] }>('np.argsort of arrays with many ties', `
import json, sys
import numpy as np
a = json.load(sys.stdin)
print(json.dumps({'quick': [np.argsort(np.array(x, dtype=np.float64)).tolist() for x in a], 'heap': [np.argsort(np.array(x, dtype=np.float64), kind='heapsort').tolist() for x in a]}))
`, JSON.stringify(arrays));
  it(`the same permutation as np.argsort${skipSuffix(ref)}`, () => {
    for (const a of arrays) {
      const t = numpyArgsort(Float64Array.from(a));
      for (let i = 1; i < a.length; i++) expect(a[t[i]!]!).toBeGreaterThanOrEqual(a[t[i - 1]!]!);
    }
    if (!ref.value) return;
    for (const [i, a] of arrays.entries()) expect(Array.from(numpyArgsort(Float64Array.from(a))), `n = ${a.length}`).toEqual(ref.value.quick[i]);
    // The introsort's heapsort fallback is numpy's heapsort, tie order included.
    for (const [i, a] of arrays.entries()) {
      const t = Int32Array.from({ length: a.length }, (_, j) => j);
      heapArgsort(Float64Array.from(a), t, 0, a.length - 1);
      expect(Array.from(t), `heapsort, n = ${a.length}`).toEqual(ref.value.heap[i]);
    }
  });
});

describe('HDBSCAN input checks and cancellation', () => {
  it.each([
    [{ minClusterSize: 1 }, /minClusterSize must be an integer >= 2, got 1/],
    [{ minClusterSize: 2.5 }, /minClusterSize .* got 2.5/],
    [{ minClusterSize: 5, minSamples: 0 }, /minSamples must be an integer >= 1, got 0/],
  ])('%o → INVALID_OPTION', async (options, message) => {
    const e = await fitHdbscan(matrixFromRows([[1], [2], [3]]), options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe('INVALID_OPTION');
    expect((e as SegmentaError).message).toMatch(message);
  });

  it('NaN in the data names the row and feature', async () => {
    const e = await fitHdbscan(matrixFromRows([[1, 2], [3, Number.NaN]])).catch((x: unknown) => x);
    expect((e as SegmentaError).code).toBe('NON_FINITE_VALUE');
    expect((e as SegmentaError).message).toMatch(/row 2, feature 2 is NaN/);
  });

  it('a timer aborts a long fit with AbortedError while timers keep running', async () => {
    const m = blobs(40_000, 3, 1);
    const controller = new AbortController();
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    setTimeout(() => controller.abort(new Error('stop')), 300);
    const started = performance.now();
    try {
      await expect(fitHdbscan(m, { minClusterSize: 10, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    } finally {
      clearInterval(interval);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    // The abort timer could fire only because the fit yields; the interval ran too.
    expect(ticks).toBeGreaterThanOrEqual(1);
  });
});

describe('HDBSCAN by hand: excess of mass, defaults and refusals', () => {
  // Two groups of three (0-2 and 3.5-5.5, 1.5 apart) and a third far group (40-42). minSamples 1: every core distance is 1.
  const rows = matrixFromRows([[0], [1], [2], [3.5], [4.5], [5.5], [40], [41], [42]]);

  it('a parent more stable than its two children is kept (EOM), and the far group is a cluster too', async () => {
    // mcs 3: the root splits at 34.5 into A (six rows) and C (three); A splits at 1.5 into two clusters of 3 whose
    // rows leave at lambda 1. Children: 2 · 3 · (1 − 2/3) = 2; A: 6 · (2/3 − 1/34.5) ≈ 3.83 > 2, so A is kept.
    const fit = await fitHdbscan(rows, { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(fit).toMatchObject({ clusters: 2, noise: 0, sizes: [6, 3], minClusterSize: 3, minSamples: 1 });
    const t = fit.condensedTree;
    // Root 9 → clusters 10 (A) and 11 (C) at 1/34.5; A → 12 and 13 at 1/1.5; then every row at lambda 1.
    expect(Array.from(t.parent.subarray(0, 4))).toEqual([9, 9, 10, 10]);
    expect(Array.from(t.child.subarray(0, 4))).toEqual([10, 11, 12, 13]);
    expect(Array.from(t.lambda.subarray(0, 4))).toEqual([1 / 34.5, 1 / 34.5, 1 / 1.5, 1 / 1.5]);
    expect(Array.from(t.childSize.subarray(0, 4))).toEqual([6, 3, 3, 3]);
    expect(t.parent.length).toBe(13);
    expect(Array.from(t.lambda.subarray(4))).toEqual(new Array(9).fill(1));
    // Every row leaves at lambda 1, the largest lambda in its selected cluster: probability 1, GLOSH 0.
    expect(Array.from(fit.probabilities)).toEqual(new Array(9).fill(1));
    expect(Array.from(fit.outlierScores)).toEqual(new Array(9).fill(0));
  });

  it('children more stable than their parent replace it', async () => {
    // 0-2 and 10-12 (8 apart) under one parent with 40-42: the two close groups' own stabilities
    // 3 · (1 − 1/8) each beat the parent's 6 · (1/8 − 1/28). Clusters are numbered by condensed-tree id, as the
    // package numbers them: the root's split gives the six rows id 10 and the far three 11; the six's split gives 12, 13.
    const fit = await fitHdbscan(matrixFromRows([[0], [1], [2], [10], [11], [12], [40], [41], [42]]), { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(fit.labels)).toEqual([1, 1, 1, 2, 2, 2, 0, 0, 0]);
    expect(fit.sizes).toEqual([3, 3, 3]);
  });

  it('a split with one side too small: its rows fall out and the other side goes on as the same cluster', async () => {
    // mcs 4: the far group of 3 leaves the root at 1/34.5; the six go on as the root, whose split at 1.5 is into
    // two sides of 3: both fall out at 1/1.5. The root is never selected, so every row is noise.
    const fit = await fitHdbscan(rows, { minClusterSize: 4, minSamples: 1 });
    expect(fit).toMatchObject({ clusters: 0, noise: 9, sizes: [] });
    expect(Array.from(fit.labels)).toEqual(new Array(9).fill(-1));
    const t = fit.condensedTree;
    expect(Array.from(t.parent)).toEqual(new Array(9).fill(9));
    expect(t.lambda.filter((l) => l === 1 / 34.5).length).toBe(3);
    expect(t.lambda.filter((l) => l === 1 / 1.5).length).toBe(6);
    expect(Array.from(t.child).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(fit.probabilities)).toEqual(new Array(9).fill(0));
    // GLOSH against the root's largest lambda 1/1.5: the six rows 0, the far rows (2/3 − 1/34.5) / (2/3).
    for (let i = 0; i < 6; i++) expect(fit.outlierScores[i]).toBe(0);
    for (let i = 6; i < 9; i++) expect(fit.outlierScores[i]).toBeCloseTo((1 / 1.5 - 1 / 34.5) / (1 / 1.5), 14);
  });

  it('minClusterSize defaults to 5 and minSamples to it; minSamples is capped at rows − 1 and at least 1', async () => {
    const groups: number[][] = [];
    for (let g = 0; g < 3; g++) for (let r = 0; r < 6; r++) groups.push([g * 100 + r, (r * r) % 5]);
    const m = matrixFromRows(groups);
    const fit = await fitHdbscan(m);
    expect(fit).toMatchObject({ minClusterSize: 5, minSamples: 5, clusters: 3, noise: 0, sizes: [6, 6, 6] });
    expect(await fitHdbscan(m, { minClusterSize: 5, minSamples: 5 })).toMatchObject({ labels: fit.labels, coreDistances: fit.coreDistances });
    // Groups of 4 are below the default minClusterSize: no cluster.
    expect((await fitHdbscan(matrixFromRows(groups.filter((_, i) => i % 6 < 4)))).clusters).toBe(0);
    expect((await fitHdbscan(matrixFromRows([[0], [5]]), { minClusterSize: 2, minSamples: 9 })).minSamples).toBe(1);
    const pair = await fitHdbscan(matrixFromRows([[0], [5]]), { minClusterSize: 2 });
    expect(Array.from(pair.coreDistances)).toEqual([5, 5]);
    expect(pair.clusters).toBe(0);
  });

  it('refusals carry the option and the value; progress names the phases in order', async () => {
    const m = matrixFromRows([[1], [2], [3]]);
    const refusal = async (options: object) => (await fitHdbscan(m, options).catch((e: unknown) => e)) as SegmentaError;
    expect(await refusal({ minClusterSize: 1 })).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'minClusterSize', value: 1 } });
    expect(await refusal({ minSamples: 1.5 })).toMatchObject({ code: 'INVALID_OPTION', message: 'minSamples must be an integer >= 1, got 1.5', details: { option: 'minSamples', value: 1.5 } });
    expect(await refusal('fast' as never)).toMatchObject({ code: 'INVALID_OPTION', message: /fitHdbscan needs an options object/ });
    expect(await refusal({ featureNames: ['income'], minSamples: 1 } as never)).toMatchObject({ labels: expect.any(Int32Array) });
    const named = await fitHdbscan(matrixFromRows([[1], [Number.NaN]]), { featureNames: ['income'] }).catch((e: unknown) => e);
    expect((named as SegmentaError).message).toMatch(/income/);
    expect(await refusal({ signal: AbortSignal.abort() })).toBeInstanceOf(AbortedError);
    const details: string[] = [];
    await fitHdbscan(rows, { minClusterSize: 3, minSamples: 1, onProgress: (e) => e.kind === 'phase' && e.phase === 'hdbscan' && details.push(e.detail ?? '') });
    expect(details.filter((d) => !d.includes('%'))).toEqual(['core distances', 'spanning tree', '2 clusters, 0 noise rows']);
  });
});

describe('HDBSCAN by hand: core distances that differ make the mutual reachability distance', () => {
  it('five rows on a line, minSamples 2: every lambda and GLOSH score worked out', async () => {
    // Second nearest other row: 0 → 3, 1 → 2, 3 → 3, 7 → 6, 15 → 12. Mutual reachability max(core_a, core_b, d):
    // (0,1) 3, (1,3) 3, (3,7) 6, (7,15) 12; so 15 leaves at 1/12, 7 at 1/6 and 0, 1, 3 at 1/3 (no side reaches 2).
    const fit = await fitHdbscan(matrixFromRows([[0], [1], [3], [7], [15]]), { minClusterSize: 2, minSamples: 2 });
    expect(Array.from(fit.coreDistances)).toEqual([3, 2, 3, 6, 12]);
    expect(fit).toMatchObject({ clusters: 0, noise: 5 });
    const t = fit.condensedTree;
    const leaves = new Map(Array.from(t.child).map((c, r) => [c, t.lambda[r]!]));
    expect(Object.fromEntries(leaves)).toEqual({ 0: 1 / 3, 1: 1 / 3, 2: 1 / 3, 3: 1 / 6, 4: 1 / 12 });
    expect(Array.from(t.parent)).toEqual([5, 5, 5, 5, 5]);
    // GLOSH against the root's largest lambda 1/3: (1/3 − lambda) / (1/3).
    expect(fit.outlierScores[4]).toBeCloseTo(0.75, 15);
    expect(fit.outlierScores[3]).toBeCloseTo(0.5, 15);
    expect(Array.from(fit.outlierScores.subarray(0, 3))).toEqual([0, 0, 0]);
  });
});

describe('heapArgsort on a sub-range (the introsort fallback sorts t[pl..pr] only)', () => {
  it('sorts the positions pl..pr by value and leaves the rest of t alone', () => {
    const v = Float64Array.from([5, 3, 9, 1, 7, 2, 8, 2, 6, 0, 4, 3]);
    const t = Int32Array.from({ length: v.length }, (_, i) => i);
    heapArgsort(v, t, 3, 9);
    expect(Array.from(t.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(Array.from(t.subarray(10))).toEqual([10, 11]);
    expect(Array.from(t.subarray(3, 10)).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    const sortedValues = Array.from(t.subarray(3, 10), (i) => v[i]!);
    expect(sortedValues).toEqual([...sortedValues].sort((a, b) => a - b));
  });
});

describe('HDBSCAN by hand: the first merge as a cluster, and a condensed tree longer than its first buffer', () => {
  it('a pair that merges first (single-linkage node n, 2 rows) is a cluster of its own at minClusterSize 2', async () => {
    // 0 and 0.5 merge first (at 0.5); 10, 11, 12 at 1; the root splits at 9.5 into 2 and 3 rows: two leaf clusters.
    const fit = await fitHdbscan(matrixFromRows([[0], [0.5], [10], [11], [12]]), { minClusterSize: 2, minSamples: 1 });
    expect(Array.from(fit.labels)).toEqual([0, 0, 1, 1, 1]);
    expect(fit.sizes).toEqual([2, 3]);
  });

  it('1,100 rows: every row leaves the condensed tree once, and the two groups are the clusters', async () => {
    const rows: number[][] = [];
    for (let i = 0; i < 1100; i++) rows.push([(i % 2) * 1000 + (i >> 1) * 0.01]);
    const fit = await fitHdbscan(matrixFromRows(rows), { minClusterSize: 50, minSamples: 3 });
    const t = fit.condensedTree;
    const leaves = Array.from(t.child).filter((c) => c < 1100).sort((a, b) => a - b);
    expect(leaves).toEqual(Array.from({ length: 1100 }, (_, i) => i));
    expect(fit.clusters).toBe(2);
    expect(fit.sizes).toEqual([550, 550]);
    expect(fit.labels[0]).not.toBe(fit.labels[1]);
  });
});

describe('HDBSCAN by hand: a side of exactly minClusterSize goes on, the other side falls out', () => {
  it.each([
    ['the group first', [[0], [1], [2], [10]], 3],
    ['the lone row first', [[10], [0], [1], [2]], 0],
  ] as const)('%s: the three rows leave at lambda 1, the lone row at 1/8 (GLOSH 7/8)', async (_name, rows, lone) => {
    const fit = await fitHdbscan(matrixFromRows(rows.map((r) => [...r])), { minClusterSize: 3, minSamples: 1 });
    const t = fit.condensedTree;
    const lambdaOf = new Map(Array.from(t.child).map((c, r) => [c, t.lambda[r]!]));
    for (let i = 0; i < 4; i++) expect(lambdaOf.get(i), `row ${i}`).toBe(i === lone ? 1 / 8 : 1);
    expect(fit.outlierScores[lone]).toBeCloseTo(7 / 8, 15);
    expect(fit.noise).toBe(4);
  });
});

describe('HDBSCAN by hand: a kept cluster drops its grandchildren too', () => {
  it.each([
    ['the pair of groups first', [0, 1, 2, 3.5, 4.5, 5.5, 7.5, 8.5, 9.5, 60, 61, 62]],
    ['the single group first', [7.5, 8.5, 9.5, 0, 1, 2, 3.5, 4.5, 5.5, 60, 61, 62]],
  ] as const)('%s', async (_name, xs) => {
    // A = nine rows (born at 1/50.5) splits at 2 into X = {0-2, 3.5-5.5} and G = {7.5-9.5}; X splits at 1.5.
    // X's children (2 · 3 · (1 − 2/3) = 2) beat X (6 · (2/3 − 1/2) = 1); A's 9 · (1/2 − 1/50.5) ≈ 4.32 beats
    // X's 2 plus G's 3 · (1 − 1/2) = 1.5, so A is kept and every cluster under it dropped, grandchildren included.
    const fit = await fitHdbscan(matrixFromRows(xs.map((x) => [x])), { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(fit.sizes).toEqual([9, 3]);
  });
});

describe('HDBSCAN by hand: duplicate rows (distance 0, lambda infinite)', () => {
  it('two groups of three equal rows: clusters, probability 1 and GLOSH 0 (no NaN)', async () => {
    const fit = await fitHdbscan(matrixFromRows([[0], [0], [0], [10], [10], [10]]), { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(fit.coreDistances)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(fit.probabilities)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(fit.outlierScores)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
