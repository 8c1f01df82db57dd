/**
 * Long calls beside the sweep — the quality metrics, agglomerative clustering
 * and k-prototypes — keep the event loop free and stop on an AbortSignal
 * fired from a timer while they run.
 *
 * The machine running the suite may be loaded (2 cores shared by several
 * jobs), so wall-clock bounds carry generous margins; the longest stretch is
 * checked in CPU time between two ticks of a 5 ms timer, which a loaded
 * machine does not inflate. Targets (abort ≤ 100 ms, loop delay p99 ≤ 20 ms)
 * live in bench/abortable-calls-bench.ts and docs/benchmarks.md.
 */
import { describe, expect, it } from 'vitest';
import { watchLoop, type LoopWatch } from './helpers/loop-watch.js';
import '../src/backends/built-in-backends.js';
import { AbortedError } from '../src/common/errors.js';
import type { Matrix } from '../src/common/matrix.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { idleWorkerCount } from '../src/backends/wasm/wasm-threads.js';
import { fitAgglomerative } from '../src/drivers/agglomerative/fit-agglomerative.js';
import { fitKPrototypes } from '../src/drivers/k-prototypes.js';
import { adjustedRandIndex, evaluatePartition, silhouetteScore } from '../src/metrics/cluster-metrics.js';
import { fitScaler } from '../src/preparation/scaling.js';

function customers(rows: number): { matrix: Matrix; truth: Int32Array } {
  const g = generateCustomers({ rows, seed: 3, features: 4 });
  const raw = generatedFeatureMatrix(g);
  return { matrix: fitScaler(raw, 'standard').transform(raw, { inPlace: true }), truth: Int32Array.from(g.trueSegment) };
}

/** The call kept the loop free: the timer ticked, typically on time, and no stretch held the CPU long. */
function expectFreeLoop(w: LoopWatch<unknown>, minTicks: number): void {
  expect(w.ticks).toBeGreaterThanOrEqual(minTicks);
  // typically ~10 ms; a loop blocked by the call would show seconds (a loaded machine stretches every gap, hence the margin)
  expect(w.gapP50Ms).toBeLessThan(250);
  // slices are ~8 ms; a stretch holding the loop for seconds (the bug) would show here whatever the load
  expect(w.cpuGapMaxMs).toBeLessThan(250);
}

/** The abort from the timer landed mid-call and the call rejected with AbortedError soon after. */
function expectAborted(w: LoopWatch<unknown>): void {
  expect(w.endedBeforeAbort).toBe(false);
  expect(w.error).toBeInstanceOf(AbortedError);
  expect((w.error as AbortedError).message).toBe('aborted: timer');
  // target 100 ms (bench); margin for a loaded 2-core machine
  expect(w.abortLatencyMs).toBeLessThan(1000);
}

const show = (name: string, w: LoopWatch<unknown>): void =>
  console.log(`${name}: ran ${w.ranMs.toFixed(0)} ms, ${w.ticks} ticks, gap p50 ${w.gapP50Ms.toFixed(1)} ms, max ${w.gapMaxMs.toFixed(1)} ms, longest CPU stretch ${w.cpuGapMaxMs.toFixed(1)} ms, abort latency ${w.abortLatencyMs.toFixed(1)} ms`);

describe('quality metrics on the caller thread: sliced and abortable', () => {
  const { matrix, truth } = customers(1_000_000);

  it('evaluatePartition on 1M rows keeps a 5 ms timer firing, then a timer abort a quarter of the way through stops it', async () => {
    const free = await watchLoop(() => evaluatePartition(matrix, truth));
    show('evaluatePartition 1M', free);
    expect(free.error).toBeUndefined();
    expect(free.value!.k).toBe(new Set(truth).size);
    expectFreeLoop(free, 20);
    const aborted = await watchLoop((signal) => evaluatePartition(matrix, truth, { signal }), free.ranMs / 4);
    show('evaluatePartition 1M, aborted', aborted);
    expectAborted(aborted);
  });

  it('an exact silhouette on 20,000 rows (O(n²)) stops on a timer abort 300 ms in', async () => {
    const rows = 20_000;
    const sample = { data: matrix.data.subarray(0, rows * matrix.cols), rows, cols: matrix.cols };
    const aborted = await watchLoop((signal) => silhouetteScore(sample, truth.subarray(0, rows), { maxExactRows: rows, signal }), 300);
    show('silhouette exact 20k, aborted', aborted);
    expectAborted(aborted);
    expectFreeLoop(aborted, 3);
  });
});

