/**
 * The report's segment tree: Ward linkage of the k segment centres, each
 * weighted by its segment's size, in the space the segments were found in.
 * Its leaves are the K-Means segments themselves, so the tree shows which
 * segments lie closest (the first to merge if there were fewer segments);
 * it replaces a separate Ward clustering of sampled customers, whose
 * clusters would not be the report's segments.
 */
import { SegmentaError } from '../common/errors.js';
import { weightedCentroidDistances } from '../drivers/agglomerative/fit-agglomerative.js';
import { sortAndRelabel } from '../drivers/agglomerative/linkage-tree.js';
import { nnChainMerges } from '../drivers/agglomerative/merge-algorithms.js';
import type { DendrogramMerge } from '../report/chart-specs.js';

/** A merge tree over the segments; leaf i is the fit's label i. */
export interface SegmentCentroidTree {
  leaves: number;
  /** k − 1 merges, distances non-decreasing: `left`/`right` < k are segments (fit labels), k + i the i-th merge. */
  merges: DendrogramMerge[];
}

/**
 * Ward tree of k weighted centres (k × cols, row-major, fit-label order).
 * The merge distance is scipy's Ward distance of the two groups of
 * customers the centres stand for: merging at d adds d²/2 to the WCSS.
 *
 * @example
 * const tree = await segmentCentroidTree(fit.centroids, fit.sizes, fit.k, fit.cols);
 * await writeSegmentationReport(dir, { table, labels: fit.labels, k: fit.k, centroidTree: tree });
 */
export async function segmentCentroidTree(centroids: Float64Array, sizes: readonly number[], k: number, cols: number): Promise<SegmentCentroidTree> {
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new SegmentaError('INVALID_K', `segmentCentroidTree needs k >= 1 and cols >= 1, got k = ${k}, cols = ${cols}`, { k, cols });
  }
  if (centroids?.length !== k * cols || sizes?.length !== k) {
    throw new SegmentaError('SHAPE_MISMATCH', `segmentCentroidTree: ${centroids?.length} centroid values and ${sizes?.length} sizes for k = ${k}, cols = ${cols} (needs ${k * cols} and ${k})`, {
      centroids: centroids?.length,
      sizes: sizes?.length,
      k,
      cols,
    });
  }
  for (let i = 0; i < centroids.length; i++) {
    if (!Number.isFinite(centroids[i]!)) {
      throw new SegmentaError('NON_FINITE_VALUE', `segmentCentroidTree: centroid ${Math.floor(i / cols) + 1}, feature ${(i % cols) + 1} is ${centroids[i]}`, { index: i, value: centroids[i] });
    }
  }
  sizes.forEach((s, i) => {
    if (!Number.isFinite(s) || s < 0) throw new SegmentaError('INVALID_OPTION', `segmentCentroidTree: size ${i + 1} is ${s}; sizes must be finite and >= 0`, { index: i, value: s });
  });
  const live = sizes.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
  if (live.length < 2) return { leaves: k, merges: [] };
  // Empty segments (possible only for a given k) are left out of the tree.
  const m = live.length;
  const c = new Float64Array(m * cols);
  const w = new Float64Array(m);
  live.forEach((i, q) => {
    c.set(centroids.subarray(i * cols, (i + 1) * cols), q * cols);
    w[q] = sizes[i]!;
  });
  const D = weightedCentroidDistances(c, w, m, cols, true);
  const Z = sortAndRelabel(await nnChainMerges(D, m, 'ward', w), m, w);
  const node = (id: number): number => (id < m ? live[id]! : k + (id - m));
  const merges: DendrogramMerge[] = [];
  for (let r = 0; r < m - 1; r++) merges.push({ left: node(Z[4 * r]!), right: node(Z[4 * r + 1]!), distance: Z[4 * r + 2]!, size: Z[4 * r + 3]! });
  return { leaves: k, merges };
}
