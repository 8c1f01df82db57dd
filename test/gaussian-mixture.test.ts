/**
 * Gaussian mixtures (`fitGaussianMixture`): parity with scikit-learn's
 * GaussianMixture from the same initial parameters (mean log-likelihood
 * within 1e-4 relative, same labels up to permutation on separated data) on
 * Mall and on generated data, for every covariance type; predict and
 * predictProba; BIC/AIC; validation with typed errors; an abort from a timer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers } from '../src/data-in/generate-customers.js';
import { COVARIANCE_TYPES, fitGaussianMixture, mixtureParameterCount, precisionsFromCholesky, type CovarianceType, type GaussianMixtureResult } from '../src/drivers/gaussian-mixture.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { kSelectionCsv, selectK } from '../src/drivers/k-selection.js';
import { parseKMethods } from '../src/drivers/suggest-k.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { samePartition } from './helpers/partitions.js';
import { runPythonReference, skipSuffix, type PythonResult } from './helpers/python-reference.js';

/** Mall's Age, Annual Income and Spending Score (the file's columns 3–5). */
function mallMatrix(): Matrix {
  const lines = readFileSync(MALL_CSV, 'utf8').trim().split(/\r?\n/).slice(1);
  const data = new Float32Array(lines.length * 3);
  lines.forEach((line, i) => line.split(',').slice(2, 5).forEach((v, j) => (data[i * 3 + j] = Number(v))));
  return { data, rows: lines.length, cols: 3 };
}

