/**
 * The job runner of the service: a FIFO queue with at most `maxConcurrent`
 * jobs running, each in its own child process (never on the server's event
 * loop), with a time limit, progress events for SSE, and dismissal that
 * terminates the thread and deletes the job's files.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import type { ProgressEvent } from '../common/progress.js';
import { isFinished, JobStore, newJobId, type JobEvent, type JobRecord, type JobStatus } from './job-store.js';
import type { JobInputs, ProcessId } from './processes.js';
import type { ResolvedData, WorkerJobSpec } from './run-job.js';
import type { WorkerMessage } from './job-worker.js';

/** Options of {@link JobManager}. */
export interface JobManagerOptions {
  /** Where job state and results live. */
  jobsDir: string;
  /** Jobs running at once; more wait in a queue. Default 2. */
  maxConcurrent?: number;
  /** Time limit of one job (queue time excluded), seconds. Default 3600. */
  timeLimitSeconds?: number;
  /** The worker entry (default: the compiled job-worker.js beside this module). */
  workerScript?: URL;
}

/** An OGC API – Processes status document: the record without its inputs, with links. */
export type StatusInfo = Omit<JobRecord, 'inputs'> & {
  type: 'process';
  links: { href: string; rel: string; type: string; title: string }[];
};

type Listener = (event: JobEvent) => void;

interface LiveJob {
  record: JobRecord;
  /** Events of this server's lifetime; `null` until loaded for jobs that ended before it. */
  events: JobEvent[] | null;
  listeners: Set<Listener>;
  waiters: Set<() => void>;
  data?: ResolvedData;
  /** predict: the model file it scores with. */
  modelFile?: string;
  worker?: ChildProcess;
  timer?: NodeJS.Timeout;
  /** Set once the job's end is decided, so a late message cannot change it. */
  ending?: Promise<void>;
  lastIterationAt: number;
  progressOf?: (event: ProgressEvent) => number | undefined;
}

const MAX_EVENTS = 10_000;
const ITERATION_EVENT_INTERVAL_MS = 100;

/**
 * The compiled worker entry. Under a TypeScript runner (tests) this module is
 * `src/service/job-manager.ts`; the worker then runs the build in `dist/`.
 */
export function defaultWorkerScript(): URL {
  const here = new URL('./job-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    const built = fileURLToPath(here).replace(/([\\/])src([\\/])service([\\/])job-worker\.js$/, '$1dist$1src$2service$3job-worker.js');
    if (existsSync(built)) return pathToFileURL(built);
  }
  return here;
}

/**
 * Maps a job's progress events to OGC's 0..100 `progress` (stateful: call it
 * with the job's events in order; it may return undefined for "no change").
 * Reading takes the first 5%, the clustering most of the bar, and for the
 * report the dendrogram, charts and files the last 30%.
 */
export function progressMapper(processID: ProcessId, inputs: JobInputs): (event: ProgressEvent) => number | undefined {
  const [workStart, workEnd] = processID === 'report' ? [5, 70] : [5, 95];
  let sweepDone = false;
  let completedKs = 0;
  let totalKs = processID === 'sweep' || processID === 'report' ? Math.max(1, (inputs.kMax ?? 10) - (inputs.kMin ?? 1) + 1) : 1;
  const fraction = (text: string | undefined): number | undefined => {
    const m = /([\d,]+) of ([\d,]+)/.exec(text ?? '') ?? /\((\d+)\/(\d+)\)/.exec(text ?? '');
    return m ? Number(m[1]!.replace(/,/g, '')) / Math.max(1, Number(m[2]!.replace(/,/g, ''))) : undefined;
  };
  return (event) => {
    switch (event.kind) {
      case 'phase': {
        if (event.phase === 'read' || event.phase === 'generate') return 2;
        if (event.phase === 'write' && event.detail === 'results') return 99;
        const f = fraction(event.detail) ?? 0;
        if (processID === 'report' && sweepDone) return event.phase === 'charts' ? 85 + 13 * f : event.phase === 'profile' || event.phase === 'write' ? 85 : 80 + 5 * f;
        if (processID === 'hclust') return event.phase === 'merging' ? 20 + 75 * f : undefined;
        return undefined;
      }
      case 'sweep-k':
        completedKs = event.index;
        totalKs = event.total;
        if (event.index === event.total) sweepDone = true;
        return workStart + ((workEnd - workStart) * event.index) / event.total;
      case 'iteration': {
        if (sweepDone) return undefined;
        const within = Math.min(1, (event.run + Math.min(1, event.iteration / Math.max(1, Math.min(event.maxIter, 50)))) / Math.max(1, event.nInit));
        return workStart + ((workEnd - workStart) * (completedKs + within)) / totalKs;
      }
      case 'fit':
        return processID === 'report' && sweepDone ? 78 : processID === 'kmeans' ? workEnd : undefined;
    }
  };
}

