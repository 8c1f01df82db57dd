/**
 * `segmenta worker`: serves shards of sharded jobs from Redis.
 *
 * The worker takes shard ownership jobs from the BullMQ queue (at most its
 * fair share of a job's shards while other workers are alive), loads each
 * shard's rows straight from the file with DuckDB (locked down to that file)
 * and keeps them for the whole job. It then answers the coordinator's
 * commands for that shard, in order, writing each answer once (HSETNX) under
 * (job, sequence number, shard). See docs/scale-out.md.
 *
 * A worker that takes over a shard (its owner died or was too slow) reloads
 * the rows, re-applies the scaling, re-runs the last assign pass before the
 * first command it must answer (so "changed rows" and labels are those of the
 * lost owner) and carries on: answers are the same bits whoever computes them.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SegmentaError, isUserError } from '../common/errors.js';
import '../backends/built-in-backends.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { loadShard } from '../drivers/sharding/load-shard.js';
import type { LocalShard } from '../drivers/sharding/local-shard.js';
import type { ColumnFold } from '../common/column-folds.js';
import { connectCheckedRedis, connectRedis, parseRedisUrl, Wakeups } from './redis-connection.js';
import {
  bytesOf,
  ERROR_MARK,
  EVENTS_CHANNEL,
  f32FromBase64,
  f64FromBase64,
  i32FromBase64,
  jobKey,
  QUEUE_PREFIX,
  SHARD_QUEUE,
  targets,
  WORKERS_KEY,
  type Command,
  type JobSpec,
  type OwnershipData,
} from './protocol.js';
import { splitIds } from '../drivers/sharding/shard-ops.js';

/** Options of {@link startShardWorker}. */
export interface ShardWorkerOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redis: string;
  /** Threads of each shard's backend job. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /**
   * BullMQ lock of a shard ownership job in ms: when a worker dies, its shards
   * are handed to another worker about this long after its last renewal. Default 10,000.
   */
  lockMs?: number;
  /** Receives one line per event (shard loaded, shard handed over, job failed). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface ShardWorker {
  /** This worker's id: host, pid and a random suffix. */
  readonly id: string;
  /** Stops taking shards, drops the ones it serves (other workers take them over) and closes its connections. */
  close(): Promise<void>;
}

/** How long a worker's registration lasts without renewal (others then count it as gone). */
const REGISTRATION_MS = 2500;
/** Idle poll while waiting for commands (the pub/sub wake-up usually comes first). */
const POLL_MS = 250;

/** Raised inside the command loop when the shard's ownership moved to another worker. */
class OwnershipMoved extends Error {}

/**
 * Starts a worker.
 *
 * @example
 * ```ts
 * const worker = await startShardWorker({ redis: 'redis://127.0.0.1:6379', threads: 2 });
 * process.once('SIGTERM', () => void worker.close());
 * ```
 * @throws SegmentaError `INVALID_OPTION` for a bad URL, `REDIS_UNAVAILABLE` when Redis does not answer
 */
