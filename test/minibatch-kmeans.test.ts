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
import {
  checkMiniBatchSettings,
  matrixRowsAt,
  MINIBATCH_DEFAULTS,
  miniBatchFit,
  miniBatchInit,
  MiniBatchState,
  resolveInitSize,
  type MiniBatchRun,
} from '../src/drivers/minibatch-kmeans.js';
import { squaredDistanceF32 } from '../src/backends/kernel-contract.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { thrown } from './helpers/thrown.js';

function generated(rows: number, features: number, seed = 7): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features, seed }));
  return fitScaler(raw, 'standard').transform(raw);
}

/** A MiniBatchState on `init` (k × cols) with these run settings over a nominal 1,000 rows. */
function stateOf(init: number[], over: Partial<MiniBatchRun> & { k: number; cols: number }, seed = 1): MiniBatchState {
  const run: MiniBatchRun = { rows: 1000, batchSize: 4, maxNoImprovement: 1000, reassignmentRatio: 0, tolScaled: 0, ...over };
  return new MiniBatchState(Float32Array.from(init), run, new SeededRandom(seed));
}

describe('mini-batch steps, value by value', () => {
  it('two features, three centres: running means, counts, batch inertia, no shift without tol', async () => {
    const s = stateOf([0, 0, 10, 0, 0, 10], { k: 3, cols: 2 });
    // (1,1) and (-1,3) are nearest (0,0), (11,2) nearest (10,0), (0,12) nearest (0,10): squared distances 2, 10, 5, 4.
    const one = await s.step(Float32Array.of(1, 1, -1, 3, 11, 2, 0, 12), 4);
    expect(one).toEqual({ inertia: 21, shift: 0, converged: false, reassigned: 0 });
    expect(Array.from(s.centers)).toEqual([0, 2, 11, 2, 0, 12]);
    expect(Array.from(s.counts)).toEqual([2, 1, 1]);
    // (2,2) → (0,2): 4; (12,4) and (12,0) → (11,2): 5 each; (0,14) → (0,12): 4.
    const two = await s.step(Float32Array.of(2, 2, 12, 4, 12, 0, 0, 14), 4);
    expect(two.inertia).toBe(18);
    expect(Array.from(s.centers)).toEqual([(0 * 2 + 2) / 3, (2 * 2 + 2) / 3, (11 * 1 + 24) / 3, (2 * 1 + 4) / 3, (0 * 1 + 0) / 2, (12 * 1 + 14) / 2]);
    expect(Array.from(s.centers32)).toEqual(Array.from(s.centers, Math.fround));
    expect(Array.from(s.counts)).toEqual([3, 3, 2]);
    expect(s.steps).toBe(2);
  });

  it('with tol: the squared shift of the centres, and stopping once it is at most tol × variance', async () => {
    const run = async (tolScaled: number) => {
      const s = stateOf([0, 10], { k: 2, cols: 1, tolScaled });
      // c0: 0 → 2 (shift 4); then (2 · 2 + 10) / 4 = 3.5 (shift 2.25). c1 stays at 10.
      return [await s.step(Float32Array.of(2, 2, 10, 10), 4), await s.step(Float32Array.of(5, 5, 10, 10), 4)];
    };
    expect((await run(2.25)).map((o) => [o.shift, o.converged])).toEqual([
      [4, false],
      [2.25, true],
    ]);
    expect((await run(2.2)).map((o) => [o.shift, o.converged])).toEqual([
      [4, false],
      [2.25, false],
    ]);
    // The first step only starts the average, whatever its shift.
    expect((await run(10)).map((o) => o.converged)).toEqual([false, true]);
    expect((await run(0)).map((o) => [o.shift, o.converged])).toEqual([
      [0, false],
      [0, false],
    ]);
  });

  it('the smoothed batch inertia is scikit-learn’s EWA, alpha = min(1, 2 batch / (rows + 1)); no new minimum for maxNoImprovement steps stops', async () => {
    // Batches ±a around the centres 0 and 10 leave them in place: a batch inertia of a² a row.
    // A third centre far away gets no rows and stays where it is.
    const s = stateOf([0, 10, 1000], { k: 3, cols: 1, maxNoImprovement: 2 });
    const spreads = [3, 2, 1, 3, 3, 3];
    const alpha = Math.min(1, (4 * 2) / (1000 + 1));
    let ewa: number | undefined;
    const seen: { smoothed: number | undefined; converged: boolean }[] = [];
    const expected: { smoothed: number | undefined; converged: boolean }[] = [];
    let best = Infinity;
    let stale = 0;
    for (const [i, a] of spreads.entries()) {
      const out = await s.step(Float32Array.of(-a, a, 10 - a, 10 + a), 4);
      expect(out.inertia).toBe(4 * a * a);
      seen.push({ smoothed: s.smoothedInertia, converged: out.converged });
      if (i > 0) {
        ewa = ewa === undefined ? a * a : ewa * (1 - alpha) + a * a * alpha;
        if (ewa < best) [best, stale] = [ewa, 0];
        else stale++;
      }
      expected.push({ smoothed: ewa, converged: stale >= 2 });
    }
    expect(seen).toEqual(expected);
    // Steps 2 and 3 lower the average, steps 4 and 5 do not: the run stops at step 5.
    expect(seen.map((x) => x.converged)).toEqual([false, false, false, false, true, true]);
    expect(Array.from(s.centers)).toEqual([0, 10, 1000]);
  });

  it('an equal smoothed inertia is no improvement (alpha = 1 on few rows)', async () => {
    const s = stateOf([0, 10], { k: 2, cols: 1, rows: 3, maxNoImprovement: 2 });
    const converged: boolean[] = [];
    for (const a of [3, 2, 2, 2, 2]) converged.push((await s.step(Float32Array.of(-a, a, 10 - a, 10 + a), 4)).converged);
    expect(s.smoothedInertia).toBe(4);
    expect(converged).toEqual([false, false, false, true, true]);
  });

  it('reassignment is decided at the first step and then every 10 k rows: low-count centres move, their count the smallest kept one', async () => {
    const s = stateOf([5, 1000], { k: 2, cols: 1, reassignmentRatio: 0.5 }, 3);
    const moved: number[] = [];
    const counts: number[][] = [];
    for (let step = 1; step <= 16; step++) {
      // Every row is 5: the far centre gets none; once moved onto 5 it loses every tie to centre 0.
      if ((await s.step(Float32Array.of(5, 5, 5, 5), 4)).reassigned > 0) moved.push(step);
      counts.push(Array.from(s.counts));
      expect(Array.from(s.centers)).toEqual([5, 5]);
    }
    // Step 1: no counts yet. Then every 20 rows (10 k): steps 6, 11 and 16; at step 11 centre 1 (24) is
    // not below half of centre 0's 44, at steps 6 and 16 it is (4 < 12, 24 < 32).
    expect(moved).toEqual([1, 6, 16]);
    expect(counts[0]).toEqual([4, 4]);
    expect(counts[4]).toEqual([20, 4]);
    expect(counts[5]).toEqual([24, 24]);
    expect(counts[10]).toEqual([44, 24]);
    expect(counts[15]).toEqual([64, 64]);
    expect(s.reassignedTotal).toBe(3);
  });

  it('at most half a batch of centres move, the lowest counts first (lower index on ties)', async () => {
    // Batches of 2 rows: one centre may move a step. Both far centres start without rows.
    const s = stateOf([0, 500, 1000], { k: 3, cols: 1, batchSize: 2, reassignmentRatio: 0.5 }, 5);
    const batch = Float32Array.of(1, 3);
    expect((await s.step(batch, 2)).reassigned).toBe(1);
    // Centre 1 (index before 2 at the same count 0) moved to a batch row; its count is the smallest kept one (centre 2's 0).
    expect([1, 3]).toContain(s.centers[1]);
    expect(s.centers[2]).toBe(1000);
    expect(Array.from(s.counts)).toEqual([2, 0, 0]);
    // Step 2: centre 1 takes one row (count 1), centre 0 the other (count 3), centre 2 none: centres 1 and 2 are
    // below half of 3 and only the lower count (centre 2) moves, to the count of centre 1.
    const before = s.centers[1];
    expect((await s.step(batch, 2)).reassigned).toBe(1);
    expect(s.centers[1]).toBe(before);
    expect([1, 3]).toContain(s.centers[2]);
    expect(Array.from(s.counts)).toEqual([3, 1, 1]);
  });

  it('centres moved together go to distinct batch rows, each row as likely', async () => {
    const rows = [1, 10, 2, 20, 3, 30, 4, 40];
    const hits = new Map<string, number>();
    for (let seed = 0; seed < 60; seed++) {
      const s = stateOf([2.5, 25, 1000, 1000, 2000, 2000], { k: 3, cols: 2, reassignmentRatio: 0.5 }, seed);
      expect((await s.step(Float32Array.from(rows), 4)).reassigned).toBe(2);
      const a = Array.from(s.centers.subarray(2, 4));
      const b = Array.from(s.centers.subarray(4, 6));
      expect(a[1]).toBe(a[0]! * 10);
      expect(b[1]).toBe(b[0]! * 10);
      expect([1, 2, 3, 4]).toContain(a[0]);
      expect(b[0]).not.toBe(a[0]);
      expect(Array.from(s.counts)).toEqual([4, 4, 4]);
      for (const key of [`1:${a[0]}`, `2:${b[0]}`]) hits.set(key, (hits.get(key) ?? 0) + 1);
    }
    // Each of the 4 rows is drawn for each moved centre, 15 times in 60 on average.
    for (const c of [1, 2]) for (const r of [1, 2, 3, 4]) expect(hits.get(`${c}:${r}`) ?? 0).toBeGreaterThan(4);
  });
});

