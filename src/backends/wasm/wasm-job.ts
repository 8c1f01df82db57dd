/**
 * A wasm job: one matrix in one shared `WebAssembly.Memory`, the kernels
 * instantiated on it by `threads` pooled worker threads.
 *
 * ## Off the caller's thread
 * The calling thread never runs a kernel: it posts a command to the control
 * block, wakes the workers and awaits `Atomics.waitAsync` on the pending
 * count, so the event loop stays free (timers, I/O, HTTP requests, Ctrl-C)
 * while a pass runs. The job's AbortSignal (from `createJob`) stops a pass in
 * flight: the host moves the shared block counter past the end, each worker
 * finishes the block it holds (a few milliseconds) and claims no more, and the
 * call rejects with `AbortedError` once every worker is idle again, so the job
 * can be disposed at once. The exceptions, where waking a worker would cost
 * more than the work: a matrix-free linkage scan of fewer than 8 blocks (tens
 * of microseconds), and, in a one-thread job, a pass of at most
 * {@link INLINE_MAX_OPS} multiply-adds (a table of a few thousand rows and a
 * small k: well under a millisecond). Those run inline on the host, in slices:
 * once inline passes have held the event loop for 8 ms, the next one first
 * yields to it (and honours an abort). A one-thread job starts its worker on
 * its first pass that does not run inline, so a small table's job starts none.
 * The host runs the same kernel as worker 0 would, so the results are the same.
 *
 * ## Threads and determinism
 * A command (assign, potentials, updateClosest, pairwise) is run by every
 * worker: each claims whole 4096-row blocks (the contract's ROW_BLOCK_SIZE)
 * from a shared counter and writes that block's partials (WCSS, per-cluster
 * sums and counts, potentials) to the block's own slot. The host then adds
 * the slots in block order. Which thread ran a block never shows in the
 * result, so results are identical for any thread count, and identical to
 * the `js` reference, which sums the same blocks in the same order.
 *
 * ## Exact bounds (Hamerly)
 * With bounds on, each row keeps a float32 lower bound on its Euclidean
 * distance to every centroid other than its own, stored in "drift
 * coordinates" (`lower[i] = L + D_s`, see assign_test in
 * assembly/generate-kernels.mjs): D grows by the largest centroid shift of each
 * pass, so `lower[i] − D_t` still bounds the distance after the centroids
 * moved (triangle inequality), and a row that passes writes nothing. The
 * distance to the own centroid is computed exactly (WCSS needs it anyway); a
 * 4-row group skips the other centroids only when, for every lane,
 * `own < lb² · (1 − γ) · (1 − 2⁻²⁰)` with `γ = 1.01·(d+2)·2⁻²⁴`, which bounds
 * the float32 rounding of the contract's distance. Every stored quantity is
 * rounded toward safety (bounds down, shifts and drift up), so a skip happens
 * only when plain Lloyd gives the same label; ties always take the full path.
 * Labels are therefore exactly those of the full pass, and sums and WCSS are
 * accumulated as usual, in row order within blocks.
 *
 * `auto` mode (the default) builds bounds once Lloyd converges (a pass changed
 * at most 2% of labels), tests them while at least half the 4-row groups skip,
 * and otherwise runs plain passes; see {@link boundsByDefault} for which
 * (d, k) it considers at all.
 *
 * Block sums are cached: a block in which no label changed keeps its partial
 * sums from the previous pass (they are bit-identical by construction).
 */
import type { Worker } from 'node:worker_threads';
import { AbortedError, SegmentaError, throwIfAborted } from '../../common/errors.js';
import { TimeSlicer, yieldToEventLoop } from '../../common/time-slice.js';
import { mergedCoordinate, squaredDistanceF32, wardCost, type AssignStats, type JobOptions, type KernelJob, type LinkageNearest } from '../kernel-contract.js';
import { wasmApi, type WasmMemory, type WasmModule } from './wasm-api.js';
import type { KernelExports, LoadedKernels } from './wasm-module.js';
import { attachWorkers, releaseWorkers } from './wasm-threads.js';
import {
  CMD_ASSIGN,
  CMD_EXIT,
  CMD_PAIRWISE,
  CMD_POTENTIALS,
  CMD_UPDATE,
  CMD_PRIM_SCAN,
  CMD_WARD_SCAN,
  F_DRIFT,
  F_KDOWN,
  F_KSTORE,
  F_KTEST,
  F_TINY,
  FLAG_BOUNDS,
  FLAG_BOUNDS_VALID,
  FLAG_KEEP,
  FLAG_RESET,
  FLAG_WEIGHTED,
  INITIAL_COUNT_CAPACITY,
  INITIAL_K_CAPACITY,
  S_BCHANGED,
  S_BCOUNTS,
  S_BPASSED,
  S_BPOT,
  S_BSUMS,
  S_BVALID,
  S_BWCSS,
  S_CAND,
  S_CENT,
  S_CLOSEST,
  S_CMD,
  S_COUNT,
  S_COUNTS,
  S_DATA,
  S_DIMS,
  S_ERROR,
  S_FLAGS,
  S_GEN,
  S_KEEP,
  S_KEEP_STRIDE,
  S_K,
  S_LABELS,
  S_LNK_CAP,
  S_LNK_COLS,
  S_LNK_M,
  S_LNK_Q,
  S_LNK_RES,
  S_LNK_W,
  S_LOWER,
  S_NBLOCKS,
  S_NEXT,
  S_OUT,
  S_PENDING,
  S_POTOUT,
  S_ROW0,
  S_ROW1,
  S_ROWS,
  S_SCRATCH,
  S_SCRATCH_STRIDE,
  S_SPLAT,
  S_SUMS,
  S_WEIGHTS,
  WASM32_MAX_PAGES,
  boundConstants,
  checkMemoryLimit,
  f32Ceil,
  pagesFor,
  planWork,
  type FixedLayout,
  type WorkLayout,
} from './wasm-layout.js';
import { groupDigits } from '../../common/format-number.js';

