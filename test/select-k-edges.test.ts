/**
 * selectK from the outside on small data (js backend): each method's curve
 * against an independent computation on the same fits (scikit-learn's
 * formulas in src/metrics, the Gaussian mixture fitted on its own), which
 * curves and infos appear for which methods, the silhouette's sample, the
 * gap's reference size, the mixtures' failures, progress, cancellation and
 * the stage timings; partitionIndices on fits whose centres are not their
 * cluster means, or leave a cluster empty. Fast: it runs per mutant
 * (drivers-k-selection unit of npm run mutation).
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import type { Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import type { KMeansResult } from '../src/drivers/kmeans.js';
import { fitGaussianMixture } from '../src/drivers/gaussian-mixture.js';
import { partitionIndices, selectK, type KSelection, type SelectKOptions } from '../src/drivers/k-selection.js';
import { calinskiHarabasz, daviesBouldin, sampleIndices, silhouetteSamples } from '../src/metrics/cluster-metrics.js';
import { gaussians } from './helpers/gaussians.js';
import { thrown } from './helpers/thrown.js';

// Three blobs away from the origin (so a wrong global mean shows in Calinski-Harabasz).
const M = gaussians(36, [[3, 5], [9, 5], [6, 11]], 4);

interface Run {
  sel: KSelection;
  /** Each fit's labels, by k (kept from the afterFit hook). */
  labels: Map<number, Int32Array>;
  events: ProgressEvent[];
  /** Wall-clock seconds around the call. */
  wall: number;
}

async function run(matrix: Matrix, options: SelectKOptions): Promise<Run> {
  const labels = new Map<number, Int32Array>();
  const events: ProgressEvent[] = [];
  const t0 = performance.now();
  const sel = await selectK(matrix, {
    backend: 'js',
    seed: 3,
    ...options,
    afterFit: async (fit, job) => {
      labels.set(fit.k, Int32Array.from(fit.labels));
      await options.afterFit?.(fit, job);
    },
    onProgress: (e) => events.push(e),
  });
  return { sel, labels, events, wall: (performance.now() - t0) / 1000 };
}

/** Column means, summed row by row in float64 and divided once. */
function columnMeans(m: Matrix): Float64Array {
  const mean = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mean[j]! += m.data[i * m.cols + j]!;
  for (let j = 0; j < m.cols; j++) mean[j]! /= m.rows;
  return mean;
}

function rowsOf(m: Matrix, idx: ArrayLike<number>): Matrix {
  const data = new Float32Array(idx.length * m.cols);
  for (let q = 0; q < idx.length; q++) for (let j = 0; j < m.cols; j++) data[q * m.cols + j] = m.data[idx[q]! * m.cols + j]!;
  return { data, rows: idx.length, cols: m.cols };
}

async function meanSilhouette(m: Matrix, labels: ArrayLike<number>): Promise<number> {
  return (await silhouetteSamples(m, labels)).reduce((a, b) => a + b, 0) / m.rows;
}

const phases = (events: ProgressEvent[], phase: string): string[] =>
  events.flatMap((e) => (e.kind === 'phase' && e.phase === phase ? [e.detail ?? ''] : []));

