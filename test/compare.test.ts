/**
 * `segmenta compare`: the table, the JSON, consistency with `kmeans` and
 * `hclust` run separately, the sampled silhouette, errors, and Mall against
 * scikit-learn's metrics when /usr/bin/python3 has it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex } from '../src/metrics/cluster-metrics.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { runPythonReference, skipSuffix, type PythonResult } from './helpers/python-reference.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

const FEATURES = 'Annual Income (k$),Spending Score (1-100)';
const dir = tempDir('segmenta-compare-');
const customers = customersFile(dir, 'customers.csv', { rows: 2000, seed: 5 });
const many = customersFile(dir, 'many.csv', { rows: 12_000, seed: 6 });

function labelsOf(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
}

describe('segmenta compare', () => {
  it('prints a table with clusters, noise, sizes, WCSS, seconds, silhouette, CH and DB per method, and the ARI between every pair', async () => {
    const r = await runSegmenta('compare', customers, '--features', FEATURES, '--k', '5', '--scale', 'standard', '--backend', 'js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^K-Means vs Agglomerative \(ward, exact\) vs Gaussian mixture \(full\), k=5, on 2,000 customers × 2 features \(scale standard\)$/m);
    expect(r.stdout).toMatch(/method\s+clusters\s+noise\s+sizes \(largest first\)\s+WCSS\s+seconds\s+silhouette\s+Calinski-Harabasz\s+Davies-Bouldin/);
    expect(r.stdout).toMatch(/^K-Means\s+5\s+0\.0%\s+\d+ \d+ \d+ \d+ \d+\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+[\d.]+\s+[\d.]+$/m);
    expect(r.stdout).toMatch(/^Agglomerative \(ward, exact\)\s+5\s+0\.0%\s+\d+ \d+ \d+ \d+ \d+\s/m);
    expect(r.stdout).toMatch(/^Gaussian mixture \(full\)\s+5\s+0\.0%\s+\d+ \d+ \d+ \d+ \d+\s/m);
    expect(r.stdout).toMatch(/adjusted Rand index between the methods \(1 = the same partition\):/);
    expect(r.stdout).toMatch(/^kmeans\s+1\.0000\s+-?[01]\.\d{4}\s+-?[01]\.\d{4}$/m);
    expect(r.stdout).toMatch(/^gmm\s+-?[01]\.\d{4}\s+-?[01]\.\d{4}\s+1\.0000$/m);
    expect(r.stdout).toMatch(/mode: exact; silhouette exact on all 2,000 rows/);
  });

  it('--methods picks and orders the methods; the gmm row is what `segmenta gmm` finds with the same options', async () => {
    const opts = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js', '--seed', '4', '--k', '4'];
    const r = await runSegmenta('compare', customers, ...opts, '--methods', 'gmm,kmeans', '--covariance', 'diag', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.methods.map((m: { method: string }) => m.method)).toEqual(['gmm', 'kmeans']);
    expect(doc.ari).toHaveLength(2);
    expect(doc.ari[0][0]).toBe(1);
    expect(doc.ari[0][1]).toBe(doc.ari[1][0]);
    const g = JSON.parse((await runSegmenta('gmm', customers, ...opts, '--covariance', 'diag', '--json')).stdout);
    expect(doc.methods[0]).toMatchObject({ covariance: 'diag', clusters: 4, noise: 0, noiseShare: 0, sizes: g.sizes, iterations: g.iterations });
    expect(doc.methods[0].meanLogLikelihood).toBe(g.meanLogLikelihood);
    expect(doc.methods[0].bic).toBe(g.bic);
  });

  it('--json: the ARI is that of the kmeans and hclust commands run alone with the same options', async () => {
    const opts = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js', '--seed', '3'];
    const r = await runSegmenta('compare', customers, ...opts, '--k', '4', '--methods', 'kmeans,agglomerative', '--linkage', 'complete', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ rows: 2000, k: 4, scale: 'standard', silhouette: { sampled: false, sampleSize: 2000, rows: 2000 } });
    expect(doc.methods.map((m: { method: string }) => m.method)).toEqual(['kmeans', 'agglomerative']);
    for (const m of doc.methods) {
      expect(Object.keys(m)).toEqual(expect.arrayContaining(['sizes', 'wcss', 'seconds', 'silhouette', 'calinskiHarabasz', 'daviesBouldin', 'backend']));
      expect(m.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(2000);
      expect(m.silhouette).toBeGreaterThan(-1);
      expect(m.silhouette).toBeLessThan(1);
    }
    expect(doc.methods[1]).toMatchObject({ linkage: 'complete', mode: 'exact', m: null });
    const km = join(dir, 'km.csv');
    const hc = join(dir, 'hc.csv');
    expect((await runSegmenta('kmeans', customers, ...opts, '--k', '4', '--out', km)).code).toBe(0);
    expect((await runSegmenta('hclust', customers, ...opts, '--k', '4', '--linkage', 'complete', '--out', hc)).code).toBe(0);
    expect(doc.ari[0][1]).toBeCloseTo(await adjustedRandIndex(labelsOf(km), labelsOf(hc)), 12);
    expect(doc.ari[1][0]).toBe(doc.ari[0][1]);
  });

  it('samples the silhouette above 10,000 rows and states the sample size', async () => {
    const r = await runSegmenta(
      'compare', many, '--features', FEATURES, '--k', '5', '--methods', 'kmeans,agglomerative', '--backend', 'js', '--exact-max-rows', '5000', '--micro-clusters', '200', '--silhouette-sample', '1500', '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ rows: 12_000, silhouette: { sampled: true, sampleSize: 1500, rows: 12_000 } });
    expect(doc.methods[1]).toMatchObject({ mode: 'two-stage', m: 200 });
    const t = await runSegmenta('compare', many, '--features', FEATURES, '--k', '5', '--methods', 'kmeans,agglomerative', '--backend', 'js', '--exact-max-rows', '5000', '--micro-clusters', '200', '--silhouette-sample', '1500');
    expect(t.stdout).toMatch(/Agglomerative \(ward, two-stage m=200\)/);
    expect(t.stdout).toMatch(/mode: two-stage \(m = 200 micro-clusters\); silhouette on a seeded sample of 1,500 of 12,000 rows/);
  });

  it('--eps adds DBSCAN and --min-cluster-size HDBSCAN to the default methods; density methods alone need no --k', async () => {
    const opts = ['--features', FEATURES, '--scale', 'standard', '--backend', 'js'];
    const r = await runSegmenta('compare', customers, ...opts, '--k', '5', '--eps', '0.3', '--min-samples', '10', '--min-cluster-size', '40', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.methods.map((m: { method: string }) => m.method)).toEqual(['kmeans', 'agglomerative', 'gmm', 'dbscan', 'hdbscan']);
    expect(doc.methods[3]).toMatchObject({ eps: 0.3, minSamples: 10 });
    expect(doc.methods[4]).toMatchObject({ minClusterSize: 40 });
    for (const m of doc.methods.slice(3)) {
      expect(m.noise).toBe(Math.round(m.noiseShare * 2000));
      expect(m.sizes.reduce((a: number, b: number) => a + b, 0) + m.noise).toBe(2000);
    }
    expect(doc.ari).toHaveLength(5);
    const alone = await runSegmenta('compare', customers, ...opts, '--methods', 'dbscan', '--eps', '0.3', '--min-samples', '10');
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^DBSCAN \(eps 0\.3, min samples 10\), on 2,000 customers/m);
    const noEps = await runSegmenta('compare', customers, ...opts, '--methods', 'kmeans,dbscan', '--k', '3');
    expect(noEps.code).toBe(2);
    expect(noEps.stderr.trim()).toBe('segmenta: error: --methods lists dbscan, which needs --eps (the neighbourhood radius; segmenta dbscan --plot draws the k-distance curve to choose it)');
  });

  for (const [what, args, message] of [
    ['k = 1', ['--k', '1'], /--k must be >= 2 for compare/],
    ['no k', [], /--k must be an integer >= 1, got ''/],
    ['bad linkage', ['--k', '3', '--linkage', 'x'], /--linkage must be one of/],
    ['bad silhouette sample', ['--k', '3', '--silhouette-sample', '1'], /--silhouette-sample must be an integer from 2/],
    ['unknown method', ['--k', '3', '--methods', 'kmeans,birch'], /unknown method 'birch': choose from kmeans, agglomerative, gmm, dbscan, hdbscan or all/],
    ['bad covariance', ['--k', '3', '--covariance', 'tied'], /--covariance must be one of full, diag, spherical, got 'tied'/],
  ] as [string, string[], RegExp][]) {
    it(`${what}: exit 2 and one line`, async () => {
      const r = await runSegmenta('compare', customers, '--features', FEATURES, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
});

/** scikit-learn's silhouette, CH and DB of its own ward partition of Mall, when /usr/bin/python3 has sklearn. */
function sklearnMallMetrics(): PythonResult<{ silhouette: number; ch: number; db: number }> {
  const script = `
import json, numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn import metrics
X = np.loadtxt(${JSON.stringify(MALL_CSV)}, delimiter=',', skiprows=1, usecols=(3, 4))
l = AgglomerativeClustering(n_clusters=5, linkage='ward').fit(X).labels_
print(json.dumps({'silhouette': metrics.silhouette_score(X, l), 'ch': metrics.calinski_harabasz_score(X, l), 'db': metrics.davies_bouldin_score(X, l)}))
`;
  return runPythonReference("ward's silhouette, CH and DB on Mall", script);
}

