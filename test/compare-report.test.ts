/**
 * The method comparison end to end: the pipeline's `compare` spec, the
 * report's "Comparing methods" table and `segmenta report --compare`. Apart
 * from compare-methods.test.ts because these run whole jobs: StrykerJS reruns
 * that file for every mutant of the drivers it covers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { segmentCustomers } from '../src/pipeline/segment-customers.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';

describe('the report compares methods (spec.compare, report --compare)', () => {
  it('segmentCustomers with compare: result.comparison, the "Comparing methods" table in index.html and segments.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segmenta-compare-report-'));
    try {
      const out = join(dir, 'report');
      const r = await segmentCustomers({
        data: { generate: { rows: 600, seed: 3 } },
        features: ['Annual Income (k$)', 'Spending Score (1-100)'],
        scale: 'standard',
        k: 4,
        sweep: false,
        backend: 'js',
        compare: { methods: ['kmeans', 'gmm'], covariance: 'diag' },
        outputs: { report: out },
      });
      const c = r.comparison!;
      expect(c.methods.map((m) => m.method)).toEqual(['kmeans', 'gmm']);
      // The compared K-Means is the job's own fit (same settings, same seed).
      expect(Array.from(c.methods[0]!.labels)).toEqual(Array.from(r.kmeans!.labels));
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      expect(html).toContain('<h2 id="methods">Comparing methods</h2>');
      expect(html).toMatch(/<table id="method-comparison">.*<th>K-Means<\/th><td>4<\/td><td>0\.0%<\/td>/s);
      expect(html).toContain('<th>Gaussian mixture (diag)</th>');
      expect(html).toMatch(/<table id="method-ari">.*<th>kmeans<\/th><td>1\.000<\/td><td>/s);
      const json = JSON.parse(readFileSync(join(out, 'segments.json'), 'utf8'));
      expect(json.comparison.methods[1]).toMatchObject({ method: 'gmm', clusters: 4, noiseShare: 0 });
      expect(json.comparison.ari[0][1]).toBeCloseTo(c.ari[0]![1]!, 6);
      // Without compare the page has no such section.
      const plain = await segmentCustomers({ data: { generate: { rows: 300, seed: 3 } }, features: ['Age', 'Annual Income (k$)'], k: 3, sweep: false, backend: 'js', outputs: { report: join(dir, 'plain') } });
      expect(plain.comparison).toBeUndefined();
      expect(readFileSync(join(dir, 'plain', 'index.html'), 'utf8')).not.toContain('Comparing methods');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spec.compare is validated: unknown or repeated methods, and a job without a fit, are INVALID_SPEC naming the field', async () => {
    const base = { data: { path: 'x.csv' }, features: ['a'] };
    expect(validateSpec({ ...base, compare: {} }).compare).toEqual({ methods: ['kmeans', 'agglomerative', 'gmm'], covariance: 'full', silhouetteSampleSize: 10_000 });
    expect(validateSpec({ ...base, compare: { dbscan: { eps: 0.3 } } }).compare!.methods).toEqual(['kmeans', 'agglomerative', 'gmm', 'dbscan']);
    expect(() => validateSpec({ ...base, compare: { methods: ['dbscan'] } })).toThrow(/spec\.compare\.methods lists 'dbscan', which needs spec\.compare\.dbscan\.eps/);
    expect(() => validateSpec({ ...base, compare: { methods: ['kmeans', 'birch'] } })).toThrow(/spec\.compare\.methods\[1\] must be one of 'kmeans', 'agglomerative', 'gmm', 'dbscan', 'hdbscan', got 'birch'/);
    expect(() => validateSpec({ ...base, compare: { methods: ['gmm', 'gmm'] } })).toThrow(/spec\.compare\.methods lists 'gmm' twice/);
    expect(() => validateSpec({ ...base, fit: false, compare: {} })).toThrow(/spec\.compare needs a fit/);
  });

  it('segmenta report --compare kmeans,agglomerative writes the table; a bad name exits 2 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segmenta-report-compare-'));
    try {
      const file = join(dir, 'c.csv');
      await writeGeneratedCustomers(file, { rows: 500, seed: 2 });
      const args = ['--features', 'Annual Income (k$),Spending Score (1-100)', '--k', '4', '--no-sweep', '--backend', 'js'];
      const r = await runSegmenta('report', file, ...args, '--compare', 'kmeans,agglomerative', '--out', join(dir, 'r'));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const html = readFileSync(join(dir, 'r', 'index.html'), 'utf8');
      expect(html).toContain('<th>Agglomerative (ward, exact)</th>');
      const bad = await runSegmenta('report', file, ...args, '--compare', 'kmeans,nope', '--out', join(dir, 'bad'));
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe("segmenta: error: unknown method 'nope': choose from kmeans, agglomerative, gmm, dbscan, hdbscan or all");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
