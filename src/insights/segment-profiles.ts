/**
 * Segment profiles: for each segment its size and share, the distribution of
 * every feature in original units (mean, median, quartiles…), the mix of
 * categorical columns, and the lift of each against the whole customer base.
 *
 * Segments are put in a stable order — see {@link SEGMENT_ORDER_RULE} — and
 * renumbered 0..k-1 in that order; `labels` holds every customer's segment
 * under the new numbering, so labels.csv, charts and segments.json agree.
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { validateFiniteMatrix } from '../common/validate-matrix.js';
import { describeSortable, emptyStats } from './distribution-stats.js';
import type { CategoryMix, ColumnSummary, FeatureProfile, SegmentProfile, SegmentProfiles } from './insight-types.js';
import { shortFeatureLabels } from './feature-labels.js';
import { keepNumbering, numberSegments, SEGMENT_ORDER_RULE } from '../results/segment-numbering.js';
import { nameSegments } from './segment-names.js';

export type { FeatureLevel, ColumnSummary, FeatureProfile, CategoryLevelShare, CategoryMix, SegmentProfile, SegmentProfiles } from './insight-types.js';

/** What {@link profileSegments} needs. */
export interface ProfileInput {
  /** Names of the matrix columns. */
  featureNames: readonly string[];
  /** rows × features, ORIGINAL units (the table's matrix, not the scaled one). */
  matrix: Matrix;
  /** The clustering's label per row, 0..k-1. */
  labels: ArrayLike<number>;
  /** Number of segments. */
  k: number;
  /** Columns carried along (`CustomerTable.kept`): strings are categorical, Float64Array numeric (NaN = missing). */
  kept?: Readonly<Record<string, readonly string[] | Float64Array>>;
}

/** Tuning of {@link profileSegments}. */
export interface ProfileOptions {
  /** |z| at which a feature counts as high or low for the segment. Default 0.5. */
  levelThreshold?: number;
  /** Levels shown per categorical column before the rest become `(other)`. Default 12. */
  maxCategoryLevels?: number;
  /** The labels are numbered already (by `numberSegments`, as `segmentCustomers` does): keep segment s = label s. Default false. */
  keepNumbering?: boolean;
}

export { SEGMENT_ORDER_RULE };

/**
 * Profiles the segments of a clustering.
 *
 * @throws SegmentaError `SHAPE_MISMATCH` when labels, names or kept columns do not match the matrix; `INVALID_K` when a label is outside 0..k-1
 * @example
 * const table = await readCustomerTable(file, { features, keep: ['Gender', 'Age'] });
 * const fit = await fitKMeans(prepareFeatures(table).matrix, { k: 5 });
 * const profiles = profileSegments({ featureNames: table.featureNames, matrix: table.matrix, labels: fit.labels, k: 5, kept: table.kept });
 * profiles.segments[0].name; // e.g. 'Mid income · Mid spending'
 */
export function profileSegments(input: ProfileInput, options: ProfileOptions = {}): SegmentProfiles {
  const { matrix, k, featureNames } = input;
  const n = matrix.rows;
  const threshold = options.levelThreshold ?? 0.5;
  const maxLevels = options.maxCategoryLevels ?? 12;
  validateInput(input);

  // One numbering for every output (results/segment-numbering.ts), computed on the original units.
  const { order, fitLabelToSegment, labels, sizes } = options.keepNumbering ? keepNumbering(input.labels, k) : numberSegments(input.labels, k, matrix);
  const cols = matrix.cols;

  const featureLabels = shortFeatureLabels(featureNames);
  const keptEntries = Object.entries(input.kept ?? {});
  const numericKept = keptEntries.filter((e): e is [string, Float64Array] => e[1] instanceof Float64Array);
  const categoricalKept = keptEntries.filter((e): e is [string, readonly string[]] => !(e[1] instanceof Float64Array));
  const descriptorLabels = shortFeatureLabels(numericKept.map(([name]) => name));

  const featureStats = featureNames.map((name, j) =>
    columnStats((i) => matrix.data[i * cols + j]!, n, labels, sizes, name, featureLabels[j]!, threshold),
  );
  const descriptorStats = numericKept.map(([name, values], d) => columnStats((i) => values[i]!, n, labels, sizes, name, descriptorLabels[d]!, threshold));
  const categoryMixes = categoricalKept.map(([name, values]) => categoryMix(name, values, labels, sizes, maxLevels));

  const segments: SegmentProfile[] = order.map((fitLabel, s) => ({
    segment: s,
    fitLabel,
    name: '',
    action: '',
    reading: '',
    size: sizes[s]!,
    share: n > 0 ? sizes[s]! / n : 0,
    centroid: featureStats.map((f) => f.perSegment[s]!.mean),
    features: featureStats.map((f) => f.perSegment[s]!),
    descriptors: descriptorStats.map((f) => f.perSegment[s]!),
    categories: categoryMixes.map((m) => m.perSegment[s]!),
  }));
  const named = nameSegments(segments);
  segments.forEach((s, i) => Object.assign(s, named[i]));

  return {
    rows: n,
    k,
    features: featureStats.map((f) => f.overall),
    descriptors: descriptorStats.map((f) => f.overall),
    categories: categoryMixes.map((m) => m.overall),
    segments,
    ordering: SEGMENT_ORDER_RULE,
    fitLabelToSegment,
    labels,
  };
}

