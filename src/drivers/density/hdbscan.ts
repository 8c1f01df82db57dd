/**
 * HDBSCAN (Campello, Moulavi & Sander 2013) as the Python `hdbscan` package
 * (McInnes, Healy & Astels, 0.8.x) computes it with its defaults
 * (`cluster_selection_method='eom'`, `allow_single_cluster=False`, `alpha=1`,
 * Euclidean), step by step:
 *
 * 1. **Core distances**: each row's distance to its `minSamples`-th nearest
 *    other row (the package queries `minSamples + 1` neighbours, the row
 *    itself first). `minSamples` defaults to `minClusterSize` and is capped at
 *    `rows − 1`. Distances are `sqrt(Σ_j (x_j − y_j)²)` in float64 from the
 *    float32 values, as the package's KD-tree computes them.
 * 2. **Minimum spanning tree** of the mutual reachability distance
 *    `max(core_a, core_b, d(a, b))`, by Prim's algorithm in O(rows) memory
 *    (no distance matrix), starting at row 0; a pair is skipped without its
 *    distance when `max(core_a, core_b)` cannot improve on the best so far.
 * 3. **Single-linkage tree**: the edges sorted by weight (stable), merged with
 *    the package's union-find (`label`): a merge of clusters `a`, `b` at
 *    distance `δ` becomes row `(a, b, δ, size)`, new clusters numbered from
 *    `rows` up.
 * 4. **Condensed tree** (`condense_tree`): walking the tree from the root
 *    breadth-first, a split where both sides have at least `minClusterSize`
 *    rows makes two new clusters; a smaller side's rows fall out of the
 *    cluster at `λ = 1 / δ` (∞ at δ = 0).
 * 5. **Stability** of each cluster `Σ (λ_child − λ_birth) · child size` over
 *    its rows, and **excess of mass** selection: from the leaves up, a cluster
 *    whose children's stabilities sum higher than its own is replaced by them
 *    (that sum becomes its stability, rounded to float32 as the package's
 *    `cdef float` does); otherwise it is kept and its descendants dropped.
 *    The root is never selected.
 * 6. **Labels**: a row belongs to the selected cluster above the cluster it
 *    fell out of, or is noise (-1). **Probabilities**: `min(λ_row, λ_max) /
 *    λ_max` with `λ_max` the largest λ at which a row or cluster leaves the
 *    selected cluster (1 when λ_row is ∞, 0 for noise). **GLOSH outlier
 *    scores**: `(λ_max − λ_row) / λ_max` with `λ_max` the largest λ in the
 *    subtree of the cluster the row fell out of (0 when λ_row is ∞).
 *
 Clusters are numbered as the package numbers them: selected clusters in
 * the order of their ids in the condensed tree.
 *
 * ## Ties, and which of the package's algorithms this is
 * Mutual reachability distances tie often (every edge from a row to a closer
 * neighbour weighs that row's core distance), and where several merges happen
 * at exactly the same distance the condensed tree depends on their order.
 * segmenta reproduces the package's `algorithm='prims_kdtree'` (and
 * `'generic'`) exactly: Prim from row 0 with the same tie rules, and the edges
 * sorted by numpy's unstable `argsort` ({@link numpyArgsort}, numpy 1.24's
 * introsort). The package's default `'best'` uses Borůvka for up to 60
 * features, whose spanning tree can differ among equal weights; the package's
 * own algorithms then disagree with each other on such data (on standardized
 * Mall, `min_cluster_size=5`: 69 noise rows by Borůvka, 70 by Prim).
 *
 * Time O(rows² · features) (core distances and Prim), memory O(rows).
 */
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { TimeSlicer } from '../../common/time-slice.js';
import { requireInteger, requireOptions, validateMatrix } from '../validate-input.js';
import { kthNeighbourDistances } from './k-distance.js';

