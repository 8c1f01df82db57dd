/**
 * The operations the driver needs from its shards, wherever they live: in
 * this process ({@link LocalShard}, {@link localShardGroup}) or in worker
 * processes behind Redis (src/distributed/). Every operation is a pure function
 * of a shard's rows and of the job's previous assign pass, so a lost shard can
 * be reloaded elsewhere and asked again with the same answer.
 */
import type { AssignShards } from '../../backends/sharded/sharded-job.js';
import type { ColumnFold } from '../../common/column-folds.js';
import type { ScalerJSON } from '../../preparation/scaling.js';

/** A row far from its centroid, for empty-cluster relocation. */
export interface FarRow {
  /** Global 0-based row. */
  row: number;
  /** Squared distance to its centroid in the last assign pass (a float32 value). */
  distance: number;
  /** Its label in the last assign pass. */
  label: number;
  /** The row's values (cols float32). */
  values: Float32Array;
}

/** Every shard of a job (see the module comment). Shard `s` holds rows `ranges[s]`. */
export interface ShardGroup extends AssignShards {
  /** Continues a column fold over shard `s`'s rows from `carry`; returns the new carry. */
  fold(s: number, fold: ColumnFold, carry: Float64Array): Promise<Float64Array>;
  /** Continues the distinct-row set of shard `s` (see collectDistinctRows) until it holds `atLeast`. */
  distinctRows(s: number, seen: string[], atLeast: number): Promise<string[]>;
  /** Scales every shard's rows in place (before the first assign). */
  scaleAll(scaler: ScalerJSON): Promise<void>;
  /** The rows with these ascending global ids, row-major, in id order. */
  gatherRows(ids: Int32Array): Promise<Float32Array>;
  /** Every shard's `m` rows farthest from their centroid in the last assign pass (largest first, lowest row on ties). */
  farthestAll(m: number): Promise<FarRow[][]>;
  /** Releases the shards (their backend jobs, or the workers' copies). */
  dispose(): Promise<void>;
}

/**
 * Splits ascending global ids by shard: `[lo, hi)` index ranges into `ids`,
 * one per shard. The ranges are a job's shards: contiguous from row 0, so
 * each shard's ids start where the previous shard's end.
 */
export function splitIds(ids: Int32Array, ranges: readonly { start: number; end: number }[]): [number, number][] {
  let lo = 0;
  return ranges.map((r) => {
    let hi = lo;
    while (hi < ids.length && ids[hi]! < r.end) hi++;
    const part: [number, number] = [lo, hi];
    lo = hi;
    return part;
  });
}
