/**
 * `--shards N` and `--redis URL` for sweep and kmeans: the table is split into
 * shards that load their own rows from the file (in this process, or in
 * `segmenta worker` processes through Redis). The fit is bit-identical to the
 * unsharded one. The whole table is never read into one matrix here.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../common/errors.js';
import type { ProgressListener } from '../common/progress.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { planShards } from '../backends/sharded/sharded-job.js';
import { describeCustomerTable } from '../data-in/read-customer-table.js';
import { loadShard } from '../drivers/sharding/load-shard.js';
import { localShardGroup, type LocalShard } from '../drivers/sharding/local-shard.js';
import { ShardedData } from '../drivers/sharding/sharded-data.js';
import { parseScalingMethod, type Scaler, type ScalingMethod } from '../preparation/scaling.js';
import { Coordinator } from '../distributed/coordinator.js';
import { parseRedisUrl } from '../distributed/redis-connection.js';
import { parseColumnList, parseIntegerOption, parseNumberOption, type DataFlags, type FitFlags } from './command-options.js';
import { resolve } from 'node:path';

/** The sharding flags. */
export interface ShardFlags {
  shards?: string;
  redis?: string;
  shardTimeout?: string;
}

/** Adds --shards, --redis and --shard-timeout. */
export function addShardOptions(cmd: Command): Command {
  return cmd
    .option('--shards <n>', 'split the rows into N shards of whole 4096-row blocks, each with its own backend job (bit-identical results)')
    .option('--redis <url>', 'run the shards on `segmenta worker` processes through this Redis, e.g. redis://127.0.0.1:6379')
    .option('--shard-timeout <s>', 'with --redis: seconds a shard may take to answer before it is handed to another worker', '300');
}

/** True when the flags ask for a sharded run. */
export function wantsShards(flags: ShardFlags): boolean {
  return flags.shards !== undefined || flags.redis !== undefined;
}

/** A sharded table, scaled, ready for sweepK / fitKMeans. */
export interface ShardedSource {
  data: ShardedData;
  scaler: Scaler;
  scale: ScalingMethod;
  featureNames: string[];
  /** Set when the shards run on Redis workers. */
  coordinator?: Coordinator;
  /** Ends the run (the distributed job's status: done, or failed with the error's message). */
  finish(error?: unknown): Promise<void>;
}

/**
 * Plans the shards of `file`, loads them (here or on the workers) and scales them.
 *
 * @throws SegmentaError `INVALID_OPTION` (flags, or --encode with shards), reader errors, `REDIS_UNAVAILABLE`
 */
export async function openShardedSource(
  file: string,
  flags: DataFlags & ShardFlags,
  fit: FitFlags,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; log?: (line: string) => void } = {},
): Promise<ShardedSource> {
  if (flags.features === undefined) {
    throw new SegmentaError('INVALID_OPTION', '--features is required, e.g. --features "Annual Income (k$),Spending Score (1-100)"', { option: 'features' });
  }
  if (flags.encode !== undefined) {
    throw new SegmentaError('INVALID_OPTION', '--encode is not supported with --shards or --redis yet: one-hot encode the column in the file, or run unsharded', { option: 'encode' });
  }
  const features = parseColumnList(flags.features, 'features');
  const scale = parseScalingMethod(flags.scale ?? 'none');
  const redis = flags.redis !== undefined ? parseRedisUrl(flags.redis) : undefined;
  const shards = parseIntegerOption('shards', flags.shards ?? (redis ? '4' : '1'), 1, 65_536);
  const timeout = parseNumberOption('shard-timeout', flags.shardTimeout ?? '300', 0.1);
  const table = await describeCustomerTable(file, features, options.signal);
  let data: ShardedData;
  let coordinator: Coordinator | undefined;
  if (redis) {
    coordinator = await Coordinator.start({
      redis,
      file: resolve(file),
      features,
      rows: table.rows,
      shards,
      backend: fit.backend,
      ...(fit.threads !== undefined ? { threads: fit.threads } : {}),
      commandTimeoutMs: timeout * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    data = new ShardedData(coordinator, features.length);
  } else {
    const backend = await resolveBackend(fit.backend);
    const loaded: LocalShard[] = [];
    try {
      for (const range of planShards(table.rows, shards)) {
        options.onProgress?.({ kind: 'phase', phase: 'read', detail: `shard ${loaded.length + 1}: rows ${range.start + 1}..${range.end}` });
        loaded.push(
          await loadShard(file, features, range, backend, {
            ...(fit.threads !== undefined ? { threads: fit.threads } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        );
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
  try {
    const scaler = await data.fitAndScale(scale);
    return { data, scaler, scale, featureNames: features, ...(coordinator ? { coordinator } : {}), finish };
  } catch (error) {
    await finish(error);
    throw error;
  }
}
