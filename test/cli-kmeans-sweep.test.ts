/**
 * The CLI as a user runs it: the built `dist/src/cli/main.js` (npm install builds it).
 * Bad input → exit code 2 and exactly one line on stderr, never a stack trace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli-process.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON, SKLEARN_MALL_WCSS } from './helpers/mall-data.js';
import { customersFile, tempDir, writeCsv } from './helpers/temp-dir.js';

const FEATURES = 'Annual Income (k$),Spending Score (1-100)';

const segmenta = runCli;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm install does it)`);
});
const dir = tempDir('segmenta-cli-');
const customers = customersFile(dir, 'customers.csv', { rows: 3000, seed: 7 });

describe('segmenta kmeans / sweep on generated customers', () => {
  it('kmeans --json prints one JSON document with the documented fields', () => {
    const r = segmenta('kmeans', customers, '--features', FEATURES, '--k', '5', '--scale', 'standard', '--backend', 'js', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['backend', 'rows', 'features', 'k', 'wcss', 'iterations', 'converged', 'centroids', 'sizes', 'seconds']));
    expect(doc).toMatchObject({ backend: 'js', rows: 3000, k: 5, features: FEATURES.split(',') });
    expect(doc.centroids).toHaveLength(5);
    expect(doc.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(3000);
    // Centroids are reported in original units (income in k$), not standardised.
    for (const [income] of doc.centroids) expect(income).toBeGreaterThan(10);
  });

  it('kmeans --out writes id and segment for every row, in input order, and is deterministic', () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    expect(segmenta('kmeans', customers, '--features', FEATURES, '--k', '4', '--seed', '3', '--backend', 'js', '--out', a).code).toBe(0);
    expect(segmenta('kmeans', customers, '--features', FEATURES, '--k', '4', '--seed', '3', '--backend', 'js', '--out', b).code).toBe(0);
    const lines = readFileSync(a, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,segment');
    expect(lines).toHaveLength(3001);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(new Set(lines.slice(1).map((l) => l.split(',')[1]))).toEqual(new Set(['0', '1', '2', '3']));
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });

  it('sweep --json gives k, wcss and suggestedK', () => {
    const r = segmenta('sweep', customers, '--features', FEATURES, '--scale', 'standard', '--k-max', '10', '--backend', 'js', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.k).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(doc.wcss).toHaveLength(10);
    expect(doc.suggestedK).toBe(5); // the generator's five latent segments
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['backend', 'rows', 'features', 'k', 'wcss', 'suggestedK', 'byMethod', 'reason', 'rule', 'seconds']));
    expect(Object.keys(doc.byMethod)).toEqual(['elbow', 'silhouette', 'calinski', 'davies', 'gap']);
    for (const v of Object.values(doc.byMethod) as { k: number | null; why: string }[]) expect(v.why.length).toBeGreaterThan(10);
    expect(doc.silhouette).toHaveLength(10);
    expect(doc.silhouette[0]).toBeNull(); // undefined at k = 1
    expect(doc.gapReferences).toMatchObject({ B: 10 });
    expect(doc.reason).toMatch(/k = 5/);
  });

  it('sweep --method davies --out --plot: the CSV holds one row per k, the PNG every method, the text chart each column', () => {
    const csv = join(dir, 'sweep.csv');
    const png = join(dir, 'sweep.png');
    const r = segmenta('sweep', customers, '--features', FEATURES, '--scale', 'standard', '--k-max', '8', '--backend', 'js', '--method', 'davies', '--out', csv, '--plot', png);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/silhouette ↑/);
    expect(r.stdout).toMatch(/Davies-B\. ↓/);
    expect(r.stdout).not.toMatch(/gap ↑/);
    expect(r.stdout).toMatch(/suggested k: \d+\. Majority vote/);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,fit_seconds');
    expect(lines).toHaveLength(9);
    const row5 = lines[5]!.split(',');
    expect(Number(row5[0])).toBe(5);
    expect(Number(row5[4])).toBeGreaterThan(0); // Davies-Bouldin
    expect(row5[2]).toBe(''); // silhouette not run
    expect(row5[3]).toBe(''); // Calinski-Harabasz not run
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(20_000);
  });

  it('prints a readable table without --json', () => {
    const r = segmenta('kmeans', customers, '--features', FEATURES, '--k', '3', '--backend', 'js');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/segment\s+customers\s+share/);
  });
});

describe('bad input: exit code 2 and one clear line', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['missing file', () => ['kmeans', join(dir, 'nope.csv'), '--features', FEATURES, '--k', '2'], /nope\.csv.*not found/],
    ['unknown column (lists the available ones)', () => ['kmeans', customers, '--features', 'Income', '--k', '2'], /no column 'Income'.*available columns: .*'Annual Income \(k\$\)'/],
    ['non-numeric cell', () => ['kmeans', badCsv('x,Age\n1,30\n2,abc\n3,40\n'), '--features', 'Age', '--k', '2'], /row 2.*'Age'.*'abc'/],
    ['empty cell', () => ['kmeans', badCsv('x,Age,Score\n1,30,1\n2,,2\n3,40,3\n'), '--features', 'Age,Score', '--k', '2'], /row 2.*'Age'/],
    ['empty table', () => ['kmeans', badCsv('x,Age\n'), '--features', 'Age', '--k', '2'], /no (data )?rows|empty/i],
    ['k < 1', () => ['kmeans', customers, '--features', FEATURES, '--k', '0'], /--k must be an integer >= 1, got '0'/],
    ['k above the distinct rows', () => ['kmeans', badCsv('x,Age\n1,30\n2,30\n3,40\n'), '--features', 'Age', '--k', '3'], /k = 3 .*distinct rows \(2\)/],
    ['unknown backend', () => ['kmeans', customers, '--features', FEATURES, '--k', '2', '--backend', 'gpu9000'], /unknown backend 'gpu9000'/],
    ['unknown option', () => ['kmeans', customers, '--features', FEATURES, '--k', '2', '--colour'], /unknown option '--colour'/],
    ['bad scaling method', () => ['sweep', customers, '--features', FEATURES, '--scale', 'log'], /log/],
    ['unknown command', () => ['cluster', customers], /unknown command 'cluster'/],
    ['missing --features', () => ['sweep', customers], /--features is required/],
    ['bad --n-init', () => ['sweep', customers, '--features', FEATURES, '--n-init', 'many'], /--n-init must be an integer/],
    ['unknown --method', () => ['sweep', customers, '--features', FEATURES, '--method', 'vibes'], /unknown method 'vibes'/],
    ['two methods', () => ['sweep', customers, '--features', FEATURES, '--method', 'gap,davies'], /--method takes one method or all/],
    ['--plot not a PNG', () => ['sweep', customers, '--features', FEATURES, '--plot', join(dir, '*.png*')], /--plot names one \.png file/],
  ];
  let n = 0;
  function badCsv(text: string): string {
    return writeCsv(dir, `bad-${n++}.csv`, text);
  }

  it.each(cases)('%s', (_name, args, message) => {
    const r = segmenta(...args());
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^segmenta: error: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('writes no partial --out file when the job fails', () => {
    const out = join(dir, 'never.csv');
    expect(segmenta('kmeans', customers, '--features', FEATURES, '--k', '0', '--out', out).code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!HAVE_MALL)(`the issue's acceptance command on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('sweep --n-init 10 --seed 42 --json: WCSS within 0.5% of scikit-learn and suggestedK 5', () => {
    const r = segmenta('sweep', MALL_CSV, '--features', FEATURES, '--n-init', '10', '--seed', '42', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    doc.wcss.forEach((w: number, i: number) => expect(w).toBeLessThanOrEqual(SKLEARN_MALL_WCSS[i]! * 1.005));
    expect(doc.suggestedK).toBe(5);
    expect(doc.byMethod.elbow.k).toBe(5);
    expect(doc.byMethod.silhouette.k).toBe(5);
    expect(doc.reason).toMatch(/^The WCSS elbow is at k = 5/);
  });
});
