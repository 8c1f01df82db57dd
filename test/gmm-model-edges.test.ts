/**
 * The fitted mixture's model and the parameter plumbing of
 * `drivers/gaussian-mixture.ts`, on small hand-made data with every expected
 * value worked out here from its formula: the model's log-densities, labels,
 * probabilities, BIC/AIC and JSON for hand-set diag, full and spherical
 * parameters; the Cholesky factors of the precisions (2 × 2 by hand, 4 × 4
 * checked as Σ · U Uᵀ = I); covariance-type parsing and parameter counts;
 * and the typed errors of the settings and of `init` (arrays, positive and
 * symmetric precisions, the symmetry tolerance at its edges). No K-Means runs
 * here: every fit starts from `initLabels` or a complete `init`.
 */
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../src/common/matrix.js';
import {
  fitGaussianMixture,
  GaussianMixtureModel,
  mixtureParameterCount,
  parseCovarianceType,
  precisionCholesky,
  precisionsFromCholesky,
  type CovarianceType,
  type GaussianMixtureOptions,
} from '../src/drivers/gaussian-mixture.js';

const LOG_2PI = Math.log(2 * Math.PI);

function matrixOf(rows: number[][]): Matrix {
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length };
}

/** log of a d-variate normal density with a diagonal covariance, term by term. */
function logNormalDiag(x: number[], mean: number[], variances: number[]): number {
  return x.reduce((sum, xj, j) => sum - 0.5 * (LOG_2PI + Math.log(variances[j]!) + (xj - mean[j]!) ** 2 / variances[j]!), 0);
}

/** log Σ exp(a_c), shifted by the largest term. */
function logSumExp(a: number[]): number {
  const max = Math.max(...a);
  return max + Math.log(a.reduce((s, v) => s + Math.exp(v - max), 0));
}

/** A · B for d × d row-major matrices. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, d: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += a[i * d + q]! * b[q * d + j]!;
    out.push(s);
  }
  return out;
}

function transpose(a: ArrayLike<number>, d: number): number[] {
  return Array.from({ length: d * d }, (_, n) => a[(n % d) * d + Math.floor(n / d)]!);
}

function identity(d: number): number[] {
  return Array.from({ length: d * d }, (_, n) => (n % (d + 1) === 0 ? 1 : 0));
}

/** Two groups of four rows in `d` features, around 0 and around 6. */
function twoGroups(d: number): Matrix {
  const rows = Array.from({ length: 8 }, (_, i) => Array.from({ length: d }, (_, j) => (i < 4 ? 0 : 6) + (((i + 1) * (j + 2)) % 5) * 0.25));
  return matrixOf(rows);
}

const groups2 = twoGroups(2);
const labels8 = [0, 0, 0, 0, 1, 1, 1, 1];

/** What a refused option rejects with. */
function refused(message: string, details: Record<string, unknown>) {
  return { code: 'INVALID_OPTION', message, details };
}

function fit(options: Record<string, unknown>, matrix: Matrix = groups2) {
  return fitGaussianMixture(matrix, options as GaussianMixtureOptions);
}

