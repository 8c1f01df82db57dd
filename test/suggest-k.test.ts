/**
 * Choosing k: the combination rule on hand-made curves, each method's
 * backend implementation against the exact reference metrics, and the
 * suggested k on Mall (large generated data: select-k-structure.test.ts).
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { SegmentaError } from '../src/common/errors.js';
import { gaussians } from './helpers/gaussians.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { suggestK, gapOneStandardError, K_METHODS, ALL_K_METHODS, K_CHOICE_RULE, parseKMethods, verdicts } from '../src/drivers/suggest-k.js';
import { findElbow } from '../src/drivers/knee-detection.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { thrown } from './helpers/thrown.js';
import { partitionIndices, selectK, silhouetteCurves } from '../src/drivers/k-selection.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { calinskiHarabasz, daviesBouldin, silhouetteSamples } from '../src/metrics/cluster-metrics.js';

const KS = [1, 2, 3, 4, 5, 6, 7];
// A convex WCSS curve whose Kneedle elbow is k = 3.
const WCSS = [1000, 500, 250, 200, 170, 150, 135];

describe('gapOneStandardError', () => {
  it('takes the smallest k with Gap(k) >= Gap(k+1) - s(k+1)', () => {
    expect(gapOneStandardError([1, 2, 3, 4], [0.1, 0.5, 0.52, 0.6], [0.02, 0.02, 0.03, 0.02])).toBe(2);
    expect(gapOneStandardError([1, 2, 3, 4], [0.1, 0.5, 0.6, 0.59], [0.02, 0.02, 0.02, 0.02])).toBe(3);
  });
  it('gives none while the gap keeps rising', () => {
    expect(gapOneStandardError([1, 2, 3], [0.1, 0.5, 0.9], [0.01, 0.01, 0.01])).toBeNull();
  });
});

describe('suggestK (the combination rule)', () => {
  it('climbs from the elbow while the silhouette rises, and says why', () => {
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.3, 0.4, 0.45, 0.5, 0.42, 0.41] });
    expect(c.byMethod.elbow?.k).toBe(3);
    expect(c.byMethod.silhouette?.k).toBe(5);
    expect(c.suggestedK).toBe(5);
    expect(c.reason).toMatch(/elbow is at k = 3/);
    expect(c.reason).toMatch(/0\.450 → 0\.500 at k = 5/);
    expect(c.rule).toMatch(/silhouette/);
  });
  it('does not climb down: a coarser silhouette peak below the elbow is reported, not taken', () => {
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.6, 0.35, 0.38, 0.3, 0.2, 0.2] });
    expect(c.byMethod.silhouette?.k).toBe(2);
    expect(c.suggestedK).toBe(4);
    expect(c.reason).toMatch(/silhouette says 2/);
  });
  it('stops climbing at the gap statistic when it lies above the elbow', () => {
    const sil = [null, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6];
    // Gap 1-SE gives 4.
    const gap = { gap: [0.1, 0.3, 0.5, 0.7, 0.69, 0.7, 0.71], sk: [0.01, 0.01, 0.01, 0.01, 0.02, 0.02, 0.02] };
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: sil, gap });
    expect(c.byMethod.gap?.k).toBe(4);
    expect(c.suggestedK).toBe(4);
    expect(c.reason).toMatch(/gap statistic's k = 4/);
    // A gap k below the elbow bounds nothing.
    const low = suggestK({ ks: KS, wcss: WCSS, silhouette: sil, gap: { gap: [0.5, 0.3, 0.5, 0.7, 0.8, 0.9, 1], sk: Array(7).fill(0.01) } });
    expect(low.byMethod.gap?.k).toBe(1);
    expect(low.suggestedK).toBe(7);
  });
  it('votes when the elbow or the silhouette is missing; ties go to the smaller k', () => {
    const calinski = [null, 10, 30, 20, 15, 12, 11];
    const davies = [null, 1, 0.8, 0.5, 0.9, 1, 1];
    const c = suggestK({ ks: KS, calinski, davies, gap: { gap: [0, 0.2, 0.6, 0.61, 0.62, 0.63, 0.64], sk: Array(7).fill(0.05) } });
    expect(c.byMethod.calinski?.k).toBe(3);
    expect(c.byMethod.davies?.k).toBe(4);
    expect(c.byMethod.gap?.k).toBe(3);
    expect(c.suggestedK).toBe(3);
    expect(c.votes['3']).toEqual(['calinski', 'gap']);
    const tie = suggestK({ ks: KS, calinski, davies });
    expect(tie.suggestedK).toBe(3);
    expect(tie.reason).toMatch(/tied between k = 3, 4/);
  });
  it('has no suggestion when no method gives a k', () => {
    const c = suggestK({ ks: [1, 2], wcss: [10, 5] });
    expect(c.suggestedK).toBeNull();
    expect(c.byMethod.elbow?.k).toBeNull();
  });
});

describe('parseKMethods', () => {
  it('reads one, a list, aliases or all', () => {
    expect(parseKMethods('all')).toEqual([...K_METHODS]);
    expect(parseKMethods('gap')).toEqual(['gap']);
    expect(parseKMethods('silhouette, ch,db')).toEqual(['silhouette', 'calinski', 'davies']);
  });
  it('names an unknown method', () => {
    expect(() => parseKMethods('elbow,magic')).toThrow(SegmentaError);
    expect(() => parseKMethods('magic')).toThrow(/unknown method 'magic'/);
  });
});

describe('metrics on the backends equal the exact reference metrics', () => {
  const m = gaussians(600, [[0, 0, 0], [6, 0, 1], [0, 7, -2], [5, 5, 5]], 3);
  for (const name of ['js', 'wasm', 'tfjs']) {
    it(`${name}: silhouette through the pairwise kernel, Calinski-Harabasz and Davies-Bouldin through assign`, async () => {
      const backend = await resolveBackend(name);
      const fits: { k: number; labels: Int32Array; ch: number | null; db: number | null }[] = [];
      const mean = new Float64Array(3);
      for (let i = 0; i < m.rows; i++) for (let j = 0; j < 3; j++) mean[j]! += m.data[i * 3 + j]! / m.rows;
      await sweepK(m, {
        kMin: 2,
        kMax: 6,
        seed: 1,
        backend,
        afterFit: async (fit, job) => {
          const idx = await partitionIndices(job, fit, mean);
          fits.push({ k: fit.k, labels: Int32Array.from(fit.labels), ch: idx.calinski, db: idx.davies });
        },
      });
      const scores = await silhouetteCurves(backend, m, fits.map((f) => f.labels), fits.map((f) => f.k));
      for (const [i, f] of fits.entries()) {
        const exact = (await silhouetteSamples(m, f.labels)).reduce((a, b) => a + b, 0) / m.rows;
        expect(scores[i]).toBeCloseTo(exact, 5);
        expect(f.ch! / (await calinskiHarabasz(m, f.labels))).toBeCloseTo(1, 4);
        expect(f.db! / (await daviesBouldin(m, f.labels))).toBeCloseTo(1, 3);
      }
    });
  }
});

describe('selectK finds obvious structure', () => {
  (HAVE_MALL ? it : it.skip)(`5 on Mall (income, score)${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async () => {
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] });
    const sel = await selectK(table.matrix, { kMin: 1, kMax: 10, nInit: 10, seed: 42 });
    expect(sel.choice.suggestedK, sel.choice.reason).toBe(5);
    expect(sel.silhouette).toMatchObject({ sampled: false, sampleSize: 200 });
  });
});

/**
 * The k-selection edges, pinned from the outside (found by reading
 * elbow-sweep.ts, knee-detection.ts, suggest-k.ts and k-selection.ts against
 * StrykerJS's mutators): Kneedle on curves worked out by hand and against a
 * plain restatement of the paper, each method's k and its sentence, the
 * combination's reasons, and every refusal's code, message and details.
 */
