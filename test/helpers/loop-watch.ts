/**
 * Watches the event loop while a long call runs: a 5 ms interval timer
 * records how late each tick fires (wall clock) and how much CPU the process
 * spent between ticks (a stretch of JavaScript that held the loop shows up
 * there even on a loaded machine, where wall-clock lateness mostly measures
 * the scheduler). Optionally aborts the call from a timer.
 */
import { AbortedError } from '../../src/common/errors.js';

/** What happened while the call ran. */
export interface LoopWatch<T> {
  /** The call's value, when it settled normally. */
  value?: T;
  /** The call's rejection, when it rejected. */
  error?: unknown;
  /** Ticks of the 5 ms timer while the call ran. */
  ticks: number;
  /** Median and largest wall-clock gap between ticks, ms. */
  gapP50Ms: number;
  gapMaxMs: number;
  /** Largest process CPU time between two ticks, ms (worker threads included). */
  cpuGapMaxMs: number;
  /** From `abort()` to the rejection, ms (NaN without an abort, or when the call ended first). */
  abortLatencyMs: number;
  /** Whether the call settled before the abort timer fired. */
  endedBeforeAbort: boolean;
  /** The call's wall-clock duration, ms. */
  ranMs: number;
}

/**
 * Runs `call(signal)` with the 5 ms watch on; with `abortAfterMs`, a timer
 * calls `abort(new Error('timer'))` that many ms after the start.
 */
export async function watchLoop<T>(call: (signal: AbortSignal) => Promise<T>, abortAfterMs?: number): Promise<LoopWatch<T>> {
  const ac = new AbortController();
  const gaps: number[] = [];
  let cpuGapMax = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const interval = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    gaps.push(now - last);
    cpuGapMax = Math.max(cpuGapMax, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
    last = now;
    lastCpu = cpu;
  }, 5);
  let abortedAt = NaN;
  const timer =
    abortAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          abortedAt = performance.now();
          ac.abort(new Error('timer'));
        }, abortAfterMs);
  const started = performance.now();
  let value: T | undefined;
  let error: unknown;
  try {
    value = await call(ac.signal);
  } catch (e) {
    error = e;
  }
  const ended = performance.now();
  clearInterval(interval);
  clearTimeout(timer);
  const sorted = [...gaps].sort((a, b) => a - b);
  return {
    ...(error === undefined ? { value } : { error }),
    ticks: gaps.length,
    gapP50Ms: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    gapMaxMs: sorted[sorted.length - 1] ?? NaN,
    cpuGapMaxMs: cpuGapMax,
    abortLatencyMs: error instanceof AbortedError ? ended - abortedAt : NaN,
    endedBeforeAbort: abortAfterMs !== undefined && Number.isNaN(abortedAt),
    ranMs: ended - started,
  };
}
