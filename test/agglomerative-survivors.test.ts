/**
 * The agglomerative driver, pinned where the unit's first StrykerJS run (on
 * 6caa739) left mutants alive: the public merge functions' raw output on points
 * small enough to follow by hand, their progress and abort checks (with a clock
 * that makes every pause due), the pause points of the tree's steps, the
 * dendrogram top of tiny trees, the driver's refusals before any work, the job
 * and K-Means options it passes on, and the distance matrix's kernel blocks.
 * Each expected value is worked out in a comment or from the definitions.
 * docs/testing.md lists every survivor and the test that kills it.
 */
import { describe, expect, it, vi } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { KernelBackend, KernelJob } from '../src/backends/kernel-contract.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SLICE_MS } from '../src/common/time-slice.js';
import { computeCondensedDistances, condensedIndex } from '../src/drivers/agglomerative/condensed-distances.js';
import { cutTreeSteps, sortAndRelabelSteps } from '../src/drivers/agglomerative/linkage-tree.js';
import {
  dendrogramTop,
  compareClusterings,
  fitAgglomerative,
  linkageRows,
  matrixFreeMerges,
  mstSingleMerges,
  nnChainMerges,
  relabelMerges,
  sortAndRelabel,
  type LinkageTree,
} from '../src/drivers/agglomerative/index.js';
import { recordingBackend } from './helpers/recording-backend.js';
import { thrown } from './helpers/thrown.js';

// Points 0, 5, 3, 11 on a line (slots 0..3).
const points = [0, 5, 3, 11];
const line = matrixFromRows(points.map((p) => [p]));

/** The float64 condensed distances |a − b| of `values`. */
function condensed(values: number[]): Float64Array {
  const n = values.length;
  const D = new Float64Array((n * (n - 1)) / 2);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) D[condensedIndex(n, i, j)] = Math.abs(values[i]! - values[j]!);
  return D;
}

/** A js job over `m` (dispose it). */
function jobOf(m: Matrix): Promise<KernelJob> {
  return jsReferenceBackend.createJob(m.data, m.rows, m.cols);
}

/** Rows of four of a raw merge array. */
function rowsOf(z: Float64Array): number[][] {
  return Array.from({ length: z.length / 4 }, (_, i) => Array.from(z.subarray(4 * i, 4 * i + 4)));
}

/** `actual` equals `expected` row by row, the distance column to 1e-10. */
function expectRows(actual: number[][], expected: number[][]): void {
  expect(actual.map((r) => [r[0], r[1], r[3]])).toEqual(expected.map((r) => [r[0], r[1], r[3]]));
  actual.forEach((r, i) => expect(r[2]).toBeCloseTo(expected[i]![2]!, 10));
}

/** The merging reports' details. */
function merging(events: ProgressEvent[]): string[] {
  return events.filter((e) => e.kind === 'phase' && e.phase === 'merging').map((e) => (e as { detail?: string }).detail ?? '');
}

/** Runs `work` with a clock that advances exactly SLICE_MS per reading, so that every pause of a merge loop is due. */
async function withSliceClock<T>(work: () => Promise<T>): Promise<T> {
  let t = 0;
  const now = vi.spyOn(performance, 'now').mockImplementation(() => (t += SLICE_MS));
  try {
    return await work();
  } finally {
    now.mockRestore();
  }
}

// Ward by the chain, worked by hand. From slot 0: its nearest is 2 (3), 2's is 1 (2), 1's is 2 again:
// merge (1, 2) at 2, size 2, kept in slot 2 (centroid 4). The chain is back to [0]: 0's nearest is now
// {1,2} at sqrt(2·1·2/3)·4, and {1,2}'s is 0: merge (0, 2), size 3 (centroid 8/3). Last (2, 3) at
// sqrt(2·3·1/4)·(11 − 8/3). Each row (x, y, height, nx + ny) with x < y, in the order found.
const wardRaw = [
  [1, 2, 2, 2],
  [0, 2, Math.sqrt(4 / 3) * 4, 3],
  [2, 3, Math.sqrt(1.5) * (11 - 8 / 3), 4],
];
// Prim from 0: 2 at 3; from 2: 1 at 2 (|5 − 3|); from 1: 3 at 6 (|11 − 5| < |11 − 3|). Size column 0.
const primRaw = [
  [0, 2, 3, 0],
  [2, 1, 2, 0],
  [1, 3, 6, 0],
];

