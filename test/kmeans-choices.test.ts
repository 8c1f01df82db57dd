/**
 * The K-Means choices that change users' results, each tested so that a
 * one-line bug in it fails: k-means++ keeps the lowest-potential candidate,
 * the best of nInit runs wins, maxIter counts iterations exactly, and tol
 * (scaled by the mean feature variance) stops the iterations.
 */
import { describe, expect, it } from 'vitest';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { createPlusPlusBuffers, kmeansPlusPlus } from '../src/drivers/kmeans-plusplus.js';
import { fitKMeans, type KMeansResult } from '../src/drivers/kmeans.js';
import { meanFeatureVariance } from '../src/drivers/validate-input.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { recordingJob } from './helpers/recording-backend.js';

function wideBlobs(rows: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const c = rng.nextInt(7);
    out.push([c * 3 + rng.nextGaussian() * (1 + (c % 3)), ((c * 5) % 7) * 2 + rng.nextGaussian()]);
  }
  return matrixFromRows(out);
}

/** WCSS recomputed in float64 from the returned labels and centroids. */
function wcssOf(m: Matrix, r: KMeansResult): number {
  let s = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) s += (m.data[i * m.cols + j]! - r.centroids[r.labels[i]! * m.cols + j]!) ** 2;
  }
  return s;
}

describe('k-means++ keeps the candidate with the lowest potential', () => {
  it('each chosen centre is the argmin of its candidates’ potentials (first on ties), over many seeds and k', async () => {
    const m = wideBlobs(600, 3);
    let decisive = 0;
    for (const k of [3, 6, 9]) {
      for (let seed = 0; seed < 8; seed++) {
        const ref = await jsReferenceBackend.createJob(m.data, m.rows, m.cols);
        const { job, potentialCalls, chosen } = recordingJob(ref);
        const centres = await kmeansPlusPlus(job, m, k, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
        expect(potentialCalls).toHaveLength(k - 1);
        expect(chosen).toHaveLength(k);
        for (let c = 1; c < k; c++) {
          const { candidates, potentials } = potentialCalls[c - 1]!;
          const trials = potentials.length;
          expect(trials).toBe(2 + Math.floor(Math.log(k)));
          let best = 0;
          for (let t = 1; t < trials; t++) if (potentials[t]! < potentials[best]!) best = t;
          if (Math.min(...potentials) !== Math.max(...potentials)) decisive++;
          const want = Array.from(candidates.subarray(best * m.cols, (best + 1) * m.cols));
          expect(Array.from(chosen[c]!), `k=${k} seed=${seed} centre ${c}`).toEqual(want);
          expect(Array.from(centres.subarray(c * m.cols, (c + 1) * m.cols))).toEqual(want);
        }
      }
    }
    // the candidates really differ most of the time, so picking the wrong one shows
    expect(decisive).toBeGreaterThan(50);
  });

  it('every centre is a row of the data, and the first one is drawn uniformly by the seed', async () => {
    const m = wideBlobs(300, 8);
    const rows = new Set(Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * 2, i * 2 + 2)).join(',')));
    const firsts = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const job = await jsReferenceBackend.createJob(m.data, m.rows, m.cols);
      const centres = await kmeansPlusPlus(job, m, 5, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
      for (let c = 0; c < 5; c++) expect(rows.has(Array.from(centres.subarray(c * 2, c * 2 + 2)).join(','))).toBe(true);
      firsts.add(Array.from(centres.subarray(0, 2)).join(','));
      // the first centre is row nextInt(rows) of a fresh generator with the same seed
      const first = new SeededRandom(seed).nextInt(m.rows);
      expect(Array.from(centres.subarray(0, 2))).toEqual(Array.from(m.data.subarray(first * 2, first * 2 + 2)));
    }
    expect(firsts.size).toBeGreaterThan(15);
  });

  it('draws candidates in proportion to the squared distance: a lone far row is always picked second', async () => {
    // 200 rows at 0 and one row at 1000: after any first centre at 0, the far row holds all the potential.
    const m = matrixFromRows([...Array.from({ length: 200 }, (_, i) => [i % 2 === 0 ? 0 : 1e-3]), [1000]]);
    for (let seed = 0; seed < 10; seed++) {
      const job = await jsReferenceBackend.createJob(m.data, m.rows, m.cols);
      const centres = await kmeansPlusPlus(job, m, 2, new SeededRandom(seed), createPlusPlusBuffers(m.rows));
      if (centres[0] !== 1000) expect(centres[1], `seed ${seed}`).toBe(1000);
    }
  });
});

