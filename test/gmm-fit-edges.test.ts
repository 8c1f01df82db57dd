/**
 * fitGaussianMixture's driver edges (written against the StrykerJS survivors
 * of `drivers-gmm` in the M-step, the initialisation and the EM loop): the
 * starting parameters checked by hand against one M-step of hard labels, a
 * component no label names, `init` in part and in full, the convergence rule
 * at tol 0, the choice among nInit runs, progress events, notes, the
 * backend, threads and signal of the K-Means start, and the refusals' messages
 * and details. Small data on the js backend: StrykerJS runs this per mutant.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import type { Matrix } from '../src/common/matrix.js';
import { fitGaussianMixture, type CovarianceType, type GaussianMixtureParameters } from '../src/drivers/gaussian-mixture.js';
import { fitKMeans, runSeed } from '../src/drivers/kmeans.js';

/** Three groups of four rows in 3-D (float32-exact values), labelled by group. */
const GROUPS = [
  [1, 2, 0.5], [2, 1, 1.5], [1.5, 3, 2], [3, 2.5, 0],
  [10, 11, 9], [11.5, 10, 10.5], [9, 12, 11], [10.5, 9.5, 12],
  [20, 1, 5], [21, 2.5, 4], [19.5, 0, 6.5], [22, 1.5, 5.5],
];
const GROUP_LABELS = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];

function matrixOf(rows: number[][]): Matrix {
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length };
}

/** Sixty rows uniform on a 25 × 25 grid of quarter steps: K-Means from different seeds ends in different partitions. */
function scatter(seed: number, rows = 60): Matrix {
  const rng = new SeededRandom(seed);
  return { data: Float32Array.from({ length: rows * 2 }, () => Math.round(rng.nextFloat() * 100) / 4), rows, cols: 2 };
}

/** One M-step of hard labels, by the textbook formulas: n_c / n, the group means, the population covariances + reg on the diagonal. */
function handStart(rows: number[][], labels: number[], k: number, covariance: CovarianceType, reg: number): { weights: number[]; means: number[][]; covariances: number[] } {
  const d = rows[0]!.length;
  const weights: number[] = [];
  const means: number[][] = [];
  const covariances: number[] = [];
  for (let c = 0; c < k; c++) {
    const members = rows.filter((_, i) => labels[i] === c);
    weights.push(members.length / rows.length);
    const mu = Array.from({ length: d }, (_, j) => members.reduce((a, r) => a + r[j]!, 0) / members.length);
    means.push(mu);
    const cov = (p: number, q: number): number => members.reduce((a, r) => a + (r[p]! - mu[p]!) * (r[q]! - mu[q]!), 0) / members.length + (p === q ? reg : 0);
    if (covariance === 'full') for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) covariances.push(cov(p, q));
    else if (covariance === 'diag') for (let j = 0; j < d; j++) covariances.push(cov(j, j));
    else covariances.push(Array.from({ length: d }, (_, j) => cov(j, j)).reduce((a, b) => a + b, 0) / d);
  }
  return { weights, means, covariances };
}

/** Σ_c · P_c for every component, P_c = U Uᵀ from the held upper Cholesky factor U (full covariances). */
function covarianceTimesPrecision(p: GaussianMixtureParameters): number[][] {
  const d = p.cols;
  const out: number[][] = [];
  for (let c = 0; c < p.k; c++) {
    const a = c * d * d;
    const prec = (i: number, j: number): number => {
      let s = 0;
      for (let q = 0; q < d; q++) s += p.precisionsCholesky[a + i * d + q]! * p.precisionsCholesky[a + j * d + q]!;
      return s;
    };
    for (let i = 0; i < d; i++) {
      const row: number[] = [];
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let q = 0; q < d; q++) s += p.covariances[a + i * d + q]! * prec(q, j);
        row.push(s);
      }
      out.push(row);
    }
  }
  return out;
}

