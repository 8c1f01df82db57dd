/**
 * Several clustering methods on the same matrix, measured the same way: what
 * `segmenta compare` prints and what the report's comparison table shows.
 *
 * Each method is one entry of {@link COMPARE_METHODS}: its display name,
 * whether it takes k, and how it fits (returning labels, -1 for noise). A new
 * method is a new entry; the measuring (sizes, noise share, WCSS, silhouette,
 * Calinski-Harabasz, Davies-Bouldin, the ARI between every pair) is shared.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import type { KernelBackend } from '../backends/kernel-contract.js';
import { adjustedRandIndex, evaluatePartition, type PartitionQuality } from '../metrics/cluster-metrics.js';
import { fitAgglomerative, type AgglomerativeOptions } from './agglomerative/fit-agglomerative.js';
import { fitGaussianMixture, type GaussianMixtureSettings } from './gaussian-mixture.js';
import { fitKMeans, type KMeansSettings } from './kmeans.js';
import { fitDbscan, fitHdbscan, type NeighbourSearch } from './density/index.js';

/** The methods `compare` knows, in the order it lists them. */
export type CompareMethodName = 'kmeans' | 'agglomerative' | 'gmm' | 'dbscan' | 'hdbscan';

/** What one method's fit hands to the comparison. */
export interface MethodFit {
  /** One label per row, 0-based; -1 marks noise (density methods). */
  labels: Int32Array;
  /** Display name with the settings that matter, e.g. `Agglomerative (ward, exact)`. */
  label: string;
  backend: string;
  /** Seconds of the fit alone. */
  seconds: number;
  /** Method-specific figures for the JSON (linkage, covariance, eps, …). */
  details: Record<string, unknown>;
  /** The driver's own result. */
  result: unknown;
}

/** Settings shared by every method, and each method's own. */
export interface CompareSettings {
  /** Segments, for the methods that take k (K-Means, agglomerative, GMM). */
  k?: number;
  /** Seed of every seeded step. Default 0. */
  seed?: number;
  /** Backend of the kernels. Default `auto`. */
  backend?: string | KernelBackend;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  kmeans?: Partial<Pick<KMeansSettings, 'nInit' | 'maxIter' | 'tol' | 'refine'>>;
  agglomerative?: Omit<AgglomerativeOptions, 'k' | 'distanceThreshold' | 'backend' | 'seed' | 'threads' | 'signal' | 'onProgress'>;
  gmm?: Partial<Pick<GaussianMixtureSettings, 'covariance' | 'tol' | 'maxIter' | 'regCovar' | 'nInit'>>;
  /** DBSCAN: `eps` is required when DBSCAN is compared; `minSamples` defaults to 5. */
  dbscan?: { eps?: number; minSamples?: number; neighbourSearch?: NeighbourSearch };
  /** HDBSCAN: `minClusterSize` defaults to 5, `minSamples` to `minClusterSize`. */
  hdbscan?: { minClusterSize?: number; minSamples?: number };
}

/** One entry of the method table. */
export interface CompareMethod {
  /** Name in text, e.g. `K-Means`. */
  title: string;
  /** Whether the method needs `k`. */
  takesK: boolean;
  /** Fits the method on the matrix with the settings. */
  fit(matrix: Matrix, settings: CompareSettings): Promise<MethodFit>;
}

function shared(s: CompareSettings): { seed: number; backend: string | KernelBackend; threads?: number; signal?: AbortSignal; onProgress?: ProgressListener } {
  return {
    seed: s.seed ?? 0,
    backend: s.backend ?? 'auto',
    ...(s.threads !== undefined ? { threads: s.threads } : {}),
    ...(s.signal ? { signal: s.signal } : {}),
    ...(s.onProgress ? { onProgress: s.onProgress } : {}),
  };
}

