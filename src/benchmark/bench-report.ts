/**
 * Formats bench results as Markdown tables (readable in a terminal too; the
 * bench sections of docs/benchmarks.md are made of them).
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import type { JobBenchResult } from './job-bench.js';
import type { KernelBenchRow } from './kernel-bench.js';
import { groupDigits } from '../common/format-number.js';

function md(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+( ?[×x%s]+)?$/.test(r[j]!)));
  const cell = (c: string, j: number): string => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!));
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${widths.map((w, j) => (numeric[j] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const count = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** The machine line printed above the tables. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const [l1, l5] = loadavg();
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GB; load average ${l1!.toFixed(2)} (1 min), ${l5!.toFixed(2)} (5 min)`;
}

/** Kernel bench table: one row per backend × n × d × k. */
export function kernelTable(rows: KernelBenchRow[]): string {
  return md(
    ['backend', 'n', 'd', 'k', 'create job (ms)', 'first pass (ms)', 'warm pass median (ms)', 'warm min (ms)', 'samples'],
    rows.map((r) => [r.job, count(r.n), String(r.d), String(r.k), ms(r.createMs), ms(r.firstMs), ms(r.medianMs), ms(r.minMs), String(r.samples)]),
  );
}

/** Job bench table, with scikit-learn's row and the ratios when it ran. */
export function jobTable(result: JobBenchResult): string {
  const sk = 'unavailable' in result.sklearn ? undefined : result.sklearn;
  const rows = result.runs.map((r) => [
    r.refine ? r.job : `${r.job}, refine off`,
    r.run,
    r.seconds.toFixed(2),
    r.loadSeconds.toFixed(2),
    r.sweepSeconds.toFixed(2),
    r.cpuSeconds.toFixed(2),
    r.wcssSum.toFixed(0),
    sk ? `${(sk.wallSeconds / r.seconds).toFixed(2)}×` : '–',
    sk ? `${(sk.cpuSeconds / r.cpuSeconds).toFixed(2)}×` : '–',
    sk ? `${(((r.wcssSum - sk.wcssSum) / sk.wcssSum) * 100).toFixed(2)}%` : '–',
  ]);
  if (sk) {
    rows.push([`scikit-learn ${sk.version} (${sk.threads} threads, ${sk.loader})`, 'one', sk.wallSeconds.toFixed(2), sk.loadSeconds.toFixed(2), sk.fitSeconds.toFixed(2), sk.cpuSeconds.toFixed(2), sk.wcssSum.toFixed(0), '1.00×', '1.00×', '0.00%']);
  }
  const title =
    `Sweep k = ${result.kMin}..${result.kMax}, n_init ${result.nInit}, ${result.scale} scaling, ` +
    `${groupDigits(result.rows)} generated customers × ${result.features.length} features` +
    `${result.spread === 1 ? '' : ` (overlapping segments: every sd × ${result.spread})`} from CSV, load included`;
  const table = md(['implementation', 'run', 'total (s)', 'load (s)', 'sweep (s)', 'CPU (s)', 'WCSS sum', 'speed-up vs scikit-learn', 'CPU ratio vs scikit-learn', 'WCSS sum vs scikit-learn'], rows);
  const note =
    `\n\nsegmenta's default fit adds one refined run per k to the n_init runs (subsample swaps, lower WCSS); ` +
    `"refine off" is scikit-learn's algorithm (n_init k-means++ runs of Lloyd, best WCSS kept). ` +
    `CPU: user + system seconds of the whole process, every thread (scikit-learn's: time.process_time, imports included), ` +
    `a fairer comparison than wall time when the machine is shared.` +
    (sk ? '' : `\n\nscikit-learn: ${'unavailable' in result.sklearn ? result.sklearn.unavailable : ''}`);
  return `${title}\n\n${table}${note}${sk ? `\n\n${targetLine(result, sk.wallSeconds)}` : ''}`;
}

/**
 * Issue 16's target for the sweep: the default run (refine on) at most ⅕ of
 * scikit-learn's time, stretch ⅒; judged on the median of segmenta's runs
 * with defaults (first and warm).
 */
function targetLine(result: JobBenchResult, sklearnSeconds: number): string {
  const mine = result.runs.filter((r) => r.refine).map((r) => r.seconds).sort((a, b) => a - b);
  if (mine.length === 0) return '';
  const median = mine.length % 2 ? mine[(mine.length - 1) / 2]! : (mine[mine.length / 2 - 1]! + mine[mine.length / 2]!) / 2;
  const ratio = sklearnSeconds / median;
  return `target: defaults at most ⅕ of scikit-learn's time (stretch ⅒): median ${median.toFixed(2)} s vs ${sklearnSeconds.toFixed(2)} s = ${ratio.toFixed(2)}× — ${ratio >= 10 ? 'met, stretch met' : ratio >= 5 ? 'met (stretch missed)' : 'MISSED'}`;
}
