/**
 * `node dist/bench/event-loop-bench.js [--rows N] [--backends wasm,js,tfjs] [--threads T]`:
 * how free the event loop stays while segmenta computes, and how fast an
 * abort stops it, per backend.
 *
 * 1. Event-loop delay (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution)
 *    during a k = 1..10 sweep of N generated customers × 4 standardized
 *    features (default N = 1,000,000); target p99 ≤ 20 ms on wasm.
 * 2. Abort latency: a sweep is started, a timer calls `abort()` after 1.5 s,
 *    and the bench measures the time from that call to the sweep's rejection
 *    with AbortedError (target ≤ 100 ms).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { AbortedError } from '../src/common/errors.js';
import type { Matrix } from '../src/common/matrix.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { machineLine } from '../src/benchmark/bench-report.js';

/** One backend's figures. */
export interface EventLoopBenchRow {
  backend: string;
  job: string;
  rows: number;
  sweepSeconds: number;
  /** Event-loop delay percentiles during the sweep, ms. */
  p50: number;
  p99: number;
  max: number;
  /** abort() → rejection, ms (NaN when the sweep ended before the timer). */
  abortMs: number;
}

/** 1M × 4 standardized generated customers (the bench's data). */
export function benchMatrix(rows: number): Matrix {
  const g = generateCustomers({ rows, seed: 1, features: 4 });
  const m = generatedFeatureMatrix(g);
  return fitScaler(m, 'standard').transform(m, { inPlace: true });
}

/** Runs both measurements for one backend. */
export async function runEventLoopBench(backend: string, matrix: Matrix, threads?: number, abortAfterMs = 1500): Promise<EventLoopBenchRow> {
  await resolveBackend(backend);
  const options = { kMin: 1, kMax: 10, seed: 0, backend, ...(threads ? { threads } : {}) };
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const sweep = await sweepK(matrix, options);
  const sweepSeconds = (performance.now() - t0) / 1000;
  h.disable();
  const ms = (ns: number): number => ns / 1e6;

  const ac = new AbortController();
  let abortedAt = NaN;
  const timer = setTimeout(() => {
    abortedAt = performance.now();
    ac.abort(new Error('bench timer'));
  }, abortAfterMs);
  let abortMs = NaN;
  try {
    await sweepK(matrix, { ...options, signal: ac.signal });
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    abortMs = performance.now() - abortedAt;
  } finally {
    clearTimeout(timer);
  }
  return { backend, job: sweep.backend, rows: matrix.rows, sweepSeconds, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), abortMs };
}

if (process.argv[1] && /event-loop-bench\.[jt]s$/.test(process.argv[1])) {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const rows = Number(value('--rows') ?? 1_000_000);
  const backends = (value('--backends') ?? 'wasm,js,tfjs').split(',');
  const threads = value('--threads') ? Number(value('--threads')) : undefined;
  const matrix = benchMatrix(rows);
  process.stdout.write(`${machineLine()}\n\n| backend | rows | sweep s | loop delay p50 ms | p99 ms | max ms | abort latency ms |\n|---|---|---|---|---|---|---|\n`);
  for (const b of backends) {
    const r = await runEventLoopBench(b, matrix, threads);
    process.stdout.write(`| ${r.job} | ${r.rows.toLocaleString('en-US')} | ${r.sweepSeconds.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${Number.isNaN(r.abortMs) ? 'ended first' : r.abortMs.toFixed(1)} |\n`);
  }
  process.exit(0);
}
