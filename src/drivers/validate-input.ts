/**
 * Input validation shared by the drivers. Kernels never validate: everything a
 * user can get wrong is checked here, once, with messages that state the values.
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { TimeSlicer } from '../common/time-slice.js';
import { foldColumnSums, foldSquaredDeviations } from '../common/column-folds.js';
import { columnMeans } from '../preparation/scaling.js';
import { kindOf, scanFinite, validateMatrixShape } from '../common/validate-matrix.js';

export { validateMatrixShape };

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Bound on `4 · Σ_j max|x_j|²` (about FLOAT32_MAX / 4): below it no squared
 * distance between two rows, or between a row and a centroid, overflows
 * float32 in any backend, in either form (`Σ (x - c)²`, or tfjs's
 * `|x|² - 2 x·c + |c|²`), rounding included.
 */
export const SQUARED_DISTANCE_LIMIT = FLOAT32_MAX / 4;

/**
 * Checks that `options` is an options object (undefined allowed when `required` is false).
 *
 * @throws SegmentaError `INVALID_OPTION` naming the function and what it got
 */
export function requireOptions<T extends object>(options: T | undefined, fn: string, required: string[] = []): T {
  if (options === undefined && required.length === 0) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const needs = required.length > 0 ? ` with ${required.join(', ')}` : '';
    throw new SegmentaError('INVALID_OPTION', `${fn} needs an options object${needs}, got ${kindOf(options)}`, { option: 'options', value: options });
  }
  return options;
}

/**
 * Checks the matrix ({@link validateMatrixShape}), rejects NaN/Inf (faiss's
 * default) naming the first offending row and column (1-based row), and
 * rejects values so large that squared distances would overflow float32
 * ({@link checkFloat32Range}). All backends get the same checks.
 *
 * @param featureNames names of the columns, used in messages when given
 */
export function validateMatrix(matrix: Matrix, what = 'data', featureNames?: readonly string[]): void {
  validateMatrixShape(matrix, what);
  const largest = scanFinite(matrix, 0, matrix.data.length, what, featureNames);
  // Every column within the largest magnitude is safe; only then is the exact per-column bound worth a pass.
  if (4 * matrix.cols * largest * largest > SQUARED_DISTANCE_LIMIT) checkFloat32Range(matrix, what, featureNames);
}

/** Rows a sliced scan handles between two looks at the clock. */
const SCAN_ROWS = 1 << 15;

/**
 * {@link validateMatrix} and {@link meanFeatureVariance} in one call that
 * keeps the event loop free: the scans run in slices of at most about 8 ms
 * and stop with `AbortedError` when `signal` fires. Same checks, same result
 * bit for bit (the same float64 sums in the same order). With `weights`, the
 * variance is the weighted one (`Σ w (x − m)² / Σ w`, m the weighted mean):
 * unit weights give the same bits, repeated rows the same value as weights.
 */
export async function validateAndMeasure(matrix: Matrix, signal?: AbortSignal, what = 'data', weights?: Float64Array): Promise<number> {
  validateMatrixShape(matrix, what);
  const { data, rows, cols } = matrix;
  const slicer = new TimeSlicer(signal);
  const sum = new Float64Array(cols);
  let largest = 0;
  let total = 0;
  for (let r0 = 0; r0 < rows; r0 += SCAN_ROWS) {
    await slicer.maybePause();
    const r1 = Math.min(rows, r0 + SCAN_ROWS);
    largest = Math.max(largest, scanFinite(matrix, r0 * cols, r1 * cols, what));
    if (weights) total += addWeightedColumns(data, cols, r0, r1, sum, weights);
    else foldColumnSums(data.subarray(r0 * cols, r1 * cols), cols, sum);
  }
  if (4 * cols * largest * largest > SQUARED_DISTANCE_LIMIT) checkFloat32Range(matrix, what);
  const n = weights ? total : rows;
  const mean = columnMeans(sum, n);
  const ss = new Float64Array(cols);
  for (let r0 = 0; r0 < rows; r0 += SCAN_ROWS) {
    await slicer.maybePause();
    const r1 = Math.min(rows, r0 + SCAN_ROWS);
    if (weights) addWeightedSquares(data, cols, r0, r1, mean, ss, weights);
    else foldSquaredDeviations(data.subarray(r0 * cols, r1 * cols), cols, mean, ss);
  }
  return meanOfVariances(ss, n);
}

/** Weighted column sums `sum[j] += w_i · x_ij` of rows [r0, r1); returns the weights' sum (a weight of 1 adds the same bits as foldColumnSums). */
function addWeightedColumns(data: Float32Array, cols: number, r0: number, r1: number, sum: Float64Array, w: Float64Array): number {
  let total = 0;
  for (let i = r0; i < r1; i++) {
    const wi = w[i]!;
    total += wi;
    for (let j = 0; j < cols; j++) sum[j]! += wi * data[i * cols + j]!;
  }
  return total;
}

/** Weighted squared deviations `ss[j] += w_i · (x_ij − mean_j)²` of rows [r0, r1). */
function addWeightedSquares(data: Float32Array, cols: number, r0: number, r1: number, mean: Float64Array, ss: Float64Array, w: Float64Array): void {
  for (let i = r0; i < r1; i++) {
    const wi = w[i]!;
    for (let j = 0; j < cols; j++) {
      const dd = data[i * cols + j]! - mean[j]!;
      ss[j]! += wi * (dd * dd);
    }
  }
}

