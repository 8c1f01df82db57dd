/**
 * Ingest benchmark: time and peak memory of `readCustomerTable` on a large
 * generated customer file (default 10M rows × 8 numeric features, CSV).
 *
 *   npm run build:ts && node dist/bench/ingest-bench.js [--rows 10000000] [--features 8] [--format csv|parquet] [--runs 3]
 *
 * Run from the repository root. The input is generated once and cached under
 * `.bench-data/` (gitignored). Each measured read runs in a fresh child
 * process so that its peak RSS (`process.resourceUsage().maxRSS`) belongs to
 * that read alone; the baseline is the child's RSS after loading DuckDB and
 * before reading. "extra" = peak RSS - baseline - matrix bytes.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';

interface Args {
  rows: number;
  features: number;
  format: 'csv' | 'parquet';
  runs: number;
  child?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 10_000_000, features: 8, format: 'csv', runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--rows') args.rows = Number(value);
    else if (flag === '--features') args.features = Number(value);
    else if (flag === '--format') args.format = value === 'parquet' ? 'parquet' : 'csv';
    else if (flag === '--runs') args.runs = Number(value);
    else if (flag === '--child') args.child = value;
    else continue;
    i++;
  }
  return args;
}

interface Measurement {
  seconds: number;
  rows: number;
  cols: number;
  matrixBytes: number;
  baselineRssBytes: number;
  peakRssBytes: number;
}

const MB = 1024 * 1024;

async function child(path: string, features: string[]): Promise<void> {
  // Load DuckDB before taking the baseline, so the baseline includes the library.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  (await DuckDBInstance.create(':memory:')).closeSync();
  const baselineRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  const table = await readCustomerTable(path, { features });
  const seconds = (performance.now() - started) / 1000;
  const m: Measurement = {
    seconds,
    rows: table.rows,
    cols: table.matrix.cols,
    matrixBytes: table.matrix.data.byteLength,
    baselineRssBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.send!(m);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = resolve('.bench-data');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `customers-${args.rows}x${args.features}-seed42.${args.format}`);
  const featureNames = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)'];
  if (!existsSync(path)) {
    const started = performance.now();
    const info = await writeGeneratedCustomers(path, { rows: args.rows, seed: 42, features: args.features });
    console.log(`generated ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    featureNames.splice(0, featureNames.length, ...info.featureNames);
  } else {
    const { generateCustomers } = await import('../src/data-in/generate-customers.js');
    featureNames.splice(0, featureNames.length, ...generateCustomers({ rows: 1, features: args.features }).featureNames);
  }
  if (args.child) return child(args.child, featureNames);

  const results: Measurement[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let run = 0; run < args.runs; run++) {
    const m = await new Promise<Measurement>((resolveRun, reject) => {
      const proc = fork(self, [...process.argv.slice(2), '--child', path], { stdio: 'inherit' });
      let got: Measurement | undefined;
      proc.on('message', (msg) => (got = msg as Measurement));
      proc.on('error', reject);
      proc.on('exit', (code) => (got ? resolveRun(got) : reject(new Error(`child exited with ${code}`))));
    });
    results.push(m);
    const extra = m.peakRssBytes - m.baselineRssBytes - m.matrixBytes;
    console.log(
      `run ${run + 1}: ${m.rows} rows × ${m.cols} features (${args.format}) in ${m.seconds.toFixed(2)} s; ` +
        `peak RSS ${(m.peakRssBytes / MB).toFixed(0)} MB, baseline ${(m.baselineRssBytes / MB).toFixed(0)} MB, ` +
        `matrix ${(m.matrixBytes / MB).toFixed(0)} MB, extra ${(extra / MB).toFixed(0)} MB (${(extra / m.matrixBytes).toFixed(2)}× the matrix)`,
    );
  }
  const seconds = results.map((r) => r.seconds).sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)]!;
  const peak = Math.max(...results.map((r) => r.peakRssBytes));
  console.log(
    JSON.stringify({
      bench: 'ingest',
      format: args.format,
      rows: args.rows,
      features: args.features,
      runs: args.runs,
      medianSeconds: Number(median.toFixed(3)),
      minSeconds: Number(seconds[0]!.toFixed(3)),
      peakRssMB: Math.round(peak / MB),
      matrixMB: Math.round(results[0]!.matrixBytes / MB),
      maxExtraMB: Math.round(Math.max(...results.map((r) => r.peakRssBytes - r.baselineRssBytes - r.matrixBytes)) / MB),
    }),
  );
}

await main();
