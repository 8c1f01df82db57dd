/**
 * Finds, compiles and checks build/segmenta-kernels.wasm (built by
 * `npm run build:wasm`, which `npm install` / `npm ci` run), and says why the
 * wasm backend cannot run when it cannot.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ROW_BLOCK_SIZE, type BackendAvailability } from '../kernel-contract.js';
import { wasmApi, type WasmModule } from './wasm-api.js';
import { RESERVED_BYTES } from './wasm-layout.js';

/** File name of the kernels under build/. */
export const WASM_FILE_NAME = 'segmenta-kernels.wasm';
/** Environment variable that points at another kernels file (tests, packaging). */
export const WASM_FILE_ENV = 'SEGMENTA_WASM_FILE';

/** What the kernels export (see assembly/). Pointers are byte offsets into the shared memory. */
export interface KernelExports {
  runCommand(ctrl: number, slot: number): void;
  heapBase(): number;
  blockSize(): number;
  reduceAssign(ctrl: number): number;
  reduceChanged(ctrl: number): number;
  reducePotentials(ctrl: number): void;
  reduceUpdate(ctrl: number): number;
  buildSplats(dst: number, src: number, n: number): void;
  distancesRange(ctrl: number, row0: number, row1: number, out: number): void;
}

/** Where the kernels file may be: build/ at the package root, from src/ (tests) or dist/src/ (built). */
export function wasmFileCandidates(): string[] {
  const fromEnv = process.env[WASM_FILE_ENV];
  if (fromEnv) return [fromEnv];
  return [
    fileURLToPath(new URL(`../../../build/${WASM_FILE_NAME}`, import.meta.url)),
    fileURLToPath(new URL(`../../../../build/${WASM_FILE_NAME}`, import.meta.url)),
  ];
}

// (module (func (result v128) i32.const 0 i32x4.splat))
const SIMD_PROBE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 0x0a, 8, 1, 6, 0, 0x41, 0, 0xfd, 0x11, 0x0b]);

/** A compiled kernels module and where it came from. */
export interface LoadedKernels {
  module: WasmModule;
  path: string;
}

type LoadResult = { ok: true; kernels: LoadedKernels } | { ok: false; reason: string };
let cached: Promise<LoadResult> | undefined;

async function load(): Promise<LoadResult> {
  if (!wasmApi) return { ok: false, reason: 'this runtime has no WebAssembly' };
  if (!wasmApi.validate(SIMD_PROBE)) return { ok: false, reason: 'this runtime has no WebAssembly SIMD (fixed-width 128-bit) support' };
  if (typeof SharedArrayBuffer !== 'function') return { ok: false, reason: 'this runtime has no SharedArrayBuffer (needed for threads)' };
  try {
    new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (error) {
    return { ok: false, reason: `this runtime cannot create shared WebAssembly memory: ${(error as Error).message}` };
  }
  const candidates = wasmFileCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    return { ok: false, reason: `build/${WASM_FILE_NAME} is missing (looked for ${candidates.join(', ')}): run npm run build:wasm` };
  }
  let module: WasmModule;
  try {
    module = await wasmApi.compile(await readFile(path));
  } catch (error) {
    return { ok: false, reason: `${path} does not compile here (${(error as Error).message}): run npm run build:wasm` };
  }
  try {
    const probe = new wasmApi.Instance(module, { env: { memory: new wasmApi.Memory({ initial: 1, maximum: 65536, shared: true }) } });
    const exports = probe.exports as unknown as KernelExports;
    if (exports.blockSize() !== ROW_BLOCK_SIZE) {
      return { ok: false, reason: `${path} was built for blocks of ${exports.blockSize()} rows, not ${ROW_BLOCK_SIZE}: run npm run build:wasm` };
    }
    if (exports.heapBase() > RESERVED_BYTES) {
      return { ok: false, reason: `${path} has ${exports.heapBase()} bytes of static data, more than the ${RESERVED_BYTES} reserved: rebuild` };
    }
  } catch (error) {
    return { ok: false, reason: `${path} cannot be instantiated (${(error as Error).message}): run npm run build:wasm` };
  }
  return { ok: true, kernels: { module, path } };
}

/** Loads the kernels once per process (later calls return the cached outcome). */
export function loadKernels(): Promise<LoadResult> {
  cached ??= load();
  return cached;
}

/** Availability for the registry: available with the file used, or the reason it is not. */
export async function kernelsAvailability(): Promise<BackendAvailability> {
  const r = await loadKernels();
  return r.ok ? { available: true, detail: `SIMD + worker threads, ${r.kernels.path}` } : { available: false, reason: r.reason };
}

/** Forgets the cached outcome (tests that swap the kernels file). */
export function resetKernelsCache(): void {
  cached = undefined;
}
