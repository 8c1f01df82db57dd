/**
 * The K-Means driver: k-means++ initialisation, Lloyd iterations and the best of
 * `nInit` runs, over any backend's kernels. Modelled on scikit-learn's
 * `_kmeans.py` (lloyd with tol scaled by the data variance, empty-cluster
 * relocation, final E-step) and faiss's `Clustering` (per-iteration stats).
 *
 * The driver owns every buffer, the validation, convergence and empty clusters;
 * the backend job only runs the kernels.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import { SeededRandom, sampleIndices } from '../common/seeded-random.js';
import { TimeSlicer } from '../common/time-slice.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { squaredDistanceF32, type KernelBackend, type KernelJob } from '../backends/kernel-contract.js';
import { refineBySwaps, SWAP_SAMPLE } from './swap-refinement.js';
import { farthestRows } from './sharding/local-shard.js';
import { ShardedData, shardMatrix } from './sharding/sharded-data.js';
import { createPlusPlusBuffers, kmeansPlusPlus, type PlusPlusBuffers } from './kmeans-plusplus.js';
import { StreamedData } from './sharding/streamed-data.js';
import { checkMiniBatchSettings, matrixRowsAt, miniBatchFit, miniBatchFitChunks, miniBatchInit, MINIBATCH_DEFAULTS, MINIBATCH_INIT_CANDIDATES, MINIBATCH_LOOP_DEFAULTS, resolveInitSize } from './minibatch-kmeans.js';
import { countDistinctRows, requireInteger, requireNumber, requireOptions, validateAndMeasure, validateMatrix, validateMatrixShape } from './validate-input.js';
import { validateSampleWeight } from '../common/validate-matrix.js';
import { groupDigits } from '../common/format-number.js';

/** Settings with defaults (all optional for callers). */
export interface KMeansSettings {
  /** Independent k-means++ initialisations; the run with the lowest WCSS wins. Default 3. */
  nInit: number;
  /** Maximum Lloyd iterations per run. Default 300. */
  maxIter: number;
  /** Convergence tolerance on the squared centre shift, relative to the mean feature variance (scikit-learn's `tol`). Default 1e-4. */
  tol: number;
  /** Seed of the PRNG; the same seed gives bit-identical results. Default 0. */
  seed: number;
  /** Backend name (`auto`, `js`, `wasm`, `tfjs`) or a backend object. Default `auto`. */
  backend: string | KernelBackend;
  /** Worker threads for backends that use them. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /**
   * Splits the rows into this many contiguous shards of whole 4096-row blocks,
   * each with its own backend job (its own wasm memory and threads), and adds
   * their per-block partials in block order: results are bit-identical to one
   * job. Fewer shards are used when there are fewer blocks. Default 1.
   */
  shards?: number;
  /** Stops the fit within one iteration; the promise rejects with an `ABORTED` SegmentaError. */
  signal?: AbortSignal;
  /** Receives an event per iteration and per fit. */
  onProgress?: ProgressListener;
  /**
   * Above this many rows, k-means++ runs on a seeded uniform sample of this
   * many rows instead of the whole data (the result's `notes` say so). Default 100,000.
   */
  initSampleSize: number;
  /**
   * After the nInit runs, one more run starts from a refined initialisation:
   * many cheap runs on a subsample of at most 1,024 rows (Bradley & Fayyad 1998)
   * plus centre swaps (Kanungo et al. 2002). The lowest WCSS over all runs wins,
   * so this can only lower WCSS. It costs at most one extra run, skipped when
   * the subsample search finds nothing better than the best run. Default true.
   */
  refine: boolean;
  /**
   * Initial centres instead of k-means++: k × cols values, row-major, in the
   * units of the matrix. Then one run is made (nInit and refine are ignored).
   */
  init?: Float32Array | Float64Array | readonly number[];
  /**
   * `lloyd` (default): exact Lloyd iterations over every row. `minibatch`:
   * scikit-learn's MiniBatchKMeans (see drivers/minibatch-kmeans.ts): steps on
   * random batches of `batchSize` rows, then one full pass for the labels and
   * WCSS; `nInit` such runs, the lowest WCSS wins. Much faster on millions of
   * rows, at a WCSS usually within a few tenths of a percent of Lloyd's. With
   * `minibatch`, `maxIter` counts epochs (default 100), `tol` defaults to 0
   * (off), and `refine` and `initSampleSize` do not apply. Default `lloyd`.
   */
  algorithm: KMeansAlgorithm;
  /** Mini-batch: rows per batch. Default 1024. */
  batchSize: number;
  /** Mini-batch: stop after this many steps without a lower smoothed (EWA) batch inertia. Default 10. */
  maxNoImprovement: number;
  /** Mini-batch: centres with a count below this × the largest count move to random batch rows. Default 0.01 (0 disables). */
  reassignmentRatio: number;
  /** Mini-batch: rows of each k-means++ sample and of the validation sample. Default 3 × batchSize (at least 3 k). */
  initSize?: number;
  /**
   * Per-row sample weights (scikit-learn's `sample_weight`): finite numbers
   * >= 0, one per row, not all zero; never modified. A row of weight w counts
   * as w copies of it: in the centroids (weighted means), the WCSS (Σ w·d²),
   * k-means++ (drawn ∝ w·D²) and the convergence tolerance (weighted
   * variance). A row of weight 0 is ignored (as if removed). Default: every
   * row weighs 1. See docs/weights.md.
   */
  sampleWeight?: ArrayLike<number>;
}