describe('the public merge functions: n − 1 raw rows in slot numbering (points 0, 5, 3, 11)', () => {
  it('nnChainMerges (ward) and matrixFreeMerges (ward): x < y, the merged cluster in the larger slot, size nx + ny', async () => {
    expectRows(rowsOf(await nnChainMerges(condensed(points), 4, 'ward')), wardRaw);
    const job = await jobOf(line);
    try {
      expectRows(rowsOf(await matrixFreeMerges(job, 'ward')), wardRaw);
    } finally {
      await job.dispose();
    }
  });

  it('mstSingleMerges and matrixFreeMerges (single): Prim’s edges in the order closed', async () => {
    expectRows(rowsOf(await mstSingleMerges(condensed(points), 4)), primRaw);
    const job = await jobOf(line);
    try {
      expectRows(rowsOf(await matrixFreeMerges(job, 'single')), primRaw);
    } finally {
      await job.dispose();
    }
  });

  it('sortAndRelabel and relabelMerges give scipy’s numbering: merge i is cluster 4 + i, left < right', () => {
    // ward: (1,2) → 4; 0 with {1,2} = 4 → 5; 3 with 5 → 6. single, sorted by height: (2,1) at 2, (0,2) at 3, (1,3) at 6.
    const ward = [
      [1, 2, 2, 2],
      [0, 4, wardRaw[1]![2]!, 3],
      [3, 5, wardRaw[2]![2]!, 4],
    ];
    expectRows(rowsOf(sortAndRelabel(Float64Array.from(wardRaw.flat()), 4)), ward);
    const inPlace = Float64Array.from(wardRaw.flat());
    relabelMerges(inPlace, 4);
    expectRows(rowsOf(inPlace), ward);
    expectRows(rowsOf(sortAndRelabel(Float64Array.from(primRaw.flat()), 4)), [
      [1, 2, 2, 2],
      [0, 4, 3, 3],
      [3, 5, 6, 4],
    ]);
  });

  it('nothing to merge: one leaf gives no rows at once (an aborted signal has no work to stop); two leaves one row', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const signal = controller.signal;
    expect(Array.from(await nnChainMerges(new Float64Array(0), 1, 'average', undefined, { signal }))).toEqual([]);
    expect(Array.from(await mstSingleMerges(new Float64Array(0), 1, { signal }))).toEqual([]);
    const one = await jobOf(matrixFromRows([[4]]));
    try {
      for (const linkage of ['ward', 'single'] as const) expect(Array.from(await matrixFreeMerges(one, linkage, { signal })), linkage).toEqual([]);
    } finally {
      await one.dispose();
    }
    expect(Array.from(await mstSingleMerges(Float64Array.of(5), 2))).toEqual([0, 1, 5, 0]);
    expect(Array.from(await nnChainMerges(Float64Array.of(5), 2, 'complete'))).toEqual([0, 1, 5, 2]);
  });
});