/** Well-separated elliptical blobs: centres 12 apart, per-feature spreads 0.4..1.6, and one correlated pair. */
function blobs(rows: number, k: number, d: number, seed: number): { matrix: Matrix; truth: Int32Array } {
  const rng = new SeededRandom(seed);
  const normal = (): number => {
    const u = Math.max(rng.nextFloat(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  };
  const data = new Float32Array(rows * d);
  const truth = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % k;
    truth[i] = c;
    const z = Array.from({ length: d }, () => normal());
    for (let j = 0; j < d; j++) {
      const spread = 0.4 + ((c + j) % 4) * 0.4;
      const mixed = j === 1 ? 0.8 * z[0]! + 0.6 * z[1]! : z[j]!;
      data[i * d + j] = 12 * ((c + j) % k) + (j === 0 ? 12 * c : 0) + spread * mixed;
    }
  }
  return { matrix: { data, rows, cols: d }, truth };
}

/** The generator's Age, Income and Score, standardized (as `--scale standard` does). */
function generatedMatrix(rows: number, seed: number): Matrix {
  const g = generateCustomers({ rows, seed });
  const d = g.numeric.length;
  const data = new Float32Array(rows * d);
  g.numeric.forEach((col, j) => {
    const mean = col.reduce((a, b) => a + b, 0) / rows;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
    for (let i = 0; i < rows; i++) data[i * d + j] = (col[i]! - mean) / sd;
  });
  return { data, rows, cols: d };
}


interface Reference {
  score: number;
  labels: number[];
  bic: number;
  aic: number;
  proba: number[];
  converged: boolean;
  iterations: number;
}

/** sklearn's GaussianMixture from the given init on X (float64 of the float32 values), one run per case. */
function sklearnMixtures(what: string, matrix: Matrix, cases: { k: number; covariance: CovarianceType; tol: number; weights: number[]; means: number[]; precisions: number[] }[]): PythonResult<Reference[]> {
  const script = `
import json, sys, numpy as np
from sklearn.mixture import GaussianMixture
doc = json.load(sys.stdin)
X = np.array(doc['X'], dtype=np.float64).reshape(doc['rows'], doc['cols'])
out = []
for c in doc['cases']:
    k, cov, d = c['k'], c['covariance'], doc['cols']
    prec = np.array(c['precisions'], dtype=np.float64)
    prec = prec.reshape(k, d, d) if cov == 'full' else prec.reshape(k, d) if cov == 'diag' else prec
    g = GaussianMixture(n_components=k, covariance_type=cov, tol=c['tol'], reg_covar=1e-6, max_iter=500, random_state=0,
        weights_init=np.array(c['weights']), means_init=np.array(c['means']).reshape(k, d), precisions_init=prec)
    labels = g.fit_predict(X)
    out.append({'score': g.score(X), 'labels': labels.tolist(), 'bic': g.bic(X), 'aic': g.aic(X),
                'proba': g.predict_proba(X[:5]).ravel().tolist(), 'converged': bool(g.converged_), 'iterations': int(g.n_iter_)})
print(json.dumps(out))
`;
  return runPythonReference<Reference[]>(what, script, JSON.stringify({ X: Array.from(matrix.data), rows: matrix.rows, cols: matrix.cols, cases }));
}

/** Fits segmenta's mixtures for every covariance type (K-Means initialisation), and sklearn's cases from the same initial parameters. */
async function parityCases(matrix: Matrix, k: number, tol = 1e-3) {
  const fits = new Map<CovarianceType, GaussianMixtureResult>();
  const cases = [];
  for (const covariance of COVARIANCE_TYPES) {
    const fit = await fitGaussianMixture(matrix, { k, covariance, seed: 1, backend: 'js', tol, maxIter: 500 });
    fits.set(covariance, fit);
    const start = fit.initial;
    cases.push({ k, covariance, tol, weights: Array.from(start.weights), means: Array.from(start.means), precisions: precisionsFromCholesky(covariance, start.precisionsCholesky, k, matrix.cols) });
  }
  return { firsts: fits, cases };
}

function checkParity(ours: GaussianMixtureResult, ref: Reference, separated: boolean): void {
  expect(Math.abs(ours.meanLogLikelihood - ref.score) / Math.abs(ref.score)).toBeLessThan(1e-4);
  expect(ours.bic).toBeCloseTo(ref.bic, 1);
  expect(ours.aic).toBeCloseTo(ref.aic, 1);
  expect(ours.converged).toBe(ref.converged);
  expect(ours.iterations).toBe(ref.iterations);
  const rows5 = Array.from(ours.probabilities.subarray(0, 5 * ours.k));
  // Probabilities of the first rows, matched through the label permutation.
  const perm = new Map<number, number>();
  ours.labels.forEach((l, i) => perm.set(l, ref.labels[i]!));
  if (separated) {
    expect(samePartition(ours.labels, ref.labels)).toBe(true);
    for (let i = 0; i < 5; i++) {
      for (let c = 0; c < ours.k; c++) {
        if (!perm.has(c)) continue;
        expect(rows5[i * ours.k + c]!).toBeCloseTo(ref.proba[i * ours.k + perm.get(c)!]!, 4);
      }
    }
  }
}

describe('fitGaussianMixture against scikit-learn from the same initial parameters', () => {
  it('separated blobs (2,400 × 3, k = 4): same labels up to permutation, mean log-likelihood within 1e-4, every covariance type', async (ctx) => {
    const { matrix, truth } = blobs(2400, 4, 3, 7);
    const { firsts, cases } = await parityCases(matrix, 4);
    const ref = sklearnMixtures('GaussianMixture on separated blobs', matrix, cases);
    if (ref.reason) return ctx.skip(ref.reason);
    for (const [i, covariance] of COVARIANCE_TYPES.entries()) {
      const ours = firsts.get(covariance)!;
      checkParity(ours, ref.value[i]!, true);
      expect(samePartition(ours.labels, truth)).toBe(true);
    }
  });

  it('generated customers (3,000 × 3, standardized, k = 5): mean log-likelihood within 1e-4 relative for every covariance type', async (ctx) => {
    const matrix = generatedMatrix(3000, 11);
    const { firsts, cases } = await parityCases(matrix, 5);
    const ref = sklearnMixtures('GaussianMixture on generated customers', matrix, cases);
    if (ref.reason) return ctx.skip(ref.reason);
    for (const [i, covariance] of COVARIANCE_TYPES.entries()) checkParity(firsts.get(covariance)!, ref.value[i]!, false);
  });

  it.skipIf(!HAVE_MALL)(`Mall (Age, Income, Score; k = 5; tol 1e-6, many EM iterations): mean log-likelihood within 1e-4 relative for every covariance type${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async (ctx) => {
    const matrix = mallMatrix();
    const { firsts, cases } = await parityCases(matrix, 5, 1e-6);
    const ref = sklearnMixtures('GaussianMixture on Mall', matrix, cases);
    if (ref.reason) return ctx.skip(ref.reason);
    for (const [i, covariance] of COVARIANCE_TYPES.entries()) checkParity(firsts.get(covariance)!, ref.value[i]!, false);
  });
});

describe('fitGaussianMixture', () => {
  const { matrix, truth } = blobs(600, 3, 2, 3);

  it('predict and predictProba of the fitted model give the fit’s labels and probabilities; each row’s probabilities sum to 1', async () => {
    const g = await fitGaussianMixture(matrix, { k: 3, covariance: 'full', seed: 2, backend: 'js' });
    expect(samePartition(g.labels, truth)).toBe(true);
    expect(Array.from(g.model.predict(matrix))).toEqual(Array.from(g.labels));
    const proba = g.model.predictProba(matrix);
    expect(proba.length).toBe(600 * 3);
    for (let i = 0; i < 600; i++) {
      const row = proba.subarray(i * 3, i * 3 + 3);
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 12);
      expect(row.indexOf(Math.max(...row))).toBe(g.labels[i]);
      for (let c = 0; c < 3; c++) expect(row[c]!).toBeCloseTo(g.probabilities[i * 3 + c]!, 12);
    }
    expect(g.model.score(matrix)).toBeCloseTo(g.meanLogLikelihood, 12);
    expect(g.sizes.reduce((a, b) => a + b, 0)).toBe(600);
    expect(g.sizes.sort()).toEqual([200, 200, 200]);
    const p = mixtureParameterCount('full', 3, 2);
    expect(p).toBe(3 * 3 + 3 * 2 + 2);
    expect(g.bic).toBeCloseTo(-2 * 600 * g.meanLogLikelihood + p * Math.log(600), 8);
    expect(g.aic).toBeCloseTo(-2 * 600 * g.meanLogLikelihood + 2 * p, 8);
    expect(g.model.bic(matrix)).toBeCloseTo(g.bic, 8);
    // A new row near one centre belongs to that component with near certainty.
    const first = { data: matrix.data.slice(0, 2), rows: 1, cols: 2 };
    expect(g.model.predictProba(first)[g.labels[0]!]!).toBeGreaterThan(0.999);
  });

  it('starts from the K-Means fit with the same seed: initLabels from fitKMeans give the identical mixture', async () => {
    const a = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', seed: 9, backend: 'js' });
    const km = await fitKMeans(matrix, { k: 3, seed: 9, backend: 'js' });
    const b = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', initLabels: km.labels });
    expect(b.meanLogLikelihood).toBe(a.meanLogLikelihood);
    expect(Array.from(b.model.means)).toEqual(Array.from(a.model.means));
    const again = await fitGaussianMixture(matrix, { k: 3, covariance: 'diag', seed: 9, backend: 'js' });
    expect(Array.from(again.probabilities)).toEqual(Array.from(a.probabilities));
  });

  it('nInit keeps the initialisation with the highest lower bound', async () => {
    const g = await fitGaussianMixture(generatedMatrix(1500, 4), { k: 6, covariance: 'full', nInit: 3, seed: 5, backend: 'js' });
    expect(g.bestRun).toBeGreaterThanOrEqual(0);
    expect(g.bestRun).toBeLessThan(3);
    // The winner's start, given as init, reproduces it.
    const start = { weights: g.initial.weights, means: g.initial.means, precisions: precisionsFromCholesky('full', g.initial.precisionsCholesky, 6, 3) };
    const again = await fitGaussianMixture(generatedMatrix(1500, 4), { k: 6, covariance: 'full', init: start });
    expect(again.lowerBound).toBeCloseTo(g.lowerBound, 9);
    const single = await fitGaussianMixture(generatedMatrix(1500, 4), { k: 6, covariance: 'full', nInit: 1, seed: 5, backend: 'js' });
    expect(g.lowerBound).toBeGreaterThanOrEqual(single.lowerBound);
  });

  it('states a fit that did not converge', async () => {
    const g = await fitGaussianMixture(generatedMatrix(800, 2), { k: 4, maxIter: 1, tol: 0, backend: 'js' });
    expect(g.converged).toBe(false);
    expect(g.iterations).toBe(1);
    expect(g.notes.join(' ')).toMatch(/EM did not converge within 1 iterations/);
  });

  it('validates its input with typed errors that state the values', async () => {
    const bad = (options: object, m: Matrix = matrix) => fitGaussianMixture(m, options as { k: number });
    await expect(bad({ k: 0 })).rejects.toMatchObject({ code: 'INVALID_K', message: 'k must be an integer >= 1, got 0' });
    await expect(bad({ k: 601 })).rejects.toMatchObject({ code: 'INVALID_K', message: 'k = 601 is larger than the number of rows (600)' });
    await expect(bad({ k: 3 }, { data: new Float32Array([1, 1, 1, 1, 2, 2]), rows: 3, cols: 2 })).rejects.toMatchObject({ code: 'TOO_FEW_DISTINCT_POINTS' });
    await expect(bad({ k: 2, covariance: 'tied' })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'covariance must be one of full, diag, spherical, got tied' });
    await expect(bad({ k: 2, regCovar: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'regCovar must be a finite number >= 0, got -1' });
    await expect(bad({ k: 2, tol: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(bad({ k: 2, maxIter: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'maxIter must be an integer >= 1, got 0' });
    const nan = Float32Array.from(matrix.data);
    nan[7] = Number.NaN;
    await expect(bad({ k: 2 }, { data: nan, rows: 600, cols: 2 })).rejects.toMatchObject({ code: 'NON_FINITE_VALUE', message: 'data row 4, feature 2 is NaN: NaN and infinite values are not allowed' });
    await expect(bad({ k: 2, init: { means: [1, 2, 3] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: 'init.means holds 3 values but k × features = 2 × 2 = 4' });
    await expect(bad({ k: 2, init: { weights: [0.5, 0.6] } })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'init.weights sum to 1.1, not 1' });
    await expect(bad({ k: 2, covariance: 'full', init: { precisions: [1, 2, 2, 1, 1, 0, 0, 1] } })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'init.precisions of component 0 is not positive definite' });
    await expect(bad({ k: 2, initLabels: [0, 1] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: 'initLabels holds 2 labels but the data has 600 rows' });
    await expect(bad({ k: 2 }, [[1, 2]] as unknown as Matrix)).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });

  it('names the component whose covariance collapses when regCovar is 0', async () => {
    // Three rows on a line in 2-D: a full covariance of each K-Means cluster is singular.
    const flat = { data: Float32Array.from([0, 0, 1, 1, 2, 2, 10, 10, 11, 11, 12, 12]), rows: 6, cols: 2 };
    await expect(fitGaussianMixture(flat, { k: 2, regCovar: 0, backend: 'js' })).rejects.toMatchObject({ code: 'ILL_DEFINED_COVARIANCE', details: { regCovar: 0 } });
    const ok = await fitGaussianMixture(flat, { k: 2, backend: 'js' });
    expect(samePartition(ok.labels, [0, 0, 0, 1, 1, 1])).toBe(true);
  });

  it('keeps the event loop free and stops on an abort from a timer', async () => {
    const big = generatedMatrix(60_000, 8);
    const controller = new AbortController();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const timer = setTimeout(() => controller.abort(new Error('timer')), 300);
    const started = performance.now();
    try {
      await expect(fitGaussianMixture(big, { k: 8, covariance: 'full', tol: 0, maxIter: 10_000, backend: 'js', signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      clearInterval(ticker);
      clearTimeout(timer);
    }
    expect(performance.now() - started).toBeLessThan(20_000);
    // The interval kept firing while EM ran (a blocked loop would have let it fire once or not at all).
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('BIC and AIC among the methods for choosing k', () => {
  const { matrix } = blobs(1200, 4, 3, 21);

  it('selectK with bic and aic: each k’s value is that of fitGaussianMixture at k with the same seed, and the lowest BIC finds the four blobs', async () => {
    const sel = await selectK(matrix, { kMin: 1, kMax: 7, seed: 3, backend: 'js', methods: ['bic', 'aic'] });
    expect(sel.methods).toEqual(['bic', 'aic']);
    expect(sel.curves.bic).toHaveLength(7);
    for (const k of [1, 4, 6]) {
      const g = await fitGaussianMixture(matrix, { k, seed: 3, backend: 'js' });
      expect(sel.curves.bic![k - 1]).toBe(g.bic);
      expect(sel.curves.aic![k - 1]).toBe(g.aic);
      expect(sel.mixture!.meanLogLikelihood[k - 1]).toBe(g.meanLogLikelihood);
    }
    expect(sel.choice.byMethod.bic).toMatchObject({ k: 4 });
    expect(sel.choice.byMethod.bic!.why).toMatch(/the Gaussian mixture's BIC is lowest at k = 4/);
    expect(sel.choice.suggestedK).toBe(4);
    const csv = kSelectionCsv(sel).split('\n');
    expect(csv[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,bic,aic,fit_seconds');
    expect(Number(csv[4]!.split(',')[7])).toBeCloseTo(sel.curves.bic![3]!, -1);
  });

  it('the default methods do not fit mixtures: no bic or aic curve, and the CSV keeps its columns', async () => {
    const sel = await selectK(matrix, { kMin: 1, kMax: 5, seed: 3, backend: 'js', methods: ['elbow', 'calinski'] });
    expect(sel.curves.bic).toBeUndefined();
    expect(sel.mixture).toBeUndefined();
    expect(kSelectionCsv(sel).split('\n')[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,fit_seconds');
    expect(parseKMethods('all')).not.toContain('bic');
    expect(parseKMethods('bic, AIC')).toEqual(['bic', 'aic']);
  });

  it('scikit-learn’s GaussianMixture (its own k-means start) also has its lowest BIC and AIC at k = 4 on these blobs', async (ctx) => {
    const script = `
import json, sys, numpy as np
from sklearn.mixture import GaussianMixture
doc = json.load(sys.stdin)
X = np.array(doc['X'], dtype=np.float64).reshape(doc['rows'], doc['cols'])
fits = [GaussianMixture(n_components=k, random_state=0).fit(X) for k in range(1, 8)]
print(json.dumps({'bic': [g.bic(X) for g in fits], 'aic': [g.aic(X) for g in fits]}))
`;
    const ref = runPythonReference<{ bic: number[]; aic: number[] }>('GaussianMixture BIC/AIC over k', script, JSON.stringify({ X: Array.from(matrix.data), rows: matrix.rows, cols: matrix.cols }));
    if (ref.reason) return ctx.skip(ref.reason);
    const sel = await selectK(matrix, { kMin: 1, kMax: 7, seed: 0, backend: 'js', methods: ['bic', 'aic'] });
    const argmin = (v: readonly (number | null)[]) => v.indexOf(Math.min(...(v as number[]))) + 1;
    expect(argmin(ref.value.bic)).toBe(4);
    expect(argmin(ref.value.aic)).toBe(argmin(sel.curves.aic!));
    expect(argmin(sel.curves.bic!)).toBe(4);
    // Where both find the same mixture (k = 4: the blobs), the BIC agrees to 1e-4 relative.
    expect(Math.abs(sel.curves.bic![3]! - ref.value.bic[3]!) / Math.abs(ref.value.bic[3]!)).toBeLessThan(1e-4);
  });

  it('segmenta sweep --method bic --json: the bic curve, its k, and a one-line error for an unknown method', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'segmenta-bic-'));
    try {
      const file = join(dir, 'blobs.csv');
      const lines = ['id,a,b,c'];
      for (let i = 0; i < matrix.rows; i++) lines.push([i + 1, ...matrix.data.subarray(i * 3, i * 3 + 3)].join(','));
      writeFileSync(file, `${lines.join('\n')}\n`);
      const r = await runSegmenta('sweep', file, '--features', 'a,b,c', '--k-max', '6', '--method', 'bic', '--backend', 'js', '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.methods).toEqual(['bic']);
      expect(doc.bic).toHaveLength(6);
      expect(doc.mixture.covariance).toBe('full');
      expect(doc.suggestedK).toBe(4);
      const diag = JSON.parse((await runSegmenta('sweep', file, '--features', 'a,b,c', '--k-max', '6', '--method', 'aic', '--mixture-covariance', 'diag', '--backend', 'js', '--json')).stdout);
      expect(diag.mixture.covariance).toBe('diag');
      expect(diag.aic).toHaveLength(6);
      expect(diag.bic).toBeUndefined();
      // Diagonal components cannot follow the correlated pair of features: they score worse than full ones at k = 4.
      expect(diag.mixture.meanLogLikelihood[3]).toBeLessThan(doc.mixture.meanLogLikelihood[3]);
      expect(doc.byMethod.bic.k).toBe(4);
      const bad = await runSegmenta('sweep', file, '--features', 'a,b,c', '--method', 'bicc');
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe("segmenta: error: unknown method 'bicc': choose from elbow, silhouette, calinski, davies, gap, bic, aic or all");
      const cov = await runSegmenta('sweep', file, '--features', 'a,b,c', '--method', 'bic', '--mixture-covariance', 'tied');
      expect(cov.code).toBe(2);
      expect(cov.stderr.trim()).toBe("segmenta: error: --mixture-covariance must be one of full, diag, spherical, got 'tied'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
