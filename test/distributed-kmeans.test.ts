/**
 * Sharded K-Means across real `segmenta worker` processes on a real
 * redis-server (free loopback port, stopped after): the result equals one
 * process's bit for bit, also when a worker is killed (-9), when a worker
 * stalls past the shard timeout, and when Redis restarts; a killed
 * coordinator leaves a clear failed status.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startCli, type CliProcess } from './helpers/cli-process.js';
import { startLossyProxy } from './helpers/lossy-proxy.js';
import { redisMissing, startRedis, type RedisServer } from './helpers/redis-server.js';
import { tempDir, writeCsv } from './helpers/temp-dir.js';

const missing = redisMissing();
if (missing) console.warn(missing);

const FEATURES = 'Age,Annual Income (k$),Spending Score (1-100),Visits per Month';
const SWEEP = ['--features', FEATURES, '--scale', 'standard', '--k-max', '8', '--n-init', '2', '--seed', '1', '--threads', '1', '--json'];
const FIT = ['--features', FEATURES, '--scale', 'standard', '--k', '5', '--n-init', '2', '--seed', '1', '--threads', '1', '--json'];

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function wcssOf(stdout: string): number[] {
  return (JSON.parse(stdout) as { wcss: number[] }).wcss;
}

describe.skipIf(missing !== null)('sharded K-Means on Redis workers', () => {
  const dir = tempDir('segmenta-distributed-');
  const data = join(dir, 'customers.parquet');
  let redis: RedisServer;
  let workers: CliProcess[] = [];
  const reference = { wcss: [] as number[], labels: '' };

  /** Starts a worker and resolves once it serves (so that shards are shared fairly among the workers started). */
  const startWorker = async (lockSeconds = 2): Promise<CliProcess> => {
    const w = startCli(['worker', '--redis', redis.url, '--threads', '1', '--lock-timeout', String(lockSeconds)]);
    workers.push(w);
    await w.waitForStderr(/serving shards/);
    return w;
  };
  const stopWorkers = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  };
  /** Starts a coordinator and resolves once the job has gathered `answers` commands. */
  const coordinatorAt = async (args: string[], answers: number): Promise<{ run: CliProcess; job: string }> => {
    const run = startCli(args);
    await run.waitForStderr(/job ([\w-]+): \d+ shards/);
    const job = /job ([\w-]+): \d+ shards/.exec(run.stderr)![1]!;
    const deadline = Date.now() + 120_000;
    while (Number((await redis.client.get(`segmenta:job:${job}:done`)) ?? -1) < answers) {
      if (Date.now() > deadline) throw new Error(`job ${job} never gathered ${answers} answers; stderr:\n${run.stderr}`);
      if (run.child.exitCode !== null) throw new Error(`the coordinator exited early; stderr:\n${run.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { run, job };
  };

  beforeAll(async () => {
    expect(cli('generate', '--rows', '24000', '--seed', '1', '--features', '4', '--out', data).code).toBe(0);
    const sweep = cli('sweep', data, ...SWEEP);
    expect(sweep.code, sweep.stderr).toBe(0);
    reference.wcss = wcssOf(sweep.stdout);
    const fit = cli('kmeans', data, ...FIT, '--out', join(dir, 'one.csv'));
    expect(fit.code, fit.stderr).toBe(0);
    reference.labels = readFileSync(join(dir, 'one.csv'), 'utf8');
    redis = await startRedis();
  });

  afterAll(async () => {
    await stopWorkers();
    await redis?.stop();
  });

  it('1 process, 4 shards in one process and 2 workers × 4 shards give the same WCSS at every k and the same labels', async () => {
    const inProcess = cli('sweep', data, ...SWEEP, '--shards', '4');
    expect(inProcess.code, inProcess.stderr).toBe(0);
    expect(wcssOf(inProcess.stdout)).toEqual(reference.wcss);
    expect(JSON.parse(inProcess.stdout).backend).toMatch(/× 4 shards$/);
    await startWorker();
    await startWorker();
    const sweep = startCli(['sweep', data, ...SWEEP, '--redis', redis.url, '--shards', '4']);
    expect(await sweep.exit, sweep.stderr).toBe(0);
    expect(wcssOf(sweep.stdout)).toEqual(reference.wcss);
    expect(JSON.parse(sweep.stdout).backend).toMatch(/× 4 shards$/);
    const fit = startCli(['kmeans', data, ...FIT, '--redis', redis.url, '--shards', '4', '--out', join(dir, 'redis.csv')]);
    expect(await fit.exit, fit.stderr).toBe(0);
    expect(readFileSync(join(dir, 'redis.csv'), 'utf8')).toBe(reference.labels);
    // Both workers served shards, and the job's status says done.
    expect(workers.every((w) => /shard \d .*loaded/.test(w.stderr))).toBe(true);
    const job = /job ([\w-]+): \d+ shards/.exec(fit.stderr)![1]!;
    expect(await redis.client.hget(`segmenta:job:${job}:status`, 'state')).toBe('done');
    await stopWorkers();
  }, 300_000);

  it('kill -9 of a worker mid-run: its shards are reloaded by the other worker and the result is identical', async () => {
    const victim = await startWorker();
    const survivor = await startWorker();
    const { run } = await coordinatorAt(['sweep', data, ...SWEEP, '--redis', redis.url, '--shards', '4'], 60);
    const before = (survivor.stderr.match(/loaded/g) ?? []).length;
    victim.child.kill('SIGKILL');
    expect(await run.exit, run.stderr).toBe(0);
    expect(wcssOf(run.stdout)).toEqual(reference.wcss);
    // The survivor took over: it loaded more shards after the kill.
    expect((survivor.stderr.match(/loaded/g) ?? []).length).toBeGreaterThan(before);
    await stopWorkers();
  }, 300_000);

  it('a worker takes at most its fair share of a job while another worker is alive, and the rest once it is alone', async () => {
    // A second worker that is registered (alive) but has not taken anything yet.
    await redis.client.zadd('segmenta:workers', Date.now() + 3_600_000, 'test-phantom-worker');
    try {
      const w = await startWorker();
      const run = startCli(['kmeans', data, ...FIT, '--redis', redis.url, '--shards', '4', '--out', join(dir, 'fair.csv')]);
      await run.waitForStderr(/job ([\w-]+): \d+ shards/);
      const job = /job ([\w-]+): \d+ shards/.exec(run.stderr)![1]!;
      // The worker saw the four ownership jobs and put back at least one (BullMQ's delayed set).
      const deadline = Date.now() + 60_000;
      while (!(await redis.client.zrange('segmenta:segmenta-shards:delayed', 0, -1)).some((id) => id.startsWith(`${job}-`))) {
        if (Date.now() > deadline) throw new Error(`the worker never left a shard of job ${job} for the other worker; its stderr:\n${w.stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await w.waitForStderr(/(shard \d \(rows[^\n]*loaded[\s\S]*){2}/);
      const owners = await Promise.all([0, 1, 2, 3].map((s) => redis.client.get(`segmenta:job:${job}:owner:${s}`)));
      expect(owners.filter((o) => o !== null)).toHaveLength(2);
      expect(w.stderr.match(/shard \d \(rows[^\n]*loaded/g)).toHaveLength(2);
      // Alone now: it takes the other two and the job finishes with the same labels.
      await redis.client.zrem('segmenta:workers', 'test-phantom-worker');
      expect(await run.exit, run.stderr).toBe(0);
      expect(w.stderr.match(/shard \d \(rows[^\n]*loaded/g)).toHaveLength(4);
      expect(readFileSync(join(dir, 'fair.csv'), 'utf8')).toBe(reference.labels);
    } finally {
      await redis.client.zrem('segmenta:workers', 'test-phantom-worker');
      await stopWorkers();
    }
  }, 300_000);

  it('a worker that stalls past --shard-timeout: its shard is handed over, the result is identical, and it drops the shard when it wakes', async () => {
    // Long locks: only the coordinator's timeout can move the stalled worker's shards.
    const first = await startWorker(120);
    const second = await startWorker(120);
    const out = join(dir, 'slow.csv');
    const { run, job } = await coordinatorAt(['kmeans', data, ...FIT, '--redis', redis.url, '--shards', '4', '--shard-timeout', '3', '--out', out], 20);
    // The stalled worker must hold shards of this job (the fair share gives each
    // two, but a worker whose registration lapsed on a loaded machine looks gone;
    // a shard it loaded and then dropped is no longer its own).
    const count = (text: string, re: RegExp): Map<string, number> => {
      const n = new Map<string, number>();
      for (const m of text.matchAll(re)) n.set(m[1]!, (n.get(m[1]!) ?? 0) + 1);
      return n;
    };
    const heldBy = (w: CliProcess): string[] => {
      const dropped = count(w.stderr, new RegExp(`job ${job}: shard (\\d) moved`, 'g'));
      return [...count(w.stderr, new RegExp(`job ${job}: shard (\\d) \\(rows[^\\n]*loaded`, 'g'))].filter(([s, n]) => n > (dropped.get(s) ?? 0)).map(([s]) => s);
    };
    const slow = heldBy(first).length > 0 ? first : second;
    slow.child.kill('SIGSTOP');
    const stalled = heldBy(slow);
    const [runFrom, slowFrom] = [run.stderr.length, slow.stderr.length];
    expect(stalled.length).toBeGreaterThan(0);
    /** Resolves once `w`'s stderr written since `from` matches `re` (false after `ms` or when it exits). */
    const seen = async (w: CliProcess, from: number, re: RegExp, ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (!re.test(w.stderr.slice(from))) {
        if (Date.now() > deadline || w.child.exitCode !== null) return re.test(w.stderr.slice(from));
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    };
    // After the stall, one of the stalled worker's own shards is handed over (a
    // slow answer of the other worker's on a loaded machine may be handed over too).
    const handedOver = new RegExp(`handing shard (${stalled.join('|')}) to another worker`);
    expect(await seen(run, runFrom, handedOver, 120_000), run.stderr).toBe(true);
    expect(await run.exit, run.stderr).toBe(0);
    slow.child.kill('SIGCONT');
    expect(readFileSync(out, 'utf8')).toBe(reference.labels);
    const handed = [...run.stderr.slice(runFrom).matchAll(/handing shard (\d) to another worker/g)].map((m) => m[1]!).filter((s) => stalled.includes(s));
    const dropped = new RegExp(`job ${job}: shard (${handed.join('|')}) moved to another worker; dropped it here`);
    expect(await seen(slow, slowFrom, dropped, 60_000), slow.stderr).toBe(true);
    // Nothing it computed after the end was written back (the job's answers are all deleted).
    expect(await redis.client.keys(`segmenta:job:${job}:res:*`)).toEqual([]);
    await stopWorkers();
  }, 300_000);

  it('Redis restarts at several points of a run: every process reconnects and the result is identical', async () => {
    await startWorker();
    await startWorker();
    const { run, job } = await coordinatorAt(['sweep', data, ...SWEEP, '--redis', redis.url, '--shards', '4'], 30);
    await redis.restart(500);
    let restarts = 1;
    for (const at of [90, 150]) {
      while (run.child.exitCode === null && Number((await redis.client.get(`segmenta:job:${job}:done`)) ?? -1) < at) await new Promise((r) => setTimeout(r, 50));
      if (run.child.exitCode !== null) break;
      await redis.restart(300);
      restarts++;
    }
    expect(await run.exit, run.stderr).toBe(0);
    expect(restarts).toBe(3);
    expect(wcssOf(run.stdout)).toEqual(reference.wcss);
    await stopWorkers();
  }, 300_000);

  it('replies lost after Redis ran the command (the connection dies before the answer): no command runs twice and the result is identical', async () => {
    // Redis executes a command, then the connection dies before the reply
    // arrives (a restart or a network fault in that window): ioredis sends
    // the command again. Publishing an assign pass twice made the second
    // copy answer 0 changed rows and the run stop early.
    const proxy = await startLossyProxy(redis.port);
    try {
      await startWorker();
      await startWorker();
      // One init per k, so that every run's result shows (best-of-n would hide a worse run).
      const sweep1 = SWEEP.map((a, i) => (SWEEP[i - 1] === '--n-init' ? '1' : a));
      const one = cli('sweep', data, ...sweep1);
      expect(one.code, one.stderr).toBe(0);
      proxy.loseReplies('"op":"assign"', { nth: 2, every: 4, times: 10 });
      const run = startCli(['sweep', data, ...sweep1, '--redis', proxy.url, '--shards', '4']);
      expect(await run.exit, run.stderr).toBe(0);
      expect(proxy.lost).toBe(10);
      expect(wcssOf(run.stdout)).toEqual(wcssOf(one.stdout));
    } finally {
      await proxy.close();
      await stopWorkers();
    }
  }, 300_000);

  it('kill -9 of the coordinator: the workers mark the job failed with a clear reason and stay available', async () => {
    const a = await startWorker();
    await startWorker();
    const { run, job } = await coordinatorAt(['sweep', data, ...SWEEP, '--redis', redis.url, '--shards', '4'], 20);
    run.child.kill('SIGKILL');
    const deadline = Date.now() + 60_000;
    let status: Record<string, string> = {};
    while (status.state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = await redis.client.hgetall(`segmenta:job:${job}:status`);
    }
    expect(status.state).toBe('failed');
    expect(status.reason).toMatch(/the coordinator stopped \(no heartbeat for 15 s\)/);
    await a.waitForStderr(/the coordinator stopped/, 30_000);
    // The workers dropped the dead job's shards and serve the next job.
    const next = startCli(['kmeans', data, ...FIT, '--redis', redis.url, '--shards', '2']);
    expect(await next.exit, next.stderr).toBe(0);
    await stopWorkers();
  }, 300_000);

  it('a bad value in one shard fails the job with one line naming the file row', async () => {
    const lines = ['id,a,b'];
    for (let i = 1; i <= 9000; i++) lines.push(`${i},${i % 17},${i === 8500 ? 'oops' : String(i % 13)}`);
    const csv = writeCsv(dir, 'bad.csv', lines);
    await startWorker();
    const run = startCli(['kmeans', csv, '--features', 'a,b', '--k', '2', '--redis', redis.url, '--shards', '3']);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(/segmenta: error: .*row 8500, column 'b': 'oops' is not a number/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await stopWorkers();
  }, 300_000);
});
