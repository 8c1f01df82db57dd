/**
 * src/common: the seeded generator every random choice comes from, Floyd's
 * sampler, typed errors and abort handling, file-system errors in plain words,
 * the matrix helpers, the column folds, the package version and the input
 * checks every entry point shares (validate-matrix).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { continueFold, foldColumnRange, foldColumnSums, foldSquaredDeviations, foldStart } from '../src/common/column-folds.js';
import { AbortedError, SegmentaError, errnoCode, errnoReason, fileSystemError, isUserError, throwIfAborted } from '../src/common/errors.js';
import { matrixFrom, matrixFromRows } from '../src/common/matrix.js';
import { groupDigits } from '../src/common/format-number.js';
import type { Matrix } from '../src/common/matrix.js';
import { packageVersion } from '../src/common/package-version.js';
import { SeededRandom, sampleIndices } from '../src/common/seeded-random.js';
import { thrown } from './helpers/thrown.js';
import { kindOf, scanFinite, validateFiniteMatrix, validateLabels, validateMatrixShape, validateSampleWeight } from '../src/common/validate-matrix.js';

describe('SeededRandom (xoshiro128** seeded through splitmix32)', () => {
  // Known answers from an independent Python transcription of the published
  // algorithms (Blackman & Vigna's xoshiro128**; splitmix32 with the murmur3 finaliser).
  it('reproduces the reference streams for seeds 0, 42 and 0xdeadbeef', () => {
    const want: Record<number, number[]> = {
      0: [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335],
      42: [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
      [0xdeadbeef]: [2306529437, 2576298207, 1250671110, 2699168992, 2319502352, 3183738783],
    };
    for (const [seed, values] of Object.entries(want)) {
      const rng = new SeededRandom(Number(seed));
      expect(values.map(() => rng.nextUint32()), `seed ${seed}`).toEqual(values);
    }
    // seeds are taken modulo 2^32
    expect(new SeededRandom(-1).nextUint32()).toBe(new SeededRandom(0xffffffff).nextUint32());
  });

  it('nextFloat builds a 53-bit float in [0, 1) from two draws (27 + 26 bits)', () => {
    const rng = new SeededRandom(7);
    expect([rng.nextFloat(), rng.nextFloat(), rng.nextFloat()]).toEqual([0.2338277214186818, 0.44891458133395923, 0.5656696667785289]);
    const a = new SeededRandom(9);
    const b = new SeededRandom(9);
    for (let i = 0; i < 1000; i++) {
      const hi = b.nextUint32() >>> 5;
      const lo = b.nextUint32() >>> 6;
      const f = a.nextFloat();
      expect(f).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });

  it('nextInt(n) is floor(nextFloat × n) and covers 0..n-1 evenly', () => {
    const a = new SeededRandom(3);
    const b = new SeededRandom(3);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const v = a.nextInt(10);
      expect(v).toBe(Math.floor(b.nextFloat() * 10));
      counts[v]!++;
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it('nextGaussian: Box-Muller with mean 0, variance 1, symmetric tails', () => {
    const a = new SeededRandom(5);
    const b = new SeededRandom(5);
    const first = a.nextGaussian();
    const u = b.nextFloat();
    const v = b.nextFloat();
    expect(first).toBe(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    const n = 40_000;
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const g = a.nextGaussian();
      sum += g;
      sq += g * g;
      if (Math.abs(g) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.03);
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.006);
  });

  it('nextSeed continues the same stream; equal seeds give equal streams, other seeds others', () => {
    const a = new SeededRandom(11);
    const b = new SeededRandom(11);
    expect(a.nextSeed()).toBe(b.nextUint32());
    expect(new SeededRandom(1).nextUint32()).not.toBe(new SeededRandom(2).nextUint32());
  });
});

describe('sampleIndices (Floyd)', () => {
  it('every index, in order, when size >= n', () => {
    expect(Array.from(sampleIndices(4, 4, new SeededRandom(1)))).toEqual([0, 1, 2, 3]);
    expect(Array.from(sampleIndices(3, 10, new SeededRandom(1)))).toEqual([0, 1, 2]);
    // without a draw: the stream goes on as if sampleIndices had not been called
    const rng = new SeededRandom(1);
    sampleIndices(4, 4, rng);
    expect(rng.nextUint32()).toBe(new SeededRandom(1).nextUint32());
  });

  it('size distinct, increasing indices in [0, n), seeded', () => {
    for (const [n, size] of [
      [10, 9],
      [100, 7],
      [5000, 1000],
    ] as const) {
      const ids = sampleIndices(n, size, new SeededRandom(n + size));
      expect(ids).toHaveLength(size);
      expect(new Set(ids).size).toBe(size);
      for (let i = 1; i < size; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
      expect(ids[0]!).toBeGreaterThanOrEqual(0);
      expect(ids[size - 1]!).toBeLessThan(n);
      expect(Array.from(sampleIndices(n, size, new SeededRandom(n + size)))).toEqual(Array.from(ids));
    }
  });

  it('is uniform: every index is drawn about size/n of the time', () => {
    const n = 20;
    const size = 5;
    const hits = new Array<number>(n).fill(0);
    const rng = new SeededRandom(8);
    const trials = 8000;
    for (let t = 0; t < trials; t++) for (const i of sampleIndices(n, size, rng)) hits[i]!++;
    for (const h of hits) expect(Math.abs(h / trials - size / n)).toBeLessThan(0.03);
  });
});

describe('typed errors', () => {
  it('SegmentaError carries a code, a message and details', () => {
    const e = new SegmentaError('INVALID_K', 'k = 0', { k: 0 });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SegmentaError');
    expect(e.code).toBe('INVALID_K');
    expect(e.message).toBe('k = 0');
    expect(e.details).toEqual({ k: 0 });
    expect(new SegmentaError('EMPTY_TABLE', 'x').details).toEqual({});
    expect(isUserError(e)).toBe(true);
    expect(isUserError(new Error('bug'))).toBe(false);
    expect(isUserError('INVALID_K')).toBe(false);
  });

  it('AbortedError is an ABORTED SegmentaError', () => {
    const e = new AbortedError();
    expect(e).toBeInstanceOf(SegmentaError);
    expect(e.name).toBe('AbortedError');
    expect(e.code).toBe('ABORTED');
    expect(e.message).toBe('the operation was aborted');
    expect(new AbortedError('stop').message).toBe('stop');
  });

  it('throwIfAborted states the abort reason: an Error, a string, or nothing', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    const reasons: Array<[unknown, string]> = [
      [new Error('user pressed Ctrl-C'), 'aborted: user pressed Ctrl-C'],
      ['timeout', 'aborted: timeout'],
      [42, 'the operation was aborted'],
    ];
    for (const [reason, message] of reasons) {
      const c = new AbortController();
      c.abort(reason);
      let caught: unknown;
      try {
        throwIfAborted(c.signal);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AbortedError);
      expect((caught as AbortedError).message).toBe(message);
    }
  });
});

describe('matrix helpers', () => {
  it('matrixFromRows packs rows row-major as float32; matrixFrom wraps an array of the right length', () => {
    const m = matrixFromRows([
      [1, 2, 3],
      [4, 5, 6.1],
    ]);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, Math.fround(6.1)]);
    expect(matrixFromRows([])).toEqual({ data: new Float32Array(0), rows: 0, cols: 0 });
    const data = new Float32Array(6);
    expect(matrixFrom(data, 3, 2)).toEqual({ data, rows: 3, cols: 2 });
    expect(matrixFrom(data, 3, 2).data).toBe(data);
    expect(() => matrixFrom(data, 4, 2)).toThrow('the array holds 6 values but 4 × 2 needs 8');
    expect(() => matrixFrom(data, 4, 2)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', details: { rows: 4, cols: 2, length: 6 } }));
  });
});

/** A Node.js file-system error: an Error with an errno `code`. */
const errnoError = (code: unknown, message: string): Error => Object.assign(new Error(message), { code });

