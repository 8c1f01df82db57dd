/**
 * Streamed data on small inputs (a few 4,096-row chunks, the js backend):
 * exact Lloyd on streamed data equals the in-memory fit bit for bit from
 * Parquet and CSV with every scaling, chunks are whole blocks, each pass
 * reads only the chunks it needs, a file that changes under the stream is
 * named, and a timer's abort stops a streamed fit. Fast enough for StrykerJS
 * to run per mutant (drivers-streaming unit); streamed-kmeans.test.ts keeps
 * the 1M-row, wasm and CLI checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, squaredDistanceF32, type KernelBackend } from '../src/backends/kernel-contract.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitKMeans, type KMeansOptions } from '../src/drivers/kmeans.js';
import { DEFAULT_CHUNK_ROWS, openStreamedData, StreamedData, StreamedShards, type ChunkSource } from '../src/drivers/sharding/streamed-data.js';
import { countDistinctRows, meanFeatureVariance } from '../src/drivers/validate-input.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { memorySource, repeatingGroups } from './helpers/sharding-fixtures.js';
import { thrown } from './helpers/thrown.js';

const FEATURES = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'];
type Scale = 'standard' | 'minmax' | 'none';

let dir = '';
let parquet = '';
let csv = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segmenta-streamed-data-'));
  parquet = join(dir, 'customers.parquet');
  csv = join(dir, 'customers.csv');
  await writeGeneratedCustomers(parquet, { rows: 20_000, seed: 5 });
  await writeGeneratedCustomers(csv, { rows: 13_000, seed: 6 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function inMemory(path: string, scale: Scale, options: KMeansOptions) {
  const table = await readCustomerTable(path, { features: FEATURES });
  const { matrix } = prepareFeatures(table, { scale, inPlace: true });
  return fitKMeans(matrix, options);
}

async function streamed(path: string, scale: Scale, chunkRows: number, options: KMeansOptions) {
  const data = await openStreamedData(path, { features: FEATURES, chunkRows, backend: 'js', ...(options.signal ? { signal: options.signal } : {}) });
  try {
    await data.fitAndScale(scale);
    return await fitKMeans(data, options);
  } finally {
    await data.job.dispose();
  }
}

function streamedMemory(matrix: Matrix, chunkRows: number, backend: KernelBackend = jsReferenceBackend, log = { chunks: 0, closed: 0 }) {
  const shards = new StreamedShards(memorySource(matrix, log), matrix.cols, chunkRows, backend);
  return { shards, data: new StreamedData(shards, matrix.cols), log };
}

describe('streamed passes', () => {
  const matrix = repeatingGroups(2 * ROW_BLOCK_SIZE + 500);

  it('plans whole-block chunks over the rows; the default is 64 blocks', () => {
    expect(DEFAULT_CHUNK_ROWS).toBe(64 * ROW_BLOCK_SIZE);
    expect(streamedMemory(matrix, ROW_BLOCK_SIZE).shards.ranges).toEqual([
      { start: 0, end: 4096 },
      { start: 4096, end: 8192 },
      { start: 8192, end: 8692 },
    ]);
    expect(streamedMemory({ ...matrix, rows: 2 * ROW_BLOCK_SIZE }, ROW_BLOCK_SIZE).shards.ranges).toEqual([
      { start: 0, end: 4096 },
      { start: 4096, end: 8192 },
    ]);
    expect(streamedMemory(matrix, 3 * ROW_BLOCK_SIZE).shards.ranges).toEqual([{ start: 0, end: 8692 }]);
  });

  it.each([5000, 2048, 0, -4096, 4096.5, Number.NaN])('chunkRows %s is refused with INVALID_OPTION naming the value', async (chunkRows) => {
    const e = await thrown(() => streamedMemory(matrix, chunkRows));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe(`chunkRows must be a positive multiple of 4096 (the accumulation block), got ${chunkRows}`);
    expect(e.details).toEqual({ option: 'chunkRows', value: chunkRows });
  });

  it('folds, scaling and the tolerance scale equal the one-matrix doubles, one pass each', async () => {
    for (const method of ['standard', 'minmax', 'none'] as const) {
      const { data, log } = streamedMemory(matrix, ROW_BLOCK_SIZE);
      const scaler = await data.fitAndScale(method);
      const expected = fitScaler(matrix, method);
      expect(Array.from(scaler.offset)).toEqual(Array.from(expected.offset));
      expect(Array.from(scaler.scale)).toEqual(Array.from(expected.scale));
      expect(data.passes).toBe({ standard: 2, minmax: 1, none: 0 }[method]);
      expect(log.chunks).toBe(3 * data.passes);
      expect(await data.meanFeatureVariance()).toBe(meanFeatureVariance(expected.transform(matrix)));
      // Later passes scale each chunk as it is read.
      const ids = Int32Array.of(0, 4095, 4096, 8691);
      const got = await data.gatherRows(ids);
      const scaled = expected.transform(matrix);
      expect(Array.from(got.data)).toEqual(Array.from(ids).flatMap((id) => Array.from(scaled.data.subarray(id * 2, id * 2 + 2))));
    }
  });

  it('distinct rows: the one-matrix count, the pass ending at the chunk where enough are found', async () => {
    const { data, log } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    const all = countDistinctRows(matrix, Infinity);
    expect(all).toBeGreaterThan(10);
    expect(all).toBeLessThan(ROW_BLOCK_SIZE);
    expect(await data.countDistinctRows(Infinity)).toBe(all);
    expect(log.chunks).toBe(3);
    expect(await data.countDistinctRows(10)).toBe(10);
    expect(log.chunks).toBe(4);
    expect(await data.countDistinctRows(all)).toBe(all);
    expect(log.chunks).toBe(5);
    expect(data.passes).toBe(3);
  });

  it('gatherRows reads up to the last chunk it needs, and nothing for no ids', async () => {
    const { data, log } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    expect((await data.gatherRows(new Int32Array(0))).rows).toBe(0);
    expect(log.chunks).toBe(0);
    expect(data.passes).toBe(0);
    const first = await data.gatherRows(Int32Array.of(0, 17, 4095));
    expect(Array.from(first.data)).toEqual([0, 17, 4095].flatMap((id) => Array.from(matrix.data.subarray(id * 2, id * 2 + 2))));
    expect(log.chunks).toBe(1);
    await data.gatherRows(Int32Array.of(4096));
    expect(log.chunks).toBe(3);
    const last = await data.gatherRows(Int32Array.of(1, 8691));
    expect(Array.from(last.data)).toEqual([1, 8691].flatMap((id) => Array.from(matrix.data.subarray(id * 2, id * 2 + 2))));
    expect(log.chunks).toBe(6);
    expect(data.passes).toBe(3);
  });

  it('assign passes: labels, changed rows and farthest rows as one job over all rows', async () => {
    const one = await jsReferenceBackend.createJob(matrix.data, matrix.rows, 2);
    const { shards, data, log } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    try {
      expect(shards.backend).toBe('js, streamed in chunks of 4,096 rows');
      const early = await thrown(() => shards.farthestAll(1));
      expect([early.code, early.message]).toEqual(['INVALID_OPTION', 'farthest rows are asked before any assign pass']);
      const before = await shards.labelsAll();
      expect(before.map((l) => l.length)).toEqual([4096, 4096, 500]);
      expect(before.every((l) => l.every((x) => x === -1))).toBe(true);

      const centroids = Float32Array.of(0, 0, 10, 5, 20.5, 10.5);
      const moved = Float32Array.of(0.4, 0.6, 10, 5, 20.5, 10.5);
      for (const c of [centroids, centroids, moved]) {
        const expected = await one.assign(c, 3, new Float64Array(6), new Float64Array(3));
        const got = await data.job.assign(c, 3, new Float64Array(6), new Float64Array(3));
        expect(got).toEqual(expected);
      }
      const labels = new Int32Array(matrix.rows);
      const streamedLabels = new Int32Array(matrix.rows);
      await one.readLabels(labels);
      await data.job.readLabels(streamedLabels);
      expect(Array.from(streamedLabels)).toEqual(Array.from(labels));

      const distances = new Float32Array(matrix.rows);
      await one.readDistances(distances);
      // The farthest pass uses the centroids of the last assign, even if the caller's array changed since.
      moved.fill(100);
      const order = Array.from({ length: matrix.rows }, (_, i) => i).sort((a, b) => distances[b]! - distances[a]! || a - b);
      const chunks = log.chunks;
      const far = await data.farthestRows(30);
      expect(log.chunks).toBe(chunks + 3);
      expect(far.map((f) => f.row)).toEqual(order.slice(0, 30));
      for (const f of far) {
        expect(f.distance).toBe(distances[f.row]);
        expect(f.label).toBe(labels[f.row]);
        expect(Array.from(f.values)).toEqual(Array.from(matrix.data.subarray(f.row * 2, f.row * 2 + 2)));
      }
      // Each chunk's own farthest rows.
      const each = await shards.farthestAll(2);
      expect(each.map((rows) => rows.map((f) => f.row))).toEqual(
        shards.ranges.map((r) => order.filter((i) => i >= r.start && i < r.end).slice(0, 2)),
      );
    } finally {
      await one.dispose();
    }
    expect(log.closed).toBe(0);
    await data.job.dispose();
    expect(log.closed).toBe(1);
  });

  it('a chunk where another was planned (the file changed) is MALFORMED_FILE naming the rows', async () => {
    const shifted = new StreamedData(new StreamedShards(memorySource(matrix, undefined, 10), 2, ROW_BLOCK_SIZE, jsReferenceBackend), 2);
    const e = await thrown(() => shifted.foldAll({ kind: 'sum' }));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.message).toBe('the file changed while it was streamed: rows 11..4106 came where chunk 1 was planned');
    // More rows than planned: a chunk past the last one.
    const longer = memorySource(matrix);
    const grown = new StreamedData(new StreamedShards({ ...longer, rows: 2 * ROW_BLOCK_SIZE }, 2, ROW_BLOCK_SIZE, jsReferenceBackend), 2);
    expect((await thrown(() => grown.foldAll({ kind: 'sum' }))).message).toBe('the file changed while it was streamed: rows 8193..8692 came where chunk 3 was planned');
    // A chunk that ends where one was planned but starts elsewhere.
    const late: ChunkSource = {
      rows: matrix.rows,
      async pass(chunkRows, onChunk) {
        await onChunk(new Float32Array(chunkRows * 2), 5, ROW_BLOCK_SIZE - 5);
      },
      async close() {},
    };
    const moved = new StreamedData(new StreamedShards(late, 2, ROW_BLOCK_SIZE, jsReferenceBackend), 2);
    expect((await thrown(() => moved.foldAll({ kind: 'sum' }))).message).toBe('the file changed while it was streamed: rows 6..4096 came where chunk 1 was planned');
    // A short last chunk.
    const shrunk = new StreamedData(new StreamedShards({ ...longer, rows: matrix.rows + 1 }, 2, ROW_BLOCK_SIZE, jsReferenceBackend), 2);
    expect((await thrown(() => shrunk.foldAll({ kind: 'sum' }))).message).toBe('the file changed while it was streamed: rows 8193..8692 came where chunk 3 was planned');
  });

  it('per-shard folds and distinct sets are not offered: streamed data does them a whole pass at a time', async () => {
    const { shards } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    const fold = await thrown(() => shards.fold(0, { kind: 'sum' }, new Float64Array(2)));
    expect([fold.code, fold.message]).toEqual(['INVALID_OPTION', 'streamed data folds a whole pass at a time (StreamedData.foldAll)']);
    const distinct = await thrown(() => shards.distinctRows(0, [], 1));
    expect([distinct.code, distinct.message]).toEqual(['INVALID_OPTION', 'streamed data counts distinct rows a whole pass at a time (StreamedData.countDistinctRows)']);
  });

  it('a backend without readAssignBlocks is refused naming the kernel, and each job is released', async () => {
    let disposed = 0;
    const backend: KernelBackend = {
      ...jsReferenceBackend,
      async createJob(data, rows, dims, options) {
        const job = await jsReferenceBackend.createJob(data, rows, dims, options);
        return {
          backend: 'js-without-blocks',
          assign: (c: Float32Array, k: number, s: Float64Array, n: Float64Array) => job.assign(c, k, s, n),
          readLabels: (out: Int32Array) => job.readLabels(out),
          readDistances: (out: Float32Array) => job.readDistances(out),
          dispose: async () => {
            disposed++;
            await job.dispose();
          },
        } as unknown as Awaited<ReturnType<KernelBackend['createJob']>>;
      },
    };
    const { data } = streamedMemory(matrix, ROW_BLOCK_SIZE, backend);
    const e = await thrown(() => data.job.assign(Float32Array.of(0, 0), 1, new Float64Array(2), new Float64Array(1)));
    expect(e.code).toBe('KERNEL_NOT_IMPLEMENTED');
    expect(e.message).toBe("backend 'js-without-blocks' does not implement kernel 'readAssignBlocks'");
    expect(disposed).toBe(1);
    // The farthest-row pass (no block partials needed) releases each chunk's job too.
    const far = await data.farthestRows(2);
    const origin = Float32Array.of(0, 0);
    const distance = Array.from({ length: matrix.rows }, (_, i) => squaredDistanceF32(matrix.data, i * 2, origin, 0, 2));
    const order = Array.from(distance.keys()).sort((a, b) => distance[b]! - distance[a]! || a - b);
    expect(far.map((f) => f.row)).toEqual(order.slice(0, 2));
    expect(disposed).toBe(4);
  });

  it('a streamed pass stops on an aborted signal between chunks', async () => {
    const controller = new AbortController();
    const log = { chunks: 0, closed: 0 };
    const shards = new StreamedShards(memorySource(matrix, log), 2, ROW_BLOCK_SIZE, jsReferenceBackend, { signal: controller.signal });
    const e = await thrown(() => 
      shards.forEachChunk(() => {
        controller.abort();
      }),
    );
    expect(e.code).toBe('ABORTED');
    expect(log.chunks).toBe(1);
  });
});

describe('streamed K-Means equals the in-memory fit (js)', () => {
  it('Parquet, standard scaling, chunks of 2 blocks (the last one short): the same WCSS, labels, centroids and history bit for bit', async () => {
    const options = { k: 5, seed: 3, backend: 'js', nInit: 2 };
    const ref = await inMemory(parquet, 'standard', options);
    const fit = await streamed(parquet, 'standard', 2 * ROW_BLOCK_SIZE, options);
    expect(fit.wcss).toBe(ref.wcss);
    expect(Buffer.from(fit.labels.buffer).equals(Buffer.from(ref.labels.buffer))).toBe(true);
    expect(Array.from(fit.centroids)).toEqual(Array.from(ref.centroids));
    expect(fit.runWcss).toEqual(ref.runWcss);
    expect(fit.iterations).toBe(ref.iterations);
    expect(fit.history.map((h) => [h.wcss, h.changed, h.shift])).toEqual(ref.history.map((h) => [h.wcss, h.changed, h.shift]));
    expect(fit.notes).toEqual(ref.notes);
    expect(fit.backend).toBe('js, streamed in chunks of 8,192 rows × 3 shards');
  });

  it.each(['minmax', 'none'] as const)('CSV, %s scaling, chunks of one block: the same fit', async (scale) => {
    const options = { k: 4, seed: 8, backend: 'js', nInit: 1 };
    const ref = await inMemory(csv, scale, options);
    const fit = await streamed(csv, scale, ROW_BLOCK_SIZE, options);
    expect(fit.wcss).toBe(ref.wcss);
    expect(Buffer.from(fit.labels.buffer).equals(Buffer.from(ref.labels.buffer))).toBe(true);
    expect(Array.from(fit.centroids)).toEqual(Array.from(ref.centroids));
    expect(fit.history.map((h) => h.changed)).toEqual(ref.history.map((h) => h.changed));
  });

  it('an empty cluster relocates to the same farthest rows as in memory', async () => {
    const matrix = repeatingGroups();
    const init = [0, 0, 10, 5, 1000, 1000];
    const one = await fitKMeans(matrix, { k: 3, init, backend: 'js' });
    const { data } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    const fit = await fitKMeans(data, { k: 3, init, backend: 'js' });
    expect(one.notes.join(' ')).toMatch(/relocated/);
    expect(fit.notes).toEqual(one.notes);
    expect(fit.wcss).toBe(one.wcss);
    expect(Array.from(fit.centroids)).toEqual(Array.from(one.centroids));
    expect(Buffer.from(fit.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
  });

  it('mini-batch on streamed chunks: the same fit under a seed, every row labelled, close to Lloyd', async () => {
    const options = { k: 4, seed: 2, backend: 'js', algorithm: 'minibatch' as const, batchSize: 512 };
    const lloyd = await inMemory(parquet, 'standard', { k: 4, seed: 2, backend: 'js' });
    const a = await streamed(parquet, 'standard', 2 * ROW_BLOCK_SIZE, options);
    const b = await streamed(parquet, 'standard', 2 * ROW_BLOCK_SIZE, options);
    expect(a.algorithm).toBe('minibatch');
    expect(b.wcss).toBe(a.wcss);
    expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    expect(a.sizes.reduce((x, y) => x + y, 0)).toBe(20_000);
    expect(a.wcss / lloyd.wcss).toBeLessThan(1.05);
  });

  it('mini-batch epochs are passes: round(chunk rows / batch) steps a chunk, at least one, up to maxIter × rows / batch steps', async () => {
    const matrix = repeatingGroups(2 * ROW_BLOCK_SIZE + 500);
    const { data } = streamedMemory(matrix, ROW_BLOCK_SIZE);
    const fit = await fitKMeans(data, { k: 3, init: [0, 0, 10, 5, 20, 10], algorithm: 'minibatch', batchSize: 512, maxIter: 2, maxNoImprovement: 1000, backend: 'js' });
    // Chunks of 4,096, 4,096 and 500 rows: 8 + 8 + 1 = 17 steps a pass; the budget is floor(2 × 8,692 / 512) = 33.
    const perPass = [4096, 4096, 500].reduce((a, n) => a + Math.max(1, Math.round(n / 512)), 0);
    const budget = Math.floor((2 * matrix.rows) / 512);
    expect(fit.steps).toBe(Math.min(budget, 2 * perPass));
    expect(fit.iterations).toBe(Math.ceil((fit.steps! * 512) / matrix.rows));
    expect(fit.sizes.reduce((a, b) => a + b, 0)).toBe(matrix.rows);
  });

  it('a timer aborts a streamed fit', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const e = await thrown(() => streamed(parquet, 'standard', ROW_BLOCK_SIZE, { k: 8, seed: 1, backend: 'js', nInit: 500, tol: 0, signal: controller.signal }));
    clearTimeout(timer);
    expect(e.code).toBe('ABORTED');
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe('openStreamedData', () => {
  it('a chunk that is not a whole number of blocks is refused, naming the value', async () => {
    const e = await thrown(() => openStreamedData(csv, { features: FEATURES, chunkRows: 5000 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/chunkRows must be a positive multiple of 4096.*got 5000/);
  });

  it('hands threads and the signal to every chunk’s job; an aborted signal stops the opening', async () => {
    const jobOptions: unknown[] = [];
    const backend: KernelBackend = {
      ...jsReferenceBackend,
      async createJob(data, rows, dims, options) {
        jobOptions.push(options);
        return jsReferenceBackend.createJob(data, rows, dims, options);
      },
    };
    const controller = new AbortController();
    const data = await openStreamedData(csv, { features: FEATURES, chunkRows: 2 * ROW_BLOCK_SIZE, backend, threads: 3, signal: controller.signal });
    try {
      await data.job.assign(Float32Array.of(0, 0, 0), 1, new Float64Array(3), new Float64Array(1));
      expect(jobOptions).toEqual([
        { threads: 3, signal: controller.signal },
        { threads: 3, signal: controller.signal },
      ]);
    } finally {
      await data.job.dispose();
    }
    // Without threads or a signal, the jobs get neither.
    const plain = await openStreamedData(csv, { features: FEATURES, chunkRows: 4 * ROW_BLOCK_SIZE, backend });
    try {
      await plain.job.assign(Float32Array.of(0, 0, 0), 1, new Float64Array(3), new Float64Array(1));
      expect(jobOptions[2]).toStrictEqual({});
    } finally {
      await plain.job.dispose();
    }
    controller.abort();
    expect((await thrown(() => openStreamedData(csv, { features: FEATURES, backend, signal: controller.signal }))).code).toBe('ABORTED');
  });

  it('an unknown column is UNKNOWN_COLUMN; the default chunk is 262,144 rows', async () => {
    expect((await thrown(() => openStreamedData(csv, { features: ['Income'] }))).code).toBe('UNKNOWN_COLUMN');
    const data = await openStreamedData(csv, { features: FEATURES, backend: jsReferenceBackend, threads: 1 });
    try {
      expect(data.streamed.chunkRows).toBe(DEFAULT_CHUNK_ROWS);
      expect(data.rows).toBe(13_000);
      expect(data.cols).toBe(3);
      expect(data.streamed.backend).toBe('js, streamed in chunks of 262,144 rows');
      const rng = new SeededRandom(1);
      const ids = Int32Array.from(new Set(Array.from({ length: 50 }, () => rng.nextInt(13_000)))).sort();
      const table = await readCustomerTable(csv, { features: FEATURES });
      const got = await data.gatherRows(ids);
      expect(Array.from(got.data)).toEqual(Array.from(ids).flatMap((id) => Array.from(table.matrix.data.subarray(id * 3, id * 3 + 3))));
    } finally {
      await data.job.dispose();
    }
  });
});
