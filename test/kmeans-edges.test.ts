/**
 * The K-Means driver's edges, pinned from the outside so that a one-line slip
 * in any of them fails a test: every option's refusal (code, message, details)
 * and accepted boundary, the defaults, the notes and progress a user reads,
 * empty-cluster relocation (order, weights), convergence on an exact tolerance,
 * the sharded and mini-batch paths through fitKMeans, and the backend contract
 * the driver keeps (job options, one dispose per job, optional kernels).
 * Expected values are worked out by hand or by a formula written here.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { createPlusPlusBuffers, kmeansPlusPlus, weightedDraw } from '../src/drivers/kmeans-plusplus.js';
import { fitKMeans, predictNearest, type KMeansOptions, type KMeansResult } from '../src/drivers/kmeans.js';
import { shardMatrix } from '../src/drivers/sharding/sharded-data.js';
import { checkFloat32Range, countDistinctRows, meanFeatureVariance, requireOptions, validateAndMeasure, validateMatrix } from '../src/drivers/validate-input.js';
import { recordingBackend, recordingJob } from './helpers/recording-backend.js';
import { memorySource } from './helpers/sharding-fixtures.js';
import { thrown } from './helpers/thrown.js';

/** Gaussian blobs around `centres` random centres in [-10, 10)^cols, seeded. */
function blobs(rows: number, cols: number, centres: number, seed: number, spread = 1.5): Matrix {
  const rng = new SeededRandom(seed);
  const c = Array.from({ length: centres * cols }, () => rng.nextFloat() * 20 - 10);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const g = i % centres;
    for (let j = 0; j < cols; j++) data[i * cols + j] = c[g * cols + j]! + spread * rng.nextGaussian();
  }
  return { data, rows, cols };
}

/** Every number a user reads from a fit, for bit-for-bit comparisons (timings left out). */
function outcome(r: KMeansResult): unknown {
  return {
    k: r.k,
    rows: r.rows,
    cols: r.cols,
    centroids: Array.from(r.centroids),
    labels: Array.from(r.labels),
    wcss: r.wcss,
    iterations: r.iterations,
    converged: r.converged,
    sizes: r.sizes,
    bestRun: r.bestRun,
    runWcss: r.runWcss,
    history: r.history.map(({ seconds: _s, ...h }) => h),
    notes: r.notes,
    algorithm: r.algorithm,
  };
}

const js = jsReferenceBackend;
const fourRows = matrixFromRows([[1, 2], [3, 4], [5, 6], [1, 2]]);

describe('every K-Means option is checked: code, message and details name the option and value', () => {
  const cases: [string, Partial<KMeansOptions>, string, string][] = [
    ['nInit 0', { nInit: 0 }, 'INVALID_OPTION', 'nInit must be an integer >= 1, got 0'],
    ['nInit 1.5', { nInit: 1.5 }, 'INVALID_OPTION', 'nInit must be an integer >= 1, got 1.5'],
    ['maxIter 0', { maxIter: 0 }, 'INVALID_OPTION', 'maxIter must be an integer >= 1, got 0'],
    ['tol below 0', { tol: -1e-9 }, 'INVALID_OPTION', 'tol must be a finite number >= 0, got -1e-9'],
    ['tol NaN', { tol: NaN }, 'INVALID_OPTION', 'tol must be a finite number >= 0, got NaN'],
    ['tol Infinity', { tol: Infinity }, 'INVALID_OPTION', 'tol must be a finite number >= 0, got Infinity'],
    ['seed below int32', { seed: -2147483649 }, 'INVALID_OPTION', 'seed must be an integer in [-2147483648, 4294967295], got -2147483649'],
    ['seed above uint32', { seed: 4294967296 }, 'INVALID_OPTION', 'seed must be an integer in [-2147483648, 4294967295], got 4294967296'],
    ['initSampleSize 0', { initSampleSize: 0 }, 'INVALID_OPTION', 'initSampleSize must be an integer >= 1, got 0'],
    ['threads 0', { threads: 0 }, 'INVALID_OPTION', 'threads must be an integer in [1, 256], got 0'],
    ['threads 257', { threads: 257 }, 'INVALID_OPTION', 'threads must be an integer in [1, 256], got 257'],
    ['shards 0', { shards: 0 }, 'INVALID_OPTION', 'shards must be an integer in [1, 65536], got 0'],
    ['shards 65537', { shards: 65537 }, 'INVALID_OPTION', 'shards must be an integer in [1, 65536], got 65537'],
    ['k as a string', { k: '2' as unknown as number }, 'INVALID_K', 'k must be an integer >= 1, got 2'],
  ];
  it.each(cases)('%s', async (_what, options, code, message) => {
    const e = await thrown(() => fitKMeans(fourRows, { k: 2, backend: js, ...options }));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    const [option, value] = Object.entries(options)[0]!;
    expect(e.details).toEqual({ option, value });
  });

  it('an unknown algorithm names the two there are', async () => {
    const e = await thrown(() => fitKMeans(fourRows, { k: 2, backend: js, algorithm: 'elkan' as 'lloyd' }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe(`algorithm must be 'lloyd' or 'minibatch', got "elkan"`);
    expect(e.details).toEqual({ option: 'algorithm', value: 'elkan' });
  });

  it('options that are not an object are refused, naming what came', async () => {
    for (const [given, kind] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [[2], 'a plain array'],
      [2, 'number 2'],
    ] as const) {
      const e = await thrown(() => fitKMeans(fourRows, given as unknown as KMeansOptions));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message.startsWith(`fitKMeans needs an options object with k, got ${kind}`)).toBe(true);
      expect(e.details).toEqual({ option: 'options', value: given });
    }
  });

  it('requireOptions: no options mean {} unless some are required; an object passes as it is', () => {
    expect(requireOptions(undefined, 'f')).toEqual({});
    const given = { a: 1 };
    expect(requireOptions(given, 'f', ['a'])).toBe(given);
    expect(() => requireOptions(undefined, 'f', ['a', 'b'])).toThrow(/^f needs an options object with a, b, got undefined/);
    expect(() => requireOptions(null as unknown as object, 'f')).toThrow('f needs an options object, got null');
  });

  it('a bad matrix is reported before bad options', async () => {
    const e = await thrown(() => fitKMeans({ data: new Float32Array(3), rows: 2, cols: 2 }, undefined as unknown as KMeansOptions));
    expect(e.code).toBe('SHAPE_MISMATCH');
  });

  it('kMin and kMax of a sweep are k values: INVALID_K', async () => {
    for (const options of [{ kMin: 1.5 }, { kMax: 2.5 }]) {
      const e = await thrown(() => sweepK(fourRows, { backend: js, ...options }));
      expect(e.code).toBe('INVALID_K');
    }
  });

  it('accepts every boundary value: seeds -2^31 and 2^32 − 1 (the same uint32 as −1), threads 1 and 256, shards 65,536, initSampleSize 1', async () => {
    const m = blobs(60, 2, 3, 4);
    const base = { k: 3, backend: js, nInit: 1 } as const;
    await expect(fitKMeans(m, { ...base, seed: -2147483648 })).resolves.toMatchObject({ k: 3 });
    const top = await fitKMeans(m, { ...base, seed: 4294967295 });
    const minusOne = await fitKMeans(m, { ...base, seed: -1 });
    expect(outcome(top)).toEqual(outcome(minusOne));
    await expect(fitKMeans(m, { ...base, threads: 1 })).resolves.toMatchObject({ k: 3 });
    await expect(fitKMeans(m, { ...base, threads: 256 })).resolves.toMatchObject({ k: 3 });
    // 60 rows make one 4,096-row block: one shard is used, with the same result
    expect(outcome(await fitKMeans(m, { ...base, shards: 65536 }))).toEqual(outcome(await fitKMeans(m, base)));
    const one = await fitKMeans(m, { ...base, initSampleSize: 1 });
    expect(one.notes).toContain('k-means++ initialised on a seeded sample of 1 of 60 rows');
  });

  it('an option given as undefined takes its default', async () => {
    const m = blobs(90, 2, 3, 5);
    const plain = await fitKMeans(m, { k: 3, backend: js });
    const undef = await fitKMeans(m, {
      k: 3,
      backend: js,
      nInit: undefined,
      maxIter: undefined,
      tol: undefined,
      seed: undefined,
      initSampleSize: undefined,
      refine: undefined,
      algorithm: undefined,
    } as unknown as KMeansOptions);
    expect(outcome(undef)).toEqual(outcome(plain));
  });
});

