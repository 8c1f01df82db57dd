/**
 * Clustering quality metrics, with scikit-learn 1.2.1's definitions:
 *
 * - {@link adjustedRandIndex}: `sklearn.metrics.adjusted_rand_score` (pair-counting form, exact integer counts);
 * - {@link silhouetteScore}: `sklearn.metrics.silhouette_score` (Euclidean; exact up to
 *   10,000 rows, on a seeded sample above, like its `sample_size`);
 * - {@link calinskiHarabasz}: `sklearn.metrics.calinski_harabasz_score`;
 * - {@link daviesBouldin}: `sklearn.metrics.davies_bouldin_score`;
 * - {@link withinClusterSumOfSquares}: the K-Means inertia of a partition (squared
 *   distances to each cluster's mean).
 *
 * Labels can be any integers (they need not be 0..k-1); metrics that need
 * clusters count the distinct labels present. All arithmetic is float64.
 *
 * Every metric that scans the rows is async and keeps the event loop free: it
 * runs on the caller's thread in slices of about 8 ms (see
 * `common/time-slice.ts`), yielding between them, and rejects with
 * `AbortedError` (`code: 'ABORTED'`) at the next slice once `signal` fires.
 * The slicing changes no arithmetic: each metric is written once, as a
 * generator whose `yield`s only mark where a pause may happen, so the sums
 * run in the same order as one uninterrupted loop would.
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressEvent, ProgressListener } from '../common/progress.js';
import { SeededRandom, sampleIndices as sampleIndicesWith } from '../common/seeded-random.js';
import { drainSteps, runSteps, type Steps } from '../common/time-slice.js';
import { validateFiniteMatrix, validateLabels } from '../common/validate-matrix.js';
import { groupDigits } from '../common/format-number.js';

/** How a metric runs: its cancellation and its progress. */
export interface MetricRunOptions {
  /** Stops the computation within one slice (~8 ms of work); the call rejects with `AbortedError`. */
  signal?: AbortSignal;
  /**
   * Receives `phase` events: `metrics` with the metric that starts (e.g.
   * `silhouette on 10,000 rows`), and `silhouette` with the rows done, about
   * every twentieth of the rows.
   */
  onProgress?: ProgressListener;
}

/** A metric's computation; see `Steps` in common/time-slice.ts. */
type MetricSteps<T> = Steps<T, ProgressEvent>;

/** Rows an O(n) loop handles between two pause points (`(i & ROW_MASK) === 0`). */
const ROW_MASK = 0xfff;

/** Labels renumbered 0..k-1 in order of first occurrence, with sizes. */
export interface CompactLabels {
  /** One label in 0..k-1 per row. */
  labels: Int32Array;
  /** Number of distinct labels. */
  k: number;
  /** Rows per compact label. */
  sizes: number[];
  /** The original label of each compact label. */
  original: number[];
}

/**
 * Renumbers labels 0..k-1 by first occurrence in row order. Synchronous
 * (O(n), a few tens of milliseconds per million labels); the metrics below
 * run it in slices.
 *
 * @example compactLabels([7, 7, 3, 9, 3]).labels // Int32Array [0, 0, 1, 2, 1]
 */
export function compactLabels(labels: ArrayLike<number>): CompactLabels {
  return drainSteps(compactSteps(labels));
}

function* compactSteps(labels: ArrayLike<number>): MetricSteps<CompactLabels> {
  const n = labels.length;
  const out = new Int32Array(n);
  const index = new Map<number, number>();
  const sizes: number[] = [];
  const original: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const v = labels[i]!;
    let c = index.get(v);
    if (c === undefined) {
      if (!Number.isInteger(v)) {
        throw new SegmentaError('INVALID_OPTION', `labels must be integers, got ${String(v)} at row ${i + 1}`, { row: i + 1, value: v });
      }
      c = sizes.length;
      index.set(v, c);
      sizes.push(0);
      original.push(v);
    }
    out[i] = c;
    sizes[c]!++;
  }
  return { labels: out, k: sizes.length, sizes, original };
}

/**
 * scikit-learn's `check_X_y` for the metrics: a matrix with rows and columns,
 * every value finite, one integer label per row.
 */
function requireSameLength(matrix: Matrix, labels: ArrayLike<number>): void {
  validateFiniteMatrix(matrix, 'data');
  validateLabels(labels, matrix.rows, 'labels');
}

