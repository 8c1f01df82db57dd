/**
 * TensorFlow.js runtimes: which tfjs backend (native TensorFlow, WebGPU,
 * WebAssembly, plain JS) the `tfjs` kernel backend runs on in this process.
 *
 * Every runtime is loaded with a dynamic `import()` on first use, so a package
 * that is not installed (or whose native addon cannot load) only makes that
 * runtime unavailable, with the reason. Nothing heavy is imported when this
 * module is loaded.
 *
 * tfjs keeps one global engine per process; a runtime is "activated" with
 * `tf.setBackend()` before a job creates or uses tensors.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';

/** The tfjs-core namespace (type of `import('@tensorflow/tfjs-core')`). */
export type Tf = typeof TfCore;

/** A tfjs runtime the `tfjs` backend can run on. */
export type TfjsRuntimeName = 'tfjs-node-gpu' | 'tfjs-webgpu' | 'tfjs-node' | 'tfjs-wasm' | 'tfjs-cpu';

/**
 * The order in which runtimes are tried: the first one that loads is used.
 * `tfjs-webgpu` is tried only when both `@tensorflow/tfjs-backend-webgpu` and
 * the `webgpu` (Dawn) package are installed.
 */
export const TFJS_RUNTIME_ORDER: readonly TfjsRuntimeName[] = ['tfjs-node-gpu', 'tfjs-webgpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];

/** Environment variable that restricts the `tfjs` backend to one runtime (e.g. `tfjs-cpu`). */
export const TFJS_RUNTIME_ENV = 'SEGMENTA_TFJS_RUNTIME';

/** A runtime that loaded and can run kernels. */
export interface LoadedRuntime {
  readonly name: TfjsRuntimeName;
  /** The tfjs-core namespace. */
  readonly tf: Tf;
  /** The name tfjs registers the backend under (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** What it runs on, for `segmenta backends` (e.g. `SIMD, 1 thread`). */
  readonly detail: string;
  /**
   * True when the runtime has an efficient `UnsortedSegmentSum` kernel. tfjs-wasm
   * has none, and tfjs-cpu's loops over every segment, so on those the segment
   * sum runs as `scatterND`, which adds rows with equal indices (same result).
   */
  readonly nativeSegmentSum: boolean;
  /** True when tensor reads are only asynchronous (GPU runtimes). */
  readonly asyncReadsOnly: boolean;
}

/** The outcome of trying one runtime. */
export type RuntimeProbe = { name: TfjsRuntimeName; available: true; runtime: LoadedRuntime } | { name: TfjsRuntimeName; available: false; reason: string };

const probes = new Map<TfjsRuntimeName, Promise<RuntimeProbe>>();
let tfPromise: Promise<Tf> | undefined;

/** Loads tfjs-core once (dynamic import). */
export function loadTfCore(): Promise<Tf> {
  tfPromise ??= import('@tensorflow/tfjs-core').then((m) => {
    // CJS interop: the namespace may sit under `default`.
    const tf = ((m as unknown as { default?: Tf }).default?.tensor ? (m as unknown as { default: Tf }).default : m) as Tf;
    return tf;
  });
  return tfPromise;
}

/** Imports a package by a computed name, so TypeScript does not need it installed. */
function importOptional(specifier: string): Promise<Record<string, unknown>> {
  return import(specifier) as Promise<Record<string, unknown>>;
}

/** One line out of whatever a failed load threw. */
function describeLoadError(pkg: string, error: unknown): string {
  const e = error as { code?: string; message?: string } | undefined;
  const message = String(e?.message ?? error);
  if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && message.includes(`'${pkg}'`)) {
    return `${pkg} is not installed (npm install ${pkg})`;
  }
  const first = message.split('\n')[0]!.trim();
  return `${pkg} failed to load: ${first.length > 240 ? `${first.slice(0, 240)}…` : first}`;
}

/** Directory holding tfjs-backend-wasm's .wasm binaries (works from src/ under vitest and from dist/). */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

async function setBackendOrThrow(tf: Tf, tfBackend: string): Promise<void> {
  const ok = await tf.setBackend(tfBackend);
  if (!ok) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
}

