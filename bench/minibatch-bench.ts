/**
 * `node dist/bench/minibatch-bench.js [--rows 10000000] [--features 4] [--k 5,10] [--backend wasm] [--threads N]`:
 * mini-batch K-Means against full (Lloyd) K-Means on the same generated,
 * standardized customers: wall and CPU time of each fit, mini-batch steps,
 * and the WCSS ratio. Both use n_init 3 and seed 0. Prints Markdown rows.
 */
import '../src/backends/built-in-backends.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { fitKMeans, type KMeansOptions } from '../src/drivers/kmeans.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { machineLine } from '../src/benchmark/bench-report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const rows = Number(arg('rows', '10000000'));
const features = Number(arg('features', '4'));
const ks = arg('k', '5,10').split(',').map(Number);
const backend = arg('backend', 'wasm');
const threads = process.argv.includes('--threads') ? { threads: Number(arg('threads', '2')) } : {};
const g = generateCustomers({ rows, seed: 42, features });
const { matrix } = prepareFeatures({ matrix: generatedFeatureMatrix(g), featureNames: g.featureNames }, { scale: 'standard', inPlace: true });
console.log(machineLine());
console.log(`${rows.toLocaleString('en-US')} generated customers × ${features} standardized features, n_init 3, seed 0, backend ${backend}\n`);
console.log('| k | algorithm | wall (s) | CPU (s) | Lloyd iterations / mini-batch steps | WCSS | WCSS / Lloyd |');
console.log('|---|---|---|---|---|---|---|');

async function timed(options: KMeansOptions) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fitKMeans(matrix, options);
  const cpu = process.cpuUsage(cpu0);
  return { r, wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

for (const k of ks) {
  const base = { k, nInit: 3, seed: 0, backend, ...threads };
  const lloyd = await timed(base);
  const mb = await timed({ ...base, algorithm: 'minibatch' });
  const row = (name: string, t: typeof lloyd, work: string) =>
    console.log(`| ${k} | ${name} | ${t.wall.toFixed(2)} | ${t.cpu.toFixed(2)} | ${work} | ${t.r.wcss.toPrecision(8)} | ${(t.r.wcss / lloyd.r.wcss).toFixed(4)} |`);
  row('lloyd', lloyd, `${lloyd.r.runWcss.length} runs, ${lloyd.r.iterations} iterations in the best`);
  row('minibatch', mb, `${mb.r.steps!.toLocaleString('en-US')} steps in the best of 3 runs`);
  console.log(`|   | speed-up | ${(lloyd.wall / mb.wall).toFixed(1)}× wall | ${(lloyd.cpu / mb.cpu).toFixed(1)}× CPU | | | |`);
}
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load average now ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
