/**
 * The TTY progress line used by sweep, kmeans, demo and report: silent on a
 * pipe; on a terminal one redrawn line per k and per iteration, cleared at the end.
 */
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../src/cli/progress-bar.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, columns: 100, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('createProgressReporter', () => {
  it('draws nothing when the stream is not a terminal', () => {
    const { stream, written } = fakeStream(false);
    const p = createProgressReporter(stream);
    p.listener({ kind: 'sweep-k', k: 1, index: 1, total: 10, wcss: 5 });
    p.listener({ kind: 'phase', phase: 'charts', detail: 'rendering elbow' });
    p.done();
    expect(written).toEqual([]);
  });

  it('on a terminal shows each k of the sweep, iterations and phases on one line, then clears it', () => {
    const { stream, written } = fakeStream(true);
    const p = createProgressReporter(stream);
    p.listener({ kind: 'sweep-k', k: 3, index: 3, total: 10, wcss: 106348.37 });
    expect(written.at(-1)).toBe('\r\x1b[2K[######..............] k 3/10 WCSS 106348');
    p.listener({ kind: 'phase', phase: 'charts', detail: 'rendering elbow (1/7)' });
    expect(written.at(-1)).toContain('charts: rendering elbow (1/7)');
    // Iteration lines are throttled to one per 80 ms; wait past the throttle.
    const until = performance.now() + 100;
    while (performance.now() < until) {
      /* spin past the 80 ms throttle */
    }
    p.listener({ kind: 'iteration', k: 4, run: 0, nInit: 3, iteration: 7, maxIter: 300, wcss: 73679.79, shift: 0.1, changed: 12 });
    expect(written.at(-1)).toContain('k=4 run 1/3 iteration 7 WCSS 73679.8 moved 12');
    for (const line of written) expect(line.length).toBeLessThanOrEqual(100 + 5);
    p.done();
    expect(written.at(-1)).toBe('\r\x1b[2K');
  });
});