describe('what a fit reports: notes, progress, timings and the result fields', () => {
  it('a plain fit has no notes; it names the algorithm, backend and shape; fit progress carries the result', async () => {
    const m = blobs(300, 3, 4, 6);
    const events: ProgressEvent[] = [];
    const before = performance.now();
    const r = await fitKMeans(m, { k: 4, seed: 2, backend: js, onProgress: (e) => events.push(e) });
    const elapsed = (performance.now() - before) / 1000;
    expect(r.notes).toEqual([]);
    expect(r).toMatchObject({ algorithm: 'lloyd', backend: 'js', k: 4, rows: 300, cols: 3 });
    expect(r.weighted).toBeUndefined();
    expect(r.segmentWeights).toBeUndefined();
    // timings in seconds: positive, and each part of the fit within the whole call
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.seconds).toBeLessThanOrEqual(elapsed);
    const spent = r.history.reduce((s, h) => s + h.seconds, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(r.seconds);
    for (const h of r.history) expect(h.seconds).toBeGreaterThanOrEqual(0);
    const fit = events.at(-1)!;
    expect(fit).toEqual({ kind: 'fit', k: 4, wcss: r.wcss, iterations: r.iterations, converged: r.converged, seconds: expect.any(Number) as number });
    expect(fit.kind === 'fit' && fit.seconds).toBeLessThanOrEqual(elapsed);
    // the iteration events of the winning run are its history
    const winning = events.filter((e) => e.kind === 'iteration' && e.run === r.bestRun);
    expect(winning.map((e) => (e.kind === 'iteration' ? [e.iteration, e.wcss, e.shift, e.changed, e.nInit, e.maxIter] : []))).toEqual(
      r.history.map((h) => [h.iteration, h.wcss, h.shift, h.changed, 3, 300]),
    );
  });

  it('initialises on a sample only above initSampleSize rows (equal: every row, no note)', async () => {
    const m = blobs(400, 2, 4, 7);
    const base = { k: 4, seed: 3, backend: js };
    const all = await fitKMeans(m, base);
    const equal = await fitKMeans(m, { ...base, initSampleSize: 400 });
    expect(equal.notes).toEqual([]);
    expect(outcome(equal)).toEqual(outcome(all));
    const below = await fitKMeans(m, { ...base, initSampleSize: 399 });
    expect(below.notes).toEqual(['k-means++ initialised on a seeded sample of 399 of 400 rows']);
  });

  it('the k-means++ sample is the seeded uniform sample of row ids, in row order, with their weights', async () => {
    const { sampleIndices } = await import('../src/common/seeded-random.js');
    const m = blobs(700, 3, 4, 9);
    const w = Float64Array.from({ length: m.rows }, (_, i) => 1 + (i % 7));
    for (const seed of [0, 5, -3]) {
      const rec = recordingBackend({ keepCopies: true });
      await fitKMeans(m, { k: 3, seed, nInit: 1, backend: rec.backend, initSampleSize: 250, sampleWeight: w });
      const ids = sampleIndices(m.rows, 250, new SeededRandom((seed ^ 0x5bd1e995) >>> 0));
      expect(Array.from(rec.jobs[1]!.data!)).toEqual(Array.from(ids).flatMap((i) => Array.from(m.data.subarray(i * 3, i * 3 + 3))));
      expect(Array.from(rec.jobs[1]!.weights!)).toEqual(Array.from(ids, (i) => w[i]!));
    }
    // a sample whose rows all weigh 0 cannot seed k-means++ by weight: it is drawn as if unweighted (unit weights)
    const few = new Float64Array(m.rows);
    few[0] = 1;
    few[1] = 2;
    const seed = [0, 1, 2, 3].find((q) => !sampleIndices(m.rows, 20, new SeededRandom((q ^ 0x5bd1e995) >>> 0)).some((i) => i < 2))!;
    const rec = recordingBackend({ keepCopies: true });
    await fitKMeans(m, { k: 2, seed, nInit: 1, backend: rec.backend, initSampleSize: 20, sampleWeight: few });
    expect(Array.from(rec.jobs[1]!.weights!)).toEqual(new Array(20).fill(1));
  });

  it('the defaults are nInit 3, maxIter 300, tol 1e-4, seed 0 and the refined run', async () => {
    const m = blobs(1500, 2, 9, 8, 2.5);
    const plain = await fitKMeans(m, { k: 9, backend: js });
    const spelled = await fitKMeans(m, { k: 9, backend: js, nInit: 3, maxIter: 300, tol: 1e-4, seed: 0, refine: true, initSampleSize: 100_000, algorithm: 'lloyd' });
    expect(outcome(plain)).toEqual(outcome(spelled));
    // each default matters on these data: the refined run is made, and tol stops a run before its labels settle
    expect(plain.runWcss).toHaveLength(4);
    const exact = await fitKMeans(m, { k: 9, backend: js, tol: 0 });
    expect(exact.runWcss).not.toEqual(plain.runWcss);
    expect(outcome(await fitKMeans(m, { k: 9, backend: js, seed: 1 }))).not.toEqual(outcome(plain));
  });
});

describe('empty clusters take the farthest rows (scikit-learn’s relocation)', () => {
  it('two empty clusters take the farthest and the next farthest row, in cluster order', async () => {
    // Rows 0, 1, 2, 20, 30 from centres 1, 1000, 2000: every row joins centre 1 and clusters 2 and 3 are empty.
    // The farthest row (30, at 29²) goes to cluster 2, the next (20, at 19²) to cluster 3; cluster 1 keeps {0, 1, 2}.
    const m = matrixFromRows([[0], [1], [2], [20], [30]]);
    const r = await fitKMeans(m, { k: 3, init: [1, 1000, 2000], backend: js });
    expect(r.notes).toEqual(['2 empty cluster(s) relocated to the farthest rows']);
    expect(Array.from(r.centroids)).toEqual([1, 30, 20]);
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 2, 1]);
    expect(r.sizes).toEqual([3, 1, 1]);
    // iteration 1's WCSS is that of its assignment (before the relocation): 1 + 0 + 1 + 19² + 29²
    expect(r.history.map((h) => h.wcss)).toEqual([1 + 0 + 1 + 19 ** 2 + 29 ** 2, 2]);
    expect(r.history.map((h) => h.changed)).toEqual([5, 2]);
    expect(r.history.map((h) => h.shift)).toEqual([970 ** 2 + 1980 ** 2, 0]);
    expect(r.wcss).toBe(2);
    expect(r.iterations).toBe(2);
    expect(r.converged).toBe(true);
  });

  it('with weights the relocated row moves its weight: the cluster it leaves keeps the right mean', async () => {
    // Rows 0, 1, 2, 20 weighing 1, 1, 1, 3 from centres 1 and 1000: row 20 (weight 3) moves to cluster 2;
    // cluster 1 keeps sums 0 + 1 + 2 over weight 3 (mean 1). Weighted WCSS of iteration 1: 1 + 0 + 1 + 3 · 19².
    const m = matrixFromRows([[0], [1], [2], [20]]);
    const r = await fitKMeans(m, { k: 2, init: [1, 1000], backend: js, sampleWeight: [1, 1, 1, 3] });
    expect(r.notes).toEqual(['1 empty cluster(s) relocated to the farthest rows']);
    expect(Array.from(r.centroids)).toEqual([1, 20]);
    expect(r.history[0]!.wcss).toBe(2 + 3 * 19 ** 2);
    // iteration 1 moves the centres 1 → 1 and 1000 → 20; iteration 2 moves nothing and stops the run
    expect(r.history.map((h) => h.shift)).toEqual([980 ** 2, 0]);
    expect(r.iterations).toBe(2);
    expect(r.wcss).toBe(2);
    expect(r.segmentWeights).toEqual([3, 3]);
    expect(r.sizes).toEqual([3, 1]);
    // A row of weight 0 is never relocated, even when it is the farthest: as if it were not there.
    const withZero = await fitKMeans(matrixFromRows([[0], [1], [2], [20], [50]]), { k: 2, init: [1, 1000], backend: js, sampleWeight: [1, 1, 1, 3, 0] });
    expect(Array.from(withZero.centroids)).toEqual([1, 20]);
    expect(withZero.wcss).toBe(2);
    expect(withZero.segmentWeights).toEqual([3, 3]);
    expect(withZero.sizes).toEqual([3, 2]);
  });
});

