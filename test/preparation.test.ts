import { describe, expect, it } from 'vitest';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows } from '../src/common/matrix.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { encodeCategories, oneHotEncode, sortLevels } from '../src/data-in/one-hot.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { fitScaler, parseScalingMethod, scalerFromJSON } from '../src/preparation/scaling.js';

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = 10 * (j + 1) + (j + 1) * 3 * rng.nextGaussian();
  return { data, rows, cols };
}

/** Column j of a matrix as float64 numbers. */
function column(m: Matrix, j: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.rows; i++) out.push(m.data[i * m.cols + j]!);
  return out;
}

describe('one-hot encoding', () => {
  it('sorts levels and names columns Col=Level', () => {
    const r = oneHotEncode(['Male', 'Female', 'Male', 'Other'], 'Gender');
    expect(r.names).toEqual(['Gender=Female', 'Gender=Male', 'Gender=Other']);
    expect(Array.from(r.data)).toEqual([0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(r.rows).toBe(4);
    expect(r.cols).toBe(3);
  });

  it('sorts numeric levels numerically and text by code units', () => {
    expect(sortLevels(['10', '9', '1'])).toEqual(['1', '9', '10']);
    expect(sortLevels(['b', 'B', 'a'])).toEqual(['B', 'a', 'b']);
  });

  it('codes index the sorted levels', () => {
    const c = encodeCategories(['z', 'a', 'z', 'm'], 'c');
    expect(c.levels).toEqual(['a', 'm', 'z']);
    expect(Array.from(c.codes)).toEqual([2, 0, 2, 1]);
  });

  it('refuses an empty category with MISSING_VALUE naming the row', () => {
    try {
      encodeCategories(['a', '', 'b'], 'Region');
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as SegmentaError).code).toBe('MISSING_VALUE');
      expect((error as SegmentaError).message).toContain("row 2, column 'Region'");
    }
  });
});

