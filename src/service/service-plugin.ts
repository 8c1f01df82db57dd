/**
 * The segmentation job service as a Fastify plugin, in the shape of OGC API –
 * Processes: processes, asynchronous jobs with status and progress, results,
 * Server-Sent Events and dismissal, plus model scoring and a web page.
 *
 * @example Standalone: `segmenta serve --data-dir ./data --jobs-dir ./jobs`.
 * @example In your own Fastify app, under a prefix:
 * ```ts
 * import Fastify from 'fastify';
 * import { segmentaService } from 'segmenta/service';
 * const app = Fastify();
 * await app.register(segmentaService, { prefix: '/segments', jobsDir: './jobs', dataDir: './data' });
 * await app.listen({ port: 3000 });
 * ```
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import { isUserError, SegmentaError } from '../common/errors.js';
import { bearerChecker } from './auth.js';
import { generatedTarget, resolveDataPath, uploadTarget } from './data-source.js';
import { isFinished, isJobId, type JobEvent, type JobRecord } from './job-store.js';
import { JobManager } from './job-manager.js';
import { describeValidationErrors, findUnknownField, type AjvErrorLike } from './input-validation.js';
import { PROCESS_DESCRIPTIONS, PROCESS_IDS, PROCESS_INPUT_SCHEMAS, isProcessId, type JobInputs, type ProcessId } from './processes.js';
import type { ResolvedData } from './run-job.js';
import { loadModel, type CustomerRecord, type KMeansModel } from '../results/kmeans-model.js';
import { WEB_PAGE_FILES } from './web-page.js';

/** Options of {@link segmentaService}. */
export interface ServiceOptions {
  /** Job state and results (created when missing). */
  jobsDir: string;
  /** Folder that `inputs.data.path` is relative to; without it, only uploads and generated data. */
  dataDir?: string;
  /** Require `Authorization: Bearer <token>` on every route but `/health` and the web page's static files. */
  token?: string;
  /** Jobs running at once. Default 2. */
  maxConcurrent?: number;
  /** Largest upload, in MB. Default 100. */
  maxUploadMB?: number;
  /** Time limit of one job, seconds. Default 3600. */
  timeLimitSeconds?: number;
  /** Longest `Prefer: wait=N` honoured, seconds. Default 60. */
  maxWaitSeconds?: number;
  /** Serve the OpenAPI document at `<prefix>/openapi.json` (registers @fastify/swagger inside the plugin). Default true. */
  openapi?: boolean;
  /** The worker entry (tests). */
  workerScript?: URL;
}

/** The body of every error answer (RFC 7807 problem details, as OGC API – Processes uses). */
interface Problem {
  status: number;
  title: string;
  code: string;
  detail: string;
  field?: string;
}

const PUBLIC_PATHS = new Set(['/health', ...Object.keys(WEB_PAGE_FILES)]);

const problemSchema = {
  type: 'object',
  properties: { status: { type: 'integer' }, title: { type: 'string' }, code: { type: 'string' }, detail: { type: 'string' }, field: { type: 'string' } },
} as const;