describe.skipIf(!HAVE_MALL)(`segmenta compare on Mall (income, score), k = 5 ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it("reports the issues' sizes: K-Means 81, 39, 35, 23, 22 (n-init 10) and ward 85, 39, 32, 23, 21", async () => {
    const r = await runSegmenta('compare', MALL_CSV, '--features', FEATURES, '--k', '5', '--n-init', '10', '--seed', '42', '--methods', 'kmeans,agglomerative', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const sorted = (s: number[]): number[] => [...s].sort((a, b) => b - a);
    expect(sorted(doc.methods[0].sizes)).toEqual([81, 39, 35, 23, 22]);
    expect(sorted(doc.methods[1].sizes)).toEqual([85, 39, 32, 23, 21]);
    expect(doc.ari[0][1]).toBeGreaterThan(0.8);
    expect(doc.ari[0][1]).toBeLessThan(1);
  });

  const ref = sklearnMallMetrics();
  it.skipIf(!ref.value)(`ward's silhouette, CH and DB equal scikit-learn's on its own partition${skipSuffix(ref)}`, async () => {
    const values = ref.value!;
    const r = await runSegmenta('compare', MALL_CSV, '--features', FEATURES, '--k', '5', '--json');
    const ward = JSON.parse(r.stdout).methods[1];
    expect(ward.silhouette).toBeCloseTo(values.silhouette, 9);
    expect(ward.calinskiHarabasz).toBeCloseTo(values.ch, 8);
    expect(ward.daviesBouldin).toBeCloseTo(values.db, 10);
  });
});
