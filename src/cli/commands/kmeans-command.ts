/**
 * `segmenta kmeans FILE --features "A,B" --k K [...] [--out labels.csv] [--json]`:
 * fits K-Means and prints (or writes) every customer's segment.
 */
import type { Command } from 'commander';
import { fitKMeans } from '../../drivers/kmeans.js';
import { writeLabelsCsv } from '../../results/write-labels-csv.js';
import {
  addDataOptions,
  addFitOptions,
  centroidsInOriginalUnits,
  withCliJob, loadFeatures,
  parseFitFlags,
  parseK,
  roundTo,
  type DataFlags,
} from '../command-options.js';
import { formatSegmentTable } from '../text-table.js';

interface KMeansFlags extends DataFlags {
  k?: string;
  out?: string;
}

/** Adds `kmeans` to the program. */
export function registerKMeansCommand(program: Command): void {
  const cmd = program
    .command('kmeans')
    .description('fit K-Means with a given k and report each segment')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of segments (required)');
  addDataOptions(cmd);
  addFitOptions(cmd);
  cmd.option('--out <file>', 'write labels: the first input column, then `segment` (0-based)').action(async (file: string, flags: KMeansFlags) => {
    const k = parseK(flags.k);
    const fit = parseFitFlags(flags);
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
      const loaded = await loadFeatures(file, flags, { signal, onProgress: progress.listener });
      const result = await fitKMeans(loaded.prepared.matrix, { k, ...fit, signal, onProgress: progress.listener });
      progress.done();
      if (flags.out) await writeLabelsCsv(flags.out, loaded.table.idColumn, loaded.table.ids, result.labels);
      const centroids = centroidsInOriginalUnits(loaded, result.centroids, k);
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        const doc = {
          backend: result.backend,
          rows: result.rows,
          features: loaded.prepared.featureNames,
          scale: loaded.scale,
          k,
          wcss: result.wcss,
          iterations: result.iterations,
          converged: result.converged,
          centroids,
          sizes: result.sizes,
          seconds: roundTo(seconds, 3),
          notes: result.notes,
          ...(flags.out ? { out: flags.out } : {}),
        };
        process.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      const names = loaded.prepared.featureNames;
      process.stdout.write(
        `K-Means k=${k} on ${result.rows.toLocaleString('en-US')} customers × ${names.length} features (scale ${loaded.scale}, backend ${result.backend})\n` +
          `WCSS ${result.wcss.toPrecision(8)} after ${result.iterations} iterations (${result.converged ? 'converged' : 'not converged'}), ${seconds.toFixed(2)} s\n\n`,
      );
      process.stdout.write(formatSegmentTable(names, centroids, result.sizes, result.rows) + '\n');
      for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
      if (flags.out) process.stdout.write(`labels written to ${flags.out}\n`);
    });
  });
}