describe('covariance types and parameter counts', () => {
  it('parseCovarianceType trims and lowercases; a refusal names the option and the value', async () => {
    expect(parseCovarianceType(' Diag ')).toBe('diag');
    expect(parseCovarianceType('FULL\n')).toBe('full');
    expect(() => parseCovarianceType('tied')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', details: { option: 'covariance', value: 'tied' } }));
    const g = await fit({ k: 2, covariance: ' Spherical ', initLabels: labels8, maxIter: 1 });
    expect(g.covariance).toBe('spherical');
    expect(g.model.covariances.length).toBe(2);
  });

  it('mixtureParameterCount: k·d(d+1)/2, k·d or k covariance values, plus k·d means and k − 1 weights', () => {
    const k = 3;
    const d = 4;
    const rest = k * d + (k - 1);
    expect(mixtureParameterCount('full', k, d)).toBe((k * d * (d + 1)) / 2 + rest);
    expect(mixtureParameterCount('diag', k, d)).toBe(k * d + rest);
    expect(mixtureParameterCount('spherical', k, d)).toBe(k + rest);
  });

  it('precisionsFromCholesky squares diag and spherical factors, and gives U Uᵀ for full', () => {
    expect(precisionsFromCholesky('diag', [2, 0.5, 3, 1], 2, 2)).toEqual([4, 0.25, 9, 1]);
    expect(precisionsFromCholesky('spherical', [3, 0.5], 2, 2)).toEqual([9, 0.25]);
    // U = [[2, 1], [0, 3]]: U Uᵀ = [[2·2 + 1·1, 1·3], [3·1, 3·3]].
    expect(precisionsFromCholesky('full', [2, 1, 0, 3], 1, 2)).toEqual([5, 3, 3, 9]);
  });
});

describe('GaussianMixtureModel from hand-set parameters', () => {
  // Two diagonal components: weights ¼ and ¾, means (0, 0) and (3, 1), variances (1, 4) and (¼, 1).
  const weights = [0.25, 0.75];
  const means = [[0, 0], [3, 1]];
  const variances = [[1, 4], [0.25, 1]];
  const diag = new GaussianMixtureModel({
    covariance: 'diag',
    k: 2,
    cols: 2,
    weights: Float64Array.from(weights),
    means: Float64Array.from(means.flat()),
    covariances: Float64Array.from(variances.flat()),
    precisionsCholesky: Float64Array.from(variances.flat(), (v) => 1 / Math.sqrt(v)),
  });
  const rows = [[0, 0], [1, 2], [3, 1], [2, 0.5], [-1, 3]];
  const x = matrixOf(rows);
  const joint = rows.map((r) => weights.map((w, c) => Math.log(w) + logNormalDiag(r, means[c]!, variances[c]!)));
  const rowLik = joint.map(logSumExp);

  it('scoreSamples, score, predict and predictProba follow the weighted normal densities', () => {
    const samples = diag.scoreSamples(x);
    rowLik.forEach((l, i) => expect(samples[i]).toBeCloseTo(l, 12));
    expect(diag.score(x)).toBeCloseTo(rowLik.reduce((a, b) => a + b, 0) / rows.length, 12);
    expect(Array.from(diag.predict(x))).toEqual(joint.map((j) => (j[1]! > j[0]! ? 1 : 0)));
    const proba = diag.predictProba(x);
    joint.forEach((j, i) => j.forEach((v, c) => expect(proba[i * 2 + c]).toBeCloseTo(Math.exp(v - rowLik[i]!), 12)));
  });

  it('bic and aic: −2·n·score plus p·ln n or 2p, p = 2·2 variances + 2·2 means + 1 weight', () => {
    const n = rows.length;
    const p = 4 + 4 + 1;
    expect(diag.parameterCount()).toBe(p);
    const logLik = rowLik.reduce((a, b) => a + b, 0);
    expect(diag.bic(x)).toBeCloseTo(-2 * logLik + p * Math.log(n), 10);
    expect(diag.aic(x)).toBeCloseTo(-2 * logLik + 2 * p, 10);
  });

  it('toJSON gives every parameter as plain arrays, and JSON.stringify uses it', () => {
    const expected = {
      covariance: 'diag',
      k: 2,
      cols: 2,
      weights,
      means: means.flat(),
      covariances: variances.flat(),
      precisionsCholesky: [1, 0.5, 2, 1],
    };
    expect(diag.toJSON()).toEqual(expected);
    expect(JSON.parse(JSON.stringify(diag))).toEqual(expected);
  });

  it('refuses rows of another width or with NaN, naming them as rows to predict', () => {
    const wide = matrixOf([[1, 2, 3]]);
    for (const call of [() => diag.predict(wide), () => diag.predictProba(wide), () => diag.scoreSamples(wide), () => diag.score(wide)]) {
      expect(call).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: 'rows to predict have 3 features but the mixture has 2', details: { expected: 2, got: 3 } }));
    }
    const nan = matrixOf([[0, 0], [1, Number.NaN]]);
    expect(() => diag.predict(nan)).toThrow(expect.objectContaining({ code: 'NON_FINITE_VALUE', message: expect.stringMatching(/^rows to predict row 2, feature 2 is NaN/) }));
  });

  it('a tie between identical components goes to the first, as numpy’s argmax', () => {
    const twins = new GaussianMixtureModel({
      covariance: 'spherical',
      k: 2,
      cols: 2,
      weights: Float64Array.from([0.5, 0.5]),
      means: Float64Array.from([1, 1, 1, 1]),
      covariances: Float64Array.from([2, 2]),
      precisionsCholesky: Float64Array.from([1 / Math.SQRT2, 1 / Math.SQRT2]),
    });
    expect(Array.from(twins.predict(x))).toEqual([0, 0, 0, 0, 0]);
    twins.predictProba(x).forEach((v) => expect(v).toBeCloseTo(0.5, 15));
    rows.forEach((r, i) => expect(twins.scoreSamples(x)[i]).toBeCloseTo(logNormalDiag(r, [1, 1], [2, 2]), 12));
  });

  it('a full component: log-density from the inverse and determinant of a 2 × 2 covariance worked by hand', () => {
    // Σ = [[4, 2], [2, 3]]: det 8, Σ⁻¹ = [[3, −2], [−2, 4]] / 8.
    const sigma = Float64Array.from([4, 2, 2, 3]);
    const u = precisionCholesky('full', sigma, 1, 2, 0);
    expect(u[2]).toBe(0); // upper triangular
    const precision = matmul(u, transpose(u, 2), 2);
    [3 / 8, -2 / 8, -2 / 8, 4 / 8].forEach((v, n) => expect(precision[n]).toBeCloseTo(v, 14));
    const model = new GaussianMixtureModel({ covariance: 'full', k: 1, cols: 2, weights: Float64Array.from([1]), means: Float64Array.from([1, -1]), covariances: sigma, precisionsCholesky: u });
    // x − μ = (1, 2): (x − μ)ᵀ Σ⁻¹ (x − μ) = (3·1 − 2·2·1·2 + 4·4) / 8 = 11 / 8.
    const at = model.scoreSamples(matrixOf([[2, 1], [1, -1]]));
    expect(at[0]).toBeCloseTo(-0.5 * (2 * LOG_2PI + Math.log(8) + 11 / 8), 12);
    expect(at[1]).toBeCloseTo(-0.5 * (2 * LOG_2PI + Math.log(8)), 12);
  });
});

