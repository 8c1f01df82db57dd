/**
 * The whole bench as one call, shared by `npm run bench` (bench/run.ts) and
 * `segmenta bench` (src/cli/commands/bench-command.ts): the kernel bench, the
 * job bench with scikit-learn side by side, and optionally the huge-n targets.
 */
import { loadavg } from 'node:os';
import { jobTable, kernelTable, machineLine } from './bench-report.js';
import { runHugeSweep, runRssFit, type HugeSweepResult, type RssFitResult } from './huge-bench.js';
import { runJobBench, type JobBenchResult } from './job-bench.js';
import { runKernelBench, type KernelBenchRow } from './kernel-bench.js';
import { linkageTable, runLinkageBench, type LinkageFitRow } from './linkage-bench.js';
import { profileSweep, profileTable, type SweepProfile } from './sweep-profile.js';
import { groupDigits } from '../common/format-number.js';

/** Options of {@link runBenchSuite}. */
export interface BenchSuiteOptions {
  /** Kernel bench at n ≤ 1M, d = 4, k = 10 only; job bench on 200k customers. */
  quick?: boolean;
  /** Adds n = 10M to the kernel bench and runs the huge-n targets (10M × 4 sweep, 10M × 8 fit RSS). */
  huge?: boolean;
  kernel?: boolean;
  job?: boolean;
  /** Also run the job bench on overlapping segments (generator spread 2). Default true. */
  overlap?: boolean;
  /** Where the sweep's time goes: kernel time vs everything else, per k (sweep-profile.ts). Default true. */
  profile?: boolean;
  /** Exact Ward (100k) and single linkage (200k) without the matrix, and scipy at 20k (linkage-bench.ts). Default true. */
  linkage?: boolean;
  /** Customers in the job bench. Default 1,000,000 (200,000 with `quick`). */
  rows?: number;
  backends?: string[];
  threads?: number;
  sklearn?: boolean;
  log?: (line: string) => void;
}

/** Raw results plus the Markdown report. */
export interface BenchSuiteResult {
  machine: string;
  kernel?: KernelBenchRow[];
  job?: JobBenchResult;
  /** The same sweep on the generator variant with overlapping segments (spread 2). */
  jobOverlap?: JobBenchResult;
  profile?: SweepProfile;
  linkage?: LinkageFitRow[];
  huge?: { sweep: HugeSweepResult; rss: RssFitResult };
  markdown: string;
}

const MB = 1024 * 1024;

/** Runs the selected benches in order and renders the report. */
export async function runBenchSuite(o: BenchSuiteOptions = {}): Promise<BenchSuiteResult> {
  const log = o.log ?? (() => {});
  const machine = machineLine();
  const parts = [`# segmenta bench`, machine];
  const result: BenchSuiteResult = { machine, markdown: '' };
  const common = { ...(o.backends ? { backends: o.backends } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}) };
  if (o.kernel ?? true) {
    log('kernel bench…');
    result.kernel = await runKernelBench({
      include10M: o.huge ?? false,
      ...(o.quick ? { sizes: [10_000, 1_000_000], dims: [4], ks: [10] } : {}),
      ...common,
      onRow: (r) => log(`  ${r.job} n=${r.n} d=${r.d} k=${r.k}: ${r.medianMs.toFixed(2)} ms`),
    });
    parts.push(`## Kernel bench: one assign pass (nearest centroid + per-cluster sums)`, kernelTable(result.kernel));
  }
  if (o.job ?? true) {
    log('job bench…');
    result.job = await runJobBench({ rows: o.rows ?? (o.quick ? 200_000 : 1_000_000), sklearn: o.sklearn ?? true, ...common, log });
    parts.push(`## Job bench`, jobTable(result.job));
    if (o.overlap ?? true) {
      log('job bench, overlapping segments…');
      result.jobOverlap = await runJobBench({ rows: o.rows ?? (o.quick ? 200_000 : 1_000_000), sklearn: o.sklearn ?? true, spread: 2, alsoWithoutRefine: false, ...common, log });
      parts.push(jobTable(result.jobOverlap));
    }
  }
  if (o.profile ?? true) {
    log('sweep profile…');
    result.profile = await profileSweep({ rows: o.rows ?? (o.quick ? 200_000 : 1_000_000), ...(o.threads !== undefined ? { threads: o.threads } : {}), log });
    parts.push(`## Where the sweep's time goes`, profileTable(result.profile));
  }
  if (o.linkage ?? true) {
    log('exact agglomerative without the matrix…');
    result.linkage = await runLinkageBench({ ...(o.quick ? { wardRows: 30_000, singleRows: 50_000, compareRows: 5_000 } : {}), log });
    parts.push(`## Exact agglomerative clustering`, linkageTable(result.linkage));
  }
  if (o.huge) {
    log('huge-n targets…');
    const sweep = await runHugeSweep({ log, ...(o.threads !== undefined ? { threads: o.threads } : {}) });
    const rss = await runRssFit();
    result.huge = { sweep, rss };
    parts.push(
      `## Huge n`,
      `- sweep ${groupDigits(sweep.rows)} × ${sweep.features}, k = 1..10, n_init 1, standard, from CSV on ${sweep.job}: ` +
        `${sweep.seconds.toFixed(1)} s (load ${sweep.loadSeconds.toFixed(1)} s, sweep ${sweep.sweepSeconds.toFixed(1)} s; ${sweep.cpuSeconds.toFixed(1)} CPU s, load average ${loadavg()[0]!.toFixed(1)}); ` +
        `target ≤ 10 s: ${sweep.seconds <= 10 ? 'met' : 'MISSED'}\n` +
        `- fit ${groupDigits(rss.rows)} × ${rss.cols}, k = ${rss.k} on ${rss.job}: ${rss.fitSeconds.toFixed(1)} s, peak RSS ${(rss.peakRssBytes / MB).toFixed(0)} MB ` +
        `(target ≤ 1.5 × ${(rss.matrixBytes / MB).toFixed(0)} MB + 300 MB = ${(rss.limitBytes / MB).toFixed(0)} MB; matrix ${rss.adopted ? 'allocated in wasm memory' : 'copied'})`,
    );
  }
  result.markdown = parts.join('\n\n') + '\n';
  return result;
}
