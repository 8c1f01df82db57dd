/**
 * Quality metrics against scikit-learn's definitions: small cases computed by
 * hand, then (when /usr/bin/python3 has scikit-learn) random data checked
 * against sklearn.metrics itself.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPythonReference, skipSuffix, type PythonResult } from './helpers/python-reference.js';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { SLICE_MS } from '../src/common/time-slice.js';
import {
  adjustedRandIndex,
  calinskiHarabasz,
  clusterMeans,
  compactLabels,
  daviesBouldin,
  evaluatePartition,
  sampleIndices,
  silhouetteSamples,
  silhouetteScore,
  withinClusterSumOfSquares,
} from '../src/metrics/cluster-metrics.js';

/** Expects `fn` to throw, or to return a promise that rejects, with a SegmentaError of `code`. */
async function expectCode(fn: () => unknown, code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SegmentaError);
  expect((caught as SegmentaError).code).toBe(code);
  if (message) expect((caught as SegmentaError).message).toMatch(message);
}

// Two pairs on a line: {0, 1} and {10, 11}.
const pairs = matrixFromRows([[0], [1], [10], [11]]);
const pairLabels = [0, 0, 1, 1];

describe('adjusted Rand index (sklearn.metrics.adjusted_rand_score)', () => {
  it('hand-computed pair counts', async () => {
    // [0,0,1,1] vs [0,0,1,2]: 6 pairs; together in both: 1 (0-1); only in a: 1 (2-3); only in b: 0; apart in both: 4.
    // ARI = 2(tp·tn − fn·fp)/((tp+fn)(fn+tn) + (tp+fp)(fp+tn)) on ordered pairs = 2(2·8 − 2·0)/((4)(10) + (2)(8)) = 32/56 = 4/7.
    expect(await adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 15);
    expect(await adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(4 / 7, 15);
    expect(await adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 15);
    expect(await adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
  });

  it('is 1 for the same partition under any renaming, and for empty input', async () => {
    expect(await adjustedRandIndex([0, 0, 1, 1, 2], [7, 7, -3, -3, 9])).toBe(1);
    expect(await adjustedRandIndex(Int32Array.from([1, 2, 3]), [3, 2, 1])).toBe(1);
    expect(await adjustedRandIndex([], [])).toBe(1);
  });

  it('is exact for large counts (BigInt pair counts)', async () => {
    const n = 3_000_000;
    const a = new Int32Array(n);
    const b = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = i % 2;
      b[i] = i < n - 1 ? i % 2 : 1 - (i % 2); // one row moved
    }
    const ari = await adjustedRandIndex(a, b);
    expect(ari).toBeLessThan(1);
    expect(ari).toBeGreaterThan(0.999998);
  });

  it('rejects labelings of different lengths', async () => {
    await expectCode(() => adjustedRandIndex([0, 1], [0]), 'SHAPE_MISMATCH', /2 labels against 1/);
  });
});

describe('silhouette, Calinski-Harabasz, Davies-Bouldin: hand-computed', () => {
  it('silhouette of two pairs: rows 0 and 11 get 9.5/10.5, rows 1 and 10 get 8.5/9.5', async () => {
    const s = await silhouetteSamples(pairs, pairLabels);
    expect(s[0]).toBeCloseTo(9.5 / 10.5, 14);
    expect(s[1]).toBeCloseTo(8.5 / 9.5, 14);
    expect(s[2]).toBeCloseTo(8.5 / 9.5, 14);
    expect(s[3]).toBeCloseTo(9.5 / 10.5, 14);
    const score = await silhouetteScore(pairs, pairLabels);
    expect(score).toEqual({ score: expect.any(Number), sampled: false, sampleSize: 4, rows: 4 });
    expect(score.score).toBeCloseTo((9.5 / 10.5 + 8.5 / 9.5) / 2, 14);
  });

  it('silhouette with unequal clusters {0, 1, 2} and {10, 11}: the mean over rows, not over clusters', async () => {
    // a = mean distance to the other rows of the own cluster (n_c − 1 of them), b = mean distance to the other cluster:
    // row 0: a = (1 + 2)/2 = 1.5, b = (10 + 11)/2 = 10.5 → 9/10.5;   row 1: a = 1, b = 9.5 → 8.5/9.5
    // row 2: a = 1.5, b = 8.5 → 7/8.5;   row 10: a = 1, b = (10 + 9 + 8)/3 = 9 → 8/9;   row 11: a = 1, b = 10 → 9/10
    const m = matrixFromRows([[0], [1], [2], [10], [11]]);
    const labels = [4, 4, 4, 7, 7];
    const want = [9 / 10.5, 8.5 / 9.5, 7 / 8.5, 8 / 9, 9 / 10];
    const s = await silhouetteSamples(m, labels);
    want.forEach((w, i) => expect(s[i], `row ${i}`).toBeCloseTo(w, 14));
    const perRow = want.reduce((t, v) => t + v, 0) / 5;
    const perCluster = ((want[0]! + want[1]! + want[2]!) / 3 + (want[3]! + want[4]!) / 2) / 2;
    expect(Math.abs(perRow - perCluster)).toBeGreaterThan(1e-3); // the two means really differ here
    expect((await silhouetteScore(m, labels)).score).toBeCloseTo(perRow, 14);
    expect((await evaluatePartition(m, labels)).silhouette.score).toBeCloseTo(perRow, 14);
  });

  it('silhouette is 0 for a row alone in its cluster (scikit-learn convention)', async () => {
    const s = await silhouetteSamples(matrixFromRows([[0], [1], [10]]), [0, 0, 1]);
    expect(Array.from(s)).toEqual([expect.closeTo(0.9, 14), expect.closeTo(8 / 9, 14), 0]);
  });

  it('Calinski-Harabasz: between 100, within 1, (n − k)/(k − 1) = 2 → 200; 1 when WCSS is 0', async () => {
    expect(await calinskiHarabasz(pairs, pairLabels)).toBeCloseTo(200, 12);
    expect(await calinskiHarabasz(matrixFromRows([[0], [0], [5], [5]]), [0, 0, 1, 1])).toBe(1);
  });

  it('Davies-Bouldin: (0.5 + 0.5)/10 = 0.1; 0 when every cluster is a point', async () => {
    expect(await daviesBouldin(pairs, pairLabels)).toBeCloseTo(0.1, 14);
    expect(await daviesBouldin(matrixFromRows([[0], [0], [5], [5]]), [0, 0, 1, 1])).toBe(0);
    // Three clusters: the worst ratio per cluster is taken.
    const three = matrixFromRows([[0], [2], [10], [12], [30], [34]]);
    // s = 1, 1, 2; centres 1, 11, 32: cluster0 max((1+1)/10, (1+2)/31) = 0.2; cluster1 max(0.2, 3/21); cluster2 max(3/31, 3/21)
    expect(await daviesBouldin(three, [0, 0, 1, 1, 2, 2])).toBeCloseTo((0.2 + 0.2 + 3 / 21) / 3, 14);
  });

  it('WCSS and cluster means in float64, labels compacted by first occurrence', async () => {
    expect(await withinClusterSumOfSquares(pairs, [5, 5, 2, 2])).toBeCloseTo(1, 14);
    const cm = await clusterMeans(pairs, [5, 5, 2, 2]);
    expect(Array.from(cm.means)).toEqual([0.5, 10.5]);
    expect(cm.original).toEqual([5, 2]);
    expect(Array.from(compactLabels([7, 7, 3, 9, 3]).labels)).toEqual([0, 0, 1, 2, 1]);
  });

  it('needs 2 to n − 1 clusters and one label per row', async () => {
    await expectCode(() => silhouetteScore(pairs, [0, 0, 0, 0]), 'INVALID_K', /silhouette needs between 2 and rows - 1 = 3 distinct labels, got 1/);
    await expectCode(() => calinskiHarabasz(pairs, [0, 1, 2, 3]), 'INVALID_K', /got 4/);
    await expectCode(() => daviesBouldin(pairs, [0, 0, 0, 0]), 'INVALID_K');
    await expectCode(() => evaluatePartition(pairs, [0, 1, 0]), 'SHAPE_MISMATCH', /3 labels for 4 rows: give one label per row/);
    await expectCode(() => compactLabels([0, 1.5]), 'INVALID_OPTION', /labels must be integers, got 1.5 at row 2/);
  });
});

function blobs(rows: number, seed: number): { m: Matrix; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * 3);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = rng.nextInt(4);
    labels[i] = c;
    for (let j = 0; j < 3; j++) data[i * 3 + j] = c * (j + 1) * 2 + rng.nextGaussian();
  }
  return { m: { data, rows, cols: 3 }, labels };
}