/** When the bound-based assign runs: `auto` follows {@link boundsByDefault}. */
export type BoundsMode = 'auto' | 'on' | 'off';
/** Environment variable that overrides the bounds mode of every wasm job (`auto`, `on`, `off`). */
export const BOUNDS_ENV = 'SEGMENTA_WASM_BOUNDS';

/** Options of a wasm job: the contract's plus the bounds mode. */
export interface WasmJobOptions extends JobOptions {
  /** Hamerly bounds in assign. Default `auto` (or the `SEGMENTA_WASM_BOUNDS` environment variable). */
  bounds?: BoundsMode;
}

/**
 * Where bounds win by default, from the kernel bench (src/benchmark/kernel-bench.ts):
 * the skip test costs about one distance per row plus the bound upkeep, so it
 * pays once a full pass computes enough distances per row.
 */
export function boundsByDefault(dims: number, k: number): boolean {
  return k * Math.min(dims, 8) >= 16;
}

/** A shared memory set up for (rows, dims), possibly already holding the data (allocateMatrix). */
export interface JobMemory {
  memory: WasmMemory;
  fixed: FixedLayout;
  /** True when the data region already holds the matrix. */
  filled: boolean;
  /** Called when the job is disposed (releases an adopted matrix for another job). */
  onRelease?: () => void;
}

/** `auto` builds bounds once a pass changes at most this fraction of the labels. */
const BOUNDS_START_CHANGED = 0.02;
/** `auto` drops bounds after a test pass in which fewer 4-row groups than this skipped. */
const BOUNDS_MIN_PASS_RATE = 0.5;

const PAIRWISE_STAGING_DOUBLES = 1 << 21;
/** Linkage scans of fewer blocks than this run inline on the host (see linkageScan). */
const LINKAGE_THREADS_MIN_BLOCKS = 8;
/**
 * A one-thread job runs a pass of at most this many multiply-adds (rows × k ×
 * dims for an assign pass) inline on the host: well under a millisecond, less
 * than waking a worker and awaiting it costs (tens of microseconds of CPU on
 * both sides). See the module comment.
 */
export const INLINE_MAX_OPS = 1 << 18;
/**
 * candidatePotentials keeps every candidate's closest distances (in the staging
 * area) when they take at most this many bytes; above, chooseCandidate runs an
 * update pass instead (same result, one more pass over the data).
 */
const KEEP_MAX_BYTES = 64 << 20;
/** readDistances runs on the host in chunks of this many rows, yielding between them. */
const DISTANCE_CHUNK_ROWS = 1 << 16;
/** Written to the shared work counter to stop a command: no worker claims a block or row after it. */
const STOP_CLAIMS = 0x40000000;
/** How often (ms) the host re-checks worker health while it waits for a command. */
const WAIT_POLL_MS = 250;

type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** The job (see the module comment). Create it through the wasm backend. */
export class WasmJob implements KernelJob {
  readonly backend: string;
  readonly exact = true;
  readonly rows: number;
  readonly dims: number;
  readonly threads: number;
  private boundsMode: BoundsMode;
  private memory: WasmMemory | null;
  private readonly exports: KernelExports;
  private readonly fixed: FixedLayout;
  private work: WorkLayout;
  private workers: Worker[] = [];
  /** The kernels, for workers attached later (a one-thread job attaches its worker on its first pass that is not inline). */
  private readonly module: WasmModule;
  /** Slices of the event loop that inline passes take (see the module comment). */
  private readonly slicer: TimeSlicer;
  private readonly ctrlPtr: number;
  private readonly ctrl: Int32Array;
  private readonly ctrlF32: Float32Array;
  /** Drift of the bounds: sum of the largest centroid shift per pass since they were reset (exact float32). */
  private drift = 0;
  /** Fraction of 4-row groups that skipped the other centroids in the last pass (-1: no bound test ran). */
  lastPassRate = -1;
  // views over the whole memory, refreshed when it grows; dropped on dispose
  private buffer: SharedArrayBuffer | undefined;
  private i32: Int32Array = undefined as unknown as Int32Array;
  private f32: Float32Array = undefined as unknown as Float32Array;
  private f64: Float64Array = undefined as unknown as Float64Array;
  /** k the cached block sums were computed for (-1: none). */
  private cacheK = -1;
  /** k the lower bounds and previous centroids hold for (-1: none). */
  private boundsK = -1;
  /** k of the last assign pass (-1: none yet). */
  private lastK = -1;
  /** Labels the last assign pass changed. */
  private lastChanged = Infinity;
  private disposed = false;
  /** Matrix-free linkage state (see linkageStart). */
  private lnk: LinkageTable | undefined;
  /**
   * The last candidatePotentials call, for chooseCandidate: its candidates,
   * potentials and, when `kept`, each candidate's closest distances in the
   * staging area at `keep + t × keepStride` (dropped when anything else uses staging).
   */
  private lastCandidates: { candidates: Float32Array; potentials: Float64Array; kept: boolean } | undefined;
  private readonly onRelease: (() => void) | undefined;
  private readonly signal: AbortSignal | undefined;
  /** The command in flight, if any (dispose waits for it). */
  private inflight: Promise<void> | undefined;
  /** FLAG_WEIGHTED when the job has sample weights (in the workspace), else 0: or'ed into every command's flags. */
  private readonly weightFlag: number;
  /** Set when a worker thread died; every later command fails with it. */
  private workerFailure: Error | undefined;
  private readonly onWorkerExit = (code: number): void => {
    this.workerFailure ??= new Error(`a wasm worker thread exited (code ${code}) while attached to a job`);
  };
  private readonly onWorkerError = (error: Error): void => {
    this.workerFailure ??= error;
  };

