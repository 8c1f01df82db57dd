/**
 * Gaussian mixtures fitted by EM, following scikit-learn's `GaussianMixture`
 * (`sklearn/mixture/_gaussian_mixture.py`, `_base.py`):
 *
 * - initialisation from K-Means (`init_params='kmeans'`): segmenta's own
 *   {@link fitKMeans} gives hard responsibilities, from which the weights,
 *   means and covariances are estimated as in one M-step;
 * - EM until the change of the mean log-likelihood per row (the lower bound)
 *   falls below `tol`, or `maxIter` iterations;
 * - covariances `full`, `diag` or `spherical`, with `regCovar` added to their
 *   diagonal; components are held as the Cholesky factors of their
 *   precisions, and log-densities use log-sum-exp, all in float64;
 * - the best of `nInit` initialisations (highest lower bound), and a final
 *   E-step so that labels and probabilities match the returned parameters.
 *
 * The E-step (every row against every component) is the hot pass. It runs in
 * blocks of rows and yields to the event loop every few milliseconds, so a
 * long fit never blocks the caller's thread (common/time-slice.ts), and an
 * AbortSignal stops it within one block.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { TimeSlicer } from '../common/time-slice.js';
import type { ProgressListener } from '../common/progress.js';
import type { KernelBackend } from '../backends/kernel-contract.js';
import { fitKMeans, runSeed, type KMeansSettings } from './kmeans.js';
import { countDistinctRows, requireInteger, requireNumber, requireOptions, validateMatrix } from './validate-input.js';

/** Covariance shapes, as scikit-learn's `covariance_type` (without `tied`). */
export type CovarianceType = 'full' | 'diag' | 'spherical';

/** Every covariance type {@link fitGaussianMixture} accepts. */
export const COVARIANCE_TYPES: readonly CovarianceType[] = Object.freeze(['full', 'diag', 'spherical']);

/**
 * Starting parameters instead of the K-Means initialisation (scikit-learn's
 * `weights_init`, `means_init`, `precisions_init`). Each may be given alone;
 * what is missing comes from the K-Means initialisation.
 */
export interface GaussianMixtureInit {
  /** k mixing weights, positive, summing to 1. */
  weights?: ArrayLike<number>;
  /** k × cols means, row-major. */
  means?: ArrayLike<number>;
  /**
   * Precisions (inverse covariances): k × cols × cols (full, each symmetric
   * positive definite), k × cols (diag) or k (spherical).
   */
  precisions?: ArrayLike<number>;
}

/** Settings with defaults (all optional for callers). */
export interface GaussianMixtureSettings {
  /** Shape of each component's covariance. Default `full`. */
  covariance: CovarianceType;
  /** EM stops when the mean log-likelihood per row changes by less than this. Default 1e-3 (scikit-learn's). */
  tol: number;
  /** Most EM iterations per initialisation. Default 100. */
  maxIter: number;
  /** Added to the diagonal of every covariance, so that each stays positive definite. Default 1e-6. */
  regCovar: number;
  /** Initialisations; the one with the highest lower bound wins. Default 1. */
  nInit: number;
  /** Seed of the K-Means initialisation; the same seed gives identical results. Default 0. */
  seed: number;
  /**
   * Settings of the K-Means fit that initialises EM (its `nInit`, `maxIter`,
   * `tol`, `refine`). Defaults: those of {@link fitKMeans}, so the labels equal
   * `fitKMeans(matrix, { k, seed })` and the sweep's fit at k.
   */
  kmeans: Partial<Pick<KMeansSettings, 'nInit' | 'maxIter' | 'tol' | 'refine' | 'initSampleSize'>>;
  /** Backend of the K-Means initialisation. Default `auto`. */
  backend: string | KernelBackend;
  /** Worker threads of the K-Means initialisation. */
  threads?: number;
  /** Starting parameters instead of (or on top of) the K-Means initialisation. Then one initialisation runs. */
  init?: GaussianMixtureInit;
  /**
   * Hard labels (0..k-1 per row) to initialise from instead of running
   * K-Means, e.g. the sweep's K-Means fit at k. Then one initialisation runs.
   */
  initLabels?: ArrayLike<number>;
  /** Stops the fit within one block of rows; the promise rejects with an `ABORTED` SegmentaError. */
  signal?: AbortSignal;
  /** Receives a `phase` event (`phase: 'gmm'`) per EM iteration. */
  onProgress?: ProgressListener;
}

/** Options of {@link fitGaussianMixture}: `k` is required, the rest default as in {@link GaussianMixtureSettings}. */
export type GaussianMixtureOptions = { k: number } & Partial<GaussianMixtureSettings>;

