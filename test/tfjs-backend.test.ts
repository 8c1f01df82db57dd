/**
 * The tfjs backend: runtime order and reasons, kernel parity with the js
 * oracle (within the matMul tolerance), chunking under a memory budget, no
 * leaked tensors, and the same through fitKMeans / sweepK.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/common/seeded-random.js';
import { SegmentaError } from '../src/common/errors.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, type KernelJob } from '../src/backends/kernel-contract.js';
import { createTfjsBackend, TFJS_RUNTIME_ORDER, type TfjsRuntimeName } from '../src/backends/tfjs/tfjs-backend.js';
import { passRowsFor, TfjsJob } from '../src/backends/tfjs/tfjs-job.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import type { Matrix } from '../src/common/matrix.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitScaler } from '../src/preparation/scaling.js';

/** Tolerance of the contract for non-exact jobs. */
const WCSS_REL_TOL = 1e-4;
const LABEL_AGREEMENT = 0.999;

/** Gaussian blobs around `centers` random centres, with an offset so the data is far from the origin. */
function blobs(rows: number, dims: number, centers: number, seed: number, offset = 50): Float32Array {
  const rng = new SeededRandom(seed);
  const c = Array.from({ length: centers * dims }, () => offset + rng.nextFloat() * 20);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < rows; i++) {
    const b = rng.nextInt(centers);
    for (let j = 0; j < dims; j++) data[i * dims + j] = c[b * dims + j]! + rng.nextGaussian();
  }
  return data;
}

