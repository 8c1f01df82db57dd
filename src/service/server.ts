/**
 * A standalone segmenta job server: Fastify with the service plugin at the
 * root. `segmenta serve` runs this.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { segmentaService, type ServiceOptions } from './service-plugin.js';

/** Options of {@link createServer}: the service's options and Fastify's logger switch. */
export interface ServerOptions extends ServiceOptions {
  /** Log requests (pino, JSON lines on stdout). Default false. */
  logger?: boolean;
}

/**
 * Builds the server (not listening yet); `await server.listen({ host, port })`
 * starts it and `await server.close()` stops it, recording running jobs as failed.
 *
 * @example
 * const server = await createServer({ jobsDir: './jobs', dataDir: './data' });
 * await server.listen({ host: '127.0.0.1', port: 8080 });
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { logger, ...service } = options;
  const app = Fastify({
    logger: logger ?? false,
    // JSON bodies are specs, never data: uploads go through multipart.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });
  await app.register(segmentaService, service);
  return app;
}