/** Runs and tracks jobs; see the module comment. */
export class JobManager {
  readonly store: JobStore;
  readonly maxConcurrent: number;
  readonly timeLimitSeconds: number;
  private readonly workerScript: URL;
  private readonly jobs = new Map<string, LiveJob>();
  private readonly queue: string[] = [];
  private running = 0;
  private closed = false;

  constructor(options: JobManagerOptions) {
    this.store = new JobStore(options.jobsDir);
    this.maxConcurrent = options.maxConcurrent ?? 2;
    this.timeLimitSeconds = options.timeLimitSeconds ?? 3600;
    this.workerScript = options.workerScript ?? defaultWorkerScript();
  }

  /** Loads the jobs folder: finished jobs are served again, interrupted ones are now `failed`. */
  async open(): Promise<void> {
    for (const record of await this.store.open()) {
      this.jobs.set(record.jobID, { record, events: null, listeners: new Set(), waiters: new Set(), lastIterationAt: 0 });
    }
  }

  /** A fresh job id and its (empty) input folder, for an upload to land in before {@link submit}. */
  async reserve(): Promise<{ jobID: string; inputDir: string }> {
    const jobID = newJobId();
    const inputDir = this.store.inputDir(jobID);
    await mkdir(inputDir, { recursive: true });
    return { jobID, inputDir };
  }

  /** Removes a reserved job's folder (an upload that failed). */
  async discard(jobID: string): Promise<void> {
    if (!this.jobs.has(jobID)) await this.store.remove(jobID);
  }

  /** Creates the job (status `accepted`) and queues it. */
  async submit(jobID: string, processID: ProcessId, inputs: JobInputs, data: ResolvedData, modelFile?: string): Promise<JobRecord> {
    const now = new Date().toISOString();
    const record: JobRecord = { jobID, processID, status: 'accepted', progress: 0, message: 'queued', created: now, started: null, finished: null, updated: now, inputs };
    await this.store.create(record);
    const job: LiveJob = { record, events: [], listeners: new Set(), waiters: new Set(), data, ...(modelFile ? { modelFile } : {}), lastIterationAt: 0, progressOf: progressMapper(processID, inputs) };
    this.jobs.set(jobID, job);
    this.emit(job, 'status', this.statusInfo(record) as unknown as Record<string, unknown>);
    this.queue.push(jobID);
    this.pump();
    return record;
  }

  /** The job's record, or undefined. */
  get(jobID: string): JobRecord | undefined {
    return this.jobs.get(jobID)?.record;
  }

  /** Every known job, oldest first. */
  list(): JobRecord[] {
    return [...this.jobs.values()].map((j) => j.record).sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Jobs waiting and running. */
  counts(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running };
  }

  /** The OGC status document of a record. */
  statusInfo(record: JobRecord, base = ''): StatusInfo {
    const href = `${base}/jobs/${record.jobID}`;
    const links: StatusInfo['links'] = [{ href, rel: 'self', type: 'application/json', title: 'this status' }];
    if (record.status === 'successful') {
      links.push({ href: `${href}/results`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/results', type: 'application/json', title: 'results' });
      for (const file of record.files ?? []) {
        const type = file.endsWith('.csv') ? 'text/csv' : file.endsWith('.html') ? 'text/html' : 'application/json';
        links.push({ href: `${href}/results/${file}`, rel: 'enclosure', type, title: file });
      }
    }
    return {
      type: 'process',
      jobID: record.jobID,
      processID: record.processID,
      status: record.status,
      progress: Math.round(record.progress),
      message: record.message,
      created: record.created,
      started: record.started,
      finished: record.finished,
      updated: record.updated,
      ...(record.code ? { code: record.code } : {}),
      links,
    };
  }

  /** Resolves when the job has finished or after `ms`, whichever is first. */
  async waitFor(jobID: string, ms: number): Promise<JobRecord | undefined> {
    const job = this.jobs.get(jobID);
    if (!job || isFinished(job.record.status)) return job?.record;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        job.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      job.waiters.add(done);
    });
    return job.record;
  }