/** sklearn's `check_number_of_labels`: 2 <= k <= n - 1. */
function requireClusterCount(metric: string, k: number, n: number): void {
  if (k < 2 || k > n - 1) {
    throw new SegmentaError(
      'INVALID_K',
      `${metric} needs between 2 and rows - 1 = ${n - 1} distinct labels, got ${k}`,
      { metric, k, rows: n },
    );
  }
}

/**
 * Adjusted Rand index between two labelings of the same rows (symmetric;
 * 1 for identical partitions up to renaming, about 0 for random ones, can be
 * negative). Exact pair counts (BigInt), so it is safe for 10M rows.
 *
 * @throws SegmentaError `SHAPE_MISMATCH` when the lengths differ; `ABORTED`
 * @example await adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) // 1
 */
export async function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>, options: MetricRunOptions = {}): Promise<number> {
  return runSteps(adjustedRandSteps(a, b), options);
}

function* adjustedRandSteps(a: ArrayLike<number>, b: ArrayLike<number>): MetricSteps<number> {
  if (a.length !== b.length) {
    throw new SegmentaError('SHAPE_MISMATCH', `adjustedRandIndex: ${a.length} labels against ${b.length}`, { a: a.length, b: b.length });
  }
  const n = a.length;
  const ca = yield* compactSteps(a);
  const cb = yield* compactSteps(b);
  // Contingency counts n_ij.
  const cells = new Map<number, number>();
  const dense = ca.k * cb.k <= 4_000_000 ? new Float64Array(ca.k * cb.k) : undefined;
  for (let i = 0; i < n; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const key = ca.labels[i]! * cb.k + cb.labels[i]!;
    if (dense) dense[key]! += 1;
    else cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  let sumSquares = 0n;
  let rowDot = 0n; // sum_ij n_ij * n_.j
  let colDot = 0n; // sum_ij n_ij * n_i.
  const add = (key: number, count: number): void => {
    if (count === 0) return;
    const c = BigInt(count);
    sumSquares += c * c;
    rowDot += c * BigInt(cb.sizes[key % cb.k]!);
    colDot += c * BigInt(ca.sizes[Math.floor(key / cb.k)]!);
  };
  if (dense) {
    for (let key = 0; key < dense.length; key++) {
      if ((key & ROW_MASK) === 0) yield;
      add(key, dense[key]!);
    }
  } else {
    let q = 0;
    for (const [key, count] of cells) {
      if ((q++ & ROW_MASK) === 0) yield;
      add(key, count);
    }
  }
  const nn = BigInt(n);
  const tp = sumSquares - nn;
  const fp = rowDot - sumSquares;
  const fn = colDot - sumSquares;
  const tn = nn * nn - fp - fn - sumSquares;
  if (fn === 0n && fp === 0n) return 1.0;
  const numerator = 2n * (tp * tn - fn * fp);
  const denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  // Each pair count is at most n², so both stay below 2·n⁴: under 2^257 even
  // for 2^64 rows, far inside a double's range (2^1024). Number() rounds each
  // to the nearest double; the quotient is within 2 ulps of the exact ratio.
  return Number(numerator) / Number(denominator);
}

/** Per-cluster means (float64) of a partition, with the compact labels used. */
export interface ClusterMeans extends CompactLabels {
  /** k × cols float64 means, row-major, in compact-label order. */
  means: Float64Array;
}

/**
 * Means of each cluster in float64.
 *
 * @throws SegmentaError `SHAPE_MISMATCH`, `ABORTED`
 * @example (await clusterMeans(matrixFromRows([[0], [2], [10]]), [0, 0, 1])).means // Float64Array [1, 10]
 */
export async function clusterMeans(matrix: Matrix, labels: ArrayLike<number>, options: MetricRunOptions = {}): Promise<ClusterMeans> {
  return runSteps(clusterMeansSteps(matrix, labels), options);
}

/** `then` run on the cluster means of the partition. */
function* withClusterMeans<T>(matrix: Matrix, labels: ArrayLike<number>, then: (cm: ClusterMeans) => MetricSteps<T>): MetricSteps<T> {
  return yield* then(yield* clusterMeansSteps(matrix, labels));
}

function* clusterMeansSteps(matrix: Matrix, labels: ArrayLike<number>): MetricSteps<ClusterMeans> {
  requireSameLength(matrix, labels);
  const compact = yield* compactSteps(labels);
  const { data, rows, cols } = matrix;
  const means = new Float64Array(compact.k * cols);
  for (let i = 0; i < rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const o = compact.labels[i]! * cols;
    for (let j = 0; j < cols; j++) means[o + j]! += data[i * cols + j]!;
  }
  for (let c = 0; c < compact.k; c++) for (let j = 0; j < cols; j++) means[c * cols + j]! /= compact.sizes[c]!;
  return { ...compact, means };
}

/**
 * Within-cluster sum of squares: `sum_i |x_i - mean(cluster(i))|²` (the
 * K-Means objective, for any partition), in float64.
 *
 * @throws SegmentaError `SHAPE_MISMATCH`, `ABORTED`
 * @example await withinClusterSumOfSquares(matrixFromRows([[0], [2], [10]]), [0, 0, 1]) // 2
 */
export async function withinClusterSumOfSquares(matrix: Matrix, labels: ArrayLike<number>, options: MetricRunOptions = {}): Promise<number> {
  return runSteps(withClusterMeans(matrix, labels, (cm) => wcssSteps(matrix, cm)), options);
}

function* wcssSteps(matrix: Matrix, cm: ClusterMeans): MetricSteps<number> {
  const { data, rows, cols } = matrix;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const o = cm.labels[i]! * cols;
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j]! - cm.means[o + j]!;
      total += d * d;
    }
  }
  return total;
}

