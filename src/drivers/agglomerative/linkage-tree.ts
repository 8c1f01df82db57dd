/**
 * The merge tree of an agglomerative clustering, in scipy's linkage format,
 * and the ways to read it: flat labels for k clusters or a distance
 * threshold, and the top merges for a dendrogram.
 *
 * ## Numbering (scipy's `linkage` convention)
 * Leaves are `0..leaves-1` (input rows in exact mode, micro-clusters in
 * two-stage mode). Merge `i` (0-based, in increasing distance) creates the
 * cluster `leaves + i`. Each row of the tree is `[left, right, distance, size]`
 * with `left < right`, exactly like `scipy.cluster.hierarchy.linkage`'s `Z`.
 */
import { SegmentaError } from '../../common/errors.js';
import { drainSteps, type Steps } from '../../common/time-slice.js';

/** Items a loop handles between two pause points of its steps (see `Steps` in common/time-slice.ts). */
const STEP_MASK = 0xfff;

/** The linkage criteria segmenta implements. */
export type Linkage = 'ward' | 'complete' | 'average' | 'single';

/** Every linkage, in the order help texts list them. */
export const LINKAGES: readonly Linkage[] = Object.freeze(['ward', 'complete', 'average', 'single']);

/**
 * Parses a linkage name (case-insensitive, surrounding spaces ignored).
 *
 * @throws SegmentaError `INVALID_OPTION` naming the value and the choices
 * @example parseLinkage('Ward') // 'ward'
 */
export function parseLinkage(value: unknown): Linkage {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof text === 'string' && (LINKAGES as readonly string[]).includes(text)) return text as Linkage;
  throw new SegmentaError('INVALID_OPTION', `linkage must be one of ${LINKAGES.join(', ')}, got '${String(value)}'`, {
    option: 'linkage',
    value,
  });
}

/**
 * A full merge tree: `leaves - 1` merges in scipy's linkage format.
 *
 * @example
 * // 3 points on a line at 0, 1 and 5:
 * // { leaves: 3, merges: Float64Array [0, 1, 1, 2,   2, 3, 4.5, 3] } (single linkage: 2 joins {0,1} at 4)
 */
export interface LinkageTree {
  /** Number of leaves (n). */
  leaves: number;
  /**
   * (leaves - 1) × 4 float64, row-major: `left, right, distance, size` per merge,
   * in increasing distance (ties in the order the algorithm found them, like scipy).
   * `size` counts input rows (in two-stage mode the rows of the micro-clusters).
   */
  merges: Float64Array;
  /** Input rows per leaf when leaves are weighted (two-stage mode's micro-clusters); absent means 1 each. */
  leafSizes?: Float64Array;
}

/** One merge of the tree, as an object. */
export interface MergeStep {
  /** Id of the cluster this merge creates: `leaves + index`. */
  id: number;
  /** Id of the left child (a leaf when `< leaves`). `left < right`. */
  left: number;
  /** Id of the right child. */
  right: number;
  /** Linkage distance at which the two children merge. */
  distance: number;
  /** Input rows in the new cluster. */
  size: number;
}

/** The tree's merges as scipy-style rows `[left, right, distance, size]` (handy for JSON and tests). */
export function linkageRows(tree: LinkageTree): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < tree.leaves - 1; i++) out.push(Array.from(tree.merges.subarray(4 * i, 4 * i + 4)));
  return out;
}

/**
 * scipy's `label` step: turns merges recorded as pairs of cluster *slots*
 * (what the NN-chain and MST loops produce), already sorted by distance, into
 * scipy's numbering (`leaves + i` for merge i, `left < right`), and fills the
 * size column. In place.
 *
 * @param leafSizes rows per leaf (two-stage mode); default 1 each
 */
export function relabelMerges(merges: Float64Array, leaves: number, leafSizes?: ArrayLike<number>): void {
  drainSteps(relabelSteps(merges, leaves, leafSizes));
}