/** Options of {@link fitHdbscan}. */
export interface HdbscanOptions {
  /** Smallest group of rows that counts as a cluster. Default 5 (the package's). At least 2. */
  minClusterSize?: number;
  /** Neighbours that define a row's core distance. Default `minClusterSize`; capped at rows − 1. */
  minSamples?: number;
  /** Stops the fit with `AbortedError` (checked between time slices). */
  signal?: AbortSignal;
  /** Phase events (`phase: 'hdbscan'`). */
  onProgress?: ProgressListener;
  /** Feature names, used in messages about bad values. */
  featureNames?: readonly string[];
}

/** The condensed tree (the package's `condensed_tree_`): one row per edge, rows `< rows` are data rows. */
export interface CondensedTree {
  parent: Int32Array;
  child: Int32Array;
  lambda: Float64Array;
  childSize: Int32Array;
}

/** What {@link fitHdbscan} returns. */
export interface HdbscanResult {
  /** One label per row, -1 for noise; clusters numbered as the hdbscan package numbers them (by condensed-tree id). */
  labels: Int32Array;
  clusters: number;
  noise: number;
  /** Rows per cluster, by label. */
  sizes: number[];
  /** Membership strength in [0, 1] (0 for noise), the package's `probabilities_`. */
  probabilities: Float64Array;
  /** GLOSH outlier score in [0, 1] (higher = more outlying), the package's `outlier_scores_`. */
  outlierScores: Float64Array;
  /** Each row's core distance. */
  coreDistances: Float64Array;
  condensedTree: CondensedTree;
  minClusterSize: number;
  /** The minSamples used (after the default and the cap). */
  minSamples: number;
  seconds: number;
}

/** Checks every row is one a slice can stop after; ~every 8 ms. */
async function sliceRow(slicer: TimeSlicer, onProgress: ProgressListener | undefined, what: string, done: number, total: number): Promise<void> {
  if (slicer.due()) {
    onProgress?.({ kind: 'phase', phase: 'hdbscan', detail: `${what}: ${Math.floor((100 * done) / total)}%` });
    await slicer.pause();
  }
}

/**
 * Prim's minimum spanning tree of the mutual reachability distance, from row 0.
 * Returns the edges (a, b, weight) in the order added. Exported for its tests.
 */
export async function mutualReachabilityMst(
  matrix: Matrix,
  core: Float64Array,
  slicer: TimeSlicer,
  onProgress: ProgressListener | undefined,
): Promise<{ a: Int32Array; b: Int32Array; w: Float64Array }> {
  const { data, rows: n, cols: d } = matrix;
  const a = new Int32Array(n - 1);
  const b = new Int32Array(n - 1);
  const w = new Float64Array(n - 1);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n);
  const open = new Int32Array(n); // open rows, compacted
  for (let i = 0; i < n; i++) open[i] = i;
  let openCount = n;
  let current = 0;
  // Remove row 0 from the open list.
  open[0] = open[--openCount]!;
  for (let step = 0; step < n - 1; step++) {
    const co = current * d;
    const cCore = core[current]!;
    let argPos = -1;
    let argBest = Infinity;
    for (let p = 0; p < openCount; p++) {
      const j = open[p]!;
      const floor = cCore > core[j]! ? cCore : core[j]!;
      if (floor < best[j]!) {
        const jo = j * d;
        let acc = 0;
        for (let f = 0; f < d; f++) {
          const t = data[co + f]! - data[jo + f]!;
          acc += t * t;
        }
        const dist = Math.sqrt(acc);
        const mr = dist > floor ? dist : floor;
        if (mr < best[j]!) {
          best[j] = mr;
          from[j] = current;
        }
      }
      // The first open row in row order wins ties, so the tree does not depend on the open list's order.
      const bj = best[j]!;
      if (bj < argBest || (bj === argBest && j < open[argPos]!)) {
        argBest = bj;
        argPos = p;
      }
    }
    const next = open[argPos]!;
    a[step] = from[next]!;
    b[step] = next;
    w[step] = argBest;
    open[argPos] = open[--openCount]!;
    current = next;
    await sliceRow(slicer, onProgress, 'spanning tree', step + 1, n - 1);
  }
  return { a, b, w };
}

