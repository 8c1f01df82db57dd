/**
 * segmenta embedded in a Node service: the event loop stays free while it
 * computes, an AbortSignal fired from a timer stops a long call on every
 * backend, and the CLI stops on a real SIGINT.
 *
 * Timed assertions carry generous margins (the CI machine has 2 cores shared
 * by several jobs); the measured figures are printed and the targets
 * (timer ≤ 50 ms late, abort ≤ 100 ms, exit ≤ 200 ms) live in
 * bench/event-loop-bench.ts and docs/benchmarks.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { idleWorkerCount } from '../src/backends/wasm/wasm-threads.js';
import { AbortedError } from '../src/common/errors.js';
import { generateCustomers, generatedFeatureMatrix, writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const PROBE = join(ROOT, 'test/helpers/event-loop-probe.mjs');
const BUILT = existsSync(CLI);
if (!BUILT) console.warn(`skipped: ${CLI} is missing (npm install builds it)`);

interface ProbeResult {
  backend: string;
  eventLoopUtilization: number;
  timerLateMaxMs: number;
  timerLateP50Ms: number;
  timerLateP99Ms: number;
  timerTicks: number;
  abortLatencyMs: number;
  ranMs: number;
  error: string;
}

function probe(backend: string, rows: number, abortAfterMs: number): ProbeResult {
  const r = spawnSync(process.execPath, ['--expose-gc', PROBE, backend, String(rows), String(abortAfterMs)], { encoding: 'utf8', timeout: 300_000 });
  expect(r.stderr).toBe('');
  const result = JSON.parse(r.stdout.trim()) as ProbeResult;
  console.log(`event-loop probe ${backend} ${rows} rows: ${JSON.stringify(result)}`);
  return result;
}

describe.skipIf(!BUILT)('a real process running a sweep', () => {
  it('1M-row wasm sweep: the main thread stays mostly idle, a 10 ms timer keeps firing (typically within 50 ms), and an abort from a timer stops the sweep', async () => {
    const r = probe('wasm', 1_000_000, 6000);
    expect(r.error).toBe('');
    // The kernels run in workers: the main thread is idle much of the sweep (kernels on the main thread: ~1; the sweep's swap refinement is JavaScript on it).
    // Utilization counts only the thread's own work, so a loaded machine does not move it much.
    expect(r.eventLoopUtilization).toBeLessThan(0.8);
    expect(r.timerTicks).toBeGreaterThan(20);
    expect(r.timerLateP50Ms).toBeLessThan(50);
    // Target 100 ms (see docs/benchmarks.md); the margin absorbs a loaded 2-core machine.
    expect(r.abortLatencyMs).toBeLessThan(2000);
  });

  it('js: the timer keeps firing between 8 ms slices and the abort stops the sweep', async () => {
    const r = probe('js', 200_000, 4000);
    expect(r.error).toBe('');
    // a loop blocked by the passes would tick a couple of times in 4 s
    expect(r.timerTicks).toBeGreaterThan(10);
    expect(r.abortLatencyMs).toBeLessThan(2000);
  });

  it('tfjs: the timer fires between passes (a pass itself holds the loop, see docs/embedding.md) and the abort stops the sweep', async () => {
    const r = probe('tfjs', 200_000, 4000);
    expect(r.error).toBe('');
    expect(r.timerTicks).toBeGreaterThan(5);
    expect(r.abortLatencyMs).toBeLessThan(3000);
  });
});

describe('an AbortSignal fired from a timer stops fitKMeans mid-fit', () => {
  const g = generateCustomers({ rows: 150_000, seed: 9, features: 4 });
  const raw = generatedFeatureMatrix(g);
  const matrix = fitScaler(raw, 'standard').transform(raw);

  it.each(['js', 'wasm', 'tfjs'])('%s: rejects with AbortedError soon after abort(), then fits again normally', async (name) => {
    await resolveBackend(name);
    const tensorsBefore = name === 'tfjs' ? tf.memory().numTensors : 0;
    const ac = new AbortController();
    let iterations = 0;
    let abortedAt = 0;
    // k large and tol 0: thousands of passes, far longer than the timer (the abort may land in k-means++ or in Lloyd)
    const fit = fitKMeans(matrix, { k: 40, nInit: 50, tol: 0, seed: 1, backend: name, threads: 2, signal: ac.signal, onProgress: (e) => void (e.kind === 'iteration' && iterations++) });
    const timer = setTimeout(() => {
      abortedAt = performance.now();
      ac.abort(new Error('deadline'));
    }, 1200);
    const error = await fit.catch((e: unknown) => e);
    const latency = performance.now() - abortedAt;
    clearTimeout(timer);
    console.log(`${name}: abort latency ${latency.toFixed(1)} ms after ${iterations} iterations`);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).message).toBe('aborted: deadline');
    expect(abortedAt).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1000);
    // released: the wasm workers are back in the pool, no tfjs tensor is left behind
    if (name === 'wasm') expect(idleWorkerCount()).toBeGreaterThanOrEqual(2);
    if (name === 'tfjs') expect(tf.memory().numTensors).toBe(tensorsBefore);
    const again = await fitKMeans(matrix, { k: 3, seed: 1, backend: name, threads: 2 });
    expect(again.sizes.reduce((a, b) => a + b, 0)).toBe(matrix.rows);
  });

  it('AbortSignal.timeout stops a js fit', async () => {
    const started = performance.now();
    await expect(fitKMeans(matrix, { k: 40, nInit: 50, tol: 0, backend: 'js', signal: AbortSignal.timeout(300) })).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe.skipIf(!BUILT)('the CLI on a real SIGINT', () => {
  const dir = tempDir('segmenta-sigint-');
  const customers = customersFile(dir, 'customers.csv', { rows: 200_000, seed: 4, features: 4 });

  /** Starts the CLI, sends SIGINT once `ready` matches its progress lines, resolves with what happened. */
  function interrupt(args: string[], ready: RegExp): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; exitMs: number }> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, SEGMENTA_PROGRESS: 'lines' }, cwd: dir });
      let stdout = '';
      let stderr = '';
      let sentAt = 0;
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        if (!sentAt && ready.test(stderr)) {
          sentAt = performance.now();
          child.kill('SIGINT');
        }
      });
      child.on('error', fail);
      child.on('exit', (code, signal) => done({ code, signal, stdout, stderr, exitMs: sentAt ? performance.now() - sentAt : NaN }));
    });
  }

  it('mid-sweep: exits 130 soon after, prints no result and leaves no file', async () => {
    const before = readdirSync(dir).sort();
    const r = await interrupt(['sweep', customers, '--features', 'Age,Annual Income (k$),Spending Score (1-100)', '--scale', 'standard', '--n-init', '10', '--json'], /sweep k 2\/10/);
    console.log(`CLI sweep: exit ${r.code} ${(r.exitMs).toFixed(1)} ms after SIGINT`);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/segmenta: interrupted \(Ctrl-C\)\n$/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    // target 200 ms; process start-up and exit alone can take longer on a loaded 2-core machine
    expect(r.exitMs).toBeLessThan(2000);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('mid-fit with --out and --save-model: exits 130 and writes neither file nor a temporary file', async () => {
    const before = readdirSync(dir).sort();
    const r = await interrupt(
      ['kmeans', customers, '--features', 'Age,Annual Income (k$),Spending Score (1-100)', '--k', '30', '--n-init', '50', '--tol', '0', '--out', 'labels.csv', '--save-model', 'model.json'],
      /rows read/,
    );
    console.log(`CLI kmeans: exit ${r.code} ${(r.exitMs).toFixed(1)} ms after SIGINT`);
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.exitMs).toBeLessThan(2000);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('writeLabelsCsv with a signal', () => {
  it('an abort mid-write (from a timer) leaves neither the file nor a temporary file', async () => {
    const { writeLabelsCsv } = await import('../src/results/write-labels-csv.js');
    const out = mkdtempSync(join(tmpdir(), 'segmenta-labels-abort-'));
    try {
      const n = 3_000_000;
      const ids = Float64Array.from({ length: n }, (_, i) => i + 1);
      const labels = new Int32Array(n);
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('timer')), 5);
      await expect(writeLabelsCsv(join(out, 'labels.csv'), 'CustomerID', ids, labels, [], { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('readCustomerTable with a signal', () => {
  it('an abort from a timer mid-read rejects with AbortedError promptly', async () => {
    const { readCustomerTable } = await import('../src/data-in/read-customer-table.js');
    const out = mkdtempSync(join(tmpdir(), 'segmenta-read-abort-'));
    try {
      const csv = join(out, 'customers.csv');
      await writeGeneratedCustomers(csv, { rows: 600_000, seed: 8, features: 4 });
      const ac = new AbortController();
      let abortedAt = 0;
      let rowsSeen = 0;
      const read = readCustomerTable(csv, {
        features: ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'],
        signal: ac.signal,
        onProgress: (e) => void (e.kind === 'phase' && /rows$/.test(e.detail ?? '') && (rowsSeen = Number.parseInt(e.detail!, 10))),
      });
      setTimeout(() => {
        abortedAt = performance.now();
        ac.abort(new Error('timer'));
      }, 150);
      const error = await read.catch((e: unknown) => e);
      const latency = performance.now() - abortedAt;
      console.log(`read abort latency ${latency.toFixed(1)} ms (rows seen ${rowsSeen})`);
      expect(error).toBeInstanceOf(AbortedError);
      expect(latency).toBeLessThan(2000);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