describe('Kneedle against its plain description', () => {
  /** Satopää et al. (2011) as the paper states it, for a convex decreasing curve, written out here. */
  function kneedle(xs: number[], ys: number[], s: number): number | null {
    const n = xs.length;
    if (n < 3) return null;
    const lox = Math.min(...xs), hix = Math.max(...xs), loy = Math.min(...ys), hiy = Math.max(...ys);
    if (lox === hix || loy === hiy) return null;
    const d = xs.map((x, i) => 1 - (ys[i]! - loy) / (hiy - loy) - (x - lox) / (hix - lox));
    const isMax = (i: number): boolean => i > 0 && i < n - 1 && d[i]! >= d[i - 1]! && d[i]! >= d[i + 1]!;
    const isMin = (i: number): boolean => i > 0 && i < n - 1 && d[i]! <= d[i - 1]! && d[i]! <= d[i + 1]!;
    // the mean gap between consecutive normalised x values (kneed: np.mean(np.diff(x_normalized)))
    const xn = xs.map((x) => (x - lox) / (hix - lox));
    const step = xn.slice(1).reduce((a, x, i) => a + (x - xn[i]!), 0) / (n - 1);
    let first = -1;
    for (let i = 0; i < n; i++) if (isMax(i)) { first = i; break; }
    if (first < 0) return null;
    let knee: number | null = null;
    let t = 0;
    for (let i = first; i < n - 1; i++) {
      if (isMax(i)) { t = d[i]! - s * step; knee = i; }
      if (isMin(i)) t = 0;
      if (knee !== null && d[i + 1]! < t) return xs[knee]!;
    }
    return null;
  }

  it('three points: a knee only when the sensitivity lets the last point fall below the threshold', () => {
    // x_n = 0, .5, 1; flipped y_n = 0, 8/9, 1; difference 0, 7/18, 0. S = 1: threshold 7/18 − 1/2 < 0 = last difference.
    expect(findElbow([1, 2, 3], [10, 2, 1])).toBeNull();
    // S = 0: threshold 7/18 > 0, so the last point ends the knee at x = 2.
    expect(findElbow([1, 2, 3], [10, 2, 1], 0)).toBe(2);
  });
  it('a minimum resets the threshold to 0: a later negative difference ends the earlier knee', () => {
    // y = 10, 4, 6, 0, 8 (x = 1..5): y_n flipped = 0, .6, .4, 1, .2; x_n = 0, .25, .5, .75, 1;
    // difference 0, .35, −.1, .25, −.8. Maxima at x = 2 and 4, minimum at x = 3.
    // S = 3: the threshold at x = 2 is .35 − .75 = −.4; −.1 is above it; at the minimum it drops to 0,
    // the next difference (.25) is not below 0; x = 4 is a maximum (threshold .25 − .75), −.8 is below: knee 4.
    expect(findElbow([1, 2, 3, 4, 5], [10, 4, 6, 0, 8], 3)).toBe(4);
    // y = 10, 4, 6, 5, 8: difference 0, .35, −.1, −.05, −.6; one maximum (x = 2), minimum at x = 3 resets to 0,
    // so −.05 (below 0) ends the knee at x = 2; without the reset (threshold −.4) nothing would.
    expect(findElbow([1, 2, 3, 4, 5], [10, 4, 6, 5, 8], 3)).toBe(2);
  });
  it('a plateau of equal differences is a maximum (>=), and so is an equal neighbour below', () => {
    // y = 8, 2, 0, 0 … x = 1..4 would be flat at the end; take y = 9, 3, 1, 0, 0 with x = 0..4:
    // y_n flipped = 0, 2/3, 8/9, 1, 1; x_n = 0, .25, .5, .75, 1.
    expect(findElbow([0, 1, 2, 3, 4], [9, 3, 1, 0, 0])).toBe(kneedle([0, 1, 2, 3, 4], [9, 3, 1, 0, 0], 1));
    // Differences 0, .5, .5, 0 at x = 1, 2, 3, 4 … equal neighbours: y = 4, 1, 0.5? use exact dyadic values:
    // x = 0..4 (x_n = 0, 1/4, 1/2, 3/4, 1), y_n flipped = 0, 3/4, 1, 1, 1 → differences 0, 1/2, 1/2, 1/4, 0.
    // x = 1 is a maximum (1/2 ≥ 0 and ≥ 1/2): its threshold 1/2 − 1/4 = 1/4; 1/2 is not below; x = 2 a maximum too
    // (threshold 1/4); 1/4 is not below 1/4; 0 is: the knee is x = 2.
    expect(findElbow([0, 1, 2, 3, 4], [4, 1, 0, 0, 0])).toBe(2);
  });
  it('agrees with the plain description on seeded random curves and sensitivities', () => {
    const rng = new SeededRandom(7);
    let knees = 0;
    for (let t = 0; t < 3000; t++) {
      const n = 2 + rng.nextInt(9);
      const start = rng.nextInt(3);
      let x = start;
      const xs = Array.from({ length: n }, (_, i) => (i === 0 ? x : (x += 1 + (t % 3 === 0 ? rng.nextInt(2) : 0))));
      // small integers, so that ties and exact thresholds happen
      let y = 20 + rng.nextInt(20);
      const ys = xs.map(() => (y = Math.max(0, y - rng.nextInt(12) + (t % 5 === 0 ? rng.nextInt(6) : 0))));
      const s = [0, 0.5, 1, 1, 2][t % 5]!;
      const want = kneedle(xs, ys, s);
      if (want !== null) knees++;
      expect(findElbow(xs, ys, s), `${xs} ${ys} S = ${s}`).toBe(want);
    }
    expect(knees).toBeGreaterThan(500);
  });
  it('checks its curve: arrays, equal lengths, finite values (code, message, details)', async () => {
    const e1 = await thrown(() => findElbow('1,2,3' as unknown as number[], [1, 2, 3]));
    expect([e1.code, e1.message, e1.details]).toEqual(['INVALID_OPTION', 'findElbow takes arrays of numbers', { fn: 'findElbow' }]);
    const e2 = await thrown(() => findElbow([1, 2, 3], {} as unknown as number[]));
    expect(e2.message).toBe('findElbow takes arrays of numbers');
    const e3 = await thrown(() => findElbow([1, 2, 3], [3, 2]));
    expect([e3.code, e3.message, e3.details]).toEqual(['SHAPE_MISMATCH', 'findElbow: 2 ys values for 3 k values', { fn: 'findElbow', xs: 3, ys: 2 }]);
    const e4 = await thrown(() => findElbow([1, NaN, 3], [3, 2, 1]));
    expect([e4.code, e4.message, e4.details]).toEqual(['NON_FINITE_VALUE', 'findElbow: k value 2 is NaN; finite numbers are required', { fn: 'findElbow', position: 2, value: NaN }]);
    const e5 = await thrown(() => findElbow([1, 2, 3], [3, 2, Infinity]));
    expect([e5.code, e5.message]).toEqual(['NON_FINITE_VALUE', 'findElbow: ys value 3 is Infinity; finite numbers are required']);
    const e6 = await thrown(() => findElbow([1, 2, 3], [3, '2', 1] as unknown as number[]));
    expect(e6.message).toBe('findElbow: ys value 2 is 2; finite numbers are required');
  });
});

