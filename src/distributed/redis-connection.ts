/**
 * Redis connections for the sharded job's coordinator and workers (ioredis,
 * which BullMQ drives). They reconnect on their own after a Redis restart;
 * commands wait for the connection instead of failing.
 */
import { Redis } from 'ioredis';
import { SegmentaError } from '../common/errors.js';

export { parseRedisUrl } from './redis-url.js';

/** A connection that retries forever (what BullMQ needs) and names itself in CLIENT LIST. */
export function connectRedis(url: string, name: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, retryStrategy: (times) => Math.min(50 * times, 1000) });
  client.on('error', () => undefined); // reconnects by itself; callers see failures through their commands
  return client;
}

/**
 * Pings Redis once, giving up after `timeoutMs`.
 *
 * @throws SegmentaError `REDIS_UNAVAILABLE` naming the URL
 */
export async function checkRedis(client: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new SegmentaError('REDIS_UNAVAILABLE', `cannot reach Redis at ${url}: ${(error as Error).message}`, { url });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * {@link connectRedis}, then {@link checkRedis}; the connection is closed when Redis does not answer.
 *
 * @throws SegmentaError `REDIS_UNAVAILABLE` naming the URL
 */
export async function connectCheckedRedis(url: string, name: string): Promise<Redis> {
  const client = connectRedis(url, name);
  try {
    await checkRedis(client, url);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

/**
 * Wake-ups by key. Take {@link mark} before checking for work, then
 * {@link wait}: a wake-up that came in between is not lost.
 */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly generations = new Map<string, number>();

  /** The current generation of `key` (advanced by every wake-up). */
  mark(key: string): number {
    return this.generations.get(key) ?? 0;
  }

  /** Resolves after `ms`, at the next wake-up of `key`, or at once if one came since `since`. */
  wait(key: string, ms: number, since: number): Promise<void> {
    if (this.mark(key) !== since) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  wake(key: string): void {
    this.generations.set(key, this.mark(key) + 1);
    for (const f of [...(this.waiters.get(key) ?? [])]) f();
  }
}
