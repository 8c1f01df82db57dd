/**
 * `segmenta gmm FILE --features "A,B" --k K [--covariance full|diag|spherical]
 *  [--scale ..] [--out memberships.csv] [--json]`: a Gaussian mixture fitted by
 * EM from a K-Means initialisation; segments numbered as everywhere else
 * (descending size, ties by centre), with every customer's soft memberships.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import { COVARIANCE_TYPES, parseCovarianceType, type GaussianMixtureResult } from '../../drivers/gaussian-mixture.js';
import { numberSegments, reorderRows } from '../../results/segment-numbering.js';
import { checkOutFile, addDataOptions, loadFeatures, parseIntegerOption, parseK, parseNumberOption, roundTo, withCliJob, type DataFlags, THREADS_DEFAULT_HELP } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface GmmFlags extends DataFlags {
  k?: string;
  covariance?: string;
  regCovar?: string;
  out?: string;
}

/** The mixture's settings parsed from the flags (shared with `compare`). */
export interface GmmSettings {
  covariance: ReturnType<typeof parseCovarianceType>;
  tol: number;
  maxIter: number;
  regCovar: number;
  nInit: number;
}

/** Parses --covariance, --gmm-tol/--tol, --max-iter, --reg-covar and --n-init with the mixture's defaults. */
export function parseGmmFlags(flags: { covariance?: string; tol?: string; maxIter?: string; regCovar?: string; nInit?: string }): GmmSettings {
  let covariance;
  try {
    covariance = parseCovarianceType(flags.covariance ?? 'full');
  } catch {
    throw new SegmentaError('INVALID_OPTION', `--covariance must be one of ${COVARIANCE_TYPES.join(', ')}, got '${flags.covariance}'`, { option: 'covariance', value: flags.covariance });
  }
  return {
    covariance,
    tol: parseNumberOption('tol', flags.tol ?? '1e-3', 0),
    maxIter: parseIntegerOption('max-iter', flags.maxIter ?? '100', 1, 1_000_000),
    regCovar: parseNumberOption('reg-covar', flags.regCovar ?? '1e-6', 0),
    nInit: parseIntegerOption('n-init', flags.nInit ?? '1', 1, 10_000),
  };
}

/** A fit in segment order: sizes descending, weights, means in original units and probabilities with column s = segment s. */
export interface NumberedMixture {
  labels: Int32Array;
  sizes: number[];
  weights: number[];
  /** k rows of feature means in original units. */
  means: number[][];
  probabilities: Float64Array;
}

/** Numbers the mixture's components by the one segment numbering and puts every per-component array in that order. */
export function numberMixture(g: GaussianMixtureResult, matrix: Parameters<typeof numberSegments>[2], inverse: (values: Float64Array, cols: number) => Float64Array): NumberedMixture {
  const { k, cols, rows } = g;
  const numbering = numberSegments(g.labels, k, matrix);
  const original = inverse(reorderRows(g.model.means, cols, numbering.order), cols);
  const probabilities = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let s = 0; s < k; s++) probabilities[i * k + s] = g.probabilities[i * k + numbering.order[s]!]!;
  return {
    labels: numbering.labels,
    sizes: numbering.sizes,
    weights: numbering.order.map((c) => g.model.weights[c]!),
    means: Array.from({ length: k }, (_, s) => Array.from(original.subarray(s * cols, (s + 1) * cols))),
    probabilities,
  };
}

/** Adds `gmm` to the program. */
export function registerGmmCommand(program: Command): void {
  const cmd = program
    .command('gmm')
    .description('fit a Gaussian mixture (EM from a K-Means start): soft memberships, mean log-likelihood, BIC and AIC')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of components (segments), required');
  addDataOptions(cmd);
  cmd
    .option('--covariance <type>', `covariance of each component: ${COVARIANCE_TYPES.join(' | ')}`, 'full')
    .option('--tol <x>', 'EM stops when the mean log-likelihood per customer changes by less than this', '1e-3')
    .option('--max-iter <n>', 'most EM iterations', '100')
    .option('--reg-covar <x>', 'added to the diagonal of every covariance', '1e-6')
    .option('--n-init <n>', 'initialisations (K-Means with different seeds); the highest likelihood wins', '1')
    .option('--backend <name>', 'kernel backend of the K-Means initialisation: auto | js | wasm | tfjs', 'auto')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--seed <s>', 'random seed', '0')
    .option('--out <file>', 'write memberships: the first input column, `segment`, then probability_0 … probability_{k-1}')
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, flags: GmmFlags) => {
      const k = parseK(flags.k);
      const settings = parseGmmFlags(flags);
      const backend = (flags.backend ?? 'auto').trim();
      const threads = flags.threads !== undefined ? parseIntegerOption('threads', flags.threads, 1, 256) : undefined;
      const seed = parseIntegerOption('seed', flags.seed ?? '0', 0, 4294967295);
      const out = await checkOutFile('out', flags.out, [file]);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const [{ fitGaussianMixture }, { writeMembershipsCsv }] = await Promise.all([import('../../drivers/gaussian-mixture.js'), import('../../results/write-labels-csv.js')]);
        const loaded = await loadFeatures(file, flags, { signal, onProgress: progress.listener });
        const { matrix, featureNames, scaler } = loaded.prepared;
        const g = await fitGaussianMixture(matrix, { k, ...settings, seed, backend, ...(threads !== undefined ? { threads } : {}), signal, onProgress: progress.listener });
        const numbered = numberMixture(g, matrix, (v, cols) => scaler.inverseTransform(v, cols));
        if (out !== undefined) await writeMembershipsCsv(out, loaded.table.idColumn, loaded.table.ids, numbered.labels, numbered.probabilities, k, { inputs: [file] });
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          const doc = {
            k,
            covariance: g.covariance,
            meanLogLikelihood: g.meanLogLikelihood,
            bic: g.bic,
            aic: g.aic,
            sizes: numbered.sizes,
            converged: g.converged,
            iterations: g.iterations,
            rows: g.rows,
            features: featureNames,
            scale: loaded.scale,
            weights: numbered.weights.map((w) => roundTo(w, 6)),
            means: numbered.means.map((m) => m.map((v) => roundTo(v, 4))),
            parameters: g.parameters,
            backend: g.backend,
            notes: g.notes,
            ...(out !== undefined ? { out } : {}),
            seconds: roundTo(seconds, 3),
          };
          process.stdout.write(`${JSON.stringify(doc)}\n`);
          return;
        }
        process.stdout.write(
          `Gaussian mixture (${g.covariance} covariance) k=${k} on ${groupDigits(g.rows)} customers × ${featureNames.length} features (scale ${loaded.scale})\n` +
            `mean log-likelihood ${g.meanLogLikelihood.toPrecision(8)}, BIC ${g.bic.toPrecision(8)}, AIC ${g.aic.toPrecision(8)}; ${g.iterations} EM iterations (${g.converged ? 'converged' : 'not converged'}), ${seconds.toFixed(2)} s\n\n`,
        );
        const body = numbered.means.map((m, s) => [
          String(s),
          groupDigits(numbered.sizes[s]!),
          `${((100 * numbered.sizes[s]!) / g.rows).toFixed(1)}%`,
          numbered.weights[s]!.toFixed(3),
          ...m.map((v) => v.toFixed(2)),
        ]);
        process.stdout.write(`${formatTable(['segment', 'customers', 'share', 'weight', ...featureNames], body)}\n`);
        for (const note of g.notes) process.stdout.write(`note: ${note}\n`);
        if (out !== undefined) process.stdout.write(`memberships written to ${out}\n`);
      });
    });
}
