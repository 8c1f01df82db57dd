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
import { dropGains, refineBySwaps, sampleLloyd } from '../src/drivers/swap-refinement.js';
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

/**
 * refineBySwaps written out plainly from its description (no pruning, one gain
 * pass per dropped centre, the full-search Lloyd above): the seeded subsample
 * above 1,024 rows, `sampleRuns` k-means++ + Lloyd runs on it, then swaps
 * (each centre in turn replaced by the evenly spaced candidate row of largest
 * guaranteed gain, then 30 Lloyd iterations; the best trial kept while it
 * lowers the cost by more than 1e-9 relative), and the result only when it
 * beats the start's own sample Lloyd by more than 1e-9 relative.
 */
function plainRefine(matrix: Matrix, start: Float32Array, k: number, seed: number, sampleRuns = 20): Float32Array | null {
  if (k < 2) return null;
  const cols = matrix.cols;
  const sq = (a: Float32Array, ao: number, b: Float32Array, bo: number): number => {
    let acc = 0;
    for (let j = 0; j < cols; j++) acc += (a[ao + j]! - b[bo + j]!) ** 2;
    return acc;
  };
  let s: Matrix = matrix;
  if (matrix.rows > 1024) {
    const pick = new SeededRandom(seed);
    const data = new Float32Array(1024 * cols);
    for (let q = 0; q < 1024; q++) {
      const i = pick.nextInt(matrix.rows);
      data.set(matrix.data.subarray(i * cols, (i + 1) * cols), q * cols);
    }
    s = { data, rows: 1024, cols };
  }
  const { data, rows } = s;
  const rng = new SeededRandom(seed ^ 0x27d4eb2d);
  const near = new Float64Array(rows);
  const lloyd = (centres: Float32Array, maxIter: number): number => fullSearchLloyd(s, centres, k, new Int32Array(rows).fill(-1), near, maxIter);
  let best = Float32Array.from(start);
  let bestCost = lloyd(best, 100);
  const baseline = bestCost;
  for (let r = 0; r < sampleRuns; r++) {
    // k-means++ (plain D² sampling)
    const c = new Float32Array(k * cols);
    let pick = rng.nextInt(rows);
    c.set(data.subarray(pick * cols, (pick + 1) * cols), 0);
    const d2 = Array.from({ length: rows }, (_, i) => sq(data, i * cols, c, 0));
    for (let q = 1; q < k; q++) {
      let target = rng.nextFloat() * d2.reduce((a, b) => a + b, 0);
      pick = rows - 1;
      for (let i = 0; i < rows; i++) {
        target -= d2[i]!;
        if (target < 0) {
          pick = i;
          break;
        }
      }
      c.set(data.subarray(pick * cols, (pick + 1) * cols), q * cols);
      for (let i = 0; i < rows; i++) d2[i] = Math.min(d2[i]!, sq(data, i * cols, c, q * cols));
    }
    const cost = lloyd(c, 30);
    if (cost < bestCost) {
      best = c;
      bestCost = cost;
    }
  }
  const candidates = Math.min(rows, 256);
  const stride = Math.floor(rows / candidates);
  let current = best;
  let cost = bestCost;
  for (let attempt = 0; attempt < k; attempt++) {
    const dist = Array.from({ length: rows }, (_, i) => Array.from({ length: k }, (_, c) => sq(data, i * cols, current, c * cols)));
    const nearest = dist.map((d) => d.indexOf(Math.min(...d)));
    const first = dist.map((d) => Math.min(...d));
    const second = dist.map((d, i) => Math.min(...d.filter((_, c) => c !== nearest[i])));
    let trialBest: { centres: Float32Array; cost: number } | undefined;
    for (let drop = 0; drop < k; drop++) {
      let bestGain = -1;
      let bestRow = 0;
      for (let q = 0; q < candidates; q++) {
        const a = q * stride;
        let gain = 0;
        for (let i = 0; i < rows; i++) {
          const g = (nearest[i] === drop ? second[i]! : first[i]!) - sq(data, i * cols, data, a * cols);
          if (g > 0) gain += g;
        }
        if (gain > bestGain) {
          bestGain = gain;
          bestRow = a;
        }
      }
      const trial = Float32Array.from(current);
      trial.set(data.subarray(bestRow * cols, (bestRow + 1) * cols), drop * cols);
      const trialCost = lloyd(trial, 30);
      if (!trialBest || trialCost < trialBest.cost) trialBest = { centres: trial, cost: trialCost };
    }
    if (!(trialBest!.cost < cost * (1 - 1e-9))) break;
    current = trialBest!.centres;
    cost = trialBest!.cost;
  }
  return cost < baseline * (1 - 1e-9) ? current : null;
}