/** k rows picked from the data (seeded) as centroids. */
function pickCentroids(data: Float32Array, rows: number, dims: number, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(k * dims);
  for (let c = 0; c < k; c++) out.set(data.subarray(rng.nextInt(rows) * dims, rng.nextInt(rows) * dims + dims).slice(0, dims), c * dims);
  return out;
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

interface AssignOutcome {
  wcss: number;
  changed: number;
  sums: Float64Array;
  counts: Float64Array;
  labels: Int32Array;
  distances: Float32Array;
}

async function runAssign(job: KernelJob, centroids: Float32Array, k: number): Promise<AssignOutcome> {
  const sums = new Float64Array(k * job.dims);
  const counts = new Float64Array(k);
  const { wcss, changed } = await job.assign(centroids, k, sums, counts);
  const labels = new Int32Array(job.rows);
  const distances = new Float32Array(job.rows);
  await job.readLabels(labels);
  await job.readDistances(distances);
  return { wcss, changed, sums, counts, labels, distances };
}

function expectAssignParity(t: AssignOutcome, j: AssignOutcome, dims: number): void {
  expect(relDiff(t.wcss, j.wcss)).toBeLessThan(WCSS_REL_TOL);
  expect(agreement(t.labels, j.labels)).toBeGreaterThanOrEqual(LABEL_AGREEMENT);
  const k = j.counts.length;
  let countDiff = 0;
  for (let c = 0; c < k; c++) countDiff += Math.abs(t.counts[c]! - j.counts[c]!);
  // Each disagreeing label moves one row between two clusters.
  const disagree = Math.round((1 - agreement(t.labels, j.labels)) * t.labels.length);
  expect(countDiff).toBeLessThanOrEqual(2 * disagree);
  if (disagree === 0) {
    for (let q = 0; q < k * dims; q++) expect(relDiff(t.sums[q]!, j.sums[q]!)).toBeLessThan(1e-5);
  }
}

const requireHere = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe('tfjs runtime order', () => {
  it('tries tfjs-node-gpu, tfjs-node, tfjs-wasm, tfjs-cpu in that order (webgpu after the CUDA build)', () => {
    const core = TFJS_RUNTIME_ORDER.filter((r) => r !== 'tfjs-webgpu');
    expect(core).toEqual(['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu']);
    expect(TFJS_RUNTIME_ORDER.indexOf('tfjs-webgpu')).toBe(1);
  });

  it('uses the first runtime that loads and gives a reason for each one skipped', async () => {
    const backend = createTfjsBackend();
    const report = await backend.runtimeReport();
    expect(report.runtime).not.toBeNull();
    const names = report.tried.map((p) => p.name);
    expect(names).toEqual(TFJS_RUNTIME_ORDER.slice(0, names.length));
    expect(report.tried.at(-1)!.available).toBe(true);
    for (const p of report.tried.slice(0, -1)) {
      expect(p.available).toBe(false);
      if (!p.available) expect(p.reason.length).toBeGreaterThan(10);
    }
    if (!installed('@tensorflow/tfjs-node-gpu')) {
      const gpu = report.tried[0]!;
      expect(gpu.available ? '' : gpu.reason).toBe('@tensorflow/tfjs-node-gpu is not installed (npm install @tensorflow/tfjs-node-gpu)');
    }
    const a = await backend.checkAvailability();
    expect(a.available).toBe(true);
    if (a.available) expect(a.detail).toContain(report.runtime!.name);
    const job = await backend.createJob(new Float32Array([1, 2, 3, 4]), 2, 2);
    expect(job.backend).toBe(report.runtime!.name);
    expect(job.exact).toBe(false);
    await job.dispose();
  });

  it('falls back to tfjs-wasm here, where tfjs-node cannot load its native addon', async (ctx) => {
    let nativeLoads = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      nativeLoads = false;
    }
    if (nativeLoads || installed('@tensorflow/tfjs-node-gpu')) {
      ctx.skip(true, 'tfjs-node loads on this machine: the fallback to tfjs-wasm is not what runs here');
      return;
    }
    const report = await createTfjsBackend().runtimeReport();
    expect(report.runtime?.name).toBe('tfjs-wasm');
    const node = report.tried.find((p) => p.name === 'tfjs-node')!;
    expect(node.available).toBe(false);
    if (!node.available) expect(node.reason).toMatch(/^@tensorflow\/tfjs-node (is not installed|failed to load: )/);
  });

  it('imports tfjs packages only dynamically (a missing package cannot break module loading)', () => {
    const dir = fileURLToPath(new URL('../src/backends/tfjs/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      const staticImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
      expect(staticImports.filter((spec) => spec.startsWith('@tensorflow/') || spec === 'webgpu'), file).toEqual([]);
    }
  });

  it('restricts to the runtimes given, and rejects unknown ones with INVALID_OPTION', async () => {
    const cpu = createTfjsBackend({ runtimes: ['tfjs-cpu'] });
    expect((await cpu.runtimeReport()).runtime?.name).toBe('tfjs-cpu');
    const job = await cpu.createJob(new Float32Array([0, 0]), 1, 2);
    expect(job.backend).toBe('tfjs-cpu');
    await job.dispose();
    expect(() => createTfjsBackend({ runtimes: ['tfjs-cuda' as TfjsRuntimeName] })).toThrowError(/unknown tfjs runtime 'tfjs-cuda'/);
    try {
      createTfjsBackend({ memoryBudgetBytes: 0 });
      expect.unreachable();
    } catch (e) {
      expect((e as SegmentaError).code).toBe('INVALID_OPTION');
      expect((e as Error).message).toContain('got 0');
    }
  });

  it('reports a bad SEGMENTA_TFJS_RUNTIME as the reason it is unavailable', async () => {
    const before = process.env.SEGMENTA_TFJS_RUNTIME;
    process.env.SEGMENTA_TFJS_RUNTIME = 'tfjs-abacus';
    try {
      const backend = createTfjsBackend();
      const a = await backend.checkAvailability();
      expect(a.available).toBe(false);
      if (!a.available) expect(a.reason).toContain("SEGMENTA_TFJS_RUNTIME='tfjs-abacus' is not a tfjs runtime");
      await expect(backend.createJob(new Float32Array(2), 1, 2)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    } finally {
      if (before === undefined) delete process.env.SEGMENTA_TFJS_RUNTIME;
      else process.env.SEGMENTA_TFJS_RUNTIME = before;
    }
  });

  it('rejects data whose length is not rows × dims with SHAPE_MISMATCH', async () => {
    await expect(createTfjsBackend().createJob(new Float32Array(5), 2, 2)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});

describe.each(['tfjs-wasm', 'tfjs-cpu'] as const)('tfjs kernels on %s match the js oracle within tolerance', (runtime) => {
  const rows = 30_000;
  const dims = 5;
  const k = 7;
  const data = blobs(rows, dims, 6, 11);
  let tjob: TfjsJob;
  let jjob: KernelJob;
  let tensorsBefore = 0;

  beforeAll(async () => {
    const backend = createTfjsBackend({ runtimes: [runtime], chunkRows: 3 * ROW_BLOCK_SIZE });
    await backend.runtimeReport();
    tensorsBefore = tf.memory().numTensors;
    tjob = (await backend.createJob(data, rows, dims)) as TfjsJob;
    jjob = await jsReferenceBackend.createJob(data, rows, dims);
  });
  afterAll(async () => {
    await tjob.dispose();
    await jjob.dispose();
    // the shared job, used by every kernel, frees every tensor it made too
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('assign: WCSS, labels, sums, counts, distances and changed', async () => {
    expect(tjob.backend).toBe(runtime);
    const centroids = pickCentroids(data, rows, dims, k, 3);
    const t = await runAssign(tjob, centroids, k);
    const j = await runAssign(jjob, centroids, k);
    expect(t.changed).toBe(rows);
    expectAssignParity(t, j, dims);
    expect(relDiff(t.wcss, j.wcss)).toBeLessThan(1e-6);
    for (let i = 0; i < rows; i += 97) expect(Math.abs(t.distances[i]! - j.distances[i]!)).toBeLessThan(1e-3 * Math.max(1, j.distances[i]!));
    // Same centroids again: nothing changes.
    const again = await runAssign(tjob, centroids, k);
    expect(again.changed).toBe(0);
    expect(again.wcss).toBe(t.wcss);
    // A centre update moves some rows; changed counts them against the previous labels.
    const moved = new Float32Array(k * dims);
    for (let c = 0; c < k; c++) for (let q = 0; q < dims; q++) moved[c * dims + q] = j.counts[c]! > 0 ? j.sums[c * dims + q]! / j.counts[c]! : centroids[c * dims + q]!;
    const t2 = await runAssign(tjob, moved, k);
    const j2 = await runAssign(jjob, moved, k);
    let expectedChanged = 0;
    for (let i = 0; i < rows; i++) if (t2.labels[i] !== t.labels[i]) expectedChanged++;
    expect(t2.changed).toBe(expectedChanged);
    expect(Math.abs(t2.changed - j2.changed)).toBeLessThanOrEqual(rows * (1 - LABEL_AGREEMENT));
    expectAssignParity(t2, j2, dims);
  });

  it('k-means++ kernels: updateClosest, candidatePotentials, chooseCandidate and readClosest', async () => {
    const picks = pickCentroids(data, rows, dims, 4, 8);
    for (let s = 0; s < 3; s++) {
      const center = picks.subarray(s * dims, (s + 1) * dims);
      const pt = await tjob.updateClosest(center, s === 0);
      const pj = await jjob.updateClosest(center, s === 0);
      // Much tighter than the contract's tolerance: k-means++ draws rows against this potential.
      expect(relDiff(pt, pj)).toBeLessThan(1e-6);
    }
    const candidates = new Float32Array(3 * dims);
    [17, rows >> 1, rows - 5].forEach((r, t) => candidates.set(data.subarray(r * dims, (r + 1) * dims), t * dims));
    const outT = new Float64Array(3);
    const outJ = new Float64Array(3);
    await tjob.candidatePotentials(candidates, 3, outT);
    await jjob.candidatePotentials(candidates, 3, outJ);
    for (let c = 0; c < 3; c++) expect(relDiff(outT[c]!, outJ[c]!)).toBeLessThan(1e-6);
    const ct = new Float32Array(rows);
    const cj = new Float32Array(rows);
    await tjob.readClosest(ct);
    await jjob.readClosest(cj);
    for (let i = 0; i < rows; i += 101) expect(Math.abs(ct[i]! - cj[i]!)).toBeLessThan(1e-3 * Math.max(1, cj[i]!));
    // candidatePotentials must not change the closest distances.
    const ct2 = new Float32Array(rows);
    await tjob.readClosest(ct2);
    expect(ct2).toEqual(ct);
    // chooseCandidate: that candidate's potential, and the closest distances updateClosest would leave
    const pick = 1;
    const chosenT = await tjob.chooseCandidate!(pick);
    expect(chosenT).toBe(outT[pick]);
    expect(relDiff(chosenT, await jjob.updateClosest(candidates.subarray(pick * dims, (pick + 1) * dims), false))).toBeLessThan(1e-6);
    await tjob.readClosest(ct);
    await jjob.readClosest(cj);
    let off = 0;
    for (let i = 0; i < rows; i++) if (!(Math.abs(ct[i]! - cj[i]!) < 1e-3 * Math.max(1, cj[i]!))) off++;
    expect(off, 'rows whose closest distance differs from js after chooseCandidate').toBe(0);
    expect(ct2[rows >> 1]).toBeGreaterThan(0);
    expect(ct[rows >> 1], 'the chosen row is (about) at distance 0 from itself').toBeLessThan(1e-4 * ct2[rows >> 1]!);
  });

  it('pairwiseDistances matches the js kernel (condensed order)', async () => {
    const small = blobs(300, dims, 3, 5);
    const backend = createTfjsBackend({ runtimes: [runtime] });
    const tj = await backend.createJob(small, 300, dims);
    const jj = await jsReferenceBackend.createJob(small, 300, dims);
    try {
      // rows 10..20 against every later row
      const len = Array.from({ length: 10 }, (_, q) => 300 - (10 + q) - 1).reduce((a, b) => a + b, 0);
      const a = new Float64Array(len);
      const b = new Float64Array(len);
      await tj.pairwiseDistances!(10, 20, a);
      await jj.pairwiseDistances!(10, 20, b);
      for (let q = 0; q < len; q++) expect(Math.abs(a[q]! - b[q]!)).toBeLessThan(1e-4 * Math.max(1, b[q]!));
    } finally {
      await tj.dispose();
      await jj.dispose();
    }
  });

  it('frees every tensor it made once disposed', async () => {
    const backend = createTfjsBackend({ runtimes: [runtime] });
    const before = tf.memory().numTensors;
    const job = await backend.createJob(data, rows, dims);
    await runAssign(job, pickCentroids(data, rows, dims, k, 4), k);
    await job.updateClosest(data.subarray(0, dims), true);
    await job.candidatePotentials(data.subarray(0, 2 * dims), 2, new Float64Array(2));
    await job.dispose();
    await job.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
    // the count does see tensors: the suite's shared job still holds its own
    expect(before).toBeGreaterThan(tensorsBefore);
  });
});

describe('tfjs float64 accumulation', () => {
  it('keeps the WCSS and k-means++ potentials of 200k rows within 5e-8 of the js oracle (64-row float32 runs)', async () => {
    const rows = 200_000;
    const dims = 4;
    const k = 5;
    const rng = new SeededRandom(1);
    const data = new Float32Array(rows * dims).map(() => rng.nextGaussian() + 3);
    const centroids = data.slice(0, k * dims);
    const tj = await createTfjsBackend({ runtimes: ['tfjs-wasm'] }).createJob(data, rows, dims);
    const jj = await jsReferenceBackend.createJob(data, rows, dims);
    try {
      for (let c = 0; c < 2; c++) {
        const center = centroids.subarray(c * dims, (c + 1) * dims);
        expect(relDiff(await tj.updateClosest(center, c === 0), await jj.updateClosest(center, c === 0))).toBeLessThan(5e-8);
      }
      const t = await runAssign(tj, centroids, k);
      const j = await runAssign(jj, centroids, k);
      expect(relDiff(t.wcss, j.wcss)).toBeLessThan(5e-8);
      expect(Array.from(t.counts)).toEqual(Array.from(j.counts));
    } finally {
      await tj.dispose();
      await jj.dispose();
    }
  });
});

describe('tfjs memory budget', () => {
  it('processes rows in budget-sized passes and never builds the whole rows × k matrix', async () => {
    const rows = 120_000;
    const dims = 4;
    const k = 32;
    const data = blobs(rows, dims, 8, 17);
    const budget = 4 << 20; // 4 MiB; the whole 120000 × 32 distance matrix alone is 15.4 MB
    const backend = createTfjsBackend({ runtimes: ['tfjs-wasm'], memoryBudgetBytes: budget });
    const job = (await backend.createJob(data, rows, dims)) as TfjsJob;
    const jjob = await jsReferenceBackend.createJob(data, rows, dims);
    try {
      const centroids = pickCentroids(data, rows, dims, k, 9);
      const bytesBefore = tf.memory().numBytes;
      let t: AssignOutcome | undefined;
      const profile = await tf.profile(async () => {
        t = await runAssign(job, centroids, k);
        return [];
      });
      const passRows = passRowsFor(k, budget);
      expect(passRows).toBeLessThan(rows / 4);
      expect(job.maxPassRows).toBe(passRows);
      // Temporaries of one pass, plus the job's new labels and distances (8 bytes a row, twice while concatenated).
      const peakExtra = profile.peakBytes - bytesBefore;
      expect(peakExtra).toBeLessThan(budget + rows * 16);
      expect(peakExtra).toBeLessThan((rows * k * 4) / 3);
      expectAssignParity(t!, await runAssign(jjob, centroids, k), dims);
    } finally {
      await job.dispose();
      await jjob.dispose();
    }
  });

  it('clamps the matMul form at 0: rows equal to a centroid far from the origin get distance 0, never negative', async () => {
    const dims = 3;
    const rows = 5000;
    const data = new Float32Array(rows * dims);
    const rng = new SeededRandom(2);
    for (let i = 0; i < rows; i++) {
      const base = i % 2 === 0 ? 1000.1 : -2000.3;
      for (let j = 0; j < dims; j++) data[i * dims + j] = base + (i % 4 < 2 ? 0 : rng.nextFloat() * 1e-3);
    }
    const centroids = new Float32Array([1000.1, 1000.1, 1000.1, -2000.3, -2000.3, -2000.3]);
    const job = await createTfjsBackend({ runtimes: ['tfjs-wasm'] }).createJob(data, rows, dims);
    try {
      const t = await runAssign(job, centroids, 2);
      for (let i = 0; i < rows; i++) expect(t.distances[i]).toBeGreaterThanOrEqual(0);
      expect(t.wcss).toBeGreaterThanOrEqual(0);
      expect(t.counts[0]! + t.counts[1]!).toBe(rows);
      expect(t.labels[0]).toBe(0);
      expect(t.labels[1]).toBe(1);
    } finally {
      await job.dispose();
    }
  });

  it('turns a runtime out of memory during the upload into MEMORY_LIMIT, freeing the chunks already made', async () => {
    const report = await createTfjsBackend({ runtimes: ['tfjs-wasm'] }).runtimeReport();
    const real = report.runtime!;
    let calls = 0;
    const failingTf = {
      ...real.tf,
      tensor2d: (...args: Parameters<typeof tf.tensor2d>) => {
        if (++calls === 3) throw new Error('Cannot enlarge memory arrays to size 2147549184 bytes');
        return real.tf.tensor2d(...args);
      },
    } as typeof tf;
    const before = tf.memory().numTensors;
    const rows = 3 * ROW_BLOCK_SIZE;
    const upload = TfjsJob.create({ ...real, tf: failingTf }, blobs(rows, 3, 2, 4), rows, 3, { memoryBudgetBytes: 1 << 20, chunkRows: ROW_BLOCK_SIZE });
    await expect(upload).rejects.toMatchObject({ code: 'MEMORY_LIMIT' });
    await expect(upload).rejects.toThrowError(/tfjs-wasm could not hold 12288 rows × 3 features \(about 1 MB of tensors\): Cannot enlarge memory/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops an upload when the signal aborts, leaking no tensors', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort(new Error('user pressed ctrl-c'));
    const data = blobs(20_000, 4, 3, 1);
    await expect(createTfjsBackend({ runtimes: ['tfjs-wasm'], chunkRows: ROW_BLOCK_SIZE }).createJob(data, 20_000, 4, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tfjs through the K-Means drivers', () => {
  /** 4 generated features (Age, Income, Score + 1 extra), standard-scaled. */
  async function customers(rows: number): Promise<Matrix> {
    const raw = generatedFeatureMatrix(generateCustomers({ rows, features: 4, seed: 7 }));
    return fitScaler(raw, 'standard').transform(raw);
  }

  it('fitKMeans and sweepK on tfjs leave tf.memory().numTensors as they found it', async () => {
    const matrix = await customers(20_000);
    const backend = createTfjsBackend({ runtimes: ['tfjs-wasm'] });
    await backend.runtimeReport();
    const before = tf.memory().numTensors;
    const fit = await fitKMeans(matrix, { k: 5, nInit: 2, seed: 3, backend });
    expect(fit.backend).toBe('tfjs-wasm');
    expect(tf.memory().numTensors).toBe(before);
    const sweep = await sweepK(matrix, { kMin: 1, kMax: 6, nInit: 1, seed: 3, backend });
    expect(sweep.backend).toBe('tfjs-wasm');
    expect(sweep.wcss).toHaveLength(6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an aborted fit on tfjs rejects with ABORTED and frees its tensors', async () => {
    const matrix = await customers(20_000);
    const backend = createTfjsBackend({ runtimes: ['tfjs-wasm'] });
    await backend.runtimeReport();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const fit = fitKMeans(matrix, {
      k: 6,
      nInit: 3,
      seed: 1,
      backend,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'iteration') controller.abort(new Error('stop'));
      },
    });
    await expect(fit).rejects.toMatchObject({ code: 'ABORTED' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['tfjs-wasm', 'tfjs-cpu'] as const)('fitKMeans on %s: WCSS within 1e-4 of js and at least 99.9 percent equal labels (50k customers, k = 5)', async (runtime) => {
    const matrix = await customers(50_000);
    const options = { k: 5, nInit: 3, seed: 42 };
    const js = await fitKMeans(matrix, { ...options, backend: jsReferenceBackend });
    const t = await fitKMeans(matrix, { ...options, backend: createTfjsBackend({ runtimes: [runtime] }) });
    expect(t.backend).toBe(runtime);
    expect(relDiff(t.wcss, js.wcss)).toBeLessThan(WCSS_REL_TOL);
    expect(agreement(t.labels, js.labels)).toBeGreaterThanOrEqual(LABEL_AGREEMENT);
  });

  it('the registered tfjs backend is picked by name, ranks between wasm and js, and reports its runtime', async () => {
    await import('../src/backends/built-in-backends.js');
    const b = await resolveBackend('tfjs');
    expect(b.priority).toBe(50);
    const matrix = await customers(5_000);
    const fit = await fitKMeans(matrix, { k: 3, nInit: 1, seed: 1, backend: 'tfjs' });
    expect(fit.backend).toMatch(/^tfjs-(node-gpu|webgpu|node|wasm|cpu)$/);
  });
});
