/**
 * `segmenta sweep FILE --features "A,B" [--k-min 1] [--k-max 10] [--method all]
 * [--plot sweep.png] [--out sweep.csv] [...] [--json]`: K-Means for every k,
 * every method of choosing k, and the suggested k with its reasons.
 */
import type { Command } from 'commander';
import { sweepDocument } from '../../pipeline/result-documents.js';
import { SegmentaError } from '../../common/errors.js';
import { K_METHOD_TITLES, type KMethod } from '../../drivers/suggest-k.js';
import type { KSelection } from '../../drivers/k-selection.js';
import { addAlgorithmOptions, addDataOptions, addWeightOption, addFitOptions, checkOutFile, dataSpec, fitSpec, parseFitFlags, kSelectionSpec, addKSelectionOptions, parseKRange, withCliJob, type DataFlags, type KSelectionFlags, addShardOptions, distributedSpec, withDistributedLog, type ShardFlags } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface SweepFlags extends DataFlags, KSelectionFlags, ShardFlags {
  kMin?: string;
  kMax?: string;
  plot?: string;
  out?: string;
}

/** Adds `sweep` to the program. */
export function registerSweepCommand(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('run K-Means for every k in [k-min, k-max], score each k with every method and suggest k, with reasons')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k-min <k>', 'smallest k', '1')
    .option('--k-max <k>', 'largest k', '10')
    .option('--plot <file.png>', 'write a PNG with every method\'s curve')
    .option('--out <file.csv>', 'write one CSV row per k with every method\'s value');
  addKSelectionOptions(cmd);
  addDataOptions(cmd);
  addWeightOption(cmd);
  addFitOptions(cmd);
  addShardOptions(cmd);
  addAlgorithmOptions(cmd);
  cmd.action(async (file: string, flags: SweepFlags) => {
    const { min: kMin, max: kMax } = parseKRange(flags);
    const kSelection = kSelectionSpec(flags);
    for (const [option, path, ext] of [['plot', flags.plot, '.png'], ['out', flags.out, '.csv']] as const) {
      if (path !== undefined && !path.toLowerCase().endsWith(ext)) {
        throw new SegmentaError('INVALID_OPTION', `--${option} names one ${ext} file, got '${path}'`, { option, value: path });
      }
    }
    // Both destinations are checked before any work: never a directory, a device or the input.
    await checkOutFile('plot', flags.plot, [file]);
    await checkOutFile('out', flags.out, [file]);
    const fit = parseFitFlags(flags);
    const data = { ...dataSpec(file, flags), ...distributedSpec(flags) };
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
      // Heavy modules load lazily (the CLI's cold start stays small).
      const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
      const { kSelectionCsv, kSelectionJson } = await import('../../drivers/k-selection.js');
      const r = await segmentCustomers(
        {
          ...data,
          ...fitSpec(fit),
          k: 'auto',
          // The default --k-max is lowered to the distinct rows of a small file, with a note; a given one is kept.
          kRange: { min: kMin, max: kMax, lowerMax: cmd.getOptionValueSource('kMax') === 'default' },
          ...kSelection,
          fit: false,
          keep: 'none',
          profiles: false,
        },
        { signal, onProgress: withDistributedLog(progress.listener) },
      );
      progress.done();
      const sel = r.selection!;
      const { writeFileAtomic } = await import('../../common/atomic-file.js');
      if (flags.out) await writeFileAtomic(flags.out, kSelectionCsv(sel));
      if (flags.plot) {
        const { kSelectionChartSpec } = await import('../../report/chart-specs.js');
        const { methodCurves } = await import('../../report/k-selection-chart.js');
        const { renderChart } = await import('../../report/render-chart.js');
        const chart = await renderChart(kSelectionChartSpec({ ks: sel.curves.ks, curves: methodCurves(sel), chosenK: sel.choice.suggestedK }), { scale: 2 }, 'sweep');
        await writeFileAtomic(flags.plot, chart.png);
      }
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(sweepDocument(r, seconds))}\n`);
        return;
      }
      process.stdout.write(
        `Sweep k=${sel.sweep.ks[0]}..${sel.sweep.ks[sel.sweep.ks.length - 1]} on ${groupDigits(sel.sweep.rows)} customers × ${sel.sweep.cols} features (scale ${r.spec.scale}, backend ${sel.sweep.backend}), ${seconds.toFixed(2)} s\n\n`,
      );
      process.stdout.write(`${textChart(sel)}\n\n`);
      for (const m of sel.methods) {
        const v = sel.choice.byMethod[m];
        if (v) process.stdout.write(`  ${K_METHOD_TITLES[m]}: ${v.k === null ? 'none' : `k = ${v.k}`} — ${v.why}\n`);
      }
      if (sel.silhouette) {
        process.stdout.write(`  silhouette on ${sel.silhouette.sampled ? `a seeded sample of ${groupDigits(sel.silhouette.sampleSize)} rows` : `all ${groupDigits(sel.silhouette.sampleSize)} rows`}; gap: ${sel.gap ? `B = ${sel.gap.references} uniform reference sets of ${groupDigits(sel.gap.sampleSize)} rows` : 'not run'}\n`);
      }
      if (sel.mixture) {
        process.stdout.write(`  BIC/AIC: a Gaussian mixture (${sel.mixture.covariance} covariance) at every k, EM from the sweep's K-Means fit\n`);
        for (const failure of sel.mixture.failures) process.stdout.write(`  no mixture at ${failure}\n`);
      }
      process.stdout.write(sel.choice.suggestedK === null ? `\nno suggested k: ${sel.choice.reason}\n` : `\nsuggested k: ${sel.choice.suggestedK}. ${sel.choice.reason}\n`);
      for (const out of [flags.out, flags.plot]) if (out) process.stdout.write(`wrote ${out}\n`);
      for (const note of sel.sweep.notes) process.stdout.write(`note: ${note}\n`);
    });
  });
}

