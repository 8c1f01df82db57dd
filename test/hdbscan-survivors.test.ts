/**
 * HDBSCAN and the k-distance search, against the survivors of the first
 * `drivers-hdbscan` mutation run (docs/testing.md): Prim's spanning tree with
 * ties compared with a plain Prim written here, the labels, probabilities and
 * GLOSH scores recomputed from the condensed tree by a plain recursive
 * reading of the definitions, progress percentages, timings, refusals, and
 * the heapsort fallback on a sub-range.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { TimeSlicer } from '../src/common/time-slice.js';
import { fitHdbscan, heapArgsort, mutualReachabilityMst, type CondensedTree, type HdbscanResult } from '../src/drivers/density/hdbscan.js';
import { kDistanceCurve } from '../src/drivers/density/k-distance.js';
import { lattice } from './helpers/lattice.js';

/** Three groups apart on the second feature only, their rows interleaved, plus a few far rows. */
function interleavedGroups(perGroup: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  for (let i = 0; i < perGroup; i++) for (const centre of [0, 40, 80]) rows.push([rng.nextFloat() * 10, centre + rng.nextFloat() * 6]);
  rows.push([5, 20], [5, 60], [200, 200]);
  return matrixFromRows(rows);
}

/** Distance as the fit computes it: float64 from the float32 values, features in order. */
function distance(m: Matrix, i: number, j: number): number {
  let acc = 0;
  for (let f = 0; f < m.cols; f++) {
    const t = m.data[i * m.cols + f]! - m.data[j * m.cols + f]!;
    acc += t * t;
  }
  return Math.sqrt(acc);
}

/** Prim from row 0 over the full mutual reachability matrix: strict improvement, lowest row number among equal candidates. */
function plainPrim(m: Matrix, core: Float64Array): { a: number[]; b: number[]; w: number[] } {
  const n = m.rows;
  const inTree = new Array<boolean>(n).fill(false);
  const best = new Array<number>(n).fill(Infinity);
  const from = new Array<number>(n).fill(0);
  const a: number[] = [];
  const b: number[] = [];
  const w: number[] = [];
  let current = 0;
  inTree[0] = true;
  for (let step = 0; step < n - 1; step++) {
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const mr = Math.max(core[current]!, core[j]!, distance(m, current, j));
      if (mr < best[j]!) {
        best[j] = mr;
        from[j] = current;
      }
    }
    let next = -1;
    for (let j = 0; j < n; j++) if (!inTree[j] && (next < 0 || best[j]! < best[next]!)) next = j;
    a.push(from[next]!);
    b.push(next);
    w.push(best[next]!);
    inTree[next] = true;
    current = next;
  }
  return { a, b, w };
}

/**
 * Labels, probabilities and GLOSH scores read from a condensed tree the plain
 * way: maps, recursion and the definitions of the hdbscan module comment.
 */
function readCondensedTree(tree: CondensedTree, n: number): { labels: number[]; probabilities: number[]; outlierScores: number[] } {
  const rows = tree.parent.length;
  const childrenOf = new Map<number, number[]>();
  const parentOf = new Map<number, number>();
  const birth = new Map<number, number>([[n, 0]]);
  const leftAt = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    const p = tree.parent[r]!;
    const c = tree.child[r]!;
    parentOf.set(c, p);
    leftAt.set(c, tree.lambda[r]!);
    if (!childrenOf.has(p)) childrenOf.set(p, []);
    if (c >= n) {
      childrenOf.get(p)!.push(c);
      birth.set(c, tree.lambda[r]!);
    }
  }
  const clusterIds = [...birth.keys()].sort((x, y) => x - y);
  const stability = new Map<number, number>(clusterIds.map((c) => [c, 0]));
  const directDeath = new Map<number, number>(clusterIds.map((c) => [c, 0]));
  for (let r = 0; r < rows; r++) {
    const p = tree.parent[r]!;
    stability.set(p, stability.get(p)! + (tree.lambda[r]! - birth.get(p)!) * tree.childSize[r]!);
    directDeath.set(p, Math.max(directDeath.get(p)!, tree.lambda[r]!));
  }
  // Excess of mass: a cluster is worth max(own stability, its children's worth summed as a float32).
  const selected = new Set<number>();
  const worth = (c: number): number => {
    const kids = childrenOf.get(c) ?? [];
    if (kids.length === 0) {
      selected.add(c);
      return stability.get(c)!;
    }
    const sum = Math.fround(kids.reduce((s, k) => s + worth(k), 0));
    if (sum > stability.get(c)!) return sum;
    const drop = (x: number): void => {
      selected.delete(x);
      for (const k of childrenOf.get(x) ?? []) drop(k);
    };
    for (const k of kids) drop(k);
    selected.add(c);
    return stability.get(c)!;
  };
  for (const k of childrenOf.get(n) ?? []) worth(k);
  const numbers = new Map([...selected].sort((x, y) => x - y).map((c, i) => [c, i]));
  const subtreeDeath = (c: number): number => Math.max(directDeath.get(c)!, ...(childrenOf.get(c) ?? []).map(subtreeDeath));
  const labels: number[] = [];
  const probabilities: number[] = [];
  const outlierScores: number[] = [];
  for (let x = 0; x < n; x++) {
    const p = parentOf.get(x)!;
    const lambda = leftAt.get(x)!;
    let s: number | undefined = p;
    while (s !== undefined && !selected.has(s)) s = parentOf.get(s);
    const glosh = subtreeDeath(p);
    outlierScores.push(Number.isFinite(lambda) ? (glosh - lambda) / glosh : 0);
    if (s === undefined) {
      labels.push(-1);
      probabilities.push(0);
    } else {
      labels.push(numbers.get(s)!);
      const top = directDeath.get(s)!;
      probabilities.push(Number.isFinite(lambda) ? Math.min(lambda, top) / top : 1);
    }
  }
  return { labels, probabilities, outlierScores };
}

