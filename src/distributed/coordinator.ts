/**
 * The coordinator of a sharded job over Redis workers: it plans the shards,
 * queues one BullMQ ownership job per shard, publishes the commands (column
 * folds, scaling, the init sample, assign passes…) and gathers each shard's
 * answer keyed by (job, sequence number, shard). It is the driver's
 * {@link ShardGroup}: the K-Means driver runs unchanged on top of it, and the
 * result equals one process's bit for bit. See docs/scale-out.md.
 *
 * Faults:
 * - a worker dies: BullMQ's stalled-job check hands its shards to another
 *   worker, which reloads them and answers; the coordinator just waits;
 * - a shard does not answer within `commandTimeoutMs`: the coordinator revokes
 *   its owner and queues the shard again (at most `retries` times per command),
 *   then fails the job with a status that says which shard and command;
 * - Redis restarts: every connection reconnects and every wait polls again;
 * - the coordinator dies: its heartbeat key expires and the workers mark the
 *   job failed ("the coordinator stopped") and drop its shards.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SegmentaError, throwIfAborted, type SegmentaErrorCode } from '../common/errors.js';
import type { ColumnFold } from '../common/column-folds.js';
import { ROW_BLOCK_SIZE } from '../backends/kernel-contract.js';
import { planShards, type AssignPartials, type ShardRange } from '../backends/sharded/sharded-job.js';
import type { FarRow, ShardGroup } from '../drivers/sharding/shard-ops.js';
import type { ScalerJSON } from '../preparation/scaling.js';
import { connectCheckedRedis, connectRedis, parseRedisUrl, Wakeups } from './redis-connection.js';
import {
  copyBytes,
  ERROR_MARK,
  EVENTS_CHANNEL,
  jobKey,
  QUEUE_PREFIX,
  SHARD_QUEUE,
  toBase64,
  type Command,
  type JobSpec,
  type OwnershipData,
} from './protocol.js';
import { groupDigits } from '../common/format-number.js';

/** Options of {@link Coordinator.start}. */
export interface CoordinatorOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redis: string;
  /** The table, on a filesystem every worker sees (made absolute). */
  file: string;
  /** Feature columns, in order. */
  features: string[];
  /** Data rows of the table (see describeCustomerTable). */
  rows: number;
  /** Shards (whole 4096-row blocks; fewer when the table has fewer blocks). */
  shards: number;
  /** Backend name the workers use (`auto`, `wasm`, `js`). Default `auto`. */
  backend?: string;
  /** Threads of each shard's job on the workers. Default: theirs. */
  threads?: number;
  /** How long one command may wait for a shard before it is handed to another worker. Default 300,000 ms. */
  commandTimeoutMs?: number;
  /** Hand-overs per command before the job fails. Default 3. */
  retries?: number;
  /** Heartbeat key lifetime: workers fail the job when it expires. Default 15,000 ms (renewed every third of it). */
  heartbeatTtlMs?: number;
  /** Stops waiting (the job then fails with the abort reason). */
  signal?: AbortSignal;
  /** Receives one line per event (job queued, shard handed over). */
  log?: (line: string) => void;
}

/** Polls between wake-ups. */
const POLL_MS = 200;

/**
 * Appends command ARGV[1] (text ARGV[2]) to the list KEYS[1] unless it is
 * already there (a resent call), publishes ARGV[4] on channel ARGV[3], and
 * returns the list's length, or -1 when another command sits at that index.
 */
const PUBLISH_COMMAND = `local n = redis.call('llen', KEYS[1])
local seq = tonumber(ARGV[1])
if n == seq then
  n = redis.call('rpush', KEYS[1], ARGV[2])
elseif n > seq and redis.call('lindex', KEYS[1], seq) ~= ARGV[2] then
  return -1
end
redis.call('publish', ARGV[3], ARGV[4])
return n`;

/** A running sharded job (see the module comment). */
export class Coordinator implements ShardGroup {
  readonly ranges: ShardRange[];
  private backendName = '';
  private readonly wakeups = new Wakeups();
  private readonly heartbeat: NodeJS.Timeout;
  private handovers = 0;
  private finished = false;
  /** Sequence number of the next command (the coordinator is the only writer of the list). */
  private nextSeq = 0;
  /** Seconds spent waiting on Redis round trips of assign commands (total) and their count. */
  readonly assignStats = { seconds: 0, count: 0, computeSeconds: 0 };