describe('a cluster emptied by a relocation', () => {
  // Rows 0, 6, 4, 0, 0, 2, 2 from centres 1, −1 and 10: iteration 1 gives centre 1 every row but 6, centre −1 none
  // and centre 10 only row 6. Row 6 is the farthest from its centre (4² = 16), so it moves to the empty cluster 2,
  // which leaves cluster 3 with no row: it keeps its centre (10) instead of 0 / 0.
  const m = matrixFromRows([[0], [6], [4], [0], [0], [2], [2]]);

  it('keeps its centre: no NaN centroid, even when the run ends right after (maxIter 1)', async () => {
    const r = await fitKMeans(m, { k: 3, init: [1, -1, 10], maxIter: 1, backend: js });
    expect(r.notes).toEqual(['1 empty cluster(s) relocated to the farthest rows']);
    // the final assignment to (4/3, 6, 10): row 4 is nearer 6 (2) than 4/3 (8/3); nothing is nearest 10
    expect(Array.from(r.centroids)).toEqual([Math.fround(4 / 3), 6, 10]);
    expect(Array.from(r.labels)).toEqual([0, 1, 1, 0, 0, 0, 0]);
    expect(r.sizes).toEqual([5, 2, 0]);
    // the shift of iteration 1: centre 1 → 4/3, −1 → 6, 10 stays
    expect(r.history[0]!.shift).toBe((Math.fround(4 / 3) - 1) ** 2 + 7 ** 2);
  });

  it('and the run goes on to a finite fit', async () => {
    const r = await fitKMeans(m, { k: 3, init: [1, -1, 10], backend: js });
    expect(r.centroids.every((x) => Number.isFinite(x))).toBe(true);
    expect(r.sizes.reduce((a, b) => a + b, 0)).toBe(7);
    expect(r.converged).toBe(true);
  });
});

describe('a cluster left empty by the final assignment', () => {
  it('keeps the mean of its rows at the last update (float64), as a cluster that still has rows does', async () => {
    // Rows 10, 10, 11, 3, 5, 2 from centres 10, 11, 0: iteration 1 gives centre 10 the rows 10, 10 and 5 (5 ties
    // between 10 and 0: the first centre wins), centre 11 the row 11, centre 0 the rows 3 and 2: means 25/3, 11, 2.5.
    // The final assignment gives both 10s to 11 (1 away, not 5/3): cluster 1 ends with no row.
    const r = await fitKMeans(matrixFromRows([[10], [10], [11], [3], [5], [2]]), { k: 3, init: [10, 11, 0], maxIter: 1, backend: js });
    expect(r.sizes).toEqual([0, 3, 3]);
    expect(Array.from(r.labels)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(r.centroids)).toEqual([25 / 3, 11, 2.5]);
    expect(r.notes).toEqual([]);
  });
});

describe('convergence', () => {
  it('every run stops only on a second iteration without changes, even when the first changes no label of the previous run', async () => {
    // two tight, far apart groups: every k-means++ start labels the rows as the previous run ended (or swapped),
    // and every run must still move its centres to the group means before it stops
    const m = matrixFromRows(Array.from({ length: 40 }, (_, i) => [(i % 2) * 1000 + (i % 5), (i % 3) * 0.5]));
    const r = await fitKMeans(m, { k: 2, seed: 3, nInit: 6, refine: false, backend: js });
    const groups = [0, 1].map((g) => Array.from({ length: 20 }, (_, q) => 2 * q + g));
    let optimum = 0;
    for (const g of groups) {
      for (let j = 0; j < 2; j++) {
        const mu = Math.fround(g.reduce((s, i) => s + m.data[i * 2 + j]!, 0) / g.length);
        optimum += g.reduce((s, i) => s + Math.fround(m.data[i * 2 + j]! - mu) ** 2, 0);
      }
    }
    for (const w of r.runWcss) expect(Math.abs(w - optimum) / optimum).toBeLessThan(1e-6);
  });

  it('a centre shift equal to tol × variance stops the run: tol 0 from the exact means stops after iteration 1', async () => {
    // From centres 0.5 and 10.5, the means of {0, 1} and {10, 11}: iteration 1 labels every row (4 changes) and moves nothing.
    const m = matrixFromRows([[0], [1], [10], [11]]);
    const r = await fitKMeans(m, { k: 2, init: [0.5, 10.5], tol: 0, backend: js });
    expect(r.history).toEqual([{ iteration: 1, wcss: 1, shift: 0, changed: 4, seconds: expect.any(Number) as number }]);
    expect(r.iterations).toBe(1);
    expect(r.converged).toBe(true);
    expect(r.wcss).toBe(1);
    expect(Array.from(r.centroids)).toEqual([0.5, 10.5]);
  });
});