/** One EM iteration of the winning initialisation. */
export interface EmIterationStat {
  iteration: number;
  /** Mean log-likelihood per row of the E-step of this iteration (scikit-learn's lower bound). */
  lowerBound: number;
  /** Change from the previous iteration (Infinity on the first). */
  change: number;
  seconds: number;
}

/** What {@link fitGaussianMixture} returns. Components are in the fit's order (not renumbered by size). */
export interface GaussianMixtureResult {
  /** The fitted mixture: `predict`, `predictProba`, `scoreSamples`, `score`, `bic`, `aic`. */
  model: GaussianMixtureModel;
  k: number;
  rows: number;
  cols: number;
  covariance: CovarianceType;
  /** Most probable component of every row, in input order. */
  labels: Int32Array;
  /** rows × k membership probabilities (each row sums to 1), row-major. */
  probabilities: Float64Array;
  /** Rows per component (of `labels`). */
  sizes: number[];
  /** Mean log-likelihood per row under the returned parameters: scikit-learn's `score(X)`. */
  meanLogLikelihood: number;
  /** The winning initialisation's last lower bound (scikit-learn's `lower_bound_`). */
  lowerBound: number;
  /** Bayesian information criterion on the training rows: `-2 · n · meanLogLikelihood + p · ln n`. */
  bic: number;
  /** Akaike information criterion on the training rows: `-2 · n · meanLogLikelihood + 2p`. */
  aic: number;
  /** p, the free parameters of the mixture. */
  parameters: number;
  converged: boolean;
  /** EM iterations of the winning initialisation. */
  iterations: number;
  /** 0-based index of the winning initialisation. */
  bestRun: number;
  history: EmIterationStat[];
  /**
   * The winning initialisation's starting parameters (from K-Means or \`init\`):
   * pass them as scikit-learn's \`weights_init\`, \`means_init\` and
   * \`precisions_init\` to reproduce the fit there.
   */
  initial: GaussianMixtureParameters;
  /** Backend of the K-Means initialisation ('' when it did not run). */
  backend: string;
  notes: string[];
  seconds: number;
}

/** The parameters of a mixture in float64, shapes as in scikit-learn. */
export interface GaussianMixtureParameters {
  covariance: CovarianceType;
  k: number;
  cols: number;
  /** k mixing weights. */
  weights: Float64Array;
  /** k × cols means. */
  means: Float64Array;
  /** full: k × cols × cols; diag: k × cols; spherical: k. */
  covariances: Float64Array;
  /**
   * Cholesky factors of the precisions, shaped as `covariances`: for `full`,
   * upper-triangular U with precision = U Uᵀ (scikit-learn's `precisions_cholesky_`);
   * for diag and spherical, 1/√variance.
   */
  precisionsCholesky: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** 10 × float64 epsilon, which scikit-learn adds to each component's weight sum. */
const NK_EPS = 10 * Number.EPSILON;
/** Rows per block of the E-step and M-step between checks of the time slice. */
const BLOCK_ROWS = 2048;

const DEFAULTS = {
  covariance: 'full' as CovarianceType,
  tol: 1e-3,
  maxIter: 100,
  regCovar: 1e-6,
  nInit: 1,
  seed: 0,
  kmeans: {},
  backend: 'auto',
};

/** Parses a covariance type; the message lists the choices. */
export function parseCovarianceType(value: unknown): CovarianceType {
  if (typeof value === 'string' && (COVARIANCE_TYPES as readonly string[]).includes(value.trim().toLowerCase())) {
    return value.trim().toLowerCase() as CovarianceType;
  }
  throw new SegmentaError('INVALID_OPTION', `covariance must be one of ${COVARIANCE_TYPES.join(', ')}, got ${String(value)}`, { option: 'covariance', value });
}

/**
 * Precisions (inverse covariances) from Cholesky factors as a fit holds them
 * (full: P = U Uᵀ per component, k × cols × cols; diag/spherical: s²): what
 * scikit-learn takes as `precisions_init`, e.g. from `result.initial`.
 */
export function precisionsFromCholesky(covariance: CovarianceType, precisionsCholesky: ArrayLike<number>, k: number, cols: number): number[] {
  if (covariance !== 'full') return Array.from(precisionsCholesky, (s) => s * s);
  const out: number[] = [];
  for (let c = 0; c < k; c++) {
    const a = c * cols * cols;
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let q = 0; q < cols; q++) s += precisionsCholesky[a + i * cols + q]! * precisionsCholesky[a + j * cols + q]!;
        out.push(s);
      }
    }
  }
  return out;
}

