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
import { LocalShard, localShardGroup } from './local-shard.js';
import type { FarRow, ShardGroup } from './shard-ops.js';

export class ShardedData {
  readonly rows: number;
  readonly job: ShardedJob;

  /**
   * @param shards contiguous shards in row order
   * @param cols features per row
   */
  constructor(
    readonly shards: ShardGroup,
    readonly cols: number,
  ) {
    this.job = new ShardedJob(shards, cols, () => shards.dispose());
    this.rows = this.job.rows;
  }

  /** Runs `fold` over every row, shard after shard, as one left fold over the rows in order. */
  async foldAll(fold: ColumnFold): Promise<Float64Array> {
    let carry = foldStart(fold, this.cols);
    for (let s = 0; s < this.shards.ranges.length; s++) carry = await this.shards.fold(s, fold, carry);
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
    for (let s = 0; s < this.shards.ranges.length && seen.length < atLeast; s++) seen = await this.shards.distinctRows(s, seen, atLeast);
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
    await this.shards.scaleAll(json);
    return scaler;
  }

  /** The rows with these ascending global ids, row-major, in id order. */
  async gatherRows(ids: Int32Array): Promise<Matrix> {
    const data = await this.shards.gatherRows(ids);
    if (data.length !== ids.length * this.cols) throw new SegmentaError('SHAPE_MISMATCH', `gathered ${data.length / this.cols} of ${ids.length} rows from the shards`);
    return { data, rows: ids.length, cols: this.cols };
  }

  /** The `m` rows farthest from their centroid over all shards: largest distance first, lowest row on ties. */
  async farthestRows(m: number): Promise<FarRow[]> {
    // Each shard's rows come largest first, lowest row on ties, and the shards in row order:
    // a stable sort by distance keeps equal distances in row order.
    const all = (await this.shards.farthestAll(m)).flat();
    all.sort((a, b) => b.distance - a.distance);
    return all.slice(0, m);
  }
}

/**
 * Shards an in-memory matrix (already validated and scaled): each shard is a
 * view of its rows with its own backend job.
 */
export function shardMatrix(matrix: Matrix, shards: number, backend: KernelBackend, jobOptions: JobOptions): ShardedData {
  const d = matrix.cols;
  const ops = planShards(matrix.rows, shards).map((r) => new LocalShard(r, matrix.data.subarray(r.start * d, r.end * d), d, backend, jobOptions));
  return new ShardedData(localShardGroup(ops), d);
}