const statusInfoSchema = {
  type: 'object',
  required: ['jobID', 'status', 'progress'],
  properties: {
    type: { type: 'string', const: 'process' },
    jobID: { type: 'string' },
    processID: { type: 'string', enum: [...PROCESS_IDS] },
    status: { type: 'string', enum: ['accepted', 'running', 'successful', 'failed', 'dismissed'] },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    message: { type: 'string' },
    created: { type: 'string', format: 'date-time' },
    started: { type: ['string', 'null'] },
    finished: { type: ['string', 'null'] },
    updated: { type: 'string' },
    code: { type: 'string' },
    links: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

const jobParams = { type: 'object', required: ['jobID'], properties: { jobID: { type: 'string', maxLength: 100 } } } as const;

function problem(reply: FastifyReply, status: number, code: string, detail: string, field?: string): FastifyReply {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 500: 'Internal Server Error' };
  const body: Problem = { status, title: titles[status] ?? 'Error', code, detail, ...(field ? { field } : {}) };
  return reply.code(status).type('application/json').send(body);
}

function notFoundJob(reply: FastifyReply, jobID: string): FastifyReply {
  return problem(reply, 404, 'NO_SUCH_JOB', `no job '${jobID}'`);
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The job service; see the module comment. */
export const segmentaService: FastifyPluginAsync<ServiceOptions> = async (app: FastifyInstance, options: ServiceOptions) => {
  const manager = new JobManager({
    jobsDir: options.jobsDir,
    ...(options.maxConcurrent !== undefined ? { maxConcurrent: options.maxConcurrent } : {}),
    ...(options.timeLimitSeconds !== undefined ? { timeLimitSeconds: options.timeLimitSeconds } : {}),
    ...(options.workerScript ? { workerScript: options.workerScript } : {}),
  });
  await manager.open();
  // preClose runs before Fastify waits for open connections: a running job is
  // stopped (and recorded as failed) at once, and its event streams end, instead
  // of the job running on while an open /events stream holds the close.
  app.addHook('preClose', async () => manager.close());
  app.decorate('segmentaJobs', manager);

  const prefix = app.prefix;
  const maxUploadBytes = Math.round((options.maxUploadMB ?? 100) * 1024 * 1024);
  const maxWait = options.maxWaitSeconds ?? 60;
  await app.register(fastifyMultipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 1024 * 1024 } });
  if (options.openapi !== false) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'segmenta job service', description: 'Customer segmentation jobs in the shape of OGC API – Processes.', version: '1.0.0' },
        ...(options.token ? { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] } : {}),
      },
    });
  }

  // --- auth -------------------------------------------------------------
  if (options.token) {
    const check = bearerChecker(options.token);
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0]!.slice(prefix.length) || '/';
      if (PUBLIC_PATHS.has(path)) return;
      if (!check(request.headers.authorization)) {
        reply.header('WWW-Authenticate', 'Bearer realm="segmenta"');
        return problem(reply, 401, 'UNAUTHORIZED', 'this server needs Authorization: Bearer <token>');
      }
    });
  }

  // --- errors -----------------------------------------------------------
  app.setErrorHandler((error: Error & { validation?: AjvErrorLike[]; validationContext?: string; statusCode?: number; code?: string }, request, reply) => {
    if (error.validation) {
      const where = error.validationContext === 'body' ? '' : (error.validationContext ?? '');
      const p = describeValidationErrors(error.validation, where);
      return problem(reply, 400, 'INVALID_INPUT', p.message, p.field);
    }
    if (error.statusCode === 413 || error.code === 'FST_REQ_FILE_TOO_LARGE' || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return problem(reply, 413, 'PAYLOAD_TOO_LARGE', `the upload is larger than this server's limit of ${options.maxUploadMB ?? 100} MB`);
    }
    if (isUserError(error)) {
      const field = typeof error.details['field'] === 'string' ? (error.details['field'] as string) : undefined;
      return problem(reply, 400, error.code, error.message, field);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return problem(reply, error.statusCode, error.code ?? 'BAD_REQUEST', error.message);
    request.log.error(error);
    return problem(reply, 500, 'INTERNAL', 'internal error; see the server log');
  });

  // --- health, page, OpenAPI ------------------------------------------
  app.get(
    '/health',
    {
      schema: {
        summary: 'liveness, the queue, and whether the other routes need a token',
        security: [],
        response: { 200: { type: 'object', properties: { status: { type: 'string' }, queued: { type: 'integer' }, running: { type: 'integer' }, auth: { type: 'boolean' } } } },
      },
    },
    async () => ({ status: 'ok', ...manager.counts(), auth: options.token !== undefined }),
  );
  for (const [path, file] of Object.entries(WEB_PAGE_FILES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(file.type)
        .header('Cache-Control', 'no-cache')
        .header('Content-Security-Policy', "default-src 'self'; frame-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'")
        .send(file.body),
    );
  }
  if (options.openapi !== false) {
    app.get('/openapi.json', { schema: { summary: 'this OpenAPI document', hide: true } }, async () => app.swagger());
  }

  // --- processes ------------------------------------------------------
  const summary = (id: ProcessId): Record<string, unknown> => ({
    id,
    title: PROCESS_DESCRIPTIONS[id].title,
    description: PROCESS_DESCRIPTIONS[id].description,
    version: '1.0.0',
    jobControlOptions: ['async-execute', 'sync-execute', 'dismiss'],
    outputTransmission: ['value', 'reference'],
    links: [
      { href: `${prefix}/processes/${id}`, rel: 'self', type: 'application/json', title: 'process description' },
      { href: `${prefix}/processes/${id}/execution`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/execute', type: 'application/json', title: 'execute' },
    ],
  });
  const describe = (id: ProcessId): Record<string, unknown> => ({ ...summary(id), inputs: PROCESS_INPUT_SCHEMAS[id], outputs: PROCESS_DESCRIPTIONS[id].outputs });
  app.get('/processes', { schema: { summary: 'the processes and their input schemas' } }, async () => ({ processes: PROCESS_IDS.map(describe) }));
  app.get<{ Params: { processID: string } }>('/processes/:processID', { schema: { summary: 'one process' } }, async (request, reply) => {
    const id = request.params.processID;
    if (!isProcessId(id)) return problem(reply, 404, 'NO_SUCH_PROCESS', `no process '${id}'; the processes are ${PROCESS_IDS.join(', ')}`);
    return describe(id);
  });

  for (const id of PROCESS_IDS) {
    const bodySchema = { type: 'object', additionalProperties: false, required: ['inputs'], properties: { inputs: PROCESS_INPUT_SCHEMAS[id] } };
    app.post(
      `/processes/${id}/execution`,
      {
        schema: {
          summary: `execute ${id}: {"inputs": {...}} as JSON, or multipart with an "inputs" JSON field and a "data" file`,
          headers: { type: 'object', properties: { prefer: { type: 'string', description: 'wait=N: answer with the results when done within N seconds' } } },
          body: { content: { 'application/json': { schema: bodySchema } } },
          response: { 201: statusInfoSchema, 400: problemSchema, 413: problemSchema },
        },
        preValidation: async (request, reply) => {
          if (request.isMultipart()) return;
          const unknown = findUnknownField(request.body, bodySchema, '');
          if (unknown) return problem(reply, 400, 'INVALID_INPUT', unknown.message, unknown.field);
        },
      },
      async (request, reply) => execute(id, bodySchema, request, reply),
    );
  }
  app.post<{ Params: { processID: string } }>('/processes/:processID/execution', { schema: { hide: true } }, async (request, reply) =>
    problem(reply, 404, 'NO_SUCH_PROCESS', `no process '${request.params.processID}'; the processes are ${PROCESS_IDS.join(', ')}`),
  );

  async function execute(id: ProcessId, bodySchema: Record<string, unknown>, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { jobID, inputDir } = await manager.reserve();
    let data: ResolvedData;
    let inputs: JobInputs;
    let modelFile: string | undefined;
    try {
      let body: unknown = request.body;
      let upload: { name: string; data: ResolvedData } | undefined;
      if (request.isMultipart()) {
        let inputsText: string | undefined;
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (upload) throw new SegmentaError('INVALID_OPTION', 'upload one data file per job', { field: 'data' });
            const target = uploadTarget(inputDir, part.filename || part.fieldname);
            await pipeline(part.file, createWriteStream(target.file));
            if (part.file.truncated) throw Object.assign(new Error('file too large'), { statusCode: 413 });
            upload = { name: part.filename, data: target };
          } else if (part.fieldname === 'inputs') {
            inputsText = String(part.value);
          }
        }
        if (inputsText === undefined) throw new SegmentaError('INVALID_OPTION', 'multipart requests need an "inputs" field holding the inputs as JSON', { field: 'inputs' });
        try {
          body = { inputs: JSON.parse(inputsText) as unknown };
        } catch {
          throw new SegmentaError('INVALID_OPTION', 'the "inputs" field is not valid JSON', { field: 'inputs' });
        }
        const unknown = findUnknownField(body, bodySchema, '');
        if (unknown) throw new SegmentaError('INVALID_OPTION', unknown.message, { field: unknown.field });
        const validate = request.compileValidationSchema(bodySchema);
        if (!validate(body)) {
          const p = describeValidationErrors((validate.errors ?? []) as AjvErrorLike[]);
          throw new SegmentaError('INVALID_OPTION', p.message, { field: p.field });
        }
      }
      inputs = (body as { inputs: JobInputs }).inputs;
      if (upload) {
        if (inputs.data) throw new SegmentaError('INVALID_OPTION', 'give the data either as an uploaded file or as inputs.data, not both', { field: 'inputs.data' });
        data = upload.data;
        inputs = { ...inputs, data: { upload: { file: 'upload', name: upload.name } } };
      } else if (!inputs.data) {
        throw new SegmentaError('INVALID_OPTION', 'inputs.data is required: {"path": "file.csv"} inside the data folder, {"generate": {"rows": N}}, or upload a file', {
          field: 'inputs.data',
        });
      } else if ('path' in inputs.data) {
        data = await resolveDataPath(options.dataDir, inputs.data.path);
      } else if ('generate' in inputs.data) {
        data = generatedTarget(inputDir, inputs.data.generate);
      } else {
        throw new SegmentaError('INVALID_OPTION', 'inputs.data.upload is set by the server; upload a file part named "data" instead', { field: 'inputs.data' });
      }
      checkInputs(id, inputs);
      if (id === 'predict') modelFile = modelFileOf(inputs.model!.job, 'inputs.model.job');
    } catch (error) {
      await manager.discard(jobID);
      throw error;
    }
    const record = await manager.submit(jobID, id, inputs, data, modelFile);
    const location = `${prefix}/jobs/${jobID}`;
    reply.header('Location', location);
    const wait = /(?:^|[,;\s])wait=(\d+)/.exec(String(request.headers['prefer'] ?? ''));
    if (wait) {
      const seconds = Math.min(Number(wait[1]), maxWait);
      const done = await manager.waitFor(jobID, seconds * 1000);
      reply.header('Preference-Applied', `wait=${seconds}`);
      if (done?.status === 'successful') {
        return reply.code(200).type('application/json').send(createReadStream(join(manager.store.resultsDir(jobID), 'results.json')));
      }
      if (done?.status === 'failed') return problem(reply, done.code === 'INTERNAL' ? 500 : 400, done.code ?? 'JOB_FAILED', done.message);
    }
    return reply.code(201).send(manager.statusInfo(manager.get(jobID) ?? record, prefix));
  }

  function checkInputs(id: ProcessId, inputs: JobInputs): void {
    if ((id === 'sweep' || id === 'report') && inputs.kMin !== undefined && inputs.kMax !== undefined && inputs.kMin > inputs.kMax) {
      throw new SegmentaError('INVALID_K', `inputs.kMin (${inputs.kMin}) must not exceed inputs.kMax (${inputs.kMax})`, { field: 'inputs.kMin' });
    }
  }

  /** The model.json of a successful kmeans or report job; throws `INVALID_OPTION` naming `field` otherwise. */
  function modelFileOf(modelJob: string, field: string): string {
    const record = isJobId(modelJob) ? manager.get(modelJob) : undefined;
    if (!record || record.status !== 'successful' || !(record.files ?? []).includes('model.json')) {
      throw new SegmentaError('INVALID_OPTION', `${field} '${modelJob}' is not a successful kmeans or report job with a model`, { field });
    }
    return join(manager.store.resultsDir(modelJob), 'model.json');
  }

  // --- models -----------------------------------------------------------
  // Loaded once per job and kept while the job is successful (a dismissed job's model is dropped).
  const models = new Map<string, Promise<KMeansModel>>();
  const customerSchema = {
    type: 'object',
    minProperties: 1,
    maxProperties: 4096,
    additionalProperties: { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'null' }] },
  } as const;
  app.post<{ Params: { jobID: string }; Body: { customer?: CustomerRecord; customers?: CustomerRecord[] } }>(
    '/models/:jobID/predict',
    {
      schema: {
        summary: "score one customer ({customer}) or a batch ({customers}) with a finished kmeans or report job's model",
        params: jobParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: { customer: customerSchema, customers: { type: 'array', minItems: 1, maxItems: 100_000, items: customerSchema } },
        },
        response: {
          200: { type: 'object', properties: { segment: { type: 'integer' }, segments: { type: 'array', items: { type: 'integer' } } } },
          400: problemSchema,
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { jobID } = request.params;
      const record = lookup(jobID);
      if (!record) return notFoundJob(reply, jobID);
      if (record.status !== 'successful' || !(record.files ?? []).includes('model.json')) {
        models.delete(jobID);
        return problem(reply, 404, 'NO_MODEL', `job '${jobID}' has no model: ${record.status === 'successful' ? `${record.processID} jobs save none (kmeans and report do)` : `it is ${record.status}`}`);
      }
      let loading = models.get(jobID);
      if (!loading) {
        loading = loadModel(join(manager.store.resultsDir(jobID), 'model.json'));
        models.set(jobID, loading);
        loading.catch(() => models.delete(jobID));
      }
      const model = await loading;
      const { customer, customers } = request.body;
      return customer !== undefined ? { segment: model.predictOne(customer) } : { segments: Array.from(model.predict(customers!)) };
    },
  );

  // --- jobs -----------------------------------------------------------
  app.get('/jobs', { schema: { summary: 'every job, oldest first' } }, async () => ({
    jobs: manager.list().map((r) => manager.statusInfo(r, prefix)),
    links: [{ href: `${prefix}/jobs`, rel: 'self', type: 'application/json', title: 'jobs' }],
  }));

  const lookup = (jobID: string): JobRecord | undefined => (isJobId(jobID) ? manager.get(jobID) : undefined);

  app.get<{ Params: { jobID: string } }>('/jobs/:jobID', { schema: { summary: 'status of a job', params: jobParams, response: { 200: statusInfoSchema, 404: problemSchema } } }, async (request, reply) => {
    const record = lookup(request.params.jobID);
    return record ? manager.statusInfo(record, prefix) : notFoundJob(reply, request.params.jobID);
  });

  app.delete<{ Params: { jobID: string } }>('/jobs/:jobID', { schema: { summary: 'dismiss a job: stop it and delete its files', params: jobParams, response: { 200: statusInfoSchema, 404: problemSchema } } }, async (request, reply) => {
    if (!lookup(request.params.jobID)) return notFoundJob(reply, request.params.jobID);
    const record = await manager.dismiss(request.params.jobID);
    return manager.statusInfo(record!, prefix);
  });

  app.get<{ Params: { jobID: string }; Querystring: { lastEventId?: string } }>(
    '/jobs/:jobID/events',
    { schema: { summary: 'Server-Sent Events: progress and status; Last-Event-ID resumes', params: jobParams } },
    async (request, reply) => {
      const { jobID } = request.params;
      if (!lookup(jobID)) return notFoundJob(reply, jobID);
      const lastId = Number(request.headers['last-event-id'] ?? request.query.lastEventId ?? 0);
      const after = Number.isFinite(lastId) && lastId > 0 ? Math.floor(lastId) : 0;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.write('retry: 1000\n\n');
      const send = (e: JobEvent): void => {
        res.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      };
      let ended = false;
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const finish = (): void => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        res.end();
      };
      const unsubscribe = await manager.subscribe(jobID, after, send, finish);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe?.();
      });
    },
  );

  // --- results --------------------------------------------------------
  async function resultsDirOf(jobID: string, reply: FastifyReply): Promise<string | null> {
    const record = lookup(jobID);
    if (!record) {
      notFoundJob(reply, jobID);
      return null;
    }
    if (record.status !== 'successful') {
      const detail = isFinished(record.status) ? `job '${jobID}' has no results: it is ${record.status} (${record.message})` : `the results of job '${jobID}' are not ready: it is ${record.status}`;
      problem(reply, 404, isFinished(record.status) ? 'NO_RESULTS' : 'RESULT_NOT_READY', detail);
      return null;
    }
    return manager.store.resultsDir(jobID);
  }

  async function sendResultFile(reply: FastifyReply, dir: string, rel: string): Promise<FastifyReply> {
    const root = await realpath(dir);
    let real: string;
    try {
      real = await realpath(join(root, rel));
    } catch {
      return problem(reply, 404, 'NO_SUCH_FILE', `no result file '${rel}'`);
    }
    const inside = relative(root, real);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside) || !(await stat(real)).isFile()) {
      return problem(reply, 404, 'NO_SUCH_FILE', `no result file '${rel}'`);
    }
    const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    return reply.type(type).header('Cache-Control', 'no-cache').send(createReadStream(real));
  }

  app.get<{ Params: { jobID: string } }>('/jobs/:jobID/results', { schema: { summary: 'the results document (as the CLI --json prints it)', params: jobParams } }, async (request, reply) => {
    const dir = await resultsDirOf(request.params.jobID, reply);
    return dir ? sendResultFile(reply, dir, 'results.json') : reply;
  });

  app.get<{ Params: { jobID: string; '*': string } }>(
    '/jobs/:jobID/results/*',
    { schema: { summary: 'a result file: labels.csv, model.json, report/index.html, report/*.png, report/segments.json', params: { type: 'object', properties: { jobID: { type: 'string' }, '*': { type: 'string' } } } } },
    async (request, reply) => {
      const dir = await resultsDirOf(request.params.jobID, reply);
      if (!dir) return reply;
      const rel = request.params['*'];
      if (rel.split('/').some((p) => p === '..' || p === '') || rel.includes('\0') || rel === 'results.json') {
        return problem(reply, 404, 'NO_SUCH_FILE', `no result file '${rel}'`);
      }
      return sendResultFile(reply, dir, rel);
    },
  );
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The job manager of a registered segmenta service. */
    segmentaJobs: JobManager;
  }
}
