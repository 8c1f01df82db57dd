/**
 * The one numbering of segments, used by every output of segmenta (labels
 * files of `kmeans --out` and `hclust --out`, the report, the demo, the
 * model): segments are numbered 0..k-1 by descending size; ties by ascending
 * centre (the segment's feature means, compared feature by feature); then by
 * the label the clustering gave.
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { validateFiniteMatrix } from '../common/validate-matrix.js';

/** The rule that orders segments, in words (written to segments.json). */
export const SEGMENT_ORDER_RULE =
  'segments are numbered by descending size; ties by ascending centre (feature means in original units, compared feature by feature); then by the clustering label';

/** What {@link numberSegments} returns. */
export interface SegmentNumbering {
  /** `order[segment]` = the clustering's label of that segment. */
  order: number[];
  /** `fitLabelToSegment[fitLabel]` = segment number. */
  fitLabelToSegment: number[];
  /** Every row's segment number, in input order. */
  labels: Int32Array;
  /** Rows per segment, in segment order (descending). */
  sizes: number[];
  /** Feature means per segment (k × cols), in segment order, in the units of the matrix given; NaN for an empty segment. */
  centres: number[][];
}

function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) === Number.isNaN(b) ? 0 : Number.isNaN(a) ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Numbers the segments of a clustering by {@link SEGMENT_ORDER_RULE}.
 *
 * The centres are the means of `matrix`'s rows per label. Scaling with a
 * positive factor per feature keeps their order, so the numbering is the same
 * whether `matrix` is in original units or scaled.
 *
 * @param labels the clustering's label of each row, 0..k-1
 * @param k number of segments
 * @param matrix the rows (n × cols) the centres are computed from
 * @throws SegmentaError `SHAPE_MISMATCH` when labels and rows differ; `INVALID_K` for a label outside 0..k-1
 * @example
 * const fit = await fitKMeans(matrix, { k: 5 });
 * const { labels, sizes } = numberSegments(fit.labels, 5, matrix);
 * // sizes[0] >= sizes[1] >= … ; labels[i] is customer i's segment
 */
export function numberSegments(labels: ArrayLike<number>, k: number, matrix: Matrix): SegmentNumbering {
  validateFiniteMatrix(matrix, 'the rows to number', undefined, true);
  const n = matrix.rows;
  const cols = matrix.cols;
  if (!Number.isSafeInteger(k) || k < 1) throw new SegmentaError('INVALID_K', `k must be an integer >= 1, got ${k}`, { k });
  if (labels.length !== n) throw new SegmentaError('SHAPE_MISMATCH', `${labels.length} labels for ${n} rows`, { labels: labels.length, rows: n });
  const fitSizes = new Array<number>(k).fill(0);
  const sums = new Float64Array(k * cols);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < k && Number.isInteger(label))) {
      throw new SegmentaError('INVALID_K', `row ${i}: label ${label} is outside 0..${k - 1}`, { row: i, label, k });
    }
    fitSizes[label]!++;
    const base = label * cols;
    const row = i * cols;
    for (let j = 0; j < cols; j++) sums[base + j]! += matrix.data[row + j]!;
  }
  const centresByFit = Array.from({ length: k }, (_, c) => Array.from({ length: cols }, (_, j) => (fitSizes[c]! > 0 ? sums[c * cols + j]! / fitSizes[c]! : NaN)));
  return numberByCentres(labels, fitSizes, centresByFit);
}

/**
 * {@link numberSegments} from each label's size and centre, when the rows are
 * not in this process (a sharded run passes the fit's sizes and centroids).
 *
 * @param labels the clustering's label of each row, 0..k-1 (checked by the caller)
 * @param fitSizes rows per label
 * @param centresByFit per label, the centre the ties are broken on
 */
export function numberByCentres(labels: ArrayLike<number>, fitSizes: readonly number[], centresByFit: readonly (readonly number[])[]): SegmentNumbering {
  const k = fitSizes.length;
  const cols = centresByFit[0]?.length ?? 0;
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => {
    if (fitSizes[a] !== fitSizes[b]) return fitSizes[b]! - fitSizes[a]!;
    for (let j = 0; j < cols; j++) {
      const d = compareNumbers(centresByFit[a]![j]!, centresByFit[b]![j]!);
      if (d !== 0) return d;
    }
    return a - b;
  });
  const fitLabelToSegment = new Array<number>(k);
  order.forEach((fitLabel, segment) => (fitLabelToSegment[fitLabel] = segment));
  const numbered = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) numbered[i] = fitLabelToSegment[labels[i]!]!;
  return { order, fitLabelToSegment, labels: numbered, sizes: order.map((c) => fitSizes[c]!), centres: order.map((c) => [...centresByFit[c]!]) };
}

/**
 * The numbering of labels that are already numbered (by {@link numberSegments}):
 * segment s is label s. Sizes are counted; centres are left empty.
 */
export function keepNumbering(labels: ArrayLike<number>, k: number): SegmentNumbering {
  const sizes = new Array<number>(k).fill(0);
  const numbered = Int32Array.from(labels);
  for (let i = 0; i < numbered.length; i++) {
    const label = numbered[i]!;
    if (!(label >= 0 && label < k)) throw new SegmentaError('INVALID_K', `row ${i}: label ${label} is outside 0..${k - 1}`, { row: i, label, k });
    sizes[label]!++;
  }
  const order = Array.from({ length: k }, (_, c) => c);
  return { order, fitLabelToSegment: [...order], labels: numbered, sizes, centres: [] };
}

/**
 * Puts k rows of `cols` values (centroids, one per clustering label) in
 * segment order: row s of the result is row `order[s]` of `rows`.
 */
export function reorderRows<T extends Float64Array | Float32Array>(rows: T, cols: number, order: readonly number[]): T {
  const out = new (rows.constructor as new (n: number) => T)(order.length * cols);
  order.forEach((fitLabel, s) => out.set(rows.subarray(fitLabel * cols, (fitLabel + 1) * cols), s * cols));
  return out;
}
