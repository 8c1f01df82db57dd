/**
 * Exact agglomerative clustering without the distance matrix, in `npm run
 * bench`: exact Ward on 100,000 rows and single linkage on 200,000 rows (each
 * in a fresh child process, so its peak RSS is its own), and at 20,000 rows
 * segmenta's Ward and single linkage side by side with scipy's
 * `linkage(X, method)` on the same matrix in the same run.
 *
 * Data: generated Mall-like customers (4 features, seed 42), standard-scaled.
 * Targets (issue 16): Ward 100k ≤ 60 s and ≤ 300 MB RSS; single linkage 200k runs.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../backends/built-in-backends.js';
import { generateCustomers, generatedFeatureMatrix } from '../data-in/generate-customers.js';
import { fitAgglomerative } from '../drivers/agglomerative/fit-agglomerative.js';
import { cutTree, type LinkageTree } from '../drivers/agglomerative/linkage-tree.js';
import { fitScaler } from '../preparation/scaling.js';
import { adjustedRandIndex } from '../metrics/cluster-metrics.js';
import { pythonPath } from './sklearn-reference.js';
import { groupDigits } from '../common/format-number.js';

/** One exact fit in a fresh process. */
export interface LinkageFitRow {
  linkage: 'ward' | 'single';
  rows: number;
  backend: string;
  method: string;
  seconds: number;
  /** CPU seconds of the process over the fit (all threads): less noisy than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  /** With `compare`: scipy's seconds on the same matrix, and the agreement of the trees. */
  scipy?: { seconds: number; version: string; sameMerges: number; maxRelHeight: number; ariAt5: number } | { unavailable: string };
}

const MB = 1024 * 1024;

function scaledCustomers(rows: number): { data: Float32Array; rows: number; cols: number } {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features: 4, seed: 42 }));
  return fitScaler(raw, 'standard').transform(raw);
}

const SCIPY = String.raw`
import json, sys, time
import numpy as np, scipy
from scipy.cluster.hierarchy import linkage
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, int(sys.argv[2])).astype(np.float64)
t0 = time.perf_counter()
z = linkage(x, method=sys.argv[3])
t1 = time.perf_counter()
z.astype(np.float64).tofile(sys.argv[4])
print(json.dumps({"seconds": t1 - t0, "version": scipy.__version__}))
`;

async function runScipy(m: { data: Float32Array; rows: number; cols: number }, linkage: string): Promise<{ seconds: number; version: string; z: Float64Array } | { unavailable: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'segmenta-linkage-'));
  try {
    const input = join(dir, 'x.f32');
    const output = join(dir, 'z.f64');
    writeFileSync(input, m.data);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(pythonPath(), ['-c', SCIPY, input, String(m.cols), linkage, output], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      p.on('error', (e) => resolve({ code: -1, stdout, stderr: e.message }));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    if (out.code !== 0) return { unavailable: `${pythonPath()} with scipy failed: ${out.stderr.trim().split('\n').pop() ?? out.code}` };
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(output);
    const z = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice();
    return { ...(JSON.parse(out.stdout.trim()) as { seconds: number; version: string }), z };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child side: one fit, optionally compared with scipy. */
async function child(linkage: 'ward' | 'single', rows: number, compare: boolean): Promise<LinkageFitRow> {
  const m = scaledCustomers(rows);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fitAgglomerative(m, { k: 5, linkage, mode: 'exact', exactMethod: 'matrix-free' });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const row: LinkageFitRow = {
    linkage,
    rows,
    backend: r.backend,
    method: 'matrix-free',
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
  };
  if (compare) {
    const s = await runScipy(m, linkage);
    if ('unavailable' in s) row.scipy = s;
    else {
      const a = r.tree.merges;
      let same = 0;
      for (let q = 0; q < rows - 1; q++) if (a[4 * q] === s.z[4 * q] && a[4 * q + 1] === s.z[4 * q + 1] && a[4 * q + 3] === s.z[4 * q + 3]) same++;
      // Heights compared as sorted sequences (the i-th lowest merge of each), so that merges tied in height may come in either order.
      const ha = Float64Array.from({ length: rows - 1 }, (_, q) => a[4 * q + 2]!).sort();
      const hb = Float64Array.from({ length: rows - 1 }, (_, q) => s.z[4 * q + 2]!).sort();
      let maxRel = 0;
      for (let q = 0; q < rows - 1; q++) maxRel = Math.max(maxRel, Math.abs(ha[q]! - hb[q]!) / Math.max(hb[q]!, 1e-12));
      const scipyTree: LinkageTree = { leaves: rows, merges: s.z };
      row.scipy = { seconds: s.seconds, version: s.version, sameMerges: same / (rows - 1), maxRelHeight: maxRel, ariAt5: await adjustedRandIndex(r.labels, cutTree(scipyTree, 5)) };
    }
  }
  return row;
}

/** Runs one fit in a fresh node process (its own peak RSS). */
export function linkageFitInChild(linkage: 'ward' | 'single', rows: number, compare = false): Promise<LinkageFitRow> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), ['--linkage-child', linkage, String(rows), compare ? '1' : '0'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LinkageFitRow | undefined;
    p.on('message', (m) => (result = m as LinkageFitRow));
    p.on('error', reject);
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`linkage child (${linkage}, ${rows}) exited with ${code}`))));
  });
}