/**
 * Rejects data whose squared distances can overflow float32: the bound is
 * `4 · Σ_j max|x_j|² ≤` {@link SQUARED_DISTANCE_LIMIT} (with d features, about
 * `4.6e18 / √d` per value). The message names the feature with the largest
 * values, one such value and its row. Scaled data (standard, min-max) is far
 * below the bound. Assumes finite values.
 *
 * @throws SegmentaError `VALUE_TOO_LARGE`
 */
export function checkFloat32Range(matrix: Matrix, what = 'data', featureNames?: readonly string[]): void {
  const { data, rows, cols } = matrix;
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = v < 0 ? -v : v;
    if (a > largest) largest = a;
  }
  if (4 * cols * largest * largest <= SQUARED_DISTANCE_LIMIT) return;
  const maxAbs = new Float64Array(cols);
  const at = new Int32Array(cols);
  for (let i = 0, p = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++, p++) {
      const a = Math.abs(data[p]!);
      if (a > maxAbs[j]!) {
        maxAbs[j] = a;
        at[j] = i;
      }
    }
  }
  let bound = 0;
  let worst = 0;
  for (let j = 0; j < cols; j++) {
    bound += 4 * maxAbs[j]! * maxAbs[j]!;
    if (maxAbs[j]! > maxAbs[worst]!) worst = j;
  }
  if (bound <= SQUARED_DISTANCE_LIMIT) return;
  const row = at[worst]! + 1;
  const value = data[at[worst]! * cols + worst]!;
  const perValue = Math.sqrt(SQUARED_DISTANCE_LIMIT / (4 * cols));
  const label = featureNames?.[worst] !== undefined ? `feature ${worst + 1} ('${featureNames[worst]}')` : `feature ${worst + 1}`;
  throw new SegmentaError(
    'VALUE_TOO_LARGE',
    `${what} row ${row}, ${label} is ${value.toPrecision(4)}: squared distances between values this large overflow float32 (with ${cols} feature${cols === 1 ? '' : 's'}, keep |values| below about ${perValue.toPrecision(2)}); scale the features (standard or min-max scaling) or change their units`,
    { row, column: worst + 1, value, limit: perValue },
  );
}

/** Checks that `value` is an integer within [min, max]; the message names the option and the value. */
export function requireInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new SegmentaError(name === 'k' || name === 'kMin' || name === 'kMax' ? 'INVALID_K' : 'INVALID_OPTION', `${name} must be ${range}, got ${String(value)}`, {
      option: name,
      value,
    });
  }
  return value;
}

/** Checks that `value` is a finite number >= min. */
export function requireNumber(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new SegmentaError('INVALID_OPTION', `${name} must be a finite number >= ${min}, got ${String(value)}`, { option: name, value });
  }
  return value;
}

/**
 * Counts distinct rows, stopping as soon as `atLeast` are found (usually after
 * a handful of rows). Used to reject k above the number of distinct points.
 * Rows compare by numeric equality: −0 equals +0 (the data is validated
 * finite first, so NaN never reaches here). With `weights`, rows of weight 0
 * are left out (they cannot hold a centre).
 */
export function countDistinctRows(matrix: Matrix, atLeast: number, weights?: ArrayLike<number>): number {
  return collectDistinctRows(matrix.data, matrix.cols, new Set<string>(), atLeast, weights).size;
}

/**
 * Adds the rows of `data` (row-major, `cols` columns), in order, to `seen` (rows
 * as latin1 strings of their float32 bytes, −0 written as +0) until it holds
 * `atLeast`, skipping rows whose weight (`weights`, indexed like `data`'s rows)
 * is 0. Sharded data continues one set shard after shard, so it counts exactly as one pass.
 */
export function collectDistinctRows(data: Float32Array, cols: number, seen: Set<string>, atLeast: number, weights?: ArrayLike<number>): Set<string> {
  const rows = data.length / cols;
  const row = new Float32Array(cols);
  const bytes = new Uint8Array(row.buffer);
  const decoder = new TextDecoder('latin1');
  for (let i = 0; i < rows && seen.size < atLeast; i++) {
    if (weights && !(weights[i]! > 0)) continue;
    // x + 0 maps −0 to +0 and leaves every other value as it is.
    for (let j = 0; j < cols; j++) row[j] = data[i * cols + j]! + 0;
    seen.add(decoder.decode(bytes));
  }
  return seen;
}

/** Mean over features of the per-feature population variance (scikit-learn's tol scale), in float64. */
export function meanFeatureVariance(matrix: Matrix): number {
  const { data, rows, cols } = matrix;
  const mean = columnMeans(foldColumnSums(data, cols, new Float64Array(cols)), rows);
  return meanOfVariances(foldSquaredDeviations(data, cols, mean, new Float64Array(cols)), rows);
}

/** `mean over j of squaredDeviations[j] / rows`: the last step of {@link meanFeatureVariance}, also used by sharded data. */
export function meanOfVariances(squaredDeviations: Float64Array, rows: number): number {
  let s = 0;
  for (let j = 0; j < squaredDeviations.length; j++) s += squaredDeviations[j]! / rows;
  return s / squaredDeviations.length;
}
