/**
 * Agglomerative (hierarchical) clustering: exact up to a bound, two-stage above it.
 *
 * - **exact**: every row is a leaf. O(n²) time. Two ways (`exactMethod`):
 *   - *matrix*: the backend's `pairwiseDistances` kernel fills a float64
 *     condensed matrix in row blocks, then the nearest-neighbour chain (ward,
 *     complete, average) or Prim's MST (single) merges all rows, taking the
 *     steps of scipy 1.10 (which scikit-learn 1.2.1 calls). 8·n(n-1)/2 bytes:
 *     1.6 GB at 20,000 rows. Complete and average linkage need it.
 *   - *matrix-free* (ward and single; matrix-free-linkage.ts): the same
 *     chain on cluster centroids, and Prim's MST relaxing one row at a time,
 *     on the backend's linkage kernels; O(n·d) memory. Single linkage gives
 *     the matrix's merges and heights bit for bit; ward gives its merges, with
 *     heights equal to rounding (about 1e-7 relative; exact ties in the data may
 *     be broken the other way, an equally valid tree).
 *   `auto` (the default) runs single matrix-free, ward on the matrix up to
 *   {@link WARD_MATRIX_MAX_ROWS} rows (scipy's bits; and up to `exactMaxRows`)
 *   and matrix-free above,
 *   complete and average on the matrix.
 * - **two-stage**: the engine's K-Means cuts the data into `m` micro-clusters
 *   (default 2,000), the linkage runs on their centroids weighted by their sizes,
 *   and each row takes its micro-cluster's label. For ward this is exact Ward on
 *   the weighted centroids (the Ward distance of two groups depends only on their
 *   sizes and means); for average it is size-weighted UPGMA on centroid
 *   distances, for complete and single the linkage of the centroids.
 *
 * `mode: 'auto'` (the default) picks exact up to `exactMaxRows` rows and
 * two-stage above; the result says which (`mode`, `m`).
 */
import { SegmentaError, throwIfAborted } from '../../common/errors.js';
import { drainSteps, runSteps, TimeSlicer, type Steps } from '../../common/time-slice.js';
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { resolveBackend } from '../../backends/backend-registry.js';
import type { KernelBackend } from '../../backends/kernel-contract.js';
import { clusterMeans, withinClusterSumOfSquares } from '../../metrics/cluster-metrics.js';
import { fitKMeans } from '../kmeans.js';
import { countDistinctRows, requireInteger, requireOptions, validateAndMeasure } from '../validate-input.js';
import { validateSampleWeight } from '../../common/validate-matrix.js';
import { allocateCondensed, computeCondensedDistances, condensedBytes, formatBytes } from './condensed-distances.js';
import { clustersAtThreshold, cutTreeSteps, parseLinkage, sortAndRelabelSteps, type Linkage, type LinkageTree } from './linkage-tree.js';
import { matrixFreeMerges, type MatrixFreeLinkage } from './matrix-free-linkage.js';
import { mstSingleMerges, nnChainMerges } from './merge-algorithms.js';
import { groupDigits } from '../../common/format-number.js';

/** How the clustering is computed. */
export type AgglomerativeMode = 'exact' | 'two-stage';

/** How exact mode computes the tree: with the O(n²) distance matrix, or (ward, single) without it. */
export type ExactMethod = 'matrix' | 'matrix-free';

/**
 * Largest row count at which `exactMethod: 'auto'` runs ward on the distance
 * matrix (134 MB): small tables keep scipy's Lance–Williams heights bit for bit.
 */
export const WARD_MATRIX_MAX_ROWS = 4096;

