/**
 * Sharded data on small inputs (a few 4,096-row blocks, the js backend): every
 * shard operation the driver uses gives the doubles of the unsharded
 * computation (folds, scaler, tolerance scale, distinct rows, assign partials,
 * labels, gathered rows, farthest rows), a sharded fit and sweep equal the
 * unsharded ones bit for bit, errors name their values, and a timer's abort
 * stops a sharded fit. Fast enough for StrykerJS to run per mutant
 * (drivers-streaming unit); sharded-kmeans.test.ts keeps the 200k-row and
 * wasm checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, type KernelBackend, type KernelJob } from '../src/backends/kernel-contract.js';
import { planShards } from '../src/backends/sharded/sharded-job.js';
import { foldColumnSums } from '../src/common/column-folds.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix, writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { loadShard } from '../src/drivers/sharding/load-shard.js';
import { farthestRows, LocalShard, localShardGroup } from '../src/drivers/sharding/local-shard.js';
import { splitIds } from '../src/drivers/sharding/shard-ops.js';
import { ShardedData, shardMatrix } from '../src/drivers/sharding/sharded-data.js';
import { countDistinctRows, meanFeatureVariance } from '../src/drivers/validate-input.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { repeatingGroups } from './helpers/sharding-fixtures.js';
import { thrown } from './helpers/thrown.js';

function customers(rows: number, seed: number, features = 4): Matrix {
  return generatedFeatureMatrix(generateCustomers({ rows, seed, features }));
}

/** `matrix` copied and split into `shards` local shards (planShards) on `backend`. */
function sharded(matrix: Matrix, shards: number, backend: KernelBackend = jsReferenceBackend, signal?: AbortSignal) {
  const data = matrix.data.slice();
  const d = matrix.cols;
  const local = planShards(matrix.rows, shards).map((r) => new LocalShard(r, data.subarray(r.start * d, r.end * d), d, backend, signal ? { signal } : {}));
  const group = localShardGroup(local);
  return { data, local, group, sharded: new ShardedData(group, d) };
}

/** Row ids sorted by distance, largest first, lowest id on ties (an independent reference for farthestRows). */
function byDistance(distances: ArrayLike<number>): number[] {
  return Array.from({ length: distances.length }, (_, i) => i).sort((a, b) => distances[b]! - distances[a]! || a - b);
}

