/**
 * The wire protocol between a sharded job's coordinator and its workers, all
 * through Redis (see docs/scale-out.md):
 *
 * - BullMQ queue `segmenta-shards` (prefix `segmenta`) holds one job per shard
 *   of a running sharded job: "own shard s of job J". The worker that takes it
 *   loads the shard's rows from the file and keeps them for the whole job;
 *   BullMQ's lock and stalled-job check hand the shard to another worker when
 *   its owner dies.
 * - `segmenta:job:J:spec` (JSON): the file, the features, the shard ranges.
 * - `segmenta:job:J:cmds` (list): the coordinator's commands; index = sequence
 *   number. The coordinator numbers them itself and appends command N only
 *   while the list holds N entries, so a command that Redis ran but whose
 *   reply was lost (and that ioredis therefore sends again) is not appended twice.
 * - `segmenta:job:J:res:SEQ` (hash, field = shard): each shard's result,
 *   written with HSETNX and only while SEQ is past `done`, so a retried,
 *   duplicated or late answer changes nothing.
 * - `segmenta:job:J:done`: the last sequence number the coordinator gathered
 *   (a new owner resumes after it).
 * - `segmenta:job:J:owner:S`: the current owner's token (a worker that finds
 *   another token there stops serving the shard; kept 60 s after the job
 *   ends, like the commands, so a worker that wakes late still learns it).
 * - `segmenta:job:J:backend` (hash): shard → its job's backend, after its first assign pass.
 * - `segmenta:job:J:heartbeat`: set by the coordinator with a TTL.
 * - `segmenta:job:J:status` (hash): state (running, done, failed) and reason.
 * - channel `segmenta:events`: `cmd J` and `res J` wake-ups (every wait also polls).
 */
import type { ShardRange } from '../backends/sharded/sharded-job.js';

/** BullMQ queue of shard ownership jobs. */
export const SHARD_QUEUE = 'segmenta-shards';
/** BullMQ key prefix. */
export const QUEUE_PREFIX = 'segmenta';
/** Pub/sub channel for wake-ups. */
export const EVENTS_CHANNEL = 'segmenta:events';
/** Sorted set of live workers (score: when their registration expires, ms). */
export const WORKERS_KEY = 'segmenta:workers';

/** Key of part `part` of job `id`. */
export function jobKey(id: string, part: string): string {
  return `segmenta:job:${id}:${part}`;
}

/** What every worker needs to load a shard. */
export interface JobSpec {
  id: string;
  /** Absolute path of the table (on a filesystem every worker sees). */
  file: string;
  features: string[];
  backend: string;
  threads?: number;
  ranges: ShardRange[];
  cols: number;
  /** Workers fail the job when the coordinator's heartbeat key is gone (it expires after this many ms). */
  heartbeatTtlMs: number;
}

/** Data of a shard ownership job in the BullMQ queue. */
export interface OwnershipData {
  jobId: string;
  shard: number;
}

/** A coordinator command. Typed arrays travel as base64 of their bytes (exact doubles and floats). */
export type Command =
  | { op: 'fold'; targets: number[]; kind: 'sum' | 'squares' | 'range'; center?: string; carry: string }
  | { op: 'distinct'; targets: number[]; seen: string[]; atLeast: number }
  | { op: 'scale'; targets: null; method: string; offset: string; scale: string }
  | { op: 'gather'; targets: null; ids: string }
  | { op: 'assign'; targets: null; k: number; centroids: string }
  | { op: 'labels'; targets: null }
  | { op: 'farthest'; targets: null; m: number }
  | { op: 'end'; targets: null };

/** Whether `cmd` asks shard `s` for an answer. */
export function targets(cmd: Command, s: number): boolean {
  return cmd.targets === null || cmd.targets.includes(s);
}

/** Results that start with this byte are errors: the rest is the message (UTF-8), or JSON {code, message}. */
export const ERROR_MARK = 0x21; // '!'

export function toBase64(a: Float64Array | Float32Array | Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function f64FromBase64(s: string): Float64Array {
  return copyBytes(Buffer.from(s, 'base64'), Float64Array);
}

export function f32FromBase64(s: string): Float32Array {
  return copyBytes(Buffer.from(s, 'base64'), Float32Array);
}

export function i32FromBase64(s: string): Int32Array {
  return copyBytes(Buffer.from(s, 'base64'), Int32Array);
}

/** Copies a buffer's bytes into a fresh, aligned typed array. */
export function copyBytes<T extends Float64Array | Float32Array | Int32Array>(
  b: Buffer,
  Kind: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const out = new ArrayBuffer(b.length - (b.length % Kind.BYTES_PER_ELEMENT));
  new Uint8Array(out).set(b.subarray(0, out.byteLength));
  return new Kind(out);
}

/** Bytes of a typed array (no copy). */
export function bytesOf(a: Float64Array | Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
