/**
 * The two O(n²) agglomerative algorithms, written to take exactly scipy 1.10's
 * steps (`_hierarchy.pyx`: `nn_chain` and `mst_single_linkage`), so that the
 * same distances give the same merges, ties included:
 *
 * - nearest-neighbour chain with Lance-Williams updates in float64 for ward,
 *   complete and average (all reducible, so the chain finds the same tree as
 *   the naive greedy algorithm);
 * - Prim's minimum spanning tree for single linkage.
 *
 * Both scan the live clusters in increasing index, take the first strictly
 * smaller distance and update the condensed matrix in place, like scipy. The
 * live clusters are kept in a sorted array (instead of scipy's scan of all n
 * slots), which visits them in the same order but skips the dead ones.
 */
import { throwIfAborted } from '../../common/errors.js';
import { SLICE_MS } from '../../common/time-slice.js';
import type { ProgressListener } from '../../common/progress.js';
import { condensedRowBases } from './condensed-distances.js';
import type { Linkage } from './linkage-tree.js';
import { groupDigits } from '../../common/format-number.js';

/** Options of the merge loops. */
export interface MergeLoopOptions {
  /** Checked every ~8 ms (the loop yields to the event loop then, so timers, I/O and Ctrl-C get through). */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** Yields to the event loop after every {@link SLICE_MS} of work, so that timers, signals and progress get through. */
export function createYielder(options: MergeLoopOptions): (done: number, total: number) => Promise<void> | undefined {
  let last = performance.now();
  return (done, total) => {
    const now = performance.now();
    if (now - last < SLICE_MS) return undefined;
    last = now;
    options.onProgress?.({ kind: 'phase', phase: 'merging', detail: `${groupDigits(done)} of ${groupDigits(total)} merges` });
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => throwIfAborted(options.signal));
  };
}

/** Removes `value` from the sorted prefix `list[0..length)`; returns the new length. */
function removeSorted(list: Int32Array, length: number, value: number): number {
  const p = indexOfSorted(list, length, value);
  list.copyWithin(p, p + 1, length);
  return length - 1;
}

/** Position of `value` in the sorted prefix `list[0..length)` (it must be there). */
function indexOfSorted(list: Int32Array, length: number, value: number): number {
  let lo = 0;
  let hi = length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Nearest-neighbour chain (scipy's `nn_chain`) on a float64 condensed matrix,
 * which it overwrites. Returns the merges in the order found, unsorted and in
 * slot numbering: `(x, y, distance, nx + ny)` per row with x < y; pass them
 * to `sortAndRelabel`.
 *
 * @param sizes initial cluster sizes (weights); default 1 each. With weights,
 *   ward merges weighted points exactly when `D` holds the weighted Ward
 *   distances `sqrt(2 wi wj / (wi + wj)) · |ci - cj|`.
 */
export async function nnChainMerges(
  D: Float64Array,
  n: number,
  linkage: Exclude<Linkage, 'single'>,
  sizes?: ArrayLike<number>,
  options: MergeLoopOptions = {},
): Promise<Float64Array> {
  const Z = new Float64Array(4 * Math.max(0, n - 1));
  if (n < 2) return Z;
  const base = condensedRowBases(n);
  const size = new Float64Array(n);
  for (let i = 0; i < n; i++) size[i] = sizes ? sizes[i]! : 1;
  const active = new Int32Array(n);
  for (let i = 0; i < n; i++) active[i] = i;
  let live = n;
  const chain = new Int32Array(n);
  let chainLength = 0;
  const pause = createYielder(options);
  const method = linkage === 'ward' ? 0 : linkage === 'complete' ? 1 : 2;
  for (let k = 0; k < n - 1; k++) {
    if (chainLength === 0) {
      chainLength = 1;
      chain[0] = active[0]!;
    }
    let x = 0;
    let y = 0;
    let currentMin = Infinity;
    for (;;) {
      x = chain[chainLength - 1]!;
      if (chainLength > 1) {
        y = chain[chainLength - 2]!;
        currentMin = x < y ? D[base[x]! + y]! : D[base[y]! + x]!;
      } else {
        currentMin = Infinity;
      }
      const px = indexOfSorted(active, live, x);
      for (let p = 0; p < px; p++) {
        const i = active[p]!;
        const dist = D[base[i]! + x]!;
        if (dist < currentMin) {
          currentMin = dist;
          y = i;
        }
      }
      const bx = base[x]!;
      for (let p = px + 1; p < live; p++) {
        const i = active[p]!;
        const dist = D[bx + i]!;
        if (dist < currentMin) {
          currentMin = dist;
          y = i;
        }
      }
      if (chainLength > 1 && y === chain[chainLength - 2]) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x]!;
    const ny = size[y]!;
    Z[4 * k] = x;
    Z[4 * k + 1] = y;
    Z[4 * k + 2] = currentMin;
    Z[4 * k + 3] = nx + ny;
    size[x] = 0;
    size[y] = nx + ny;
    live = removeSorted(active, live, x);
    const dxy = currentMin;
    const bxBase = base[x]!;
    const byBase = base[y]!;
    for (let p = 0; p < live; p++) {
      const i = active[p]!;
      if (i === y) continue;
      const ix = i < x ? base[i]! + x : bxBase + i;
      const iy = i < y ? base[i]! + y : byBase + i;
      const dxi = D[ix]!;
      const dyi = D[iy]!;
      const ni = size[i]!;
      let d: number;
      if (method === 0) {
        // scipy's _ward, same operation order: t = 1/(nx+ny+ni); sqrt((ni+nx)t dxi² + (ni+ny)t dyi² - ni t dxy²)
        const t = 1.0 / (nx + ny + ni);
        d = Math.sqrt((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * dxy * dxy);
      } else if (method === 1) {
        d = dxi > dyi ? dxi : dyi;
      } else {
        d = (nx * dxi + ny * dyi) / (nx + ny);
      }
      D[iy] = d;
    }
    const waiting = pause(k + 1, n - 1);
    if (waiting) await waiting;
  }
  throwIfAborted(options.signal);
  return Z;
}

/**
 * Single linkage by Prim's minimum spanning tree (scipy's `mst_single_linkage`)
 * on a condensed matrix (read only). Returns unsorted merges `(x, y, distance, 0)`
 * in slot numbering; pass them to `sortAndRelabel`.
 */
export async function mstSingleMerges(D: Float64Array, n: number, options: MergeLoopOptions = {}): Promise<Float64Array> {
  const Z = new Float64Array(4 * Math.max(0, n - 1));
  if (n < 2) return Z;
  const base = condensedRowBases(n);
  const best = new Float64Array(n).fill(Infinity);
  // Unmerged points, increasing.
  const open = new Int32Array(n);
  for (let i = 0; i < n; i++) open[i] = i;
  let live = n;
  const pause = createYielder(options);
  let x = 0;
  let y = 0;
  for (let k = 0; k < n - 1; k++) {
    let currentMin = Infinity;
    live = removeSorted(open, live, x);
    const bx = base[x]!;
    for (let p = 0; p < live; p++) {
      const i = open[p]!;
      const dist = i < x ? D[base[i]! + x]! : D[bx + i]!;
      if (best[i]! > dist) best[i] = dist;
      if (best[i]! < currentMin) {
        y = i;
        currentMin = best[i]!;
      }
    }
    Z[4 * k] = x;
    Z[4 * k + 1] = y;
    Z[4 * k + 2] = currentMin;
    x = y;
    const waiting = pause(k + 1, n - 1);
    if (waiting) await waiting;
  }
  throwIfAborted(options.signal);
  return Z;
}