  private constructor(
    readonly id: string,
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly queue: Queue<OwnershipData>,
    private readonly queueConnection: Redis,
    private readonly spec: JobSpec,
    private readonly options: CoordinatorOptions,
  ) {
    this.ranges = spec.ranges;
    const ttl = spec.heartbeatTtlMs;
    this.heartbeat = setInterval(() => void redis.set(jobKey(id, 'heartbeat'), Date.now(), 'PX', ttl).catch(() => undefined), Math.max(200, Math.floor(ttl / 3)));
    sub.on('message', (_c: string, message: string) => {
      if (message === `res ${id}`) this.wakeups.wake(id);
    });
  }

  /**
   * Queues a sharded job: its spec, its status (`running`) and one ownership
   * job per shard; workers start loading at once.
   *
   * @throws SegmentaError `INVALID_OPTION`, `REDIS_UNAVAILABLE`
   */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const url = parseRedisUrl(options.redis);
    const id = randomUUID().slice(0, 13);
    const redis = await connectCheckedRedis(url, `segmenta-coordinator-${id}`);
    const sub = connectRedis(url, `segmenta-coordinator-sub-${id}`);
    await sub.subscribe(EVENTS_CHANNEL);
    const ranges = planShards(options.rows, options.shards);
    const spec: JobSpec = {
      id,
      file: options.file,
      features: options.features,
      backend: options.backend ?? 'auto',
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ranges,
      cols: options.features.length,
      heartbeatTtlMs: options.heartbeatTtlMs ?? 15_000,
    };
    const queueConnection = connectRedis(url, `segmenta-coordinator-queue-${id}`);
    const queue = new Queue<OwnershipData>(SHARD_QUEUE, { connection: queueConnection, prefix: QUEUE_PREFIX });
    queue.on('error', () => undefined);
    await redis
      .multi()
      .set(jobKey(id, 'spec'), JSON.stringify(spec))
      .hset(jobKey(id, 'status'), 'state', 'running', 'shards', String(ranges.length), 'rows', String(options.rows), 'file', options.file, 'started', new Date().toISOString())
      .set(jobKey(id, 'heartbeat'), Date.now(), 'PX', spec.heartbeatTtlMs)
      .exec();
    const c = new Coordinator(id, redis, sub, queue, queueConnection, spec, options);
    await queue.addBulk(ranges.map((_, s) => ({ name: 'shard', data: { jobId: id, shard: s }, opts: c.ownershipOptions(`${id}-${s}`) })));
    options.log?.(`job ${id}: ${ranges.length} shards of ${groupDigits(options.rows)} rows queued on ${url}`);
    return c;
  }

  private ownershipOptions(jobId: string) {
    return { jobId, attempts: 50, backoff: { type: 'fixed' as const, delay: 500 }, removeOnComplete: true, removeOnFail: { age: 86_400 } };
  }

  /** The workers' backend, e.g. `wasm-simd (2 threads)` (known after the first assign pass). */
  get backend(): string {
    return this.backendName || `${this.spec.backend} on workers`;
  }

  /** Hand-overs of shards to another worker so far (timeouts). */
  get handoverCount(): number {
    return this.handovers;
  }

  /**
   * Publishes one command and waits for every target shard's answer.
   * Answers are keyed by (job, sequence number, shard) and written once.
   */
  private async request(cmd: Command): Promise<Buffer[]> {
    const { redis, id } = this;
    const want = cmd.targets ?? this.ranges.map((_, s) => s);
    let mark = this.wakeups.mark(id);
    const seq = await this.publish(cmd);
    const resKey = jobKey(id, `res:${seq}`);
    const timeout = this.options.commandTimeoutMs ?? 300_000;
    const retries = this.options.retries ?? 3;
    let deadline = Date.now() + timeout;
    let tries = 0;
    let got: Record<string, Buffer> = {};
    for (;;) {
      if (this.options.signal?.aborted) {
        await this.finish(false, 'cancelled by the user');
        throwIfAborted(this.options.signal);
      }
      const [[, answers], [, status]] = (await redis.multi().hgetallBuffer(resKey).hmget(jobKey(id, 'status'), 'state', 'reason').exec()) as [
        [null, Record<string, Buffer>],
        [null, (string | null)[]],
      ];
      got = answers;
      if (want.every((s) => got[String(s)] !== undefined)) break;
      if (status[0] === 'failed') throw this.failure(status[1] ?? 'the job failed');
      if (status[0] === null) {
        const reason = 'its state is gone from Redis (restarted without persistence, or the keys were deleted)';
        await this.finish(false, reason);
        throw this.failure(reason);
      }
      if (Date.now() > deadline) {
        const missing = want.filter((s) => got[String(s)] === undefined);
        const why = `no answer from shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} to command ${seq} (${cmd.op}) within ${timeout / 1000} s`;
        if (++tries > retries) {
          await this.finish(false, `${why}, after ${retries} hand-overs`);
          throw this.failure(`${why}, after ${retries} hand-overs`);
        }
        for (const s of missing) await this.handOver(s, why);
        deadline = Date.now() + timeout;
      }
      await this.wakeups.wait(id, POLL_MS, mark);
      mark = this.wakeups.mark(id);
    }
    await redis.multi().set(jobKey(id, 'done'), seq).del(resKey).exec();
    return want.map((s) => {
      const b = got[String(s)]!;
      if (b[0] === ERROR_MARK) {
        const e = JSON.parse(b.subarray(1).toString('utf8')) as { code: SegmentaErrorCode; message: string };
        throw new SegmentaError(e.code, e.message, { shard: s });
      }
      return b;
    });
  }

  /**
   * Appends `cmd` as command number {@link nextSeq} and wakes the workers.
   * The sequence number is the coordinator's, not the list's length: when
   * Redis runs the append but the reply is lost (a restart or a dropped
   * connection in between), ioredis sends it again, and the script then
   * finds the command already in place instead of appending a second copy
   * (a second copy of an assign pass would answer "0 rows changed").
   *
   * @throws SegmentaError `DISTRIBUTED_JOB_FAILED` when the list does not hold the job's commands up to this one
   */
  private async publish(cmd: Command): Promise<number> {
    const seq = this.nextSeq++;
    const length = Number(await this.redis.eval(PUBLISH_COMMAND, 1, jobKey(this.id, 'cmds'), seq, JSON.stringify(cmd), EVENTS_CHANNEL, `cmd ${this.id}`));
    if (length !== seq + 1) {
      const reason = `its command list holds ${length < 0 ? 'another command' : `${length} commands`} where command ${seq} (${cmd.op}) was published (Redis lost or changed its state)`;
      await this.finish(false, reason);
      throw this.failure(reason);
    }
    return seq;
  }

  private failure(reason: string): SegmentaError {
    return new SegmentaError('DISTRIBUTED_JOB_FAILED', `sharded job ${this.id} failed: ${reason}`, { job: this.id, reason });
  }

  /** Revokes shard `s`'s owner and queues the shard again; another worker reloads it. */
  private async handOver(s: number, why: string): Promise<void> {
    this.handovers++;
    this.options.log?.(`job ${this.id}: ${why}; handing shard ${s} to another worker`);
    await this.redis.set(jobKey(this.id, `owner:${s}`), `revoked ${Date.now()}`);
    await this.queue.add('shard', { jobId: this.id, shard: s }, this.ownershipOptions(`${this.id}-${s}-h${this.handovers}`));
  }

  async fold(s: number, fold: ColumnFold, carry: Float64Array): Promise<Float64Array> {
    const [b] = await this.request({
      op: 'fold',
      targets: [s],
      kind: fold.kind,
      ...(fold.kind === 'squares' ? { center: toBase64(fold.center) } : {}),
      carry: toBase64(carry),
    });
    return copyBytes(b!, Float64Array);
  }

  async distinctRows(s: number, seen: string[], atLeast: number): Promise<string[]> {
    const [b] = await this.request({ op: 'distinct', targets: [s], seen, atLeast });
    return JSON.parse(b!.toString('utf8')) as string[];
  }

  async scaleAll(scaler: ScalerJSON): Promise<void> {
    await this.request({ op: 'scale', targets: null, method: scaler.method, offset: toBase64(Float64Array.from(scaler.offset)), scale: toBase64(Float64Array.from(scaler.scale)) });
  }

  async gatherRows(ids: Int32Array): Promise<Float32Array> {
    const parts = await this.request({ op: 'gather', targets: null, ids: toBase64(ids) });
    return copyBytes(Buffer.concat(parts), Float32Array);
  }

  async assignAll(centroids: Float32Array, k: number): Promise<AssignPartials[]> {
    const t0 = performance.now();
    const parts = await this.request({ op: 'assign', targets: null, k, centroids: toBase64(centroids) });
    this.assignStats.seconds += (performance.now() - t0) / 1000;
    this.assignStats.count++;
    if (!this.backendName) this.backendName = (await this.redis.hget(jobKey(this.id, 'backend'), '0')) ?? '';
    const kd = k * this.spec.cols;
    return parts.map((b, s) => {
      const a = copyBytes(b, Float64Array);
      const r = this.ranges[s]!;
      const blocks = Math.ceil((r.end - r.start) / ROW_BLOCK_SIZE);
      if (a.length !== 1 + k + blocks + blocks * kd) throw new SegmentaError('SHAPE_MISMATCH', `shard ${s} answered an assign pass with ${a.length} values`);
      return {
        changed: a[0]!,
        counts: a.subarray(1, 1 + k),
        blockWcss: a.subarray(1 + k, 1 + k + blocks),
        blockSums: a.subarray(1 + k + blocks),
      };
    });
  }

  async labelsAll(): Promise<Int32Array[]> {
    return (await this.request({ op: 'labels', targets: null })).map((b) => copyBytes(b, Int32Array));
  }

  async farthestAll(m: number): Promise<FarRow[][]> {
    const parts = await this.request({ op: 'farthest', targets: null, m });
    return parts.map((b) => (JSON.parse(b.toString('utf8')) as (Omit<FarRow, 'values'> & { values: number[] })[]).map((r) => ({ ...r, values: Float32Array.from(r.values) })));
  }

  /** Called by the sharded job's dispose. The caller ends the job with {@link finish} (done or failed). */
  async dispose(): Promise<void> {}

  /**
   * Ends the job: status `done`, or `failed` with `reason`; the workers drop
   * its shards. Commands and answers are deleted; spec and status stay a day.
   */
  async finish(ok: boolean, reason?: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.heartbeat);
    const { redis, id } = this;
    const a = this.assignStats;
    if (a.count > 0) this.options.log?.(`job ${id}: ${ok ? 'done' : `failed (${reason})`}; ${a.count} assign passes, ${((1000 * a.seconds) / a.count).toFixed(2)} ms each on average (round trip included)`);
    try {
      await redis.eval(PUBLISH_COMMAND, 1, jobKey(id, 'cmds'), this.nextSeq++, JSON.stringify({ op: 'end', targets: null } satisfies Command), EVENTS_CHANNEL, `cmd ${id}`);
      const fields = ok ? ['state', 'done'] : ['state', 'failed', 'reason', reason ?? 'failed'];
      await redis.eval(
        `if redis.call('hget', KEYS[1], 'state') == 'running' then redis.call('hset', KEYS[1], unpack(ARGV)) end return 0`,
        1,
        jobKey(id, 'status'),
        ...fields,
        'updated',
        new Date().toISOString(),
      );
      await redis.del(jobKey(id, 'heartbeat'), jobKey(id, 'done'), jobKey(id, 'backend'));
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', jobKey(id, 'res:*'), 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = nextCursor;
      } while (cursor !== '0');
      await redis.expire(jobKey(id, 'cmds'), 60);
      // The owners live as long as the commands: a worker that wakes after a stall
      // reads the `end` command and, beside it, that its shard was handed over.
      for (let s = 0; s < this.ranges.length; s++) await redis.expire(jobKey(id, `owner:${s}`), 60);
      await redis.expire(jobKey(id, 'spec'), 86_400);
      await redis.expire(jobKey(id, 'status'), 86_400);
    } finally {
      await this.queue.close().catch(() => undefined);
      for (const c of [this.queueConnection, this.sub, redis]) c.disconnect();
    }
  }
}
