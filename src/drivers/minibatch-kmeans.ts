/**
 * Mini-batch K-Means, as scikit-learn's `MiniBatchKMeans` (`_kmeans.py`,
 * Sculley 2010):
 *
 * - initialisation: 3 k-means++ runs, each on its own `initSize` rows drawn
 *   uniformly with replacement; the one with the lowest inertia on a
 *   validation draw of `initSize` rows wins (scikit-learn's `n_init = 3`);
 * - each step draws `batchSize` rows with replacement, assigns them to the
 *   nearest centre, and moves each centre towards the mean of its batch rows
 *   with a per-centre learning rate `batch count / total count` (the centre
 *   is the running mean of every row it has been given);
 * - low-count centres (count below `reassignmentRatio` × the largest count)
 *   are moved to random rows of the batch, at most every `10 k` rows seen
 *   (or whenever a centre has no rows yet), their count reset to the smallest
 *   other count;
 * - early stopping: the exponentially weighted average (EWA) of the batch
 *   inertia per row has not improved for `maxNoImprovement` steps, or the
 *   squared centre shift of a step is at most `tol` × the mean feature
 *   variance (off by default, as in scikit-learn), or `maxIter` epochs
 *   (`maxIter × rows / batchSize` steps) have run.
 *
 * One difference: the driver (kmeans.ts) makes `nInit` such complete runs,
 * each ended by a full pass over the data, and keeps the lowest WCSS, as it
 * does for Lloyd. A single run lands in a poor local optimum on about a third
 * of the seeds on the generator's data (so does scikit-learn's), 5–12% above
 * Lloyd's WCSS; three runs make that rare.
 *
 * The batch assign pass runs the reference kernels of the backend contract
 * (`js`): a batch of 1,024 rows is far below what pays for a worker
 * round-trip, and the reference kernels make the trajectory the same on every
 * backend. The loop yields to the event loop every 8 ms and checks the
 * signal. Full passes over the data (the final labels and WCSS) run on the
 * caller's backend job.
 */
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import type { SeededRandom } from '../common/seeded-random.js';
import { TimeSlicer } from '../common/time-slice.js';
import { jsReferenceBackend } from '../backends/js-reference/js-reference-backend.js';
import { createPlusPlusBuffers, kmeansPlusPlus } from './kmeans-plusplus.js';
import { requireInteger, requireNumber } from './validate-input.js';

/** The mini-batch settings (see {@link KMeansSettings} for their documentation and defaults). */
export interface MiniBatchSettings {
  batchSize: number;
  maxNoImprovement: number;
  reassignmentRatio: number;
  /** Rows of each k-means++ sample and of the validation draw. Default 3 × batchSize (at least 3 k), at most the rows. */
  initSize?: number;
}

/** Defaults of {@link MiniBatchSettings}: scikit-learn's. */
export const MINIBATCH_DEFAULTS = { batchSize: 1024, maxNoImprovement: 10, reassignmentRatio: 0.01 } as const;

/** k-means++ samples each mini-batch run compares on its validation sample (scikit-learn's `n_init` of 3). */
export const MINIBATCH_INIT_CANDIDATES = 3;

/** Defaults of maxIter (epochs) and tol for mini-batch when the caller gives none: scikit-learn's. */
export const MINIBATCH_LOOP_DEFAULTS = { maxIter: 100, tol: 0 } as const;

/** Checks the mini-batch settings; messages state the values. */
export function checkMiniBatchSettings(s: Partial<MiniBatchSettings>): void {
  if (s.batchSize !== undefined) requireInteger('batchSize', s.batchSize, 1, 1 << 24);
  if (s.maxNoImprovement !== undefined) requireInteger('maxNoImprovement', s.maxNoImprovement, 1);
  if (s.reassignmentRatio !== undefined) {
    requireNumber('reassignmentRatio', s.reassignmentRatio, 0);
    if (s.reassignmentRatio > 1) {
      throw new SegmentaError('INVALID_OPTION', `reassignmentRatio must be in [0, 1], got ${s.reassignmentRatio}`, { option: 'reassignmentRatio', value: s.reassignmentRatio });
    }
  }
  if (s.initSize !== undefined) requireInteger('initSize', s.initSize, 1);
}

/** scikit-learn's `_init_size`: 3 × batch (or 3 k when that is less than k), capped at the rows. */
export function resolveInitSize(settings: MiniBatchSettings, k: number, rows: number): number {
  let size = settings.initSize ?? 3 * settings.batchSize;
  if (size < k) size = 3 * k;
  return Math.min(size, rows);
}