describe('sampled silhouette', () => {
  it('samples above maxExactRows, states the sample size, is seeded, and stays close to the exact score', async () => {
    const { m, labels } = blobs(3000, 4);
    const exact = await silhouetteScore(m, labels);
    expect(exact.sampled).toBe(false);
    const a = await silhouetteScore(m, labels, { maxExactRows: 1000, sampleSize: 800, seed: 5 });
    const b = await silhouetteScore(m, labels, { maxExactRows: 1000, sampleSize: 800, seed: 5 });
    const c = await silhouetteScore(m, labels, { maxExactRows: 1000, sampleSize: 800, seed: 6 });
    expect(a).toEqual({ score: b.score, sampled: true, sampleSize: 800, rows: 3000 });
    expect(c.score).not.toBe(a.score);
    expect(Math.abs(a.score - exact.score)).toBeLessThan(0.03);
    const ids = sampleIndices(3000, 800, 5);
    expect(new Set(ids).size).toBe(800);
    expect(ids.every((v, i) => i === 0 || v > ids[i - 1]!)).toBe(true);
  });
});

/** The metrics computed by scikit-learn on the same data, when /usr/bin/python3 has it. */
function sklearnMetrics(m: Matrix, a: Int32Array, b: Int32Array): PythonResult<Record<string, number>> {
  const data = JSON.stringify({ X: Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))), a: Array.from(a), b: Array.from(b) });
  const script = `
import json, sys, numpy as np
from sklearn import metrics
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float64)
print(json.dumps({'ari': metrics.adjusted_rand_score(d['a'], d['b']), 'silhouette': metrics.silhouette_score(X, d['b']),
  'ch': metrics.calinski_harabasz_score(X, d['b']), 'db': metrics.davies_bouldin_score(X, d['b'])}))
`;
  return runPythonReference('sklearn.metrics (ARI, silhouette, CH, DB) on random blobs', script, data);
}

