/**
 * Streamed data: K-Means past RAM. The rows stay in their file (CSV or
 * Parquet); every pass reads them again through DuckDB in chunks of whole
 * {@link ROW_BLOCK_SIZE}-row blocks, and each chunk is a shard of the sharded
 * job (backends/sharded/sharded-job.ts): its backend job hands back per-block
 * partials, which the sharded job adds in global block order. So exact Lloyd
 * on streamed data equals the in-memory fit bit for bit, as a sharded fit
 * does, with one chunk in memory instead of the matrix:
 * - column statistics (scaler, tolerance scale) are left folds continued
 *   chunk after chunk (the same doubles as one pass over the matrix);
 * - the distinct-row count continues one set chunk after chunk;
 * - the k-means++ sample is the same seeded row ids, gathered in one pass;
 * - empty-cluster relocation takes the farthest rows of one more pass with
 *   the same centroids.
 * What stays in memory: one chunk, the labels (4 bytes a row), the per-block
 * partials of a pass (blocks × k × features float64) and the init sample.
 * See docs/streaming.md.
 */
import { continueFold, foldStart, type ColumnFold } from '../../common/column-folds.js';
import { SegmentaError } from '../../common/errors.js';
import { TimeSlicer } from '../../common/time-slice.js';
import { missingKernel, resolveBackend } from '../../backends/backend-registry.js';
import { ROW_BLOCK_SIZE, type JobOptions, type KernelBackend } from '../../backends/kernel-contract.js';
import type { AssignPartials, ShardRange } from '../../backends/sharded/sharded-job.js';
import { openFeatureStream } from '../../data-in/read-customer-table.js';
import { scalerFromJSON, type Scaler, type ScalerJSON } from '../../preparation/scaling.js';
import { collectDistinctRows } from '../validate-input.js';
import { farthestRows } from './local-shard.js';
import { ShardedData } from './sharded-data.js';
import { splitIds, type FarRow, type ShardGroup } from './shard-ops.js';
import { groupDigits } from '../../common/format-number.js';

/** Default rows per chunk: 64 blocks of 4,096 rows (4 MiB of float32 at 4 features). */
export const DEFAULT_CHUNK_ROWS = 64 * ROW_BLOCK_SIZE;

/** What streamed data reads: passes over the rows in file order (data-in's FeatureStream). */
export interface ChunkSource {
  readonly rows: number;
  pass(chunkRows: number, onChunk: (data: Float32Array, start: number, rows: number) => Promise<boolean | void>): Promise<void>;
  close(): Promise<void>;
}

/** The chunks of a streamed table as the shards of a sharded job (see the module comment). */
export class StreamedShards implements ShardGroup {
  readonly ranges: ShardRange[];
  /** Passes over the file so far. */
  passes = 0;
  private scaler: Scaler | undefined;
  private readonly labels: Int32Array;
  private last: { centroids: Float32Array; k: number } | undefined;
  private backendName: string;
  private readonly slicer: TimeSlicer;

  constructor(
    private readonly source: ChunkSource,
    private readonly cols: number,
    readonly chunkRows: number,
    private readonly kernels: KernelBackend,
    private readonly jobOptions: JobOptions = {},
  ) {
    if (!Number.isInteger(chunkRows) || chunkRows < ROW_BLOCK_SIZE || chunkRows % ROW_BLOCK_SIZE !== 0) {
      throw new SegmentaError('INVALID_OPTION', `chunkRows must be a positive multiple of ${ROW_BLOCK_SIZE} (the accumulation block), got ${chunkRows}`, {
        option: 'chunkRows',
        value: chunkRows,
      });
    }
    this.ranges = [];
    for (let start = 0; start < source.rows; start += chunkRows) this.ranges.push({ start, end: Math.min(source.rows, start + chunkRows) });
    this.labels = new Int32Array(source.rows).fill(-1);
    this.backendName = kernels.name;
    this.slicer = new TimeSlicer(jobOptions.signal);
  }

