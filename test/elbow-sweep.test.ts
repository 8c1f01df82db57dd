import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { findElbow } from '../src/drivers/knee-detection.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE, SKLEARN_MALL_K5, SKLEARN_MALL_WCSS } from './helpers/mall-data.js';
import { runPythonReference, skipSuffix } from './helpers/python-reference.js';
import { thrown } from './helpers/thrown.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { shardMatrix } from '../src/drivers/sharding/sharded-data.js';

describe('findElbow (Kneedle, S = 1)', () => {
  it('finds the elbow computed by hand', () => {
    // x_n = 0,.25,.5,.75,1; flipped y_n = 0,.795,.909,.966,1; difference peaks at x = 2.
    expect(findElbow([1, 2, 3, 4, 5], [100, 30, 20, 15, 12])).toBe(2);
    expect(findElbow([1, 2, 3, 4, 5, 6], [100, 90, 80, 20, 15, 12])).toBe(4);
  });
  it('returns null without an elbow', () => {
    expect(findElbow([1, 2], [10, 5])).toBeNull();
    expect(findElbow([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(findElbow([1, 2, 3, 4], [4, 3, 2, 1])).toBeNull(); // a straight line has no knee
  });
});

describe('sweepK', () => {
  const m = matrixFromRows([
    [0, 0], [0, 1], [1, 0], [1, 1],
    [10, 10], [10, 11], [11, 10], [11, 11],
    [20, 0], [20, 1], [21, 0], [21, 1],
  ]);

  it('matches fitKMeans at every k, emits per-k progress and finds k = 3 on three squares', async () => {
    const events: ProgressEvent[] = [];
    const sweep = await sweepK(m, { kMin: 1, kMax: 6, seed: 5, backend: 'js', onProgress: (e) => events.push(e) });
    expect(sweep.ks).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sweep.suggestedK).toBe(3);
    expect(sweep.wcss[2]).toBe(6); // three unit squares: 4 × 0.5 each
    for (const k of [2, 4]) {
      const fit = await fitKMeans(m, { k, seed: 5, backend: 'js' });
      expect(sweep.wcss[k - 1]).toBe(fit.wcss);
    }
    expect(events.filter((e) => e.kind === 'sweep-k').map((e) => (e.kind === 'sweep-k' ? e.index : 0))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('validates the k range', async () => {
    await expect(sweepK(m, { kMin: 4, kMax: 2 })).rejects.toMatchObject({ code: 'INVALID_K', message: 'kMin (4) must not exceed kMax (2)' });
    await expect(sweepK(m, { kMin: 0 })).rejects.toMatchObject({ code: 'INVALID_K' });
    await expect(sweepK(matrixFromRows([[1], [1], [2]]), { kMax: 3, backend: 'js' })).rejects.toMatchObject({
      code: 'TOO_FEW_DISTINCT_POINTS',
      message: 'kMax = 3 is larger than the number of distinct rows (2)',
    });
  });

  it('stops between fits when aborted', async () => {
    const controller = new AbortController();
    const p = sweepK(m, {
      kMax: 6,
      backend: 'js',
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'sweep-k' && e.k === 2) controller.abort();
      },
    });
    const error = await p.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentaError);
    expect((error as SegmentaError).code).toBe('ABORTED');
  });
});

describe.skipIf(!HAVE_MALL)(`scikit-learn parity on Mall (income, score) ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('lands within 0.5% of scikit-learn at every k (lower is fine) and suggests k = 5', async () => {
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] });
    const sweep = await sweepK(table.matrix, { kMin: 1, kMax: 10, nInit: 10, seed: 42, backend: 'js' });
    sweep.wcss.forEach((w, i) => expect(w, `k = ${i + 1}`).toBeLessThanOrEqual(SKLEARN_MALL_WCSS[i]! * 1.005));
    // k = 1..5 have a single optimum: equal to scikit-learn's to the printed precision.
    for (let i = 0; i < 5; i++) expect(Math.abs(sweep.wcss[i]! - SKLEARN_MALL_WCSS[i]!)).toBeLessThan(0.02);
    expect(sweep.suggestedK).toBe(5);
  });

  const live = runPythonReference<number[]>(
    'KMeans(n_init=10, random_state=42) WCSS for k = 1..10 on Mall',
    `
import json, numpy as np
from sklearn.cluster import KMeans
X = np.loadtxt(${JSON.stringify(MALL_CSV)}, delimiter=',', skiprows=1, usecols=(3, 4))
print(json.dumps([float(KMeans(n_clusters=k, init='k-means++', n_init=10, random_state=42).fit(X).inertia_) for k in range(1, 11)]))
`,
  );
  it.skipIf(!live.value)(`scikit-learn run here agrees: within 0.5% at every k (lower is fine), equal at k = 1..5${skipSuffix(live)}`, async () => {
    const ref = live.value!;
    expect(ref).toHaveLength(10);
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] });
    const sweep = await sweepK(table.matrix, { kMin: 1, kMax: 10, nInit: 10, seed: 42, backend: 'js' });
    sweep.wcss.forEach((w, i) => expect(w, `k = ${i + 1}`).toBeLessThanOrEqual(ref[i]! * 1.005));
    for (let i = 0; i < 5; i++) expect(Math.abs(sweep.wcss[i]! - ref[i]!) / ref[i]!, `k = ${i + 1}`).toBeLessThan(1e-6);
    // the figures quoted in test/helpers/mall-data.ts are this scikit-learn's, to the printed precision
    ref.forEach((w, i) => expect(Math.abs(w - SKLEARN_MALL_WCSS[i]!), `k = ${i + 1}`).toBeLessThan(0.01));
  });

  it('finds scikit-learn’s five k = 5 centres and sizes', async () => {
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] });
    const fit = await fitKMeans(table.matrix, { k: 5, nInit: 10, seed: 42, backend: 'js' });
    const found = Array.from({ length: 5 }, (_, c) => ({ centre: [fit.centroids[2 * c]!, fit.centroids[2 * c + 1]!], size: fit.sizes[c]! }));
    for (const ref of SKLEARN_MALL_K5) {
      const match = found.find((f) => Math.abs(f.centre[0]! - ref.centre[0]!) < 0.01 && Math.abs(f.centre[1]! - ref.centre[1]!) < 0.01);
      expect(match, `centre ${ref.centre}`).toBeDefined();
      expect(match!.size).toBe(ref.size);
    }
  });
});

/**
 * The sweep's edges from the outside (found by reading elbow-sweep.ts against
 * StrykerJS's mutators): every refusal's code, message and details, the
 * clamped kMax and its note, what the result and the progress events carry,
 * and a timer that aborts a long sweep.
 */
describe('sweepK at its edges', () => {
  // Four distinct rows, three copies each: 12 rows.
  const four = matrixFromRows([0, 1, 2].flatMap(() => [[0, 0], [0, 4], [4, 0], [4, 4]]));
  const squares = matrixFromRows([
    [0, 0], [0, 1], [1, 0], [1, 1],
    [10, 10], [10, 11], [11, 10], [11, 11],
    [20, 0], [20, 1], [21, 0], [21, 1],
  ]);

  it('refuses a bad k range, naming the values (code, message, details)', async () => {
    for (const [options, option, value] of [[{ kMin: 0 }, 'kMin', 0], [{ kMax: 0 }, 'kMax', 0], [{ kMin: 1.5 }, 'kMin', 1.5]] as const) {
      const e = await thrown(() => sweepK(squares, { backend: 'js', ...options }));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_K', `${option} must be an integer >= 1, got ${value}`, { option, value }]);
    }
    const e = await thrown(() => sweepK(squares, { kMin: 4, kMax: 2, backend: 'js' }));
    expect(e.details).toEqual({ kMin: 4, kMax: 2 });
    const rows = await thrown(() => sweepK(matrixFromRows([[0], [1], [2]]), { kMax: 4, backend: 'js' }));
    expect([rows.code, rows.message, rows.details]).toEqual(['INVALID_K', 'kMax = 4 is larger than the number of rows (3)', { kMax: 4, rows: 3 }]);
    const few = await thrown(() => sweepK(four, { kMax: 5, backend: 'js' }));
    expect([few.code, few.message, few.details]).toEqual(['TOO_FEW_DISTINCT_POINTS', 'kMax = 5 is larger than the number of distinct rows (4)', { kMax: 5, distinct: 4 }]);
    const bad = await thrown(() => sweepK(squares, 'fast' as never));
    expect(bad.code).toBe('INVALID_OPTION');
    // a bad matrix is reported before bad options
    const data = await thrown(() => sweepK([[1, 2]] as never, 'fast' as never));
    expect(data.code).toBe('INVALID_DATA');
    // kMax equal to the rows (all distinct) is allowed
    expect((await sweepK(matrixFromRows([[0], [1], [2]]), { kMax: 3, backend: 'js' })).ks).toEqual([1, 2, 3]);
    // kMin = kMax is one k
    expect((await sweepK(squares, { kMin: 2, kMax: 2, backend: 'js' })).ks).toEqual([2]);
  });

  it('sweeps k = 1..10 by default', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [i * i, i % 3]);
    const sweep = await sweepK(matrixFromRows(rows), { backend: 'js' });
    expect(sweep.ks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('clampKMax lowers kMax to the distinct rows (not below kMin) and says so, once', async () => {
    const clamped = await sweepK(four, { kMax: 10, clampKMax: true, backend: 'js' });
    expect(clamped.ks).toEqual([1, 2, 3, 4]);
    expect(clamped.notes).toEqual(['k-max lowered from 10 to 4: the data has only 4 distinct rows']);
    expect(clamped.wcss[3]).toBe(0); // every distinct row its own segment
    // down to kMin itself
    expect((await sweepK(four, { kMin: 4, kMax: 6, clampKMax: true, backend: 'js' })).ks).toEqual([4]);
    // kMax equal to the distinct rows: nothing lowered, no note
    expect((await sweepK(four, { kMax: 4, clampKMax: true, backend: 'js' })).notes).toEqual([]);
    // below kMin: refused as without clampKMax
    const e = await thrown(() => sweepK(four, { kMin: 5, kMax: 10, clampKMax: true, backend: 'js' }));
    expect([e.code, e.message]).toEqual(['TOO_FEW_DISTINCT_POINTS', 'kMax = 10 is larger than the number of distinct rows (4)']);
    // without clampKMax (the default, and false): refused
    for (const clampKMax of [undefined, false]) {
      const r = await thrown(() => sweepK(four, { kMax: 10, backend: 'js', ...(clampKMax === undefined ? {} : { clampKMax }) }));
      expect(r.code).toBe('TOO_FEW_DISTINCT_POINTS');
    }
  });

  it('reports each k once in order, calls afterFit with the fit and the job, and carries each fit into its point', async () => {
    const events: ProgressEvent[] = [];
    const seen: { k: number; rows: number }[] = [];
    const t0 = performance.now();
    const sweep = await sweepK(squares, {
      kMin: 2,
      kMax: 4,
      seed: 3,
      backend: 'js',
      onProgress: (e) => events.push(e),
      afterFit: async (fit, job) => {
        seen.push({ k: fit.k, rows: job.rows });
      },
    });
    const elapsed = (performance.now() - t0) / 1000;
    expect(events.filter((e) => e.kind === 'sweep-k')).toEqual(sweep.ks.map((k, i) => ({ kind: 'sweep-k', k, index: i + 1, total: 3, wcss: sweep.wcss[i] })));
    expect(seen).toEqual([{ k: 2, rows: 12 }, { k: 3, rows: 12 }, { k: 4, rows: 12 }]);
    expect([sweep.backend, sweep.rows, sweep.cols]).toEqual(['js', 12, 2]);
    for (const [i, k] of [2, 3, 4].entries()) {
      const fit = await fitKMeans(squares, { k, seed: 3, backend: 'js' });
      const p = sweep.points[i]!;
      expect({ k: p.k, wcss: p.wcss, iterations: p.iterations, converged: p.converged, sizes: p.sizes, centroids: Array.from(p.centroids) }).toEqual({
        k,
        wcss: fit.wcss,
        iterations: fit.iterations,
        converged: fit.converged,
        sizes: fit.sizes,
        centroids: Array.from(fit.centroids),
      });
      expect(p.seconds).toBeGreaterThanOrEqual(0);
    }
    // the sweep's own time covers its fits and no more than the call took
    expect(sweep.seconds).toBeGreaterThanOrEqual(sweep.points.reduce((a, p) => a + p.seconds, 0));
    expect(sweep.seconds).toBeLessThanOrEqual(elapsed);
    // Kneedle's k on the sweep's own curve
    expect(sweep.suggestedK).toBe(findElbow(sweep.ks, sweep.wcss));
  });

  it("keeps each note of the fits once: the sample initialisation's at every k", async () => {
    const sweep = await sweepK(squares, { kMin: 1, kMax: 3, initSampleSize: 6, backend: 'js' });
    expect(sweep.notes).toEqual(['k-means++ initialised on a seeded sample of 6 of 12 rows']);
  });

  it('sharded data sweeps to the same curve', async () => {
    const backend = await resolveBackend('js');
    const plain = await sweepK(squares, { kMax: 4, seed: 2, backend });
    const sharded = await sweepK(shardMatrix(squares, 3, backend, {}), { kMax: 4, seed: 2, backend });
    expect(sharded.wcss).toEqual(plain.wcss);
    expect([sharded.rows, sharded.cols]).toEqual([12, 2]);
  });

  it('a timer aborts a long sweep between or within its fits', async () => {
    const rng = new SeededRandom(11);
    const rows = 60_000;
    const data = new Float32Array(rows * 4).map(() => rng.nextFloat() * 100);
    const controller = new AbortController();
    const done: number[] = [];
    setTimeout(() => controller.abort(), 200);
    const e = await thrown(() =>
      sweepK({ data, rows, cols: 4 }, { kMax: 10, nInit: 10, tol: 0, backend: 'js', signal: controller.signal, onProgress: (ev) => ev.kind === 'sweep-k' && done.push(ev.k) }),
    );
    expect(e.code).toBe('ABORTED');
    expect(done.length).toBeLessThan(10);
  });
});