  /**
   * The job's events after `afterId`, then live ones through `listener` until
   * the job ends. Returns `unsubscribe`, or null for an unknown job.
   */
  async subscribe(jobID: string, afterId: number, listener: Listener, onEnd: () => void): Promise<(() => void) | null> {
    const job = this.jobs.get(jobID);
    if (!job) return null;
    if (job.events === null) job.events = await this.store.loadEvents(jobID);
    for (const event of job.events) if (event.id > afterId) listener(event);
    if (isFinished(job.record.status)) {
      onEnd();
      return () => undefined;
    }
    const wrapped: Listener = (event) => {
      listener(event);
      if (event.event === 'status' && isFinished(event.data['status'] as JobStatus)) {
        job.listeners.delete(wrapped);
        onEnd();
      }
    };
    job.listeners.add(wrapped);
    return () => job.listeners.delete(wrapped);
  }

  /**
   * Dismisses a job: a running one is stopped (its thread terminated), a
   * queued one leaves the queue; its files are deleted either way. Resolves to
   * the dismissed record, or undefined for an unknown job.
   */
  async dismiss(jobID: string): Promise<JobRecord | undefined> {
    const job = this.jobs.get(jobID);
    if (!job) return undefined;
    const at = this.queue.indexOf(jobID);
    if (at >= 0) this.queue.splice(at, 1);
    if (!isFinished(job.record.status)) {
      await this.end(job, 'dismissed', 'dismissed by the client', undefined, { keepFiles: false });
    } else if (job.record.status !== 'dismissed') {
      await this.flush();
      await this.store.remove(jobID);
      this.update(job, { status: 'dismissed', message: 'dismissed by the client; its results were deleted' });
    }
    return job.record;
  }

