/**
 * Job state on disk, in `--jobs-dir`. One folder per job, named by its UUID:
 *
 * - `job.json`: the job's record (status, progress, times, inputs), replaced
 *   atomically (temp file + rename) at every change of status;
 * - `input/`: the uploaded or generated customers the job reads;
 * - `results/`: what the job produced. The worker writes into
 *   `results.partial/` and renames it to `results/` only once complete, and the
 *   record turns `successful` only after that rename, so a half-written result
 *   is never served;
 * - `events.json`: the job's progress events, written when it ends (so a
 *   restarted server can still replay them over SSE).
 *
 * On open, a job that was `accepted` or `running` when the server stopped is
 * marked `failed` (its partial output removed); finished jobs are served as
 * they were. The store touches only folders it created (a UUID name holding a
 * `job.json`), and refuses a non-empty folder that is not a jobs folder.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SegmentaError } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { JobInputs, ProcessId } from './processes.js';

/** OGC API – Processes job statuses. */
export type JobStatus = 'accepted' | 'running' | 'successful' | 'failed' | 'dismissed';

/** True for the statuses a job never leaves. */
export function isFinished(status: JobStatus): boolean {
  return status === 'successful' || status === 'failed' || status === 'dismissed';
}

/** A job as the store keeps it. */
export interface JobRecord {
  jobID: string;
  processID: ProcessId;
  status: JobStatus;
  /** 0..100. */
  progress: number;
  message: string;
  /** ISO 8601 times. */
  created: string;
  started: string | null;
  finished: string | null;
  updated: string;
  /** The validated inputs (an upload is named by its original file name only). */
  inputs: JobInputs;
  /** Error code of a failed job (`INVALID_OPTION`, `TIME_LIMIT`, …). */
  code?: string;
  /** Files a successful job produced besides results.json (`labels.csv`, `model.json`, `report/index.html`). */
  files?: string[];
}

/** A progress or status event of a job, as SSE sends it. */
export interface JobEvent {
  /** 1-based, increasing per job: the SSE `id`. */
  id: number;
  /** SSE event name: `progress` (a pipeline event) or `status`. */
  event: 'progress' | 'status';
  data: Record<string, unknown>;
}

const MARKER = '.segmenta-jobs';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` has the shape of a job id (a UUID), so it can name a folder safely. */
export function isJobId(id: string): boolean {
  return UUID.test(id);
}

/** A fresh job id. */
export function newJobId(): string {
  return randomUUID();
}

/** Folder layout of the jobs directory. */
export class JobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The folder of one job. */
  jobDir(id: string): string {
    if (!isJobId(id)) throw new SegmentaError('INVALID_OPTION', `'${id}' is not a job id`, { jobID: id });
    return join(this.root, id);
  }
  inputDir(id: string): string {
    return join(this.jobDir(id), 'input');
  }
  resultsDir(id: string): string {
    return join(this.jobDir(id), 'results');
  }
  partialResultsDir(id: string): string {
    return join(this.jobDir(id), 'results.partial');
  }

  /**
   * Creates the jobs folder (or checks that an existing one is a jobs folder)
   * and loads every job, marking those that were interrupted as failed.
   */
  async open(): Promise<JobRecord[]> {
    await mkdir(this.root, { recursive: true });
    const entries = await readdir(this.root);
    if (!entries.includes(MARKER)) {
      if (entries.length > 0) {
        throw new SegmentaError(
          'INVALID_OPTION',
          `--jobs-dir '${this.root}' is not empty and is not a segmenta jobs folder (no ${MARKER}); choose an empty or new folder`,
          { option: 'jobs-dir', path: this.root },
        );
      }
      await writeFile(join(this.root, MARKER), 'segmenta job service state; each UUID folder is one job\n');
    }
    const jobs: JobRecord[] = [];
    for (const name of entries) {
      if (!isJobId(name)) continue;
      const record = await this.readRecord(name);
      if (!record) continue;
      if (!isFinished(record.status)) {
        const interrupted = record.status === 'running' ? 'while the job was running' : 'before the job started';
        await this.clearOutputs(name);
        Object.assign(record, {
          status: 'failed',
          code: 'INTERRUPTED',
          message: `the server stopped ${interrupted}; submit the job again`,
          finished: new Date().toISOString(),
          updated: new Date().toISOString(),
        });
        await this.save(record);
      } else if (record.status === 'successful' && !(await isDirectory(this.resultsDir(name)))) {
        Object.assign(record, { status: 'failed', code: 'INTERRUPTED', message: 'the results of this job are missing', updated: new Date().toISOString() });
        await this.save(record);
      }
      await rm(this.partialResultsDir(name), { recursive: true, force: true });
      jobs.push(record);
    }
    jobs.sort((a, b) => a.created.localeCompare(b.created));
    return jobs;
  }

  private async readRecord(id: string): Promise<JobRecord | null> {
    try {
      const record = JSON.parse(await readFile(join(this.jobDir(id), 'job.json'), 'utf8')) as JobRecord;
      return record.jobID === id ? record : null;
    } catch {
      return null;
    }
  }

  /** Creates the job's folder and writes its first record. */
  async create(record: JobRecord): Promise<void> {
    await mkdir(this.jobDir(record.jobID), { recursive: true });
    await this.save(record);
  }

  /** Replaces `job.json` atomically. */
  async save(record: JobRecord): Promise<void> {
    await writeFileAtomic(join(this.jobDir(record.jobID), 'job.json'), `${JSON.stringify(record, null, 1)}\n`);
  }

  /** Saves the job's events (when it ends). */
  async saveEvents(id: string, events: readonly JobEvent[]): Promise<void> {
    await writeFileAtomic(join(this.jobDir(id), 'events.json'), JSON.stringify(events));
  }

  /** The saved events of a job that ended before this server started; [] when none. */
  async loadEvents(id: string): Promise<JobEvent[]> {
    try {
      return JSON.parse(await readFile(join(this.jobDir(id), 'events.json'), 'utf8')) as JobEvent[];
    } catch {
      return [];
    }
  }

  /** Removes the job's input and partial results (a failed or interrupted job keeps only its record). */
  async clearOutputs(id: string): Promise<void> {
    await rm(this.partialResultsDir(id), { recursive: true, force: true });
    await rm(this.inputDir(id), { recursive: true, force: true });
  }

  /** Deletes the job's folder and everything in it. */
  async remove(id: string): Promise<void> {
    await rm(this.jobDir(id), { recursive: true, force: true });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