describe('swap refinement: refineBySwaps proposes what its plain description computes, bit for bit', () => {
  it('on small and subsampled data, from poor and from good starts', async () => {
    let proposals = 0;
    const cases: Array<[Matrix, number, string]> = [
      [data(300, 2, 21, { spread: 2 }), 4, '300 × 2'],
      [data(500, 3, 22, { grid: true }), 5, 'integer grid 500 × 3'],
      [data(1500, 2, 23, { spread: 1.5 }), 6, '1,500 × 2 (subsampled)'],
    ];
    for (const [m, k, name] of cases) {
      for (const seed of [1, 2]) {
        const start = someRows(m, k, 40 + seed);
        const got = await refineBySwaps(m, start, k, seed, 6);
        const want = plainRefine(m, start, k, seed, 6);
        if (want === null) expect(got, `${name}, seed ${seed}`).toBeNull();
        else {
          proposals++;
          expect(got === null ? null : Array.from(got), `${name}, seed ${seed}`).toEqual(Array.from(want));
        }
      }
    }
    expect(proposals).toBeGreaterThanOrEqual(3);
  });

  it('from every centre on one row of subsampled data, where the swaps do the work (a candidate every 4th row)', async () => {
    // Six tight blobs and k copies of one row: the start's own Lloyd leaves k − 1 centres empty, so the
    // search accepts swap after swap, choosing among 256 candidates spaced 4 rows apart in the 1,024-row sample.
    for (const [rows, k, seed] of [
      [1500, 6, 31],
      [2000, 4, 32],
      [1200, 7, 33],
    ] as const) {
      const m = data(rows, 2, seed, { spread: 0.3 });
      const start = new Float32Array(k * 2);
      for (let c = 0; c < k; c++) start.set(m.data.subarray(0, 2), c * 2);
      for (const runs of [0, 2]) {
        const want = plainRefine(m, start, k, seed, runs);
        expect(want, `${rows} rows, k = ${k}, ${runs} sample runs`).not.toBeNull();
        const got = await refineBySwaps(m, start, k, seed, runs);
        expect(got === null ? null : Array.from(got), `${rows} rows, k = ${k}, ${runs} sample runs`).toEqual(Array.from(want!));
      }
    }
  });

  it('on exactly 1,024 rows, tiny values, fewer distinct rows than k, and mirror-image ties', async () => {
    const tiny = data(400, 2, 24, { spread: 2 });
    // rows (0, 0), (1, 2), (2, 4), (5, 10), ten times each
    const fourPoints: Matrix = { data: Float32Array.from({ length: 80 }, (_, q) => ((q >> 1) % 4 === 3 ? 5 : (q >> 1) % 4) * ((q & 1) + 1)), rows: 40, cols: 2 };
    const cases: Array<[Matrix, Float32Array, number, number, string]> = [
      [data(1024, 2, 25, { spread: 2 }), someRows(data(1024, 2, 25, { spread: 2 }), 5, 3), 5, 20, '1,024 rows (no subsample)'],
      [{ ...tiny, data: tiny.data.map((v) => v * 1e-3) }, someRows({ ...tiny, data: tiny.data.map((v) => v * 1e-3) }, 4, 5), 4, 6, 'values near 1e-3 (every gain below 1)'],
      // four distinct rows and k = 5: a zero cost is reachable, and k-means++ runs out of rows to draw
      [fourPoints, new Float32Array(10), 5, 6, 'four distinct rows, k = 5'],
      [fourPoints, new Float32Array(10), 5, 0, 'four distinct rows, k = 5, swaps only'],
      // −2 … 2 and two centres at 0 with no sample runs: dropping either centre, candidates −2 and 2 gain the same
      [{ data: Float32Array.from({ length: 50 }, (_, i) => (i % 5) - 2), rows: 50, cols: 1 }, Float32Array.from([0, 0]), 2, 0, 'mirror-image ties'],
    ];
    let proposals = 0;
    for (const [m, start, k, runs, name] of cases) {
      const got = await refineBySwaps(m, start, k, 9, runs);
      const want = plainRefine(m, start, k, 9, runs);
      if (want !== null) proposals++;
      expect(got === null ? null : Array.from(got), name).toEqual(want === null ? null : Array.from(want));
    }
    expect(proposals).toBeGreaterThanOrEqual(3);
  });
});
