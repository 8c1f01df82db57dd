/**
 * Sample weights: scikit-learn's invariants (test_weighted_vs_repeated,
 * test_unit_weights_vs_no_weights, test_scaled_weights, check_sample_weights_*)
 * in ONE suite run for every backend (describe.each over js, wasm, tfjs), plus
 * the weighted kernels bit for bit against js at several thread counts, and a
 * comparison with scikit-learn's KMeans(sample_weight=…) from the same init.
 *
 * Exact backends (js, wasm) must give identical bits where the arithmetic is
 * the same (unit weights, weights scaled by a power of two, zero weights on
 * one block); tfjs (matMul form, float32 reductions) is held to a tolerance.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { KernelBackend } from '../src/backends/kernel-contract.js';
import { SegmentaError } from '../src/common/errors.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitAgglomerative } from '../src/drivers/agglomerative/fit-agglomerative.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { selectK } from '../src/drivers/k-selection.js';
import { fitKMeans, type KMeansResult } from '../src/drivers/kmeans.js';
import { runPythonReference } from './helpers/python-reference.js';

/** Gaussian blobs: `rows` × `cols`, `centres` groups, seeded. */
function blobs(rows: number, cols: number, centres: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const c = Array.from({ length: centres * cols }, () => rng.nextFloat() * 20 - 10);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const g = i % centres;
    for (let j = 0; j < cols; j++) data[i * cols + j] = c[g * cols + j]! + 1.5 * rng.nextGaussian();
  }
  return { data, rows, cols };
}

function randomWeights(rows: number, seed: number, max = 4): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: rows }, () => 1 + rng.nextInt(max));
}

/** The rows of `m` repeated `times[i]` times each, in order. */
function repeatRows(m: Matrix, times: ArrayLike<number>): Matrix {
  const out: number[] = [];
  for (let i = 0; i < m.rows; i++) for (let t = 0; t < times[i]!; t++) out.push(...m.data.subarray(i * m.cols, (i + 1) * m.cols));
  return { data: Float32Array.from(out), rows: out.length / m.cols, cols: m.cols };
}

function keepRows(m: Matrix, keep: (i: number) => boolean): Matrix {
  const out: number[] = [];
  for (let i = 0; i < m.rows; i++) if (keep(i)) out.push(...m.data.subarray(i * m.cols, (i + 1) * m.cols));
  return { data: Float32Array.from(out), rows: out.length / m.cols, cols: m.cols };
}

/** The first k rows' values as an init (what sklearn's tests do with `init=centers`). */
function initFrom(m: Matrix, ids: number[]): Float64Array {
  return Float64Array.from(ids.flatMap((i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected[i]!)));
  }
}

const BACKENDS = ['js', 'wasm', 'tfjs'] as const;

