/**
 * The wasm backend beyond plain parity: bit-identical results for any thread
 * count and with or without Hamerly bounds (also on adversarial near-ties),
 * the wasm32 memory-limit error, allocateMatrix adoption, availability
 * reasons, job lifecycle.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, type KernelJob } from '../src/backends/kernel-contract.js';
import { AbortedError, SegmentaError } from '../src/common/errors.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { WASM_FILE_ENV, defaultThreads, resetKernelsCache, wasmBackend, WASM32_MAX_BYTES, type BoundsMode } from '../src/backends/wasm/wasm-backend.js';
import { INLINE_MAX_OPS, boundsByDefault } from '../src/backends/wasm/wasm-job.js';
import { idleWorkerCount, shutdownWorkerPool } from '../src/backends/wasm/wasm-threads.js';

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<SegmentaError> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SegmentaError);
  expect((error as SegmentaError).code).toBe(code);
  if (message) expect((error as SegmentaError).message).toMatch(message);
  return error as SegmentaError;
}

function blobs(rows: number, dims: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const centres = Array.from({ length: 6 * dims }, () => rng.nextFloat() * 10);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < rows; i++) {
    const b = rng.nextInt(6);
    for (let j = 0; j < dims; j++) data[i * dims + j] = centres[b * dims + j]! + rng.nextGaussian();
  }
  return data;
}

interface Trace {
  wcss: number[];
  changed: number[];
  sums: number[][];
  labels: Int32Array[];
}

/** Lloyd iterations driven by the job's own sums (as the driver does); records everything. */
async function lloydTrace(job: KernelJob, init: Float32Array, k: number, iterations: number, jitter = 0): Promise<Trace> {
  const d = job.dims;
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const trace: Trace = { wcss: [], changed: [], sums: [], labels: [] };
  const c = init.slice();
  const rng = new SeededRandom(99);
  for (let it = 0; it < iterations; it++) {
    const s = await job.assign(c, k, sums, counts);
    trace.wcss.push(s.wcss);
    trace.changed.push(s.changed);
    trace.sums.push(Array.from(sums));
    const labels = new Int32Array(job.rows);
    await job.readLabels(labels);
    trace.labels.push(labels);
    for (let q = 0; q < k * d; q++) {
      const n = counts[Math.floor(q / d)]!;
      const mean = n > 0 ? Math.fround(sums[q]! / n) : c[q]!;
      // optional float32-ulp jitter keeps centroids moving by tiny amounts (bounds at their edge)
      c[q] = jitter && it % 2 === 1 ? Math.fround(mean * (1 + jitter * (rng.nextFloat() - 0.5))) : mean;
    }
  }
  return trace;
}

