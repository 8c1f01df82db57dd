/**
 * Dendrogram data for the report: agglomerative clustering (Ward) of a seeded
 * sample of the customers, truncated to its top merges.
 */
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import { fitAgglomerative } from '../drivers/agglomerative/fit-agglomerative.js';
import { dendrogramTop, type DendrogramTop, type Linkage } from '../drivers/agglomerative/linkage-tree.js';
import type { KernelBackend } from '../backends/kernel-contract.js';
import { sampleIndices } from './chart-data.js';
import type { DendrogramChartInput } from './chart-specs.js';

/** Default rows clustered for the report's dendrogram (an exact Ward tree of 2,000 rows takes a fraction of a second). */
export const DEFAULT_DENDROGRAM_SAMPLE = 2_000;

/**
 * Turns the top of a merge tree into the chart's input: subtrees shown as
 * leaves are numbered 0..L-1 in drawing order and labelled with their size,
 * and a cut line is drawn where the tree splits into `k` clusters.
 */
export function dendrogramChartInput(top: DendrogramTop, k?: number, subtitle?: string): DendrogramChartInput {
  const leafIndex = new Map<number, number>();
  top.leaves.forEach((leaf, i) => leafIndex.set(leaf.id, i));
  const L = top.leaves.length;
  const mergeIndex = new Map<number, number>();
  top.merges.forEach((m, i) => mergeIndex.set(m.id, L + i));
  const node = (id: number): number => leafIndex.get(id) ?? mergeIndex.get(id)!;
  const merges = top.merges.map((m) => ({ left: node(m.left), right: node(m.right), distance: m.distance, size: m.size }));
  let cutDistance: number | undefined;
  const n = merges.length;
  if (k !== undefined && k >= 2 && k <= n) {
    // After all but the last k-1 merges there are k clusters: cut between merge n-k and n-k+1.
    cutDistance = (merges[n - k]!.distance + merges[n - k + 1]!.distance) / 2;
  }
  return {
    merges,
    leaves: L,
    leafLabels: top.leaves.map((leaf) => `(${leaf.size.toLocaleString('en-US')})`),
    ...(cutDistance !== undefined ? { cutDistance } : {}),
    ...(subtitle ? { subtitle } : {}),
  };
}

/** Options of {@link sampleDendrogram}. */
export interface SampleDendrogramOptions {
  /** Draw the cut line for this many clusters. */
  k?: number;
  /** Rows clustered; larger matrices are sampled. Default 2,000. */
  sampleSize?: number;
  /** Seed of the sample. Default 0. */
  seed?: number;
  /** Linkage. Default 'ward'. */
  linkage?: Linkage;
  /** Merges shown. Default 30. */
  topMerges?: number;
  backend?: string | KernelBackend;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/**
 * Clusters a seeded sample of `matrix` (the space the segments were found in,
 * e.g. the scaled matrix) agglomeratively and returns the dendrogram of its
 * top merges, with a subtitle that states the sample.
 *
 * @example
 * const dendrogram = await sampleDendrogram(prepared.matrix, { k: 5, seed: 42 });
 * await writeSegmentationReport(dir, { table, labels, k: 5, dendrogram });
 */
export async function sampleDendrogram(matrix: Matrix, options: SampleDendrogramOptions = {}): Promise<DendrogramChartInput> {
  const size = options.sampleSize ?? DEFAULT_DENDROGRAM_SAMPLE;
  const seed = options.seed ?? 0;
  const rows = sampleIndices(matrix.rows, size, seed);
  const cols = matrix.cols;
  let sample = matrix;
  if (rows.length < matrix.rows) {
    const data = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => data.set(matrix.data.subarray(r * cols, (r + 1) * cols), i * cols));
    sample = { data, rows: rows.length, cols };
  }
  const linkage = options.linkage ?? 'ward';
  const fit = await fitAgglomerative(sample, {
    k: Math.min(Math.max(1, options.k ?? 1), sample.rows),
    linkage,
    mode: 'exact',
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    seed,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const top = dendrogramTop(fit.tree, options.topMerges ?? 30);
  const what =
    rows.length < matrix.rows
      ? `a seeded random sample of ${rows.length.toLocaleString('en-US')} of ${matrix.rows.toLocaleString('en-US')} customers (seed ${seed})`
      : `all ${matrix.rows.toLocaleString('en-US')} customers`;
  const cut = options.k !== undefined && options.k >= 2 ? `; dashed: the cut into ${options.k} clusters` : '';
  return dendrogramChartInput(top, options.k, `${capitalise(linkage)} linkage on ${what}, top ${top.merges.length} merges; leaves show customers below them${cut}.`);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
