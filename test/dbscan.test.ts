/**
 * DBSCAN: labels identical to scikit-learn's DBSCAN (noise -1, clusters in
 * order of their first core row) on Mall and on generated data, through the
 * grid and through the pairwise kernel of every backend; input checks;
 * cancellation from a timer while the event loop stays free.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { listBackends, resolveBackend } from '../src/backends/backend-registry.js';
import { AbortedError, SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitDbscan } from '../src/drivers/density/dbscan.js';
import { kDistanceCurve } from '../src/drivers/density/k-distance.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { runPythonReference, skipSuffix } from './helpers/python-reference.js';

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(SegmentaError);
  expect((e as SegmentaError).code).toBe(code);
  if (message) expect((e as SegmentaError).message).toMatch(message);
}

/** Blobs plus uniform noise; `round` makes integer values (exact ties at integer eps). */
function blobs(rows: number, cols: number, seed: number, round = false): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const blob = i % 5;
    const noise = i % 11 === 0;
    for (let j = 0; j < cols; j++) {
      const v = noise ? rng.nextFloat() * 100 : ((blob * 37 + j * 13) % 90) + rng.nextGaussian() * 4;
      data[i * cols + j] = round ? Math.round(v) : v;
    }
  }
  return { data, rows, cols };
}

interface Case {
  eps: number;
  min: number;
}

/** scikit-learn's labels for each case, on the matrix's float32 values given as float64. */
function sklearnLabels(what: string, m: Matrix, cases: Case[]) {
  const X: number[][] = [];
  for (let i = 0; i < m.rows; i++) X.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const script = `
import json, sys
import numpy as np
from sklearn.cluster import DBSCAN
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float64)
print(json.dumps([DBSCAN(eps=c['eps'], min_samples=c['min']).fit(X).labels_.tolist() for c in d['cases']]))
`;
  return runPythonReference<number[][]>(`DBSCAN labels on ${what}`, script, JSON.stringify({ X, cases }));
}

describe('DBSCAN by hand', () => {
  it('the doc example: two clusters in order of their first core row, one noise row', async () => {
    const fit = await fitDbscan(matrixFromRows([[1, 2], [2, 2], [2, 3], [8, 7], [8, 8], [25, 80]]), { eps: 3, minSamples: 2 });
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 1, 1, -1]);
    expect(fit.clusters).toBe(2);
    expect(fit.noise).toBe(1);
    expect(fit.sizes).toEqual([3, 2]);
    expect(Array.from(fit.coreSamples)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a pair exactly eps apart is neighbours (<=), and a border row takes the lowest cluster among its core neighbours', async () => {
    // Rows 0-2 and 4-6 are two dense groups; row 3 sits exactly 5 from row 2 (3-4-5) and 5 from row 4.
    const rows = [[0, 0], [0, 1], [0, 2], [3, 6], [6, 10], [6, 11], [6, 12]];
    const fit = await fitDbscan(matrixFromRows(rows), { eps: 5, minSamples: 3 });
    // Row 3 has 3 neighbours (itself, 2 and 4) so it is core, and joins both groups into one cluster.
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    const border = await fitDbscan(matrixFromRows(rows), { eps: 5, minSamples: 4 });
    // With minSamples 4, row 3 (3 neighbours) is a border row of clusters 0 and 1: it takes 0.
    expect(Array.from(border.labels)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(border.sizes).toEqual([4, 3]);
    // Just under 5, rows 2 and 4 lose row 3 as a neighbour: 3 neighbours each, no core row at all.
    const shrunk = await fitDbscan(matrixFromRows(rows), { eps: 4.999999, minSamples: 4 });
    expect(Array.from(shrunk.labels)).toEqual([-1, -1, -1, -1, -1, -1, -1]);
    expect(shrunk.coreSamples.length).toBe(0);
  });

  it('minSamples 1 makes every row core; a huge eps makes one cluster', async () => {
    const m = blobs(300, 2, 3);
    const one = await fitDbscan(m, { eps: 0.5, minSamples: 1 });
    expect(one.noise).toBe(0);
    expect(one.coreSamples.length).toBe(300);
    const all = await fitDbscan(m, { eps: 1e4, minSamples: 5 });
    expect(all.clusters).toBe(1);
    expect(all.sizes).toEqual([300]);
  });
});

