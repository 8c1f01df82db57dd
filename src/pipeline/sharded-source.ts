/**
 * The table of a sharded job (spec.distributed): split into shards that load
 * their own rows from the file, in this process or on `segmenta worker`
 * processes through Redis, then scaled with the same doubles as one process.
 * The whole table is never read into one matrix here.
 */
import { resolve } from 'node:path';
import type { ProgressListener } from '../common/progress.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { planShards } from '../backends/sharded/sharded-job.js';
import { describeCustomerTable } from '../data-in/read-customer-table.js';
import type { Coordinator } from '../distributed/coordinator.js';
import { loadShard } from '../drivers/sharding/load-shard.js';
import { localShardGroup, type LocalShard } from '../drivers/sharding/local-shard.js';
import { ShardedData } from '../drivers/sharding/sharded-data.js';
import { openStreamedData } from '../drivers/sharding/streamed-data.js';
import type { Scaler } from '../preparation/scaling.js';
import type { ResolvedSpec } from './validate-spec.js';
import { groupDigits } from '../common/format-number.js';

/** A sharded table, scaled, ready for sweepK / fitKMeans. */
export interface ShardedSource {
  data: ShardedData;
  scaler: Scaler;
  /** Set when the shards run on Redis workers. */
  coordinator?: Coordinator;
  /** Ends the run: releases the shards; a distributed job's status becomes done, or failed with the error's message. */
  finish(error?: unknown): Promise<void>;
}

/**
 * Plans the shards of `path`, loads them (here or on the workers) and scales them.
 *
 * @throws the reader's errors (`FILE_NOT_FOUND`, `UNKNOWN_COLUMN`…), `REDIS_UNAVAILABLE`, `DISTRIBUTED_JOB_FAILED`
 */
export async function openShardedSource(
  path: string,
  spec: ResolvedSpec,
  listen: { signal?: AbortSignal; onProgress?: ProgressListener; log?: (line: string) => void } = {},
): Promise<ShardedSource> {
  const { features } = spec;
  if (spec.streamed) {
    listen.onProgress?.({ kind: 'phase', phase: 'read', detail: `streaming ${path} in chunks of ${groupDigits(spec.streamed.chunkRows)} rows` });
    const streamed = await openStreamedData(path, {
      features,
      chunkRows: spec.streamed.chunkRows,
      backend: spec.backend,
      ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
      ...(listen.signal ? { signal: listen.signal } : {}),
    });
    return scaled(streamed, spec, async () => streamed.job.dispose());
  }
  const { shards, redis, shardTimeout } = spec.distributed ?? { shards: 1, shardTimeout: 300 };
  const table = await describeCustomerTable(path, features, listen.signal);
  const threads = spec.threads !== undefined ? { threads: spec.threads } : {};
  let data: ShardedData;
  let coordinator: Coordinator | undefined;
  if (redis !== undefined) {
    // BullMQ and ioredis load only for a distributed job (~0.2 s of CPU a local run does not pay).
    const { Coordinator } = await import('../distributed/coordinator.js');
    coordinator = await Coordinator.start({
      redis,
      file: resolve(path),
      features,
      rows: table.rows,
      shards,
      backend: spec.backend,
      ...threads,
      commandTimeoutMs: shardTimeout * 1000,
      ...(listen.signal ? { signal: listen.signal } : {}),
      ...(listen.log ? { log: listen.log } : {}),
    });
    data = new ShardedData(coordinator, features.length);
  } else {
    const backend = await resolveBackend(spec.backend);
    const loaded: LocalShard[] = [];
    try {
      for (const range of planShards(table.rows, shards)) {
        listen.onProgress?.({ kind: 'phase', phase: 'read', detail: `shard ${loaded.length + 1}: rows ${range.start + 1}..${range.end}` });
        loaded.push(await loadShard(path, features, range, backend, { ...threads, ...(listen.signal ? { signal: listen.signal } : {}) }));
      }
    } catch (error) {
      await Promise.all(loaded.map((s) => s.dispose()));
      throw error;
    }
    data = new ShardedData(localShardGroup(loaded), features.length);
  }
  const finish = async (error?: unknown): Promise<void> => {
    await data.job.dispose();
    if (coordinator) await coordinator.finish(error === undefined, error === undefined ? undefined : error instanceof Error ? error.message : String(error));
  };
  return { ...(await scaled(data, spec, finish)), ...(coordinator ? { coordinator } : {}) };
}

/** Fits the spec's scaler on the data and scales it; on failure finishes the source. */
async function scaled(data: ShardedData, spec: ResolvedSpec, finish: (error?: unknown) => Promise<void>): Promise<ShardedSource> {
  try {
    const scaler = await data.fitAndScale(spec.scale);
    return { data, scaler, finish };
  } catch (error) {
    await finish(error);
    throw error;
  }
}
