/**
 * DBSCAN (Ester et al. 1996) with scikit-learn's labels.
 *
 * ## What scikit-learn does, and what segmenta does
 * scikit-learn's `DBSCAN(eps, min_samples)` finds, for every row, the rows at
 * distance `<= eps` (itself included); a row with at least `min_samples` of
 * them is a *core* row. Clusters grow from core rows in ascending row order,
 * so cluster 0 holds the first core row, cluster 1 the first core row not in
 * cluster 0, and so on. A non-core row within `eps` of a core row (a *border*
 * row) joins the first cluster that reaches it, which is the lowest-numbered
 * cluster among its core neighbours. Every other row is noise, `-1`.
 *
 * segmenta computes the same partition without holding the neighbourhoods:
 * 1. count every row's neighbours (core or not);
 * 2. join core rows that are neighbours (union-find) and keep each
 *    non-core row's core neighbours (fewer than `minSamples` per row);
 * 3. number the clusters by their first core row, and give each border row
 *    the lowest cluster number among its core neighbours.
 *
 * ## The eps boundary
 * Rows are float32 (segmenta's matrix). A pair is within `eps` when
 * `Σ_j (x_j − y_j)²`, computed in float64 from the float32 values with j
 * ascending, is `<= eps · eps` (float64): exactly the test of scikit-learn's
 * kd-tree (which it uses for up to 15 features) on the same values given to it
 * as float64. So a pair exactly at `eps`, as integer data often has, counts
 * in both. (Above 15 features scikit-learn's brute-force search uses
 * `‖x‖² − 2x·y + ‖y‖²`, whose rounding can differ for pairs within about
 * 1e-15 of eps; segmenta keeps the exact difference form.)
 *
 * ## Neighbour search
 * - `grid` (the default up to {@link GRID_MAX_DIMS} features): cells of side
 *   eps (neighbour-grid.ts), each touching pair of cells visited once. Runs on
 *   the caller's thread in time slices (the event loop stays free).
 * - `pairwise` (more features): the backend's `pairwiseDistances` kernel in
 *   chunks of rows, as a float32 filter; pairs whose float32 distance is
 *   within the kernel's rounding of eps are decided again in float64 as above,
 *   so every backend gives the same labels.
 */
import { SegmentaError } from '../../common/errors.js';
import type { Matrix } from '../../common/matrix.js';
import type { ProgressListener } from '../../common/progress.js';
import { TimeSlicer } from '../../common/time-slice.js';
import { missingKernel, resolveBackend } from '../../backends/backend-registry.js';
import type { KernelBackend } from '../../backends/kernel-contract.js';
import { requireInteger, requireOptions, validateMatrix } from '../validate-input.js';
import { buildNeighbourGrid, forwardNeighbourCells, gridFits, GRID_MAX_DIMS } from './neighbour-grid.js';

export { GRID_MAX_DIMS } from './neighbour-grid.js';

/** How DBSCAN finds neighbours: `auto` picks the grid when it applies, else pairwise. */
export type NeighbourSearch = 'auto' | 'grid' | 'pairwise';

/** Options of {@link fitDbscan}. */
export interface DbscanOptions {
  /** Neighbourhood radius (Euclidean, in the matrix's units). Required, > 0. */
  eps: number;
  /** Rows within eps, the row itself included, that make a row a core row. Default 5 (scikit-learn's). */
  minSamples?: number;
  /** Neighbour search. Default `auto`: the grid up to {@link GRID_MAX_DIMS} features, the pairwise kernel above. */
  neighbourSearch?: NeighbourSearch;
  /** Backend of the pairwise kernel (`auto`, `js`, `wasm`, `tfjs`, or a backend object). Default `auto`. */
  backend?: string | KernelBackend;
  /** Worker threads of the backend. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /** Stops the fit with `AbortedError` (checked between time slices). */
  signal?: AbortSignal;
  /** Phase events (`phase: 'dbscan'`) with the share of the work done. */
  onProgress?: ProgressListener;
  /** Feature names, used in messages about bad values. */
  featureNames?: readonly string[];
}

