/**
 * `segmenta demo` (what `npm start` runs): the whole job on a generated
 * customer base — generate, read, scale, sweep k = 1..10, pick the elbow, fit,
 * write the report and print each segment in original units. One call to the
 * pipeline, like every other command.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fitSpec, parseFitFlags, parseIntegerOption, withCliJob, type DataFlags, THREADS_DEFAULT_HELP } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { groupDigits } from '../../common/format-number.js';

interface DemoFlags {
  rows?: string;
  backend?: string;
  threads?: string;
  seed?: string;
  out?: string;
}

/** The features the demo segments on. */
export const DEMO_FEATURES = ['Annual Income (k$)', 'Spending Score (1-100)'];

/** Adds `demo` to the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole segmentation job on a generated customer base')
    .option('--rows <n>', 'customers to generate', '100000')
    .option('--backend <name>', 'kernel backend: auto | js | wasm | tfjs', 'auto')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--seed <s>', 'random seed', '42')
    .option('--out <dir>', 'report directory', 'segmenta-report')
    .action(async (flags: DemoFlags) => {
      const rows = parseIntegerOption('rows', flags.rows ?? '100000', 10, 100_000_000);
      const dataFlags: DataFlags = {
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.threads ? { threads: flags.threads } : {}),
        seed: flags.seed ?? '42',
      };
      const fit = parseFitFlags(dataFlags);
      const out = process.stdout;
      out.write(`segmenta demo: ${groupDigits(rows)} generated customers (seed ${fit.seed})\n`);
      out.write(`features: ${DEMO_FEATURES.join(', ')} (standard scaling)\n\n`);
      await withCliJob(async ({ signal, progress }) => {
        const { segmentCustomers } = await import('../../pipeline/segment-customers.js');
        const r = await segmentCustomers(
          {
            data: { generate: { rows, seed: fit.seed } },
            features: DEMO_FEATURES,
            // Gender and Age feed the report's charts.
            keep: ['Gender', 'Age'],
            scale: 'standard',
            ...fitSpec(fit),
            k: 'auto',
            kRange: { min: 1, max: 10 },
            outputs: { report: resolve(flags.out ?? 'segmenta-report') },
          },
          { signal, onProgress: progress.listener },
        );
        progress.done();
        const sweep = r.sweep!;
        const top = Math.max(...sweep.wcss);
        out.write(`1. WCSS elbow sweep, k = 1..10 (backend ${sweep.backend}, ${sweep.seconds.toFixed(2)} s)\n`);
        out.write(
          formatTable(
            ['k', 'WCSS', ''],
            sweep.points.map((p) => [String(p.k), p.wcss.toFixed(1), '█'.repeat(Math.max(1, Math.round((30 * p.wcss) / top))) + (p.k === r.k ? '  ← elbow' : '')]),
          ) + '\n\n',
        );
        const result = r.kmeans!;
        out.write(`2. Segments at k = ${r.k}, numbered by size (WCSS ${result.wcss.toFixed(1)}, ${result.iterations} iterations, ${result.seconds.toFixed(2)} s)\n`);
        out.write(
          formatTable(
            ['segment', 'customers', 'share', 'income (k$)', 'spending (1-100)', 'name', 'action'],
            r.profiles!.segments.map((s) => [
              String(s.segment),
              groupDigits(s.size),
              `${(100 * s.share).toFixed(1)}%`,
              s.centroid[0]!.toFixed(1),
              s.centroid[1]!.toFixed(1),
              s.name,
              s.action,
            ]),
          ) + '\n\n',
        );
        out.write(`report written to ${r.report!.index}\n`);
      });
    });
}