/** Settings with defaults (all optional for callers except one of `k` / `distanceThreshold`). */
export interface AgglomerativeSettings {
  /** Linkage criterion. Default `ward`. */
  linkage: Linkage;
  /** `exact`, `two-stage`, or `auto` (exact up to `exactMaxRows` rows). Default `auto`. */
  mode: AgglomerativeMode | 'auto';
  /**
   * Largest row count `mode: 'auto'` runs exactly. Default 20,000. It also
   * bounds the distance matrix (4·n² bytes: 1.6 GB at 20,000): forcing
   * `mode: 'exact'` above it with complete or average linkage (or
   * `exactMethod: 'matrix'`) is a `MEMORY_LIMIT` error; raise it when the
   * memory is there. Ward and single linkage run exact at any size without the
   * matrix (O(n²) time: about a minute for 100,000 rows).
   */
  exactMaxRows: number;
  /**
   * `matrix`, `matrix-free` (ward and single only) or `auto` (see the module
   * comment). Default `auto`.
   */
  exactMethod: ExactMethod | 'auto';
  /** Micro-clusters `m` made by K-Means in two-stage mode. Default 2,000. */
  microClusters: number;
  /** Lloyd iterations of the micro-cluster K-Means. Default 20. */
  microMaxIter: number;
  /** Backend name (`auto`, `js`, `wasm`, `tfjs`) or object, for the distance kernel and the micro-cluster K-Means. Default `auto`. */
  backend: string | KernelBackend;
  /** Worker threads for backends that use them. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /** Seed of the micro-cluster K-Means (two-stage mode). Default 0. */
  seed: number;
  /** Stops the fit (between kernel blocks and every ~50 ms of merging); rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Receives `phase` events (distances, merging, micro-clusters) and the micro-cluster K-Means' iterations. */
  onProgress?: ProgressListener;
  /**
   * Per-row sample weights (Ward linkage only): finite numbers > 0, one per
   * row; never modified. A row of weight w counts as w copies of it in every
   * merge cost, exactly as two-stage mode weights its micro-clusters: one
   * mechanism, the leaves' weights (rows here, micro-clusters there, whose
   * weight is the sum of their rows'). Centroids and WCSS are weighted. See docs/weights.md.
   */
  sampleWeight?: ArrayLike<number>;
}

/**
 * Options of {@link fitAgglomerative}: exactly one of `k` (number of clusters)
 * and `distanceThreshold` (cut where merges reach this linkage distance, like
 * scikit-learn's `distance_threshold`), plus any {@link AgglomerativeSettings}.
 */
export type AgglomerativeOptions = { k?: number; distanceThreshold?: number } & Partial<AgglomerativeSettings>;

/** The micro-clusters of a two-stage fit. */
export interface MicroClusters {
  /** Number of micro-clusters (the leaves of `tree`). */
  m: number;
  /** m × cols float64 centroids, row-major. */
  centroids: Float64Array;
  /** Rows per micro-cluster (with `sampleWeight`: the sum of their weights). */
  sizes: Float64Array;
  /** Micro-cluster of each row. */
  labels: Int32Array;
  /** WCSS of the micro-clustering. */
  wcss: number;
  /** Seconds spent on the micro-cluster K-Means. */
  seconds: number;
}

/** An agglomerative clustering of a matrix. */
export interface AgglomerativeResult {
  /** Concrete backend that computed the distances (exact) or the micro-clusters (two-stage). */
  backend: string;
  mode: AgglomerativeMode;
  /** Micro-clusters in two-stage mode; null in exact mode. */
  m: number | null;
  linkage: Linkage;
  /** Number of clusters returned. */
  k: number;
  /** The threshold the clusters were cut at, when one was given. */
  distanceThreshold?: number;
  rows: number;
  cols: number;
  /** One cluster per row, 0..k-1, numbered by first occurrence in row order (row 0 is in cluster 0). */
  labels: Int32Array;
  /** Rows per cluster. */
  sizes: number[];
  /** Total sample weight per cluster (only with `sampleWeight`). */
  segmentWeights?: number[];
  /** k × cols float64 cluster means (weighted with `sampleWeight`), row-major, in the units of the matrix. */
  centroids: Float64Array;
  /** Within-cluster sum of squares to the cluster means (Σ w·d² with `sampleWeight`). */
  wcss: number;
  /**
   * The full merge tree in scipy's linkage format. Leaves are the rows (exact)
   * or the micro-clusters (two-stage, with `tree.leafSizes`).
   */
  tree: LinkageTree;
  /** The micro-clusters (two-stage mode only). */
  micro?: MicroClusters;
  /** Remarks about how the fit was made. */
  notes: string[];
  seconds: number;
}

