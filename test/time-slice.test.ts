/**
 * Cooperative time slicing (src/common/time-slice.ts): a slice is due after
 * its budget, pausing hands the event loop over (queued callbacks run) and
 * then reports an abort, and untilAborted rejects at once on an abort from
 * outside while the work is still pending.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../src/common/errors.js';
import { runSteps, SLICE_MS, TimeSlicer, untilAborted, yieldToEventLoop, type Steps } from '../src/common/time-slice.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(p: Promise<unknown>): Promise<AbortedError> {
  const e = await p.then(
    () => {
      throw new Error('expected an abort');
    },
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(AbortedError);
  expect((e as AbortedError).code).toBe('ABORTED');
  return e as AbortedError;
}

describe('TimeSlicer', () => {
  it('is due once its budget has passed, and not before', async () => {
    expect(SLICE_MS).toBe(8);
    const slow = new TimeSlicer(undefined, 60_000);
    expect(slow.due()).toBe(false);
    const short = new TimeSlicer(undefined, 20);
    await sleep(40);
    expect(short.due()).toBe(true);
    expect(new TimeSlicer(undefined, 0).due()).toBe(true);
  });

  it('the default budget is SLICE_MS', async () => {
    const s = new TimeSlicer();
    await sleep(SLICE_MS * 4);
    expect(s.due()).toBe(true);
  });

  it('pause hands the event loop over (an immediate queued before it has run) and starts a new slice', async () => {
    // a long budget, so that a loaded machine does not make the new slice due before the check
    const s = new TimeSlicer(undefined, 500);
    await sleep(600);
    expect(s.due()).toBe(true);
    let ran = false;
    setImmediate(() => (ran = true));
    await s.pause();
    expect(ran).toBe(true);
    expect(s.due()).toBe(false);
  });

  it('pause reports an abort that happens while it waits, with the reason', async () => {
    const controller = new AbortController();
    const s = new TimeSlicer(controller.signal, 0);
    setImmediate(() => controller.abort(new Error('stop now')));
    const e = await rejection(s.pause());
    expect(e.message).toBe('aborted: stop now');
  });

  it('maybePause pauses only when due, and checks the signal either way', async () => {
    const quiet = new TimeSlicer(new AbortController().signal, 60_000);
    let ran = false;
    setImmediate(() => (ran = true));
    await quiet.maybePause();
    expect(ran).toBe(false); // not due: no pause, so the immediate has not run yet
    await yieldToEventLoop();
    expect(ran).toBe(true);

    const due = new TimeSlicer(undefined, 0);
    let ranDue = false;
    setImmediate(() => (ranDue = true));
    await due.maybePause();
    expect(ranDue).toBe(true);

    const controller = new AbortController();
    controller.abort('user');
    const e = await rejection(new TimeSlicer(controller.signal, 60_000).maybePause());
    expect(e.message).toBe('aborted: user');
  });
});

describe('TimeSlicer and runSteps on a controlled clock (only performance.now is faked; immediates and timers are real)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a slice is due exactly when its budget has elapsed, not a millisecond before', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const s = new TimeSlicer(undefined, 8);
    vi.advanceTimersByTime(7);
    expect(s.due()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(s.due()).toBe(true);
    expect(new TimeSlicer(undefined, 0).due()).toBe(true); // no time at all has passed on this clock
  });

  it('runSteps hands the event loop over once per SLICE_MS of work: after steps SLICE_MS, 2·SLICE_MS, … and never between', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    // A real setImmediate chain marks every turn of the event loop.
    let turned = false;
    let ticking = true;
    const tick = (): void => {
      turned = true;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const sawTurn: number[] = [];
    const steps = 5 * SLICE_MS;
    function* work(): Steps<string> {
      for (let k = 1; k <= steps; k++) {
        if (turned) sawTurn.push(k);
        turned = false;
        vi.advanceTimersByTime(1); // each step "takes" 1 ms
        yield;
      }
      return 'done';
    }
    try {
      expect(await runSteps(work())).toBe('done');
    } finally {
      ticking = false;
    }
    // The slice starts at 0 ms; after step k the clock reads k ms, so the slice is used up after step SLICE_MS,
    // the pause lets the loop turn, and step SLICE_MS + 1 is the first to see it; and so on every SLICE_MS steps.
    const expected: number[] = [];
    for (let k = SLICE_MS + 1; k <= steps; k += SLICE_MS) expected.push(k);
    expect(sawTurn).toEqual(expected);
  });
});

describe('runSteps cancellation', () => {
  it('an abort from a timer stops endless work at its next pause, and the work\'s own finally runs', async () => {
    const controller = new AbortController();
    let cleaned = false;
    let stepsRun = 0;
    const started = performance.now();
    function* endless(): Steps<string> {
      try {
        // Without pauses the timer could never fire: the loop would run to its 5 s cap and return.
        while (performance.now() - started < 5_000) {
          stepsRun++;
          yield;
        }
        return 'ran to the cap';
      } finally {
        cleaned = true;
      }
    }
    setTimeout(() => controller.abort(new Error('timer')), 20);
    const e = await rejection(runSteps(endless(), { signal: controller.signal }));
    expect(e.message).toBe('aborted: timer');
    expect(cleaned).toBe(true);
    expect(stepsRun).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(4_000);
  }, 15_000);

  it('an already aborted signal rejects before the first step', async () => {
    const controller = new AbortController();
    controller.abort('before');
    let stepsRun = 0;
    function* work(): Steps<number> {
      stepsRun++;
      yield;
      return 1;
    }
    const e = await rejection(runSteps(work(), { signal: controller.signal }));
    expect(e.message).toBe('aborted: before');
    expect(stepsRun).toBe(0);
  });
});

describe('untilAborted', () => {
  it('leaves no listener on the signal once the work settles or the abort came', async () => {
    const signal = new AbortController().signal; // one long-lived signal shared by many calls
    for (let i = 0; i < 3; i++) {
      await expect(untilAborted(sleep(1).then(() => i), signal)).resolves.toBe(i);
      await expect(untilAborted(sleep(1).then(() => Promise.reject(new Error(`no ${i}`))), signal)).rejects.toThrow(`no ${i}`);
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);

    const controller = new AbortController();
    setTimeout(() => controller.abort('timer'), 5);
    const pending = untilAborted(new Promise(() => undefined), controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await rejection(pending);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('without a signal is the work itself', async () => {
    const work = Promise.resolve(3);
    expect(untilAborted(work, undefined)).toBe(work);
  });

  it('settles like the work when no abort comes', async () => {
    const signal = new AbortController().signal;
    await expect(untilAborted(sleep(5).then(() => 'done'), signal)).resolves.toBe('done');
    await expect(untilAborted(sleep(5).then(() => Promise.reject(new Error('work failed'))), signal)).rejects.toThrow('work failed');
  });

  it('rejects at once on an abort from a timer while the work never settles', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timer')), 10);
    const e = await rejection(untilAborted(new Promise(() => undefined), controller.signal));
    expect(e.message).toBe('aborted: timer');
  });

  it('rejects at once when already aborted, and a late failure of the work is ignored', async () => {
    const controller = new AbortController();
    controller.abort(42); // neither an Error nor a string: the plain message
    const late = sleep(5).then(() => Promise.reject(new Error('late')));
    const e = await rejection(untilAborted(late, controller.signal));
    expect(e.message).toBe('the operation was aborted');
    await sleep(20); // the late rejection must not surface as unhandled
  });

  it('an abort after the work settled changes nothing', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(1), controller.signal)).resolves.toBe(1);
    const failed = untilAborted(Promise.reject(new Error('no')), controller.signal);
    await expect(failed).rejects.toThrow('no');
    controller.abort();
    await sleep(5);
  });
});