/**
 * Calinski-Harabasz index (variance ratio criterion):
 * `[sum_c n_c |mean_c - mean|² / (k - 1)] / [WCSS / (n - k)]`; 1 when WCSS is 0
 * (scikit-learn's convention). Higher is better.
 *
 * @throws SegmentaError `INVALID_K` unless 2 <= k <= n - 1; `SHAPE_MISMATCH`, `ABORTED`
 * @example await calinskiHarabasz(matrix, labels) // 1834.2
 */
export async function calinskiHarabasz(matrix: Matrix, labels: ArrayLike<number>, options: MetricRunOptions = {}): Promise<number> {
  return runSteps(withClusterMeans(matrix, labels, (cm) => calinskiSteps(matrix, cm)), options);
}

function* calinskiSteps(matrix: Matrix, cm: ClusterMeans): MetricSteps<number> {
  requireClusterCount('Calinski-Harabasz', cm.k, matrix.rows);
  const { data, rows, cols } = matrix;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    for (let j = 0; j < cols; j++) mean[j]! += data[i * cols + j]!;
  }
  for (let j = 0; j < cols; j++) mean[j]! /= rows;
  let extra = 0;
  for (let c = 0; c < cm.k; c++) {
    if ((c & ROW_MASK) === 0) yield;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const d = cm.means[c * cols + j]! - mean[j]!;
      s += d * d;
    }
    extra += cm.sizes[c]! * s;
  }
  const intra = yield* wcssSteps(matrix, cm);
  return intra === 0 ? 1.0 : (extra * (rows - cm.k)) / (intra * (cm.k - 1));
}

/**
 * Davies-Bouldin index: the mean over clusters of
 * `max_{j != i} (s_i + s_j) / |mean_i - mean_j|`, where `s_i` is the mean
 * distance of cluster i's rows to its mean; 0 when every `s_i` or every centre
 * distance is ~0 (scikit-learn's `allclose` check). Lower is better.
 *
 * @throws SegmentaError `INVALID_K` unless 2 <= k <= n - 1; `SHAPE_MISMATCH`, `ABORTED`
 * @example await daviesBouldin(matrix, labels) // 0.57
 */
export async function daviesBouldin(matrix: Matrix, labels: ArrayLike<number>, options: MetricRunOptions = {}): Promise<number> {
  return runSteps(withClusterMeans(matrix, labels, (cm) => daviesSteps(matrix, cm)), options);
}

