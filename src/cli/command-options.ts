/**
 * Options shared by the clustering commands (kmeans, sweep, hclust, compare,
 * report) and the one path from a file to the prepared feature matrix.
 */
import type { Command } from 'commander';
import { resolveOutputPath } from '../common/atomic-file.js';
import { checkOutputDirectory } from '../common/output-directory.js';
import { SegmentaError } from '../common/errors.js';
import { K_METHODS, parseKMethods } from '../drivers/suggest-k.js';
import type { KMethod } from '../pipeline/spec.js';
import type { ProgressListener } from '../common/progress.js';
import { checkFloat32Range } from '../drivers/validate-input.js';
import type { CustomerTable } from '../common/customer-table.js';
import type { PreparedFeatures } from '../preparation/prepare-features.js';
import { parseScalingMethod, type ScalingMethod } from '../preparation/scaling.js';
import type { SegmentationSpec } from '../pipeline/spec.js';
import { parseRedisUrl } from '../distributed/redis-url.js';
import { createProgressReporter, type ProgressReporter } from './progress-bar.js';
export { roundTo, roundCentroids } from '../pipeline/result-documents.js';

/**
 * Checks an output-file flag (`--out FILE`, `--save-model FILE`) before any
 * work: undefined means "no such output"; an empty value, a directory, a
 * device, a FIFO, a socket or one of the inputs is refused with one line.
 *
 * @returns the path, or undefined when the flag is absent
 */
export async function checkOutFile(flag: string, value: string | undefined, inputs: readonly string[]): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new SegmentaError('INVALID_OPTION', `--${flag} needs a file name; got ''`, { option: flag });
  await resolveOutputPath(value, { inputs });
  return value;
}

/**
 * Checks an `--out DIR` flag (a report directory) before any work: an empty
 * value, a non-directory, or a non-empty directory that segmenta did not write
 * (no manifest; unless `force`) is refused with one line.
 */
export async function checkOutDirectory(out: string | undefined, force: boolean): Promise<string> {
  if (out === undefined) throw new SegmentaError('INVALID_OPTION', '--out is required: the directory to write the report to', { option: 'out' });
  if (out.trim() === '') throw new SegmentaError('INVALID_OPTION', "--out needs a directory name; got ''", { option: 'out' });
  await checkOutputDirectory(out, { force, what: 'the report' });
  return out;
}

/**
 * Parses a CLI integer option strictly (digits, optional sign, `_` separators
 * allowed: `10_000_000`); throws `INVALID_OPTION` naming the option otherwise.
 */
export function parseIntegerOption(name: string, raw: string | undefined, min: number, max: number): number {
  const text = (raw ?? '').trim();
  const value = /^[+-]?\d[\d_]*$/.test(text) ? Number(text.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new SegmentaError('INVALID_OPTION', `--${name} must be an integer from ${min} to ${max}, got '${raw ?? ''}'`, { option: name, value: raw });
  }
  return value;
}

/** The `--threads` default, as every command's help says it (the wasm backend's defaultThreads). */
export const THREADS_DEFAULT_HELP = 'available cores; 1 up to 4,096 rows';

/** Raw flags of the shared options, as commander hands them over. */
export interface DataFlags {
  features?: string;
  encode?: string;
  keep?: string;
  scale?: string;
  backend?: string;
  threads?: string;
  seed?: string;
  nInit?: string;
  maxIter?: string;
  tol?: string;
  algorithm?: string;
  batchSize?: string;
  json?: boolean;
  /** `--weight COLUMN` (kmeans, sweep, hclust). */
  weight?: string;
}

/** Adds --features, --encode, --scale and --keep. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--features <list>', 'comma-separated feature columns (exact header names)')
    .option('--encode <list>', 'categorical columns to one-hot encode (e.g. Gender)')
    .option('--scale <method>', 'feature scaling: none | standard | minmax', 'none');
}

/** Adds --weight (kmeans, sweep, hclust): a numeric column of per-customer sample weights, read from the file. */
export function addWeightOption(cmd: Command): Command {
  return cmd.option('--weight <column>', 'numeric column of sample weights (not a feature): each customer counts as that many (docs/weights.md)');
}

