/**
 * `--weight COLUMN` end to end, as a user runs it (the built CLI): a generated
 * file with a weight column (`segmenta generate --weight-column`), then
 * kmeans, sweep and hclust weighted by it; the saved model records the column;
 * a bad weight cell is one line on stderr naming the row and the value, exit 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli-process.js';
import { tempDir, writeCsv } from './helpers/temp-dir.js';

const FEATURES = 'Annual Income (k$),Spending Score (1-100)';
const segmenta = runCli;

const dir = tempDir('segmenta-weight-');
const file = join(dir, 'customers.csv');
/** The file's rows: income, score, visits. */
let rows: { x: [number, number]; w: number }[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm install does it)`);
  const r = segmenta('generate', '--rows', '1500', '--seed', '5', '--weight-column', 'Visits', '--out', file);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100),Visits');
  rows = lines.slice(1).map((l) => {
    const f = l.split(',').map(Number);
    return { x: [f[3]!, f[4]!], w: f[5]! };
  });
});

/** Weighted means of the rows per segment label. */
function weightedMeans(labels: number[], k: number): number[][] {
  const sums = Array.from({ length: k }, () => [0, 0, 0]);
  labels.forEach((s, i) => {
    const { x, w } = rows[i]!;
    sums[s]![0]! += w * x[0];
    sums[s]![1]! += w * x[1];
    sums[s]![2]! += w;
  });
  return sums.map(([a, b, w]) => [a! / w!, b! / w!]);
}

describe('segmenta generate --weight-column', () => {
  it('adds integer weights 1..20 without changing the other columns', () => {
    const plain = join(dir, 'plain.csv');
    expect(segmenta('generate', '--rows', '1500', '--seed', '5', '--out', plain).code).toBe(0);
    const a = readFileSync(plain, 'utf8').trim().split('\n');
    const b = readFileSync(file, 'utf8').trim().split('\n');
    expect(b.map((l) => l.slice(0, l.lastIndexOf(',')))).toEqual(a);
    const ws = rows.map((r) => r.w);
    expect(ws.every((w) => Number.isInteger(w) && w >= 1 && w <= 20)).toBe(true);
    expect(new Set(ws).size).toBeGreaterThan(5);
  });
});

describe('--weight COLUMN', () => {
  it('kmeans: centroids are the weighted means of their segments; the saved model records the column (format version 2)', () => {
    const out = join(dir, 'labels.csv');
    const model = join(dir, 'model.json');
    const r = segmenta('kmeans', file, '--features', FEATURES, '--k', '4', '--weight', 'Visits', '--backend', 'wasm', '--json', '--out', out, '--save-model', model);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const labels = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    expect(labels).toHaveLength(1500);
    const means = weightedMeans(labels, 4);
    for (let s = 0; s < 4; s++) for (let j = 0; j < 2; j++) expect(doc.centroids[s][j]).toBeCloseTo(means[s]![j]!, 1);
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved.formatVersion).toBe(2);
    expect(saved.training.sampleWeight).toEqual({ column: 'Visits', total: rows.reduce((a, r) => a + r.w, 0) });
    // Without --weight: another fit, written as format version 1.
    const plainModel = join(dir, 'plain-model.json');
    const p = segmenta('kmeans', file, '--features', FEATURES, '--k', '4', '--backend', 'wasm', '--json', '--save-model', plainModel);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).wcss).not.toBe(doc.wcss);
    const plain = JSON.parse(readFileSync(plainModel, 'utf8'));
    expect(plain.formatVersion).toBe(1);
    expect(plain.training.sampleWeight).toBeUndefined();
  });

  it('sweep: the WCSS at k = 1 is Σ w·|x − weighted mean|²', () => {
    const r = segmenta('sweep', file, '--features', FEATURES, '--k-max', '4', '--weight', 'Visits', '--backend', 'js', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const [mean] = weightedMeans(new Array(rows.length).fill(0), 1);
    let wcss = 0;
    for (const { x, w } of rows) wcss += w * ((x[0] - Math.fround(mean![0]!)) ** 2 + (x[1] - Math.fround(mean![1]!)) ** 2);
    const k1 = doc.wcss?.[0] ?? doc.curves?.wcss?.[0] ?? doc.sweep?.wcss?.[0];
    expect(k1).toBeCloseTo(wcss, -1);
    expect(Math.abs(k1 - wcss) / wcss).toBeLessThan(1e-6);
  });

  it('hclust (Ward): runs weighted, exact', () => {
    const r = segmenta('hclust', file, '--features', FEATURES, '--k', '4', '--weight', 'Visits', '--backend', 'js', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.k).toBe(4);
    expect(doc.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(1500);
  });

  const bad = (name: string, cell: string, row: number): string => {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const f = lines[row]!.split(',');
    f[5] = cell;
    lines[row] = f.join(',');
    return writeCsv(dir, `${name}.csv`, lines);
  };

  it.each([
    ['text', 'abc', 3, /row 3, weight column 'Visits': 'abc' is not a number/],
    ['negative', '-2', 5, /row 5, weight column 'Visits': -2 is negative; weights must be >= 0/],
    ['empty', '', 7, /row 7, weight column 'Visits' is empty/],
  ])('weight cell %s: one line naming the row and the value, exit 2', (name, cell, row, message) => {
    for (const command of ['kmeans', 'sweep', 'hclust']) {
      const r = segmenta(command, bad(name, cell, row), '--features', FEATURES, ...(command === 'sweep' ? [] : ['--k', '3']), '--weight', 'Visits', '--backend', 'js');
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('--weight with --algorithm minibatch, or with sweep --method bic/aic, is refused with one line, exit 2', () => {
    const mb = segmenta('kmeans', file, '--features', FEATURES, '--k', '3', '--weight', 'Visits', '--algorithm', 'minibatch', '--backend', 'js');
    expect(mb.code, mb.stderr).toBe(2);
    expect(mb.stderr.trim().split('\n')).toHaveLength(1);
    expect(mb.stderr).toMatch(/spec.weight is not supported with spec.kmeans.algorithm 'minibatch'/);
    for (const method of ['bic', 'aic']) {
      const r = segmenta('sweep', file, '--features', FEATURES, '--k-max', '4', '--weight', 'Visits', '--method', method, '--backend', 'js');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`k methods ${method} fit Gaussian mixtures, which take no sample weights`));
      expect(r.stdout).toBe('');
    }
  });

  it('a weight column that is also a feature, or unknown, is refused with one line', () => {
    const same = segmenta('kmeans', file, '--features', `${FEATURES},Visits`, '--k', '3', '--weight', 'Visits');
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/spec.weight 'Visits' is also a feature/);
    const unknown = segmenta('kmeans', file, '--features', FEATURES, '--k', '3', '--weight', 'Nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/Nope/);
  });
});