export async function startShardWorker(options: ShardWorkerOptions): Promise<ShardWorker> {
  const url = parseRedisUrl(options.redis);
  const lockMs = options.lockMs ?? 10_000;
  const log = options.log ?? (() => undefined);
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
  const redis = await connectCheckedRedis(url, `segmenta-worker-${id}`);
  const sub = connectRedis(url, `segmenta-worker-sub-${id}`);
  const bull = connectRedis(url, `segmenta-worker-bull-${id}`);
  const wakeups = new Wakeups();
  sub.on('message', (_channel: string, message: string) => {
    const [kind, job] = message.split(' ');
    if (kind === 'cmd' && job) wakeups.wake(job);
  });
  await sub.subscribe(EVENTS_CHANNEL);

  const register = async (): Promise<void> => {
    const now = Date.now();
    await redis.zadd(WORKERS_KEY, now + REGISTRATION_MS, id);
    await redis.zremrangebyscore(WORKERS_KEY, '-inf', now);
  };
  await register();
  const registration = setInterval(() => void register().catch(() => undefined), 1000);

  const owned = new Map<string, number>();
  const serving = new Set<AbortController>();
  const ctx: ServeContext = { redis, wakeups, log, workerId: id, ...(options.threads !== undefined ? { threads: options.threads } : {}) };

  const worker = new Worker<OwnershipData>(
    SHARD_QUEUE,
    async (job: Job<OwnershipData>, token?: string) => {
      const { jobId, shard } = job.data;
      const specText = await redis.get(jobKey(jobId, 'spec'));
      if (!specText) return 'job gone';
      const state = await redis.hget(jobKey(jobId, 'status'), 'state');
      if (state !== 'running') return `job ${state ?? 'gone'}`;
      const spec = JSON.parse(specText) as JobSpec;
      // Take at most a fair share of the job's shards while other workers are alive.
      // BullMQ runs several of these at once: the count is read after the last
      // await, so that reading it and taking the shard are one step (read before
      // the await, four ownership jobs that arrived together all saw 0 and one
      // worker took every shard).
      const live = Math.max(1, await redis.zcount(WORKERS_KEY, Date.now(), '+inf'));
      const mine = owned.get(jobId) ?? 0;
      if (mine >= Math.ceil(spec.ranges.length / live)) {
        await job.moveToDelayed(Date.now() + 200, token);
        throw new DelayedError();
      }
      owned.set(jobId, mine + 1);
      const stop = new AbortController();
      serving.add(stop);
      try {
        return await serveShard(ctx, spec, shard, String(job.id), stop.signal);
      } finally {
        serving.delete(stop);
        const left = (owned.get(jobId) ?? 1) - 1;
        if (left > 0) owned.set(jobId, left);
        else owned.delete(jobId);
      }
    },
    {
      connection: bull,
      prefix: QUEUE_PREFIX,
      concurrency: 256,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: 1_000_000,
      drainDelay: 1,
    },
  );
  worker.on('error', () => undefined); // connection errors while Redis restarts; BullMQ reconnects
  worker.on('failed', (job, error) => {
    if (job && !(error instanceof DelayedError) && error.name !== 'DelayedError') log(`job ${job.data.jobId}: shard ${job.data.shard} ended: ${error.message}`);
  });
  log(`worker ${id} serving shards from ${url} (queue ${SHARD_QUEUE})`);

  let closing: Promise<void> | undefined;
  return {
    id,
    close() {
      closing ??= (async () => {
        clearInterval(registration);
        for (const s of serving) s.abort();
        await worker.close(true).catch(() => undefined);
        await redis.zrem(WORKERS_KEY, id).catch(() => undefined);
        for (const c of [sub, bull, redis]) c.disconnect();
      })();
      return closing;
    },
  };
}

interface ServeContext {
  redis: Redis;
  wakeups: Wakeups;
  log: (line: string) => void;
  workerId: string;
  threads?: number;
}

type AssignCommand = Extract<Command, { op: 'assign' }>;

/** Fails the job unless it already ended (atomic: a finished job stays finished). */
const FAIL_IF_RUNNING = `if redis.call('hget', KEYS[1], 'state') == 'running' then
  redis.call('hset', KEYS[1], 'state', 'failed', 'reason', ARGV[1], 'updated', ARGV[2]) return 1 end return 0`;

/**
 * Writes shard ARGV[2]'s answer ARGV[3] to command ARGV[1] (hash KEYS[1]) once,
 * unless the coordinator has gathered that command already (KEYS[2], its last
 * gathered sequence number, is at or past it: a resent write after a lost
 * reply, or a slow shard's late answer) or the job has ended (KEYS[3]'s state:
 * a worker that wakes from a stall after the end would otherwise leave a
 * `res` key that nobody deletes), then publishes ARGV[5] on ARGV[4].
 */