function validateInput(input: ProfileInput): void {
  const { matrix, k, featureNames } = input;
  validateFiniteMatrix(matrix, 'profile data', featureNames, true);
  const n = matrix.rows;
  if (!Number.isSafeInteger(k) || k < 1) throw new SegmentaError('INVALID_K', `k must be an integer >= 1, got ${k}`, { k });
  if (featureNames.length !== matrix.cols) {
    throw new SegmentaError('SHAPE_MISMATCH', `${featureNames.length} feature names for a matrix of ${matrix.cols} columns`, {
      names: featureNames.length,
      cols: matrix.cols,
    });
  }
  if (input.labels.length !== n) {
    throw new SegmentaError('SHAPE_MISMATCH', `${input.labels.length} labels for ${n} rows`, { labels: input.labels.length, rows: n });
  }
  for (let i = 0; i < n; i++) {
    const l = input.labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new SegmentaError('INVALID_K', `row ${i + 1} has segment label ${l}, outside 0..${k - 1}`, { row: i + 1, label: l, k });
    }
  }
  for (const [name, values] of Object.entries(input.kept ?? {})) {
    if (values.length !== n) {
      throw new SegmentaError('SHAPE_MISMATCH', `kept column '${name}' has ${values.length} values for ${n} rows`, { column: name, values: values.length, rows: n });
    }
  }
}

/**
 * Overall and per-segment statistics of one numeric column. Values are
 * grouped by segment with a counting sort, then each group is sorted for its
 * percentiles: O(n log n), about a second per 10M values.
 */
function columnStats(
  value: (i: number) => number,
  n: number,
  labels: Int32Array,
  sizes: readonly number[],
  column: string,
  label: string,
  threshold: number,
): { overall: ColumnSummary; perSegment: FeatureProfile[] } {
  const k = sizes.length;
  const valid = new Array<number>(k).fill(0);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(value(i))) missing++;
    else valid[labels[i]!]!++;
  }
  const offsets = new Array<number>(k + 1).fill(0);
  for (let s = 0; s < k; s++) offsets[s + 1] = offsets[s]! + valid[s]!;
  const total = offsets[k]!;
  const grouped = new Float64Array(total);
  const cursor = offsets.slice(0, k);
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (!Number.isNaN(v)) grouped[cursor[labels[i]!]!++] = v;
  }
  const all = describeSortable(grouped.slice());
  const overall: ColumnSummary = { column, label, missing, ...all };
  const perSegment = sizes.map((size, s): FeatureProfile => {
    const stats = valid[s]! > 0 ? describeSortable(grouped.subarray(offsets[s]!, offsets[s + 1]!)) : emptyStats();
    const z = all.std > 0 ? (stats.mean - all.mean) / all.std : 0;
    return {
      column,
      label,
      missing: size - valid[s]!,
      ...stats,
      lift: all.mean !== 0 ? stats.mean / all.mean : NaN,
      z,
      level: z >= threshold ? 'high' : z <= -threshold ? 'low' : 'mid',
    };
  });
  return { overall, perSegment };
}

const MISSING_LEVEL = '(missing)';
const OTHER_LEVEL = '(other)';

function categoryMix(
  column: string,
  values: readonly string[],
  labels: Int32Array,
  sizes: readonly number[],
  maxLevels: number,
): { overall: CategoryMix; perSegment: CategoryMix[] } {
  const k = sizes.length;
  const codes = new Map<string, number>();
  const names: string[] = [];
  const perRow = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i] ?? '';
    const v = raw.trim() === '' ? MISSING_LEVEL : raw;
    let c = codes.get(v);
    if (c === undefined) {
      c = names.length;
      codes.set(v, c);
      names.push(v);
    }
    perRow[i] = c;
  }
  const counts = Array.from({ length: k }, () => new Array<number>(names.length).fill(0));
  const totals = new Array<number>(names.length).fill(0);
  for (let i = 0; i < perRow.length; i++) {
    counts[labels[i]!]![perRow[i]!]!++;
    totals[perRow[i]!]!++;
  }
  const ranked = names.map((_, c) => c).sort((a, b) => totals[b]! - totals[a]! || (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const shown = ranked.length > maxLevels ? ranked.slice(0, Math.max(1, maxLevels - 1)) : ranked;
  const folded = ranked.slice(shown.length);
  const fold = (row: readonly number[]): { level: string; count: number }[] => {
    const out = shown.map((c) => ({ level: names[c]!, count: row[c]! }));
    if (folded.length > 0) out.push({ level: OTHER_LEVEL, count: folded.reduce((sum, c) => sum + row[c]!, 0) });
    return out;
  };
  const n = values.length;
  const baseLevels = fold(totals);
  const baseShare = baseLevels.map((l) => (n > 0 ? l.count / n : 0));
  const overall: CategoryMix = { column, levels: baseLevels.map((l, i) => ({ ...l, share: baseShare[i]!, lift: 1 })) };
  const perSegment = counts.map((row, s) => ({
    column,
    levels: fold(row).map((l, i) => {
      const share = sizes[s]! > 0 ? l.count / sizes[s]! : NaN;
      return { ...l, share, lift: baseShare[i]! > 0 ? share / baseShare[i]! : NaN };
    }),
  }));
  return { overall, perSegment };
}