describe('against scikit-learn itself on random blobs', () => {
  const { m, labels } = blobs(700, 12);
  const noisy = Int32Array.from(labels, (l, i) => (i % 7 === 0 ? (l + 1) % 4 : l));
  const ref = sklearnMetrics(m, labels, noisy);
  it.skipIf(!ref.value)(`ARI, silhouette, CH and DB match sklearn.metrics${skipSuffix(ref)}`, async () => {
    const values = ref.value!;
    expect(await adjustedRandIndex(labels, noisy)).toBeCloseTo(values.ari!, 12);
    // sklearn's euclidean_distances uses the |x|² − 2x·y + |y|² expansion: agree to ~1e-9.
    expect((await silhouetteScore(m, noisy)).score).toBeCloseTo(values.silhouette!, 8);
    expect((await calinskiHarabasz(m, noisy)) / values.ch!).toBeCloseTo(1, 10);
    expect(await daviesBouldin(m, noisy)).toBeCloseTo(values.db!, 10);
  });
});

describe('ARI with many labels (sparse contingency table) against scikit-learn', () => {
  // 2,500 × 2,500 labels: more than the 4,000,000 cells of the dense table, so the sparse map counts the pairs.
  const n = 6000;
  const rng = new SeededRandom(31);
  const a = Int32Array.from({ length: n }, () => rng.nextInt(2500));
  const b = Int32Array.from(a, (v, i) => (i % 5 === 0 ? rng.nextInt(2500) : (v * 7) % 2500));
  const ref = runPythonReference<number>(
    'sklearn.metrics.adjusted_rand_score with 2,500 labels',
    `
import json, sys
from sklearn import metrics
d = json.load(sys.stdin)
print(json.dumps(metrics.adjusted_rand_score(d['a'], d['b'])))
`,
    JSON.stringify({ a: Array.from(a), b: Array.from(b) }),
  );
  it.skipIf(ref.value === undefined)(`equals adjusted_rand_score${skipSuffix(ref)}`, async () => {
    expect(new Set(a).size * new Set(b).size).toBeGreaterThan(4_000_000);
    expect(await adjustedRandIndex(a, b)).toBeCloseTo(ref.value!, 12);
    expect(await adjustedRandIndex(b, a)).toBeCloseTo(ref.value!, 12);
    expect(await adjustedRandIndex(a, a)).toBe(1);
  });
});