/** The methods: one entry each. */
export const COMPARE_METHODS: Readonly<Record<CompareMethodName, CompareMethod>> = Object.freeze({
  kmeans: {
    title: 'K-Means',
    takesK: true,
    async fit(matrix, s) {
      const r = await fitKMeans(matrix, { ...s.kmeans, ...shared(s), k: s.k! });
      return { labels: r.labels, label: 'K-Means', backend: r.backend, seconds: r.seconds, details: { iterations: r.iterations, converged: r.converged }, result: r };
    },
  },
  agglomerative: {
    title: 'Agglomerative',
    takesK: true,
    async fit(matrix, s) {
      const r = await fitAgglomerative(matrix, { ...s.agglomerative, ...shared(s), k: s.k! });
      return {
        labels: r.labels,
        label: `Agglomerative (${r.linkage}, ${r.mode === 'exact' ? 'exact' : `two-stage m=${r.m}`})`,
        backend: r.backend,
        seconds: r.seconds,
        details: { linkage: r.linkage, mode: r.mode, m: r.m },
        result: r,
      };
    },
  },
  gmm: {
    title: 'Gaussian mixture',
    takesK: true,
    async fit(matrix, s) {
      const r = await fitGaussianMixture(matrix, { ...s.gmm, ...shared(s), k: s.k! });
      return {
        labels: r.labels,
        label: `Gaussian mixture (${r.covariance})`,
        backend: r.backend,
        seconds: r.seconds,
        details: { covariance: r.covariance, meanLogLikelihood: r.meanLogLikelihood, bic: r.bic, aic: r.aic, converged: r.converged, iterations: r.iterations },
        result: r,
      };
    },
  },
  dbscan: {
    title: 'DBSCAN',
    takesK: false,
    async fit(matrix, s) {
      const eps = s.dbscan?.eps;
      if (eps === undefined) {
        throw new SegmentaError('INVALID_OPTION', 'dbscan needs eps, the neighbourhood radius in the units of the (scaled) features: its k-distance plot (segmenta dbscan --plot) shows where to take it', { option: 'eps' });
      }
      const r = await fitDbscan(matrix, { ...s.dbscan, ...shared(s), eps });
      return {
        labels: r.labels,
        label: `DBSCAN (eps ${r.eps}, min samples ${r.minSamples})`,
        backend: r.backend,
        seconds: r.seconds,
        details: { eps: r.eps, minSamples: r.minSamples, neighbourSearch: r.neighbourSearch },
        result: r,
      };
    },
  },
  hdbscan: {
    title: 'HDBSCAN',
    takesK: false,
    async fit(matrix, s) {
      const { signal, onProgress } = shared(s);
      const r = await fitHdbscan(matrix, { ...s.hdbscan, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
      return {
        labels: r.labels,
        label: `HDBSCAN (min cluster size ${r.minClusterSize})`,
        backend: 'js',
        seconds: r.seconds,
        details: { minClusterSize: r.minClusterSize, minSamples: r.minSamples },
        result: r,
      };
    },
  },
});

/** The methods compared when none are named: those that take k, and the density ones whose settings are given. */
export function defaultCompareMethods(settings: Pick<CompareSettings, 'dbscan' | 'hdbscan'> = {}): CompareMethodName[] {
  return COMPARE_METHOD_NAMES.filter((m) => COMPARE_METHODS[m].takesK || (m === 'dbscan' && settings.dbscan?.eps !== undefined) || (m === 'hdbscan' && settings.hdbscan !== undefined));
}

/** Every method name, in table order. */
export const COMPARE_METHOD_NAMES = Object.freeze(Object.keys(COMPARE_METHODS)) as readonly CompareMethodName[];

/** One method's row of the comparison. */
export interface ComparedMethod extends MethodFit {
  method: CompareMethodName;
  /** Clusters found (noise not counted). */
  clusters: number;
  /** Rows labelled noise (-1). */
  noise: number;
  /** noise / rows. */
  noiseShare: number;
  /** Rows per cluster, largest first. */
  sizes: number[];
  /**
   * Quality of the partition of the rows that are not noise (WCSS to the
   * cluster means, silhouette, Calinski-Harabasz, Davies-Bouldin); null when
   * fewer than two clusters remain.
   */
  quality: PartitionQuality | null;
}

/** What {@link compareMethods} returns. */
export interface MethodsComparison {
  rows: number;
  k?: number;
  methods: ComparedMethod[];
  /** Adjusted Rand index between every pair of methods, over every row (noise counts as one more label); methods × methods, 1 on the diagonal. */
  ari: number[][];
}

/**
 * Parses a list of method names (`kmeans,gmm`, or `all`).
 *
 * @throws SegmentaError `INVALID_OPTION` naming an unknown or repeated method
 */
export function parseCompareMethods(value: string | readonly string[]): CompareMethodName[] {
  const parts = (typeof value === 'string' ? value.split(',') : [...value]).map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0);
  if (parts.includes('all')) return [...COMPARE_METHOD_NAMES];
  const aliases: Record<string, CompareMethodName> = { 'k-means': 'kmeans', hclust: 'agglomerative', ward: 'agglomerative', gaussian: 'gmm', mixture: 'gmm' };
  const out: CompareMethodName[] = [];
  for (const p of parts) {
    const m = (COMPARE_METHOD_NAMES as readonly string[]).includes(p) ? (p as CompareMethodName) : aliases[p];
    if (!m) throw new SegmentaError('INVALID_OPTION', `unknown method '${p}': choose from ${COMPARE_METHOD_NAMES.join(', ')} or all`, { option: 'methods', value: p });
    if (out.includes(m)) throw new SegmentaError('INVALID_OPTION', `method '${m}' is listed twice`, { option: 'methods', value: m });
    out.push(m);
  }
  if (out.length === 0) throw new SegmentaError('INVALID_OPTION', `name at least one method: ${COMPARE_METHOD_NAMES.join(', ')} or all`, { option: 'methods' });
  return out;
}

/** Labels of the non-noise rows and those rows as a matrix (the same matrix when nothing is noise). */
function withoutNoise(matrix: Matrix, labels: Int32Array, noise: number): { matrix: Matrix; labels: Int32Array } {
  if (noise === 0) return { matrix, labels };
  const { cols } = matrix;
  const kept = matrix.rows - noise;
  const data = new Float32Array(kept * cols);
  const out = new Int32Array(kept);
  for (let i = 0, q = 0; i < labels.length; i++) {
    if (labels[i]! < 0) continue;
    data.set(matrix.data.subarray(i * cols, (i + 1) * cols), q * cols);
    out[q++] = labels[i]!;
  }
  return { matrix: { data, rows: kept, cols }, labels: out };
}

/**
 * Measures one method's labels on `matrix`: clusters, noise (-1 labels) and
 * its share, sizes largest first, and the quality metrics over the rows that
 * are not noise (null when fewer than two clusters remain).
 */
export async function measureFit(
  matrix: Matrix,
  method: CompareMethodName,
  fit: MethodFit,
  silhouette: { sampleSize: number; seed: number; signal?: AbortSignal; onProgress?: ProgressListener },
): Promise<ComparedMethod> {
  let noise = 0;
  const counts = new Map<number, number>();
  for (const l of fit.labels) {
    if (l < 0) noise++;
    else counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const clustered = withoutNoise(matrix, fit.labels, noise);
  const quality = counts.size >= 2 && counts.size < clustered.matrix.rows ? await evaluatePartition(clustered.matrix, clustered.labels, silhouette) : null;
  return { ...fit, method, clusters: counts.size, noise, noiseShare: noise / matrix.rows, sizes: [...counts.values()].sort((a, b) => b - a), quality };
}

/**
 * Fits each method on `matrix` and measures every partition the same way:
 * cluster sizes, noise share, WCSS to the cluster means, silhouette (exact up
 * to `silhouetteSample` rows, a seeded sample above), Calinski-Harabasz,
 * Davies-Bouldin — on the rows that are not noise — and the adjusted Rand
 * index between every pair.
 *
 * @param methods names from {@link COMPARE_METHODS}, in the order to list them
 * @throws SegmentaError `INVALID_K` when a method takes k and k is missing or < 2; `INVALID_OPTION`; the drivers' errors
 * @example
 * const c = await compareMethods(matrix, ['kmeans', 'gmm'], { k: 5, seed: 42 });
 * c.methods.map((m) => m.quality?.silhouette.score); // [0.55, 0.53]
 * c.ari[0][1];                                        // 0.91
 */
export async function compareMethods(
  matrix: Matrix,
  methods: readonly CompareMethodName[],
  settings: CompareSettings = {},
  metrics: { silhouetteSample?: number; seed?: number } = {},
): Promise<MethodsComparison> {
  const names = parseCompareMethods(methods);
  const needsK = names.filter((m) => COMPARE_METHODS[m].takesK);
  if (needsK.length > 0 && (!Number.isInteger(settings.k) || settings.k! < 2)) {
    throw new SegmentaError('INVALID_K', `${needsK.join(', ')} need k >= 2 to compare (silhouette, CH and DB compare clusters), got ${String(settings.k)}`, { k: settings.k });
  }
  const run = { ...(settings.signal ? { signal: settings.signal } : {}), ...(settings.onProgress ? { onProgress: settings.onProgress } : {}) };
  const silhouette = { sampleSize: metrics.silhouetteSample ?? 10_000, seed: metrics.seed ?? settings.seed ?? 0, ...run };
  const rows: ComparedMethod[] = [];
  for (const name of names) {
    throwIfAborted(settings.signal);
    const fit = await COMPARE_METHODS[name].fit(matrix, settings);
    settings.onProgress?.({ kind: 'phase', phase: 'metrics', detail: fit.label });
    rows.push(await measureFit(matrix, name, fit, silhouette));
  }
  const ari = rows.map((_, i) => rows.map((__, j) => (i === j ? 1 : NaN)));
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) ari[i]![j] = ari[j]![i] = await adjustedRandIndex(rows[i]!.labels, rows[j]!.labels, run);
  }
  return { rows: matrix.rows, ...(settings.k !== undefined ? { k: settings.k } : {}), methods: rows, ari };
}