describe('file-system errors in plain words', () => {
  it('errnoReason: the words for a known errno code, else the code itself', () => {
    expect(errnoReason('ENOSPC')).toBe('no space left on the device');
    expect(errnoReason('EACCES')).toBe('permission denied');
    expect(errnoReason('ECONNRESET')).toBe('ECONNRESET');
  });

  it('errnoCode: the code of an Error when it is an errno name (E, then capitals and digits), else undefined', () => {
    expect(errnoCode(errnoError('EACCES', 'x'))).toBe('EACCES');
    expect(errnoCode(errnoError('E2BIG', 'x'))).toBe('E2BIG');
    // Node's own ERR_ codes are not errno codes, even one that holds one
    expect(errnoCode(errnoError('ERR_FS_EISDIR', 'x'))).toBeUndefined();
    expect(errnoCode(errnoError('eacces', 'x'))).toBeUndefined();
    expect(errnoCode(errnoError(13, 'x'))).toBeUndefined();
    // a code that only prints as one (an array) is not a string
    expect(errnoCode(errnoError(['EACCES'], 'x'))).toBeUndefined();
    // only an Error carries one
    expect(errnoCode({ code: 'EACCES', message: 'x' })).toBeUndefined();
    expect(errnoCode('EACCES')).toBeUndefined();
    expect(errnoCode(undefined)).toBeUndefined();
  });

  it("fileSystemError: one FILE_SYSTEM_ERROR line naming the user's path, the reason and the code", () => {
    // a known code: the table's words, not Node's message
    const known = fileSystemError(errnoError('ENOSPC', 'ENOSPC: no space left on device, write'), 'out/labels.csv');
    expect(known).toBeInstanceOf(SegmentaError);
    expect(known).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: "cannot write 'out/labels.csv': no space left on the device (ENOSPC)" });
    expect((known as SegmentaError).details).toEqual({ path: 'out/labels.csv', errno: 'ENOSPC', action: 'write' });
    expect((fileSystemError(errnoError('EACCES', 'EACCES: permission denied'), 'in.csv', 'open') as Error).message).toBe("cannot open 'in.csv': permission denied (EACCES)");
    // an unknown code: the first clause of Node's message, less a leading "CODE:" and the spaces after it
    const unknown: Array<[string, string]> = [
      ['ECONNRESET: connection reset by peer, read', 'connection reset by peer'],
      ['ECONNRESET:reset\nat Socket', 'reset'],
      ['ECONNRESET:   wide gap, x', 'wide gap'],
      ['socket ECONNRESET: hang up', 'socket ECONNRESET: hang up'],
    ];
    for (const [message, reason] of unknown) {
      expect((fileSystemError(errnoError('ECONNRESET', message), 'out.csv') as Error).message, message).toBe(`cannot write 'out.csv': ${reason} (ECONNRESET)`);
    }
    // anything else comes back as it was
    const typed = new SegmentaError('OUTPUT_REFUSED', 'no');
    expect(fileSystemError(typed, 'x')).toBe(typed);
    const bug = new TypeError('bug');
    expect(fileSystemError(bug, 'x')).toBe(bug);
  });
});

