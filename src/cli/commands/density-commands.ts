/**
 * `segmenta dbscan FILE --eps E [--min-samples M] [--features …] [--scale …]
 *  [--out labels.csv] [--json] [--plot kdist.png]` and
 * `segmenta hdbscan FILE --min-cluster-size N [--min-samples M] [--features …]
 *  [--out labels.csv] [--with-scores] [--json]`: density-based segments with
 * noise (-1, "unusual customers").
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import type { Matrix } from '../../common/matrix.js';
import { addDataOptions, checkOutFile, loadFeatures, parseIntegerOption, parseNumberOption, withCliJob, type DataFlags, THREADS_DEFAULT_HELP } from '../command-options.js';
import { formatSegmentTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface DensityFlags extends DataFlags {
  minSamples?: string;
  out?: string;
  plot?: string;
}

interface DbscanFlags extends DensityFlags {
  eps?: string;
  kdistSample?: string;
}

interface HdbscanFlags extends DensityFlags {
  minClusterSize?: string;
  withScores?: boolean;
}

/** Checks that `--opt FILE` names one file with the extension, before any work. */
function requireExtension(option: string, path: string | undefined, ext: string): void {
  if (path !== undefined && !path.toLowerCase().endsWith(ext)) {
    throw new SegmentaError('INVALID_OPTION', `--${option} names one ${ext} file, got '${path}'`, { option, value: path });
  }
}

/** Per-cluster means of `matrix` (original units), noise left out. */
function clusterCentres(matrix: Matrix, labels: Int32Array, clusters: number): number[][] {
  const { data, rows, cols } = matrix;
  const sums = new Float64Array(clusters * cols);
  const counts = new Float64Array(clusters);
  for (let i = 0; i < rows; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    counts[l]!++;
    for (let j = 0; j < cols; j++) sums[l * cols + j]! += data[i * cols + j]!;
  }
  return Array.from({ length: clusters }, (_, c) => Array.from({ length: cols }, (_, j) => Math.round((100 * sums[c * cols + j]!) / counts[c]!) / 100));
}

function summaryLine(rows: number, clusters: number, noise: number): string {
  const share = rows > 0 ? ((100 * noise) / rows).toFixed(1) : '0.0';
  return `${clusters} segment${clusters === 1 ? '' : 's'}, ${groupDigits(noise)} unusual customer${noise === 1 ? '' : 's'} (noise, ${share}%)`;
}