describe('precisionCholesky', () => {
  it('4 × 4 full covariances: U is upper triangular and Σ · U Uᵀ = I for each component', () => {
    // Σ = A Aᵀ with A lower triangular and nonzero below the diagonal: dense, no two mirrored pairs alike.
    const a = [2, 0, 0, 0, 1, 3, 0, 0, 1, -1, 2, 0, 2, 1, 1, 3];
    const sigma0 = matmul(a, transpose(a, 4), 4);
    expect(sigma0[1 * 4 + 3]).not.toBe(sigma0[2 * 4 + 1]);
    const sigma1 = sigma0.map((v, n) => 0.5 * v + (n % 5 === 0 ? 1 : 0));
    const u = precisionCholesky('full', Float64Array.from([...sigma0, ...sigma1]), 2, 4, 1e-6);
    [sigma0, sigma1].forEach((sigma, c) => {
      const uc = u.subarray(c * 16, c * 16 + 16);
      for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) expect(uc[i * 4 + j]).toBe(0);
      const product = matmul(sigma, matmul(uc, transpose(uc, 4), 4), 4);
      identity(4).forEach((v, n) => expect(product[n]).toBeCloseTo(v, 12));
    });
  });

  it('diag and spherical: 1/√variance', () => {
    expect(Array.from(precisionCholesky('diag', Float64Array.from([4, 0.25, 1, 16]), 2, 2, 0))).toEqual([0.5, 2, 1, 0.25]);
    expect(Array.from(precisionCholesky('spherical', Float64Array.from([0.25, 4]), 2, 3, 0))).toEqual([2, 0.5]);
  });

  it('names the component whose covariance is not positive definite, with regCovar in the message', () => {
    const ill = (component: number, regCovar: number) => ({
      code: 'ILL_DEFINED_COVARIANCE',
      message: `component ${component} of the Gaussian mixture has an ill-defined covariance (it collapsed onto too few distinct rows): use fewer components, a larger regCovar (now ${regCovar}), or scale the features`,
      details: { component, regCovar },
    });
    // [[1, 1], [1, 1]] is singular: its second pivot is exactly 1 − 1 = 0.
    expect(() => precisionCholesky('full', Float64Array.from([2, 0, 0, 2, 1, 1, 1, 1]), 2, 2, 0)).toThrow(expect.objectContaining(ill(1, 0)));
    // diag: the fourth variance (component 1, feature 1) is 0, or negative.
    expect(() => precisionCholesky('diag', Float64Array.from([1, 1, 1, 0]), 2, 2, 1e-6)).toThrow(expect.objectContaining(ill(1, 1e-6)));
    expect(() => precisionCholesky('diag', Float64Array.from([1, 1, -1, 1, 1, 1]), 3, 2, 1e-6)).toThrow(expect.objectContaining(ill(1, 1e-6)));
    // spherical: one variance per component, so the index is the component.
    expect(() => precisionCholesky('spherical', Float64Array.from([1, 0, 2]), 3, 2, 0)).toThrow(expect.objectContaining(ill(1, 0)));
  });
});