/** Free parameters of a mixture (scikit-learn's `_n_parameters`): covariances + means + weights − 1. */
export function mixtureParameterCount(covariance: CovarianceType, k: number, cols: number): number {
  const cov = covariance === 'full' ? (k * cols * (cols + 1)) / 2 : covariance === 'diag' ? k * cols : k;
  return cov + k * cols + k - 1;
}

function covarianceSize(covariance: CovarianceType, k: number, d: number): number {
  return covariance === 'full' ? k * d * d : covariance === 'diag' ? k * d : k;
}

/**
 * A fitted Gaussian mixture: its parameters and the methods scikit-learn's
 * estimator has. The methods run on the caller's thread (use them for
 * moderate row counts; the fit itself is time-sliced).
 */
export class GaussianMixtureModel implements GaussianMixtureParameters {
  readonly covariance: CovarianceType;
  readonly k: number;
  readonly cols: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
  readonly precisionsCholesky: Float64Array;
  /** Per component: Σ log of the Cholesky factor's diagonal (½ log det precision) + log weight − ½ d log 2π. */
  private readonly offsets: Float64Array;

  constructor(p: GaussianMixtureParameters) {
    this.covariance = p.covariance;
    this.k = p.k;
    this.cols = p.cols;
    this.weights = p.weights;
    this.means = p.means;
    this.covariances = p.covariances;
    this.precisionsCholesky = p.precisionsCholesky;
    this.offsets = componentOffsets(p);
  }

  /**
   * Writes, for rows [start, end), each row's membership probabilities into
   * `resp` (at the row's own index × k) and labels into `labels` when given,
   * and returns the sum of the rows' log-likelihoods.
   * @internal
   */
  estimateBlock(matrix: Matrix, start: number, end: number, resp: Float64Array | null, labels: Int32Array | null, logLik: Float64Array | null = null): number {
    return estimateRows(this, this.offsets, matrix, start, end, resp, labels, logLik);
  }

  /** The most probable component of each row (0..k-1), as scikit-learn's `predict`. */
  predict(matrix: Matrix): Int32Array {
    this.check(matrix);
    const labels = new Int32Array(matrix.rows);
    this.estimateBlock(matrix, 0, matrix.rows, null, labels);
    return labels;
  }

  /** rows × k membership probabilities, row-major, as scikit-learn's `predict_proba`. */
  predictProba(matrix: Matrix): Float64Array {
    this.check(matrix);
    const resp = new Float64Array(matrix.rows * this.k);
    this.estimateBlock(matrix, 0, matrix.rows, resp, null);
    return resp;
  }

  /** Log-likelihood of each row, as scikit-learn's `score_samples`. */
  scoreSamples(matrix: Matrix): Float64Array {
    this.check(matrix);
    const out = new Float64Array(matrix.rows);
    this.estimateBlock(matrix, 0, matrix.rows, null, null, out);
    return out;
  }

  /** Mean log-likelihood per row, as scikit-learn's `score`. */
  score(matrix: Matrix): number {
    this.check(matrix);
    return this.estimateBlock(matrix, 0, matrix.rows, null, null) / matrix.rows;
  }

  /** Free parameters of the mixture. */
  parameterCount(): number {
    return mixtureParameterCount(this.covariance, this.k, this.cols);
  }

  /** Bayesian information criterion on `matrix` (lower is better), as scikit-learn's `bic`. */
  bic(matrix: Matrix): number {
    return -2 * this.score(matrix) * matrix.rows + this.parameterCount() * Math.log(matrix.rows);
  }

  /** Akaike information criterion on `matrix` (lower is better), as scikit-learn's `aic`. */
  aic(matrix: Matrix): number {
    return -2 * this.score(matrix) * matrix.rows + 2 * this.parameterCount();
  }

  /** Plain JSON of the parameters (arrays of numbers). */
  toJSON(): Record<string, unknown> {
    return {
      covariance: this.covariance,
      k: this.k,
      cols: this.cols,
      weights: Array.from(this.weights),
      means: Array.from(this.means),
      covariances: Array.from(this.covariances),
      precisionsCholesky: Array.from(this.precisionsCholesky),
    };
  }

  private check(matrix: Matrix): void {
    validateMatrix(matrix, 'rows to predict');
    if (matrix.cols !== this.cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `rows to predict have ${matrix.cols} features but the mixture has ${this.cols}`, { expected: this.cols, got: matrix.cols });
    }
  }
}

