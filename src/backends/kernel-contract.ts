/**
 * The backend contract: a few coarse kernels that every backend (js reference,
 * wasm, tfjs) implements. Drivers (K-Means, sweep, agglomerative) own buffers,
 * validation, convergence and empty clusters; kernels only compute.
 *
 * ## Numeric contract (what makes backends agree bit for bit)
 * - Data and centroids are float32, row-major (rows × dims).
 * - A squared distance is computed in float32, in this exact order:
 *   `acc = 0; for j in 0..dims-1 { diff = f32(x[j] - c[j]); acc = f32(acc + f32(diff * diff)) }`
 *   (no fused multiply-add).
 * - The nearest centroid is the first index with the strictly smallest distance.
 * - Sums, counts, WCSS and potentials are accumulated in float64: row by row
 *   inside fixed blocks of {@link ROW_BLOCK_SIZE} rows, then block totals are
 *   added in block order (`total = 0; for b in blocks: total += block[b]`).
 *   The result is therefore independent of the thread count.
 * - Sample weights ({@link JobOptions.weights}, float64 per row): a row adds
 *   `w_i` to its cluster's count, `w_i · x_ij` (float64 product of the float32
 *   value) to its sums, and `w_i · d_i` (float64 product of the float32
 *   distance) to the WCSS and potentials, in the same row and block order.
 *   A weight of 1 gives the unweighted result bit for bit (`1 · x = x`).
 *
 * Backends whose arithmetic cannot follow this order (tfjs's matmul form) say
 * so through {@link KernelJob.exact} and are held to a tolerance instead.
 */

/** Rows per accumulation block. Part of the numeric contract: never change it per backend. */
export const ROW_BLOCK_SIZE = 4096;

/** What one assign pass reports besides the buffers it fills. */
export interface AssignStats {
  /** Sum over rows of the squared distance to the nearest centroid (float64, block order). */
  wcss: number;
  /** Rows whose label differs from the previous assign pass of this job (all rows on the first pass). */
  changed: number;
}

/**
 * A job: one data matrix loaded into a backend once, then used by many
 * kernel calls (every k, every init, every iteration of a sweep).
 * Kernel calls never hold the caller's thread for long: they run in worker
 * threads (wasm) or yield to the event loop between slices (js, tfjs).
 * Kernels never allocate per call and never validate their arguments: the
 * driver passes well-formed buffers.
 */
export interface KernelJob {
  /** The concrete backend that runs this job, e.g. `js`, `wasm-simd (2 threads)`, `tfjs-wasm`. */
  readonly backend: string;
  /** Number of rows (n). */
  readonly rows: number;
  /** Number of features (d). */
  readonly dims: number;
  /** True when the job follows the numeric contract exactly (bit-identical to `js`). */
  readonly exact: boolean;

  /**
   * Lloyd step, in one pass over the data: label every row with its nearest
   * centroid, keep its squared distance, and accumulate per-cluster sums and
   * counts for the centroid update.
   *
   * @param centroids k × dims float32, row-major
   * @param k number of centroids
   * @param sums k × dims float64 output (overwritten): sum of member rows per cluster
   * @param counts k float64 output (overwritten): member count per cluster
   */
  assign(centroids: Float32Array, k: number, sums: Float64Array, counts: Float64Array): Promise<AssignStats>;

  /**
   * Optional, for sharded jobs (src/backends/sharded/sharded-job.ts): copies
   * the block partials of the last assign pass, one entry per
   * {@link ROW_BLOCK_SIZE}-row block of this job in block order:
   * `wcss[b]` and `sums[(b * k + c) * dims + j]` (float64, as accumulated row
   * by row inside the block), where k is the last pass's k. A sharded job adds
   * these to the other shards' block partials in global block order, which is
   * exactly the unsharded job's reduction. (Counts are whole numbers, so any
   * order gives the same total and `assign`'s own counts suffice.)
   *
   * @param wcss at least ceil(rows / ROW_BLOCK_SIZE) float64
   * @param sums at least ceil(rows / ROW_BLOCK_SIZE) × k × dims float64
   */
  readAssignBlocks?(wcss: Float64Array, sums: Float64Array): Promise<void>;

