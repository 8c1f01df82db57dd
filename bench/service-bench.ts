/**
 * Load bench of the job service (`node dist/bench/service-bench.js`): a real
 * `segmenta serve` process, kept busy with 1M-row sweeps (k = 1..10), while
 * autocannon drives `/health` and, when the build has saved models,
 * `POST /models/{id}/predict` for one customer at a fixed rate. Also times
 * DELETE of a running 1M-row sweep and single `/health` calls during a sweep.
 * Bounded: `--seconds` of load (default 30). Prints Markdown.
 *
 * Options: --seconds N (30), --rows N (1,000,000), --predict-rate R (200 req/s),
 * --dismissals N (5), --json FILE.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';

const argv = process.argv.slice(2);
const value = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const seconds = value('--seconds', 30);
const rows = value('--rows', 1_000_000);
const predictRate = value('--predict-rate', 200);
const dismissals = value('--dismissals', 5);
const jsonIndex = argv.indexOf('--json');
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const CLI = resolve(import.meta.dirname, '../src/cli/main.js');
const FEATURES = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'];
const SWEEP = { data: { path: 'customers.parquet' }, features: FEATURES, kMax: 10, nInit: 3, seed: 1 };

const root = await mkdtemp(join(tmpdir(), 'segmenta-service-bench-'));
const dataDir = join(root, 'data');
const jobsDir = join(root, 'jobs');
await mkdir(dataDir);
log(`generating ${rows.toLocaleString('en-US')} customers…`);
await writeGeneratedCustomers(join(dataDir, 'customers.parquet'), { rows, seed: 5 });

const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--jobs-dir', jobsDir, '--max-concurrent', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise<string>((resolveUrl, reject) => {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /listening on (\S+)/.exec(out);
    if (m) resolveUrl(m[1]!);
  });
  child.once('exit', (code) => reject(new Error(`segmenta serve exited with ${code}`)));
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; location: string | null }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), location: res.headers.get('location') };
}
async function status(jobID: string): Promise<any> {
  return (await fetch(`${base}/jobs/${jobID}`)).json();
}
async function untilComputing(jobID: string): Promise<void> {
  for (;;) {
    const s = await status(jobID);
    if (s.status !== 'accepted' && s.status !== 'running') throw new Error(`job ${jobID} ended: ${s.status} ${s.message}`);
    if (s.status === 'running' && /sweep|iteration|run \d|k = /.test(s.message)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (ms: number): string => ms.toFixed(ms < 10 ? 2 : 1);

try {
  // A model to score with, when this build has saved models.
  const modelJob: { location: string | null } = await post('/processes/kmeans/execution', { inputs: { data: { generate: { rows: 2000, seed: 3 } }, features: FEATURES, k: 5 } }, { Prefer: 'wait=120' });
  const modelID = modelJob.location?.split('/').pop() ?? '';
  const probe = await fetch(`${base}/models/${modelID}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customer: { Age: 35, 'Annual Income (k$)': 70, 'Spending Score (1-100)': 60 } }),
  });
  const canPredict = probe.status === 200;
  if (!canPredict) log(`predict is not available in this build (POST /models/{id}/predict answered ${probe.status}); /health only`);

  // 1. DELETE on a running sweep.
  const dismissMs: number[] = [];
  for (let i = 0; i < dismissals; i++) {
    const job = await post('/processes/sweep/execution', { inputs: SWEEP });
    await untilComputing(job.body.jobID);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const res = await fetch(`${base}/jobs/${job.body.jobID}`, { method: 'DELETE' });
    dismissMs.push(performance.now() - t0);
    if (((await res.json()) as { status: string }).status !== 'dismissed') throw new Error('DELETE did not dismiss');
  }
  log(`DELETE of a running sweep: ${dismissMs.map(fmt).join(', ')} ms`);

  // 2. Keep a sweep running for the whole load window.
  let sweeping = true;
  let sweepsDone = 0;
  const keepBusy = (async () => {
    while (sweeping) {
      const job = await post('/processes/sweep/execution', { inputs: SWEEP });
      for (;;) {
        const s = await status(job.body.jobID);
        if (s.status === 'successful') sweepsDone++;
        if (s.status !== 'accepted' && s.status !== 'running') break;
        if (!sweeping) {
          await fetch(`${base}/jobs/${job.body.jobID}`, { method: 'DELETE' });
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));

  // 3. Single /health calls, one at a time, while the sweep computes.
  const single: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/health`)).json();
    single.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  single.sort((a, b) => a - b);

  // 4. autocannon: /health flat out (10 connections) and predict at a fixed rate, together.
  log(`autocannon: ${seconds} s of /health${canPredict ? ` + predict at ${predictRate} req/s` : ''} while 1M-row sweeps run…`);
  const runs: Promise<autocannon.Result>[] = [autocannon({ url: `${base}/health`, connections: 10, duration: seconds })];
  if (canPredict) {
    runs.push(
      autocannon({
        url: `${base}/models/${modelID}/predict`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customer: { Age: 35, 'Annual Income (k$)': 70, 'Spending Score (1-100)': 60 } }),
        connections: 4,
        overallRate: predictRate,
        duration: seconds,
      }),
    );
  }
  const [health, predict] = await Promise.all(runs);
  sweeping = false;
  await keepBusy;

  const row = (name: string, r: autocannon.Result): string =>
    `| ${name} | ${Math.round(r.requests.average)} | ${fmt(r.latency.p50)} | ${fmt(r.latency.p90)} | ${fmt(r.latency.p99)} | ${fmt(r.latency.max)} | ${r.non2xx} | ${r.errors} |`;
  const lines = [
    `Service bench, ${new Date().toISOString().slice(0, 10)}: \`node dist/bench/service-bench.js --seconds ${seconds}\` on ${cpus().length} cores, Node ${process.version}; one \`segmenta serve\` process, --max-concurrent 1, ${rows.toLocaleString('en-US')}-row sweeps (k = 1..10, nInit 3, 3 features) running throughout (${sweepsDone} completed during the load).`,
    '',
    '| route (autocannon) | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('GET /health, 10 connections', health!),
    ...(predict ? [row(`POST /models/{id}/predict, one customer, ${predictRate} req/s`, predict)] : []),
    '',
    `Single \`GET /health\` calls during a sweep (100, one at a time): p50 ${fmt(quantile(single, 0.5))} ms, p99 ${fmt(quantile(single, 0.99))} ms, max ${fmt(single[single.length - 1]!)} ms.`,
    `\`DELETE /jobs/{id}\` on a running ${rows.toLocaleString('en-US')}-row sweep (${dismissals} times): ${dismissMs.map(fmt).join(', ')} ms.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (jsonIndex >= 0) {
    await writeFile(argv[jsonIndex + 1]!, JSON.stringify({ health: health!.latency, predict: predict?.latency, single, dismissMs, sweepsDone }, null, 2));
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(root, { recursive: true, force: true });
}
