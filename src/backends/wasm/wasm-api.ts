/**
 * The slice of the WebAssembly JS API the wasm backend uses, typed locally:
 * the project compiles with `lib: ES2022` and Node 20's typings, which do not
 * declare the `WebAssembly` global.
 */

/** A compiled module (cloneable to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory; `shared: true` makes `buffer` a SharedArrayBuffer. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** `globalThis.WebAssembly`, or undefined where the runtime has none. */
export const wasmApi: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