describe('wasm backend: determinism across threads and bounds', () => {
  it('gives bit-identical traces for 1, 2 and 3 threads, bounds on and off, and equals js', async () => {
    const rows = 5 * ROW_BLOCK_SIZE + 123;
    const dims = 3;
    const k = 9;
    const data = blobs(rows, dims, 4);
    const init = data.slice(0, k * dims);
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const expected = await lloydTrace(ref, init, k, 12);
    for (const threads of [1, 2, 3]) {
      for (const bounds of ['off', 'on'] as BoundsMode[]) {
        const job = await wasmBackend.createJob(data, rows, dims, { threads, bounds });
        expect(job.backend).toBe(`wasm-simd (${threads} thread${threads > 1 ? 's' : ''})`);
        const got = await lloydTrace(job, init, k, 12);
        expect(got.wcss, `threads=${threads} bounds=${bounds}`).toEqual(expected.wcss);
        expect(got.changed).toEqual(expected.changed);
        expect(got.sums).toEqual(expected.sums);
        for (let it = 0; it < got.labels.length; it++) expect(got.labels[it]).toEqual(expected.labels[it]);
        await job.dispose();
      }
    }
  });

  it('keeps exact labels with bounds on near-ties (rows on the bisector, centroids moving by float32 ulps)', async () => {
    const rows = 2 * ROW_BLOCK_SIZE + 9;
    const dims = 2;
    const rng = new SeededRandom(5);
    const data = new Float32Array(rows * dims);
    // centroids near (±1, 0): rows on or within a few ulps of the bisector x = 0
    for (let i = 0; i < rows; i++) {
      data[i * dims] = i % 3 === 0 ? 0 : Math.fround((rng.nextFloat() - 0.5) * 2 ** -20);
      data[i * dims + 1] = Math.fround(rng.nextGaussian());
    }
    const init = new Float32Array([-1, 0, 1, 0, 0, 50]);
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const expected = await lloydTrace(ref, init, 3, 16, 2 ** -22);
    const job = await wasmBackend.createJob(data, rows, dims, { threads: 2, bounds: 'on' });
    const got = await lloydTrace(job, init, 3, 16, 2 ** -22);
    expect(got.wcss).toEqual(expected.wcss);
    for (let it = 0; it < got.labels.length; it++) expect(got.labels[it], `iteration ${it}`).toEqual(expected.labels[it]);
    await job.dispose();
  });

  it('fitKMeans gives the same result as js for 1 and 2 threads on multi-block data', async () => {
    const rows = 4 * ROW_BLOCK_SIZE + 1;
    const data = blobs(rows, 5, 8);
    const m = { data, rows, cols: 5 };
    const a = await fitKMeans(m, { k: 6, seed: 1, nInit: 2, backend: 'js' });
    for (const threads of [1, 2]) {
      const b = await fitKMeans(m, { k: 6, seed: 1, nInit: 2, backend: 'wasm', threads });
      expect(b.backend).toBe(`wasm-simd (${threads} thread${threads > 1 ? 's' : ''})`);
      expect(b.wcss).toBe(a.wcss);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
      expect(b.iterations).toBe(a.iterations);
    }
  });

  it('turns bounds on by default only where the bench showed a win', () => {
    expect(boundsByDefault(4, 10)).toBe(true);
    expect(boundsByDefault(2, 3)).toBe(false);
  });
});

