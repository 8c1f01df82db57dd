/**
 * tfjs benchmark: the kernels and a whole K-Means job on every tfjs runtime
 * that loads here (tfjs-node-gpu, tfjs-webgpu, tfjs-node, tfjs-wasm, tfjs-cpu),
 * next to the js reference. The main bench (bench/run.ts) covers the
 * registered `tfjs` backend; this file splits it by runtime.
 *
 *   node dist/bench/tfjs-bench.js [--quick] [--json]
 */
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { KernelBackend } from '../src/backends/kernel-contract.js';
import { createTfjsBackend, TFJS_RUNTIME_ORDER } from '../src/backends/tfjs/tfjs-backend.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitScaler } from '../src/preparation/scaling.js';

/** One row of the kernel table. */
export interface TfjsKernelRow {
  backend: string;
  rows: number;
  dims: number;
  k: number;
  /** Mean ms of one assign pass (labels, distances, sums, counts). */
  assignMs: number;
  /** Mean ms of one k-means++ updateClosest pass. */
  updateClosestMs: number;
  /** Million row × centroid distances per second in assign. */
  mDistPerS: number;
}

/** One row of the job table. */
export interface TfjsJobRow {
  backend: string;
  rows: number;
  dims: number;
  k: number;
  nInit: number;
  seconds: number;
  iterations: number;
  wcss: number;
}

/** The js reference plus one backend per tfjs runtime that loads here. */
export async function tfjsBenchBackends(): Promise<{ backends: KernelBackend[]; skipped: string[] }> {
  const backends: KernelBackend[] = [jsReferenceBackend];
  const skipped: string[] = [];
  for (const runtime of TFJS_RUNTIME_ORDER) {
    const b = createTfjsBackend({ runtimes: [runtime], name: runtime });
    const probe = (await b.runtimeReport()).tried[0]!;
    if (probe.available) backends.push(b);
    else skipped.push(`${runtime}: ${probe.reason}`);
  }
  return { backends, skipped };
}

function gaussianData(rows: number, dims: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextGaussian();
  return data;
}

/** Generated customers with `features` numeric columns, standard-scaled (the job). */
export function scaledCustomers(rows: number, features: number): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features, seed: 42 }));
  return fitScaler(raw, 'standard').transform(raw);
}

/** Times assign and updateClosest on every backend for each (rows, dims, k). */
export async function benchTfjsKernels(backends: KernelBackend[], shapes: [number, number, number][], timeMs = 500): Promise<TfjsKernelRow[]> {
  const out: TfjsKernelRow[] = [];
  for (const [rows, dims, k] of shapes) {
    const data = gaussianData(rows, dims, 1);
    const centroids = data.slice(0, k * dims);
    const sums = new Float64Array(k * dims);
    const counts = new Float64Array(k);
    for (const backend of backends) {
      const job = await backend.createJob(data, rows, dims);
      try {
        const bench = new Bench({ time: timeMs, iterations: 3, warmup: true, warmupIterations: 1 });
        bench.add('assign', async () => {
          await job.assign(centroids, k, sums, counts);
        });
        let first = true;
        bench.add('updateClosest', async () => {
          await job.updateClosest(centroids.subarray(0, dims), first);
          first = false;
        });
        await bench.run();
        const mean = (name: string): number => {
          const r = bench.getTask(name)?.result as { latency?: { mean: number } } | undefined;
          return r?.latency?.mean ?? Number.NaN;
        };
        const assignMs = mean('assign');
        out.push({ backend: job.backend, rows, dims, k, assignMs, updateClosestMs: mean('updateClosest'), mDistPerS: (rows * k) / (assignMs * 1e3) });
      } finally {
        await job.dispose();
      }
    }
  }
  return out;
}

/** Times a whole fitKMeans (k-means++, Lloyd, nInit runs) on every backend. */
export async function benchTfjsJob(backends: KernelBackend[], rows: number, features: number, k: number, nInit: number): Promise<TfjsJobRow[]> {
  const matrix = scaledCustomers(rows, features);
  const out: TfjsJobRow[] = [];
  for (const backend of backends) {
    const t0 = performance.now();
    const fit = await fitKMeans(matrix, { k, nInit, seed: 42, backend });
    out.push({ backend: fit.backend, rows, dims: matrix.cols, k, nInit, seconds: (performance.now() - t0) / 1e3, iterations: fit.iterations, wcss: fit.wcss });
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const { backends, skipped } = await tfjsBenchBackends();
  const shapes: [number, number, number][] = quick
    ? [[200_000, 4, 5]]
    : [
        [200_000, 4, 5],
        [1_000_000, 8, 10],
        [1_000_000, 8, 50],
      ];
  const kernels = await benchTfjsKernels(backends, shapes, quick ? 200 : 500);
  const job = await benchTfjsJob(backends, quick ? 50_000 : 200_000, 4, 5, 3);
  if (json) {
    process.stdout.write(`${JSON.stringify({ skipped, kernels, job }, null, 2)}\n`);
    return;
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log('tfjs runtimes skipped here:');
  for (const s of skipped) console.log(`  ${s}`);
  console.log('\nKernels (mean ms per pass)');
  console.table(kernels.map((r) => ({ backend: r.backend, 'rows×dims': `${r.rows}×${r.dims}`, k: r.k, 'assign ms': f(r.assignMs), 'updateClosest ms': f(r.updateClosestMs), 'M dist/s': f(r.mDistPerS, 0) })));
  console.log('\nJob: fitKMeans on generated customers, standard-scaled');
  console.table(job.map((r) => ({ backend: r.backend, 'rows×dims': `${r.rows}×${r.dims}`, k: r.k, nInit: r.nInit, seconds: f(r.seconds, 2), iterations: r.iterations, wcss: f(r.wcss, 2) })));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}