const DEFAULTS = {
  linkage: 'ward' as Linkage,
  mode: 'auto' as const,
  exactMaxRows: 20_000,
  exactMethod: 'auto' as ExactMethod | 'auto',
  microClusters: 2_000,
  microMaxIter: 20,
  backend: 'auto' as string | KernelBackend,
  seed: 0,
};

/**
 * Fits an agglomerative clustering on `matrix` (rows × cols float32, row-major).
 *
 * @example
 * ```ts
 * import { fitAgglomerative, matrixFromRows } from 'segmenta';
 * const m = matrixFromRows([[1, 1], [1, 2], [9, 9], [9, 8], [30, 30]]);
 * const r = await fitAgglomerative(m, { k: 2, linkage: 'ward' });
 * r.labels; // Int32Array [0, 0, 0, 0, 1]
 * r.mode;   // 'exact'
 * r.tree.merges; // scipy-style rows: left, right, distance, size
 * ```
 * @throws SegmentaError `INVALID_K`, `INVALID_OPTION` (bad linkage/mode/threshold,
 *   or both or neither of k and distanceThreshold), `NON_FINITE_VALUE`, `EMPTY_TABLE`,
 *   `MEMORY_LIMIT` (exact complete/average, or `exactMethod: 'matrix'`, above `exactMaxRows`),
 *   `KERNEL_NOT_IMPLEMENTED`, `ABORTED`.
 */
