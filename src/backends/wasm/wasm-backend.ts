/**
 * The `wasm` backend: AssemblyScript kernels (assembly/) with f32x4 SIMD, run
 * by worker threads on one shared `WebAssembly.Memory`. Bit-identical to the
 * `js` reference for any thread count (`exact = true`). Priority 100, so
 * `auto` picks it wherever build/segmenta-kernels.wasm loads.
 *
 * @example
 * ```ts
 * import { resolveBackend } from 'segmenta';
 * const wasm = await resolveBackend('wasm');
 * const x = wasm.allocateMatrix!(rows, dims);   // fill in place: no copy in createJob
 * const job = await wasm.createJob(x, rows, dims, { threads: 2 });
 * ```
 */
import { availableParallelism } from 'node:os';
import { SegmentaError } from '../../common/errors.js';
import { ROW_BLOCK_SIZE, type BackendAvailability, type KernelBackend, type KernelJob } from '../kernel-contract.js';
import { wasmApi, type WasmMemory } from './wasm-api.js';
import { kernelsAvailability, loadKernels } from './wasm-module.js';
import { WasmJob, type JobMemory, type WasmJobOptions } from './wasm-job.js';
import { INITIAL_COUNT_CAPACITY, INITIAL_K_CAPACITY, checkMemoryLimit, wasmMemoryLimitBytes, pagesFor, planFixed, planWork } from './wasm-layout.js';
import { groupDigits } from '../../common/format-number.js';

export { WasmJob, boundsByDefault, BOUNDS_ENV, type BoundsMode, type WasmJobOptions } from './wasm-job.js';
export { WASM_FILE_ENV, WASM_FILE_NAME, resetKernelsCache } from './wasm-module.js';
export { WASM32_MAX_BYTES } from './wasm-layout.js';

/** Most threads a job may use. */
export const MAX_WASM_THREADS = 256;

interface Adoptable {
  memory: WasmMemory;
  fixed: ReturnType<typeof planFixed>;
  busy: boolean;
}

/** Matrices handed out by allocateMatrix, by their buffer. */
const adoptable = new WeakMap<ArrayBufferLike, Adoptable>();

/**
 * The threads of a job: `threads` when given, else the available cores, but
 * one for a table of at most {@link ROW_BLOCK_SIZE} rows. Such a table is one
 * row block, so every assign, k-means++ and update pass runs on one worker
 * whatever the count, and a linkage scan of it runs inline; a second worker
 * would only cost its start-up (an isolate and the kernels, ~30 ms of CPU).
 * Results are identical for any thread count.
 */
export function defaultThreads(rows: number): number {
  return rows <= ROW_BLOCK_SIZE ? 1 : Math.max(1, availableParallelism());
}

function resolveThreads(threads: number | undefined, rows: number): number {
  if (threads === undefined) return defaultThreads(rows);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new SegmentaError('INVALID_OPTION', `threads must be an integer in [1, ${MAX_WASM_THREADS}], got ${threads}`, { option: 'threads', value: threads });
  }
  return threads;
}

function checkShape(rows: number, dims: number): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(dims) || dims < 1) {
    throw new SegmentaError('SHAPE_MISMATCH', `the wasm backend needs at least 1 row and 1 feature, got ${rows} × ${dims}`, { rows, dims });
  }
}

/** Bytes a fresh job of this shape needs at first (data + per-row state + initial workspace). */
export function initialJobBytes(rows: number, dims: number, threads = 1): number {
  return planWork(planFixed(rows, dims), INITIAL_K_CAPACITY, INITIAL_COUNT_CAPACITY, threads, 0).end;
}

/** Most memories of disposed jobs kept for reuse (a sweep holds two jobs: the data and the init sample). */
const MAX_SPARE_MEMORIES = 2;
/**
 * Memories of disposed jobs, reused by the next jobs: their pages are already
 * touched (no page faults on a new job) and a process that fits many times
 * keeps a flat RSS instead of waiting for GC to drop old SharedArrayBuffers.
 */
const spare: WasmMemory[] = [];

/** A memory of at least `bytes`: the smallest spare that fits, else the largest spare grown, else a new one. */
function acquireMemory(bytes: number): WasmMemory {
  const need = pagesFor(bytes);
  spare.sort((a, b) => a.buffer.byteLength - b.buffer.byteLength);
  const fit = spare.findIndex((m) => m.buffer.byteLength / 65536 >= need);
  const at = fit >= 0 ? fit : spare.length - 1;
  if (at >= 0) {
    const memory = spare.splice(at, 1)[0]!;
    const have = memory.buffer.byteLength / 65536;
    try {
      if (need > have) memory.grow(need - have);
      return memory;
    } catch {
      // could not grow this one: fall through to a fresh memory
    }
  }
  return newMemory(bytes);
}