describe("Prim's spanning tree of the mutual reachability distance", () => {
  it.each([
    ['integers in 0..5 × 2 features, minSamples 2', lattice(60, 2, 1, 6), 2],
    ['integers in 0..3 × 3 features, minSamples 1', lattice(50, 3, 2, 4), 1],
    ['interleaved groups apart on the second feature, minSamples 3', interleavedGroups(15, 3), 3],
  ] as const)('%s: the same edges, in the same order, as a plain Prim over the full matrix', async (_name, m, minSamples) => {
    const fit = await fitHdbscan(m, { minClusterSize: 4, minSamples });
    const mst = await mutualReachabilityMst(m, fit.coreDistances, new TimeSlicer(), undefined);
    const expected = plainPrim(m, fit.coreDistances);
    expect(Array.from(mst.b)).toEqual(expected.b);
    expect(Array.from(mst.a)).toEqual(expected.a);
    expect(Array.from(mst.w)).toEqual(expected.w);
  });

  it('groups apart only on the second feature, rows interleaved: each group is one cluster', async () => {
    const m = interleavedGroups(15, 4);
    const fit = await fitHdbscan(m, { minClusterSize: 5 });
    expect(fit.clusters).toBe(3);
    for (let i = 0; i < 45; i++) expect(fit.labels[i], `row ${i}`).toBe(fit.labels[i % 3]);
    expect(new Set([fit.labels[0], fit.labels[1], fit.labels[2]]).size).toBe(3);
    expect(fit.labels[47]).toBe(-1);
  });
});

describe('labels, probabilities and GLOSH from the condensed tree', () => {
  const cases: Array<[string, Matrix, number, number | undefined]> = [
    ['three groups, interleaved, with far rows', interleavedGroups(20, 5), 5, undefined],
    ['integers in 0..19 × 2', lattice(120, 2, 6, 20), 4, 2],
    ['integers in 0..11 × 2 (many ties)', lattice(80, 2, 7, 12), 3, 2],
    ['a nested group: a tight core inside a loose group, and a second group', nestedGroups(8), 4, 2],
  ];
  it.each(cases)('%s: the fit agrees with a plain reading of its own tree', async (_name, m, minClusterSize, minSamples) => {
    const fit = await fitHdbscan(m, { minClusterSize, ...(minSamples !== undefined ? { minSamples } : {}) });
    const t = fit.condensedTree;
    expect(t.child.length).toBe(t.parent.length);
    expect(t.lambda.length).toBe(t.parent.length);
    expect(t.childSize.length).toBe(t.parent.length);
    const read = readCondensedTree(t, m.rows);
    expect(Array.from(fit.labels)).toEqual(read.labels);
    expect(Array.from(fit.probabilities)).toEqual(read.probabilities);
    expect(Array.from(fit.outlierScores)).toEqual(read.outlierScores);
    // Not a trivial tree: some clustered row has a membership below 1, some row a GLOSH score above 0.
    expect(fit.clusters).toBeGreaterThan(0);
    expect(read.probabilities.some((p, i) => read.labels[i]! >= 0 && p < 1)).toBe(true);
    expect(read.outlierScores.some((s) => s > 0)).toBe(true);
  });
});

/** A loose group with a tight core of 12 rows inside it, and a second group: clusters under clusters. */
function nestedGroups(seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  for (let i = 0; i < 12; i++) rows.push([rng.nextFloat(), rng.nextFloat()]);
  for (let i = 0; i < 30; i++) rows.push([rng.nextFloat() * 12 - 6, rng.nextFloat() * 12 - 6]);
  for (let i = 0; i < 25; i++) rows.push([40 + rng.nextFloat() * 4, rng.nextFloat() * 4]);
  rows.push([20, 30]);
  return matrixFromRows(rows);
}

