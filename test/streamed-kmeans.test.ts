/**
 * Streamed K-Means (issue 18 item 5): the rows stay in their file and every
 * pass reads them again in chunks through DuckDB. Exact Lloyd on streamed data
 * equals the in-memory fit bit for bit (same WCSS, labels, centroids), from
 * Parquet and from CSV, with scaling; chunk sizes must be whole blocks; bad
 * cells are named; a timer's abort stops a streamed fit.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { SegmentaError } from '../src/common/errors.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { openStreamedData } from '../src/drivers/sharding/streamed-data.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

const FEATURES = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'];
const dir = tempDir('segmenta-streamed-');
const parquet = customersFile(dir, 'customers.parquet', { rows: 1_000_000, seed: 5 });
const csv = customersFile(dir, 'customers.csv', { rows: 30_000, seed: 6 });

// One k-means++ run without the refined run keeps the 1M-row check short on a loaded 2-core machine; every kind of pass is still exercised.
const RUNS = { nInit: 1, refine: false };

async function inMemory(path: string, k: number, options: { backend: string; seed: number; scale: 'standard' | 'minmax' | 'none' }) {
  const table = await readCustomerTable(path, { features: FEATURES });
  const { matrix } = prepareFeatures(table, { scale: options.scale, inPlace: true });
  return fitKMeans(matrix, { k, seed: options.seed, backend: options.backend, ...RUNS });
}

async function streamed(path: string, k: number, options: { backend: string; seed: number; scale: 'standard' | 'minmax' | 'none'; chunkRows: number; signal?: AbortSignal }) {
  const data = await openStreamedData(path, { features: FEATURES, chunkRows: options.chunkRows, backend: options.backend, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    await data.fitAndScale(options.scale);
    const fit = await fitKMeans(data, { k, seed: options.seed, backend: options.backend, ...RUNS, ...(options.signal ? { signal: options.signal } : {}) });
    return { fit, passes: data.passes };
  } finally {
    await data.job.dispose();
  }
}

describe('streamed K-Means equals the in-memory fit', () => {
  it('1M rows from Parquet, standard scaling, wasm, chunks of 64 blocks: the same WCSS, labels and centroids bit for bit', async () => {
    const ref = await inMemory(parquet, 5, { backend: 'wasm', seed: 3, scale: 'standard' });
    const { fit, passes } = await streamed(parquet, 5, { backend: 'wasm', seed: 3, scale: 'standard', chunkRows: 64 * 4096 });
    expect(fit.wcss).toBe(ref.wcss);
    expect(fit.labels).toEqual(ref.labels);
    expect(fit.centroids).toEqual(ref.centroids);
    expect(fit.runWcss).toEqual(ref.runWcss);
    expect(fit.iterations).toBe(ref.iterations);
    expect(fit.backend).toMatch(/streamed in chunks of 262,144 rows/);
    // Every Lloyd iteration is a pass over the file; plus the scaler, the tolerance scale, the distinct rows and the init sample.
    expect(passes).toBeGreaterThan(ref.history.length);
  }, 120_000);

  it('CSV, min-max scaling, js backend, chunks of one block (8 chunks): the same fit', async () => {
    const ref = await inMemory(csv, 4, { backend: 'js', seed: 8, scale: 'minmax' });
    const { fit } = await streamed(csv, 4, { backend: 'js', seed: 8, scale: 'minmax', chunkRows: 4096 });
    expect(fit.wcss).toBe(ref.wcss);
    expect(fit.labels).toEqual(ref.labels);
    expect(fit.centroids).toEqual(ref.centroids);
  }, 120_000);
});

describe('streamed mini-batch', () => {
  it('epochs are passes over the file, batches drawn from each chunk: within 2% of in-memory Lloyd, the same under a seed', async () => {
    const ref = await inMemory(csv, 5, { backend: 'wasm', seed: 2, scale: 'standard' });
    const run = async () => {
      const data = await openStreamedData(csv, { features: FEATURES, chunkRows: 8192, backend: 'wasm' });
      try {
        await data.fitAndScale('standard');
        return await fitKMeans(data, { k: 5, seed: 2, algorithm: 'minibatch', backend: 'wasm' });
      } finally {
        await data.job.dispose();
      }
    };
    const a = await run();
    const b = await run();
    expect(a.algorithm).toBe('minibatch');
    expect(a.wcss / ref.wcss).toBeLessThan(1.02);
    expect(b.wcss).toBe(a.wcss);
    expect(b.labels).toEqual(a.labels);
    expect(a.sizes.reduce((x, y) => x + y, 0)).toBe(30_000);
  }, 120_000);
});

describe('streamed data: options and errors', () => {
  it('a chunk that is not a whole number of 4,096-row blocks is refused, naming the value', async () => {
    const e = await openStreamedData(csv, { features: FEATURES, chunkRows: 5000 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe('INVALID_OPTION');
    expect((e as SegmentaError).message).toMatch(/chunkRows must be a positive multiple of 4096.*got 5000/);
  });

  it('an unknown column names the available ones', async () => {
    const e = await openStreamedData(csv, { features: ['Income'] }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as SegmentaError).code).toBe('UNKNOWN_COLUMN');
  });

  it('under a wasm memory cap (SEGMENTA_WASM_MAX_MB) the matrix cannot be held, the streamed fit still runs', async () => {
    const { wasmBackend } = await import('../src/backends/wasm/wasm-backend.js');
    process.env.SEGMENTA_WASM_MAX_MB = '2';
    try {
      expect(() => wasmBackend.allocateMatrix(1_000_000, 3)).toThrow(/above the wasm memory limit of 2 MiB set by SEGMENTA_WASM_MAX_MB/);
      const { fit } = await streamed(csv, 3, { backend: 'wasm', seed: 1, scale: 'standard', chunkRows: 8192 });
      expect(fit.sizes.reduce((a, b) => a + b, 0)).toBe(30_000);
    } finally {
      delete process.env.SEGMENTA_WASM_MAX_MB;
    }
  }, 60_000);

  it('a timer aborts a streamed fit mid-pass', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const e = await streamed(parquet, 8, { backend: 'wasm', seed: 1, scale: 'standard', chunkRows: 16 * 4096, signal: controller.signal }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as SegmentaError).code).toBe('ABORTED');
  }, 60_000);
});

describe('streamed runs through the pipeline and the CLI', () => {
  it('kmeans --streamed --out gives the same WCSS, sizes and labels file as the in-memory run', async () => {
    const features = FEATURES.join(',');
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const mem = await runSegmenta('kmeans', csv, '--features', features, '--scale', 'standard', '--k', '4', '--n-init', '2', '--seed', '4', '--out', a, '--json');
    const str = await runSegmenta('kmeans', csv, '--features', features, '--scale', 'standard', '--k', '4', '--n-init', '2', '--seed', '4', '--out', b, '--json', '--streamed', '--chunk-rows', '8192');
    expect(str.stderr).toBe('');
    const x = JSON.parse(mem.stdout);
    const y = JSON.parse(str.stdout);
    expect(y.wcss).toBe(x.wcss);
    expect(y.sizes).toEqual(x.sizes);
    expect(y.centroids).toEqual(x.centroids);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  }, 120_000);

  it.each([
    [['--chunk-rows', '8192'], '--chunk-rows applies only with --streamed'],
    [['--streamed', '--chunk-rows', '5000'], '--chunk-rows must be a multiple of 4096'],
    [['--streamed', '--shards', '2'], '--streamed cannot run with --shards or --redis'],
  ])('%o: exit 2 and one line', async (extra, line) => {
    const r = await runSegmenta('kmeans', csv, '--features', FEATURES.join(','), '--k', '3', ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(line);
  });

  it('the spec: streamed with what needs every row in memory is refused, naming the fields', () => {
    const base = { data: { path: 'x.csv' }, features: ['a'], streamed: {} };
    expect(validateSpec(base).streamed).toEqual({ chunkRows: 262_144 });
    expect(validateSpec(base).profiles).toBe(false);
    expect(() => validateSpec({ ...base, outputs: { report: 'r' } })).toThrow(/spec.outputs.report cannot run with spec.streamed/);
    expect(() => validateSpec({ ...base, streamed: { chunkRows: 5000 } })).toThrow(/spec.streamed.chunkRows must be a multiple of 4096/);
    expect(() => validateSpec({ ...base, distributed: { shards: 2 } })).toThrow(/spec.streamed cannot run with spec.distributed/);
  });
});
