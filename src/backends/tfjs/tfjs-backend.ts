/**
 * The `tfjs` kernel backend: the contract's kernels on TensorFlow.js tensors,
 * on the best tfjs runtime this machine has (tfjs-node-gpu, tfjs-webgpu,
 * tfjs-node, tfjs-wasm, tfjs-cpu; see tfjs-runtime.ts).
 *
 * Registered with priority 50: below `wasm` (100), above `js` (0). Its jobs
 * are not bit-exact (`exact = false`): the matMul distance form is held to a
 * tolerance (WCSS within 1e-4 relative of `js`, >= 99.9% equal labels).
 *
 * Nothing from tfjs is imported when this module loads; the first
 * availability check or job does it.
 */
import { SegmentaError } from '../../common/errors.js';
import { ROW_BLOCK_SIZE, type BackendAvailability, type JobOptions, type KernelBackend } from '../kernel-contract.js';
import { TfjsJob, type TfjsJobSettings } from './tfjs-job.js';
import { probeRuntime, runtimeFromEnv, TFJS_RUNTIME_ENV, TFJS_RUNTIME_ORDER, type LoadedRuntime, type RuntimeProbe, type TfjsRuntimeName } from './tfjs-runtime.js';

export { TFJS_RUNTIME_ORDER, TFJS_RUNTIME_ENV, type TfjsRuntimeName } from './tfjs-runtime.js';
export { TfjsJob } from './tfjs-job.js';

/** Default bound on the temporaries of one pass: 64 MiB. */
export const DEFAULT_TFJS_MEMORY_BUDGET = 64 * 1024 * 1024;
/** Default rows per uploaded chunk tensor (64 blocks). */
export const DEFAULT_TFJS_CHUNK_ROWS = 64 * ROW_BLOCK_SIZE;

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * Runtimes to try, in order. Default: {@link TFJS_RUNTIME_ORDER}, or the one
   * runtime named by the `SEGMENTA_TFJS_RUNTIME` environment variable.
   */
  runtimes?: readonly TfjsRuntimeName[];
  /** Bound, in bytes, on what one pass allocates besides the uploaded data. Default 64 MiB. */
  memoryBudgetBytes?: number;
  /** Rows per uploaded chunk tensor; rounded up to a multiple of ROW_BLOCK_SIZE. Default 262144. */
  chunkRows?: number;
  /** Registry name. Default `tfjs`. */
  name?: string;
  /** Registry priority. Default 50. */
  priority?: number;
}

/** What the runtime probe found: the runtime in use and why the ones before it were skipped. */
export interface TfjsRuntimeReport {
  /** The runtime jobs run on, or null when none loaded. */
  runtime: LoadedRuntime | null;
  /** Every runtime tried, in order (runtimes after the one in use are not tried). */
  tried: RuntimeProbe[];
}

/** A `tfjs` backend instance, with its runtime report. */
export interface TfjsKernelBackend extends KernelBackend {
  /** Loads runtimes in order until one works (cached after the first call). */
  runtimeReport(): Promise<TfjsRuntimeReport>;
  /** The settings its jobs use. */
  readonly settings: Readonly<TfjsJobSettings>;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new SegmentaError('INVALID_OPTION', `tfjs option ${name} must be a positive integer, got ${value}`, { option: name, value });
  }
}

/**
 * Creates a `tfjs` backend. The registered one uses the defaults; tests and
 * benchmarks create others (e.g. restricted to `tfjs-cpu`, or with a small
 * memory budget).
 *
 * @throws SegmentaError `INVALID_OPTION` for a non-positive budget or chunk size, or an unknown runtime name
 */
