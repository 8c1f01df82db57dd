/**
 * Scale-out benchmark: the same sweep (k = 1..K, standard scaling) on the same
 * generated Parquet file, two rows side by side:
 * - 1 process (the CLI, unsharded);
 * - 1 coordinator + W `segmenta worker` processes on this machine, S shards,
 *   through a redis-server this bench starts on a free loopback port.
 * Both results must be bit-identical (the bench checks the WCSS). It reports
 * wall time, peak RSS per process, the number of assign passes, the mean
 * round trip of an assign pass through Redis as the coordinator saw it, and
 * the per-pass Redis overhead estimated as (distributed − 1 process) / passes.
 *
 *   npm run build:ts && node dist/bench/scale-out-bench.js [--rows 2000000] [--k-max 10] [--n-init 1] [--workers 2] [--shards 4] [--threads 1]
 *
 * Run from the repository root. The input is generated once under `.bench-data/` (gitignored).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const num = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rows = num('--rows', 2_000_000);
const kMax = num('--k-max', 10);
const nInit = num('--n-init', 1);
const workers = num('--workers', 2);
const shards = num('--shards', 4);
const threads = num('--threads', 1);

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(root, 'dist/src/cli/main.js');
const FEATURES = 'Age,Annual Income (k$),Spending Score (1-100),Visits per Month';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak RSS in MiB (GNU time's %M when available). */
  peakMiB: number | null;
}

/** Runs `node CLI ...args` under /usr/bin/time when present (peak RSS). */
function runCli(args: string[]): Promise<Run> {
  const timed = existsSync('/usr/bin/time');
  const cmd = timed ? '/usr/bin/time' : process.execPath;
  const full = timed ? ['-f', '@@peak %M', process.execPath, CLI, ...args] : [CLI, ...args];
  const started = performance.now();
  const child = spawn(cmd, full, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((done) =>
    child.once('exit', (code) => {
      const m = /@@peak (\d+)/.exec(stderr);
      done({ code, stdout, stderr, seconds: (performance.now() - started) / 1000, peakMiB: m ? Number(m[1]) / 1024 : null });
    }),
  );
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `scale-out-${rows}x4.parquet`);
if (!existsSync(file)) {
  process.stderr.write(`generating ${rows.toLocaleString('en-US')} customers into ${file}\n`);
  const g = await runCli(['generate', '--rows', String(rows), '--seed', '1', '--features', '4', '--out', file]);
  if (g.code !== 0) throw new Error(g.stderr);
}
const sweepArgs = ['sweep', file, '--features', FEATURES, '--scale', 'standard', '--k-max', String(kMax), '--n-init', String(nInit), '--seed', '1', '--json'];

process.stderr.write('1 process…\n');
const one = await runCli([...sweepArgs, '--threads', String(threads * workers)]);
if (one.code !== 0) throw new Error(one.stderr);

const port = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), 'segmenta-bench-redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const url = `redis://127.0.0.1:${port}`;
const workerProcs = Array.from({ length: workers }, () => spawn(process.execPath, [CLI, 'worker', '--redis', url, '--threads', String(threads)], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 3000));
process.stderr.write(`1 coordinator + ${workers} workers, ${shards} shards…\n`);
const dist = await runCli([...sweepArgs, '--threads', String(threads), '--redis', url, '--shards', String(shards)]);
// Peak RSS of each worker (VmHWM), then stop them by their pid.
const workerResults = workerProcs.map((w) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'));
  return { peakMiB: m ? Number(m[1]) / 1024 : null };
});
await Promise.all(workerProcs.map((w) => new Promise((r) => (w.once('exit', r), w.kill('SIGTERM')))));
redis.kill('SIGTERM');
rmSync(redisDir, { recursive: true, force: true });
if (dist.code !== 0) throw new Error(dist.stderr);

const wOne = (JSON.parse(one.stdout) as { wcss: number[] }).wcss;
const wDist = (JSON.parse(dist.stdout) as { wcss: number[]; backend: string }).wcss;
const identical = JSON.stringify(wOne) === JSON.stringify(wDist);
const passes = /(\d+) assign passes, ([\d.]+) ms each/.exec(dist.stderr);
const count = passes ? Number(passes[1]) : NaN;
const meanMs = passes ? Number(passes[2]) : NaN;
const mib = (v: number | null): string => (v === null ? '?' : `${v.toFixed(0)} MiB`);
const date = new Date().toISOString().slice(0, 10);
const lines = [
  `Scale-out bench, ${date}: sweep k = 1..${kMax}, n_init ${nInit}, standard, ${rows.toLocaleString('en-US')} × 4 generated customers from Parquet`,
  '',
  '| setup | wall time | peak RSS | WCSS |',
  '|---|---|---|---|',
  `| 1 process (${threads * workers} threads) | ${one.seconds.toFixed(1)} s | ${mib(one.peakMiB)} | reference |`,
  `| 1 coordinator + ${workers} workers × ${threads} thread${threads > 1 ? 's' : ''}, ${shards} shards | ${dist.seconds.toFixed(1)} s | coordinator ${mib(dist.peakMiB)}, workers ${workerResults.map((w) => mib(w.peakMiB)).join(' + ')} | ${identical ? 'bit-identical at every k' : 'DIFFERENT'} |`,
  '',
  `Assign passes: ${count}; mean assign round trip through Redis as the coordinator saw it: ${meanMs.toFixed(2)} ms; ` +
    `per-pass overhead estimated as (distributed − 1 process) / passes: ${(((dist.seconds - one.seconds) * 1000) / count).toFixed(1)} ms.`,
  '',
];
process.stdout.write(lines.join('\n'));
process.exit(identical ? 0 : 1);