export async function fitAgglomerative(matrix: Matrix, options: AgglomerativeOptions): Promise<AgglomerativeResult> {
  const started = performance.now();
  // the same checks as validateMatrix, in slices that keep the event loop free
  await validateAndMeasure(matrix, (options as AgglomerativeOptions | undefined)?.signal);
  requireOptions(options, 'fitAgglomerative', ['k or distanceThreshold']);
  const s = resolveSettings(options);
  const { k: requestedK, distanceThreshold } = checkCut(options, matrix.rows);
  const weights = s.sampleWeight === undefined ? undefined : wardWeights(s.sampleWeight, matrix.rows, s.linkage);
  throwIfAborted(s.signal);
  const mode: AgglomerativeMode = s.mode === 'auto' ? (matrix.rows <= s.exactMaxRows ? 'exact' : 'two-stage') : s.mode;
  const notes: string[] = [];
  const method = exactMethodFor(s, matrix.rows);
  if (mode === 'exact' && method === 'matrix' && matrix.rows > s.exactMaxRows) {
    const freeHint = s.linkage === 'complete' || s.linkage === 'average' ? `; ${s.linkage} linkage needs the matrix (ward and single run exact without it)` : '';
    throw new SegmentaError(
      'MEMORY_LIMIT',
      `exact ${s.linkage} clustering of ${groupDigits(matrix.rows)} rows needs a ${formatBytes(condensedBytes(matrix.rows))} distance matrix, above the bound exactMaxRows = ${groupDigits(s.exactMaxRows)}${freeHint}; use the two-stage mode or raise exactMaxRows`,
      { rows: matrix.rows, exactMaxRows: s.exactMaxRows, bytes: condensedBytes(matrix.rows), linkage: s.linkage },
    );
  }
  const backend = typeof s.backend === 'string' ? await resolveBackend(s.backend) : s.backend;
  let tree: LinkageTree;
  let backendName: string;
  let micro: MicroClusters | undefined;
  if (mode === 'exact') {
    const r = await exactTree(matrix, s, backend, method, weights);
    tree = r.tree;
    backendName = r.backend;
    if (r.method === 'matrix-free') notes.push(`exact ${s.linkage} linkage without the distance matrix (${s.linkage === 'ward' ? 'nearest-neighbour chain on cluster centroids' : "Prim's minimum spanning tree"})`);
  } else {
    notes.push(
      s.mode === 'auto'
        ? `two-stage: ${groupDigits(matrix.rows)} rows are above the exact bound of ${groupDigits(s.exactMaxRows)} rows`
        : 'two-stage mode as requested',
    );
    const r = await twoStageTree(matrix, s, backend, requestedK, weights);
    tree = r.tree;
    micro = r.micro;
    backendName = r.backend;
    notes.push(...r.notes);
  }
  throwIfAborted(s.signal);
  const k = requestedK ?? clustersAtThreshold(tree, distanceThreshold!);
  if (k > tree.leaves) {
    throw new SegmentaError('INVALID_K', `k = ${k} is larger than the ${groupDigits(tree.leaves)} micro-clusters of the two-stage mode`, {
      k,
      m: tree.leaves,
    });
  }
  const loop = { signal: s.signal, onProgress: s.onProgress };
  const leafLabels = await runSteps(cutTreeSteps(tree, k), loop);
  let labels = leafLabels;
  if (micro) {
    // Propagate to the rows and renumber by first occurrence in row order.
    labels = new Int32Array(matrix.rows);
    const rename = new Int32Array(k).fill(-1);
    let next = 0;
    const slicer = new TimeSlicer(s.signal);
    for (let i = 0; i < matrix.rows; i++) {
      if ((i & 0xffff) === 0) await slicer.maybePause();
      const l = leafLabels[micro.labels[i]!]!;
      if (rename[l] === -1) rename[l] = next++;
      labels[i] = rename[l]!;
    }
  }
  const run = s.signal ? { signal: s.signal } : {};
  const weighted = weights ? weightedMeans(matrix, labels, k, weights) : undefined;
  const cm = weighted ?? (await clusterMeans(matrix, labels, run));
  const wcss = weighted ? weighted.wcss : await withinClusterSumOfSquares(matrix, labels, run);
  return {
    backend: backendName,
    mode,
    m: micro ? micro.m : null,
    linkage: s.linkage,
    k,
    ...(distanceThreshold !== undefined ? { distanceThreshold } : {}),
    rows: matrix.rows,
    cols: matrix.cols,
    labels,
    sizes: cm.sizes,
    ...(weighted ? { segmentWeights: weighted.weights } : {}),
    centroids: cm.means,
    wcss,
    tree,
    ...(micro ? { micro } : {}),
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}

type Resolved = Omit<AgglomerativeSettings, never>;

/** Checks sample weights for Ward: validated as everywhere, and > 0 (a weight of 0 makes a merge cost 0/0). */
function wardWeights(sampleWeight: ArrayLike<number>, rows: number, linkage: Linkage): Float64Array {
  if (linkage !== 'ward') {
    throw new SegmentaError('INVALID_OPTION', `sampleWeight needs ward linkage (a weighted merge cost); ${linkage} linkage compares distances only`, { option: 'sampleWeight', linkage });
  }
  const w = validateSampleWeight(sampleWeight, rows);
  for (let i = 0; i < rows; i++) {
    if (!(w[i]! > 0)) {
      throw new SegmentaError('INVALID_OPTION', `sampleWeight row ${i + 1} is ${w[i]}: Ward linkage needs weights > 0 (leave the row out instead)`, { option: 'sampleWeight', row: i + 1, value: w[i] });
    }
  }
  return w;
}

/** Weighted cluster means, rows and weights per cluster, and Σ w·d² (labels 0..k-1). */
function weightedMeans(matrix: Matrix, labels: Int32Array, k: number, w: Float64Array): { means: Float64Array; sizes: number[]; weights: number[]; wcss: number } {
  const { data, rows, cols } = matrix;
  const means = new Float64Array(k * cols);
  const sizes = new Array<number>(k).fill(0);
  const weights = new Array<number>(k).fill(0);
  for (let i = 0; i < rows; i++) {
    const c = labels[i]!;
    sizes[c]!++;
    weights[c]! += w[i]!;
    for (let j = 0; j < cols; j++) means[c * cols + j]! += w[i]! * data[i * cols + j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < cols; j++) means[c * cols + j]! /= weights[c]!;
  let wcss = 0;
  for (let i = 0; i < rows; i++) {
    const c = labels[i]!;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j]! - means[c * cols + j]!;
      s += d * d;
    }
    wcss += w[i]! * s;
  }
  return { means, sizes, weights, wcss };
}

