/**
 * `segmenta kprototypes FILE --features "Age,Annual Income (k$)" --categorical Gender --k 5
 * [--gamma G] [--scale standard] [--out labels.csv] [--json]`: k-prototypes (Huang) on
 * numeric features plus categorical columns, with γ as in the kmodes package unless given.
 */
import type { Command } from 'commander';
import { addDataOptions, addFitOptions, checkOutFile, loadFeatures, parseColumnList, parseFitFlags, parseK, parseNumberOption, roundTo, withCliJob, type DataFlags } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface KPrototypesFlags extends DataFlags {
  k?: string;
  categorical?: string;
  gamma?: string;
  out?: string;
}

/** Adds `kprototypes` to the program. */
export function registerKPrototypesCommand(program: Command): void {
  const cmd = program
    .command('kprototypes')
    .description('cluster numeric features and categorical columns together (k-prototypes, Huang\'s cost)')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .requiredOption('--k <k>', 'number of segments')
    .requiredOption('--categorical <list>', 'categorical columns clustered as categories (e.g. Gender)')
    .option('--gamma <g>', "weight of one categorical mismatch (default: the kmodes package's, 0.5 × mean standard deviation of the scaled numeric features)")
    .option('--out <file.csv>', 'write the id column and each customer\'s segment');
  addDataOptions(cmd);
  addFitOptions(cmd);
  cmd.action(async (file: string, flags: KPrototypesFlags) => {
    const k = parseK(flags.k);
    const categorical = parseColumnList(flags.categorical, 'categorical');
    const gamma = flags.gamma !== undefined ? parseNumberOption('gamma', flags.gamma, 0) : undefined;
    await checkOutFile('out', flags.out, [file]);
    const fit = parseFitFlags(flags);
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
      const { encodeCategories } = await import('../../data-in/one-hot.js');
      const { fitKPrototypes } = await import('../../drivers/k-prototypes.js');
      const { writeLabelsCsv } = await import('../../results/write-labels-csv.js');
      const loaded = await loadFeatures(file, flags, { keep: categorical, keepOriginal: true, signal, onProgress: progress.listener });
      const coded = categorical.map((c) => encodeCategories(loaded.table.kept[c] as readonly string[], c));
      const n = loaded.prepared.matrix.rows;
      const codes = new Int32Array(n * coded.length);
      coded.forEach((c, q) => c.codes.forEach((v, i) => (codes[i * coded.length + q] = v)));
      const r = await fitKPrototypes(
        loaded.prepared.matrix,
        { names: categorical, codes, levels: coded.map((c) => c.levels.length) },
        { k, nInit: fit.nInit, seed: fit.seed, maxIter: Math.min(fit.maxIter, 1000), signal, onProgress: progress.listener, ...(gamma !== undefined ? { gamma } : {}) },
      );
      progress.done();
      if (flags.out) await writeLabelsCsv(flags.out, loaded.table.idColumn, loaded.table.ids, r.labels, [], { inputs: [file], signal });
      const p = loaded.prepared.matrix.cols;
      const centres = loaded.prepared.scaler.inverseTransform(r.centroids, p);
      const segments = Array.from({ length: k }, (_, c) => ({
        segment: c,
        size: r.sizes[c]!,
        centre: Object.fromEntries(loaded.prepared.featureNames.map((f, j) => [f, roundTo(centres[c * p + j]!, 4)])),
        modes: Object.fromEntries(categorical.map((name, q) => [name, coded[q]!.levels[r.modes[c * categorical.length + q]!]!])),
      }));
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        const doc = { rows: n, features: loaded.prepared.featureNames, categorical, scale: loaded.scale, k, gamma: r.gamma, gammaSource: r.gammaSource, cost: r.cost, iterations: r.iterations, converged: r.converged, segments, seconds: roundTo(seconds, 3) };
        process.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      process.stdout.write(`k-prototypes, k = ${k} on ${groupDigits(n)} customers (scale ${loaded.scale}); γ = ${r.gamma.toPrecision(4)} (${r.gammaSource}); Huang cost ${r.cost.toPrecision(6)}, ${seconds.toFixed(2)} s\n\n`);
      process.stdout.write(
        formatTable(
          ['segment', 'customers', ...loaded.prepared.featureNames, ...categorical],
          segments.map((s) => [String(s.segment), groupDigits(s.size), ...Object.values(s.centre).map((v) => v.toFixed(2)), ...Object.values(s.modes)]),
        ) + '\n',
      );
      if (flags.out) process.stdout.write(`labels written to ${flags.out}\n`);
    });
  });
}