describe('the best of nInit runs wins', () => {
  async function expectBestWins(m: Matrix, ks: number[], seed: number): Promise<number> {
    let lastNotBest = 0;
    for (const k of ks) {
      const r = await fitKMeans(m, { k, seed, nInit: 5, refine: false, backend: jsReferenceBackend });
      expect(r.runWcss).toHaveLength(5);
      const min = Math.min(...r.runWcss);
      expect(r.wcss, `k=${k} runs ${r.runWcss.join(', ')}`).toBe(min);
      expect(r.bestRun).toBe(r.runWcss.indexOf(min));
      // labels and centroids are those of the winning run
      expect(Math.abs(wcssOf(m, r) - min) / min).toBeLessThan(1e-5);
      if (r.runWcss.at(-1)! > min) lastNotBest++;
    }
    return lastNotBest;
  }

  (HAVE_MALL ? it : it.skip)(`on Mall (income, score), refine off, nInit 5: wcss is the minimum run WCSS${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async () => {
    const m = (await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] })).matrix;
    const lastNotBest = await expectBestWins(m, [4, 5, 6, 7, 8, 9, 10], 42);
    // Mall's runs disagree at several k, so keeping the last (or first) run instead shows
    expect(lastNotBest).toBeGreaterThanOrEqual(2);
  });

  it('on generated customers (4 standardised features), refine off, nInit 5: wcss is the minimum run WCSS', async () => {
    const raw = generatedFeatureMatrix(generateCustomers({ rows: 1500, seed: 4, features: 4 }));
    const m = fitScaler(raw, 'standard').transform(raw);
    const lastNotBest = await expectBestWins(m, [6, 8, 10], 7);
    expect(lastNotBest).toBeGreaterThanOrEqual(1);
  });

  it('the first of equal-WCSS runs wins (the run index is stable)', async () => {
    const m = matrixFromRows([[0], [1], [10], [11]]);
    const r = await fitKMeans(m, { k: 2, seed: 1, nInit: 4, refine: false, backend: jsReferenceBackend });
    expect(r.runWcss).toEqual([1, 1, 1, 1]);
    expect(r.bestRun).toBe(0);
  });
});

describe('maxIter counts Lloyd iterations exactly', () => {
  // 1-D rows 0, 2, 3, 10, 12 from centres (0, 2), computed by hand:
  // iteration 1 assigns {0} and {2, 3, 10, 12} (WCSS 0 + 0 + 1 + 64 + 100 = 165) and moves the centres to 0 and 6.75;
  // iteration 2 assigns {0, 2, 3} and {10, 12} and moves them to 5/3 and 11.
  const m = matrixFromRows([[0], [2], [3], [10], [12]]);
  const init = [0, 2];

  it('maxIter 1: exactly one iteration, centres 0 and 6.75, then the final E-step', async () => {
    const r = await fitKMeans(m, { k: 2, init, maxIter: 1, backend: jsReferenceBackend });
    expect(r.iterations).toBe(1);
    expect(r.history).toHaveLength(1);
    expect(r.history[0]).toMatchObject({ iteration: 1, wcss: 165, changed: 5, shift: 4.75 ** 2 });
    expect(Array.from(r.centroids)).toEqual([0, 6.75]);
    expect(r.converged).toBe(false);
    // final assignment to (0, 6.75): {0, 2, 3} and {10, 12}; WCSS 0 + 4 + 9 + 3.25² + 5.25²
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 1, 1]);
    expect(r.wcss).toBe(4 + 9 + 3.25 ** 2 + 5.25 ** 2);
    expect(r.sizes).toEqual([3, 2]);
  });

  it('maxIter 2: exactly two iterations, centres 5/3 and 11', async () => {
    const r = await fitKMeans(m, { k: 2, init, maxIter: 2, backend: jsReferenceBackend });
    expect(r.iterations).toBe(2);
    expect(r.history.map((h) => h.iteration)).toEqual([1, 2]);
    expect(r.centroids[0]).toBe(Math.fround(5 / 3));
    expect(r.centroids[1]).toBe(11);
    expect(r.converged).toBe(false);
  });

  it('maxIter 3 converges on iteration 3 (no label changed); maxIter 300 gives the same result', async () => {
    const three = await fitKMeans(m, { k: 2, init, maxIter: 3, backend: jsReferenceBackend });
    expect(three.iterations).toBe(3);
    expect(three.converged).toBe(true);
    expect(three.history.at(-1)!.changed).toBe(0);
    const many = await fitKMeans(m, { k: 2, init, backend: jsReferenceBackend });
    expect(many.iterations).toBe(3);
    expect(Array.from(many.centroids)).toEqual([5 / 3, 11]);
  });

  it('a sweep of maxIter on blobs: iterations = min(maxIter, unconstrained iterations)', async () => {
    const b = wideBlobs(2000, 11);
    const free = await fitKMeans(b, { k: 7, seed: 3, nInit: 1, refine: false, tol: 0, backend: jsReferenceBackend });
    expect(free.iterations).toBeGreaterThan(4);
    for (const maxIter of [1, 2, 3, free.iterations - 1, free.iterations, free.iterations + 1]) {
      const r = await fitKMeans(b, { k: 7, seed: 3, nInit: 1, refine: false, tol: 0, maxIter, backend: jsReferenceBackend });
      expect(r.iterations, `maxIter ${maxIter}`).toBe(Math.min(maxIter, free.iterations));
      expect(r.converged).toBe(maxIter >= free.iterations);
      expect(r.history.map((h) => h.wcss)).toEqual(free.history.slice(0, r.iterations).map((h) => h.wcss));
    }
  });
});

describe('tol stops the iterations (relative to the mean feature variance)', () => {
  const b = wideBlobs(2000, 12);
  const base = { k: 7, seed: 5, nInit: 1, refine: false, backend: jsReferenceBackend };

  it('a large tol stops earlier than tol 0, and both report convergence', async () => {
    const strict = await fitKMeans(b, { ...base, tol: 0 });
    const loose = await fitKMeans(b, { ...base, tol: 0.5 });
    expect(strict.iterations).toBeGreaterThan(3);
    expect(loose.iterations).toBeLessThan(strict.iterations);
    expect(loose.converged).toBe(true);
    expect(strict.converged).toBe(true);
    expect(strict.history.at(-1)!.changed).toBe(0);
  });

  it('stops at the first iteration whose centre shift is <= tol × mean variance, not before', async () => {
    const free = await fitKMeans(b, { ...base, tol: 0 });
    const variance = meanFeatureVariance(b);
    // the last iteration (before the final one) whose shift is below every earlier shift: tol at that shift stops exactly there
    let at = 0;
    for (let i = 2; i < free.history.length; i++) {
      if (free.history[i - 1]!.shift < Math.min(...free.history.slice(0, i - 1).map((h) => h.shift))) at = i;
    }
    expect(at).toBeGreaterThan(1);
    const shift = free.history[at - 1]!.shift;
    const justAbove = await fitKMeans(b, { ...base, tol: (shift / variance) * (1 + 1e-9) });
    expect(justAbove.iterations).toBe(at);
    expect(justAbove.converged).toBe(true);
    const equal = await fitKMeans(b, { ...base, tol: shift / variance });
    expect(equal.iterations).toBeLessThanOrEqual(at);
    const justBelow = await fitKMeans(b, { ...base, tol: (shift / variance) * (1 - 1e-6) });
    expect(justBelow.iterations).toBeGreaterThan(at);
  });
});
