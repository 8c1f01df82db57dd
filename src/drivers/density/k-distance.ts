/**
 * The k-distance curve, DBSCAN's usual guide to eps (Ester et al. 1996): for
 * each row, the distance to its k-th nearest other row, sorted from largest
 * to smallest. With k = minSamples − 1, a row is a core row exactly when its
 * k-distance is at most eps, so the share of rows under a horizontal line at
 * eps is the share of core rows; the "knee", where the curve turns from
 * steep (outliers) to flat (dense rows), is the usual pick.
 *
 * Exact distances (float64 from the float32 rows, as DBSCAN tests them),
 * O(queries × rows × features): a seeded sample of the rows is queried against
 * every row when the table is large.
 */
import { SeededRandom, sampleIndices } from '../../common/seeded-random.js';
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { TimeSlicer } from '../../common/time-slice.js';
import { requireInteger, requireOptions, validateMatrix } from '../validate-input.js';

/**
 * Distance from each query row to its k-th nearest other row (k ≥ 1; rows at
 * distance 0 count). `queries` null means every row. Runs in time slices.
 */
export async function kthNeighbourDistances(
  matrix: Matrix,
  k: number,
  queries: Int32Array | null,
  slicer: TimeSlicer,
  progress?: (done: number, total: number) => void,
): Promise<Float64Array> {
  const { data, rows, cols: d } = matrix;
  const total = queries ? queries.length : rows;
  const out = new Float64Array(total);
  const best = new Float64Array(k); // ascending squared distances, the k smallest so far
  for (let q = 0; q < total; q++) {
    const i = queries ? queries[q]! : q;
    best.fill(Infinity);
    let worst = Infinity;
    const io = i * d;
    for (let j = 0; j < rows; j++) {
      if (j === i) continue;
      const jo = j * d;
      let acc = 0;
      for (let f = 0; f < d; f++) {
        const t = data[io + f]! - data[jo + f]!;
        acc += t * t;
      }
      if (acc < worst) {
        let p = k - 1;
        while (p > 0 && best[p - 1]! > acc) {
          best[p] = best[p - 1]!;
          p--;
        }
        best[p] = acc;
        worst = best[k - 1]!;
      }
    }
    out[q] = Math.sqrt(best[k - 1]!);
    if (slicer.due()) {
      progress?.(q + 1, total);
      await slicer.pause();
    }
  }
  return out;
}

/** Options of {@link kDistanceCurve}. */
export interface KDistanceOptions {
  /** Neighbour rank k (the k-th nearest other row). Default 4 (minSamples 5, scikit-learn's default, minus the row itself). */
  k?: number;
  /** Rows queried at most (a seeded sample above it). Default 2,000. */
  sampleSize?: number;
  /** Seed of the sample. Default 0. */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** What {@link kDistanceCurve} returns. */
export interface KDistanceCurve {
  k: number;
  /** k-distances, largest first. */
  distances: Float64Array;
  /** Rows queried, and the table's rows. */
  sampleSize: number;
  rows: number;
  sampled: boolean;
  /**
   * The knee of the sorted curve (largest distance from the chord between its
   * ends, on both axes scaled to [0, 1]): a suggested eps, or null when the
   * curve is flat.
   */
  knee: number | null;
}

/**
 * The sorted k-distance curve, for choosing DBSCAN's eps.
 *
 * @example
 * const curve = await kDistanceCurve(matrix, { k: 9 }); // for minSamples 10
 * // curve.distances: largest first; curve.knee: a suggested eps
 */
export async function kDistanceCurve(matrix: Matrix, options: KDistanceOptions = {}): Promise<KDistanceCurve> {
  requireOptions(options, 'kDistanceCurve');
  const k = requireInteger('k', options.k ?? 4, 1);
  const sampleSize = requireInteger('sampleSize', options.sampleSize ?? 2000, 2);
  const seed = requireInteger('seed', options.seed ?? 0, 0, 4294967295);
  validateMatrix(matrix);
  const rows = matrix.rows;
  const slicer = new TimeSlicer(options.signal);
  await slicer.maybePause();
  const kk = Math.min(k, Math.max(1, rows - 1));
  const sampled = rows > sampleSize;
  const queries = sampled ? sampleIndices(rows, sampleSize, new SeededRandom(seed)) : null;
  const distances = rows < 2 ? new Float64Array(rows) : await kthNeighbourDistances(matrix, kk, queries, slicer, (done, total) =>
    options.onProgress?.({ kind: 'phase', phase: 'k-distance', detail: `${Math.floor((100 * done) / total)}%` }),
  );
  distances.sort().reverse();
  return { k: kk, distances, sampleSize: distances.length, rows, sampled, knee: curveKnee(distances) };
}

/** The point of the descending curve farthest below the chord from its first to its last point (both axes scaled to [0, 1]). */
function curveKnee(desc: Float64Array): number | null {
  const n = desc.length;
  if (n < 3) return null;
  const hi = desc[0]!;
  const lo = desc[n - 1]!;
  if (!(hi > lo)) return null;
  let best = -1;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const x = i / (n - 1);
    const y = (desc[i]! - lo) / (hi - lo);
    // The chord runs from (0, 1) to (1, 0): y = 1 - x. The knee of a convex descending curve lies below it.
    const gap = 1 - x - y;
    if (gap > best) {
      best = gap;
      at = i;
    }
  }
  return best > 0 ? desc[at]! : null;
}
