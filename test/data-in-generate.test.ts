import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/cli-program.js';
import { SegmentaError } from '../src/common/errors.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import {
  CUSTOMER_SEGMENTS,
  EXTRA_FEATURES,
  generateCustomers,
  writeGeneratedCustomers,
} from '../src/data-in/generate-customers.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('segmenta-gen-');

/** Plain Lloyd K-Means with k-means++ seeding, best of `nInit` (test-local, independent of the drivers). */
function kmeans(points: Float64Array, n: number, d: number, k: number, seed: number, nInit = 5): Int32Array {
  const rng = new SeededRandom(seed);
  let best: { labels: Int32Array; wcss: number } | undefined;
  for (let init = 0; init < nInit; init++) {
    const centres = new Float64Array(k * d);
    const first = rng.nextInt(n);
    for (let j = 0; j < d; j++) centres[j] = points[first * d + j]!;
    const dist = new Float64Array(n).fill(Infinity);
    for (let c = 1; c < k; c++) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (points[i * d + j]! - centres[(c - 1) * d + j]!) ** 2;
        if (s < dist[i]!) dist[i] = s;
        total += dist[i]!;
      }
      let r = rng.nextFloat() * total;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        r -= dist[i]!;
        if (r <= 0) {
          pick = i;
          break;
        }
      }
      for (let j = 0; j < d; j++) centres[c * d + j] = points[pick * d + j]!;
    }
    const labels = new Int32Array(n);
    let wcss = 0;
    for (let iter = 0; iter < 100; iter++) {
      wcss = 0;
      let changed = 0;
      for (let i = 0; i < n; i++) {
        let bestC = 0;
        let bestS = Infinity;
        for (let c = 0; c < k; c++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += (points[i * d + j]! - centres[c * d + j]!) ** 2;
          if (s < bestS) {
            bestS = s;
            bestC = c;
          }
        }
        if (labels[i] !== bestC || iter === 0) changed++;
        labels[i] = bestC;
        wcss += bestS;
      }
      if (changed === 0) break;
      const sums = new Float64Array(k * d);
      const counts = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        counts[labels[i]!]!++;
        for (let j = 0; j < d; j++) sums[labels[i]! * d + j]! += points[i * d + j]!;
      }
      for (let c = 0; c < k; c++) if (counts[c]! > 0) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j]! / counts[c]!;
    }
    if (!best || wcss < best.wcss) best = { labels, wcss };
  }
  return best!.labels;
}

/** Adjusted Rand index (Hubert & Arabie). */
function adjustedRand(a: Int32Array, b: Int32Array): number {
  const n = a.length;
  const ka = Math.max(...a) + 1;
  const kb = Math.max(...b) + 1;
  const table = new Float64Array(ka * kb);
  for (let i = 0; i < n; i++) table[a[i]! * kb + b[i]!]!++;
  const c2 = (x: number): number => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table) index += c2(v);
  const rows = new Float64Array(ka);
  const cols = new Float64Array(kb);
  for (let i = 0; i < ka; i++) for (let j = 0; j < kb; j++) {
    rows[i]! += table[i * kb + j]!;
    cols[j]! += table[i * kb + j]!;
  }
  let sa = 0;
  let sb = 0;
  for (const v of rows) sa += c2(v);
  for (const v of cols) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return (index - expected) / (max - expected);
}

