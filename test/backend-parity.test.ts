/**
 * Backend parity: ONE suite, run for every registered backend (describe.each
 * over the registry), against the js reference as the answer key.
 *
 * The js reference is the answer key, so it is not a variant itself (comparing
 * it with itself would pass whatever it computed; test/js-reference.test.ts
 * checks it against hand-computed values instead).
 *
 * Tolerance follows the job's `exact` flag (kernel-contract.ts):
 * - exact jobs: identical bits (`toBe`) for labels, counts, `changed`, WCSS,
 *   potentials, sums and distances, as the numeric contract promises;
 * - inexact jobs (tfjs's matMul form): WCSS within 1e-4 relative and >= 99.9%
 *   equal labels (compared up to permutation at the fit level, where a
 *   different init path may permute segment numbers).
 *
 * A backend is skipped (with its reason printed) only when its availability
 * check says it cannot run here. The wasm backend must be available: `npm ci`
 * builds it, and a test below fails when it is not.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { backendNames, listBackends, resolveBackend } from '../src/backends/backend-registry.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, type KernelBackend, type KernelJob } from '../src/backends/kernel-contract.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { matrixFreeMerges } from '../src/drivers/agglomerative/matrix-free-linkage.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';

const INEXACT_WCSS_REL = 1e-4;
const INEXACT_LABELS = 0.999;

interface Variant {
  name: string;
  backend: KernelBackend | undefined;
  threads: number | undefined;
  /** Why the backend cannot run here, or null. */
  skip: string | null;
  /** The job's `exact` flag (decides the tolerance of fit-level checks). */
  exact: boolean;
  /** Whether its jobs offer the optional pairwiseDistances kernel. */
  pairwise: boolean;
}

/** Every registered backend but the js reference; the threaded wasm backend at 1 and 2 threads. */
async function variants(): Promise<Variant[]> {
  const out: Variant[] = [];
  for (const status of await listBackends()) {
    if (status.name === jsReferenceBackend.name) continue;
    const backend = status.available ? await resolveBackend(status.name) : undefined;
    let exact = true;
    let pairwise = false;
    if (backend) {
      const probe = await backend.createJob(new Float32Array([0, 1]), 2, 1);
      exact = probe.exact;
      pairwise = typeof probe.pairwiseDistances === 'function';
      await probe.dispose();
    }
    const skip = status.available ? null : `${status.name} is unavailable here: ${status.detail}`;
    const threadCounts = status.name === 'wasm' ? [1, 2] : [undefined];
    for (const threads of threadCounts) {
      out.push({ name: threads ? `${status.name} (${threads} thread${threads > 1 ? 's' : ''})` : status.name, backend, threads, skip, exact, pairwise });
    }
  }
  return out;
}

const VARIANTS = await variants();
for (const v of VARIANTS) if (v.skip) console.warn(`backend parity: skipping ${v.name}: ${v.skip}`);

function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** Uniform data with a few duplicated rows (ties) and one cluster far away. */
function randomData(rows: number, dims: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < rows; i++) {
    const far = i % 7 === 3 ? 40 : 0;
    for (let j = 0; j < dims; j++) data[i * dims + j] = far + rng.nextGaussian() * (1 + j);
  }
  for (let i = 5; i < rows; i += 97) data.copyWithin(i * dims, (i - 5) * dims, (i - 4) * dims);
  return data;
}

function pickRows(data: Float32Array, rows: number, dims: number, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(k * dims);
  for (let c = 0; c < k; c++) {
    const r = rng.nextInt(rows);
    for (let j = 0; j < dims; j++) out[c * dims + j] = data[r * dims + j]! + (c % 3 === 0 ? 0 : 0.25 * rng.nextGaussian());
  }
  return out;
}

function labelAgreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length === 0 ? 1 : same / a.length;
}

/** Fraction of rows whose label matches after mapping each label of `a` to its most frequent partner in `b`. */
function agreementUpToPermutation(a: Int32Array, b: Int32Array): number {
  const pairs = new Map<number, Map<number, number>>();
  for (let i = 0; i < a.length; i++) {
    const m = pairs.get(a[i]!) ?? new Map<number, number>();
    m.set(b[i]!, (m.get(b[i]!) ?? 0) + 1);
    pairs.set(a[i]!, m);
  }
  let same = 0;
  for (const m of pairs.values()) same += Math.max(...m.values());
  return same / a.length;
}

function expectClose(actual: number, expected: number, rel: number, what: string): void {
  expect(relDiff(actual, expected), `${what}: ${actual} vs js ${expected}`).toBeLessThanOrEqual(rel);
}

