/**
 * `node dist/bench/model-bench.js`: the one-customer fast path of a saved
 * model (`model.predictOne(customer)`) at k = 10, d = 8 (target ≤ 5 µs per
 * customer), and the batch path (`model.predict(matrix)`) for comparison.
 */
import { Bench } from 'tinybench';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { KMeansModel } from '../src/results/kmeans-model.js';
import { machineLine } from '../src/benchmark/bench-report.js';

/** One row of the model bench. */
export interface ModelBenchRow {
  task: string;
  k: number;
  d: number;
  /** Mean microseconds per customer. */
  microsPerCustomer: number;
}

/** Times predictOne and predict(matrix) on a standard-scaled model with `k` centroids over `d` numeric columns. */
export async function runModelBench(k = 10, d = 8): Promise<ModelBenchRow[]> {
  const rng = new SeededRandom(1);
  const n = 4096;
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = 20 + 60 * rng.nextFloat();
  const scaler = fitScaler({ data, rows: n, cols: d }, 'standard');
  const centroids = new Float64Array(k * d);
  for (let q = 0; q < centroids.length; q++) centroids[q] = rng.nextFloat() * 2 - 1;
  const columns = Array.from({ length: d }, (_, j) => `feature ${j + 1}`);
  const model = new KMeansModel({ k, cols: d, centroids }, scaler, { columns });
  const customers = Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map((c, j) => [c, data[i * d + j]!])));
  let sink = 0;
  let next = 0;
  const bench = new Bench({ time: 1000, warmup: true });
  bench.add('predictOne (one customer object)', () => {
    sink += model.predictOne(customers[next++ & (n - 1)]!);
  });
  bench.add(`predict (matrix of ${n} rows), per customer`, () => {
    sink += model.predict({ data, rows: n, cols: d })[0]!;
  });
  await bench.run();
  const rows: ModelBenchRow[] = bench.tasks.map((t) => {
    const mean = t.result && 'latency' in t.result ? t.result.latency.mean : NaN;
    const perCall = t.name.startsWith('predict (') ? mean / n : mean;
    return { task: t.name, k, d, microsPerCustomer: perCall * 1000 };
  });
  // CPU time per call: unlike wall time, it does not count waiting for a core on a busy machine.
  const calls = 1_000_000;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) sink += model.predictOne(customers[i & (n - 1)]!);
  const cpu = process.cpuUsage(cpu0);
  rows.push({ task: 'predictOne, CPU time per call (1M calls)', k, d, microsPerCustomer: (cpu.user + cpu.system) / calls });
  if (sink < 0) console.log(sink);
  return rows;
}

if (process.argv[1] && /model-bench\.[jt]s$/.test(process.argv[1])) {
  const rows = await runModelBench();
  process.stdout.write(`${machineLine()}\n\n| task | k | d | µs per customer |\n|---|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.task} | ${r.k} | ${r.d} | ${r.microsPerCustomer.toFixed(3)} |\n`);
}