describe('generateCustomers', () => {
  it('is deterministic under a seed and differs for another seed', () => {
    const a = generateCustomers({ rows: 2000, seed: 11, features: 6 });
    const b = generateCustomers({ rows: 2000, seed: 11, features: 6 });
    const c = generateCustomers({ rows: 2000, seed: 12, features: 6 });
    expect(a.trueSegment).toEqual(b.trueSegment);
    expect(a.gender).toEqual(b.gender);
    a.numeric.forEach((col, j) => expect(col).toEqual(b.numeric[j]));
    let same = 0;
    for (let i = 0; i < 2000; i++) if (a.numeric[1]![i] === c.numeric[1]![i] && a.trueSegment[i] === c.trueSegment[i]) same++;
    expect(same).toBeLessThan(400);
  });

  it('defaults to seed 42 and 3 features with the Mall column names', () => {
    const g = generateCustomers({ rows: 10 });
    expect(g.seed).toBe(42);
    expect(g.columnNames).toEqual(['CustomerID', 'Gender', 'Age', 'Annual Income (k$)', 'Spending Score (1-100)']);
    expect(Array.from(g.ids)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(g.trueSegment).toEqual(generateCustomers({ rows: 10, seed: 42 }).trueSegment);
  });

  it('gives integer base columns in plausible ranges and extras with at most one decimal', () => {
    const g = generateCustomers({ rows: 5000, seed: 3, features: 16 });
    expect(g.featureNames).toHaveLength(16);
    expect(new Set(g.featureNames).size).toBe(16);
    expect(g.featureNames.slice(3)).toEqual(EXTRA_FEATURES.map((e) => e.name));
    const [age, income, score] = g.numeric;
    for (let i = 0; i < 5000; i++) {
      expect(Number.isInteger(age![i]) && age![i]! >= 18 && age![i]! <= 70).toBe(true);
      expect(Number.isInteger(income![i]) && income![i]! >= 15).toBe(true);
      expect(Number.isInteger(score![i]) && score![i]! >= 1 && score![i]! <= 100).toBe(true);
      expect(g.gender[i] === 'Female' || g.gender[i] === 'Male').toBe(true);
    }
    for (let j = 3; j < 16; j++) {
      for (let i = 0; i < 5000; i += 7) {
        const v = g.numeric[j]![i]!;
        expect(Math.abs(Math.round(v * 10) - v * 10)).toBeLessThan(1e-9);
        expect(v).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('names features beyond the named extras generically', () => {
    const g = generateCustomers({ rows: 3, features: 20 });
    expect(g.featureNames.slice(16)).toEqual(['Feature 17', 'Feature 18', 'Feature 19', 'Feature 20']);
  });

  it('draws segments in their documented shares', () => {
    const n = 50_000;
    const g = generateCustomers({ rows: n, seed: 5 });
    const counts = new Array<number>(CUSTOMER_SEGMENTS.length).fill(0);
    for (const s of g.trueSegment) counts[s]!++;
    CUSTOMER_SEGMENTS.forEach((seg, s) => expect(Math.abs(counts[s]! / n - seg.weight)).toBeLessThan(0.01));
    // the income/score means of each segment match its definition
    CUSTOMER_SEGMENTS.forEach((seg, s) => {
      let inc = 0;
      let sc = 0;
      for (let i = 0; i < n; i++) if (g.trueSegment[i] === s) {
        inc += g.numeric[1]![i]!;
        sc += g.numeric[2]![i]!;
      }
      expect(Math.abs(inc / counts[s]! - seg.income.mean)).toBeLessThan(1.5);
      expect(Math.abs(sc / counts[s]! - seg.score.mean)).toBeLessThan(1.5);
    });
  });

  it('K-Means (k = 5) on standardized income and score recovers the segments with ARI >= 0.9', () => {
    const n = 20_000;
    const g = generateCustomers({ rows: n, seed: 42 });
    const pts = new Float64Array(n * 2);
    for (const [j, col] of [g.numeric[1]!, g.numeric[2]!].entries()) {
      let mean = 0;
      for (const v of col) mean += v;
      mean /= n;
      let ss = 0;
      for (const v of col) ss += (v - mean) ** 2;
      const sd = Math.sqrt(ss / n);
      for (let i = 0; i < n; i++) pts[i * 2 + j] = (col[i]! - mean) / sd;
    }
    const labels = kmeans(pts, n, 2, 5, 1);
    const ari = adjustedRand(labels, g.trueSegment);
    expect(ari).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses bad options with INVALID_OPTION', () => {
    for (const opts of [{ rows: 0 }, { rows: 1.5 }, { rows: 10, features: 2 }, { rows: 10, features: 1000 }, { rows: 10, seed: 0.5 }]) {
      try {
        generateCustomers(opts);
        throw new Error('expected a failure');
      } catch (error) {
        expect(error).toBeInstanceOf(SegmentaError);
        expect((error as SegmentaError).code).toBe('INVALID_OPTION');
      }
    }
  });
});

describe('generateCustomers: spread (overlapping segments)', () => {
  const sd = (g: ReturnType<typeof generateCustomers>, feature: number, segment: number): number => {
    const v: number[] = [];
    for (let i = 0; i < g.rows; i++) if (g.trueSegment[i] === segment) v.push(g.numeric[feature]![i]!);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  };

  it('spread 1 is the default data; spread 2 doubles the within-segment spread; the segments draw the same', () => {
    const base = generateCustomers({ rows: 20_000, seed: 3, features: 4 });
    const one = generateCustomers({ rows: 20_000, seed: 3, features: 4, spread: 1 });
    expect(one.numeric.map((c) => Array.from(c))).toEqual(base.numeric.map((c) => Array.from(c)));
    const wide = generateCustomers({ rows: 20_000, seed: 3, features: 4, spread: 2 });
    expect(Array.from(wide.trueSegment)).toEqual(Array.from(base.trueSegment));
    // Average segment (id 0): income sd 7, spending score sd 6 (clipping is rare this close to the centre)
    expect(sd(base, 1, 0)).toBeGreaterThan(6.5);
    expect(sd(base, 1, 0)).toBeLessThan(7.5);
    expect(sd(wide, 1, 0)).toBeGreaterThan(13);
    expect(sd(wide, 1, 0)).toBeLessThan(15);
    expect(sd(wide, 2, 0) / sd(base, 2, 0)).toBeGreaterThan(1.85);
  });

  it('rejects a spread that is not a number in (0, 10]', () => {
    for (const spread of [0, -1, 11, Number.NaN]) {
      let caught: unknown;
      try {
        generateCustomers({ rows: 10, spread });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SegmentaError);
      expect((caught as SegmentaError).code).toBe('INVALID_OPTION');
      expect((caught as SegmentaError).message).toMatch(/spread must be a number above 0 and at most 10, got /);
    }
  });
});

describe('writeGeneratedCustomers', () => {
  it('writes the same data as generateCustomers to CSV', async () => {
    const path = join(dir, 'g.csv');
    const info = await writeGeneratedCustomers(path, { rows: 500, seed: 9, features: 4 });
    const g = generateCustomers({ rows: 500, seed: 9, features: 4 });
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100),Visits per Month');
    expect(lines).toHaveLength(501);
    for (let i = 0; i < 500; i++) {
      expect(lines[i + 1]).toBe([g.ids[i], g.gender[i], ...g.numeric.map((c) => c[i])].join(','));
    }
    expect(info.segmentCounts.reduce((a, b) => a + b, 0)).toBe(500);
    expect(info.format).toBe('csv');
  });

  it('refuses an unknown extension and leaves nothing behind', async () => {
    const path = join(dir, 'g.xlsx');
    await expect(writeGeneratedCustomers(path, { rows: 5 })).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(existsSync(path)).toBe(false);
  });

  it('writes Parquet atomically (no temporary files remain)', async () => {
    const sub = await mkdtemp(join(dir, 'pq-'));
    const path = join(sub, 'g.parquet');
    const info = await writeGeneratedCustomers(path, { rows: 100, seed: 2 });
    expect(info.format).toBe('parquet');
    expect(readdirSync(sub)).toEqual(['g.parquet']);
  });
});

describe('segmenta generate (CLI)', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
    try {
      const code = await runCli(['node', 'segmenta', ...args]);
      return { code, out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('writes a file and prints one line saying what it wrote', async () => {
    const path = join(dir, 'cli.csv');
    const r = await cli(['generate', '--rows', '1_000', '--seed', '7', '--features', '5', '--out', path]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toContain('1000 customers');
    expect(r.out).toContain(path);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]!.split(',')).toHaveLength(7);
  });

  it('refuses bad integers with one error line and exit status 2', async () => {
    for (const args of [
      ['--rows', 'abc'],
      ['--rows', '0'],
      ['--rows', '10', '--seed', '1.5'],
      ['--rows', '10', '--features', '2'],
      ['--rows', '10', '--features', 'x'],
    ]) {
      const path = join(dir, 'bad.csv');
      const r = await cli(['generate', ...args, '--out', path]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^segmenta: error: --(rows|seed|features) must be an integer/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(existsSync(path)).toBe(false);
    }
  });

  it('requires --out and a supported extension', async () => {
    expect((await cli(['generate', '--rows', '10'])).code).toBe(2);
    const r = await cli(['generate', '--rows', '10', '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('.csv or .parquet');
  });
});