function* daviesSteps(matrix: Matrix, cm: ClusterMeans): MetricSteps<number> {
  requireClusterCount('Davies-Bouldin', cm.k, matrix.rows);
  const { data, rows, cols } = matrix;
  const k = cm.k;
  const intra = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const c = cm.labels[i]!;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j]! - cm.means[c * cols + j]!;
      s += d * d;
    }
    intra[c]! += Math.sqrt(s);
  }
  for (let c = 0; c < k; c++) intra[c]! /= cm.sizes[c]!;
  const centre = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    yield;
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const d = cm.means[a * cols + j]! - cm.means[b * cols + j]!;
        s += d * d;
      }
      centre[a * k + b] = Math.sqrt(s);
    }
  }
  const allNearZero = (v: Float64Array): boolean => v.every((x) => Math.abs(x) <= 1e-8);
  if (allNearZero(intra) || allNearZero(centre)) return 0.0;
  let total = 0;
  for (let a = 0; a < k; a++) {
    yield;
    let worst = 0;
    for (let b = 0; b < k; b++) {
      const cd = centre[a * k + b]!;
      if (cd === 0) continue; // scikit-learn sets 0 distances to +inf: the ratio is 0
      const r = (intra[a]! + intra[b]!) / cd;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / k;
}

/** Options of {@link silhouetteScore} and {@link evaluatePartition}. */
export interface SilhouetteOptions extends MetricRunOptions {
  /** Up to this many rows the score is exact (all pairs). Default 10,000. */
  maxExactRows?: number;
  /** Rows sampled (uniformly, without replacement, seeded) above `maxExactRows`. Default 10,000. */
  sampleSize?: number;
  /** Seed of the sample. Default 0. */
  seed?: number;
}

/** A silhouette score and how it was computed. */
export interface SilhouetteResult {
  /** Mean silhouette coefficient in [-1, 1]; higher is better. */
  score: number;
  /** Whether the score comes from a sample of the rows. */
  sampled: boolean;
  /** Rows the score was computed on (all rows when not sampled). */
  sampleSize: number;
  /** Rows in the data. */
  rows: number;
}

/**
 * Silhouette coefficient of every row (scikit-learn's `silhouette_samples`,
 * Euclidean): `(b - a) / max(a, b)` where `a` is the mean distance to the other
 * rows of its cluster and `b` the smallest mean distance to another cluster;
 * 0 for rows alone in their cluster. O(n² · cols) time (about 0.1 s for
 * 10,000 rows, 10 s for 100,000), O(n · k) memory; it yields to the event loop
 * between rows and stops there on `signal`.
 *
 * @throws SegmentaError `INVALID_K` unless 2 <= k <= n - 1; `SHAPE_MISMATCH`, `ABORTED`
 * @example const s = await silhouetteSamples(matrix, labels, { signal }); // Float64Array, one per row
 */
export async function silhouetteSamples(matrix: Matrix, labels: ArrayLike<number>, options: MetricRunOptions = {}): Promise<Float64Array> {
  return runSteps(silhouetteSamplesSteps(matrix, labels), options);
}

function* silhouetteSamplesSteps(matrix: Matrix, labels: ArrayLike<number>): MetricSteps<Float64Array> {
  requireSameLength(matrix, labels);
  const { labels: lab, k, sizes } = yield* compactSteps(labels);
  const { data, rows: n, cols } = matrix;
  requireClusterCount('silhouette', k, n);
  yield { kind: 'phase', phase: 'metrics', detail: `silhouette on ${groupDigits(n)} rows` };
  const sums = new Float64Array(n * k);
  const x = Float64Array.from(data);
  // Pairs (i, j > i) shrink with i: report when the pairs done pass each twentieth.
  const pairs = (n * (n - 1)) / 2;
  let done = 0;
  let next = pairs / 20;
  for (let i = 0; i < n; i++) {
    if (done >= next) {
      yield { kind: 'phase', phase: 'silhouette', detail: `${groupDigits(i)} of ${groupDigits(n)} rows` };
      next += pairs / 20;
    } else yield;
    done += n - 1 - i;
    const oi = i * cols;
    const li = lab[i]!;
    const si = i * k;
    for (let j = i + 1; j < n; j++) {
      const oj = j * cols;
      let s = 0;
      for (let q = 0; q < cols; q++) {
        const d = x[oi + q]! - x[oj + q]!;
        s += d * d;
      }
      const dist = Math.sqrt(s);
      sums[si + lab[j]!]! += dist;
      sums[j * k + li]! += dist;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if ((i & ROW_MASK) === 0) yield;
    const li = lab[i]!;
    if (sizes[li]! <= 1) continue; // scikit-learn: 0 for singletons
    const a = sums[i * k + li]! / (sizes[li]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === li) continue;
      const m = sums[i * k + c]! / sizes[c]!;
      if (m < b) b = m;
    }
    const denom = Math.max(a, b);
    out[i] = denom === 0 ? 0 : (b - a) / denom;
  }
  return out;
}

/**
 * Mean silhouette coefficient. Exact (all pairs) up to `maxExactRows` rows;
 * above, computed on a seeded uniform sample of `sampleSize` rows, like
 * scikit-learn's `silhouette_score(X, labels, sample_size=…)`. The result says
 * which, and on how many rows.
 *
 * @throws SegmentaError `INVALID_K` unless the rows used hold 2 to n - 1 distinct labels;
 *   `INVALID_OPTION`, `SHAPE_MISMATCH`, `ABORTED`
 * @example
 * const s = await silhouetteScore(matrix, labels, { signal: AbortSignal.timeout(5000) });
 * // { score: 0.55, sampled: false, sampleSize: 200, rows: 200 }
 */
export async function silhouetteScore(matrix: Matrix, labels: ArrayLike<number>, options: SilhouetteOptions = {}): Promise<SilhouetteResult> {
  return runSteps(silhouetteScoreSteps(matrix, labels, options), options);
}

function* silhouetteScoreSteps(matrix: Matrix, labels: ArrayLike<number>, options: SilhouetteOptions): MetricSteps<SilhouetteResult> {
  requireSameLength(matrix, labels);
  const maxExact = options.maxExactRows ?? 10_000;
  const sampleSize = options.sampleSize ?? 10_000;
  for (const [name, v] of [['maxExactRows', maxExact], ['sampleSize', sampleSize]] as const) {
    if (!Number.isInteger(v) || v < 2) throw new SegmentaError('INVALID_OPTION', `${name} must be an integer >= 2, got ${String(v)}`, { option: name, value: v });
  }
  const n = matrix.rows;
  if (n <= maxExact || sampleSize >= n) {
    return { score: yield* meanSteps(yield* silhouetteSamplesSteps(matrix, labels)), sampled: false, sampleSize: n, rows: n };
  }
  const ids = sampleIndices(n, sampleSize, options.seed ?? 0);
  const cols = matrix.cols;
  const data = new Float32Array(sampleSize * cols);
  const sub = new Int32Array(sampleSize);
  for (let q = 0; q < sampleSize; q++) {
    if ((q & ROW_MASK) === 0) yield;
    const i = ids[q]!;
    data.set(matrix.data.subarray(i * cols, (i + 1) * cols), q * cols);
    sub[q] = labels[i]!;
  }
  const score = yield* meanSteps(yield* silhouetteSamplesSteps({ data, rows: sampleSize, cols }, sub));
  return { score, sampled: true, sampleSize, rows: n };
}

function* meanSteps(v: Float64Array): MetricSteps<number> {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if ((i & ROW_MASK) === 0) yield;
    s += v[i]!;
  }
  return s / v.length;
}

