/**
 * `selectK`: the sweep of k = kMin..kMax with every method of choosing k, on
 * the backends, and the suggestion of {@link suggestK}.
 *
 * What runs where:
 * - WCSS: the sweep's K-Means fits (one backend job, data loaded once).
 * - Calinski-Harabasz and Davies-Bouldin: one more `assign` pass per k on that
 *   same job, over every row (cluster sums, counts and each row's distance
 *   to its centre come from the kernel; O(k · cols) work is left to the driver).
 * - Silhouette: on a seeded sample of `silhouetteSampleSize` rows (or every
 *   row with `silhouetteExact`), through the backend's `pairwiseDistances`
 *   kernel in chunks of at most 1M pairs: memory is O(rows · Σk), never
 *   O(rows²). The pair distances are computed once and serve every k.
 * - Gap statistic: `gapReferences` (B) reference sets of `gapSampleSize`
 *   rows drawn uniformly over the bounding box of each feature (seeded),
 *   each swept on the same backend with one k-means++ initialisation per k
 *   (uniform data has no structure for more initialisations to find).
 *   log W is taken per row, `log(WCSS / rows)`, so that the data's full-size
 *   WCSS compares with references of fewer rows.
 * - BIC and AIC (only when asked for): a Gaussian mixture at each k, EM
 *   started from the sweep's K-Means fit at that k (scikit-learn's
 *   `init_params='kmeans'`), so it equals `fitGaussianMixture(matrix, { k })`
 *   with the same seed and K-Means settings.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { SeededRandom } from '../common/seeded-random.js';
import { resolveBackend } from '../backends/backend-registry.js';
import type { KernelBackend, KernelJob } from '../backends/kernel-contract.js';
import { sweepK, type SweepOptions, type SweepResult } from './elbow-sweep.js';
import type { KMeansResult } from './kmeans.js';
import { requireInteger, validateMatrix } from './validate-input.js';
import { validateLabels } from '../common/validate-matrix.js';
import { suggestK, K_METHODS, ALL_K_METHODS, type KSuggestion, type KCurves, type KMethod } from './suggest-k.js';
import { fitGaussianMixture, parseCovarianceType, type CovarianceType } from './gaussian-mixture.js';
import { calinskiHarabasz, daviesBouldin, sampleIndices } from '../metrics/cluster-metrics.js';
import { groupDigits } from '../common/format-number.js';

/** Options of {@link selectK}: the sweep's options plus the methods' settings. */
export interface SelectKOptions extends SweepOptions {
  /** Methods to run. Default: all ({@link K_METHODS}). WCSS is always recorded. */
  methods?: readonly KMethod[];
  /** Rows in the silhouette's seeded sample. Default 10,000 (every row below that). */
  silhouetteSampleSize?: number;
  /** Silhouette over every row (O(rows²) time, chunked memory). Default false. */
  silhouetteExact?: boolean;
  /** B, the gap statistic's reference sets. Default 10. */
  gapReferences?: number;
  /** Rows per gap reference set. Default 2,000 (the data's row count when smaller). */
  gapSampleSize?: number;
  /** Covariance of the Gaussian mixtures of `bic` and `aic`. Default `full`. */
  mixtureCovariance?: CovarianceType;
}

/** How the BIC and AIC curves were computed. */
export interface MixtureInfo {
  covariance: CovarianceType;
  /** Mean log-likelihood per row of the mixture at each k (null where it could not be fitted). */
  meanLogLikelihood: (number | null)[];
  /** Why a k has no mixture, e.g. a collapsed covariance. */
  failures: string[];
  seconds: number;
}

/** How the silhouette curve was computed. */
export interface SilhouetteInfo {
  sampled: boolean;
  /** Rows the silhouette was computed on. */
  sampleSize: number;
  rows: number;
  seconds: number;
}