/** Exact jobs: the very same float64; inexact ones: within `rel` of js. */
function expectMatch(exact: boolean, actual: number, expected: number, rel: number, what: string): void {
  if (exact) expect(actual, `${what}: ${actual} vs js ${expected}`).toBe(expected);
  else expectClose(actual, expected, rel, what);
}

/** Runs the same kernel calls on the js job and the job under test and compares every output. */
async function compareKernels(job: KernelJob, ref: KernelJob, data: Float32Array, rows: number, dims: number, k: number, seed: number): Promise<void> {
  const exact = job.exact;
  const tag = `${job.backend} n=${rows} d=${dims} k=${k}`;
  let centroids = pickRows(data, rows, dims, k, seed);
  const sums = [new Float64Array(k * dims), new Float64Array(k * dims)];
  const counts = [new Float64Array(k), new Float64Array(k)];
  const labels = [new Int32Array(rows), new Int32Array(rows)];
  const dist = [new Float32Array(rows), new Float32Array(rows)];
  for (let it = 0; it < 4; it++) {
    // iteration 1: two identical centroids, so every row ties and the first index must win
    if (it === 1 && k >= 2) centroids.copyWithin((k - 1) * dims, 0, dims);
    const a = await ref.assign(centroids, k, sums[0]!, counts[0]!);
    const b = await job.assign(centroids, k, sums[1]!, counts[1]!);
    expectMatch(exact, b.wcss, a.wcss, INEXACT_WCSS_REL, `${tag} it=${it} wcss`);
    await ref.readLabels(labels[0]!);
    await job.readLabels(labels[1]!);
    await ref.readDistances(dist[0]!);
    await job.readDistances(dist[1]!);
    if (exact) {
      expect(labelAgreement(labels[1]!, labels[0]!), `${tag} it=${it} labels`).toBe(1);
      expect(b.changed, `${tag} it=${it} changed`).toBe(a.changed);
      expect(Array.from(counts[1]!), `${tag} it=${it} counts`).toEqual(Array.from(counts[0]!));
      for (let q = 0; q < k * dims; q++) expect(sums[1]![q]!, `${tag} it=${it} sums[${q}]`).toBe(sums[0]![q]!);
      for (let i = 0; i < rows; i++) if (dist[1]![i] !== dist[0]![i]) expect(dist[1]![i], `${tag} distance of row ${i}`).toBe(dist[0]![i]);
    } else {
      expect(labelAgreement(labels[1]!, labels[0]!), `${tag} it=${it} labels`).toBeGreaterThanOrEqual(rows >= 1000 ? INEXACT_LABELS : 1);
    }
    // next centroids from the reference's sums (both jobs get the same ones)
    const next = new Float32Array(k * dims);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < dims; j++) next[c * dims + j] = counts[0]![c]! > 0 ? Math.fround(sums[0]![c * dims + j]! / counts[0]![c]!) : centroids[c * dims + j]!;
    }
    centroids = next;
  }
  // k-means++ kernels
  const first = new SeededRandom(seed + 1).nextInt(rows);
  const centre = data.slice(first * dims, first * dims + dims);
  expectMatch(exact, await job.updateClosest(centre, true), await ref.updateClosest(centre, true), INEXACT_WCSS_REL, `${tag} updateClosest(reset)`);
  const second = pickRows(data, rows, dims, 1, seed + 2);
  expectMatch(exact, await job.updateClosest(second, false), await ref.updateClosest(second, false), INEXACT_WCSS_REL, `${tag} updateClosest`);
  const closest = [new Float32Array(rows), new Float32Array(rows)];
  await ref.readClosest(closest[0]!);
  await job.readClosest(closest[1]!);
  if (exact) expect(Array.from(closest[1]!), `${tag} closest`).toEqual(Array.from(closest[0]!));
  const trials = 2 + Math.floor(Math.log(k));
  const candidates = pickRows(data, rows, dims, trials, seed + 3);
  const pots = [new Float64Array(trials), new Float64Array(trials)];
  await ref.candidatePotentials(candidates, trials, pots[0]!);
  await job.candidatePotentials(candidates, trials, pots[1]!);
  for (let t = 0; t < trials; t++) expectMatch(exact, pots[1]![t]!, pots[0]![t]!, INEXACT_WCSS_REL, `${tag} potential ${t}`);
  // the fused step: choosing a candidate gives what updateClosest with it gives (the reference runs the pass)
  const pick = trials - 1;
  const viaUpdate = await ref.updateClosest(candidates.subarray(pick * dims, (pick + 1) * dims), false);
  const viaChoice = await job.chooseCandidate!(pick);
  expectMatch(exact, viaChoice, viaUpdate, INEXACT_WCSS_REL, `${tag} chooseCandidate`);
  if (exact) expect(viaChoice, `${tag} chooseCandidate = that candidate's potential`).toBe(pots[1]![pick]!);
  await ref.readClosest(closest[0]!);
  await job.readClosest(closest[1]!);
  if (exact) expect(Array.from(closest[1]!), `${tag} closest after chooseCandidate`).toEqual(Array.from(closest[0]!));
}