/** K-Means algorithms: exact Lloyd, or scikit-learn's mini-batch. */
export type KMeansAlgorithm = 'lloyd' | 'minibatch';

/** Options of {@link fitKMeans}: `k` is required, the rest default as in {@link KMeansSettings}. */
export type KMeansOptions = { k: number } & Partial<KMeansSettings>;

/** Statistics of one Lloyd iteration (of the winning run). */
export interface IterationStat {
  iteration: number;
  /** WCSS of this iteration's assignment (before the centre update). */
  wcss: number;
  /** Sum over centres of the squared centre shift. */
  shift: number;
  /** Rows that changed segment. */
  changed: number;
  /** Wall time of the iteration in seconds. */
  seconds: number;
}

/** A fitted K-Means model in the units of the matrix it was fitted on. */
export interface KMeansResult {
  /** Concrete backend that ran the kernels, e.g. `js`, `wasm-simd (2 threads)`. */
  backend: string;
  k: number;
  rows: number;
  cols: number;
  /** k × cols float64 centroids, row-major. */
  centroids: Float64Array;
  /** One 0-based segment per row, in input order. */
  labels: Int32Array;
  /** Within-cluster sum of squares (inertia) of the final assignment; Σ w·d² with `sampleWeight`. */
  wcss: number;
  /** Lloyd iterations of the winning run (mini-batch: epochs begun, scikit-learn's `n_iter_`). */
  iterations: number;
  /** The algorithm that made the fit. */
  algorithm: KMeansAlgorithm;
  /** Mini-batch steps taken (mini-batch only). */
  steps?: number;
  /** Whether the winning run converged before `maxIter`. */
  converged: boolean;
  /** Rows per segment. */
  sizes: number[];
  /** Total sample weight per segment (only when fitted with `sampleWeight`). */
  segmentWeights?: number[];
  /** Whether the fit used `sampleWeight`. */
  weighted?: boolean;
  /** 0-based index of the winning initialisation. */
  bestRun: number;
  /** WCSS of every run, in run order. */
  runWcss: number[];
  /** Per-iteration statistics of the winning run. */
  history: IterationStat[];
  /** Remarks about how the fit was made (sampled init, relocated clusters). */
  notes: string[];
  seconds: number;
}

const DEFAULTS: Omit<KMeansSettings, 'backend'> & { backend: string } = {
  nInit: 3,
  maxIter: 300,
  tol: 1e-4,
  seed: 0,
  backend: 'auto',
  initSampleSize: 100_000,
  refine: true,
  algorithm: 'lloyd',
  ...MINIBATCH_DEFAULTS,
};

/** Validated settings plus the state shared by the fits of one sweep. */
export interface FitContext {
  matrix: Matrix;
  job: KernelJob;
  settings: KMeansSettings;
  /** tol × mean feature variance. */
  tolScaled: number;
  /** Job over the init sample when the data is larger than `initSampleSize`. */
  init: { job: KernelJob; matrix: Matrix; buffers: PlusPlusBuffers; note?: string; weights?: Float64Array };
  /** Validated sample weights (rows float64), or undefined for unit weights. */
  weights?: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  labels: Int32Array;
  distances: Float32Array;
  /** Distinct rows (of positive weight), counted up to the largest k of the context: min(distinct, maxK). */
  distinctRows: number;
  /** The shards, when the data lives in shards (then `matrix.data` is empty and labels/distances are unused). */
  sharded?: ShardedData;
}