/** What {@link fitDbscan} returns. */
export interface DbscanResult {
  /** One label per row: 0, 1, … in scikit-learn's order (by first core row), -1 for noise. */
  labels: Int32Array;
  /** Number of clusters (noise not counted). */
  clusters: number;
  /** Rows labelled -1. */
  noise: number;
  /** Rows per cluster, by label. */
  sizes: number[];
  /** Row numbers of the core rows, ascending (scikit-learn's `core_sample_indices_`). */
  coreSamples: Int32Array;
  eps: number;
  minSamples: number;
  /** The search that ran. */
  neighbourSearch: 'grid' | 'pairwise';
  /** `grid` or the backend of the pairwise kernel, e.g. `wasm-simd (2 threads)`. */
  backend: string;
  /** Neighbour pairs within eps (each unordered pair once, a row with itself not counted). */
  neighbourPairs: number;
  seconds: number;
}

/** Checks eps (finite, > 0) and minSamples (integer >= 1); both messages state the value. */
export function validateDensityRadius(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SegmentaError('INVALID_OPTION', `${name} must be a finite number > 0, got ${String(value)}`, { option: name, value });
  }
  return value;
}

/** Union-find with path halving; `find` returns the root. */
export class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }
  /** Joins the sets of a and b; the smaller root becomes the root. Returns false when already joined. */
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
    return true;
  }
}

/** Growable list of (row, row) pairs. */
class PairList {
  data = new Int32Array(1024);
  length = 0;
  push(a: number, b: number): void {
    if (this.length + 2 > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }
}

/** A pass over every neighbour pair (i < j in some order, each once), with time slicing. */
type PairVisitor = (i: number, j: number) => void;
interface PairSource {
  search: 'grid' | 'pairwise';
  backend: string;
  /**
   * Calls `visit` for every unordered pair within eps; `phase` names the pass
   * in progress events. A pair for which `skip` returns true is not tested
   * (its distance is not computed).
   */
  forEachPair(visit: PairVisitor, phase: string, skip?: (i: number, j: number) => boolean): Promise<void>;
  dispose(): Promise<void>;
}

/** Candidate pairs between two looks at the clock. */
const WORK_CHECK = 1 << 15;

function progressEvent(onProgress: ProgressListener | undefined, phase: string, done: number, total: number): void {
  onProgress?.({ kind: 'phase', phase: 'dbscan', detail: `${phase}: ${Math.floor((100 * done) / Math.max(1, total))}%` });
}

function gridSource(matrix: Matrix, eps: number, slicer: TimeSlicer, onProgress: ProgressListener | undefined): PairSource {
  const { data, rows, cols: d } = matrix;
  const grid = buildNeighbourGrid(data, rows, d, eps);
  const { start, list } = forwardNeighbourCells(grid);
  const { order, cellStart, sorted, cells } = grid;
  const eps2 = eps * eps;
  return {
    search: 'grid',
    backend: 'grid',
    async forEachPair(visit, phase, skip) {
      let work = 0;
      for (let c = 0; c < cells; c++) {
        const s = cellStart[c]!;
        const e = cellStart[c + 1]!;
        const q0 = start[c]!;
        const q1 = start[c + 1]!;
        for (let a = s; a < e; a++) {
          const ao = a * d;
          const ra = order[a]!;
          // Pairs inside the cell, then with the forward neighbour cells.
          for (let b = a + 1; b < e; b++) {
            if (skip !== undefined && skip(ra, order[b]!)) continue;
            const bo = b * d;
            let acc = 0;
            for (let j = 0; j < d; j++) {
              const t = sorted[ao + j]! - sorted[bo + j]!;
              acc += t * t;
            }
            if (acc <= eps2) visit(ra, order[b]!);
          }
          work += e - a;
          for (let q = q0; q < q1; q++) {
            const other = list[q]!;
            const oe = cellStart[other + 1]!;
            for (let b = cellStart[other]!; b < oe; b++) {
              if (skip !== undefined && skip(ra, order[b]!)) continue;
              const bo = b * d;
              let acc = 0;
              for (let j = 0; j < d; j++) {
                const t = sorted[ao + j]! - sorted[bo + j]!;
                acc += t * t;
              }
              if (acc <= eps2) visit(ra, order[b]!);
            }
            work += oe - cellStart[other]! + 1;
          }
          if (work >= WORK_CHECK) {
            work = 0;
            if (slicer.due()) {
              progressEvent(onProgress, phase, c, cells);
              await slicer.pause();
            }
          }
        }
      }
      await slicer.maybePause();
    },
    async dispose() {},
  };
}

/** Rows per pairwise chunk so that a chunk's condensed distances stay near 4M values (32 MB). */
const PAIRWISE_CHUNK_VALUES = 1 << 22;

async function pairwiseSource(matrix: Matrix, eps: number, options: DbscanOptions, slicer: TimeSlicer): Promise<PairSource> {
  const { data, rows, cols: d } = matrix;
  const backend = typeof options.backend === 'object' ? options.backend : await resolveBackend(options.backend ?? 'auto');
  const job = await backend.createJob(data, rows, d, {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!job.pairwiseDistances) {
    await job.dispose();
    throw missingKernel(job, 'pairwiseDistances');
  }
  const eps2 = eps * eps;
  // Squared norms (float64) bound the rounding of a matmul-form kernel (tfjs); exact kernels are bounded relative to the distance.
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j]! * data[i * d + j]!;
    norms[i] = s;
  }
  const relative = (d + 8) * 2 ** -22;
  const exactForm = job.exact;
  const out = new Float64Array(Math.min(PAIRWISE_CHUNK_VALUES + rows, Math.max(1, (rows * (rows - 1)) / 2)));
  const within = (i: number, j: number, dist: number): boolean => {
    const s = dist * dist;
    const tol = exactForm ? relative * Math.max(s, eps2) : relative * (norms[i]! + norms[j]!);
    if (s < eps2 - tol) return true;
    if (s > eps2 + tol) return false;
    let acc = 0;
    for (let k = 0; k < d; k++) {
      const t = data[i * d + k]! - data[j * d + k]!;
      acc += t * t;
    }
    return acc <= eps2;
  };
  return {
    search: 'pairwise',
    backend: job.backend,
    async forEachPair(visit, phase, skip) {
      let i0 = 0;
      while (i0 < rows - 1) {
        let i1 = i0;
        let count = 0;
        while (i1 < rows - 1 && (count === 0 || count + (rows - 1 - i1) <= PAIRWISE_CHUNK_VALUES)) {
          count += rows - 1 - i1;
          i1++;
        }
        await job.pairwiseDistances!(i0, i1, out);
        let o = 0;
        for (let i = i0; i < i1; i++) {
          for (let j = i + 1; j < rows; j++, o++) if ((skip === undefined || !skip(i, j)) && within(i, j, out[o]!)) visit(i, j);
          if ((i & 255) === 0 && slicer.due()) await slicer.pause();
        }
        i0 = i1;
        progressEvent(options.onProgress, phase, i0, rows - 1);
        await slicer.maybePause();
      }
    },
    dispose: () => job.dispose(),
  };
}