describe('sharded fits through fitKMeans equal the fit of one job, bit for bit', () => {
  // three 4,096-row blocks: two shards
  const m = blobs(2 * 4096 + 300, 2, 3, 21);
  const base = { k: 3, seed: 4, nInit: 2, backend: js } as const;

  it('shards: 2 (with a sampled k-means++) and a ShardedData passed in give the same fit', async () => {
    const one = await fitKMeans(m, { ...base, initSampleSize: 5000 });
    expect(one.notes).toEqual([`k-means++ initialised on a seeded sample of 5,000 of ${(m.rows).toLocaleString('en-US')} rows`]);
    expect(outcome(await fitKMeans(m, { ...base, initSampleSize: 5000, shards: 2 }))).toEqual(outcome(one));
    const whole = await fitKMeans(m, base);
    const data = shardMatrix(m, 2, js, {});
    expect(data.shards.ranges).toHaveLength(2);
    expect(outcome(await fitKMeans(data, base))).toEqual(outcome(whole));
    expect(outcome(await fitKMeans(shardMatrix(m, 2, js, {}), { ...base, initSampleSize: m.rows }))).toEqual(outcome(whole));
    // a backend named by its registry name
    expect(outcome(await fitKMeans(shardMatrix(m, 2, js, {}), { ...base, backend: 'js' }))).toEqual(outcome(whole));
    expect(outcome(await fitKMeans(m, { ...base, backend: 'js' }))).toEqual(outcome(whole));
  });

  it('relocates an empty cluster to the farthest row over all shards', async () => {
    // one row far out in the second shard; the second centre starts beyond every row
    const d = Float32Array.from(m.data);
    d[2 * 4096 * 2 + 10] = 500;
    const far: Matrix = { data: d, rows: m.rows, cols: 2 };
    const init = [0, 0, 1e4, 1e4, -5, -5];
    const one = await fitKMeans(far, { k: 3, init, backend: js });
    expect(one.notes).toEqual(['1 empty cluster(s) relocated to the farthest rows']);
    expect(one.centroids[2]).toBe(500);
    expect(outcome(await fitKMeans(far, { k: 3, init, backend: js, shards: 2 }))).toEqual(outcome(one));
  });

  it('counts the distinct rows of sharded data it is given', async () => {
    const two: Matrix = { data: Float32Array.from({ length: 2 * (4096 + 20) }, (_, q) => (q >> 1) % 2), rows: 4096 + 20, cols: 2 };
    const e = await thrown(() => fitKMeans(shardMatrix(two, 2, js, {}), { k: 3, backend: js }));
    expect(e.code).toBe('TOO_FEW_DISTINCT_POINTS');
    expect(e.message).toBe('k = 3 is larger than the number of distinct rows (2)');
    expect(e.details).toEqual({ k: 3, distinct: 2 });
  });

  it('refuses sample weights and the mini-batch algorithm on shards, saying what to do', async () => {
    const w = new Float64Array(m.rows).fill(1);
    const viaOption = await thrown(() => fitKMeans(m, { ...base, shards: 2, sampleWeight: w }));
    expect(viaOption.code).toBe('INVALID_OPTION');
    expect(viaOption.message).toBe('sampleWeight is not supported with shards > 1 yet: fit in one process, or leave the weights out');
    expect(viaOption.details).toEqual({ option: 'sampleWeight' });
    const data = shardMatrix(m, 2, js, {});
    const direct = await thrown(() => fitKMeans(data, { ...base, sampleWeight: w }));
    expect(direct.code).toBe('INVALID_OPTION');
    expect(direct.message).toBe('sampleWeight is not supported on sharded data yet: fit in one process, or leave the weights out');
    expect(direct.details).toEqual({ option: 'sampleWeight' });
    const mb = await thrown(() => fitKMeans(m, { ...base, shards: 2, algorithm: 'minibatch' }));
    expect(mb.code).toBe('INVALID_OPTION');
    expect(mb.message).toBe("algorithm 'minibatch' draws its batches from rows in memory or streamed chunks: it does not run on sharded data (use algorithm 'lloyd')");
    expect(mb.details).toEqual({ option: 'algorithm', value: 'minibatch' });
  });
});