describe('fitGaussianMixture settings', () => {
  it('states each refused setting with its name and value', async () => {
    await expect(fit({ k: 2, initLabels: labels8, tol: -1 })).rejects.toMatchObject(refused('tol must be a finite number >= 0, got -1', { option: 'tol', value: -1 }));
    await expect(fit({ k: 2, initLabels: labels8, nInit: 0 })).rejects.toMatchObject(refused('nInit must be an integer >= 1, got 0', { option: 'nInit', value: 0 }));
    await expect(fit({ k: 2, initLabels: labels8, seed: 0.5 })).rejects.toMatchObject(refused('seed must be an integer in [-2147483648, 4294967295], got 0.5', { option: 'seed', value: 0.5 }));
  });

  it('checks threads and kmeans itself, even when no K-Means runs (initLabels given)', async () => {
    await expect(fit({ k: 2, initLabels: labels8, threads: 0 })).rejects.toMatchObject(refused('threads must be an integer in [1, 256], got 0', { option: 'threads', value: 0 }));
    await expect(fit({ k: 2, initLabels: labels8, kmeans: null })).rejects.toMatchObject(refused('kmeans must be an object of K-Means settings, got null', { option: 'kmeans', value: null }));
    await expect(fit({ k: 2, initLabels: labels8, kmeans: 5 })).rejects.toMatchObject(refused('kmeans must be an object of K-Means settings, got 5', { option: 'kmeans', value: 5 }));
    // The same fit with valid settings runs.
    const g = await fit({ k: 2, initLabels: labels8, threads: 1, kmeans: {} });
    expect(Array.from(g.labels)).toEqual(labels8);
  });
});

