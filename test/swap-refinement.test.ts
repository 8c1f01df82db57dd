/**
 * The refined run's subsample search prunes its work (Elkan's lemma in the
 * sample Lloyd, one pass per candidate for every dropped centre's gain): it
 * must propose exactly the start the full search proposed, bit for bit, so
 * that default K-Means results do not move.
 */
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { dropGains, refineBySwaps } from '../src/drivers/swap-refinement.js';
import { refineBySwapsOracle } from './helpers/swap-refinement-oracle.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';

/** Gaussian blobs (overlapping when `spread` is large), or integer-valued rows full of ties when `grid`. */
function data(rows: number, cols: number, seed: number, opts: { spread?: number; grid?: boolean } = {}): Matrix {
  const rng = new SeededRandom(seed);
  const centres = Array.from({ length: 6 }, () => Array.from({ length: cols }, () => rng.nextFloat() * 20));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[rng.nextInt(centres.length)]!;
    for (let j = 0; j < cols; j++) {
      const g = Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
      const v = c[j]! + g * (opts.spread ?? 1);
      out[i * cols + j] = opts.grid ? Math.round(v) : v;
    }
  }
  return { data: out, rows, cols };
}

/** k rows of the matrix as the "best centres so far". */
function someRows(m: Matrix, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(k * m.cols);
  for (let c = 0; c < k; c++) {
    const r = rng.nextInt(m.rows);
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), c * m.cols);
  }
  return out;
}

async function expectSameProposal(m: Matrix, k: number, seed: number, tag: string): Promise<boolean> {
  const start = someRows(m, k, seed + 100);
  const want = await refineBySwapsOracle(m, start, k, seed, 6);
  const got = await refineBySwaps(m, start, k, seed, 6);
  if (want === null) expect(got, `${tag}: the full search found nothing better`).toBeNull();
  else {
    expect(got, `${tag}: the full search proposed a start`).not.toBeNull();
    expect(Array.from(got!), tag).toEqual(Array.from(want));
  }
  return want !== null;
}

describe('swap refinement: the pruned search proposes the full search’s start, bit for bit', () => {
  it('on separated, overlapping and integer-valued (tie-heavy) data, 2 to 7 features, k = 2..10', async () => {
    let proposals = 0;
    const cases: Array<[Matrix, string]> = [
      [data(700, 2, 1), 'blobs 700 × 2'],
      [data(900, 4, 2, { spread: 4 }), 'overlapping 900 × 4'],
      [data(600, 3, 3, { grid: true }), 'integer grid 600 × 3'],
      [data(3000, 7, 4, { spread: 2 }), '3000 × 7 (subsampled)'],
    ];
    for (const [m, name] of cases) {
      for (const k of [2, 3, 5, 8, 10]) {
        if (await expectSameProposal(m, k, 7 * k + m.cols, `${name}, k = ${k}`)) proposals++;
      }
    }
    // the comparison covers the swap path, not only "nothing better" answers
    expect(proposals).toBeGreaterThan(5);
  });

  it.skipIf(!HAVE_MALL)(`on Mall (income, score) for k = 2..10${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async () => {
    const m = (await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] })).matrix;
    for (let k = 2; k <= 10; k++) await expectSameProposal(m, k, k, `Mall k = ${k}`);
  });
});

describe('swap refinement: every dropped centre’s gains in one pass per candidate', () => {
  it('equal, bit for bit, the separate pass per dropped centre (rows tied with the candidate or between centres included)', () => {
    const rng = new SeededRandom(11);
    for (const [rows, candidates, k] of [[500, 40, 2], [1024, 64, 7], [300, 300, 10]] as const) {
      const nearest = new Int32Array(rows);
      const first = new Float64Array(rows);
      const second = new Float64Array(rows);
      const toCandidate = new Float64Array(candidates * rows);
      for (let i = 0; i < rows; i++) {
        nearest[i] = rng.nextInt(k);
        // small integers: many exact ties between first, second and the candidate distances
        first[i] = rng.nextInt(6) + (i % 3 === 0 ? 0 : rng.nextFloat());
        second[i] = first[i]! + (i % 4 === 0 ? 0 : rng.nextInt(4) + rng.nextFloat());
      }
      for (let q = 0; q < candidates * rows; q++) toCandidate[q] = rng.nextInt(8) + (q % 5 === 0 ? 0 : rng.nextFloat());
      const got = dropGains(nearest, first, second, toCandidate, rows, candidates, k);
      let positive = 0;
      for (let drop = 0; drop < k; drop++) {
        for (let q = 0; q < candidates; q++) {
          // the search's former loop, verbatim
          let gain = 0;
          const o = q * rows;
          for (let i = 0; i < rows; i++) {
            const d = (nearest[i] === drop ? second[i]! : first[i]!) - toCandidate[o + i]!;
            if (d > 0) gain += d;
          }
          if (gain > 0) positive++;
          if (got[drop * candidates + q] !== gain) expect(got[drop * candidates + q], `rows ${rows}, drop ${drop}, candidate ${q}`).toBe(gain);
        }
      }
      expect(positive).toBeGreaterThan(k * candidates * 0.9);
    }
  });
});