describe('gapOneStandardError at its edges', () => {
  it('takes Gap(k) equal to Gap(k+1) − s(k+1) (≥), and skips pairs of k that are not consecutive', () => {
    // 0.75 − 0.25 = 0.5 exactly
    expect(gapOneStandardError([1, 2, 3], [0.5, 0.75, 0.8], [0.1, 0.25, 0.1])).toBe(1);
    // k = 1 and 3 are not neighbours: only (3, 4) is compared, and 0.9 ≥ 1 − 0.2
    expect(gapOneStandardError([1, 3, 4], [2, 0.9, 1], [0, 0, 0.2])).toBe(3);
  });
  it('allows undefined gap values but checks k and the lengths', async () => {
    // Infinity ≥ Infinity − 0 at k = 2; s(1), never read, may be NaN
    expect(gapOneStandardError([1, 2, 3], [0.1, Infinity, Infinity], [NaN, 0, 0])).toBe(2);
    const e1 = await thrown(() => gapOneStandardError([1, NaN], [0, 0], [0, 0]));
    expect([e1.code, e1.message]).toEqual(['NON_FINITE_VALUE', 'gapOneStandardError: k value 2 is NaN; finite numbers are required']);
    const e2 = await thrown(() => gapOneStandardError([1, 2], [0, 0], [0]));
    expect([e2.code, e2.message]).toEqual(['SHAPE_MISMATCH', 'gapOneStandardError: 1 sk values for 2 k values']);
    const e3 = await thrown(() => gapOneStandardError([1, 2], [0], [0, 0]));
    expect(e3.message).toBe('gapOneStandardError: 1 gap values for 2 k values');
  });
});

