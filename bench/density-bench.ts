/**
 * Density benchmark: DBSCAN on generated customers (the target:
 * 1M × 4 in under a minute) and HDBSCAN at the sizes given. Each fit reports
 * wall time and the process's CPU time (user + system), since wall time on a
 * shared machine is inflated by the load (printed with the load average).
 *
 *   node dist/bench/density-bench.js [--rows 1000000] [--eps 0.15] [--min-samples 10]
 *        [--hdbscan 5000,20000] [--min-cluster-size 50] [--no-dbscan] [--json FILE]
 *
 * The data: generateCustomers({ rows, features: 4, seed: 42 }), standard-scaled.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import '../src/backends/built-in-backends.js';
import { fitDbscan } from '../src/drivers/density/dbscan.js';
import { scaledCustomers } from './agglomerative-bench.js';

const argv = process.argv.slice(2);
const value = (name: string, fallback?: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const flag = (name: string): boolean => argv.includes(name);

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

const results: Record<string, unknown>[] = [];
const lines: string[] = [`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average before: ${loadAverage()}`];

if (!flag('--no-dbscan')) {
  const rows = Number(value('--rows', '1000000'));
  const eps = Number(value('--eps', '0.15'));
  const minSamples = Number(value('--min-samples', '10'));
  const { matrix } = scaledCustomers(rows, 4);
  const r = await timed(() => fitDbscan(matrix, { eps, minSamples }));
  const f = r.value;
  results.push({ algorithm: 'dbscan', rows, cols: 4, eps, minSamples, wall: r.wall, cpu: r.cpu, clusters: f.clusters, noise: f.noise, pairs: f.neighbourPairs, search: f.neighbourSearch });
  lines.push(
    `DBSCAN ${rows.toLocaleString('en-US')} × 4 (standard-scaled), eps ${eps}, minSamples ${minSamples}, ${f.neighbourSearch}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU; ` +
      `${f.clusters} clusters, ${f.noise.toLocaleString('en-US')} noise rows, ${f.neighbourPairs.toLocaleString('en-US')} neighbour pairs`,
  );
}

const hdbscanSizes = value('--hdbscan');
if (hdbscanSizes) {
  const { fitHdbscan } = await import('../src/drivers/density/hdbscan.js');
  const minClusterSize = Number(value('--min-cluster-size', '50'));
  for (const rows of hdbscanSizes.split(',').map(Number)) {
    const { matrix } = scaledCustomers(rows, 4);
    const r = await timed(() => fitHdbscan(matrix, { minClusterSize }));
    const f = r.value;
    results.push({ algorithm: 'hdbscan', rows, cols: 4, minClusterSize, wall: r.wall, cpu: r.cpu, clusters: f.clusters, noise: f.noise });
    lines.push(`HDBSCAN ${rows.toLocaleString('en-US')} × 4, minClusterSize ${minClusterSize}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU; ${f.clusters} clusters, ${f.noise.toLocaleString('en-US')} noise rows`);
  }
}

lines.push(`load average after: ${loadAverage()}`);
process.stdout.write(`${lines.join('\n')}\n`);
const json = value('--json');
if (json) writeFileSync(json, JSON.stringify(results, null, 2));