/** The js backend, whose jobs count their disposals and can lack readAssignBlocks. */
function countingBackend(options: { withoutBlocks?: boolean } = {}) {
  const disposed: KernelJob[] = [];
  const backend: KernelBackend = {
    ...jsReferenceBackend,
    name: 'js-counting',
    async createJob(data, rows, dims, jobOptions) {
      const job = await jsReferenceBackend.createJob(data, rows, dims, jobOptions);
      return new Proxy(job, {
        get(target, key) {
          if (key === 'readAssignBlocks' && options.withoutBlocks) return undefined;
          if (key === 'backend') return 'js-counting job';
          if (key === 'dispose') {
            return async () => {
              disposed.push(target);
              await target.dispose();
            };
          }
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  return { backend, disposed };
}

describe('splitIds and farthestRows', () => {
  const ranges = [
    { start: 0, end: 4096 },
    { start: 4096, end: 8192 },
    { start: 8192, end: 10_000 },
  ];

  it('splitIds gives each shard the ids its range holds; a range’s end belongs to the next shard', () => {
    expect(splitIds(Int32Array.of(0, 4095, 4096, 8191, 8192, 9999), ranges)).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
    expect(splitIds(Int32Array.of(5, 9000), ranges)).toEqual([
      [0, 1],
      [1, 1],
      [1, 2],
    ]);
    expect(splitIds(Int32Array.of(4096, 4097), ranges)).toEqual([
      [0, 0],
      [0, 2],
      [2, 2],
    ]);
    expect(splitIds(new Int32Array(0), ranges)).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('splitIds agrees with filtering the ids by range, on random ascending ids', () => {
    const rng = new SeededRandom(3);
    const ids = Int32Array.from(new Set(Array.from({ length: 300 }, () => rng.nextInt(10_000)))).sort();
    const parts = splitIds(ids, ranges);
    ranges.forEach((r, s) => {
      const [lo, hi] = parts[s]!;
      expect(Array.from(ids.subarray(lo, hi))).toEqual(Array.from(ids).filter((id) => id >= r.start && id < r.end));
    });
  });

  it('farthestRows gives the m largest distances, largest first, lowest index on ties', () => {
    const rng = new SeededRandom(11);
    for (const length of [1, 2, 7, 60]) {
      // Eight distinct values: many ties.
      const distances = Float32Array.from({ length }, () => rng.nextInt(8) / 4);
      for (const m of [1, 2, 3, 7, 59, 60, 61]) expect(farthestRows(distances, m)).toEqual(byDistance(distances).slice(0, m));
    }
    expect(farthestRows(Float32Array.of(1, 3, 3, 2, 3), 2)).toEqual([1, 2]);
    expect(farthestRows(Float32Array.of(0, 0, 5), 2)).toEqual([2, 0]);
  });
});

describe('sharded data reproduces the unsharded doubles', () => {
  const matrix = customers(12_000, 5);

  it.each(['standard', 'minmax', 'none'] as const)('fitAndScale(%s): the scaler and scaled rows equal fitScaler on the matrix bit for bit', async (method) => {
    const { data, sharded: s } = sharded(matrix, 3);
    const scaler = await s.fitAndScale(method);
    const expected = fitScaler(matrix, method);
    expect(scaler.method).toBe(method);
    expect(Array.from(scaler.offset)).toEqual(Array.from(expected.offset));
    expect(Array.from(scaler.scale)).toEqual(Array.from(expected.scale));
    const scaled = expected.transform(matrix);
    expect(Buffer.from(data.buffer).equals(Buffer.from(scaled.data.buffer))).toBe(true);
    expect(await s.meanFeatureVariance()).toBe(meanFeatureVariance(scaled));
    await s.job.dispose();
  });

  it('a shard of more rows than one slice (32,768) folds and scales as one pass', async () => {
    const rng = new SeededRandom(8);
    const rows = 40_000;
    const big: Matrix = { data: Float32Array.from({ length: rows * 2 }, () => rng.nextGaussian() * 1e3 + 7), rows, cols: 2 };
    const { data, sharded: s } = sharded(big, 1);
    expect(Array.from(await s.foldAll({ kind: 'sum' }))).toEqual(Array.from(foldColumnSums(big.data, 2, new Float64Array(2))));
    await s.fitAndScale('standard');
    expect(Buffer.from(data.buffer).equals(Buffer.from(fitScaler(big, 'standard').transform(big).data.buffer))).toBe(true);
    await s.job.dispose();
  });

  it('countDistinctRows equals the one-matrix count and asks only the shards it needs', async () => {
    const { group, sharded: s } = sharded(matrix, 3);
    const calls = vi.spyOn(group, 'distinctRows');
    const all = countDistinctRows(matrix, Infinity);
    expect(all).toBeGreaterThan(20);
    expect(all).toBeLessThan(matrix.rows);
    expect(await s.countDistinctRows(Infinity)).toBe(all);
    expect(calls).toHaveBeenCalledTimes(3);
    calls.mockClear();
    for (const atLeast of [1, 2, 10, all - 1, all]) expect(await s.countDistinctRows(atLeast)).toBe(countDistinctRows(matrix, atLeast));
    calls.mockClear();
    // The first shard holds 10 distinct rows: the other shards are not asked.
    expect(await s.countDistinctRows(10)).toBe(10);
    expect(calls).toHaveBeenCalledTimes(1);
    await s.job.dispose();
  });

  it('gatherRows returns the rows of ascending ids across the shards', async () => {
    const { sharded: s } = sharded(matrix, 3);
    const ranges = planShards(matrix.rows, 3);
    const ids = Int32Array.of(0, 1, ranges[0]!.end - 1, ranges[1]!.start, ranges[1]!.start + 5, ranges[2]!.start, matrix.rows - 1);
    const got = await s.gatherRows(ids);
    expect(got.rows).toBe(ids.length);
    expect(got.cols).toBe(4);
    const expected = new Float32Array(ids.length * 4);
    ids.forEach((id, q) => expected.set(matrix.data.subarray(id * 4, id * 4 + 4), q * 4));
    expect(Array.from(got.data)).toEqual(Array.from(expected));
    expect((await s.gatherRows(new Int32Array(0))).data).toHaveLength(0);
    await s.job.dispose();
  });

  it('gathered rows of the wrong length are refused with SHAPE_MISMATCH naming the counts', async () => {
    const { group } = sharded(matrix, 2);
    const short = new ShardedData({ ...group, gatherRows: async (ids) => new Float32Array((ids.length - 1) * 4) }, 4);
    const e = await thrown(() => short.gatherRows(Int32Array.of(1, 2, 3)));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toBe('gathered 2 of 3 rows from the shards');
    await short.job.dispose();
  });
});

describe('local shards against one job over all rows', () => {
  const matrix = repeatingGroups();
  const centroids = Float32Array.of(0, 0, 10, 5, 20.5, 10.5);

  it('assign partials, labels, backend names and farthest rows equal the unsharded job’s', async () => {
    const one = await jsReferenceBackend.createJob(matrix.data, matrix.rows, 2);
    const { local, group, sharded: s } = sharded(matrix, 2);
    try {
      expect(s.job.backend).toBe('js × 2 shards');
      // Labels before any assign pass: -1.
      const before = await group.labelsAll();
      expect(before.map((l) => l.length)).toEqual([2 * ROW_BLOCK_SIZE, ROW_BLOCK_SIZE + 100]);
      expect(before.every((l) => l.every((x) => x === -1))).toBe(true);

      const stats = await one.assign(centroids, 3, new Float64Array(6), new Float64Array(3));
      const blocks = new Float64Array(4);
      const blockSums = new Float64Array(4 * 6);
      await one.readAssignBlocks!(blocks, blockSums);
      const parts = await group.assignAll(centroids, 3);
      expect(parts.map((p) => Array.from(p.blockWcss))).toEqual([Array.from(blocks.subarray(0, 2)), Array.from(blocks.subarray(2))]);
      expect(parts.map((p) => Array.from(p.blockSums))).toEqual([Array.from(blockSums.subarray(0, 12)), Array.from(blockSums.subarray(12))]);
      expect(parts.map((p) => p.changed)).toEqual([2 * ROW_BLOCK_SIZE, ROW_BLOCK_SIZE + 100]);
      const counts = parts.map((p) => Array.from(p.counts));
      expect(counts[0]!.map((c, j) => c + counts[1]![j]!)).toEqual([4130, 4129, 4129]);
      expect(stats.changed).toBe(matrix.rows);

      // The sharded job adds the same partials in block order.
      const sums = new Float64Array(6);
      const total = await s.job.assign(centroids, 3, sums, new Float64Array(3));
      expect(total.wcss).toBe(stats.wcss);
      expect(total.changed).toBe(0);
      const labels = new Int32Array(matrix.rows);
      const shardedLabels = new Int32Array(matrix.rows);
      await one.readLabels(labels);
      await s.job.readLabels(shardedLabels);
      expect(Array.from(shardedLabels)).toEqual(Array.from(labels));
      expect(local.map((l) => l.backend)).toEqual(['js', 'js']);

      // Farthest rows: every shard's m, and the merged m over all rows, largest first, lowest row on ties.
      const distances = new Float32Array(matrix.rows);
      await one.readDistances(distances);
      const ranges = planShards(matrix.rows, 2);
      for (const m of [1, 4, 40]) {
        const each = await group.farthestAll(m);
        each.forEach((rows, sh) => {
          const r = ranges[sh]!;
          expect(rows.map((f) => f.row)).toEqual(byDistance(distances.subarray(r.start, r.end)).slice(0, m).map((i) => i + r.start));
        });
        const merged = await s.farthestRows(m);
        expect(merged.map((f) => f.row)).toEqual(byDistance(distances).slice(0, m));
        for (const f of merged) {
          expect(f.distance).toBe(distances[f.row]);
          expect(f.label).toBe(labels[f.row]);
          expect(Array.from(f.values)).toEqual(Array.from(matrix.data.subarray(f.row * 2, f.row * 2 + 2)));
        }
      }
      // Ties across the shards: the 40 farthest rows include equal distances in both shards.
      const far = await s.farthestRows(40);
      expect(new Set(far.map((f) => f.distance)).size).toBeLessThan(40);
      expect(far.some((f) => f.row < ranges[1]!.start) && far.some((f) => f.row >= ranges[1]!.start)).toBe(true);
    } finally {
      await one.dispose();
      await s.job.dispose();
    }
  });

  it('each shard creates its job once and disposes it once; a shard never used disposes nothing', async () => {
    const { backend, disposed } = countingBackend();
    const create = vi.spyOn(backend, 'createJob');
    const { local, group, sharded: s } = sharded(matrix, 3, backend);
    expect(s.job.backend).toBe('js-counting × 3 shards');
    // Labels before any assign pass need no job.
    expect((await group.labelsAll()).every((l) => l.every((x) => x === -1))).toBe(true);
    expect(create).not.toHaveBeenCalled();
    await s.job.assign(centroids, 3, new Float64Array(6), new Float64Array(3));
    await s.job.assign(centroids, 3, new Float64Array(6), new Float64Array(3));
    expect(create).toHaveBeenCalledTimes(3);
    expect(local.map((l) => l.backend)).toEqual(['js-counting job', 'js-counting job', 'js-counting job']);
    await s.job.dispose();
    expect(disposed).toHaveLength(3);
    expect(new Set(disposed).size).toBe(3);
    await s.job.dispose();
    expect(disposed).toHaveLength(3);

    const unused = new LocalShard({ start: 0, end: 4 }, new Float32Array(8), 2, backend);
    await unused.dispose();
    expect(disposed).toHaveLength(3);
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('a shard disposed while its job is being created releases that job', async () => {
    const { backend, disposed } = countingBackend();
    const shard = new LocalShard({ start: 0, end: matrix.rows }, matrix.data, 2, backend);
    const pending = shard.getJob();
    await shard.dispose();
    await pending;
    expect(disposed).toHaveLength(1);
  });

  it('a backend without readAssignBlocks is refused naming the kernel, and its job is released', async () => {
    const { backend, disposed } = countingBackend({ withoutBlocks: true });
    const shard = new LocalShard({ start: 0, end: matrix.rows }, matrix.data, 2, backend);
    const e = await thrown(() => shard.assign(centroids, 3));
    expect(e.code).toBe('KERNEL_NOT_IMPLEMENTED');
    expect(e.message).toBe("backend 'js-counting job' does not implement kernel 'readAssignBlocks'");
    expect(disposed).toHaveLength(1);
    // Asked again, it tries a new job (and refuses again) rather than keep a failed one.
    await thrown(() => shard.assign(centroids, 3));
    expect(disposed).toHaveLength(2);
    await shard.dispose();
    expect(disposed).toHaveLength(2);
  });

  it('a shard’s slices stop on its job signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const { sharded: s } = sharded(matrix, 2, jsReferenceBackend, controller.signal);
    expect((await thrown(() => s.fitAndScale('standard'))).code).toBe('ABORTED');
    expect((await thrown(() => s.foldAll({ kind: 'range' }))).code).toBe('ABORTED');
  });
});

describe('sharded K-Means equals the unsharded fit (js)', () => {
  it('a sweep k = 1..6 with 3 shards and a sampled k-means++: the same WCSS, iterations, centroids and notes', async () => {
    const matrix = fitScaler(customers(20_000, 1), 'standard').transform(customers(20_000, 1));
    const options = { kMin: 1, kMax: 6, nInit: 2, seed: 1, backend: 'js', initSampleSize: 5000 };
    const one = await sweepK(matrix, options);
    const three = await sweepK(matrix, { ...options, shards: 3 });
    expect(three.wcss).toEqual(one.wcss);
    expect(three.points.map((p) => p.iterations)).toEqual(one.points.map((p) => p.iterations));
    expect(three.points.map((p) => Array.from(p.centroids))).toEqual(one.points.map((p) => Array.from(p.centroids)));
    expect(three.notes).toEqual(one.notes);
    expect(three.backend).toBe('js × 3 shards');
  });

  it('a fit with shards: the same labels and history; empty clusters relocate to the same rows', async () => {
    const matrix = repeatingGroups();
    const init = [0, 0, 10, 5, 1000, 1000];
    const one = await fitKMeans(matrix, { k: 3, init, backend: 'js' });
    const four = await fitKMeans(matrix, { k: 3, init, backend: 'js', shards: 4 });
    expect(one.notes.join(' ')).toMatch(/relocated/);
    expect(four.wcss).toBe(one.wcss);
    expect(four.history.map((h) => [h.wcss, h.changed, h.shift])).toEqual(one.history.map((h) => [h.wcss, h.changed, h.shift]));
    expect(Array.from(four.centroids)).toEqual(Array.from(one.centroids));
    expect(Buffer.from(four.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    expect(four.backend).toBe('js × 4 shards');
  });

  it('shardMatrix splits into whole blocks, fewer shards when there are fewer blocks', async () => {
    const matrix = repeatingGroups(ROW_BLOCK_SIZE + 1);
    const s = shardMatrix(matrix, 5, jsReferenceBackend, {});
    expect(s.shards.ranges).toEqual([
      { start: 0, end: ROW_BLOCK_SIZE },
      { start: ROW_BLOCK_SIZE, end: ROW_BLOCK_SIZE + 1 },
    ]);
    expect(s.rows).toBe(ROW_BLOCK_SIZE + 1);
    expect(Array.from((await s.gatherRows(Int32Array.of(ROW_BLOCK_SIZE))).data)).toEqual(Array.from(matrix.data.subarray(2 * ROW_BLOCK_SIZE)));
    await s.job.dispose();
  });

  it('a timer aborts a sharded fit', async () => {
    const matrix = fitScaler(customers(20_000, 3), 'standard').transform(customers(20_000, 3));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const e = await thrown(() => fitKMeans(matrix, { k: 10, nInit: 500, tol: 0, seed: 1, backend: 'js', shards: 3, signal: controller.signal }));
    clearTimeout(timer);
    expect(e.code).toBe('ABORTED');
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe('shards loaded from a file', () => {
  let dir = '';
  let csv = '';
  let parquet = '';
  const features = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'segmenta-sharded-data-'));
    csv = join(dir, 'customers.csv');
    parquet = join(dir, 'customers.parquet');
    await writeGeneratedCustomers(csv, { rows: 10_000, seed: 4 });
    await writeGeneratedCustomers(parquet, { rows: 10_000, seed: 4 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['csv', 'parquet'])('loadShard reads exactly the rows of its range (%s)', async (format) => {
    const path = format === 'csv' ? csv : parquet;
    const whole = await readCustomerTable(path, { features });
    const range = { start: ROW_BLOCK_SIZE, end: 2 * ROW_BLOCK_SIZE };
    const shard = await loadShard(path, features, range, jsReferenceBackend);
    expect(shard.range).toEqual(range);
    const all = Int32Array.from({ length: ROW_BLOCK_SIZE }, (_, i) => range.start + i);
    const rows = await shard.gatherRows(all);
    expect(Buffer.from(rows.buffer).equals(Buffer.from(whole.matrix.data.slice(range.start * 3, range.end * 3).buffer))).toBe(true);
    await shard.dispose();
  });

  it('a range past the end of the file is MALFORMED_FILE naming the rows read', async () => {
    const e = await thrown(() => loadShard(csv, features, { start: 2 * ROW_BLOCK_SIZE, end: 3 * ROW_BLOCK_SIZE }, jsReferenceBackend));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.message).toBe(`'${csv}' rows 8193..12288: read ${10_000 - 2 * ROW_BLOCK_SIZE} of 4096 rows (did the file change?)`);
    expect(e.details).toEqual({ path: csv, range: { start: 2 * ROW_BLOCK_SIZE, end: 3 * ROW_BLOCK_SIZE }, rows: 10_000 - 2 * ROW_BLOCK_SIZE });
  });

  it('loadShard reads into the backend’s own allocation and hands the job options to the shard’s job', async () => {
    const allocated: [number, number][] = [];
    const jobOptions: unknown[] = [];
    const backend: KernelBackend = {
      ...jsReferenceBackend,
      allocateMatrix(rows, cols) {
        allocated.push([rows, cols]);
        return new Float32Array(rows * cols);
      },
      async createJob(data, rows, dims, options) {
        jobOptions.push(options);
        return jsReferenceBackend.createJob(data, rows, dims, options);
      },
    };
    const signal = new AbortController().signal;
    const shard = await loadShard(parquet, features, { start: 0, end: ROW_BLOCK_SIZE }, backend, { threads: 3, signal });
    expect(allocated).toEqual([[ROW_BLOCK_SIZE, 3]]);
    await shard.assign(Float32Array.of(30, 50, 50), 1);
    expect(jobOptions).toEqual([{ threads: 3, signal }]);
    await shard.dispose();
  });

  it('loadShard stops on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await thrown(() => loadShard(parquet, features, { start: 0, end: ROW_BLOCK_SIZE }, jsReferenceBackend, { signal: controller.signal }));
    expect(e.code).toBe('ABORTED');
  });
});