describe('metric edges: exact/sampled bounds, option checks, details, evaluatePartition', () => {
  const { m, labels } = blobs(300, 21);

  it('the silhouette is exact up to and including maxExactRows, and when sampleSize covers every row', async () => {
    expect(await silhouetteScore(m, labels, { maxExactRows: 300, sampleSize: 100 })).toMatchObject({ sampled: false, sampleSize: 300, rows: 300 });
    expect(await silhouetteScore(m, labels, { maxExactRows: 299, sampleSize: 300 })).toMatchObject({ sampled: false, sampleSize: 300 });
    const sampled = await silhouetteScore(m, labels, { maxExactRows: 299, sampleSize: 299 });
    expect(sampled).toMatchObject({ sampled: true, sampleSize: 299, rows: 300 });
    expect(sampled.score).not.toBe((await silhouetteScore(m, labels)).score);
    // the sample's score is the exact score of the sampled rows
    const ids = sampleIndices(300, 299, 0);
    const sub = { data: new Float32Array(299 * 3), rows: 299, cols: 3 };
    ids.forEach((i, q) => sub.data.set(m.data.subarray(i * 3, i * 3 + 3), q * 3));
    expect(sampled.score).toBe((await silhouetteScore(sub, Array.from(ids, (i) => labels[i]!))).score);
    // the default seed is 0
    expect((await silhouetteScore(m, labels, { maxExactRows: 100, sampleSize: 150, seed: 0 })).score).toBe((await silhouetteScore(m, labels, { maxExactRows: 100, sampleSize: 150 })).score);
  });

  it('rejects sampling options below 2, naming the option and value', async () => {
    for (const [name, options] of [
      ['maxExactRows', { maxExactRows: 1 }],
      ['sampleSize', { sampleSize: 1.5 }],
    ] as const) {
      await expectCode(() => silhouetteScore(m, labels, options), 'INVALID_OPTION', new RegExp(`^${name} must be an integer >= 2, got ${Object.values(options)[0]}$`));
    }
  });

  it('errors carry their details', async () => {
    const caught = async (fn: () => unknown): Promise<SegmentaError> => {
      try {
        await fn();
      } catch (e) {
        return e as SegmentaError;
      }
      throw new Error('did not throw');
    };
    expect((await caught(() => silhouetteScore(pairs, [0, 0, 0, 0]))).details).toEqual({ metric: 'silhouette', k: 1, rows: 4 });
    expect((await caught(() => clusterMeans(pairs, [0, 1]))).details).toEqual({ labels: 2, rows: 4 });
    expect((await caught(() => clusterMeans(pairs, [0, 1]))).message).toBe('2 labels for 4 rows: give one label per row');
    expect((await caught(() => adjustedRandIndex([0, 1], [0]))).details).toEqual({ a: 2, b: 1 });
    expect((await caught(() => compactLabels([3, Number.NaN]))).details).toEqual({ row: 2, value: Number.NaN });
    expect((await caught(() => calinskiHarabasz(pairs, [0, 1, 2, 3]))).message).toBe('Calinski-Harabasz needs between 2 and rows - 1 = 3 distinct labels, got 4');
    expect((await caught(() => daviesBouldin(pairs, [0, 0, 0, 0]))).message).toBe('Davies-Bouldin needs between 2 and rows - 1 = 3 distinct labels, got 1');
    // k = n - 1 is allowed
    expect(await calinskiHarabasz(pairs, [0, 0, 1, 2])).toBeGreaterThan(0);
  });

  it('sampling options of exactly 2 are accepted; a bad one names the option and value in its details', async () => {
    expect(await silhouetteScore(m, labels, { maxExactRows: 2, sampleSize: 300 })).toMatchObject({ sampled: false, sampleSize: 300 });
    expect(await silhouetteScore(m, labels, { maxExactRows: 300, sampleSize: 2 })).toMatchObject({ sampled: false, sampleSize: 300 });
    const e = await silhouetteScore(m, labels, { sampleSize: 1 }).then(
      () => null,
      (error: unknown) => error as SegmentaError,
    );
    expect(e?.details).toEqual({ option: 'sampleSize', value: 1 });
  });

  it('silhouette of rows that coincide with another cluster\'s rows (a = b = 0) is 0, not NaN (scikit-learn)', async () => {
    const s = await silhouetteSamples(matrixFromRows([[0], [0], [0], [0]]), [0, 0, 1, 1]);
    expect(Array.from(s)).toEqual([0, 0, 0, 0]);
  });

  it('evaluatePartition: k, sizes in first-occurrence order, WCSS and the three scores', async () => {
    const q = await evaluatePartition(matrixFromRows([[0], [1], [2], [10], [11]]), [7, 7, 7, 3, 3]);
    expect(q.k).toBe(2);
    expect(q.sizes).toEqual([3, 2]);
    expect(q.wcss).toBeCloseTo(2 + 0.5, 14);
    expect(q.silhouette.sampled).toBe(false);
    // CH: overall mean 4.8; between = 3·(1 − 4.8)² + 2·(10.5 − 4.8)² = 43.32 + 64.98 = 108.3; within 2.5; (n − k)/(k − 1) = 3
    expect(q.calinskiHarabasz).toBeCloseTo((108.3 * 3) / 2.5, 10);
    // DB: s = (1 + 0 + 1)/3, (0.5 + 0.5)/2; centres 1 and 10.5
    expect(q.daviesBouldin).toBeCloseTo((2 / 3 + 0.5) / 9.5, 14);
    await expectCode(() => evaluatePartition(pairs, [0, 0, 0, 0]), 'INVALID_K', /the quality metrics needs between 2 and rows - 1 = 3 distinct labels, got 1/);
  });

  it('Davies-Bouldin skips coinciding centres (scikit-learn: ratio 0) and is 0 when all spreads vanish', async () => {
    // clusters 0 and 1 share the centre 0.5; cluster 2 is at 10.5
    const m3 = matrixFromRows([[0], [1], [0.5], [0.5], [10], [11]]);
    const db = await daviesBouldin(m3, [0, 0, 1, 1, 2, 2]);
    // s = 0.5, 0, 0.5; d(0,2) = d(1,2) = 10: worst ratios 1/10, 0.5/10, 1/10
    expect(db).toBeCloseTo((0.1 + 0.05 + 0.1) / 3, 14);
    expect(await daviesBouldin(matrixFromRows([[1], [1], [4], [4], [9], [9]]), [0, 0, 1, 1, 2, 2])).toBe(0);
  });

  it('Davies-Bouldin is 0 when every spread is within 1e-8 of 0 (scikit-learn\'s allclose), not only exactly 0', async () => {
    // cluster 0 spreads 1e-10 around 1e-10, cluster 1 sits at 5: the ratio would be 2e-11
    expect(await daviesBouldin(matrixFromRows([[0], [2e-10], [5], [5]]), [0, 0, 1, 1])).toBe(0);
    // a spread of 1e-6 is above the threshold: the plain ratio (1e-6 + 0) / 5
    expect(await daviesBouldin(matrixFromRows([[0], [2e-6], [5], [5]]), [0, 0, 1, 1])).toBeCloseTo(2e-7, 12);
  });
});