describe('merge loops: progress and the abort check at every due pause (a clock that advances SLICE_MS per reading)', () => {
  type Run = (options: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void }) => Promise<Float64Array>;
  const loops: [string, Run][] = [
    ['nnChainMerges', (o) => nnChainMerges(condensed(points), 4, 'average', undefined, o)],
    ['mstSingleMerges', (o) => mstSingleMerges(condensed(points), 4, o)],
    ...(['ward', 'single'] as const).map((linkage): [string, Run] => [
      `matrixFreeMerges ${linkage}`,
      async (o) => {
        const job = await jobOf(line);
        try {
          return await matrixFreeMerges(job, linkage, o);
        } finally {
          await job.dispose();
        }
      },
    ]),
  ];

  for (const [name, run] of loops) {
    it(`${name}: each of the 3 merges reports "k of 3 merges"; an aborted signal stops it at the first pause`, async () => {
      const events: ProgressEvent[] = [];
      await withSliceClock(() => run({ onProgress: (e) => events.push(e) }));
      expect(merging(events)).toEqual(['1 of 3 merges', '2 of 3 merges', '3 of 3 merges']);
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const stopped: ProgressEvent[] = [];
      const e = await thrown(() => withSliceClock(() => run({ signal: controller.signal, onProgress: (ev) => stopped.push(ev) })));
      expect([e.code, e.message]).toEqual(['ABORTED', 'aborted: stop']);
      expect(merging(stopped)).toEqual(['1 of 3 merges']);
    });
  }
});

describe('the tree steps pause once per 4,096 items (STEP_MASK) and no more', () => {
  // 4,097 leaves merged one by one into the cluster of leaf 0: raw row i = (0, i + 1, h_i), heights with ties.
  const leaves = 4097;
  const count = leaves - 1;
  const heights = Array.from({ length: count }, (_, i) => (i * 7919) % 97);
  const raw = new Float64Array(4 * count);
  heights.forEach((h, i) => raw.set([0, i + 1, h, 0], 4 * i));

  /** Runs steps to the end, counting the pause points (`undefined` yields). */
  function drainCounting<T>(steps: Generator<unknown, T, void>): { value: T; pauses: number } {
    let pauses = 0;
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return { value: r.value, pauses };
      if (r.value === undefined) pauses++;
    }
  }

  it('sortAndRelabelSteps: a stable sort by height, relabelled; one pause per 4,096 moves, copies and relabels', () => {
    const { value: merges, pauses } = drainCounting(sortAndRelabelSteps(raw, leaves));
    expect(merges.length).toBe(4 * count);
    // a stable sort by height (Array.prototype.sort is stable)
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => heights[a]! - heights[b]!);
    // sorted row i joins leaf order[i] + 1 to the cluster of leaf 0: leaf 0 itself first, then merge leaves + i − 1
    const expected = order.map((o, i) => [i === 0 ? 0 : o + 1, i === 0 ? o + 1 : leaves + i - 1, heights[o]!, i + 2]);
    expect(rowsOf(merges)).toEqual(expected);
    // bottom-up merge sort: 12 passes of 4,096 moves (widths 1 .. 2,048), then 4,096 copies and 4,096 relabels
    let passes = 0;
    for (let width = 1; width < count; width *= 2) passes++;
    expect(passes).toBe(12);
    expect(pauses).toBe(Math.ceil((passes * count) / 4096) + 2 * Math.ceil(count / 4096));
  });

  it('cutTreeSteps: one pause per 4,096 merges kept and per 4,096 leaves labelled', () => {
    const tree: LinkageTree = { leaves, merges: sortAndRelabel(raw, leaves) };
    const all = drainCounting(cutTreeSteps(tree, 1));
    expect(all.value.every((l) => l === 0)).toBe(true);
    expect(all.pauses).toBe(Math.ceil(count / 4096) + Math.ceil(leaves / 4096));
    const apart = drainCounting(cutTreeSteps(tree, leaves));
    expect(Array.from(apart.value)).toEqual(Array.from({ length: leaves }, (_, i) => i));
    expect(apart.pauses).toBe(Math.ceil(leaves / 4096));
  });
});