function* relabelSteps(merges: Float64Array, leaves: number, leafSizes?: ArrayLike<number>): Steps<void> {
  const total = 2 * leaves - 1;
  const parent = new Int32Array(total).fill(-1);
  const size = new Float64Array(total);
  for (let i = 0; i < leaves; i++) size[i] = leafSizes ? leafSizes[i]! : 1;
  const find = (x: number): number => {
    let root = x;
    while (parent[root]! !== -1) root = parent[root]!;
    while (parent[x]! !== root && x !== root) {
      const next = parent[x]!;
      parent[x] = root;
      x = next;
    }
    return root;
  };
  for (let i = 0; i < leaves - 1; i++) {
    if ((i & STEP_MASK) === 0) yield;
    const xr = find(merges[4 * i]!);
    const yr = find(merges[4 * i + 1]!);
    const id = leaves + i;
    merges[4 * i] = Math.min(xr, yr);
    merges[4 * i + 1] = Math.max(xr, yr);
    parent[xr] = id;
    parent[yr] = id;
    size[id] = size[xr]! + size[yr]!;
    merges[4 * i + 3] = size[id]!;
  }
}

/**
 * Stable sort of the merge rows by distance (numpy's `argsort(kind='mergesort')`),
 * then {@link relabelMerges}. Returns a new array.
 */
export function sortAndRelabel(unsorted: Float64Array, leaves: number, leafSizes?: ArrayLike<number>): Float64Array {
  return drainSteps(sortAndRelabelSteps(unsorted, leaves, leafSizes));
}

/**
 * {@link sortAndRelabel} as steps, for the drivers that run it in slices (a
 * tree of 300,000 leaves takes about 0.4 s in one go). A bottom-up merge sort
 * by (distance, position): a strict order, so the permutation is the one any
 * stable sort by distance gives.
 */
export function* sortAndRelabelSteps(unsorted: Float64Array, leaves: number, leafSizes?: ArrayLike<number>): Steps<Float64Array> {
  const count = Math.max(0, leaves - 1);
  const height = new Float64Array(count);
  for (let i = 0; i < count; i++) height[i] = unsorted[4 * i + 2]!;
  let order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let other = new Int32Array(count);
  let moved = 0;
  for (let width = 1; width < count; width *= 2) {
    for (let lo = 0; lo < count; lo += 2 * width) {
      const mid = Math.min(lo + width, count);
      const hi = Math.min(lo + 2 * width, count);
      let a = lo;
      let b = mid;
      for (let o = lo; o < hi; o++) {
        if ((moved++ & STEP_MASK) === 0) yield;
        // take from the right run only when strictly lower: every position in the right run is above
        // every position in the left one (bottom-up runs), so on equal distances the left one goes first
        if (b < hi && (a >= mid || height[order[b]!]! < height[order[a]!]!)) other[o] = order[b++]!;
        else other[o] = order[a++]!;
      }
    }
    [order, other] = [other, order];
  }
  const merges = new Float64Array(4 * count);
  for (let i = 0; i < count; i++) {
    if ((i & STEP_MASK) === 0) yield;
    merges.set(unsorted.subarray(4 * order[i]!, 4 * order[i]! + 4), 4 * i);
  }
  yield* relabelSteps(merges, leaves, leafSizes);
  return merges;
}

/**
 * Number of clusters that a distance threshold leaves, as scikit-learn's
 * `AgglomerativeClustering(distance_threshold=t)` counts them: one plus the
 * merges at distance `>= threshold`.
 */
export function clustersAtThreshold(tree: LinkageTree, threshold: number): number {
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new SegmentaError('INVALID_OPTION', `distanceThreshold must be a finite number >= 0, got ${String(threshold)}`, {
      option: 'distanceThreshold',
      value: threshold,
    });
  }
  let k = 1;
  for (let i = 0; i < tree.leaves - 1; i++) if (tree.merges[4 * i + 2]! >= threshold) k++;
  return k;
}

/**
 * Flat labels of the leaves for `k` clusters: the tree without its last `k - 1`
 * merges, which is the partition scikit-learn's `AgglomerativeClustering`
 * (`_hc_cut`) returns. Labels are numbered by first occurrence in leaf order:
 * leaf 0 is in cluster 0, the first leaf outside cluster 0 is in cluster 1, …
 *
 * @returns one label per leaf (Int32Array of length `leaves`)
 * @throws SegmentaError `INVALID_K` unless 1 <= k <= leaves
 * @example cutTree(tree, 5) // Int32Array [0, 0, 1, 0, 2, ...]
 */
export function cutTree(tree: LinkageTree, k: number): Int32Array {
  return drainSteps(cutTreeSteps(tree, k));
}

