/**
 * `segmenta kmeans FILE --features "A,B" --k K [...] [--out labels.csv [--keep-columns]] [--json]`:
 * fits K-Means and prints (or writes) every customer's segment, numbered as
 * everywhere else (descending size, ties by centre).
 */
import type { Command } from 'commander';
import { kmeansDocument } from '../../pipeline/result-documents.js';
import { addAlgorithmOptions, addDataOptions, addWeightOption, addFitOptions, checkOutFile, dataSpec, labelsOnlySpec, fitSpec, parseFitFlags, parseK, roundCentroids, withCliJob, type DataFlags, addShardOptions, distributedSpec, withDistributedLog, type ShardFlags } from '../command-options.js';
import { formatSegmentTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface KMeansFlags extends DataFlags, ShardFlags {
  k?: string;
  out?: string;
  keepColumns?: boolean;
  saveModel?: string;
}

/** Adds `kmeans` to the program. */
export function registerKMeansCommand(program: Command): void {
  const cmd = program
    .command('kmeans')
    .description('fit K-Means with a given k and report each segment')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k <k>', 'number of segments (required)');
  addDataOptions(cmd);
  addWeightOption(cmd);
  addFitOptions(cmd);
  addShardOptions(cmd);
  addAlgorithmOptions(cmd);
  cmd
    .option('--out <file>', 'write labels: the first input column, then `segment` (0-based, by descending size)')
    .option('--keep-columns', 'with --out: also write every original column, in file order, before `segment`')
    .option('--save-model <file>', 'save the fitted model as JSON; `segmenta predict` applies it to new customers')
    .action(async (file: string, flags: KMeansFlags) => {
      const k = parseK(flags.k);
      const fit = parseFitFlags(flags);
      const data = { ...dataSpec(file, flags), ...distributedSpec(flags) };
      const modelOut = await checkOutFile('save-model', flags.saveModel, [file]);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
        const r = await segmentCustomers(
          {
            ...data,
            ...fitSpec(fit),
            k,
            ...labelsOnlySpec(flags),
          },
          { signal, onProgress: withDistributedLog(progress.listener) },
        );
        progress.done();
        if (modelOut !== undefined) {
          const { saveModel } = await import('../../results/kmeans-model.js');
          await saveModel(modelOut, r.model!);
        }
        const result = r.kmeans!;
        const centroids = roundCentroids(r.centroids!);
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(kmeansDocument(r, seconds, { out: flags.out, model: modelOut }))}\n`);
          return;
        }
        const names = r.prepared.featureNames;
        process.stdout.write(
          `K-Means k=${k} on ${groupDigits(result.rows)} customers × ${names.length} features (scale ${r.spec.scale}, backend ${result.backend})\n` +
            `WCSS ${result.wcss.toPrecision(8)} after ${result.iterations} iterations (${result.converged ? 'converged' : 'not converged'}), ${seconds.toFixed(2)} s\n\n`,
        );
        process.stdout.write(formatSegmentTable(names, centroids, r.sizes!, result.rows) + '\n');
        for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
        if (flags.out) process.stdout.write(`labels written to ${flags.out}\n`);
        if (modelOut !== undefined) process.stdout.write(`model saved to ${modelOut}\n`);
      });
    });
}