  private constructor(kernels: LoadedKernels, mem: JobMemory, threads: number, bounds: BoundsMode, signal: AbortSignal | undefined, weights: Float64Array | undefined) {
    this.signal = signal;
    this.memory = mem.memory;
    this.fixed = mem.fixed;
    this.rows = mem.fixed.rows;
    this.dims = mem.fixed.dims;
    this.threads = threads;
    this.boundsMode = bounds;
    this.onRelease = mem.onRelease;
    this.backend = `wasm-simd (${threads} thread${threads === 1 ? '' : 's'})`;
    this.module = kernels.module;
    this.slicer = new TimeSlicer(signal);
    const instance = new wasmApi!.Instance(kernels.module, { env: { memory: mem.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.ctrlPtr = mem.fixed.ctrl;
    this.ctrl = new Int32Array(mem.memory.buffer, this.ctrlPtr, 64);
    this.ctrlF32 = new Float32Array(mem.memory.buffer, this.ctrlPtr, 64);
    this.weightFlag = weights ? FLAG_WEIGHTED : 0;
    this.work = planWork(this.fixed, INITIAL_K_CAPACITY, INITIAL_COUNT_CAPACITY, threads, 0, weights ? this.rows : 0);
    this.growTo(this.work.end);
    this.refreshViews();
    if (weights) this.f64.set(weights, this.work.weights >>> 3);
  }

  /**
   * Creates a job: sets up the memory, copies the data unless it is already
   * there, resets the per-row state and attaches `threads` workers (a
   * one-thread job: on its first pass that does not run inline).
   */
  static async create(kernels: LoadedKernels, data: Float32Array, mem: JobMemory, options: WasmJobOptions): Promise<WasmJob> {
    const threads = options.threads!;
    const envMode = process.env[BOUNDS_ENV];
    const bounds: BoundsMode = options.bounds ?? (envMode === 'on' || envMode === 'off' || envMode === 'auto' ? envMode : 'auto');
    const job = new WasmJob(kernels, mem, threads, bounds, options.signal, options.weights);
    try {
      throwIfAborted(options.signal);
      if (!mem.filled) await job.copyIn(data, mem.fixed.data >>> 2);
      throwIfAborted(options.signal);
      await job.initState();
      if (threads > 1) await job.attach();
      throwIfAborted(options.signal);
    } catch (error) {
      await job.dispose();
      throw error;
    }
    return job;
  }

  /** Attaches the job's `threads` workers to its memory. */
  private async attach(): Promise<void> {
    this.workers = await attachWorkers(this.threads, this.module, this.memory!, this.ctrlPtr, Atomics.load(this.ctrl, S_GEN));
    for (const w of this.workers) {
      w.on('exit', this.onWorkerExit);
      w.on('error', this.onWorkerError);
    }
  }

  /** Copies the matrix into wasm memory in slices of 4 MB, yielding between them. */
  private async copyIn(data: Float32Array, at: number): Promise<void> {
    const step = 1 << 20;
    for (let q = 0; q < data.length; q += step) {
      if (q > 0) {
        await yieldToEventLoop();
        throwIfAborted(this.signal);
      }
      this.f32.set(data.subarray(q, Math.min(data.length, q + step)), at + q);
    }
  }

  /** Changes the bounds mode of later assign passes (benchmarks compare both). */
  setBounds(mode: BoundsMode): void {
    this.boundsMode = mode;
    this.boundsK = -1;
  }

  /** Whether an assign with `k` centroids uses bounds under the current mode. */
  usesBounds(k: number): boolean {
    return this.boundsMode === 'on' || (this.boundsMode === 'auto' && boundsByDefault(this.dims, k));
  }

  /** Resets the per-row state (labels -1, bounds and closest 0) in slices, yielding between them. */
  private async initState(): Promise<void> {
    const { fixed, i32, f32 } = this;
    const n = this.rows;
    await this.fillSliced(i32, -1, fixed.labels >>> 2, (fixed.labels >>> 2) + n);
    i32.fill(0, (fixed.labels >>> 2) + n, (fixed.labels >>> 2) + n + 8);
    await this.fillSliced(f32, 0, fixed.lower >>> 2, (fixed.lower >>> 2) + n + 8);
    await this.fillSliced(f32, 0, fixed.closest >>> 2, (fixed.closest >>> 2) + n + 8);
    i32.fill(0, fixed.bValid >>> 2, (fixed.bValid >>> 2) + fixed.nBlocks);
    // zero the padding after the data (an adopted matrix's memory may be reused)
    const dataEnd = (fixed.data >>> 2) + n * this.dims;
    f32.fill(0, dataEnd, dataEnd + 8 * this.dims + 16);
    const c = this.ctrl;
    c[S_ROWS] = n;
    c[S_DIMS] = this.dims;
    c[S_NBLOCKS] = fixed.nBlocks;
    c[S_DATA] = fixed.data;
    c[S_LABELS] = fixed.labels;
    c[S_LOWER] = fixed.lower;
    c[S_CLOSEST] = fixed.closest;
    c[S_BWCSS] = fixed.bWcss;
    c[S_BCHANGED] = fixed.bChanged;
    c[S_BVALID] = fixed.bValid;
    c[S_BPASSED] = fixed.bPassed;
    const k = boundConstants(this.dims);
    const cf = this.ctrlF32;
    cf[F_KSTORE] = k.kStore;
    cf[F_KTEST] = k.kTest;
    cf[F_KDOWN] = k.kDown;
    cf[F_TINY] = k.tiny;
    cf[F_DRIFT] = 0;
    this.writeWorkSlots();
  }

  private async fillSliced(a: Int32Array | Float32Array, value: number, from: number, to: number): Promise<void> {
    const step = 1 << 20;
    for (let p = from; p < to; p += step) {
      if (p > from) {
        await yieldToEventLoop();
        throwIfAborted(this.signal);
      }
      a.fill(value, p, Math.min(to, p + step));
    }
  }

  private writeWorkSlots(): void {
    const c = this.ctrl;
    const w = this.work;
    c[S_CENT] = w.cent;
    c[S_SPLAT] = w.splat;
    c[S_CAND] = w.cand;
    c[S_BSUMS] = w.bSums;
    c[S_BCOUNTS] = w.bCounts;
    c[S_BPOT] = w.bPot;
    c[S_SUMS] = w.sums;
    c[S_COUNTS] = w.counts;
    c[S_POTOUT] = w.potOut;
    c[S_SCRATCH] = w.scratch;
    c[S_SCRATCH_STRIDE] = w.scratchStride;
    c[S_OUT] = w.staging;
    c[S_WEIGHTS] = w.weights;
  }

  private growTo(bytes: number): void {
    const memory = this.memory!;
    checkMemoryLimit(this.rows, this.dims, bytes, `this job`);
    const have = memory.buffer.byteLength / 65536;
    const need = pagesFor(bytes);
    if (need > have) {
      try {
        memory.grow(need - have);
      } catch (error) {
        throw new SegmentaError(
          'MEMORY_LIMIT',
          `the wasm backend could not grow its memory to ${groupDigits(bytes)} bytes (${need} of at most ${WASM32_MAX_PAGES} pages): ${(error as Error).message}`,
          { neededBytes: bytes },
        );
      }
    }
  }

  private refreshViews(): void {
    const buffer = this.memory!.buffer as SharedArrayBuffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** Makes room for k centroids, `count` candidates and `staging` bytes; re-lays out the workspace when needed. */
  private ensureWork(k: number, count: number, staging: number): void {
    const w = this.work;
    if (k <= w.kCap && count <= w.countCap && staging <= w.stagingBytes) return;
    const kCap = k <= w.kCap ? w.kCap : Math.max(k, 2 * w.kCap);
    const countCap = count <= w.countCap ? w.countCap : Math.max(count, 2 * w.countCap);
    const stagingBytes = Math.max(staging, w.stagingBytes);
    const next = planWork(this.fixed, kCap, countCap, this.threads, stagingBytes, w.weightRows);
    this.dropStaging(); // the linkage table and kept candidates lived in the old staging area
    // keep the last assign's centroids (readDistances needs them); block caches and bounds restart
    const kd = Math.max(this.lastK, 0) * this.dims;
    const saved = this.f32.slice(w.cent >>> 2, (w.cent >>> 2) + kd);
    const weights = w.weightRows > 0 ? this.f64.slice(w.weights >>> 3, (w.weights >>> 3) + w.weightRows) : undefined;
    this.growTo(next.end);
    this.refreshViews();
    this.work = next;
    this.f32.set(saved, next.cent >>> 2);
    if (weights) this.f64.set(weights, next.weights >>> 3);
    this.cacheK = -1;
    this.boundsK = -1;
    this.writeWorkSlots();
  }

  private live(): void {
    if (this.disposed) throw new SegmentaError('INVALID_OPTION', `this ${this.backend} job has been disposed`);
  }

  /**
   * Runs `cmd` on every worker of the job and awaits them without blocking
   * the event loop. An abort stops the claims; the call still waits until
   * every worker is idle, then rejects with `AbortedError`.
   *
   * A single work item (`items` <= 1: a linkage scan of a few blocks, ~10 µs
   * each) and, in a one-thread job, a pass of at most {@link INLINE_MAX_OPS}
   * multiply-adds (`ops`) run inline on the host instead, where waking the
   * workers would cost more than the work; in slices of the event loop.
   */
  private run(cmd: number, items = Infinity, ops = Infinity): Promise<void> {
    const inline = cmd !== CMD_EXIT && (items <= 1 || (this.threads === 1 && ops <= INLINE_MAX_OPS));
    if (inline && !this.slicer.due()) {
      this.runInline(cmd);
      return Promise.resolve();
    }
    const done = inline
      ? this.slicer.pause().then(
          () => this.runInline(cmd),
          (error: unknown) => {
            this.forgetPass();
            throw error;
          },
        )
      : this.runNow(cmd);
    this.inflight = done.catch(() => undefined);
    return done;
  }

  private runInline(cmd: number): void {
    const c = this.ctrl;
    try {
      if (this.workerFailure) throw this.workerFailure;
      throwIfAborted(this.signal);
    } catch (error) {
      this.forgetPass();
      throw error;
    }
    c[S_CMD] = cmd;
    c[S_ERROR] = 0;
    Atomics.store(c, S_NEXT, 0);
    this.exports.runCommand(this.ctrlPtr, 0);
  }

  /** After a pass that did not run to the end: forget cached block sums and bounds. */
  private forgetPass(): void {
    this.cacheK = -1;
    this.boundsK = -1;
    this.lastK = -1;
  }

  private async runNow(cmd: number): Promise<void> {
    const c = this.ctrl;
    if (this.workerFailure) throw this.workerFailure;
    if (cmd !== CMD_EXIT) throwIfAborted(this.signal);
    if (this.workers.length === 0 && cmd !== CMD_EXIT) {
      await this.attach();
      if (this.workerFailure) throw this.workerFailure;
      throwIfAborted(this.signal);
    }
    c[S_CMD] = cmd;
    c[S_ERROR] = 0;
    Atomics.store(c, S_NEXT, 0);
    Atomics.store(c, S_PENDING, this.workers.length);
    Atomics.add(c, S_GEN, 1);
    Atomics.notify(c, S_GEN);
    const stop = (): void => void Atomics.store(c, S_NEXT, STOP_CLAIMS);
    const signal = cmd === CMD_EXIT ? undefined : this.signal;
    signal?.addEventListener('abort', stop, { once: true });
    // A pending Atomics.waitAsync does not keep Node alive, and pooled workers are unref'ed: hold the loop open.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      for (let p = Atomics.load(c, S_PENDING); p !== 0; p = Atomics.load(c, S_PENDING)) {
        if (this.workerFailure) throw this.workerFailure;
        if (waitAsync) {
          const r = waitAsync(c, S_PENDING, p, WAIT_POLL_MS);
          if (r.async) await r.value;
        } else {
          await yieldToEventLoop();
        }
      }
    } finally {
      clearInterval(keepAlive);
      signal?.removeEventListener('abort', stop);
    }
    if (signal?.aborted) {
      // the pass is incomplete: forget cached block sums and bounds before throwing
      this.forgetPass();
      throwIfAborted(signal);
      throw new AbortedError();
    }
    if (c[S_ERROR] !== 0) throw new Error(`a wasm worker thread failed while running command ${cmd}`);
  }

  async assign(centroids: Float32Array, k: number, sums: Float64Array, counts: Float64Array): Promise<AssignStats> {
    this.live();
    this.ensureWork(k, 1, 0);
    const d = this.dims;
    const w = this.work;
    const f32 = this.f32;
    const f64 = this.f64;
    const kd = k * d;
    if (k !== this.cacheK) {
      this.i32.fill(0, this.fixed.bValid >>> 2, (this.fixed.bValid >>> 2) + this.fixed.nBlocks);
      this.cacheK = k;
      this.boundsK = -1;
    }
    const cent = w.cent >>> 2;
    for (let q = 0; q < kd; q++) f32[cent + q] = centroids[q]!;
    this.exports.buildSplats(w.splat, w.cent, kd);
    const flags = this.boundsFlags(k);
    if ((flags & FLAG_BOUNDS) !== 0) {
      this.drift = (flags & FLAG_BOUNDS_VALID) !== 0 ? f32Ceil(this.drift + this.maxShift(k)) : 0;
      this.ctrlF32[F_DRIFT] = this.drift;
      f32.copyWithin(w.prev >>> 2, cent, cent + kd);
    }
    const c = this.ctrl;
    c[S_K] = k;
    c[S_FLAGS] = flags | this.weightFlag;
    await this.run(CMD_ASSIGN, Infinity, this.rows * k * d);
    this.boundsK = (flags & FLAG_BOUNDS) !== 0 ? k : -1;
    this.lastPassRate = -1;
    if ((flags & FLAG_BOUNDS_VALID) !== 0) {
      let passed = 0;
      const p = this.fixed.bPassed >>> 2;
      for (let b = 0; b < this.fixed.nBlocks; b++) passed += this.i32[p + b]!;
      this.lastPassRate = passed / Math.ceil(this.rows / 4);
      // loose bounds (centroids jumped, e.g. a new init): go back to plain passes
      if (this.lastPassRate < BOUNDS_MIN_PASS_RATE) this.boundsK = -1;
    }
    const wcss = this.exports.reduceAssign(this.ctrlPtr);
    const changed = this.exports.reduceChanged(this.ctrlPtr);
    this.lastK = k;
    this.lastChanged = changed;
    const s = w.sums >>> 3;
    for (let q = 0; q < kd; q++) sums[q] = f64[s + q]!;
    const n = w.counts >>> 3;
    for (let q = 0; q < k; q++) counts[q] = f64[n + q]!;
    return { wcss, changed };
  }

  /** Block partials of the last assign pass, straight from the blocks' slots (see KernelJob.readAssignBlocks). */
  async readAssignBlocks(wcss: Float64Array, sums: Float64Array): Promise<void> {
    this.live();
    const nb = this.fixed.nBlocks;
    const kd = Math.max(this.lastK, 0) * this.dims;
    const w = this.fixed.bWcss >>> 3;
    wcss.set(this.f64.subarray(w, w + nb));
    const s = this.work.bSums >>> 3;
    sums.set(this.f64.subarray(s, s + nb * kd));
  }

  /**
   * The pass's mode. With bounds wanted for this k: keep testing valid bounds;
   * (re)build them with a `second` pass once the previous pass changed few
   * labels (Lloyd is converging, so they will hold); else a plain pass.
   */
  private boundsFlags(k: number): number {
    if (!this.usesBounds(k)) return 0;
    if (this.boundsMode === 'on') return this.boundsK === k ? FLAG_BOUNDS | FLAG_BOUNDS_VALID : FLAG_BOUNDS;
    if (this.boundsK === k) return FLAG_BOUNDS | FLAG_BOUNDS_VALID;
    if (this.lastK === k && this.lastChanged <= BOUNDS_START_CHANGED * this.rows) return FLAG_BOUNDS;
    return 0;
  }

  /** How far the farthest-moving centroid moved since the last pass (Euclidean, rounded up). */
  private maxShift(k: number): number {
    const { f32, dims: d } = this;
    const cent = this.work.cent >>> 2;
    const prev = this.work.prev >>> 2;
    let max = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const dl = f32[cent + c * d + j]! - f32[prev + c * d + j]!;
        s += dl * dl;
      }
      if (s > max) max = s;
    }
    return Math.sqrt(max) * (1 + 1e-12);
  }

