/**
 * Mini-batch K-Means (issue 18 item 4): deterministic under a seed, the same
 * on every exact backend, scikit-learn's reassignment and early stopping,
 * validation, cancellation from a timer, and the spec surface. Small data:
 * StrykerJS runs this file per mutant (drivers-streaming unit). The WCSS
 * within 2% of exact Lloyd on 200k generated rows: minibatch-kmeans-quality.test.ts;
 * the CLI: minibatch-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { MiniBatchState } from '../src/drivers/minibatch-kmeans.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { rejection } from './helpers/sharding-fixtures.js';

function generated(rows: number, features: number, seed = 7): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features, seed }));
  return fitScaler(raw, 'standard').transform(raw);
}

describe('mini-batch determinism', () => {
  const m = generated(30_000, 4, 11);

  it('the same seed gives the same fit bit for bit; another seed a different trajectory', async () => {
    const a = await fitKMeans(m, { k: 6, seed: 5, algorithm: 'minibatch' });
    const b = await fitKMeans(m, { k: 6, seed: 5, algorithm: 'minibatch' });
    const c = await fitKMeans(m, { k: 6, seed: 6, algorithm: 'minibatch' });
    expect(b.wcss).toBe(a.wcss);
    expect(b.centroids).toEqual(a.centroids);
    expect(b.labels).toEqual(a.labels);
    expect(b.steps).toBe(a.steps);
    expect(c.centroids).not.toEqual(a.centroids);
  });

  it.each(['wasm', 'tfjs'])('js and %s give the same centres (the batch steps run on the reference kernels)', async (backend) => {
    const js = await fitKMeans(m, { k: 4, seed: 9, algorithm: 'minibatch', backend: 'js', nInit: 1 });
    const other = await fitKMeans(m, { k: 4, seed: 9, algorithm: 'minibatch', backend, nInit: 1 });
    expect(other.centroids).toEqual(js.centroids);
    if (backend === 'wasm') {
      expect(other.wcss).toBe(js.wcss);
      expect(other.labels).toEqual(js.labels);
    } else expect(other.wcss).toBeCloseTo(js.wcss, 0);
  }, 60_000);
});

describe('mini-batch steps (scikit-learn semantics)', () => {
  const run = { k: 2, cols: 1, rows: 1000, batchSize: 4, maxNoImprovement: 3, reassignmentRatio: 0.01, tolScaled: 0 };

  it('each centre is the running mean of the rows it was given (learning rate from counts)', async () => {
    const s = new MiniBatchState(Float32Array.of(0, 10), run, new SeededRandom(1));
    await s.step(Float32Array.of(1, 2, 9, 11), 4);
    expect(Array.from(s.centers)).toEqual([1.5, 10]);
    expect(Array.from(s.counts)).toEqual([2, 2]);
    await s.step(Float32Array.of(3, 3, 3, 12), 4);
    // (1.5 · 2 + 9) / 5 = 2.4 and (10 · 2 + 12) / 3
    expect(s.centers[0]).toBeCloseTo(2.4, 12);
    expect(s.centers[1]).toBeCloseTo(32 / 3, 12);
    expect(Array.from(s.counts)).toEqual([5, 3]);
  });

  it('a centre that gets no rows is moved to a batch row, its count reset to the smallest other count', async () => {
    const s = new MiniBatchState(Float32Array.of(0, 1000), run, new SeededRandom(2));
    const batch = Float32Array.of(1, 2, 3, 4);
    const out = await s.step(batch, 4);
    expect(out.reassigned).toBe(1);
    expect([1, 2, 3, 4]).toContain(s.centers[1]);
    expect(s.counts[1]).toBe(4);
    expect(s.centers[0]).toBe(2.5);
  });

  it('stops after maxNoImprovement steps without a lower smoothed inertia', async () => {
    const s = new MiniBatchState(Float32Array.of(0, 10), { ...run, reassignmentRatio: 0 }, new SeededRandom(3));
    const same = Float32Array.of(0, 1, 10, 11);
    const converged: boolean[] = [];
    for (let i = 0; i < 8; i++) converged.push((await s.step(same, 4)).converged);
    // Step 1 only starts; the batch inertia settles at its minimum, so the EWA stops falling and
    // after 3 steps without a new minimum the run stops.
    expect(converged.indexOf(true)).toBeGreaterThan(1);
    expect(converged.indexOf(true)).toBeLessThan(8);
  });

  it('a far given centre is reassigned in the fit and no segment ends empty', async () => {
    const rows: number[][] = [];
    const rng = new SeededRandom(4);
    for (let i = 0; i < 3000; i++) rows.push([rng.nextGaussian() + (i % 3) * 10, rng.nextGaussian()]);
    const m = matrixFromRows(rows);
    const r = await fitKMeans(m, { k: 3, init: [0, 0, 10, 0, 1e4, 1e4], algorithm: 'minibatch', batchSize: 256 });
    expect(r.notes.join(' ')).toMatch(/low-count centre\(s\) moved/);
    expect(Math.min(...r.sizes)).toBeGreaterThan(900);
  });
});

describe('mini-batch options', () => {
  const m = matrixFromRows([
    [0, 0],
    [1, 1],
    [9, 9],
    [8, 8],
  ]);
  it.each([
    [{ algorithm: 'elkan' }, /algorithm must be 'lloyd' or 'minibatch', got "elkan"/],
    [{ algorithm: 'minibatch', batchSize: 0 }, /batchSize must be an integer in \[1, 16777216\], got 0/],
    [{ algorithm: 'minibatch', reassignmentRatio: 2 }, /reassignmentRatio must be in \[0, 1\], got 2/],
    [{ algorithm: 'minibatch', maxNoImprovement: 1.5 }, /maxNoImprovement/],
  ])('%o is refused with INVALID_OPTION naming the value', async (options, message) => {
    const e = await rejection(fitKMeans(m, { k: 2, ...(options as object) }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(message);
  });

  it('sharded data is refused with INVALID_OPTION (mini-batch draws rows from memory)', async () => {
    const big = generated(20_000, 3, 1);
    const e = await rejection(fitKMeans(big, { k: 3, algorithm: 'minibatch', shards: 2 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/does not run on sharded data/);
  });

  it('a batch larger than the data uses every row per step and still fits', async () => {
    const r = await fitKMeans(m, { k: 2, algorithm: 'minibatch', seed: 1 });
    expect(r.sizes.sort()).toEqual([2, 2]);
    expect(r.labels[0]).toBe(r.labels[1]);
    expect(r.labels[2]).toBe(r.labels[3]);
    // Centres are running means of rows drawn with replacement: near, not at, the exact means (WCSS 2).
    expect(r.wcss).toBeGreaterThanOrEqual(2);
    expect(r.wcss).toBeLessThan(3);
  });

  it('a timer aborts a long mini-batch fit; the event loop kept running meanwhile', async () => {
    const big = generated(30_000, 4, 5);
    const controller = new AbortController();
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    const e = await rejection(
      fitKMeans(big, { k: 8, algorithm: 'minibatch', maxNoImprovement: 1_000_000, maxIter: 1000, signal: controller.signal, backend: 'wasm' }),
    );
    clearInterval(interval);
    expect(e.code).toBe('ABORTED');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(ticks).toBeGreaterThan(3);
  }, 30_000);
});

describe('mini-batch in the spec', () => {
  const base = { data: { path: 'x.csv' }, features: ['a'] };
  it('defaults follow scikit-learn per algorithm; a resolved spec is itself valid', () => {
    expect(validateSpec(base).kmeans).toEqual({ nInit: 3, algorithm: 'lloyd', maxIter: 300, tol: 1e-4 });
    const mb = validateSpec({ ...base, kmeans: { algorithm: 'minibatch' } });
    expect(validateSpec(JSON.parse(JSON.stringify(mb)))).toEqual(mb);
    expect(validateSpec({ ...base, kmeans: { algorithm: 'minibatch' } }).kmeans).toEqual({
      nInit: 3,
      maxIter: 100,
      tol: 0,
      algorithm: 'minibatch',
      batchSize: 1024,
      maxNoImprovement: 10,
      reassignmentRatio: 0.01,
    });
  });
  it('mini-batch fields without the mini-batch algorithm, or out of range, are named', () => {
    expect(() => validateSpec({ ...base, kmeans: { batchSize: 10 } })).toThrow(/spec.kmeans.batchSize applies only with spec.kmeans.algorithm 'minibatch'/);
    expect(() => validateSpec({ ...base, kmeans: { algorithm: 'minibatch', batchSize: 0 } })).toThrow(/spec.kmeans.batchSize/);
    expect(() => validateSpec({ ...base, kmeans: { algorithm: 'fast' } })).toThrow(/spec.kmeans.algorithm/);
    expect(() => validateSpec({ ...base, kmeans: { algorithm: 'minibatch' }, distributed: { shards: 2 } })).toThrow(/spec.kmeans.algorithm 'minibatch' cannot run with spec.distributed/);
  });
});
