/**
 * Kernel bench: one assign pass (nearest centroid + per-cluster sums) per
 * registered backend, for n × d × k. Timed with tinybench; the job creation
 * and the first (cold) pass are timed apart from the warm passes.
 *
 * A pass alternates between two centroid sets (the second moves every
 * centroid a little), so labels change in every block and the full pass runs
 * each time: distances to all k centroids and the sums. The wasm backend runs
 * with bounds off here (a plain Lloyd pass); the job bench shows what bounds
 * do over whole fits.
 *
 * Usage (compiled): node dist/src/benchmark/kernel-bench.js [--10m] [--backends wasm,js] [--threads N]
 */
import { Bench } from 'tinybench';
import '../backends/built-in-backends.js';
import { listBackends, resolveBackend } from '../backends/backend-registry.js';
import type { KernelBackend, KernelJob } from '../backends/kernel-contract.js';
import { SeededRandom } from '../common/seeded-random.js';
import { isWasmJob } from '../backends/wasm/wasm-backend.js';

/** Options of {@link runKernelBench}. */
export interface KernelBenchOptions {
  /** Row counts. Default 10,000 and 1,000,000 (plus 10,000,000 with `include10M`). */
  sizes?: number[];
  /** Feature counts. Default 2, 4, 8. */
  dims?: number[];
  /** Centroid counts. Default 5, 10. */
  ks?: number[];
  /** Adds n = 10,000,000 (about 1 GB of data for d = 8; minutes for the js backend). Default false. */
  include10M?: boolean;
  /** Backends to run (registry names). Default: every available one. */
  backends?: string[];
  /** Worker threads for backends that use them. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /** Minimum warm time per case in ms (tinybench `time`). Default 400. */
  timeMs?: number;
  /** Largest n the js reference runs (it is the slow oracle). Default 1,000,000. */
  jsMaxRows?: number;
  /** Called after each case. */
  onRow?: (row: KernelBenchRow) => void;
}

/** One measured case. Times in milliseconds. */
export interface KernelBenchRow {
  backend: string;
  /** The job's own label, e.g. `wasm-simd (2 threads)`. */
  job: string;
  n: number;
  d: number;
  k: number;
  /** createJob (data copied in, workers attached). */
  createMs: number;
  /** The first assign pass on a fresh job (cold caches and code). */
  firstMs: number;
  /** Warm passes: median, mean and minimum. */
  medianMs: number;
  meanMs: number;
  minMs: number;
  samples: number;
}

/** Fills `data` (rows × dims) with 12 seeded Gaussian blobs. */
export function fillBenchData(data: Float32Array, rows: number, dims: number, seed = 7): Float32Array {
  const rng = new SeededRandom(seed);
  const centres = Array.from({ length: 12 * dims }, () => rng.nextFloat() * 8 - 4);
  for (let i = 0; i < rows; i++) {
    const c = rng.nextInt(12);
    for (let j = 0; j < dims; j++) data[i * dims + j] = centres[c * dims + j]! + rng.nextGaussian();
  }
  return data;
}

/** 12 seeded Gaussian blobs: rows × dims float32. */
export function benchData(rows: number, dims: number, seed = 7): Float32Array {
  return fillBenchData(new Float32Array(rows * dims), rows, dims, seed);
}

function centroidSets(data: Float32Array, rows: number, d: number, k: number): [Float32Array, Float32Array] {
  const rng = new SeededRandom(k * 131 + d);
  const a = new Float32Array(k * d);
  for (let c = 0; c < k; c++) {
    const r = rng.nextInt(rows);
    for (let j = 0; j < d; j++) a[c * d + j] = data[r * d + j]!;
  }
  const b = a.map((v, q) => Math.fround(v + (q % 2 === 0 ? 0.05 : -0.05)));
  return [a, b];
}

async function available(names?: string[]): Promise<KernelBackend[]> {
  const out: KernelBackend[] = [];
  for (const s of await listBackends()) {
    if (names && !names.includes(s.name)) continue;
    if (!s.available) {
      console.warn(`kernel bench: skipping ${s.name}: ${s.detail}`);
      continue;
    }
    out.push(await resolveBackend(s.name));
  }
  return out;
}

/** Runs the kernel bench; returns one row per (backend, n, d, k). */
export async function runKernelBench(options: KernelBenchOptions = {}): Promise<KernelBenchRow[]> {
  const sizes = options.sizes ?? [10_000, 1_000_000, ...(options.include10M ? [10_000_000] : [])];
  const dims = options.dims ?? [2, 4, 8];
  const ks = options.ks ?? [5, 10];
  const jsMax = options.jsMaxRows ?? 1_000_000;
  const backends = await available(options.backends);
  const rows: KernelBenchRow[] = [];
  for (const n of sizes) {
    for (const d of dims) {
      const data = benchData(n, d);
      for (const backend of backends) {
        if (backend.name === 'js' && n > jsMax) continue;
        const t0 = performance.now();
        const job: KernelJob = await backend.createJob(data, n, d, options.threads !== undefined ? { threads: options.threads } : {});
        const createMs = performance.now() - t0;
        if (isWasmJob(job)) job.setBounds('off');
        try {
          for (const k of ks) {
            const [a, b] = centroidSets(data, n, d, k);
            const sums = new Float64Array(k * d);
            const counts = new Float64Array(k);
            const f0 = performance.now();
            await job.assign(a, k, sums, counts);
            const firstMs = performance.now() - f0;
            let flip = false;
            const bench = new Bench({ time: options.timeMs ?? 400, iterations: 5, warmupIterations: 2, warmupTime: 0 });
            bench.add('assign', async () => {
              flip = !flip;
              await job.assign(flip ? b : a, k, sums, counts);
            });
            await bench.run();
            const r = bench.tasks[0]!.result;
            if (r.state !== 'completed') throw new Error(`kernel bench ${backend.name} n=${n} d=${d} k=${k}: ${r.state}`);
            const row: KernelBenchRow = {
              backend: backend.name,
              job: job.backend,
              n,
              d,
              k,
              createMs,
              firstMs,
              medianMs: r.latency.p50,
              meanMs: r.latency.mean,
              minMs: r.latency.min,
              samples: r.latency.samplesCount,
            };
            rows.push(row);
            options.onRow?.(row);
          }
        } finally {
          await job.dispose();
        }
      }
    }
  }
  return rows;
}