describe('the backend contract the driver keeps', () => {
  const m = blobs(500, 2, 3, 31);

  it('passes threads, the signal and the weights to every job it creates, and disposes each job once', async () => {
    const rec = recordingBackend();
    const signal = new AbortController().signal;
    const w = Float64Array.from({ length: m.rows }, (_, i) => 1 + (i % 3));
    const r = await fitKMeans(m, { k: 3, seed: 1, backend: rec.backend, threads: 3, signal, sampleWeight: w, initSampleSize: 200 });
    expect(r.weighted).toBe(true);
    // the data job and the k-means++ sample job
    expect(rec.jobs.map((j) => j.rows)).toEqual([500, 200]);
    for (const job of rec.jobs) {
      expect(job.options?.threads).toBe(3);
      expect(job.options?.signal).toBe(signal);
      expect(job.options?.weights).toBeInstanceOf(Float64Array);
      expect(job.disposed).toBe(1);
    }
    expect(Array.from(rec.jobs[0]!.options!.weights!)).toEqual(Array.from(w));
    expect(Array.from(rec.jobs[1]!.options!.weights!).every((x) => x >= 1 && x <= 3)).toBe(true);
    // without those options the jobs get none of them
    const bare = recordingBackend();
    await fitKMeans(m, { k: 3, seed: 1, backend: bare.backend });
    expect(bare.jobs).toHaveLength(1);
    expect(bare.jobs[0]!.options).toEqual({});
    expect(bare.jobs[0]!.disposed).toBe(1);
  });

  it('shards: 2 makes one job per shard (and one for the k-means++ sample), each disposed once', async () => {
    const big = blobs(4096 + 50, 2, 3, 32);
    const rec = recordingBackend();
    await fitKMeans(big, { k: 3, seed: 1, nInit: 1, backend: rec.backend, shards: 2 });
    expect(rec.jobs.map((j) => j.rows).sort((a, b) => a - b)).toEqual([50, 4096, 4146]);
    expect(rec.jobs.every((j) => j.disposed === 1)).toBe(true);
  });

  it('disposes the jobs it made when a fit fails: a k the data cannot take, a job the backend refuses', async () => {
    const rec = recordingBackend();
    const e = await thrown(() => fitKMeans(matrixFromRows([[1], [1], [2]]), { k: 3, backend: rec.backend }));
    expect(e.code).toBe('TOO_FEW_DISTINCT_POINTS');
    const tooMany = await thrown(() => fitKMeans(matrixFromRows([[1], [1], [2]]), { k: 4, backend: rec.backend }));
    expect(tooMany.message).toBe('k = 4 is larger than the number of rows (3)');
    expect(tooMany.details).toEqual({ k: 4, rows: 3 });
    expect(rec.jobs).toHaveLength(2);
    expect(rec.jobs.every((j) => j.disposed === 1)).toBe(true);
    const refused = recordingBackend({ failJob: 1 });
    const e2 = await thrown(() => fitKMeans(m, { k: 3, backend: refused.backend, initSampleSize: 100 }));
    expect(e2.message).toBe('job refused on purpose');
    expect(refused.jobs).toHaveLength(1);
    expect(refused.jobs[0]!.disposed).toBe(1);
    // sharded data whose fit is refused is released: its shards' jobs are disposed
    const big = blobs(4096 + 50, 2, 3, 33);
    const shardRec = recordingBackend();
    const data = shardMatrix(big, 2, shardRec.backend, {});
    await data.job.assign(Float32Array.of(0, 0), 1, new Float64Array(2), new Float64Array(1));
    expect(shardRec.jobs.map((j) => j.disposed)).toEqual([0, 0]);
    await thrown(() => fitKMeans(data, { k: 3, backend: js, sampleWeight: new Float64Array(big.rows).fill(1) }));
    expect(shardRec.jobs.map((j) => j.disposed)).toEqual([1, 1]);
  });

  it('passes threads and the signal to the k-means++ job of sharded data too', async () => {
    const big = blobs(4096 + 50, 2, 3, 34);
    const rec = recordingBackend();
    const signal = new AbortController().signal;
    await fitKMeans(shardMatrix(big, 2, js, {}), { k: 3, seed: 1, nInit: 1, backend: rec.backend, threads: 2, signal });
    expect(rec.jobs).toHaveLength(1);
    expect(rec.jobs[0]).toMatchObject({ rows: big.rows, options: { threads: 2, signal }, disposed: 1 });
  });

  it("algorithm 'minibatch' makes no k-means++ sample job (initSampleSize does not apply)", async () => {
    const rec = recordingBackend();
    await fitKMeans(m, { k: 3, seed: 1, nInit: 1, algorithm: 'minibatch', initSampleSize: 100, backend: rec.backend });
    expect(rec.jobs.map((j) => j.rows)).toEqual([500]);
  });

  it('runs on a backend without the optional fused kernel (chooseCandidate), with the same result', async () => {
    const rec = recordingBackend({ without: ['chooseCandidate'] });
    const plain = await fitKMeans(m, { k: 3, seed: 6, backend: js });
    const without = await fitKMeans(m, { k: 3, seed: 6, backend: rec.backend });
    expect(outcome(without)).toEqual(outcome(plain));
    // k-means++ itself: the second pass (updateClosest, no reset) gives the fused pass's centres
    for (const seed of [1, 2, 3]) {
      const fused = await js.createJob(m.data, m.rows, m.cols);
      const bare = recordingJob(await js.createJob(m.data, m.rows, m.cols), { without: ['chooseCandidate'] }).job;
      const a = await kmeansPlusPlus(fused, m, 8, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
      const b = await kmeansPlusPlus(bare, m, 8, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
      expect(Array.from(b), `seed ${seed}`).toEqual(Array.from(a));
    }
  });
});

describe("algorithm 'minibatch' through fitKMeans", () => {
  const m = blobs(3000, 2, 5, 41);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  /** Mean over features of the population variance, in float64 (scikit-learn's tol scale). */
  const variance = (x: Matrix): number =>
    mean(
      Array.from({ length: x.cols }, (_, j) => {
        const col = Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + j]!);
        const mu = mean(col);
        return mean(col.map((v) => (v - mu) ** 2));
      }),
    );
  /** WCSS of the nearest-centre assignment to `centres` (float64 sums of float32 differences). */
  const nearestWcss = (x: Matrix, centres: ArrayLike<number>, k: number): number => {
    let s = 0;
    for (let i = 0; i < x.rows; i++) {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        let d = 0;
        for (let j = 0; j < x.cols; j++) d += Math.fround(x.data[i * x.cols + j]! - centres[c * x.cols + j]!) ** 2;
        best = Math.min(best, d);
      }
      s += best;
    }
    return s;
  };

  it('makes nInit complete runs, each seeded as run r of the seed, with the user’s settings; the lowest WCSS wins', async () => {
    const { miniBatchInit, miniBatchFit, matrixRowsAt } = await import('../src/drivers/minibatch-kmeans.js');
    const { runSeed } = await import('../src/drivers/kmeans.js');
    const settings = { k: 5, seed: 12, nInit: 3, batchSize: 200, maxNoImprovement: 4, reassignmentRatio: 0.9, maxIter: 7, tol: 1e-6 };
    const events: ProgressEvent[] = [];
    const r = await fitKMeans(m, { ...settings, algorithm: 'minibatch', backend: js, onProgress: (e) => events.push(e) });
    // each run by hand from its pieces: 3 k-means++ samples of 3 × batchSize rows, then the loop
    const initSize = 3 * settings.batchSize;
    const runs = [];
    for (let run = 0; run < settings.nInit; run++) {
      const rng = new SeededRandom(runSeed(settings.seed, settings.k, run));
      const init = await miniBatchInit(matrixRowsAt(m), m.rows, m.cols, settings.k, 3, initSize, rng);
      const loop = { k: 5, cols: 2, rows: m.rows, batchSize: 200, maxNoImprovement: 4, reassignmentRatio: 0.9, tolScaled: settings.tol * variance(m) };
      runs.push(await miniBatchFit(m, init.centers, loop, settings.maxIter, rng));
    }
    const wcss = runs.map((f) => nearestWcss(m, f.centers, 5));
    r.runWcss.forEach((w, q) => expect(Math.abs(w - wcss[q]!) / wcss[q]!).toBeLessThan(1e-6));
    const best = r.runWcss.indexOf(Math.min(...r.runWcss));
    expect(r.bestRun).toBe(best);
    expect(r.wcss).toBe(r.runWcss[best]);
    const won = runs[best]!;
    expect(Array.from(r.centroids)).toEqual(Array.from(won.centers));
    expect(r).toMatchObject({ algorithm: 'minibatch', steps: won.steps, iterations: won.epochs, converged: won.converged, k: 5, rows: 3000, cols: 2, backend: 'js' });
    const reassigned = runs.reduce((s, f) => s + f.reassigned, 0);
    expect(reassigned).toBeGreaterThan(0);
    expect(r.notes).toEqual([
      'mini-batch: each of 3 run(s) initialised by k-means++ on the best of 3 seeded samples of 600 rows',
      `mini-batch: the best run took ${won.steps} steps of 200 rows (${won.epochs} epoch(s))${won.converged ? ', stopped early' : ''}`,
      `mini-batch: ${reassigned} low-count centre(s) moved to random batch rows`,
    ]);
    // the labels and sizes are those of the final full pass with the winning centres
    expect(Array.from(r.labels)).toEqual(Array.from(predictNearest(r.centroids, 5, m)));
    expect(r.sizes).toEqual([0, 1, 2, 3, 4].map((c) => r.labels.filter((l) => l === c).length));
    expect(events.at(-1)).toEqual({ kind: 'fit', k: 5, wcss: r.wcss, iterations: r.iterations, converged: r.converged, seconds: r.seconds });
    // each run reports its steps, run by run
    const iterationRuns = events.flatMap((e) => (e.kind === 'iteration' ? [[e.run, e.nInit]] : []));
    expect(new Set(iterationRuns.map(([run]) => run))).toEqual(new Set([0, 1, 2]));
    expect(iterationRuns.every(([, n]) => n === 3)).toBe(true);
    expect(r.seconds).toBeGreaterThan(0);
  });

  it('on streamed chunks: k-means++ samples gathered by id (repeats, any order) from the chunks, then the loop over the chunks', async () => {
    const { miniBatchInit, miniBatchFitChunks, matrixRowsAt } = await import('../src/drivers/minibatch-kmeans.js');
    const { runSeed } = await import('../src/drivers/kmeans.js');
    const { StreamedData, StreamedShards } = await import('../src/drivers/sharding/streamed-data.js');
    const s = blobs(4096 + 700, 2, 4, 91);
    const chunk = (start: number, chunkRows: number): [Float32Array, number] => {
      const n = Math.min(chunkRows, s.rows - start);
      return [s.data.slice(start * 2, (start + n) * 2), n];
    };
    const data = new StreamedData(new StreamedShards(memorySource(s), 2, 4096, js), 2);
    const r = await fitKMeans(data, { k: 4, seed: 3, nInit: 2, algorithm: 'minibatch', batchSize: 256, backend: js });
    const runs = [];
    for (let run = 0; run < 2; run++) {
      const rng = new SeededRandom(runSeed(3, 4, run));
      const init = await miniBatchInit(matrixRowsAt(s), s.rows, 2, 4, 3, 3 * 256, rng);
      const loop = { k: 4, cols: 2, rows: s.rows, batchSize: 256, maxNoImprovement: 10, reassignmentRatio: 0.01, tolScaled: 0 };
      const chunks = async (fn: (d: Float32Array, n: number) => Promise<boolean | void>): Promise<void> => {
        for (let start = 0; start < s.rows; start += 4096) if ((await fn(...chunk(start, 4096))) === false) return;
      };
      runs.push(await miniBatchFitChunks(chunks, s.rows, init.centers, loop, 100, rng));
    }
    const best = r.bestRun;
    expect(Array.from(r.centroids)).toEqual(Array.from(runs[best]!.centers));
    expect(r.steps).toBe(runs[best]!.steps);
    r.runWcss.forEach((w, q) => expect(Math.abs(w - nearestWcss(s, runs[q]!.centers, 4)) / w).toBeLessThan(1e-6));
    expect(Array.from(r.labels)).toEqual(Array.from(predictNearest(r.centroids, 4, s)));
  });

  it('from given centres: one run, no k-means++ note; an early stop is noted; thousands of rows print with separators', async () => {
    const big = blobs(5000, 2, 3, 42);
    const r = await fitKMeans(big, { k: 3, init: [0, 0, 1, 1, 2, 2], algorithm: 'minibatch', batchSize: 1500, maxNoImprovement: 1, reassignmentRatio: 0, backend: js });
    expect(r.runWcss).toHaveLength(1);
    expect(r.converged).toBe(true);
    expect(r.notes).toEqual([`mini-batch: the best run took ${r.steps} steps of 1,500 rows (${r.iterations} epoch(s)), stopped early`]);
    const e = await thrown(() => fitKMeans(big, { k: 3, init: [0, 0, 1, 1, NaN, 2], algorithm: 'minibatch', backend: js }));
    expect(e.code).toBe('NON_FINITE_VALUE');
    expect(e.message).toBe('init centre 3, feature 1 is NaN');
    expect(e.details).toEqual({ index: 4 });
    const short = await thrown(() => fitKMeans(big, { k: 3, init: [0, 0, 1, 1, 2], algorithm: 'minibatch', backend: js }));
    expect(short.code).toBe('SHAPE_MISMATCH');
    expect(short.message).toBe('init holds 5 values but k × features = 3 × 2 = 6');
    expect(short.details).toEqual({ length: 5, k: 3, cols: 2 });
  });

  it('defaults to maxIter 100 epochs and tol 0 (Lloyd’s 300 and 1e-4 do not apply)', async () => {
    const small = blobs(600, 2, 5, 43);
    const base = { k: 5, seed: 3, nInit: 1, algorithm: 'minibatch', batchSize: 200, maxNoImprovement: 1_000_000, backend: js } as const;
    const plain = await fitKMeans(small, base);
    expect(outcome(await fitKMeans(small, { ...base, maxIter: 100, tol: 0 }))).toEqual(outcome(plain));
    expect(plain.iterations).toBe(100);
    expect(plain.steps).toBe(300);
    expect(plain.converged).toBe(false);
    // tol 1e-4 would stop these runs early
    expect((await fitKMeans(small, { ...base, tol: 1e-4 })).iterations).toBeLessThan(100);
  });

  it('a timer aborts a long mini-batch run within its loop (a few progress reports after, not the rest of the run)', async () => {
    const controller = new AbortController();
    let fired = false;
    let after = 0;
    const timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, 100);
    const options = { k: 5, seed: 1, nInit: 1, algorithm: 'minibatch', batchSize: 64, maxIter: 10_000, maxNoImprovement: 1_000_000, backend: js, signal: controller.signal } as const;
    const e = await thrown(() => fitKMeans(m, { ...options, onProgress: (ev) => void (fired && ev.kind === 'iteration' && after++) }));
    clearTimeout(timer);
    expect(e.code).toBe('ABORTED');
    // 10,000 epochs of 3,000 rows in batches of 64 would report 7,300 times
    expect(after).toBeLessThan(50);
  });

  it('the first of equal-WCSS runs wins', async () => {
    // two distinct points: every run ends on them exactly (WCSS 0)
    const r = await fitKMeans(matrixFromRows(Array.from({ length: 200 }, (_, i) => [i < 100 ? 0 : 10])), { k: 2, seed: 1, nInit: 3, algorithm: 'minibatch', backend: js });
    expect(r.runWcss).toEqual([0, 0, 0]);
    expect(r.bestRun).toBe(0);
  });
});

