import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { segmentCustomers } from '../src/pipeline/segment-customers.js';
import { segmentationSpecSchema } from '../src/pipeline/spec.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { planShards, ShardedJob } from '../src/backends/sharded/sharded-job.js';
import { ROW_BLOCK_SIZE } from '../src/backends/kernel-contract.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { LocalShard, localShardGroup } from '../src/drivers/sharding/local-shard.js';
import { ShardedData } from '../src/drivers/sharding/sharded-data.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { meanFeatureVariance } from '../src/drivers/validate-input.js';
import { SeededRandom } from '../src/common/seeded-random.js';

function customers(rows: number, seed: number, features = 4) {
  const g = generateCustomers({ rows, seed, features });
  return { matrix: generatedFeatureMatrix(g), featureNames: g.featureNames };
}

describe('planShards', () => {
  it('splits rows into contiguous runs of whole blocks, as even as possible', () => {
    const plan = planShards(200_000, 4);
    expect(plan.map((r) => (r.end - r.start) / ROW_BLOCK_SIZE).map(Math.ceil)).toEqual([13, 12, 12, 12]);
    expect(plan[0]!.start).toBe(0);
    for (let s = 1; s < plan.length; s++) {
      expect(plan[s]!.start).toBe(plan[s - 1]!.end);
      expect(plan[s]!.start % ROW_BLOCK_SIZE).toBe(0);
    }
    expect(plan.at(-1)!.end).toBe(200_000);
  });
  it('uses fewer shards than asked when there are fewer blocks', () => {
    expect(planShards(5000, 4)).toEqual([
      { start: 0, end: 4096 },
      { start: 4096, end: 5000 },
    ]);
    expect(() => planShards(10, 0)).toThrow(/shards must be an integer >= 1, got 0/);
  });
});

describe('sharded data reproduces the unsharded doubles', () => {
  it('scaler, tolerance scale and distinct rows equal the one-matrix values bit for bit', async () => {
    const { matrix } = customers(30_000, 5);
    for (const method of ['standard', 'minmax'] as const) {
      const copy = { ...matrix, data: matrix.data.slice() };
      const shards = planShards(copy.rows, 3).map((r) => new LocalShard(r, copy.data.subarray(r.start * 4, r.end * 4), 4, jsReferenceBackend));
      const data = new ShardedData(localShardGroup(shards), 4);
      const scaler = await data.fitAndScale(method);
      const expected = fitScaler(matrix, method);
      expect(Array.from(scaler.offset)).toEqual(Array.from(expected.offset));
      expect(Array.from(scaler.scale)).toEqual(Array.from(expected.scale));
      const scaled = expected.transform(matrix);
      expect(Buffer.from(copy.data.buffer).equals(Buffer.from(scaled.data.buffer))).toBe(true);
      expect(await data.meanFeatureVariance()).toBe(meanFeatureVariance(scaled));
      await data.job.dispose();
    }
  });
});

