/**
 * Mini-batch K-Means on the built CLI (issue 18 item 4): `kmeans` and `sweep`
 * with `--algorithm minibatch`, and one-line errors for bad options. The
 * driver itself is tested in minibatch-kmeans.test.ts.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli-process.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

describe('mini-batch on the CLI', () => {
  const segmenta = runCli;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  });
  const dir = tempDir('segmenta-minibatch-');
  const file = customersFile(dir, 'customers.csv', { rows: 20_000, seed: 3 });
  const features = 'Annual Income (k$),Spending Score (1-100)';

  it('kmeans --algorithm minibatch --json reports the algorithm and steps, near the Lloyd WCSS', () => {
    const mb = segmenta('kmeans', file, '--features', features, '--scale', 'standard', '--k', '5', '--algorithm', 'minibatch', '--batch-size', '512', '--json');
    const lloyd = segmenta('kmeans', file, '--features', features, '--scale', 'standard', '--k', '5', '--json');
    expect(mb.stderr).toBe('');
    const a = JSON.parse(mb.stdout);
    const b = JSON.parse(lloyd.stdout);
    expect(a).toMatchObject({ algorithm: 'minibatch', k: 5 });
    expect(a.steps).toBeGreaterThan(1);
    expect(b.algorithm).toBe('lloyd');
    expect(a.wcss / b.wcss).toBeLessThan(1.02);
  }, 60_000);

  it('sweep --algorithm minibatch gives a WCSS per k', () => {
    const r = segmenta('sweep', file, '--features', features, '--scale', 'standard', '--k-max', '6', '--algorithm', 'minibatch', '--method', 'elbow', '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).wcss).toHaveLength(6);
  }, 60_000);

  it.each([
    [['--algorithm', 'elkan'], "--algorithm must be lloyd or minibatch, got 'elkan'"],
    [['--batch-size', '64'], '--batch-size applies only with --algorithm minibatch'],
    [['--algorithm', 'minibatch', '--batch-size', '0'], '--batch-size'],
  ])('%o: exit 2 and one line', (extra, line) => {
    const r = segmenta('kmeans', file, '--features', features, '--k', '3', ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(line);
  });
});
