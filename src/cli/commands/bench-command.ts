/**
 * `segmenta bench`: the kernel bench (one assign pass per backend for
 * n × d × k) and the job bench (the k = 1..10 sweep, n_init 3, standard
 * scaling, on generated customers from CSV, load included), printed as
 * tables. Where /usr/bin/python3 has scikit-learn, the same sweep runs in
 * scikit-learn on the same file in the same run, with the speed-up and the
 * WCSS-sum comparison. See src/benchmark/ for the pieces.
 */
import { THREADS_DEFAULT_HELP } from '../command-options.js';
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';

interface BenchOptions {
  quick?: boolean;
  huge?: boolean;
  kernel: boolean;
  job: boolean;
  sklearn: boolean;
  rows?: string;
  backends?: string;
  threads?: string;
  json?: boolean;
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new SegmentaError('INVALID_OPTION', `--${name} must be a positive integer, got '${value}'`, { option: name, value });
  return n;
}

/** Adds `bench` to the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark the kernels and the k = 1..10 sweep per backend, side by side with scikit-learn when available')
    .option('--quick', 'small run: n <= 1M, d = 4, k = 10 kernels; 200k customers in the sweep')
    .option('--10m', 'also n = 10M kernels, the 10M x 4 sweep and the 10M x 8 fit peak-RSS check (minutes, GBs)')
    .option('--rows <n>', 'generated customers in the sweep (default 1000000)')
    .option('--backends <list>', 'comma-separated backends (default: every available one; js only up to 200k rows in the sweep)')
    .option('--threads <n>', `worker threads (default: ${THREADS_DEFAULT_HELP})`)
    .option('--no-kernel', 'skip the kernel bench')
    .option('--no-job', 'skip the sweep bench')
    .option('--no-sklearn', 'do not run scikit-learn')
    .option('--json', 'print one JSON document with the raw results')
    .action(async (o: BenchOptions & { '10m'?: boolean }) => {
      const rows = positiveInteger('rows', o.rows);
      const threads = positiveInteger('threads', o.threads);
      const { runBenchSuite } = await import('../../benchmark/bench-suite.js');
      const r = await runBenchSuite({
        quick: o.quick ?? false,
        huge: o['10m'] ?? false,
        kernel: o.kernel,
        job: o.job,
        sklearn: o.sklearn,
        ...(rows !== undefined ? { rows } : {}),
        ...(threads !== undefined ? { threads } : {}),
        ...(o.backends ? { backends: o.backends.split(',').map((s) => s.trim()) } : {}),
        ...(process.stderr.isTTY ? { log: (s: string) => void process.stderr.write(`${s}\n`) } : {}),
      });
      if (o.json) process.stdout.write(`${JSON.stringify({ ...r, markdown: undefined })}\n`);
      else process.stdout.write(r.markdown);
    });
}
