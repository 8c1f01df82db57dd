/**
 * Segment insights: short feature labels, distribution statistics, profiles
 * (sizes, quartiles, lift, category mix), the stable segment order, names and
 * readings — on hand-made data and on Mall.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { matrixFromRows } from '../src/common/matrix.js';
import { SegmentaError } from '../src/common/errors.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { describeSortable, quantileSorted } from '../src/insights/distribution-stats.js';
import { shortFeatureLabel, shortFeatureLabels } from '../src/insights/feature-labels.js';
import { profileSegments, SEGMENT_ORDER_RULE } from '../src/insights/segment-profiles.js';
import { rankNextSteps } from '../src/insights/segment-names.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';

describe('short feature labels', () => {
  it('maps the well-known columns and strips units from others', () => {
    expect(shortFeatureLabel('Annual Income (k$)')).toBe('income');
    expect(shortFeatureLabel('Spending Score (1-100)')).toBe('spending');
    expect(shortFeatureLabel('Age')).toBe('age');
    expect(shortFeatureLabel('Tenure (years)')).toBe('tenure');
    expect(shortFeatureLabel('Visits per Month')).toBe('visits per month');
    expect(shortFeatureLabel('Gender=Female')).toBe('Female');
    expect(shortFeatureLabel('(x)')).toBe('(x)');
    // "Average" contains "age" but is not the age column.
    expect(shortFeatureLabel('Average Basket')).toBe('average basket');
  });

  it('falls back to full names when two columns would share a label', () => {
    expect(shortFeatureLabels(['Annual Income (k$)', 'Monthly Income', 'Age'])).toEqual(['Annual Income (k$)', 'Monthly Income', 'age']);
    expect(shortFeatureLabels(['A', 'A'])).toEqual(['A', 'A (2)']);
  });
});

describe('distribution statistics', () => {
  it('match NumPy percentiles (linear interpolation)', () => {
    const s = describeSortable(new Float64Array([4, 1, 3, 2]));
    expect(s).toMatchObject({ count: 4, mean: 2.5, min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
    expect(s.p05).toBeCloseTo(1.15, 12);
    expect(s.p95).toBeCloseTo(3.85, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(quantileSorted([7], 0.3)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});

/** Three blobs of (income, spending), sizes 2 / 4 / 3, plus Gender and Age. */
function toy() {
  const rows = [
    [90, 10], [92, 12], // high income, low spending (size 2)
    [50, 50], [52, 48], [48, 52], [50, 50], // mid / mid (size 4)
    [20, 90], [22, 88], [18, 92], // low income, high spending (size 3)
  ];
  // Labels deliberately not in size order: 0 = the pair, 1 = the four, 2 = the three.
  const labels = Int32Array.from([0, 0, 1, 1, 1, 1, 2, 2, 2]);
  const gender = ['Male', 'Male', 'Female', 'Male', 'Female', 'Female', 'Female', 'Female', ''];
  const age = Float64Array.from([50, 60, 40, 42, 38, 40, 20, 22, NaN]);
  return { matrix: matrixFromRows(rows), labels, kept: { Gender: gender, Age: age }, featureNames: ['Annual Income (k$)', 'Spending Score (1-100)'] };
}