describe.each(BACKENDS)('sample weights on %s', (name) => {
  const load = async (): Promise<KernelBackend> => resolveBackend(name);
  const m = blobs(600, 3, 4, 7);
  const k = 4;

  /** Equal results: identical bits on exact backends, within `rel` on tfjs. */
  const same = (a: KMeansResult, b: KMeansResult, rel = 1e-5): void => {
    if (a.backend.startsWith('tfjs')) {
      expect(a.labels).toEqual(b.labels);
      expectClose(a.centroids, b.centroids, rel);
      expectClose([a.wcss], [b.wcss], rel);
    } else {
      expect(a.labels).toEqual(b.labels);
      expect(a.centroids).toEqual(b.centroids);
      expect(a.wcss).toBe(b.wcss);
    }
  };

  it('unit weights equal no weights (the whole fit: k-means++, refinement, Lloyd)', async () => {
    const backend = await load();
    const plain = await fitKMeans(m, { k, seed: 3, backend });
    const unit = await fitKMeans(m, { k, seed: 3, backend, sampleWeight: new Float64Array(m.rows).fill(1) });
    same(unit, plain);
    expect(unit.sizes).toEqual(plain.sizes);
    expect(unit.segmentWeights).toEqual(plain.sizes);
    expect(unit.weighted).toBe(true);
    expect(plain.weighted).toBeUndefined();
    expect(unit.runWcss).toEqual(plain.runWcss);
  });

  it('scaling every weight changes nothing but the WCSS scale', async () => {
    const backend = await load();
    const w = randomWeights(m.rows, 11);
    const a = await fitKMeans(m, { k, seed: 5, backend, sampleWeight: w });
    // × 4: a power of two scales every float exactly, so even the k-means++ draws are the same.
    const b = await fitKMeans(m, { k, seed: 5, backend, sampleWeight: w.map((x) => 4 * x) });
    expect(b.labels).toEqual(a.labels);
    if (a.backend.startsWith('tfjs')) expectClose(b.centroids, a.centroids, 1e-6);
    else expect(b.centroids).toEqual(a.centroids);
    expectClose([b.wcss], [4 * a.wcss], a.backend.startsWith('tfjs') ? 1e-6 : 0);
    // × 3.7 from the same init: the same partition, WCSS × 3.7.
    const init = initFrom(m, [0, 1, 2, 3]);
    const c = await fitKMeans(m, { k, backend, init, sampleWeight: w });
    const d = await fitKMeans(m, { k, backend, init, sampleWeight: w.map((x) => 3.7 * x) });
    expect(d.labels).toEqual(c.labels);
    expectClose(d.centroids, c.centroids, 1e-6);
    expectClose([d.wcss], [3.7 * c.wcss], 1e-6);
    expect(d.sizes).toEqual(c.sizes);
  });

  it('a weight of n equals the row repeated n times (same init)', async () => {
    const backend = await load();
    const times = randomWeights(m.rows, 13);
    const init = initFrom(m, [0, 1, 2, 3]);
    const weighted = await fitKMeans(m, { k, backend, init, sampleWeight: times });
    const repeated = await fitKMeans(repeatRows(m, times), { k, backend, init });
    const expanded: number[] = [];
    for (let i = 0; i < m.rows; i++) for (let t = 0; t < times[i]!; t++) expanded.push(weighted.labels[i]!);
    expect(Array.from(repeated.labels)).toEqual(expanded);
    // tfjs reduces in float32 (its usual tolerance); js and wasm differ only in the float64 order of the sums.
    const rel = name === 'tfjs' ? 1e-5 : 1e-6;
    expectClose(weighted.centroids, repeated.centroids, rel);
    expectClose([weighted.wcss], [repeated.wcss], rel);
    expectClose(weighted.segmentWeights!, repeated.sizes, name === 'tfjs' ? 1e-6 : 1e-9);
  });

  it('a weight of 0 equals removing the row', async () => {
    const backend = await load();
    const w = randomWeights(m.rows, 17);
    const zero = (i: number): boolean => i % 7 === 3;
    for (let i = 0; i < m.rows; i++) if (zero(i)) w[i] = 0;
    const init = initFrom(m, [0, 1, 2, 5]);
    const withZeros = await fitKMeans(m, { k, backend, init, sampleWeight: w });
    const removed = await fitKMeans(keepRows(m, (i) => !zero(i)), { k, backend, init, sampleWeight: w.filter((_, i) => !zero(i)) });
    expect(Array.from(withZeros.labels).filter((_, i) => !zero(i))).toEqual(Array.from(removed.labels));
    if (withZeros.backend.startsWith('tfjs')) {
      expectClose(withZeros.centroids, removed.centroids, 1e-5);
      expectClose([withZeros.wcss], [removed.wcss], 1e-5);
    } else {
      expect(withZeros.centroids).toEqual(removed.centroids);
      expect(withZeros.wcss).toBe(removed.wcss);
    }
    expect(withZeros.segmentWeights).toEqual(removed.segmentWeights);
  });

  it('leaves the caller’s weights untouched (Float64Array and plain array)', async () => {
    const backend = await load();
    const typed = randomWeights(m.rows, 19);
    typed[4] = 0;
    const before = Float64Array.from(typed);
    const plain = Array.from(typed);
    await fitKMeans(m, { k, seed: 1, backend, sampleWeight: typed });
    await fitKMeans(m, { k, seed: 1, backend, sampleWeight: plain });
    expect(typed).toEqual(before);
    expect(plain).toEqual(Array.from(before));
  });

  it('the sweep weights every k and its WCSS', async () => {
    const backend = await load();
    const w = randomWeights(m.rows, 23);
    const sweep = await sweepK(m, { kMin: 1, kMax: 4, seed: 2, backend, sampleWeight: w });
    const unit = await sweepK(m, { kMin: 1, kMax: 4, seed: 2, backend, sampleWeight: new Float64Array(m.rows).fill(1) });
    const plain = await sweepK(m, { kMin: 1, kMax: 4, seed: 2, backend });
    expect(unit.wcss).toEqual(plain.wcss);
    for (const [i, kk] of sweep.ks.entries()) {
      const fit = await fitKMeans(m, { k: kk, seed: 2, backend, sampleWeight: w });
      expect(sweep.wcss[i]).toBe(fit.wcss);
    }
    // k = 1: the weighted WCSS around the weighted mean.
    let total = 0;
    const mean = [0, 0, 0];
    for (let i = 0; i < m.rows; i++) {
      total += w[i]!;
      for (let j = 0; j < 3; j++) mean[j]! += w[i]! * m.data[i * 3 + j]!;
    }
    let wcss = 0;
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < 3; j++) wcss += w[i]! * (m.data[i * 3 + j]! - Math.fround(mean[j]! / total)) ** 2;
    expectClose([sweep.wcss[0]!], [wcss], 1e-5);
  });
});

