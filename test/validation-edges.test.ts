/**
 * scikit-learn's estimator-check edges on every public entry point that takes
 * data (readers aside; they have their own tests): no rows, no columns, NaN,
 * ±Infinity, data of the wrong length, labels of the wrong length. Each must
 * throw a SegmentaError with the expected `code` and a message naming the
 * values. docs/validation.md lists the same table.
 */
import { describe, expect, it } from 'vitest';
import {
  SegmentaError,
  KMeansModel,
  compareClusterings,
  findElbow,
  fitAgglomerative,
  fitKMeans,
  fitKPrototypes,
  fitScaler,
  gapOneStandardError,
  huangCost,
  kPrototypesGamma,
  matrixFromRows,
  numberSegments,
  prepareFeatures,
  profileSegments,
  segmentCentroidTree,
  selectK,
  silhouetteCurves,
  suggestK,
  sweepK,
} from '../src/index.js';
import type { Matrix } from '../src/index.js';
import { jsReferenceBackend } from '../src/backends/index.js';
import {
  calinskiHarabasz,
  clusterMeans,
  daviesBouldin,
  evaluatePartition,
  silhouetteSamples,
  silhouetteScore,
  withinClusterSumOfSquares,
} from '../src/metrics/index.js';
import { countDistinctRows } from '../src/drivers/validate-input.js';
import { thrown } from './helpers/thrown.js';

function grid(rows: number, cols: number, at?: { row: number; col: number; value: number }): Matrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = (i % 4) * 10 + j + i * 0.01;
  if (at) data[at.row * cols + at.col] = at.value;
  return { data, rows, cols };
}

const good = grid(8, 2);
const labels = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i % 2);
const names = (m: Matrix): string[] => Array.from({ length: m.cols }, (_, j) => `f${j + 1}`);

/** The bad inputs: the matrix, the code and what the message must name. */
const BAD: Record<string, { matrix: Matrix; code: string; message: RegExp }> = {
  'no rows': { matrix: { data: new Float32Array(0), rows: 0, cols: 2 }, code: 'EMPTY_TABLE', message: /no rows \(shape 0 × 2\)/ },
  'no columns': { matrix: { data: new Float32Array(0), rows: 8, cols: 0 }, code: 'SHAPE_MISMATCH', message: /0 feature columns \(shape 8 × 0\)|fitted on 2 columns but the matrix has 0/ },
  NaN: { matrix: grid(8, 2, { row: 2, col: 1, value: NaN }), code: 'NON_FINITE_VALUE', message: /row 3, (feature|column) 2.*NaN|NaN.*row 3/ },
  Infinity: { matrix: grid(8, 2, { row: 3, col: 0, value: -Infinity }), code: 'NON_FINITE_VALUE', message: /row 4, (feature|column) 1.*-Infinity|-Infinity.*row 4/ },
  'wrong shape': { matrix: { data: new Float32Array(7), rows: 4, cols: 2 }, code: 'SHAPE_MISMATCH', message: /7 values.*4 × 2/ },
};

type Entry = (m: Matrix, labels?: Int32Array) => unknown;

/** Entry points that take a matrix; `labels: true` when they also take one label per row. */
const ENTRIES: Record<string, { call: Entry; labels?: boolean; allowsNoColumns?: boolean }> = {
  'fitScaler standard': { call: (m) => fitScaler(m, 'standard') },
  'fitScaler minmax': { call: (m) => fitScaler(m, 'minmax') },
  'fitScaler none': { call: (m) => fitScaler(m, 'none') },
  prepareFeatures: { call: (m) => prepareFeatures({ matrix: m, featureNames: names(m) }, { scale: 'standard' }) },
  fitKMeans: { call: (m) => fitKMeans(m, { k: 2, backend: 'js' }) },
  sweepK: { call: (m) => sweepK(m, { kMin: 1, kMax: 3, backend: 'js' }) },
  selectK: { call: (m) => selectK(m, { kMin: 1, kMax: 3, backend: 'js' }) },
  fitAgglomerative: { call: (m) => fitAgglomerative(m, { k: 2, backend: 'js' }) },
  compareClusterings: { call: (m) => compareClusterings(m, 2, { backend: 'js' }, { backend: 'js' }) },
  fitKPrototypes: {
    call: (m) => fitKPrototypes(m, { names: ['c'], levels: [1], codes: new Int32Array(Math.max(0, m.rows)) }, { k: 2 }),
    allowsNoColumns: true,
  },
  kPrototypesGamma: { call: (m) => kPrototypesGamma(m), allowsNoColumns: true },
  huangCost: { call: (m, l) => huangCost(m, { names: ['c'], levels: [1], codes: new Int32Array(Math.max(0, m.rows)) }, l ?? labels(m.rows), 2, 1), labels: true, allowsNoColumns: true },
  numberSegments: { call: (m, l) => numberSegments(l ?? labels(m.rows), 2, m), labels: true, allowsNoColumns: true },
  profileSegments: { call: (m, l) => profileSegments({ featureNames: names(m), matrix: m, labels: l ?? labels(m.rows), k: 2 }), labels: true, allowsNoColumns: true },
  'KMeansModel.predict': { call: (m) => new KMeansModel({ k: 2, cols: 2, centroids: new Float64Array([0, 0, 10, 10]) }).predict(m) },
  silhouetteCurves: { call: (m, l) => silhouetteCurves(jsReferenceBackend, m, [l ?? labels(m.rows)], [2]), labels: true },
  silhouetteScore: { call: (m, l) => silhouetteScore(m, l ?? labels(m.rows)), labels: true },
  silhouetteSamples: { call: (m, l) => silhouetteSamples(m, l ?? labels(m.rows)), labels: true },
  calinskiHarabasz: { call: (m, l) => calinskiHarabasz(m, l ?? labels(m.rows)), labels: true },
  daviesBouldin: { call: (m, l) => daviesBouldin(m, l ?? labels(m.rows)), labels: true },
  withinClusterSumOfSquares: { call: (m, l) => withinClusterSumOfSquares(m, l ?? labels(m.rows)), labels: true },
  clusterMeans: { call: (m, l) => clusterMeans(m, l ?? labels(m.rows)), labels: true },
  evaluatePartition: { call: (m, l) => evaluatePartition(m, l ?? labels(m.rows)), labels: true },
};