/** `size` distinct row indices in [0, n), uniform (Floyd's algorithm), seeded, increasing. */
export function sampleIndices(n: number, size: number, seed: number): Int32Array {
  return sampleIndicesWith(n, size, new SeededRandom((seed ^ 0x2545f491) >>> 0));
}

/** Every metric of one partition, as the compare command reports them. */
export interface PartitionQuality {
  /** Distinct labels. */
  k: number;
  /** Rows per cluster, in compact-label order (first occurrence). */
  sizes: number[];
  /** Within-cluster sum of squares to the cluster means. */
  wcss: number;
  silhouette: SilhouetteResult;
  calinskiHarabasz: number;
  daviesBouldin: number;
}

/**
 * WCSS, silhouette, Calinski-Harabasz and Davies-Bouldin of a partition (the
 * cluster means computed once, shared by all four). Keeps the event loop free
 * and stops on `signal` like every metric here.
 *
 * @throws SegmentaError `INVALID_K` unless 2 <= k <= n - 1; `INVALID_OPTION`, `SHAPE_MISMATCH`, `ABORTED`
 * @example
 * const q = await evaluatePartition(matrix, fit.labels, { signal, onProgress: (e) => log(e) });
 * console.log(q.silhouette.score, q.calinskiHarabasz, q.daviesBouldin);
 */
export async function evaluatePartition(matrix: Matrix, labels: ArrayLike<number>, options: SilhouetteOptions = {}): Promise<PartitionQuality> {
  return runSteps(evaluateSteps(matrix, labels, options), options);
}

function* evaluateSteps(matrix: Matrix, labels: ArrayLike<number>, options: SilhouetteOptions): MetricSteps<PartitionQuality> {
  const cm = yield* clusterMeansSteps(matrix, labels);
  requireClusterCount('the quality metrics', cm.k, matrix.rows);
  const detail = (metric: string): ProgressEvent => ({ kind: 'phase', phase: 'metrics', detail: `${metric} on ${groupDigits(matrix.rows)} rows` });
  yield detail('WCSS');
  const wcss = yield* wcssSteps(matrix, cm);
  const silhouette = yield* silhouetteScoreSteps(matrix, labels, options);
  yield detail('Calinski-Harabasz');
  const ch = yield* calinskiSteps(matrix, cm);
  yield detail('Davies-Bouldin');
  const db = yield* daviesSteps(matrix, cm);
  return { k: cm.k, sizes: cm.sizes, wcss, silhouette, calinskiHarabasz: ch, daviesBouldin: db };
}
