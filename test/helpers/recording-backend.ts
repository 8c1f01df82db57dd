/**
 * The js reference backend, recorded: what a driver asks of a backend and of
 * its jobs, read back by a test. One helper for every test that checks the
 * backend contract from the outside (job options, one dispose per job,
 * optional kernels, the k-means++ and silhouette kernel calls).
 *
 * Jobs are the js reference backend's own, behind a proxy: results are the
 * js backend's bit for bit. Recording keeps copies of what it sees (candidates,
 * centres, closest distances), so use it on small data.
 *
 * @example
 * ```ts
 * const rec = recordingBackend({ without: ['chooseCandidate'] });
 * await fitKMeans(m, { k: 3, backend: rec.backend, threads: 2 });
 * expect(rec.jobs.map((j) => j.options?.threads)).toEqual([2]);
 * expect(rec.jobs.every((j) => j.disposed === 1)).toBe(true);
 * ```
 */
import { jsReferenceBackend } from '../../src/backends/js-reference/js-reference-backend.js';
import type { JobOptions, KernelBackend, KernelJob } from '../../src/backends/kernel-contract.js';
import { SegmentaError } from '../../src/common/errors.js';

/** The kernels a job may lack (the optional members of `KernelJob`). */
export type OptionalKernel = { [K in keyof KernelJob]-?: object extends Pick<KernelJob, K> ? K : never }[keyof KernelJob];

/** One `pairwiseDistances(start, end, out)` call: its row range and `out.length`. */
export interface PairwiseCall {
  start: number;
  end: number;
  length: number;
}

/** One `candidatePotentials(candidates, count, out)` call: copies of the `count` candidates and their potentials. */
export interface PotentialCall {
  /** `count · dims` values, candidate after candidate. */
  candidates: Float32Array;
  /** `count` potentials, as the kernel wrote them. */
  potentials: Float64Array;
}

/** The kernel calls recorded, in the order they were made. */
export interface KernelLog {
  /** Every `pairwiseDistances` call. */
  pairwiseCalls: PairwiseCall[];
  /** Every `candidatePotentials` call (k-means++ scoring its candidates). */
  potentialCalls: PotentialCall[];
  /**
   * The centres k-means++ adopted, in order: the centre given to `updateClosest`, or the
   * candidate `chooseCandidate` picked out of the job's latest `candidatePotentials` call.
   */
  chosen: Float32Array[];
  /** What `updateClosest` and `chooseCandidate` returned (times `potentialScale`): the potential after each adopted centre. */
  potentials: number[];
  /** A copy of each `readClosest` result (every row's distance to its closest centre). */
  closest: Float32Array[];
}

/** What a recorded job can be made to do differently from the js job. */
export interface RecordingJobOptions {
  /** Kernels the job lacks: they read as `undefined`, as on a backend that does not implement them. Default: none. */
  without?: readonly OptionalKernel[];
  /**
   * `pairwiseDistances` throws `Error('stopped by the test')` once this many calls have been recorded
   * (the call that reaches it is recorded, then throws without computing). Default: never.
   */
  stopAfterPairwise?: number;
  /**
   * `updateClosest` and `chooseCandidate` return the job's potential times this, as a backend whose
   * float64 potential rounds above the sum of the float32 distances it keeps would (k-means++ then
   * draws past the end of the distances). Default 1.
   */
  potentialScale?: number;
}

/** Options of {@link recordingBackend}. */
export interface RecordingOptions extends RecordingJobOptions {
  /**
   * `createJob` refuses its job number `failJob` (0 = the first) with a `SegmentaError`
   * `BACKEND_UNAVAILABLE` 'job refused on purpose'; a refused job is not in `jobs`. Default: never.
   */
  failJob?: number;
  /** Each job keeps `data` and `weights`: copies of what `createJob` was given, taken when it was called. Default: false. */
  keepCopies?: boolean;
}

/** One job the recording backend created. */
export interface RecordedJob {
  rows: number;
  dims: number;
  /** The options `createJob` was given, as given (`undefined` when none). */
  options: JobOptions | undefined;
  /** How many times the job's `dispose` was called. */
  disposed: number;
  /** With `keepCopies`: a copy of the job's data (`rows · dims` values). */
  data?: Float32Array;
  /** With `keepCopies`: a copy of `options.weights`, `undefined` when there were none. */
  weights?: Float64Array;
}