describe('values too large for float32 distances, and predictNearest', () => {
  // the largest finite float32, written out: (2 − 2^−23) · 2^127
  const f32max = (2 - 2 ** -23) * 2 ** 127;
  /** The message's bound on |values| with `cols` features: 4 · cols · v² must stay within f32max / 4. */
  const perValue = (cols: number): number => Math.sqrt(f32max / 4 / (4 * cols));
  const big = Math.fround(1e19);

  it('fitKMeans names the first row of the largest value and the bound for the feature count', async () => {
    const e = await thrown(() => fitKMeans(matrixFromRows([[1, 2], [1e19, 3], [-1e19, 4]]), { k: 1, backend: js }));
    expect(e.code).toBe('VALUE_TOO_LARGE');
    expect(e.message).toBe(
      `data row 2, feature 1 is 1.000e+19: squared distances between values this large overflow float32 (with 2 features, keep |values| below about ${perValue(2).toPrecision(2)}); scale the features (standard or min-max scaling) or change their units`,
    );
    expect(e.details).toEqual({ row: 2, column: 1, value: big, limit: perValue(2) });
    const single = await thrown(() => fitKMeans(matrixFromRows([[1], [-1e19]]), { k: 1, backend: js }));
    expect(single.message).toContain('data row 2, feature 1 is -1.000e+19: squared distances');
    expect(single.message).toContain(`(with 1 feature, keep |values| below about ${perValue(1).toPrecision(2)})`);
  });

  it('between features of equally large values, names the first feature; names features when given names', async () => {
    const e = await thrown(() => checkFloat32Range(matrixFromRows([[0, -1e19], [1e19, 0]]), 'rows', ['age', 'income']));
    expect(e.code).toBe('VALUE_TOO_LARGE');
    expect(e.message.startsWith("rows row 2, feature 1 ('age') is 1.000e+19: ")).toBe(true);
    expect(() => validateMatrix(matrixFromRows([[3, -1e19]]), 'rows', ['age', 'income'])).toThrow("rows row 1, feature 2 ('income') is -1.000e+19: ");
    expect(() => validateMatrix(matrixFromRows([[3, -1e19]]))).toThrow('data row 1, feature 2 is -1.000e+19: ');
    // unnamed, the rows are "data"
    expect(() => checkFloat32Range(matrixFromRows([[3, -1e19]]))).toThrow(/^data row 1, feature 2 is -1.000e\+19: /);
    await expect(validateAndMeasure(matrixFromRows([[1], [NaN]]))).rejects.toThrow('data row 2, feature 1 is NaN: NaN and infinite values are not allowed');
  });

  it('refuses two features each at the per-value bound of one (4 · v² = f32max / 4: the sum of both is twice the limit)', async () => {
    const v = Math.fround(Math.sqrt(f32max / 4 / 4));
    const m = matrixFromRows([[v, v], [0, 0]]);
    expect(() => validateMatrix(m)).toThrow(/^data row 1, feature 1 is /);
    expect((await thrown(() => fitKMeans(m, { k: 1, backend: js }))).code).toBe('VALUE_TOO_LARGE');
  });

  it('accepts data within the per-feature bound even when the largest value times the features is above it', async () => {
    // 4 · v² ≤ f32max / 4 < 4 · 2 · v²: only the first feature is large
    const v = Math.fround(Math.sqrt(f32max / 4 / 6));
    expect(4 * 2 * v * v).toBeGreaterThan(f32max / 4);
    const m = matrixFromRows([[v, 0], [0, 1], [-v, 1]]);
    expect(() => checkFloat32Range(m)).not.toThrow();
    expect(() => validateMatrix(m)).not.toThrow();
    await expect(fitKMeans(m, { k: 1, backend: js })).resolves.toMatchObject({ k: 1 });
  });

  it('predictNearest checks the rows it labels, and keeps the first of equally near centroids', async () => {
    const e = await thrown(() => predictNearest(new Float64Array([0, 0, 1, 1]), 2, matrixFromRows([[1, 2, 3]])));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toBe('rows to predict have 3 features but the model has 2');
    expect(e.details).toEqual({ expected: 2, got: 3 });
    expect(() => predictNearest(new Float64Array([0, 2]), 2, matrixFromRows([[1], [NaN]]))).toThrow('rows to predict row 2, feature 1 is NaN: NaN and infinite values are not allowed');
    expect(() => predictNearest(new Float64Array([0, 2]), 2, matrixFromRows([[1], [1e19]]))).toThrow(/^rows to predict row 2, feature 1 is 1.000e\+19: /);
    // row 1 is 1 from both centroids 0 and 2; row 3 is nearer the second
    expect(Array.from(predictNearest(new Float64Array([0, 2]), 2, matrixFromRows([[1], [0.5], [1.5]])))).toEqual([0, 0, 1]);
  });
});

describe('meanFeatureVariance', () => {
  it('is the mean over features of the population variance', () => {
    const m = blobs(257, 3, 4, 81, 3);
    let want = 0;
    for (let j = 0; j < 3; j++) {
      let mu = 0;
      for (let i = 0; i < m.rows; i++) mu += m.data[i * 3 + j]!;
      mu /= m.rows;
      let ss = 0;
      for (let i = 0; i < m.rows; i++) ss += (m.data[i * 3 + j]! - mu) ** 2;
      want += ss / m.rows / 3;
    }
    expect(Math.abs(meanFeatureVariance(m) - want) / want).toBeLessThan(1e-12);
  });
});