  async candidatePotentials(candidates: Float32Array, count: number, out: Float64Array): Promise<void> {
    this.live();
    const keepStride = Math.ceil(((this.rows + 8) * 4) / 64) * 64;
    const keep = count * keepStride <= KEEP_MAX_BYTES;
    this.dropStaging();
    this.ensureWork(1, count, keep ? count * keepStride : 0);
    const w = this.work;
    const f32 = this.f32;
    const raw = w.candRaw >>> 2;
    const n = count * this.dims;
    for (let q = 0; q < n; q++) f32[raw + q] = candidates[q]!;
    this.exports.buildSplats(w.cand, w.candRaw, n);
    const c = this.ctrl;
    c[S_COUNT] = count;
    c[S_FLAGS] = (keep ? FLAG_KEEP : 0) | this.weightFlag;
    c[S_KEEP] = w.staging;
    c[S_KEEP_STRIDE] = keepStride;
    await this.run(CMD_POTENTIALS, Infinity, this.rows * count * this.dims);
    this.exports.reducePotentials(this.ctrlPtr);
    const p = w.potOut >>> 3;
    for (let t = 0; t < count; t++) out[t] = this.f64[p + t]!;
    this.lastCandidates = { candidates: candidates.slice(0, n), potentials: Float64Array.from(out.subarray(0, count)), kept: keep };
  }