/**
 * DBSCAN with scikit-learn's labels (see the module comment for the rules and
 * the eps boundary).
 *
 * @param matrix rows × features float32 (already scaled as wanted)
 * @param options `eps` (required), `minSamples` (default 5), search, backend, signal, progress
 * @returns labels (-1 = noise), cluster count, noise count, sizes, core rows
 * @throws SegmentaError `INVALID_OPTION` (eps, minSamples), `INVALID_DATA`, `NON_FINITE_VALUE`, `EMPTY_TABLE`, `ABORTED`
 * @example
 * const fit = await fitDbscan(matrixFromRows([[1, 2], [2, 2], [2, 3], [8, 7], [8, 8], [25, 80]]), { eps: 3, minSamples: 2 });
 * // fit.labels → Int32Array [0, 0, 0, 1, 1, -1]; fit.clusters → 2; fit.noise → 1; fit.sizes → [3, 2]
 */
export async function fitDbscan(matrix: Matrix, options: DbscanOptions): Promise<DbscanResult> {
  const started = performance.now();
  requireOptions(options, 'fitDbscan', ['eps']);
  const eps = validateDensityRadius('eps', options.eps);
  const minSamples = requireInteger('minSamples', options.minSamples ?? 5, 1);
  const searchOption = options.neighbourSearch ?? 'auto';
  if (searchOption !== 'auto' && searchOption !== 'grid' && searchOption !== 'pairwise') {
    throw new SegmentaError('INVALID_OPTION', `neighbourSearch must be auto, grid or pairwise, got ${String(searchOption)}`, { option: 'neighbourSearch', value: searchOption });
  }
  validateMatrix(matrix, 'data', options.featureNames);
  const { rows, cols } = matrix;
  const slicer = new TimeSlicer(options.signal);
  await slicer.maybePause();
  const fits = gridFits(matrix.data, rows, cols, eps);
  if (searchOption === 'grid' && !fits) {
    throw new SegmentaError(
      'INVALID_OPTION',
      cols > GRID_MAX_DIMS
        ? `the grid search handles up to ${GRID_MAX_DIMS} features, the data has ${cols}; use neighbourSearch 'pairwise' or 'auto'`
        : `eps ${eps} is too small for the grid (a feature spans 2^30 cells or more); use neighbourSearch 'pairwise' or 'auto'`,
      { option: 'neighbourSearch', value: 'grid' },
    );
  }
  const useGrid = searchOption === 'grid' || (searchOption === 'auto' && fits);
  options.onProgress?.({ kind: 'phase', phase: 'dbscan', detail: useGrid ? 'building the grid' : 'starting the pairwise kernel' });
  const source = useGrid ? gridSource(matrix, eps, slicer, options.onProgress) : await pairwiseSource(matrix, eps, options, slicer);
  try {
    // 1. Neighbour counts (the row itself included).
    const counts = new Int32Array(rows).fill(1);
    let pairs = 0;
    await source.forEachPair((i, j) => {
      counts[i]!++;
      counts[j]!++;
      pairs++;
    }, 'counting neighbours');
    const core = new Uint8Array(rows);
    let coreCount = 0;
    for (let i = 0; i < rows; i++) {
      if (counts[i]! >= minSamples) {
        core[i] = 1;
        coreCount++;
      }
    }
    // 2. Core rows joined; each non-core row's core neighbours kept (fewer than minSamples each).
    const sets = new UnionFind(rows);
    const border = new PairList();
    if (coreCount > 0) {
      await source.forEachPair((i, j) => {
        const ci = core[i]!;
        const cj = core[j]!;
        if (ci && cj) sets.union(i, j);
        else if (ci) border.push(j, i);
        else if (cj) border.push(i, j);
      }, 'joining core rows', (i, j) => {
        // Two non-core rows never matter here, nor two core rows already joined: their distance is not needed.
        const ci = core[i]!;
        const cj = core[j]!;
        return ci !== cj ? false : ci === 0 || sets.find(i) === sets.find(j);
      });
    }
    // 3. Clusters numbered by their first core row; border rows take the lowest cluster among their core neighbours.
    const labels = new Int32Array(rows).fill(-1);
    const rootLabel = new Int32Array(rows).fill(-1);
    const sizes: number[] = [];
    const coreSamples = new Int32Array(coreCount);
    for (let i = 0, c = 0; i < rows; i++) {
      if (!core[i]) continue;
      coreSamples[c++] = i;
      const r = sets.find(i);
      if (rootLabel[r]! < 0) {
        rootLabel[r] = sizes.length;
        sizes.push(0);
      }
      labels[i] = rootLabel[r]!;
      sizes[labels[i]!]!++;
    }
    const b = border.data;
    for (let p = 0; p < border.length; p += 2) {
      const row = b[p]!;
      const label = labels[b[p + 1]!]!;
      const current = labels[row]!;
      if (current < 0 || label < current) labels[row] = label;
    }
    let noise = 0;
    for (let i = 0; i < rows; i++) {
      if (core[i]) continue;
      if (labels[i]! < 0) noise++;
      else sizes[labels[i]!]!++;
    }
    options.onProgress?.({ kind: 'phase', phase: 'dbscan', detail: `${sizes.length} clusters, ${noise} noise rows` });
    return {
      labels,
      clusters: sizes.length,
      noise,
      sizes,
      coreSamples,
      eps,
      minSamples,
      neighbourSearch: source.search,
      backend: source.backend,
      neighbourPairs: pairs,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await source.dispose();
  }
}