/** The adjusted Rand index by scikit-learn's combinatorial formula (pairs C(x, 2) from the contingency table), in doubles. */
function ariByCombinations(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const c2 = (x: number): number => (x * (x - 1)) / 2;
  const count = (keys: string[]): number[] => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m.values()];
  };
  const rows = Array.from({ length: a.length }, (_, i) => i);
  const sumCells = count(rows.map((i) => `${a[i]},${b[i]}`)).reduce((t, x) => t + c2(x), 0);
  const sumA = count(rows.map((i) => `${a[i]}`)).reduce((t, x) => t + c2(x), 0);
  const sumB = count(rows.map((i) => `${b[i]}`)).reduce((t, x) => t + c2(x), 0);
  const expected = (sumA * sumB) / c2(a.length);
  return (sumCells - expected) / ((sumA + sumB) / 2 - expected);
}

describe('ARI with more than 4,000,000 label pairs (the sparse contingency table), without scikit-learn', () => {
  it('equals the combinatorial formula, both ways round', async () => {
    // 2,100 rows. a: rows 0..19 in pairs (10 labels), the rest alone (2,080); b: rows 0..29 in threes (10), the rest alone (2,070).
    // 2,090 × 2,080 = 4,347,200 label pairs. Pairs together: 10 in a, 30 in b, 7 in both ({0,1}, {4,5}, {6,7}, {10,11}, {12,13}, {16,17}, {18,19}).
    const n = 2100;
    const a = Int32Array.from({ length: n }, (_, i) => (i < 20 ? Math.floor(i / 2) : 1000 + 7 * i));
    const b = Int32Array.from({ length: n }, (_, i) => (i < 30 ? -1 - Math.floor(i / 3) : 5 * i));
    expect(new Set(a).size * new Set(b).size).toBe(4_347_200);
    const want = ariByCombinations(a, b);
    const expectedIndex = (10 * 30) / ((n * (n - 1)) / 2);
    expect(want).toBeCloseTo((7 - expectedIndex) / ((10 + 30) / 2 - expectedIndex), 14);
    expect(await adjustedRandIndex(a, b)).toBeCloseTo(want, 14);
    expect(await adjustedRandIndex(b, a)).toBeCloseTo(want, 14);
  });

  it('65,537 × 65,536 labels (over 2^32 label pairs, more than a typed array holds) need no dense table of every pair', async () => {
    // The size that makes a table of every label pair impossible; about 0.4 s, the slowest test of this file.
    const m = 65_537;
    const x = Int32Array.from({ length: m }, (_, i) => i);
    const y = Int32Array.from({ length: m }, (_, i) => (i === 1 ? 0 : i)); // rows 0 and 1 together in y only: 65,536 labels
    // No pair is together in x, one in y: by the combinatorial formula, sumCells = sumA = 0, so ARI = 0 / (1/2) = 0.
    expect(await adjustedRandIndex(x, y)).toBe(0);
  });
});

