/**
 * `segmenta compare FILE --features "A,B" --k K [--methods kmeans,agglomerative,gmm] [...] [--json]`:
 * several clustering methods on the same (scaled) features, side by side:
 * clusters, noise share, sizes, WCSS, seconds, silhouette, Calinski-Harabasz,
 * Davies-Bouldin, and the adjusted Rand index between every pair. The
 * methods come from the table in drivers/compare-methods.ts.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import { COMPARE_METHODS, COMPARE_METHOD_NAMES, defaultCompareMethods, parseCompareMethods, type ComparedMethod, type MethodsComparison } from '../../drivers/compare-methods.js';
import { addDataOptions, addFitOptions, withCliJob, loadFeatures, parseFitFlags, parseIntegerOption, parseK, parseNumberOption, roundTo } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { addAgglomerativeOptions, describeMode, parseAgglomerativeFlags, type AgglomerativeFlags } from './hclust-command.js';
import { COVARIANCE_TYPES, parseCovarianceType } from '../../drivers/gaussian-mixture.js';
import { groupDigits } from '../../common/format-number.js';

interface CompareFlags extends AgglomerativeFlags {
  k?: string;
  methods?: string;
  silhouetteSample?: string;
  covariance?: string;
  regCovar?: string;
  eps?: string;
  minSamples?: string;
  minClusterSize?: string;
}


const fixed = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** The comparison as the `compare` command prints it: one row per method, then the ARI between every pair. */
export function formatMethodsComparison(c: MethodsComparison): string {
  const header = ['method', 'clusters', 'noise', 'sizes (largest first)', 'WCSS', 'seconds', 'silhouette', 'Calinski-Harabasz', 'Davies-Bouldin'];
  const row = (m: ComparedMethod): string[] => [
    m.label,
    String(m.clusters),
    `${(100 * m.noiseShare).toFixed(1)}%`,
    m.sizes.join(' '),
    m.quality ? m.quality.wcss.toPrecision(8) : '–',
    m.seconds.toFixed(2),
    fixed(m.quality?.silhouette.score, 4),
    fixed(m.quality?.calinskiHarabasz, 2),
    fixed(m.quality?.daviesBouldin, 4),
  ];
  const lines = [formatTable(header, c.methods.map(row))];
  if (c.methods.length > 1) {
    const names = c.methods.map((m) => m.method);
    lines.push('', 'adjusted Rand index between the methods (1 = the same partition):', formatTable(['', ...names], c.ari.map((r, i) => [names[i]!, ...r.map((v) => v.toFixed(4))])));
  }
  const s = c.methods.find((m) => m.quality)?.quality?.silhouette;
  const notes: string[] = [];
  const agg = c.methods.find((m) => m.method === 'agglomerative');
  if (agg) notes.push(`agglomerative ${describeMode(agg.result as Parameters<typeof describeMode>[0])}`);
  if (s) notes.push(s.sampled ? `silhouette on a seeded sample of ${groupDigits(s.sampleSize)} of ${groupDigits(s.rows)} rows` : `silhouette exact on all ${groupDigits(s.rows)} rows`);
  notes.push("WCSS to each cluster's mean");
  if (c.methods.some((m) => m.noise > 0)) notes.push('metrics over the rows that are not noise; ARI counts noise as one more label');
  lines.push('', notes.join('; '));
  return lines.join('\n');
}

/** One method's entry in `compare --json`. */
export function comparedMethodJson(m: ComparedMethod): Record<string, unknown> {
  return {
    method: m.method,
    label: m.label,
    backend: m.backend,
    clusters: m.clusters,
    noise: m.noise,
    noiseShare: m.noiseShare,
    sizes: m.sizes,
    wcss: m.quality?.wcss ?? null,
    seconds: roundTo(m.seconds, 3),
    silhouette: m.quality?.silhouette.score ?? null,
    calinskiHarabasz: m.quality?.calinskiHarabasz ?? null,
    daviesBouldin: m.quality?.daviesBouldin ?? null,
    ...m.details,
  };
}

