/**
 * `segmenta hclust FILE --features "A,B" --k K [--linkage ward|complete|average|single]
 *  [--scale ..] [--mode auto|exact|two-stage] [--out labels.csv] [--json]`:
 * agglomerative clustering, exact up to the bound and two-stage above it.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import type { AgglomerativeResult } from '../../drivers/agglomerative/fit-agglomerative.js';
import { LINKAGES, dendrogramTop, parseLinkage } from '../../drivers/agglomerative/linkage-tree.js';
import { hclustDocument } from '../../pipeline/result-documents.js';
import { addDataOptions, addWeightOption, dataSpec, labelsOnlySpec, parseIntegerOption, parseK, parseNumberOption, roundCentroids, withCliJob, type DataFlags, THREADS_DEFAULT_HELP } from '../command-options.js';
import { formatSegmentTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

/** Flags of the agglomerative options, shared by `hclust` and `compare`. */
export interface AgglomerativeFlags extends DataFlags {
  linkage?: string;
  mode?: string;
  microClusters?: string;
  exactMaxRows?: string;
}

interface HclustFlags extends AgglomerativeFlags {
  k?: string;
  distanceThreshold?: string;
  topMerges?: string;
  out?: string;
  keepColumns?: boolean;
}

/** Adds --linkage, --mode, --micro-clusters and --exact-max-rows. */
export function addAgglomerativeOptions(cmd: Command): Command {
  return cmd
    .option('--linkage <name>', `linkage: ${LINKAGES.join(' | ')}`, 'ward')
    .option('--mode <mode>', 'auto (exact up to --exact-max-rows rows, else two-stage) | exact | two-stage', 'auto')
    .option('--micro-clusters <m>', 'two-stage mode: K-Means micro-clusters before the linkage', '2000')
    .option('--exact-max-rows <n>', 'largest row count auto runs exact, and the bound of the distance matrix (4·n² bytes) that complete and average need; ward and single run exact at any size without it', '20000');
}

/** The agglomerative settings parsed from the shared flags. */
export function parseAgglomerativeFlags(flags: AgglomerativeFlags): {
  linkage: ReturnType<typeof parseLinkage>;
  mode: 'auto' | 'exact' | 'two-stage';
  microClusters: number;
  exactMaxRows: number;
} {
  const mode = (flags.mode ?? 'auto').trim();
  if (mode !== 'auto' && mode !== 'exact' && mode !== 'two-stage') {
    throw new SegmentaError('INVALID_OPTION', `--mode must be auto, exact or two-stage, got '${flags.mode}'`, { option: 'mode', value: flags.mode });
  }
  let linkage;
  try {
    linkage = parseLinkage(flags.linkage ?? 'ward');
  } catch {
    throw new SegmentaError('INVALID_OPTION', `--linkage must be one of ${LINKAGES.join(', ')}, got '${flags.linkage}'`, { option: 'linkage', value: flags.linkage });
  }
  return {
    linkage,
    mode,
    microClusters: parseIntegerOption('micro-clusters', flags.microClusters ?? '2000', 2, 1_000_000),
    exactMaxRows: parseIntegerOption('exact-max-rows', flags.exactMaxRows ?? '20000', 2, 1_000_000),
  };
}

/** Backend, threads and seed from the shared flags (the K-Means-only ones are not needed here). */
export function parseBackendFlags(flags: DataFlags): { backend: string; threads?: number; seed: number } {
  return {
    backend: (flags.backend ?? 'auto').trim(),
    ...(flags.threads !== undefined ? { threads: parseIntegerOption('threads', flags.threads, 1, 256) } : {}),
    seed: parseIntegerOption('seed', flags.seed ?? '0', 0, 4294967295),
  };
}

/** One line saying how the clustering was computed: `mode: exact` or `mode: two-stage (m = 2,000 micro-clusters)`. */
export function describeMode(result: AgglomerativeResult): string {
  return result.mode === 'exact' ? 'mode: exact' : `mode: two-stage (m = ${groupDigits(result.m!)} micro-clusters)`;
}

/** Adds `hclust` to the program. */
export function registerHclustCommand(program: Command): void {
  const cmd = program
    .command('hclust')
    .description('agglomerative (hierarchical) clustering: exact up to a bound, two-stage (K-Means micro-clusters + linkage) above')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of segments (or give --distance-threshold)')
    .option('--distance-threshold <d>', 'cut the tree where merges reach this linkage distance instead of --k');
  addDataOptions(cmd);
  addWeightOption(cmd);
  addAgglomerativeOptions(cmd);
  cmd
    .option('--backend <name>', 'kernel backend: auto | js | wasm | tfjs', 'auto')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--seed <s>', 'random seed (two-stage micro-clusters)', '0')
    .option('--top-merges <n>', 'merges of the dendrogram in the JSON output', '30')
    .option('--json', 'print one JSON document on stdout')
    .option('--out <file>', 'write labels: the first input column, then `segment` (0-based, by descending size)')
    .option('--keep-columns', 'with --out: also write every original column, in file order, before `segment`')
    .action(async (file: string, flags: HclustFlags) => {
      if ((flags.k === undefined) === (flags.distanceThreshold === undefined)) {
        throw new SegmentaError('INVALID_OPTION', 'give exactly one of --k and --distance-threshold', { option: 'k' });
      }
      const k = flags.k !== undefined ? parseK(flags.k) : undefined;
      const distanceThreshold = flags.distanceThreshold !== undefined ? parseNumberOption('distance-threshold', flags.distanceThreshold, 0) : undefined;
      const agg = parseAgglomerativeFlags(flags);
      const fit = parseBackendFlags(flags);
      const data = dataSpec(file, flags);
      const topMerges = parseIntegerOption('top-merges', flags.topMerges ?? '30', 1, 100_000);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
        const r = await segmentCustomers(
          {
            ...data,
            ...fit,
            method: 'agglomerative',
            ...(k !== undefined ? { k } : {}),
            agglomerative: { ...agg, ...(distanceThreshold !== undefined ? { distanceThreshold } : {}) },
            ...labelsOnlySpec(flags),
          },
          { signal, onProgress: progress.listener },
        );
        progress.done();
        const result = r.agglomerative!;
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(hclustDocument(r, seconds, topMerges, flags.out))}\n`);
          return;
        }
        const names = r.prepared.featureNames;
        process.stdout.write(
          `Agglomerative (${result.linkage}) k=${result.k} on ${groupDigits(result.rows)} customers × ${names.length} features (scale ${r.spec.scale}, backend ${result.backend})\n` +
            `${describeMode(result)}; WCSS ${result.wcss.toPrecision(8)}, ${seconds.toFixed(2)} s\n\n`,
        );
        process.stdout.write(formatSegmentTable(names, roundCentroids(r.centroids!), r.sizes!, result.rows) + '\n');
        const last = dendrogramTop(result.tree, Math.min(5, Math.max(1, result.tree.leaves - 1))).merges.reverse();
        if (last.length > 0) {
          process.stdout.write(`\nlast merges (distance, customers): ${last.map((m) => `${m.distance.toPrecision(5)} (${groupDigits(m.size)})`).join(', ')}\n`);
        }
        for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
        if (flags.out) process.stdout.write(`labels written to ${flags.out}\n`);
      });
    });
}
