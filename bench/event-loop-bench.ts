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
 *
 * `--calls metrics,silhouette,kprototypes,two-stage,exact` measures the other
 * long calls the same way instead of the sweep ({@link runCallBench}): the
 * quality metrics (`evaluatePartition` on N rows; an exact silhouette on
 * 20,000), k-prototypes (N rows, 5 iterations), two-stage agglomerative (N
 * rows, m = 500, 5 micro-cluster iterations) and exact ward (20,000 rows, the
 * default exact bound), per backend where a backend runs kernels. Each call
 * runs once whole (delay percentiles, wall and CPU seconds), then back to
 * back until a timer set to half that duration aborts one.
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
import { fitAgglomerative } from '../src/drivers/agglomerative/fit-agglomerative.js';
import { fitKPrototypes } from '../src/drivers/k-prototypes.js';
import { evaluatePartition, silhouetteScore } from '../src/metrics/cluster-metrics.js';

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

/** One long call's figures. */
export interface CallBenchRow {
  call: string;
  /** Backend of the kernels, or `caller thread` for work that has none. */
  backend: string;
  rows: number;
  /** The whole call, wall and process CPU (worker threads included) seconds. */
  seconds: number;
  cpuSeconds: number;
  /** Event-loop delay percentiles during the whole call, ms. */
  p50: number;
  p99: number;
  max: number;
  /** abort() from a timer mid-call → rejection with AbortedError, ms. */
  abortMs: number;
}

/** Runs `call` once whole with the delay monitor on, then again (back to back) until a timer set to half its duration aborts it. */
export async function runCallBench(call: string, backend: string, rows: number, run: (signal?: AbortSignal) => Promise<unknown>): Promise<CallBenchRow> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  await run();
  h.disable();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ac = new AbortController();
  let abortedAt = NaN;
  const timer = setTimeout(() => {
    abortedAt = performance.now();
    ac.abort(new Error('bench timer'));
  }, (seconds * 1000) / 2);
  let abortMs = NaN;
  try {
    // back to back until the timer's abort stops one, so that it lands mid-call however the load varies
    for (;;) await run(ac.signal);
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    abortMs = performance.now() - abortedAt;
  } finally {
    clearTimeout(timer);
  }
  const ms = (ns: number): number => ns / 1e6;
  return { call, backend, rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), abortMs };
}

/** The calls `--calls` knows, on `rows` generated customers (see the module comment). */
export async function callBenches(names: readonly string[], rows: number, backends: readonly string[], threads?: number): Promise<CallBenchRow[]> {
  const g = generateCustomers({ rows, seed: 1, features: 4 });
  const raw = generatedFeatureMatrix(g);
  const matrix = fitScaler(raw, 'standard').transform(raw, { inPlace: true });
  const labels = Int32Array.from(g.trueSegment);
  const exactRows = Math.min(rows, 20_000);
  const head = { data: matrix.data.subarray(0, exactRows * matrix.cols), rows: exactRows, cols: matrix.cols };
  const codes = new Int32Array(rows * 2);
  for (let i = 0; i < codes.length; i++) codes[i] = ((i * 2654435761) >>> 7) % 3;
  const t = threads ? { threads } : {};
  const out: CallBenchRow[] = [];
  const thread = 'caller thread';
  for (const name of names) {
    if (name === 'metrics') out.push(await runCallBench('evaluatePartition', thread, rows, (signal) => evaluatePartition(matrix, labels, signal ? { signal } : {})));
    else if (name === 'silhouette') {
      out.push(await runCallBench('silhouetteScore, exact', thread, exactRows, (signal) => silhouetteScore(head, labels.subarray(0, exactRows), { maxExactRows: exactRows, ...(signal ? { signal } : {}) })));
    } else if (name === 'kprototypes') {
      const categorical = { names: ['a', 'b'], codes, levels: [3, 3] };
      out.push(await runCallBench('fitKPrototypes (5 iterations)', thread, rows, (signal) => fitKPrototypes(matrix, categorical, { k: 5, nInit: 1, maxIter: 5, ...(signal ? { signal } : {}) })));
    } else if (name === 'two-stage' || name === 'exact') {
      for (const backend of backends) {
        await resolveBackend(backend);
        out.push(
          name === 'two-stage'
            ? await runCallBench('fitAgglomerative two-stage (m = 500)', backend, rows, (signal) =>
                fitAgglomerative(matrix, { k: 5, mode: 'two-stage', microClusters: 500, microMaxIter: 5, backend, ...t, ...(signal ? { signal } : {}) }),
              )
            : await runCallBench('fitAgglomerative exact ward', backend, exactRows, (signal) => fitAgglomerative(head, { k: 5, mode: 'exact', backend, ...t, ...(signal ? { signal } : {}) })),
        );
      }
    } else throw new Error(`unknown call '${name}' (metrics, silhouette, kprototypes, two-stage, exact)`);
  }
  return out;
}

if (process.argv[1] && /event-loop-bench\.[jt]s$/.test(process.argv[1])) {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const rows = Number(value('--rows') ?? 1_000_000);
  const backends = (value('--backends') ?? 'wasm,js,tfjs').split(',');
  const threads = value('--threads') ? Number(value('--threads')) : undefined;
  const windowMs = Number(value('--window') ?? 20) * 1000;
  const calls = value('--calls');
  if (calls) {
    process.stdout.write(`${machineLine()}\n\n| call | backend | rows | wall s | CPU s | loop delay p50 ms | p99 ms | max ms | abort latency ms |\n|---|---|---|---|---|---|---|---|---|\n`);
    for (const r of await callBenches(calls.split(','), rows, backends, threads)) {
      process.stdout.write(
        `| ${r.call} | ${r.backend} | ${r.rows.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.abortMs.toFixed(1)} |\n`,
      );
    }
    process.stdout.write(`${machineLine()}\n`);
    process.exit(0);
  }
  const matrix = benchMatrix(rows);
  process.stdout.write(`${machineLine()}\n\n| backend | rows | sweep s (or window) | loop delay p50 ms | p99 ms | max ms | abort latency ms |\n|---|---|---|---|---|---|---|\n`);
  for (const b of backends) {
    const r = await runEventLoopBench(b, matrix, threads, windowMs);
    const took = Number.isNaN(r.sweepSeconds) ? `first ${r.windowSeconds.toFixed(0)} s` : r.sweepSeconds.toFixed(1);
    process.stdout.write(`| ${r.job} | ${r.rows.toLocaleString('en-US')} | ${took} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.abortMs.toFixed(1)} |\n`);
  }
  process.exit(0);
}
