/**
 * `segmenta worker --redis redis://HOST:PORT [--threads N] [--lock-timeout S]`:
 * serves shards of sharded jobs (`sweep|kmeans … --redis URL`) until stopped
 * (Ctrl-C or SIGTERM drops its shards; other workers take them over).
 */
import type { Command } from 'commander';
import { parseIntegerOption, parseNumberOption, THREADS_DEFAULT_HELP } from '../command-options.js';
import { parseRedisUrl } from '../../distributed/redis-url.js';

interface WorkerFlags {
  redis?: string;
  threads?: string;
  lockTimeout?: string;
}

/** Adds `worker` to the program. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve shards of sharded sweep/kmeans jobs from Redis (BullMQ) until stopped')
    .option('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379 (required)')
    .option('--threads <n>', `threads of each shard's backend job (default: ${THREADS_DEFAULT_HELP})`)
    .option('--lock-timeout <s>', "seconds after a worker's last sign of life before its shards go to another worker", '10')
    .action(async (flags: WorkerFlags) => {
      const redis = parseRedisUrl(flags.redis);
      const threads = flags.threads !== undefined ? parseIntegerOption('threads', flags.threads, 1, 256) : undefined;
      const lockSeconds = parseNumberOption('lock-timeout', flags.lockTimeout ?? '10', 0.5);
      const log = (line: string): void => void process.stderr.write(`segmenta worker: ${line}\n`);
      const { startShardWorker } = await import('../../distributed/shard-worker.js');
      const worker = await startShardWorker({ redis, ...(threads !== undefined ? { threads } : {}), lockMs: Math.round(lockSeconds * 1000), log });
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`${signal}: stopping`);
          void worker.close().then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