/** Adds `dbscan` and `hdbscan` to the program. */
export function registerDensityCommands(program: Command): void {
  const dbscan = program
    .command('dbscan')
    .description("DBSCAN: segments of any shape and noise (-1), with scikit-learn's labels")
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--eps <e>', 'neighbourhood radius, in the units of the (scaled) features; see --plot to choose it')
    .option('--min-samples <m>', 'customers within eps, itself included, that make a core customer', '5');
  addDataOptions(dbscan);
  dbscan
    .option('--backend <name>', 'kernel backend of the pairwise search above 5 features: auto | js | wasm | tfjs', 'auto')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--out <file.csv>', 'write labels: the first input column, then `segment` (-1 = noise)')
    .option('--plot <file.png>', 'write the k-distance plot (k = min-samples − 1) with eps marked, to choose eps')
    .option('--kdist-sample <n>', 'rows of the seeded sample the k-distance plot queries', '2000')
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, flags: DbscanFlags) => {
      if (flags.eps === undefined) throw new SegmentaError('INVALID_OPTION', '--eps is required (the neighbourhood radius); run with --plot kdist.png to choose it', { option: 'eps' });
      const eps = parseNumberOption('eps', flags.eps, 0);
      if (eps <= 0) throw new SegmentaError('INVALID_OPTION', `--eps must be a number > 0, got '${flags.eps}'`, { option: 'eps', value: flags.eps });
      const minSamples = parseIntegerOption('min-samples', flags.minSamples ?? '5', 1, 1_000_000_000);
      const kdistSample = parseIntegerOption('kdist-sample', flags.kdistSample ?? '2000', 2, 1_000_000);
      const threads = flags.threads !== undefined ? parseIntegerOption('threads', flags.threads, 1, 256) : undefined;
      requireExtension('out', flags.out, '.csv');
      requireExtension('plot', flags.plot, '.png');
      await checkOutFile('out', flags.out, [file]);
      await checkOutFile('plot', flags.plot, [file]);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const { fitDbscan } = await import('../../drivers/density/dbscan.js');
        const loaded = await loadFeatures(file, flags, { keepOriginal: true, signal, onProgress: progress.listener });
        const matrix = loaded.prepared.matrix;
        const fit = await fitDbscan(matrix, {
          eps,
          minSamples,
          backend: (flags.backend ?? 'auto').trim(),
          ...(threads !== undefined ? { threads } : {}),
          signal,
          onProgress: progress.listener,
          featureNames: loaded.prepared.featureNames,
        });
        if (flags.out) {
          const { writeLabelsCsv } = await import('../../results/write-labels-csv.js');
          await writeLabelsCsv(flags.out, loaded.table.idColumn, loaded.table.ids, fit.labels, [], { inputs: [file] });
        }
        if (flags.plot) {
          const { kDistanceCurve } = await import('../../drivers/density/k-distance.js');
          const { kDistanceChartSpec } = await import('../../report/chart-specs.js');
          const { renderChart } = await import('../../report/render-chart.js');
          const { writeFileAtomic } = await import('../../common/atomic-file.js');
          const curve = await kDistanceCurve(matrix, { k: Math.max(1, minSamples - 1), sampleSize: kdistSample, signal, onProgress: progress.listener });
          const chart = await renderChart(kDistanceChartSpec({ k: curve.k, distances: curve.distances, eps, knee: curve.knee, rows: curve.rows, sampled: curve.sampled }), { scale: 2 }, 'k-distance');
          await writeFileAtomic(flags.plot, chart.png, { inputs: [file] });
        }
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              clusters: fit.clusters,
              noise: fit.noise,
              sizes: fit.sizes,
              eps,
              minSamples,
              rows: matrix.rows,
              features: loaded.prepared.featureNames,
              scale: loaded.scale,
              coreSamples: fit.coreSamples.length,
              neighbourSearch: fit.neighbourSearch,
              backend: fit.backend,
              seconds: Math.round(seconds * 1000) / 1000,
              ...(flags.out ? { labels: flags.out } : {}),
              ...(flags.plot ? { plot: flags.plot } : {}),
            })}\n`,
          );
          return;
        }
        const names = loaded.prepared.featureNames;
        process.stdout.write(
          `DBSCAN eps=${eps} min-samples=${minSamples} on ${groupDigits(matrix.rows)} customers × ${names.length} features (scale ${loaded.scale}, ${fit.neighbourSearch === 'grid' ? 'grid search' : `pairwise kernel on ${fit.backend}`}), ${seconds.toFixed(2)} s\n` +
            `${summaryLine(matrix.rows, fit.clusters, fit.noise)}; ${groupDigits(fit.coreSamples.length)} core customers\n`,
        );
        if (fit.clusters > 0) process.stdout.write(`\nsegment means (original units):\n${formatSegmentTable(names, clusterCentres(loaded.table.matrix, fit.labels, fit.clusters), fit.sizes, matrix.rows)}\n`);
        for (const out of [flags.out, flags.plot]) if (out) process.stdout.write(`wrote ${out}\n`);
      });
    });

  const hdbscan = program
    .command('hdbscan')
    .description("HDBSCAN: segments of varying density, noise (-1) and GLOSH outlier scores, with the hdbscan package's labels")
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--min-cluster-size <n>', 'smallest group of customers that counts as a segment', '5')
    .option('--min-samples <m>', 'neighbours that define a customer\'s core distance (default: min-cluster-size)');
  addDataOptions(hdbscan);
  hdbscan
    .option('--out <file.csv>', 'write labels: the first input column, then `segment` (-1 = noise)')
    .option('--with-scores', 'with --out: also write `outlier_score` (GLOSH) and `probability` before `segment`')
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, flags: HdbscanFlags) => {
      const minClusterSize = parseIntegerOption('min-cluster-size', flags.minClusterSize ?? '5', 2, 1_000_000_000);
      const minSamples = flags.minSamples !== undefined ? parseIntegerOption('min-samples', flags.minSamples, 1, 1_000_000_000) : undefined;
      requireExtension('out', flags.out, '.csv');
      if (flags.withScores && !flags.out) throw new SegmentaError('INVALID_OPTION', '--with-scores needs --out FILE.csv', { option: 'with-scores' });
      await checkOutFile('out', flags.out, [file]);
      const started = performance.now();
      await withCliJob(async ({ signal, progress }) => {
        const { fitHdbscan } = await import('../../drivers/density/hdbscan.js');
        const loaded = await loadFeatures(file, flags, { keepOriginal: true, signal, onProgress: progress.listener });
        const matrix = loaded.prepared.matrix;
        const fit = await fitHdbscan(matrix, { minClusterSize, ...(minSamples !== undefined ? { minSamples } : {}), signal, onProgress: progress.listener, featureNames: loaded.prepared.featureNames });
        if (flags.out) {
          const { writeLabelsCsv } = await import('../../results/write-labels-csv.js');
          const columns = flags.withScores
            ? [
                { name: 'outlier_score', values: fit.outlierScores },
                { name: 'probability', values: fit.probabilities },
              ]
            : [];
          await writeLabelsCsv(flags.out, loaded.table.idColumn, loaded.table.ids, fit.labels, columns, { inputs: [file] });
        }
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        // The most unusual customers: highest GLOSH scores.
        const top = Array.from(fit.outlierScores.keys())
          .sort((a, b) => fit.outlierScores[b]! - fit.outlierScores[a]! || a - b)
          .slice(0, 5)
          .map((i) => ({ id: loaded.table.ids[i]!, outlierScore: Math.round(fit.outlierScores[i]! * 1e4) / 1e4, segment: fit.labels[i]! }));
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              clusters: fit.clusters,
              noise: fit.noise,
              sizes: fit.sizes,
              minClusterSize: fit.minClusterSize,
              minSamples: fit.minSamples,
              rows: matrix.rows,
              features: loaded.prepared.featureNames,
              scale: loaded.scale,
              mostUnusual: top,
              seconds: Math.round(seconds * 1000) / 1000,
              ...(flags.out ? { labels: flags.out } : {}),
            })}\n`,
          );
          return;
        }
        const names = loaded.prepared.featureNames;
        process.stdout.write(
          `HDBSCAN min-cluster-size=${fit.minClusterSize} min-samples=${fit.minSamples} on ${groupDigits(matrix.rows)} customers × ${names.length} features (scale ${loaded.scale}), ${seconds.toFixed(2)} s\n` +
            `${summaryLine(matrix.rows, fit.clusters, fit.noise)}\n`,
        );
        if (fit.clusters > 0) process.stdout.write(`\nsegment means (original units):\n${formatSegmentTable(names, clusterCentres(loaded.table.matrix, fit.labels, fit.clusters), fit.sizes, matrix.rows)}\n`);
        process.stdout.write(`\nmost unusual customers (GLOSH outlier score): ${top.map((t) => `${loaded.table.idColumn} ${t.id} (${t.outlierScore}${t.segment < 0 ? ', noise' : `, segment ${t.segment}`})`).join('; ')}\n`);
        if (flags.out) process.stdout.write(`wrote ${flags.out}\n`);
      });
    });
}
