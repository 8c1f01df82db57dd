/**
 * Exact Ward and single linkage without the O(n²) distance matrix, on the
 * backend's linkage kernels (kernel-contract.ts: `linkageStart`,
 * `wardNearest`, `wardMerge`, `primStep`). Memory is O(n × d); time stays O(n²).
 *
 * - **Ward** by scipy's nearest-neighbour chain, on cluster centroids: the
 *   Ward distance of two clusters depends only on their sizes and centroids,
 *   `sqrt(2 · na · nb / (na + nb)) · ‖ca − cb‖`, so each chain step is one scan
 *   of the live centroids. The chain takes scipy's steps (start at the first
 *   live slot, the previous chain element wins ties, then the lowest slot; the
 *   merged cluster keeps the larger slot), so the merges are those of the
 *   matrix run. The heights come from the centroids in float64 rather than from
 *   Lance–Williams updates of float32 leaf distances, so they agree to rounding
 *   (about 1e-7 relative), not bit for bit.
 * - **single** by Prim's minimum spanning tree (scipy's `mst_single_linkage`):
 *   each step closes a row and relaxes the best distance of every open row
 *   with the contract's float32 distance, the same numbers the matrix holds,
 *   so merges and heights are bit-identical to the matrix run.
 */
import { throwIfAborted } from '../../common/errors.js';
import { missingKernel } from '../../backends/backend-registry.js';
import type { KernelJob } from '../../backends/kernel-contract.js';
import { createYielder, type MergeLoopOptions } from './merge-algorithms.js';

/** Linkages that run without the matrix. */
export type MatrixFreeLinkage = 'ward' | 'single';

/**
 * With `weights` (Ward only; the job must have been created with the same
 * `weights` in its options), rows start with those sizes: weighted Ward.
 *
 * Unsorted merges `(x, y, distance, size)` in slot numbering, as
 * `nnChainMerges` / `mstSingleMerges` return them; pass them to `sortAndRelabel`.
 *
 * @throws SegmentaError `KERNEL_NOT_IMPLEMENTED` when the job lacks the linkage kernels, `ABORTED`
 */
export async function matrixFreeMerges(job: KernelJob, linkage: MatrixFreeLinkage, options: MergeLoopOptions = {}, weights?: ArrayLike<number>): Promise<Float64Array> {
  const n = job.rows;
  const Z = new Float64Array(4 * Math.max(0, n - 1));
  if (n < 2) return Z;
  if (!job.linkageStart) throw missingKernel(job, 'linkageStart');
  await job.linkageStart(linkage);
  const pause = createYielder(options);
  if (linkage === 'single') {
    if (!job.primStep) throw missingKernel(job, 'primStep');
    let x = 0;
    for (let k = 0; k < n - 1; k++) {
      const { index: y, value } = await job.primStep(x);
      Z[4 * k] = x;
      Z[4 * k + 1] = y;
      Z[4 * k + 2] = value;
      x = y;
      const waiting = pause(k + 1, n - 1);
      if (waiting) await waiting;
    }
    throwIfAborted(options.signal);
    return Z;
  }
  if (!job.wardNearest || !job.wardMerge) throw missingKernel(job, 'wardNearest');
  // Ward sizes: the rows' weights (the job was created with the same weights), else 1.
  const size = weights ? Float64Array.from(weights) : new Float64Array(n).fill(1);
  const chain = new Int32Array(n);
  let chainLength = 0;
  let firstLive = 0;
  for (let k = 0; k < n - 1; k++) {
    if (chainLength === 0) {
      while (size[firstLive] === 0) firstLive++;
      chain[0] = firstLive;
      chainLength = 1;
    }
    let x = 0;
    let y = 0;
    let cost = Infinity;
    for (;;) {
      x = chain[chainLength - 1]!;
      const prev = chainLength > 1 ? chain[chainLength - 2]! : -1;
      const found = await job.wardNearest(x, prev);
      y = found.index;
      cost = found.value;
      if (prev >= 0 && y === prev) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x]!;
    const ny = size[y]!;
    Z[4 * k] = x;
    Z[4 * k + 1] = y;
    Z[4 * k + 2] = Math.sqrt(2 * cost);
    Z[4 * k + 3] = nx + ny;
    await job.wardMerge(x, y);
    size[x] = 0;
    size[y] = nx + ny;
    const waiting = pause(k + 1, n - 1);
    if (waiting) await waiting;
  }
  throwIfAborted(options.signal);
  return Z;
}
