/**
 * Cooperative time slicing (src/common/time-slice.ts): a slice is due after
 * its budget, pausing hands the event loop over (queued callbacks run) and
 * then reports an abort, and untilAborted rejects at once on an abort from
 * outside while the work is still pending.
 */
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../src/common/errors.js';
import { SLICE_MS, TimeSlicer, untilAborted, yieldToEventLoop } from '../src/common/time-slice.js';

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

describe('untilAborted', () => {
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
