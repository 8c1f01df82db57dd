/**
 * The report's dendrogram, fitted: agglomerative clustering (Ward) of a
 * seeded sample of the customers, truncated to its top merges and turned into
 * the chart's input. It runs a fit, so it lives above the report.
 */
import type { KernelBackend } from '../backends/kernel-contract.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import { fitAgglomerative } from '../drivers/agglomerative/fit-agglomerative.js';
import { dendrogramTop, type Linkage } from '../drivers/agglomerative/linkage-tree.js';
import { capitalise } from '../insights/feature-labels.js';
import { sampleIndices } from '../report/chart-data.js';
import type { DendrogramChartInput } from '../report/chart-specs.js';
import { DEFAULT_DENDROGRAM_SAMPLE, dendrogramChartInput } from '../report/dendrogram-input.js';
import { groupDigits } from '../common/format-number.js';

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
      ? `a seeded random sample of ${groupDigits(rows.length)} of ${groupDigits(matrix.rows)} customers (seed ${seed})`
      : `all ${groupDigits(matrix.rows)} customers`;
  const cut = options.k !== undefined && options.k >= 2 ? `; dashed: the cut into ${options.k} clusters` : '';
  return dendrogramChartInput(top, options.k, `${capitalise(linkage)} linkage on ${what}, top ${top.merges.length} merges; leaves show customers below them${cut}.`);
}