describe.each(['js', 'wasm'])('sharded K-Means on %s', (backend) => {
  it('a sweep with 4 shards equals the unsharded sweep bit for bit (200k customers, standard, k = 1..10)', async () => {
    const { matrix, featureNames } = customers(backend === 'js' ? 60_000 : 200_000, 1);
    const prepared = prepareFeatures({ matrix, featureNames }, { scale: 'standard' }).matrix;
    const options = { kMin: 1, kMax: 10, nInit: backend === 'js' ? 1 : 3, seed: 1, backend, threads: 2, initSampleSize: 50_000 };
    const one = await sweepK(prepared, options);
    const four = await sweepK(prepared, { ...options, shards: 4 });
    expect(four.wcss).toEqual(one.wcss);
    expect(four.points.map((p) => p.iterations)).toEqual(one.points.map((p) => p.iterations));
    expect(four.points.map((p) => Array.from(p.centroids))).toEqual(one.points.map((p) => Array.from(p.centroids)));
    expect(four.backend).toMatch(/× 4 shards$/);
    expect(four.notes).toEqual(one.notes);
  });

  it('a fit with shards gives the same labels and history, also with fewer rows than the init sample', async () => {
    const { matrix, featureNames } = customers(20_000, 2);
    const prepared = prepareFeatures({ matrix, featureNames }, { scale: 'minmax' }).matrix;
    const one = await fitKMeans(prepared, { k: 6, seed: 3, backend, threads: 1 });
    const three = await fitKMeans(prepared, { k: 6, seed: 3, backend, threads: 1, shards: 3 });
    expect(three.wcss).toBe(one.wcss);
    expect(Buffer.from(three.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    expect(three.history.map((h) => [h.wcss, h.changed, h.shift])).toEqual(one.history.map((h) => [h.wcss, h.changed, h.shift]));
    expect(three.runWcss).toEqual(one.runWcss);
  });
});

/**
 * Four groups around the centres (c, 2c, 3c), each row at a log-uniform
 * distance (1e-6 .. 1): squared distances span 12 decades, so float64 sums
 * round and their association shows in the last bits.
 */
function roundingData(rows: number, seed: number) {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const c = i % 4;
    const spread = 10 ** (-6 * rng.nextFloat());
    for (let j = 0; j < 3; j++) data[i * 3 + j] = c * (j + 1) + (rng.nextFloat() * 2 - 1) * spread;
  }
  const init = Array.from({ length: 12 }, (_, q) => Math.floor(q / 3) * ((q % 3) + 1));
  return { matrix: { data, rows, cols: 3 }, init };
}

describe.each(['js', 'wasm'])('sharded sums on data where the association shows (%s)', (backend) => {
  it('adding per-shard totals would differ, adding block partials in block order does not', async () => {
    const { matrix, init } = roundingData(11 * ROW_BLOCK_SIZE + 77, 1);
    // The data is sensitive: per-shard totals of the block WCSS differ from the block-order total.
    const job = await jsReferenceBackend.createJob(matrix.data, matrix.rows, 3);
    const stats = await job.assign(Float32Array.from(init), 4, new Float64Array(12), new Float64Array(4));
    const blocks = new Float64Array(12);
    await job.readAssignBlocks!(blocks, new Float64Array(12 * 12));
    const byShard = planShards(matrix.rows, 4).map((r) => blocks.subarray(r.start / ROW_BLOCK_SIZE, Math.ceil(r.end / ROW_BLOCK_SIZE)).reduce((a, b) => a + b, 0));
    expect(byShard.reduce((a, b) => a + b, 0)).not.toBe(stats.wcss);
    // The sharded fit still equals the unsharded one bit for bit.
    const one = await fitKMeans(matrix, { k: 4, init, backend, threads: 2, maxIter: 20 });
    const four = await fitKMeans(matrix, { k: 4, init, backend, threads: 2, maxIter: 20, shards: 4 });
    expect(one.history[0]!.wcss).toBe(stats.wcss);
    expect(four.history.map((h) => h.wcss)).toEqual(one.history.map((h) => h.wcss));
    expect(Array.from(four.centroids)).toEqual(Array.from(one.centroids));
    expect(four.wcss).toBe(one.wcss);
  });
});

describe('empty clusters in a sharded fit', () => {
  it('relocates to the same farthest rows as the unsharded fit', async () => {
    // Three tight groups and given centres, one of which attracts no row: the driver relocates it.
    const rows = 3 * ROW_BLOCK_SIZE + 100;
    const data = new Float32Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const g = i % 3;
      data[2 * i] = g * 10 + ((i * 7919) % 97) / 97;
      data[2 * i + 1] = g * 5 + ((i * 104729) % 89) / 89;
    }
    const matrix = { data, rows, cols: 2 };
    const init = [0, 0, 10, 5, 1000, 1000];
    const one = await fitKMeans(matrix, { k: 3, init, backend: 'js' });
    const sharded = await fitKMeans(matrix, { k: 3, init, backend: 'js', shards: 4 });
    expect(one.notes.join(' ')).toMatch(/relocated/);
    expect(sharded.wcss).toBe(one.wcss);
    expect(Array.from(sharded.centroids)).toEqual(Array.from(one.centroids));
    expect(Buffer.from(sharded.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
  });
});

describe('ShardedJob', () => {
  it('offers only the Lloyd kernels and says so for the others', async () => {
    const data = new Float32Array(8).fill(1);
    const job = new ShardedJob(localShardGroup([new LocalShard({ start: 0, end: 4 }, data, 2, jsReferenceBackend)]), 2);
    await expect(job.candidatePotentials(new Float32Array(2), 1, new Float64Array(1))).rejects.toMatchObject({ code: 'KERNEL_NOT_IMPLEMENTED' });
    expect(job.backend).toBe('js × 1 shard');
    await job.dispose();
  });
});

describe('the pipeline spec’s distributed section', () => {
  it('segmentCustomers with distributed.shards gives the unsharded sweep, k, labels and centroids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segmenta-sharded-spec-'));
    try {
      const path = join(dir, 'customers.parquet');
      await writeGeneratedCustomers(path, { rows: 20_000, seed: 4, features: 4 });
      const spec = {
        data: { path },
        features: ['Age', 'Annual Income (k$)', 'Spending Score (1-100)', 'Visits per Month'],
        scale: 'standard' as const,
        kRange: { max: 6 },
        seed: 2,
        backend: 'js',
        profiles: false,
        keep: 'none' as const,
        outputs: { labels: join(dir, 'one.csv') },
      };
      const one = await segmentCustomers(spec);
      const sharded = await segmentCustomers({ ...spec, distributed: { shards: 3 }, outputs: { labels: join(dir, 'sharded.csv') } });
      expect(sharded.sweep!.wcss).toEqual(one.sweep!.wcss);
      expect(sharded.k).toBe(one.k);
      expect(sharded.wcss).toBe(one.wcss);
      expect(sharded.centroids).toEqual(one.centroids);
      expect(sharded.backend).toBe('js × 3 shards');
      expect(readFileSync(join(dir, 'sharded.csv'), 'utf8')).toBe(readFileSync(join(dir, 'one.csv'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is in the JSON Schema, and validation names what a sharded run cannot do', () => {
    expect(Object.keys(segmentationSpecSchema.properties)).toContain('distributed');
    const base = { data: { path: 'x.csv' }, features: ['a'] };
    expect(validateSpec({ ...base, distributed: { redis: 'redis://h:1' } }).distributed).toEqual({ shards: 4, redis: 'redis://h:1', shardTimeout: 300 });
    expect(validateSpec({ ...base, distributed: {} }).profiles).toBe(false);
    expect(() => validateSpec({ ...base, encode: ['g'], method: 'agglomerative', outputs: { report: 'r' }, distributed: { shards: 2 } })).toThrow(
      /spec\.encode cannot run with spec\.distributed.*spec\.outputs\.report cannot run with spec\.distributed.*spec\.method 'agglomerative'/,
    );
    expect(() => validateSpec({ ...base, distributed: { redis: 'localhost:6379' } })).toThrow(/spec\.distributed\.redis must be a URL like redis:\/\/127\.0\.0\.1:6379, got 'localhost:6379'/);
    expect(() => validateSpec({ ...base, distributed: { shards: 0 } })).toThrow(/spec\.distributed\.shards/);
  });
});
