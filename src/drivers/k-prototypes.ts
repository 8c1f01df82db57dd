/**
 * k-prototypes (Huang 1997, 1998) for mixed data: numeric features and
 * categorical columns (Gender…) cluster together without one-hot encoding.
 *
 * A prototype is a numeric centre (the members' means) plus a mode per
 * categorical column (the most frequent level; ties: the lowest code). The
 * dissimilarity of a customer to a prototype is Huang's
 *
 *     d(x, p) = Σ_numeric (x_j − p_j)² + γ · Σ_categorical [x_c ≠ p_c]
 *
 * and the cost is Σ_i min_p d(x_i, p). γ weighs one categorical mismatch
 * against squared numeric units; by default it is chosen as the Python
 * `kmodes` package does (`KPrototypes(gamma=None)`): half the mean standard
 * deviation (population, ddof = 0) of the numeric columns, so scale the
 * numeric features first for it to mean the same on every column.
 *
 * Each run starts from k distinct customers drawn with the seed and
 * alternates assignment and update (batch, like Lloyd) until no label
 * changes; the cost never rises. A run that `maxIter` stops first ends with
 * one more assignment to the updated prototypes, so its labels, prototypes
 * and cost agree. The best of `nInit` runs wins. An empty
 * segment keeps its prototype. The loop runs on the calling thread in the
 * driver (there is no mixed-data kernel in the backend contract yet), cut
 * into slices of about 8 ms that yield to the event loop (every pass over the
 * rows, validation and γ included), so `signal` stops it within a slice. The
 * slicing changes no arithmetic (see `Steps` in common/time-slice.ts).
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressEvent, ProgressListener } from '../common/progress.js';
import { SeededRandom } from '../common/seeded-random.js';
import { drainSteps, runSteps, type Steps } from '../common/time-slice.js';
import { runSeed } from './kmeans.js';
import { requireInteger, requireNumber, validateAndMeasure, validateMatrix } from './validate-input.js';
import { validateLabels, validateMatrixShape } from '../common/validate-matrix.js';
import { groupDigits } from '../common/format-number.js';

/** Rows a pass handles between two pause points. */
const ROW_MASK = 0xfff;

/** Categorical columns coded 0..levels-1, row-major (rows × columns). */
export interface CategoricalColumns {
  /** Column names, for messages and results. */
  names: readonly string[];
  /** rows × names.length level codes, row-major. */
  codes: Int32Array;
  /** Number of levels of each column. */
  levels: readonly number[];
}

/** Options of {@link fitKPrototypes}. */
export interface KPrototypesOptions {
  k: number;
  /** Weight of one categorical mismatch. Default: the kmodes package's, {@link kPrototypesGamma}. */
  gamma?: number;
  /** Runs from different seeded starts; the lowest cost wins. Default 5. */
  nInit?: number;
  /** Iterations per run. Default 100. */
  maxIter?: number;
  /** Default 0. */
  seed?: number;
  /** Stops the fit within one ~8 ms slice; rejects with `AbortedError` (`ABORTED`). */
  signal?: AbortSignal;
  /** Receives a `phase` event (`k-prototypes`) after each iteration: run, iteration, cost, rows that moved. */
  onProgress?: ProgressListener;
}

/** A fitted k-prototypes model. */
export interface KPrototypesResult {
  k: number;
  rows: number;
  /** k × numeric columns float64 means, row-major. */
  centroids: Float64Array;
  /** k × categorical columns level codes (the modes), row-major. */
  modes: Int32Array;
  /** One segment per row, 0..k-1. */
  labels: Int32Array;
  sizes: number[];
  /** Huang's cost of the result: Σ_i d(x_i, prototype of labels[i]), each row's label being its nearest prototype. */
  cost: number;
  gamma: number;
  /** How γ was set. */
  gammaSource: 'given' | 'kmodes default: 0.5 × mean standard deviation of the numeric columns';
  iterations: number;
  converged: boolean;
  /** Cost of every run, in run order. */
  runCost: number[];
}

