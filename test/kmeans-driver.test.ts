import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitKMeans, predictNearest } from '../src/drivers/kmeans.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { adjustedRandIndex } from '../src/metrics/cluster-metrics.js';

const square = (x: number, y: number): number[][] => [
  [x, y],
  [x, y + 2],
  [x + 2, y],
  [x + 2, y + 2],
];

/** Groups row indices by label, as sorted lists (labels compared up to permutation). */
function partition(labels: Int32Array): string[] {
  const groups = new Map<number, number[]>();
  labels.forEach((l, i) => groups.set(l, [...(groups.get(l) ?? []), i]));
  return [...groups.values()].map((g) => g.join(',')).sort();
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SegmentaError);
  expect((error as SegmentaError).code).toBe(code);
  if (message) expect((error as SegmentaError).message).toMatch(message);
}

function blobs(n: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const centres = [
    [0, 0, 0],
    [8, 8, 0],
    [0, 8, 8],
    [8, 0, 8],
  ];
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    rows.push(c.map((v) => v + rng.nextGaussian()));
  }
  return matrixFromRows(rows);
}

describe('fitKMeans on toy data computed by hand', () => {
  it('splits two 1-D pairs: centroids 0.5 and 10.5, WCSS 1', async () => {
    const r = await fitKMeans(matrixFromRows([[0], [1], [10], [11]]), { k: 2, seed: 1, backend: 'js' });
    expect(partition(r.labels)).toEqual(['0,1', '2,3']);
    expect(r.wcss).toBe(1);
    expect([...r.centroids].sort((a, b) => a - b)).toEqual([0.5, 10.5]);
    expect(r.sizes.sort()).toEqual([2, 2]);
    expect(r.converged).toBe(true);
  });

  it('finds two squares: WCSS 16 at k = 2 and 416 at k = 1', async () => {
    const m = matrixFromRows([...square(0, 0), ...square(10, 10)]);
    const two = await fitKMeans(m, { k: 2, seed: 3, backend: 'js' });
    expect(partition(two.labels)).toEqual(['0,1,2,3', '4,5,6,7']);
    expect(two.wcss).toBe(16);
    const one = await fitKMeans(m, { k: 1, backend: 'js' });
    expect(one.wcss).toBe(416);
    expect(Array.from(one.centroids)).toEqual([6, 6]);
    expect(Array.from(one.labels)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gives every point its own segment when k = number of distinct rows (WCSS 0)', async () => {
    const m = matrixFromRows([[1, 1], [5, 5], [9, 1]]);
    const r = await fitKMeans(m, { k: 3, seed: 9, backend: 'js' });
    expect(r.wcss).toBe(0);
    expect(new Set(r.labels).size).toBe(3);
  });

  it('relocates an empty cluster to the farthest row (scikit-learn rule)', async () => {
    // The second initial centre is far from every row, so its cluster starts empty.
    const m = matrixFromRows([[0], [1], [2], [20]]);
    const r = await fitKMeans(m, { k: 2, init: [1, 1000], backend: 'js' });
    expect(r.notes.join(' ')).toMatch(/empty cluster/);
    expect(partition(r.labels)).toEqual(['0,1,2', '3']);
    expect(r.wcss).toBe(2);
  });

  it('uses given initial centres and runs Lloyd from them', async () => {
    const m = matrixFromRows([...square(0, 0), ...square(10, 10)]);
    const r = await fitKMeans(m, { k: 2, init: new Float64Array([0, 0, 12, 12]), backend: 'js' });
    expect(r.wcss).toBe(16);
    expect(r.runWcss).toHaveLength(1);
  });
});

describe('fitKMeans determinism and results', () => {
  const m = blobs(3001, 5);

  it('gives bit-identical results for the same seed', async () => {
    const a = await fitKMeans(m, { k: 4, seed: 42, backend: 'js' });
    const b = await fitKMeans(m, { k: 4, seed: 42, backend: 'js' });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.wcss).toBe(b.wcss);
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(a.history.map((h) => h.wcss)).toEqual(b.history.map((h) => h.wcss));
  });

  it('reports consistent sizes, history and labels that match predict()', async () => {
    const r = await fitKMeans(m, { k: 4, seed: 7, nInit: 2, backend: 'js' });
    expect(r.sizes.reduce((s, v) => s + v, 0)).toBe(m.rows);
    // nInit runs, plus the refined run unless the subsample search found nothing better.
    expect(r.runWcss.length === 2 || r.runWcss.length === 3).toBe(true);
    const plain = await fitKMeans(m, { k: 4, seed: 7, nInit: 2, refine: false, backend: 'js' });
    expect(plain.runWcss).toEqual(r.runWcss.slice(0, 2));
    expect(r.wcss).toBe(Math.min(...r.runWcss));
    expect(r.history.length).toBe(r.iterations);
    // WCSS of the assignments never increases along Lloyd iterations.
    for (let i = 1; i < r.history.length; i++) expect(r.history[i]!.wcss).toBeLessThanOrEqual(r.history[i - 1]!.wcss * (1 + 1e-12));
    expect(Array.from(predictNearest(r.centroids, r.k, m))).toEqual(Array.from(r.labels));
    // Recomputing WCSS from labels and centroids gives the reported value.
    let wcss = 0;
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) wcss += (m.data[i * m.cols + j]! - r.centroids[r.labels[i]! * m.cols + j]!) ** 2;
    }
    expect(Math.abs(wcss - r.wcss) / r.wcss).toBeLessThan(1e-5);
  });

  it('recovers the generator’s latent segments on standardised income and score', async () => {
    const g = generateCustomers({ rows: 5000, seed: 11 });
    const inc = g.numeric[g.featureNames.indexOf('Annual Income (k$)')]!;
    const sc = g.numeric[g.featureNames.indexOf('Spending Score (1-100)')]!;
    const z = (v: Float64Array): Float64Array => {
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      return v.map((x) => (x - mean) / sd);
    };
    const zi = z(inc);
    const zs = z(sc);
    const m = matrixFromRows(Array.from(zi, (v, i) => [v, zs[i]!]));
    const r = await fitKMeans(m, { k: 5, seed: 1, backend: 'js' });
    // Purity: each found segment is dominated by one latent segment.
    const counts = new Map<string, number>();
    r.labels.forEach((l, i) => counts.set(`${l}:${g.trueSegment[i]}`, (counts.get(`${l}:${g.trueSegment[i]}`) ?? 0) + 1));
    let majority = 0;
    for (let c = 0; c < 5; c++) majority += Math.max(...[0, 1, 2, 3, 4].map((t) => counts.get(`${c}:${t}`) ?? 0));
    expect(majority / m.rows).toBeGreaterThan(0.9);
  });

  it('recovers the latent segments from every standardised numeric column, Age included (ARI >= 0.9)', async () => {
    const rows = 5000;
    const D = 4;
    const g = generateCustomers({ rows, features: D, seed: 3 });
    const raw = generatedFeatureMatrix(g);
    const scaled = fitScaler(raw, 'standard').transform(raw);
    const r = await fitKMeans(scaled, { k: 5, seed: 1, backend: 'js' });
    expect(await adjustedRandIndex(r.labels, g.trueSegment)).toBeGreaterThan(0.9);
  });

  it('initialises on a seeded sample above initSampleSize, says so, and stays deterministic', async () => {
    const a = await fitKMeans(m, { k: 4, seed: 2, initSampleSize: 500, backend: 'js' });
    const b = await fitKMeans(m, { k: 4, seed: 2, initSampleSize: 500, backend: 'js' });
    expect(a.notes).toContain('k-means++ initialised on a seeded sample of 500 of 3,001 rows');
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    const full = await fitKMeans(m, { k: 4, seed: 2, backend: 'js' });
    expect(full.notes.join(' ')).not.toMatch(/sample/);
    expect(a.wcss).toBeLessThan(full.wcss * 1.01); // four well-separated blobs: same optimum
  });

  it('emits one progress event per iteration and one per fit', async () => {
    const events: ProgressEvent[] = [];
    const r = await fitKMeans(m, { k: 3, seed: 1, nInit: 1, refine: false, backend: 'js', onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.kind === 'iteration')).toHaveLength(r.iterations);
    expect(events.at(-1)).toMatchObject({ kind: 'fit', k: 3, wcss: r.wcss });
  });
});