/** k = 1 mini-batch, written out: rows drawn with replacement, the running mean, the EWA of the batch inertia a row. */
function oneCentreRun(matrix: Matrix, init: number[], m: number, steps: number, seed: number) {
  const rng = new SeededRandom(seed);
  const d = matrix.cols;
  const c = Float64Array.from(init);
  const c32 = Float32Array.from(init);
  const alpha = Math.min(1, (m * 2) / (matrix.rows + 1));
  let n = 0;
  let ewa: number | undefined;
  const ewas: (number | undefined)[] = [];
  const inertias: number[] = [];
  const shifts: number[] = [];
  for (let s = 1; s <= steps; s++) {
    const ids = Array.from({ length: m }, () => rng.nextInt(matrix.rows));
    const batch = Float32Array.from(ids.flatMap((id) => Array.from(matrix.data.subarray(id * d, id * d + d))));
    let inertia = 0;
    const sum = new Float64Array(d);
    for (let q = 0; q < m; q++) {
      inertia += squaredDistanceF32(batch, q * d, c32, 0, d);
      for (let j = 0; j < d; j++) sum[j]! += batch[q * d + j]!;
    }
    let shift = 0;
    for (let j = 0; j < d; j++) {
      const next = (c[j]! * n + sum[j]!) / (n + m);
      shift += (next - c[j]!) * (next - c[j]!);
      c[j] = next;
      c32[j] = Math.fround(next);
    }
    n += m;
    if (s > 1) ewa = ewa === undefined ? inertia / m : ewa * (1 - alpha) + (inertia / m) * alpha;
    ewas.push(ewa);
    inertias.push(inertia);
    shifts.push(shift);
  }
  return { centre: Array.from(c32), ewas, inertias, shifts };
}

