/**
 * `segmenta backends`: lists every registered backend with its availability,
 * and the reason for any that cannot run (here: the tfjs runtimes skipped).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../src/backends/built-in-backends.js';
import { registerBackend } from '../src/backends/backend-registry.js';
import type { KernelBackend } from '../src/backends/kernel-contract.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSegmenta(...argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** A backend that can never run, to check that reasons reach the listing. */
const brokenBackend: KernelBackend = {
  name: 'test-broken',
  priority: -1,
  description: 'a backend registered by the test',
  async checkAvailability() {
    return { available: false, reason: 'libbroken.so.3 not found in /opt/none' };
  },
  async createJob() {
    throw new Error('never');
  },
};

describe('segmenta backends', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--json lists every registered backend with availability and the tfjs runtime in use', async () => {
    registerBackend(brokenBackend);
    const { code, out, err } = await capture(['backends', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { auto: string; backends: { name: string; priority: number; available: boolean; detail: string }[] };
    const names = doc.backends.map((b) => b.name);
    expect(names).toContain('js');
    expect(names).toContain('tfjs');
    // Highest priority first.
    const priorities = doc.backends.map((b) => b.priority);
    expect([...priorities].sort((a, b) => b - a)).toEqual(priorities);
    const tfjs = doc.backends.find((b) => b.name === 'tfjs')!;
    expect(tfjs.priority).toBe(50);
    expect(tfjs.available).toBe(true);
    expect(tfjs.detail).toMatch(/^tfjs-(node-gpu|webgpu|node|wasm|cpu) \(/);
    // The runtimes skipped before the one in use are named with their reasons.
    if (!tfjs.detail.startsWith('tfjs-node-gpu')) expect(tfjs.detail).toContain('skipped tfjs-node-gpu: ');
    const broken = doc.backends.find((b) => b.name === 'test-broken')!;
    expect(broken).toMatchObject({ available: false, detail: 'libbroken.so.3 not found in /opt/none' });
    expect(doc.auto).toBe(doc.backends.find((b) => b.available)!.name);
  });

  it('prints a table with one line per backend and the reason for an unavailable one', async () => {
    registerBackend(brokenBackend);
    const { code, out } = await capture(['backends']);
    expect(code).toBe(0);
    expect(out).toMatch(/^tfjs\s+50\s+available\s+tfjs-/m);
    expect(out).toMatch(/^test-broken\s+-1\s+unavailable\s+libbroken\.so\.3 not found in \/opt\/none$/m);
    expect(out).toMatch(/^js\s+0\s+available/m);
    expect(out).toMatch(/--backend auto uses: \S+/);
  });
});
