/**
 * The huge-n targets of the wasm backend (opt-in: minutes and gigabytes):
 * - a 10M × 4 sweep (k = 1..10, n_init 1) from a generated CSV, load timed apart;
 * - a 10M × 8 fit (k = 8, default settings) in a fresh child process, reporting
 *   its peak RSS against 1.5 × the matrix bytes + 300 MB. The matrix is
 *   allocated with the wasm backend's allocateMatrix and filled in place, so
 *   the job adopts it without a copy.
 *
 * Usage (compiled): node dist/src/benchmark/huge-bench.js [--sweep] [--rss] [--rows N]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../backends/built-in-backends.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { fitKMeans } from '../drivers/kmeans.js';
import { benchCustomersFile, timedSweep } from './job-bench.js';
import { fillBenchData } from './kernel-bench.js';
import { groupDigits } from '../common/format-number.js';

/** Result of {@link runHugeSweep}. */
export interface HugeSweepResult {
  rows: number;
  features: number;
  job: string;
  seconds: number;
  loadSeconds: number;
  sweepSeconds: number;
  /** CPU seconds of the whole process over the run (every thread). */
  cpuSeconds: number;
  wcss: number[];
}

/** 10M × 4 sweep, k = 1..10, n_init 1, standard scaling, from CSV. */
export async function runHugeSweep(o: { rows?: number; features?: number; backend?: string; threads?: number; dataDir?: string; log?: (s: string) => void } = {}): Promise<HugeSweepResult> {
  const rows = o.rows ?? 10_000_000;
  const features = o.features ?? 4;
  const { path, featureNames } = await benchCustomersFile(rows, features, o.dataDir ?? '.bench-data', o.log);
  const m = await timedSweep(path, featureNames, o.backend ?? 'auto', {
    kMin: 1,
    kMax: 10,
    nInit: 1,
    seed: 0,
    scale: 'standard',
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  return { rows, features, job: m.job, seconds: m.seconds, loadSeconds: m.loadSeconds, sweepSeconds: m.sweepSeconds, cpuSeconds: m.cpuSeconds, wcss: m.wcss };
}

/** Result of {@link runRssFit}. */
export interface RssFitResult {
  rows: number;
  cols: number;
  k: number;
  job: string;
  matrixBytes: number;
  peakRssBytes: number;
  /** 1.5 × matrix bytes + 300 MB. */
  limitBytes: number;
  /** Whether the matrix lives in wasm memory (allocateMatrix) rather than a separate copy. */
  adopted: boolean;
  fitSeconds: number;
  wcss: number;
}

const MB = 1024 * 1024;

async function child(rows: number, cols: number, k: number, backendName: string): Promise<void> {
  const backend = await resolveBackend(backendName);
  const adopted = typeof backend.allocateMatrix === 'function';
  const data = adopted ? backend.allocateMatrix!(rows, cols) : new Float32Array(rows * cols);
  fillBenchData(data, rows, cols, 11);
  const t0 = performance.now();
  const r = await fitKMeans({ data, rows, cols }, { k, backend, seed: 1 });
  const fitSeconds = (performance.now() - t0) / 1000;
  const result: RssFitResult = {
    rows,
    cols,
    k,
    job: r.backend,
    matrixBytes: rows * cols * 4,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    limitBytes: 1.5 * rows * cols * 4 + 300 * MB,
    adopted,
    fitSeconds,
    wcss: r.wcss,
  };
  process.send!(result);
}

/** Runs the 10M × 8, k = 8 fit in a fresh process and reports its peak RSS. */
export function runRssFit(o: { rows?: number; cols?: number; k?: number; backend?: string } = {}): Promise<RssFitResult> {
  const args = ['--child', String(o.rows ?? 10_000_000), String(o.cols ?? 8), String(o.k ?? 8), o.backend ?? 'auto'];
  return new Promise((resolvePromise, reject) => {
    const p = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: RssFitResult | undefined;
    p.on('message', (m) => (result = m as RssFitResult));
    p.on('error', reject);
    p.on('exit', (code) => (result ? resolvePromise(result) : reject(new Error(`RSS fit child exited with ${code}`))));
  });
}

if (process.argv[2] === '--child') {
  const [rows, cols, k] = process.argv.slice(3, 6).map(Number) as [number, number, number];
  await child(rows, cols, k, process.argv[6] ?? 'auto');
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const rowsAt = argv.indexOf('--rows');
  const rows = rowsAt >= 0 ? Number(argv[rowsAt + 1]) : undefined;
  const all = !argv.includes('--sweep') && !argv.includes('--rss');
  if (all || argv.includes('--sweep')) {
    const s = await runHugeSweep({ ...(rows ? { rows } : {}), log: console.log });
    console.log(`sweep ${groupDigits(s.rows)} × ${s.features}, k = 1..10, n_init 1 on ${s.job}: ${s.seconds.toFixed(1)} s (load ${s.loadSeconds.toFixed(1)} s, sweep ${s.sweepSeconds.toFixed(1)} s; ${s.cpuSeconds.toFixed(1)} CPU s)`);
  }
  if (all || argv.includes('--rss')) {
    const r = await runRssFit(rows ? { rows } : {});
    console.log(
      `fit ${groupDigits(r.rows)} × ${r.cols}, k = ${r.k} on ${r.job}: ${r.fitSeconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / MB).toFixed(0)} MB ` +
        `(limit ${(r.limitBytes / MB).toFixed(0)} MB = 1.5 × ${(r.matrixBytes / MB).toFixed(0)} MB + 300 MB; matrix ${r.adopted ? 'in wasm memory' : 'copied'})`,
    );
  }
  process.exit(0);
}
