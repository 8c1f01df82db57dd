/**
 * `segmenta/metrics`: partition quality — WCSS, silhouette (exact or
 * sampled), Calinski–Harabasz, Davies–Bouldin, adjusted Rand index, cluster
 * means. scikit-learn's definitions. Each metric is async: it keeps the event
 * loop free (slices of ~8 ms) and takes `{ signal, onProgress }`.
 *
 * @example
 * ```ts
 * import { silhouetteScore, adjustedRandIndex } from 'segmenta/metrics';
 * const { score } = await silhouetteScore(matrix, labels, { signal: AbortSignal.timeout(10_000) });
 * await adjustedRandIndex(kmeansLabels, wardLabels); // 1 for the same partition
 * ```
 * @module segmenta/metrics
 */
export {
  adjustedRandIndex,
  silhouetteScore,
  silhouetteSamples,
  calinskiHarabasz,
  daviesBouldin,
  withinClusterSumOfSquares,
  clusterMeans,
  compactLabels,
  evaluatePartition,
} from './cluster-metrics.js';
export type { MetricRunOptions, SilhouetteOptions, SilhouetteResult, PartitionQuality, ClusterMeans, CompactLabels } from './cluster-metrics.js';