/** How the gap curve was computed. */
export interface GapInfo {
  references: number;
  sampleSize: number;
  reference: string;
  /** log(WCSS_k / rows) of the data. */
  logW: number[];
  /** Mean over references of log(W*_k / sampleSize). */
  expectedLogW: number[];
  seconds: number;
}

/** Result of {@link selectK}. */
export interface KSelection {
  /** Methods that ran. */
  methods: KMethod[];
  /** The K-Means sweep (its own `suggestedK` is the elbow alone). */
  sweep: SweepResult;
  /** Every method's curve over `ks`. */
  curves: KCurves;
  silhouette?: SilhouetteInfo;
  gap?: GapInfo;
  /** The Gaussian mixtures behind BIC and AIC, when they ran. */
  mixture?: MixtureInfo;
  /** The suggestion, each method's k and the reasons. */
  choice: KSuggestion;
  /** Seconds per stage: sweep (with Calinski-Harabasz and Davies-Bouldin), silhouette, gap. */
  seconds: { sweep: number; silhouette: number; gap: number; total: number };
}

/**
 * Pair distances × labelings the caller's thread adds up after one
 * `pairwiseDistances` call (about 8 ms of work): the chunk shrinks as the
 * labelings grow, so the event loop is never held long. Chunking changes no
 * sum (rows and pairs are added in the same order).
 */
const SILHOUETTE_PAIR_LABELS_PER_CALL = 1_000_000;

/**
 * Sweeps k and scores every k with every requested method, then suggests k.
 *
 * @example
 * ```ts
 * const sel = await selectK(matrix, { kMin: 1, kMax: 10, seed: 42 });
 * sel.choice.suggestedK; // 5
 * sel.choice.reason;     // "k = 5: 4 of 5 methods agree (elbow, silhouette, calinski, davies); gap says 6."
 * ```
 * @throws SegmentaError `INVALID_OPTION` for a bad method setting, or `bic`/`aic` with `sampleWeight` (Gaussian mixtures take no weights), and whatever {@link sweepK} throws.
 */
