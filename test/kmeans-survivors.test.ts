/**
 * Tests written against the mutants StrykerJS left alive in the drivers-kmeans
 * unit (kmeans.ts, validate-input.ts): the measured variance of a table longer
 * than one scan block, and a mini-batch fit that runs out of epochs (its note
 * and its timing). docs/testing.md lists the unit's other survivors.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { meanFeatureVariance, validateAndMeasure } from '../src/drivers/validate-input.js';

function table(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  // columns of different scales and offsets: a misaligned or repeated block shows in every column's variance
  return { data: Float32Array.from({ length: rows * cols }, (_, i) => (i % cols) * 50 + rng.nextGaussian() * (1 + (i % cols))), rows, cols };
}

describe('validateAndMeasure over several scan blocks (32,768 rows each)', () => {
  it('measures the mean feature variance of the whole table, as one pass does', async () => {
    for (const [rows, cols] of [
      [70_001, 3],
      [32_769, 2],
    ] as const) {
      const m = table(rows, cols, rows);
      const measured = await validateAndMeasure(m);
      expect(measured / meanFeatureVariance(m), `${rows} × ${cols}`).toBeCloseTo(1, 12);
    }
  });
});

describe('a mini-batch fit that runs out of epochs', () => {
  it('says so in its note (no "stopped early"), and times itself in seconds', async () => {
    const m = table(3_000, 2, 7);
    const events: ProgressEvent[] = [];
    const started = performance.now();
    const r = await fitKMeans(m, { k: 4, backend: 'js', algorithm: 'minibatch', batchSize: 256, maxIter: 1, nInit: 1, seed: 3, onProgress: (e) => events.push(e) });
    const elapsed = (performance.now() - started) / 1000;
    expect(r.converged).toBe(false);
    expect(r.notes.at(-1)).toBe(`mini-batch: the best run took ${r.steps} steps of 256 rows (1 epoch(s))`);
    const fit = events.filter((e) => e.kind === 'fit');
    expect(fit).toHaveLength(1);
    const seconds = (fit[0] as { seconds: number }).seconds;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(elapsed);
    expect(r.seconds).toBe(seconds);
  });
});
