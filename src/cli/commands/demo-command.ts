/**
 * `segmenta demo` (what `npm start` runs): the whole job on a generated
 * customer base — generate, read, scale, sweep k = 1..10, pick the elbow, fit,
 * and print each segment in original units.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeGeneratedCustomers } from '../../data-in/generate-customers.js';
import { sweepK } from '../../drivers/elbow-sweep.js';
import { fitKMeans } from '../../drivers/kmeans.js';
import { withCliJob, loadFeatures, parseFitFlags, parseIntegerOption, type DataFlags } from '../command-options.js';
import { formatTable } from '../text-table.js';
import { sampleDendrogram } from '../../pipeline/sample-dendrogram.js';
import { writeSegmentationReport } from '../../report/write-report.js';

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
    .option('--threads <n>', 'worker threads (default: available cores)')
    .option('--seed <s>', 'random seed', '42')
    .option('--out <dir>', 'report directory', 'segmenta-report')
    .action(async (flags: DemoFlags) => {
      const rows = parseIntegerOption('rows', flags.rows ?? '100000', 10, 100_000_000);
      const dataFlags: DataFlags = {
        features: DEMO_FEATURES.join(','),
        scale: 'standard',
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.threads ? { threads: flags.threads } : {}),
        seed: flags.seed ?? '42',
      };
      const fit = parseFitFlags(dataFlags);
      const out = process.stdout;
      const dir = await mkdtemp(join(tmpdir(), 'segmenta-demo-'));
      await withCliJob(async ({ signal, progress }) => {
        try {
          const file = join(dir, 'customers.csv');
          out.write(`segmenta demo: ${rows.toLocaleString('en-US')} generated customers (seed ${fit.seed})\n`);
          await writeGeneratedCustomers(file, { rows, seed: fit.seed });
          // Gender and Age feed the report's charts; the report needs the matrix in original units.
          const loaded = await loadFeatures(file, dataFlags, { keep: ['Gender', 'Age'], keepOriginal: true, signal, onProgress: progress.listener });
          out.write(`features: ${DEMO_FEATURES.join(', ')} (standard scaling)\n\n`);

          const sweep = await sweepK(loaded.prepared.matrix, { kMin: 1, kMax: 10, ...fit, signal, onProgress: progress.listener });
          progress.done();
          const top = Math.max(...sweep.wcss);
          out.write(`1. WCSS elbow sweep, k = 1..10 (backend ${sweep.backend}, ${sweep.seconds.toFixed(2)} s)\n`);
          out.write(
            formatTable(
              ['k', 'WCSS', ''],
              sweep.points.map((p) => [String(p.k), p.wcss.toFixed(1), '█'.repeat(Math.max(1, Math.round((30 * p.wcss) / top))) + (p.k === sweep.suggestedK ? '  ← elbow' : '')]),
            ) + '\n\n',
          );
          const k = sweep.suggestedK ?? 5;
          const result = await fitKMeans(loaded.prepared.matrix, { k, ...fit, signal, onProgress: progress.listener });
          progress.done();
          const dendrogram = await sampleDendrogram(loaded.prepared.matrix, { k, seed: fit.seed, backend: fit.backend, signal, onProgress: progress.listener });
          const report = await writeSegmentationReport(
            resolve(flags.out ?? 'segmenta-report'),
            {
              table: loaded.table,
              labels: result.labels,
              k,
              sweep,
              dendrogram,
              about: { source: `${rows.toLocaleString('en-US')} generated customers (seed ${fit.seed})`, backend: result.backend, scale: 'standard', seed: fit.seed, nInit: fit.nInit, wcss: result.wcss },
            },
            { sampleSeed: fit.seed, signal, onProgress: progress.listener },
          );
          progress.done();
          out.write(`2. Segments at k = ${k}, numbered by size (WCSS ${result.wcss.toFixed(1)}, ${result.iterations} iterations, ${result.seconds.toFixed(2)} s)\n`);
          out.write(
            formatTable(
              ['segment', 'customers', 'share', 'income (k$)', 'spending (1-100)', 'name', 'action'],
              report.profiles.segments.map((s) => [
                String(s.segment),
                s.size.toLocaleString('en-US'),
                `${(100 * s.share).toFixed(1)}%`,
                s.centroid[0]!.toFixed(1),
                s.centroid[1]!.toFixed(1),
                s.name,
                s.action,
              ]),
            ) + '\n\n',
          );
          out.write(`report written to ${report.index}\n`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });
}
