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