  /**
   * Takes candidate `index` of the last candidatePotentials: copies its kept
   * closest distances (no pass over the data), or runs the update pass when
   * they were not kept or the staging area was used since.
   */
  async chooseCandidate(index: number): Promise<number> {
    this.live();
    const last = this.lastCandidates;
    this.lastCandidates = undefined;
    if (!last || index < 0 || index >= last.potentials.length) {
      throw new SegmentaError('INVALID_OPTION', `chooseCandidate(${index}): no such candidate in the last candidatePotentials call`);
    }
    const d = this.dims;
    if (!last.kept) return this.updateClosest(last.candidates.subarray(index * d, (index + 1) * d), false);
    const stride = this.ctrl[S_KEEP_STRIDE]!;
    const from = (this.work.staging + index * stride) >>> 2;
    const to = this.fixed.closest >>> 2;
    this.f32.copyWithin(to, from, from + this.rows);
    return last.potentials[index]!;
  }

  /** Forgets whatever lives in the staging area (the linkage table, kept candidates). */
  private dropStaging(): void {
    this.lnk = undefined;
    if (this.lastCandidates) this.lastCandidates.kept = false;
  }

  async updateClosest(center: Float32Array, reset: boolean): Promise<number> {
    this.live();
    if (this.lastCandidates) this.lastCandidates.kept = false; // the kept distances no longer start from closest
    this.ensureWork(1, 1, 0);
    const w = this.work;
    const f32 = this.f32;
    const raw = w.candRaw >>> 2;
    for (let q = 0; q < this.dims; q++) f32[raw + q] = center[q]!;
    this.exports.buildSplats(w.cand, w.candRaw, this.dims);
    this.ctrl[S_FLAGS] = (reset ? FLAG_RESET : 0) | this.weightFlag;
    await this.run(CMD_UPDATE, Infinity, this.rows * this.dims);
    return this.exports.reduceUpdate(this.ctrlPtr);
  }

