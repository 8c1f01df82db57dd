import { SegmentaError } from './errors.js';

/** A dense row-major float32 matrix: `rows × cols`, element (i, j) at `data[i * cols + j]`. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Wraps a typed array as a matrix after checking its length. */
export function matrixFrom(data: Float32Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new SegmentaError('SHAPE_MISMATCH', `the array holds ${data.length} values but ${rows} × ${cols} needs ${rows * cols}`, {
      rows,
      cols,
      length: data.length,
    });
  }
  return { data, rows, cols };
}

/** Builds a float32 matrix from nested arrays (rows of equal length). Handy in tests and small jobs. */
export function matrixFromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const d = n > 0 ? rows[0]!.length : 0;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (let j = 0; j < d; j++) data[i * d + j] = r[j]!;
  }
  return { data, rows: n, cols: d };
}
