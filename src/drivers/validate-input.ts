/**
 * Input validation shared by the drivers. Kernels never validate: everything a
 * user can get wrong is checked here, once, with messages that state the values.
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';

/** Checks shape and rejects NaN/Inf (faiss's default), naming the first offending row and column (1-based row). */
export function validateMatrix(matrix: Matrix, what = 'data'): void {
  const { data, rows, cols } = matrix;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} has an invalid shape ${rows} × ${cols}`, { rows, cols });
  }
  if (data.length !== rows * cols) {
    throw new SegmentaError('SHAPE_MISMATCH', `${what} holds ${data.length} values but its shape ${rows} × ${cols} needs ${rows * cols}`, {
      rows,
      cols,
      length: data.length,
    });
  }
  if (rows === 0) throw new SegmentaError('EMPTY_TABLE', `${what} has no rows`);
  if (cols === 0) throw new SegmentaError('SHAPE_MISMATCH', `${what} has no feature columns`);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const row = Math.floor(i / cols) + 1;
      const col = (i % cols) + 1;
      throw new SegmentaError('NON_FINITE_VALUE', `${what} row ${row}, feature ${col} is ${v}: NaN and infinite values are not allowed`, {
        row,
        column: col,
        value: v,
      });
    }
  }
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
 */
export function countDistinctRows(matrix: Matrix, atLeast: number): number {
  const { data, rows, cols } = matrix;
  const seen = new Set<string>();
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new TextDecoder('latin1');
  for (let i = 0; i < rows && seen.size < atLeast; i++) {
    seen.add(decoder.decode(bytes.subarray(i * cols * 4, (i + 1) * cols * 4)));
  }
  return seen.size;
}

/** Mean over features of the per-feature population variance (scikit-learn's tol scale), in float64. */
export function meanFeatureVariance(matrix: Matrix): number {
  const { data, rows, cols } = matrix;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += data[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= rows;
  const v = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const dd = data[i * cols + j]! - mean[j]!;
      v[j]! += dd * dd;
    }
  }
  let s = 0;
  for (let j = 0; j < cols; j++) s += v[j]! / rows;
  return s / cols;
}