describe("each method's k and its sentence", () => {
  it('the elbow names the drop to the next k, or has no clear elbow', () => {
    // KS/WCSS: elbow at 3, and WCSS 250 → 200 is a drop of 100 · (1 − 200/250) = 20.0 %.
    const v = verdicts({ ks: KS, wcss: WCSS });
    expect(v.elbow).toEqual({ k: 3, why: `Kneedle finds the elbow of the WCSS curve at k = 3 (the next k lowers WCSS by ${(100 * (1 - 200 / 250)).toFixed(1)}%)` });
    // WCSS 10, 0, 0, 0: x_n = 0, 1/3, 2/3, 1; differences 0, 2/3, 1/3, 0: the elbow is k = 2, whose WCSS is 0 (no drop to name).
    expect(verdicts({ ks: [1, 2, 3, 4], wcss: [10, 0, 0, 0] }).elbow).toEqual({ k: 2, why: 'Kneedle finds the elbow of the WCSS curve at k = 2' });
    expect(verdicts({ ks: [1, 2, 3, 4], wcss: [4, 3, 2, 1] }).elbow).toEqual({ k: null, why: 'the WCSS curve has no clear elbow' });
    expect(verdicts({ ks: [1, 2, 3] })).toEqual({});
  });
  it('highest or lowest, with the runner-up; the first of equal bests; undefined values skipped', () => {
    const v = verdicts({
      ks: [1, 2, 3, 4, 5],
      silhouette: [null, 0.5, 0.75, 0.75, NaN],
      calinski: [null, 1000, 10, 9.5, 2000],
      davies: [null, 0.25, 0.5, 0.125, 0.25],
      bic: [-1000, -10, -10.5, null, 12],
      aic: [null, null, null, null, null],
    });
    expect(v.silhouette).toEqual({ k: 3, why: 'mean silhouette is highest at k = 3 (0.750; next best 0.750 at k = 4)' });
    expect(v.calinski).toEqual({ k: 5, why: 'Calinski-Harabasz is highest at k = 5 (2000; next best 1000 at k = 2)' });
    expect(v.davies).toEqual({ k: 4, why: 'Davies-Bouldin is lowest at k = 4 (0.125; next best 0.250 at k = 2)' });
    expect(v.bic).toEqual({ k: 1, why: "the Gaussian mixture's BIC is lowest at k = 1 (-1000; next best -10.5 at k = 3)" });
    expect(v.aic).toEqual({ k: null, why: "the Gaussian mixture's AIC is undefined on this range (no mixture could be fitted)" });
    const one = verdicts({ ks: [1, 2], silhouette: [null, 0.0625], calinski: [null, null], davies: [-10, 9.99] });
    expect(one.silhouette).toEqual({ k: 2, why: `mean silhouette is highest at k = 2 (${(0.0625).toFixed(3)})` });
    expect(one.calinski).toEqual({ k: null, why: 'Calinski-Harabasz is undefined on this range (it needs k ≥ 2)' });
    expect(one.davies).toEqual({ k: 1, why: 'Davies-Bouldin is lowest at k = 1 (-10.0; next best 9.990 at k = 2)' });
  });
  it('the gap names Gap(k), Gap(k+1) and s(k+1), or asks for a wider range', () => {
    const v = verdicts({ ks: [2, 3, 4], gap: { gap: [0.5, 0.75, 0.8], sk: [0.1, 0.25, 0.1] } });
    expect(v.gap).toEqual({ k: 2, why: 'smallest k with Gap(k) ≥ Gap(k+1) − s(k+1): Gap(2) = 0.500 ≥ 0.750 − 0.250' });
    expect(verdicts({ ks: [2, 3], gap: { gap: [0.5, 0.75], sk: [0, 0.125] } }).gap).toEqual({ k: null, why: 'the gap still rises at the largest k (widen the range)' });
  });
});