describe('selectK: Calinski-Harabasz and Davies-Bouldin', () => {
  it("unweighted: from the sweep's own assign pass (partitionIndices on the same job, bit for bit), equal to scikit-learn's formulas; null at k = 1", async () => {
    const own = new Map<number, { calinski: number | null; davies: number | null }>();
    const mean = columnMeans(M);
    const { sel, labels } = await run(M, {
      methods: ['calinski', 'davies'],
      kMax: 4,
      afterFit: async (fit, job) => {
        if (fit.k >= 2) own.set(fit.k, await partitionIndices(job, fit, mean));
      },
    });
    expect(sel.sweep.backend).toBe('js');
    expect(sel.curves.calinski?.[0]).toBeNull();
    expect(sel.curves.davies?.[0]).toBeNull();
    for (const k of [2, 3, 4]) {
      const ch = sel.curves.calinski![k - 1]!;
      const db = sel.curves.davies![k - 1]!;
      expect([ch, db]).toEqual([own.get(k)!.calinski, own.get(k)!.davies]);
      expect(ch / (await calinskiHarabasz(M, labels.get(k)!))).toBeCloseTo(1, 5);
      expect(db / (await daviesBouldin(M, labels.get(k)!))).toBeCloseTo(1, 4);
    }
  });

  it('each index alone: only its own curve, with the same values', async () => {
    const both = await run(M, { methods: ['calinski', 'davies'], kMax: 3 });
    const ch = await run(M, { methods: ['calinski'], kMax: 3 });
    const db = await run(M, { methods: ['davies'], kMax: 3 });
    expect([ch.sel.curves.calinski, 'davies' in ch.sel.curves]).toEqual([both.sel.curves.calinski, false]);
    expect([db.sel.curves.davies, 'calinski' in db.sel.curves]).toEqual([both.sel.curves.davies, false]);
    // No Gaussian mixture runs (no gmm progress) without bic or aic.
    expect([both, ch, db].map((r) => phases(r.events, 'gmm'))).toEqual([[], [], []]);
  });

  it('weighted: a signal aborted after the last fit stops its indices (ABORTED)', async () => {
    const controller = new AbortController();
    const w = Float64Array.from({ length: M.rows }, (_, i) => 1 + (i % 2));
    const e = await thrown(() =>
      run(M, {
        methods: ['calinski'],
        kMax: 2,
        sampleWeight: w,
        signal: controller.signal,
        // The hook runs between the fit at k = 2 and its indices; the sweep checks the signal only before a fit.
        // The abort comes from a timer that the hook waits for, so it lands in that gap.
        afterFit: async (fit) => {
          if (fit.k === 2) await new Promise<void>((resolve) => setTimeout(() => (controller.abort(), resolve()), 1));
        },
      }),
    );
    expect(e.code).toBe('ABORTED');
  });

  it("weighted: the weighted fit's labels scored unweighted, exactly as calinskiHarabasz/daviesBouldin score them; null at k = 1 and at k = rows", async () => {
    const w = Float64Array.from({ length: M.rows }, (_, i) => 1 + (i % 4));
    const { sel, labels } = await run(M, { methods: ['calinski', 'davies'], kMax: 4, sampleWeight: w });
    expect([sel.curves.calinski?.[0], sel.curves.davies?.[0]]).toEqual([null, null]);
    for (const k of [2, 3, 4]) {
      expect(sel.curves.calinski![k - 1]).toBe(await calinskiHarabasz(M, labels.get(k)!));
      expect(sel.curves.davies![k - 1]).toBe(await daviesBouldin(M, labels.get(k)!));
    }
    // Six distinct rows swept up to k = 6: every row its own cluster at k = 6 (no index), five clusters at k = 5.
    const six: Matrix = { data: Float32Array.from([0, 0, 1, 0, 5, 5, 6, 5, 0, 9, 1, 9.5]), rows: 6, cols: 2 };
    const ws = Float64Array.from([1, 2, 1, 3, 1, 1]);
    const small = await run(six, { methods: ['calinski', 'davies'], kMin: 2, kMax: 6, sampleWeight: ws });
    const l5 = small.labels.get(5)!;
    expect(new Set(l5).size).toBe(5);
    expect(small.sel.curves.calinski?.slice(3)).toEqual([await calinskiHarabasz(six, l5), null]);
    expect(small.sel.curves.davies?.slice(3)).toEqual([await daviesBouldin(six, l5), null]);
    expect(small.sel.curves.calinski?.[0]).toBe(await calinskiHarabasz(six, small.labels.get(2)!));
    // Unweighted, the same edges.
    const plain = await run(six, { methods: ['calinski', 'davies'], kMin: 4, kMax: 6 });
    expect(plain.sel.curves.calinski?.[2]).toBeNull();
    expect(plain.sel.curves.davies?.[2]).toBeNull();
    expect(plain.sel.curves.calinski![1]! / (await calinskiHarabasz(six, plain.labels.get(5)!))).toBeCloseTo(1, 5);
    expect(plain.sel.curves.davies![1]! / (await daviesBouldin(six, plain.labels.get(5)!))).toBeCloseTo(1, 4);
  });

  it('rows that sit on their cluster means: Calinski-Harabasz 1, as scikit-learn gives', async () => {
    // Two distinct rows, three copies each: no scatter within the clusters.
    const twin: Matrix = { data: Float32Array.from([1, 2, 1, 2, 1, 2, 7, 3, 7, 3, 7, 3]), rows: 6, cols: 2 };
    const { sel, labels } = await run(twin, { methods: ['calinski'], kMax: 2 });
    expect(await calinskiHarabasz(twin, labels.get(2)!)).toBe(1);
    expect(sel.curves.calinski).toEqual([null, 1]);
  });
});