describe.each(BACKENDS)('weighted Ward on %s: exact (matrix and matrix-free) and two-stage are one mechanism', (name) => {
  const m = blobs(120, 2, 4, 43);
  const methods = [
    { mode: 'exact', exactMethod: 'matrix' },
    { mode: 'exact', exactMethod: 'matrix-free' },
  ] as const;

  it.each(methods)('unit weights equal no weights ($exactMethod)', async (method) => {
    const backend = await resolveBackend(name);
    const plain = await fitAgglomerative(m, { k: 4, backend, ...method });
    const unit = await fitAgglomerative(m, { k: 4, backend, ...method, sampleWeight: new Float64Array(m.rows).fill(1) });
    expect(unit.labels).toEqual(plain.labels);
    expect(unit.tree.merges).toEqual(plain.tree.merges);
    expect(unit.wcss).toBeCloseTo(plain.wcss, 9);
  });

  it.each(methods)('a weight of n equals the row repeated n times; scaled weights scale the heights ($exactMethod)', async (method) => {
    const backend = await resolveBackend(name);
    const times = randomWeights(m.rows, 47, 3);
    const weighted = await fitAgglomerative(m, { k: 4, backend, ...method, sampleWeight: times });
    const repeated = await fitAgglomerative(repeatRows(m, times), { k: 4, backend, ...method });
    const expanded: number[] = [];
    for (let i = 0; i < m.rows; i++) for (let t = 0; t < times[i]!; t++) expanded.push(weighted.labels[i]!);
    expect(Array.from(repeated.labels)).toEqual(expanded);
    expectClose(weighted.centroids, repeated.centroids, 1e-9);
    expectClose([weighted.wcss], [repeated.wcss], 1e-9);
    expect(weighted.segmentWeights).toEqual(repeated.sizes);
    // The top merges (those above the duplicates' zero-height ones) have the same heights
    // (tfjs computes the row distances in its own float32 order: 1e-6).
    const rel = name === 'tfjs' ? 1e-6 : 1e-9;
    const top = (z: Float64Array, count: number): number[] => Array.from({ length: count }, (_, q) => z[z.length - 4 * (q + 1) + 2]!);
    expectClose(top(weighted.tree.merges, 20), top(repeated.tree.merges, 20), rel);
    const scaled = await fitAgglomerative(m, { k: 4, backend, ...method, sampleWeight: times.map((x) => 2.5 * x) });
    expect(scaled.labels).toEqual(weighted.labels);
    expectClose(top(scaled.tree.merges, 20), top(weighted.tree.merges, 20).map((h) => h * Math.sqrt(2.5)), rel);
  });

  it('two-stage weights its micro-clusters by the sum of their rows’ weights', async () => {
    const backend = await resolveBackend(name);
    const w = randomWeights(m.rows, 53, 5);
    const r = await fitAgglomerative(m, { k: 4, backend, mode: 'two-stage', microClusters: 30, sampleWeight: w });
    const perMicro = new Array<number>(r.micro!.m).fill(0);
    for (let i = 0; i < m.rows; i++) perMicro[r.micro!.labels[i]!]! += w[i]!;
    expect(Array.from(r.micro!.sizes)).toEqual(perMicro);
    expect(r.segmentWeights!.reduce((a, b) => a + b, 0)).toBe(w.reduce((a, b) => a + b, 0));
  });

  it('rejects zero weights and non-Ward linkages', async () => {
    const w = new Float64Array(m.rows).fill(1);
    w[9] = 0;
    await expect(fitAgglomerative(m, { k: 3, backend: name, sampleWeight: w })).rejects.toThrow('sampleWeight row 10 is 0: Ward linkage needs weights > 0');
    await expect(fitAgglomerative(m, { k: 3, backend: name, linkage: 'average', sampleWeight: new Float64Array(m.rows).fill(1) })).rejects.toThrow(/sampleWeight needs ward linkage/);
  });
});