describe('suggestK: the choice and its reason, word for word', () => {
  const f = (v: number): string => v.toFixed(3); // every silhouette below is under 10 in magnitude
  it('refuses curves without k values, and curves of another length (code, message, details)', async () => {
    for (const bad of [null, {}, { ks: 'x' }, { ks: [] }]) {
      const e = await thrown(() => suggestK(bad as never));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', 'suggestK needs curves with a non-empty ks array', {}]);
    }
    for (const name of ['silhouette', 'calinski', 'davies'] as const) {
      const e = await thrown(() => suggestK({ ks: [1, 2, 3, 4], [name]: [null, 1, 2] }));
      expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', `suggestK: 3 ${name} values for 4 k values`]);
    }
    // NaN is allowed in the curves (a silhouette of one cluster)
    expect(suggestK({ ks: [1, 2, 3], silhouette: [null, NaN, 0.5] }).suggestedK).toBe(3);
  });
  it('climbs from the elbow until the silhouette falls', () => {
    const sil = [null, 0.3, 0.4, 0.45, 0.5, 0.42, 0.41];
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: sil });
    expect(c.reason).toBe(
      `The WCSS elbow is at k = 3; the mean silhouette keeps rising (${f(0.4)} → ${f(0.45)} at k = 4, ${f(0.45)} → ${f(0.5)} at k = 5) until a silhouette of ${f(0.42)} at k = 6.` +
        ' 1 of 2 methods point at k = 5 (silhouette); elbow says 3.',
    );
    expect(c.votes).toEqual({ '3': ['elbow'], '5': ['silhouette'] });
    expect(c.rule).toBe(K_CHOICE_RULE);
  });
  it('climbs to the end of the range, and does not climb when the silhouette falls at once', () => {
    const up = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6] });
    expect(up.suggestedK).toBe(7);
    expect(up.reason).toMatch(/ until the end of the range\. 1 of 2 methods point at k = 7 \(silhouette\); elbow says 3\.$/);
    const flat = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.5, 0.4, 0.4, 0.3, 0.2, 0.1] });
    expect(flat.suggestedK).toBe(3);
    expect(flat.reason).toBe(`The WCSS elbow is at k = 3 and the mean silhouette does not rise at k = 4 (${f(0.4)} → ${f(0.4)}). 1 of 2 methods point at k = 3 (elbow); silhouette says 2.`);
  });
  it('the gap bounds the climb only above the elbow, up to and including its own k', () => {
    const sil = [null, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6];
    const gap4 = { gap: [0.1, 0.3, 0.5, 0.7, 0.69, 0.7, 0.71], sk: Array(7).fill(0.02) }; // 1-SE: 0.7 ≥ 0.69 − 0.02 at k = 4
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: sil, gap: gap4 });
    expect(c.reason).toBe(
      `The WCSS elbow is at k = 3; the mean silhouette keeps rising (${f(0.4)} → ${f(0.45)} at k = 4) until the gap statistic's k = 4. 1 of 3 methods point at k = 4 (gap); elbow says 3, silhouette says 7.`,
    );
    // A gap k equal to the elbow bounds nothing either (it is not above it).
    const gap3 = { gap: [0.1, 0.3, 0.5, 0.49, 0.6, 0.7, 0.8], sk: Array(7).fill(0.02) };
    const at = suggestK({ ks: KS, wcss: WCSS, silhouette: sil, gap: gap3 });
    expect(at.byMethod.gap?.k).toBe(3);
    expect(at.suggestedK).toBe(7);
    // A gap with no k bounds nothing, and the tally says so.
    const none = suggestK({ ks: KS, wcss: WCSS, silhouette: sil, gap: { gap: [1, 2, 3, 4, 5, 6, 7], sk: Array(7).fill(0) } });
    expect(none.suggestedK).toBe(7);
    expect(none.reason).toMatch(/ 1 of 3 methods point at k = 7 \(silhouette\); elbow says 3, gap gives none\.$/);
  });
  it('votes without the elbow: one winner, ties by the higher silhouette (the first of equal ones), else the smallest', () => {
    const ks = [1, 2, 3, 4, 5];
    const one = suggestK({ ks, calinski: [null, 5, 9, 7, 1], davies: [null, 2, 1, 3, 4] });
    expect(one.suggestedK).toBe(3);
    expect(one.reason).toBe('Majority vote: k = 3 has the most votes. 2 of 2 methods point at k = 3 (calinski, davies).');
    const calinski = [null, 5, 9, 7, 1]; // 3
    const davies = [null, 2, 3, 1, 4]; // 4
    const tie = suggestK({ ks, silhouette: [null, 0.5, 0.6, 0.55, 0.1], calinski: [null, 9, 5, 7, 1], davies });
    expect(tie.votes).toEqual({ '2': ['calinski'], '3': ['silhouette'], '4': ['davies'] });
    expect(tie.reason).toBe(
      `Majority vote tied between k = 2, 3, 4; k = 3 has the highest mean silhouette (2: ${f(0.5)}, 3: ${f(0.6)}, 4: ${f(0.55)}). 1 of 3 methods point at k = 3 (silhouette); calinski says 2, davies says 4.`,
    );
    // k = 2 and 3 have the same silhouette: the smaller of them stays.
    const even = suggestK({ ks, silhouette: [null, 0.6, 0.6, 0.55, 0.1], calinski, davies });
    expect(even.suggestedK).toBe(2);
    // No silhouette at any tied k: the smallest wins.
    const dark = suggestK({ ks, silhouette: [null, null, null, null, null], calinski, davies });
    expect(dark.reason).toBe('Majority vote tied between k = 3, 4; the smallest wins. 1 of 3 methods point at k = 3 (calinski); silhouette gives none, davies says 4.');
    const none = suggestK({ ks: [1, 2], wcss: [10, 5], calinski: [null, null] });
    expect(none).toEqual({ suggestedK: null, byMethod: none.byMethod, votes: {}, reason: 'no method gives a k on k = 1..2', rule: K_CHOICE_RULE });
  });
});