/** Native TensorFlow backend from tfjs-node or tfjs-node-gpu (both register `tensorflow`). */
async function loadNative(name: 'tfjs-node' | 'tfjs-node-gpu', pkg: string): Promise<LoadedRuntime> {
  const tf = await loadTfCore();
  // TensorFlow's C++ start-up notices (CPU features, CUDA libraries) go to stderr; keep
  // warnings and errors only, unless the user chose a level.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  try {
    await importOptional(pkg);
  } catch (error) {
    throw new Error(describeLoadError(pkg, error));
  }
  if (tf.findBackendFactory('tensorflow') == null) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend (a second copy of tfjs-core?)`);
  await setBackendOrThrow(tf, 'tensorflow');
  const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  const threads = process.env.TF_NUM_INTRAOP_THREADS ? `${process.env.TF_NUM_INTRAOP_THREADS} intra-op threads` : 'TensorFlow thread pool';
  let detail = `native TensorFlow (${threads})`;
  if (name === 'tfjs-node-gpu') {
    detail = b.isUsingGpuDevice ? 'native TensorFlow on a CUDA GPU' : 'native TensorFlow, CUDA build, but no GPU device found: runs on the CPU';
  }
  return { name, tf, tfBackend: 'tensorflow', detail, nativeSegmentSum: true, asyncReadsOnly: false };
}

/** tfjs-backend-webgpu over the `webgpu` package (Dawn bindings for Node). */
async function loadWebGpu(): Promise<LoadedRuntime> {
  const tf = await loadTfCore();
  let dawn: Record<string, unknown>;
  try {
    dawn = await importOptional('webgpu');
  } catch (error) {
    throw new Error(describeLoadError('webgpu', error));
  }
  try {
    await importOptional('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    throw new Error(describeLoadError('@tensorflow/tfjs-backend-webgpu', error));
  }
  const create = dawn.create as ((flags: string[]) => unknown) | undefined;
  if (typeof create !== 'function') throw new Error("the 'webgpu' package exports no create()");
  const g = globalThis as Record<string, unknown>;
  if (dawn.globals && typeof dawn.globals === 'object') Object.assign(g, dawn.globals);
  if (g.navigator == null) g.navigator = {};
  const nav = g.navigator as Record<string, unknown>;
  if (nav.gpu == null) Object.defineProperty(nav, 'gpu', { value: create([]), configurable: true });
  await setBackendOrThrow(tf, 'webgpu');
  return { name: 'tfjs-webgpu', tf, tfBackend: 'webgpu', detail: 'WebGPU through Dawn', nativeSegmentSum: true, asyncReadsOnly: true };
}

/**
 * tfjs-backend-wasm: XNNPACK kernels, SIMD where the engine supports it. In
 * Node, tfjs-backend-wasm always loads its single-threaded build (its
 * threaded build needs browser workers): `threads` is passed to
 * `setThreadsCount` when this probe initializes the backend, and only takes
 * effect where the threaded build loads.
 */
async function loadWasm(threads: number | undefined): Promise<LoadedRuntime> {
  const tf = await loadTfCore();
  let wasm: Record<string, unknown>;
  try {
    wasm = await importOptional('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new Error(describeLoadError('@tensorflow/tfjs-backend-wasm', error));
  }
  const setWasmPaths = wasm.setWasmPaths as (prefix: string) => void;
  const setThreadsCount = wasm.setThreadsCount as (n: number) => void;
  const getThreadsCount = wasm.getThreadsCount as () => number;
  if (tf.engine().registry.wasm == null) {
    // Must precede the backend's initialization; harmless to repeat before it.
    setWasmPaths(wasmBinaryDirectory());
    if (threads != null && threads > 0) setThreadsCount(threads);
  }
  await setBackendOrThrow(tf, 'wasm');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  let used = 1;
  try {
    used = getThreadsCount();
  } catch {
    used = 1;
  }
  return {
    name: 'tfjs-wasm',
    tf,
    tfBackend: 'wasm',
    detail: `WebAssembly${simd ? ' SIMD' : ''}, ${used} thread${used === 1 ? '' : 's'}`,
    nativeSegmentSum: false,
    asyncReadsOnly: false,
  };
}

/** tfjs-backend-cpu: tfjs's plain JavaScript kernels (always loads). */
async function loadCpu(): Promise<LoadedRuntime> {
  const tf = await loadTfCore();
  try {
    await importOptional('@tensorflow/tfjs-backend-cpu');
  } catch (error) {
    throw new Error(describeLoadError('@tensorflow/tfjs-backend-cpu', error));
  }
  // PROD silences the "install tfjs-node" banner the cpu backend prints on first use.
  tf.env().set('PROD', true);
  await setBackendOrThrow(tf, 'cpu');
  return { name: 'tfjs-cpu', tf, tfBackend: 'cpu', detail: 'JavaScript kernels, 1 thread', nativeSegmentSum: false, asyncReadsOnly: false };
}

/**
 * Tries one runtime (once per process; later calls get the cached outcome).
 * Loading a runtime activates it, so callers re-activate the one they use.
 *
 * @param threads thread count for runtimes that take one at initialization (tfjs-wasm in browsers)
 */
export function probeRuntime(name: TfjsRuntimeName, threads?: number): Promise<RuntimeProbe> {
  let p = probes.get(name);
  if (!p) {
    const load = (): Promise<LoadedRuntime> => {
      switch (name) {
        case 'tfjs-node-gpu':
          return loadNative(name, '@tensorflow/tfjs-node-gpu');
        case 'tfjs-node':
          return loadNative(name, '@tensorflow/tfjs-node');
        case 'tfjs-webgpu':
          return loadWebGpu();
        case 'tfjs-wasm':
          return loadWasm(threads);
        case 'tfjs-cpu':
          return loadCpu();
      }
    };
    p = load().then(
      (runtime): RuntimeProbe => ({ name, available: true, runtime }),
      (error: unknown): RuntimeProbe => ({ name, available: false, reason: error instanceof Error ? error.message : String(error) }),
    );
    probes.set(name, p);
  }
  return p;
}

/** Makes `runtime` tfjs's current backend (cheap when it already is). */
export async function activateRuntime(runtime: LoadedRuntime): Promise<void> {
  if (runtime.tf.getBackend() !== runtime.tfBackend) await setBackendOrThrow(runtime.tf, runtime.tfBackend);
}

/** Parses {@link TFJS_RUNTIME_ENV}: a runtime name, or undefined when unset. Throws on an unknown name. */
export function runtimeFromEnv(value = process.env[TFJS_RUNTIME_ENV]): TfjsRuntimeName | undefined {
  if (value == null || value === '' || value === 'auto') return undefined;
  if ((TFJS_RUNTIME_ORDER as readonly string[]).includes(value)) return value as TfjsRuntimeName;
  throw new Error(`${TFJS_RUNTIME_ENV}='${value}' is not a tfjs runtime (use one of: auto, ${TFJS_RUNTIME_ORDER.join(', ')})`);
}