describe('weighted kernels: wasm equals js bit for bit at any thread count', () => {
  it.each([1, 2, 3])('%i thread(s), across several 4096-row blocks, with zero weights', async (threads) => {
    const wasm = await resolveBackend('wasm');
    const m = blobs(3 * 4096 + 123, 5, 6, 29);
    const w = randomWeights(m.rows, 31, 9).map((x, i) => (i % 11 === 0 ? 0 : x / 3));
    const js = await fitKMeans(m, { k: 6, seed: 4, backend: jsReferenceBackend, sampleWeight: w, nInit: 2 });
    const ws = await fitKMeans(m, { k: 6, seed: 4, backend: wasm, threads, sampleWeight: w, nInit: 2 });
    expect(ws.labels).toEqual(js.labels);
    expect(ws.centroids).toEqual(js.centroids);
    expect(ws.wcss).toBe(js.wcss);
    expect(ws.runWcss).toEqual(js.runWcss);
    expect(ws.segmentWeights).toEqual(js.segmentWeights);
  });
});

describe('weighted fused k-means++ pass: chooseCandidate adopts the same bits as a second updateClosest pass', () => {
  const m = blobs(2 * 4096 + 77, 3, 4, 41);
  const w = randomWeights(m.rows, 43, 7).map((x, i) => (i % 13 === 0 ? 0 : x / 3));
  /** Potentials of one weighted k-means++ step, fused (chooseCandidate) and unfused (updateClosest on the winner). */
  async function step(backend: KernelBackend, threads?: number): Promise<{ fused: number[]; unfused: number[]; closest: Float32Array[] }> {
    const out = { fused: [] as number[], unfused: [] as number[], closest: [] as Float32Array[] };
    for (const fused of [true, false]) {
      const job = await backend.createJob(m.data, m.rows, m.cols, { weights: w, ...(threads ? { threads } : {}) });
      try {
        const pots: number[] = [await job.updateClosest(m.data.subarray(0, 3), true)];
        const cand = m.data.slice(100 * 3, 104 * 3);
        const p = new Float64Array(4);
        await job.candidatePotentials(cand, 4, p);
        pots.push(...p);
        pots.push(fused ? await job.chooseCandidate!(1) : await job.updateClosest(cand.subarray(3, 6), false));
        pots.push(await job.updateClosest(m.data.subarray(9 * 3, 10 * 3), false));
        const closest = new Float32Array(m.rows);
        await job.readClosest(closest);
        out.closest.push(closest);
        (fused ? out.fused : out.unfused).push(...pots);
      } finally {
        await job.dispose();
      }
    }
    return out;
  }
  it('js: fused = unfused, and the potential is Σ w·min(closest, d²)', async () => {
    const r = await step(jsReferenceBackend);
    expect(r.fused).toEqual(r.unfused);
    expect(r.closest[0]).toEqual(r.closest[1]);
    // the unweighted potential differs: the weights really are applied
    const plain = await jsReferenceBackend.createJob(m.data, m.rows, m.cols);
    try {
      expect(await plain.updateClosest(m.data.subarray(0, 3), true)).not.toBe(r.fused[0]);
    } finally {
      await plain.dispose();
    }
  });
  it.each([1, 2, 3])('wasm at %i thread(s): the same bits as js, fused and unfused', async (threads) => {
    const wasm = await resolveBackend('wasm');
    const want = await step(jsReferenceBackend);
    const got = await step(wasm, threads);
    expect(got.fused).toEqual(want.fused);
    expect(got.unfused).toEqual(want.unfused);
    expect(got.closest[0]).toEqual(want.closest[0]);
  });
});