function componentOffsets(p: GaussianMixtureParameters): Float64Array {
  const { k, cols: d, covariance, precisionsCholesky: pc, weights } = p;
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let logDet = 0;
    if (covariance === 'full') for (let j = 0; j < d; j++) logDet += Math.log(pc[c * d * d + j * d + j]!);
    else if (covariance === 'diag') for (let j = 0; j < d; j++) logDet += Math.log(pc[c * d + j]!);
    else logDet = d * Math.log(pc[c]!);
    out[c] = logDet + Math.log(weights[c]!) - 0.5 * d * LOG_2PI;
  }
  return out;
}

/**
 * The E-step over rows [start, end): weighted log-densities, log-sum-exp per
 * row, and the probabilities (exp of the log responsibilities) and labels.
 */
function estimateRows(
  p: GaussianMixtureParameters,
  offsets: Float64Array,
  matrix: Matrix,
  start: number,
  end: number,
  resp: Float64Array | null,
  labels: Int32Array | null,
  logLik: Float64Array | null,
): number {
  const { k, cols: d, covariance, means, precisionsCholesky: pc } = p;
  const x = matrix.data;
  const logp = new Float64Array(k);
  const diff = new Float64Array(d);
  let total = 0;
  for (let i = start; i < end; i++) {
    const row = i * d;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < k; c++) {
      const mu = c * d;
      let maha = 0;
      if (covariance === 'full') {
        for (let j = 0; j < d; j++) diff[j] = x[row + j]! - means[mu + j]!;
        const u = c * d * d;
        // y = (x − μ) U with U upper triangular: y_j = Σ_{i ≤ j} diff_i U_ij.
        for (let j = 0; j < d; j++) {
          let y = 0;
          for (let q = 0; q <= j; q++) y += diff[q]! * pc[u + q * d + j]!;
          maha += y * y;
        }
      } else if (covariance === 'diag') {
        for (let j = 0; j < d; j++) {
          const y = (x[row + j]! - means[mu + j]!) * pc[mu + j]!;
          maha += y * y;
        }
      } else {
        const s = pc[c]!;
        for (let j = 0; j < d; j++) {
          const y = (x[row + j]! - means[mu + j]!) * s;
          maha += y * y;
        }
      }
      const v = offsets[c]! - 0.5 * maha;
      logp[c] = v;
      if (v > max) {
        max = v;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logp[c]! - max);
    const lse = Math.log(sum) + max;
    total += lse;
    if (logLik) logLik[i] = lse;
    if (labels) labels[i] = arg;
    if (resp) for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(logp[c]! - lse);
  }
  return total;
}

/** Fills defaults and validates every setting; messages state the values. */
function resolveSettings(options: Partial<GaussianMixtureSettings>): GaussianMixtureSettings {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<GaussianMixtureSettings>;
  const s: GaussianMixtureSettings = { ...DEFAULTS, ...defined };
  s.covariance = parseCovarianceType(s.covariance);
  requireNumber('tol', s.tol, 0);
  requireInteger('maxIter', s.maxIter, 1);
  requireNumber('regCovar', s.regCovar, 0);
  requireInteger('nInit', s.nInit, 1);
  requireInteger('seed', s.seed, -2147483648, 4294967295);
  if (s.threads !== undefined) requireInteger('threads', s.threads, 1, 256);
  if (s.kmeans === null || typeof s.kmeans !== 'object') {
    throw new SegmentaError('INVALID_OPTION', `kmeans must be an object of K-Means settings, got ${String(s.kmeans)}`, { option: 'kmeans', value: s.kmeans });
  }
  return s;
}

/** Checks that `values` holds `length` finite numbers. */
function checkArray(name: string, values: ArrayLike<number>, length: number, shape: string): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new SegmentaError('INVALID_OPTION', `${name} must be an array of ${length} numbers (${shape}), got ${String(values)}`, { option: name });
  }
  if (values.length !== length) {
    throw new SegmentaError('SHAPE_MISMATCH', `${name} holds ${values.length} values but ${shape} = ${length}`, { option: name, length: values.length, expected: length });
  }
  for (let i = 0; i < length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i]!)) {
      throw new SegmentaError('NON_FINITE_VALUE', `${name}[${i}] is ${String(values[i])}: every value must be a finite number`, { option: name, index: i, value: values[i] });
    }
  }
}

/**
 * The Cholesky factors of the precisions from covariances (scikit-learn's
 * `_compute_precision_cholesky`).
 *
 * @throws SegmentaError `ILL_DEFINED_COVARIANCE` naming the component when one is not positive definite
 */
