/**
 * `node dist/bench/event-loop-bench.js [--rows N] [--backends wasm,js,tfjs] [--threads T] [--window S]`:
 * how free the event loop stays while segmenta computes, and how fast an
 * abort stops it, per backend.
 *
 * 1. Event-loop delay (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution)
 *    during a k = 1..10 sweep of N generated customers × 4 standardized
 *    features (default N = 1,000,000), over the whole sweep or its first
 *    `--window` seconds (default 20); target p99 ≤ 20 ms on wasm.
 * 2. Abort latency: a timer calls `abort()` at the end of the window (or
 *    half-way through a second sweep when the first ended sooner), and the
 *    bench measures the time from that call to the sweep's rejection with
 *    AbortedError (target ≤ 100 ms).
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
  /** Whole sweep in seconds (NaN when the window ended first). */
  sweepSeconds: number;
  /** Seconds the delay was measured over. */
  windowSeconds: number;
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

/**
 * Runs a k = 1..10 sweep with `perf_hooks.monitorEventLoopDelay` on and aborts
 * it from a timer after `windowMs` (a long js or tfjs sweep is measured over
 * that window). When the sweep ends before the window, a second sweep is
 * aborted half-way through to measure the abort latency.
 */
export async function runEventLoopBench(backend: string, matrix: Matrix, threads?: number, windowMs = 20_000): Promise<EventLoopBenchRow> {
  await resolveBackend(backend);
  const options = { kMin: 1, kMax: 10, seed: 0, backend, ...(threads ? { threads } : {}) };
  const ms = (ns: number): number => ns / 1e6;
  const abortedSweep = async (afterMs: number): Promise<{ ended: boolean; seconds: number; abortMs: number; job: string }> => {
    const ac = new AbortController();
    let abortedAt = NaN;
    const timer = setTimeout(() => {
      abortedAt = performance.now();
      ac.abort(new Error('bench timer'));
    }, afterMs);
    const t0 = performance.now();
    try {
      const r = await sweepK(matrix, { ...options, signal: ac.signal });
      return { ended: true, seconds: (performance.now() - t0) / 1000, abortMs: NaN, job: r.backend };
    } catch (error) {
      if (!(error instanceof AbortedError)) throw error;
      return { ended: false, seconds: (performance.now() - t0) / 1000, abortMs: performance.now() - abortedAt, job: backend };
    } finally {
      clearTimeout(timer);
    }
  };
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const first = await abortedSweep(windowMs);
  h.disable();
  let abortMs = first.abortMs;
  const job = first.ended ? first.job : `${backend}${threads ? ` (${threads} threads)` : ''}`;
  if (first.ended) abortMs = (await abortedSweep(Math.max(200, (first.seconds * 1000) / 2))).abortMs;
  return { backend, job, rows: matrix.rows, sweepSeconds: first.ended ? first.seconds : NaN, windowSeconds: first.seconds, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), abortMs };
}

if (process.argv[1] && /event-loop-bench\.[jt]s$/.test(process.argv[1])) {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const rows = Number(value('--rows') ?? 1_000_000);
  const backends = (value('--backends') ?? 'wasm,js,tfjs').split(',');
  const threads = value('--threads') ? Number(value('--threads')) : undefined;
  const windowMs = Number(value('--window') ?? 20) * 1000;
  const matrix = benchMatrix(rows);
  process.stdout.write(`${machineLine()}\n\n| backend | rows | sweep s (or window) | loop delay p50 ms | p99 ms | max ms | abort latency ms |\n|---|---|---|---|---|---|---|\n`);
  for (const b of backends) {
    const r = await runEventLoopBench(b, matrix, threads, windowMs);
    const took = Number.isNaN(r.sweepSeconds) ? `first ${r.windowSeconds.toFixed(0)} s` : r.sweepSeconds.toFixed(1);
    process.stdout.write(`| ${r.job} | ${r.rows.toLocaleString('en-US')} | ${took} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.abortMs.toFixed(1)} |\n`);
  }
  process.exit(0);
}