/** Adds --backend, --threads, --seed, --n-init, --max-iter, --tol and --json. */
export function addFitOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', 'kernel backend: auto | js | wasm | tfjs', 'auto')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--seed <s>', 'random seed', '0')
    .option('--n-init <n>', 'k-means++ initialisations; the best WCSS wins', '3')
    .option('--max-iter <n>', 'maximum Lloyd iterations per run (default: 300; epochs with --algorithm minibatch, default 100)')
    .option('--tol <x>', 'convergence tolerance relative to the mean feature variance (default: 1e-4; 0 with --algorithm minibatch)')
    .option('--json', 'print one JSON document on stdout');
}

/** The sharding flags of sweep and kmeans. */
export interface ShardFlags {
  shards?: string;
  redis?: string;
  shardTimeout?: string;
  streamed?: boolean;
  chunkRows?: string;
}

/** Adds --shards, --redis and --shard-timeout (docs/scale-out.md). */
export function addShardOptions(cmd: Command): Command {
  return cmd
    .option('--shards <n>', 'split the rows into N shards of whole 4096-row blocks, each with its own backend job (bit-identical results)')
    .option('--redis <url>', 'run the shards on `segmenta worker` processes through this Redis, e.g. redis://127.0.0.1:6379 (default 4 shards)')
    .option('--shard-timeout <s>', 'with --redis: seconds a shard may take to answer before it goes to another worker', '300')
    .option('--streamed', 'stream the rows from the file on every pass instead of holding them in memory (K-Means past RAM; bit-identical)')
    .option('--chunk-rows <n>', 'with --streamed: rows per chunk, a multiple of 4096 (default 262144)');
}

/** The spec's `distributed` section from the sharding flags (none without --shards or --redis). */
export function distributedSpec(flags: ShardFlags): Pick<SegmentationSpec, 'distributed' | 'streamed'> {
  if (flags.chunkRows !== undefined && !flags.streamed) throw new SegmentaError('INVALID_OPTION', '--chunk-rows applies only with --streamed', { option: 'chunk-rows' });
  if (flags.streamed) {
    if (flags.shards !== undefined || flags.redis !== undefined) {
      throw new SegmentaError('INVALID_OPTION', '--streamed cannot run with --shards or --redis: give one of them', { option: 'streamed' });
    }
    const chunkRows = flags.chunkRows !== undefined ? parseIntegerOption('chunk-rows', flags.chunkRows, 4096, 16_777_216) : undefined;
    if (chunkRows !== undefined && chunkRows % 4096 !== 0) {
      throw new SegmentaError('INVALID_OPTION', `--chunk-rows must be a multiple of 4096 (the accumulation block), got ${chunkRows}`, { option: 'chunk-rows', value: chunkRows });
    }
    return { streamed: chunkRows !== undefined ? { chunkRows } : {} };
  }
  if (flags.shards === undefined && flags.redis === undefined) return {};
  const redis = flags.redis !== undefined ? parseRedisUrl(flags.redis) : undefined;
  return {
    distributed: {
      ...(flags.shards !== undefined ? { shards: parseIntegerOption('shards', flags.shards, 1, 65_536) } : {}),
      ...(redis !== undefined ? { redis } : {}),
      shardTimeout: parseNumberOption('shard-timeout', flags.shardTimeout ?? '300', 0.1),
    },
  };
}

/** A progress listener that also prints the distributed job's events (job queued, shard handed over) on stderr. */
export function withDistributedLog(listener: ProgressListener): ProgressListener {
  return (event) => {
    if (event.kind === 'phase' && event.phase === 'distributed') process.stderr.write(`segmenta: ${event.detail ?? ''}\n`);
    listener(event);
  };
}

/** Adds --algorithm and --batch-size (the K-Means commands: kmeans, sweep, report). */
export function addAlgorithmOptions(cmd: Command): Command {
  return cmd
    .option('--algorithm <name>', "K-Means algorithm: lloyd (exact) | minibatch (scikit-learn's mini-batch K-Means)", 'lloyd')
    .option('--batch-size <n>', 'rows per mini-batch (with --algorithm minibatch)', '1024');
}

