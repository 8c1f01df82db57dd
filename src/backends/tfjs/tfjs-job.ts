/**
 * The tfjs kernel job: the coarse kernels of kernel-contract.ts on tensors.
 *
 * ## Layout
 * The data is uploaded once, at job creation, as chunk tensors of up to
 * `chunkRows` rows (a multiple of {@link ROW_BLOCK_SIZE}). Each chunk keeps
 * - `xa`: the rows, centred on the column means, with a trailing column of
 *   ones (`[m, d + 1]`): one matMul then gives `-2 x·c + |c|²`, and one
 *   segment sum gives the per-cluster sums and, in the last column, counts;
 * - `x2`: `|x|²` per row (`[m]`);
 * - `blockIds`: each row's {@link ROW_BLOCK_SIZE} block inside the chunk, and
 *   `subIds`: its {@link SUB_BLOCK_SIZE}-row sub-block;
 * - the job's state: last labels, last distances, k-means++ closest distances.
 *
 * Kernels walk the chunks in passes whose temporaries (the `[rows, k]`
 * distance matrix and its derivatives) fit the memory budget, so a
 * 10M × k distance matrix never exists whole.
 *
 * ## Numerics (exact = false)
 * A squared distance is `max(0, |x|² - 2 x·c + |c|²)` in float32 (matMul
 * order, not the contract's fixed order). Centring the data on its mean first
 * (as scikit-learn does) keeps the cancellation in that form small.
 * Partial sums are reduced in float32 on the tensors, then added in float64
 * in row order on the JS side: cluster sums and counts per
 * {@link ROW_BLOCK_SIZE} block, WCSS and k-means++ potentials per
 * {@link SUB_BLOCK_SIZE} rows. The short float32 runs keep the potentials,
 * which k-means++ samples against, within about 1e-6 of the js oracle's.
 */