  /** Stops every running job (recorded as `failed`, as after a restart) and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    const ends: Promise<void>[] = [];
    for (const job of this.jobs.values()) {
      if (!isFinished(job.record.status)) {
        const interrupted = job.record.status === 'running' ? 'while the job was running' : 'before the job started';
        ends.push(this.end(job, 'failed', `the server stopped ${interrupted}; submit the job again`, 'INTERRUPTED', { keepFiles: false }));
      }
    }
    await Promise.all(ends);
  }

  private pump(): void {
    while (!this.closed && this.running < this.maxConcurrent && this.queue.length > 0) {
      const job = this.jobs.get(this.queue.shift()!);
      if (job && job.record.status === 'accepted') this.start(job);
    }
  }

  private start(job: LiveJob): void {
    this.running++;
    const id = job.record.jobID;
    const now = new Date().toISOString();
    this.update(job, { status: 'running', started: now, message: 'running', progress: 1 });
    const spec: WorkerJobSpec = {
      processID: job.record.processID,
      inputs: job.record.inputs,
      data: job.data!,
      partialDir: this.store.partialResultsDir(id),
      resultsDir: this.store.resultsDir(id),
      ...(job.modelFile ? { modelFile: job.modelFile } : {}),
    };
    // A child process, not a worker thread: killing it is safe whatever it runs
    // (terminating a thread inside DuckDB's native code aborts the whole server).
    const worker = fork(fileURLToPath(this.workerScript), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    worker.send(spec);
    job.worker = worker;
    worker.on('message', (message: WorkerMessage) => {
      if (job.ending) return;
      if (message.type === 'progress') this.onProgress(job, message.event);
      else if (message.type === 'done') void this.end(job, 'successful', 'done', undefined, { keepFiles: true });
      else void this.end(job, 'failed', message.message, message.code, { keepFiles: false });
    });
    worker.on('error', (error) => {
      if (!job.ending) void this.end(job, 'failed', `the job's worker failed: ${error.message}`, 'INTERNAL', { keepFiles: false });
    });
    worker.on('exit', (code) => {
      if (!job.ending) void this.end(job, 'failed', `the job's worker exited (code ${code}) before it finished`, 'INTERNAL', { keepFiles: false });
    });
    job.timer = setTimeout(() => {
      if (!job.ending) void this.end(job, 'failed', `the job ran past its time limit of ${this.timeLimitSeconds} s and was stopped`, 'TIME_LIMIT', { keepFiles: false });
    }, this.timeLimitSeconds * 1000);
    job.timer.unref();
  }

  private onProgress(job: LiveJob, event: ProgressEvent): void {
    const progress = job.progressOf?.(event);
    if (progress !== undefined && progress > job.record.progress) job.record.progress = Math.min(99, progress);
    if (event.kind === 'iteration') {
      const now = performance.now();
      if (now - job.lastIterationAt < ITERATION_EVENT_INTERVAL_MS || (job.events?.length ?? 0) > MAX_EVENTS) return;
      job.lastIterationAt = now;
    }
    job.record.message = describeEvent(event);
    this.emit(job, 'progress', { ...event, progress: Math.round(job.record.progress) });
  }

  /** Decides the job's end once: stops its thread, settles its files and record, wakes waiters. */
  private end(job: LiveJob, status: JobStatus, message: string, code: string | undefined, opts: { keepFiles: boolean }): Promise<void> {
    if (job.ending) return job.ending;
    job.ending = (async () => {
      const wasRunning = job.worker !== undefined;
      if (job.timer) clearTimeout(job.timer);
      if (job.worker) {
        const child = job.worker;
        if (child.exitCode === null && child.signalCode === null) {
          await new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          });
        }
        job.worker = undefined;
      }
      const id = job.record.jobID;
      const files = status === 'successful' ? await resultFiles(this.store.resultsDir(id)) : undefined;
      await this.flush();
      if (status === 'dismissed') await this.store.remove(id);
      else if (!opts.keepFiles) await this.store.clearOutputs(id);
      const now = new Date().toISOString();
      const change: Partial<JobRecord> = {
        status,
        message,
        finished: now,
        updated: now,
        ...(status === 'successful' ? { progress: 100, files } : {}),
        ...(code ? { code } : {}),
      };
      // The events (the final status included) are on disk before the job shows as ended.
      if (status !== 'dismissed') {
        const events = job.events ?? [];
        const final: JobEvent = { id: (events[events.length - 1]?.id ?? 0) + 1, event: 'status', data: this.statusInfo({ ...job.record, ...change }) as unknown as Record<string, unknown> };
        await this.store.saveEvents(id, [...events, final]);
      }
      this.update(job, change);
      await this.flush();
      if (wasRunning) this.running--;
      for (const wake of [...job.waiters]) wake();
      this.pump();
    })();
    return job.ending;
  }

  /** Changes the record, saves it (except for dismissed jobs, whose folder is gone) and emits a status event. */
  private update(job: LiveJob, change: Partial<JobRecord>): void {
    Object.assign(job.record, { updated: new Date().toISOString() }, change);
    const info = this.statusInfo(job.record) as unknown as Record<string, unknown>;
    if (job.record.status !== 'dismissed') void this.saveQuietly(job.record);
    this.emit(job, 'status', info);
  }

  private saveChain = Promise.resolve();
  private saveQuietly(record: JobRecord): Promise<void> {
    const snapshot = structuredClone(record);
    // Saves run one after another so an older record never lands last.
    this.saveChain = this.saveChain.then(() => this.store.save(snapshot)).catch(() => undefined);
    return this.saveChain;
  }

  /** Waits for every pending record write (tests, shutdown). */
  async flush(): Promise<void> {
    await this.saveChain;
  }

  private emit(job: LiveJob, event: JobEvent['event'], data: Record<string, unknown>): void {
    if (job.events === null) job.events = [];
    const entry: JobEvent = { id: (job.events[job.events.length - 1]?.id ?? 0) + 1, event, data };
    job.events.push(entry);
    for (const listener of [...job.listeners]) listener(entry);
  }
}

/** The files a job's results hold that clients fetch: labels.csv, model.json, report/index.html. */
async function resultFiles(dir: string): Promise<string[]> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  return ['labels.csv', 'model.json'].filter((f) => names.has(f)).concat(names.has('report') ? ['report/index.html'] : []);
}

/** A short human line for a progress event (the status `message`). */
function describeEvent(event: ProgressEvent): string {
  switch (event.kind) {
    case 'phase':
      return event.detail ? `${event.phase}: ${event.detail}` : event.phase;
    case 'sweep-k':
      return `sweep: k = ${event.k} done (${event.index} of ${event.total})`;
    case 'iteration':
      return `k = ${event.k}: run ${event.run + 1} of ${event.nInit}, iteration ${event.iteration}`;
    case 'fit':
      return `fitted k = ${event.k} (WCSS ${event.wcss.toPrecision(6)})`;
  }
}
