/**
 * src/common: the seeded generator every random choice comes from, Floyd's
 * sampler, typed errors and abort handling, the matrix helpers.
 */
import { describe, expect, it } from 'vitest';
import { AbortedError, SegmentaError, isUserError, throwIfAborted } from '../src/common/errors.js';
import { matrixFrom, matrixFromRows } from '../src/common/matrix.js';
import { SeededRandom, sampleIndices } from '../src/common/seeded-random.js';

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