describe('the mini-batch loop, value by value', () => {
  const matrix: Matrix = { data: Float32Array.from({ length: 20 }, (_, i) => (i % 2 ? (i * 7) % 11 : i)), rows: 10, cols: 2 };
  const runOf = (over: Partial<MiniBatchRun> = {}): MiniBatchRun => ({ k: 1, cols: 2, rows: 10, batchSize: 4, maxNoImprovement: 1e9, reassignmentRatio: 0.01, tolScaled: 0, ...over });

  it('k = 1: the running mean of the drawn rows; the budget of maxIter × rows / batch steps ends the run mid-epoch; the last step is reported', async () => {
    const events: ProgressEvent[] = [];
    const started = performance.now();
    const out = await miniBatchFit(matrix, Float32Array.of(0, 0), runOf(), 10, new SeededRandom(7), { onProgress: (e) => void events.push(e), run: 1, nInit: 2 });
    const wall = (performance.now() - started) / 1000;
    // 10 × 10 / 4 = 25 steps, 3 an epoch (round(2.5)): the 25th is the first of the 9th epoch; 25 × 4 rows = 10 epochs' worth.
    expect([out.steps, out.epochs, out.converged, out.reassigned]).toEqual([25, 10, false, 0]);
    const ref = oneCentreRun(matrix, [0, 0], 4, 25, 7);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    expect(out.history.map((h) => [h.iteration, h.wcss, h.shift, h.changed])).toEqual([[25, ref.ewas[24]! * 10, 0, 0]]);
    expect(out.history[0]!.seconds).toBeGreaterThanOrEqual(0);
    expect(out.history[0]!.seconds).toBeLessThanOrEqual(wall);
    expect(events).toEqual([{ kind: 'iteration', k: 1, run: 1, nInit: 2, iteration: 25, maxIter: 25, wcss: ref.ewas[24]! * 10, shift: 0, changed: 0 }]);
  });

  it('every 64th step and the last are reported', async () => {
    const out = await miniBatchFit(matrix, Float32Array.of(0, 0), runOf(), 30, new SeededRandom(3), { run: 0, nInit: 1 });
    const ref = oneCentreRun(matrix, [0, 0], 4, 75, 3);
    expect(out.steps).toBe(75);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    expect(out.history.map((h) => [h.iteration, h.wcss])).toEqual([
      [64, ref.ewas[63]! * 10],
      [75, ref.ewas[74]! * 10],
    ]);
    const total = out.history.reduce((a, h) => a + h.seconds, 0);
    expect(total).toBeGreaterThanOrEqual(0);
    expect(total).toBeLessThan(60);
  });

  it('a run that ends on a 64th step reports it once', async () => {
    // 16 rows in batches of 4: 4 steps an epoch, 16 epochs = 64 steps, the budget too.
    const rows16: Matrix = { data: Float32Array.from({ length: 32 }, (_, i) => (i * 3) % 5), rows: 16, cols: 2 };
    const events: ProgressEvent[] = [];
    const out = await miniBatchFit(rows16, Float32Array.of(0, 0), runOf({ rows: 16 }), 16, new SeededRandom(2), { onProgress: (e) => void events.push(e), run: 0, nInit: 1 });
    const ref = oneCentreRun(rows16, [0, 0], 4, 64, 2);
    expect(out.steps).toBe(64);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    expect(out.history.map((h) => [h.iteration, h.wcss])).toEqual([[64, ref.ewas[63]! * 16]]);
    expect(events).toHaveLength(1);
  });

  it('maxIter epochs of rounded-down steps end the run before the budget; the last step is still reported', async () => {
    // 12 rows in batches of 5: round(2.4) = 2 steps an epoch, so 5 epochs are 10 steps (the budget is 5 × 12 / 5 = 12).
    const rows12: Matrix = { data: Float32Array.from({ length: 24 }, (_, i) => (i * 5) % 7), rows: 12, cols: 2 };
    const out = await miniBatchFit(rows12, Float32Array.of(1, 1), runOf({ rows: 12, batchSize: 5 }), 5, new SeededRandom(4));
    const ref = oneCentreRun(rows12, [1, 1], 5, 10, 4);
    expect([out.steps, out.epochs]).toEqual([10, 5]);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    expect(out.history.map((h) => [h.iteration, h.wcss])).toEqual([[10, ref.ewas[9]! * 12]]);
  });

  it('a batch larger than the data draws as many rows as there are; one step reports its own inertia', async () => {
    const three: Matrix = { data: Float32Array.of(1, 2, 3, 5, 8, 13), rows: 3, cols: 2 };
    const out = await miniBatchFit(three, Float32Array.of(0, 0), runOf({ rows: 3, batchSize: 8 }), 1, new SeededRandom(9));
    const ref = oneCentreRun(three, [0, 0], 3, 1, 9);
    expect([out.steps, out.epochs]).toEqual([1, 1]);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    // No smoothed value after one step: the step's inertia a row × rows.
    expect(out.history.map((h) => [h.iteration, h.wcss])).toEqual([[1, (ref.inertias[0]! / 3) * 3]]);
  });

  it('early stopping on the shift ends the run at that step and reports it', async () => {
    const out = await miniBatchFit(matrix, Float32Array.of(0, 0), runOf({ tolScaled: 1e9 }), 10, new SeededRandom(7));
    const ref = oneCentreRun(matrix, [0, 0], 4, 2, 7);
    expect([out.steps, out.converged]).toEqual([2, true]);
    expect(Array.from(out.centers)).toEqual(ref.centre);
    expect(out.history.map((h) => [h.iteration, h.wcss, h.shift])).toEqual([[2, ref.ewas[1]! * 10, ref.shifts[1]]]);
  });
});

