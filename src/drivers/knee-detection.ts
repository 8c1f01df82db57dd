/**
 * Kneedle (Satopää et al., 2011), as the `kneed` package computes it offline with
 * sensitivity S = 1, for a convex decreasing curve such as WCSS over k.
 */
import { SegmentaError } from '../common/errors.js';

/**
 * Checks a curve given as parallel arrays: the same length, finite k values,
 * and finite curve values unless `mode` is `'any'` (curves with undefined
 * points: null, NaN, or ±Infinity where a WCSS is 0).
 *
 * @throws SegmentaError `SHAPE_MISMATCH` naming both lengths, `NON_FINITE_VALUE` naming the position and value
 */
export function validateCurve(fn: string, xs: readonly number[], ys: readonly (number | null)[], yName = 'ys', mode: 'finite' | 'any' = 'finite'): void {
  if (!Array.isArray(xs) || !Array.isArray(ys)) throw new SegmentaError('INVALID_OPTION', `${fn} takes arrays of numbers`, { fn });
  if (ys.length !== xs.length) {
    throw new SegmentaError('SHAPE_MISMATCH', `${fn}: ${ys.length} ${yName} values for ${xs.length} k values`, { fn, xs: xs.length, ys: ys.length });
  }
  for (const [name, values] of [['k', xs], [yName, ys]] as const) {
    values.forEach((v, i) => {
      if (mode === 'any' && name !== 'k') return;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new SegmentaError('NON_FINITE_VALUE', `${fn}: ${name} value ${i + 1} is ${String(v)}; finite numbers are required`, { fn, position: i + 1, value: v });
      }
    });
  }
}

/**
 * The x at the knee (elbow) of a convex decreasing curve, or `null` when the
 * curve has fewer than 3 points, is flat, or has no knee.
 *
 * @param xs increasing x values (e.g. k = 1..10)
 * @param ys curve values at `xs` (e.g. WCSS)
 * @param sensitivity Kneedle's S. Default 1.
 * @throws SegmentaError `SHAPE_MISMATCH` when the lengths differ, `NON_FINITE_VALUE` for NaN/±Infinity
 * @example
 * ```ts
 * findElbow([1, 2, 3, 4, 5], [100, 30, 20, 15, 12]); // 2
 * ```
 */
export function findElbow(xs: readonly number[], ys: readonly number[], sensitivity = 1): number | null {
  validateCurve('findElbow', xs, ys);
  const n = xs.length;
  if (n < 3) return null;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMin = Math.min(...ys);
  const yMax = Math.max(...ys);
  if (xMax === xMin || yMax === yMin) return null;
  const xn = xs.map((x) => (x - xMin) / (xMax - xMin));
  // Convex and decreasing: flip y so the elbow becomes a knee.
  const yn = ys.map((y) => 1 - (y - yMin) / (yMax - yMin));
  const diff = yn.map((y, i) => y - xn[i]!);
  const maxima: number[] = [];
  const minima: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (diff[i]! >= diff[i - 1]! && diff[i]! >= diff[i + 1]!) maxima.push(i);
    if (diff[i]! <= diff[i - 1]! && diff[i]! <= diff[i + 1]!) minima.push(i);
  }
  if (maxima.length === 0) return null;
  let meanStep = 0;
  for (let i = 1; i < n; i++) meanStep += xn[i]! - xn[i - 1]!;
  meanStep /= n - 1;
  let threshold = 0;
  let thresholdIndex = -1;
  for (let i = maxima[0]!; i < n - 1; i++) {
    if (maxima.includes(i)) {
      threshold = diff[i]! - sensitivity * meanStep;
      thresholdIndex = i;
    }
    if (minima.includes(i)) threshold = 0;
    if (diff[i + 1]! < threshold && thresholdIndex >= 0) return xs[thresholdIndex]!;
  }
  return null;
}
