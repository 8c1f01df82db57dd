/**
 * Cooperative time slicing for work that runs on the caller's thread: a loop
 * asks {@link TimeSlicer.due} now and then (cheap) and, when its slice is
 * used up, awaits {@link TimeSlicer.pause}, which hands control back to the
 * event loop (timers, I/O, signal handlers run) and then throws
 * `AbortedError` if the signal fired meanwhile.
 */
import { throwIfAborted } from './errors.js';

/** Longest stretch, in milliseconds, that sliced work keeps the event loop. */
export const SLICE_MS = 8;

/** Resolves on the next turn of the event loop, after pending I/O and timers (setImmediate). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tracks one loop's slice of the event loop; see the module comment. */
export class TimeSlicer {
  private last = performance.now();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly budgetMs = SLICE_MS,
  ) {}

  /** True once this slice has run for `budgetMs`. */
  due(): boolean {
    return performance.now() - this.last >= this.budgetMs;
  }

  /** Yields to the event loop, starts a new slice, then throws `AbortedError` when the signal has fired. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.last = performance.now();
    throwIfAborted(this.signal);
  }

  /** `pause()` when the slice is used up; else only the abort check. */
  async maybePause(): Promise<void> {
    if (this.due()) await this.pause();
    else throwIfAborted(this.signal);
  }
}

/**
 * Settles like `work`, except that an abort of `signal` rejects at once with
 * `AbortedError`, without waiting for `work` (which must stop and clean up on
 * its own when it sees the signal; its late outcome is ignored). For steps that
 * cannot be cut quickly, such as DuckDB sniffing a CSV.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      try {
        throwIfAborted(signal);
      } catch (error) {
        reject(error);
      }
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
