/**
 * `segmenta sweep FILE --features "A,B" [--k-min 1] [--k-max 10] [...] [--json]`:
 * the WCSS elbow curve and the suggested k (the pipeline's rule for choosing k).
 */
import type { Command } from 'commander';
import { sweepDocument } from '../../pipeline/result-documents.js';
import { addDataOptions, addFitOptions, dataSpec, fitSpec, parseFitFlags, parseKRange, withCliJob, type DataFlags } from '../command-options.js';
import { formatTable } from '../text-table.js';

interface SweepFlags extends DataFlags {
  kMin?: string;
  kMax?: string;
}

/** Adds `sweep` to the program. */
export function registerSweepCommand(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('run K-Means for every k in [k-min, k-max]: the WCSS elbow curve and the suggested k')
    .argument('<file>', 'customer table (.csv or .parquet)')
    .option('--k-min <k>', 'smallest k', '1')
    .option('--k-max <k>', 'largest k', '10');
  addDataOptions(cmd);
  addFitOptions(cmd);
  cmd.action(async (file: string, flags: SweepFlags) => {
    const { min: kMin, max: kMax } = parseKRange(flags);
    const fit = parseFitFlags(flags);
    const data = dataSpec(file, flags);
    const started = performance.now();
    await withCliJob(async ({ signal, progress }) => {
        const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
      const r = await segmentCustomers(
        {
          ...data,
          ...fitSpec(fit),
          k: 'auto',
          // The default --k-max is lowered to the distinct rows of a small file, with a note; a given one is kept.
          kRange: { min: kMin, max: kMax, lowerMax: cmd.getOptionValueSource('kMax') === 'default' },
          fit: false,
          keep: 'none',
          profiles: false,
        },
        { signal, onProgress: progress.listener },
      );
      progress.done();
      const sweep = r.sweep!;
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(sweepDocument(r, seconds))}\n`);
        return;
      }
      process.stdout.write(
        `WCSS sweep k=${sweep.ks[0]}..${sweep.ks[sweep.ks.length - 1]} on ${sweep.rows.toLocaleString('en-US')} customers × ${sweep.cols} features (scale ${r.spec.scale}, backend ${sweep.backend}), ${seconds.toFixed(2)} s\n\n`,
      );
      const top = Math.max(...sweep.wcss);
      const rows = sweep.points.map((p) => [
        String(p.k),
        p.wcss.toFixed(2),
        '█'.repeat(Math.max(1, Math.round((30 * p.wcss) / top))) + (p.k === r.k ? '  ← elbow' : ''),
      ]);
      process.stdout.write(formatTable(['k', 'WCSS', ''], rows) + '\n');
      process.stdout.write(r.k === null ? 'no clear elbow on this curve (try a wider k range)\n' : `suggested k (Kneedle elbow): ${r.k}\n`);
      for (const note of sweep.notes) process.stdout.write(`note: ${note}\n`);
    });
  });
}