/** Gives a disposed job's memory back for reuse (dropping the smallest spare beyond the limit). */
function releaseMemory(memory: WasmMemory): void {
  if (spare.includes(memory)) return;
  spare.push(memory);
  spare.sort((a, b) => b.buffer.byteLength - a.buffer.byteLength);
  spare.length = Math.min(spare.length, MAX_SPARE_MEMORIES);
}

/**
 * Drops the memories the wasm backend keeps for reuse after jobs end (call it
 * when a process is done fitting for a while); the next job allocates afresh.
 * @returns the bytes released (reclaimed by V8 when nothing else refers to them)
 */
export function releaseSpareWasmMemory(): number {
  const bytes = spare.reduce((a, m) => a + m.buffer.byteLength, 0);
  spare.length = 0;
  return bytes;
}

/** Bytes held in spare memories (tests, `segmenta backends`). */
export function spareWasmMemoryBytes(): number {
  return spare.reduce((a, m) => a + m.buffer.byteLength, 0);
}

function newMemory(bytes: number): WasmMemory {
  try {
    return new wasmApi!.Memory({ initial: pagesFor(bytes), maximum: Math.max(pagesFor(bytes), pagesFor(wasmMemoryLimitBytes())), shared: true });
  } catch (error) {
    throw new SegmentaError('MEMORY_LIMIT', `the wasm backend could not reserve ${groupDigits(bytes)} bytes of memory: ${(error as Error).message}`, {
      neededBytes: bytes,
    });
  }
}

/** The wasm backend, with the optional allocateMatrix of the contract. */
export const wasmBackend: KernelBackend & {
  allocateMatrix(rows: number, cols: number): Float32Array;
  createJob(data: Float32Array, rows: number, dims: number, options?: WasmJobOptions): Promise<WasmJob>;
} = {
  name: 'wasm',
  priority: 100,
  description: 'AssemblyScript kernels: f32x4 SIMD, worker threads on shared memory, Hamerly bounds; bit-identical to js',

  checkAvailability(): Promise<BackendAvailability> {
    return kernelsAvailability();
  },

  /**
   * A rows × cols float32 matrix that lives in a fresh wasm memory. Fill it in
   * place (e.g. the reader writes into it); a job created on it adopts the
   * memory without copying, which keeps peak memory near one copy of the data.
   * The returned array stays valid (and must not change) while a job uses it.
   *
   * @throws SegmentaError `MEMORY_LIMIT` when rows × cols × 4 plus the workspace exceeds 4 GiB
   */
  allocateMatrix(rows: number, cols: number): Float32Array {
    checkShape(rows, cols);
    checkMemoryLimit(rows, cols, initialJobBytes(rows, cols), `a ${groupDigits(rows)} × ${cols} matrix`);
    const fixed = planFixed(rows, cols);
    const memory = newMemory(fixed.end);
    const view = new Float32Array(memory.buffer, fixed.data, rows * cols);
    adoptable.set(memory.buffer, { memory, fixed, busy: false });
    return view;
  },

  async createJob(data: Float32Array, rows: number, dims: number, options: WasmJobOptions = {}): Promise<WasmJob> {
    checkShape(rows, dims);
    const threads = resolveThreads(options.threads, rows);
    checkMemoryLimit(rows, dims, initialJobBytes(rows, dims, threads), `a ${groupDigits(rows)} × ${dims} matrix`);
    const loaded = await loadKernels();
    if (!loaded.ok) throw new SegmentaError('BACKEND_UNAVAILABLE', `backend 'wasm' is not available: ${loaded.reason}`, { backend: 'wasm', reason: loaded.reason });
    const a = adoptable.get(data.buffer);
    let mem: JobMemory;
    if (a && !a.busy && data.byteOffset === a.fixed.data && a.fixed.rows === rows && a.fixed.dims === dims && data.length === rows * dims) {
      a.busy = true;
      mem = { memory: a.memory, fixed: a.fixed, filled: true, onRelease: () => (a.busy = false) };
    } else {
      const fixed = planFixed(rows, dims);
      const memory = acquireMemory(fixed.end);
      let released = false;
      // once only: both a failed create and the job's dispose may release it
      const release = (): void => {
        if (!released) releaseMemory(memory);
        released = true;
      };
      mem = { memory, fixed, filled: false, onRelease: release };
    }
    try {
      return await WasmJob.create(loaded.kernels, data, mem, { ...options, threads });
    } catch (error) {
      mem.onRelease?.();
      throw error;
    }
  },
};

/** Narrows a job to a wasm job (benchmarks use its bounds switch). */
export function isWasmJob(job: KernelJob): job is WasmJob {
  return job instanceof WasmJob;
}
