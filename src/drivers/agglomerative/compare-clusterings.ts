/**
 * K-Means and agglomerative clustering with the same k on the same matrix,
 * measured the same way: what `segmenta compare` prints.
 */
import { SegmentaError } from '../../common/errors.js';
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { adjustedRandIndex, evaluatePartition, type PartitionQuality } from '../../metrics/cluster-metrics.js';
import { fitKMeans, type KMeansOptions, type KMeansResult } from '../kmeans.js';
import { fitAgglomerative, type AgglomerativeOptions, type AgglomerativeResult } from './fit-agglomerative.js';

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

/** The whole comparison (what `compare --json` prints, plus the label arrays). */
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
  // The metrics take the fits' signal unless one of their own is given.
  const signal = metrics.signal ?? kmeansOptions.signal ?? agglomerativeOptions.signal;
  const run = { ...(signal ? { signal } : {}), ...(metrics.onProgress ? { onProgress: metrics.onProgress } : {}) };
  const silhouette = { sampleSize: metrics.silhouetteSample ?? 10_000, seed: metrics.seed ?? 0, ...run };
  const km = await fitKMeans(matrix, { ...kmeansOptions, k });
  metrics.onProgress?.({ kind: 'phase', phase: 'metrics', detail: 'K-Means' });
  const kmQuality = await evaluatePartition(matrix, km.labels, silhouette);
  const ag = await fitAgglomerative(matrix, { ...agglomerativeOptions, k });
  metrics.onProgress?.({ kind: 'phase', phase: 'metrics', detail: 'agglomerative' });
  const agQuality = await evaluatePartition(matrix, ag.labels, silhouette);
  const ari = await adjustedRandIndex(km.labels, ag.labels, run);
  const agLabel = `Agglomerative (${ag.linkage}, ${ag.mode === 'exact' ? 'exact' : `two-stage m=${ag.m}`})`;
  return {
    k,
    rows: matrix.rows,
    kmeans: { method: 'kmeans', label: 'K-Means', backend: km.backend, seconds: km.seconds, quality: kmQuality, result: km },
    agglomerative: { method: 'agglomerative', label: agLabel, backend: ag.backend, seconds: ag.seconds, quality: agQuality, result: ag },
    ari,
  };
}
