/**
 * The condensed distance matrix (scipy's `pdist` layout): for `n` points, the
 * `n(n-1)/2` distances `d(i, j)`, `i < j`, row after row. Entry (i, j) lives at
 * `i*n - i*(i+1)/2 + (j - i - 1)`.
 *
 * Exact agglomerative clustering keeps it in float64 so that its Lance-Williams
 * updates, ties included, are those of scipy (which scikit-learn calls): 8 bytes
 * per pair, 1.6 GB for 20,000 rows.
 */
import { SegmentaError, throwIfAborted } from '../../common/errors.js';
import type { ProgressListener } from '../../common/progress.js';
import { missingKernel } from '../../backends/backend-registry.js';
import type { KernelJob } from '../../backends/kernel-contract.js';
import { groupDigits } from '../../common/format-number.js';

/** Number of pairs `n(n-1)/2`. */
export function condensedLength(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Bytes of a float64 condensed matrix for `n` points. */
export function condensedBytes(n: number): number {
  return condensedLength(n) * 8;
}

/** Index of pair (i, j), i != j, in the condensed layout. */
export function condensedIndex(n: number, i: number, j: number): number {
  if (i > j) [i, j] = [j, i];
  return i * n - (i * (i + 1)) / 2 + (j - i - 1);
}

/**
 * `base[i] = i*n - i*(i+1)/2 - i - 1`, so that pair (i, j) with i < j is at
 * `base[i] + j`. Float64Array because indices pass 2^31 above ~46k rows.
 */
export function condensedRowBases(n: number): Float64Array {
  const base = new Float64Array(n);
  for (let i = 0; i < n; i++) base[i] = i * n - (i * (i + 1)) / 2 - i - 1;
  return base;
}

/** Allocates the float64 condensed matrix, turning an allocation failure into a `MEMORY_LIMIT` error that states the size. */
export function allocateCondensed(n: number): Float64Array {
  const length = condensedLength(n);
  try {
    return new Float64Array(length);
  } catch (error) {
    throw new SegmentaError(
      'MEMORY_LIMIT',
      `cannot allocate the ${formatBytes(length * 8)} distance matrix for ${groupDigits(n)} rows (${error instanceof Error ? error.message : String(error)}); use the two-stage mode`,
      { rows: n, bytes: length * 8 },
    );
  }
}

/** Pairs computed per kernel call (about 32 MB of output): small enough to stop quickly, big enough to keep threads busy. */
const PAIRS_PER_CALL = 4_000_000;

/**
 * Fills a condensed matrix with the job's `pairwiseDistances` kernel, in row
 * blocks written straight into the matrix (no copy).
 *
 * @throws SegmentaError `KERNEL_NOT_IMPLEMENTED` when the backend lacks the kernel, `ABORTED`
 */
export async function computeCondensedDistances(
  job: KernelJob,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; out?: Float64Array } = {},
): Promise<Float64Array> {
  if (!job.pairwiseDistances) throw missingKernel(job, 'pairwiseDistances');
  const n = job.rows;
  const out = options.out ?? allocateCondensed(n);
  let start = 0;
  let offset = 0;
  let lastReport = 0;
  while (start < n - 1) {
    throwIfAborted(options.signal);
    let end = start;
    let count = 0;
    while (end < n - 1 && count < PAIRS_PER_CALL) {
      count += n - 1 - end;
      end++;
    }
    await job.pairwiseDistances(start, end, out.subarray(offset, offset + count));
    offset += count;
    start = end;
    const now = performance.now();
    if (options.onProgress && (now - lastReport > 100 || start >= n - 1)) {
      lastReport = now;
      options.onProgress({ kind: 'phase', phase: 'distances', detail: `${Math.round((100 * offset) / out.length)}% of ${groupDigits(out.length)} pairs` });
    }
  }
  return out;
}

/** Human-readable byte count (MB / GB, powers of 10). */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