describe('DBSCAN input checks (typed errors that state the value)', () => {
  const m = matrixFromRows([[1, 2], [3, 4]]);
  it.each([
    [{ eps: 0 }, 'INVALID_OPTION', /eps must be a finite number > 0, got 0/],
    [{ eps: -1 }, 'INVALID_OPTION', /eps .* got -1/],
    [{ eps: Number.NaN }, 'INVALID_OPTION', /eps .* got NaN/],
    [{ eps: Infinity }, 'INVALID_OPTION', /eps .* got Infinity/],
    [{ eps: 1, minSamples: 0 }, 'INVALID_OPTION', /minSamples must be an integer >= 1, got 0/],
    [{ eps: 1, minSamples: 2.5 }, 'INVALID_OPTION', /minSamples .* got 2.5/],
    [{ eps: 1, neighbourSearch: 'tree' as never }, 'INVALID_OPTION', /neighbourSearch .* got tree/],
  ])('%o → %s', async (options, code, message) => {
    await expectCode(fitDbscan(m, options), code, message);
  });

  it('missing options, NaN/Inf in the data, a Float64Array, an empty matrix', async () => {
    await expectCode(fitDbscan(m, undefined as never), 'INVALID_OPTION', /fitDbscan needs an options object with eps/);
    await expectCode(fitDbscan(matrixFromRows([[1, 2], [Number.NaN, 4]]), { eps: 1 }), 'NON_FINITE_VALUE', /row 2, feature 1 is NaN/);
    await expectCode(fitDbscan(matrixFromRows([[1, Infinity]]), { eps: 1 }), 'NON_FINITE_VALUE', /row 1, feature 2 is Infinity/);
    await expectCode(fitDbscan({ data: new Float64Array(4), rows: 2, cols: 2 } as never, { eps: 1 }), 'INVALID_DATA');
    await expectCode(fitDbscan({ data: new Float32Array(0), rows: 0, cols: 2 }, { eps: 1 }), 'EMPTY_TABLE');
  });

  it('the grid is refused above its feature limit, with the way out', async () => {
    await expectCode(fitDbscan(blobs(10, 7, 1), { eps: 1, neighbourSearch: 'grid' }), 'INVALID_OPTION', /up to 5 features, the data has 7; use neighbourSearch 'pairwise'/);
  });
});

const mallCases: Case[] = [
  { eps: 5, min: 5 },
  { eps: 10, min: 5 },
  { eps: 8, min: 4 },
  { eps: 13, min: 10 },
  { eps: 3, min: 2 },
];