/** Fills defaults and validates every setting; messages state the values. */
export function resolveSettings(options: Partial<KMeansSettings>): KMeansSettings {
  const given = stripUndefined(requireOptions(options, 'K-Means'));
  const s: KMeansSettings = { ...DEFAULTS, ...(given.algorithm === 'minibatch' ? MINIBATCH_LOOP_DEFAULTS : {}), ...given };
  if (s.algorithm !== 'lloyd' && s.algorithm !== 'minibatch') {
    throw new SegmentaError('INVALID_OPTION', `algorithm must be 'lloyd' or 'minibatch', got ${JSON.stringify(s.algorithm)}`, { option: 'algorithm', value: s.algorithm });
  }
  checkMiniBatchSettings(s);
  requireInteger('nInit', s.nInit, 1);
  requireInteger('maxIter', s.maxIter, 1);
  requireNumber('tol', s.tol, 0);
  requireInteger('seed', s.seed, -2147483648, 4294967295);
  requireInteger('initSampleSize', s.initSampleSize, 1);
  if (s.threads !== undefined) requireInteger('threads', s.threads, 1, 256);
  if (s.shards !== undefined) requireInteger('shards', s.shards, 1, 65_536);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Loads `matrix` into a backend job and prepares the buffers shared by every
 * fit on it. Callers must `disposeContext` it. Used by {@link fitKMeans} and the sweep.
 */
export async function createFitContext(matrix: Matrix, options: Partial<KMeansSettings>, maxK: number): Promise<FitContext> {
  validateMatrixShape(matrix);
  const settings = resolveSettings(options);
  const weights = settings.sampleWeight === undefined ? undefined : validateSampleWeight(settings.sampleWeight, matrix.rows);
  if (weights && settings.algorithm === 'minibatch') {
    throw new SegmentaError('INVALID_OPTION', "sampleWeight is not supported with algorithm 'minibatch' yet: use algorithm 'lloyd', or leave the weights out", { option: 'sampleWeight', algorithm: 'minibatch' });
  }
  throwIfAborted(settings.signal);
  const meanVariance = await validateAndMeasure(matrix, settings.signal, 'data', weights);
  const distinctRows = countDistinctRows(matrix, maxK, weights);
  const backend = typeof settings.backend === 'string' ? await resolveBackend(settings.backend) : settings.backend;
  const jobOptions = { ...(settings.threads !== undefined ? { threads: settings.threads } : {}), ...(settings.signal ? { signal: settings.signal } : {}) };
  if ((settings.shards ?? 1) > 1) {
    if (weights) throw new SegmentaError('INVALID_OPTION', 'sampleWeight is not supported with shards > 1 yet: fit in one process, or leave the weights out', { option: 'sampleWeight' });
    const sharded = shardMatrix(matrix, settings.shards!, backend, jobOptions);
    return createShardedFitContext(sharded, { ...settings, backend }, maxK, { distinctRows, meanVariance });
  }
  const job = await backend.createJob(matrix.data, matrix.rows, matrix.cols, weights ? { ...jobOptions, weights } : jobOptions);
  try {
    let init: FitContext['init'];
    if (settings.algorithm === 'minibatch') {
      // Mini-batch draws its own small init samples (resolveInitSize).
      init = { job, matrix, buffers: createPlusPlusBuffers(0) };
    } else if (matrix.rows > settings.initSampleSize) {
      const sample = await sampleRows(matrix, settings.initSampleSize, settings.seed, settings.signal, weights);
      const sampleJob = await backend.createJob(sample.data, sample.rows, sample.cols, sample.weights ? { ...jobOptions, weights: sample.weights } : jobOptions);
      init = {
        job: sampleJob,
        matrix: { data: sample.data, rows: sample.rows, cols: sample.cols },
        buffers: createPlusPlusBuffers(sample.rows),
        note: sampleNote(sample.rows, matrix.rows),
        ...(sample.weights ? { weights: sample.weights } : {}),
      };
    } else {
      init = { job, matrix, buffers: createPlusPlusBuffers(matrix.rows), ...(weights ? { weights } : {}) };
    }
    return {
      matrix,
      job,
      settings,
      tolScaled: meanVariance * settings.tol,
      init,
      sums: new Float64Array(maxK * matrix.cols),
      counts: new Float64Array(maxK),
      labels: new Int32Array(matrix.rows),
      distances: new Float32Array(matrix.rows),
      distinctRows,
      ...(weights ? { weights } : {}),
    };
  } catch (error) {
    await job.dispose();
    throw error;
  }
}

/**
 * Like {@link createFitContext} for data that lives in shards (in this process
 * or in worker processes): the same fits, bit for bit, as one job over the
 * concatenated rows. k-means++ runs on a job over the seeded sample gathered
 * from the shards (every row when there are at most `initSampleSize`). The
 * context owns `data` (disposeContext releases it). `known` skips the passes
 * for what the caller measured already on the same rows.
 */
export async function createShardedFitContext(
  data: ShardedData,
  options: Partial<KMeansSettings>,
  maxK: number,
  known?: { distinctRows: number; meanVariance: number },
): Promise<FitContext> {
  try {
    const settings = resolveSettings(options);
    if (settings.sampleWeight !== undefined) {
      throw new SegmentaError('INVALID_OPTION', 'sampleWeight is not supported on sharded data yet: fit in one process, or leave the weights out', { option: 'sampleWeight' });
    }
    throwIfAborted(settings.signal);
    const backend = typeof settings.backend === 'string' ? await resolveBackend(settings.backend) : settings.backend;
    const jobOptions = { ...(settings.threads !== undefined ? { threads: settings.threads } : {}), ...(settings.signal ? { signal: settings.signal } : {}) };
    const distinctRows = known?.distinctRows ?? (await data.countDistinctRows(maxK));
    const tolScaled = (known?.meanVariance ?? (await data.meanFeatureVariance())) * settings.tol;
    const sampled = data.rows > settings.initSampleSize;
    const ids = sampleIndices(data.rows, settings.initSampleSize, initSampleRandom(settings.seed));
    const sample = await data.gatherRows(ids);
    throwIfAborted(settings.signal);
    const sampleJob = await backend.createJob(sample.data, sample.rows, sample.cols, jobOptions);
    return {
      matrix: { data: new Float32Array(0), rows: data.rows, cols: data.cols },
      job: data.job,
      settings,
      tolScaled,
      init: { job: sampleJob, matrix: sample, buffers: createPlusPlusBuffers(sample.rows), ...(sampled ? { note: sampleNote(sample.rows, data.rows) } : {}) },
      sums: new Float64Array(maxK * data.cols),
      counts: new Float64Array(maxK),
      labels: new Int32Array(0),
      distances: new Float32Array(0),
      distinctRows,
      sharded: data,
    };
  } catch (error) {
    await data.job.dispose();
    throw error;
  }
}

function initSampleRandom(seed: number): SeededRandom {
  return new SeededRandom((seed ^ 0x5bd1e995) >>> 0);
}

function sampleNote(size: number, rows: number): string {
  return `k-means++ initialised on a seeded sample of ${groupDigits(size)} of ${groupDigits(rows)} rows`;
}

/** Releases the context's backend jobs. */
export async function disposeContext(ctx: FitContext): Promise<void> {
  if (ctx.init.job !== ctx.job) await ctx.init.job.dispose();
  await ctx.job.dispose();
}

/** A seeded uniform sample of rows without replacement, in row order (copied in slices that yield), with their weights. */
async function sampleRows(matrix: Matrix, size: number, seed: number, signal?: AbortSignal, weights?: Float64Array): Promise<Matrix & { weights?: Float64Array }> {
  const ids = sampleIndices(matrix.rows, size, initSampleRandom(seed));
  const { cols, data: src } = matrix;
  const data = new Float32Array(size * cols);
  const slicer = new TimeSlicer(signal);
  for (let q = 0; q < size; q++) {
    if ((q & 0x3fff) === 0) await slicer.maybePause();
    const from = ids[q]! * cols;
    for (let j = 0; j < cols; j++) data[q * cols + j] = src[from + j]!;
  }
  if (!weights) return { data, rows: size, cols };
  const w = new Float64Array(size);
  for (let q = 0; q < size; q++) w[q] = weights[ids[q]!]!;
  // A sample whose rows all weigh 0 cannot seed k-means++: fall back to unit weights there.
  return { data, rows: size, cols, weights: w.some((x) => x > 0) ? w : w.fill(1) };
}

/**
 * The rows the swap refinement searches, for weighted data: with unequal
 * weights, SWAP_SAMPLE rows drawn with replacement ∝ w (so the unweighted
 * search sees the weighted problem); with equal weights (unit weights
 * included), the rows as they are, exactly as without weights.
 * Exported for its test.
 */
export function refineRows(matrix: Matrix, weights: Float64Array | undefined, seed: number): Matrix {
  if (!weights || weights.every((w) => w === weights[0])) return matrix;
  const cum = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) cum[i] = total += weights[i]!;
  const rng = new SeededRandom((seed ^ 0x27d4eb2f) >>> 0);
  const { cols } = matrix;
  const data = new Float32Array(SWAP_SAMPLE * cols);
  for (let q = 0; q < SWAP_SAMPLE; q++) {
    const target = rng.nextFloat() * total;
    let lo = 0;
    let hi = cum.length - 1;
    // The first row whose cumulative weight exceeds the target (< total): never a row of weight 0,
    // whose cumulative weight equals the row's before it.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    data.set(matrix.data.subarray(lo * cols, (lo + 1) * cols), q * cols);
  }
  return { data, rows: SWAP_SAMPLE, cols };
}

