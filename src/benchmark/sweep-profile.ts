/**
 * Where the time of a sweep goes: the same sweep as the job bench (CSV read,
 * standard scaling, k = 1..10, n_init 3, defaults), with every kernel call of
 * the backend timed through a wrapping job. Per k it splits the fit's wall
 * time into
 * - assign: the Lloyd passes (and the final E-steps),
 * - k-means++: candidatePotentials + chooseCandidate / updateClosest (on the init sample above 100k rows),
 * - reads: readClosest / readLabels / readDistances (copies out of the job),
 * - everything else: the driver in between (k-means++ draws, the refined run's
 *   subsample search, centre updates, bookkeeping).
 *
 * Part of `npm run bench`; alone (compiled): node dist/bench/sweep-profile.js [--rows 1000000] [--backend wasm] [--no-refine]
 */
import '../backends/built-in-backends.js';
import { resolveBackend } from '../backends/backend-registry.js';
import type { JobOptions, KernelBackend, KernelJob } from '../backends/kernel-contract.js';
import { readCustomerTable } from '../data-in/read-customer-table.js';
import { sweepK } from '../drivers/elbow-sweep.js';
import { prepareFeatures } from '../preparation/prepare-features.js';
import { benchCustomersFile } from './job-bench.js';
import { groupDigits } from '../common/format-number.js';

/** Kernel seconds by kind. */
export interface KernelTimes {
  assign: number;
  assignCalls: number;
  plusPlus: number;
  plusPlusCalls: number;
  reads: number;
}

/** One k of the profile. Seconds. */
export interface ProfileRow extends KernelTimes {
  k: number;
  /** Wall time of the fit at this k (all runs, refined run included). */
  seconds: number;
  /** seconds − assign − plusPlus − reads. */
  other: number;
  /** Lloyd iterations of the winning run. */
  iterations: number;
}

/** Result of {@link profileSweep}. */
export interface SweepProfile {
  rows: number;
  job: string;
  refine: boolean;
  loadSeconds: number;
  sweepSeconds: number;
  /** CPU seconds of the whole process (every thread) during the sweep. */
  sweepCpuSeconds: number;
  perK: ProfileRow[];
  total: ProfileRow;
}

const zero = (): KernelTimes => ({ assign: 0, assignCalls: 0, plusPlus: 0, plusPlusCalls: 0, reads: 0 });

/** A backend whose jobs add the time of every kernel call to `times`. */
export function timedBackend(inner: KernelBackend, times: KernelTimes): KernelBackend {
  const wrap = (job: KernelJob): KernelJob => {
    const timed =
      <A extends unknown[], R>(f: (...a: A) => Promise<R>, add: (s: number) => void) =>
      async (...a: A): Promise<R> => {
        const t0 = performance.now();
        try {
          return await f.apply(job, a);
        } finally {
          add((performance.now() - t0) / 1000);
        }
      };
    const read = (s: number): void => void (times.reads += s);
    const pp = (s: number): void => {
      times.plusPlus += s;
      times.plusPlusCalls++;
    };
    return {
      get backend() {
        return job.backend;
      },
      rows: job.rows,
      dims: job.dims,
      exact: job.exact,
      assign: timed(job.assign, (s) => {
        times.assign += s;
        times.assignCalls++;
      }),
      candidatePotentials: timed(job.candidatePotentials, pp),
      updateClosest: timed(job.updateClosest, pp),
      ...(job.chooseCandidate ? { chooseCandidate: timed(job.chooseCandidate, pp) } : {}),
      readClosest: timed(job.readClosest, read),
      readLabels: timed(job.readLabels, read),
      readDistances: timed(job.readDistances, read),
      dispose: () => job.dispose(),
    };
  };
  return {
    name: inner.name,
    priority: inner.priority,
    description: inner.description,
    checkAvailability: () => inner.checkAvailability(),
    createJob: async (data: Float32Array, rows: number, dims: number, options?: JobOptions) => wrap(await inner.createJob(data, rows, dims, options)),
  };
}