describe.skipIf(!HAVE_MALL)(`scikit-learn parity on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, async () => {
  const three = HAVE_MALL ? (await readCustomerTable(MALL_CSV, { features: ['Age', INCOME, SCORE] })).matrix : matrixFromRows([[0]]);
  const two = HAVE_MALL ? (await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] })).matrix : matrixFromRows([[0]]);
  const ref3 = HAVE_MALL ? sklearnLabels('Mall (Age, income, score)', three, mallCases) : { reason: MALL_SKIP_REASON };
  const ref2 = HAVE_MALL ? sklearnLabels('Mall (income, score)', two, mallCases) : { reason: MALL_SKIP_REASON };

  it.skipIf(!ref3.value)(`(Age, income, score): identical labels for every (eps, minSamples), by grid and by pairwise${skipSuffix(ref3)}`, async () => {
    for (const [c, expected] of mallCases.map((c, i) => [c, ref3.value![i]!] as const)) {
      const grid = await fitDbscan(three, { eps: c.eps, minSamples: c.min });
      const pairwise = await fitDbscan(three, { eps: c.eps, minSamples: c.min, neighbourSearch: 'pairwise', backend: 'js' });
      expect(grid.neighbourSearch).toBe('grid');
      expect(Array.from(grid.labels), `eps ${c.eps}, min ${c.min}`).toEqual(expected);
      expect(Array.from(pairwise.labels), `pairwise eps ${c.eps}, min ${c.min}`).toEqual(expected);
    }
    // The cases are not degenerate: some give several clusters and noise.
    expect(ref3.value!.some((l) => Math.max(...l) >= 2 && l.includes(-1))).toBe(true);
  });

  it.skipIf(!ref2.value)(`(income, score): identical labels, integer data with pairs exactly at eps${skipSuffix(ref2)}`, async () => {
    for (const [c, expected] of mallCases.map((c, i) => [c, ref2.value![i]!] as const)) {
      const fit = await fitDbscan(two, { eps: c.eps, minSamples: c.min });
      expect(Array.from(fit.labels), `eps ${c.eps}, min ${c.min}`).toEqual(expected);
      expect(fit.noise).toBe(expected.filter((l) => l === -1).length);
    }
  });
});

describe('scikit-learn parity on generated data', () => {
  const customers = generatedFeatureMatrix(generateCustomers({ rows: 3000, seed: 7 }));
  const integer4 = blobs(2500, 4, 11, true);
  const continuous2 = blobs(3000, 2, 5);
  const casesCustomers: Case[] = [
    { eps: 3, min: 5 },
    { eps: 4, min: 10 },
    { eps: 6, min: 30 },
  ];
  const casesInteger: Case[] = [
    { eps: 2, min: 3 },
    { eps: 4, min: 8 },
    { eps: 6, min: 20 },
  ];
  const casesContinuous: Case[] = [
    { eps: 0.8, min: 4 },
    { eps: 1.7, min: 9 },
  ];
  const refCustomers = sklearnLabels('3,000 generated customers', customers, casesCustomers);
  const refInteger = sklearnLabels('2,500 integer rows × 4', integer4, casesInteger);
  const refContinuous = sklearnLabels('3,000 rows × 2', continuous2, casesContinuous);

  it.each([
    ['3,000 generated customers (Age, income, score)', customers, casesCustomers, refCustomers],
    ['2,500 integer rows × 4 features', integer4, casesInteger, refInteger],
    ['3,000 continuous rows × 2 features', continuous2, casesContinuous, refContinuous],
  ] as const)(`%s: identical labels${skipSuffix(refCustomers)}`, async (_name, m, cases, ref) => {
    if (!ref.value) return;
    for (const [c, expected] of cases.map((c, i) => [c, ref.value![i]!] as const)) {
      const fit = await fitDbscan(m, { eps: c.eps, minSamples: c.min });
      expect(Array.from(fit.labels), `eps ${c.eps}, min ${c.min}`).toEqual(expected);
    }
  });
});

describe('the pairwise kernel on every backend: the same labels as the grid and as scikit-learn', async () => {
  const statuses = await listBackends();
  const eight = blobs(1200, 8, 21);
  const cases: Case[] = [
    { eps: 7, min: 5 },
    { eps: 10, min: 12 },
  ];
  const ref = sklearnLabels('1,200 rows × 8 features (scikit-learn brute force)', eight, cases);
  const four = blobs(1500, 4, 9, true);
  it.each(statuses.map((s) => [s.name, s] as const))('%s', async (name, status) => {
    if (!status.available) {
      console.warn(`skipped: backend ${name} is unavailable here: ${status.detail}`);
      return;
    }
    const backend = await resolveBackend(name);
    const gridFit = await fitDbscan(four, { eps: 3, minSamples: 6 });
    const pairFit = await fitDbscan(four, { eps: 3, minSamples: 6, neighbourSearch: 'pairwise', backend });
    expect(pairFit.neighbourSearch).toBe('pairwise');
    expect(Array.from(pairFit.labels)).toEqual(Array.from(gridFit.labels));
    expect(pairFit.neighbourPairs).toBe(gridFit.neighbourPairs);
    for (const [i, c] of cases.entries()) {
      const fit = await fitDbscan(eight, { eps: c.eps, minSamples: c.min, backend });
      expect(fit.neighbourSearch).toBe('pairwise');
      if (ref.value) expect(Array.from(fit.labels), `eps ${c.eps}`).toEqual(ref.value[i]);
    }
  });
});

describe('DBSCAN on the caller thread stays responsive and stops on a signal', () => {
  it('a timer aborts a long fit with AbortedError, and a 5 ms interval keeps ticking meanwhile', async () => {
    const m = blobs(60_000, 2, 2);
    const controller = new AbortController();
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('stop')), 300);
    try {
      // A huge eps: every pair is a neighbour pair, far more work than 300 ms.
      await expect(fitDbscan(m, { eps: 1e4, minSamples: 5, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    } finally {
      clearInterval(interval);
    }
    const elapsed = performance.now() - started;
    // Generous margins (2 shared cores): the abort lands within seconds, and timers ran during the fit.
    expect(elapsed).toBeLessThan(10_000);
    // The abort timer could fire only because the fit yields; the interval ran too.
    expect(ticks).toBeGreaterThanOrEqual(1);
  });

  it('progress events name the dbscan phases', async () => {
    const phases: string[] = [];
    await fitDbscan(blobs(2000, 2, 4), { eps: 2, minSamples: 4, onProgress: (e) => e.kind === 'phase' && phases.push(e.detail ?? '') });
    expect(phases[0]).toMatch(/building the grid/);
    expect(phases.at(-1)).toMatch(/\d+ clusters, \d+ noise rows/);
  });
});

describe('the k-distance curve for choosing eps', () => {
  it('with k = minSamples - 1, the rows whose k-distance is <= eps are exactly the core rows', async () => {
    const m = blobs(1500, 3, 13, true);
    for (const [eps, minSamples] of [[3, 6], [5, 12]] as const) {
      const curve = await kDistanceCurve(m, { k: minSamples - 1 });
      const fit = await fitDbscan(m, { eps, minSamples });
      expect(curve.sampled).toBe(false);
      expect(curve.distances.length).toBe(1500);
      for (let i = 1; i < curve.distances.length; i++) expect(curve.distances[i]!).toBeLessThanOrEqual(curve.distances[i - 1]!);
      expect(curve.distances.filter((d) => d <= eps).length).toBe(fit.coreSamples.length);
    }
  });

  it('a large table is sampled (seeded), and the knee lies between the dense rows and the outliers', async () => {
    const m = blobs(5000, 2, 8);
    const a = await kDistanceCurve(m, { k: 4, sampleSize: 500, seed: 3 });
    const b = await kDistanceCurve(m, { k: 4, sampleSize: 500, seed: 3 });
    expect(a.sampled).toBe(true);
    expect(a.sampleSize).toBe(500);
    expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
    expect(a.knee).not.toBeNull();
    expect(a.knee!).toBeLessThan(a.distances[0]!);
    expect(a.knee!).toBeGreaterThan(a.distances[a.distances.length - 1]!);
  });
});