/**
 * The kmodes package's default γ: `0.5 * np.mean(Xnum.std(axis=0))`, the
 * population standard deviation (ddof = 0) of each numeric column. 0.5 when
 * there is no numeric column.
 *
 * @example kPrototypesGamma(matrixFromRows([[0], [2]])) // 0.5 × 1 = 0.5
 */
export function kPrototypesGamma(numeric: Matrix): number {
  validateNumeric(numeric);
  return drainSteps(gammaSteps(numeric));
}

/**
 * The numeric part may have 0 columns (all-categorical data), but it still
 * says how many rows there are: at least one, and a data array of the right length.
 */
function validateNumeric(numeric: Matrix): void {
  validateMatrixShape(numeric, 'numeric data', true);
  if (numeric.cols > 0) validateMatrix(numeric, 'numeric data');
}

function* gammaSteps(numeric: Matrix): Steps<number> {
  const { data, rows, cols } = numeric;
  // rows >= 1: validateMatrixShape refuses an empty table before any caller gets here.
  if (cols === 0) return 0.5;
  let total = 0;
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) {
      if ((i & ROW_MASK) === 0) yield;
      mean += data[i * cols + j]!;
    }
    mean /= rows;
    let ss = 0;
    for (let i = 0; i < rows; i++) {
      if ((i & ROW_MASK) === 0) yield;
      ss += (data[i * cols + j]! - mean) ** 2;
    }
    total += Math.sqrt(ss / rows);
  }
  return (0.5 * total) / cols;
}

/**
 * Huang's cost of a partition with the prototypes that minimise it for that
 * partition (the members' means and modes): the reference the tests use.
 * Synchronous (two passes over the rows).
 */
export function huangCost(numeric: Matrix, categorical: CategoricalColumns, labels: ArrayLike<number>, k: number, gamma: number): number {
  validateNumeric(numeric);
  drainSteps(validateCategoricalSteps(numeric, categorical));
  requireInteger('k', k, 1);
  validateLabels(labels, numeric.rows);
  for (let i = 0; i < numeric.rows; i++) {
    const v = labels[i]!;
    if (v < 0 || v >= k) throw new SegmentaError('INVALID_K', `labels row ${i + 1} is ${v}, outside 0..${k - 1}`, { row: i + 1, label: v, k });
  }
  requireNumber('gamma', gamma, 0);
  const p = numeric.cols;
  const m = categorical.names.length;
  const { centroids, modes } = drainSteps(prototypesSteps(numeric, categorical, labels, k, new Float64Array(k * p), new Int32Array(k * m)));
  let cost = 0;
  for (let i = 0; i < numeric.rows; i++) cost += dissimilarity(numeric, categorical, i, centroids, modes, labels[i]!, gamma);
  return cost;
}

function dissimilarity(numeric: Matrix, categorical: CategoricalColumns, i: number, centroids: Float64Array, modes: Int32Array, c: number, gamma: number): number {
  const p = numeric.cols;
  const m = categorical.names.length;
  let d = 0;
  for (let j = 0; j < p; j++) {
    const t = numeric.data[i * p + j]! - centroids[c * p + j]!;
    d += t * t;
  }
  let mismatches = 0;
  for (let q = 0; q < m; q++) if (categorical.codes[i * m + q] !== modes[c * m + q]) mismatches++;
  return d + gamma * mismatches;
}