/** A recording backend and what it has recorded so far. */
export interface RecordingBackend extends KernelLog {
  /** Named 'recording'; its jobs name themselves as js jobs do ('js'). */
  backend: KernelBackend;
  /** Every job created, in order. */
  jobs: RecordedJob[];
  /** `dispose` calls over all jobs. */
  readonly disposed: number;
}

/** A recorded job: the job to hand to a driver, and what it has recorded so far. */
export interface RecordingJob extends KernelLog {
  job: KernelJob;
  /** How many times `dispose` was called. */
  disposed: number;
}

/** An empty kernel log. */
function kernelLog(): KernelLog {
  return { pairwiseCalls: [], potentialCalls: [], chosen: [], potentials: [], closest: [] };
}

/** `job` behind a proxy that records its kernel calls into `log` and its disposals into `count`. */
function spy(job: KernelJob, log: KernelLog, count: { disposed: number }, options: RecordingJobOptions): KernelJob {
  const dims = job.dims;
  const scale = options.potentialScale ?? 1;
  let latest: Float32Array | undefined;
  const own: Partial<KernelJob> = {
    async candidatePotentials(candidates, n, out) {
      await job.candidatePotentials(candidates, n, out);
      latest = candidates.slice(0, n * dims);
      log.potentialCalls.push({ candidates: latest, potentials: out.slice(0, n) });
    },
    async updateClosest(center, reset) {
      log.chosen.push(center.slice());
      const potential = (await job.updateClosest(center, reset)) * scale;
      log.potentials.push(potential);
      return potential;
    },
    async readClosest(out) {
      await job.readClosest(out);
      log.closest.push(out.slice());
    },
    async dispose() {
      count.disposed++;
      await job.dispose();
    },
  };
  if (job.chooseCandidate) {
    own.chooseCandidate = async (index) => {
      if (latest) log.chosen.push(latest.slice(index * dims, (index + 1) * dims));
      const potential = (await job.chooseCandidate!(index)) * scale;
      log.potentials.push(potential);
      return potential;
    };
  }
  if (job.pairwiseDistances) {
    own.pairwiseDistances = async (start, end, out) => {
      log.pairwiseCalls.push({ start, end, length: out.length });
      if (options.stopAfterPairwise !== undefined && log.pairwiseCalls.length >= options.stopAfterPairwise) throw new Error('stopped by the test');
      await job.pairwiseDistances!(start, end, out);
    };
  }
  const hidden = new Set<string | symbol>(options.without ?? []);
  return new Proxy(job, {
    get(target, key) {
      if (hidden.has(key)) return undefined;
      if (Object.hasOwn(own, key)) return own[key as keyof KernelJob];
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A js job (already created) that records its kernel calls and disposals.
 *
 * @example
 * ```ts
 * const rec = recordingJob(await jsReferenceBackend.createJob(m.data, m.rows, m.cols));
 * await kmeansPlusPlus(rec.job, m, 3, new SeededRandom(1), createPlusPlusBuffers(m.rows));
 * expect(rec.chosen).toHaveLength(3);
 * ```
 */
export function recordingJob(job: KernelJob, options: RecordingJobOptions = {}): RecordingJob {
  const recorded: RecordingJob = { ...kernelLog(), job, disposed: 0 };
  recorded.job = spy(job, recorded, recorded, options);
  return recorded;
}

/**
 * The js reference backend, recording each job it creates (rows, dims, options, disposals) and
 * every job's kernel calls in one log, in call order across jobs.
 */
export function recordingBackend(options: RecordingOptions = {}): RecordingBackend {
  const jobs: RecordedJob[] = [];
  const log = kernelLog();
  const backend: KernelBackend = {
    name: 'recording',
    priority: 0,
    description: 'the js reference backend, recorded',
    checkAvailability: () => jsReferenceBackend.checkAvailability(),
    async createJob(data, rows, dims, jobOptions) {
      if (options.failJob === jobs.length) throw new SegmentaError('BACKEND_UNAVAILABLE', 'job refused on purpose');
      const entry: RecordedJob = { rows, dims, options: jobOptions, disposed: 0 };
      if (options.keepCopies) Object.assign(entry, { data: data.slice(), weights: jobOptions?.weights?.slice() });
      jobs.push(entry);
      return spy(await jsReferenceBackend.createJob(data, rows, dims, jobOptions), log, entry, options);
    },
  };
  return {
    ...log,
    backend,
    jobs,
    get disposed() {
      return jobs.reduce((sum, job) => sum + job.disposed, 0);
    },
  };
}