describe('column folds', () => {
  // 3 rows × 2 columns
  const data = Float32Array.of(1, -2, 4, 8, -3, 5);

  it('sums, squared deviations and ranges per column; only the first cols entries of the carry change', () => {
    expect(Array.from(foldColumnSums(data, 2, Float64Array.of(10, 20, 99)))).toEqual([10 + 1 + 4 - 3, 20 - 2 + 8 + 5, 99]);
    const center = Float64Array.of(1, 2);
    expect(Array.from(foldSquaredDeviations(data, 2, center, Float64Array.of(0, 0, 99)))).toEqual([0 + 9 + 16, 16 + 36 + 9, 99]);
    const min = Float64Array.of(Infinity, Infinity, 99);
    const max = Float64Array.of(-Infinity, -Infinity, -99);
    foldColumnRange(data, 2, min, max);
    expect(Array.from(min)).toEqual([-3, -2, 99]);
    expect(Array.from(max)).toEqual([4, 8, -99]);
  });

  it('continues a fold shard after shard from foldStart: the same doubles as one pass over all rows', () => {
    expect(Array.from(foldStart({ kind: 'sum' }, 2))).toEqual([0, 0]);
    expect(Array.from(foldStart({ kind: 'range' }, 2))).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
    const folds = [
      { fold: { kind: 'sum' as const }, want: [1 + 4 - 3, -2 + 8 + 5] },
      { fold: { kind: 'squares' as const, center: Float64Array.of(1, 2) }, want: [0 + 9 + 16, 16 + 36 + 9] },
      { fold: { kind: 'range' as const }, want: [-3, -2, 4, 8] },
    ];
    for (const { fold, want } of folds) {
      let carry = foldStart(fold, 2);
      expect(carry).toHaveLength(want.length);
      for (const shard of [data.subarray(0, 2), data.subarray(2, 2), data.subarray(2)]) carry = continueFold(fold, shard, 2, carry);
      expect(Array.from(carry), fold.kind).toEqual(want);
    }
  });
});