/** What one step reports. */
export interface StepOutcome {
  /** Sum of squared distances of the batch rows to the centres before the step. */
  inertia: number;
  /** Squared shift of the centres in this step (sum over centres), when `tol` > 0; else 0. */
  shift: number;
  /** Whether early stopping fired after this step. */
  converged: boolean;
  /** Centres moved to batch rows in this step. */
  reassigned: number;
}

/** Fixed inputs of a mini-batch run. */
export interface MiniBatchRun {
  k: number;
  cols: number;
  /** Rows of the whole data (for the EWA weight, as scikit-learn's `n_samples`). */
  rows: number;
  batchSize: number;
  maxNoImprovement: number;
  reassignmentRatio: number;
  /** `tol` × mean feature variance; 0 disables the shift criterion. */
  tolScaled: number;
  signal?: AbortSignal;
}

/**
 * The state of one mini-batch run: float64 centres, per-centre counts, the
 * EWA of the batch inertia. Feed it batches with {@link step}; the in-memory
 * fit draws them from the matrix, the streamed fit from each chunk it reads.
 */
export class MiniBatchState {
  readonly centers: Float64Array;
  /** The centres as the kernels see them (float32 of {@link centers}). */
  readonly centers32: Float32Array;
  readonly counts: Float64Array;
  steps = 0;
  reassignedTotal = 0;
  private readonly sums: Float64Array;
  private readonly batchCounts: Float64Array;
  private readonly previous: Float64Array;
  private sinceReassign = 0;
  private ewa: number | undefined;
  private ewaMin: number | undefined;
  private noImprovement = 0;

  constructor(
    init: Float32Array,
    private readonly run: MiniBatchRun,
    private readonly rng: SeededRandom,
  ) {
    const { k, cols } = run;
    this.centers = Float64Array.from(init);
    this.centers32 = Float32Array.from(init);
    this.counts = new Float64Array(k);
    this.sums = new Float64Array(k * cols);
    this.batchCounts = new Float64Array(k);
    this.previous = new Float64Array(k * cols);
  }

  /** The EWA of the batch inertia per row (undefined before the second step). */
  get smoothedInertia(): number | undefined {
    return this.ewa;
  }

  /** One step on `m` rows of `batch` (row-major float32). */
  async step(batch: Float32Array, m: number): Promise<StepOutcome> {
    const { k, cols: d, tolScaled, signal } = this.run;
    const { centers, counts, sums, batchCounts } = this;
    // scikit-learn's _random_reassign, decided on the counts before this step.
    this.sinceReassign += m;
    let reassign = false;
    if (counts.some((c) => c === 0) || this.sinceReassign >= 10 * k) {
      this.sinceReassign = 0;
      reassign = true;
    }
    const job = await jsReferenceBackend.createJob(batch.subarray(0, m * d), m, d, signal ? { signal } : {});
    let inertia: number;
    try {
      inertia = (await job.assign(this.centers32, k, sums, batchCounts)).wcss;
    } finally {
      await job.dispose();
    }
    this.previous.set(centers);
    // _minibatch_update_dense: c = (c · n_c + Σ batch rows of c) / (n_c + batch count of c).
    for (let c = 0; c < k; c++) {
      const b = batchCounts[c]!;
      if (b === 0) continue;
      const n = counts[c]!;
      const total = n + b;
      for (let j = 0; j < d; j++) centers[c * d + j] = (centers[c * d + j]! * n + sums[c * d + j]!) / total;
      counts[c] = total;
    }
    // A ratio of 0 moves nothing: no count is below 0 × the largest.
    const reassigned = reassign ? this.reassignLowCounts(batch, m) : 0;
    this.reassignedTotal += reassigned;
    for (let q = 0; q < k * d; q++) this.centers32[q] = Math.fround(centers[q]!);
    let shift = 0;
    if (tolScaled > 0) {
      for (let q = 0; q < k * d; q++) {
        const delta = centers[q]! - this.previous[q]!;
        shift += delta * delta;
      }
    }
    this.steps++;
    return { inertia, shift, converged: this.convergence(inertia / m, shift), reassigned };
  }