describe('sampleWeight validation', () => {
  const m = blobs(20, 2, 2, 1);
  const cases: [string, ArrayLike<number>, string, RegExp][] = [
    ['wrong length', new Float64Array(19).fill(1), 'SHAPE_MISMATCH', /sampleWeight holds 19 weights for 20 rows/],
    ['negative', Float64Array.from({ length: 20 }, (_, i) => (i === 6 ? -2 : 1)), 'INVALID_OPTION', /sampleWeight row 7 is -2: weights must be >= 0/],
    ['NaN', Float64Array.from({ length: 20 }, (_, i) => (i === 2 ? NaN : 1)), 'NON_FINITE_VALUE', /sampleWeight row 3 is NaN/],
    ['Infinity', Float64Array.from({ length: 20 }, (_, i) => (i === 0 ? Infinity : 1)), 'NON_FINITE_VALUE', /sampleWeight row 1 is Infinity/],
    ['all zero', new Float64Array(20), 'INVALID_OPTION', /all 20 weights are 0/],
  ];
  it.each(cases)('%s', async (_what, sampleWeight, code, message) => {
    const e = await fitKMeans(m, { k: 2, backend: 'js', sampleWeight }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe(code);
    expect((e as SegmentaError).message).toMatch(message);
  });
  it("algorithm 'minibatch' refuses weights with a typed error", async () => {
    const e = await fitKMeans(m, { k: 2, backend: 'js', algorithm: 'minibatch', sampleWeight: new Float64Array(20).fill(1) }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe('INVALID_OPTION');
    expect((e as SegmentaError).message).toMatch(/sampleWeight is not supported with algorithm 'minibatch'/);
  });
  it('selectK refuses bic/aic with weights (Gaussian mixtures take none); other methods run weighted', async () => {
    const w = randomWeights(20, 3);
    const e = await selectK(m, { kMin: 1, kMax: 3, backend: 'js', methods: ['elbow', 'bic', 'aic'], sampleWeight: w }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe('INVALID_OPTION');
    expect((e as SegmentaError).message).toMatch(/k methods bic and aic fit Gaussian mixtures, which take no sample weights/);
    const ok = await selectK(m, { kMin: 1, kMax: 3, backend: 'js', methods: ['elbow', 'calinski'], sampleWeight: w });
    expect(ok.sweep.wcss.length).toBe(3);
  });
  it('k above the distinct rows of positive weight', async () => {
    const w = new Float64Array(20);
    w[0] = 1;
    w[1] = 2;
    const e = await fitKMeans(m, { k: 3, backend: 'js', sampleWeight: w }).catch((error: unknown) => error);
    expect((e as SegmentaError).code).toBe('TOO_FEW_DISTINCT_POINTS');
    expect((e as SegmentaError).message).toBe('k = 3 is larger than the number of distinct rows of positive weight (2)');
  });
});

describe('scikit-learn KMeans(sample_weight=…) from the same init', () => {
  it('gives the same labels, centroids and inertia', async () => {
    const m = blobs(400, 2, 3, 37);
    const w = randomWeights(m.rows, 41, 6).map((x) => x * 0.75);
    const init = initFrom(m, [0, 1, 2]);
    const script = `
import json, sys, numpy as np
from sklearn.cluster import KMeans
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float64).reshape(-1, 2)
km = KMeans(n_clusters=3, init=np.array(d['init']).reshape(3, 2), n_init=1, tol=0, max_iter=300, algorithm='lloyd').fit(X, sample_weight=np.array(d['w']))
print(json.dumps({'labels': km.labels_.tolist(), 'centers': km.cluster_centers_.ravel().tolist(), 'inertia': float(km.inertia_)}))
`;
    const ref = runPythonReference<{ labels: number[]; centers: number[]; inertia: number }>(
      'KMeans with sample_weight',
      script,
      JSON.stringify({ X: Array.from(m.data), init: Array.from(init), w: Array.from(w) }),
    );
    if (ref.reason !== undefined) {
      console.warn(ref.reason);
      return;
    }
    const fit = await fitKMeans(m, { k: 3, backend: 'js', init, tol: 0, sampleWeight: w });
    expect(Array.from(fit.labels)).toEqual(ref.value.labels);
    expectClose(fit.centroids, ref.value.centers, 1e-5);
    expectClose([fit.wcss], [ref.value.inertia], 1e-5);
  });
});