/** Adds `compare` to the program. */
export function registerCompareCommand(program: Command): void {
  const cmd = program
    .command('compare')
    .description('several clustering methods side by side: clusters, noise, sizes, WCSS, seconds, silhouette, CH, DB and the ARI between them')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of segments, >= 2, for the methods that take k (kmeans, agglomerative, gmm)')
    .option('--methods <list>', `methods to compare: ${COMPARE_METHOD_NAMES.join(', ')} or all (default: kmeans, agglomerative, gmm, plus dbscan with --eps and hdbscan with --min-cluster-size)`);
  addDataOptions(cmd);
  addFitOptions(cmd);
  addAgglomerativeOptions(cmd);
  cmd
    .option('--covariance <type>', `gmm: covariance of each component: ${COVARIANCE_TYPES.join(' | ')}`, 'full')
    .option('--reg-covar <x>', 'gmm: added to the diagonal of every covariance', '1e-6')
    .option('--eps <e>', 'dbscan: neighbourhood radius in the units of the (scaled) features')
    .option('--min-samples <m>', 'dbscan: customers within eps, itself included, that make a core customer', '5')
    .option('--min-cluster-size <n>', 'hdbscan: smallest group of customers that counts as a segment')
    .option('--silhouette-sample <n>', 'rows sampled for the silhouette above 10,000 rows', '10000')
    .action(async (file: string, flags: CompareFlags) => {
      const dbscan = flags.eps !== undefined ? { eps: parseNumberOption('eps', flags.eps, Number.MIN_VALUE), minSamples: parseIntegerOption('min-samples', flags.minSamples ?? '5', 1, 1_000_000_000) } : undefined;
      const hdbscan = flags.minClusterSize !== undefined ? { minClusterSize: parseIntegerOption('min-cluster-size', flags.minClusterSize, 2, 1_000_000_000) } : undefined;
      const methods = flags.methods !== undefined ? parseCompareMethods(flags.methods) : defaultCompareMethods({ ...(dbscan ? { dbscan } : {}), ...(hdbscan ? { hdbscan } : {}) });
      if (methods.includes('dbscan') && !dbscan) {
        throw new SegmentaError('INVALID_OPTION', '--methods lists dbscan, which needs --eps (the neighbourhood radius; segmenta dbscan --plot draws the k-distance curve to choose it)', { option: 'eps' });
      }
      const takesK = methods.some((m) => COMPARE_METHODS[m].takesK);
      const k = takesK ? parseK(flags.k) : undefined;
      if (k !== undefined && k < 2) throw new SegmentaError('INVALID_K', `--k must be >= 2 for compare (silhouette, CH and DB compare clusters), got '${flags.k}'`, { k });
      const fit = parseFitFlags(flags);
      const agg = parseAgglomerativeFlags(flags);
      let covariance;
      try {
        covariance = parseCovarianceType(flags.covariance ?? 'full');
      } catch {
        throw new SegmentaError('INVALID_OPTION', `--covariance must be one of ${COVARIANCE_TYPES.join(', ')}, got '${flags.covariance}'`, { option: 'covariance', value: flags.covariance });
      }
      const regCovar = parseNumberOption('reg-covar', flags.regCovar ?? '1e-6', 0);
      const silhouetteSample = parseIntegerOption('silhouette-sample', flags.silhouetteSample ?? '10000', 2, 1_000_000);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const { compareMethods } = await import('../../drivers/compare-methods.js');
        const loaded = await loadFeatures(file, flags, { signal, onProgress: progress.listener });
        const c = await compareMethods(
          loaded.prepared.matrix,
          methods,
          {
            ...(k !== undefined ? { k } : {}),
            seed: fit.seed,
            backend: fit.backend,
            ...(fit.threads !== undefined ? { threads: fit.threads } : {}),
            signal,
            onProgress: progress.listener,
            kmeans: { nInit: fit.nInit, maxIter: fit.maxIter, tol: fit.tol },
            agglomerative: agg,
            gmm: { covariance, regCovar },
            ...(dbscan ? { dbscan } : {}),
            ...(hdbscan ? { hdbscan } : {}),
          },
          { silhouetteSample, seed: fit.seed },
        );
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        const s = c.methods.find((m) => m.quality)?.quality?.silhouette;
        if (flags.json) {
          const doc = {
            rows: c.rows,
            features: loaded.prepared.featureNames,
            scale: loaded.scale,
            k: k ?? null,
            ...(s ? { silhouette: { sampled: s.sampled, sampleSize: s.sampleSize, rows: s.rows } } : {}),
            methods: c.methods.map(comparedMethodJson),
            ari: c.ari,
            seconds: roundTo(seconds, 3),
          };
          process.stdout.write(`${JSON.stringify(doc)}\n`);
          return;
        }
        process.stdout.write(
          `${c.methods.map((m) => m.label).join(' vs ')}${k !== undefined ? `, k=${k}` : ''}, on ${groupDigits(c.rows)} customers × ${loaded.prepared.featureNames.length} features (scale ${loaded.scale})\n\n`,
        );
        process.stdout.write(`${formatMethodsComparison(c)}\n`);
      });
    });
}
