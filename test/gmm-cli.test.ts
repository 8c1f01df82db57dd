/**
 * `segmenta gmm`: the JSON document, the memberships file (first input
 * column, segment, one probability per segment), the table, and one-line
 * errors with exit code 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mixtureParameterCount } from '../src/drivers/gaussian-mixture.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { customersFile, tempDir, writeCsv } from './helpers/temp-dir.js';

const FEATURES = 'Age,Annual Income (k$),Spending Score (1-100)';
const dir = tempDir('segmenta-gmm-');
const customers = customersFile(dir, 'customers.csv', { rows: 1500, seed: 8 });

describe('segmenta gmm', () => {
  it('--json gives k, covariance, meanLogLikelihood, bic, aic, sizes, converged, iterations; --out writes every customer’s memberships', async () => {
    const out = join(dir, 'memberships.csv');
    const r = await runSegmenta('gmm', customers, '--features', FEATURES, '--k', '4', '--scale', 'standard', '--covariance', 'diag', '--backend', 'js', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['k', 'covariance', 'meanLogLikelihood', 'bic', 'aic', 'sizes', 'converged', 'iterations']));
    expect(doc).toMatchObject({ k: 4, covariance: 'diag', rows: 1500, scale: 'standard', converged: true, out });
    expect(doc.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(1500);
    expect([...doc.sizes].sort((a: number, b: number) => b - a)).toEqual(doc.sizes);
    const p = mixtureParameterCount('diag', 4, 3);
    expect(doc.bic).toBeCloseTo(-2 * 1500 * doc.meanLogLikelihood + p * Math.log(1500), 6);
    expect(doc.aic).toBeCloseTo(-2 * 1500 * doc.meanLogLikelihood + 2 * p, 6);
    expect(doc.iterations).toBeGreaterThan(0);

    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,segment,probability_0,probability_1,probability_2,probability_3');
    expect(lines).toHaveLength(1501);
    const counts = [0, 0, 0, 0];
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',').map(Number);
      expect(cells[0]).toBe(i + 1);
      const probs = cells.slice(2);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(probs.indexOf(Math.max(...probs))).toBe(cells[1]);
      counts[cells[1]!]!++;
    });
    expect(counts).toEqual(doc.sizes);
  });

  it('prints the segments with weight and centre in original units, and the fit’s figures', async () => {
    const r = await runSegmenta('gmm', customers, '--features', FEATURES, '--k', '3', '--backend', 'js');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Gaussian mixture \(full covariance\) k=3 on 1,500 customers × 3 features \(scale none\)$/m);
    expect(r.stdout).toMatch(/mean log-likelihood -?[\d.]+, BIC [\d.]+, AIC [\d.]+; \d+ EM iterations \((converged|not converged)\)/);
    expect(r.stdout).toMatch(/segment\s+customers\s+share\s+weight\s+Age\s+Annual Income \(k\$\)\s+Spending Score \(1-100\)/);
    expect(r.stdout.match(/^\s+[0-2]\s+[\d,]+\s+[\d.]+%\s+0\.\d{3}\s/gm)).toHaveLength(3);
  });

  for (const [what, args, message] of [
    ['no --k', [], /--k must be an integer >= 1, got ''/],
    ['a covariance type it lacks', ['--k', '3', '--covariance', 'tied'], /--covariance must be one of full, diag, spherical, got 'tied'/],
    ['a negative --reg-covar', ['--k', '3', '--reg-covar', '-1'], /--reg-covar must be a number >= 0, got '-1'/],
    ['k above the rows', ['--k', '2000'], /k = 2000 is larger than the number of rows \(1500\)/],
    ['an unknown column', ['--k', '3', '--features', 'Age,Nope'], /Nope/],
  ] as const) {
    it(`${what}: one line, exit 2, no file`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, '-')}.csv`);
      const r = await runSegmenta('gmm', customers, '--features', FEATURES, ...args, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a NaN in the data: exit 2 naming the row and column', async () => {
    const bad = writeCsv(dir, 'nan.csv', 'CustomerID,Age,Score\n1,20,30\n2,21,NaN\n3,50,60\n4,52,61\n');
    const r = await runSegmenta('gmm', bad, '--features', 'Age,Score', '--k', '2');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/row 2|Score/);
  });
});