/** Options of {@link runLinkageBench}. */
export interface LinkageBenchOptions {
  /** Rows of the exact Ward fit. Default 100,000. */
  wardRows?: number;
  /** Rows of the single-linkage fit. Default 200,000. */
  singleRows?: number;
  /** Rows of the side-by-side run with scipy. Default 20,000. */
  compareRows?: number;
  log?: (line: string) => void;
}

/** The fits of the linkage bench, in order: scipy comparisons, then the large fits. */
export async function runLinkageBench(o: LinkageBenchOptions = {}): Promise<LinkageFitRow[]> {
  const log = o.log ?? (() => {});
  const rows: LinkageFitRow[] = [];
  for (const linkage of ['ward', 'single'] as const) {
    log(`  exact ${linkage}, ${groupDigits(o.compareRows ?? 20_000)} rows, with scipy…`);
    rows.push(await linkageFitInChild(linkage, o.compareRows ?? 20_000, true));
  }
  log(`  exact ward, ${groupDigits(o.wardRows ?? 100_000)} rows…`);
  rows.push(await linkageFitInChild('ward', o.wardRows ?? 100_000));
  log(`  exact single, ${groupDigits(o.singleRows ?? 200_000)} rows…`);
  rows.push(await linkageFitInChild('single', o.singleRows ?? 200_000));
  return rows;
}

/** The linkage bench as Markdown. */
export function linkageTable(rows: LinkageFitRow[]): string {
  const lines = [
    'Exact agglomerative clustering without the distance matrix (generated Mall-like customers × 4, standard; each fit in a fresh process)',
    '',
    '| linkage | rows | backend | seconds | CPU seconds | peak RSS (MB) | scipy seconds | speed-up vs scipy | merge rows equal to scipy | max relative difference of the sorted heights | ARI vs scipy at k = 5 |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = r.scipy && !('unavailable' in r.scipy) ? r.scipy : undefined;
    lines.push(
      `| ${r.linkage} | ${groupDigits(r.rows)} | ${r.backend} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${r.peakRssMb.toFixed(0)} | ${s ? `${s.seconds.toFixed(2)} (scipy ${s.version})` : r.scipy ? '–' : ''} | ${s ? `${(s.seconds / r.seconds).toFixed(1)}×` : ''} | ${s ? `${(100 * s.sameMerges).toFixed(1)}%` : ''} | ${s ? s.maxRelHeight.toExponential(1) : ''} | ${s ? s.ariAt5.toFixed(4) : ''} |`,
    );
  }
  const ward = rows.find((r) => r.linkage === 'ward' && r.rows >= 100_000);
  const single = rows.find((r) => r.linkage === 'single' && r.rows >= 200_000);
  lines.push('');
  if (ward) lines.push(`- target: exact Ward on ${groupDigits(ward.rows)} rows ≤ 60 s and ≤ 300 MB RSS: ${ward.seconds.toFixed(1)} s, ${ward.peakRssMb.toFixed(0)} MB — ${ward.seconds <= 60 && ward.peakRssMb <= 300 ? 'met' : 'MISSED'}`);
  if (single) lines.push(`- target: single linkage on ${groupDigits(single.rows)} rows: ${single.seconds.toFixed(1)} s, ${single.peakRssMb.toFixed(0)} MB (the matrix would take ${((8 * single.rows * (single.rows - 1)) / 2 / 1e9).toFixed(0)} GB)`);
  const unavailable = rows.find((r) => r.scipy && 'unavailable' in r.scipy)?.scipy as { unavailable: string } | undefined;
  if (unavailable) lines.push(`- scipy: ${unavailable.unavailable}`);
  lines.push('- scipy computes float64 distances from the float64 matrix; segmenta takes float32 rows (leaf distances in the float32 contract). The generated data has whole-number ages, incomes and scores, so many distances tie exactly: equal-height merges then come in a different order (the row-by-row match), while the heights (sorted) and the clusters (ARI) agree.\n- CPU seconds count every thread of the process that ran the fit; on a loaded machine they show the work better than the wall time.');
  return lines.join('\n');
}

if (process.argv[2] === '--linkage-child') {
  const row = await child(process.argv[3] as 'ward' | 'single', Number(process.argv[4]), process.argv[5] === '1');
  process.send!(row);
  process.exit(0);
}
