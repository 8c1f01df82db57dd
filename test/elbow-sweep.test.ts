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