const WRITE_ANSWER = `if redis.call('hget', KEYS[3], 'state') == 'running' and tonumber(redis.call('get', KEYS[2]) or '-1') < tonumber(ARGV[1]) then
  redis.call('hsetnx', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('publish', ARGV[4], ARGV[5])
return 0`;

async function failJob(redis: Redis, jobId: string, reason: string): Promise<void> {
  await redis.eval(FAIL_IF_RUNNING, 1, jobKey(jobId, 'status'), reason, new Date().toISOString());
}

/** Loads shard `s` of `spec` and answers its commands until the job ends or the shard moves. */
async function serveShard(ctx: ServeContext, spec: JobSpec, s: number, bullJobId: string, stop: AbortSignal): Promise<string> {
  const { redis, log } = ctx;
  const id = spec.id;
  const token = `${ctx.workerId}/${bullJobId}`;
  const ownerKey = jobKey(id, `owner:${s}`);
  await redis.set(ownerKey, token);
  const range = spec.ranges[s]!;
  const started = performance.now();
  let shard: LocalShard;
  try {
    const backend = await resolveBackend(spec.backend);
    shard = await loadShard(spec.file, spec.features, range, backend, ctx.threads !== undefined ? { threads: ctx.threads } : {});
  } catch (error) {
    if (isUserError(error)) {
      const reason = `shard ${s} (rows ${range.start + 1}..${range.end}) could not load: ${error.message}`;
      await failJob(redis, id, reason);
      throw new UnrecoverableError(reason);
    }
    throw error;
  }
  log(`job ${id}: shard ${s} (rows ${range.start + 1}..${range.end}) loaded in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  try {
    return await commandLoop(ctx, spec, s, shard, token, stop);
  } catch (error) {
    if (error instanceof OwnershipMoved) {
      log(`job ${id}: shard ${s} moved to another worker; dropped it here`);
      return 'moved';
    }
    throw error;
  } finally {
    await shard.dispose();
  }
}

async function commandLoop(ctx: ServeContext, spec: JobSpec, s: number, shard: LocalShard, token: string, stop: AbortSignal): Promise<string> {
  const { redis, wakeups } = ctx;
  const id = spec.id;
  const done = Number((await redis.get(jobKey(id, 'done'))) ?? -1);
  let next = 0;
  let scaled = false;
  /** The last assign command before the current position, and the last one run on this shard's job. */
  let required: AssignCommand | null = null;
  let applied: AssignCommand | null = null;
  let reported = false;
  const ensureState = async (): Promise<void> => {
    if (required && applied !== required) {
      await shard.assign(f32FromBase64(required.centroids), required.k);
      applied = required;
    }
  };
  const checkOwner = async (): Promise<void> => {
    if ((await redis.get(jobKey(id, `owner:${s}`))) !== token) throw new OwnershipMoved();
  };

  for (;;) {
    if (stop.aborted) throw new OwnershipMoved();
    const mark = wakeups.mark(id);
    const batch = await redis.lrange(jobKey(id, 'cmds'), next, -1);
    if (batch.length === 0) {
      await checkOwner();
      const state = await redis.hget(jobKey(id, 'status'), 'state');
      if (state === 'failed') throw new UnrecoverableError((await redis.hget(jobKey(id, 'status'), 'reason')) ?? 'the job failed');
      if (state !== 'running') return `job ${state ?? 'gone'}`;
      if ((await redis.exists(jobKey(id, 'heartbeat'))) === 0 && (await redis.llen(jobKey(id, 'cmds'))) === next) {
        const reason = `the coordinator stopped (no heartbeat for ${spec.heartbeatTtlMs / 1000} s); the job cannot finish`;
        await failJob(redis, id, reason);
        throw new UnrecoverableError(reason);
      }
      await wakeups.wait(id, POLL_MS, mark);
      continue;
    }
    for (const text of batch) {
      const seq = next++;
      const cmd = JSON.parse(text) as Command;
      if (cmd.op === 'end') {
        // A worker that stalled past its shard's handover meets the end first.
        const owner = await redis.get(jobKey(id, `owner:${s}`));
        if (owner !== null && owner !== token) throw new OwnershipMoved();
        return 'done';
      }
      if (cmd.op === 'scale' && !scaled) {
        await shard.scale({ method: cmd.method as 'standard', offset: Array.from(f64FromBase64(cmd.offset)), scale: Array.from(f64FromBase64(cmd.scale)) });
        scaled = true;
      }
      const resKey = jobKey(id, `res:${seq}`);
      let answer = seq > done && targets(cmd, s);
      if (answer) {
        // One round trip: is it answered already, and is the shard still ours?
        const [[, exists], [, owner]] = (await redis.multi().hexists(resKey, String(s)).get(jobKey(id, `owner:${s}`)).exec()) as [[null, number], [null, string | null]];
        if (owner !== token) throw new OwnershipMoved();
        answer = exists === 0;
      }
      if (!answer) {
        if (cmd.op === 'assign') required = cmd;
        continue;
      }
      let result: Buffer;
      try {
        if (cmd.op === 'assign' || cmd.op === 'labels' || cmd.op === 'farthest') await ensureState();
        result = await execute(cmd, shard, spec, s);
        if (cmd.op === 'assign') {
          applied = required = cmd;
          if (!reported) reported = (await redis.hset(jobKey(id, 'backend'), String(s), shard.backend)) >= 0;
        }
      } catch (error) {
        if (!isUserError(error)) throw error;
        result = Buffer.concat([Buffer.from([ERROR_MARK]), Buffer.from(JSON.stringify({ code: error.code, message: error.message }))]);
      }
      await redis.eval(WRITE_ANSWER, 3, resKey, jobKey(id, 'done'), jobKey(id, 'status'), seq, String(s), result, EVENTS_CHANNEL, `res ${id}`);
    }
  }
}

/** Runs one command on the shard; returns its answer's bytes. */
async function execute(cmd: Command, shard: LocalShard, spec: JobSpec, s: number): Promise<Buffer> {
  switch (cmd.op) {
    case 'fold': {
      const fold: ColumnFold = cmd.kind === 'squares' ? { kind: 'squares', center: f64FromBase64(cmd.center!) } : { kind: cmd.kind };
      return Buffer.from(bytesOf(await shard.fold(fold, f64FromBase64(cmd.carry))));
    }
    case 'distinct':
      return Buffer.from(JSON.stringify(await shard.distinctRows(cmd.seen, cmd.atLeast)));
    case 'scale':
      return Buffer.from('ok');
    case 'gather': {
      const ids = i32FromBase64(cmd.ids);
      const [lo, hi] = splitIds(ids, spec.ranges)[s]!;
      return Buffer.from(bytesOf(await shard.gatherRows(ids.subarray(lo, hi))));
    }
    case 'assign': {
      const p = await shard.assign(f32FromBase64(cmd.centroids), cmd.k);
      const out = new Float64Array(1 + p.counts.length + p.blockWcss.length + p.blockSums.length);
      out[0] = p.changed;
      out.set(p.counts, 1);
      out.set(p.blockWcss, 1 + p.counts.length);
      out.set(p.blockSums, 1 + p.counts.length + p.blockWcss.length);
      return Buffer.from(bytesOf(out));
    }
    case 'labels':
      return Buffer.from(bytesOf(await shard.readLabels()));
    case 'farthest': {
      const rows = await shard.farthest(cmd.m);
      return Buffer.from(JSON.stringify(rows.map((r) => ({ ...r, values: Array.from(r.values) }))));
    }
    default:
      throw new SegmentaError('INVALID_OPTION', `unknown command '${(cmd as { op: string }).op}'`);
  }
}