/**
 * `np.argsort(values)` as numpy 1.24 computes it for float64 (its default
 * `quicksort`: introsort with median-of-three partitions and insertion sort
 * below 17 elements). It is not stable, and the package sorts the spanning
 * tree's edges with it, so equal weights are ordered as numpy orders them;
 * that order decides how merges at the same distance are condensed. The
 * heapsort fallback (depth > 2·log2 n) never triggers on median-of-three
 * partitions of n − 1 edges in practice; it is kept for completeness.
 */
export function numpyArgsort(values: Float64Array): Int32Array {
  const num = values.length;
  const t = new Int32Array(num);
  for (let i = 0; i < num; i++) t[i] = i;
  if (num < 2) return t;
  const v = values;
  const swap = (x: number, y: number): void => {
    const tmp = t[x]!;
    t[x] = t[y]!;
    t[y] = tmp;
  };
  let pl = 0;
  let pr = num - 1;
  const stack: number[] = [];
  const depths: number[] = [];
  let cdepth = 2 * Math.floor(Math.log2(num));
  for (;;) {
    if (cdepth < 0) {
      heapArgsort(v, t, pl, pr);
    } else {
      while (pr - pl > 15) {
        const pm = pl + ((pr - pl) >> 1);
        if (v[t[pm]!]! < v[t[pl]!]!) swap(pm, pl);
        if (v[t[pr]!]! < v[t[pm]!]!) swap(pr, pm);
        if (v[t[pm]!]! < v[t[pl]!]!) swap(pm, pl);
        const vp = v[t[pm]!]!;
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do pi++;
          while (v[t[pi]!]! < vp);
          do pj--;
          while (vp < v[t[pj]!]!);
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; pi++) {
        const vi = t[pi]!;
        const vp = v[vi]!;
        let pj = pi;
        while (pj > pl && vp < v[t[pj - 1]!]!) {
          t[pj] = t[pj - 1]!;
          pj--;
        }
        t[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depths.pop()!;
  }
  return t;
}

/** numpy's `aheapsort` on t[pl..pr] (`np.argsort(kind='heapsort')`): the introsort's fallback. */
export function heapArgsort(v: Float64Array, t: Int32Array, pl: number, pr: number): void {
  const n = pr - pl + 1;
  // 1-based positions over t[pl ..], as numpy writes it.
  const at = (k: number): number => t[pl + k - 1]!;
  const siftDown = (start: number, size: number, tmp: number): void => {
    let i = start;
    let j = start << 1;
    while (j <= size) {
      if (j < size && v[at(j)]! < v[at(j + 1)]!) j += 1;
      if (!(v[tmp]! < v[at(j)]!)) break;
      t[pl + i - 1] = at(j);
      i = j;
      j += j;
    }
    t[pl + i - 1] = tmp;
  };
  for (let l = n >> 1; l > 0; --l) siftDown(l, n, at(l));
  for (let m = n; m > 1; ) {
    const tmp = at(m);
    t[pl + m - 1] = at(1);
    m -= 1;
    siftDown(1, m, tmp);
  }
}

/**
 * The package's `label`: sorted MST edges → single-linkage rows
 * `(a, b, δ, size)` (n − 1 × 4, row-major), new clusters numbered n, n + 1, …
 */
function singleLinkageTree(n: number, a: Int32Array, b: Int32Array, w: Float64Array): Float64Array {
  const order = numpyArgsort(w);
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const size = new Int32Array(2 * n - 1);
  size.fill(1, 0, n);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== -1) r = parent[r]!;
    while (parent[x] !== -1 && parent[x] !== r) {
      const up = parent[x]!;
      parent[x] = r;
      x = up;
    }
    return r;
  };
  const Z = new Float64Array(4 * (n - 1));
  let nextLabel = n;
  for (let r = 0; r < n - 1; r++) {
    const e = order[r]!;
    const aa = find(a[e]!);
    const bb = find(b[e]!);
    Z[4 * r] = aa;
    Z[4 * r + 1] = bb;
    Z[4 * r + 2] = w[e]!;
    Z[4 * r + 3] = size[aa]! + size[bb]!;
    size[nextLabel] = size[aa]! + size[bb]!;
    parent[aa] = nextLabel;
    parent[bb] = nextLabel;
    nextLabel++;
  }
  return Z;
}

/** Growable condensed-tree rows. */
class CondensedRows {
  parent = new Int32Array(1024);
  child = new Int32Array(1024);
  lambda = new Float64Array(1024);
  size = new Int32Array(1024);
  length = 0;
  push(p: number, c: number, l: number, s: number): void {
    if (this.length === this.parent.length) {
      const grow = <T extends Int32Array | Float64Array>(x: T): T => {
        const y = new (x.constructor as new (n: number) => T)(x.length * 2);
        y.set(x);
        return y;
      };
      this.parent = grow(this.parent);
      this.child = grow(this.child);
      this.lambda = grow(this.lambda);
      this.size = grow(this.size);
    }
    this.parent[this.length] = p;
    this.child[this.length] = c;
    this.lambda[this.length] = l;
    this.size[this.length] = s;
    this.length++;
  }
  tree(): CondensedTree {
    return {
      parent: this.parent.slice(0, this.length),
      child: this.child.slice(0, this.length),
      lambda: this.lambda.slice(0, this.length),
      childSize: this.size.slice(0, this.length),
    };
  }
}

/** The package's `condense_tree`, iteratively. */
function condenseTree(Z: Float64Array, n: number, minClusterSize: number): CondensedTree {
  const root = 2 * (n - 1);
  const out = new CondensedRows();
  const relabel = new Int32Array(root + 1);
  const ignore = new Uint8Array(root + 1);
  relabel[root] = n;
  let nextLabel = n + 1;
  const queue = new Int32Array(root + 1);
  const countOf = (node: number): number => (node >= n ? Z[4 * (node - n) + 3]! : 1);
  /** Every row (leaf) under `node` falls out of `into` at `lambda`; the subtree is ignored from now on (BFS order, as the package). */
  const fallOut = (node: number, into: number, lambda: number): void => {
    let head = 0;
    let tail = 0;
    queue[tail++] = node;
    while (head < tail) {
      const x = queue[head++]!;
      ignore[x] = 1;
      if (x < n) out.push(into, x, lambda, 1);
      else {
        queue[tail++] = Z[4 * (x - n)]!;
        queue[tail++] = Z[4 * (x - n) + 1]!;
      }
    }
  };
  // Breadth-first over the hierarchy from the root (bfs_from_hierarchy), skipping ignored nodes.
  const bfs = new Int32Array(root + 1);
  let head = 0;
  let tail = 0;
  bfs[tail++] = root;
  while (head < tail) {
    const node = bfs[head++]!;
    if (node >= n) {
      bfs[tail++] = Z[4 * (node - n)]!;
      bfs[tail++] = Z[4 * (node - n) + 1]!;
    }
  }
  for (let p = 0; p < tail; p++) {
    const node = bfs[p]!;
    if (ignore[node] || node < n) continue;
    const row = 4 * (node - n);
    const left = Z[row]!;
    const right = Z[row + 1]!;
    const dist = Z[row + 2]!;
    const lambda = dist > 0 ? 1 / dist : Infinity;
    const leftCount = countOf(left);
    const rightCount = countOf(right);
    const me = relabel[node]!;
    if (leftCount >= minClusterSize && rightCount >= minClusterSize) {
      relabel[left] = nextLabel++;
      out.push(me, relabel[left]!, lambda, leftCount);
      relabel[right] = nextLabel++;
      out.push(me, relabel[right]!, lambda, rightCount);
    } else if (leftCount < minClusterSize && rightCount < minClusterSize) {
      fallOut(left, me, lambda);
      fallOut(right, me, lambda);
    } else if (leftCount < minClusterSize) {
      relabel[right] = me;
      fallOut(left, me, lambda);
    } else {
      relabel[left] = me;
      fallOut(right, me, lambda);
    }
  }
  return out.tree();
}

/** EOM selection, labels, probabilities and GLOSH scores from the condensed tree. */
function extract(tree: CondensedTree, n: number): { labels: Int32Array; probabilities: Float64Array; outlierScores: Float64Array; clusters: number } {
  const { parent, child, lambda, childSize } = tree;
  const rowsInTree = parent.length;
  const labels = new Int32Array(n).fill(-1);
  const probabilities = new Float64Array(n);
  const outlierScores = new Float64Array(n);
  if (rowsInTree === 0) return { labels, probabilities, outlierScores, clusters: 0 };
  // Every cluster but the root (id n) is some row's child.
  let maxId = n;
  for (let r = 0; r < rowsInTree; r++) if (child[r]! > maxId) maxId = child[r]!;
  const clusterCount = maxId - n + 1; // ids n .. maxId
  // Births (λ of a cluster's own row; the root's is 0), deaths (largest λ of a node's direct rows), stability.
  const birth = new Float64Array(clusterCount);
  const death = new Float64Array(maxId + 1);
  const stability = new Float64Array(clusterCount);
  const clusterParent = new Int32Array(clusterCount).fill(-1);
  for (let r = 0; r < rowsInTree; r++) {
    if (child[r]! >= n) {
      birth[child[r]! - n] = lambda[r]!;
      clusterParent[child[r]! - n] = parent[r]!;
    }
  }
  for (let r = 0; r < rowsInTree; r++) {
    const p = parent[r]!;
    if (lambda[r]! > death[p]!) death[p] = lambda[r]!;
    stability[p - n]! += (lambda[r]! - birth[p - n]!) * childSize[r]!;
  }
  // Children of each cluster (0 or 2), in row order.
  const firstChild = new Int32Array(clusterCount).fill(-1);
  const secondChild = new Int32Array(clusterCount).fill(-1);
  for (let r = 0; r < rowsInTree; r++) {
    const c = child[r]!;
    if (c < n) continue;
    const p = parent[r]! - n;
    if (firstChild[p]! < 0) firstChild[p] = c;
    else secondChild[p] = c;
  }
  // Excess of mass, leaves first (a child's id is above its parent's); the root (id n) is never selected.
  const isCluster = new Uint8Array(clusterCount);
  for (let id = maxId; id > n; id--) {
    const c = id - n;
    // A split always makes two children; a leaf's subtree sums to 0 (np.sum of nothing).
    const subtree = firstChild[c]! >= 0 ? stability[firstChild[c]! - n]! + stability[secondChild[c]! - n]! : 0;
    const rounded = Math.fround(subtree);
    if (rounded > stability[c]!) {
      isCluster[c] = 0;
      stability[c] = rounded;
    } else {
      isCluster[c] = 1;
      // Drop every descendant (breadth-first down the cluster tree).
      const stack = [firstChild[c]!, secondChild[c]!].filter((x) => x >= 0);
      while (stack.length > 0) {
        const x = stack.pop()! - n;
        isCluster[x] = 0;
        if (firstChild[x]! >= 0) stack.push(firstChild[x]!);
        if (secondChild[x]! >= 0) stack.push(secondChild[x]!);
      }
    }
  }
  // The selected cluster at or above each cluster (parents have smaller ids, so one ascending pass).
  const selected = new Int32Array(clusterCount).fill(-1);
  for (let c = 1; c < clusterCount; c++) selected[c] = isCluster[c] ? c + n : selected[clusterParent[c]! - n]!;
  // Every λ is > 0 (1/δ of a finite δ, or ∞), so each λ_max below is > 0.
  // GLOSH: deaths propagated up the tree (rows in reverse: children's rows come after their parent's).
  const subtreeDeath = death.slice();
  for (let r = rowsInTree - 1; r >= 0; r--) {
    if (subtreeDeath[child[r]!]! > subtreeDeath[parent[r]!]!) subtreeDeath[parent[r]!] = subtreeDeath[child[r]!]!;
  }
  // Cluster numbers as the package's: selected clusters in ascending condensed-tree id.
  const number = new Int32Array(clusterCount).fill(-1);
  let clusters = 0;
  for (let c = 0; c < clusterCount; c++) if (isCluster[c]) number[c] = clusters++;
  const rowCluster = new Int32Array(n).fill(-1);
  const rowLambda = new Float64Array(n);
  for (let r = 0; r < rowsInTree; r++) {
    const x = child[r]!;
    if (x >= n) continue;
    const p = parent[r]!;
    rowLambda[x] = lambda[r]!;
    rowCluster[x] = selected[p - n]!;
    const lmax = subtreeDeath[p]!;
    outlierScores[x] = Number.isFinite(lambda[r]!) ? (lmax - lambda[r]!) / lmax : 0;
  }
  for (let i = 0; i < n; i++) {
    const s = rowCluster[i]!;
    if (s < 0) continue;
    labels[i] = number[s - n]!;
    const lmax = death[s]!;
    const l = rowLambda[i]!;
    probabilities[i] = Number.isFinite(l) ? Math.min(l, lmax) / lmax : 1;
  }
  return { labels, probabilities, outlierScores, clusters };
}

/**
 * HDBSCAN with the Python `hdbscan` package's clusters, probabilities and
 * GLOSH outlier scores (see the module comment for each step).
 *
 * @param matrix rows × features float32 (already scaled as wanted)
 * @param options `minClusterSize` (default 5), `minSamples` (default minClusterSize), signal, progress
 * @throws SegmentaError `INVALID_OPTION` (minClusterSize < 2, minSamples < 1), `INVALID_DATA`, `NON_FINITE_VALUE`, `EMPTY_TABLE`, `ABORTED`
 * @example
 * const fit = await fitHdbscan(matrix, { minClusterSize: 10 });
 * // fit.labels: -1 for noise; fit.outlierScores: GLOSH in [0, 1]; fit.probabilities: membership strength
 */
export async function fitHdbscan(matrix: Matrix, options: HdbscanOptions = {}): Promise<HdbscanResult> {
  const started = performance.now();
  requireOptions(options, 'fitHdbscan');
  const minClusterSize = requireInteger('minClusterSize', options.minClusterSize ?? 5, 2);
  const requested = options.minSamples === undefined ? minClusterSize : requireInteger('minSamples', options.minSamples, 1);
  validateMatrix(matrix, 'data', options.featureNames);
  const n = matrix.rows;
  const slicer = new TimeSlicer(options.signal);
  await slicer.maybePause();
  const minSamples = Math.max(1, Math.min(n - 1, requested));
  if (n < 2) {
    return {
      labels: new Int32Array(n).fill(-1),
      clusters: 0,
      noise: n,
      sizes: [],
      probabilities: new Float64Array(n),
      outlierScores: new Float64Array(n),
      coreDistances: new Float64Array(n),
      condensedTree: { parent: new Int32Array(0), child: new Int32Array(0), lambda: new Float64Array(0), childSize: new Int32Array(0) },
      minClusterSize,
      minSamples,
      seconds: (performance.now() - started) / 1000,
    };
  }
  options.onProgress?.({ kind: 'phase', phase: 'hdbscan', detail: 'core distances' });
  const core = await kthNeighbourDistances(matrix, minSamples, null, slicer, (done, total) =>
    options.onProgress?.({ kind: 'phase', phase: 'hdbscan', detail: `core distances: ${Math.floor((100 * done) / total)}%` }),
  );
  options.onProgress?.({ kind: 'phase', phase: 'hdbscan', detail: 'spanning tree' });
  const mst = await mutualReachabilityMst(matrix, core, slicer, options.onProgress);
  const Z = singleLinkageTree(n, mst.a, mst.b, mst.w);
  const condensedTree = condenseTree(Z, n, minClusterSize);
  const { labels, probabilities, outlierScores, clusters } = extract(condensedTree, n);
  const sizes = new Array<number>(clusters).fill(0);
  let noise = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i]! < 0) noise++;
    else sizes[labels[i]!]!++;
  }
  options.onProgress?.({ kind: 'phase', phase: 'hdbscan', detail: `${clusters} clusters, ${noise} noise rows` });
  return {
    labels,
    clusters,
    noise,
    sizes,
    probabilities,
    outlierScores,
    coreDistances: core,
    condensedTree,
    minClusterSize,
    minSamples,
    seconds: (performance.now() - started) / 1000,
  };
}