describe('dendrogramTop of tiny trees', () => {
  it('two leaves: the root over both; four leaves: the default count keeps the 3 merges', () => {
    const two = dendrogramTop({ leaves: 2, merges: Float64Array.of(0, 1, 5, 2) });
    expect(two).toEqual({
      leafCount: 2,
      rootId: 2,
      merges: [{ id: 2, left: 0, right: 1, distance: 5, size: 2 }],
      leaves: [
        { id: 0, size: 1, height: 0 },
        { id: 1, size: 1, height: 0 },
      ],
    });
    // ward on 0, 5, 3, 11: 6 = (3, 5), 5 = (0, 4), 4 = (1, 2): drawn left to right 3, 0, 1, 2
    const top = dendrogramTop({ leaves: 4, merges: sortAndRelabel(Float64Array.from(wardRaw.flat()), 4) });
    expect(top.merges.map((m) => [m.id, m.left, m.right, m.size])).toEqual([
      [4, 1, 2, 2],
      [5, 0, 4, 3],
      [6, 3, 5, 4],
    ]);
    expect(top.leaves.map((l) => l.id)).toEqual([3, 0, 1, 2]);
  });

  it('one leaf: its size is the rows it holds (two-stage of identical rows: one micro-cluster of them all)', async () => {
    const same = matrixFromRows([[2, 3], [2, 3], [2, 3], [2, 3], [2, 3]]);
    const r = await fitAgglomerative(same, { k: 1, mode: 'two-stage', backend: 'js' });
    expect([r.m, r.tree.leaves, Array.from(r.tree.leafSizes!)]).toEqual([1, 1, [5]]);
    expect(dendrogramTop(r.tree)).toEqual({ leafCount: 1, rootId: 0, merges: [], leaves: [{ id: 0, size: 5, height: 0 }] });
  });
});

describe('fitAgglomerative: refusals before any work, the result’s fields', () => {
  it('refuses options that are not an object, naming the function and what it needs', async () => {
    const e = await thrown(() => fitAgglomerative(line, undefined as never));
    expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', 'fitAgglomerative needs an options object with k or distanceThreshold, got undefined', { option: 'options', value: undefined }]);
  });

  it('a distanceThreshold that is negative, NaN, infinite or not a number is refused before a job is created', async () => {
    for (const t of [-1, NaN, Infinity, '1' as unknown as number]) {
      const rec = recordingBackend();
      const e = await thrown(() => fitAgglomerative(line, { distanceThreshold: t, linkage: 'average', backend: rec.backend }));
      expect([e.code, e.message], String(t)).toEqual(['INVALID_OPTION', `distanceThreshold must be a finite number >= 0, got ${String(t)}`]);
      expect(rec.jobs, String(t)).toEqual([]);
    }
  });

  it('no distanceThreshold key when k is given; seconds is the fit’s own time (>= 0, within the wall time around it)', async () => {
    const started = performance.now();
    const r = await fitAgglomerative(line, { k: 2, backend: 'js' });
    const wall = (performance.now() - started) / 1000;
    expect('distanceThreshold' in r).toBe(false);
    expect(r.seconds).toBeGreaterThanOrEqual(0);
    expect(r.seconds).toBeLessThanOrEqual(wall);
    const cut = await fitAgglomerative(line, { distanceThreshold: 2.5, backend: 'js' });
    expect([cut.k, cut.distanceThreshold]).toEqual([3, 2.5]);
  });
});

