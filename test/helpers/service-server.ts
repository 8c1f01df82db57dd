/**
 * The job service for tests: a real server on a loopback port with its own
 * temporary jobs and data folders, and small HTTP helpers. Jobs run in worker
 * threads from the build in dist/ (npm install builds it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createServer, type ServerOptions } from '../../src/service/server.js';
import { HAVE_MALL, MALL_CSV } from './mall-data.js';

export const CLI = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

export interface TestService {
  url: string;
  server: FastifyInstance;
  jobsDir: string;
  dataDir: string;
  /** Closes the server and removes its folders. */
  close(): Promise<void>;
}

/** A fresh temp folder holding `jobs/` and `data/` (with Mall_Customers.csv when available). */
export async function serviceFolders(): Promise<{ root: string; jobsDir: string; dataDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'segmenta-service-test-'));
  const jobsDir = join(root, 'jobs');
  const dataDir = join(root, 'data');
  await mkdir(dataDir);
  if (HAVE_MALL) await copyFile(MALL_CSV, join(dataDir, 'Mall_Customers.csv'));
  return { root, jobsDir, dataDir };
}

/** Starts the service in this process on 127.0.0.1 and a free port. */
export async function startService(options: Partial<ServerOptions> = {}): Promise<TestService> {
  const { root, jobsDir, dataDir } = await serviceFolders();
  const server = await createServer({ jobsDir, dataDir, ...options });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    server,
    jobsDir,
    dataDir,
    async close() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A `segmenta serve` process; resolves once it printed `listening on URL`. */
export async function startServeProcess(args: string[]): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`segmenta serve did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segmenta serve exited with ${code}: ${output}`));
    });
  });
  return { url, child, output: () => output };
}

/** Stops a child process and waits for it to exit. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

/** POSTs JSON; returns status, headers and the parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** GETs JSON. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

/** Polls `GET /jobs/{id}` until the status is one of `until`; returns the last status document. */
export async function pollJob(base: string, jobID: string, until: string[] = ['successful', 'failed', 'dismissed'], timeoutMs = 90_000, headers: Record<string, string> = {}): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getJson(`${base}/jobs/${jobID}`, headers);
    if (status !== 200) throw new Error(`GET /jobs/${jobID} answered ${status}: ${JSON.stringify(body)}`);
    if (until.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobID} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads an SSE response to its end: the events as `{id, event, data}`. */
export async function readEvents(url: string, headers: Record<string, string> = {}): Promise<{ id: number; event: string; data: any }[]> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`events answered ${res.status}`);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const field = (name: string): string => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { id: Number(field('id')), event: field('event'), data: JSON.parse(field('data')) };
    });
}

/** The Mall kmeans inputs of the done-when. */
export const MALL_KMEANS_INPUTS = {
  data: { path: 'Mall_Customers.csv' },
  features: ['Annual Income (k$)', 'Spending Score (1-100)'],
  k: 5,
  seed: 42,
  nInit: 10,
};