export function precisionCholesky(covariance: CovarianceType, covariances: Float64Array, k: number, d: number, regCovar: number): Float64Array {
  const fail = (c: number): never => {
    throw new SegmentaError(
      'ILL_DEFINED_COVARIANCE',
      `component ${c} of the Gaussian mixture has an ill-defined covariance (it collapsed onto too few distinct rows): use fewer components, a larger regCovar (now ${regCovar}), or scale the features`,
      { component: c, regCovar },
    );
  };
  if (covariance !== 'full') {
    const out = new Float64Array(covariances.length);
    for (let i = 0; i < covariances.length; i++) {
      const v = covariances[i]!;
      if (!(v > 0)) fail(covariance === 'diag' ? Math.floor(i / d) : i);
      out[i] = 1 / Math.sqrt(v);
    }
    return out;
  }
  const out = new Float64Array(k * d * d);
  const L = new Float64Array(d * d);
  const M = new Float64Array(d * d);
  for (let c = 0; c < k; c++) {
    if (!choleskyLower(covariances, c * d * d, d, L)) fail(c);
    // U = (L⁻¹)ᵀ, upper triangular.
    invertLower(L, 0, d, M);
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) out[c * d * d + j * d + i] = M[i * d + j]!;
  }
  return out;
}

/**
 * Lower Cholesky factor of the symmetric d × d block of `a` at `offset` into
 * `out` (d × d, zero above the diagonal); false when the block is not
 * positive definite.
 */
function choleskyLower(a: ArrayLike<number>, offset: number, d: number, out: Float64Array, outOffset = 0): boolean {
  for (let i = 0; i < d * d; i++) out[outOffset + i] = 0;
  for (let j = 0; j < d; j++) {
    let s = a[offset + j * d + j]!;
    for (let q = 0; q < j; q++) s -= out[outOffset + j * d + q]! ** 2;
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    out[outOffset + j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[offset + i * d + j]!;
      for (let q = 0; q < j; q++) t -= out[outOffset + i * d + q]! * out[outOffset + j * d + q]!;
      out[outOffset + i * d + j] = t / ljj;
    }
  }
  return true;
}

/** M = L⁻¹ (lower triangular, into `out` d × d) by forward substitution, L lower at `offset` of `L`. */
function invertLower(L: ArrayLike<number>, offset: number, d: number, out: Float64Array): void {
  out.fill(0);
  for (let col = 0; col < d; col++) {
    for (let i = col; i < d; i++) {
      let t = i === col ? 1 : 0;
      for (let q = col; q < i; q++) t -= L[offset + i * d + q]! * out[q * d + col]!;
      out[i * d + col] = t / L[offset + i * d + i]!;
    }
  }
}

/**
 * Cholesky factors from precisions (for `init.precisions`): full: the upper
 * U with precision = U Uᵀ, computed as scikit-learn's `linalg.cholesky(prec, lower=True)`; diag/spherical: √precision.
 */
function choleskyOfPrecisions(covariance: CovarianceType, precisions: ArrayLike<number>, k: number, d: number): Float64Array {
  if (covariance !== 'full') {
    const out = new Float64Array(precisions.length);
    for (let i = 0; i < precisions.length; i++) {
      if (!(precisions[i]! > 0)) {
        throw new SegmentaError('INVALID_OPTION', `init.precisions[${i}] is ${precisions[i]}: precisions must be positive`, { option: 'init.precisions', index: i });
      }
      out[i] = Math.sqrt(precisions[i]!);
    }
    return out;
  }
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const a = c * d * d;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        if (Math.abs(precisions[a + i * d + j]! - precisions[a + j * d + i]!) > 1e-8 * Math.max(1, Math.abs(precisions[a + i * d + j]!))) {
          throw new SegmentaError('INVALID_OPTION', `init.precisions of component ${c} is not symmetric (entries (${i}, ${j}) and (${j}, ${i}) differ)`, { option: 'init.precisions', component: c });
        }
      }
    }
    // Lower L with precision = L Lᵀ, as scikit-learn's cholesky(precisions_init, lower=True).
    if (!choleskyLower(precisions, a, d, out, a)) {
      throw new SegmentaError('INVALID_OPTION', `init.precisions of component ${c} is not positive definite`, { option: 'init.precisions', component: c });
    }
  }
  return out;
}

/** Runs `body` over rows [0, n) in blocks of {@link BLOCK_ROWS}, yielding to the event loop between blocks when the slice is used up. */
async function overBlocks(n: number, slicer: TimeSlicer, body: (start: number, end: number) => void): Promise<void> {
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    await slicer.maybePause();
    body(start, Math.min(n, start + BLOCK_ROWS));
  }
}