describe('fitAgglomerative: the method chosen and what the backend is asked', () => {
  it('auto above exactMaxRows is two-stage for average linkage too (no MEMORY_LIMIT: the matrix is only for exact mode)', async () => {
    const r = await fitAgglomerative(line, { k: 2, linkage: 'average', exactMaxRows: 3, backend: 'js' });
    expect([r.mode, r.m]).toEqual(['two-stage', 4]);
  });

  it('ward at exactly exactMaxRows rows stays on the matrix (no matrix-free note)', async () => {
    const r = await fitAgglomerative(line, { k: 2, exactMaxRows: 4, backend: 'js' });
    expect([r.mode, r.notes]).toEqual(['exact', []]);
  });

  it('one job with no options key left unset, disposed once; one row needs no job and reports nothing', async () => {
    for (const linkage of ['average', 'single'] as const) {
      const rec = recordingBackend();
      await fitAgglomerative(line, { k: 2, linkage, backend: rec.backend });
      expect(rec.jobs.map((j) => j.options)).toStrictEqual([{}]);
      expect(rec.disposed).toBe(1);
    }
    const rec = recordingBackend();
    const events: ProgressEvent[] = [];
    const one = await fitAgglomerative(matrixFromRows([[2, 2]]), { k: 1, backend: rec.backend, onProgress: (e) => events.push(e) });
    expect([one.k, Array.from(one.labels), one.tree.merges.length]).toEqual([1, [0], 0]);
    expect([rec.jobs.length, events]).toEqual([0, []]);
  });

  it('a backend without the linkage kernels: single (auto) at exactly exactMaxRows rows runs on the matrix', async () => {
    const rec = recordingBackend({ without: ['linkageStart', 'primStep', 'wardNearest', 'wardMerge'] });
    const r = await fitAgglomerative(line, { k: 2, linkage: 'single', exactMaxRows: 4, backend: rec.backend });
    expect(rec.pairwiseCalls).toEqual([{ start: 0, end: 3, length: 6 }]);
    // single on 0, 5, 3, 11: (1,2) at 2, 0 joins at 3, 3 joins at 6
    expect(linkageRows(r.tree)).toEqual([
      [1, 2, 2, 2],
      [0, 4, 3, 3],
      [3, 5, 6, 4],
    ]);
  });

  it('an abort while the backend creates its job: no distance block is computed, and the job is disposed', async () => {
    const rec = recordingBackend();
    const controller = new AbortController();
    const slow: KernelBackend = {
      ...rec.backend,
      async createJob(data, rows, dims, options) {
        const job = await rec.backend.createJob(data, rows, dims, options);
        // the user's timer fires while the job is still being set up
        setTimeout(() => controller.abort(new Error('timer')), 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return job;
      },
    };
    const e = await thrown(() => fitAgglomerative(line, { k: 2, linkage: 'average', backend: slow, signal: controller.signal }));
    expect([e.code, e.message]).toEqual(['ABORTED', 'aborted: timer']);
    expect(rec.pairwiseCalls).toEqual([]);
    expect(rec.disposed).toBe(1);
  });

  it('two-stage: the micro-cluster K-Means gets threads, the signal and the progress listener', async () => {
    const rec = recordingBackend();
    const signal = new AbortController().signal;
    const events: ProgressEvent[] = [];
    const m = matrixFromRows([[0], [1], [10], [11], [20], [21]]);
    const r = await fitAgglomerative(m, { k: 3, mode: 'two-stage', microClusters: 3, threads: 3, signal, backend: rec.backend, onProgress: (e) => events.push(e) });
    expect(Array.from(r.labels)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(rec.jobs.map((j) => [j.rows, j.options?.threads, j.options?.signal === signal])).toEqual([[6, 3, true]]);
    expect(events.some((e) => e.kind === 'iteration')).toBe(true);
  });

  it('two-stage: k-means++ runs on all rows up to max(20 m, 20,000), on a sample of that many above', async () => {
    // 100 rows, m = 2: 100 <= 20,000, no sample job
    const small = recordingBackend();
    await fitAgglomerative(matrixFromRows(Array.from({ length: 100 }, (_, i) => [i % 9])), { k: 2, mode: 'two-stage', microClusters: 2, backend: small.backend });
    expect(small.jobs.map((j) => j.rows)).toEqual([100]);
    // The sample job is refused (the test needs only its size): 20,001 rows, m = 2 → 20,000; 20,030 rows, m = 1,001 → 20 · 1,001
    for (const [rows, m, sample] of [[20_001, 2, 20_000], [20_030, 1001, 20_020]] as const) {
      const rec = recordingBackend({ failJob: 1 });
      const asked: number[] = [];
      const backend: KernelBackend = { ...rec.backend, createJob: (data, r, dims, options) => (asked.push(r), rec.backend.createJob(data, r, dims, options)) };
      const matrix: Matrix = { data: Float32Array.from({ length: rows }, (_, i) => i % 1500), rows, cols: 1 };
      const e = await thrown(() => fitAgglomerative(matrix, { k: 2, mode: 'two-stage', microClusters: m, backend }));
      expect([e.code, e.message]).toEqual(['BACKEND_UNAVAILABLE', 'job refused on purpose']);
      expect(asked).toEqual([rows, sample]);
    }
  });
});

describe('the distance matrix’s kernel blocks (a job that records the row ranges and computes nothing)', () => {
  it('whole rows per call until at least 4,000,000 pairs, the last call the rest, ending at row n − 1; progress by time, not per block', async () => {
    const n = 6713;
    const calls: [number, number][] = [];
    const job = { backend: 'plan', rows: n, dims: 1, exact: true, pairwiseDistances: async (start: number, end: number) => void calls.push([start, end]) } as unknown as KernelJob;
    const events: ProgressEvent[] = [];
    await computeCondensedDistances(job, { out: new Float64Array(0), onProgress: (e) => events.push(e) });
    // rows 0..624 hold 625 · 6712 − 625 · 624 / 2 = 4,000,000 pairs exactly: the first call stops there
    expect(calls[0]).toEqual([0, 625]);
    const expected: [number, number][] = [];
    for (let start = 0; start < n - 1; ) {
      let end = start;
      let pairs = 0;
      while (end < n - 1 && pairs < 4_000_000) pairs += n - 1 - end++;
      expected.push([start, end]);
      start = end;
    }
    expect(calls).toEqual(expected);
    expect(calls.at(-1)![1]).toBe(n - 1);
    // blocks that come within 100 ms of each other are not each reported: the first and the last are
    expect(calls).toHaveLength(6);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.length).toBeLessThan(calls.length);
    // a clock that advances exactly 100 ms per reading (one per block): a block exactly 100 ms after the last report is not
    // reported, one 200 ms after it is; so blocks 2, 4 and 6 of the 6
    let t = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (t += 100));
    const timed: ProgressEvent[] = [];
    try {
      await computeCondensedDistances(job, { out: new Float64Array(0), onProgress: (e) => timed.push(e) });
    } finally {
      now.mockRestore();
    }
    expect(timed).toHaveLength(3);
  });
});