import { SegmentaError, throwIfAborted } from '../../common/errors.js';
import { yieldToEventLoop } from '../../common/time-slice.js';
import { ROW_BLOCK_SIZE, type AssignStats, type KernelJob, type LinkageNearest } from '../kernel-contract.js';
import { ReferenceLinkage } from '../reference-linkage.js';
import { activateRuntime, type LoadedRuntime, type Tf } from './tfjs-runtime.js';
import type { Rank, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';

/** Rows per float32 partial sum of the WCSS and potentials (divides ROW_BLOCK_SIZE). */
export const SUB_BLOCK_SIZE = 64;

/** candidatePotentials keeps every candidate's closest distances for chooseCandidate up to this many bytes. */
const KEEP_MAX_BYTES = 64 << 20;

/** Tunables of a tfjs job. */
export interface TfjsJobSettings {
  /** Upper bound, in bytes, on the temporaries one pass allocates. */
  memoryBudgetBytes: number;
  /** Rows per uploaded chunk tensor (a multiple of ROW_BLOCK_SIZE). */
  chunkRows: number;
}

interface Chunk {
  /** First row (a multiple of ROW_BLOCK_SIZE). */
  readonly start: number;
  readonly rows: number;
  /** Number of ROW_BLOCK_SIZE blocks in the chunk. */
  readonly blocks: number;
  readonly xa: Tensor2D;
  readonly x2: Tensor1D;
  readonly blockIds: Tensor1D;
  readonly subIds: Tensor1D;
  /** Sample weights of the chunk's rows (float32), when the job is weighted. */
  readonly w: Tensor1D | null;
  labels: Tensor1D | null;
  distances: Tensor1D | null;
  closest: Tensor1D | null;
}

/** A pass: a block-aligned row range of one chunk, with its tensors (views or slices). */
interface Pass {
  readonly chunk: Chunk;
  /** Row offset inside the chunk (a multiple of ROW_BLOCK_SIZE). */
  readonly offset: number;
  readonly rows: number;
  readonly blocks: number;
  readonly subBlocks: number;
  readonly whole: boolean;
}

/** Bytes one row of a pass allocates for `width` distance columns (matMul, add, clamp, minimum, min, argMin, ids). */
export function passBytesPerRow(width: number): number {
  return 16 * width + 64;
}

/**
 * Rows per pass for `width` distance columns: as many ROW_BLOCK_SIZE blocks as
 * the budget allows, at least one.
 */
export function passRowsFor(width: number, memoryBudgetBytes: number): number {
  const rows = Math.floor(memoryBudgetBytes / passBytesPerRow(width));
  return Math.max(1, Math.floor(rows / ROW_BLOCK_SIZE)) * ROW_BLOCK_SIZE;
}

/** A job on one tfjs runtime. Create it with {@link createTfjsJob}. */
export class TfjsJob implements KernelJob {
  readonly backend: string;
  readonly exact = false;
  /** What the runtime runs on (e.g. `WebAssembly SIMD, 1 thread`). */
  readonly runtimeDetail: string;
  /** Largest number of rows one pass has processed so far (tests check the memory budget with it). */
  maxPassRows = 0;
  private disposed = false;
  private readonly tf: Tf;
  /** Centroid scratch: k × (d + 1) float32, grown on demand (no per-call JS allocation once warm). */
  private cAug = new Float32Array(0);
  private readonly mean: Float32Array;
  /** The matrix-free linkage kernels run on the CPU, on the caller's matrix (kept by reference, not copied). */
  private readonly linkage: ReferenceLinkage;
  /** The last candidatePotentials call, for chooseCandidate (kept: each chunk's [rows, count] distances, or null). */
  private lastCandidates: { candidates: Float32Array; potentials: Float64Array; kept: Map<Chunk, Tensor2D> | null } | undefined;

  private constructor(
    private readonly runtime: LoadedRuntime,
    private readonly chunks: Chunk[],
    mean: Float32Array,
    readonly rows: number,
    readonly dims: number,
    private readonly settings: TfjsJobSettings,
    source: Float32Array,
    private readonly signal?: AbortSignal,
    weights?: Float64Array,
  ) {
    this.linkage = new ReferenceLinkage(source, rows, dims, weights);
    this.backend = runtime.name;
    this.runtimeDetail = runtime.detail;
    this.tf = runtime.tf;
    this.mean = mean;
  }

  /**
   * Uploads `data` (rows × dims float32, row-major) as chunk tensors.
   *
   * @throws AbortedError when `signal` aborts between chunks (nothing leaks)
   * @throws SegmentaError `MEMORY_LIMIT` when the runtime cannot allocate the tensors
   */
  static async create(
    runtime: LoadedRuntime,
    data: Float32Array,
    rows: number,
    dims: number,
    settings: TfjsJobSettings,
    signal?: AbortSignal,
    weights?: Float64Array,
  ): Promise<TfjsJob> {
    await activateRuntime(runtime);
    const tf = runtime.tf;
    // Column means (float64), rounded to float32: the data is centred on them.
    const mean64 = new Float64Array(dims);
    for (let i = 0; i < rows; i++) {
      const off = i * dims;
      for (let j = 0; j < dims; j++) mean64[j]! += data[off + j]!;
    }
    const mean = new Float32Array(dims);
    for (let j = 0; j < dims; j++) mean[j] = rows > 0 ? mean64[j]! / rows : 0;

    const width = dims + 1;
    const chunks: Chunk[] = [];
    try {
      for (let start = 0; start < rows; start += settings.chunkRows) {
        throwIfAborted(signal);
        const m = Math.min(settings.chunkRows, rows - start);
        const blocks = Math.ceil(m / ROW_BLOCK_SIZE);
        const xa = new Float32Array(m * width);
        const x2 = new Float32Array(m);
        const ids = new Int32Array(m);
        const subIds = new Int32Array(m);
        for (let r = 0; r < m; r++) {
          const src = (start + r) * dims;
          const dst = r * width;
          let sq = 0;
          for (let j = 0; j < dims; j++) {
            const v = Math.fround(data[src + j]! - mean[j]!);
            xa[dst + j] = v;
            sq += v * v;
          }
          xa[dst + dims] = 1;
          x2[r] = sq;
          ids[r] = Math.floor(r / ROW_BLOCK_SIZE);
          subIds[r] = Math.floor(r / SUB_BLOCK_SIZE);
        }
        chunks.push({
          start,
          rows: m,
          blocks,
          xa: tf.tensor2d(xa, [m, width], 'float32'),
          x2: tf.tensor1d(x2, 'float32'),
          blockIds: tf.tensor1d(ids, 'int32'),
          subIds: tf.tensor1d(subIds, 'int32'),
          w: weights ? tf.tensor1d(Float32Array.from(weights.subarray(start, start + m)), 'float32') : null,
          labels: null,
          distances: null,
          closest: null,
        });
        // Let an abort (or other work) in between chunks of a big upload.
        if (chunks.length % 8 === 0) await new Promise((r) => setImmediate(r));
      }
      throwIfAborted(signal);
    } catch (error) {
      for (const c of chunks) tf.dispose([c.xa, c.x2, c.blockIds, c.subIds, ...(c.w ? [c.w] : [])]);
      if (error instanceof SegmentaError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/memory|allocat|enlarge|OOM/i.test(message)) {
        const mb = Math.ceil((rows * (4 * dims + 28)) / 2 ** 20);
        throw new SegmentaError('MEMORY_LIMIT', `${runtime.name} could not hold ${rows} rows × ${dims} features (about ${mb} MB of tensors): ${message}`, {
          backend: runtime.name,
          rows,
          dims,
        });
      }
      throw error;
    }
    return new TfjsJob(runtime, chunks, mean, rows, dims, settings, data, signal, weights);
  }

  /**
   * Between two passes: one turn of the event loop, then the abort check.
   * tfjs runs each pass's ops on the caller's thread (tfjs-wasm, tfjs-cpu) and
   * a pass cannot be interrupted, so the loop is held for one pass at most
   * (bounded by `memoryBudgetBytes`).
   */
  private async breathe(): Promise<void> {
    await yieldToEventLoop();
    throwIfAborted(this.signal);
  }

  private async ready(): Promise<void> {
    if (this.disposed) throw new Error(`the ${this.backend} job was used after dispose()`);
    await activateRuntime(this.runtime);
  }

  /** Splits every chunk into block-aligned passes whose temporaries fit the budget for `width` columns. */
  private *passes(width: number): Generator<Pass> {
    const passRows = Math.min(this.settings.chunkRows, passRowsFor(width, this.settings.memoryBudgetBytes));
    for (const chunk of this.chunks) {
      for (let offset = 0; offset < chunk.rows; offset += passRows) {
        const rows = Math.min(passRows, chunk.rows - offset);
        if (rows > this.maxPassRows) this.maxPassRows = rows;
        yield {
          chunk,
          offset,
          rows,
          blocks: Math.ceil(rows / ROW_BLOCK_SIZE),
          subBlocks: Math.ceil(rows / SUB_BLOCK_SIZE),
          whole: offset === 0 && rows === chunk.rows,
        };
      }
    }
  }

  /** The pass's rows of a chunk tensor (the tensor itself for a whole-chunk pass). Call inside tidy. */
  private rowsOf<T extends Tensor<Rank>>(pass: Pass, t: T): T {
    if (pass.whole) return t;
    const begin = t.shape.map((_, i) => (i === 0 ? pass.offset : 0));
    const size = t.shape.map((s, i) => (i === 0 ? pass.rows : s));
    return this.tf.slice(t, begin, size) as T;
  }

  /** Block ids of a pass, numbered from 0 inside the pass. Call inside tidy. */
  private passBlockIds(pass: Pass): Tensor1D {
    const ids = this.rowsOf(pass, pass.chunk.blockIds);
    return pass.offset === 0 ? ids : this.tf.sub(ids, this.tf.scalar(pass.offset / ROW_BLOCK_SIZE, 'int32'));
  }

  /** Sub-block ids of a pass, numbered from 0 inside the pass. Call inside tidy. */
  private passSubIds(pass: Pass): Tensor1D {
    const ids = this.rowsOf(pass, pass.chunk.subIds);
    return pass.offset === 0 ? ids : this.tf.sub(ids, this.tf.scalar(pass.offset / SUB_BLOCK_SIZE, 'int32'));
  }

  /** Sum of the rows of `x` per segment id: [numSegments, ...x.shape[1:]]. Call inside tidy. */
  private segmentSum<T extends Tensor<Rank>>(x: T, ids: Tensor1D, numSegments: number): T {
    const tf = this.tf;
    if (this.runtime.nativeSegmentSum) return tf.unsortedSegmentSum(x, ids, numSegments);
    return tf.scatterND(tf.expandDims(ids, 1), x, [numSegments, ...x.shape.slice(1)]) as T;
  }

  /**
   * Writes the centred, augmented centroids `[-2 c', |c'|²]` (c' = c - mean)
   * into the scratch, transposed, and uploads them as a [d + 1, count] tensor
   * (a plain matMul: tfjs-wasm's transposed-B matMul is several times slower).
   */
  private uploadCentroids(centroids: Float32Array, count: number): Tensor2D {
    const { dims, mean } = this;
    const width = dims + 1;
    if (this.cAug.length < count * width) this.cAug = new Float32Array(count * width);
    const a = this.cAug;
    for (let c = 0; c < count; c++) {
      let sq = 0;
      for (let j = 0; j < dims; j++) {
        const v = Math.fround(centroids[c * dims + j]! - mean[j]!);
        a[j * count + c] = -2 * v;
        sq += v * v;
      }
      a[dims * count + c] = sq;
    }
    return this.tf.tensor2d(a.subarray(0, count * width), [width, count], 'float32');
  }

  /** `-2 x·c + |c|²` for a pass's rows and the uploaded centroids: [rows, count] (add |x|² for the distance). Call inside tidy. */
  private crossTerms(pass: Pass, cAugT: Tensor2D): Tensor2D {
    return this.tf.matMul(this.rowsOf(pass, pass.chunk.xa), cAugT);
  }

  /** Squared distances of a pass's rows to the uploaded centroids, clamped at 0: [rows, count]. Call inside tidy. */
  private distances(pass: Pass, cAugT: Tensor2D): Tensor2D {
    const tf = this.tf;
    const x2 = tf.expandDims(this.rowsOf(pass, pass.chunk.x2), 1);
    return tf.relu(tf.add(this.crossTerms(pass, cAugT), x2)) as Tensor2D;
  }

  private async read<T extends Float32Array | Int32Array>(t: Tensor): Promise<T> {
    return (this.runtime.asyncReadsOnly ? await t.data() : t.dataSync()) as T;
  }

  async assign(centroids: Float32Array, k: number, sums: Float64Array, counts: Float64Array): Promise<AssignStats> {
    await this.ready();
    const tf = this.tf;
    const { dims } = this;
    const width = dims + 1;
    sums.fill(0, 0, k * dims);
    counts.fill(0, 0, k);
    let wcss = 0;
    let changed = 0;
    const cAug = this.uploadCentroids(centroids, k);
    let parts: { labels: Tensor1D[]; distances: Tensor1D[] } = { labels: [], distances: [] };
    try {
      for (const pass of this.passes(k)) {
        await this.breathe();
        const chunk = pass.chunk;
        const out = tf.tidy(() => {
          // |x|² is the same for every centroid of a row: argMin over the cross terms
          // alone, then add |x|² and clamp only the row minima (max(0, ·) is monotone).
          const cross = this.crossTerms(pass, cAug);
          const labels = tf.argMin(cross, 1) as Tensor1D;
          const mins = tf.relu(tf.add(tf.min(cross, 1), this.rowsOf(pass, chunk.x2))) as Tensor1D;
          const blockIds = this.passBlockIds(pass);
          const ids = tf.add(tf.mul(blockIds, tf.scalar(k, 'int32')), labels) as Tensor1D;
          // Weighted: rows (with their trailing 1, the count) and distances times the row's weight.
          const w = chunk.w ? this.rowsOf(pass, chunk.w) : null;
          const xa = this.rowsOf(pass, chunk.xa);
          const clusterSums = this.segmentSum(w ? tf.mul(xa, tf.expandDims(w, 1)) : xa, ids, pass.blocks * k);
          const blockWcss = this.segmentSum(w ? tf.mul(mins, w) : mins, this.passSubIds(pass), pass.subBlocks);
          const prev = chunk.labels ? this.rowsOf(pass, chunk.labels) : null;
          const diff = prev ? tf.sum(tf.cast(tf.notEqual(labels, prev), 'int32')) : tf.scalar(pass.rows, 'int32');
          return { labels, mins, clusterSums, blockWcss, diff };
        });
        parts.labels.push(out.labels);
        parts.distances.push(out.mins);
        try {
          const [s, w, d] = await Promise.all([
            this.read<Float32Array>(out.clusterSums),
            this.read<Float32Array>(out.blockWcss),
            this.read<Int32Array>(out.diff),
          ]);
          // Block order: block b of this pass, then the next block.
          for (let q = 0; q < pass.subBlocks; q++) wcss += w[q]!;
          for (let b = 0; b < pass.blocks; b++) {
            for (let c = 0; c < k; c++) {
              const row = (b * k + c) * width;
              counts[c]! += s[row + dims]!;
              for (let j = 0; j < dims; j++) sums[c * dims + j]! += s[row + j]!;
            }
          }
          changed += d[0]!;
        } finally {
          tf.dispose([out.clusterSums, out.blockWcss, out.diff]);
        }
        if (pass.offset + pass.rows === chunk.rows) {
          this.replaceState(chunk, 'labels', parts.labels);
          this.replaceState(chunk, 'distances', parts.distances);
          parts = { labels: [], distances: [] };
        }
      }
    } finally {
      cAug.dispose();
      // Parts of an interrupted chunk (only on error).
      tf.dispose([...parts.labels, ...parts.distances]);
    }
    // Back from centred rows to the caller's: sum x = sum (x - mean) + count · mean.
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < dims; j++) sums[c * dims + j]! += counts[c]! * this.mean[j]!;
    }
    return { wcss, changed };
  }

  /** Stores a chunk's new state tensor (concatenating the passes' parts) and frees the old one. */
  private replaceState(chunk: Chunk, key: 'labels' | 'distances' | 'closest', parts: Tensor1D[]): void {
    const tf = this.tf;
    let next: Tensor1D;
    if (parts.length === 1) next = parts[0]!;
    else {
      next = tf.concat(parts, 0);
      tf.dispose(parts);
    }
    chunk[key]?.dispose();
    chunk[key] = next;
  }

  async candidatePotentials(candidates: Float32Array, count: number, out: Float64Array): Promise<void> {
    await this.ready();
    const tf = this.tf;
    this.dropKept();
    out.fill(0, 0, count);
    // Each candidate's min(closest, d²) per row, kept for chooseCandidate (within a memory cap).
    const keep = this.rows * count * 4 <= KEEP_MAX_BYTES;
    const kept = new Map<Chunk, Tensor2D>();
    let parts: Tensor2D[] = [];
    const cAug = this.uploadCentroids(candidates, count);
    try {
      for (const pass of this.passes(count)) {
        await this.breathe();
        const chunk = pass.chunk;
        const r = tf.tidy(() => {
          const dist = this.distances(pass, cAug);
          const closest = chunk.closest ? tf.expandDims(this.rowsOf(pass, chunk.closest), 1) : tf.zeros([pass.rows, 1]);
          const m = tf.minimum(dist, closest) as Tensor2D;
          const wm = chunk.w ? tf.mul(m, tf.expandDims(this.rowsOf(pass, chunk.w), 1)) : m;
          return { m, blockPot: this.segmentSum(wm, this.passSubIds(pass), pass.subBlocks) };
        });
        if (keep) parts.push(r.m);
        else r.m.dispose();
        try {
          const p = await this.read<Float32Array>(r.blockPot);
          for (let b = 0; b < pass.subBlocks; b++) {
            for (let t = 0; t < count; t++) out[t]! += p[b * count + t]!;
          }
        } finally {
          r.blockPot.dispose();
        }
        if (keep && pass.offset + pass.rows === chunk.rows) {
          kept.set(chunk, parts.length === 1 ? parts[0]! : tf.concat(parts, 0));
          if (parts.length > 1) tf.dispose(parts);
          parts = [];
        }
      }
    } catch (error) {
      tf.dispose([...parts, ...kept.values()]);
      throw error;
    } finally {
      cAug.dispose();
    }
    this.lastCandidates = { candidates: candidates.slice(0, count * this.dims), potentials: Float64Array.from(out.subarray(0, count)), kept: keep ? kept : null };
  }

  /**
   * Takes candidate `index` of the last candidatePotentials: its kept column
   * becomes the closest distances (no pass over the data), or an update pass
   * runs when they were not kept.
   */
  async chooseCandidate(index: number): Promise<number> {
    await this.ready();
    const last = this.lastCandidates;
    if (!last || index < 0 || index >= last.potentials.length) {
      this.dropKept();
      throw new SegmentaError('INVALID_OPTION', `chooseCandidate(${index}): no such candidate in the last candidatePotentials call`);
    }
    const kept = last.kept;
    if (!kept) {
      this.lastCandidates = undefined;
      return this.updateClosest(last.candidates.subarray(index * this.dims, (index + 1) * this.dims), false);
    }
    const tf = this.tf;
    for (const chunk of this.chunks) {
      const m = kept.get(chunk)!;
      const column = tf.tidy(() => tf.reshape(tf.slice(m, [0, index], [chunk.rows, 1]), [chunk.rows]) as Tensor1D);
      this.replaceState(chunk, 'closest', [column]);
    }
    this.dropKept();
    return last.potentials[index]!;
  }

  /** Frees the kept candidate distances of the last candidatePotentials call. */
  private dropKept(): void {
    const kept = this.lastCandidates?.kept;
    if (kept) this.tf.dispose([...kept.values()]);
    this.lastCandidates = undefined;
  }

  async updateClosest(center: Float32Array, reset: boolean): Promise<number> {
    await this.ready();
    this.dropKept(); // the kept distances no longer start from closest
    const tf = this.tf;
    let potential = 0;
    const cAug = this.uploadCentroids(center, 1);
    let parts: Tensor1D[] = [];
    try {
      for (const pass of this.passes(1)) {
        await this.breathe();
        const chunk = pass.chunk;
        const out = tf.tidy(() => {
          const dist = tf.reshape(this.distances(pass, cAug), [pass.rows]) as Tensor1D;
          const closest = reset || !chunk.closest ? dist : (tf.minimum(this.rowsOf(pass, chunk.closest), dist) as Tensor1D);
          const weighted = chunk.w ? (tf.mul(closest, this.rowsOf(pass, chunk.w)) as Tensor1D) : closest;
          return { closest, blockPot: this.segmentSum(weighted, this.passSubIds(pass), pass.subBlocks) };
        });
        parts.push(out.closest);
        try {
          const p = await this.read<Float32Array>(out.blockPot);
          for (let b = 0; b < pass.subBlocks; b++) potential += p[b]!;
        } finally {
          out.blockPot.dispose();
        }
        if (pass.offset + pass.rows === chunk.rows) {
          this.replaceState(chunk, 'closest', parts);
          parts = [];
        }
      }
    } finally {
      cAug.dispose();
      tf.dispose(parts);
    }
    return potential;
  }

  /** Matrix-free linkage (exact Ward, single): the js reference's scans, on the job's float32 data. */
  async linkageStart(kind: 'ward' | 'single'): Promise<void> {
    this.linkage.start(kind);
  }
  async wardNearest(x: number, prev: number): Promise<LinkageNearest> {
    return this.linkage.wardNearest(x, prev);
  }
  async wardMerge(x: number, y: number): Promise<void> {
    this.linkage.wardMerge(x, y);
  }
  async primStep(x: number): Promise<LinkageNearest> {
    return this.linkage.primStep(x);
  }

  /**
   * Euclidean distances between rows i in [rowStart, rowEnd) and every row
   * j > i, condensed (scipy order). Computed as differences, not the matMul
   * form, so near-duplicate rows keep accurate small distances.
   */
  async pairwiseDistances(rowStart: number, rowEnd: number, out: Float64Array): Promise<void> {
    await this.ready();
    const tf = this.tf;
    const { rows, dims } = this;
    let o = 0;
    // Rows i per step so that [step, chunkRows, dims] temporaries fit the budget.
    const perI = Math.max(1, Math.floor(this.settings.memoryBudgetBytes / (Math.min(this.settings.chunkRows, Math.max(rows, 1)) * (dims * 8 + 16))));
    for (let i0 = rowStart; i0 < rowEnd; i0 += perI) {
      await this.breathe();
      const i1 = Math.min(rowEnd, i0 + perI);
      const xi = tf.tidy(() => this.gatherRows(i0, i1));
      try {
        // Distances of rows i0..i1 to every row, chunk by chunk.
        const full = new Float32Array((i1 - i0) * rows);
        for (const chunk of this.chunks) {
          const d = tf.tidy(() => {
            const xj = tf.slice(chunk.xa, [0, 0], [chunk.rows, dims]);
            return tf.sqrt(tf.sum(tf.squaredDifference(tf.expandDims(xi, 1), tf.expandDims(xj, 0)), 2));
          });
          try {
            const v = await this.read<Float32Array>(d);
            for (let r = 0; r < i1 - i0; r++) full.set(v.subarray(r * chunk.rows, (r + 1) * chunk.rows), r * rows + chunk.start);
          } finally {
            d.dispose();
          }
        }
        for (let i = i0; i < i1; i++) {
          const base = (i - i0) * rows;
          for (let j = i + 1; j < rows; j++) out[o++] = full[base + j]!;
        }
      } finally {
        xi.dispose();
      }
    }
  }

  /** Centred rows [i0, i1) (without the ones column) as one [i1 - i0, dims] tensor. Call inside tidy. */
  private gatherRows(i0: number, i1: number): Tensor2D {
    const tf = this.tf;
    const dims = this.dims;
    const parts: Tensor2D[] = [];
    for (const chunk of this.chunks) {
      const a = Math.max(i0, chunk.start);
      const b = Math.min(i1, chunk.start + chunk.rows);
      if (a < b) parts.push(tf.slice(chunk.xa, [a - chunk.start, 0], [b - a, dims]));
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
  }

  private async readState<T extends Float32Array | Int32Array>(key: 'labels' | 'distances' | 'closest', out: T, empty: number): Promise<void> {
    await this.ready();
    for (const chunk of this.chunks) {
      const t = chunk[key];
      if (t) out.set(await this.read<T>(t), chunk.start);
      else out.fill(empty, chunk.start, chunk.start + chunk.rows);
    }
  }

  async readClosest(out: Float32Array): Promise<void> {
    await this.readState('closest', out, 0);
  }
  async readLabels(out: Int32Array): Promise<void> {
    await this.readState('labels', out, -1);
  }
  async readDistances(out: Float32Array): Promise<void> {
    await this.readState('distances', out, 0);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.dropKept();
    for (const c of this.chunks) {
      this.tf.dispose([c.xa, c.x2, c.blockIds, c.subIds, ...(c.w ? [c.w] : [])]);
      for (const t of [c.labels, c.distances, c.closest]) t?.dispose();
      c.labels = c.distances = c.closest = null;
    }
    this.chunks.length = 0;
  }
}
