/**
 * Per-column statistics as left folds over rows in row order (float64). The
 * scaler, the driver's tolerance scale and sharded jobs all use these: a
 * sharded job continues the fold shard after shard from the previous shard's
 * carry, so it computes exactly the same doubles as one pass over all rows.
 */

/** Continues `sum[j] += x[i][j]` over the rows of `data` (row-major, `cols` columns). Returns `sum`. */
export function foldColumnSums(data: Float32Array, cols: number, sum: Float64Array): Float64Array {
  const n = data.length;
  for (let p = 0; p < n; p += cols) for (let j = 0; j < cols; j++) sum[j]! += data[p + j]!;
  return sum;
}

/** Continues `ss[j] += (x[i][j] - center[j])²` over the rows of `data`. Returns `ss`. */
export function foldSquaredDeviations(data: Float32Array, cols: number, center: Float64Array, ss: Float64Array): Float64Array {
  const n = data.length;
  for (let p = 0; p < n; p += cols) {
    for (let j = 0; j < cols; j++) {
      const d = data[p + j]! - center[j]!;
      ss[j]! += d * d;
    }
  }
  return ss;
}

/** Continues the per-column minimum and maximum (`min`, `max` start at ±Infinity). NaN never wins. */
export function foldColumnRange(data: Float32Array, cols: number, min: Float64Array, max: Float64Array): void {
  const n = data.length;
  for (let p = 0; p < n; p += cols) {
    for (let j = 0; j < cols; j++) {
      const v = data[p + j]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
}

/** A fold that can be continued shard after shard: its kind and, for squared deviations, the centre. */
export type ColumnFold = { kind: 'sum' } | { kind: 'squares'; center: Float64Array } | { kind: 'range' };

/** Initial carry of a fold: `cols` zeros, or `2 × cols` values (min then max) for `range`. */
export function foldStart(fold: ColumnFold, cols: number): Float64Array {
  if (fold.kind !== 'range') return new Float64Array(cols);
  const carry = new Float64Array(2 * cols);
  carry.fill(Infinity, 0, cols);
  carry.fill(-Infinity, cols);
  return carry;
}

/** Continues `fold` over `data` from `carry` (updated in place and returned). */
export function continueFold(fold: ColumnFold, data: Float32Array, cols: number, carry: Float64Array): Float64Array {
  if (fold.kind === 'sum') return foldColumnSums(data, cols, carry);
  if (fold.kind === 'squares') return foldSquaredDeviations(data, cols, fold.center, carry);
  foldColumnRange(data, cols, carry.subarray(0, cols), carry.subarray(cols));
  return carry;
}