/** {@link cutTree} as steps, for the drivers that run it in slices. */
export function* cutTreeSteps(tree: LinkageTree, k: number): Steps<Int32Array> {
  const n = tree.leaves;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new SegmentaError('INVALID_K', `k must be an integer from 1 to the number of leaves (${n}), got ${String(k)}`, { k, leaves: n });
  }
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const keep = n - k;
  for (let i = 0; i < keep; i++) {
    if ((i & STEP_MASK) === 0) yield;
    parent[tree.merges[4 * i]!] = n + i;
    parent[tree.merges[4 * i + 1]!] = n + i;
  }
  const rootOf = (x: number): number => {
    let r = x;
    while (parent[r]! !== -1) r = parent[r]!;
    // path compression
    while (parent[x]! !== -1 && parent[x]! !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  const labelOfRoot = new Int32Array(2 * n - 1).fill(-1);
  const labels = new Int32Array(n);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if ((i & STEP_MASK) === 0) yield;
    const r = rootOf(i);
    if (labelOfRoot[r] === -1) labelOfRoot[r] = next++;
    labels[i] = labelOfRoot[r]!;
  }
  return labels;
}

/**
 * The top of the tree for drawing a dendrogram (what the report draws).
 *
 * Shape:
 * - `merges`: the last `count` merges, in merge order (increasing distance),
 *   each `{id, left, right, distance, size}` in the tree's numbering;
 * - `leaves`: the subtrees hanging below those merges (children that are not
 *   themselves among the top merges), each `{id, size, height}`, in the
 *   left-to-right order of a dendrogram drawing (left child first); `height` is
 *   the distance at which that subtree was formed (0 for a leaf);
 * - `rootId`: the id of the last merge (the whole data).
 *
 * @param count merges to keep (default 30; capped at `leaves - 1`)
 * @example
 * const top = dendrogramTop(result.tree, 10);
 * // top.merges[top.merges.length - 1] is the root: {id: 2n-2, left, right, distance, size: n}
 */
export function dendrogramTop(tree: LinkageTree, count = 30): DendrogramTop {
  const n = tree.leaves;
  if (!Number.isInteger(count) || count < 1) {
    throw new SegmentaError('INVALID_OPTION', `count must be an integer >= 1, got ${String(count)}`, { option: 'count', value: count });
  }
  // one leaf (or none): its rows (its weight with leafSizes, as below)
  if (n < 2) return { leafCount: n, rootId: 0, merges: [], leaves: [{ id: 0, size: n === 1 && tree.leafSizes ? tree.leafSizes[0]! : n, height: 0 }] };
  const take = Math.min(count, n - 1);
  const first = n - 1 - take;
  const merges: MergeStep[] = [];
  for (let i = first; i < n - 1; i++) merges.push(mergeStep(tree, i));
  const leaves: DendrogramLeaf[] = [];
  const visit = (id: number): void => {
    if (id >= n + first) {
      const m = merges[id - n - first]!;
      visit(m.left);
      visit(m.right);
    } else {
      leaves.push({
        id,
        size: id < n ? (tree.leafSizes ? tree.leafSizes[id]! : 1) : tree.merges[4 * (id - n) + 3]!,
        height: id < n ? 0 : tree.merges[4 * (id - n) + 2]!,
      });
    }
  };
  visit(2 * n - 2);
  return { leafCount: n, rootId: 2 * n - 2, merges, leaves };
}

function mergeStep(tree: LinkageTree, i: number): MergeStep {
  const z = tree.merges;
  return { id: tree.leaves + i, left: z[4 * i]!, right: z[4 * i + 1]!, distance: z[4 * i + 2]!, size: z[4 * i + 3]! };
}

/** A subtree shown as one leaf of a truncated dendrogram. */
export interface DendrogramLeaf {
  /** Its id in the tree (a leaf when `< leafCount`). */
  id: number;
  /** Input rows below it. */
  size: number;
  /** Distance at which it was formed (0 for a single leaf). */
  height: number;
}

/** The top of a merge tree, see {@link dendrogramTop}. */
export interface DendrogramTop {
  /** Leaves of the full tree (rows, or micro-clusters in two-stage mode). */
  leafCount: number;
  /** Id of the root (the last merge): `2 * leafCount - 2`. */
  rootId: number;
  /** The top merges, increasing distance; the root last. */
  merges: MergeStep[];
  /** The subtrees below the top merges, in drawing order (left to right). */
  leaves: DendrogramLeaf[];
}