describe('progress of the silhouette and of evaluatePartition', () => {
  it('silhouette: one metrics event, then one event as the pairs done pass each twentieth of the n(n − 1)/2 pairs', async () => {
    const n = 200;
    const m = { data: Float32Array.from({ length: n }, (_, i) => i), rows: n, cols: 1 };
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 120 ? 0 : 1));
    const events: ProgressEvent[] = [];
    await silhouetteSamples(m, labels, { onProgress: (e) => events.push(e) });
    // Row i pairs with the n − 1 − i rows after it; the pairs done before row i are i(n − 1) − i(i − 1)/2.
    // Event t is reported at the first row whose pairs done before it reach t/20 of all pairs.
    const pairs = (n * (n - 1)) / 2;
    const doneBefore = (i: number): number => i * (n - 1) - (i * (i - 1)) / 2;
    const rows: number[] = [];
    for (let t = 1; t <= 20; t++) {
      let i = 0;
      while (20 * doneBefore(i) < t * pairs) i++;
      rows.push(i);
    }
    expect(new Set(rows).size).toBe(20); // a row covers under 1 % of the pairs here: twenty distinct rows
    expect(rows[19]).toBe(n - 1); // the last twentieth is passed when only the last row is left
    expect(events).toEqual([
      { kind: 'phase', phase: 'metrics', detail: 'silhouette on 200 rows' },
      ...rows.map((i) => ({ kind: 'phase', phase: 'silhouette', detail: `${i} of 200 rows` })),
    ]);
  });

  it('evaluatePartition names each metric as it starts; on 6 rows every row after the first reports (one event a row at most)', async () => {
    const events: ProgressEvent[] = [];
    await evaluatePartition(matrixFromRows([[0], [1], [2], [10], [11], [13]]), [0, 0, 0, 1, 1, 1], { onProgress: (e) => events.push(e) });
    // 15 pairs, a twentieth is 0.75 pairs; before row 1 the 5 pairs of row 0 are done, six twentieths at once:
    // from there each row reports once, rows 1 to 5 (row 6 does not exist).
    const phase = (p: string, detail: string): ProgressEvent => ({ kind: 'phase', phase: p, detail });
    expect(events).toEqual([
      phase('metrics', 'WCSS on 6 rows'),
      phase('metrics', 'silhouette on 6 rows'),
      ...[1, 2, 3, 4, 5].map((i) => phase('silhouette', `${i} of 6 rows`)),
      phase('metrics', 'Calinski-Harabasz on 6 rows'),
      phase('metrics', 'Davies-Bouldin on 6 rows'),
    ]);
  });

  it('a matrix that is not one is refused under the name "data"', async () => {
    await expectCode(() => withinClusterSumOfSquares(null as unknown as Matrix, [0, 1]), 'INVALID_DATA', /^data must be a matrix \{ data: Float32Array, rows, cols \}, got null/);
  });
});

