/**
 * k-prototypes against a brute-force reference: on small mixed data the fit
 * reaches the lowest Huang cost over every partition. γ follows the kmodes
 * package. The Python kmodes package itself (not a project dependency) is
 * compared on Mall when a Python with it is given in $KMODES_PYTHON (e.g. a
 * venv); otherwise that test skips, saying why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { encodeCategories } from '../src/data-in/one-hot.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitKPrototypes, huangCost, kPrototypesGamma, type CategoricalColumns } from '../src/drivers/k-prototypes.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { thrown } from './helpers/thrown.js';

function mixed(n: number, seed: number): { numeric: Matrix; categorical: CategoricalColumns } {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  const codes = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    rows.push([g * 2 + rng.nextGaussian() * 0.8, -g + rng.nextGaussian() * 0.8]);
    codes[i * 2] = rng.nextFloat() < 0.7 ? g : rng.nextInt(3);
    codes[i * 2 + 1] = rng.nextInt(2);
  }
  return { numeric: matrixFromRows(rows), categorical: { names: ['colour', 'flag'], codes, levels: [3, 2] } };
}

/** The lowest Huang cost over every labeling of n rows with k non-empty segments. */
function bruteForceCost(numeric: Matrix, categorical: CategoricalColumns, k: number, gamma: number): number {
  const n = numeric.rows;
  const labels = new Int32Array(n);
  let best = Infinity;
  const total = k ** n;
  for (let code = 0; code < total; code++) {
    let x = code;
    const used = new Set<number>();
    for (let i = 0; i < n; i++) {
      labels[i] = x % k;
      used.add(labels[i]!);
      x = Math.floor(x / k);
    }
    if (used.size < k || labels[0] !== 0) continue; // every segment used; segment names are interchangeable
    best = Math.min(best, huangCost(numeric, categorical, labels, k, gamma));
  }
  return best;
}