/** Splits a comma-separated column list; header names keep their spaces. */
export function parseColumnList(raw: string | undefined, option: string): string[] {
  const names = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) {
    throw new SegmentaError('INVALID_OPTION', `--${option} needs at least one column name (comma-separated)`, { option });
  }
  return names;
}

/** Parses a non-negative float option. */
export function parseNumberOption(name: string, raw: string | undefined, min: number): number {
  const value = Number((raw ?? '').trim());
  if ((raw ?? '').trim() === '' || !Number.isFinite(value) || value < min) {
    throw new SegmentaError('INVALID_OPTION', `--${name} must be a number >= ${min}, got '${raw ?? ''}'`, { option: name, value: raw });
  }
  return value;
}

/** Parses the k option; k < 1 or a non-integer is an `INVALID_K` error. */
export function parseK(raw: string | undefined, option = 'k'): number {
  const text = (raw ?? '').trim();
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SegmentaError('INVALID_K', `--${option} must be an integer >= 1, got '${raw ?? ''}'`, { option, value: raw });
  }
  return value;
}

/** Parses --k-min and --k-max; k-min above k-max is an `INVALID_K` error naming both. */
export function parseKRange(flags: { kMin?: string; kMax?: string }): { min: number; max: number } {
  const min = parseK(flags.kMin ?? '1', 'k-min');
  const max = parseK(flags.kMax ?? '10', 'k-max');
  if (min > max) throw new SegmentaError('INVALID_K', `--k-min (${min}) must not exceed --k-max (${max})`, { kMin: min, kMax: max });
  return { min, max };
}

/** Fit settings parsed from the shared flags. */
export interface FitFlags {
  backend: string;
  threads?: number;
  seed: number;
  nInit: number;
  maxIter: number;
  tol: number;
  algorithm: 'lloyd' | 'minibatch';
  /** Mini-batch rows (with `algorithm: 'minibatch'`). */
  batchSize?: number;
}

export function parseFitFlags(flags: DataFlags): FitFlags {
  const algorithm = (flags.algorithm ?? 'lloyd').trim();
  if (algorithm !== 'lloyd' && algorithm !== 'minibatch') {
    throw new SegmentaError('INVALID_OPTION', `--algorithm must be lloyd or minibatch, got '${flags.algorithm}'`, { option: 'algorithm', value: flags.algorithm });
  }
  const minibatch = algorithm === 'minibatch';
  if (!minibatch && flags.batchSize !== undefined && flags.batchSize !== '1024') {
    throw new SegmentaError('INVALID_OPTION', `--batch-size applies only with --algorithm minibatch`, { option: 'batch-size', value: flags.batchSize });
  }
  return {
    algorithm,
    ...(minibatch ? { batchSize: parseIntegerOption('batch-size', flags.batchSize ?? '1024', 1, 16_777_216) } : {}),
    backend: (flags.backend ?? 'auto').trim(),
    ...(flags.threads !== undefined ? { threads: parseIntegerOption('threads', flags.threads, 1, 256) } : {}),
    seed: parseIntegerOption('seed', flags.seed ?? '0', 0, 4294967295),
    nInit: parseIntegerOption('n-init', flags.nInit ?? '3', 1, 10_000),
    maxIter: parseIntegerOption('max-iter', flags.maxIter ?? (minibatch ? '100' : '300'), 1, 1_000_000),
    tol: parseNumberOption('tol', flags.tol ?? (minibatch ? '0' : '1e-4'), 0),
  };
}

/**
 * The part of a segmentation spec that the shared flags give: the file, the
 * features, encoding and scaling. Flag mistakes are reported by flag name
 * (`--features is required …`) before the spec is built.
 */