const KERNEL_CASES: Array<[rows: number, dims: number, k: number]> = [
  [1, 1, 1],
  [3, 2, 2],
  [13, 3, 12],
  [ROW_BLOCK_SIZE + 3, 4, 10],
  [2 * ROW_BLOCK_SIZE + 1001, 5, 7],
  [999, 6, 5],
  [ROW_BLOCK_SIZE - 1, 7, 11],
  [3 * ROW_BLOCK_SIZE + 2, 8, 8],
  [5003, 9, 3],
  [4101, 1, 6],
  [2050, 2, 9],
  [6007, 3, 4],
  [1234, 12, 6],
];

/** Generated customers (4 features), standard-scaled. */
function generatedMatrix(rows: number, features: number, seed: number): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, seed, features }));
  return fitScaler(raw, 'standard').transform(raw);
}

/** The js reference's matrix-free merges, computed once for every variant. */
const referenceMerges = new Map<string, Float64Array>();

describe.each(VARIANTS)('backend parity: $name vs js', (v) => {
  const test = v.skip ? it.skip : it;
  const backend = v.backend!;
  const opts = { backend, ...(v.threads ? { threads: v.threads } : {}) };

  test.each(KERNEL_CASES)('kernels on random data: n=%i d=%i k=%i', async (rows, dims, k) => {
    const data = randomData(rows, dims, rows * 31 + dims * 7 + k);
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const job = await backend.createJob(data, rows, dims, v.threads ? { threads: v.threads } : {});
    try {
      await compareKernels(job, ref, data, rows, dims, k, rows + k);
      // a different k on the same job, then back
      await compareKernels(job, ref, data, rows, dims, Math.max(1, k - 2), rows + 2 * k);
    } finally {
      await job.dispose();
      await ref.dispose();
    }
  });

  const pairwiseTest = v.skip || !v.pairwise ? it.skip : it;
  pairwiseTest(`pairwise distances (condensed, any row range)${!v.skip && !v.pairwise ? ` — skipped: ${v.name} has no pairwiseDistances kernel` : ''}`, async () => {
    const rows = 301;
    for (const dims of [1, 2, 3, 4, 5, 8, 9]) {
      const data = randomData(rows, dims, dims);
      const ref = await jsReferenceBackend.createJob(data, rows, dims);
      const job = await backend.createJob(data, rows, dims, v.threads ? { threads: v.threads } : {});
      try {
        expect(job.pairwiseDistances, `${job.backend}: pairwiseDistances`).toBeTypeOf('function');
        for (const [r0, r1] of [
          [0, rows],
          [17, 18],
          [100, 250],
          [299, 301],
        ] as const) {
          const count = ((r1 - r0) * (2 * rows - r0 - r1 - 1)) / 2;
          const a = new Float64Array(count);
          const b = new Float64Array(count);
          await ref.pairwiseDistances!(r0, r1, a);
          await job.pairwiseDistances!(r0, r1, b);
          for (let q = 0; q < count; q++) {
            if (job.exact ? a[q] !== b[q] : relDiff(b[q]!, a[q]!) > 1e-4 && Math.abs(b[q]! - a[q]!) > 1e-3) {
              expect(b[q], `${job.backend} d=${dims} rows [${r0}, ${r1}) pair ${q}`).toBe(a[q]);
            }
          }
        }
      } finally {
        await job.dispose();
        await ref.dispose();
      }
    }
  });

  test('matrix-free linkage kernels (ward chain, Prim): the same merges and heights, bit for bit', async () => {
    // 5003 rows: two blocks (threads), and the table compacts itself as clusters die.
    for (const [rows, dims] of [
      [2, 1],
      [57, 1],
      [301, 3],
      [777, 9],
      [5003, 4],
    ] as const) {
      const data = randomData(rows, dims, rows + dims);
      const ref = await jsReferenceBackend.createJob(data, rows, dims);
      const job = await backend.createJob(data, rows, dims, v.threads ? { threads: v.threads } : {});
      try {
        for (const linkage of ['ward', 'single'] as const) {
          const key = `${rows}x${dims} ${linkage}`;
          if (!referenceMerges.has(key)) referenceMerges.set(key, await matrixFreeMerges(ref, linkage));
          const a = referenceMerges.get(key)!;
          const b = await matrixFreeMerges(job, linkage);
          // wasm: another kernel that uses the job's staging area ends the linkage state; it must be started again
          if (job.backend.startsWith('wasm') && rows > 2) {
            await job.pairwiseDistances(0, 1, new Float64Array(rows - 1));
            await expect(job.wardNearest!(0, -1)).rejects.toThrow(/linkageStart/);
          }
          let first = -1;
          for (let q = 0; q < a.length && first < 0; q++) if (a[q] !== b[q]) first = q;
          expect(first, `${job.backend} ${linkage} n=${rows} d=${dims}: first differing merge value`).toBe(-1);
        }
      } finally {
        await job.dispose();
        await ref.dispose();
      }
    }
  });

  (HAVE_MALL && !v.skip ? it : it.skip)(`fitKMeans and sweepK on Mall (income, score)${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, async () => {
    const table = await readCustomerTable(MALL_CSV, { features: [INCOME, SCORE] });
    const m = table.matrix;
    const a = await fitKMeans(m, { k: 5, seed: 42, nInit: 3, backend: 'js' });
    const b = await fitKMeans(m, { k: 5, seed: 42, nInit: 3, ...opts });
    const exactJob = v.exact;
    if (exactJob) {
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(b.wcss).toBe(a.wcss);
      expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    } else {
      expectClose(b.wcss, a.wcss, INEXACT_WCSS_REL, 'Mall k=5 wcss');
      expect(agreementUpToPermutation(b.labels, a.labels)).toBeGreaterThanOrEqual(INEXACT_LABELS);
    }
    const sa = await sweepK(m, { kMin: 1, kMax: 10, nInit: 3, seed: 42, backend: 'js' });
    const sb = await sweepK(m, { kMin: 1, kMax: 10, nInit: 3, seed: 42, ...opts });
    for (let q = 0; q < sa.wcss.length; q++) expectMatch(exactJob, sb.wcss[q]!, sa.wcss[q]!, INEXACT_WCSS_REL, `Mall sweep k=${sa.ks[q]}`);
    expect(sb.suggestedK).toBe(sa.suggestedK);
  });

  test('fitKMeans and sweepK on generated customers (4 features, standard scaling)', async () => {
    const m = generatedMatrix(3 * ROW_BLOCK_SIZE + 777, 4, 11);
    const a = await fitKMeans(m, { k: 5, seed: 3, nInit: 2, backend: 'js' });
    const b = await fitKMeans(m, { k: 5, seed: 3, nInit: 2, ...opts });
    const exactJob = v.exact;
    if (exactJob) {
      expect(labelAgreement(b.labels, a.labels)).toBe(1);
      expect(b.wcss).toBe(a.wcss);
      expect(b.iterations).toBe(a.iterations);
    } else {
      expectClose(b.wcss, a.wcss, INEXACT_WCSS_REL, 'generated k=5 wcss');
      expect(agreementUpToPermutation(b.labels, a.labels)).toBeGreaterThanOrEqual(INEXACT_LABELS);
    }
    const sa = await sweepK(m, { kMin: 1, kMax: 7, nInit: 2, seed: 5, backend: 'js' });
    const sb = await sweepK(m, { kMin: 1, kMax: 7, nInit: 2, seed: 5, ...opts });
    for (let q = 0; q < sa.wcss.length; q++) {
      expectMatch(exactJob, sb.wcss[q]!, sa.wcss[q]!, INEXACT_WCSS_REL, `generated sweep k=${sa.ks[q]}`);
    }
  });
});

describe('backend parity prerequisites', () => {
  it('the wasm backend is registered and available (npm ci builds build/segmenta-kernels.wasm)', async () => {
    expect(backendNames()).toContain('wasm');
    const wasm = VARIANTS.find((v) => v.name.startsWith('wasm'));
    expect(wasm?.skip ?? null, 'run npm run build:wasm').toBeNull();
  });

  it('the js reference is the answer key, never a variant compared with itself', () => {
    expect(backendNames()).toContain('js');
    expect(VARIANTS.map((v) => v.name)).not.toContain('js');
    expect(VARIANTS.length).toBeGreaterThanOrEqual(3); // wasm at 1 and 2 threads, tfjs
  });

  it('auto resolves to wasm', async () => {
    expect((await resolveBackend('auto')).name).toBe('wasm');
  });
});