describe('wasm backend: memory and lifecycle', () => {
  it('refuses a job above the wasm32 4 GiB limit, naming the limit and the requested size', async () => {
    const rows = 200_000_000;
    const e = await expectCode(wasmBackend.createJob(new Float32Array(8), rows, 8, { threads: 1 }), 'MEMORY_LIMIT', /4 GiB \(4,294,967,296 bytes\)/);
    expect(e.message).toContain('200,000,000 rows × 8 features × 4 bytes = 6,400,000,000 bytes');
    expect(e.details.limitBytes).toBe(WASM32_MAX_BYTES);
    await expectCode(() => wasmBackend.allocateMatrix(150_000_000, 8), 'MEMORY_LIMIT', /wasm32 memory limit of 4 GiB/);
  });

  it('defaults to one thread up to one row block (4,096 rows) and to the available cores above; an explicit count is kept', async () => {
    const cores = Math.max(1, availableParallelism());
    const name = (t: number): string => `wasm-simd (${t} thread${t === 1 ? '' : 's'})`;
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(ROW_BLOCK_SIZE)).toBe(1);
    expect(defaultThreads(ROW_BLOCK_SIZE + 1)).toBe(cores);
    for (const [rows, want] of [
      [200, 1],
      [ROW_BLOCK_SIZE, 1],
      [ROW_BLOCK_SIZE + 1, cores],
    ] as const) {
      const data = blobs(rows, 2, 9);
      const job = await wasmBackend.createJob(data, rows, 2);
      try {
        expect(job.backend, `${rows} rows`).toBe(name(want));
      } finally {
        await job.dispose();
      }
    }
    // The user's count wins, on a tiny table too.
    const small = await wasmBackend.createJob(blobs(200, 2, 9), 200, 2, { threads: 2 });
    try {
      expect(small.backend).toBe(name(2));
    } finally {
      await small.dispose();
    }
    // And the results do not depend on it: a default (1-thread) fit of 200 rows equals a 2-thread one.
    const m = { data: blobs(200, 2, 4), rows: 200, cols: 2 };
    const byDefault = await fitKMeans(m, { k: 4, seed: 3, backend: wasmBackend });
    const two = await fitKMeans(m, { k: 4, seed: 3, backend: wasmBackend, threads: 2 });
    expect(byDefault.backend).toBe(name(1));
    expect(two.backend).toBe(name(2));
    expect(byDefault.wcss).toBe(two.wcss);
    expect(Array.from(byDefault.labels)).toEqual(Array.from(two.labels));
    expect(Array.from(byDefault.centroids)).toEqual(Array.from(two.centroids));
  });

  it('a one-thread job runs small passes on the host and starts its worker only for a larger pass; the bits are js’s either way', async () => {
    await shutdownWorkerPool();
    const rows = ROW_BLOCK_SIZE;
    const data = blobs(rows, 1, 12);
    // k = 64: rows × k × dims = INLINE_MAX_OPS, inline; k = 65: one more centroid, a worker's pass.
    for (const [k, workers] of [
      [INLINE_MAX_OPS / rows, 0],
      [INLINE_MAX_OPS / rows + 1, 1],
    ] as const) {
      const centroids = Float32Array.from({ length: k }, (_, c) => c / 7);
      const job = await wasmBackend.createJob(data, rows, 1, { threads: 1 });
      const js = await jsReferenceBackend.createJob(data, rows, 1);
      const want = { sums: new Float64Array(k), counts: new Float64Array(k) };
      const got = { sums: new Float64Array(k), counts: new Float64Array(k) };
      try {
        const a = await job.assign(centroids, k, got.sums, got.counts);
        const b = await js.assign(centroids, k, want.sums, want.counts);
        expect(a, `k = ${k}`).toEqual(b);
        expect(Array.from(got.sums)).toEqual(Array.from(want.sums));
        expect(Array.from(got.counts)).toEqual(Array.from(want.counts));
        expect(await job.updateClosest(centroids.subarray(0, 1), true)).toBe(await js.updateClosest(centroids.subarray(0, 1), true));
      } finally {
        await job.dispose();
        await js.dispose();
      }
      // A disposed job returns the workers it started to the pool.
      expect(idleWorkerCount(), `k = ${k}`).toBe(workers);
    }
  });

  it('inline passes give the event loop back every few milliseconds, and a timer’s abort stops them', async () => {
    const rows = 200;
    const data = blobs(rows, 2, 13);
    const job = await wasmBackend.createJob(data, rows, 2, { threads: 1, signal: AbortSignal.timeout(200) });
    const centroids = Float32Array.from(data.subarray(0, 10));
    const sums = new Float64Array(10);
    const counts = new Float64Array(10);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let error: unknown;
    let passes = 0;
    try {
      // Hundreds of thousands of passes of tens of microseconds each: only the abort ends this within the test's time.
      for (; passes < 2_000_000; passes++) await job.assign(centroids, 5, sums, counts);
    } catch (e) {
      error = e;
    } finally {
      clearInterval(timer);
      await job.dispose();
    }
    expect(error).toBeInstanceOf(AbortedError);
    expect(passes).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(0);
  }, 60_000);

  it('rejects a bad thread count with the value', async () => {
    await expectCode(wasmBackend.createJob(new Float32Array(4), 2, 2, { threads: 0 }), 'INVALID_OPTION', /threads must be an integer in \[1, 256\], got 0/);
  });

  it('adopts an allocateMatrix matrix without copying, and copies when it is in use', async () => {
    const rows = ROW_BLOCK_SIZE + 5;
    const dims = 3;
    const m = wasmBackend.allocateMatrix(rows, dims);
    expect(m.length).toBe(rows * dims);
    expect(m.buffer).toBeInstanceOf(SharedArrayBuffer);
    m.set(blobs(rows, dims, 2));
    const ref = await jsReferenceBackend.createJob(m.slice(), rows, dims);
    const a = await wasmBackend.createJob(m, rows, dims, { threads: 2 });
    const b = await wasmBackend.createJob(m, rows, dims, { threads: 1 }); // in use by `a`: copied
    const init = m.slice(0, 4 * dims);
    const expected = await lloydTrace(ref, init, 4, 5);
    expect((await lloydTrace(a, init, 4, 5)).wcss).toEqual(expected.wcss);
    expect((await lloydTrace(b, init, 4, 5)).wcss).toEqual(expected.wcss);
    await a.dispose();
    await a.dispose(); // idempotent
    await b.dispose();
    const c = await wasmBackend.createJob(m, rows, dims, { threads: 2 }); // adopted again after dispose
    expect((await lloydTrace(c, init, 4, 5)).wcss).toEqual(expected.wcss);
    await c.dispose();
    await expectCode(c.assign(init, 4, new Float64Array(12), new Float64Array(4)), 'INVALID_OPTION', /disposed/);
  });

  it('grows its workspace for a large k and many candidates', async () => {
    const rows = 3000;
    const dims = 2;
    const data = blobs(rows, dims, 3);
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const job = await wasmBackend.createJob(data, rows, dims, { threads: 2 });
    for (const k of [3, 40, 300]) {
      const init = data.slice(0, k * dims);
      expect((await lloydTrace(job, init, k, 3)).wcss).toEqual((await lloydTrace(ref, init, k, 3)).wcss);
    }
    const cand = data.slice(0, 50 * dims);
    const a = new Float64Array(50);
    const b = new Float64Array(50);
    await ref.updateClosest(cand.subarray(0, dims), true);
    await job.updateClosest(cand.subarray(0, dims), true);
    await ref.candidatePotentials(cand, 50, a);
    await job.candidatePotentials(cand, 50, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    await job.dispose();
  });

  it('chooseCandidate: the kept distances and the fallback pass (staging reused in between) give updateClosest’s bits', async () => {
    const rows = 2 * 4096 + 77;
    const dims = 3;
    const data = blobs(rows, dims, 5);
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const job = await wasmBackend.createJob(data, rows, dims, { threads: 2 });
    const want = new Float32Array(rows);
    const got = new Float32Array(rows);
    const pots = new Float64Array(3);
    await ref.updateClosest(data.subarray(0, dims), true);
    await job.updateClosest(data.subarray(0, dims), true);
    for (const [step, cands] of [[0, [11, 500, 9000]], [1, [4100, 12, 8000]], [2, [300, 301, 7000]]] as const) {
      const cand = new Float32Array(3 * dims);
      cands.forEach((r, t) => cand.set(data.subarray(r * dims, (r + 1) * dims), t * dims));
      await job.candidatePotentials(cand, 3, pots);
      // step 1: readDistances reuses the staging area, so the job must fall back to a pass
      if (step === 1) await job.readDistances(got);
      const pick = step;
      const p = await job.chooseCandidate!(pick);
      expect(p, `step ${step}`).toBe(await ref.updateClosest(cand.subarray(pick * dims, (pick + 1) * dims), false));
      expect(p).toBe(pots[pick]);
      await ref.readClosest(want);
      await job.readClosest(got);
      expect(Array.from(got), `closest after step ${step}`).toEqual(Array.from(want));
    }
    await expect(job.chooseCandidate!(0)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await job.dispose();
  });

  it('explains why it is unavailable when the kernels file is missing', async () => {
    const saved = process.env[WASM_FILE_ENV];
    process.env[WASM_FILE_ENV] = '/nonexistent/segmenta-kernels.wasm';
    resetKernelsCache();
    try {
      const a = await wasmBackend.checkAvailability();
      expect(a.available).toBe(false);
      if (!a.available) expect(a.reason).toMatch(/segmenta-kernels\.wasm is missing .*run npm run build:wasm/);
      await expectCode(wasmBackend.createJob(new Float32Array(2), 1, 2), 'BACKEND_UNAVAILABLE', /npm run build:wasm/);
    } finally {
      if (saved === undefined) delete process.env[WASM_FILE_ENV];
      else process.env[WASM_FILE_ENV] = saved;
      resetKernelsCache();
    }
    expect((await wasmBackend.checkAvailability()).available).toBe(true);
  });
});