/** Seed of run `run` at `k`: independent of the sweep range, so a sweep's fit at k equals fitKMeans at k. */
export function runSeed(seed: number, k: number, run: number): number {
  let h = (seed >>> 0) ^ Math.imul(k, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Runs the best-of-nInit K-Means for one k on a prepared context, plus the
 * refined run when `refine` is on.
 */
export async function fitWithContext(ctx: FitContext, k: number): Promise<KMeansResult> {
  const started = performance.now();
  const { matrix, settings } = ctx;
  requireInteger('k', k, 1);
  if (k > matrix.rows) {
    throw new SegmentaError('INVALID_K', `k = ${k} is larger than the number of rows (${matrix.rows})`, { k, rows: matrix.rows });
  }
  // The context counted the distinct rows up to its largest k (>= k): below k, that is their number.
  if (k > ctx.distinctRows) {
    const what = ctx.weights ? 'distinct rows of positive weight' : 'distinct rows';
    throw new SegmentaError('TOO_FEW_DISTINCT_POINTS', `k = ${k} is larger than the number of ${what} (${ctx.distinctRows})`, { k, distinct: ctx.distinctRows });
  }
  if (settings.algorithm === 'minibatch') return fitMiniBatch(ctx, k, started);
  const notes: string[] = [];
  if (ctx.init.note) notes.push(ctx.init.note);
  let best: { wcss: number; centroids: Float64Array; iterations: number; converged: boolean; history: IterationStat[]; sizes: number[]; run: number } | undefined;
  const bestLabels = new Int32Array(matrix.rows);
  const runWcss: number[] = [];
  let relocations = 0;
  const given = settings.init ? checkedInit(settings.init, k, matrix.cols) : undefined;
  const runs = given ? 1 : settings.nInit + (settings.refine && k > 1 ? 1 : 0);
  for (let run = 0; run < runs; run++) {
    throwIfAborted(settings.signal);
    const rng = new SeededRandom(runSeed(settings.seed, k, run));
    let init: Float32Array;
    if (given) init = Float32Array.from(given);
    else if (run < settings.nInit) init = await kmeansPlusPlus(ctx.init.job, ctx.init.matrix, k, rng, ctx.init.buffers, settings.signal, ctx.init.weights);
    else {
      // The refined run: skipped when the subsample search found nothing better.
      const rows = refineRows(ctx.init.matrix, ctx.init.weights, runSeed(settings.seed, k, run));
      const refined = await refineBySwaps(rows, Float32Array.from(best!.centroids), k, runSeed(settings.seed, k, run), undefined, settings.signal);
      if (!refined) break;
      init = refined;
    }
    const r = await lloyd(ctx, k, init, run);
    relocations += r.relocations;
    runWcss.push(r.wcss);
    if (!best || r.wcss < best.wcss) {
      best = { ...r, run };
      await ctx.job.readLabels(bestLabels);
    }
  }
  if (relocations > 0) notes.push(`${relocations} empty cluster(s) relocated to the farthest rows`);
  const b = best!;
  // With weights, the kernels' counts are weights: the sizes are the rows per segment.
  const sizes = ctx.weights ? rowsPerSegment(bestLabels, k) : b.sizes;
  const seconds = (performance.now() - started) / 1000;
  settings.onProgress?.({ kind: 'fit', k, wcss: b.wcss, iterations: b.iterations, converged: b.converged, seconds });
  return {
    backend: ctx.job.backend,
    k,
    rows: matrix.rows,
    cols: matrix.cols,
    centroids: b.centroids,
    labels: bestLabels,
    wcss: b.wcss,
    iterations: b.iterations,
    algorithm: 'lloyd',
    converged: b.converged,
    sizes,
    ...(ctx.weights ? { segmentWeights: b.sizes, weighted: true } : {}),
    bestRun: b.run,
    runWcss,
    history: b.history,
    notes,
    seconds,
  };
}

/**
 * The mini-batch fit at k (see drivers/minibatch-kmeans.ts): `nInit` complete
 * runs, each initialised as scikit-learn's MiniBatchKMeans (the best of 3
 * k-means++ samples by validation inertia) and ended by one full assign pass
 * on the context's job; the lowest WCSS wins.
 */
async function fitMiniBatch(ctx: FitContext, k: number, started: number): Promise<KMeansResult> {
  const { matrix, settings, job } = ctx;
  const streamed = ctx.sharded instanceof StreamedData ? ctx.sharded : undefined;
  if (ctx.sharded && !streamed) {
    throw new SegmentaError('INVALID_OPTION', "algorithm 'minibatch' draws its batches from rows in memory or streamed chunks: it does not run on sharded data (use algorithm 'lloyd')", {
      option: 'algorithm',
      value: 'minibatch',
    });
  }
  // Rows by id (any order, repeats allowed): from the matrix, or gathered from the file in one pass.
  const rowsAt = streamed
    ? async (ids: Int32Array): Promise<Float32Array> => {
        const unique = Int32Array.from(new Set(ids)).sort();
        const got = await streamed.gatherRows(unique);
        const d = matrix.cols;
        const at = new Map<number, number>();
        unique.forEach((id, q) => at.set(id, q));
        const out = new Float32Array(ids.length * d);
        ids.forEach((id, q) => out.set(got.data.subarray(at.get(id)! * d, at.get(id)! * d + d), q * d));
        return out;
      }
    : matrixRowsAt(matrix);
  const d = matrix.cols;
  const given = settings.init ? Float32Array.from(checkedInit(settings.init, k, d)) : undefined;
  const runs = given ? 1 : settings.nInit;
  const initSize = resolveInitSize(settings, k, matrix.rows);
  const labels = new Int32Array(matrix.rows);
  const runWcss: number[] = [];
  let best: { run: number; wcss: number; sizes: number[]; fit: Awaited<ReturnType<typeof miniBatchFit>> } | undefined;
  let reassigned = 0;
  for (let run = 0; run < runs; run++) {
    throwIfAborted(settings.signal);
    const rng = new SeededRandom(runSeed(settings.seed, k, run));
    const init = given ?? (await miniBatchInit(rowsAt, matrix.rows, d, k, MINIBATCH_INIT_CANDIDATES, initSize, rng, settings.signal)).centers;
    const runSettings = {
      k,
      cols: d,
      rows: matrix.rows,
      batchSize: settings.batchSize,
      maxNoImprovement: settings.maxNoImprovement,
      reassignmentRatio: settings.reassignmentRatio,
      tolScaled: ctx.tolScaled,
      ...(settings.signal ? { signal: settings.signal } : {}),
    };
    const progress = { ...(settings.onProgress ? { onProgress: settings.onProgress } : {}), run, nInit: runs };
    const fit = streamed
      ? await miniBatchFitChunks((fn) => streamed.streamed.forEachChunk((data, _s, r) => fn(data, r.end - r.start)), matrix.rows, init, runSettings, settings.maxIter, rng, progress)
      : await miniBatchFit(matrix, init, runSettings, settings.maxIter, rng, progress);
    reassigned += fit.reassigned;
    // One full pass: the labels and WCSS of this run's centres.
    const stats = await job.assign(fit.centers, k, ctx.sums, ctx.counts);
    runWcss.push(stats.wcss);
    if (!best || stats.wcss < best.wcss) {
      best = { run, wcss: stats.wcss, sizes: Array.from(ctx.counts.subarray(0, k)), fit };
      await job.readLabels(labels);
    }
  }
  const b = best!;
  const notes: string[] = [];
  if (!given) notes.push(`mini-batch: each of ${runs} run(s) initialised by k-means++ on the best of ${MINIBATCH_INIT_CANDIDATES} seeded samples of ${groupDigits(initSize)} rows`);
  notes.push(`mini-batch: the best run took ${groupDigits(b.fit.steps)} steps of ${groupDigits(Math.min(settings.batchSize, matrix.rows))} rows (${b.fit.epochs} epoch(s))${b.fit.converged ? ', stopped early' : ''}`);
  if (reassigned > 0) notes.push(`mini-batch: ${reassigned} low-count centre(s) moved to random batch rows`);
  const seconds = (performance.now() - started) / 1000;
  settings.onProgress?.({ kind: 'fit', k, wcss: b.wcss, iterations: b.fit.epochs, converged: b.fit.converged, seconds });
  return {
    backend: job.backend,
    k,
    rows: matrix.rows,
    cols: d,
    centroids: Float64Array.from(b.fit.centers),
    labels,
    wcss: b.wcss,
    iterations: b.fit.epochs,
    algorithm: 'minibatch',
    steps: b.fit.steps,
    converged: b.fit.converged,
    sizes: b.sizes,
    bestRun: b.run,
    runWcss,
    history: b.fit.history,
    notes,
    seconds,
  };
}

function rowsPerSegment(labels: Int32Array, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++;
  return sizes;
}

function checkedInit(init: ArrayLike<number>, k: number, cols: number): ArrayLike<number> {
  if (init.length !== k * cols) {
    throw new SegmentaError('SHAPE_MISMATCH', `init holds ${init.length} values but k × features = ${k} × ${cols} = ${k * cols}`, {
      length: init.length,
      k,
      cols,
    });
  }
  for (let i = 0; i < init.length; i++) {
    if (!Number.isFinite(init[i]!)) {
      throw new SegmentaError('NON_FINITE_VALUE', `init centre ${Math.floor(i / cols) + 1}, feature ${(i % cols) + 1} is ${init[i]}`, { index: i });
    }
  }
  return init;
}

/** One Lloyd run from `init` (k × cols float32). */
async function lloyd(ctx: FitContext, k: number, init: Float32Array, run: number) {
  const { job, matrix, settings, sums, counts } = ctx;
  const d = matrix.cols;
  let centers: Float32Array = init;
  let next: Float32Array = new Float32Array(k * d);
  const means = new Float64Array(k * d);
  const history: IterationStat[] = [];
  let converged = false;
  let strict = false;
  let iterations = 0;
  let relocations = 0;
  let stats = { wcss: 0, changed: 0 };
  for (let it = 1; it <= settings.maxIter; it++) {
    throwIfAborted(settings.signal);
    const t0 = performance.now();
    stats = await job.assign(centers, k, sums, counts);
    relocations += await relocateEmptyClusters(ctx, k);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      const n = counts[c]!;
      for (let j = 0; j < d; j++) {
        // A cluster whose only row went to an empty cluster (relocation) keeps its centre, instead of 0 / 0.
        const m = n > 0 ? sums[c * d + j]! / n : centers[c * d + j]!;
        means[c * d + j] = m;
        const f = Math.fround(m);
        next[c * d + j] = f;
        const delta = f - centers[c * d + j]!;
        shift += delta * delta;
      }
    }
    iterations = it;
    history.push({ iteration: it, wcss: stats.wcss, shift, changed: stats.changed, seconds: (performance.now() - t0) / 1000 });
    settings.onProgress?.({ kind: 'iteration', k, run, nInit: settings.nInit, iteration: it, maxIter: settings.maxIter, wcss: stats.wcss, shift, changed: stats.changed });
    [centers, next] = [next, centers];
    if (it > 1 && stats.changed === 0) {
      converged = strict = true;
      break;
    }
    if (shift <= ctx.tolScaled) {
      converged = true;
      break;
    }
  }
  if (!strict) {
    // Final E-step so that labels and WCSS match the returned centroids.
    stats = await job.assign(centers, k, sums, counts);
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let j = 0; j < d; j++) means[c * d + j] = centers[c * d + j]!;
    }
  }
  const sizes = Array.from(counts.subarray(0, k));
  return { wcss: stats.wcss, centroids: Float64Array.from(means), iterations, converged, history, sizes, relocations };
}

