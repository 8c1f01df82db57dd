/**
 * K-Means and agglomerative clustering with the same k on the same matrix,
 * measured the same way: the two-method form of `compareMethods`
 * (drivers/compare-methods.ts), kept for callers of this API.
 */
import { SegmentaError } from '../../common/errors.js';
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { adjustedRandIndex, type PartitionQuality } from '../../metrics/cluster-metrics.js';
import { compareMethods, type ComparedMethod } from '../compare-methods.js';
import type { KMeansOptions, KMeansResult } from '../kmeans.js';
import type { AgglomerativeOptions, AgglomerativeResult } from './fit-agglomerative.js';

/** One method's row of the comparison. */
export interface MethodComparison {
  /** `kmeans` or `agglomerative`. */
  method: 'kmeans' | 'agglomerative';
  /** Display name, e.g. `K-Means` or `Agglomerative (ward, two-stage m=2000)`. */
  label: string;
  backend: string;
  /** Seconds of the fit alone (metrics excluded). */
  seconds: number;
  quality: PartitionQuality;
}

/** The whole comparison, plus the label arrays. */
export interface ClusteringComparison {
  k: number;
  rows: number;
  kmeans: MethodComparison & { result: KMeansResult };
  agglomerative: MethodComparison & { result: AgglomerativeResult };
  /** Adjusted Rand index between the K-Means and the agglomerative labels. */
  ari: number;
}

/**
 * Runs K-Means and agglomerative clustering with the same k on `matrix` and
 * measures both partitions the same way (WCSS to the cluster means,
 * silhouette — exact up to 10,000 rows, sampled above — CH and DB).
 * `compareMethods` compares any methods (Gaussian mixtures too).
 *
 * @throws SegmentaError `INVALID_K` for k < 2 (the metrics compare clusters), and the drivers' errors
 * @example
 * const c = await compareClusterings(matrix, 5, { backend: 'js' }, { linkage: 'ward' });
 * c.ari; // 0.93
 */
export async function compareClusterings(
  matrix: Matrix,
  k: number,
  kmeansOptions: Omit<KMeansOptions, 'k'>,
  agglomerativeOptions: Omit<AgglomerativeOptions, 'k' | 'distanceThreshold'>,
  metrics: { silhouetteSample?: number; seed?: number; signal?: AbortSignal; onProgress?: ProgressListener } = {},
): Promise<ClusteringComparison> {
  if (!Number.isInteger(k) || k < 2) {
    throw new SegmentaError('INVALID_K', `compare needs k >= 2 (silhouette, CH and DB compare clusters), got ${String(k)}`, { k });
  }
  const { backend: _b, seed: _s, threads: _t, signal: _sig, onProgress: _p, ...agglomerative } = agglomerativeOptions;
  // Each driver keeps its own settings: K-Means's come in kmeansOptions, the agglomerative ones in agglomerativeOptions.
  const c1 = await compareMethods(matrix, ['kmeans'], { ...kmeansOptions, k, kmeans: kmeansOptions }, metrics);
  const c2 = await compareMethods(matrix, ['agglomerative'], { ...agglomerativeOptions, k, agglomerative }, metrics);
  const row = <R>(m: ComparedMethod): MethodComparison & { result: R } => ({
    method: m.method as 'kmeans' | 'agglomerative',
    label: m.label,
    backend: m.backend,
    seconds: m.seconds,
    quality: m.quality!,
    result: m.result as R,
  });
  const km = c1.methods[0]!;
  const ag = c2.methods[0]!;
  const signal = metrics.signal ?? kmeansOptions.signal ?? agglomerativeOptions.signal;
  const ari = await adjustedRandIndex(km.labels, ag.labels, signal ? { signal } : {});
  return { k, rows: matrix.rows, kmeans: row<KMeansResult>(km), agglomerative: row<AgglomerativeResult>(ag), ari };
}