/** Means and modes of each non-empty segment; empty segments keep the given prototype. */
function* prototypesSteps(
  numeric: Matrix,
  categorical: CategoricalColumns,
  labels: ArrayLike<number>,
  k: number,
  centroids: Float64Array,
  modes: Int32Array,
): Steps<{ centroids: Float64Array; modes: Int32Array; sizes: number[] }> {
  const p = numeric.cols;
  const m = categorical.names.length;
  const sums = new Float64Array(k * p);
  const sizes = new Float64Array(k);
  const counts = categorical.levels.map((l) => new Float64Array(k * l));
  for (let i = 0; i < numeric.rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const c = labels[i]!;
    sizes[c]!++;
    for (let j = 0; j < p; j++) sums[c * p + j]! += numeric.data[i * p + j]!;
    for (let q = 0; q < m; q++) counts[q]![c * categorical.levels[q]! + categorical.codes[i * m + q]!]!++;
  }
  for (let c = 0; c < k; c++) {
    if (sizes[c] === 0) continue;
    for (let j = 0; j < p; j++) centroids[c * p + j] = sums[c * p + j]! / sizes[c]!;
    for (let q = 0; q < m; q++) {
      const L = categorical.levels[q]!;
      let best = 0;
      for (let l = 1; l < L; l++) if (counts[q]![c * L + l]! > counts[q]![c * L + best]!) best = l;
      modes[c * m + q] = best;
    }
  }
  return { centroids, modes, sizes: Array.from(sizes) };
}

function* validateCategoricalSteps(numeric: Matrix, categorical: CategoricalColumns): Steps<void> {
  if (categorical === null || typeof categorical !== 'object' || !Array.isArray(categorical.names) || !Array.isArray(categorical.levels) || typeof categorical.codes?.length !== 'number') {
    throw new SegmentaError('INVALID_DATA', 'categorical must be { names: string[], levels: number[], codes: Int32Array }', {});
  }
  const m = categorical.names.length;
  if (m === 0 && numeric.cols === 0) {
    throw new SegmentaError('SHAPE_MISMATCH', `k-prototypes got 0 numeric and 0 categorical columns (${numeric.rows} rows): at least 1 feature is required`, { rows: numeric.rows });
  }
  if (categorical.levels.length !== m) {
    throw new SegmentaError('SHAPE_MISMATCH', `${m} categorical column names but ${categorical.levels.length} level counts`, { names: m, levels: categorical.levels.length });
  }
  if (categorical.codes.length !== numeric.rows * m) {
    throw new SegmentaError('SHAPE_MISMATCH', `categorical codes hold ${categorical.codes.length} values but rows × columns = ${numeric.rows} × ${m}`, {
      codes: categorical.codes.length,
      rows: numeric.rows,
      columns: m,
    });
  }
  for (let i = 0; i < numeric.rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    for (let q = 0; q < m; q++) {
      const v = categorical.codes[i * m + q]!;
      if (v < 0 || v >= categorical.levels[q]!) {
        throw new SegmentaError('INVALID_OPTION', `row ${i + 1}, column '${categorical.names[q]}': level code ${v} is outside 0..${categorical.levels[q]! - 1}`, { row: i + 1, column: categorical.names[q] });
      }
    }
  }
}

/**
 * Fits k-prototypes on numeric features (scale them first) and categorical columns.
 *
 * @example
 * ```ts
 * const gender = encodeCategories(table.kept.Gender, 'Gender');
 * const fit = await fitKPrototypes(prepared.matrix, { names: ['Gender'], codes: gender.codes, levels: [gender.levels.length] }, { k: 5, seed: 42 });
 * fit.gamma; // the kmodes package's default γ
 * ```
 * @throws SegmentaError `INVALID_K` (k above the rows), `SHAPE_MISMATCH`, `NON_FINITE_VALUE`, `INVALID_OPTION`, `ABORTED`
 */
export async function fitKPrototypes(numeric: Matrix, categorical: CategoricalColumns, options: KPrototypesOptions): Promise<KPrototypesResult> {
  validateMatrixShape(numeric, 'numeric data', true);
  if (numeric.cols > 0) await validateAndMeasure(numeric, options.signal, 'numeric data');
  const run = { signal: options.signal, onProgress: options.onProgress };
  await runSteps(validateCategoricalSteps(numeric, categorical), run);
  const n = numeric.rows;
  const k = requireInteger('k', options.k, 1);
  if (k > n) throw new SegmentaError('INVALID_K', `k = ${k} is larger than the number of rows (${n})`, { k, rows: n });
  const nInit = requireInteger('nInit', options.nInit ?? 5, 1, 10_000);
  const maxIter = requireInteger('maxIter', options.maxIter ?? 100, 1);
  const seed = requireInteger('seed', options.seed ?? 0, 0, 4294967295);
  const gamma = options.gamma === undefined ? await runSteps(gammaSteps(numeric), run) : requireNumber('gamma', options.gamma, 0);
  const { runCost, ...best } = await runSteps(fitSteps(numeric, categorical, k, nInit, maxIter, seed, gamma), run);
  return {
    k,
    rows: n,
    ...best,
    gamma,
    gammaSource: options.gamma === undefined ? 'kmodes default: 0.5 × mean standard deviation of the numeric columns' : 'given',
    runCost,
  };
}