/** Mutable state of one EM run. */
interface EmState {
  params: GaussianMixtureParameters;
  offsets: Float64Array;
}

function withParams(params: GaussianMixtureParameters): EmState {
  return { params, offsets: componentOffsets(params) };
}

/**
 * The M-step (scikit-learn's `_estimate_gaussian_parameters` + weights / n):
 * component sums of the responsibilities, means, then covariances about the
 * new means (a second pass), plus `regCovar` on the diagonal.
 */
async function estimateParameters(
  matrix: Matrix,
  resp: Float64Array,
  k: number,
  covariance: CovarianceType,
  regCovar: number,
  slicer: TimeSlicer,
): Promise<GaussianMixtureParameters> {
  const { data: x, rows: n, cols: d } = matrix;
  const nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  await overBlocks(n, slicer, (start, end) => {
    for (let i = start; i < end; i++) {
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c]!;
        if (r === 0) continue;
        nk[c]! += r;
        for (let j = 0; j < d; j++) means[c * d + j]! += r * x[i * d + j]!;
      }
    }
  });
  for (let c = 0; c < k; c++) {
    nk[c]! += NK_EPS;
    for (let j = 0; j < d; j++) means[c * d + j]! /= nk[c]!;
  }
  // Full keeps the d × d scatter; diag and spherical the per-feature variances.
  const scatter = new Float64Array(covariance === 'full' ? k * d * d : k * d);
  const diff = new Float64Array(d);
  await overBlocks(n, slicer, (start, end) => {
    for (let i = start; i < end; i++) {
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c]!;
        if (r === 0) continue;
        for (let j = 0; j < d; j++) diff[j] = x[i * d + j]! - means[c * d + j]!;
        if (covariance === 'full') {
          const a = c * d * d;
          for (let p = 0; p < d; p++) {
            const rp = r * diff[p]!;
            for (let q = 0; q <= p; q++) scatter[a + p * d + q]! += rp * diff[q]!;
          }
        } else {
          for (let j = 0; j < d; j++) scatter[c * d + j]! += r * diff[j]! * diff[j]!;
        }
      }
    }
  });
  let covariances: Float64Array;
  if (covariance === 'full') {
    covariances = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) {
      const a = c * d * d;
      for (let p = 0; p < d; p++) {
        for (let q = 0; q <= p; q++) {
          const v = scatter[a + p * d + q]! / nk[c]!;
          covariances[a + p * d + q] = v;
          covariances[a + q * d + p] = v;
        }
        covariances[a + p * d + p]! += regCovar;
      }
    }
  } else if (covariance === 'diag') {
    covariances = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) covariances[c * d + j] = scatter[c * d + j]! / nk[c]! + regCovar;
  } else {
    covariances = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += scatter[c * d + j]! / nk[c]! + regCovar;
      covariances[c] = s / d;
    }
  }
  const weights = new Float64Array(k);
  for (let c = 0; c < k; c++) weights[c] = nk[c]! / n;
  const precisionsCholesky = precisionCholesky(covariance, covariances, k, d, regCovar);
  return { covariance, k, cols: d, weights, means, covariances, precisionsCholesky };
}

/** The E-step over every row, time-sliced: probabilities into `resp`, labels when asked; returns the mean log-likelihood. */
async function eStep(state: EmState, matrix: Matrix, resp: Float64Array, labels: Int32Array | null, slicer: TimeSlicer): Promise<number> {
  let total = 0;
  await overBlocks(matrix.rows, slicer, (start, end) => {
    total += estimateRows(state.params, state.offsets, matrix, start, end, resp, labels, null);
  });
  return total / matrix.rows;
}

/** Covariances from Cholesky factors of precisions (for `init.precisions`): full Σ = (U Uᵀ)⁻¹; diag/spherical 1/s². */
function covariancesFromCholesky(covariance: CovarianceType, pc: Float64Array, k: number, d: number): Float64Array {
  if (covariance !== 'full') return pc.map((s) => 1 / (s * s));
  // precision = L Lᵀ (L lower, as held) ⇒ Σ = L⁻ᵀ L⁻¹.
  const out = new Float64Array(k * d * d);
  const inv = new Float64Array(d * d);
  for (let c = 0; c < k; c++) {
    const a = c * d * d;
    invertLower(pc, a, d, inv);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let q = 0; q < d; q++) s += inv[q * d + i]! * inv[q * d + j]!;
        out[a + i * d + j] = s;
      }
    }
  }
  return out;
}

