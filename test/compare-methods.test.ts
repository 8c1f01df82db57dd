/**
 * The method table behind `segmenta compare`: parsing method lists, noise
 * handling in the measures, the ARI matrix, k checks, and that every row is
 * what the method's own driver gives.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { Matrix } from '../src/common/matrix.js';
import { COMPARE_METHOD_NAMES, compareMethods, defaultCompareMethods, measureFit, parseCompareMethods, type ComparedMethod } from '../src/drivers/compare-methods.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { thrown } from './helpers/thrown.js';
import { fitGaussianMixture } from '../src/drivers/gaussian-mixture.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitDbscan, fitHdbscan } from '../src/drivers/density/index.js';
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
    expect(() => parseCompareMethods('kmeans,birch')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: "unknown method 'birch': choose from kmeans, agglomerative, gmm, dbscan, hdbscan or all" }));
    expect(() => parseCompareMethods('kmeans,k-means')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: "method 'kmeans' is listed twice" }));
    expect(() => parseCompareMethods(' , ')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('measures noise apart: clusters and sizes without it, the metrics over the other rows, its share', async () => {
    const m = groups();
    const labels = new Int32Array(m.rows);
    for (let i = 0; i < 120; i++) labels[i] = Math.floor(i / 40);
    labels[120] = -1;
    labels[121] = -1;
    const row = await measureFit(m, 'kmeans', { labels, label: 'made up', backend: 'none', seconds: 0, details: {}, result: null }, { sampleSize: 10_000, seed: 0 });
    expect(row).toMatchObject({ clusters: 3, noise: 2, sizes: [40, 40, 40] });
    expect(row.noiseShare).toBeCloseTo(2 / 122, 15);
    const inner = { data: m.data.slice(0, 240), rows: 120, cols: 2 };
    const expected = await evaluatePartition(inner, labels.slice(0, 120));
    expect(row.quality!.silhouette.score).toBe(expected.silhouette.score);
    expect(row.quality!.calinskiHarabasz).toBe(expected.calinskiHarabasz);
    // One cluster left after the noise: no quality.
    const one = await measureFit(m, 'kmeans', { labels: Int32Array.from(labels, (l) => (l < 0 ? -1 : 0)), label: '', backend: '', seconds: 0, details: {}, result: null }, { sampleSize: 10_000, seed: 0 });
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
    expect(c.methods[1]!.label).toBe('Gaussian mixture (spherical)');
    expect(c.ari[0]![0]).toBe(1);
    expect(c.ari[1]![1]).toBe(1);
    expect(c.ari[0]![1]).toBe(c.ari[1]![0]);
    expect(c.ari[0]![1]).toBe(await adjustedRandIndex(km.labels, g.labels));
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

describe('compareMethods passes settings on and reports what each driver says', () => {
  it('ignores empty names in a list; refusals carry the option and the value', async () => {
    expect(parseCompareMethods('kmeans,, gmm,')).toEqual(['kmeans', 'gmm']);
    expect(parseCompareMethods(['', 'ward'])).toEqual(['agglomerative']);
    expect(await thrown(() => parseCompareMethods('kmeans,birch'))).toMatchObject({ details: { option: 'methods', value: 'birch' } });
    expect(await thrown(() => parseCompareMethods('gmm,mixture'))).toMatchObject({ details: { option: 'methods', value: 'gmm' } });
    expect(await thrown(() => parseCompareMethods(' , '))).toMatchObject({ message: 'name at least one method: kmeans, agglomerative, gmm, dbscan, hdbscan or all', details: { option: 'methods' } });
  });

  it('the default methods: those that take k, DBSCAN when eps is given, HDBSCAN when its settings are', () => {
    expect(defaultCompareMethods()).toEqual(['kmeans', 'agglomerative', 'gmm']);
    expect(defaultCompareMethods({ dbscan: { minSamples: 4 } })).toEqual(['kmeans', 'agglomerative', 'gmm']);
    expect(defaultCompareMethods({ dbscan: { eps: 0.5 } })).toEqual(['kmeans', 'agglomerative', 'gmm', 'dbscan']);
    expect(defaultCompareMethods({ hdbscan: {} })).toEqual(['kmeans', 'agglomerative', 'gmm', 'hdbscan']);
  });

  it('sizes are largest first whatever order the clusters come in; two clusters get a quality, one row per cluster none', async () => {
    const m = groups();
    const labels = new Int32Array(m.rows);
    // cluster 0 has 10 rows, 1 has 72, 2 has 40 (in order of first appearance)
    for (let i = 0; i < m.rows; i++) labels[i] = i < 10 ? 0 : i < 82 ? 1 : 2;
    const fit = { labels, label: '', backend: '', seconds: 0, details: {}, result: null };
    expect((await measureFit(m, 'kmeans', fit, { sampleSize: 10_000, seed: 0 })).sizes).toEqual([72, 40, 10]);
    const two = Int32Array.from(labels, (l) => Math.min(l, 1));
    const q = await measureFit(m, 'kmeans', { ...fit, labels: two }, { sampleSize: 10_000, seed: 0 });
    expect(q.quality!.silhouette.score).toBe((await evaluatePartition(m, two)).silhouette.score);
    const own = await measureFit(m, 'kmeans', { ...fit, labels: Int32Array.from(labels, (_, i) => i) }, { sampleSize: 10_000, seed: 0 });
    expect(own).toMatchObject({ clusters: m.rows, quality: null });
  });

  it('k = 2 is enough; a refused k is named in the details; k is in the result only when given', async () => {
    const m = groups();
    const c = await compareMethods(m, ['kmeans'], { k: 2, backend: 'js' });
    expect(c.k).toBe(2);
    expect(c.methods[0]!.clusters).toBe(2);
    expect((await compareMethods(m, ['agglomerative'], { k: 2, backend: 'js' })).methods[0]!.label).toBe('Agglomerative (ward, exact)');
    expect(await compareMethods(m, ['agglomerative'], { k: 1.5 }).catch((e: unknown) => e)).toMatchObject({ code: 'INVALID_K', details: { k: 1.5 } });
    expect(Object.keys(await compareMethods(m, ['hdbscan'], { hdbscan: { minClusterSize: 10 } }))).not.toContain('k');
  });

  it('threads and progress reach every driver and the metrics; each method says its settings', async () => {
    const m = groups();
    await expect(compareMethods(m, ['kmeans'], { k: 3, backend: 'js', threads: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('threads') });
    const events: ProgressEvent[] = [];
    const c = await compareMethods(
      m,
      ['kmeans', 'agglomerative', 'dbscan', 'hdbscan'],
      { k: 3, seed: 1, backend: 'js', onProgress: (e) => events.push(e), agglomerative: { mode: 'two-stage', microClusters: 30 }, dbscan: { eps: 1 }, hdbscan: { minClusterSize: 10, minSamples: 4 } },
    );
    const [km, ag, db, hd] = c.methods as [ComparedMethod, ComparedMethod, ComparedMethod, ComparedMethod];
    const kmr = km.result as { iterations: number; converged: boolean };
    expect(km.details).toEqual({ iterations: kmr.iterations, converged: kmr.converged });
    expect(kmr.iterations).toBeGreaterThan(0);
    expect(ag.label).toBe('Agglomerative (ward, two-stage m=30)');
    expect(ag.details).toEqual({ linkage: 'ward', mode: 'two-stage', m: 30 });
    expect(db.details).toEqual({ eps: 1, minSamples: 5, neighbourSearch: (db.result as { neighbourSearch: string }).neighbourSearch });
    expect(hd).toMatchObject({ label: 'HDBSCAN (min cluster size 10)', backend: 'js', details: { minClusterSize: 10, minSamples: 4 } });
    // the drivers' own events, the comparison's and the metrics'
    expect(events.filter((e) => e.kind === 'iteration').length).toBeGreaterThan(0);
    expect(events.some((e) => e.kind === 'phase' && e.phase === 'hdbscan')).toBe(true);
    const phases = events.flatMap((e) => (e.kind === 'phase' && e.phase === 'metrics' ? [e.detail] : []));
    expect(phases).toEqual(expect.arrayContaining(['K-Means', 'Agglomerative (ward, two-stage m=30)', 'HDBSCAN (min cluster size 10)', 'WCSS on 122 rows', 'WCSS on 120 rows']));
  });

  it('without a backend each driver picks its own (auto)', async () => {
    const m = groups();
    const c = await compareMethods(m, ['kmeans'], { k: 3 });
    expect(c.methods[0]!.backend).toBe((await fitKMeans(m, { k: 3 })).backend);
  });

  it('an abort from a timer stops HDBSCAN itself, not only the metrics after it', async () => {
    // One round blob: HDBSCAN finds at most one cluster, so no metric runs after it.
    const blob: Matrix = { data: Float32Array.from({ length: 2_400 }, (_, i) => Math.sin(i * 1.3) * Math.cos(i * 0.37)), rows: 1_200, cols: 2 };
    const settings = { hdbscan: { minClusterSize: 300 } };
    expect((await compareMethods(blob, ['hdbscan'], settings)).methods[0]!.quality).toBeNull();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 5);
    await expect(compareMethods(blob, ['hdbscan'], { ...settings, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('an abort from a timer while the metrics run stops the comparison', async () => {
    // 3,000 rows: the fit (one K-Means iteration) is quick, the exact silhouette is not.
    const m: Matrix = { data: Float32Array.from({ length: 6_000 }, (_, i) => Math.sin(i * 0.7) * 10 + (i % 2)), rows: 3_000, cols: 2 };
    const controller = new AbortController();
    const c = compareMethods(m, ['kmeans'], {
      k: 4,
      backend: 'js',
      kmeans: { nInit: 1, maxIter: 1, refine: false },
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'phase' && e.phase === 'metrics' && e.detail === 'K-Means') setTimeout(() => controller.abort(), 0);
      },
    });
    await expect(c).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('density methods in the comparison', () => {
  it('DBSCAN and HDBSCAN rows are their drivers’ labels; the far-off rows are noise, measured apart; no k needed', async () => {
    const m = groups();
    const c = await compareMethods(m, ['dbscan', 'hdbscan'], { dbscan: { eps: 1, minSamples: 5 }, hdbscan: { minClusterSize: 10 }, backend: 'js' });
    const db = await fitDbscan(m, { eps: 1, minSamples: 5, backend: 'js' });
    const hd = await fitHdbscan(m, { minClusterSize: 10 });
    expect(Array.from(c.methods[0]!.labels)).toEqual(Array.from(db.labels));
    expect(Array.from(c.methods[1]!.labels)).toEqual(Array.from(hd.labels));
    expect(c.methods[0]).toMatchObject({ method: 'dbscan', label: 'DBSCAN (eps 1, min samples 5)', clusters: 3, noise: 2, sizes: [40, 40, 40] });
    expect(c.methods[0]!.noiseShare).toBeCloseTo(2 / 122, 15);
    expect(c.methods[0]!.quality!.silhouette.score).toBeGreaterThan(0.9);
    expect(c.ari[0]![1]).toBe(await adjustedRandIndex(db.labels, hd.labels));
    expect(c.k).toBeUndefined();
  });

  it('DBSCAN without eps is a one-sentence INVALID_OPTION', async () => {
    await expect(compareMethods(groups(), ['dbscan'], {})).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/^dbscan needs eps/), details: { option: 'eps' } });
  });
});
