/**
 * The refined run's subsample search prunes its work (Elkan's lemma in the
 * sample Lloyd, one pass per candidate for every dropped centre's gain): it
 * must compute exactly what the full search computed, bit for bit, so that
 * the start it proposes, and default K-Means results, do not move.
 */
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { dropGains, sampleLloyd } from '../src/drivers/swap-refinement.js';
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

/** k rows of the matrix as starting centres (repeats allowed: equal centres tie everywhere). */
function someRows(m: Matrix, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(k * m.cols);
  for (let c = 0; c < k; c++) {
    const r = rng.nextInt(m.rows);
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), c * m.cols);
  }
  return out;
}

/** The sample Lloyd as it was before its pruning: every centre of every row, every iteration (verbatim). */
function fullSearchLloyd(s: Matrix, centres: Float32Array, k: number, labels: Int32Array, near: Float64Array, maxIter: number): number {
  const { data, rows, cols } = s;
  const sq = (a: Float32Array, ao: number, b: Float32Array, bo: number): number => {
    let acc = 0;
    for (let j = 0; j < cols; j++) {
      const diff = a[ao + j]! - b[bo + j]!;
      acc += diff * diff;
    }
    return acc;
  };
  const sums = new Float64Array(k * cols);
  const counts = new Float64Array(k);
  let cost = Infinity;
  for (let it = 0; it < maxIter; it++) {
    let changed = 0;
    let total = 0;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bestD = sq(data, i * cols, centres, 0);
      for (let c = 1; c < k; c++) {
        const d = sq(data, i * cols, centres, c * cols);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (labels[i] !== best) changed++;
      labels[i] = best;
      near[i] = bestD;
      total += bestD;
      counts[best]! += 1;
      for (let j = 0; j < cols; j++) sums[best * cols + j]! += data[i * cols + j]!;
    }
    cost = total;
    if (changed === 0 && it > 0) break;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let j = 0; j < cols; j++) centres[c * cols + j] = sums[c * cols + j]! / counts[c]!;
    }
  }
  return cost;
}

function expectSameLloyd(m: Matrix, k: number, seed: number, maxIter: number, tag: string): void {
  const start = someRows(m, k, seed);
  const want = { centres: Float32Array.from(start), labels: new Int32Array(m.rows).fill(-1), near: new Float64Array(m.rows) };
  const got = { centres: Float32Array.from(start), labels: new Int32Array(m.rows).fill(-1), near: new Float64Array(m.rows) };
  const wantCost = fullSearchLloyd(m, want.centres, k, want.labels, want.near, maxIter);
  const gotCost = sampleLloyd(m, got.centres, k, got.labels, got.near, maxIter);
  expect(gotCost, `${tag}: cost`).toBe(wantCost);
  expect(Array.from(got.centres), `${tag}: centres`).toEqual(Array.from(want.centres));
  expect(Array.from(got.labels), `${tag}: labels`).toEqual(Array.from(want.labels));
  expect(Array.from(got.near), `${tag}: nearest distances`).toEqual(Array.from(want.near));
}

describe('swap refinement: the pruned sample Lloyd computes the full search’s bits', () => {
  it('on separated, overlapping and integer-valued (tie-heavy) data, 2 to 7 features, k = 2..12', () => {
    const cases: Array<[Matrix, string]> = [
      [data(700, 2, 1), 'blobs 700 × 2'],
      [data(1024, 4, 2, { spread: 4 }), 'overlapping 1024 × 4'],
      [data(600, 3, 3, { grid: true }), 'integer grid 600 × 3'],
      [data(1024, 7, 4, { spread: 2 }), '1024 × 7'],
    ];
    for (const [m, name] of cases) {
      for (const k of [2, 3, 5, 8, 12]) {
        for (const maxIter of [1, 2, 30, 100]) expectSameLloyd(m, k, 7 * k + maxIter, maxIter, `${name}, k = ${k}, maxIter ${maxIter}`);
      }
    }
  });

  it('on thousands of tiny integer data sets, where rows fall exactly midway between centres (ties keep the first index)', () => {
    const rng = new SeededRandom(5);
    for (let q = 0; q < 4000; q++) {
      const cols = 1 + rng.nextInt(2);
      const rows = 4 + rng.nextInt(10);
      const m: Matrix = { data: Float32Array.from({ length: rows * cols }, () => rng.nextInt(5)), rows, cols };
      expectSameLloyd(m, 2 + rng.nextInt(3), q, 1 + rng.nextInt(6), `tiny case ${q}`);
    }
  });

  it.skipIf(!HAVE_MALL)(`on Mall (income, score) for k = 2..10${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async () => {
    const m = (await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] })).matrix;
    for (let k = 2; k <= 10; k++) for (let seed = 0; seed < 4; seed++) expectSameLloyd(m, k, 100 * k + seed, 100, `Mall k = ${k} seed ${seed}`);
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