  /**
   * k-means++ step 1: for each of `count` candidate points, the potential it
   * would leave: `sum_i min(closest_i, ||x_i - candidate||²)` (float64, block order).
   * Does not change the job's closest distances.
   *
   * @param candidates count × dims float32, row-major
   * @param out count float64 output
   */
  candidatePotentials(candidates: Float32Array, count: number, out: Float64Array): Promise<void>;

  /**
   * k-means++ step 2: take `center` as a chosen centre:
   * `closest_i = reset ? ||x_i - center||² : min(closest_i, ||x_i - center||²)`.
   *
   * @param center dims float32
   * @returns the new potential `sum_i closest_i` (float64, block order)
   */
  updateClosest(center: Float32Array, reset: boolean): Promise<number>;

  /**
   * k-means++ step 2 fused into step 1: takes candidate `index` of the last
   * {@link candidatePotentials} call as the chosen centre. Same result, bit
   * for bit, as `updateClosest(candidate index, false)`: every closest
   * distance becomes `min(closest_i, ||x_i − candidate||²)`, and the return
   * value is the new potential, equal to that call's `out[index]`.
   *
   * A backend may keep each candidate's `min` per row from the potentials
   * pass, so that choosing needs no second pass over the data (one pass per
   * centre instead of two). Valid only right after `candidatePotentials`
   * (no other kernel in between; the built-in backends fall back to a pass
   * when it is not). Optional: drivers call `updateClosest` without it.
   */
  chooseCandidate?(index: number): Promise<number>;

  /** Copies the k-means++ closest squared distances (rows float32) into `out`. */
  readClosest(out: Float32Array): Promise<void>;
  /** Copies the labels of the last assign pass (rows int32) into `out`. */
  readLabels(out: Int32Array): Promise<void>;
  /** Copies the squared distances of the last assign pass (rows float32) into `out`. */
  readDistances(out: Float32Array): Promise<void>;

  /**
   * Optional kernel for agglomerative clustering: Euclidean distances between
   * rows `i` in [rowStart, rowEnd) and every row `j > i`, written consecutively
   * (condensed, scipy order) into `out` starting at `out[0]`.
   */
  pairwiseDistances?(rowStart: number, rowEnd: number, out: Float64Array): Promise<void>;

  /**
   * Optional kernels of exact Ward and single linkage without the distance
   * matrix (drivers/agglomerative/matrix-free-linkage.ts): O(rows × dims)
   * memory instead of O(rows²). The job keeps a table of clusters between
   * calls; `linkageStart` (re)starts it with one cluster per row. Slots are
   * row numbers: a merged cluster keeps the larger slot, as in scipy's `nn_chain`.
   * No other kernel may run between `linkageStart` and the last linkage call
   * (the wasm job keeps the table in its staging area: after another kernel,
   * a linkage call throws until `linkageStart` runs again). With sample
   * weights ({@link JobOptions.weights}), a row's starting Ward size is its weight.
   *
   * - `ward`: cluster centroids in float64 (a row's is its float32 values),
   *   sizes, and the Ward cost {@link wardCost} of the squared centroid
   *   distance in float64, except between two single rows, where it is the
   *   contract's float32 squared distance (so their Ward distance is exactly
   *   the matrix's `sqrt` of it).
   * - `single`: Prim's minimum spanning tree; every row starts open with
   *   best distance +∞.
   */
  linkageStart?(kind: 'ward' | 'single'): Promise<void>;
  /**
   * Ward: the nearest live cluster to live cluster `x` as scipy's
   * `nn_chain` scans: the current minimum starts at `prev` (its cost to `x`;
   * `prev = -1`: none, +∞), then every live cluster other than `x`, in slot
   * order, replaces it when its cost is strictly smaller. Returns that slot
   * and its cost.
   */
  wardNearest?(x: number, prev: number): Promise<LinkageNearest>;
  /**
   * Ward: merges live clusters `x` and `y` into slot `y`:
   * size `nx + ny`, centroid {@link mergedCoordinate} per feature; `x` dies.
   */
  wardMerge?(x: number, y: number): Promise<void>;
  /**
   * Single linkage, one step of scipy's `mst_single_linkage`: closes open
   * row `x`; for every open row `i`, `best_i = min(best_i, d²(x, i))` (the
   * contract's float32 squared distance); returns the first open row in row
   * order with the smallest `best` and its distance `sqrt(best)` (float64).
   */
  primStep?(x: number): Promise<LinkageNearest>;