function resolveSettings(options: AgglomerativeOptions): Resolved {
  const s = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Resolved & { k?: number };
  s.linkage = parseLinkage(s.linkage);
  if (s.mode !== 'auto' && s.mode !== 'exact' && s.mode !== 'two-stage') {
    throw new SegmentaError('INVALID_OPTION', `mode must be one of auto, exact, two-stage, got '${String(s.mode)}'`, { option: 'mode', value: s.mode });
  }
  requireInteger('exactMaxRows', s.exactMaxRows, 2);
  if (s.exactMethod !== 'auto' && s.exactMethod !== 'matrix' && s.exactMethod !== 'matrix-free') {
    throw new SegmentaError('INVALID_OPTION', `exactMethod must be one of auto, matrix, matrix-free, got '${String(s.exactMethod)}'`, { option: 'exactMethod', value: s.exactMethod });
  }
  if (s.exactMethod === 'matrix-free' && s.linkage !== 'ward' && s.linkage !== 'single') {
    throw new SegmentaError('INVALID_OPTION', `exactMethod 'matrix-free' runs ward and single linkage only; ${s.linkage} linkage needs the distance matrix`, {
      option: 'exactMethod',
      value: s.exactMethod,
      linkage: s.linkage,
    });
  }
  requireInteger('microClusters', s.microClusters, 2);
  requireInteger('microMaxIter', s.microMaxIter, 1);
  requireInteger('seed', s.seed, -2147483648, 4294967295);
  if (s.threads !== undefined) requireInteger('threads', s.threads, 1, 256);
  return s;
}

function checkCut(options: AgglomerativeOptions, rows: number): { k?: number; distanceThreshold?: number } {
  const hasK = options.k !== undefined;
  const hasT = options.distanceThreshold !== undefined;
  if (hasK === hasT) {
    throw new SegmentaError('INVALID_OPTION', 'give exactly one of k and distanceThreshold', { k: options.k, distanceThreshold: options.distanceThreshold });
  }
  if (hasK) {
    const k = requireInteger('k', options.k, 1);
    if (k > rows) throw new SegmentaError('INVALID_K', `k = ${k} is larger than the number of rows (${rows})`, { k, rows });
    return { k };
  }
  const t = options.distanceThreshold!;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new SegmentaError('INVALID_OPTION', `distanceThreshold must be a finite number >= 0, got ${String(t)}`, { option: 'distanceThreshold', value: t });
  }
  return { distanceThreshold: t };
}

/** The exact method `exactMethod` asks for at `rows` rows (see the module comment). */
function exactMethodFor(s: Resolved, rows: number): ExactMethod {
  if (s.exactMethod !== 'auto') return s.exactMethod;
  if (s.linkage === 'single') return 'matrix-free';
  if (s.linkage === 'ward') return rows > WARD_MATRIX_MAX_ROWS || rows > s.exactMaxRows ? 'matrix-free' : 'matrix';
  return 'matrix';
}

