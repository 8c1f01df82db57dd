/**
 * The job service's lifecycle over real HTTP: dismissing a running 1M-row
 * sweep (its thread stopped, its files deleted) while /health keeps
 * answering, a `segmenta serve` process killed mid-job and restarted on the
 * same jobs folder, and bearer-token auth. Time bounds here are generous (the
 * test machine is shared); bench/service-bench.ts measures the real figures.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { bearerChecker } from '../src/service/auth.js';
import { HAVE_MALL, MALL_SKIP_REASON } from './helpers/mall-data.js';
import {
  getJson,
  MALL_KMEANS_INPUTS,
  pollJob,
  postJson,
  readEvents,
  serviceFolders,
  startServeProcess,
  startService,
  stopProcess,
  type TestService,
} from './helpers/service-server.js';

const MILLION_SWEEP = { data: { path: 'million.parquet' }, features: ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'], kMax: 10, nInit: 3, seed: 1 };

/** Waits until the job has sent a clustering progress event (it is computing, not starting). */
async function untilComputing(base: string, jobID: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${base}/jobs/${jobID}/events`, { headers });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (!/"kind":"(iteration|sweep-k)"/.test(text)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`job ended before it computed: ${text.slice(-500)}`);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
}

describe('dismissing a running 1M-row sweep', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ maxConcurrent: 2 });
    await writeGeneratedCustomers(join(svc.dataDir, 'million.parquet'), { rows: 1_000_000, seed: 5 });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('stops it quickly, deletes its files, ends its event stream, and /health answers throughout', async () => {
    const created = await postJson(`${svc.url}/processes/sweep/execution`, { inputs: MILLION_SWEEP });
    expect(created.status).toBe(201);
    const { jobID } = created.body;
    const events = readEvents(`${svc.url}/jobs/${jobID}/events`);
    await untilComputing(svc.url, jobID);
    expect(existsSync(join(svc.jobsDir, jobID))).toBe(true);

    // /health while the sweep computes: the job runs in its own thread.
    const health: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${svc.url}/health`);
      health.push(performance.now() - t0);
      expect((await res.json()) as object).toMatchObject({ status: 'ok', running: 1 });
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(Math.max(...health)).toBeLessThan(250);

    const t0 = performance.now();
    const res = await fetch(`${svc.url}/jobs/${jobID}`, { method: 'DELETE' });
    const dismissMs = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('dismissed');
    expect(dismissMs).toBeLessThan(1000);
    console.log(`dismiss took ${dismissMs.toFixed(1)} ms; /health during the sweep: max ${Math.max(...health).toFixed(1)} ms`);

    expect(existsSync(join(svc.jobsDir, jobID))).toBe(false);
    expect((await getJson(`${svc.url}/jobs/${jobID}`)).body.status).toBe('dismissed');
    expect((await getJson(`${svc.url}/jobs/${jobID}/results`)).status).toBe(404);
    expect((await getJson(`${svc.url}/health`)).body.running).toBe(0);
    const streamed = await events;
    expect(streamed[streamed.length - 1]!.data.status).toBe('dismissed');
    // A second DELETE is harmless.
    expect((await fetch(`${svc.url}/jobs/${jobID}`, { method: 'DELETE' })).status).toBe(200);
  });
});