export function dataSpec(file: string, flags: DataFlags): Pick<SegmentationSpec, 'data' | 'features' | 'encode' | 'scale' | 'weight'> {
  if (flags.features === undefined) {
    throw new SegmentaError('INVALID_OPTION', "--features is required, e.g. --features \"Annual Income (k$),Spending Score (1-100)\"", {
      option: 'features',
    });
  }
  return {
    data: { path: file },
    features: parseColumnList(flags.features, 'features'),
    encode: flags.encode !== undefined ? parseColumnList(flags.encode, 'encode') : [],
    scale: parseScalingMethod(flags.scale ?? 'none'),
    ...(flags.weight !== undefined ? { weight: parseWeightColumn(flags.weight) } : {}),
  };
}

function parseWeightColumn(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new SegmentaError('INVALID_OPTION', "--weight needs a column name; got ''", { option: 'weight' });
  return name;
}

/** The spec's fit settings from parsed fit flags. */
export function fitSpec(fit: FitFlags): Pick<SegmentationSpec, 'backend' | 'threads' | 'seed' | 'kmeans'> {
  const algorithm = fit.algorithm === 'minibatch' ? { algorithm: fit.algorithm, batchSize: fit.batchSize ?? 1024 } : {};
  return {
    backend: fit.backend,
    ...(fit.threads !== undefined ? { threads: fit.threads } : {}),
    seed: fit.seed,
    kmeans: { nInit: fit.nInit, maxIter: fit.maxIter, tol: fit.tol, ...algorithm },
  };
}

/** The spec of a fit with a given k that only labels (kmeans, hclust): no sweep, no profiles, `--out` and `--keep-columns`. */
export function labelsOnlySpec(flags: { out?: string; keepColumns?: boolean }): Pick<SegmentationSpec, 'sweep' | 'keep' | 'profiles' | 'outputs'> {
  // An empty --out is a mistake, not "no output" (the pipeline checks the path itself before any work).
  if (flags.out !== undefined && flags.out.trim() === '') throw new SegmentaError('INVALID_OPTION', "--out needs a file name; got ''", { option: 'out' });
  return { sweep: false, keep: 'none', profiles: false, ...(flags.out !== undefined ? { outputs: { labels: flags.out, keepColumns: flags.keepColumns ?? false } } : {}) };
}


/** A table read from disk and its prepared (scaled) feature matrix. */
export interface LoadedFeatures {
  table: CustomerTable;
  prepared: PreparedFeatures;
  scale: ScalingMethod;
}

/**
 * Reads FILE and prepares the features named by the flags; `prepared.matrix`
 * is what the drivers cluster. The matrix is scaled in place (no second copy
 * of a 10M-row matrix) unless `keepOriginal` is set, in which case
 * `table.matrix` stays in original units (the report needs them).
 */
