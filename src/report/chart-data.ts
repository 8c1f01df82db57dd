/**
 * Data behind the charts, computed in Node so a chart never carries more than
 * a few thousand marks: a seeded sample of rows for scatters, binned counts
 * for histograms.
 */
import { SeededRandom, sampleIndices as sampleIndicesWith } from '../common/seeded-random.js';

/** Default largest number of points a scatter draws. */
export const DEFAULT_SCATTER_SAMPLE = 5_000;

/**
 * `size` distinct row indices drawn uniformly from 0..n-1 with a seeded PRNG
 * (Floyd's algorithm), ascending; all rows when `n <= size`.
 *
 * @example
 * sampleIndices(1_000_000, 5_000, 42).length; // 5000, the same for every run with seed 42
 */
export function sampleIndices(n: number, size: number, seed: number): Int32Array {
  return sampleIndicesWith(n, size, new SeededRandom(seed));
}

/** One histogram bar: [start, end) holding `count` rows of one segment. */
export interface HistogramBin {
  start: number;
  end: number;
  segment: number;
  count: number;
}

/** A "nice" step (1, 2 or 5 × 10^n) splitting `span` into about `target` bins. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/**
 * Counts of `values` per segment in equal-width nice bins (about `target`
 * bins across min..max). NaN values are skipped. Every (bin, segment) pair is
 * present, zero counts included, so stacked bars line up.
 */
export function histogramBySegment(values: ArrayLike<number>, labels: ArrayLike<number>, k: number, target = 20): HistogramBin[] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return [];
  const step = niceStep(max - min, target);
  const first = Math.floor(min / step) * step;
  const bins = Math.max(1, Math.floor((max - first) / step) + 1);
  const counts = new Float64Array(bins * k);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const b = Math.min(bins - 1, Math.floor((v - first) / step));
    counts[b * k + labels[i]!]!++;
  }
  const out: HistogramBin[] = [];
  for (let b = 0; b < bins; b++) {
    const start = roundStep(first + b * step, step);
    for (let s = 0; s < k; s++) out.push({ start, end: roundStep(start + step, step), segment: s, count: counts[b * k + s]! });
  }
  return out;
}

function roundStep(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(12, decimals)));
}