/** One-hot responsibilities of hard labels. */
function hardResponsibilities(labels: ArrayLike<number>, n: number, k: number): Float64Array {
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new SegmentaError('INVALID_OPTION', `initLabels[${i}] is ${String(l)}: labels must be integers in 0..${k - 1}`, { option: 'initLabels', index: i, value: l });
    }
    resp[i * k + l] = 1;
  }
  return resp;
}

/** Initial parameters of run `run`: from the K-Means labels (or `initLabels`), overridden by `init`. */
async function initialParameters(
  matrix: Matrix,
  k: number,
  s: GaussianMixtureSettings,
  run: number,
  resp: Float64Array,
  slicer: TimeSlicer,
): Promise<{ params: GaussianMixtureParameters; backend: string; notes: string[] }> {
  const { rows: n, cols: d } = matrix;
  const init = s.init ?? {};
  let backend = '';
  const notes: string[] = [];
  let estimated: GaussianMixtureParameters | undefined;
  if (!(init.weights && init.means && init.precisions)) {
    let labels: ArrayLike<number>;
    if (s.initLabels) labels = s.initLabels;
    else {
      const km = await fitKMeans(matrix, {
        ...s.kmeans,
        k,
        seed: run === 0 ? s.seed : runSeed(s.seed, k, 1000 + run),
        backend: s.backend,
        ...(s.threads !== undefined ? { threads: s.threads } : {}),
        ...(s.signal ? { signal: s.signal } : {}),
      });
      labels = km.labels;
      backend = km.backend;
      notes.push(...km.notes.map((note) => `K-Means initialisation: ${note}`));
    }
    resp.set(hardResponsibilities(labels, n, k));
    estimated = await estimateParameters(matrix, resp, k, s.covariance, s.regCovar, slicer);
  }
  const weights = init.weights ? Float64Array.from(init.weights) : estimated!.weights;
  const means = init.means ? Float64Array.from(init.means) : estimated!.means;
  let precisionsCholesky: Float64Array;
  let covariances: Float64Array;
  if (init.precisions) {
    // Σ = P⁻¹ through the Cholesky factor of P (which checks that P is positive definite), then the
    // factor the E-step reads; the same quadratic form and log-determinant as scikit-learn's cholesky(P).
    covariances = covariancesFromCholesky(s.covariance, choleskyOfPrecisions(s.covariance, init.precisions, k, d), k, d);
    precisionsCholesky = precisionCholesky(s.covariance, covariances, k, d, s.regCovar);
  } else {
    precisionsCholesky = estimated!.precisionsCholesky;
    covariances = estimated!.covariances;
  }
  return { params: { covariance: s.covariance, k, cols: d, weights, means, covariances, precisionsCholesky }, backend, notes };
}

/**
 * Fits a Gaussian mixture with `k` components to `matrix` (rows × cols
 * float32, row-major) by EM from a K-Means initialisation, as scikit-learn's
 * `GaussianMixture(n_components=k, covariance_type, tol, reg_covar, max_iter, n_init, init_params='kmeans')`.
 * Computes in float64.
 *
 * @example
 * ```ts
 * import { fitGaussianMixture, matrixFromRows } from 'segmenta';
 * const m = matrixFromRows([[1, 1], [1.2, 0.8], [0.9, 1.1], [9, 9], [9.1, 8.8], [8.7, 9.2]]);
 * const g = await fitGaussianMixture(m, { k: 2, covariance: 'diag', seed: 42 });
 * g.labels;                 // Int32Array [0, 0, 0, 1, 1, 1] (component numbers may be permuted)
 * g.meanLogLikelihood;      // scikit-learn's score(X)
 * g.model.predictProba(m);  // 6 × 2 probabilities, row-major
 * ```
 * @throws SegmentaError `INVALID_K` (k < 1, k > rows), `TOO_FEW_DISTINCT_POINTS`, `NON_FINITE_VALUE`, `INVALID_DATA`,
 *   `INVALID_OPTION`, `SHAPE_MISMATCH` (init arrays), `ILL_DEFINED_COVARIANCE`, `ABORTED`, backend errors.
 */