/**
 * scikit-learn's `_relocate_empty_clusters`: each empty cluster takes the row
 * farthest from its current centre (ties: lowest row index), fixing the sums
 * and counts the assign pass produced.
 */
async function relocateEmptyClusters(ctx: FitContext, k: number): Promise<number> {
  const { counts, sums, matrix } = ctx;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length === 0) return 0;
  const far = await farthestForRelocation(ctx, empty.length);
  const d = matrix.cols;
  for (let q = 0; q < empty.length; q++) {
    const { label: from, values } = far[q]!;
    const to = empty[q]!;
    const wr = far[q]!.weight;
    for (let j = 0; j < d; j++) {
      const x = ctx.weights ? wr * values[j]! : values[j]!;
      sums[from * d + j]! -= x;
      sums[to * d + j] = x;
    }
    counts[from]! -= wr;
    counts[to] = wr;
  }
  return empty.length;
}

/**
 * The `m` rows farthest from their centroid in the last assign pass, with their
 * labels, values and weights. A row of weight 0 cannot fill a cluster (it is as
 * if removed): it never counts as far.
 */
async function farthestForRelocation(ctx: FitContext, m: number): Promise<{ label: number; values: Float32Array; weight: number }[]> {
  if (ctx.sharded) return (await ctx.sharded.farthestRows(m)).map((r) => ({ ...r, weight: 1 }));
  await ctx.job.readDistances(ctx.distances);
  await ctx.job.readLabels(ctx.labels);
  const w = ctx.weights;
  if (w) for (let i = 0; i < w.length; i++) if (!(w[i]! > 0)) ctx.distances[i] = -1;
  const d = ctx.matrix.cols;
  return farthestRows(ctx.distances, m).map((row) => ({ label: ctx.labels[row]!, values: ctx.matrix.data.subarray(row * d, (row + 1) * d), weight: w ? w[row]! : 1 }));
}