describe.each(Object.entries(ENTRIES))('%s validates its input', (_name, entry) => {
  it('accepts the good input', async () => {
    await expect(Promise.resolve().then(() => entry.call(good))).resolves.not.toThrow();
  });
  it.each(Object.entries(BAD).filter(([bad]) => !(bad === 'no columns' && entry.allowsNoColumns)))('rejects %s with a typed error naming the values', async (_bad, { matrix, code, message }) => {
    const e = await thrown(() => entry.call(matrix));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
  if (entry.labels) {
    it('rejects labels whose length differs from the rows', async () => {
      const e = await thrown(() => entry.call(good, labels(5)));
      expect(e.code).toBe('SHAPE_MISMATCH');
      expect(e.message).toMatch(/5 labels.* 8 rows|5 .*for 8 rows/);
    });
  }
  if (entry.allowsNoColumns) {
    it('takes rows × 0 numeric data (all-categorical k-prototypes) without a crash', async () => {
      await Promise.resolve()
        .then(() => entry.call({ data: new Float32Array(0), rows: 8, cols: 0 }))
        .catch((error: unknown) => expect(error).toBeInstanceOf(SegmentaError));
    });
  }
});

describe('the issue-17 edge cases', () => {
  it('fitScaler rejects 0 columns for every method, as scikit-learn does ("0 feature(s)")', async () => {
    for (const method of ['standard', 'minmax', 'none'] as const) {
      const e = await thrown(() => fitScaler({ data: new Float32Array(0), rows: 3, cols: 0 }, method));
      expect(e.code).toBe('SHAPE_MISMATCH');
      expect(e.message).toBe('matrix has 0 feature columns (shape 3 × 0): at least 1 is required');
    }
  });

  it('the metrics reject NaN and Infinity instead of returning NaN, or 0 (a perfect Davies-Bouldin score)', async () => {
    for (const value of [NaN, Infinity]) {
      const m = grid(8, 2, { row: 5, col: 0, value });
      for (const metric of [calinskiHarabasz, daviesBouldin, async (x: Matrix, l: Int32Array) => (await silhouetteScore(x, l)).score]) {
        const e = await thrown(() => metric(m, labels(8)));
        expect(e.code).toBe('NON_FINITE_VALUE');
        expect(e.message).toContain(`row 6, feature 1 is ${value}`);
      }
    }
  });

  it('the metrics need 2 to n − 1 clusters', async () => {
    const m = grid(4, 2);
    for (const metric of [calinskiHarabasz, daviesBouldin, silhouetteSamples]) {
      expect((await thrown(() => metric(m, Int32Array.of(0, 0, 0, 0)))).code).toBe('INVALID_K');
      expect((await thrown(() => metric(m, Int32Array.of(0, 1, 2, 3)))).message).toMatch(/between 2 and rows - 1 = 3 distinct labels, got 4/);
    }
  });

  it('−0 and +0 are the same point: fitKMeans([[0], [−0]], k = 2) raises TOO_FEW_DISTINCT_POINTS', async () => {
    const m = matrixFromRows([[0], [-0]]);
    expect(Object.is(m.data[1], -0)).toBe(true);
    for (const backend of ['js', 'wasm', 'tfjs']) {
      const e = await thrown(() => fitKMeans(m, { k: 2, backend }));
      expect(e.code).toBe('TOO_FEW_DISTINCT_POINTS');
      expect(e.message).toBe('k = 2 is larger than the number of distinct rows (1)');
    }
    expect(countDistinctRows(matrixFromRows([[0, -0], [-0, 0], [1, 0]]), 10)).toBe(2);
  });

  it('curves given as parallel arrays must line up and be finite', async () => {
    expect((await thrown(() => findElbow([1, 2, 3], [9, 4]))).message).toBe('findElbow: 2 ys values for 3 k values');
    expect((await thrown(() => findElbow([1, 2, 3], [9, NaN, 1]))).code).toBe('NON_FINITE_VALUE');
    expect((await thrown(() => gapOneStandardError([1, 2, 3], [0.1, 0.2], [0, 0, 0]))).code).toBe('SHAPE_MISMATCH');
    expect((await thrown(() => suggestK({ ks: [1, 2, 3], wcss: [9, 4, 3], silhouette: [null, 0.5] }))).code).toBe('SHAPE_MISMATCH');
    expect((await thrown(() => segmentCentroidTree(new Float64Array(5), [1, 1], 2, 3))).code).toBe('SHAPE_MISMATCH');
    expect((await thrown(() => segmentCentroidTree(Float64Array.of(0, NaN), [1, 1], 2, 1))).code).toBe('NON_FINITE_VALUE');
  });
});