export async function selectK(matrix: Matrix, options: SelectKOptions = {}): Promise<KSelection> {
  const started = performance.now();
  const methods = options.methods ? ALL_K_METHODS.filter((m) => options.methods!.includes(m)) : [...K_METHODS];
  const wantMixture = methods.includes('bic') || methods.includes('aic');
  const mixtureCovariance = parseCovarianceType(options.mixtureCovariance ?? 'full');
  if (wantMixture && options.sampleWeight !== undefined) {
    // scikit-learn's GaussianMixture takes no sample weights: a weighted BIC/AIC would be ours alone.
    const asked = methods.filter((m) => m === 'bic' || m === 'aic');
    throw new SegmentaError('INVALID_OPTION', `k methods ${asked.join(' and ')} fit Gaussian mixtures, which take no sample weights: leave ${asked.join('/')} out of methods, or the weights out`, {
      option: 'methods',
      value: asked,
    });
  }
  const silhouetteSampleSize = requireInteger('silhouetteSampleSize', options.silhouetteSampleSize ?? 10_000, 2);
  const gapReferences = requireInteger('gapReferences', options.gapReferences ?? 10, 2, 1000);
  const gapSampleSize = requireInteger('gapSampleSize', options.gapSampleSize ?? 2_000, 10);
  const wantPartition = methods.includes('calinski') || methods.includes('davies');
  const wantSilhouette = methods.includes('silhouette');
  const backend = typeof options.backend === 'object' ? options.backend : await resolveBackend(options.backend ?? 'auto');
  const silhouetteRows = wantSilhouette
    ? options.silhouetteExact || matrix.rows <= silhouetteSampleSize
      ? null
      : sampleIndices(matrix.rows, silhouetteSampleSize, options.seed ?? 0)
    : null;

  const calinski = new Map<number, number | null>();
  const davies = new Map<number, number | null>();
  const sampleLabels = new Map<number, Int32Array>();
  const mixtures = new Map<number, { bic: number; aic: number; meanLogLikelihood: number } | string>();
  let mixtureSeconds = 0;
  const globalMean = wantPartition ? columnMeans(matrix) : new Float64Array(0);
  const afterFit = async (fit: KMeansResult, job: KernelJob): Promise<void> => {
    await options.afterFit?.(fit, job);
    if (wantPartition) {
      // With sample weights the job's sums are weighted; scikit-learn's CH and DB take no weights,
      // so they score the weighted fit's labels unweighted, as calinski_harabasz_score(X, labels) would.
      const idx =
        fit.k < 2 ? { calinski: null, davies: null } : options.sampleWeight !== undefined ? await unweightedIndices(matrix, fit.labels, options.signal) : await partitionIndices(job, fit, globalMean);
      calinski.set(fit.k, idx.calinski);
      davies.set(fit.k, idx.davies);
    }
    if (wantSilhouette && fit.k >= 2) sampleLabels.set(fit.k, silhouetteRows ? pick(fit.labels, silhouetteRows) : fit.labels);
    if (wantMixture) {
      const t0 = performance.now();
      options.onProgress?.({ kind: 'phase', phase: 'gmm', detail: `Gaussian mixture (${mixtureCovariance}) at k = ${fit.k} for BIC and AIC` });
      try {
        const g = await fitGaussianMixture(matrix, { k: fit.k, covariance: mixtureCovariance, initLabels: fit.labels, ...(options.signal ? { signal: options.signal } : {}) });
        mixtures.set(fit.k, { bic: g.bic, aic: g.aic, meanLogLikelihood: g.meanLogLikelihood });
      } catch (error) {
        if (!(error instanceof SegmentaError) || error.code !== 'ILL_DEFINED_COVARIANCE') throw error;
        mixtures.set(fit.k, `k = ${fit.k}: ${error.message}`);
      }
      mixtureSeconds += (performance.now() - t0) / 1000;
    }
  };
  const sweep = await sweepK(matrix, { ...options, backend, afterFit });
  const sweepSeconds = (performance.now() - started) / 1000;
  const { ks } = sweep;
  const curves: KCurves = { ks, wcss: sweep.wcss };
  if (methods.includes('calinski')) curves.calinski = ks.map((k) => calinski.get(k) ?? null);
  if (methods.includes('davies')) curves.davies = ks.map((k) => davies.get(k) ?? null);
  let mixture: MixtureInfo | undefined;
  if (wantMixture) {
    const value = (k: number, key: 'bic' | 'aic' | 'meanLogLikelihood'): number | null => {
      const m = mixtures.get(k);
      return m === undefined || typeof m === 'string' ? null : m[key];
    };
    if (methods.includes('bic')) curves.bic = ks.map((k) => value(k, 'bic'));
    if (methods.includes('aic')) curves.aic = ks.map((k) => value(k, 'aic'));
    mixture = {
      covariance: mixtureCovariance,
      meanLogLikelihood: ks.map((k) => value(k, 'meanLogLikelihood')),
      failures: ks.flatMap((k) => {
        const m = mixtures.get(k);
        return typeof m === 'string' ? [m] : [];
      }),
      seconds: mixtureSeconds,
    };
  }

  let silhouette: SilhouetteInfo | undefined;
  if (wantSilhouette) {
    const t0 = performance.now();
    options.onProgress?.({ kind: 'phase', phase: 'silhouette', detail: silhouetteRows ? `a seeded sample of ${groupDigits(silhouetteRows.length)} rows` : `all ${groupDigits(matrix.rows)} rows` });
    const sample = silhouetteRows ? pickRows(matrix, silhouetteRows) : matrix;
    const labelled = ks.filter((k) => sampleLabels.has(k));
    const scores = await silhouetteCurves(backend, sample, labelled.map((k) => sampleLabels.get(k)!), labelled, options);
    curves.silhouette = ks.map((k) => {
      const i = labelled.indexOf(k);
      return i < 0 ? null : scores[i]!;
    });
    silhouette = { sampled: silhouetteRows !== null, sampleSize: sample.rows, rows: matrix.rows, seconds: (performance.now() - t0) / 1000 };
  }

  let gap: GapInfo | undefined;
  if (methods.includes('gap')) {
    const t0 = performance.now();
    const m = Math.min(gapSampleSize, matrix.rows);
    const g = await gapCurve(matrix, sweep, { ...options, backend }, gapReferences, m);
    curves.gap = { gap: g.gap, sk: g.sk };
    gap = {
      references: gapReferences,
      sampleSize: m,
      reference: 'uniform over the range of each feature (Tibshirani et al. 2001, option a)',
      logW: g.logW,
      expectedLogW: g.expected,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  // WCSS is always recorded; the elbow votes only when asked for.
  const { wcss: _wcss, ...withoutElbow } = curves;
  const choice = suggestK(methods.includes('elbow') ? curves : withoutElbow);
  const total = (performance.now() - started) / 1000;
  return {
    methods,
    sweep,
    curves,
    ...(silhouette ? { silhouette } : {}),
    ...(gap ? { gap } : {}),
    ...(mixture ? { mixture } : {}),
    choice,
    seconds: { sweep: sweepSeconds, silhouette: silhouette?.seconds ?? 0, gap: gap?.seconds ?? 0, total },
  };
}

function columnMeans(matrix: Matrix): Float64Array {
  const { data, rows, cols } = matrix;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += data[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= rows;
  return mean;
}

function pick(labels: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let q = 0; q < rows.length; q++) out[q] = labels[rows[q]!]!;
  return out;
}

function pickRows(matrix: Matrix, rows: Int32Array): Matrix {
  const { cols } = matrix;
  const data = new Float32Array(rows.length * cols);
  for (let q = 0; q < rows.length; q++) data.set(matrix.data.subarray(rows[q]! * cols, (rows[q]! + 1) * cols), q * cols);
  return { data, rows: rows.length, cols };
}

/** scikit-learn's Calinski-Harabasz and Davies-Bouldin of a labelling (null when it has fewer than 2 or more than n − 1 clusters). */
async function unweightedIndices(matrix: Matrix, labels: Int32Array, signal?: AbortSignal): Promise<{ calinski: number | null; davies: number | null }> {
  const k = new Set(labels).size;
  if (k < 2 || k > matrix.rows - 1) return { calinski: null, davies: null };
  const run = signal ? { signal } : {};
  return { calinski: await calinskiHarabasz(matrix, labels, run), davies: await daviesBouldin(matrix, labels, run) };
}

/**
 * Calinski-Harabasz and Davies-Bouldin of a fit, from one `assign` pass of
 * the job at the fit's centres: cluster means from the kernel's sums and
 * counts, each row's distance to its centre from its distances.
 * Within-cluster scatter is taken about the cluster means (the parallel-axis
 * correction removes the centre-to-mean offset); Davies-Bouldin's s_i is the
 * mean distance to the fitted centre. Empty clusters are left out.
 */
export async function partitionIndices(job: KernelJob, fit: KMeansResult, globalMean: Float64Array): Promise<{ calinski: number | null; davies: number | null }> {
  const { k, cols } = fit;
  const n = job.rows;
  const centres = Float32Array.from(fit.centroids);
  const sums = new Float64Array(k * cols);
  const counts = new Float64Array(k);
  const stats = await job.assign(centres, k, sums, counts);
  const labels = new Int32Array(n);
  const dist = new Float32Array(n);
  await job.readLabels(labels);
  await job.readDistances(dist);
  const live: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c]! > 0) live.push(c);
  const kk = live.length;
  if (kk < 2 || kk > n - 1) return { calinski: null, davies: null };
  const means = new Float64Array(k * cols);
  let between = 0;
  let offset = 0;
  for (const c of live) {
    let b = 0;
    let o = 0;
    for (let j = 0; j < cols; j++) {
      const m = sums[c * cols + j]! / counts[c]!;
      means[c * cols + j] = m;
      b += (m - globalMean[j]!) ** 2;
      o += (centres[c * cols + j]! - m) ** 2;
    }
    between += counts[c]! * b;
    offset += counts[c]! * o;
  }
  const within = Math.max(0, stats.wcss - offset);
  const calinski = within === 0 ? 1 : (between * (n - kk)) / (within * (kk - 1));
  const spread = new Float64Array(k);
  for (let i = 0; i < n; i++) spread[labels[i]!]! += Math.sqrt(dist[i]!);
  let total = 0;
  for (const a of live) {
    let worst = 0;
    for (const b of live) {
      if (a === b) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += (means[a * cols + j]! - means[b * cols + j]!) ** 2;
      const d = Math.sqrt(s);
      if (d === 0) continue;
      const r = (spread[a]! / counts[a]! + spread[b]! / counts[b]!) / d;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return { calinski, davies: total / kk };
}

/**
 * Mean silhouette of several labelings of the same rows, from one pass of
 * the backend's `pairwiseDistances` kernel in chunks (memory: rows × Σk
 * float64 sums plus one chunk of at most 1M pair distances). Matches scikit-learn's `silhouette_score`
 * on the rows given (0 for rows alone in their cluster).
 *
 * @param labelings one Int32Array (0..k-1 per row) per k in `ks`
 * @returns the mean silhouette per labeling (NaN where it has fewer than 2 clusters)
 */
export async function silhouetteCurves(
  backend: KernelBackend,
  matrix: Matrix,
  labelings: readonly Int32Array[],
  ks: readonly number[],
  options: { threads?: number; signal?: AbortSignal } = {},
): Promise<number[]> {
  validateMatrix(matrix);
  const n = matrix.rows;
  if (ks.length !== labelings.length) {
    throw new SegmentaError('SHAPE_MISMATCH', `silhouetteCurves: ${labelings.length} labelings for ${ks.length} k values`, { labelings: labelings.length, ks: ks.length });
  }
  labelings.forEach((l, q) => {
    validateLabels(l, n, `labels of k = ${ks[q]}`);
    for (let i = 0; i < n; i++) {
      if (l[i]! < 0 || l[i]! >= ks[q]!) throw new SegmentaError('INVALID_K', `silhouetteCurves: row ${i + 1} has label ${l[i]} at k = ${ks[q]}, outside 0..${ks[q]! - 1}`, { row: i + 1, k: ks[q] });
    }
  });
  if (labelings.length === 0) return [];
  const job = await backend.createJob(matrix.data, n, matrix.cols, {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    if (!job.pairwiseDistances) {
      throw new SegmentaError('KERNEL_NOT_IMPLEMENTED', `backend ${job.backend} has no pairwiseDistances kernel, which the silhouette needs`, { backend: job.backend });
    }
    const L = labelings.length;
    // Every labeling's per-cluster sums of a row sit together: row i's sums for
    // labeling l start at i * width + base[l]; code[j * L + l] = base[l] + label of j.
    const base = new Int32Array(L);
    let width = 0;
    for (let l = 0; l < L; l++) {
      base[l] = width;
      width += ks[l]!;
    }
    const code = new Int32Array(n * L);
    for (let j = 0; j < n; j++) for (let l = 0; l < L; l++) code[j * L + l] = base[l]! + labelings[l]![j]!;
    const all = new Float64Array(n * width);
    const pairsPerCall = Math.max(16_384, Math.floor(SILHOUETTE_PAIR_LABELS_PER_CALL / L));
    const buffer = new Float64Array(Math.min(pairsPerCall + n, (n * (n - 1)) / 2 + 1));
    let start = 0;
    while (start < n - 1) {
      throwIfAborted(options.signal);
      let end = start;
      let count = 0;
      while (end < n - 1 && (count === 0 || count + (n - 1 - end) <= pairsPerCall)) {
        count += n - 1 - end;
        end++;
      }
      await job.pairwiseDistances(start, end, buffer.subarray(0, count));
      accumulatePairs(buffer, start, end, n, width, L, code, all);
      start = end;
    }
    const sums = labelings.map((_, l) => {
      const k = ks[l]!;
      const out = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = all[i * width + base[l]! + c]!;
      return out;
    });
    return labelings.map((lab, l) => meanSilhouette(lab, ks[l]!, sums[l]!));
  } finally {
    await job.dispose();
  }
}

/** Adds each pair distance of rows [start, end) × (i, n) to both rows' sums of the other's clusters. */
function accumulatePairs(buffer: Float64Array, start: number, end: number, n: number, width: number, L: number, code: Int32Array, all: Float64Array): void {
  let o = 0;
  for (let i = start; i < end; i++) {
    const si = i * width;
    const ci = i * L;
    for (let j = i + 1; j < n; j++) {
      const d = buffer[o++]!;
      const sj = j * width;
      const cj = j * L;
      for (let l = 0; l < L; l++) {
        all[si + code[cj + l]!]! += d;
        all[sj + code[ci + l]!]! += d;
      }
    }
  }
}

function meanSilhouette(lab: Int32Array, k: number, sums: Float64Array): number {
  const n = lab.length;
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[lab[i]!]!++;
  let present = 0;
  for (let c = 0; c < k; c++) if (sizes[c]! > 0) present++;
  if (present < 2 || present > n - 1) return NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const li = lab[i]!;
    if (sizes[li]! <= 1) continue;
    const a = sums[i * k + li]! / (sizes[li]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === li || sizes[c] === 0) continue;
      const m = sums[i * k + c]! / sizes[c]!;
      if (m < b) b = m;
    }
    const denom = Math.max(a, b);
    if (denom > 0) total += (b - a) / denom;
  }
  return total / n;
}

/** Seed of gap reference set b: independent of the data's sweep seed stream. */
function referenceSeed(seed: number, b: number): number {
  return (Math.imul((seed >>> 0) ^ 0x61c88647, 0x9e3779b1) + Math.imul(b + 1, 0x85ebca77)) >>> 0;
}

async function gapCurve(
  matrix: Matrix,
  sweep: SweepResult,
  options: SelectKOptions,
  references: number,
  m: number,
): Promise<{ gap: number[]; sk: number[]; logW: number[]; expected: number[] }> {
  const { data, rows, cols } = matrix;
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j]!;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  const ks = sweep.ks;
  const logRef: number[][] = ks.map(() => []);
  const seed = options.seed ?? 0;
  for (let b = 0; b < references; b++) {
    throwIfAborted(options.signal);
    options.onProgress?.({ kind: 'phase', phase: 'gap', detail: `reference set ${b + 1} of ${references} (${groupDigits(m)} rows)` });
    const rng = new SeededRandom(referenceSeed(seed, b));
    const ref = new Float32Array(m * cols);
    for (let i = 0; i < m; i++) for (let j = 0; j < cols; j++) ref[i * cols + j] = lo[j]! + rng.nextFloat() * (hi[j]! - lo[j]!);
    // The reference sets are uniform and unweighted: they take no sample weights.
    const { afterFit: _a, onProgress: _p, sampleWeight: _w, ...settings } = options;
    const r = await sweepK({ data: ref, rows: m, cols }, { ...settings, nInit: 1, refine: false, kMin: ks[0]!, kMax: ks[ks.length - 1]!, seed: referenceSeed(seed, b) });
    r.wcss.forEach((w, i) => logRef[i]!.push(Math.log(Math.max(w, Number.MIN_VALUE) / m)));
  }
  // Weighted data: the WCSS per unit of weight (Σ w·d² / Σ w), the reference's per row.
  let mass = rows;
  if (options.sampleWeight !== undefined) {
    mass = 0;
    for (let i = 0; i < rows; i++) mass += options.sampleWeight[i]!;
  }
  const logW = sweep.wcss.map((w) => Math.log(Math.max(w, Number.MIN_VALUE) / mass));
  const expected = logRef.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const sd = logRef.map((v, i) => Math.sqrt(v.reduce((a, x) => a + (x - expected[i]!) ** 2, 0) / v.length));
  const gap = expected.map((e, i) => e - logW[i]!);
  const sk = sd.map((s) => s * Math.sqrt(1 + 1 / references));
  return { gap, sk, logW, expected };
}

