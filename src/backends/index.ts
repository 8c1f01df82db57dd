/**
 * `segmenta/backends`: the kernel contract, the registry (priority `auto`)
 * and the three built-in backends (js reference, wasm, tfjs), registered on
 * import. Write a backend against `KernelBackend` and `registerBackend` it.
 *
 * @example
 * ```ts
 * import { listBackends, resolveBackend } from 'segmenta/backends';
 * for (const b of await listBackends()) console.log(b.name, b.available ? 'ok' : b.reason);
 * const wasm = await resolveBackend('wasm');
 * ```
 * @module segmenta/backends
 */
import './built-in-backends.js';

export { ROW_BLOCK_SIZE } from './kernel-contract.js';
export type { KernelBackend, KernelJob, AssignStats, JobOptions, BackendAvailability, LinkageNearest } from './kernel-contract.js';
export { registerBackend, resolveBackend, listBackends, backendNames } from './backend-registry.js';
export type { BackendStatus } from './backend-registry.js';
export { jsReferenceBackend } from './js-reference/js-reference-backend.js';
export { wasmBackend, MAX_WASM_THREADS, releaseSpareWasmMemory } from './wasm/wasm-backend.js';
export { tfjsBackend, createTfjsBackend, TFJS_RUNTIME_ORDER } from './tfjs/tfjs-backend.js';
export type { TfjsBackendOptions, TfjsKernelBackend, TfjsRuntimeName, TfjsRuntimeReport } from './tfjs/tfjs-backend.js';
export type { TfjsJobSettings } from './tfjs/tfjs-job.js';
