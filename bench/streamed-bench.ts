/**
 * `node dist/bench/streamed-bench.js --file customers.parquet [--features "Age,Annual Income (k$),Spending Score (1-100)"]
 *   [--k 5] [--passes 5] [--chunk-rows 262144] [--backend wasm] [--no-memory] [--fit [--n-init N]]`:
 * streamed K-Means against the in-memory run on the same file. It times
 * `--passes` assign passes (read + assign for the streamed run, assign alone
 * in memory) with fixed centroids, and prints passes per second, rows per
 * second, CPU time and peak RSS. `--no-memory` skips the in-memory run (for a
 * file larger than the memory the process may use); `--fit` also times a
 * whole fit (standard scaling, k-means++, Lloyd) streamed and, without
 * `--no-memory`, in memory, and checks that they agree.
 */
import '../src/backends/built-in-backends.js';
import { loadavg } from 'node:os';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { machineLine } from '../src/benchmark/bench-report.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitKMeans, type KMeansResult } from '../src/drivers/kmeans.js';
import { openStreamedData } from '../src/drivers/sharding/streamed-data.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const file = arg('file', '');
if (!file) throw new Error('--file is required');
const features = arg('features', 'Age,Annual Income (k$),Spending Score (1-100)').split(',');
const k = Number(arg('k', '5'));
const passes = Number(arg('passes', '5'));
const chunkRows = Number(arg('chunk-rows', String(64 * 4096)));
const backendName = arg('backend', 'wasm');
const inMemory = !process.argv.includes('--no-memory');
const fit = process.argv.includes('--fit');
// --n-init N: k-means++ runs of the fits (default 3); the refined run is left out when given.
const runs = process.argv.includes('--n-init') ? { nInit: Number(arg('n-init', '1')), refine: false } : {};

const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;
const mib = (): string => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`;
console.log(machineLine());
console.log(`file ${file}, features ${features.join(', ')}, k = ${k}, backend ${backendName}, chunks of ${chunkRows.toLocaleString('en-US')} rows\n`);

// Passes alternate between two sets of centroids, so that no pass can reuse the previous one's bounds (as Lloyd's moving centres).
async function timePasses(assign: (centroids: Float32Array) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await assign(centroidSets[1]!); // warm-up (the first pass also counts every row as changed)
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) await assign(centroidSets[p % 2]!);
  return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(process.cpuUsage(c0)) };
}

const backend = await resolveBackend(backendName);
const data = await openStreamedData(file, { features, chunkRows, backend });
const rows = data.rows;
const centroidSets = [0, 1].map((shift) => new Float32Array(k * features.length).map((_, i) => ((i + shift * 3) % 7) - 3 + shift * 0.5));
const sums = new Float64Array(k * features.length);
const counts = new Float64Array(k);
let streamedFit: KMeansResult | undefined;
try {
  await data.fitAndScale('standard');
  const s = await timePasses((c) => data.job.assign(c, k, sums, counts));
  console.log(`streamed: ${passes} passes in ${s.wall.toFixed(2)} s wall, ${s.cpu.toFixed(2)} s CPU: ${(passes / s.wall).toFixed(3)} passes/s, ${((passes * rows) / s.wall / 1e6).toFixed(2)} M rows/s; peak RSS so far ${mib()}`);
  if (fit) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const before = data.passes;
    streamedFit = await fitKMeans(data, { k, seed: 0, backend, ...runs });
    console.log(`streamed fit: WCSS ${streamedFit.wcss}, ${data.passes - before} passes over the file, ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${cpuSeconds(process.cpuUsage(c0)).toFixed(1)} s CPU; peak RSS ${mib()}`);
  }
} finally {
  await data.job.dispose();
}

if (inMemory) {
  const t0 = performance.now();
  const table = await readCustomerTable(file, { features, ...(backend.allocateMatrix ? { allocate: (r: number, c: number) => backend.allocateMatrix!(r, c) } : {}) });
  const { matrix } = prepareFeatures(table, { scale: 'standard', inPlace: true });
  console.log(`in memory: read and scaled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const job = await backend.createJob(matrix.data, matrix.rows, matrix.cols);
  try {
    const m = await timePasses((c) => job.assign(c, k, sums, counts));
    console.log(`in memory: ${passes} passes in ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU: ${(passes / m.wall).toFixed(3)} passes/s, ${((passes * rows) / m.wall / 1e6).toFixed(2)} M rows/s; peak RSS ${mib()}`);
  } finally {
    await job.dispose();
  }
  if (fit) {
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const r = await fitKMeans(matrix, { k, seed: 0, backend, ...runs });
    console.log(`in-memory fit: WCSS ${r.wcss}, ${((performance.now() - t1) / 1000).toFixed(1)} s wall, ${cpuSeconds(process.cpuUsage(c0)).toFixed(1)} s CPU`);
    if (streamedFit) console.log(`streamed fit equals the in-memory fit: ${streamedFit.wcss === r.wcss && streamedFit.labels.every((l, i) => l === r.labels[i])}`);
  }
}
console.log(`\npeak RSS ${mib()}; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
