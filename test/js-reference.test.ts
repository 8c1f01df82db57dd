/**
 * The js reference backend against values computed by hand and against the
 * numeric contract written out naively here (float32 distances, float64 sums
 * row by row inside 4096-row blocks, blocks added in order). It is the answer
 * key of every backend-parity test, so it is checked on its own.
 */
import { describe, expect, it } from 'vitest';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { ROW_BLOCK_SIZE, squaredDistanceF32, type KernelJob } from '../src/backends/kernel-contract.js';
import { SeededRandom } from '../src/common/seeded-random.js';

const f32 = (v: number[]): Float32Array => Float32Array.from(v);

describe('js reference kernels on data computed by hand', () => {
  // rows (2-D): (0,0) (1,0) (0,2) (10,10) (11,10)
  const data = f32([0, 0, 1, 0, 0, 2, 10, 10, 11, 10]);

  it('describes itself: name js, exact, always available, lowest priority', async () => {
    expect(jsReferenceBackend.name).toBe('js');
    expect(jsReferenceBackend.priority).toBe(0);
    expect(await jsReferenceBackend.checkAvailability()).toEqual({ available: true, detail: 'always available' });
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    expect(job).toMatchObject({ backend: 'js', exact: true, rows: 5, dims: 2 });
  });

  it('assign: nearest centroid, squared distances, sums, counts, WCSS, changed', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    const sums = new Float64Array(4).fill(99);
    const counts = new Float64Array(2).fill(99);
    const s = await job.assign(f32([0, 0, 10, 10]), 2, sums, counts);
    // distances 0, 1, 4 to (0,0); 0, 1 to (10,10)
    expect(s).toEqual({ wcss: 6, changed: 5 });
    expect(Array.from(sums)).toEqual([1, 2, 21, 20]);
    expect(Array.from(counts)).toEqual([3, 2]);
    const labels = new Int32Array(5);
    await job.readLabels(labels);
    expect(Array.from(labels)).toEqual([0, 0, 0, 1, 1]);
    const dist = new Float32Array(5);
    await job.readDistances(dist);
    expect(Array.from(dist)).toEqual([0, 1, 4, 0, 1]);
    // second pass with (0,2) added as a third centroid: row 2 moves to it, one row changed
    const sums3 = new Float64Array(6);
    const counts3 = new Float64Array(3);
    const t = await job.assign(f32([0, 0, 10, 10, 0, 2]), 3, sums3, counts3);
    expect(t).toEqual({ wcss: 2, changed: 1 });
    expect(Array.from(counts3)).toEqual([2, 2, 1]);
    expect(Array.from(sums3)).toEqual([1, 0, 21, 20, 0, 2]);
    // the same centroids again: nothing changes
    expect((await job.assign(f32([0, 0, 10, 10, 0, 2]), 3, sums3, counts3)).changed).toBe(0);
  });

  it('assign: ties go to the first centroid with the smallest distance; sums are overwritten, not added to', async () => {
    const job = await jsReferenceBackend.createJob(f32([5, 5, 5, 5]), 2, 2);
    const sums = new Float64Array(6).fill(7);
    const counts = new Float64Array(3).fill(7);
    // centroids 0 and 2 are equally near (distance 2), centroid 1 is farther
    const s = await job.assign(f32([4, 6, 9, 9, 6, 4]), 3, sums, counts);
    expect(s.wcss).toBe(4);
    expect(Array.from(counts)).toEqual([2, 0, 0]);
    expect(Array.from(sums)).toEqual([10, 10, 0, 0, 0, 0]);
    const labels = new Int32Array(2);
    await job.readLabels(labels);
    expect(Array.from(labels)).toEqual([0, 0]);
    // k smaller than the buffers: only the first k × dims entries are written
    const big = new Float64Array(6).fill(3);
    const bigCounts = new Float64Array(3).fill(3);
    await job.assign(f32([5, 5]), 1, big, bigCounts);
    expect(Array.from(big)).toEqual([10, 10, 3, 3, 3, 3]);
    expect(Array.from(bigCounts)).toEqual([2, 3, 3]);
  });

  it('updateClosest and candidatePotentials (the k-means++ kernels)', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    // from (0,0): 0, 1, 4, 200, 221
    expect(await job.updateClosest(f32([0, 0]), true)).toBe(426);
    const closest = new Float32Array(5);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([0, 1, 4, 200, 221]);
    // candidates (10,10) and (1,0): min(closest, d²) summed: 0+1+4+0+1 = 6 and 0+0+4+181+200 = 385
    const out = new Float64Array(3).fill(-1);
    await job.candidatePotentials(f32([10, 10, 1, 0]), 2, out);
    expect(Array.from(out)).toEqual([6, 385, -1]);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([0, 1, 4, 200, 221]); // unchanged by candidatePotentials
    // take (10,10): closest becomes the minimum
    expect(await job.updateClosest(f32([10, 10]), false)).toBe(6);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([0, 1, 4, 0, 1]);
    // reset replaces instead of taking the minimum: from (11,10)
    expect(await job.updateClosest(f32([11, 10]), true)).toBe(221 + 200 + 185 + 1 + 0);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([221, 200, 185, 1, 0]);
  });

  it('weighted kernels: every row counts w times in WCSS, sums, counts and potentials', async () => {
    const w = Float64Array.from([2, 0.5, 3, 1, 4]);
    const job = await jsReferenceBackend.createJob(data, 5, 2, { weights: w });
    const sums = new Float64Array(4);
    const counts = new Float64Array(2);
    // distances 0, 1, 4 to (0,0) and 0, 1 to (10,10), each times its weight
    const s = await job.assign(f32([0, 0, 10, 10]), 2, sums, counts);
    expect(s).toEqual({ wcss: 2 * 0 + 0.5 * 1 + 3 * 4 + 1 * 0 + 4 * 1, changed: 5 });
    expect(Array.from(counts)).toEqual([2 + 0.5 + 3, 1 + 4]);
    expect(Array.from(sums)).toEqual([0.5 * 1, 3 * 2, 1 * 10 + 4 * 11, 1 * 10 + 4 * 10]);
    // from (0,0): closest 0, 1, 4, 200, 221, weighted
    expect(await job.updateClosest(f32([0, 0]), true)).toBe(0.5 * 1 + 3 * 4 + 200 + 4 * 221);
    const out = new Float64Array(2);
    await job.candidatePotentials(f32([10, 10, 1, 0]), 2, out);
    expect(Array.from(out)).toEqual([0.5 * 1 + 3 * 4 + 0 + 4 * 1, 0 + 3 * 4 + 181 + 4 * 200]);
    // take (10,10) through the update pass: the weighted minimum
    expect(await job.updateClosest(f32([10, 10]), false)).toBe(0.5 * 1 + 3 * 4 + 0 + 4 * 1);
  });

  it('chooseCandidate takes a candidate of the last candidatePotentials: its potential, and closest becomes its minimum', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    await job.updateClosest(f32([0, 0]), true);
    const out = new Float64Array(2);
    await job.candidatePotentials(f32([10, 10, 1, 0]), 2, out);
    expect(await job.chooseCandidate!(1)).toBe(385);
    const closest = new Float32Array(5);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([0, 0, 4, 181, 200]);
    // each candidatePotentials call can be chosen from once
    await expect(job.chooseCandidate!(0)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: 'chooseCandidate(0): no such candidate in the last candidatePotentials call',
    });
    await job.candidatePotentials(f32([10, 10, 1, 0]), 2, out);
    for (const bad of [-1, 2]) {
      await expect(job.chooseCandidate!(bad)).rejects.toMatchObject({ message: `chooseCandidate(${bad}): no such candidate in the last candidatePotentials call` });
      await job.candidatePotentials(f32([10, 10, 1, 0]), 2, out);
    }
    // an updateClosest between the two calls (closest 0, 0, 4, 1, 0): the choice recomputes from
    // the new closest (0, 0, 4, 0, 0: potential 4), not from the distances kept before (5)
    await job.updateClosest(f32([11, 10]), false);
    expect(await job.chooseCandidate!(0)).toBe(0 + 0 + 4 + 0 + 0);
    await job.readClosest(closest);
    expect(Array.from(closest)).toEqual([0, 0, 4, 0, 0]);
  });

  it('chooseCandidate when the candidates’ distances are too many to keep: the same potential and closest from an update pass', async () => {
    // more than 16 Mi (candidates × rows) values: 70,000 rows × 240 candidates
    const rows = 70_000;
    const rng = new SeededRandom(3);
    const big = new Float32Array(rows * 2).map(() => rng.nextFloat() * 100);
    const count = 240;
    const candidates = new Float32Array(count * 2).map(() => rng.nextFloat() * 100);
    const a = await jsReferenceBackend.createJob(big, rows, 2);
    await a.updateClosest(big.subarray(0, 2), true);
    const out = new Float64Array(count);
    await a.candidatePotentials(candidates, count, out);
    // the job keeps its own copy of the candidates: the caller may reuse its buffer
    const last = candidates.slice((count - 1) * 2, count * 2);
    candidates.fill(0);
    const chosen = await a.chooseCandidate!(count - 1);
    expect(chosen).toBe(out[count - 1]);
    const b = await jsReferenceBackend.createJob(big, rows, 2);
    await b.updateClosest(big.subarray(0, 2), true);
    expect(await b.updateClosest(last, false)).toBe(chosen);
    const ca = new Float32Array(rows);
    const cb = new Float32Array(rows);
    await a.readClosest(ca);
    await b.readClosest(cb);
    expect(ca).toEqual(cb);
  }, 60_000);

  it('assign reads only the first k centroids and writes only the first k sums and counts of longer buffers', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    // a third centroid right on rows 3 and 4, beyond k = 2
    const sums = new Float64Array(6).fill(99);
    const counts = new Float64Array(3).fill(99);
    const s = await job.assign(f32([0, 0, 1, 1, 10.5, 10]), 2, sums, counts);
    const labels = new Int32Array(5);
    await job.readLabels(labels);
    expect(Array.from(labels)).toEqual([0, 0, 1, 1, 1]); // row 1 is as far from both: the first wins
    expect(Array.from(counts)).toEqual([2, 3, 99]);
    expect(Array.from(sums)).toEqual([1, 0, 21, 22, 99, 99]);
    expect(s.wcss).toBe(0 + 1 + 2 + 162 + 181);
  });

  it('pairwiseDistances writes only the pairs of the rows asked for', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    const out = new Float64Array(10).fill(-1);
    await job.pairwiseDistances!(0, 2, out); // rows 0 and 1: pairs (0,1..4) (1,2..4)
    expect(Array.from(out)).toEqual([1, 2, Math.sqrt(200), Math.sqrt(221), Math.sqrt(5), Math.sqrt(181), Math.sqrt(200), -1, -1, -1]);
  });

  it('pairwiseDistances: condensed order (i < j), any row range', async () => {
    const job = await jsReferenceBackend.createJob(data, 5, 2);
    const all = new Float64Array(10);
    await job.pairwiseDistances!(0, 5, all);
    expect(Array.from(all)).toEqual([1, 2, Math.sqrt(200), Math.sqrt(221), Math.sqrt(5), Math.sqrt(181), Math.sqrt(200), Math.sqrt(164), Math.sqrt(185), 1]);
    const part = new Float64Array(4).fill(-1);
    await job.pairwiseDistances!(2, 4, part); // pairs (2,3) (2,4) (3,4)
    expect(Array.from(part)).toEqual([Math.sqrt(164), Math.sqrt(185), 1, -1]);
    await job.dispose();
  });
});