const BAR = 12;

/** One column per method: a bar scaled to the method's own range, its value, and ◆ on the method's pick; ← on the suggested k. */
function textChart(sel: KSelection): string {
  const c = sel.curves;
  const columns: { title: string; values: readonly (number | null)[]; pick: number | null; digits: number }[] = [];
  const pick = (m: KMethod): number | null => sel.choice.byMethod[m]?.k ?? null;
  if (c.wcss) columns.push({ title: 'WCSS', values: c.wcss, pick: sel.methods.includes('elbow') ? pick('elbow') : null, digits: 0 });
  if (c.silhouette) columns.push({ title: 'silhouette ↑', values: c.silhouette, pick: pick('silhouette'), digits: 3 });
  if (c.calinski) columns.push({ title: 'Calinski-H. ↑', values: c.calinski, pick: pick('calinski'), digits: 0 });
  if (c.davies) columns.push({ title: 'Davies-B. ↓', values: c.davies, pick: pick('davies'), digits: 3 });
  if (c.gap) columns.push({ title: 'gap ↑ (1-SE)', values: c.gap.gap, pick: pick('gap'), digits: 3 });
  if (c.bic) columns.push({ title: 'BIC ↓', values: c.bic, pick: pick('bic'), digits: 0 });
  if (c.aic) columns.push({ title: 'AIC ↓', values: c.aic, pick: pick('aic'), digits: 0 });
  const cells = columns.map((col) => {
    const defined = col.values.filter((v): v is number => v !== null && Number.isFinite(v));
    const lo = Math.min(0, ...defined);
    const hi = Math.max(...defined);
    return col.values.map((v, i) => {
      if (v === null || !Number.isFinite(v)) return '';
      const filled = hi > lo ? Math.max(1, Math.round((BAR * (v - lo)) / (hi - lo))) : 1;
      const mark = c.ks[i] === col.pick ? '◆' : ' ';
      return `${'█'.repeat(filled).padEnd(BAR)} ${groupDigits(v, col.digits)}${mark}`;
    });
  });
  const rows = c.ks.map((k, i) => [String(k), ...cells.map((col) => col[i]!), k === sel.choice.suggestedK ? '← suggested' : '']);
  return `${formatTable(['k', ...columns.map((col) => col.title), ''], rows)}\n◆ = that method's k`;
}