  async readClosest(out: Float32Array): Promise<void> {
    this.live();
    const p = this.fixed.closest >>> 2;
    out.set(this.f32.subarray(p, p + this.rows));
  }

  async readLabels(out: Int32Array): Promise<void> {
    this.live();
    const p = this.fixed.labels >>> 2;
    out.set(this.i32.subarray(p, p + this.rows));
  }

  /** Recomputes the last assign pass's distances (rows to their centroid), in chunks through the staging area. */
  async readDistances(out: Float32Array): Promise<void> {
    this.live();
    this.dropStaging(); // the staging area is about to be overwritten
    if (this.lastK < 0) {
      out.fill(0, 0, this.rows);
      return;
    }
    const chunk = Math.min(this.rows, DISTANCE_CHUNK_ROWS);
    this.ensureWork(1, 1, chunk * 4);
    const staging = this.work.staging;
    for (let r0 = 0; r0 < this.rows; r0 += chunk) {
      if (r0 > 0) {
        await yieldToEventLoop();
        throwIfAborted(this.signal);
        this.live();
      }
      const r1 = Math.min(this.rows, r0 + chunk);
      this.exports.distancesRange(this.ctrlPtr, r0, r1, staging);
      out.set(this.f32.subarray(staging >>> 2, (staging >>> 2) + (r1 - r0)), r0);
    }
  }

