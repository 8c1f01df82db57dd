/**
 * A shard in this process: its rows and its own backend job (its own wasm
 * memory and worker threads). The job is created at the first assign pass,
 * after any scaling, and adopts the rows without a copy when they were
 * allocated by the backend (`allocateMatrix`). Its own JS work (column folds,
 * scaling in place) runs in slices that yield to the event loop, as the
 * drivers' does.
 */
import { continueFold, type ColumnFold } from '../../common/column-folds.js';
import { TimeSlicer } from '../../common/time-slice.js';
import { missingKernel } from '../../backends/backend-registry.js';
import { ROW_BLOCK_SIZE, type JobOptions, type KernelBackend, type KernelJob } from '../../backends/kernel-contract.js';
import type { AssignPartials, ShardRange } from '../../backends/sharded/sharded-job.js';
import { scalerFromJSON, type ScalerJSON } from '../../preparation/scaling.js';
import { collectDistinctRows } from '../validate-input.js';
import { splitIds, type FarRow, type ShardGroup } from './shard-ops.js';

/** Rows of a shard's own JS work (folds, scaling) between two looks at the clock. */
const SLICE_ROWS = 1 << 15;

/** Indices of the `m` largest values, largest first, lowest index on ties. */
export function farthestRows(distances: Float32Array, m: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < distances.length; i++) {
    const v = distances[i]!;
    if (top.length === m && v <= distances[top[m - 1]!]!) continue;
    // Below m rows, p = top.length: the shift (or top[p] = i) appends.
    let p = top.length === m ? m - 1 : top.length;
    while (p > 0 && distances[top[p - 1]!]! < v) {
      top[p] = top[p - 1]!;
      p--;
    }
    top[p] = i;
  }
  return top;
}

/** One shard in this process (see the module comment). */
export class LocalShard {
  private job: KernelJob | null = null;
  private jobPromise: Promise<KernelJob> | null = null;
  private readonly rows: number;
  private kd = 0;

  /**
   * @param data the shard's rows (range length × cols float32); scaled in place by {@link scale}
   */
  constructor(
    readonly range: ShardRange,
    private readonly data: Float32Array,
    private readonly cols: number,
    private readonly kernels: KernelBackend,
    private readonly jobOptions: JobOptions = {},
  ) {
    this.rows = range.end - range.start;
  }

  get backend(): string {
    return this.job?.backend ?? this.kernels.name;
  }

  /** The shard's backend job, created on first use. */
  async getJob(): Promise<KernelJob> {
    this.jobPromise ??= this.kernels.createJob(this.data, this.rows, this.cols, this.jobOptions);
    const job = await this.jobPromise;
    if (!job.readAssignBlocks) {
      await job.dispose();
      this.jobPromise = null;
      throw missingKernel(job, 'readAssignBlocks');
    }
    this.job = job;
    return job;
  }

  /** Runs `f` over runs of rows in order, yielding to the event loop between them (and stopping on the job's signal). */
  private async inSlices(f: (rows: Float32Array, count: number) => void): Promise<void> {
    const slicer = new TimeSlicer(this.jobOptions.signal);
    const d = this.cols;
    for (let r0 = 0; r0 < this.rows; r0 += SLICE_ROWS) {
      await slicer.maybePause();
      const r1 = Math.min(this.rows, r0 + SLICE_ROWS);
      f(this.data.subarray(r0 * d, r1 * d), r1 - r0);
    }
  }

  /** Continues `fold` over the shard's rows from `carry` (a copy; same doubles as one pass: slices only pause the left fold). */
  async fold(fold: ColumnFold, carry: Float64Array): Promise<Float64Array> {
    const out = Float64Array.from(carry);
    await this.inSlices((rows) => void continueFold(fold, rows, this.cols, out));
    return out;
  }

  async scale(scaler: ScalerJSON): Promise<void> {
    const s = scalerFromJSON(scaler);
    await this.inSlices((data, rows) => void s.transform({ data, rows, cols: this.cols }, { inPlace: true }));
  }

  async distinctRows(seen: string[], atLeast: number): Promise<string[]> {
    return [...collectDistinctRows(this.data, this.cols, new Set(seen), atLeast)];
  }

  async gatherRows(ids: Int32Array): Promise<Float32Array> {
    const d = this.cols;
    const out = new Float32Array(ids.length * d);
    for (let q = 0; q < ids.length; q++) {
      const i = ids[q]! - this.range.start;
      out.set(this.data.subarray(i * d, (i + 1) * d), q * d);
    }
    return out;
  }

  async assign(centroids: Float32Array, k: number): Promise<AssignPartials> {
    const job = await this.getJob();
    const blocks = Math.ceil(this.rows / ROW_BLOCK_SIZE);
    const kd = k * this.cols;
    const sums = new Float64Array(kd);
    const counts = new Float64Array(k);
    const stats = await job.assign(centroids, k, sums, counts);
    const blockWcss = new Float64Array(blocks);
    const blockSums = new Float64Array(blocks * kd);
    await job.readAssignBlocks!(blockWcss, blockSums);
    this.kd = kd;
    return { blockWcss, blockSums, counts, changed: stats.changed };
  }

  async readLabels(): Promise<Int32Array> {
    const out = new Int32Array(this.rows);
    if (this.kd > 0) await (await this.getJob()).readLabels(out);
    else out.fill(-1);
    return out;
  }

  async farthest(m: number): Promise<FarRow[]> {
    const job = await this.getJob();
    const distances = new Float32Array(this.rows);
    const labels = new Int32Array(this.rows);
    await job.readDistances(distances);
    await job.readLabels(labels);
    const d = this.cols;
    return farthestRows(distances, m).map((i) => ({
      row: this.range.start + i,
      distance: distances[i]!,
      label: labels[i]!,
      values: this.data.slice(i * d, (i + 1) * d),
    }));
  }

  async dispose(): Promise<void> {
    const job = this.job ?? (this.jobPromise ? await this.jobPromise.catch(() => null) : null);
    this.job = null;
    this.jobPromise = null;
    await job?.dispose();
  }
}

/** The shards of a job, all in this process. */
export function localShardGroup(shards: readonly LocalShard[]): ShardGroup {
  const all = <T>(f: (s: LocalShard) => Promise<T>): Promise<T[]> => Promise.all(shards.map(f));
  const ranges = shards.map((s) => s.range);
  return {
    ranges,
    get backend() {
      return shards[0]!.backend;
    },
    assignAll: (centroids, k) => all((s) => s.assign(centroids, k)),
    labelsAll: () => all((s) => s.readLabels()),
    fold: (s, fold, carry) => shards[s]!.fold(fold, carry),
    distinctRows: (s, seen, atLeast) => shards[s]!.distinctRows(seen, atLeast),
    scaleAll: async (scaler) => void (await all((s) => s.scale(scaler))),
    async gatherRows(ids) {
      const parts = await Promise.all(splitIds(ids, ranges).map(([lo, hi], s) => shards[s]!.gatherRows(ids.subarray(lo, hi))));
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
    farthestAll: (m) => all((s) => s.farthest(m)),
    dispose: async () => void (await all((s) => s.dispose())),
  };
}