describe('two-stage linkage progress and cancellation; the comparison’s own signal', () => {
  it('the micro-clusters’ linkage reports its merges and stops at the pause after a timer’s abort (every pause due)', async () => {
    // 120 distinct rows, 120 micro-clusters: 119 merges, each followed by a pause (a turn of the event loop) under this clock
    const m = matrixFromRows(Array.from({ length: 120 }, (_, i) => [i, (i * 7) % 11]));
    const controller = new AbortController();
    const reports: string[] = [];
    let afterAbort = 0;
    let timer: NodeJS.Timeout | undefined;
    const e = await thrown(() =>
      withSliceClock(() =>
        fitAgglomerative(m, {
          k: 2,
          linkage: 'average',
          mode: 'two-stage',
          microClusters: 120,
          backend: 'js',
          signal: controller.signal,
          onProgress: (ev) => {
            if (ev.kind !== 'phase' || ev.phase !== 'merging') return;
            if (controller.signal.aborted) afterAbort++;
            reports.push(ev.detail ?? '');
            timer ??= setTimeout(() => controller.abort(new Error('timer')), 0);
            // a listener that takes 0.2 ms (real time) per report: the timer is due long before the 119th
            const until = process.hrtime.bigint() + 200_000n;
            while (process.hrtime.bigint() < until);
          },
        }),
      ),
    );
    expect([e.code, e.message]).toEqual(['ABORTED', 'aborted: timer']);
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]).toBe('1 of 119 merges');
    expect(afterAbort).toBe(0);
  });

  it('compareClusterings: an aborted signal given with the metrics stops it (the Rand index checks it)', async () => {
    const m = matrixFromRows([[0, 0], [0, 1], [1, 0], [20, 20], [20, 21], [21, 20]]);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const e = await thrown(() => compareClusterings(m, 2, { backend: 'js', seed: 1 }, { linkage: 'average', backend: 'js' }, { signal: controller.signal }));
    expect([e.code, e.message]).toEqual(['ABORTED', 'aborted: stop']);
  });
});