describe('packageVersion', () => {
  it("is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });

  it("reads the first package.json named segmenta, in the folder or one of its 4 parents; else 'unknown'", () => {
    const root = mkdtempSync(join(tmpdir(), 'segmenta-version-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'segmenta', version: '9.8.7' }));
      const deep = join(root, 'a', 'b', 'c', 'd', 'e');
      mkdirSync(deep, { recursive: true });
      expect(packageVersion(root)).toBe('9.8.7');
      expect(packageVersion(join(root, 'a', 'b', 'c', 'd'))).toBe('9.8.7');
      expect(packageVersion(deep)).toBe('unknown');
      // another package's package.json on the way is passed over, as is one without a version
      writeFileSync(join(root, 'a', 'b', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
      writeFileSync(join(root, 'a', 'package.json'), JSON.stringify({ name: 'segmenta' }));
      expect(packageVersion(join(root, 'a', 'b', 'c'))).toBe('9.8.7');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('validateMatrixShape', () => {
  const HOW = 'build one with matrixFromRows(rows) or matrixFrom(data, rows, cols)';
  const shape = (rows: number, cols: number, length = rows * cols): Matrix => ({ data: new Float32Array(length), rows, cols });

  it('accepts rows × cols float32 values, and rows × 0 only when asked to', async () => {
    expect(() => validateMatrixShape(shape(3, 2))).not.toThrow();
    expect(() => validateMatrixShape(shape(3, 0), 'numeric data', true)).not.toThrow();
    for (const e of [await thrown(() => validateMatrixShape(shape(3, 0))), await thrown(() => validateMatrixShape(shape(3, 0), 'data', false))]) {
      expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', message: 'data has 0 feature columns (shape 3 × 0): at least 1 is required' });
      expect(e.details).toEqual({ rows: 3, cols: 0 });
    }
  });

  it('names what it got instead of a matrix, and how to build one', async () => {
    const got: Array<[unknown, string]> = [
      [null, 'null'],
      [5, 'number 5'],
      ['abc', 'string abc'],
      [[[1, 2]], 'a plain array'],
      [Float32Array.of(1, 2), 'a Float32Array'],
    ];
    for (const [value, kind] of got) {
      const e = await thrown(() => validateMatrixShape(value as Matrix, 'matrix'));
      expect(e.code).toBe('INVALID_DATA');
      expect(e.message).toBe(`matrix must be a matrix { data: Float32Array, rows, cols }, got ${kind}; ${HOW}`);
      expect(e.details).toEqual({ got: kind });
    }
    expect((await thrown(() => validateMatrixShape(null as unknown as Matrix))).message).toBe(`data must be a matrix { data: Float32Array, rows, cols }, got null; ${HOW}`);
  });

  it('wants data as a Float32Array, with a hint to convert float64 and plain arrays', async () => {
    const hint = '; segmenta computes in float32: convert with Float32Array.from(data) (values round to float32)';
    const got: Array<[unknown, string, string]> = [
      [new Float64Array(2), 'a Float64Array', hint],
      [[1, 2], 'a plain array', hint],
      [new Int32Array(2), 'a Int32Array', ''],
    ];
    for (const [data, kind, tail] of got) {
      const e = await thrown(() => validateMatrixShape({ data, rows: 1, cols: 2 } as Matrix));
      expect(e.code).toBe('INVALID_DATA');
      expect(e.message).toBe(`data.data must be a Float32Array of rows × cols values, got ${kind}${tail}`);
      expect(e.details).toEqual({ got: kind });
    }
  });

  it('rejects a shape that is not two integers >= 0, even when its product matches the data', async () => {
    for (const [rows, cols, length] of [
      [1.5, 2, 3],
      [2, 1.5, 3],
      [-1, 0, 0],
      [0, -2, 0],
    ] as const) {
      const e = await thrown(() => validateMatrixShape(shape(rows, cols, length)));
      expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', message: `data has an invalid shape ${rows} × ${cols}` });
      expect(e.details).toEqual({ rows, cols });
    }
  });

  it('states how many values the shape needs, and that it needs a row', async () => {
    const e = await thrown(() => validateMatrixShape(shape(4, 2, 7), 'profile data'));
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', message: 'profile data holds 7 values but its shape 4 × 2 needs 8' });
    expect(e.details).toEqual({ rows: 4, cols: 2, length: 7 });
    const empty = await thrown(() => validateMatrixShape(shape(0, 3), 'data', true));
    expect(empty).toMatchObject({ code: 'EMPTY_TABLE', message: 'data has no rows (shape 0 × 3): at least 1 is required' });
    expect(empty.details).toEqual({ rows: 0, cols: 3 });
  });
});

describe('scanFinite and validateFiniteMatrix', () => {
  const NOT_ALLOWED = 'NaN and infinite values are not allowed';

  it('name the first NaN or ±Infinity by its 1-based row and feature, and the feature name when given', async () => {
    const m: Matrix = { data: Float32Array.of(1, 2, 3, 4, 5, NaN), rows: 2, cols: 3 };
    const e = await thrown(() => validateFiniteMatrix(m));
    expect(e).toMatchObject({ code: 'NON_FINITE_VALUE', message: `data row 2, feature 3 is NaN: ${NOT_ALLOWED}` });
    expect(e.details).toEqual({ row: 2, column: 3, value: NaN });
    const names = ['age', 'income', 'score'];
    expect((await thrown(() => validateFiniteMatrix(m, 'profile data', names))).message).toBe(`profile data row 2, feature 3 ('score') is NaN: ${NOT_ALLOWED}`);
    const first: Matrix = { data: Float32Array.of(1, 2, 3, -Infinity, 5, 6), rows: 2, cols: 3 };
    expect((await thrown(() => validateFiniteMatrix(first, 'data', names))).message).toBe(`data row 2, feature 1 ('age') is -Infinity: ${NOT_ALLOWED}`);
    // the shape comes first, with the same defaults as validateMatrixShape
    const noColumns: Matrix = { data: new Float32Array(0), rows: 3, cols: 0 };
    expect((await thrown(() => validateFiniteMatrix(noColumns))).message).toBe('data has 0 feature columns (shape 3 × 0): at least 1 is required');
    expect(() => validateFiniteMatrix(noColumns, 'the rows to number', undefined, true)).not.toThrow();
  });

  it('scanFinite returns the largest magnitude of the values in [from, to)', async () => {
    const m: Matrix = { data: Float32Array.of(3, -1, -5, 2, 0, NaN), rows: 3, cols: 2 };
    expect(scanFinite(m, 0, 2, 'data')).toBe(3);
    expect(scanFinite(m, 2, 4, 'data')).toBe(5);
    expect(scanFinite(m, 0, 5, 'data')).toBe(5);
    expect(scanFinite(m, 4, 5, 'data')).toBe(0);
    expect((await thrown(() => scanFinite(m, 2, 6, 'data'))).message).toBe(`data row 3, feature 2 is NaN: ${NOT_ALLOWED}`);
  });
});

describe('validateLabels', () => {
  it('accepts one integer per row, in any array-like', () => {
    expect(() => validateLabels(Int32Array.of(0, 1, 0), 3)).not.toThrow();
    expect(() => validateLabels([0, 1, 2], 3)).not.toThrow();
    expect(() => validateLabels(Float64Array.of(0, -1), 2)).not.toThrow();
  });

  it('names what it got instead of an array', async () => {
    for (const [value, kind] of [
      [null, 'null'],
      [3, 'number 3'],
      ['abc', 'string abc'],
      [{}, 'an object'],
    ] as const) {
      const e = await thrown(() => validateLabels(value as unknown as ArrayLike<number>, 3));
      expect(e).toMatchObject({ code: 'INVALID_OPTION', message: `labels must be an array of integers (one per row), got ${kind}` });
      expect(e.details).toEqual({ got: kind });
    }
  });

  it('names the lengths that differ, and the first row whose label is not an integer', async () => {
    const short = await thrown(() => validateLabels([0, 1], 3));
    expect(short).toMatchObject({ code: 'SHAPE_MISMATCH', message: '2 labels for 3 rows: give one label per row' });
    expect(short.details).toEqual({ labels: 2, rows: 3 });
    expect((await thrown(() => validateLabels([0], 2, 'labels of k = 2'))).message).toBe('1 labels of k = 2 for 2 rows: give one label per row');
    const fraction = await thrown(() => validateLabels([0, 1, 2.5, 0.5], 4));
    expect(fraction).toMatchObject({ code: 'INVALID_OPTION', message: 'labels must be integers, got 2.5 at row 3' });
    expect(fraction.details).toEqual({ row: 3, value: 2.5 });
    expect((await thrown(() => validateLabels(Float64Array.of(NaN, 1), 2, 'segments'))).message).toBe('segments must be integers, got NaN at row 1');
  });
});

describe('validateSampleWeight', () => {
  const option = 'sampleWeight';

  it('returns the weights as a Float64Array: the same array when it is one, else a copy', () => {
    const w = Float64Array.of(1, 0, 2);
    expect(validateSampleWeight(w, 3)).toBe(w);
    const plain = [0, 0, 2.5];
    const copy = validateSampleWeight(plain, 3);
    expect(copy).toBeInstanceOf(Float64Array);
    expect(Array.from(copy)).toEqual(plain);
  });

  it('names what it got instead of an array, and lengths that differ', async () => {
    for (const [value, kind] of [
      [null, 'null'],
      [2, 'number 2'],
      ['ab', 'string ab'],
      [{}, 'an object'],
    ] as const) {
      const e = await thrown(() => validateSampleWeight(value as unknown as ArrayLike<number>, 2));
      expect(e).toMatchObject({ code: 'INVALID_OPTION', message: `sampleWeight must be an array of numbers (one weight per row), got ${kind}` });
      expect(e.details).toEqual({ option, got: kind });
    }
    const short = await thrown(() => validateSampleWeight([1, 2], 3));
    expect(short).toMatchObject({ code: 'SHAPE_MISMATCH', message: 'sampleWeight holds 2 weights for 3 rows: give one weight per row' });
    expect(short.details).toEqual({ option, length: 2, rows: 3 });
  });

  it('names the first row whose weight is not a finite number, or is negative', async () => {
    const nan = await thrown(() => validateSampleWeight([1, NaN, -1], 3));
    expect(nan).toMatchObject({ code: 'NON_FINITE_VALUE', message: 'sampleWeight row 2 is NaN: weights must be finite numbers' });
    expect(nan.details).toEqual({ option, row: 2, value: NaN });
    expect((await thrown(() => validateSampleWeight([Infinity], 1))).message).toBe('sampleWeight row 1 is Infinity: weights must be finite numbers');
    const text = await thrown(() => validateSampleWeight(['1', 1] as unknown as number[], 2));
    expect(text).toMatchObject({ code: 'NON_FINITE_VALUE', message: 'sampleWeight row 1 is 1: weights must be finite numbers' });
    const negative = await thrown(() => validateSampleWeight([1, 2, -0.5], 3, "weight column 'Visits'"));
    expect(negative).toMatchObject({ code: 'INVALID_OPTION', message: "weight column 'Visits' row 3 is -0.5: weights must be >= 0" });
    expect(negative.details).toEqual({ option, row: 3, value: -0.5 });
  });

  it('needs one positive weight, and a finite total', async () => {
    const zeros = await thrown(() => validateSampleWeight([0, 0, 0], 3));
    expect(zeros).toMatchObject({ code: 'INVALID_OPTION', message: 'sampleWeight: all 3 weights are 0; at least one row needs a positive weight' });
    expect(zeros.details).toEqual({ option, rows: 3 });
    const huge = await thrown(() => validateSampleWeight([1e308, 1e308], 2));
    expect(huge).toMatchObject({ code: 'VALUE_TOO_LARGE', message: 'sampleWeight: the weights add up to Infinity; scale them down' });
    expect(huge.details).toEqual({ option, total: Infinity });
  });
});

describe('kindOf', () => {
  it('describes a value of the wrong kind in a few words', () => {
    expect([null, undefined, [1], new Float64Array(1), {}, 'abc', 7].map(kindOf)).toEqual(['null', 'undefined', 'a plain array', 'a Float64Array', 'an object', 'string abc', 'number 7']);
  });
});

describe('groupDigits', () => {
  it("writes what toLocaleString('en-US') writes, for integers and fixed fraction digits", () => {
    const random = new SeededRandom(5);
    for (let i = 0; i < 2_000; i++) {
      const digits = i % 4;
      const v = (random.nextFloat() - 0.3) * 10 ** (random.nextFloat() * 12);
      if (Object.is(Math.round(v), -0)) continue;
      expect(groupDigits(Math.round(v))).toBe(Math.round(v).toLocaleString('en-US'));
      expect(groupDigits(v, digits)).toBe(v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
    }
  });
  it('groups by threes from the decimal point, keeps the sign, and leaves non-finite values alone', () => {
    expect([0, 7, 999, 1000, 12345, 123456, 1234567, -1000, -999].map((v) => groupDigits(v))).toEqual(['0', '7', '999', '1,000', '12,345', '123,456', '1,234,567', '-1,000', '-999']);
    expect(groupDigits(1234.5678, 2)).toBe('1,234.57');
    expect(groupDigits(-9876.5, 2)).toBe('-9,876.50');
    expect(groupDigits(0.12345, 3)).toBe('0.123');
    expect(groupDigits(1_000_000.4)).toBe('1,000,000');
    expect(groupDigits(-0)).toBe('0');
    expect([NaN, Infinity, -Infinity].map((v) => groupDigits(v))).toEqual(['NaN', 'Infinity', '-Infinity']);
  });
});
