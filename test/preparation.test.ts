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

/** The SegmentaError a call throws (fails the test when it returns or throws anything else). */
function thrown(call: () => unknown): SegmentaError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SegmentaError);
    return error as SegmentaError;
  }
  throw new Error('expected a SegmentaError, the call returned');
}

describe('scaling: every refusal is a SegmentaError naming the values', () => {
  const twoCols = matrixFromRows([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);

  it('an unknown method names the option, the value and the allowed list in its details', () => {
    const e = thrown(() => parseScalingMethod('zscore'));
    expect(e.message).toBe("unknown scaling method 'zscore'; use one of: none, standard, minmax");
    expect(e.details).toEqual({ option: 'scale', value: 'zscore', allowed: ['none', 'standard', 'minmax'] });
  });

  it('fitScaler names the first NaN or infinite value by row and column, for every method', () => {
    // row-major: the first non-finite value is row 2, column 2 (the Infinity at row 3, column 1 comes later)
    const bad = matrixFromRows([
      [1, 2],
      [3, Number.NaN],
      [Number.POSITIVE_INFINITY, 4],
    ]);
    for (const method of ['none', 'standard', 'minmax'] as const) {
      const e = thrown(() => fitScaler(bad, method));
      expect(e.code).toBe('NON_FINITE_VALUE');
      expect(e.message).toMatch(/^matrix row 2, feature 2 is NaN/);
      expect(e.details).toMatchObject({ row: 2, column: 2 });
    }
    const inf = thrown(() => fitScaler(matrixFromRows([[1], [2], [Number.NEGATIVE_INFINITY]]), 'minmax'));
    expect(inf.message).toMatch(/^matrix row 3, feature 1 is -Infinity/);
  });

  it('fitScaler calls the argument "matrix" when its shape is wrong', () => {
    const e = thrown(() => fitScaler({ data: new Float32Array(5), rows: 3, cols: 2 }, 'standard'));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/^matrix holds 5 values/);
  });

  it('transform refuses another column count or data of the wrong length, naming both', () => {
    const s = fitScaler(twoCols, 'minmax');
    const cols = thrown(() => s.transform(matrixFromRows([[1, 2, 3]])));
    expect(cols.code).toBe('SHAPE_MISMATCH');
    expect(cols.message).toBe('the scaler was fitted on 2 columns but the matrix has 3');
    expect(cols.details).toEqual({ expected: 2, actual: 3 });
    const length = thrown(() => s.transform({ data: new Float32Array(5), rows: 3, cols: 2 }));
    expect(length.code).toBe('SHAPE_MISMATCH');
    expect(length.message).toBe('matrix data has 5 values, expected 3 × 2');
  });

  it('inverseTransform refuses a length that is not a whole number of rows', () => {
    const s = fitScaler(twoCols, 'standard');
    const e = thrown(() => s.inverseTransform(new Float64Array(5), 2));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toBe('inverseTransform: the scaler has 2 columns; got 5 values with cols = 2');
    expect(e.details).toEqual({ expected: 2, actual: 2, length: 5 });
    expect(thrown(() => s.inverseTransform(new Float64Array(6), 3)).details).toEqual({ expected: 2, actual: 3, length: 6 });
  });

  it('scalerFromJSON refuses JSON without a method, without equal-length arrays, or with a bad value', () => {
    expect(thrown(() => scalerFromJSON(null as never)).code).toBe('INVALID_OPTION');
    expect(thrown(() => scalerFromJSON(undefined as never)).message).toContain("unknown scaling method 'undefined'");
    const arrays = 'scaler JSON needs offset[] and scale[] of equal length';
    for (const json of [
      { method: 'standard', scale: [1, 1] },
      { method: 'standard', offset: [0, 0] },
      { method: 'standard', offset: [0, 0], scale: [1] },
      { method: 'standard', offset: [0], scale: [1, 1] },
    ]) {
      const e = thrown(() => scalerFromJSON(json as never));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toBe(arrays);
    }
    // the bad value sits in column 2 of 2, so the message names column 2
    for (const [offset, scale, shown] of [
      [Number.NaN, 2, 'offset NaN / scale 2'],
      [3, Number.POSITIVE_INFINITY, 'offset 3 / scale Infinity'],
      [3, Number.NaN, 'offset 3 / scale NaN'],
      [3, 0, 'offset 3 / scale 0'],
    ] as const) {
      const e = thrown(() => scalerFromJSON({ method: 'minmax', offset: [0, offset], scale: [1, scale] }));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toBe(`scaler JSON column 2: ${shown} must be finite, scale non-zero`);
    }
    // a valid JSON still loads and scales: (x - offset) / scale
    const ok = scalerFromJSON({ method: 'minmax', offset: [1, 2], scale: [4, 0.5] });
    expect(Array.from(ok.transform(twoCols).data)).toEqual([0, 0, 0.5, 4, 1, 8]);
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

  it("inPlace scales the table's own matrix instead of a copy", () => {
    const table = { matrix: randomMatrix(50, 2, 4), featureNames: ['a', 'b'] };
    const original = table.matrix.data.slice();
    const expected = fitScaler({ data: original, rows: 50, cols: 2 }, 'minmax').transform({ data: original, rows: 50, cols: 2 }).data;
    const p = prepareFeatures(table, { scale: 'minmax', inPlace: true });
    expect(p.matrix).toBe(table.matrix);
    expect(table.matrix.data).toEqual(expected);
    expect(prepareFeatures(table, { inPlace: false }).matrix).not.toBe(table.matrix);
  });
});