describe.skipIf(!HAVE_MALL)(`a restarted server${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, () => {
  it('serves finished jobs as before and marks the job that was running failed, with nothing half-written', async () => {
    const { root, jobsDir, dataDir } = await serviceFolders();
    await writeGeneratedCustomers(join(dataDir, 'million.parquet'), { rows: 1_000_000, seed: 5 });
    const args = ['--jobs-dir', jobsDir, '--data-dir', dataDir];
    let first = await startServeProcess(args);
    try {
      expect(first.output()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
      const done = await postJson(`${first.url}/processes/kmeans/execution`, { inputs: MALL_KMEANS_INPUTS }, { Prefer: 'wait=60' });
      expect(done.status).toBe(200);
      const doneID = done.headers.get('location')!.split('/').pop()!;
      const labels = await (await fetch(`${first.url}/jobs/${doneID}/results/labels.csv`)).text();
      const running = await postJson(`${first.url}/processes/sweep/execution`, { inputs: MILLION_SWEEP });
      await untilComputing(first.url, running.body.jobID);

      // A crash, not a clean stop.
      await stopProcess(first.child, 'SIGKILL');
      const second = await startServeProcess(args);
      first = second;

      const finished = (await getJson(`${second.url}/jobs/${doneID}`)).body;
      expect(finished.status).toBe('successful');
      const again = (await getJson(`${second.url}/jobs/${doneID}/results`)).body;
      expect(again.wcss).toBe(done.body.wcss);
      expect(again.sizes).toEqual(done.body.sizes);
      expect(await (await fetch(`${second.url}/jobs/${doneID}/results/labels.csv`)).text()).toBe(labels);
      const replay = await readEvents(`${second.url}/jobs/${doneID}/events`);
      expect(replay[replay.length - 1]!.data.status).toBe('successful');

      const interrupted = (await getJson(`${second.url}/jobs/${running.body.jobID}`)).body;
      expect(interrupted.status).toBe('failed');
      expect(interrupted.message).toContain('stopped while the job was running');
      expect((await getJson(`${second.url}/jobs/${running.body.jobID}/results`)).status).toBe(404);
      expect((await readdir(join(jobsDir, running.body.jobID))).sort()).toEqual(['job.json']);

      // A clean stop (SIGTERM) exits 0 and records the running job the same way.
      const third = await postJson(`${second.url}/processes/sweep/execution`, { inputs: MILLION_SWEEP });
      await untilComputing(second.url, third.body.jobID);
      expect(await stopProcess(second.child, 'SIGTERM')).toBe(0);
      const restarted = await startServeProcess(args);
      first = restarted;
      const stopped = (await getJson(`${restarted.url}/jobs/${third.body.jobID}`)).body;
      expect(stopped.status).toBe('failed');
      expect(stopped.message).toContain('stopped while the job was running');
      expect((await readdir(jobsDir)).filter((n) => !n.startsWith('.')).sort()).toEqual([doneID, running.body.jobID, third.body.jobID].sort());
    } finally {
      await stopProcess(first.child, 'SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a --jobs-dir that holds other files (it never deletes what it did not write)', async () => {
    const { root, dataDir } = await serviceFolders();
    try {
      await expect(startServeProcess(['--jobs-dir', dataDir])).rejects.toThrow(/not empty and is not a segmenta jobs folder/);
      expect(await readdir(dataDir)).toEqual(['Mall_Customers.csv']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('auth with --token', () => {
  const TOKEN = 'correct-horse-battery';
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ token: TOKEN });
  });
  afterAll(async () => {
    await svc?.close();
  });
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

  it('every route but /health and the page needs the bearer token', async () => {
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
    expect((await fetch(`${svc.url}/`)).status).toBe(200);
    expect((await fetch(`${svc.url}/app.js`)).status).toBe(200);
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string][] = [
      ['GET', '/processes'],
      ['GET', '/processes/kmeans'],
      ['POST', '/processes/sweep/execution'],
      ['GET', '/jobs'],
      ['GET', `/jobs/${id}`],
      ['DELETE', `/jobs/${id}`],
      ['GET', `/jobs/${id}/events`],
      ['GET', `/jobs/${id}/results`],
      ['GET', `/jobs/${id}/results/labels.csv`],
      ['GET', '/openapi.json'],
      ['POST', `/models/${id}/predict`],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{}, bearer('wrong'), bearer(`${TOKEN}x`), bearer(TOKEN.slice(0, -1)), { Authorization: TOKEN }]) {
        const res = await fetch(`${svc.url}${path}`, { method, headers });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
      }
    }
    expect((await fetch(`${svc.url}/processes`, { headers: bearer(TOKEN) })).status).toBe(200);
    expect((await fetch(`${svc.url}/jobs/${id}`, { headers: bearer(TOKEN) })).status).toBe(404);
  });

  it('a job runs end to end with the token', async () => {
    const res = await postJson(
      `${svc.url}/processes/sweep/execution`,
      { inputs: { data: { generate: { rows: 1000 } }, features: ['Age', 'Annual Income (k$)'], kMax: 3, backend: 'js' } },
      bearer(TOKEN),
    );
    expect(res.status).toBe(201);
    const job = await pollJob(svc.url, res.body.jobID, undefined, 60_000, bearer(TOKEN));
    expect(job.status).toBe('successful');
    const events = await readEvents(`${svc.url}/jobs/${job.jobID}/events`, bearer(TOKEN));
    expect(events.some((e) => e.data.kind === 'sweep-k')).toBe(true);
  });

  it('the checker accepts exactly the token', () => {
    const check = bearerChecker(TOKEN);
    expect(check(`Bearer ${TOKEN}`)).toBe(true);
    expect(check(`bearer ${TOKEN}`)).toBe(true);
    for (const h of [undefined, '', 'Bearer', `Bearer ${TOKEN} extra`, `Basic ${TOKEN}`, `Bearer ${TOKEN.toUpperCase()}`]) expect(check(h), String(h)).toBe(false);
  });
});

describe('--jobs-dir creation', () => {
  it('creates a missing jobs folder', async () => {
    const { root, dataDir } = await serviceFolders();
    try {
      const jobsDir = join(root, 'new', 'jobs');
      await mkdir(join(root, 'new'));
      const server = await startServeProcess(['--jobs-dir', jobsDir, '--data-dir', dataDir]);
      await stopProcess(server.child);
      expect(await readdir(jobsDir)).toEqual(['.segmenta-jobs']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
