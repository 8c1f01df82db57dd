/**
 * `segmenta compare FILE --features "A,B" --k K [--linkage ward] [...] [--json]`:
 * K-Means and agglomerative clustering with the same k on the same (scaled)
 * features, side by side: sizes, WCSS, seconds, silhouette, Calinski-Harabasz,
 * Davies-Bouldin, and the adjusted Rand index between the two partitions.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import type { ClusteringComparison, MethodComparison } from '../../drivers/agglomerative/compare-clusterings.js';
import { addDataOptions, addFitOptions, withCliJob, loadFeatures, parseFitFlags, parseIntegerOption, parseK, roundTo } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { addAgglomerativeOptions, describeMode, parseAgglomerativeFlags, type AgglomerativeFlags } from './hclust-command.js';

interface CompareFlags extends AgglomerativeFlags {
  k?: string;
  silhouetteSample?: string;
}

/** The comparison as the `compare` command prints it (one row per method). */
export function formatComparison(c: ClusteringComparison): string {
  const header = ['method', 'sizes (largest first)', 'WCSS', 'seconds', 'silhouette', 'Calinski-Harabasz', 'Davies-Bouldin'];
  const row = (m: MethodComparison): string[] => [
    m.label,
    [...m.quality.sizes].sort((a, b) => b - a).join(' '),
    m.quality.wcss.toPrecision(8),
    m.seconds.toFixed(2),
    m.quality.silhouette.score.toFixed(4),
    m.quality.calinskiHarabasz.toFixed(2),
    m.quality.daviesBouldin.toFixed(4),
  ];
  const s = c.kmeans.quality.silhouette;
  const silhouetteNote = s.sampled
    ? `silhouette on a seeded sample of ${s.sampleSize.toLocaleString('en-US')} of ${s.rows.toLocaleString('en-US')} rows`
    : `silhouette exact on all ${s.rows.toLocaleString('en-US')} rows`;
  return [
    formatTable(header, [row(c.kmeans), row(c.agglomerative)]),
    '',
    `adjusted Rand index (K-Means vs agglomerative): ${c.ari.toFixed(4)}`,
    `agglomerative ${describeMode(c.agglomerative.result)}; ${silhouetteNote}; WCSS to each cluster's mean`,
  ].join('\n');
}

function methodJson(m: MethodComparison): Record<string, unknown> {
  return {
    method: m.method,
    label: m.label,
    backend: m.backend,
    sizes: m.quality.sizes,
    wcss: m.quality.wcss,
    seconds: roundTo(m.seconds, 3),
    silhouette: m.quality.silhouette.score,
    calinskiHarabasz: m.quality.calinskiHarabasz,
    daviesBouldin: m.quality.daviesBouldin,
  };
}

/** Adds `compare` to the program. */
export function registerCompareCommand(program: Command): void {
  const cmd = program
    .command('compare')
    .description('K-Means vs agglomerative clustering with the same k: sizes, WCSS, seconds, silhouette, CH, DB and their ARI')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of segments, >= 2 (required)');
  addDataOptions(cmd);
  addFitOptions(cmd);
  addAgglomerativeOptions(cmd);
  cmd.option('--silhouette-sample <n>', 'rows sampled for the silhouette above 10,000 rows', '10000').action(async (file: string, flags: CompareFlags) => {
    const k = parseK(flags.k);
    if (k < 2) throw new SegmentaError('INVALID_K', `--k must be >= 2 for compare (silhouette, CH and DB compare clusters), got '${flags.k}'`, { k });
    const fit = parseFitFlags(flags);
    const agg = parseAgglomerativeFlags(flags);
    const silhouetteSample = parseIntegerOption('silhouette-sample', flags.silhouetteSample ?? '10000', 2, 1_000_000);
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
      const { compareClusterings } = await import('../../drivers/agglomerative/compare-clusterings.js');
      const loaded = await loadFeatures(file, flags, { signal, onProgress: progress.listener });
      const common = { backend: fit.backend, seed: fit.seed, signal, onProgress: progress.listener, ...(fit.threads !== undefined ? { threads: fit.threads } : {}) };
      const c = await compareClusterings(
        loaded.prepared.matrix,
        k,
        { ...common, nInit: fit.nInit, maxIter: fit.maxIter, tol: fit.tol },
        { ...common, ...agg },
        { silhouetteSample, seed: fit.seed, signal, onProgress: progress.listener },
      );
      progress.done();
      const seconds = (performance.now() - started) / 1000;
      const s = c.kmeans.quality.silhouette;
      if (flags.json) {
        const doc = {
          rows: c.rows,
          features: loaded.prepared.featureNames,
          scale: loaded.scale,
          k,
          ari: c.ari,
          mode: c.agglomerative.result.mode,
          m: c.agglomerative.result.m,
          silhouette: { sampled: s.sampled, sampleSize: s.sampleSize, rows: s.rows },
          methods: [methodJson(c.kmeans), { ...methodJson(c.agglomerative), linkage: c.agglomerative.result.linkage, mode: c.agglomerative.result.mode, m: c.agglomerative.result.m }],
          seconds: roundTo(seconds, 3),
        };
        process.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      process.stdout.write(
        `K-Means vs agglomerative, k=${k}, on ${c.rows.toLocaleString('en-US')} customers × ${loaded.prepared.featureNames.length} features (scale ${loaded.scale})\n\n`,
      );
      process.stdout.write(`${formatComparison(c)}\n`);
    });
  });
}
