/**
 * Tests written against the mutants StrykerJS left alive in the drivers-kmeans
 * unit (kmeans.ts, validate-input.ts): the measured variance of a table longer
 * than one scan block, and a mini-batch fit that runs out of epochs (its note
 * and its timing), and empty-cluster relocation with two features (the 1-feature
 * tests in kmeans-edges.test.ts cannot tell a row's coordinates apart).
 * docs/testing.md lists the unit's other survivors.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitKMeans, refineRows } from '../src/drivers/kmeans.js';
import { SWAP_SAMPLE } from '../src/drivers/swap-refinement.js';
import { meanFeatureVariance, validateAndMeasure } from '../src/drivers/validate-input.js';
import { memorySource } from './helpers/sharding-fixtures.js';

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

describe('relocation with two features (y = 5x, so the distances order as in the one-feature tests)', () => {
  it('two empty clusters take the farthest and the next farthest row; the centre they leave loses both coordinates', async () => {
    const m = matrixFromRows([0, 1, 2, 20, 30].map((x) => [x, 5 * x]));
    const r = await fitKMeans(m, { k: 3, init: [1, 5, 1000, 5000, 2000, 10_000], backend: 'js' });
    expect(r.notes).toEqual(['2 empty cluster(s) relocated to the farthest rows']);
    expect(Array.from(r.centroids)).toEqual([1, 5, 30, 150, 20, 100]);
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 2, 1]);
    // iteration 1: every row at centre (1, 5), then the centres move to (1, 5), (30, 150) and (20, 100)
    expect(r.history.map((h) => h.wcss)).toEqual([26 * (1 + 0 + 1 + 19 ** 2 + 29 ** 2), 26 * 2]);
    expect(r.history[0]!.shift).toBe(970 ** 2 + 4850 ** 2 + 1980 ** 2 + 9900 ** 2);
  });

  it('a cluster emptied by a relocation keeps both coordinates of its centre', async () => {
    // as in kmeans-edges' one-feature test, with y = 3x: the row (6, 18) leaves cluster 3 for the empty cluster 2
    const m = matrixFromRows([0, 6, 4, 0, 0, 2, 2].map((x) => [x, 3 * x]));
    const r = await fitKMeans(m, { k: 3, init: [1, 3, -1, -3, 10, 30], maxIter: 1, backend: 'js' });
    expect(r.notes).toEqual(['1 empty cluster(s) relocated to the farthest rows']);
    expect(Array.from(r.centroids)).toEqual([Math.fround(4 / 3), 4, 6, 18, 10, 30]);
    expect(r.sizes).toEqual([5, 2, 0]);
  });
});

describe('mini-batch on streamed data of several chunks', () => {
  it('draws each batch from the rows of its own chunk, the last and shorter one included', async () => {
    const { StreamedData, StreamedShards } = await import('../src/drivers/sharding/streamed-data.js');
    const { jsReferenceBackend } = await import('../src/backends/js-reference/js-reference-backend.js');
    const s = table(4096 + 700, 2, 91);
    const data = new StreamedData(new StreamedShards(memorySource(s), 2, 4096, jsReferenceBackend), 2);
    // no early stop: epochs of 16 + 3 steps (the chunks of 4,096 and 700 rows, 256 a batch) until the
    // step budget floor(maxIter · rows / batch) = 56, reached in the third epoch
    const r = await fitKMeans(data, { k: 4, seed: 3, nInit: 1, algorithm: 'minibatch', batchSize: 256, maxIter: 3, maxNoImprovement: 1_000, backend: jsReferenceBackend });
    expect(r.converged).toBe(false);
    expect(r.steps).toBe(Math.floor((3 * 4796) / 256));
    expect(r.centroids.every((v) => Number.isFinite(v))).toBe(true);
    const lloyd = await fitKMeans(s, { k: 4, seed: 3, backend: 'js' });
    expect(r.wcss).toBeLessThan(lloyd.wcss * 1.1);
  });
});

describe('the rows a weighted refinement searches', () => {
  it('are drawn with replacement ∝ w: the first row whose cumulative weight exceeds each draw, the last row included', () => {
    const m = table(50, 2, 5);
    // the last row weighs as much as all the others together: about half the draws land on it
    const w = Float64Array.from({ length: 50 }, (_, i) => (i === 49 ? 49 : i % 5 === 0 ? 0 : 1.25));
    w[49] = w.reduce((a, b) => a + b, 0);
    const got = refineRows(m, w, 17);
    expect(got.rows).toBe(SWAP_SAMPLE);
    const rng = new SeededRandom((17 ^ 0x27d4eb2f) >>> 0);
    const total = w.reduce((a, b) => a + b, 0);
    let last = 0;
    for (let q = 0; q < SWAP_SAMPLE; q++) {
      const target = rng.nextFloat() * total;
      let cum = 0;
      let row = 0;
      while ((cum += w[row]!) <= target) row++;
      if (row === 49) last++;
      expect(Array.from(got.data.subarray(q * 2, q * 2 + 2)), `draw ${q}`).toEqual(Array.from(m.data.subarray(row * 2, row * 2 + 2)));
    }
    expect(last).toBeGreaterThan(SWAP_SAMPLE / 3);
  });
});

describe('relocation never picks a row of weight 0', () => {
  it('even when it is the farthest row and every other row lies within distance 1 of its centre', async () => {
    // centre 2 (at 1000) is empty; the farthest row from centre 1 (0.1) is 0.5, of weight 0: row 0 (0.1² away) moves instead
    const m = matrixFromRows([[0], [0.1], [0.2], [0.5]]);
    const r = await fitKMeans(m, { k: 2, init: [0.1, 1000], backend: 'js', sampleWeight: [1, 1, 1, 0] });
    expect(r.notes).toEqual(['1 empty cluster(s) relocated to the farthest rows']);
    expect(Array.from(r.centroids)).toEqual([Math.fround(0.15), 0]);
    expect(Array.from(r.labels)).toEqual([1, 0, 0, 0]);
  });
});