  /** Moves the centres whose count is below ratio × max to distinct random batch rows. */
  private reassignLowCounts(batch: Float32Array, m: number): number {
    const { k, cols: d, reassignmentRatio } = this.run;
    const { counts, centers } = this;
    let max = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, counts[c]!);
    const low: boolean[] = Array.from({ length: k }, (_, c) => counts[c]! < reassignmentRatio * max);
    let n = low.filter(Boolean).length;
    const cap = Math.floor(0.5 * m);
    if (n > cap) {
      // Only the `cap` lowest counts move, the lower index first on equal counts (a stable sort of 0..k-1), as scikit-learn.
      const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => counts[a]! - counts[b]!);
      for (let q = cap; q < k; q++) low[order[q]!] = false;
      n = cap;
    }
    let keptMin = Infinity;
    for (let c = 0; c < k; c++) if (!low[c]) keptMin = Math.min(keptMin, counts[c]!);
    const rows = chooseDistinct(m, n, this.rng);
    let q = 0;
    for (let c = 0; c < k; c++) {
      if (!low[c]) continue;
      const r = rows[q++]!;
      for (let j = 0; j < d; j++) centers[c * d + j] = batch[r * d + j]!;
      counts[c] = keptMin;
    }
    return n;
  }

  /** scikit-learn's `_mini_batch_convergence` (the first step only starts the EWA). */
  private convergence(batchInertia: number, shift: number): boolean {
    if (this.steps === 1) return false;
    if (this.ewa === undefined) this.ewa = batchInertia;
    else {
      const alpha = Math.min(1, (this.run.batchSize * 2) / (this.run.rows + 1));
      this.ewa = this.ewa * (1 - alpha) + batchInertia * alpha;
    }
    if (this.run.tolScaled > 0 && shift <= this.run.tolScaled) return true;
    if (this.ewaMin === undefined || this.ewa < this.ewaMin) {
      this.noImprovement = 0;
      this.ewaMin = this.ewa;
    } else this.noImprovement++;
    return this.noImprovement >= this.run.maxNoImprovement;
  }
}

/** `count` distinct values of [0, m), uniform, in draw order (partial Fisher-Yates). */
function chooseDistinct(m: number, count: number, rng: SeededRandom): Int32Array {
  const pool = Int32Array.from({ length: m }, (_, i) => i);
  for (let q = 0; q < count; q++) {
    const r = q + rng.nextInt(m - q);
    const t = pool[q]!;
    pool[q] = pool[r]!;
    pool[r] = t;
  }
  return pool.subarray(0, count);
}

/** Rows `ids` of `matrix` copied into `out` (row-major). */
function gather(matrix: Matrix, ids: Int32Array, out: Float32Array): void {
  const { cols: d, data } = matrix;
  for (let q = 0, o = 0; q < ids.length; q++) {
    const from = ids[q]! * d;
    for (let j = 0; j < d; j++) out[o++] = data[from + j]!;
  }
}

/** `size` row ids drawn uniformly with replacement (numpy's `randint(0, n, size)`). */
export function drawWithReplacement(n: number, size: number, rng: SeededRandom, out = new Int32Array(size)): Int32Array {
  for (let q = 0; q < size; q++) out[q] = rng.nextInt(n);
  return out;
}

/**
 * scikit-learn's initialisation of MiniBatchKMeans: the best of `nInit`
 * k-means++ runs, each on its own `initSize` rows, by inertia on a validation
 * draw. `rowsAt` hands back the rows of ascending or unordered ids (row-major).
 * @returns the winning centres (k × cols float32) and its 0-based run
 */
export async function miniBatchInit(
  rowsAt: (ids: Int32Array) => Promise<Float32Array>,
  rows: number,
  cols: number,
  k: number,
  nInit: number,
  initSize: number,
  rng: SeededRandom,
  signal?: AbortSignal,
): Promise<{ centers: Float32Array; run: number; validationInertia: number[] }> {
  const jobOptions = signal ? { signal } : {};
  const validation = await rowsAt(drawWithReplacement(rows, initSize, rng));
  const validationJob = await jsReferenceBackend.createJob(validation, initSize, cols, jobOptions);
  const sums = new Float64Array(k * cols);
  const counts = new Float64Array(k);
  const inertias: number[] = [];
  let best: { centers: Float32Array; run: number } | undefined;
  try {
    for (let run = 0; run < nInit; run++) {
      throwIfAborted(signal);
      const sample = await rowsAt(drawWithReplacement(rows, initSize, rng));
      const job = await jsReferenceBackend.createJob(sample, initSize, cols, jobOptions);
      let centers: Float32Array;
      try {
        centers = await kmeansPlusPlus(job, { data: sample, rows: initSize, cols }, k, rng, createPlusPlusBuffers(initSize), signal);
      } finally {
        await job.dispose();
      }
      const { wcss } = await validationJob.assign(centers, k, sums, counts);
      inertias.push(wcss);
      if (!best || wcss < inertias[best.run]!) best = { centers, run };
    }
  } finally {
    await validationJob.dispose();
  }
  return { ...best!, validationInertia: inertias };
}

