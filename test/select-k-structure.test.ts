/**
 * The suggested k on large generated data with obvious structure (50,000 and
 * 20,000 rows, the auto backend). Slow, so StrykerJS does not run it per
 * mutant (vitest.stryker.config.ts); the rules themselves are tested on small
 * data in suggest-k.test.ts.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { gaussians } from './helpers/gaussians.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { selectK } from '../src/drivers/k-selection.js';

describe('selectK finds obvious structure', () => {
  it('7 on 50,000 rows of 7 well-separated Gaussians in 8 dimensions (Kneedle alone says 4)', async () => {
    const rng = new SeededRandom(7);
    const centres = Array.from({ length: 7 }, () => Array.from({ length: 8 }, () => (rng.nextFloat() * 2 - 1) * 10));
    const m = gaussians(50_000, centres, 11);
    const sel = await selectK(m, { kMin: 1, kMax: 10, seed: 0 });
    expect(sel.choice.byMethod.elbow?.k).toBe(4);
    expect(sel.choice.suggestedK).toBe(7);
    expect(sel.silhouette).toMatchObject({ sampled: true, sampleSize: 10_000, rows: 50_000 });
    expect(sel.gap).toMatchObject({ references: 10, sampleSize: 2_000 });
    expect(sel.choice.reason).toMatch(/k = 7/);
  });

  // The generator's five latent segments, 20,000 customers, standard scaling:
  // D = 2 is (income, score); D = 3..8 are Age, income, score and the extras in order.
  it.each([2, 3, 4, 5, 6, 7, 8])('5 on the generator\'s five segments with %i standardized columns', async (D) => {
    const g = generateCustomers({ rows: 20_000, seed: 42, features: Math.max(3, D) });
    const all = generatedFeatureMatrix(g);
    const keep = D === 2 ? [1, 2] : Array.from({ length: D }, (_, j) => j);
    const data = new Float32Array(all.rows * keep.length);
    for (let i = 0; i < all.rows; i++) keep.forEach((j, q) => (data[i * keep.length + q] = all.data[i * all.cols + j]!));
    const { matrix } = prepareFeatures({ matrix: { data, rows: all.rows, cols: keep.length }, featureNames: keep.map((j) => g.featureNames[j]!) }, { scale: 'standard' });
    const sel = await selectK(matrix, { kMin: 1, kMax: 10, seed: 0 });
    expect(sel.choice.suggestedK, sel.choice.reason).toBe(5);
  });

});