describe('k-prototypes (Huang)', () => {
  it("γ is the kmodes package's default: 0.5 × the mean population standard deviation of the numeric columns", () => {
    // Column sds (ddof = 0): [0, 2] → 1; [1, 5] → 2. Mean 1.5, γ 0.75.
    expect(kPrototypesGamma(matrixFromRows([[0, 1], [2, 5]]))).toBeCloseTo(0.75, 12);
  });

  it.each([1, 2, 3])('reaches the brute-force optimum of Huang\'s cost on 10 mixed rows, k = 3 (data seed %i)', async (seed) => {
    const { numeric, categorical } = mixed(10, seed);
    const fit = await fitKPrototypes(numeric, categorical, { k: 3, nInit: 40, seed });
    const gamma = kPrototypesGamma(numeric);
    expect(fit.gamma).toBe(gamma);
    expect(fit.cost).toBeCloseTo(huangCost(numeric, categorical, fit.labels, 3, gamma), 9);
    expect(fit.cost).toBeCloseTo(bruteForceCost(numeric, categorical, 3, gamma), 9);
    expect(fit.sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('a larger γ lets the categories decide: γ = 100 groups the rows by their colour and flag', async () => {
    const { numeric, categorical } = mixed(30, 4);
    const fit = await fitKPrototypes(numeric, categorical, { k: 6, gamma: 100, nInit: 20, seed: 1 });
    expect(fit.gammaSource).toBe('given');
    const groups = new Map<number, Set<string>>();
    fit.labels.forEach((c, i) => groups.set(c, (groups.get(c) ?? new Set()).add(`${categorical.codes[i * 2]}/${categorical.codes[i * 2 + 1]}`)));
    for (const combos of groups.values()) expect(combos.size).toBe(1);
  });

  it('is deterministic under a seed and validates its input with typed errors', async () => {
    const { numeric, categorical } = mixed(50, 5);
    const a = await fitKPrototypes(numeric, categorical, { k: 3, seed: 9 });
    const b = await fitKPrototypes(numeric, categorical, { k: 3, seed: 9 });
    expect(b.labels).toEqual(a.labels);
    expect(b.cost).toBe(a.cost);
    await expect(fitKPrototypes(numeric, categorical, { k: 51 })).rejects.toMatchObject({ code: 'INVALID_K' });
    await expect(fitKPrototypes(numeric, { ...categorical, codes: categorical.codes.slice(1) }, { k: 2 })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    const bad = Int32Array.from(categorical.codes);
    bad[4] = 7;
    await expect(fitKPrototypes(numeric, { ...categorical, codes: bad }, { k: 2 })).rejects.toThrow(SegmentaError);
    await expect(fitKPrototypes(numeric, { ...categorical, codes: bad }, { k: 2 })).rejects.toThrow(/row 3, column 'colour': level code 7 is outside 0\.\.2/);
  });

  it('stops on an abort signal from a timer', async () => {
    const { numeric, categorical } = mixed(20_000, 6);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(fitKPrototypes(numeric, categorical, { k: 8, nInit: 50, seed: 1, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  const kmodesPython = process.env['KMODES_PYTHON'];
  const haveKmodes = !!kmodesPython && existsSync(kmodesPython) && spawnSync(kmodesPython, ['-c', 'import kmodes'], { encoding: 'utf8' }).status === 0;
  const reason = !HAVE_MALL
    ? MALL_SKIP_REASON
    : `skipped: the Python kmodes package is not available (set KMODES_PYTHON to a python with it, e.g. python3 -m venv /tmp/venv && /tmp/venv/bin/pip install kmodes; pip could not reach PyPI here), so Mall is not compared with kmodes — the brute-force tests above check the optimum instead`;
  if (!haveKmodes || !HAVE_MALL) console.warn(reason);
  it.skipIf(!haveKmodes || !HAVE_MALL)(`on Mall (Gender + standardized age, income, score) γ equals kmodes' and the cost is no worse${haveKmodes && HAVE_MALL ? '' : ` — ${reason}`}`, async () => {
    const table = await readCustomerTable(MALL_CSV, { features: ['Age', INCOME, SCORE], keep: ['Gender'] });
    const { matrix } = prepareFeatures(table, { scale: 'standard' });
    const gender = encodeCategories(table.kept['Gender'] as readonly string[], 'Gender');
    const fit = await fitKPrototypes(matrix, { names: ['Gender'], codes: gender.codes, levels: [gender.levels.length] }, { k: 5, nInit: 10, seed: 42 });
    const rows = Array.from({ length: matrix.rows }, (_, i) => [...matrix.data.subarray(i * 3, i * 3 + 3)].map(Number).concat([gender.codes[i]!]));
    const script = `
import json, sys, numpy as np
from kmodes.kprototypes import KPrototypes
X = np.array(json.loads(sys.stdin.read()), dtype=object)
kp = KPrototypes(n_clusters=5, init='Cao', n_init=10, random_state=42)
kp.fit(X, categorical=[3])
print(json.dumps({'gamma': float(kp.gamma), 'cost': float(kp.cost_)}))`;
    const r = spawnSync(kmodesPython!, ['-c', script], { input: JSON.stringify(rows), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as { gamma: number; cost: number };
    console.info(`kmodes reference: gamma ${ref.gamma}, cost ${ref.cost}; segmenta gamma ${fit.gamma}, cost ${fit.cost}`);
    expect(fit.gamma).toBeCloseTo(ref.gamma, 6);
    expect(fit.cost).toBeLessThanOrEqual(ref.cost * 1.001);
  });
});

/** A matrix with rows but no numeric column (all-categorical data). */
function noNumeric(rows: number): Matrix {
  return { data: new Float32Array(0), rows, cols: 0 };
}

describe('k-prototypes: exact results on hand-made data', () => {
  // Four distinct numeric rows, no categorical column.
  const points = [
    [1, 2],
    [3, 5],
    [6, 1],
    [8, 8],
  ];
  const numeric = matrixFromRows(points);
  const none: CategoricalColumns = { names: [], codes: new Int32Array(0), levels: [] };

  it('k = number of rows: every row is its own segment at cost 0; 2 iterations (the second moves nothing); γ and every run reported', async () => {
    const events: { kind: string; phase: string; detail: string }[] = [];
    const fit = await fitKPrototypes(numeric, none, { k: 4, nInit: 2, seed: 3, onProgress: (e) => events.push(e as never) });
    // Each row is drawn as a starting prototype, so each is nearest to itself (distance 0).
    expect([...fit.labels].sort()).toEqual([0, 1, 2, 3]);
    expect(fit.sizes).toEqual([1, 1, 1, 1]);
    points.forEach((row, i) => expect([...fit.centroids.subarray(fit.labels[i]! * 2, fit.labels[i]! * 2 + 2)]).toEqual(row));
    expect(fit.modes).toEqual(new Int32Array(0));
    expect(fit.cost).toBe(0);
    expect(fit.runCost).toEqual([0, 0]);
    expect(fit.iterations).toBe(2);
    expect(fit.converged).toBe(true);
    expect([fit.k, fit.rows]).toEqual([4, 4]);
    // γ: column sds (ddof = 0) are √(29/4) (1, 3, 6, 8: mean 4.5) and √(30/4) (2, 5, 1, 8: mean 4).
    expect(fit.gamma).toBeCloseTo(0.5 * ((Math.sqrt(29 / 4) + Math.sqrt(30 / 4)) / 2), 12);
    expect(fit.gammaSource).toBe('kmodes default: 0.5 × mean standard deviation of the numeric columns');
    expect(events).toEqual([
      { kind: 'phase', phase: 'k-prototypes', detail: 'run 1 of 2, iteration 1: cost 0, 4 rows moved' },
      { kind: 'phase', phase: 'k-prototypes', detail: 'run 1 of 2, iteration 2: cost 0, 0 rows moved' },
      { kind: 'phase', phase: 'k-prototypes', detail: 'run 2 of 2, iteration 1: cost 0, 4 rows moved' },
      { kind: 'phase', phase: 'k-prototypes', detail: 'run 2 of 2, iteration 2: cost 0, 0 rows moved' },
    ]);
  });

  it('maxIter is exact: maxIter 1 stops after one assignment, not converged', async () => {
    const fit = await fitKPrototypes(numeric, none, { k: 4, nInit: 1, maxIter: 1, seed: 3 });
    expect(fit.iterations).toBe(1);
    expect(fit.converged).toBe(false);
    expect(fit.cost).toBe(0);
    expect(fit.sizes).toEqual([1, 1, 1, 1]);
  });

  it('of runs with equal cost the first is kept; no seed means seed 0', async () => {
    const first = await fitKPrototypes(numeric, none, { k: 4, nInit: 1, seed: 0 });
    const both = await fitKPrototypes(numeric, none, { k: 4, nInit: 3 });
    expect(both.runCost).toEqual([0, 0, 0]);
    expect(both.labels).toEqual(first.labels);
    expect(both.centroids).toEqual(first.centroids);
  });

  it('all-categorical data (k-modes): γ is 0.5, each distinct row its own segment, modes are the rows', async () => {
    // Two categorical columns, levels 3 and 2; four distinct code pairs.
    const codes = Int32Array.from([0, 0, 0, 1, 1, 0, 2, 1]);
    const categorical: CategoricalColumns = { names: ['colour', 'flag'], codes, levels: [3, 2] };
    expect(kPrototypesGamma(noNumeric(4))).toBe(0.5);
    const fit = await fitKPrototypes(noNumeric(4), categorical, { k: 4, nInit: 1, maxIter: 1, seed: 5 });
    expect(fit.gamma).toBe(0.5);
    expect(fit.cost).toBe(0); // every row starts as a prototype and matches it exactly
    expect(fit.sizes).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 4; i++) expect([...fit.modes.subarray(fit.labels[i]! * 2, fit.labels[i]! * 2 + 2)]).toEqual([codes[i * 2], codes[i * 2 + 1]]);
    expect(fit.centroids).toEqual(new Float64Array(0));
  });

  it('an empty segment keeps its prototype; on a tie the lower segment wins', async () => {
    // Rows 0 and 1 are identical (5, level 1); with k = 3 both start as prototypes, and
    // both rows go to the lower-numbered of the two, leaving the other empty.
    const fit = await fitKPrototypes(matrixFromRows([[5], [5], [0]]), { names: ['c'], codes: Int32Array.from([1, 1, 0]), levels: [2] }, { k: 3, nInit: 1, gamma: 1, seed: 2 });
    expect(fit.labels[0]).toBe(fit.labels[1]);
    const empty = fit.sizes.indexOf(0);
    expect([...fit.sizes].sort()).toEqual([0, 1, 2]);
    expect(fit.labels[0]).toBeLessThan(empty);
    expect(fit.centroids[empty]).toBe(5);
    expect(fit.modes[empty]).toBe(1);
    expect(fit.centroids[fit.labels[0]!]).toBe(5);
    expect(fit.centroids[fit.labels[2]!]).toBe(0);
    expect(fit.modes[fit.labels[2]!]).toBe(0);
    expect(fit.cost).toBe(0);
    expect([fit.iterations, fit.converged]).toEqual([2, true]);
  });

  it('a run cut by maxIter still returns a consistent result: each row labelled with its nearest returned prototype, cost = Σ of those dissimilarities', async () => {
    const { numeric: data, categorical } = mixed(40, 7);
    const gamma = 0.7;
    let cut = 0;
    for (const [maxIter, seed] of [[1, 0], [1, 1], [1, 2], [2, 3], [100, 4]] as const) {
      const fit = await fitKPrototypes(data, categorical, { k: 4, nInit: 1, maxIter, seed, gamma });
      if (!fit.converged) cut++;
      // Huang's dissimilarity of row i to prototype c, written out here from the definition.
      const d = (i: number, c: number): number =>
        (data.data[i * 2]! - fit.centroids[c * 2]!) ** 2 +
        (data.data[i * 2 + 1]! - fit.centroids[c * 2 + 1]!) ** 2 +
        gamma * (Number(categorical.codes[i * 2] !== fit.modes[c * 2]) + Number(categorical.codes[i * 2 + 1] !== fit.modes[c * 2 + 1]));
      let total = 0;
      for (let i = 0; i < 40; i++) {
        const own = d(i, fit.labels[i]!);
        for (let c = 0; c < 4; c++) expect(own).toBeLessThanOrEqual(d(i, c));
        total += own;
      }
      expect(fit.cost).toBeCloseTo(total, 9);
      expect(fit.runCost).toEqual([fit.cost]);
    }
    expect(cut).toBeGreaterThanOrEqual(3); // maxIter 1 never converges here: the test covers the cut runs
  });

  it('modes are the most frequent level of each segment (ties: the lowest code); cost = squared deviations + γ × mismatches', async () => {
    // Two groups of 6 rows, at 0..5 and 100..105; in each, column a has levels 0, 1, 1, 2, 2, 2
    // (mode 2) and column b 0, 1, 1, 2, 2, 3 (levels 1 and 2 tie: mode 1).
    const a = [0, 1, 1, 2, 2, 2];
    const b = [0, 1, 1, 2, 2, 3];
    const rows = [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105].map((x) => [x]);
    const codes = Int32Array.from(rows.flatMap((_, i) => [a[i % 6]!, b[i % 6]!]));
    const categorical: CategoricalColumns = { names: ['a', 'b'], codes, levels: [3, 4] };
    const fit = await fitKPrototypes(matrixFromRows(rows), categorical, { k: 2, gamma: 1, seed: 1 });
    const low = fit.labels[0]!;
    const high = fit.labels[6]!;
    expect(high).not.toBe(low);
    expect([...fit.labels]).toEqual([...Array(6).fill(low), ...Array(6).fill(high)]);
    expect(fit.centroids[low]).toBe(2.5);
    expect(fit.centroids[high]).toBe(102.5);
    expect([...fit.modes]).toEqual([2, 1, 2, 1]);
    // Per group: Σ (x − 2.5)² = 2 × (6.25 + 2.25 + 0.25) = 17.5; mismatches 3 (column a) + 4 (column b).
    const expected = 2 * (17.5 + 1 * (3 + 4));
    expect(fit.cost).toBe(expected);
    expect(huangCost(matrixFromRows(rows), categorical, fit.labels, 2, 1)).toBe(expected);
  });
});

describe('k-prototypes: every refusal is a SegmentaError naming the values', () => {
  const numeric = matrixFromRows([[0], [1], [2], [3]]);
  const categorical: CategoricalColumns = { names: ['a', 'b'], codes: Int32Array.from([0, 1, 1, 0, 2, 1, 0, 0]), levels: [3, 2] };

  it('numeric data of the wrong shape or with NaN is refused by name (kPrototypesGamma, huangCost, fitKPrototypes)', async () => {
    const short = { data: new Float32Array(3), rows: 2, cols: 2 };
    const shape = 'numeric data holds 3 values but its shape 2 × 2 needs 4';
    expect((await thrown(() => kPrototypesGamma(short))).message).toContain(shape);
    expect((await thrown(() => fitKPrototypes(short, categorical, { k: 1 }))).message).toContain(shape);
    const empty = { data: new Float32Array(0), rows: 0, cols: 1 };
    for (const run of [() => kPrototypesGamma(empty), () => fitKPrototypes(empty, { names: [], levels: [], codes: new Int32Array(0) }, { k: 1 })]) {
      const error = await thrown(run);
      expect([error.code, error.message]).toEqual(['EMPTY_TABLE', 'numeric data has no rows (shape 0 × 1): at least 1 is required']);
    }
    const nan = matrixFromRows([[0], [Number.NaN], [2], [3]]);
    for (const run of [() => kPrototypesGamma(nan), () => huangCost(nan, categorical, [0, 0, 0, 0], 1, 1), () => fitKPrototypes(nan, categorical, { k: 1 })]) {
      const error = await thrown(run);
      expect(error.code).toBe('NON_FINITE_VALUE');
      expect(error.message).toContain('numeric data row 2, feature 1 is NaN');
    }
  });

  it('categorical columns that are not { names, levels, codes } are refused', async () => {
    const codes = categorical.codes;
    const cases: unknown[] = [null, undefined, 'x', { names: 'a', levels: [3], codes }, { names: ['a', 'b'], levels: 3, codes }, { names: ['a', 'b'], levels: [3, 2] }];
    for (const bad of cases) {
      const error = await thrown(() => fitKPrototypes(numeric, bad as CategoricalColumns, { k: 1 }));
      expect(error.code).toBe('INVALID_DATA');
      expect(error.message).toBe('categorical must be { names: string[], levels: number[], codes: Int32Array }');
    }
  });

  it('shapes: no feature at all, names and levels of different lengths, codes of the wrong length', async () => {
    const noFeature = await thrown(() => fitKPrototypes(noNumeric(3), { names: [], levels: [], codes: new Int32Array(0) }, { k: 1 }));
    expect([noFeature.code, noFeature.message, noFeature.details]).toEqual([
      'SHAPE_MISMATCH',
      'k-prototypes got 0 numeric and 0 categorical columns (3 rows): at least 1 feature is required',
      { rows: 3 },
    ]);
    const levels = await thrown(() => fitKPrototypes(numeric, { ...categorical, levels: [3] }, { k: 1 }));
    expect([levels.code, levels.message, levels.details]).toEqual(['SHAPE_MISMATCH', '2 categorical column names but 1 level counts', { names: 2, levels: 1 }]);
    const codes = await thrown(() => fitKPrototypes(numeric, { ...categorical, codes: categorical.codes.slice(1) }, { k: 1 }));
    expect([codes.code, codes.message, codes.details]).toEqual([
      'SHAPE_MISMATCH',
      'categorical codes hold 7 values but rows × columns = 4 × 2',
      { codes: 7, rows: 4, columns: 2 },
    ]);
  });

  it('a level code below 0 or at the level count is refused naming its row and column', async () => {
    const at = (index: number, value: number): CategoricalColumns => {
      const codes = Int32Array.from(categorical.codes);
      codes[index] = value;
      return { ...categorical, codes };
    };
    const cases: [CategoricalColumns, string, { row: number; column: string }][] = [
      [at(3, -1), "row 2, column 'b': level code -1 is outside 0..1", { row: 2, column: 'b' }],
      [at(2, -1), "row 2, column 'a': level code -1 is outside 0..2", { row: 2, column: 'a' }],
      [at(7, 2), "row 4, column 'b': level code 2 is outside 0..1", { row: 4, column: 'b' }],
    ];
    for (const [bad, message, details] of cases) {
      for (const run of [() => fitKPrototypes(numeric, bad, { k: 1 }), () => huangCost(numeric, bad, [0, 0, 0, 0], 1, 1)]) {
        const error = await thrown(run);
        expect([error.code, error.message, error.details]).toEqual(['INVALID_OPTION', message, details]);
      }
    }
  });

  it('options: k, nInit, maxIter, seed and gamma are named with the value; k may equal the rows but not exceed them', async () => {
    const refusals: [Parameters<typeof fitKPrototypes>[2], string, string][] = [
      [{ k: 0 }, 'INVALID_K', 'k must be an integer >= 1, got 0'],
      [{ k: 5 }, 'INVALID_K', 'k = 5 is larger than the number of rows (4)'],
      [{ k: 1, nInit: 0 }, 'INVALID_OPTION', 'nInit must be an integer in [1, 10000], got 0'],
      [{ k: 1, maxIter: 0 }, 'INVALID_OPTION', 'maxIter must be an integer >= 1, got 0'],
      [{ k: 1, seed: -1 }, 'INVALID_OPTION', 'seed must be an integer in [0, 4294967295], got -1'],
      [{ k: 1, gamma: -1 }, 'INVALID_OPTION', 'gamma must be a finite number >= 0, got -1'],
    ];
    for (const [options, code, message] of refusals) {
      const error = await thrown(() => fitKPrototypes(numeric, categorical, options));
      expect([error.code, error.message]).toEqual([code, message]);
    }
    expect((await thrown(() => fitKPrototypes(numeric, categorical, { k: 5 }))).details).toEqual({ k: 5, rows: 4 });
    expect((await fitKPrototypes(numeric, categorical, { k: 4, nInit: 1 })).sizes).toEqual([1, 1, 1, 1]);
  });

  it('huangCost: k, gamma and labels outside 0..k-1 are refused naming the row and value', async () => {
    expect((await thrown(() => huangCost(numeric, categorical, [0, 0, 0, 0], 0, 1))).message).toBe('k must be an integer >= 1, got 0');
    expect((await thrown(() => huangCost(numeric, categorical, [0, 0, 0, 0], 1, -1))).message).toBe('gamma must be a finite number >= 0, got -1');
    const cases: [number[], string, object][] = [
      [[0, 3, 1, 2], 'labels row 2 is 3, outside 0..2', { row: 2, label: 3, k: 3 }],
      [[0, 1, 2, -1], 'labels row 4 is -1, outside 0..2', { row: 4, label: -1, k: 3 }],
    ];
    for (const [labels, message, details] of cases) {
      const error = await thrown(() => huangCost(numeric, categorical, labels, 3, 1));
      expect([error.code, error.message, error.details]).toEqual(['INVALID_K', message, details]);
    }
  });
});