describe('partitionIndices on fits whose centres are not the cluster means', () => {
  const fitOf = (k: number, centroids: number[]): KMeansResult => ({ k, cols: 2, centroids: Float64Array.from(centroids) }) as KMeansResult;
  async function indices(centroids: number[]): Promise<{ idx: { calinski: number | null; davies: number | null }; labels: Int32Array; dist: Float32Array }> {
    const job = await (await resolveBackend('js')).createJob(M.data, M.rows, M.cols);
    try {
      const idx = await partitionIndices(job, fitOf(centroids.length / 2, centroids), columnMeans(M));
      // The job keeps the labels and distances of partitionIndices' assign pass.
      const labels = new Int32Array(M.rows);
      const dist = new Float32Array(M.rows);
      await job.readLabels(labels);
      await job.readDistances(dist);
      return { idx, labels, dist };
    } finally {
      await job.dispose();
    }
  }

  it('Calinski-Harabasz about the cluster means; Davies-Bouldin with s_i the mean distance to the fitted centre', async () => {
    const centres = [3.5, 4.2, 8.6, 5.7, 6.4, 10.1];
    const { idx, labels, dist } = await indices(centres);
    expect(new Set(labels).size).toBe(3);
    expect(idx.calinski! / (await calinskiHarabasz(M, labels))).toBeCloseTo(1, 5);
    // Davies-Bouldin written out: s_c = mean ‖x − centre_c‖, d = ‖mean_a − mean_b‖.
    const n = [0, 0, 0];
    const s = [0, 0, 0];
    const sum = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < M.rows; i++) {
      const c = labels[i]!;
      n[c]!++;
      s[c]! += Math.sqrt(dist[i]!);
      for (let j = 0; j < 2; j++) sum[c * 2 + j]! += M.data[i * 2 + j]!;
    }
    let db = 0;
    for (let a = 0; a < 3; a++) {
      let worst = 0;
      for (let b = 0; b < 3; b++) {
        if (a === b) continue;
        const d = Math.hypot(sum[a * 2]! / n[a]! - sum[b * 2]! / n[b]!, sum[a * 2 + 1]! / n[a]! - sum[b * 2 + 1]! / n[b]!);
        worst = Math.max(worst, (s[a]! / n[a]! + s[b]! / n[b]!) / d);
      }
      db += worst / 3;
    }
    expect(idx.davies! / db).toBeCloseTo(1, 5);
  });

  it('leaves an empty cluster out, and has no index when one cluster is left', async () => {
    // Centres 0 and 1 coincide: every row nearer them goes to 0, cluster 1 stays empty.
    const { idx, labels } = await indices([4, 6, 4, 6, 8, 9]);
    expect([...new Set(labels)].sort()).toEqual([0, 2]);
    expect(idx.calinski! / (await calinskiHarabasz(M, labels))).toBeCloseTo(1, 5);
    expect(Number.isFinite(idx.davies)).toBe(true);
    const one = await indices([6, 7, 6, 7]);
    expect(one.idx).toEqual({ calinski: null, davies: null });
  });
});