describe('scaling', () => {
  const m = randomMatrix(1000, 3, 1);

  it('standard matches StandardScaler: mean and population std, computed independently', () => {
    const scaler = fitScaler(m, 'standard');
    const scaled = scaler.transform(m);
    for (let j = 0; j < 3; j++) {
      const x = column(m, j);
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
      expect(scaler.offset[j]).toBeCloseTo(mean, 10);
      expect(scaler.scale[j]).toBeCloseTo(std, 10);
      const z = column(scaled, j);
      for (let i = 0; i < x.length; i++) expect(z[i]).toBe(Math.fround((x[i]! - mean) / std));
      const zMean = z.reduce((a, b) => a + b, 0) / z.length;
      const zStd = Math.sqrt(z.reduce((a, b) => a + (b - zMean) ** 2, 0) / z.length);
      expect(zMean).toBeCloseTo(0, 5);
      expect(zStd).toBeCloseTo(1, 5);
    }
  });

  it('standard on a small matrix gives the known StandardScaler numbers', () => {
    // sklearn: StandardScaler().fit([[1, 10], [2, 10], [3, 10], [6, 10]]) → mean_ [3, 10], scale_ [sqrt(3.5), 1]
    const small = matrixFromRows([
      [1, 10],
      [2, 10],
      [3, 10],
      [6, 10],
    ]);
    const s = fitScaler(small, 'standard');
    expect(Array.from(s.offset)).toEqual([3, 10]);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt(3.5), 12);
    expect(s.scale[1]).toBe(1); // constant column
    const z = s.transform(small);
    expect(column(z, 0)).toEqual([-2, -1, 0, 3].map((v) => Math.fround(v / Math.sqrt(3.5))));
    expect(column(z, 1)).toEqual([0, 0, 0, 0]);
  });

  it('minmax maps each column to [0, 1]; a constant column gets scale 1', () => {
    const withConst = matrixFromRows([
      [5, 1, 7],
      [15, 2, 7],
      [10, 4, 7],
    ]);
    const s = fitScaler(withConst, 'minmax');
    expect(Array.from(s.offset)).toEqual([5, 1, 7]);
    expect(Array.from(s.scale)).toEqual([10, 3, 1]);
    const z = s.transform(withConst);
    expect(column(z, 0)).toEqual([0, 1, 0.5]);
    expect(column(z, 1)).toEqual([0, Math.fround(1 / 3), 1]);
    expect(column(z, 2)).toEqual([0, 0, 0]);
    const big = fitScaler(m, 'minmax').transform(m);
    for (let j = 0; j < 3; j++) {
      const c = column(big, j);
      expect(Math.min(...c)).toBe(0);
      expect(Math.max(...c)).toBe(1);
    }
  });

  it('none leaves values unchanged', () => {
    const s = fitScaler(m, 'none');
    expect(s.transform(m).data).toEqual(m.data);
    expect(Array.from(s.scale)).toEqual([1, 1, 1]);
  });

  for (const method of ['standard', 'minmax'] as const) {
    it(`${method}: inverseTransform brings scaled values back (round trip)`, () => {
      const s = fitScaler(m, method);
      const back = s.inverseTransform(s.transform(m).data, 3);
      expect(back).toBeInstanceOf(Float64Array);
      for (let p = 0; p < m.data.length; p++) expect(Math.abs(back[p]! - m.data[p]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(m.data[p]!)));
      const again = scalerFromJSON(JSON.parse(JSON.stringify(s)));
      expect(again.transform(m).data).toEqual(s.transform(m).data);
      expect(s.toJSON()).toEqual({ method, offset: Array.from(s.offset), scale: Array.from(s.scale) });
    });
  }

  it('transform copies by default and overwrites with inPlace', () => {
    const copy: Matrix = { data: m.data.slice(), rows: m.rows, cols: m.cols };
    const s = fitScaler(copy, 'standard');
    const out = s.transform(copy);
    expect(out.data).not.toBe(copy.data);
    expect(copy.data).toEqual(m.data);
    const same = s.transform(copy, { inPlace: true });
    expect(same.data).toBe(copy.data);
    expect(copy.data).toEqual(out.data);
  });

  it('validates the method with INVALID_OPTION listing the allowed values', () => {
    try {
      parseScalingMethod('zscore');
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as SegmentaError).code).toBe('INVALID_OPTION');
      expect((error as SegmentaError).message).toContain('none, standard, minmax');
    }
    expect(() => fitScaler(m, 'robust' as never)).toThrow(SegmentaError);
  });

  it('refuses NaN with NON_FINITE_VALUE naming the row, and mismatched shapes', () => {
    const bad = matrixFromRows([
      [1, 2],
      [NaN, 3],
    ]);
    for (const method of ['standard', 'minmax'] as const) {
      try {
        fitScaler(bad, method);
        throw new Error('expected a failure');
      } catch (error) {
        expect((error as SegmentaError).code).toBe('NON_FINITE_VALUE');
        expect((error as SegmentaError).message).toContain('row 2');
      }
    }
    const s = fitScaler(m, 'standard');
    expect(() => s.inverseTransform(new Float32Array(4), 2)).toThrow(/columns/);
    expect(() => s.transform(matrixFromRows([[1, 2]]))).toThrow(SegmentaError);
  });
});

describe('prepareFeatures', () => {
  it('scales a table (none by default) and keeps the feature names', () => {
    const table = { matrix: randomMatrix(200, 2, 9), featureNames: ['Annual Income (k$)', 'Spending Score (1-100)'] };
    const before = table.matrix.data.slice();
    const plain = prepareFeatures(table);
    expect(plain.scaler.method).toBe('none');
    expect(plain.matrix.data).toEqual(table.matrix.data);
    expect(plain.matrix.data).not.toBe(table.matrix.data);
    const p = prepareFeatures(table, { scale: 'standard' });
    expect(p.scaler.method).toBe('standard');
    expect(Math.abs(column(p.matrix, 0).reduce((a, b) => a + b, 0) / 200)).toBeLessThan(1e-5);
    expect(p.featureNames).toEqual(table.featureNames);
    expect(table.matrix.data).toEqual(before);
    const mm = prepareFeatures(table, { scale: 'minmax' });
    expect(Math.max(...column(mm.matrix, 0))).toBe(1);
    expect(() => prepareFeatures(table, { scale: 'z' as never })).toThrow(/none, standard, minmax/);
  });
});