/**
 * Fits K-Means on `matrix` (rows × cols float32, row-major), or on sharded
 * data (in this process or on Redis workers: see {@link ShardedData}), with
 * the same result bit for bit.
 *
 * @example
 * ```ts
 * import { fitKMeans, matrixFromRows } from 'segmenta';
 * const m = matrixFromRows([[1, 1], [1, 2], [9, 9], [9, 8]]);
 * const r = await fitKMeans(m, { k: 2, seed: 42 });
 * r.labels; // Int32Array [0, 0, 1, 1] (segment numbers may be permuted)
 * ```
 * @throws SegmentaError `INVALID_K`, `TOO_FEW_DISTINCT_POINTS`, `NON_FINITE_VALUE`, `INVALID_OPTION`, `ABORTED`, backend errors.
 */
export async function fitKMeans(matrix: Matrix | ShardedData, options: KMeansOptions): Promise<KMeansResult> {
  if (!(matrix instanceof ShardedData)) validateMatrixShape(matrix);
  requireOptions(options, 'fitKMeans', ['k']);
  requireInteger('k', options.k, 1);
  const ctx = matrix instanceof ShardedData ? await createShardedFitContext(matrix, options, options.k) : await createFitContext(matrix, options, options.k);
  try {
    return await fitWithContext(ctx, options.k);
  } finally {
    await disposeContext(ctx);
  }
}

/**
 * Nearest-centroid labels for new rows (`rows × cols`, same units as the fit),
 * with the same float32 distance and tie rule as the kernels.
 */
export function predictNearest(centroids: Float64Array | Float32Array, k: number, matrix: Matrix): Int32Array {
  validateMatrix(matrix, 'rows to predict');
  const d = matrix.cols;
  if (centroids.length !== k * d) {
    throw new SegmentaError('SHAPE_MISMATCH', `rows to predict have ${d} features but the model has ${centroids.length / k}`, {
      expected: centroids.length / k,
      got: d,
    });
  }
  const c32 = Float32Array.from(centroids);
  const out = new Int32Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) {
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      const acc = squaredDistanceF32(matrix.data, i * d, c32, c * d, d);
      if (acc < bestDist) {
        bestDist = acc;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
