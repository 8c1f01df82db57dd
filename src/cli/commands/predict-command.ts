/**
 * `segmenta predict MODEL FILE [--out labels.csv] [--json]`: applies a model
 * saved by `segmenta kmeans --save-model` (its encoding, scaling and
 * centroids) to the customers of FILE.
 */
import type { Command } from 'commander';
import { readCustomerTable } from '../../data-in/read-customer-table.js';
import { predictDocument } from '../../pipeline/result-documents.js';
import { loadModel } from '../../results/kmeans-model.js';
import { csvQuote, writeLabelsCsv } from '../../results/write-labels-csv.js';
import { checkOutFile, withCliJob } from '../command-options.js';
import { groupDigits } from '../../common/format-number.js';

interface PredictFlags {
  out?: string;
  json?: boolean;
}

/** Adds `predict` to the program. */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('label customers with a saved K-Means model (from kmeans --save-model)')
    .argument('<model>', 'model JSON written by segmenta kmeans --save-model')
    .argument('<file>', 'customer table (.csv or .parquet) with the model\'s feature columns')
    .option('--out <file>', 'write labels: the first input column, then `segment` (0-based); default: print them')
    .option('--json', 'print {rows, k, sizes} as one JSON document instead of the labels')
    .action(async (modelPath: string, file: string, flags: PredictFlags) => {
      const out = await checkOutFile('out', flags.out, [modelPath, file]);
      await withCliJob(async ({ signal, progress }) => {
        const model = await loadModel(modelPath);
        const encode = model.encodedFeatures();
        const table = await readCustomerTable(file, { features: model.sourceFeatures(), encode, signal, onProgress: progress.listener });
        const labels = model.predictTable(table);
        progress.done();
        if (out !== undefined) await writeLabelsCsv(out, table.idColumn, table.ids, labels, [], { inputs: [modelPath, file], signal });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(predictDocument(labels, model.k, out))}\n`);
        } else if (out !== undefined) {
          process.stdout.write(`${groupDigits(labels.length)} customers labelled with k = ${model.k}; labels written to ${out}\n`);
        } else {
          const lines = [`${csvQuote(table.idColumn)},segment`];
          for (let i = 0; i < labels.length; i++) {
            const id = table.ids[i]!;
            lines.push(`${typeof id === 'number' ? id : csvQuote(id)},${labels[i]}`);
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      });
    });
}