  /** Releases the job's memory (wasm pages, tensors, workers). Idempotent. */
  dispose(): Promise<void>;
}

/** What a linkage scan found: a slot (row number) and its value (Ward cost or distance). */
export interface LinkageNearest {
  index: number;
  value: number;
}

/**
 * The Ward cost of merging clusters of sizes `na` and `nb` whose centroids are
 * `sq` apart (squared Euclidean, float64 with `sq = Σ_j (b_j − a_j)²`, j
 * ascending): `((na · nb) / (na + nb)) · sq`, in this order, so that it is
 * the same bits for (a, b) and (b, a). scipy's Ward distance is `sqrt(2 · cost)`.
 */
export function wardCost(na: number, nb: number, sq: number): number {
  return ((na * nb) / (na + nb)) * sq;
}

/** One coordinate of the centroid of merged clusters: `(na · a + nb · b) / (na + nb)` (float64). */
export function mergedCoordinate(na: number, a: number, nb: number, b: number): number {
  return (na * a + nb * b) / (na + nb);
}

/** Options a driver passes when it creates a job. */
export interface JobOptions {
  /** Worker threads for backends that use them. Default: the available cores (wasm: 1 for a table of at most 4,096 rows, where more would not run in parallel). */
  threads?: number;
  /**
   * Stops job creation (e.g. while copying a large matrix) and every later
   * kernel call of the job: a call in flight rejects with `AbortedError`
   * within a block (wasm), a slice (js) or a pass (tfjs). The job must then be
   * disposed; its state is undefined.
   */
  signal?: AbortSignal;
  /**
   * Per-row sample weights (rows float64, finite, >= 0; validated by the
   * driver, never modified by the job): when given, assign's sums, counts
   * and WCSS and the k-means++ potentials are weighted (see the numeric
   * contract above); labels, distances and `readClosest` are not. Without
   * it every row weighs 1 and the kernels run their unweighted code.
   */
  weights?: Float64Array;
}

/** Whether a backend can run here, and why not. */
export type BackendAvailability = { available: true; detail?: string } | { available: false; reason: string };

/** A backend: a factory of jobs plus the facts the registry needs. */
export interface KernelBackend {
  /** Registry name used by `--backend` (`js`, `wasm`, `tfjs`). */
  readonly name: string;
  /** Higher wins when the backend is `auto`. */
  readonly priority: number;
  /** One line for `segmenta backends`. */
  readonly description: string;
  /** Cheap, cached check of whether the backend can run on this machine. */
  checkAvailability(): Promise<BackendAvailability>;
  /**
   * Loads `data` (rows × dims float32, row-major) for a series of kernel calls.
   * The caller must not modify `data` while the job is alive.
   */
  createJob(data: Float32Array, rows: number, dims: number, options?: JobOptions): Promise<KernelJob>;
  /**
   * Optional: a zeroed rows × cols float32 matrix (row-major) in memory the
   * backend can use directly. Fill it in place (a reader, a generator, a
   * scaler with `inPlace`), then pass it to {@link createJob}: the job adopts
   * it without copying, so a large fit holds one copy of the data instead of
   * two. Any other array is copied as usual. The wasm backend implements it
   * (the view lives in its shared WebAssembly.Memory); it throws
   * `MEMORY_LIMIT` above the wasm32 4 GiB limit.
   */
  allocateMatrix?(rows: number, cols: number): Float32Array;
}

/** Float32 squared distance in the contract's exact order. Shared by the JS kernels. */
export function squaredDistanceF32(data: Float32Array, rowOffset: number, centers: Float32Array, centerOffset: number, dims: number): number {
  let acc = 0;
  for (let j = 0; j < dims; j++) {
    const diff = Math.fround(data[rowOffset + j]! - centers[centerOffset + j]!);
    acc = Math.fround(acc + Math.fround(diff * diff));
  }
  return acc;
}
