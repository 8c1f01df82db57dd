/**
 * `segmenta/metrics`: partition quality — WCSS, silhouette (exact or
 * sampled), Calinski–Harabasz, Davies–Bouldin, adjusted Rand index, cluster
 * means. scikit-learn's definitions.
 *
 * @example
 * ```ts
 * import { silhouetteScore, adjustedRandIndex } from 'segmenta/metrics';
 * const { score } = silhouetteScore(matrix, labels);
 * adjustedRandIndex(kmeansLabels, wardLabels); // 1 for the same partition
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
export type { SilhouetteOptions, SilhouetteResult, PartitionQuality, ClusterMeans, CompactLabels } from './cluster-metrics.js';