  get backend(): string {
    return `${this.backendName}, streamed in chunks of ${groupDigits(this.chunkRows)} rows`;
  }

  /**
   * One pass: `fn` gets every chunk in row order (scaled once the scaler is
   * set), with its index; returning `false` ends the pass. The caller's
   * thread is handed back between chunks (8 ms slices) and the signal checked.
   */
  async forEachChunk(fn: (data: Float32Array, s: number, range: ShardRange) => Promise<boolean | void> | boolean | void): Promise<void> {
    let s = 0;
    this.passes++;
    await this.source.pass(this.chunkRows, async (buffer, start, n) => {
      const range = this.ranges[s];
      if (!range || range.start !== start || range.end !== start + n) {
        throw new SegmentaError('MALFORMED_FILE', `the file changed while it was streamed: rows ${start + 1}..${start + n} came where chunk ${s + 1} was planned`);
      }
      const data = buffer.subarray(0, n * this.cols);
      if (this.scaler) this.scaler.transform({ data, rows: n, cols: this.cols }, { inPlace: true });
      const go = await fn(data, s, range);
      s++;
      await this.slicer.maybePause();
      return go;
    });
  }

  async assignAll(centroids: Float32Array, k: number): Promise<AssignPartials[]> {
    this.last = { centroids: centroids.slice(0, k * this.cols), k };
    const parts: AssignPartials[] = [];
    const kd = k * this.cols;
    await this.forEachChunk(async (data, _s, range) => {
      const n = range.end - range.start;
      const job = await this.kernels.createJob(data, n, this.cols, this.jobOptions);
      try {
        if (!job.readAssignBlocks) throw missingKernel(job, 'readAssignBlocks');
        this.backendName = job.backend;
        const sums = new Float64Array(kd);
        const counts = new Float64Array(k);
        await job.assign(centroids, k, sums, counts);
        const blocks = Math.ceil(n / ROW_BLOCK_SIZE);
        const blockWcss = new Float64Array(blocks);
        const blockSums = new Float64Array(blocks * kd);
        await job.readAssignBlocks(blockWcss, blockSums);
        const fresh = new Int32Array(n);
        await job.readLabels(fresh);
        // Changed rows against this row's label in the previous pass, as one job over all rows counts them.
        const old = this.labels.subarray(range.start, range.end);
        let changed = 0;
        for (let i = 0; i < n; i++) if (fresh[i] !== old[i]) changed++;
        old.set(fresh);
        parts.push({ blockWcss, blockSums, counts, changed });
      } finally {
        await job.dispose();
      }
    });
    return parts;
  }

  async labelsAll(): Promise<Int32Array[]> {
    return this.ranges.map((r) => this.labels.slice(r.start, r.end));
  }

  /** Not used: {@link StreamedData} folds in one pass. */
  async fold(_s: number, _fold: ColumnFold, _carry: Float64Array): Promise<Float64Array> {
    throw new SegmentaError('INVALID_OPTION', 'streamed data folds a whole pass at a time (StreamedData.foldAll)');
  }

  /** Not used: {@link StreamedData} counts in one pass. */
  async distinctRows(_s: number, _seen: string[], _atLeast: number): Promise<string[]> {
    throw new SegmentaError('INVALID_OPTION', 'streamed data counts distinct rows a whole pass at a time (StreamedData.countDistinctRows)');
  }

  /** Every later pass scales each chunk as it is read (the same transform as scaling the matrix in place). */
  async scaleAll(scaler: ScalerJSON): Promise<void> {
    this.scaler = scalerFromJSON(scaler);
  }

  async gatherRows(ids: Int32Array): Promise<Float32Array> {
    const d = this.cols;
    const out = new Float32Array(ids.length * d);
    const parts = splitIds(ids, this.ranges);
    let lastChunk = -1;
    parts.forEach(([lo, hi], s) => void (hi > lo && (lastChunk = s)));
    if (lastChunk < 0) return out;
    await this.forEachChunk((data, s, range) => {
      const [lo, hi] = parts[s]!;
      for (let q = lo; q < hi; q++) {
        const i = ids[q]! - range.start;
        out.set(data.subarray(i * d, (i + 1) * d), q * d);
      }
      return s < lastChunk;
    });
    return out;
  }