/** Calls `fit` back to back until the signal stops one, so a timer's abort lands mid-call however fast the machine. */
async function untilAborted(fit: (signal: AbortSignal) => Promise<unknown>, signal: AbortSignal): Promise<never> {
  for (;;) await fit(signal);
}

describe('agglomerative clustering: sliced around its kernels and abortable', () => {
  it('two-stage on 1M rows (wasm): a 5 ms timer keeps firing, then a timer abort a quarter of the way through stops it', async () => {
    const { matrix, truth } = customers(1_000_000);
    const options = { k: 5, mode: 'two-stage' as const, microClusters: 200, microMaxIter: 3, backend: 'wasm', threads: 2 };
    const free = await watchLoop(() => fitAgglomerative(matrix, options));
    show('two-stage 1M wasm', free);
    expect(free.error).toBeUndefined();
    expect(await adjustedRandIndex(free.value!.labels, truth)).toBeGreaterThan(0.5);
    // wasm worker threads run the kernels, so the CPU between ticks is not the main thread's alone: wall-clock checks only
    expect(free.ticks).toBeGreaterThanOrEqual(20);
    expect(free.gapP50Ms).toBeLessThan(250);
    // A quarter, not half: the first run also starts the workers and warms the JIT, so a second one can take
    // well under half its time (848 of 2,100 ms on a loaded machine, which then finished before a half-way abort).
    const aborted = await watchLoop((signal) => fitAgglomerative(matrix, { ...options, signal }), free.ranMs / 4);
    show('two-stage 1M wasm, aborted', aborted);
    expectAborted(aborted);
    expect(idleWorkerCount()).toBeGreaterThanOrEqual(2);
  });

  it.each(['wasm', 'js'])('exact ward at the exact bound, 20,000 rows (matrix-free, %s): a timer abort stops it', async (backend) => {
    const { matrix } = customers(20_000);
    const aborted = await watchLoop((signal) => untilAborted((s) => fitAgglomerative(matrix, { k: 5, mode: 'exact', backend, signal: s }), signal), 1500);
    show(`exact ward 20k ${backend}, aborted`, aborted);
    expectAborted(aborted);
    expect(aborted.ticks).toBeGreaterThanOrEqual(5);
    expect(aborted.gapP50Ms).toBeLessThan(250);
  });

  it('exact complete linkage on the distance matrix (8,000 rows, wasm): a timer abort stops it', async () => {
    const { matrix } = customers(8_000);
    const aborted = await watchLoop((signal) => untilAborted((s) => fitAgglomerative(matrix, { k: 5, mode: 'exact', linkage: 'complete', backend: 'wasm', signal: s }), signal), 1500);
    show('exact complete 8k wasm, aborted', aborted);
    expectAborted(aborted);
    expect(aborted.ticks).toBeGreaterThanOrEqual(5);
    expect(aborted.gapP50Ms).toBeLessThan(250);
  });
});

describe('k-prototypes on 1M rows: sliced and abortable', () => {
  const { matrix } = customers(1_000_000);
  const codes = new Int32Array(matrix.rows * 2);
  for (let i = 0; i < codes.length; i++) codes[i] = ((i * 2654435761) >>> 7) % 3;
  const categorical = { names: ['a', 'b'], codes, levels: [3, 3] };

  it('two iterations keep a 5 ms timer firing, with no long stretch on the main thread', async () => {
    const free = await watchLoop(() => fitKPrototypes(matrix, categorical, { k: 5, nInit: 1, maxIter: 2 }));
    show('k-prototypes 1M, 2 iterations', free);
    expect(free.error).toBeUndefined();
    expect(free.value!.sizes.reduce((a, b) => a + b, 0)).toBe(matrix.rows);
    expectFreeLoop(free, 20);
  });

  it('a timer abort stops it mid-fit', async () => {
    const aborted = await watchLoop((signal) => untilAborted((s) => fitKPrototypes(matrix, categorical, { k: 8, nInit: 5, seed: 1, signal: s }), signal), 1000);
    show('k-prototypes 1M, aborted', aborted);
    expectAborted(aborted);
    expectFreeLoop(aborted, 5);
  });
});