/** Exact mode: the merge loop on kernel distances in row blocks, or matrix-free on the linkage kernels. */
async function exactTree(
  matrix: Matrix,
  s: Resolved,
  backend: KernelBackend,
  wanted: ExactMethod,
  weights?: Float64Array,
): Promise<{ tree: LinkageTree; backend: string; method: ExactMethod }> {
  const n = matrix.rows;
  const jobOptions = { ...(s.threads !== undefined ? { threads: s.threads } : {}), ...(s.signal ? { signal: s.signal } : {}), ...(weights ? { weights } : {}) };
  const leafSizes = weights ? { leafSizes: weights } : {};
  let D: Float64Array;
  let name: string;
  if (n < 2) return { tree: { leaves: n, merges: new Float64Array(0) }, backend: backend.name, method: wanted };
  const loop = { ...(s.signal ? { signal: s.signal } : {}), ...(s.onProgress ? { onProgress: s.onProgress } : {}) };
  const job = await backend.createJob(matrix.data, n, matrix.cols, jobOptions);
  try {
    name = job.backend;
    // A backend without the linkage kernels falls back to the matrix when the caller let auto choose and it fits.
    const free = wanted === 'matrix-free' && (job.linkageStart !== undefined || s.exactMethod === 'matrix-free' || n > s.exactMaxRows);
    if (free) {
      s.onProgress?.({ kind: 'phase', phase: 'merging', detail: `${s.linkage} linkage of ${groupDigits(n)} rows without the distance matrix` });
      const raw = await matrixFreeMerges(job, s.linkage as MatrixFreeLinkage, loop, weights);
      return { tree: { leaves: n, merges: await runSteps(sortAndRelabelSteps(raw, n, weights), loop), ...leafSizes }, backend: name, method: 'matrix-free' };
    }
    s.onProgress?.({ kind: 'phase', phase: 'distances', detail: `${formatBytes(condensedBytes(n))} for ${groupDigits(n)} rows` });
    D = await computeCondensedDistances(job, {
      out: allocateCondensed(n),
      ...(s.signal ? { signal: s.signal } : {}),
      ...(s.onProgress ? { onProgress: s.onProgress } : {}),
    });
  } finally {
    await job.dispose();
  }
  // Weighted Ward: the leaves' Ward distances sqrt(2 wi wj / (wi + wj)) · d (1 · d = d for unit weights), then the weighted chain.
  if (weights) scaleWardDistances(D, weights, n);
  const raw = s.linkage === 'single' ? await mstSingleMerges(D, n, loop) : await nnChainMerges(D, n, s.linkage, weights, loop);
  return { tree: { leaves: n, merges: await runSteps(sortAndRelabelSteps(raw, n, weights), loop), ...leafSizes }, backend: name, method: 'matrix' };
}