describe('parseKMethods at its edges', () => {
  it('all, empty, case and spaces, every alias once, mixture methods by name', () => {
    for (const v of ['', ' , ', ' ALL ', 'gap,all']) expect(parseKMethods(v)).toEqual([...K_METHODS]);
    expect(parseKMethods('Elbow, kneedle ,WCSS')).toEqual(['elbow']);
    expect(parseKMethods('calinski-harabasz,davies-bouldin,db,ch,bic,aic')).toEqual(['calinski', 'davies', 'bic', 'aic']);
  });
  it('names the unknown method and every known one', async () => {
    const e = await thrown(() => parseKMethods('elbow, Magic'));
    expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', `unknown method 'magic': choose from ${ALL_K_METHODS.join(', ')} or all`, { option: 'method', value: 'magic' }]);
    expect(ALL_K_METHODS).toEqual([...K_METHODS, 'bic', 'aic']);
  });
});

describe('suggestK: the corners of the climb and the vote', () => {
  const f = (v: number): string => v.toFixed(3);
  it('a climb that ends on no method’s k names none of them; a NaN silhouette is lower than any', () => {
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.6, 0.3, 0.4, 0.35, 0.2, 0.1] });
    expect(c.suggestedK).toBe(4);
    expect(c.reason).toBe(`The WCSS elbow is at k = 3; the mean silhouette keeps rising (${f(0.3)} → ${f(0.4)} at k = 4) until a silhouette of ${f(0.35)} at k = 5. 0 of 2 methods point at k = 4; elbow says 3, silhouette says 2.`);
    // NaN at the elbow (one cluster present): any defined silhouette above it is a rise
    expect(suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.6, NaN, 0.4, 0.35, 0.2, 0.1] }).suggestedK).toBe(4);
  });
  it('a silhouette equal at the gap’s k + 1 is where the climb stopped, not the gap', () => {
    const gap4 = { gap: [0.1, 0.3, 0.5, 0.7, 0.69, 0.7, 0.71], sk: Array(7).fill(0.02) };
    const c = suggestK({ ks: KS, wcss: WCSS, silhouette: [null, 0.3, 0.4, 0.5, 0.5, 0.55, 0.6], gap: gap4 });
    expect(c.suggestedK).toBe(4);
    expect(c.reason).toMatch(new RegExp(` until a silhouette of ${f(0.5)} at k = 5\\. `));
  });
  it('an elbow whose next k was not swept: the silhouette has nothing to rise to', () => {
    const ks = [1, 2, 3, 5, 7, 9, 11];
    const elbow = findElbow(ks, WCSS)!;
    expect(ks.includes(elbow + 1)).toBe(false);
    const c = suggestK({ ks, wcss: WCSS, silhouette: [null, 0.1, 0.4, 0.5, 0.6, 0.7, 0.8] });
    expect(c.suggestedK).toBe(elbow);
    expect(c.reason).toMatch(new RegExp(`^The WCSS elbow is at k = ${elbow} and the mean silhouette does not rise at k = ${elbow + 1} \\(${f(0.4)} → none\\)\\.`));
  });
  it('the lowest of equal values is the first; the runner-up may be the first k', () => {
    const v = verdicts({ ks: [1, 2, 3, 4, 5], davies: [null, 0.25, 0.5, 0.125, 0.125], bic: [-10, -1000, 5, 6, 7] });
    expect(v.davies?.k).toBe(4);
    expect(v.bic).toEqual({ k: 2, why: "the Gaussian mixture's BIC is lowest at k = 2 (-1000; next best -10.0 at k = 1)" });
  });
  it('a tie with a silhouette at only some tied k goes to the highest of those', () => {
    const ks = [1, 2, 3, 4, 5];
    const c = suggestK({ ks, silhouette: [null, null, null, 0.2, 0.7], calinski: [null, 5, 9, 7, 1], davies: [null, 2, 3, 1, 4] });
    expect(c.votes).toEqual({ '3': ['calinski'], '4': ['davies'], '5': ['silhouette'] });
    expect(c.suggestedK).toBe(5);
  });
});

