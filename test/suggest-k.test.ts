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
import { suggestK, gapOneStandardError, K_METHODS, parseKMethods } from '../src/drivers/suggest-k.js';
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