/** Two-stage mode: K-Means micro-clusters, then the linkage on their weighted centroids. */
async function twoStageTree(
  matrix: Matrix,
  s: Resolved,
  backend: KernelBackend,
  k: number | undefined,
  weights?: Float64Array,
): Promise<{ tree: LinkageTree; micro: MicroClusters; backend: string; notes: string[] }> {
  const notes: string[] = [];
  const distinct = countDistinctRows(matrix, s.microClusters, weights);
  const m0 = Math.min(s.microClusters, distinct);
  if (k !== undefined && k > m0) {
    throw new SegmentaError('INVALID_K', `k = ${k} is larger than the ${groupDigits(m0)} micro-clusters of the two-stage mode; raise microClusters`, {
      k,
      m: m0,
    });
  }
  s.onProgress?.({ kind: 'phase', phase: 'micro-clusters', detail: `K-Means with m = ${groupDigits(m0)}` });
  const fit = await fitKMeans(matrix, {
    k: m0,
    nInit: 1,
    refine: false,
    maxIter: s.microMaxIter,
    seed: s.seed,
    backend,
    // k-means++ for thousands of centres costs O(n·m·log m): run it on a sample.
    initSampleSize: Math.min(matrix.rows, Math.max(20 * m0, 20_000)),
    ...(s.threads !== undefined ? { threads: s.threads } : {}),
    ...(s.signal ? { signal: s.signal } : {}),
    ...(s.onProgress ? { onProgress: s.onProgress } : {}),
    ...(weights ? { sampleWeight: weights } : {}),
  });
  // A micro-cluster's weight: its rows (unweighted) or the sum of its rows' weights.
  const leafWeight = fit.segmentWeights ?? fit.sizes;
  // Drop micro-clusters the final assignment left empty.
  const cols = matrix.cols;
  const keep: number[] = [];
  for (let c = 0; c < m0; c++) if (fit.sizes[c]! > 0) keep.push(c);
  const m = keep.length;
  const remap = new Int32Array(m0).fill(-1);
  keep.forEach((c, q) => (remap[c] = q));
  const centroids = new Float64Array(m * cols);
  const sizes = new Float64Array(m);
  keep.forEach((c, q) => {
    centroids.set(fit.centroids.subarray(c * cols, (c + 1) * cols), q * cols);
    sizes[q] = leafWeight[c]!;
  });
  const microLabels = new Int32Array(matrix.rows);
  const slicer = new TimeSlicer(s.signal);
  for (let i = 0; i < matrix.rows; i++) {
    if ((i & 0xffff) === 0) await slicer.maybePause();
    microLabels[i] = remap[fit.labels[i]!]!;
  }
  if (m < m0) notes.push(`${m0 - m} empty micro-cluster(s) dropped`);
  notes.push(
    `K-Means made m = ${groupDigits(m)} micro-clusters (${fit.iterations} iterations, ${fit.seconds.toFixed(2)} s), then ${s.linkage} linkage ran on their size-weighted centroids`,
  );
  const loop = { ...(s.signal ? { signal: s.signal } : {}), ...(s.onProgress ? { onProgress: s.onProgress } : {}) };
  const D = await runSteps(weightedCentroidDistancesSteps(centroids, sizes, m, cols, s.linkage === 'ward'), loop);
  const raw = s.linkage === 'single' ? await mstSingleMerges(D, m, loop) : await nnChainMerges(D, m, s.linkage, sizes, loop);
  const tree: LinkageTree = { leaves: m, merges: await runSteps(sortAndRelabelSteps(raw, m, sizes), loop), leafSizes: sizes };
  return {
    tree,
    micro: { m, centroids, sizes, labels: microLabels, wcss: fit.wcss, seconds: fit.seconds },
    backend: fit.backend,
    notes,
  };
}

/** Scales condensed row distances to weighted Ward distances: `d · sqrt(2 wi wj / (wi + wj))`. */
function scaleWardDistances(D: Float64Array, w: Float64Array, n: number): void {
  let o = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    for (let j = i + 1; j < n; j++) {
      const wj = w[j]!;
      D[o] = Math.sqrt((2 * wi * wj) / (wi + wj)) * D[o]!;
      o++;
    }
  }
}

/**
 * Condensed float64 distances between weighted centroids. With `ward`, the
 * Ward distance of two groups, `sqrt(2 wi wj / (wi + wj)) · |ci - cj|` (scipy's
 * scale: for single points it is the Euclidean distance, and merging at d adds
 * d²/2 to the WCSS); otherwise the Euclidean distance of the centroids.
 */
export function weightedCentroidDistances(centroids: Float64Array, weights: Float64Array, m: number, cols: number, ward: boolean): Float64Array {
  return drainSteps(weightedCentroidDistancesSteps(centroids, weights, m, cols, ward));
}

/** {@link weightedCentroidDistances} with a pause point per row (2,000 micro-clusters: 2M pairs, tens of ms). */
function* weightedCentroidDistancesSteps(centroids: Float64Array, weights: Float64Array, m: number, cols: number, ward: boolean): Steps<Float64Array> {
  const D = allocateCondensed(m);
  let o = 0;
  for (let i = 0; i < m; i++) {
    yield;
    for (let j = i + 1; j < m; j++) {
      let s = 0;
      for (let q = 0; q < cols; q++) {
        const d = centroids[i * cols + q]! - centroids[j * cols + q]!;
        s += d * d;
      }
      const wi = weights[i]!;
      const wj = weights[j]!;
      D[o++] = ward ? Math.sqrt(((2 * wi * wj) / (wi + wj)) * s) : Math.sqrt(s);
    }
  }
  return D;
}