describe('time slicing: every pass hands the event loop over when its slice is used up', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * Runs `call` on a clock where every check finds the slice used up (each
   * performance.now() reads SLICE_MS later than the one before: the slowest
   * machine), and counts the turns of the event loop while it runs with a
   * setImmediate chain started before the call.
   */
  async function turnsWhileRunning(call: () => Promise<unknown>): Promise<number> {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += SLICE_MS));
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      if (!ticking) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    try {
      await call();
    } finally {
      ticking = false;
      vi.restoreAllMocks();
    }
    return turns;
  }

  // Six rows in two clusters with spread: each pass below covers under 4,096 rows or clusters, so it pauses once.
  const six = matrixFromRows([[0], [1], [3], [10], [11], [14]]);
  const sixLabels = [0, 0, 0, 1, 1, 1];

  it.each([
    // [metric, call, pauses: one per pass over the rows or the clusters, plus one per silhouette row and per Davies-Bouldin cluster twice]
    ['clusterMeans (labels renumbered, sums)', () => clusterMeans(six, sixLabels), 2],
    ['withinClusterSumOfSquares (+ the squares)', () => withinClusterSumOfSquares(six, sixLabels), 3],
    ['calinskiHarabasz (labels, sums, overall mean, clusters, squares)', () => calinskiHarabasz(six, sixLabels), 5],
    ['daviesBouldin (labels, sums, spreads, 2 × 2 clusters)', () => daviesBouldin(six, sixLabels), 3 + 2 * 2],
    ['silhouetteSamples (labels, its metrics event, 6 rows, coefficients)', () => silhouetteSamples(six, sixLabels), 3 + 6],
    ['silhouetteScore, exact (+ the mean)', () => silhouetteScore(six, sixLabels), 4 + 6],
    ['silhouetteScore on a sample of 5 (the copy, then the silhouette of 5 rows and its mean)', () => silhouetteScore(six, sixLabels, { maxExactRows: 2, sampleSize: 5 }), 1 + 4 + 5],
    ['adjustedRandIndex, dense table (two labelings, the counts, the table)', () => adjustedRandIndex(sixLabels, [0, 1, 0, 1, 2, 2]), 4],
    [
      'adjustedRandIndex, sparse table (2,001 × 2,001 labels)',
      () => adjustedRandIndex(Int32Array.from({ length: 2001 }, (_, i) => i), Int32Array.from({ length: 2001 }, (_, i) => 2000 - i)),
      4,
    ],
    ['withinClusterSumOfSquares on 4,097 rows (each pass pauses at rows 0 and 4,096)', () => withinClusterSumOfSquares({ data: new Float32Array(4097), rows: 4097, cols: 1 }, Int32Array.from({ length: 4097 }, (_, i) => i % 2)), 3 * 2],
  ] as const)('%s', async (_name, call, pauses) => {
    expect(await turnsWhileRunning(call)).toBeGreaterThanOrEqual(pauses);
  });
});