describe('profileSegments', () => {
  it('orders segments by size, renumbers labels, and profiles each one in original units', () => {
    const t = toy();
    const p = profileSegments({ ...t, k: 3 });
    expect(p.ordering).toBe(SEGMENT_ORDER_RULE);
    expect(p.segments.map((s) => s.size)).toEqual([4, 3, 2]);
    expect(p.segments.map((s) => s.fitLabel)).toEqual([1, 2, 0]);
    expect(p.fitLabelToSegment).toEqual([2, 0, 1]);
    expect(Array.from(p.labels)).toEqual([2, 2, 0, 0, 0, 0, 1, 1, 1]);
    expect(p.segments.map((s) => s.share)).toEqual([4 / 9, 3 / 9, 2 / 9]);

    const pair = p.segments[2]!;
    expect(pair.centroid).toEqual([91, 11]);
    expect(pair.features[0]).toMatchObject({ column: 'Annual Income (k$)', label: 'income', count: 2, mean: 91, median: 91, q1: 90.5, q3: 91.5, min: 90, max: 92 });
    const baseIncome = (90 + 92 + 50 + 52 + 48 + 50 + 20 + 22 + 18) / 9;
    expect(p.features[0]!.mean).toBeCloseTo(baseIncome, 10);
    expect(pair.features[0]!.lift).toBeCloseTo(91 / baseIncome, 10);
    expect(pair.features[0]!.level).toBe('high');
    expect(pair.features[1]!.level).toBe('low');

    // Age: a numeric kept column, with one missing value (in the 3-customer segment).
    expect(p.descriptors[0]).toMatchObject({ column: 'Age', label: 'age', count: 8, missing: 1 });
    expect(p.segments[1]!.descriptors[0]).toMatchObject({ count: 2, missing: 1, mean: 21 });

    // Gender mix: levels by base count, empty values as (missing), lift against the base.
    expect(p.categories[0]!.levels.map((l) => [l.level, l.count])).toEqual([['Female', 5], ['Male', 3], ['(missing)', 1]]);
    const mixOfFour = p.segments[0]!.categories[0]!.levels;
    expect(mixOfFour.map((l) => l.count)).toEqual([3, 1, 0]);
    expect(mixOfFour[0]!.share).toBe(0.75);
    expect(mixOfFour[0]!.lift).toBeCloseTo(0.75 / (5 / 9), 12);
  });

  it('names segments from feature levels and reads them for marketers', () => {
    const p = profileSegments({ ...toy(), k: 3 });
    expect(p.segments.map((s) => s.name)).toEqual(['Average income · Average spending', 'Low income · High spending', 'High income · Low spending']);
    expect(p.segments.map((s) => s.action)).toEqual(['Nurture', 'Serve with care', 'Win over']);
    expect(p.segments[2]!.reading).toMatch(/win them over/);
    // Facts from the kept columns: the pair is all Male (base 3/9) and older.
    expect(p.segments[2]!.reading).toMatch(/median age 55, older than the base/);
    expect(p.segments[2]!.reading).toMatch(/100% Male \(more than the base\)/);
  });

  it('breaks size ties by centre, so the order does not depend on the fit labels', () => {
    const m = matrixFromRows([[5, 5], [5, 6], [1, 1], [1, 2]]);
    const a = profileSegments({ featureNames: ['x', 'y'], matrix: m, labels: [0, 0, 1, 1], k: 2 });
    const b = profileSegments({ featureNames: ['x', 'y'], matrix: m, labels: [1, 1, 0, 0], k: 2 });
    expect(Array.from(a.labels)).toEqual([1, 1, 0, 0]);
    expect(Array.from(b.labels)).toEqual([1, 1, 0, 0]);
    expect(a.segments.map((s) => s.centroid)).toEqual([[1, 1.5], [5, 5.5]]);
  });

  it('makes names unique: finer levels first, then letters', () => {
    // Two "high x" segments that differ only in how high, and two identical ones.
    // Base: ten 0s, two 5s (z ≈ 0.6: high), two 12s (z ≈ 2.2: very high).
    const rows = [...Array.from({ length: 10 }, () => [0]), [5], [5], [12], [12]];
    const labels = [...Array.from({ length: 10 }, () => 0), 1, 1, 2, 2];
    const p = profileSegments({ featureNames: ['x'], matrix: matrixFromRows(rows), labels, k: 3 });
    const names = p.segments.map((s) => s.name);
    expect(new Set(names).size).toBe(3);
    expect(names).toEqual(['Low x', 'High x', 'Very high x']);
    const twins = profileSegments({ featureNames: ['x'], matrix: matrixFromRows([[0], [0], [9], [9], [9.5], [9.5]]), labels: [0, 0, 1, 1, 2, 2], k: 3 });
    expect(twins.segments.map((s) => s.name).sort()).toEqual(['High x (A)', 'High x (B)', 'Low x']);
  });

  it('with more than three features names the three that stand out, and reads unknown features generically', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 10; i++) {
      rows.push([0, 0, 0, 0, 0]);
      labels.push(0);
      rows.push([1, 10, 0.1, -10, 0.2]);
      labels.push(1);
    }
    const p = profileSegments({ featureNames: ['a', 'b', 'c', 'd', 'e'], matrix: matrixFromRows(rows), labels, k: 2 });
    for (const s of p.segments) expect(s.name.split(' · ')).toHaveLength(3);
    expect(p.segments[0]!.action).toBe('Tailor');
    expect(p.segments.find((s) => s.centroid[1] === 10)!.reading).toMatch(/^Above the base in /);
  });

  it('rejects inconsistent input with typed errors that name the values', () => {
    const m = matrixFromRows([[1], [2]]);
    const call = (f: () => unknown): SegmentaError => {
      try {
        f();
      } catch (e) {
        return e as SegmentaError;
      }
      throw new Error('expected an error');
    };
    expect(call(() => profileSegments({ featureNames: ['x'], matrix: m, labels: [0], k: 1 }))).toMatchObject({ code: 'SHAPE_MISMATCH', message: '1 labels for 2 rows' });
    expect(call(() => profileSegments({ featureNames: ['x'], matrix: m, labels: [0, 3], k: 2 }))).toMatchObject({ code: 'INVALID_K', message: 'row 2 has segment label 3, outside 0..1' });
    expect(call(() => profileSegments({ featureNames: ['x', 'y'], matrix: m, labels: [0, 0], k: 1 }))).toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect(call(() => profileSegments({ featureNames: ['x'], matrix: m, labels: [0, 0], k: 1, kept: { Age: new Float64Array(3) } }))).toMatchObject({
      code: 'SHAPE_MISMATCH',
      message: "kept column 'Age' has 3 values for 2 rows",
    });
  });

  it('handles an empty segment (figures NaN, named, last in order)', () => {
    const p = profileSegments({ featureNames: ['x'], matrix: matrixFromRows([[1], [2]]), labels: [0, 0], k: 2 });
    expect(p.segments[1]!.size).toBe(0);
    expect(p.segments[1]!.features[0]!.mean).toBeNaN();
    expect(p.segments[1]!.name.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAVE_MALL)(`profiles on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  it('k = 5 on (income, score): the five classic segments, named and read', async () => {
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE], keep: ['Gender', 'Age'] });
    const fit = await fitKMeans(table.matrix, { k: 5, nInit: 10, seed: 42, backend: 'js' });
    const p = profileSegments({ featureNames: table.featureNames, matrix: table.matrix, labels: fit.labels, k: 5, kept: table.kept });
    expect(p.segments.map((s) => [s.size, s.name, s.action])).toEqual([
      [81, 'Average income · Average spending', 'Nurture'],
      [39, 'High income · High spending', 'Keep'],
      [35, 'High income · Low spending', 'Win over'],
      [23, 'Low income · Low spending', 'Low priority'],
      [22, 'Low income · High spending', 'Serve with care'],
    ]);
    // scikit-learn's centres, in original units.
    expect(p.segments[1]!.centroid[0]).toBeCloseTo(86.54, 2);
    expect(p.segments[2]!.centroid[1]).toBeCloseTo(17.11, 2);
    expect(p.categories[0]!.levels.map((l) => [l.level, l.count])).toEqual([['Female', 112], ['Male', 88]]);
    expect(p.descriptors[0]!.column).toBe('Age');
    expect(p.segments[4]!.reading).toMatch(/younger than the base/);
  });
});

describe('one rule names a segment and picks its action', () => {
  it('no action text mentions a feature that is not in the name or the evidence (generator, 8 and 12 features)', () => {
    for (const features of [8, 12]) {
      const g = generateCustomers({ rows: 4000, seed: 3, features });
      const p = profileSegments({ featureNames: g.featureNames, matrix: generatedFeatureMatrix(g), labels: g.trueSegment, k: 5 });
      for (const s of p.segments) {
        const advice = s.reading.split(' Evidence: ')[0]!.toLowerCase();
        const named = new Set(s.named!.map((c) => s.features.find((f) => f.column === c)!.label));
        const evidence = s.evidence!.join(' ').toLowerCase();
        for (const f of s.features) {
          if (named.has(f.label) || evidence.includes(f.label)) continue;
          expect(advice, `${s.name}: ${advice}`).not.toMatch(new RegExp(`\\b${f.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`));
        }
        // The name's features are the ones the action reads.
        for (const label of named) expect(s.name.toLowerCase()).toContain(label);
      }
    }
  });

  it('takes the action from the named features: high age · low avg basket is not read through income and spending', () => {
    const names = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)', 'Avg Basket ($)', 'Tenure (years)'];
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20; i++) {
      rows.push([30, 50, 50, 60, 5], [31, 50, 50, 62, 5]);
      labels.push(0, 0);
      rows.push([65, 50, 50, 20, 5]);
      labels.push(1);
    }
    const p = profileSegments({ featureNames: names, matrix: matrixFromRows(rows), labels, k: 2 });
    const older = p.segments.find((s) => s.name.startsWith('High age'))!;
    expect(older.name).toMatch(/Low avg basket/);
    expect(older.action).toBe('Win over');
    expect(older.reading).toMatch(/^Low avg basket: /);
    expect(older.reading).not.toMatch(/income|spending/);
  });

  it('ranks next steps by action, then size', () => {
    const seg = (segment: number, action: string, size: number) => ({ segment, action, size, share: size / 100, name: `s${segment}`, reading: `do ${segment}. Evidence: x.`, evidence: ['x'] }) as never;
    const steps = rankNextSteps([seg(0, 'Nurture', 40), seg(1, 'Low priority', 30), seg(2, 'Win over', 10), seg(3, 'Keep', 5), seg(4, 'Win over', 15)]);
    expect(steps.map((s) => [s.rank, s.segment, s.action])).toEqual([
      [1, 3, 'Keep'],
      [2, 4, 'Win over'],
      [3, 2, 'Win over'],
    ]);
    expect(steps[0]!.advice).toBe('do 3.');
  });
});