export async function fitGaussianMixture(matrix: Matrix, options: GaussianMixtureOptions): Promise<GaussianMixtureResult> {
  const started = performance.now();
  requireOptions(options, 'fitGaussianMixture', ['k']);
  validateMatrix(matrix);
  const k = requireInteger('k', options.k, 1);
  const s = resolveSettings(options);
  const { rows: n, cols: d } = matrix;
  if (k > n) throw new SegmentaError('INVALID_K', `k = ${k} is larger than the number of rows (${n})`, { k, rows: n });
  const distinct = countDistinctRows(matrix, k);
  if (distinct < k) throw new SegmentaError('TOO_FEW_DISTINCT_POINTS', `k = ${k} is larger than the number of distinct rows (${distinct})`, { k, distinct });
  if (s.init) {
    requireOptions(s.init, 'init');
    if (s.init.weights) {
      checkArray('init.weights', s.init.weights, k, 'k');
      let sum = 0;
      for (let c = 0; c < k; c++) {
        if (!(s.init.weights[c]! > 0)) throw new SegmentaError('INVALID_OPTION', `init.weights[${c}] is ${s.init.weights[c]}: weights must be positive`, { option: 'init.weights', index: c });
        sum += s.init.weights[c]!;
      }
      if (Math.abs(sum - 1) > 1e-6) throw new SegmentaError('INVALID_OPTION', `init.weights sum to ${sum}, not 1`, { option: 'init.weights', sum });
    }
    if (s.init.means) checkArray('init.means', s.init.means, k * d, `k × features = ${k} × ${d}`);
    if (s.init.precisions) checkArray('init.precisions', s.init.precisions, covarianceSize(s.covariance, k, d), `the ${s.covariance} precision shape for k = ${k}, ${d} features`);
  }
  if (s.initLabels && s.initLabels.length !== n) {
    throw new SegmentaError('SHAPE_MISMATCH', `initLabels holds ${s.initLabels.length} labels but the data has ${n} rows`, { length: s.initLabels.length, rows: n });
  }
  const runs = s.init || s.initLabels ? 1 : s.nInit;
  const slicer = new TimeSlicer(s.signal);
  const resp = new Float64Array(n * k);
  const notes: string[] = [];
  let backend = '';
  let best: { params: GaussianMixtureParameters; initial: GaussianMixtureParameters; lowerBound: number; iterations: number; converged: boolean; history: EmIterationStat[]; run: number } | undefined;
  for (let run = 0; run < runs; run++) {
    throwIfAborted(s.signal);
    const start = await initialParameters(matrix, k, s, run, resp, slicer);
    if (start.backend) backend = start.backend;
    if (run === 0) notes.push(...start.notes);
    let state = withParams(start.params);
    let lowerBound = -Infinity;
    let converged = false;
    let iterations = 0;
    const history: EmIterationStat[] = [];
    for (let it = 1; it <= s.maxIter; it++) {
      const t0 = performance.now();
      const previous = lowerBound;
      lowerBound = await eStep(state, matrix, resp, null, slicer);
      state = withParams(await estimateParameters(matrix, resp, k, s.covariance, s.regCovar, slicer));
      const change = lowerBound - previous;
      iterations = it;
      history.push({ iteration: it, lowerBound, change, seconds: (performance.now() - t0) / 1000 });
      s.onProgress?.({
        kind: 'phase',
        phase: 'gmm',
        detail: `k = ${k}, initialisation ${run + 1} of ${runs}, EM iteration ${it} of at most ${s.maxIter}: mean log-likelihood ${lowerBound.toPrecision(8)}`,
      });
      if (Math.abs(change) < s.tol) {
        converged = true;
        break;
      }
    }
    if (!best || lowerBound > best.lowerBound) best = { params: state.params, initial: start.params, lowerBound, iterations, converged, history, run };
  }
  const b = best!;
  const model = new GaussianMixtureModel(b.params);
  const labels = new Int32Array(n);
  // The final E-step: labels, probabilities and the score of the returned parameters.
  const meanLogLikelihood = await eStep(withParams(b.params), matrix, resp, labels, slicer);
  if (!b.converged) {
    notes.push(`EM did not converge within ${s.maxIter} iterations (last change of the mean log-likelihood ${Math.abs(b.history[b.history.length - 1]!.change).toPrecision(3)} ≥ tol ${s.tol}); raise maxIter or tol`);
  }
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  const empty = sizes.filter((c) => c === 0).length;
  if (empty > 0) notes.push(`${empty} component(s) are the most probable for no row`);
  const parameters = mixtureParameterCount(s.covariance, k, d);
  return {
    model,
    k,
    rows: n,
    cols: d,
    covariance: s.covariance,
    labels,
    probabilities: resp,
    sizes,
    meanLogLikelihood,
    lowerBound: b.lowerBound,
    bic: -2 * meanLogLikelihood * n + parameters * Math.log(n),
    aic: -2 * meanLogLikelihood * n + 2 * parameters,
    parameters,
    converged: b.converged,
    iterations: b.iterations,
    bestRun: b.run,
    history: b.history,
    initial: b.initial,
    backend,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}
