/**
 * Agglomerative benchmark: the pairwise-distance kernel per backend, exact
 * mode up to its bound (seconds and peak RSS, each size in a fresh child
 * process so the RSS is its own), and the two-stage mode on 200k generated
 * customers against K-Means (the issue's target: under a minute, ARI >= 0.8).
 *
 *   node dist/bench/agglomerative-bench.js [--quick] [--json]
 *
 * --quick: exact 5,000 rows and two-stage 50,000 rows only.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import '../src/backends/built-in-backends.js';
import { backendNames, resolveBackend } from '../src/backends/backend-registry.js';
import type { Matrix } from '../src/common/matrix.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { condensedLength } from '../src/drivers/agglomerative/condensed-distances.js';
import { fitAgglomerative, type AgglomerativeMode } from '../src/drivers/agglomerative/fit-agglomerative.js';
import type { Linkage } from '../src/drivers/agglomerative/linkage-tree.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { adjustedRandIndex } from '../src/metrics/cluster-metrics.js';

/** Generated customers (seed 42) with `features` numeric columns, standard-scaled, and their latent segments. */
export function scaledCustomers(rows: number, features: number): { matrix: Matrix; truth: Int32Array } {
  const g = generateCustomers({ rows, features, seed: 42 });
  const raw = generatedFeatureMatrix(g);
  return { matrix: fitScaler(raw, 'standard').transform(raw), truth: g.trueSegment };
}

/** One exact or two-stage fit. */
export interface FitRow {
  mode: AgglomerativeMode;
  linkage: Linkage;
  backend: string;
  rows: number;
  m: number | null;
  seconds: number;
  /** Peak resident set size of the process that ran only this fit (MB). */
  peakRssMb: number;
  /** ARI against segmenta's K-Means with the same k (two-stage rows). */
  ariVsKMeans?: number;
  /** ARI against the generator's latent segments. */
  ariVsTruth?: number;
  kmeansSeconds?: number;
}

/** Million pairwise distances per second of each backend's kernel. */
export async function benchPairwiseKernel(rows: number): Promise<{ backend: string; rows: number; mPairsPerS: number }[]> {
  const { matrix } = scaledCustomers(rows, 4);
  const out: { backend: string; rows: number; mPairsPerS: number }[] = [];
  const buffer = new Float64Array(condensedLength(rows));
  for (const name of backendNames()) {
    const backend = await resolveBackend(name).catch(() => undefined);
    if (!backend) continue;
    const job = await backend.createJob(matrix.data, rows, matrix.cols);
    try {
      if (!job.pairwiseDistances) continue;
      const bench = new Bench({ time: 300, iterations: 2, warmup: true, warmupIterations: 1 });
      bench.add('pairwise', async () => {
        await job.pairwiseDistances!(0, rows - 1, buffer);
      });
      await bench.run();
      const r = bench.getTask('pairwise')?.result as { latency?: { mean: number } } | undefined;
      out.push({ backend: job.backend, rows, mPairsPerS: buffer.length / ((r?.latency?.mean ?? NaN) * 1e3) });
    } finally {
      await job.dispose();
    }
  }
  return out;
}

/** Runs one fit in this process (the child side of {@link fitInChild}). */
async function childFit(mode: AgglomerativeMode, rows: number, linkage: Linkage): Promise<FitRow> {
  const { matrix, truth } = scaledCustomers(rows, 4);
  const t0 = performance.now();
  const r = await fitAgglomerative(matrix, { k: 5, linkage, mode, exactMaxRows: Math.max(20_000, mode === 'exact' ? rows : 0) });
  const seconds = (performance.now() - t0) / 1e3;
  const row: FitRow = { mode: r.mode, linkage, backend: r.backend, rows, m: r.m, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ariVsTruth: await adjustedRandIndex(r.labels, truth) };
  if (mode === 'two-stage') {
    const t1 = performance.now();
    const km = await fitKMeans(matrix, { k: 5 });
    row.kmeansSeconds = (performance.now() - t1) / 1e3;
    row.ariVsKMeans = await adjustedRandIndex(r.labels, km.labels);
  }
  return row;
}

/** Runs one fit in a fresh node process, so the peak RSS is that fit's alone. */
export function fitInChild(mode: AgglomerativeMode, rows: number, linkage: Linkage): FitRow {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', mode, String(rows), linkage], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child fit failed (${mode}, ${rows}, ${linkage}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FitRow;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    process.stdout.write(`${JSON.stringify(await childFit(argv[1] as AgglomerativeMode, Number(argv[2]), argv[3] as Linkage))}\n`);
    return;
  }
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const kernel = await benchPairwiseKernel(quick ? 2000 : 5000);
  const fits: FitRow[] = [];
  for (const rows of quick ? [5000] : [5000, 20_000]) for (const linkage of ['ward', 'single'] as Linkage[]) fits.push(fitInChild('exact', rows, linkage));
  fits.push(fitInChild('two-stage', quick ? 50_000 : 200_000, 'ward'));
  if (json) {
    process.stdout.write(`${JSON.stringify({ kernel, fits })}\n`);
    return;
  }
  console.log('pairwise-distance kernel (condensed, float64 out)');
  for (const k of kernel) console.log(`  ${k.backend.padEnd(24)} ${k.rows} rows  ${k.mPairsPerS.toFixed(1)} M pairs/s`);
  console.log('\nfits (k = 5, generated customers, 4 features, standard scaling; each in a fresh process)');
  for (const f of fits) {
    console.log(
      `  ${f.mode.padEnd(9)} ${f.linkage.padEnd(8)} ${String(f.rows).padStart(7)} rows${f.m ? ` m=${f.m}` : ''}  ${f.seconds.toFixed(2)} s  peak RSS ${f.peakRssMb.toFixed(0)} MB  ` +
        `ARI vs truth ${f.ariVsTruth!.toFixed(3)}${f.ariVsKMeans !== undefined ? `  ARI vs K-Means ${f.ariVsKMeans.toFixed(3)} (K-Means ${f.kmeansSeconds!.toFixed(2)} s)` : ''}  [${f.backend}]`,
    );
  }
  const exact20k = fits.find((f) => f.mode === 'exact' && f.rows === 20_000);
  const two = fits.find((f) => f.mode === 'two-stage')!;
  console.log('\ntargets');
  if (exact20k) console.log(`  exact 20,000 rows within 2 GB: peak RSS ${exact20k.peakRssMb.toFixed(0)} MB ${exact20k.peakRssMb < 2048 ? 'OK' : 'MISSED'}`);
  console.log(`  two-stage ${two.rows.toLocaleString('en-US')} rows under 60 s: ${two.seconds.toFixed(1)} s ${two.seconds < 60 ? 'OK' : 'MISSED'}`);
  console.log(`  ARI vs K-Means >= 0.8: ${two.ariVsKMeans!.toFixed(3)} ${two.ariVsKMeans! >= 0.8 ? 'OK' : 'MISSED'} (ARI vs the latent segments ${two.ariVsTruth!.toFixed(3)})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}
