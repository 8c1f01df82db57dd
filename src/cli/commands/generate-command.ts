/**
 * `segmenta generate --rows N [--seed S] [--features D] [--weight-column NAME] --out FILE.csv|FILE.parquet`:
 * writes a seeded, mall-like synthetic customer base.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import { parseIntegerOption } from '../command-options.js';
import { MAX_GENERATED_FEATURES, MAX_GENERATED_ROWS, MIN_GENERATED_FEATURES, writeGeneratedCustomers } from '../../data-in/generate-customers.js';
import { groupDigits } from '../../common/format-number.js';

interface GenerateFlags {
  rows?: string;
  seed?: string;
  features?: string;
  out?: string;
  weightColumn?: string;
}

/** Adds `generate` to the program. */
export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('write a seeded mall-like synthetic customer base (.csv or .parquet)')
    .option('--rows <n>', `number of customers (required; at most ${groupDigits(MAX_GENERATED_ROWS)})`)
    .option('--seed <s>', 'random seed, a 32-bit integer', '42')
    .option('--features <d>', `numeric features: Age, Income, Score, then extras (${MIN_GENERATED_FEATURES}..${MAX_GENERATED_FEATURES})`, '3')
    .option('--out <file>', 'output file, .csv or .parquet (required)')
    .option('--weight-column <name>', 'add a last column of per-customer weights (visit counts 1..20) for --weight')
    .action(async (flags: GenerateFlags) => {
      if (flags.rows === undefined) throw new SegmentaError('INVALID_OPTION', '--rows is required (number of customers)', { option: 'rows' });
      if (flags.out === undefined || flags.out.trim() === '') throw new SegmentaError('INVALID_OPTION', '--out is required (a .csv or .parquet file)', { option: 'out' });
      const rows = parseIntegerOption('rows', flags.rows, 1, MAX_GENERATED_ROWS);
      const seed = parseIntegerOption('seed', flags.seed, 0, 4294967295);
      const features = parseIntegerOption('features', flags.features, MIN_GENERATED_FEATURES, MAX_GENERATED_FEATURES);
      const started = performance.now();
      const info = await writeGeneratedCustomers(flags.out, { rows, seed, features, ...(flags.weightColumn !== undefined ? { weightColumn: flags.weightColumn } : {}) });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `wrote ${info.rows} customers (${info.columns.length} columns, ${features} numeric features, seed ${seed}) to ${info.path} in ${seconds.toFixed(1)} s\n`,
      );
    });
}
