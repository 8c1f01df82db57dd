/**
 * Thread-count invariance on wide-range data. Values from 1e-6 to 1e6 make
 * float64 sums depend on the order of their terms, so a backend that adds its
 * block partials in any order other than block order (e.g. in the order the
 * threads finished, or even blocks then odd) gives different bits here. Exact
 * backends are held to identical values (`toBe`), never a tolerance.
 */
import { describe, expect, it } from 'vitest';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, type KernelJob } from '../src/backends/kernel-contract.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { wasmBackend } from '../src/backends/wasm/wasm-backend.js';

const availability = await wasmBackend.checkAvailability();
const WASM_SKIP = availability.available ? '' : ` — skipped: wasm backend unavailable (${availability.detail}); run npm run build:wasm`;
if (WASM_SKIP) console.warn(WASM_SKIP);

/** Rows whose features have magnitudes spread log-uniformly over 1e-6..1e6, in a few groups. */
function wideRange(rows: number, dims: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < rows; i++) {
    const group = rng.nextInt(4);
    for (let j = 0; j < dims; j++) {
      const magnitude = 10 ** (-6 + 12 * rng.nextFloat());
      data[i * dims + j] = (group === j % 4 ? 1e6 : 0) + (rng.nextFloat() < 0.5 ? -magnitude : magnitude);
    }
  }
  return data;
}

interface Outputs {
  wcss: number[];
  changed: number[];
  sums: number[];
  counts: number[];
  potentials: number[];
}

/** Assign passes, then the k-means++ kernels, recording every float64 the job returns. */
async function run(job: KernelJob, data: Float32Array, k: number): Promise<Outputs> {
  const d = job.dims;
  const out: Outputs = { wcss: [], changed: [], sums: [], counts: [], potentials: [] };
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const centroids = data.slice(0, k * d);
  for (let it = 0; it < 3; it++) {
    const s = await job.assign(centroids, k, sums, counts);
    out.wcss.push(s.wcss);
    out.changed.push(s.changed);
    out.sums.push(...sums);
    out.counts.push(...counts);
    for (let q = 0; q < k * d; q++) {
      const n = counts[Math.floor(q / d)]!;
      if (n > 0) centroids[q] = Math.fround(sums[q]! / n);
    }
  }
  out.potentials.push(await job.updateClosest(data.subarray(0, d), true));
  out.potentials.push(await job.updateClosest(data.subarray(7 * d, 8 * d), false));
  const pots = new Float64Array(4);
  await job.candidatePotentials(data.subarray(100 * d, 104 * d), 4, pots);
  out.potentials.push(...pots);
  out.potentials.push(await job.chooseCandidate!(2));
  out.potentials.push(await job.updateClosest(data.subarray(9 * d, 10 * d), false));
  return out;
}

function expectIdentical(got: Outputs, want: Outputs, tag: string): void {
  for (const key of Object.keys(want) as Array<keyof Outputs>) {
    expect(got[key].length, `${tag} ${key}`).toBe(want[key].length);
    for (let q = 0; q < want[key].length; q++) expect(got[key][q], `${tag} ${key}[${q}]`).toBe(want[key][q]);
  }
}

describe.skipIf(!availability.available)(`wasm on wide-range data (1e-6 to 1e6): identical to js for any thread count${WASM_SKIP}`, () => {
  const rows = 9 * ROW_BLOCK_SIZE + 517;
  const dims = 3;
  const k = 5;
  const data = wideRange(rows, dims, 21);

  it('the data really is order-sensitive: summing the blocks in another order changes the bits', () => {
    // WCSS-like block totals of squared values, added in block order and in even-then-odd order
    const blocks: number[] = [];
    for (let b = 0; b * ROW_BLOCK_SIZE < rows; b++) {
      let s = 0;
      for (let i = b * ROW_BLOCK_SIZE; i < Math.min(rows, (b + 1) * ROW_BLOCK_SIZE); i++) s += data[i * dims]! * data[i * dims]!;
      blocks.push(s);
    }
    let inOrder = 0;
    for (const s of blocks) inOrder += s;
    let evenOdd = 0;
    for (let b = 0; b < blocks.length; b += 2) evenOdd += blocks[b]!;
    for (let b = 1; b < blocks.length; b += 2) evenOdd += blocks[b]!;
    let reversed = 0;
    for (let b = blocks.length - 1; b >= 0; b--) reversed += blocks[b]!;
    expect(evenOdd !== inOrder || reversed !== inOrder).toBe(true);
  });

  it('assign, updateClosest, candidatePotentials and chooseCandidate: the same float64 bits at 1, 2 and 3 threads as js', async () => {
    const ref = await jsReferenceBackend.createJob(data, rows, dims);
    const want = await run(ref, data, k);
    await ref.dispose();
    for (const threads of [1, 2, 3]) {
      const job = await wasmBackend.createJob(data, rows, dims, { threads });
      try {
        expectIdentical(await run(job, data, k), want, `threads=${threads}`);
      } finally {
        await job.dispose();
      }
    }
  });

  it('fitKMeans: identical WCSS, centroids and labels at 1 and 2 threads and on js', async () => {
    const m = { data, rows, cols: dims };
    const a = await fitKMeans(m, { k, seed: 2, nInit: 2, refine: false, backend: jsReferenceBackend });
    for (const threads of [1, 2]) {
      const b = await fitKMeans(m, { k, seed: 2, nInit: 2, refine: false, backend: wasmBackend, threads });
      expect(b.wcss, `threads=${threads}`).toBe(a.wcss);
      expect(b.runWcss).toEqual(a.runWcss);
      expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    }
  });
});