  /** One more pass with the last assign's centroids: each chunk's `m` farthest rows. */
  async farthestAll(m: number): Promise<FarRow[][]> {
    const last = this.last;
    if (!last) throw new SegmentaError('INVALID_OPTION', 'farthest rows are asked before any assign pass');
    const out: FarRow[][] = [];
    await this.forEachChunk(async (data, _s, range) => {
      const n = range.end - range.start;
      const job = await this.kernels.createJob(data, n, this.cols, this.jobOptions);
      try {
        await job.assign(last.centroids, last.k, new Float64Array(last.k * this.cols), new Float64Array(last.k));
        const distances = new Float32Array(n);
        const labels = new Int32Array(n);
        await job.readDistances(distances);
        await job.readLabels(labels);
        const d = this.cols;
        out.push(farthestRows(distances, m).map((i) => ({ row: range.start + i, distance: distances[i]!, label: labels[i]!, values: data.slice(i * d, (i + 1) * d) })));
      } finally {
        await job.dispose();
      }
    });
    return out;
  }

  async dispose(): Promise<void> {
    await this.source.close();
  }
}

/**
 * Sharded data whose shards are the chunks of a file streamed on every pass.
 * Column folds and the distinct-row count run in one pass each (the same
 * left folds, continued chunk after chunk).
 */
export class StreamedData extends ShardedData {
  constructor(readonly streamed: StreamedShards, cols: number) {
    super(streamed, cols);
  }

  override async foldAll(fold: ColumnFold): Promise<Float64Array> {
    let carry = foldStart(fold, this.cols);
    await this.streamed.forEachChunk((data) => void (carry = continueFold(fold, data, this.cols, carry)));
    return carry;
  }

  override async countDistinctRows(atLeast: number): Promise<number> {
    const seen = new Set<string>();
    await this.streamed.forEachChunk((data) => collectDistinctRows(data, this.cols, seen, atLeast).size < atLeast);
    return seen.size;
  }

  /** Passes over the file so far. */
  get passes(): number {
    return this.streamed.passes;
  }
}

/** Options of {@link openStreamedData}. */
export interface StreamedDataOptions {
  /** Numeric feature columns, in this order (exact header names). */
  features: string[];
  /** Rows per chunk: a multiple of 4,096. Default 262,144. */
  chunkRows?: number;
  /** Backend name or object. Default `auto`. */
  backend?: string | KernelBackend;
  threads?: number;
  signal?: AbortSignal;
}

/**
 * Opens `path` for streamed K-Means: pass the result to `fitKMeans` or
 * `sweepK` (after `fitAndScale` to scale it), then `data.job.dispose()`.
 *
 * @example
 * const data = await openStreamedData('customers.parquet', { features: ['Age', 'Annual Income (k$)'] });
 * try {
 *   const scaler = await data.fitAndScale('standard');
 *   const fit = await fitKMeans(data, { k: 5, seed: 42 });
 * } finally {
 *   await data.job.dispose();
 * }
 */
export async function openStreamedData(path: string, options: StreamedDataOptions): Promise<StreamedData> {
  const backend = typeof options.backend === 'object' ? options.backend : await resolveBackend(options.backend ?? 'auto');
  const stream = await openFeatureStream(path, { features: options.features, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    const jobOptions: JobOptions = { ...(options.threads !== undefined ? { threads: options.threads } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const shards = new StreamedShards(stream, stream.featureNames.length, options.chunkRows ?? DEFAULT_CHUNK_ROWS, backend, jobOptions);
    return new StreamedData(shards, stream.featureNames.length);
  } catch (error) {
    await stream.close();
    throw error;
  }
}