export function createTfjsBackend(options: TfjsBackendOptions = {}): TfjsKernelBackend {
  const memoryBudgetBytes = options.memoryBudgetBytes ?? DEFAULT_TFJS_MEMORY_BUDGET;
  checkPositiveInteger('memoryBudgetBytes', memoryBudgetBytes);
  const chunkOption = options.chunkRows ?? DEFAULT_TFJS_CHUNK_ROWS;
  checkPositiveInteger('chunkRows', chunkOption);
  const chunkRows = Math.ceil(chunkOption / ROW_BLOCK_SIZE) * ROW_BLOCK_SIZE;
  for (const r of options.runtimes ?? []) {
    if (!TFJS_RUNTIME_ORDER.includes(r)) {
      throw new SegmentaError('INVALID_OPTION', `unknown tfjs runtime '${r}' (one of: ${TFJS_RUNTIME_ORDER.join(', ')})`, { option: 'runtimes', value: r });
    }
  }
  const settings: TfjsJobSettings = { memoryBudgetBytes, chunkRows };
  let report: Promise<TfjsRuntimeReport> | undefined;

  const runtimeReport = (threads?: number): Promise<TfjsRuntimeReport> => {
    report ??= (async (): Promise<TfjsRuntimeReport> => {
      let order: readonly TfjsRuntimeName[];
      if (options.runtimes) order = options.runtimes;
      else {
        let fromEnv: TfjsRuntimeName | undefined;
        try {
          fromEnv = runtimeFromEnv();
        } catch (error) {
          return { runtime: null, tried: [{ name: 'tfjs-cpu', available: false, reason: (error as Error).message }] };
        }
        order = fromEnv ? [fromEnv] : TFJS_RUNTIME_ORDER;
      }
      const tried: RuntimeProbe[] = [];
      for (const name of order) {
        const probe = await probeRuntime(name, threads);
        tried.push(probe);
        if (probe.available) return { runtime: probe.runtime, tried };
      }
      return { runtime: null, tried };
    })();
    return report;
  };

  const backend: TfjsKernelBackend = {
    name: options.name ?? 'tfjs',
    priority: options.priority ?? 50,
    description: 'TensorFlow.js tensors: matMul distances, segment sums (tfjs-node-gpu, tfjs-webgpu, tfjs-node, tfjs-wasm, tfjs-cpu)',
    settings,
    runtimeReport: () => runtimeReport(),

    async checkAvailability(): Promise<BackendAvailability> {
      const r = await runtimeReport();
      const skipped = r.tried.filter((p): p is Extract<RuntimeProbe, { available: false }> => !p.available).map((p) => `skipped ${p.name}: ${p.reason}`);
      if (!r.runtime) {
        const hint = options.runtimes ? '' : ` (${TFJS_RUNTIME_ENV}=${process.env[TFJS_RUNTIME_ENV] ?? ''})`;
        return { available: false, reason: `no tfjs runtime loaded${skipped.length ? `; ${skipped.join('; ')}` : hint}` };
      }
      const detail = `${r.runtime.name} (${r.runtime.detail})`;
      return { available: true, detail: [detail, ...skipped].join('; ') };
    },

    async createJob(data: Float32Array, rows: number, dims: number, jobOptions?: JobOptions): Promise<TfjsJob> {
      if (data.length !== rows * dims) {
        throw new SegmentaError('SHAPE_MISMATCH', `data has ${data.length} values, expected rows × dims = ${rows} × ${dims} = ${rows * dims}`, {
          length: data.length,
          rows,
          dims,
        });
      }
      const r = await runtimeReport(jobOptions?.threads);
      if (!r.runtime) {
        const a = await backend.checkAvailability();
        throw new SegmentaError('BACKEND_UNAVAILABLE', `backend '${backend.name}' is not available: ${a.available ? 'unknown reason' : a.reason}`, {
          backend: backend.name,
        });
      }
      return TfjsJob.create(r.runtime, data, rows, dims, settings, jobOptions?.signal, jobOptions?.weights);
    },
  };
  return backend;
}

/** The registered `tfjs` backend (priority 50). */
export const tfjsBackend: TfjsKernelBackend = createTfjsBackend();
