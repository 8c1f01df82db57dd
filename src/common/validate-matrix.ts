/**
 * Checks every public entry point shares (layer 0, so that metrics,
 * preparation and drivers all use the same ones): the matrix shape, finite
 * values, label vectors and per-row sample weights. Messages name the values
 * involved; every failure is a {@link SegmentaError} with a `code`.
 */
import { SegmentaError } from './errors.js';
import type { Matrix } from './matrix.js';

/** A short description of a value of the wrong kind (`a plain array`, `string abc`, …). */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a plain array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Checks that `matrix` is a segmenta matrix: an object `{ data, rows, cols }`
 * whose `data` is a Float32Array of exactly rows × cols values, with at least
 * one row and one column (scikit-learn's "0 sample(s)" / "0 feature(s)").
 * `allowNoColumns` accepts rows × 0 (the numeric part of all-categorical data).
 *
 * @throws SegmentaError `INVALID_DATA` for anything else (null, a plain array, a Float64Array…),
 *   with how to build one; `SHAPE_MISMATCH` (wrong length, 0 columns); `EMPTY_TABLE` (0 rows)
 */
export function validateMatrixShape(matrix: Matrix, what = 'data', allowNoColumns = false): void {
  if (matrix === null || typeof matrix !== 'object' || Array.isArray(matrix) || ArrayBuffer.isView(matrix)) {
    throw new SegmentaError(
      'INVALID_DATA',
      `${what} must be a matrix { data: Float32Array, rows, cols }, got ${kindOf(matrix)}; build one with matrixFromRows(rows) or matrixFrom(data, rows, cols)`,
      { got: kindOf(matrix) },
    );
  }
  const { data, rows, cols } = matrix as { data: unknown; rows: number; cols: number };
  if (!(data instanceof Float32Array)) {
    const hint = data instanceof Float64Array || Array.isArray(data) ? '; segmenta computes in float32: convert with Float32Array.from(data) (values round to float32)' : '';
    throw new SegmentaError('INVALID_DATA', `${what}.data must be a Float32Array of rows × cols values, got ${kindOf(data)}${hint}`, { got: kindOf(data) });
  }
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} has an invalid shape ${String(rows)} × ${String(cols)}`, { rows, cols });
  }
  if (data.length !== rows * cols) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} holds ${data.length} values but its shape ${rows} × ${cols} needs ${rows * cols}`, {
      rows,
      cols,
      length: data.length,
    });
  }
  if (rows === 0) throw new SegmentaError('EMPTY_TABLE', `${what} has no rows (shape 0 × ${cols}): at least 1 is required`, { rows, cols });
  if (cols === 0 && !allowNoColumns) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} has 0 feature columns (shape ${rows} × 0): at least 1 is required`, { rows, cols });
  }
}

/**
 * Values [from, to) of the matrix's data: throws on the first NaN or ±Infinity,
 * naming its 1-based row and feature; else returns their largest magnitude.
 *
 * @throws SegmentaError `NON_FINITE_VALUE`
 */
export function scanFinite(matrix: Matrix, from: number, to: number, what: string, featureNames?: readonly string[]): number {
  const { data, cols } = matrix;
  let largest = 0;
  for (let i = from; i < to; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const row = Math.floor(i / cols) + 1;
      const col = (i % cols) + 1;
      const name = featureNames?.[col - 1] !== undefined ? `feature ${col} ('${featureNames[col - 1]}')` : `feature ${col}`;
      throw new SegmentaError('NON_FINITE_VALUE', `${what} row ${row}, ${name} is ${v}: NaN and infinite values are not allowed`, {
        row,
        column: col,
        value: v,
      });
    }
    const a = v < 0 ? -v : v;
    if (a > largest) largest = a;
  }
  return largest;
}

/** {@link validateMatrixShape}, then every value finite ({@link scanFinite}). */
export function validateFiniteMatrix(matrix: Matrix, what = 'data', featureNames?: readonly string[], allowNoColumns = false): void {
  validateMatrixShape(matrix, what, allowNoColumns);
  scanFinite(matrix, 0, matrix.data.length, what, featureNames);
}

/**
 * Checks a label vector against the rows it labels: array-like, one integer
 * label per row.
 *
 * @throws SegmentaError `SHAPE_MISMATCH` when the lengths differ, `INVALID_OPTION` naming the
 *   first row whose label is not an integer
 */
export function validateLabels(labels: ArrayLike<number>, rows: number, what = 'labels'): void {
  if (labels === null || typeof labels !== 'object' || typeof (labels as { length?: unknown }).length !== 'number') {
    throw new SegmentaError('INVALID_OPTION', `${what} must be an array of integers (one per row), got ${kindOf(labels)}`, { got: kindOf(labels) });
  }
  if (labels.length !== rows) {
    throw new SegmentaError('SHAPE_MISMATCH', `${labels.length} ${what} for ${rows} rows: give one label per row`, { labels: labels.length, rows });
  }
  if (labels instanceof Int32Array) return;
  for (let i = 0; i < rows; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v)) {
      throw new SegmentaError('INVALID_OPTION', `${what} must be integers, got ${String(v)} at row ${i + 1}`, { row: i + 1, value: v });
    }
  }
}

/**
 * Checks per-row sample weights (scikit-learn's `_check_sample_weight`): an
 * array of `rows` finite numbers ≥ 0, not all zero. Returns them as a
 * Float64Array: the same array when it already is one (never modified), else
 * a copy.
 *
 * @param what how messages name the weights (`sampleWeight`, `weight column 'Visits'`)
 * @throws SegmentaError `SHAPE_MISMATCH` (length), `NON_FINITE_VALUE` (NaN, ±Infinity),
 *   `INVALID_OPTION` (negative, all zero, not an array), each naming the row and value
 */
export function validateSampleWeight(weights: ArrayLike<number>, rows: number, what = 'sampleWeight'): Float64Array {
  if (weights === null || typeof weights !== 'object' || typeof (weights as { length?: unknown }).length !== 'number') {
    throw new SegmentaError('INVALID_OPTION', `${what} must be an array of numbers (one weight per row), got ${kindOf(weights)}`, { option: 'sampleWeight', got: kindOf(weights) });
  }
  if (weights.length !== rows) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} holds ${weights.length} weights for ${rows} rows: give one weight per row`, {
      option: 'sampleWeight',
      length: weights.length,
      rows,
    });
  }
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i]!;
    if (typeof w !== 'number' || w - w !== 0) {
      throw new SegmentaError('NON_FINITE_VALUE', `${what} row ${i + 1} is ${String(w)}: weights must be finite numbers`, { option: 'sampleWeight', row: i + 1, value: w });
    }
    if (w < 0) {
      throw new SegmentaError('INVALID_OPTION', `${what} row ${i + 1} is ${w}: weights must be >= 0`, { option: 'sampleWeight', row: i + 1, value: w });
    }
    total += w;
  }
  if (!(total > 0)) {
    throw new SegmentaError('INVALID_OPTION', `${what}: all ${rows} weights are 0; at least one row needs a positive weight`, { option: 'sampleWeight', rows });
  }
  if (!Number.isFinite(total)) {
    throw new SegmentaError('VALUE_TOO_LARGE', `${what}: the weights add up to ${total}; scale them down`, { option: 'sampleWeight', total });
  }
  return weights instanceof Float64Array ? weights : Float64Array.from(weights);
}