/** Rounds to 6 significant digits for JSON and CSV; null for NaN, ±Infinity and missing values. */
function round6(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(6));
}

/**
 * The JSON form of a k selection: `suggestedK`, `byMethod` (each method's k
 * and why), `reason`, `rule`, the curves per k and how each was computed.
 */
export function kSelectionJson(sel: KSelection): Record<string, unknown> {
  const c = sel.curves;
  return {
    suggestedK: sel.choice.suggestedK,
    byMethod: Object.fromEntries(Object.entries(sel.choice.byMethod).map(([m, v]) => [m, { k: v.k, why: v.why }])),
    reason: sel.choice.reason,
    rule: sel.choice.rule,
    methods: sel.methods,
    k: c.ks,
    wcss: c.wcss ?? [],
    ...(c.silhouette ? { silhouette: c.silhouette.map(round6) } : {}),
    ...(c.calinski ? { calinskiHarabasz: c.calinski.map(round6) } : {}),
    ...(c.davies ? { daviesBouldin: c.davies.map(round6) } : {}),
    ...(c.gap ? { gap: c.gap.gap.map(round6), gapSE: c.gap.sk.map(round6) } : {}),
    ...(c.bic ? { bic: c.bic.map(round6) } : {}),
    ...(c.aic ? { aic: c.aic.map(round6) } : {}),
    ...(sel.mixture ? { mixture: { covariance: sel.mixture.covariance, meanLogLikelihood: sel.mixture.meanLogLikelihood.map(round6), failures: sel.mixture.failures } } : {}),
    ...(sel.silhouette ? { silhouetteSample: { sampled: sel.silhouette.sampled, sampleSize: sel.silhouette.sampleSize, rows: sel.silhouette.rows } } : {}),
    ...(sel.gap ? { gapReferences: { B: sel.gap.references, rows: sel.gap.sampleSize, distribution: sel.gap.reference } } : {}),
    seconds: { sweep: round6(sel.seconds.sweep), silhouette: round6(sel.seconds.silhouette), gap: round6(sel.seconds.gap) },
  };
}

/** One CSV row per k: k, wcss, then each method's value (empty where undefined or not run); bic and aic columns only when they ran. */
export function kSelectionCsv(sel: KSelection): string {
  const c = sel.curves;
  const mixture = [...(c.bic ? ['bic'] : []), ...(c.aic ? ['aic'] : [])];
  const header = ['k', 'wcss', 'silhouette', 'calinski_harabasz', 'davies_bouldin', 'gap', 'gap_se', ...mixture, 'fit_seconds'];
  const cell = (v: number | null | undefined): string => {
    const r = round6(v);
    return r === null ? '' : String(r);
  };
  const rows = c.ks.map((k, i) =>
    [
      String(k),
      String(c.wcss?.[i] ?? ''),
      cell(c.silhouette?.[i]),
      cell(c.calinski?.[i]),
      cell(c.davies?.[i]),
      cell(c.gap?.gap[i]),
      cell(c.gap?.sk[i]),
      ...mixture.map((m) => cell(m === 'bic' ? c.bic![i] : c.aic![i])),
      cell(sel.sweep.points[i]?.seconds),
    ].join(','),
  );
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}
