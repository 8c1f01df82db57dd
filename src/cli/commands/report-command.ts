/**
 * `segmenta report FILE --features "A,B" [--k auto|N] [--keep Gender,Age] --out DIR`:
 * sweeps k, fits K-Means at the elbow (or the given k) and writes the visual
 * report: DIR/index.html, DIR/*.png, DIR/labels.csv, DIR/segments.json.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import type { ProgressListener } from '../../common/progress.js';
import { sweepK, type SweepResult } from '../../drivers/elbow-sweep.js';
import { fitKMeans } from '../../drivers/kmeans.js';
import { sampleDendrogram } from '../../pipeline/sample-dendrogram.js';
import { writeSegmentationReport } from '../../report/write-report.js';
import {
  addDataOptions,
  addFitOptions,
  withCliJob, loadFeatures,
  parseColumnList,
  parseFitFlags,
  parseIntegerOption,
  parseK,
  roundTo,
  type DataFlags,
  type LoadedFeatures,
} from '../command-options.js';
import { formatTable } from '../text-table.js';

interface ReportFlags extends DataFlags {
  k?: string;
  kMin?: string;
  kMax?: string;
  sweep?: boolean;
  dendrogram?: boolean;
  out?: string;
  scatter?: string;
  sample?: string;
}

/** Columns `--keep auto` carries along when the file has them (case-insensitive): gender or sex, and age. */
export const AUTO_KEEP_PATTERNS: readonly RegExp[] = [/^(gender|sex)$/i, /^age$/i];

/**
 * Reads the table with the columns that `--keep` asks for: a list, `none`, or
 * `auto` (default: Gender/Sex and Age when present and not features). The
 * table's matrix stays in original units (the scaled copy is `prepared.matrix`).
 */
export async function loadWithKeep(
  file: string,
  flags: DataFlags,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; keepOriginal?: boolean } = {},
): Promise<LoadedFeatures> {
  // The report profiles segments in original units: keep the unscaled matrix.
  options = { ...options, keepOriginal: true };
  const raw = (flags.keep ?? 'auto').trim();
  if (raw.toLowerCase() === 'none') return loadFeatures(file, flags, options);
  if (raw.toLowerCase() !== 'auto') return loadFeatures(file, flags, { ...options, keep: parseColumnList(raw, 'keep') });
  // Plain numeric features are profiled already; one-hot encoded ones (Gender) are worth keeping for their mix chart.
  const encoded = new Set(flags.encode !== undefined ? parseColumnList(flags.encode, 'encode') : []);
  const features = new Set(parseColumnList(flags.features ?? '', 'features').filter((c) => !encoded.has(c)));
  // Guess the usual names first; the reader's UNKNOWN_COLUMN error lists the real ones.
  const guess = ['Gender', 'Age'].filter((c) => !features.has(c));
  try {
    return await loadFeatures(file, flags, { ...options, keep: guess });
  } catch (error) {
    if (!(error instanceof SegmentaError) || error.code !== 'UNKNOWN_COLUMN' || !guess.includes(String(error.details['column']))) throw error;
    const available = Array.isArray(error.details['available']) ? (error.details['available'] as unknown[]).map(String) : [];
    const keep = available.filter((c) => !features.has(c) && AUTO_KEEP_PATTERNS.some((p) => p.test(c.trim())));
    return loadFeatures(file, flags, { ...options, keep });
  }
}