describe('js reference kernels follow the block order of the numeric contract', () => {
  const rows = 3 * ROW_BLOCK_SIZE + 77;
  const dims = 3;
  const k = 4;
  const rng = new SeededRandom(17);
  // wide range, so float64 sums depend on the order of their terms
  const data = Float32Array.from({ length: rows * dims }, () => (rng.nextFloat() < 0.5 ? -1 : 1) * 10 ** (-4 + 9 * rng.nextFloat()));
  const centroids = data.slice(0, k * dims);

  /** Adds per-row terms in 4096-row blocks, then the block totals in block order. */
  function blockSum(term: (i: number) => number): number {
    let total = 0;
    for (let start = 0; start < rows; start += ROW_BLOCK_SIZE) {
      let block = 0;
      for (let i = start; i < Math.min(rows, start + ROW_BLOCK_SIZE); i++) block += term(i);
      total += block;
    }
    return total;
  }
  function nearest(i: number): { c: number; d: number } {
    let c = 0;
    let d = squaredDistanceF32(data, i * dims, centroids, 0, dims);
    for (let q = 1; q < k; q++) {
      const e = squaredDistanceF32(data, i * dims, centroids, q * dims, dims);
      if (e < d) {
        d = e;
        c = q;
      }
    }
    return { c, d };
  }

  it('assign: WCSS and every sum and count equal the block-order sums, bit for bit', async () => {
    const job = await jsReferenceBackend.createJob(data, rows, dims);
    const sums = new Float64Array(k * dims);
    const counts = new Float64Array(k);
    const s = await job.assign(centroids, k, sums, counts);
    const near = Array.from({ length: rows }, (_, i) => nearest(i));
    expect(s.wcss).toBe(blockSum((i) => near[i]!.d));
    expect(s.changed).toBe(rows);
    for (let c = 0; c < k; c++) {
      expect(counts[c]).toBe(near.filter((n) => n.c === c).length);
      for (let j = 0; j < dims; j++) expect(sums[c * dims + j], `sum ${c},${j}`).toBe(blockSum((i) => (near[i]!.c === c ? data[i * dims + j]! : 0)));
    }
    // a plain row-by-row sum differs somewhere: the block order is what makes the bits
    let plain = 0;
    for (let i = 0; i < rows; i++) plain += near[i]!.d;
    const plainSums = new Float64Array(k * dims);
    for (let i = 0; i < rows; i++) for (let j = 0; j < dims; j++) plainSums[near[i]!.c * dims + j]! += data[i * dims + j]!;
    expect(plain !== s.wcss || plainSums.some((v, q) => v !== sums[q])).toBe(true);
  });

  it('readAssignBlocks: the last assign pass\'s per-block WCSS and sums, which add up, in block order, to its totals', async () => {
    const job = await jsReferenceBackend.createJob(data, rows, dims);
    const blocks = Math.ceil(rows / ROW_BLOCK_SIZE);
    // a larger k first, so the job's scratch is bigger than the last pass needs
    await job.assign(data.slice(0, (k + 2) * dims), k + 2, new Float64Array((k + 2) * dims), new Float64Array(k + 2));
    const sums = new Float64Array(k * dims);
    const s = await job.assign(centroids, k, sums, new Float64Array(k));
    const bWcss = new Float64Array(blocks + 1).fill(-7);
    const bSums = new Float64Array((blocks + 1) * k * dims).fill(-7);
    await job.readAssignBlocks!(bWcss, bSums);
    const near = Array.from({ length: rows }, (_, i) => nearest(i));
    let total = 0;
    for (let b = 0; b < blocks; b++) {
      let w = 0;
      for (let i = b * ROW_BLOCK_SIZE; i < Math.min(rows, (b + 1) * ROW_BLOCK_SIZE); i++) w += near[i]!.d;
      expect(bWcss[b], `block ${b}`).toBe(w);
      total += bWcss[b]!;
    }
    expect(total).toBe(s.wcss);
    expect(bWcss[blocks]).toBe(-7);
    expect(Array.from(bSums.subarray(blocks * k * dims))).toEqual(new Array(k * dims).fill(-7));
    for (let q = 0; q < k * dims; q++) {
      let sum = 0;
      for (let b = 0; b < blocks; b++) sum += bSums[b * k * dims + q]!;
      expect(sum, `sum ${q}`).toBe(sums[q]);
    }
  });

  it('assign on a whole number of blocks (2 × ROW_BLOCK_SIZE rows): the same totals as the block-order sums', async () => {
    const n = 2 * ROW_BLOCK_SIZE;
    const job = await jsReferenceBackend.createJob(data.subarray(0, n * dims), n, dims);
    const sums = new Float64Array(k * dims);
    const counts = new Float64Array(k);
    const s = await job.assign(centroids, k, sums, counts);
    let wcss = 0;
    const expected = new Float64Array(k * dims);
    for (let b = 0; b < 2; b++) {
      let w = 0;
      const part = new Float64Array(k * dims);
      for (let i = b * ROW_BLOCK_SIZE; i < (b + 1) * ROW_BLOCK_SIZE; i++) {
        const { c, d } = nearest(i);
        w += d;
        for (let j = 0; j < dims; j++) part[c * dims + j]! += data[i * dims + j]!;
      }
      wcss += w;
      for (let q = 0; q < k * dims; q++) expected[q]! += part[q]!;
    }
    expect(s.wcss).toBe(wcss);
    expect(Array.from(sums)).toEqual(Array.from(expected));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('updateClosest and candidatePotentials: block-order potentials', async () => {
    const job = await jsReferenceBackend.createJob(data, rows, dims);
    const first = data.slice(5 * dims, 6 * dims);
    const d1 = (i: number): number => squaredDistanceF32(data, i * dims, first, 0, dims);
    expect(await job.updateClosest(first, true)).toBe(blockSum(d1));
    const cand = data.slice(9 * dims, 11 * dims);
    const out = new Float64Array(2);
    await job.candidatePotentials(cand, 2, out);
    for (let t = 0; t < 2; t++) expect(out[t]).toBe(blockSum((i) => Math.min(d1(i), squaredDistanceF32(data, i * dims, cand, t * dims, dims))));
    // chooseCandidate adopts candidate 1's distances: the potential is its block-order sum, closest its min
    const d2 = (i: number): number => Math.min(d1(i), squaredDistanceF32(data, i * dims, cand, dims, dims));
    expect(await job.chooseCandidate!(1)).toBe(blockSum(d2));
    const closest = new Float32Array(rows);
    await job.readClosest(closest);
    for (let i = 0; i < rows; i += 97) expect(closest[i], `row ${i}`).toBe(d2(i));
    await expect(job.chooseCandidate!(0)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    // after an updateClosest the kept distances are stale: choosing runs a pass from the new closest
    await job.candidatePotentials(cand, 2, out);
    const third = data.slice(20 * dims, 21 * dims);
    await job.updateClosest(third, false);
    const d3 = (i: number): number => Math.min(d2(i), squaredDistanceF32(data, i * dims, third, 0, dims));
    expect(await job.chooseCandidate!(0)).toBe(blockSum((i) => Math.min(d3(i), squaredDistanceF32(data, i * dims, cand, 0, dims))));
  });
});

describe('js reference passes give the event loop back and stop on the job\'s signal', () => {
  const rng = new SeededRandom(5);
  const kernels = {
    assign: (job: KernelJob) => job.assign(f32([0, 0, 1, 1]), 2, new Float64Array(4), new Float64Array(2)),
    candidatePotentials: (job: KernelJob) => job.candidatePotentials(f32([0, 0]), 1, new Float64Array(1)),
    updateClosest: (job: KernelJob) => job.updateClosest(f32([0, 0]), true),
    pairwiseDistances: (job: KernelJob) => job.pairwiseDistances(0, job.rows - 1, new Float64Array((job.rows * (job.rows - 1)) / 2)),
  };

  // The signal is checked at row 0 of every 256, so a one-row job and a
  // 300-row job both see an abort that came before the pass.
  it.each(Object.keys(kernels))('%s: an aborted signal stops the pass with AbortedError naming the reason', async (name) => {
    for (const rows of [1, 2, 300]) {
      const controller = new AbortController();
      const job = await jsReferenceBackend.createJob(Float32Array.from({ length: rows * 2 }, () => rng.nextFloat()), rows, 2, { signal: controller.signal });
      controller.abort(new Error('stopped by the user'));
      const run = kernels[name as keyof typeof kernels](job);
      if (name === 'pairwiseDistances' && rows === 1) {
        await expect(run).resolves.toBeUndefined(); // no pair, no pass
        continue;
      }
      await expect(run).rejects.toMatchObject({ code: 'ABORTED', message: 'aborted: stopped by the user' });
    }
  });

  it('a long assign pass lets a timer run and its abort stop the pass', async () => {
    const rows = 200_000;
    const data = Float32Array.from({ length: rows * 4 }, () => rng.nextFloat());
    const controller = new AbortController();
    const job = await jsReferenceBackend.createJob(data, rows, 4, { signal: controller.signal });
    const k = 64;
    const centroids = data.slice(0, k * 4);
    setTimeout(() => controller.abort(new Error('timer')), 1);
    await expect(job.assign(centroids, k, new Float64Array(k * 4), new Float64Array(k))).rejects.toMatchObject({ code: 'ABORTED', message: 'aborted: timer' });
  });

  it('a signal that never fires changes nothing: the same bits as a job without one', async () => {
    const rows = 700;
    const data = Float32Array.from({ length: rows * 3 }, () => rng.nextFloat());
    const plain = await jsReferenceBackend.createJob(data, rows, 3);
    const watched = await jsReferenceBackend.createJob(data, rows, 3, { signal: new AbortController().signal });
    const centroids = data.slice(0, 9);
    const a = { sums: new Float64Array(9), counts: new Float64Array(3) };
    const b = { sums: new Float64Array(9), counts: new Float64Array(3) };
    expect(await watched.assign(centroids, 3, b.sums, b.counts)).toEqual(await plain.assign(centroids, 3, a.sums, a.counts));
    expect(b).toEqual(a);
  });
});