describe('selectK: the silhouette', () => {
  it('on a seeded sample when the data has more rows than silhouetteSampleSize; over every row when it has as many, or silhouetteExact', async () => {
    const sampled = await run(M, { methods: ['silhouette'], kMax: 3, silhouetteSampleSize: 20 });
    expect(sampled.sel.silhouette).toMatchObject({ sampled: true, sampleSize: 20, rows: 36 });
    expect(phases(sampled.events, 'silhouette')).toEqual(['a seeded sample of 20 rows']);
    const idx = sampleIndices(36, 20, 3);
    const sample = rowsOf(M, idx);
    expect(sampled.sel.curves.silhouette?.[0]).toBeNull();
    for (const k of [2, 3]) {
      const l = sampled.labels.get(k)!;
      expect(sampled.sel.curves.silhouette![k - 1]).toBeCloseTo(await meanSilhouette(sample, Array.from(idx, (r) => l[r]!)), 6);
    }
    for (const options of [{ silhouetteSampleSize: 36 }, { silhouetteSampleSize: 20, silhouetteExact: true }]) {
      const all = await run(M, { methods: ['silhouette'], kMax: 3, ...options });
      expect(all.sel.silhouette).toMatchObject({ sampled: false, sampleSize: 36, rows: 36 });
      expect(phases(all.events, 'silhouette')).toEqual(['all 36 rows']);
      expect(all.sel.curves.silhouette?.[0]).toBeNull();
      for (const k of [2, 3]) expect(all.sel.curves.silhouette![k - 1]).toBeCloseTo(await meanSilhouette(M, all.labels.get(k)!), 6);
    }
  });
});

describe('selectK: the gap statistic', () => {
  it('reference sets of min(gapSampleSize, rows) rows; log W per unit of weight', async () => {
    const small = await run(M, { methods: ['gap'], kMax: 3, gapReferences: 2, gapSampleSize: 10 });
    expect(small.sel.gap).toMatchObject({ references: 2, sampleSize: 10 });
    expect(small.sel.gap?.reference).toMatch(/^uniform over the range of each feature/);
    expect(small.sel.curves.gap?.gap).toHaveLength(3);
    const w = Float64Array.from({ length: M.rows }, (_, i) => 1 + (i % 3));
    const mass = w.reduce((a, b) => a + b, 0);
    const big = await run(M, { methods: ['gap'], kMax: 3, gapReferences: 2, sampleWeight: w });
    expect(big.sel.gap?.sampleSize).toBe(36);
    big.sel.sweep.wcss.forEach((wcss, i) => expect(big.sel.gap!.logW[i]).toBeCloseTo(Math.log(wcss / mass), 12));
  });
});