/** Adds `report` to the program. */
export function registerReportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description('segment customers and write a visual report: index.html, charts (PNG), labels.csv, segments.json')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--out <dir>', 'report directory to write (required; replaced when it holds an earlier report)')
    .option('--k <k>', "number of segments, or 'auto' for the elbow of the sweep", 'auto')
    .option('--k-min <k>', 'smallest k of the elbow sweep', '1')
    .option('--k-max <k>', 'largest k of the elbow sweep', '10')
    .option('--no-sweep', 'with --k N: skip the elbow sweep (no elbow chart)')
    .option('--no-dendrogram', 'skip the dendrogram (Ward linkage on a seeded sample of at most 2,000 customers)')
    .option('--keep <list>', "columns to profile but not cluster on (e.g. Gender,Age); 'auto' = Gender/Sex and Age when present; 'none'", 'auto')
    .option('--scatter <list>', 'the two features of the scatter (default: the first two)')
    .option('--sample <n>', 'most customers drawn in the scatter (a seeded sample beyond)', '5000');
  addDataOptions(cmd);
  addFitOptions(cmd);
  cmd.action(async (file: string, flags: ReportFlags) => {
    const outDir = flags.out;
    if (!outDir) throw new SegmentaError('INVALID_OPTION', '--out is required: the directory to write the report to', { option: 'out' });
    const kRaw = (flags.k ?? 'auto').trim();
    const givenK = kRaw.toLowerCase() === 'auto' ? null : parseK(kRaw);
    const kMin = parseK(flags.kMin ?? '1', 'k-min');
    const kMax = Math.max(parseK(flags.kMax ?? '10', 'k-max'), givenK ?? 0);
    if (flags.sweep === false && givenK === null) {
      throw new SegmentaError('INVALID_OPTION', "--no-sweep needs a number of segments: --k auto picks k from the sweep", { option: 'sweep' });
    }
    const scatter = flags.scatter !== undefined ? parseColumnList(flags.scatter, 'scatter') : undefined;
    if (scatter && scatter.length !== 2) {
      throw new SegmentaError('INVALID_OPTION', `--scatter needs exactly two features, got ${scatter.length}: ${scatter.map((s) => `'${s}'`).join(', ')}`, { option: 'scatter' });
    }
    const sampleSize = parseIntegerOption('sample', flags.sample ?? '5000', 10, 1_000_000);
    const fit = parseFitFlags(flags);
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
      const loaded = await loadWithKeep(file, flags, { signal, onProgress: progress.listener });
      for (const name of scatter ?? []) {
        if (!loaded.table.featureNames.includes(name)) {
          throw new SegmentaError('UNKNOWN_COLUMN', `--scatter: '${name}' is not one of the features: ${loaded.table.featureNames.map((f) => `'${f}'`).join(', ')}`, {
            column: name,
          });
        }
      }
      let sweep: SweepResult | undefined;
      if (flags.sweep !== false) {
        // A small table caps the sweep at its row count (k = N itself is still checked by the fit).
        const sweepMax = Math.max(givenK ?? 1, Math.min(kMax, loaded.prepared.matrix.rows));
        sweep = await sweepK(loaded.prepared.matrix, { kMin: Math.min(kMin, sweepMax), kMax: sweepMax, ...fit, signal, onProgress: progress.listener });
        progress.done();
      }
      let k: number;
      if (givenK !== null) k = givenK;
      else if (sweep?.suggestedK != null) k = sweep.suggestedK;
      else {
        throw new SegmentaError(
          'INVALID_K',
          `the WCSS sweep k = ${sweep ? `${sweep.ks[0]}..${sweep.ks[sweep.ks.length - 1]}` : `${kMin}..${kMax}`} shows no clear elbow; choose the number of segments with --k N (WCSS: ${sweep?.wcss.map((w) => w.toPrecision(4)).join(', ')})`,
          { kMin, kMax },
        );
      }
      const result = await fitKMeans(loaded.prepared.matrix, { k, ...fit, signal, onProgress: progress.listener });
      const dendrogram =
        flags.dendrogram === false
          ? undefined
          : await sampleDendrogram(loaded.prepared.matrix, {
              k,
              seed: fit.seed,
              backend: fit.backend,
              ...(fit.threads !== undefined ? { threads: fit.threads } : {}),
              signal,
              onProgress: progress.listener,
            });
      const report = await writeSegmentationReport(
        outDir,
        {
          table: loaded.table,
          labels: result.labels,
          k,
          ...(sweep ? { sweep } : {}),
          ...(dendrogram ? { dendrogram } : {}),
          about: {
            backend: result.backend,
            scale: loaded.scale,
            seed: fit.seed,
            nInit: fit.nInit,
            wcss: result.wcss,
            notes: [...new Set([...(sweep?.notes ?? []), ...result.notes])],
          },
        },
        { ...(scatter ? { scatter: [scatter[0]!, scatter[1]!] as const } : {}), sampleSize, sampleSeed: fit.seed, signal, onProgress: progress.listener },
      );
      progress.done();
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        const doc = {
          backend: result.backend,
          rows: result.rows,
          features: loaded.prepared.featureNames,
          scale: loaded.scale,
          k,
          suggestedK: sweep?.suggestedK ?? null,
          wcss: result.wcss,
          dir: report.dir,
          index: report.index,
          files: report.files,
          segments: report.segments.map((s) => ({ ...s, share: roundTo(s.share, 6) })),
          seconds: roundTo(seconds, 3),
        };
        process.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      process.stdout.write(
        `${k} segments of ${result.rows.toLocaleString('en-US')} customers (${givenK === null ? 'k at the elbow of the WCSS sweep' : 'k given'}; scale ${loaded.scale}, backend ${result.backend}), ${seconds.toFixed(2)} s\n\n`,
      );
      process.stdout.write(
        formatTable(
          ['segment', 'customers', 'share', 'name', 'action'],
          report.segments.map((s) => [String(s.segment), s.size.toLocaleString('en-US'), `${(100 * s.share).toFixed(1)}%`, s.name, s.action]),
        ) + '\n\n',
      );
      process.stdout.write(`report written to ${report.index}\n(${report.files.join(', ')})\n`);
    });
  });
}