describe('countDistinctRows stops at what it was asked for', () => {
  it('counts min(distinct rows, atLeast), leaving out rows of weight 0', () => {
    const m = matrixFromRows([[1, 1], [2, 2], [1, 1], [3, 3], [4, 4], [5, 5]]);
    expect(countDistinctRows(m, 3)).toBe(3);
    expect(countDistinctRows(m, 5)).toBe(5);
    expect(countDistinctRows(m, 100)).toBe(5);
    expect(countDistinctRows(m, 100, [1, 0, 1, 2, 0, 1])).toBe(3);
    expect(countDistinctRows(m, 2, [0, 0, 0, 0, 1, 1])).toBe(2);
  });
});

describe('sample weights through the whole seeded fit', () => {
  const m = blobs(600, 3, 4, 7);
  const w = Float64Array.from({ length: m.rows }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 4)));
  const kept = (i: number): boolean => w[i]! > 0;
  const removed: Matrix = (() => {
    const out: number[] = [];
    for (let i = 0; i < m.rows; i++) if (kept(i)) out.push(...m.data.subarray(i * 3, i * 3 + 3));
    return { data: Float32Array.from(out), rows: out.length / 3, cols: 3 };
  })();

  it('rows of weight 0 change nothing: k-means++, the refined run and Lloyd equal the fit without those rows', async () => {
    for (const k of [4, 6]) {
      const a = await fitKMeans(m, { k, seed: 5, backend: js, sampleWeight: w });
      const b = await fitKMeans(removed, { k, seed: 5, backend: js, sampleWeight: w.filter((_, i) => kept(i)) });
      expect(a.runWcss, `k = ${k}`).toEqual(b.runWcss);
      expect(a.runWcss).toHaveLength(4);
      expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
      expect(a.wcss).toBe(b.wcss);
      expect(a.segmentWeights).toEqual(b.segmentWeights);
      expect(Array.from(a.labels).filter((_, i) => kept(i))).toEqual(Array.from(b.labels));
      expect(a.history.map((h) => [h.wcss, h.shift])).toEqual(b.history.map((h) => [h.wcss, h.shift]));
      // the weights matter: the unweighted fit differs
      const plain = await fitKMeans(removed, { k, seed: 5, backend: js });
      expect(plain.runWcss).not.toEqual(b.runWcss);
    }
  });

  it('equal weights (2 each) give the unweighted fit, refined run included, with twice the WCSS', async () => {
    const plain = await fitKMeans(m, { k: 6, seed: 5, backend: js });
    const twos = await fitKMeans(m, { k: 6, seed: 5, backend: js, sampleWeight: new Float64Array(m.rows).fill(2) });
    expect(plain.runWcss).toHaveLength(4);
    expect(twos.runWcss).toEqual(plain.runWcss.map((x) => 2 * x));
    expect(Array.from(twos.centroids)).toEqual(Array.from(plain.centroids));
    expect(twos.segmentWeights).toEqual(plain.sizes.map((x) => 2 * x));
  });

  it('a sampled k-means++ draws by weight: rows of weight 0 never start a centre', async () => {
    // only the first of three groups weighs anything; k-means++ on a 200-row sample must start both centres there
    const g = blobs(300, 2, 3, 71, 0.5);
    const only = Float64Array.from({ length: g.rows }, (_, i) => (i % 3 === 0 ? 1 + (i % 2) : 0));
    for (let seed = 0; seed < 6; seed++) {
      const r = await fitKMeans(g, { k: 2, seed, nInit: 3, refine: false, backend: js, sampleWeight: only, initSampleSize: 200 });
      expect(r.notes, `seed ${seed}`).toEqual(['k-means++ initialised on a seeded sample of 200 of 300 rows']);
    }
  });

  it("algorithm 'minibatch' refuses weights, naming the option and the algorithm", async () => {
    const e = await thrown(() => fitKMeans(m, { k: 2, backend: js, algorithm: 'minibatch', sampleWeight: w }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe("sampleWeight is not supported with algorithm 'minibatch' yet: use algorithm 'lloyd', or leave the weights out");
    expect(e.details).toEqual({ option: 'sampleWeight', algorithm: 'minibatch' });
  });

  it('the refined run of a weighted fit searches 1,024 rows drawn with replacement in proportion to the weights', async () => {
    const { refineBySwaps } = await import('../src/drivers/swap-refinement.js');
    const { runSeed } = await import('../src/drivers/kmeans.js');
    let made = 0;
    for (const [k, seed] of [[4, 5], [6, 5], [5, 2]] as const) {
      const r = await fitKMeans(m, { k, seed, nInit: 2, backend: js, sampleWeight: w });
      const plain = await fitKMeans(m, { k, seed, nInit: 2, refine: false, backend: js, sampleWeight: w });
      // the draws: the first row whose cumulative weight exceeds u · Σ w
      const rng = new SeededRandom((runSeed(seed, k, 2) ^ 0x27d4eb2f) >>> 0);
      const total = w.reduce((a, b) => a + b, 0);
      const rows = Array.from({ length: 1024 }, () => {
        const target = rng.nextFloat() * total;
        let cum = 0;
        for (let i = 0; i < m.rows; i++) if ((cum += w[i]!) > target) return i;
        return m.rows - 1;
      });
      const sample: Matrix = { data: Float32Array.from(rows.flatMap((i) => Array.from(m.data.subarray(i * 3, i * 3 + 3)))), rows: 1024, cols: 3 };
      const proposal = await refineBySwaps(sample, Float32Array.from(plain.centroids), k, runSeed(seed, k, 2));
      if (proposal === null) {
        expect(r.runWcss).toEqual(plain.runWcss);
        continue;
      }
      made++;
      const fromProposal = await fitKMeans(m, { k, init: proposal, backend: js, sampleWeight: w });
      expect(r.runWcss, `k = ${k}, seed ${seed}`).toEqual([...plain.runWcss, fromProposal.wcss]);
    }
    expect(made).toBeGreaterThanOrEqual(1);
  });

  it('tol is relative to the weighted mean feature variance Σ w (x − m)² / Σ w', async () => {
    const ww = Float64Array.from({ length: m.rows }, (_, i) => 0.5 + (i % 5));
    const W = ww.reduce((a, b) => a + b, 0);
    let variance = 0;
    for (let j = 0; j < 3; j++) {
      let mu = 0;
      for (let i = 0; i < m.rows; i++) mu += ww[i]! * m.data[i * 3 + j]!;
      mu /= W;
      let ss = 0;
      for (let i = 0; i < m.rows; i++) ss += ww[i]! * (m.data[i * 3 + j]! - mu) ** 2;
      variance += ss / W / 3;
    }
    const base = { k: 6, seed: 9, nInit: 1, refine: false, backend: js, sampleWeight: ww };
    const free = await fitKMeans(m, { ...base, tol: 0 });
    // the last iteration whose shift is below every earlier one: a tol just above it stops exactly there
    let at = 0;
    for (let i = 2; i < free.history.length; i++) {
      if (free.history[i - 1]!.shift < Math.min(...free.history.slice(0, i - 1).map((h) => h.shift))) at = i;
    }
    expect(at).toBeGreaterThan(1);
    const shift = free.history[at - 1]!.shift;
    expect((await fitKMeans(m, { ...base, tol: (shift / variance) * (1 + 1e-9) })).iterations).toBe(at);
    expect((await fitKMeans(m, { ...base, tol: (shift / variance) * (1 - 1e-9) })).iterations).toBeGreaterThan(at);
  });
});

