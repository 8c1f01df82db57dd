/**
 * Registers the backends that ship with segmenta. Import this module (the
 * public entry point does) before resolving a backend.
 */
import { registerBackend } from './backend-registry.js';
import { jsReferenceBackend } from './js-reference/js-reference-backend.js';
import { tfjsBackend } from './tfjs/tfjs-backend.js';
import { wasmBackend } from './wasm/wasm-backend.js';

registerBackend(jsReferenceBackend);
registerBackend(tfjsBackend);
registerBackend(wasmBackend);
