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
 * Work written once as a generator: each `yield` marks a point where a pause
 * may happen (`undefined`) or carries a progress event. {@link runSteps} runs
 * it in slices that free the event loop; {@link drainSteps} runs it in one go.
 * Either way the same statements run in the same order, so a sliced
 * computation gives the same bits as an uninterrupted one.
 */
export type Steps<T, E = never> = Generator<E | undefined, T, void>;

/** Runs `steps` to the end on the spot, without pausing (for small inputs and synchronous helpers). */
export function drainSteps<T, E>(steps: Steps<T, E>): T {
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/**
 * Runs `steps` in slices of about {@link SLICE_MS}, yielding to the event loop
 * between them; hands yielded events to `onProgress`; rejects with
 * `AbortedError` at the first pause after `signal` fires (or at once when it
 * already has).
 */
export async function runSteps<T, E>(steps: Steps<T, E>, options: { signal?: AbortSignal | undefined; onProgress?: ((event: E) => void) | undefined } = {}): Promise<T> {
  throwIfAborted(options.signal);
  const slicer = new TimeSlicer(options.signal);
  try {
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      if (r.value !== undefined) options.onProgress?.(r.value);
      if (slicer.due()) await slicer.pause();
    }
  } finally {
    steps.return(undefined as never);
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