describe('fitGaussianMixture init arrays', () => {
  const means2 = [1, 1, 7, 7];
  /** Weights and means, so that with precisions the start is complete and no K-Means runs. */
  const start2 = { weights: [0.5, 0.5], means: means2 };
  const start3 = { weights: [0.5, 0.5], means: [1, 1, 1, 7, 7, 7] };

  it('refuses an init array that is not an array, has the wrong length or holds a non-finite value', async () => {
    await expect(fit({ k: 2, init: { weights: 'ab' } })).rejects.toMatchObject(refused('init.weights must be an array of 2 numbers (k), got ab', { option: 'init.weights' }));
    await expect(fit({ k: 2, init: { means: {} } })).rejects.toMatchObject(refused('init.means must be an array of 4 numbers (k × features = 2 × 2), got [object Object]', { option: 'init.means' }));
    await expect(fit({ k: 2, init: { means: [1, 2, 3] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', details: { option: 'init.means', length: 3, expected: 4 } });
    await expect(fit({ k: 2, init: { means: [0, Number.NaN, 1, 1] } })).rejects.toMatchObject({
      code: 'NON_FINITE_VALUE',
      message: 'init.means[1] is NaN: every value must be a finite number',
      details: { option: 'init.means', index: 1, value: Number.NaN },
    });
    await expect(fit({ k: 2, covariance: 'diag', init: { precisions: [1, 1, 1, Number.POSITIVE_INFINITY] } })).rejects.toMatchObject({
      code: 'NON_FINITE_VALUE',
      message: 'init.precisions[3] is Infinity: every value must be a finite number',
    });
  });

  it('diag and spherical init.precisions: the start has covariances 1/p and Cholesky factors √p', async () => {
    const cases: [CovarianceType, number[]][] = [
      ['diag', [4, 1, 0.25, 9]],
      ['spherical', [4, 0.25]],
    ];
    for (const [covariance, precisions] of cases) {
      const g = await fit({ k: 2, covariance, maxIter: 1, init: { ...start2, precisions } });
      expect(g.backend).toBe(''); // no K-Means ran
      precisions.forEach((p, n) => {
        expect(g.initial.covariances[n]).toBeCloseTo(1 / p, 12);
        expect(g.initial.precisionsCholesky[n]).toBeCloseTo(Math.sqrt(p), 12);
      });
    }
  });

  it('diag and spherical init.precisions must be positive: the message names the index', async () => {
    const notPositive = (index: number, value: number) => refused(`init.precisions[${index}] is ${value}: precisions must be positive`, { option: 'init.precisions', index });
    await expect(fit({ k: 2, covariance: 'diag', init: { ...start2, precisions: [4, 0, 1, 1] } })).rejects.toMatchObject(notPositive(1, 0));
    await expect(fit({ k: 2, covariance: 'diag', init: { ...start2, precisions: [4, 1, 1, -2] } })).rejects.toMatchObject(notPositive(3, -2));
    await expect(fit({ k: 2, covariance: 'spherical', init: { ...start2, precisions: [1, 0] } })).rejects.toMatchObject(notPositive(1, 0));
  });

  it('full init.precisions must be symmetric and positive definite: the message names the component and the entries', async () => {
    const notSymmetric = (c: number, i: number, j: number) =>
      refused(`init.precisions of component ${c} is not symmetric (entries (${i}, ${j}) and (${j}, ${i}) differ)`, { option: 'init.precisions', component: c });
    await expect(fit({ k: 2, init: { ...start2, precisions: [2, 0.5, 0.25, 2, 1, 0, 0, 1] } })).rejects.toMatchObject(notSymmetric(0, 1, 0));
    // Three features, component 1: only (2, 1) and (1, 2) differ; its lower triangle alone is positive definite.
    const groups3 = twoGroups(3);
    const eye3 = identity(3);
    const skew = [2, 0, 0, 0, 2, 0.5, 0, 0.75, 2];
    await expect(fit({ k: 2, init: { ...start3, precisions: [...eye3, ...skew] } }, groups3)).rejects.toMatchObject(notSymmetric(1, 2, 1));
    await expect(fit({ k: 2, init: { ...start2, precisions: [1, 0, 0, 1, 1, 2, 2, 1] } })).rejects.toMatchObject(
      refused('init.precisions of component 1 is not positive definite', { option: 'init.precisions', component: 1 }),
    );
  });

  it('full init.precisions: asymmetry up to 1e-8 × max(1, |lower entry|) is accepted, and the lower triangle is used', async () => {
    const groups3 = twoGroups(3);
    const eye3 = identity(3);
    const cases: { matrix: Matrix; precisions: number[] }[] = [
      // |0 − 1e-8| is exactly the tolerance 1e-8 · max(1, 0).
      { matrix: groups2, precisions: [1, 1e-8, 0, 1, ...identity(2)] },
      // Entries near 100: the tolerance scales with them (1e-6), so 5e-7 is accepted.
      { matrix: groups2, precisions: [1000, 100 + 5e-7, 100, 1000, ...identity(2)] },
      // (2, 1) = 1e8 and (1, 2) = 1e8 − 1: the difference 1 is exactly 1e-8 · 1e8, scaled by the lower entry.
      { matrix: groups3, precisions: [...eye3, 1e9, 0, 0, 0, 1e9, 1e8 - 1, 0, 1e8, 1e9] },
    ];
    for (const { matrix, precisions } of cases) {
      const d = matrix.cols;
      const g = await fit({ k: 2, maxIter: 1, init: { ...(d === 2 ? start2 : start3), precisions } }, matrix);
      const used = precisionsFromCholesky('full', g.initial.precisionsCholesky, 2, d);
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            const lower = precisions[c * d * d + Math.max(i, j) * d + Math.min(i, j)]!;
            expect(Math.abs(used[c * d * d + i * d + j]! - lower)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(lower)));
          }
        }
      }
    }
  });
});