/** Outcome of {@link miniBatchFit}. */
export interface MiniBatchOutcome {
  centers: Float32Array;
  steps: number;
  /** Epochs begun: ceil(steps × batchSize / rows), scikit-learn's `n_iter_`. */
  epochs: number;
  converged: boolean;
  reassigned: number;
  /** Every 64 steps and the last: step, smoothed inertia × rows, shift, seconds. */
  history: { iteration: number; wcss: number; shift: number; changed: number; seconds: number }[];
}

/**
 * The mini-batch loop on an in-memory matrix, from `init` (k × cols float32),
 * for at most `maxIter` epochs. Progress events every 64 steps.
 */
export async function miniBatchFit(
  matrix: Matrix,
  init: Float32Array,
  run: MiniBatchRun,
  maxIter: number,
  rng: SeededRandom,
  progress?: { onProgress?: ProgressListener; run: number; nInit: number },
): Promise<MiniBatchOutcome> {
  return miniBatchFitChunks((fn) => fn(matrix.data, matrix.rows).then(() => undefined), matrix.rows, init, run, maxIter, rng, progress);
}

/**
 * The mini-batch loop on streamed data (docs/streaming.md): each epoch is one
 * pass over the file; each chunk of `n` rows it reads gives `round(n /
 * batchSize)` steps on batches drawn with replacement from that chunk (as
 * scikit-learn's `partial_fit` over chunks). Same steps, reassignment and
 * early stopping as {@link miniBatchFit}; a different sampling, so not the
 * in-memory trajectory.
 */
export async function miniBatchFitChunks(
  forEachChunk: (fn: (data: Float32Array, rows: number) => Promise<boolean | void>) => Promise<void>,
  rows: number,
  init: Float32Array,
  run: MiniBatchRun,
  maxIter: number,
  rng: SeededRandom,
  progress?: { onProgress?: ProgressListener; run: number; nInit: number },
): Promise<MiniBatchOutcome> {
  const d = run.cols;
  const m = Math.min(run.batchSize, rows);
  const state = new MiniBatchState(init, { ...run, batchSize: m }, rng);
  const nSteps = Math.max(1, Math.floor((maxIter * rows) / m));
  const ids = new Int32Array(m);
  const batch = new Float32Array(m * d);
  const slicer = new TimeSlicer(run.signal);
  const history: MiniBatchOutcome['history'] = [];
  let converged = false;
  let mark = performance.now();
  let last: StepOutcome | undefined;
  const record = (outcome: StepOutcome): void => {
    const s = state.steps;
    const wcss = (state.smoothedInertia ?? outcome.inertia / m) * rows;
    const now = performance.now();
    history.push({ iteration: s, wcss, shift: outcome.shift, changed: 0, seconds: (now - mark) / 1000 });
    mark = now;
    progress?.onProgress?.({ kind: 'iteration', k: run.k, run: progress.run, nInit: progress.nInit, iteration: s, maxIter: nSteps, wcss, shift: outcome.shift, changed: 0 });
  };
  for (let epoch = 0; epoch < maxIter && !converged && state.steps < nSteps; epoch++) {
    await forEachChunk(async (data, n) => {
      const steps = Math.max(1, Math.round(n / m));
      const chunk = { data, rows: n, cols: d };
      for (let q = 0; q < steps; q++) {
        await slicer.maybePause();
        drawWithReplacement(n, m, rng, ids);
        gather(chunk, ids, batch);
        last = await state.step(batch, m);
        converged = last.converged;
        if (state.steps % 64 === 0) record(last);
        if (converged || state.steps >= nSteps) return false;
      }
      return true;
    });
  }
  // The last step, however the run ended (early stop, the step budget, or maxIter epochs of rounded steps).
  if (last && history.at(-1)?.iteration !== state.steps) record(last);
  return { centers: state.centers32, steps: state.steps, epochs: Math.ceil((state.steps * m) / rows), converged, reassigned: state.reassignedTotal, history };
}

/** Rows of an in-memory matrix by id, for {@link miniBatchInit}. */
export function matrixRowsAt(matrix: Matrix): (ids: Int32Array) => Promise<Float32Array> {
  return async (ids) => {
    const out = new Float32Array(ids.length * matrix.cols);
    gather(matrix, ids, out);
    return out;
  };
}
