/**
 * Job bench: the whole elbow sweep as a user runs it — read the generated
 * customer CSV, standard-scale, K-Means for k = 1..10 with n_init 3 — on each
 * backend, the first run in the process timed apart from a warm run; and,
 * when /usr/bin/python3 has scikit-learn, the same sweep in scikit-learn on
 * the same file in the same run (src/benchmark/sklearn-reference.ts).
 *
 * Usage (compiled): node dist/src/benchmark/job-bench.js [--rows 1000000] [--backends wasm] [--no-sklearn]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import '../backends/built-in-backends.js';
import { listBackends, resolveBackend } from '../backends/backend-registry.js';
import { writeGeneratedCustomers } from '../data-in/generate-customers.js';
import { readCustomerTable } from '../data-in/read-customer-table.js';
import { sweepK } from '../drivers/elbow-sweep.js';
import { prepareFeatures } from '../preparation/prepare-features.js';
import type { ScalingMethod } from '../preparation/scaling.js';
import { runSklearnSweep, sklearnAvailability, type SklearnSweep } from './sklearn-reference.js';
import { groupDigits } from '../common/format-number.js';

/** Options of {@link runJobBench}. */
export interface JobBenchOptions {
  /** Generated customers. Default 1,000,000. */
  rows?: number;
  /** Numeric features (Age, Income, Score, then extras). Default 4. */
  features?: number;
  kMin?: number;
  kMax?: number;
  /** Default 3. */
  nInit?: number;
  /** Default 0. */
  seed?: number;
  /** Default `standard`. */
  scale?: ScalingMethod;
  /** Backends (registry names). Default: every available backend but `js` above 200,000 rows. */
  backends?: string[];
  /** Worker threads. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /** The generator's `spread`: 1 is the default data, 2 the variant with overlapping segments. Default 1. */
  spread?: number;
  /** Warm runs after the first. Default 1. */
  warmRuns?: number;
  /**
   * Also time each backend with the driver's swap refinement off (`refine: false`):
   * exactly scikit-learn's algorithm (n_init k-means++ runs of Lloyd, best WCSS).
   * Default true.
   */
  alsoWithoutRefine?: boolean;
  /** Run scikit-learn on the same file. Default true (skipped with a reason when unavailable). */
  sklearn?: boolean;
  /** Where generated files are cached. Default `.bench-data` in the working directory. */
  dataDir?: string;
  /** Progress lines (generation, each run). */
  log?: (line: string) => void;
}

/** One timed sweep. Seconds. */
export interface JobBenchRun {
  backend: string;
  job: string;
  run: 'first' | 'warm';
  /** The driver's extra refined run (segmenta's default) was on. */
  refine: boolean;
  seconds: number;
  /** Read + scaling. */
  loadSeconds: number;
  sweepSeconds: number;
  /** CPU seconds of the whole process (every thread: DuckDB's, the wasm workers') over the run, user + system. */
  cpuSeconds: number;
  wcss: number[];
  wcssSum: number;
  suggestedK: number | null;
}

/** Result of {@link runJobBench}. */
export interface JobBenchResult {
  file: string;
  rows: number;
  /** The generator's spread (1: the default segments; 2: overlapping segments). */
  spread: number;
  features: string[];
  kMin: number;
  kMax: number;
  nInit: number;
  scale: ScalingMethod;
  runs: JobBenchRun[];
  sklearn: (SklearnSweep & { wcssSum: number }) | { unavailable: string };
}

/** The generated customers CSV for (rows, features), written once under `dataDir`. */
export async function benchCustomersFile(rows: number, features: number, dataDir: string, log?: (s: string) => void, spread = 1): Promise<{ path: string; featureNames: string[] }> {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(join(dataDir, `sweep-customers-${rows}x${features}-seed42${spread === 1 ? '' : `-spread${spread}`}.csv`));
  if (!existsSync(path)) {
    log?.(`generating ${groupDigits(rows)} customers × ${features} features${spread === 1 ? '' : ` (spread ${spread})`} into ${path}`);
    const info = await writeGeneratedCustomers(path, { rows, features, seed: 42, spread });
    return { path, featureNames: info.featureNames };
  }
  const { generateCustomers } = await import('../data-in/generate-customers.js');
  return { path, featureNames: generateCustomers({ rows: 1, features, seed: 42 }).featureNames };
}