function identityRows(k: number, d: number): number[][] {
  return Array.from({ length: k * d }, (_, r) => Array.from({ length: d }, (_, j) => (r % d === j ? 1 : 0)));
}

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 10): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]!).toBeCloseTo(v, digits));
}

describe('fitGaussianMixture: the starting parameters', () => {
  const matrix = matrixOf(GROUPS);

  it.each(['full', 'diag', 'spherical'] as const)('%s: initLabels start from one M-step of the hard labels (weights, means, covariances + regCovar on the diagonal)', async (covariance) => {
    const reg = 0.25;
    const g = await fitGaussianMixture(matrix, { k: 3, covariance, regCovar: reg, initLabels: GROUP_LABELS, maxIter: 1, backend: 'js' });
    const want = handStart(GROUPS, GROUP_LABELS, 3, covariance, reg);
    expectClose(g.initial.weights, want.weights, 12);
    expectClose(g.initial.means, want.means.flat(), 12);
    expectClose(g.initial.covariances, want.covariances, 10);
    if (covariance === 'full') {
      // Every entry, the upper triangle too: the covariance is symmetric, and U Uᵀ is its inverse.
      covarianceTimesPrecision(g.initial).forEach((row, r) => expectClose(row, identityRows(3, 3)[r]!, 9));
    } else {
      expectClose(g.initial.precisionsCholesky, want.covariances.map((v) => 1 / Math.sqrt(v)), 10);
    }
  });

  it('a component that no initial label names gets weight 10ε/n, mean 0 and covariance regCovar (scikit-learn’s nk + 10 eps), keeps no row, and a note says so', async () => {
    const labels = GROUP_LABELS.map((l) => (l === 2 ? 1 : l));
    for (const covariance of ['full', 'diag'] as const) {
      const g = await fitGaussianMixture(matrix, { k: 3, covariance, initLabels: labels, backend: 'js' });
      expect(g.initial.weights[2]).toBe((10 * Number.EPSILON) / 12);
      expect(Array.from(g.initial.means.subarray(6, 9))).toEqual([0, 0, 0]);
      const cov = covariance === 'full' ? [1e-6, 0, 0, 0, 1e-6, 0, 0, 0, 1e-6] : [1e-6, 1e-6, 1e-6];
      expect(Array.from(g.initial.covariances.subarray(2 * cov.length))).toEqual(cov);
      expect(Number.isFinite(g.meanLogLikelihood)).toBe(true);
      expect(Number.isFinite(g.lowerBound)).toBe(true);
      expect(g.sizes).toEqual([4, 8, 0]);
      expect(g.notes).toEqual(['1 component(s) are the most probable for no row']);
    }
  });

  it('diag and spherical init.precisions start from covariances 1/precision', async () => {
    const means = [2, 2, 1, 10, 10, 10, 20, 1, 5];
    const diag = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', init: { weights: [0.25, 0.5, 0.25], means, precisions: [1, 2, 4, 0.5, 0.25, 8, 1, 1, 2] }, maxIter: 1 });
    expectClose(diag.initial.covariances, [1, 0.5, 0.25, 2, 4, 0.125, 1, 1, 0.5], 12);
    expectClose(diag.initial.precisionsCholesky, [1, Math.SQRT2, 2, Math.SQRT1_2, 0.5, Math.sqrt(8), 1, 1, Math.SQRT2], 9);
    const spherical = await fitGaussianMixture(matrix, { k: 3, covariance: 'spherical', init: { weights: [0.25, 0.5, 0.25], means, precisions: [4, 0.5, 2] }, maxIter: 1 });
    expectClose(spherical.initial.covariances, [0.25, 2, 0.5], 12);
  });

  it('a full init skips K-Means: backend is empty and no note is added, whatever backend was asked for', async () => {
    // Precisions of covariances [[2, 1], [1, 2]] and [[1, 0], [0, 4]]: their inverses.
    const two = matrixOf([[0, 0], [1, 1], [0, 1], [1, 0], [8, 8], [9, 8], [8, 10], [9, 10]]);
    const precisions = [2 / 3, -1 / 3, -1 / 3, 2 / 3, 1, 0, 0, 0.25];
    const g = await fitGaussianMixture(two, { k: 2, covariance: 'full', init: { weights: [0.5, 0.5], means: [0.5, 0.5, 8.5, 9], precisions }, backend: 'js' });
    expect(g.backend).toBe('');
    expect(g.converged).toBe(true);
    expect(g.notes).toEqual([]);
    expectClose(g.initial.covariances, [2, 1, 1, 2, 1, 0, 0, 4], 12);
    expectClose(g.initial.weights, [0.5, 0.5], 15);
    expectClose(g.initial.means, [0.5, 0.5, 8.5, 9], 15);
  });

  it('an init with precisions but not weights (or not means) takes what is missing from the K-Means start', async () => {
    const km = await fitKMeans(matrix, { k: 3, seed: 4, backend: 'js' });
    const fromKMeans = handStart(GROUPS, Array.from(km.labels), 3, 'diag', 1e-6);
    const precisions = Array.from({ length: 9 }, () => 1);
    const noWeights = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', seed: 4, backend: 'js', init: { means: fromKMeans.means.flat(), precisions }, maxIter: 1 });
    expectClose(noWeights.initial.weights, fromKMeans.weights, 12);
    expect(noWeights.backend).toBe(km.backend);
    const noMeans = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', seed: 4, backend: 'js', init: { weights: fromKMeans.weights, precisions }, maxIter: 1 });
    expectClose(noMeans.initial.means, fromKMeans.means.flat(), 12);
    expectClose(noMeans.initial.covariances, Array.from({ length: 9 }, () => 1), 12);
  });
});

