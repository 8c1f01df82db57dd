/**
 * `segmenta report FILE --features "A,B" [--k auto|N] [--keep Gender,Age] --out DIR`:
 * sweeps k, scores every k with every method, fits K-Means at the suggested k (or the given k) and writes the visual
 * report: DIR/index.html, DIR/*.png, DIR/labels.csv, DIR/segments.json.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import { reportDocument } from '../../pipeline/result-documents.js';
import {
  kSelectionSpec,
  addKSelectionOptions,
  type KSelectionFlags,
  addDataOptions,
  addAlgorithmOptions,
  addFitOptions,
  dataSpec,
  fitSpec,
  parseColumnList,
  parseFitFlags,
  parseIntegerOption,
  parseK,
  checkOutDirectory,
  parseKRange,
  withCliJob,
  type DataFlags,
} from '../command-options.js';
import { formatTable } from '../text-table.js';
import { COMPARE_METHOD_NAMES, parseCompareMethods } from '../../drivers/compare-methods.js';
import { groupDigits } from '../../common/format-number.js';

interface ReportFlags extends DataFlags, KSelectionFlags {
  k?: string;
  kMin?: string;
  kMax?: string;
  sweep?: boolean;
  dendrogram?: boolean;
  out?: string;
  scatter?: string;
  sample?: string;
  force?: boolean;
  compare?: string | boolean;
}

/** Adds `report` to the program. */
export function registerReportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description('segment customers and write a visual report: index.html, charts (PNG), labels.csv, segments.json')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--out <dir>', "report directory to write (required); an earlier report's files there are replaced, nothing else")
    .option('--force', 'write into a non-empty directory that holds no earlier report (only the report files are written)')
    .option('--k <k>', "number of segments, or 'auto' for the k the methods suggest (see --method)", 'auto')
    .option('--k-min <k>', 'smallest k of the sweep', '1')
    .option('--k-max <k>', 'largest k of the sweep', '10')
    .option('--no-sweep', 'with --k N: skip the sweep (no k-selection panel)')
    .option('--no-dendrogram', 'skip the segment tree (Ward linkage of the segment centres)')
    .option('--keep <list>', "columns to profile but not cluster on (e.g. Gender,Age); 'auto' = Gender/Sex and Age when present; 'none'", 'auto')
    .option('--scatter <list>', 'the two features of the scatter (default: the first two)')
    .option('--sample <n>', 'most customers drawn in the scatter (a seeded sample beyond)', '5000')
    .option('--compare [methods]', `add a table comparing methods at the chosen k (${COMPARE_METHOD_NAMES.join(', ')}; default all)`);
  addKSelectionOptions(cmd);
  addDataOptions(cmd);
  addFitOptions(cmd);
  addAlgorithmOptions(cmd);
  cmd.action(async (file: string, flags: ReportFlags) => {
    const outDir = await checkOutDirectory(flags.out, flags.force === true);
    const kRaw = (flags.k ?? 'auto').trim();
    const givenK = kRaw.toLowerCase() === 'auto' ? null : parseK(kRaw);
    const kRange = parseKRange(flags);
    const kSelection = kSelectionSpec(flags);
    if (flags.sweep === false && givenK === null) {
      throw new SegmentaError('INVALID_OPTION', "--no-sweep needs a number of segments: --k auto picks k from the sweep", { option: 'sweep' });
    }
    const scatter = flags.scatter !== undefined ? parseColumnList(flags.scatter, 'scatter') : undefined;
    if (scatter && scatter.length !== 2) {
      throw new SegmentaError('INVALID_OPTION', `--scatter needs exactly two features, got ${scatter.length}: ${scatter.map((s) => `'${s}'`).join(', ')}`, { option: 'scatter' });
    }
    const sampleSize = parseIntegerOption('sample', flags.sample ?? '5000', 10, 1_000_000);
    const compare = flags.compare === undefined ? undefined : { methods: parseCompareMethods(typeof flags.compare === 'string' ? flags.compare : 'all') };
    const fit = parseFitFlags(flags);
    const data = dataSpec(file, flags);
    const keepRaw = (flags.keep ?? 'auto').trim();
    const keep = keepRaw.toLowerCase() === 'none' ? 'none' : keepRaw.toLowerCase() === 'auto' ? 'auto' : parseColumnList(keepRaw, 'keep');
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
        const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
      const r = await segmentCustomers(
        {
          ...data,
          ...fitSpec(fit),
          keep,
          k: givenK ?? 'auto',
          kRange: { min: kRange.min, max: Math.max(kRange.max, givenK ?? 0), lowerMax: givenK === null && cmd.getOptionValueSource('kMax') === 'default' },
          ...kSelection,
          sweep: flags.sweep !== false,
          dendrogram: flags.dendrogram !== false,
          ...(compare ? { compare } : {}),
          outputs: { report: outDir, force: flags.force === true, scatterSample: sampleSize, ...(scatter ? { scatter: [scatter[0]!, scatter[1]!] } : {}) },
        },
        { signal, onProgress: progress.listener },
      );
      progress.done();
      const report = r.report!;
      const k = r.k!;
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(reportDocument(r, seconds))}\n`);
        return;
      }
      process.stdout.write(
        `${k} segments of ${groupDigits(r.table.rows)} customers (${givenK === null ? 'k suggested by the methods' : 'k given'}; scale ${r.spec.scale}, backend ${r.backend}), ${seconds.toFixed(2)} s\n\n`,
      );
      process.stdout.write(
        formatTable(
          ['segment', 'customers', 'share', 'name', 'action'],
          report.segments.map((s) => [String(s.segment), groupDigits(s.size), `${(100 * s.share).toFixed(1)}%`, s.name, s.action]),
        ) + '\n\n',
      );
      process.stdout.write(`report written to ${report.index}\n(${report.files.join(', ')})\n`);
    });
  });
}