describe('k-means++ draws its candidates as scikit-learn does', () => {
  /** A js job on `m` (weighted when given) that records the closest distances the driver reads, the potentials it gets back and the candidates it scores. */
  async function recorded(m: Matrix, weights?: Float64Array) {
    const log = recordingJob(await js.createJob(m.data, m.rows, m.cols, weights ? { weights } : {}));
    return { job: log.job, log };
  }

  /** The row a draw lands on: the first whose cumulative mass reaches the target (the last row of any mass past the end). */
  function landing(mass: number[], target: number): number {
    let cum = 0;
    for (let i = 0; i < mass.length; i++) {
      cum += mass[i]!;
      if (cum >= target) return i;
    }
    let last = mass.length - 1;
    while (last > 0 && !(mass[last]! > 0)) last--;
    return last;
  }

  it.each([false, true])('the first centre, then each candidate, lands where the seeded draws fall on Σ (w ·) D² (weighted: %s)', async (weighted) => {
    const m = blobs(700, 2, 6, 51, 2);
    const w = weighted ? Float64Array.from({ length: m.rows }, (_, i) => (i % 5 === 0 ? 0 : 0.5 + (i % 3))) : undefined;
    for (const [k, seed] of [[4, 1], [7, 2], [9, 3]] as const) {
      const { job, log } = await recorded(m, w);
      const centres = await kmeansPlusPlus(job, m, k, new SeededRandom(seed), createPlusPlusBuffers(m.rows), undefined, w);
      const rng = new SeededRandom(seed);
      const rowOf = (i: number): number[] => Array.from(m.data.subarray(i * 2, i * 2 + 2));
      const first = w ? landing(Array.from(w), rng.nextFloat() * w.reduce((a, b) => a + b, 0)) : rng.nextInt(m.rows);
      expect(Array.from(centres.subarray(0, 2))).toEqual(rowOf(first));
      const trials = 2 + Math.floor(Math.log(k));
      for (let c = 1; c < k; c++) {
        const closest = log.closest[c - 1]!;
        const mass = Array.from(closest, (d, i) => (w ? w[i]! * d : d));
        const want = Array.from({ length: trials }, () => rowOf(landing(mass, rng.nextFloat() * log.potentials[c - 1]!)));
        const got = Array.from({ length: trials }, (_, t) => Array.from(log.potentialCalls[c - 1]!.candidates.subarray(t * 2, t * 2 + 2)));
        expect(got, `k = ${k}, centre ${c + 1}`).toEqual(want);
      }
      expect(log.closest).toHaveLength(k - 1);
    }
  });

  it('between candidates of equal potential, the first drawn wins', async () => {
    // rows 0, −10 and 10: from centre 0 the two others hold equal potential (100 each way)
    const m = matrixFromRows([[0], [-10], [10], [0], [-10], [10]]);
    let decided = 0;
    for (let seed = 0; seed < 60; seed++) {
      const { job, log } = await recorded(m);
      const centres = await kmeansPlusPlus(job, m, 2, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
      const [a, b] = log.potentialCalls[0]!.candidates;
      if (centres[0] !== 0 || a === b) continue;
      expect(log.potentialCalls[0]!.potentials[0]).toBe(log.potentialCalls[0]!.potentials[1]);
      expect(centres[1], `seed ${seed}`).toBe(a);
      decided++;
    }
    expect(decided).toBeGreaterThan(3);
  });

  it('weightedDraw: unit weights give floor(u · n); rows of weight 0 are never drawn', () => {
    const ones = new Float64Array(5).fill(1);
    for (let i = 0; i < 5; i++) {
      expect(weightedDraw(ones, i / 5)).toBe(i);
      expect(weightedDraw(ones, i / 5 + 0.1)).toBe(i);
    }
    const gaps = Float64Array.from([0, 2, 0, 2, 0]);
    expect(weightedDraw(gaps, 0)).toBe(1);
    expect(weightedDraw(gaps, 0.49)).toBe(1);
    expect(weightedDraw(gaps, 0.5)).toBe(3);
    expect(weightedDraw(gaps, 0.999)).toBe(3);
    // u = 1 (outside [0, 1)) clamps to the last row of positive weight
    expect(weightedDraw(gaps, 1)).toBe(3);
  });
});

describe('the refined run', () => {
  /** Sum over rows of the squared distance to the nearest of `centres` (float64). */
  function cost(m: Matrix, centres: ArrayLike<number>, k: number): number {
    let s = 0;
    for (let i = 0; i < m.rows; i++) {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        let d = 0;
        for (let j = 0; j < m.cols; j++) d += (m.data[i * m.cols + j]! - centres[c * m.cols + j]!) ** 2;
        best = Math.min(best, d);
      }
      s += best;
    }
    return s;
  }
  // two groups far apart on x, each split in two on y: centres (50, ±1) are a Lloyd fixed point 50² per row above (0, 0) and (100, 0)
  const m = matrixFromRows(Array.from({ length: 40 }, (_, i) => [(i % 2) * 100 + ((i >> 2) % 5) / 10 - 0.2, i % 4 < 2 ? 1 : -1]));
  const poor = Float32Array.from([50, 1, 50, -1]);
  const good = Float32Array.from([0, 0, 100, 0]);

  it('refineBySwaps leaves a single centre alone, finds a far better start from a poor fixed point, and nothing better than the optimum', async () => {
    const { refineBySwaps } = await import('../src/drivers/swap-refinement.js');
    expect(await refineBySwaps(m, Float32Array.from([50, 0]), 1, 7)).toBeNull();
    const better = await refineBySwaps(m, poor, 2, 7);
    expect(better).not.toBeNull();
    expect(cost(m, better!, 2)).toBeLessThan(cost(m, poor, 2) / 100);
    expect(await refineBySwaps(m, good, 2, 7)).toBeNull();
  });

  it('on at most 1,024 rows the proposal is a Lloyd fixed point of every row (the search sees them all)', async () => {
    const { refineBySwaps } = await import('../src/drivers/swap-refinement.js');
    const b = blobs(1024, 2, 5, 61, 0.6);
    // three starting centres in group 1 (rows 0, 5, 10), none in groups 4 and 5: the search improves on it
    const start = Float32Array.from([0, 5, 10, 1, 2].flatMap((i) => Array.from(b.data.subarray(i * 2, i * 2 + 2))));
    const proposal = await refineBySwaps(b, start, 5, 3);
    expect(proposal).not.toBeNull();
    const sums = new Float64Array(10);
    const counts = new Float64Array(5);
    for (let i = 0; i < b.rows; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < 5; c++) {
        const d = (b.data[i * 2]! - proposal![c * 2]!) ** 2 + (b.data[i * 2 + 1]! - proposal![c * 2 + 1]!) ** 2;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      counts[best]!++;
      sums[best * 2]! += b.data[i * 2]!;
      sums[best * 2 + 1]! += b.data[i * 2 + 1]!;
    }
    expect(Array.from(proposal!)).toEqual(Array.from(sums, (s, q) => Math.fround(s / counts[q >> 1]!)));
  });

  it('starts one more Lloyd run from the search’s proposal for the best run so far, when it has one', async () => {
    const { refineBySwaps } = await import('../src/drivers/swap-refinement.js');
    const { runSeed } = await import('../src/drivers/kmeans.js');
    const b = blobs(900, 2, 8, 62, 2.2);
    let made = 0;
    for (const [k, seed] of [[8, 1], [8, 2], [6, 3], [7, 4]] as const) {
      const r = await fitKMeans(b, { k, seed, nInit: 2, backend: js });
      const plain = await fitKMeans(b, { k, seed, nInit: 2, refine: false, backend: js });
      expect(r.runWcss.slice(0, 2)).toEqual(plain.runWcss);
      const proposal = await refineBySwaps(b, Float32Array.from(plain.centroids), k, runSeed(seed, k, 2));
      if (proposal === null) {
        expect(r.runWcss).toHaveLength(2);
        continue;
      }
      made++;
      const fromProposal = await fitKMeans(b, { k, init: proposal, backend: js });
      expect(r.runWcss, `k = ${k}, seed ${seed}`).toEqual([...plain.runWcss, fromProposal.wcss]);
    }
    expect(made).toBeGreaterThanOrEqual(2);
  });
});