describe('fitGaussianMixture: the EM loop', () => {
  const matrix = matrixOf(GROUPS);

  it('a converged fit from initLabels: no note, no backend, Infinity as the first change, each later change the difference of lower bounds, seconds within the fit’s', async () => {
    const before = performance.now();
    const g = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', initLabels: GROUP_LABELS, backend: 'js' });
    const wall = (performance.now() - before) / 1000;
    expect(g.converged).toBe(true);
    expect(g.notes).toEqual([]);
    expect(g.backend).toBe('');
    expect(g.sizes).toEqual([4, 4, 4]);
    const h = g.history;
    expect(h.length).toBe(g.iterations);
    expect(h.map((s) => s.iteration)).toEqual(h.map((_, i) => i + 1));
    expect(h[0]!.change).toBe(Number.POSITIVE_INFINITY);
    for (let i = 1; i < h.length; i++) expect(h[i]!.change).toBe(h[i]!.lowerBound - h[i - 1]!.lowerBound);
    expect(Math.abs(h[h.length - 1]!.change)).toBeLessThan(1e-3);
    expect(g.lowerBound).toBe(h[h.length - 1]!.lowerBound);
    let sum = 0;
    for (const s of h) {
      expect(s.seconds).toBeGreaterThanOrEqual(0);
      sum += s.seconds;
    }
    expect(sum).toBeLessThanOrEqual(g.seconds);
    expect(g.seconds).toBeGreaterThan(0);
    expect(g.seconds).toBeLessThanOrEqual(wall);
  });

  it('tol 0 never converges, even on an exact fixed point (k = 1: every later change is exactly 0); the note says so', async () => {
    const g = await fitGaussianMixture(matrix, { k: 1, tol: 0, maxIter: 4, initLabels: new Array(12).fill(0) });
    expect(g.converged).toBe(false);
    expect(g.iterations).toBe(4);
    expect(g.history.map((s) => s.change)).toEqual([Number.POSITIVE_INFINITY, 0, 0, 0]);
    expect(g.notes).toEqual([`EM did not converge within 4 iterations (last change of the mean log-likelihood ${(0).toPrecision(3)} ≥ tol 0); raise maxIter or tol`]);
    // With the default tol the same fit stops at the second iteration.
    const stops = await fitGaussianMixture(matrix, { k: 1, initLabels: new Array(12).fill(0) });
    expect(stops.converged).toBe(true);
    expect(stops.iterations).toBe(2);
  });

  it('one progress event per EM iteration of every initialisation, naming the run, the iteration and the lower bound', async () => {
    const events: ProgressEvent[] = [];
    // k = 1: every initialisation is the same fit, so each has the winner's history.
    const g = await fitGaussianMixture(matrix, { k: 1, nInit: 3, seed: 1, backend: 'js', onProgress: (e) => events.push(e) });
    expect(g.bestRun).toBe(0);
    const want: ProgressEvent[] = [];
    for (let run = 1; run <= 3; run++) {
      for (const s of g.history) {
        want.push({ kind: 'phase', phase: 'gmm', detail: `k = 1, initialisation ${run} of 3, EM iteration ${s.iteration} of at most 100: mean log-likelihood ${s.lowerBound.toPrecision(8)}` });
      }
    }
    expect(events).toEqual(want);
  });

  it.each([
    ['initLabels', { initLabels: GROUP_LABELS }],
    ['init', { init: { means: [2, 2, 1, 10, 10, 10, 20, 1, 5] } }],
  ])('%s makes one initialisation, whatever nInit says', async (_, extra) => {
    const details: string[] = [];
    const g = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', nInit: 3, seed: 2, backend: 'js', ...extra, onProgress: (e) => details.push(e.kind === 'phase' ? (e.detail ?? '') : '') });
    expect(g.bestRun).toBe(0);
    expect(details.length).toBe(g.iterations);
    for (const d of details) expect(d).toMatch(/^k = 3, initialisation 1 of 1, EM iteration /);
  });

  it('nInit: run r starts from K-Means with runSeed(seed, k, 1000 + r) (run 0 with seed itself); the highest lower bound wins, the first of equals', async () => {
    const m = scatter(3);
    const runs = [];
    for (let r = 0; r < 4; r++) {
      const km = await fitKMeans(m, { k: 4, seed: r === 0 ? 2 : runSeed(2, 4, 1000 + r), backend: 'js' });
      runs.push(await fitGaussianMixture(m, { k: 4, covariance: 'diag', initLabels: km.labels }));
    }
    const bounds = runs.map((g) => g.lowerBound);
    const best = bounds.indexOf(Math.max(...bounds));
    // This data and seed make the winner neither the first nor the last run, with no ties.
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(3);
    expect(new Set(bounds).size).toBe(4);
    const g = await fitGaussianMixture(m, { k: 4, covariance: 'diag', nInit: 4, seed: 2, backend: 'js' });
    expect(g.bestRun).toBe(best);
    expect(g.lowerBound).toBe(bounds[best]);
    expect(Array.from(g.initial.means)).toEqual(Array.from(runs[best]!.initial.means));
    expect(Array.from(g.labels)).toEqual(Array.from(runs[best]!.labels));
    // Equal runs (k = 1): the first is kept.
    const ties = await fitGaussianMixture(m, { k: 1, nInit: 3, seed: 2, backend: 'js' });
    expect(ties.bestRun).toBe(0);
  });

  it('the K-Means start’s notes come once (from the first run), prefixed, and its backend is the fit’s', async () => {
    const m = scatter(5);
    const km = await fitKMeans(m, { k: 3, seed: 7, initSampleSize: 20, backend: 'js' });
    expect(km.notes.length).toBeGreaterThan(0);
    const g = await fitGaussianMixture(m, { k: 3, covariance: 'spherical', nInit: 2, seed: 7, kmeans: { initSampleSize: 20 }, backend: 'js' });
    expect(g.converged).toBe(true);
    expect(g.sizes.every((s) => s > 0)).toBe(true);
    expect(g.notes).toEqual(km.notes.map((n) => `K-Means initialisation: ${n}`));
    expect(g.backend).toBe(km.backend);
    const single = await fitGaussianMixture(m, { k: 3, covariance: 'spherical', seed: 7, kmeans: { initSampleSize: 20 }, backend: 'js' });
    expect(single.notes).toEqual(g.notes);
  });

  it('threads reach the K-Means start (wasm names its thread count)', async (ctx) => {
    const m = scatter(5);
    const threads = Math.min(256, availableParallelism() + 1);
    let km;
    try {
      km = await fitKMeans(m, { k: 3, seed: 7, backend: 'wasm', threads });
    } catch (error) {
      ctx.skip(`the wasm backend is not available here: ${(error as Error).message}`);
      return;
    }
    const byDefault = await fitKMeans(m, { k: 3, seed: 7, backend: 'wasm' });
    expect(km.backend).not.toBe(byDefault.backend);
    const g = await fitGaussianMixture(m, { k: 3, seed: 7, backend: 'wasm', threads, maxIter: 1 });
    expect(g.backend).toBe(km.backend);
  });

  it('an abort from a timer stops the K-Means start itself, not only the EM after it', async () => {
    const m = scatter(11, 3000);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timer')), 50);
    const started = performance.now();
    try {
      // 100,000 K-Means initialisations would take minutes: only an abort inside K-Means ends this early.
      await expect(fitGaussianMixture(m, { k: 8, backend: 'js', kmeans: { nInit: 100_000 }, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED', message: 'aborted: timer' });
    } finally {
      clearTimeout(timer);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 30_000);
});

describe('fitGaussianMixture: refusals name the values', () => {
  const matrix = matrixOf(GROUPS);
  const bad = (options: unknown, m: Matrix = matrix) => fitGaussianMixture(m, options as { k: number });

  it('options, k and distinct rows', async () => {
    await expect(bad(undefined)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/^fitGaussianMixture needs an options object with k, got /) });
    await expect(bad({ k: 13 })).rejects.toMatchObject({ code: 'INVALID_K', details: { k: 13, rows: 12 } });
    const twoDistinct = matrixOf([[1, 1], [1, 1], [2, 2], [2, 2]]);
    await expect(bad({ k: 3, initLabels: [0, 1, 2, 2] }, twoDistinct)).rejects.toMatchObject({
      code: 'TOO_FEW_DISTINCT_POINTS',
      message: 'k = 3 is larger than the number of distinct rows (2)',
      details: { k: 3, distinct: 2 },
    });
  });

  it('init and its arrays', async () => {
    await expect(bad({ k: 3, init: 5 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'init needs an options object, got number 5' });
    await expect(bad({ k: 3, init: { weights: [0.5, 0.5] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: 'init.weights holds 2 values but k = 3' });
    await expect(bad({ k: 3, init: { weights: [0, 0.5, 0.5] } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: 'init.weights[0] is 0: weights must be positive',
      details: { option: 'init.weights', index: 0 },
    });
    await expect(bad({ k: 3, init: { weights: [0.5, -0.25, 0.75] } })).rejects.toMatchObject({ message: 'init.weights[1] is -0.25: weights must be positive', details: { index: 1 } });
    await expect(bad({ k: 3, init: { weights: [0.5, 0.5, 0.5] } })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { option: 'init.weights', sum: 1.5 } });
    await expect(bad({ k: 3, covariance: 'diag', init: { precisions: [1, 1, 1] } })).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
      message: 'init.precisions holds 3 values but the diag precision shape for k = 3, 3 features = 9',
    });
  });

  it('initLabels: length, and every label an integer in 0..k-1', async () => {
    await expect(bad({ k: 3, initLabels: [0, 1] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', details: { length: 2, rows: 12 } });
    for (const [value, shown] of [[3, '3'], [-1, '-1'], [0.5, '0.5'], [Number.NaN, 'NaN']] as const) {
      const labels: number[] = [...GROUP_LABELS];
      labels[5] = value;
      await expect(bad({ k: 3, initLabels: labels })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: `initLabels[5] is ${shown}: labels must be integers in 0..2`,
        details: { option: 'initLabels', index: 5 },
      });
    }
  });
});