describe("selectK's refusals", () => {
  const m = gaussians(40, [[0, 0], [8, 8]], 2);
  it('bic/aic with sample weights, and each method setting out of range (code, message, details)', async () => {
    const w = new Float64Array(m.rows).fill(1);
    const one = await thrown(() => selectK(m, { methods: ['elbow', 'bic'], sampleWeight: w, backend: 'js' }));
    expect([one.code, one.message, one.details]).toEqual([
      'INVALID_OPTION',
      'k methods bic fit Gaussian mixtures, which take no sample weights: leave bic out of methods, or the weights out',
      { option: 'methods', value: ['bic'] },
    ]);
    const both = await thrown(() => selectK(m, { methods: ['aic', 'bic'], sampleWeight: w, backend: 'js' }));
    expect(both.message).toBe('k methods bic and aic fit Gaussian mixtures, which take no sample weights: leave bic/aic out of methods, or the weights out');
    for (const [option, value, range] of [
      ['silhouetteSampleSize', 1, 'an integer >= 2'],
      ['gapReferences', 1, 'an integer in [2, 1000]'],
      ['gapReferences', 1001, 'an integer in [2, 1000]'],
      ['gapSampleSize', 9, 'an integer >= 10'],
    ] as const) {
      const e = await thrown(() => selectK(m, { [option]: value, backend: 'js' }));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', `${option} must be ${range}, got ${value}`, { option, value }]);
    }
  });
  it('runs the methods asked for, in report order; the elbow votes only when asked for', async () => {
    const sel = await selectK(m, { methods: ['davies', 'calinski'], kMax: 4, seed: 1, backend: 'js' });
    expect(sel.methods).toEqual(['calinski', 'davies']);
    expect(Object.keys(sel.choice.byMethod)).toEqual(['calinski', 'davies']);
    expect(sel.curves.wcss).toEqual(sel.sweep.wcss);
    expect([sel.curves.calinski?.[0], sel.curves.davies?.[0]]).toEqual([null, null]);
    expect([sel.silhouette, sel.gap, sel.mixture, sel.curves.silhouette, sel.curves.gap]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
