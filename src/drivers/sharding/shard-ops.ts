/**
 * The operations a shard offers the driver, wherever the shard lives: in this
 * process ({@link LocalShard}) or in a worker process behind Redis
 * (src/workers/). Every operation is a pure function of the shard's rows and
 * of the job's previous assign pass, so a lost shard can be reloaded elsewhere
 * and asked again with the same answer.
 */
import type { AssignShard } from '../../backends/sharded/sharded-job.js';
import type { ColumnFold } from '../../common/column-folds.js';
import type { ScalerJSON } from '../../preparation/scaling.js';

/** A row far from its centroid, for empty-cluster relocation. */
export interface FarRow {
  /** Global 0-based row. */
  row: number;
  /** Squared distance to its centroid in the last assign pass (float32 value). */
  distance: number;
  /** Its label in the last assign pass. */
  label: number;
  /** The row's values (cols float32). */
  values: Float32Array;
}

/** One shard's operations (see the module comment). */
export interface ShardOps extends AssignShard {
  /** Concrete backend of the shard's job, e.g. `wasm-simd (2 threads)`. */
  readonly backend: string;
  /** Continues a column fold over the shard's rows from `carry`; returns the new carry. */
  fold(fold: ColumnFold, carry: Float64Array): Promise<Float64Array>;
  /** Scales the shard's rows in place (before the first assign). */
  scale(scaler: ScalerJSON): Promise<void>;
  /** Continues the distinct-row set (see collectDistinctRows) until it holds `atLeast`. */
  distinctRows(seen: string[], atLeast: number): Promise<string[]>;
  /** The rows with these global ids (ascending, inside the shard), row-major. */
  gatherRows(ids: Int32Array): Promise<Float32Array>;
  /** The `m` rows farthest from their centroid in the last assign pass (largest first, lowest row on ties). */
  farthest(m: number): Promise<FarRow[]>;
  /** Releases the shard (its backend job, or its worker's copy). */
  dispose(): Promise<void>;
}