describe('progress percentages (a clock that makes every slice due)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** performance.now advancing 20 ms per call: every time-slice check is due. */
  function fastClock(): void {
    let now = performance.now();
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 20));
  }

  function percents(events: ProgressEvent[], prefix: string): number[] {
    const out: number[] = [];
    for (const e of events) {
      if (e.kind !== 'phase') continue;
      const match = new RegExp(`^${prefix}: (-?\\d+)%$`).exec(e.detail ?? '');
      if (match) out.push(Number(match[1]));
    }
    return out;
  }

  function checkPercents(values: number[], what: string): void {
    expect(values.length, what).toBeGreaterThan(5);
    expect(values[0], `${what}: first`).toBeGreaterThanOrEqual(0);
    expect(values.at(-1), `${what}: last`).toBe(100);
    for (let i = 1; i < values.length; i++) expect(values[i]!, `${what}: event ${i}`).toBeGreaterThanOrEqual(values[i - 1]!);
  }

  it('HDBSCAN reports core distances and the spanning tree from 0% to 100%, in order', async () => {
    const m = lattice(40, 2, 9, 20);
    const events: ProgressEvent[] = [];
    fastClock();
    const fit = await fitHdbscan(m, { minClusterSize: 4, onProgress: (e) => events.push(e) });
    vi.restoreAllMocks();
    expect(fit.labels.length).toBe(40);
    expect(events.every((e) => e.kind === 'phase' && e.phase === 'hdbscan')).toBe(true);
    const core = percents(events, 'core distances');
    const tree = percents(events, 'spanning tree');
    checkPercents(core, 'core distances');
    checkPercents(tree, 'spanning tree');
    const details = events.map((e) => (e.kind === 'phase' ? e.detail : ''));
    expect(details.indexOf('core distances')).toBeLessThan(details.indexOf(`core distances: ${core[0]}%`));
    expect(details.lastIndexOf(`core distances: 100%`)).toBeLessThan(details.indexOf('spanning tree'));
  });

  it('the k-distance curve reports its queries from 0% to 100%', async () => {
    const m = lattice(40, 2, 10, 20);
    const events: ProgressEvent[] = [];
    fastClock();
    await kDistanceCurve(m, { k: 3, onProgress: (e) => events.push(e) });
    vi.restoreAllMocks();
    expect(events.every((e) => e.kind === 'phase' && e.phase === 'k-distance')).toBe(true);
    const values = events.map((e) => (e.kind === 'phase' ? /^(-?\d+)%$/.exec(e.detail ?? '') : null)).map((x) => (x ? Number(x[1]) : NaN));
    expect(values.every((v) => Number.isInteger(v))).toBe(true);
    checkPercents(values, 'k-distance');
  });
});

describe('HDBSCAN timings and refusals', () => {
  it.each([
    ['one row (the early return)', matrixFromRows([[1, 2]])],
    ['forty rows', lattice(40, 2, 11, 20)],
  ])('%s: seconds is the fit’s own wall time', async (_name, m) => {
    const t0 = performance.now();
    const fit: HdbscanResult = await fitHdbscan(m, { minClusterSize: 3 });
    const wall = (performance.now() - t0) / 1000;
    expect(fit.seconds).toBeGreaterThanOrEqual(0);
    expect(fit.seconds).toBeLessThanOrEqual(wall);
  });

  it('options that are not an object name the function; bad data names the matrix', async () => {
    const notOptions = (await fitHdbscan(matrixFromRows([[1], [2]]), 5 as never).catch((x: unknown) => x)) as SegmentaError;
    expect(notOptions.code).toBe('INVALID_OPTION');
    expect(notOptions.message).toMatch(/^fitHdbscan needs an options object, got/);
    const curve = (await kDistanceCurve(matrixFromRows([[1], [2]]), 'x' as never).catch((x: unknown) => x)) as SegmentaError;
    expect(curve.code).toBe('INVALID_OPTION');
    expect(curve.message).toMatch(/^kDistanceCurve needs an options object, got/);
    const ragged = (await fitHdbscan({ data: new Float32Array(3), rows: 2, cols: 2 }).catch((x: unknown) => x)) as SegmentaError;
    expect(ragged).toBeInstanceOf(SegmentaError);
    expect(ragged.message).toMatch(/^data\b/);
  });
});

describe('heapArgsort on a sub-range whose left neighbour is smaller', () => {
  it('t[pl - 1] and everything outside pl..pr stay as they were', () => {
    // The value before the range (0) is below every value in it, which a sift from position 0 would pull in.
    const v = Float64Array.from([0, 5, 3, 9, 1, 7, 2, 8, 4]);
    const t = Int32Array.from({ length: v.length }, (_, i) => i);
    heapArgsort(v, t, 1, 7);
    expect(t[0]).toBe(0);
    expect(t[8]).toBe(8);
    expect(Array.from(t.subarray(1, 8), (i) => v[i]!)).toEqual([1, 2, 3, 5, 7, 8, 9]);
  });
});