describe('selectK: BIC and AIC', () => {
  it("each k's Gaussian mixture started from that k's K-Means labels, with a progress line per k", async () => {
    const { sel, labels, events } = await run(M, { methods: ['bic', 'aic'], kMax: 3 });
    expect(phases(events, 'gmm')).toEqual([1, 2, 3].map((k) => `Gaussian mixture (full) at k = ${k} for BIC and AIC`));
    for (const k of [1, 2, 3]) {
      const g = await fitGaussianMixture(M, { k, covariance: 'full', initLabels: labels.get(k)! });
      expect([sel.curves.bic![k - 1], sel.curves.aic![k - 1], sel.mixture!.meanLogLikelihood[k - 1]]).toEqual([g.bic, g.aic, g.meanLogLikelihood]);
    }
    expect(sel.mixture).toMatchObject({ covariance: 'full', failures: [] });
    const bic = await run(M, { methods: ['bic'], kMax: 2, mixtureCovariance: 'diag' });
    expect([bic.sel.curves.bic?.length, 'aic' in bic.sel.curves, bic.sel.mixture?.covariance]).toEqual([2, false, 'diag']);
    expect(phases(bic.events, 'gmm')[1]).toBe('Gaussian mixture (diag) at k = 2 for BIC and AIC');
    const aic = await run(M, { methods: ['aic'], kMax: 2 });
    expect([aic.sel.curves.aic?.length, 'bic' in aic.sel.curves]).toEqual([2, false]);
  });

  it('a k whose mixture collapses has no BIC/AIC and says why; the others are kept', async () => {
    // Two equal columns at ±2^20: at k = 1 the covariance is [[v, v], [v, v]] with v = 2^40, where regCovar (1e-6) is
    // lost in rounding, so its second Cholesky pivot is exactly 0. At k = 2 each component is one point plus regCovar.
    const v = 2 ** 20;
    const line: Matrix = { data: Float32Array.from({ length: 20 }, (_, i) => ((i >> 1) % 2 === 0 ? v : -v)), rows: 10, cols: 2 };
    const { sel, labels } = await run(line, { methods: ['bic', 'aic'], kMax: 2 });
    const e = await thrown(() => fitGaussianMixture(line, { k: 1, initLabels: labels.get(1)! }));
    expect(e.code).toBe('ILL_DEFINED_COVARIANCE');
    expect(sel.mixture?.failures).toEqual([`k = 1: ${e.message}`]);
    const g2 = await fitGaussianMixture(line, { k: 2, initLabels: labels.get(2)! });
    expect([sel.curves.bic, sel.curves.aic, sel.mixture?.meanLogLikelihood]).toEqual([
      [null, g2.bic],
      [null, g2.aic],
      [null, g2.meanLogLikelihood],
    ]);
  });

  it('a signal aborted after the last K-Means fit stops its mixture (ABORTED, not recorded as a failure)', async () => {
    const controller = new AbortController();
    const e = await thrown(() =>
      run(M, {
        methods: ['bic'],
        kMax: 2,
        signal: controller.signal,
        // The hook runs between the fit at k = 2 and its mixture; the sweep checks the signal only before a fit.
        // The abort comes from a timer that the hook waits for, so it lands in that gap.
        afterFit: async (fit) => {
          if (fit.k === 2) await new Promise<void>((resolve) => setTimeout(() => (controller.abort(), resolve()), 1));
        },
      }),
    );
    expect(e.code).toBe('ABORTED');
  });

  it('sample weights are refused only with bic or aic', async () => {
    const w = new Float64Array(M.rows).fill(2);
    const sel = (await run(M, { methods: ['elbow', 'davies'], kMax: 2, sampleWeight: w })).sel;
    expect(sel.methods).toEqual(['elbow', 'davies']);
    expect(sel.curves.davies?.[1]).toBeTypeOf('number');
  });
});

describe('selectK: stage timings', () => {
  it('each stage within the total, the total within the wall clock around the call, the mixtures within the sweep', async () => {
    const { sel, wall } = await run(M, { methods: ['elbow', 'silhouette', 'gap', 'bic'], kMax: 3, gapReferences: 2, gapSampleSize: 10 });
    const { sweep, silhouette, gap, total } = sel.seconds;
    expect([sweep, silhouette, gap].every((s) => s > 0)).toBe(true);
    expect([silhouette, gap]).toEqual([sel.silhouette!.seconds, sel.gap!.seconds]);
    expect(sweep + silhouette + gap).toBeLessThanOrEqual(total + 1e-9);
    expect(total).toBeLessThanOrEqual(wall + 1e-9);
    expect(sel.mixture!.seconds).toBeGreaterThan(0);
    expect(sel.mixture!.seconds).toBeLessThanOrEqual(sweep);
  });
});