  async pairwiseDistances(rowStart: number, rowEnd: number, out: Float64Array): Promise<void> {
    this.live();
    this.dropStaging(); // the staging area is about to be overwritten
    const n = this.rows;
    const cap = Math.max(n - 1, Math.min(PAIRWISE_STAGING_DOUBLES, pairCount(n, rowStart, rowEnd)));
    if (cap <= 0) return;
    this.ensureWork(1, 1, cap * 8);
    const staging = this.work.staging >>> 3;
    let o = 0;
    let r = rowStart;
    while (r < rowEnd) {
      let total = 0;
      let r2 = r;
      while (r2 < rowEnd && total + (n - 1 - r2) <= cap) {
        total += n - 1 - r2;
        r2++;
      }
      this.ctrl[S_ROW0] = r;
      this.ctrl[S_ROW1] = r2;
      await this.run(CMD_PAIRWISE, Infinity, total * this.dims);
      out.set(this.f64.subarray(staging, staging + total), o);
      o += total;
      r = r2;
    }
  }

  /**
   * Lays out the linkage table in the staging area: `cap` positions
   * (rows rounded up to 4), dims columns (f64 ward, f32 single), the weights,
   * the query and one 16-byte result per block. Filled from the data in row order.
   */
  async linkageStart(kind: 'ward' | 'single'): Promise<void> {
    this.live();
    const n = this.rows;
    const d = this.dims;
    const cap = Math.ceil((n + 1) / 4) * 4;
    const wide = kind === 'ward' ? 8 : 4;
    const align = (x: number): number => Math.ceil(x / 64) * 64;
    const colsBytes = align(d * cap * wide);
    const wBytes = align(cap * wide);
    const qBytes = align((d + 1) * 8 + 16);
    const resBytes = align(Math.ceil(cap / 4096) * 16 + 16);
    this.dropStaging();
    this.ensureWork(1, 1, colsBytes + wBytes + qBytes + resBytes);
    const base = this.work.staging;
    const t: LinkageTable = { kind, m: n, cap, dead: 0, cols: base, w: base + colsBytes, q: base + colsBytes + wBytes, res: base + colsBytes + wBytes + qBytes, ids: new Int32Array(n), pos: new Int32Array(n) };
    for (let i = 0; i < n; i++) t.ids[i] = t.pos[i] = i;
    const data = this.fixed.data >>> 2;
    const f32 = this.f32;
    const f64 = this.f64;
    if (kind === 'ward') {
      const c = t.cols >>> 3;
      for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) f64[c + j * cap + i] = f32[data + i * d + j]!;
      // Starting Ward sizes: the job's sample weights, else 1.
      if (this.weightFlag !== 0) f64.copyWithin(t.w >>> 3, this.work.weights >>> 3, (this.work.weights >>> 3) + n);
      else f64.fill(1, t.w >>> 3, (t.w >>> 3) + n);
      f64.fill(NaN, (t.w >>> 3) + n, (t.w >>> 3) + cap);
    } else {
      const c = t.cols >>> 2;
      for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) f32[c + j * cap + i] = f32[data + i * d + j]!;
      f32.fill(Infinity, t.w >>> 2, (t.w >>> 2) + n);
      f32.fill(NaN, (t.w >>> 2) + n, (t.w >>> 2) + cap);
    }
    const ctrl = this.ctrl;
    ctrl[S_LNK_CAP] = cap;
    ctrl[S_LNK_COLS] = t.cols;
    ctrl[S_LNK_W] = t.w;
    ctrl[S_LNK_Q] = t.q;
    ctrl[S_LNK_RES] = t.res;
    ctrl[S_LNK_M] = n;
    this.lnk = t;
  }

  private linkageTable(kind: 'ward' | 'single'): LinkageTable {
    this.live();
    const t = this.lnk;
    if (!t || t.kind !== kind) throw new SegmentaError('INVALID_OPTION', `linkage kernels: call linkageStart('${kind}') first`);
    return t;
  }

  /** Runs a linkage scan and reduces the blocks in order (strict <): the first position with the smallest value. */
  private async linkageScan(t: LinkageTable, cmd: number): Promise<{ pos: number; value: number }> {
    const blocks = Math.ceil(t.m / 4096);
    this.ctrl[S_LNK_M] = t.m;
    // One scan is short (about 10 µs per block): below LINKAGE_THREADS_MIN_BLOCKS
    // waking the workers costs more than it saves, so one thread claims every block.
    await this.run(cmd, blocks >= LINKAGE_THREADS_MIN_BLOCKS ? blocks : 1);
    let value = Infinity;
    let pos = -1;
    const r = t.res;
    for (let b = 0; b < blocks; b++) {
      const v = this.f64[(r >>> 3) + 2 * b]!;
      const p = this.i32[(r >>> 2) + 4 * b + 2]!;
      if (p >= 0 && (pos < 0 || v < value)) {
        value = v;
        pos = p;
      }
    }
    return { pos, value };
  }

  /** Drops the dead positions of the table once they are half of it (keeps slot order). */
  private compactLinkage(t: LinkageTable): void {
    if (t.dead * 2 < t.m || t.m < 4096) return;
    const { cap } = t;
    const d = this.dims;
    const wide = t.kind === 'ward';
    const w = wide ? this.f64.subarray(t.w >>> 3, (t.w >>> 3) + cap) : this.f32.subarray(t.w >>> 2, (t.w >>> 2) + cap);
    const cols = wide ? this.f64.subarray(t.cols >>> 3, (t.cols >>> 3) + d * cap) : this.f32.subarray(t.cols >>> 2, (t.cols >>> 2) + d * cap);
    let m = 0;
    for (let p = 0; p < t.m; p++) {
      if (Number.isNaN(w[p]!)) continue;
      if (m !== p) {
        w[m] = w[p]!;
        for (let j = 0; j < d; j++) cols[j * cap + m] = cols[j * cap + p]!;
        t.ids[m] = t.ids[p]!;
        t.pos[t.ids[m]!] = m;
      }
      m++;
    }
    w.fill(NaN, m, t.m);
    t.m = m;
    t.dead = 0;
  }

  async wardNearest(x: number, prev: number): Promise<LinkageNearest> {
    const t = this.linkageTable('ward');
    this.compactLinkage(t);
    const d = this.dims;
    const cap = t.cap;
    const f64 = this.f64;
    const c = t.cols >>> 3;
    const w = t.w >>> 3;
    const q = t.q >>> 3;
    const px = t.pos[x]!;
    for (let j = 0; j < d; j++) f64[q + j] = f64[c + j * cap + px]!;
    const nx = f64[w + px]!;
    f64[q + d] = nx;
    f64[w + px] = NaN;
    let found: { pos: number; value: number };
    try {
      found = await this.linkageScan(t, CMD_WARD_SCAN);
    } finally {
      f64[w + px] = nx;
    }
    if (prev >= 0) {
      const pp = t.pos[prev]!;
      const np = f64[w + pp]!;
      let sq = 0;
      if (nx === 1 && np === 1) sq = squaredDistanceF32(this.f32, (this.fixed.data >>> 2) + prev * d, this.f32, (this.fixed.data >>> 2) + x * d, d);
      else {
        for (let j = 0; j < d; j++) {
          const df = f64[c + j * cap + pp]! - f64[q + j]!;
          sq += df * df;
        }
      }
      const cost = wardCost(nx, np, sq);
      if (!(found.value < cost)) return { index: prev, value: cost };
    }
    return { index: t.ids[found.pos]!, value: found.value };
  }

  async wardMerge(x: number, y: number): Promise<void> {
    const t = this.linkageTable('ward');
    const d = this.dims;
    const cap = t.cap;
    const f64 = this.f64;
    const c = t.cols >>> 3;
    const w = t.w >>> 3;
    const px = t.pos[x]!;
    const py = t.pos[y]!;
    const nx = f64[w + px]!;
    const ny = f64[w + py]!;
    for (let j = 0; j < d; j++) f64[c + j * cap + py] = mergedCoordinate(nx, f64[c + j * cap + px]!, ny, f64[c + j * cap + py]!);
    f64[w + py] = nx + ny;
    f64[w + px] = NaN;
    t.dead++;
  }

  async primStep(x: number): Promise<LinkageNearest> {
    const t = this.linkageTable('single');
    this.compactLinkage(t);
    const d = this.dims;
    const f32 = this.f32;
    const px = t.pos[x]!;
    const c = t.cols >>> 2;
    const q = t.q >>> 2;
    for (let j = 0; j < d; j++) f32[q + j] = f32[c + j * t.cap + px]!;
    f32[(t.w >>> 2) + px] = NaN;
    t.dead++;
    const found = await this.linkageScan(t, CMD_PRIM_SCAN);
    return found.pos < 0 ? { index: -1, value: Infinity } : { index: t.ids[found.pos]!, value: Math.sqrt(found.value) };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.inflight;
    const workers = this.workers;
    if (workers.length > 0) {
      for (const w of workers) {
        w.off('exit', this.onWorkerExit);
        w.off('error', this.onWorkerError);
      }
      if (this.workerFailure) {
        await Promise.all(workers.map((w) => w.terminate()));
      } else {
        await this.run(CMD_EXIT);
        await releaseWorkers(workers);
      }
      this.workers = [];
    }
    this.memory = null;
    this.buffer = undefined;
    this.i32 = new Int32Array(0);
    this.f32 = new Float32Array(0);
    this.f64 = new Float64Array(0);
    this.onRelease?.();
  }
}

/** The matrix-free linkage table of a job (in the staging area; see assembly/linkage.ts). */
interface LinkageTable {
  kind: 'ward' | 'single';
  /** Positions in use (live and dead). */
  m: number;
  /** Column stride. */
  cap: number;
  /** Dead positions among the m. */
  dead: number;
  cols: number;
  w: number;
  q: number;
  res: number;
  /** Slot (row number) at each position, and position of each slot. */
  ids: Int32Array;
  pos: Int32Array;
}

/** Condensed pair count of rows [r0, r1) against every later row. */
function pairCount(n: number, r0: number, r1: number): number {
  let total = 0;
  for (let r = r0; r < r1; r++) total += n - 1 - r;
  return total;
}