/** One sweep from the CSV, load included. */
export async function timedSweep(
  path: string,
  featureNames: string[],
  backend: string,
  o: { kMin: number; kMax: number; nInit: number; seed: number; scale: ScalingMethod; threads?: number; refine?: boolean },
): Promise<Omit<JobBenchRun, 'run' | 'backend' | 'refine'>> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const table = await readCustomerTable(path, { features: featureNames });
  const { matrix } = prepareFeatures(table, { scale: o.scale, inPlace: true });
  const t1 = performance.now();
  const r = await sweepK(matrix, {
    kMin: o.kMin,
    kMax: o.kMax,
    nInit: o.nInit,
    seed: o.seed,
    backend: await resolveBackend(backend),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.refine !== undefined ? { refine: o.refine } : {}),
  });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  return {
    job: r.backend,
    seconds: (t2 - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loadSeconds: (t1 - t0) / 1000,
    sweepSeconds: (t2 - t1) / 1000,
    wcss: r.wcss,
    wcssSum: r.wcss.reduce((a, b) => a + b, 0),
    suggestedK: r.suggestedK,
  };
}

/** Runs the job bench (see the module comment). */
export async function runJobBench(options: JobBenchOptions = {}): Promise<JobBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const features = options.features ?? 4;
  const o = {
    kMin: options.kMin ?? 1,
    kMax: options.kMax ?? 10,
    nInit: options.nInit ?? 3,
    seed: options.seed ?? 0,
    scale: options.scale ?? ('standard' as ScalingMethod),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
  const log = options.log ?? (() => {});
  const spread = options.spread ?? 1;
  const { path, featureNames } = await benchCustomersFile(rows, features, options.dataDir ?? '.bench-data', log, spread);
  const names: string[] = [];
  for (const s of await listBackends()) {
    if (options.backends ? !options.backends.includes(s.name) : s.name === 'js' && rows > 200_000) continue;
    if (!s.available) {
      log(`job bench: skipping ${s.name}: ${s.detail}`);
      continue;
    }
    names.push(s.name);
  }
  const runs: JobBenchRun[] = [];
  for (const backend of names) {
    for (const refine of options.alsoWithoutRefine ?? true ? [true, false] : [true]) {
      for (let r = 0; r <= (options.warmRuns ?? 1); r++) {
        const run = r === 0 ? 'first' : 'warm';
        if (!refine && run === 'first') continue; // the process is warm by now
        const m = await timedSweep(path, featureNames, backend, { ...o, refine });
        runs.push({ backend, run, refine, ...m });
        log(`${backend} (${m.job}${refine ? '' : ', refine off'}) ${run}: ${m.seconds.toFixed(2)} s (load ${m.loadSeconds.toFixed(2)} s, sweep ${m.sweepSeconds.toFixed(2)} s)`);
      }
    }
  }
  let sklearn: JobBenchResult['sklearn'] = { unavailable: 'disabled (--no-sklearn)' };
  if (options.sklearn ?? true) {
    const a = await sklearnAvailability();
    if (!a.available) sklearn = { unavailable: a.reason };
    else {
      log(`scikit-learn ${a.version}: same sweep on the same file…`);
      const s = await runSklearnSweep(path, featureNames, o);
      sklearn = { ...s, wcssSum: s.wcss.reduce((x, y) => x + y, 0) };
      log(`scikit-learn: ${s.wallSeconds.toFixed(2)} s (load ${s.loadSeconds.toFixed(2)} s, fit ${s.fitSeconds.toFixed(2)} s)`);
    }
  }
  return { file: path, rows, spread, features: featureNames, kMin: o.kMin, kMax: o.kMax, nInit: o.nInit, scale: o.scale, runs, sklearn };
}
