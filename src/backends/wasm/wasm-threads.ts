/**
 * Worker threads of the wasm backend. Each worker instantiates the kernels on
 * a job's shared memory and then blocks in `Atomics.wait` on the control
 * block's generation word; the host bumps it to start a command and awaits
 * (`Atomics.waitAsync`) the pending count reaching zero. No message passing
 * per command, and the host thread never computes.
 *
 * Workers are pooled: a disposed job sends them back to the pool, and the
 * next job attaches them to its memory (starting a thread costs ~30 ms).
 * Pooled workers are unref'ed: they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './wasm-api.js';
import { CMD_EXIT, S_CMD, S_ERROR, S_GEN, S_PENDING } from './wasm-layout.js';

// Runs as a CommonJS script inside the worker (eval), so that it works both
// from the TypeScript sources (tests) and from dist/.
const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (msg) => {
  if (!msg || msg.type !== 'attach') return;
  let run;
  let c;
  try {
    const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
    run = instance.exports.runCommand;
    c = new Int32Array(msg.memory.buffer, msg.ctrl, 64);
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String(error && error.message || error) });
    return;
  }
  parentPort.postMessage({ type: 'attached' });
  let seen = msg.gen;
  for (;;) {
    Atomics.wait(c, ${S_GEN}, seen);
    const g = Atomics.load(c, ${S_GEN});
    if (g === seen) continue;
    seen = g;
    const cmd = Atomics.load(c, ${S_CMD});
    if (cmd !== ${CMD_EXIT}) {
      try {
        run(msg.ctrl, msg.slot);
      } catch (error) {
        Atomics.store(c, ${S_ERROR}, 1);
      }
    }
    if (Atomics.sub(c, ${S_PENDING}, 1) === 1) Atomics.notify(c, ${S_PENDING});
    if (cmd === ${CMD_EXIT}) break;
  }
  parentPort.postMessage({ type: 'detached' });
});
`;

const idle: Worker[] = [];

function spawn(): Worker {
  const w = new Worker(WORKER_SOURCE, { eval: true, name: 'segmenta-wasm' });
  w.unref();
  w.on('error', () => {
    const at = idle.indexOf(w);
    if (at >= 0) idle.splice(at, 1);
  });
  return w;
}

function once(w: Worker, expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string }): void => {
      if (m.type === expected) {
        cleanup();
        resolve();
      } else if (m.type === 'error') {
        cleanup();
        reject(new Error(`wasm worker failed to start: ${m.message}`));
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`wasm worker exited with code ${code}`));
    };
    const cleanup = (): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

/**
 * Attaches `count` workers (slots 0..count-1) to a job's memory and control block.
 * `gen` is the control block's current generation.
 */
export async function attachWorkers(
  count: number,
  module: WasmModule,
  memory: WasmMemory,
  ctrl: number,
  gen: number,
): Promise<Worker[]> {
  const workers: Worker[] = [];
  for (let s = 0; s < count; s++) workers.push(idle.pop() ?? spawn());
  try {
    await Promise.all(
      workers.map((w, s) => {
        const attached = once(w, 'attached');
        w.postMessage({ type: 'attach', module, memory, ctrl, slot: s, gen });
        return attached;
      }),
    );
  } catch (error) {
    for (const w of workers) void w.terminate();
    throw error;
  }
  return workers;
}

/**
 * Returns workers whose command loop has ended (CMD_EXIT, pending count back
 * to zero) to the pool (`pool`), or ends them. No need to wait for their
 * 'detached' message: a worker handles its next 'attach' only after its loop
 * has returned, so pooling at once is safe and keeps dispose (and an abort)
 * fast on a busy machine.
 */
export async function releaseWorkers(workers: Worker[], pool = true): Promise<void> {
  if (pool) {
    idle.push(...workers);
    return;
  }
  await Promise.all(workers.map((w) => w.terminate()));
}

/** Workers waiting in the pool (for tests and `segmenta backends`). */
export function idleWorkerCount(): number {
  return idle.length;
}

/** Terminates the pooled workers (tests; the process never waits for them anyway). */
export async function shutdownWorkerPool(): Promise<void> {
  const all = idle.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}
