/**
 * The method table behind `segmenta compare`: parsing method lists, noise
 * handling in the measures, the ARI matrix, k checks, and that every row is
 * what the method's own driver gives.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { Matrix } from '../src/common/matrix.js';
import { COMPARE_METHOD_NAMES, compareMethods, measureFit, parseCompareMethods } from '../src/drivers/compare-methods.js';
import { fitGaussianMixture } from '../src/drivers/gaussian-mixture.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { adjustedRandIndex, evaluatePartition } from '../src/metrics/cluster-metrics.js';

/** Three tight groups of 40 rows on a line, 10 apart, plus two far-off rows. */
function groups(): Matrix {
  const rows: number[] = [];
  for (let g = 0; g < 3; g++) for (let i = 0; i < 40; i++) rows.push(10 * g + (i % 7) * 0.1, (i % 5) * 0.1);
  rows.push(100, 100, -100, 50);
  return { data: Float32Array.from(rows), rows: rows.length / 2, cols: 2 };
}

describe('compareMethods', () => {
  it('parses method lists: names, aliases, all; unknown and repeated names are INVALID_OPTION', () => {
    expect(parseCompareMethods('all')).toEqual([...COMPARE_METHOD_NAMES]);
    expect(parseCompareMethods('GMM, hclust')).toEqual(['gmm', 'agglomerative']);
    expect(() => parseCompareMethods('kmeans,birch')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: "unknown method 'birch': choose from kmeans, agglomerative, gmm or all" }));
    expect(() => parseCompareMethods('kmeans,k-means')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: "method 'kmeans' is listed twice" }));
    expect(() => parseCompareMethods(' , ')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('measures noise apart: clusters and sizes without it, the metrics over the other rows, its share', () => {
    const m = groups();
    const labels = new Int32Array(m.rows);
    for (let i = 0; i < 120; i++) labels[i] = Math.floor(i / 40);
    labels[120] = -1;
    labels[121] = -1;
    const row = measureFit(m, 'kmeans', { labels, label: 'made up', backend: 'none', seconds: 0, details: {}, result: null }, { sampleSize: 10_000, seed: 0 });
    expect(row).toMatchObject({ clusters: 3, noise: 2, sizes: [40, 40, 40] });
    expect(row.noiseShare).toBeCloseTo(2 / 122, 15);
    const inner = { data: m.data.slice(0, 240), rows: 120, cols: 2 };
    const expected = evaluatePartition(inner, labels.slice(0, 120));
    expect(row.quality!.silhouette.score).toBe(expected.silhouette.score);
    expect(row.quality!.calinskiHarabasz).toBe(expected.calinskiHarabasz);
    // One cluster left after the noise: no quality.
    const one = measureFit(m, 'kmeans', { labels: Int32Array.from(labels, (l) => (l < 0 ? -1 : 0)), label: '', backend: '', seconds: 0, details: {}, result: null }, { sampleSize: 10_000, seed: 0 });
    expect(one.quality).toBeNull();
  });

  it('each row is what its driver gives with the same settings; the ARI matrix is symmetric with 1 on the diagonal', async () => {
    const m = groups();
    const c = await compareMethods(m, ['kmeans', 'gmm'], { k: 3, seed: 7, backend: 'js', gmm: { covariance: 'spherical' } });
    const km = await fitKMeans(m, { k: 3, seed: 7, backend: 'js' });
    const g = await fitGaussianMixture(m, { k: 3, seed: 7, backend: 'js', covariance: 'spherical' });
    expect(Array.from(c.methods[0]!.labels)).toEqual(Array.from(km.labels));
    expect(Array.from(c.methods[1]!.labels)).toEqual(Array.from(g.labels));
    expect(c.methods[1]!.details).toMatchObject({ covariance: 'spherical', meanLogLikelihood: g.meanLogLikelihood });
    expect(c.ari[0]![0]).toBe(1);
    expect(c.ari[1]![1]).toBe(1);
    expect(c.ari[0]![1]).toBe(c.ari[1]![0]);
    expect(c.ari[0]![1]).toBe(adjustedRandIndex(km.labels, g.labels));
  });

  it('methods that take k need k >= 2', async () => {
    await expect(compareMethods(groups(), ['kmeans', 'gmm'], {})).rejects.toMatchObject({ code: 'INVALID_K', message: 'kmeans, gmm need k >= 2 to compare (silhouette, CH and DB compare clusters), got undefined' });
    await expect(compareMethods(groups(), ['agglomerative'], { k: 1 })).rejects.toMatchObject({ code: 'INVALID_K' });
  });

  it('stops on an abort from a timer', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timer')), 50);
    const big: Matrix = { data: Float32Array.from({ length: 200_000 }, (_, i) => Math.sin(i) * 10), rows: 50_000, cols: 4 };
    await expect(compareMethods(big, ['gmm', 'kmeans'], { k: 6, backend: 'js', signal: controller.signal, gmm: { maxIter: 1000, tol: 0 } })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