describe('fitKMeans cancellation', () => {
  const m = blobs(20_000, 3);

  it('stops within one iteration when the signal fires', async () => {
    const controller = new AbortController();
    let iterations = 0;
    const p = fitKMeans(m, {
      k: 8,
      seed: 1,
      backend: 'js',
      tol: 0,
      maxIter: 1000,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'iteration' && ++iterations === 2) controller.abort();
      },
    });
    await expectCode(p, 'ABORTED');
    expect(iterations).toBe(2);
  });

  it('rejects at once with an already-aborted signal', async () => {
    await expectCode(fitKMeans(m, { k: 2, backend: 'js', signal: AbortSignal.abort() }), 'ABORTED');
  });
});

describe('fitKMeans input validation', () => {
  const m = matrixFromRows([[1, 2], [3, 4], [5, 6], [1, 2]]);

  it('rejects k < 1 and non-integer k', async () => {
    await expectCode(fitKMeans(m, { k: 0 }), 'INVALID_K', /k must be an integer >= 1, got 0/);
    await expectCode(fitKMeans(m, { k: 1.5 }), 'INVALID_K', /got 1.5/);
  });

  it('rejects k above the number of distinct rows, stating both', async () => {
    await expectCode(fitKMeans(m, { k: 4, backend: 'js' }), 'TOO_FEW_DISTINCT_POINTS', /k = 4 .* distinct rows \(3\)/);
    await expectCode(fitKMeans(m, { k: 5, backend: 'js' }), 'INVALID_K', /k = 5 is larger than the number of rows \(4\)/);
  });

  it('rejects NaN and Infinity naming the row and feature', async () => {
    const bad = matrixFromRows([[1, 2], [3, NaN], [5, 6]]);
    await expectCode(fitKMeans(bad, { k: 2 }), 'NON_FINITE_VALUE', /row 2, feature 2 is NaN/);
    const inf = matrixFromRows([[Infinity, 2], [3, 4]]);
    await expectCode(fitKMeans(inf, { k: 1 }), 'NON_FINITE_VALUE', /row 1, feature 1 is Infinity/);
  });

  it('rejects bad shapes, empty data and bad options', async () => {
    await expectCode(fitKMeans({ data: new Float32Array(5), rows: 2, cols: 3 }, { k: 1 }), 'SHAPE_MISMATCH', /holds 5 values/);
    await expectCode(fitKMeans({ data: new Float32Array(0), rows: 0, cols: 2 }, { k: 1 }), 'EMPTY_TABLE');
    await expectCode(fitKMeans(m, { k: 2, nInit: 0 }), 'INVALID_OPTION', /nInit must be an integer >= 1, got 0/);
    await expectCode(fitKMeans(m, { k: 2, tol: -1 }), 'INVALID_OPTION', /tol/);
    await expectCode(fitKMeans(m, { k: 2, backend: 'nope' }), 'UNKNOWN_BACKEND', /unknown backend 'nope'/);
    await expectCode(fitKMeans(m, { k: 2, init: [1, 2, 3] }), 'SHAPE_MISMATCH', /init holds 3 values/);
  });

  it('predictNearest rejects rows with another feature count', () => {
    expect(() => predictNearest(new Float64Array([0, 0, 1, 1]), 2, matrixFromRows([[1, 2, 3]]))).toThrow(/3 features but the model has 2/);
  });
});