export async function loadFeatures(
  file: string,
  flags: DataFlags,
  options: { keep?: string[]; keepOriginal?: boolean; signal?: AbortSignal; onProgress?: ProgressListener } = {},
): Promise<LoadedFeatures> {
  if (flags.features === undefined) {
    throw new SegmentaError('INVALID_OPTION', "--features is required, e.g. --features \"Annual Income (k$),Spending Score (1-100)\"", {
      option: 'features',
    });
  }
  const features = parseColumnList(flags.features, 'features');
  const encode = flags.encode !== undefined ? parseColumnList(flags.encode, 'encode') : [];
  const scale = parseScalingMethod(flags.scale ?? 'none');
  // Read straight into the backend's memory when it can adopt the matrix (wasm):
  // no second copy of a large table. Not when the original units must survive scaling.
  const [{ resolveBackend }, { readCustomerTable }, { prepareFeatures }] = await Promise.all([
    import('../backends/backend-registry.js').then(async (registry) => (await import('../backends/built-in-backends.js'), registry)),
    import('../data-in/read-customer-table.js'),
    import('../preparation/prepare-features.js'),
  ]);
  const backend = options.keepOriginal ? undefined : await resolveBackend((flags.backend ?? 'auto').trim());
  const table = await readCustomerTable(file, {
    features,
    encode,
    ...(options.keep ? { keep: options.keep } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(backend?.allocateMatrix ? { allocate: (rows: number, cols: number) => backend.allocateMatrix!(rows, cols) } : {}),
  });
  const prepared = prepareFeatures(table, { scale, inPlace: !options.keepOriginal });
  // Values whose squared distances overflow float32 are refused here, with the column's name (the drivers check again, by number).
  checkFloat32Range(prepared.matrix, 'data', prepared.featureNames);
  return { table, prepared, scale };
}


/** Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * An AbortSignal that fires on Ctrl-C, so a long job stops within
 * milliseconds (kernels run off the main thread, so the handler runs at once),
 * its writers remove their temporary files and the CLI exits 130. SIGTERM and
 * a second Ctrl-C are handled by the process guards (cli/process-guards.ts).
 * Call `release` when done.
 */
export function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

/** What a long-running command gets from {@link withCliJob}. */
export interface CliJob {
  /** Fires on Ctrl-C. */
  signal: AbortSignal;
  /** TTY progress (silent on pipes); call `progress.done()` before printing results. */
  progress: ProgressReporter;
}

/**
 * Runs a command body with a Ctrl-C signal and a progress line, and always
 * clears the line and releases the signal handler afterwards.
 */
export async function withCliJob<T>(body: (job: CliJob) => Promise<T>): Promise<T> {
  const { signal, release } = interruptSignal();
  const progress = createProgressReporter(process.stderr);
  try {
    return await body({ signal, progress });
  } finally {
    progress.done();
    release();
  }
}

/**
 * Parses `--method`: one method of choosing k (aliases: kneedle, ch, db…) or `all`.
 *
 * @throws SegmentaError `INVALID_OPTION` naming an unknown method, or more than one
 */
export function parseKMethodOption(raw: string | undefined): KMethod {
  const methods = parseKMethods(raw ?? 'all');
  const isAll = methods.length === K_METHODS.length && methods.every((m) => K_METHODS.includes(m));
  if (methods.length !== 1 && !isAll) {
    throw new SegmentaError('INVALID_OPTION', `--method takes one method or all, got '${raw}'`, { option: 'method', value: raw });
  }
  return methods.length === 1 ? methods[0]! : 'all';
}

/** Raw flags of the options for choosing k. */
export interface KSelectionFlags {
  method?: string;
  silhouetteSample?: string;
  silhouetteExact?: boolean;
  gapReferences?: string;
  mixtureCovariance?: string;
}

/** Adds --method, --silhouette-sample, --silhouette-exact and --gap-references (sweep, report). */
export function addKSelectionOptions(cmd: Command): Command {
  return cmd
    .option('--method <name>', 'how to choose k: elbow | silhouette | calinski | davies | gap | all (those five, combined) | bic | aic (a Gaussian mixture at every k)', 'all')
    .option('--mixture-covariance <type>', 'covariance of the Gaussian mixtures of --method bic or aic: full | diag | spherical', 'full')
    .option('--silhouette-sample <n>', 'rows of the seeded silhouette sample', '10000')
    .option('--silhouette-exact', 'silhouette over every row (O(rows²) time)')
    .option('--gap-references <B>', 'reference sets of the gap statistic', '10');
}

function parseMixtureCovariance(raw: string | undefined): 'full' | 'diag' | 'spherical' {
  const value = (raw ?? 'full').trim().toLowerCase();
  if (value === 'full' || value === 'diag' || value === 'spherical') return value;
  throw new SegmentaError('INVALID_OPTION', `--mixture-covariance must be one of full, diag, spherical, got '${raw}'`, { option: 'mixture-covariance', value: raw });
}

/** The spec's `kMethod` and `kSelection` from the flags of {@link addKSelectionOptions}. */
export function kSelectionSpec(flags: KSelectionFlags): Pick<SegmentationSpec, 'kMethod' | 'kSelection'> {
  return {
    kMethod: parseKMethodOption(flags.method),
    kSelection: {
      silhouetteSampleSize: parseIntegerOption('silhouette-sample', flags.silhouetteSample ?? '10000', 2, 1_000_000),
      silhouetteExact: flags.silhouetteExact === true,
      gapReferences: parseIntegerOption('gap-references', flags.gapReferences ?? '10', 2, 1000),
      mixtureCovariance: parseMixtureCovariance(flags.mixtureCovariance),
    },
  };
}
