/**
 * Summary statistics of one numeric column: count, mean, standard deviation,
 * min, 5th/25th/50th/75th/95th percentiles and max. Percentiles interpolate
 * linearly between order statistics (NumPy's default, "type 7").
 */

/** Summary of a set of values. Every figure is NaN (null in JSON) when `count` is 0. */
export interface DistributionStats {
  /** Values counted (missing values excluded). */
  count: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  p05: number;
  q1: number;
  median: number;
  q3: number;
  p95: number;
  max: number;
}

/** Linear-interpolated quantile `p` (0..1) of ascending `sorted` values (type 7). NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (n === 1) return sorted[0]!;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Statistics of `values`, which it sorts IN PLACE (pass a copy to keep the
 * order). NaN values must have been removed by the caller.
 *
 * @example
 * describeSortable(new Float64Array([1, 2, 3, 4])); // {count: 4, mean: 2.5, median: 2.5, q1: 1.75, q3: 3.25, …}
 */
export function describeSortable(values: Float64Array | Float32Array): DistributionStats {
  const n = values.length;
  if (n === 0) return emptyStats();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  values.sort();
  return {
    count: n,
    mean,
    std: Math.sqrt(ss / n),
    min: values[0]!,
    p05: quantileSorted(values, 0.05),
    q1: quantileSorted(values, 0.25),
    median: quantileSorted(values, 0.5),
    q3: quantileSorted(values, 0.75),
    p95: quantileSorted(values, 0.95),
    max: values[n - 1]!,
  };
}

/** Statistics of nothing: count 0, every figure NaN. */
export function emptyStats(): DistributionStats {
  return { count: 0, mean: NaN, std: NaN, min: NaN, p05: NaN, q1: NaN, median: NaN, q3: NaN, p95: NaN, max: NaN };
}