type FitCore = Omit<KPrototypesResult, 'gamma' | 'gammaSource' | 'k' | 'rows'>;

/**
 * One assignment pass: each row to its nearest prototype (ties: the lowest
 * segment), written into `labels`; returns Huang's cost of that assignment and
 * how many labels changed.
 */
function* assignSteps(
  numeric: Matrix,
  categorical: CategoricalColumns,
  k: number,
  centroids: Float64Array,
  modes: Int32Array,
  gamma: number,
  labels: Int32Array,
): Steps<{ cost: number; changed: number }> {
  let changed = 0;
  let cost = 0;
  for (let i = 0; i < numeric.rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    let bc = 0;
    let bd = Infinity;
    for (let c = 0; c < k; c++) {
      const d = dissimilarity(numeric, categorical, i, centroids, modes, c, gamma);
      if (d < bd) {
        bd = d;
        bc = c;
      }
    }
    if (labels[i] !== bc) changed++;
    labels[i] = bc;
    cost += bd;
  }
  return { cost, changed };
}

/** The `nInit` runs of the batch k-prototypes loop; the best one, with every run's cost. */
function* fitSteps(numeric: Matrix, categorical: CategoricalColumns, k: number, nInit: number, maxIter: number, seed: number, gamma: number): Steps<FitCore, ProgressEvent> {
  const n = numeric.rows;
  const p = numeric.cols;
  const m = categorical.names.length;
  let best: Omit<FitCore, 'runCost'> | undefined;
  const runCost: number[] = [];
  for (let run = 0; run < nInit; run++) {
    yield;
    const rng = new SeededRandom(runSeed(seed, k, run));
    // Start from k customers drawn at random (distinct rows).
    const centroids = new Float64Array(k * p);
    const modes = new Int32Array(k * m);
    const picked = new Set<number>();
    while (picked.size < k) picked.add(rng.nextInt(n));
    [...picked].forEach((i, c) => {
      for (let j = 0; j < p; j++) centroids[c * p + j] = numeric.data[i * p + j]!;
      for (let q = 0; q < m; q++) modes[c * m + q] = categorical.codes[i * m + q]!;
    });
    const labels = new Int32Array(n).fill(-1);
    let iterations = 0;
    let converged = false;
    let cost = 0;
    for (let it = 1; it <= maxIter; it++) {
      const pass = yield* assignSteps(numeric, categorical, k, centroids, modes, gamma, labels);
      cost = pass.cost;
      iterations = it;
      yield { kind: 'phase', phase: 'k-prototypes', detail: `run ${run + 1} of ${nInit}, iteration ${it}: cost ${cost}, ${groupDigits(pass.changed)} rows moved` };
      if (pass.changed === 0) {
        converged = true;
        break;
      }
      yield* prototypesSteps(numeric, categorical, labels, k, centroids, modes);
    }
    // Cut by maxIter after an update: label each row with its nearest updated prototype (as
    // scikit-learn's KMeans does), so that labels, prototypes and cost describe the same partition.
    if (!converged) cost = (yield* assignSteps(numeric, categorical, k, centroids, modes, gamma, labels)).cost;
    runCost.push(cost);
    if (!best || cost < best.cost) {
      const sizes = new Array<number>(k).fill(0);
      for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
      best = { centroids, modes, labels, sizes, cost, iterations, converged };
    }
  }
  return { ...best!, runCost };
}
