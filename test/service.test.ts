/**
 * The job service end to end over real HTTP on loopback: every route, the
 * Mall done-when (same WCSS and sizes as `segmenta kmeans`), uploads, SSE with
 * Last-Event-ID, bad specs (400 naming the field), unknown jobs (404), upload
 * limits (413), data-dir confinement (symlinks included), queueing and time
 * limits, and the service registered as a plugin under a prefix.
 */
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KMeansModel } from '../src/results/kmeans-model.js';
import { segmentaService } from '../src/service/service-plugin.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { HAVE_MALL, MALL_CSV, MALL_SKIP_REASON } from './helpers/mall-data.js';
import { getJson, MALL_KMEANS_INPUTS, pollJob, postJson, readEvents, serviceFolders, startService, type TestService } from './helpers/service-server.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ maxConcurrent: 2, maxUploadMB: 1 });
});
afterAll(async () => {
  await svc?.close();
});

describe('routes', () => {
  it('GET /health answers ok with the queue counts', async () => {
    const { status, body } = await getJson(`${svc.url}/health`);
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', queued: 0, running: expect.any(Number), auth: false });
  });

  it('GET /processes lists sweep, kmeans, hclust, report and predict with their input schemas', async () => {
    const { status, body } = await getJson(`${svc.url}/processes`);
    expect(status).toBe(200);
    expect(body.processes.map((p: { id: string }) => p.id)).toEqual(['sweep', 'kmeans', 'hclust', 'report', 'predict']);
    const kmeans = body.processes.find((p: { id: string }) => p.id === 'kmeans');
    expect(kmeans.inputs.required).toEqual(['features', 'k']);
    expect(Object.keys(kmeans.inputs.properties)).toEqual(expect.arrayContaining(['data', 'features', 'k', 'seed', 'nInit', 'scale']));
    expect((await getJson(`${svc.url}/processes/sweep`)).body.id).toBe('sweep');
    const missing = await getJson(`${svc.url}/processes/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain("no process 'nope'");
  });

  it('GET /openapi.json documents the routes', async () => {
    const { status, body } = await getJson(`${svc.url}/openapi.json`);
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/health', '/processes', '/processes/kmeans/execution', '/jobs', '/jobs/{jobID}', '/jobs/{jobID}/events', '/jobs/{jobID}/results']),
    );
    expect(body.paths['/processes/kmeans/execution'].post.requestBody.content['application/json'].schema.properties.inputs.required).toEqual(['features', 'k']);
  });

  it('GET / serves the web page and its script, with no external reference', async () => {
    const page = await fetch(`${svc.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script src="app.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await fetch(`${svc.url}/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('processes/report/execution');
  });
});

describe.skipIf(!HAVE_MALL)(`Mall through the service${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, () => {
  it('kmeans by path: 201 + Location, polled to successful, same wcss, sizes and labels as `segmenta kmeans`', async () => {
    const created = await postJson(`${svc.url}/processes/kmeans/execution`, { inputs: MALL_KMEANS_INPUTS });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/jobs/${created.body.jobID}`);
    expect(['accepted', 'running']).toContain(created.body.status);
    const done = await pollJob(svc.url, created.body.jobID);
    expect(done.status).toBe('successful');
    expect(done.progress).toBe(100);
    expect(Date.parse(done.finished)).toBeGreaterThanOrEqual(Date.parse(done.started));
    const enclosures = done.links.filter((l: { rel: string }) => l.rel === 'enclosure').map((l: { href: string }) => l.href);
    expect(enclosures).toContain(`/jobs/${done.jobID}/results/labels.csv`);

    const results = await getJson(`${svc.url}/jobs/${done.jobID}/results`);
    expect(results.status).toBe(200);
    const outDir = await mkdtemp(join(tmpdir(), 'segmenta-service-cli-'));
    try {
      const cli = await runSegmenta('kmeans', MALL_CSV, '--features', 'Annual Income (k$),Spending Score (1-100)', '--k', '5', '--seed', '42', '--n-init', '10', '--json', '--out', join(outDir, 'labels.csv'));
      expect(cli.code).toBe(0);
      const doc = JSON.parse(cli.stdout);
      expect(results.body.wcss).toBe(doc.wcss);
      expect(results.body.sizes).toEqual(doc.sizes);
      expect(results.body.centroids).toEqual(doc.centroids);
      expect([...results.body.sizes].sort((a: number, b: number) => a - b)).toEqual([22, 23, 35, 39, 81]);
      const labels = await fetch(`${svc.url}/jobs/${done.jobID}/results/labels.csv`);
      expect(labels.headers.get('content-type')).toContain('text/csv');
      expect(await labels.text()).toBe(await readFile(join(outDir, 'labels.csv'), 'utf8'));
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
    // The job is listed.
    const list = await getJson(`${svc.url}/jobs`);
    expect(list.body.jobs.map((j: { jobID: string }) => j.jobID)).toContain(done.jobID);
  });

  it('report from a multipart upload: segments, report files, and SSE progress that Last-Event-ID resumes', async () => {
    const form = new FormData();
    form.append('inputs', JSON.stringify({ features: ['Annual Income (k$)', 'Spending Score (1-100)'], seed: 42, nInit: 10 }));
    form.append('data', new Blob([await readFile(MALL_CSV)], { type: 'text/csv' }), 'my customers.csv');
    const res = await fetch(`${svc.url}/processes/report/execution`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const { jobID } = (await res.json()) as { jobID: string };

    const events = await readEvents(`${svc.url}/jobs/${jobID}/events`);
    const last = events[events.length - 1]!;
    expect(last.event).toBe('status');
    expect(last.data.status).toBe('successful');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const sweepKs = events.filter((e) => e.data.kind === 'sweep-k').map((e) => e.data.k);
    expect(sweepKs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress as number);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // No server path leaks into the events; the upload is named as the client named it.
    expect(JSON.stringify(events)).not.toContain(svc.jobsDir);
    expect(JSON.stringify(events)).toContain("upload 'my customers.csv'");

    const resumed = await readEvents(`${svc.url}/jobs/${jobID}/events`, { 'Last-Event-ID': String(events.length - 3) });
    expect(resumed.map((e) => e.id)).toEqual([events.length - 2, events.length - 1, events.length]);

    const results = (await getJson(`${svc.url}/jobs/${jobID}/results`)).body;
    expect(results.k).toBe(5);
    expect(results.suggestedK).toBe(5);
    expect(results.segments).toHaveLength(5);
    expect(results.segments.reduce((s: number, x: { size: number }) => s + x.size, 0)).toBe(200);
    const index = await fetch(`${svc.url}/jobs/${jobID}/results/report/index.html`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<svg');
    const png = await fetch(`${svc.url}/jobs/${jobID}/results/report/choosing-k.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    const labels = await (await fetch(`${svc.url}/jobs/${jobID}/results/labels.csv`)).text();
    expect(labels).toBe(await (await fetch(`${svc.url}/jobs/${jobID}/results/report/labels.csv`)).text());
    expect(labels.trim().split('\n')).toHaveLength(201);
    expect((await fetch(`${svc.url}/jobs/${jobID}/results/..%2f..%2fjob.json`)).status).toBe(404);
    expect((await fetch(`${svc.url}/jobs/${jobID}/results/report/nope.png`)).status).toBe(404);
  });

  it('a kmeans job saves its model: /models/{id}/predict scores one customer or a batch, and the predict process labels a file, as the fit did', async () => {
    const done = await postJson(`${svc.url}/processes/kmeans/execution`, { inputs: MALL_KMEANS_INPUTS }, { Prefer: 'wait=60' });
    expect(done.status).toBe(200);
    const jobID = done.headers.get('location')!.split('/').pop()!;
    const labelsText = await (await fetch(`${svc.url}/jobs/${jobID}/results/labels.csv`)).text();
    const labels = labelsText.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const model = await fetch(`${svc.url}/jobs/${jobID}/results/model.json`);
    expect(model.status).toBe(200);
    expect(KMeansModel.fromJSON(await model.json()).k).toBe(5);

    const rows = (await readFile(MALL_CSV, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    const customers = rows.map((r) => ({ 'Annual Income (k$)': Number(r[3]), 'Spending Score (1-100)': Number(r[4]) }));
    const one = await postJson(`${svc.url}/models/${jobID}/predict`, { customer: customers[0] });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ segment: labels[0] });
    const batch = await postJson(`${svc.url}/models/${jobID}/predict`, { customers });
    expect(batch.body.segments).toEqual(labels);
    const bad = await postJson(`${svc.url}/models/${jobID}/predict`, { customer: { 'Annual Income (k$)': 70 } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('Spending Score (1-100)');
    expect((await postJson(`${svc.url}/models/${jobID}/predict`, { customers: [] })).status).toBe(400);

    const predicted = await postJson(`${svc.url}/processes/predict/execution`, { inputs: { data: { path: 'Mall_Customers.csv' }, model: { job: jobID } } }, { Prefer: 'wait=60' });
    expect(predicted.status).toBe(200);
    expect(predicted.body).toEqual({ rows: 200, k: 5, sizes: done.body.sizes });
    const predictID = predicted.headers.get('location')!.split('/').pop()!;
    expect(await (await fetch(`${svc.url}/jobs/${predictID}/results/labels.csv`)).text()).toBe(labelsText);

    // No model: an unknown job, and a job of a process that saves none.
    expect((await postJson(`${svc.url}/models/00000000-0000-4000-8000-000000000000/predict`, { customer: customers[0] })).status).toBe(404);
    const none = await postJson(`${svc.url}/models/${predictID}/predict`, { customer: customers[0] });
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('NO_MODEL');
  });

  it('hclust by path, answered synchronously with Prefer: wait', async () => {
    const res = await postJson(
      `${svc.url}/processes/hclust/execution`,
      { inputs: { data: { path: 'Mall_Customers.csv' }, features: ['Annual Income (k$)', 'Spending Score (1-100)'], k: 5, linkage: 'ward' } },
      { Prefer: 'wait=60' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=60');
    expect(res.headers.get('location')).toMatch(/^\/jobs\/[0-9a-f-]{36}$/);
    expect(res.body.linkage).toBe('ward');
    expect(res.body.mode).toBe('exact');
    const cli = await runSegmenta('hclust', MALL_CSV, '--features', 'Annual Income (k$),Spending Score (1-100)', '--k', '5', '--linkage', 'ward', '--json');
    const doc = JSON.parse(cli.stdout);
    expect(res.body.sizes).toEqual(doc.sizes);
    expect(res.body.wcss).toBe(doc.wcss);
  });

  it('a job that fails on the data says why (the column), and Prefer: wait turns it into a 400', async () => {
    const inputs = { ...MALL_KMEANS_INPUTS, features: ['Annual Income (k$)', 'Income'] };
    const res = await postJson(`${svc.url}/processes/kmeans/execution`, { inputs }, { Prefer: 'wait=60' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('UNKNOWN_COLUMN');
    expect(res.body.detail).toContain("'Income'");
    expect(res.body.detail).not.toContain(svc.dataDir);
    const job = await pollJob(svc.url, res.headers.get('location')!.split('/').pop()!);
    expect(job.status).toBe('failed');
    expect(job.message).toContain("'Income'");
    const results = await getJson(`${svc.url}/jobs/${job.jobID}/results`);
    expect(results.status).toBe(404);
    expect(results.body.detail).toContain('failed');
  });
});

describe('generated data', () => {
  it('sweep on generated customers, with Prefer: wait', async () => {
    const res = await postJson(
      `${svc.url}/processes/sweep/execution`,
      { inputs: { data: { generate: { rows: 3000, seed: 7 } }, features: ['Annual Income (k$)', 'Spending Score (1-100)'], kMax: 6, seed: 1, backend: 'js' } },
      { Prefer: 'wait=60' },
    );
    expect(res.status).toBe(200);
    expect(res.body.rows).toBe(3000);
    expect(res.body.k).toEqual([1, 2, 3, 4, 5, 6]);
    expect(res.body.wcss).toHaveLength(6);
    expect(res.body.backend).toBe('js');
  });
});

describe('bad requests', () => {
  const post = (process: string, inputs: unknown) => postJson(`${svc.url}/processes/${process}/execution`, { inputs });
  const features = ['Annual Income (k$)', 'Spending Score (1-100)'];

  it.each([
    ['kmeans', { data: { path: 'Mall_Customers.csv' }, features }, 'inputs.k', 'required'],
    ['kmeans', { data: { path: 'Mall_Customers.csv' }, features, k: 0 }, 'inputs.k', '>= 1'],
    ['kmeans', { data: { path: 'Mall_Customers.csv' }, features, k: 5, nInits: 3 }, 'inputs.nInits', 'not a known field'],
    ['kmeans', { data: { path: 'Mall_Customers.csv' }, features: [], k: 5 }, 'inputs.features', 'fewer than 1'],
    ['kmeans', { data: { path: 'Mall_Customers.csv' }, features, k: 5, scale: 'log' }, 'inputs.scale', 'one of'],
    ['sweep', { data: { generate: { rows: 0 } }, features }, 'inputs.data.generate.rows', '>= 1'],
    ['sweep', { data: { path: 'Mall_Customers.csv' }, features, kMin: 6, kMax: 3 }, 'inputs.kMin', 'must not exceed'],
    ['sweep', { features }, 'inputs.data', 'required'],
    ['sweep', { data: { path: '/etc/passwd' }, features }, 'inputs.data.path', 'relative'],
    ['sweep', { data: { path: '../secret.csv' }, features }, 'inputs.data.path', 'outside the data folder'],
    ['sweep', { data: { path: 'missing.csv' }, features }, 'inputs.data.path', 'does not exist'],
    ['predict', { data: { path: 'Mall_Customers.csv' }, model: { job: 'nope' } }, 'inputs.model.job', 'not a successful kmeans'],
  ])('%s %j → 400 naming %s', async (process, inputs, field, words) => {
    const res = await post(process, inputs);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    expect(res.body.detail).toContain(words);
    expect(res.body.detail).not.toContain(svc.dataDir);
  });

  it('a symlink inside the data folder that points outside it is refused', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'segmenta-outside-'));
    try {
      await writeFile(join(outside, 'secret.csv'), 'id,x\n1,2\n');
      await symlink(join(outside, 'secret.csv'), join(svc.dataDir, 'link.csv'));
      const res = await post('sweep', { data: { path: 'link.csv' }, features: ['x'] });
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('outside the data folder');
      expect(res.body.detail).not.toContain(outside);
    } finally {
      await rm(join(svc.dataDir, 'link.csv'), { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('unknown process, job and result: 404; a body that is not JSON: 400', async () => {
    expect((await post('nope', {})).status).toBe(404);
    for (const path of ['/jobs/00000000-0000-4000-8000-000000000000', '/jobs/not-a-job', '/jobs/00000000-0000-4000-8000-000000000000/results', '/jobs/00000000-0000-4000-8000-000000000000/events']) {
      const res = await fetch(`${svc.url}${path}`);
      expect(res.status, path).toBe(404);
    }
    expect((await fetch(`${svc.url}/jobs/00000000-0000-4000-8000-000000000000`, { method: 'DELETE' })).status).toBe(404);
    const bad = await fetch(`${svc.url}/processes/sweep/execution`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": ' });
    expect(bad.status).toBe(400);
  });

  it('an upload past --max-upload gets 413 and leaves no job behind', async () => {
    const before = (await readdir(svc.jobsDir)).length;
    const form = new FormData();
    form.append('inputs', JSON.stringify({ features: ['a'], k: 2 }));
    form.append('data', new Blob([Buffer.alloc(1.5 * 1024 * 1024, 'a,1\n')]), 'big.csv');
    const res = await fetch(`${svc.url}/processes/kmeans/execution`, { method: 'POST', body: form });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toContain('1 MB');
    expect((await readdir(svc.jobsDir)).length).toBe(before);
  });

  it('an upload that is not CSV or Parquet gets 400 naming it', async () => {
    const form = new FormData();
    form.append('inputs', JSON.stringify({ features: ['a'], k: 2 }));
    form.append('data', new Blob(['hello']), 'notes.docx');
    const res = await fetch(`${svc.url}/processes/kmeans/execution`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("upload 'notes.docx'");
  });
});

describe('queue and time limit', () => {
  it('runs at most --max-concurrent jobs; the rest wait as accepted', async () => {
    const one = await startService({ maxConcurrent: 1 });
    try {
      const inputs = { data: { generate: { rows: 400_000, seed: 3 } }, features: ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'], kMax: 10, nInit: 2 };
      const first = await postJson(`${one.url}/processes/sweep/execution`, { inputs });
      const second = await postJson(`${one.url}/processes/sweep/execution`, { inputs });
      expect(second.body.status).toBe('accepted');
      expect((await getJson(`${one.url}/health`)).body).toMatchObject({ queued: 1, running: 1 });
      // Dismissing the queued job removes it from the queue; the first keeps running.
      expect((await fetch(`${one.url}/jobs/${second.body.jobID}`, { method: 'DELETE' })).status).toBe(200);
      expect((await getJson(`${one.url}/jobs/${first.body.jobID}`)).body.status).toBe('running');
      expect((await getJson(`${one.url}/health`)).body.queued).toBe(0);
    } finally {
      await one.close();
    }
  });

  it('a job past its time limit is stopped and failed, saying so', async () => {
    const limited = await startService({ timeLimitSeconds: 1 });
    try {
      const res = await postJson(`${limited.url}/processes/sweep/execution`, {
        inputs: { data: { generate: { rows: 2_000_000, seed: 3 } }, features: ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'] },
      });
      const job = await pollJob(limited.url, res.body.jobID, ['successful', 'failed'], 30_000);
      expect(job.status).toBe('failed');
      expect(job.code).toBe('TIME_LIMIT');
      expect(job.message).toContain('time limit of 1 s');
      // Only the record and its events stay (a dot-named temp file is a save of job.json still being renamed).
      expect((await readdir(join(limited.jobsDir, job.jobID))).filter((n) => !n.startsWith('.')).sort()).toEqual(['events.json', 'job.json']);
    } finally {
      await limited.close();
    }
  });
});

describe('as a Fastify plugin in the host app', () => {
  it('serves under a prefix beside the host routes; Location carries the prefix', async () => {
    const { root, jobsDir, dataDir } = await serviceFolders();
    const app = Fastify();
    app.get('/', async () => ({ host: true }));
    await app.register(segmentaService, { prefix: '/segments', jobsDir, dataDir });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect((await getJson(`${url}/`)).body).toEqual({ host: true });
      expect((await getJson(`${url}/segments/health`)).body.status).toBe('ok');
      expect((await getJson(`${url}/segments/openapi.json`)).body.paths).toHaveProperty(['/segments/jobs/{jobID}']);
      const res = await postJson(
        `${url}/segments/processes/sweep/execution`,
        { inputs: { data: { generate: { rows: 500 } }, features: ['Age', 'Annual Income (k$)'], kMax: 3, backend: 'js' } },
        { Prefer: 'wait=60' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toMatch(/^\/segments\/jobs\//);
      // Unknown fields are refused even though the host's Ajv would silently drop them.
      const typo = await postJson(`${url}/segments/processes/sweep/execution`, { inputs: { data: { generate: { rows: 500 } }, features: ['Age'], kmax: 3 } });
      expect(typo.status).toBe(400);
      expect(typo.body.field).toBe('inputs.kmax');
    } finally {
      await app.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
