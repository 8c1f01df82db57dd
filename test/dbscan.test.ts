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
import { lattice } from './helpers/lattice.js';
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

/** scikit-learn's DBSCAN written out plainly (its `dbscan_inner`): neighbours by brute force in float64 from the float32 values, `<= eps²`, the row itself included; clusters grown from core rows in row order with a stack. */
function bruteDbscan(m: Matrix, eps: number, minSamples: number): { labels: number[]; core: number[]; pairs: number } {
  const { data, rows, cols } = m;
  const nbrs: number[][] = [];
  let pairs = 0;
  for (let i = 0; i < rows; i++) {
    const list: number[] = [];
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let f = 0; f < cols; f++) s += (data[i * cols + f]! - data[j * cols + f]!) ** 2;
      if (s <= eps * eps) {
        list.push(j);
        if (j > i) pairs++;
      }
    }
    nbrs.push(list);
  }
  const isCore = nbrs.map((l) => l.length >= minSamples);
  const labels = new Array<number>(rows).fill(-1);
  let c = 0;
  for (let i = 0; i < rows; i++) {
    if (labels[i] !== -1 || !isCore[i]) continue;
    const stack = [i];
    labels[i] = c;
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (!isCore[p]) continue;
      for (const q of nbrs[p]!) {
        if (labels[q] !== -1) continue;
        labels[q] = c;
        if (isCore[q]) stack.push(q);
      }
    }
    c++;
  }
  return { labels, core: isCore.flatMap((k, i) => (k ? [i] : [])), pairs };
}

describe('DBSCAN against scikit-learn written out (brute force), at the eps boundary and cell edges', () => {
  it.each([
    [1, 100, 1, 8],
    [2, 20, 1, 5],
    [3, 10, 1, 4],
    [4, 6, 1, 4],
    [5, 6, 2, 6],
  ])('%i feature(s) on %i integers, eps %i, minSamples %i: the grid, the pairwise kernel and the brute force agree row by row', async (cols, span, eps, minSamples) => {
    // 300 rows of integers from -7: many pairs exactly eps apart, and exactly on cell edges.
    const m = lattice(300, cols, 40 + cols, span, -7);
    const ref = bruteDbscan(m, eps, minSamples);
    // The case is not degenerate: several clusters, noise and border rows.
    expect(Math.max(...ref.labels)).toBeGreaterThanOrEqual(1);
    expect(ref.labels).toContain(-1);
    expect(ref.labels.filter((l) => l >= 0).length).toBeGreaterThan(ref.core.length + 20);
    expect(ref.labels.filter((l) => l === -1).length).toBeGreaterThan(10);
    for (const neighbourSearch of ['grid', 'pairwise'] as const) {
      const fit = await fitDbscan(m, { eps, minSamples, neighbourSearch, backend: 'js' });
      expect(fit.neighbourSearch).toBe(neighbourSearch);
      expect(Array.from(fit.labels), neighbourSearch).toEqual(ref.labels);
      expect(Array.from(fit.coreSamples), neighbourSearch).toEqual(ref.core);
      expect(fit.neighbourPairs, neighbourSearch).toBe(ref.pairs);
      expect(fit.clusters).toBe(Math.max(...ref.labels) + 1);
      expect(fit.noise).toBe(ref.labels.filter((l) => l === -1).length);
      expect(fit.sizes).toEqual(Array.from({ length: fit.clusters }, (_, c) => ref.labels.filter((l) => l === c).length));
    }
  });

  it('half-unit eps on half-unit data, and rows far apart (cells far apart in the hash)', async () => {
    const rows: number[][] = [];
    for (let i = 0; i < 40; i++) rows.push([(i % 8) * 0.5, Math.floor(i / 8) * 0.5 + (i % 3 === 0 ? 1000 : 0)]);
    rows.push([-5000, 7], [5000, -7], [5000, -6.5]);
    const m = matrixFromRows(rows);
    for (const [eps, minSamples] of [[0.5, 3], [0.5, 5], [1, 6], [0.25, 1]] as const) {
      const ref = bruteDbscan(m, eps, minSamples);
      const fit = await fitDbscan(m, { eps, minSamples });
      expect(fit.neighbourSearch).toBe('grid');
      expect(Array.from(fit.labels), `eps ${eps}, minSamples ${minSamples}`).toEqual(ref.labels);
      expect(fit.neighbourPairs).toBe(ref.pairs);
    }
  });

  it('border rows of many clusters: each takes the lowest cluster among its core neighbours (more border pairs than the first buffer holds)', async () => {
    // Dense groups of 5 rows in a row along x, 3 apart; between each pair a lone row 1.5 from both.
    const rows: number[][] = [];
    for (let g = 0; g < 300; g++) {
      for (let r = 0; r < 5; r++) rows.push([g * 3, r * 0.001]);
      rows.push([g * 3 + 1.5, 0]);
    }
    const m = matrixFromRows(rows);
    const fit = await fitDbscan(m, { eps: 1.5, minSamples: 5 });
    const ref = bruteDbscan(m, 1.5, 5);
    expect(Array.from(fit.labels)).toEqual(ref.labels);
    expect(fit.clusters).toBe(300);
    // Row 6g + 5 sits between groups g and g + 1 and takes g (the last one only has group 299).
    for (let g = 0; g < 300; g++) expect(fit.labels[6 * g + 5]).toBe(g);
    expect(fit.sizes).toEqual(new Array(300).fill(6));
  });

  it('many occupied cells: more than the first coordinate buffer (65,536 cells) and a long hash table', async () => {
    const rows = 70_000;
    const data = new Float32Array(rows);
    // Pairs of rows 1 apart, 4 between pairs: each row in its own cell.
    for (let i = 0; i < rows; i++) data[i] = (i >> 1) * 5 + (i & 1);
    const fit = await fitDbscan({ data, rows, cols: 1 }, { eps: 1, minSamples: 2 });
    expect(fit.clusters).toBe(rows / 2);
    expect(fit.neighbourPairs).toBe(rows / 2);
    expect(fit.labels[rows - 1]).toBe(rows / 2 - 1);
    expect(fit.labels[2 * 1234 + 1]).toBe(1234);
  }, 60_000);
});