describe('mini-batch initialisation and settings', () => {
  it('miniBatchInit keeps the k-means++ run with the lowest inertia on the validation draw', async () => {
    const rng = new SeededRandom(4);
    const data = Float32Array.from({ length: 400 * 2 }, () => rng.nextGaussian() + (rng.nextInt(4) % 2) * 6);
    const matrix: Matrix = { data, rows: 400, cols: 2 };
    const rowsOf = new Set(Array.from({ length: 400 }, (_, i) => `${data[2 * i]},${data[2 * i + 1]}`));
    const runs = [];
    for (let seed = 0; seed < 6; seed++) {
      const out = await miniBatchInit(matrixRowsAt(matrix), 400, 2, 4, 3, 50, new SeededRandom(seed));
      expect(out.validationInertia).toHaveLength(3);
      expect(out.run).toBe(out.validationInertia.indexOf(Math.min(...out.validationInertia)));
      // The validation draw comes first from the generator: the kept centres' inertia on it is the one reported.
      const again = new SeededRandom(seed);
      const validation = Array.from({ length: 50 }, () => again.nextInt(400));
      let inertia = 0;
      for (const id of validation) {
        let best = Infinity;
        for (let c = 0; c < 4; c++) best = Math.min(best, squaredDistanceF32(data, id * 2, out.centers, c * 2, 2));
        inertia += best;
      }
      expect(inertia).toBe(out.validationInertia[out.run]);
      for (let c = 0; c < 4; c++) expect(rowsOf.has(`${out.centers[2 * c]},${out.centers[2 * c + 1]}`)).toBe(true);
      runs.push(out.run);
    }
    // Not always the first or the last run.
    expect(new Set(runs).size).toBeGreaterThan(1);
  });

  it('miniBatchInit keeps the first run on equal inertia', async () => {
    // Three distinct rows, many copies: every k = 3 run finds them, inertia 0.
    const matrix: Matrix = { data: Float32Array.from({ length: 300 * 2 }, (_, i) => (Math.floor(i / 2) % 3) * 5 + (i % 2)), rows: 300, cols: 2 };
    const out = await miniBatchInit(matrixRowsAt(matrix), 300, 2, 3, 3, 60, new SeededRandom(1));
    expect(out.validationInertia).toEqual([0, 0, 0]);
    expect(out.run).toBe(0);
  });

  it('resolveInitSize: 3 × batch by default, at least 3 k when below k, at most the rows', () => {
    const settings = { ...MINIBATCH_DEFAULTS };
    expect(resolveInitSize(settings, 5, 1e6)).toBe(3 * 1024);
    expect(resolveInitSize(settings, 5, 1000)).toBe(1000);
    expect(resolveInitSize({ ...settings, initSize: 500 }, 5, 1e6)).toBe(500);
    expect(resolveInitSize({ ...settings, initSize: 5 }, 5, 1e6)).toBe(5);
    expect(resolveInitSize({ ...settings, initSize: 4 }, 5, 1e6)).toBe(15);
    expect(resolveInitSize({ ...settings, batchSize: 1 }, 5, 1e6)).toBe(15);
  });

  it('checkMiniBatchSettings takes the bounds and refuses past them, naming option and value', async () => {
    expect(() => checkMiniBatchSettings({})).not.toThrow();
    expect(() => checkMiniBatchSettings({ batchSize: 1, maxNoImprovement: 1, reassignmentRatio: 0, initSize: 1 })).not.toThrow();
    expect(() => checkMiniBatchSettings({ batchSize: 1 << 24, reassignmentRatio: 1 })).not.toThrow();
    const cases: [object, string, number, RegExp][] = [
      [{ batchSize: (1 << 24) + 1 }, 'batchSize', (1 << 24) + 1, /^batchSize must be an integer in \[1, 16777216\], got 16777217$/],
      [{ maxNoImprovement: 0 }, 'maxNoImprovement', 0, /^maxNoImprovement must be an integer >= 1, got 0$/],
      [{ reassignmentRatio: -0.5 }, 'reassignmentRatio', -0.5, /^reassignmentRatio must be a finite number >= 0, got -0.5$/],
      [{ reassignmentRatio: 1.5 }, 'reassignmentRatio', 1.5, /^reassignmentRatio must be in \[0, 1\], got 1.5$/],
      [{ initSize: 0 }, 'initSize', 0, /^initSize must be an integer >= 1, got 0$/],
    ];
    for (const [settings, option, value, message] of cases) {
      const e = await thrown(() => checkMiniBatchSettings(settings));
      expect(e).toMatchObject({ code: 'INVALID_OPTION', details: { option, value } });
      expect(e.message).toMatch(message);
    }
  });
});

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
    const e = await thrown(() => fitKMeans(m, { k: 2, ...(options as object) }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(message);
  });

  it('sharded data is refused with INVALID_OPTION (mini-batch draws rows from memory)', async () => {
    const big = generated(20_000, 3, 1);
    const e = await thrown(() => fitKMeans(big, { k: 3, algorithm: 'minibatch', shards: 2 }));
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
    const e = await thrown(() => 
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
