/**
 * `segmenta/service`: the segmentation job service as a Fastify plugin
 * ({@link segmentaService}) or a standalone server ({@link createServer}).
 * See docs/service.md.
 */
export { segmentaService } from './service-plugin.js';
export type { ServiceOptions } from './service-plugin.js';
export { createServer } from './server.js';
export type { ServerOptions } from './server.js';
export type { StatusInfo } from './job-manager.js';
export type { JobStatus } from './job-store.js';
export { PROCESS_IDS, PROCESS_INPUT_SCHEMAS } from './processes.js';
export type { ProcessId, JobInputs } from './processes.js';