describe('DBSCAN results, defaults and refusals, field by field', () => {
  const doc = matrixFromRows([[1, 2], [2, 2], [2, 3], [8, 7], [8, 8], [25, 80]]);

  it('reports eps, minSamples (default 5: counting the row itself), the search and the backend', async () => {
    // Six rows within 2 of each other (the row itself included) are core at the default minSamples 5; four are not.
    const five = matrixFromRows([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5], [20, 20], [20, 21], [21, 20], [21, 21]]);
    const fit = await fitDbscan(five, { eps: 2 });
    expect(fit.minSamples).toBe(5);
    expect(fit.eps).toBe(2);
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 0, 0, -1, -1, -1, -1]);
    expect(fit).toMatchObject({ neighbourSearch: 'grid', backend: 'grid', clusters: 1, noise: 4, sizes: [5] });
    // minSamples 4: the second group of four is a cluster too.
    expect(Array.from((await fitDbscan(five, { eps: 2, minSamples: 4 })).labels)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    const before = performance.now();
    const pairwise = await fitDbscan(doc, { eps: 3, minSamples: 2, neighbourSearch: 'pairwise', backend: 'js' });
    const wall = (performance.now() - before) / 1000;
    expect(pairwise).toMatchObject({ neighbourSearch: 'pairwise', backend: 'js', eps: 3, minSamples: 2, neighbourPairs: 4 });
    // seconds: the fit's own wall time, in seconds.
    expect(pairwise.seconds).toBeGreaterThanOrEqual(0);
    expect(pairwise.seconds).toBeLessThanOrEqual(wall);
    // auto: the grid up to 5 features, the pairwise kernel above.
    expect((await fitDbscan(lattice(30, 5, 1, 4), { eps: 1, minSamples: 2 })).neighbourSearch).toBe('grid');
    expect((await fitDbscan(lattice(30, 6, 1, 4), { eps: 1, minSamples: 2, backend: 'js' })).neighbourSearch).toBe('pairwise');
  });

  it('no core row at all: every row noise, no clusters', async () => {
    const fit = await fitDbscan(doc, { eps: 0.5, minSamples: 2 });
    expect(fit).toMatchObject({ clusters: 0, noise: 6, sizes: [], neighbourPairs: 0 });
    expect(Array.from(fit.labels)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(fit.coreSamples.length).toBe(0);
  });

  it('one row: a cluster of itself at minSamples 1, noise above', async () => {
    const one = matrixFromRows([[3, 4]]);
    expect(Array.from((await fitDbscan(one, { eps: 1, minSamples: 1 })).labels)).toEqual([0]);
    expect(Array.from((await fitDbscan(one, { eps: 1, minSamples: 2 })).labels)).toEqual([-1]);
    expect(Array.from((await fitDbscan(one, { eps: 1, minSamples: 1, neighbourSearch: 'pairwise', backend: 'js' })).labels)).toEqual([0]);
  });

  it('refusals carry the option and the value in their details', async () => {
    const details = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as SegmentaError).details;
    expect(await details(fitDbscan(doc, { eps: -2 }))).toEqual({ option: 'eps', value: -2 });
    expect(await details(fitDbscan(doc, { eps: '1' as never }))).toEqual({ option: 'eps', value: '1' });
    expect(await details(fitDbscan(doc, { eps: 1, minSamples: 0 }))).toEqual({ option: 'minSamples', value: 0 });
    expect(await details(fitDbscan(doc, { eps: 1, neighbourSearch: 'tree' as never }))).toEqual({ option: 'neighbourSearch', value: 'tree' });
    expect(await details(fitDbscan(lattice(10, 7, 1, 5), { eps: 1, neighbourSearch: 'grid' }))).toEqual({ option: 'neighbourSearch', value: 'grid' });
    // eps so small that a feature spans 2^30 cells or more: the grid is refused, auto falls back to pairwise.
    const wide = matrixFromRows([[0], [1], [1.5]]);
    await expectCode(fitDbscan(wide, { eps: 1e-9, neighbourSearch: 'grid' }), 'INVALID_OPTION', /^eps 1e-9 is too small for the grid \(a feature spans 2\^30 cells or more\); use neighbourSearch 'pairwise' or 'auto'$/);
    expect(await details(fitDbscan(wide, { eps: 1e-9, neighbourSearch: 'grid' }))).toEqual({ option: 'neighbourSearch', value: 'grid' });
    const auto = await fitDbscan(wide, { eps: 1e-9, minSamples: 1, backend: 'js' });
    expect(auto.neighbourSearch).toBe('pairwise');
    expect(Array.from(auto.labels)).toEqual([0, 1, 2]);
    // Just inside 2^30 cells the grid still applies.
    expect((await fitDbscan(matrixFromRows([[0], [1]]), { eps: 1 / 2 ** 29, minSamples: 1 })).neighbourSearch).toBe('grid');
  });

  it('progress events, in order, through the grid and through the pairwise kernel', async () => {
    const seen = async (neighbourSearch: 'grid' | 'pairwise', eps: number) => {
      const events: unknown[] = [];
      await fitDbscan(doc, { eps, minSamples: 2, neighbourSearch, backend: 'js', onProgress: (e) => events.push(e) });
      return events;
    };
    expect(await seen('grid', 3)).toEqual([
      { kind: 'phase', phase: 'dbscan', detail: 'building the grid' },
      { kind: 'phase', phase: 'dbscan', detail: '2 clusters, 1 noise rows' },
    ]);
    expect(await seen('pairwise', 3)).toEqual([
      { kind: 'phase', phase: 'dbscan', detail: 'starting the pairwise kernel' },
      { kind: 'phase', phase: 'dbscan', detail: 'counting neighbours: 100%' },
      { kind: 'phase', phase: 'dbscan', detail: 'joining core rows: 100%' },
      { kind: 'phase', phase: 'dbscan', detail: '2 clusters, 1 noise rows' },
    ]);
    // No core row: the joining pass is skipped.
    expect(await seen('pairwise', 0.5)).toEqual([
      { kind: 'phase', phase: 'dbscan', detail: 'starting the pairwise kernel' },
      { kind: 'phase', phase: 'dbscan', detail: 'counting neighbours: 100%' },
      { kind: 'phase', phase: 'dbscan', detail: '0 clusters, 6 noise rows' },
    ]);
  });

  it('an already aborted signal stops the fit before any work, through either search', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(fitDbscan(doc, { eps: 3, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    await expect(fitDbscan(doc, { eps: 3, neighbourSearch: 'pairwise', backend: 'js', signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('the pairwise kernel at eps and in chunks', () => {
  it('a pair one float32 step above eps is not neighbours, one exactly at eps is (the float64 recheck)', async () => {
    const above = 1 + 2 ** -23; // the float32 right after 1
    for (const neighbourSearch of ['grid', 'pairwise'] as const) {
      const near = await fitDbscan(matrixFromRows([[0, 0], [above, 0], [5, 5], [5, 6]]), { eps: 1, minSamples: 2, neighbourSearch, backend: 'js' });
      expect(Array.from(near.labels), neighbourSearch).toEqual([-1, -1, 0, 0]);
      const at = await fitDbscan(matrixFromRows([[0, 0], [1, 0], [5, 5], [5, 6 + 2 ** -21]]), { eps: 1, minSamples: 2, neighbourSearch, backend: 'js' });
      expect(Array.from(at.labels), neighbourSearch).toEqual([0, 0, -1, -1]);
    }
  });

  it('2,902 rows: more distances than one chunk holds (2^22; the first chunk fills all but 4); the same labels as the grid, progress per chunk', async () => {
    const m = lattice(2902, 1, 77, 2000);
    const rows = m.rows;
    const events: string[] = [];
    const pairwise = await fitDbscan(m, { eps: 1, minSamples: 3, neighbourSearch: 'pairwise', backend: 'js', onProgress: (e) => e.kind === 'phase' && events.push(e.detail ?? '') });
    const grid = await fitDbscan(m, { eps: 1, minSamples: 3 });
    expect(grid.clusters).toBeGreaterThan(10);
    expect(Array.from(pairwise.labels)).toEqual(Array.from(grid.labels));
    expect(pairwise.neighbourPairs).toBe(grid.neighbourPairs);
    // The first chunk ends at the last row i1 with at most 2^22 distances from rows 0 .. i1 − 1.
    let i1 = 0;
    for (let count = 0; count + (rows - 1 - i1) <= 2 ** 22; i1++) count += rows - 1 - i1;
    const counting = events.filter((d) => d.startsWith('counting neighbours'));
    expect(counting).toEqual([`counting neighbours: ${Math.floor((100 * i1) / (rows - 1))}%`, 'counting neighbours: 100%']);
  }, 60_000);
});

describe('the k-distance curve, value by value', () => {
  const line = (...xs: number[]) => matrixFromRows(xs.map((x) => [x]));

  it('the k-th nearest other row, by hand; rows at distance 0 count; largest first', async () => {
    // Nearest other row of 0, 1, 3, 7: 1, 1, 2, 4.
    expect(Array.from((await kDistanceCurve(line(0, 1, 3, 7), { k: 1 })).distances)).toEqual([4, 2, 1, 1]);
    // Second nearest: 0 → 3, 1 → 2, 3 → 3, 7 → 6.
    expect(Array.from((await kDistanceCurve(line(0, 1, 3, 7), { k: 2 })).distances)).toEqual([6, 3, 3, 2]);
    // A duplicate row is a neighbour at distance 0.
    expect(Array.from((await kDistanceCurve(line(0, 0, 5), { k: 1 })).distances)).toEqual([5, 0, 0]);
    // Two features: the Euclidean distance (3-4-5).
    expect(Array.from((await kDistanceCurve(matrixFromRows([[0, 0], [3, 4], [3, 5]]), { k: 1 })).distances)).toEqual([5, 1, 1]);
  });

  it('k defaults to 4 (minSamples 5 minus the row itself) and is capped at rows - 1; one row gives 0', async () => {
    const six = line(0, 1, 3, 7, 15, 31);
    const byDefault = await kDistanceCurve(six);
    expect(byDefault.k).toBe(4);
    // Fourth nearest: 0 → 15, 1 → 14, 3 → 12, 7 → 8, 15 → 15, 31 → 30.
    expect(Array.from(byDefault.distances)).toEqual([30, 15, 15, 14, 12, 8]);
    const capped = await kDistanceCurve(line(0, 1, 3), { k: 9 });
    expect(capped.k).toBe(2);
    expect(Array.from(capped.distances)).toEqual([3, 3, 2]);
    // Two rows: each is the other's nearest.
    expect(Array.from((await kDistanceCurve(line(0, 5))).distances)).toEqual([5, 5]);
    const one = await kDistanceCurve(line(4));
    expect(one).toMatchObject({ k: 1, sampleSize: 1, rows: 1, sampled: false, knee: null });
    expect(Array.from(one.distances)).toEqual([0]);
  });

  it('samples only above sampleSize (default 2,000)', async () => {
    const m = line(...Array.from({ length: 2001 }, (_, i) => i * i));
    const sampled = await kDistanceCurve(m);
    expect(sampled).toMatchObject({ sampled: true, sampleSize: 2000, rows: 2001 });
    const all = await kDistanceCurve(line(0, 1, 3), { k: 1, sampleSize: 3 });
    expect(all).toMatchObject({ sampled: false, sampleSize: 3, rows: 3 });
  });

  it('the knee: the first point farthest below the chord; null for a curve on or above it', async () => {
    // [4, 2, 1, 1]: gaps 1 − x − y are 0, 1/3, 1/3, 0; the first of the two wins.
    expect((await kDistanceCurve(line(0, 1, 3, 7), { k: 1 })).knee).toBe(2);
    // [4, 2, 1, 0, 0]: gaps 0, 1/4, 1/4, 1/4, 0, exact in binary; the first of the three wins.
    expect((await kDistanceCurve(line(0, 0, 1, 3, 7), { k: 1 })).knee).toBe(2);
    // [2, 1, 1]: gap 1/2 at the middle point (three points are enough).
    expect((await kDistanceCurve(line(0, 1, 3), { k: 1 })).knee).toBe(1);
    // [5, 5, 4]: the middle point lies above the chord; no knee.
    expect((await kDistanceCurve(line(0, 1, 5), { k: 2 })).knee).toBeNull();
    // Flat: every row 1 from its nearest.
    expect((await kDistanceCurve(line(0, 1, 2, 3), { k: 1 })).knee).toBeNull();
  });

  it('refuses bad k, sampleSize and seed, naming the value', async () => {
    const m = line(0, 1, 3);
    const refusal = async (options: object) => (await kDistanceCurve(m, options).catch((e: unknown) => e)) as SegmentaError;
    expect(await refusal({ k: 0 })).toMatchObject({ code: 'INVALID_K', message: 'k must be an integer >= 1, got 0', details: { option: 'k', value: 0 } });
    expect(await refusal({ sampleSize: 1 })).toMatchObject({ code: 'INVALID_OPTION', message: 'sampleSize must be an integer >= 2, got 1', details: { option: 'sampleSize', value: 1 } });
    expect(await refusal({ seed: -1 })).toMatchObject({ code: 'INVALID_OPTION', message: 'seed must be an integer in [0, 4294967295], got -1' });
    expect(await refusal({ seed: 2 ** 32 })).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'seed', value: 2 ** 32 } });
    expect((await kDistanceCurve(m, { seed: 4294967295 })).k).toBe(2);
    expect(await refusal('fast' as never)).toMatchObject({ code: 'INVALID_OPTION', message: /kDistanceCurve needs an options object/ });
    expect(await refusal({ k: 1, signal: AbortSignal.abort() })).toBeInstanceOf(AbortedError);
    await expectCode(kDistanceCurve(matrixFromRows([[1], [Number.NaN]])), 'NON_FINITE_VALUE', /row 2, feature 1 is NaN/);
  });
});

describe('the grid refusal for a tiny eps names eps, at any feature count up to the limit', () => {
  it('5 features (the limit) and eps 1e-10: the eps message, not the feature-limit one', async () => {
    await expectCode(fitDbscan(matrixFromRows([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]), { eps: 1e-10, neighbourSearch: 'grid' }), 'INVALID_OPTION', /^eps 1e-10 is too small for the grid/);
  });
});