/** Runs one profiled sweep from the generated CSV (load included, as the job bench). */
export async function profileSweep(o: { rows?: number; backend?: string; refine?: boolean; nInit?: number; threads?: number; dataDir?: string; log?: (s: string) => void } = {}): Promise<SweepProfile> {
  const rows = o.rows ?? 1_000_000;
  const { path, featureNames } = await benchCustomersFile(rows, 4, o.dataDir ?? '.bench-data', o.log);
  const times = zero();
  const backend = timedBackend(await resolveBackend(o.backend ?? 'auto'), times);
  const t0 = performance.now();
  const table = await readCustomerTable(path, { features: featureNames });
  const { matrix } = prepareFeatures(table, { scale: 'standard', inPlace: true });
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const perK: ProfileRow[] = [];
  let mark = { ...times };
  const r = await sweepK(matrix, {
    kMin: 1,
    kMax: 10,
    nInit: o.nInit ?? 3,
    seed: 0,
    backend,
    ...(o.refine === false ? { refine: false } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    onProgress: (e) => {
      if (e.kind !== 'fit') return;
      const d: KernelTimes = {
        assign: times.assign - mark.assign,
        assignCalls: times.assignCalls - mark.assignCalls,
        plusPlus: times.plusPlus - mark.plusPlus,
        plusPlusCalls: times.plusPlusCalls - mark.plusPlusCalls,
        reads: times.reads - mark.reads,
      };
      mark = { ...times };
      perK.push({ k: e.k, seconds: e.seconds, iterations: e.iterations, ...d, other: e.seconds - d.assign - d.plusPlus - d.reads });
    },
  });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c1);
  const sum = (f: (p: ProfileRow) => number): number => perK.reduce((s, p) => s + f(p), 0);
  const total: ProfileRow = {
    k: 0,
    seconds: sum((p) => p.seconds),
    iterations: sum((p) => p.iterations),
    assign: sum((p) => p.assign),
    assignCalls: sum((p) => p.assignCalls),
    plusPlus: sum((p) => p.plusPlus),
    plusPlusCalls: sum((p) => p.plusPlusCalls),
    reads: sum((p) => p.reads),
    other: sum((p) => p.other),
  };
  return { rows, job: r.backend, refine: o.refine !== false, loadSeconds: (t1 - t0) / 1000, sweepSeconds: (t2 - t1) / 1000, sweepCpuSeconds: (cpu.user + cpu.system) / 1e6, perK, total };
}

/** The profile as a Markdown table (one row per k, then the total). */
export function profileTable(p: SweepProfile): string {
  const f = (x: number): string => x.toFixed(3);
  const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(0)}%`;
  const line = (r: ProfileRow, label: string): string =>
    `| ${label} | ${f(r.seconds)} | ${f(r.assign)} | ${r.assignCalls} | ${r.assignCalls ? ((1000 * r.assign) / r.assignCalls).toFixed(2) : '–'} | ${f(r.plusPlus)} | ${r.plusPlusCalls} | ${f(r.reads)} | ${f(r.other)} | ${pct(r.other, r.seconds)} |`;
  return [
    `Where the sweep's time goes: ${groupDigits(p.rows)} × 4 generated customers, standard, k = 1..10, n_init 3, ` +
      `${p.refine ? 'defaults (refined run on)' : 'refine off'}, on ${p.job}; load ${p.loadSeconds.toFixed(2)} s, sweep ${p.sweepSeconds.toFixed(2)} s (${p.sweepCpuSeconds.toFixed(2)} CPU s, every thread) (seconds)`,
    '',
    '| k | fit | assign | assign calls | ms per assign | k-means++ kernels | k-means++ calls | reads | everything else | else share |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...p.perK.map((r) => line(r, String(r.k))),
    line(p.total, 'all'),
  ].join('\n');
}
