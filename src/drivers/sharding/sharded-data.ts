/**
 * Data the driver reaches through shards instead of one matrix in memory.
 * Everything the driver computes over all rows is computed so that the doubles
 * equal the unsharded computation's:
 * - column statistics (scaler, tolerance scale) are left folds continued
 *   shard after shard from the previous shard's carry;
 * - the distinct-row count continues one set shard after shard;
 * - assign passes add per-block partials in global block order (ShardedJob);
 * - the k-means++ sample is the same seeded row ids, gathered from the shards;
 * - the rows for empty-cluster relocation are merged from each shard's farthest rows.
 */
import { foldStart, type ColumnFold } from '../../common/column-folds.js';
import { SegmentaError } from '../../common/errors.js';
import type { Matrix } from '../../common/matrix.js';
import type { JobOptions, KernelBackend } from '../../backends/kernel-contract.js';
import { planShards, ShardedJob } from '../../backends/sharded/sharded-job.js';
import { columnMeans, minMaxScaler, standardScaler, type Scaler, type ScalingMethod, scalerFromJSON } from '../../preparation/scaling.js';
import { meanOfVariances } from '../validate-input.js';
import { LocalShard } from './local-shard.js';
import type { FarRow, ShardOps } from './shard-ops.js';

export class ShardedData {
  readonly rows: number;
  readonly job: ShardedJob;

  /**
   * @param shards contiguous shards in row order
   * @param cols features per row
   */
  constructor(
    readonly shards: readonly ShardOps[],
    readonly cols: number,
  ) {
    this.job = new ShardedJob(shards, cols, () => shards[0]!.backend, () => this.disposeShards());
    this.rows = this.job.rows;
  }

  /** Runs `fold` over every row, shard after shard, as one left fold over the rows in order. */
  async foldAll(fold: ColumnFold): Promise<Float64Array> {
    let carry = foldStart(fold, this.cols);
    for (const s of this.shards) carry = await s.fold(fold, carry);
    return carry;
  }

  /** Same value as `meanFeatureVariance` over the concatenated rows. */
  async meanFeatureVariance(): Promise<number> {
    const mean = columnMeans(await this.foldAll({ kind: 'sum' }), this.rows);
    return meanOfVariances(await this.foldAll({ kind: 'squares', center: mean }), this.rows);
  }

  /** Same value as `countDistinctRows` over the concatenated rows. */
  async countDistinctRows(atLeast: number): Promise<number> {
    let seen: string[] = [];
    for (const s of this.shards) {
      if (seen.length >= atLeast) break;
      seen = await s.distinctRows(seen, atLeast);
    }
    return seen.length;
  }

  /**
   * Fits the scaler on the shards' rows (same doubles as `fitScaler` on the
   * concatenated matrix) and scales every shard in place.
   */
  async fitAndScale(method: ScalingMethod): Promise<Scaler> {
    let scaler: Scaler;
    if (method === 'standard') {
      const mean = columnMeans(await this.foldAll({ kind: 'sum' }), this.rows);
      scaler = standardScaler(mean, await this.foldAll({ kind: 'squares', center: mean }), this.rows);
    } else if (method === 'minmax') {
      const range = await this.foldAll({ kind: 'range' });
      scaler = minMaxScaler(range.subarray(0, this.cols), range.subarray(this.cols));
    } else {
      scaler = scalerFromJSON({ method: 'none', offset: new Array(this.cols).fill(0), scale: new Array(this.cols).fill(1) });
      return scaler;
    }
    const json = scaler.toJSON();
    await Promise.all(this.shards.map((s) => s.scale(json)));
    return scaler;
  }

  /** The rows with these ascending global ids, row-major, in id order. */
  async gatherRows(ids: Int32Array): Promise<Matrix> {
    const parts = await Promise.all(
      this.shards.map((s) => {
        let lo = 0;
        while (lo < ids.length && ids[lo]! < s.range.start) lo++;
        let hi = lo;
        while (hi < ids.length && ids[hi]! < s.range.end) hi++;
        return hi > lo ? s.gatherRows(ids.subarray(lo, hi)) : Promise.resolve(new Float32Array(0));
      }),
    );
    const data = new Float32Array(ids.length * this.cols);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    if (o !== data.length) throw new SegmentaError('SHAPE_MISMATCH', `gathered ${o / this.cols} of ${ids.length} rows from the shards`);
    return { data, rows: ids.length, cols: this.cols };
  }

  /** The `m` rows farthest from their centroid over all shards: largest distance first, lowest row on ties. */
  async farthestRows(m: number): Promise<FarRow[]> {
    const all = (await Promise.all(this.shards.map((s) => s.farthest(m)))).flat();
    all.sort((a, b) => b.distance - a.distance || a.row - b.row);
    return all.slice(0, m);
  }

  private async disposeShards(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.dispose()));
  }
}

/**
 * Shards an in-memory matrix (already validated and scaled): each shard is a
 * view of its rows with its own backend job.
 */
export function shardMatrix(matrix: Matrix, shards: number, backend: KernelBackend, jobOptions: JobOptions): ShardedData {
  const d = matrix.cols;
  const ops = planShards(matrix.rows, shards).map((r) => new LocalShard(r, matrix.data.subarray(r.start * d, r.end * d), d, backend, jobOptions));
  return new ShardedData(ops, d);
}
