/**
 * The elbow sweep: WCSS for every k in [kMin, kMax] on one backend job (data
 * loaded once), and the suggested k found by Kneedle on the WCSS curve.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { findElbow } from './knee-detection.js';
import type { KernelJob } from '../backends/kernel-contract.js';
import { createFitContext, createShardedFitContext, disposeContext, fitWithContext, type KMeansResult, type KMeansSettings } from './kmeans.js';
import { requireInteger, requireOptions, validateMatrixShape } from './validate-input.js';
import { ShardedData } from './sharding/sharded-data.js';

/** Options of {@link sweepK}; every K-Means setting applies to each k. */
export interface SweepOptions extends Partial<KMeansSettings> {
  /** Smallest k. Default 1. */
  kMin?: number;
  /** Largest k. Default 10. */
  kMax?: number;
  /**
   * When the data has fewer distinct rows than `kMax`, lower `kMax` to that
   * number (never below `kMin`) and say so in `notes`, instead of failing with
   * `TOO_FEW_DISTINCT_POINTS`. Default false. The CLI sets it for its default `--k-max`.
   */
  clampKMax?: boolean;
  /**
   * Called after the fit at each k, with the backend job that holds the
   * data, before the next k starts: metrics that need one more pass over the
   * rows (Davies-Bouldin, Calinski-Harabasz) run their kernels on it. The
   * hook may call `job.assign` and read its labels and distances; the next
   * fit does not depend on what it leaves there.
   */
  afterFit?: (fit: KMeansResult, job: KernelJob) => Promise<void>;
}

/** One k of a sweep. */
export interface SweepPoint {
  k: number;
  wcss: number;
  iterations: number;
  converged: boolean;
  /** Rows per segment. */
  sizes: number[];
  /** k × cols centroids in the units of the swept matrix. */
  centroids: Float64Array;
  seconds: number;
}

/** Result of {@link sweepK}. */
export interface SweepResult {
  backend: string;
  rows: number;
  cols: number;
  ks: number[];
  wcss: number[];
  /** Kneedle's elbow of the WCSS curve; `null` when the curve has no elbow (or fewer than 3 points). */
  suggestedK: number | null;
  points: SweepPoint[];
  notes: string[];
  seconds: number;
}

/**
 * Runs K-Means for every k in [kMin, kMax] on `matrix` (rows × cols float32),
 * or on sharded data (same result bit for bit; see {@link ShardedData}).
 * The fit at each k is the same as `fitKMeans(matrix, { k, ...same options })`.
 *
 * @example
 * ```ts
 * const sweep = await sweepK(matrix, { kMin: 1, kMax: 10, nInit: 10, seed: 42 });
 * console.log(sweep.wcss, sweep.suggestedK);
 * ```
 * @throws SegmentaError `INVALID_K` when kMin > kMax or kMax exceeds the distinct rows; `ABORTED` when `signal` fires.
 */
export async function sweepK(matrix: Matrix | ShardedData, options: SweepOptions = {}): Promise<SweepResult> {
  const started = performance.now();
  if (!(matrix instanceof ShardedData)) validateMatrixShape(matrix);
  requireOptions(options, 'sweepK');
  const kMin = requireInteger('kMin', options.kMin ?? 1, 1);
  const requestedKMax = requireInteger('kMax', options.kMax ?? 10, 1);
  if (kMin > requestedKMax) throw new SegmentaError('INVALID_K', `kMin (${kMin}) must not exceed kMax (${requestedKMax})`, { kMin, kMax: requestedKMax });
  const ctx = matrix instanceof ShardedData ? await createShardedFitContext(matrix, options, requestedKMax) : await createFitContext(matrix, options, requestedKMax);
  let kMax = requestedKMax;
  const notes = new Set<string>();
  if (options.clampKMax === true && ctx.distinctRows < kMax && ctx.distinctRows >= kMin) {
    kMax = ctx.distinctRows;
    notes.add(`k-max lowered from ${requestedKMax} to ${kMax}: the data has only ${kMax} distinct rows`);
  }
  try {
    if (kMax > matrix.rows) {
      throw new SegmentaError('INVALID_K', `kMax = ${kMax} is larger than the number of rows (${matrix.rows})`, { kMax, rows: matrix.rows });
    }
    if (ctx.distinctRows < kMax) {
      throw new SegmentaError('TOO_FEW_DISTINCT_POINTS', `kMax = ${kMax} is larger than the number of distinct rows (${ctx.distinctRows})`, {
        kMax,
        distinct: ctx.distinctRows,
      });
    }
    const points: SweepPoint[] = [];
    const total = kMax - kMin + 1;
    for (let k = kMin; k <= kMax; k++) {
      throwIfAborted(options.signal);
      const fit = await fitWithContext(ctx, k);
      fit.notes.forEach((n) => notes.add(n));
      if (options.afterFit) await options.afterFit(fit, ctx.job);
      points.push({ k, wcss: fit.wcss, iterations: fit.iterations, converged: fit.converged, sizes: fit.sizes, centroids: fit.centroids, seconds: fit.seconds });
      options.onProgress?.({ kind: 'sweep-k', k, index: k - kMin + 1, total, wcss: fit.wcss });
    }
    const ks = points.map((p) => p.k);
    const wcss = points.map((p) => p.wcss);
    return {
      backend: ctx.job.backend,
      rows: matrix.rows,
      cols: matrix.cols,
      ks,
      wcss,
      suggestedK: findElbow(ks, wcss),
      points,
      notes: [...notes],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await disposeContext(ctx);
  }
}
