/**
 * `writeSegmentationReport`: from a clustered customer table to a report
 * directory — index.html (self-contained), one PNG per chart, labels.csv and
 * segments.json. The files are built in a temporary directory and moved into
 * place only when complete, so a failure never leaves a partial report. The
 * directory's manifest lists the files segmenta wrote; a later report replaces
 * only those (see common/output-directory.ts and docs/safety.md).
 */
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { checkOutputDirectory, writeOutputDirectory } from '../common/output-directory.js';
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import { shortFeatureLabels } from '../insights/feature-labels.js';
import { profileSegments, type SegmentProfiles } from '../insights/segment-profiles.js';
import { writeLabelsCsv } from '../results/write-labels-csv.js';
import { DEFAULT_SCATTER_SAMPLE, histogramBySegment, sampleIndices } from './chart-data.js';
import {
  categoryChartSpec,
  dendrogramChartSpec,
  kDistanceChartSpec,
  elbowChartSpec,
  featureBoxesChartSpec,
  histogramChartSpec,
  scatterChartSpec,
  segmentDisplayName,
  segmentSizesChartSpec,
  kSelectionChartSpec,
  SEGMENT_PALETTE,
  type DendrogramChartInput,
  type DendrogramMerge,
  type KDistanceChartInput,
  type FeatureBox,
} from './chart-specs.js';
import { K_METHOD_TITLES } from '../drivers/suggest-k.js';
import { kSelectionJson, type KSelection } from '../drivers/k-selection.js';
import type { MethodsComparison } from '../drivers/compare-methods.js';
import { rankNextSteps } from '../insights/segment-names.js';
import { methodCurves } from './k-selection-chart.js';
import { renderChart } from './render-chart.js';
import { renderReportHtml, type HtmlChart, type ReportFacts } from './report-html.js';
import type { TopLevelSpec } from 'vega-lite';
import { groupDigits } from '../common/format-number.js';

/** The clustered data a report is made of. */
export interface SegmentationReportInput {
  /**
   * The customer table in ORIGINAL units: a `CustomerTable` from
   * `readCustomerTable` (its `kept` columns feed the Gender/Age charts).
   */
  table: {
    path?: string;
    idColumn: string;
    ids: Float64Array | readonly string[];
    featureNames: readonly string[];
    matrix: Matrix;
    kept?: Readonly<Record<string, readonly string[] | Float64Array>>;
  };
  /** The clustering's label per row (e.g. `fitKMeans(...).labels`), 0..k-1. */
  labels: ArrayLike<number>;
  k: number;
  /** The elbow sweep (e.g. `sweepK(...)`): draws the elbow chart with k marked. */
  sweep?: { ks: readonly number[]; wcss: readonly number[]; suggestedK: number | null };
  /** Merges from agglomerative clustering: draws the dendrogram. */
  dendrogram?: DendrogramChartInput;
  /** Profiles of these labels when already computed (`segmentCustomers` passes its own); default: profiled here. */
  profiles?: SegmentProfiles;
  /**
   * Every method of choosing k (`selectK`): draws the k-selection panel
   * (each method's curve, its k and why) in place of the plain elbow chart.
   */
  selection?: KSelection;
  /**
   * The segment tree (`segmentCentroidTree`): Ward merges of the segment
   * centres, leaves numbered by the fit's labels; drawn with each leaf in
   * its segment's colour.
   */
  centroidTree?: { leaves: number; merges: readonly DendrogramMerge[] };
  /**
   * The k-distance curve (`kDistanceCurve` of segmenta's density drivers):
   * draws the plot for choosing DBSCAN's eps, with eps and the knee marked.
   */
  kDistance?: KDistanceChartInput;
  /**
   * Methods compared at k (`compareMethods`): drawn as the "Comparing methods"
   * table (clusters, noise share, sizes, silhouette, CH, DB, seconds) with the
   * ARI between every pair, and written to segments.json.
   */
  comparison?: MethodsComparison;
  /** What the header says: source (default the table's path), backend, scaling, seed… */
  about?: {
    title?: string;
    source?: string;
    /** How k was chosen; default from `sweep` ("elbow of the WCSS sweep k = 1..10") or "given". */
    kChoice?: string;
    backend?: string;
    scale?: string;
    seed?: number;
    nInit?: number;
    wcss?: number;
    /** Free-form remarks shown at the end (and in segments.json). */
    notes?: readonly string[];
  };
}

/** Options of {@link writeSegmentationReport}. */
export interface SegmentationReportOptions {
  /** The two features of the scatter (header names). Default: the first two features. */
  scatter?: readonly [string, string];
  /** Most points the scatter draws; larger bases are sampled. Default 5,000. */
  sampleSize?: number;
  /** Seed of that sample. Default `about.seed` or 0. */
  sampleSeed?: number;
  /** PNG pixels per chart pixel. Default 2. */
  pngScale?: number;
  /** Replace the files of an earlier report in `dir` (listed in its manifest). Default true; false refuses any non-empty `dir`. */
  replace?: boolean;
  /**
   * Write into an existing non-empty directory that holds no segmenta manifest, and over
   * same-named files the user put there. Only the report's own files are written. Default false.
   */
  force?: boolean;
  /** The job's input files: the report never writes onto one of them. */
  inputs?: readonly string[];
  /** Stops the work between steps (`ABORTED`); nothing is left behind. */
  signal?: AbortSignal;
  /** Receives `phase` events: profile, charts, write. */
  onProgress?: ProgressListener;
}

/** What {@link writeSegmentationReport} wrote. */
export interface SegmentationReportSummary {
  /** The report directory (absolute). */
  dir: string;
  /** index.html (absolute). */
  index: string;
  /** File names inside `dir`. */
  files: string[];
  /** Chart PNGs inside `dir`, in page order. */
  charts: { file: string; title: string }[];
  /** Segments in their stable order (the numbers in labels.csv). */
  segments: { segment: number; name: string; action: string; size: number; share: number }[];
  /** The full profiles (also in segments.json). */
  profiles: SegmentProfiles;
}

/** What the segment tree is (the page and the chart's caption say it). */
const TREE_NOTE =
  'The segment tree is a tree of the segment centroids (not a clustering of customers): Ward linkage of the k K-Means centres, weighted by segment size, in the space the segments were found in. Its leaves are the segments, in their colours; segments that join low are the closest, and would merge first with fewer segments.';

/** Marks a directory as a segmenta report (segments.json's `generator`). */
export const REPORT_GENERATOR = 'segmenta report';

interface ChartJob {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/**
 * Writes a segmentation report to `dir`:
 * - `index.html`: self-contained page (inline SVG charts and styles, no external references);
 * - `<chart>.png`: elbow (with a sweep), segments-scatter, segment-sizes,
 *   feature-distributions, `<column>-by-segment` per categorical kept column
 *   (Gender), `<column>-distribution` per numeric kept column (Age), dendrogram (with merges);
 * - `labels.csv`: `<id column>,segment` for every customer, in input order,
 *   segments numbered in the report's stable order;
 * - `segments.json`: profiles, names, readings, lifts, ordering rule, sweep.
 *
 * @returns paths, chart files and segment names
 * @throws SegmentaError `OUTPUT_REFUSED` when `dir` is not a directory, or is non-empty without a segmenta
 *   manifest (unless `force`), or `replace` is false and it is not empty; `FILE_SYSTEM_ERROR` naming the path;
 *   `SHAPE_MISMATCH`/`INVALID_K` for inconsistent input, `UNKNOWN_COLUMN` for a scatter feature not among the features, `ABORTED`
 * @example
 * const table = await readCustomerTable(file, { features, keep: ['Gender', 'Age'] });
 * const { matrix } = prepareFeatures(table, { scale: 'none' });
 * const sweep = await sweepK(matrix, { kMin: 1, kMax: 10 });
 * const k = sweep.suggestedK ?? 5;
 * const fit = await fitKMeans(matrix, { k });
 * const report = await writeSegmentationReport('mall-report', { table, labels: fit.labels, k, sweep });
 * console.log(`report: ${report.index}`);
 */
export async function writeSegmentationReport(
  dir: string,
  input: SegmentationReportInput,
  options: SegmentationReportOptions = {},
): Promise<SegmentationReportSummary> {
  const target = resolve(dir);
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const directoryOptions = {
    what: 'the report',
    ...(options.replace !== undefined ? { replace: options.replace } : {}),
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
  };
  await checkOutputDirectory(target, directoryOptions);

  onProgress?.({ kind: 'phase', phase: 'profile', detail: `profiling ${input.k} segments` });
  const { table, k } = input;
  const profiles = input.profiles ?? profileSegments({ featureNames: table.featureNames, matrix: table.matrix, labels: input.labels, k, ...(table.kept ? { kept: table.kept } : {}) });
  throwIfAborted(signal);

  const jobs = chartJobs(input, profiles, options);
  const charts: (HtmlChart & { png: Uint8Array })[] = [];
  for (const [i, job] of jobs.entries()) {
    onProgress?.({ kind: 'phase', phase: 'charts', detail: `rendering ${job.id} (${i + 1}/${jobs.length})` });
    const rendered = await renderChart(job.spec, { scale: options.pngScale ?? 2 }, job.id);
    charts.push({ id: job.id, title: job.title, caption: job.caption, svg: rendered.svg, file: `${job.id}.png`, png: rendered.png });
    throwIfAborted(signal);
  }

  const files = ['index.html', 'segments.json', 'labels.csv', ...charts.map((c) => c.file)];
  const about = input.about ?? {};
  const source = about.source ?? (table.path ? basename(table.path) : 'customer table');
  const kChoice = about.kChoice ?? (input.sweep ? describeSweepChoice(input.sweep, k) : 'given');
  const notes = [...(about.notes ?? [])];
  const details: [string, string][] = [];
  if (about.scale) details.push(['scaling', about.scale]);
  if (about.backend) details.push(['backend', about.backend]);
  if (about.nInit !== undefined) details.push(['initialisations', String(about.nInit)]);
  if (about.seed !== undefined) details.push(['seed', String(about.seed)]);
  if (about.wcss !== undefined) details.push(['WCSS', about.wcss.toLocaleString('en-US', { maximumFractionDigits: 2 })]);

  const sel = input.selection;
  if (sel) {
    details.push(['methods for k', sel.methods.join(', ')]);
    details.push(['suggested k', sel.choice.suggestedK === null ? 'none' : String(sel.choice.suggestedK)]);
  }
  const nextSteps = rankNextSteps(profiles.segments, 3);
  const kSelection = sel
    ? {
        suggestedK: sel.choice.suggestedK,
        reason: sel.choice.reason,
        rule: sel.choice.rule,
        methods: sel.methods.map((m) => [K_METHOD_TITLES[m], sel.choice.byMethod[m]?.k ?? null, sel.choice.byMethod[m]?.why ?? ''] as const),
        settings: [
          ...(sel.silhouette
            ? [`Silhouette on ${sel.silhouette.sampled ? `a seeded sample of ${groupDigits(sel.silhouette.sampleSize)} of ${groupDigits(sel.silhouette.rows)} customers` : `all ${groupDigits(sel.silhouette.rows)} customers`}.`]
            : []),
          ...(sel.gap ? [`Gap statistic with B = ${sel.gap.references} reference sets of ${groupDigits(sel.gap.sampleSize)} rows, ${sel.gap.reference}.`] : []),
        ],
      }
    : undefined;
  const html = renderReportHtml(
    {
      title: about.title ?? `Customer segments — ${source}`,
      source,
      rows: profiles.rows,
      features: [...table.featureNames],
      k,
      kChoice,
      details,
      notes,
      files,
      nextSteps,
      ...(kSelection ? { kSelection } : {}),
      ...(input.comparison ? { comparison: comparisonFacts(input.comparison) } : {}),
      ...(input.centroidTree ? { treeNote: TREE_NOTE } : {}),
    },
    profiles,
    charts,
  );
  const json = segmentsJson(input, profiles, { source, kChoice, notes, nextSteps, charts: charts.map((c) => ({ file: c.file, title: c.title })) });

  onProgress?.({ kind: 'phase', phase: 'write', detail: `writing ${target}` });
  await writeOutputDirectory(
    target,
    files,
    async (temp) => {
      await writeLabelsCsv(join(temp, 'labels.csv'), table.idColumn, table.ids, profiles.labels);
      for (const c of charts) await writeFileAtomic(join(temp, c.file), c.png);
      await writeFileAtomic(join(temp, 'segments.json'), json);
      await writeFileAtomic(join(temp, 'index.html'), html);
      throwIfAborted(signal);
    },
    directoryOptions,
  );
  return {
    dir: target,
    index: join(target, 'index.html'),
    files,
    charts: charts.map((c) => ({ file: c.file, title: c.title })),
    segments: profiles.segments.map((s) => ({ segment: s.segment, name: s.name, action: s.action, size: s.size, share: s.share })),
    profiles,
  };
}

function describeSweepChoice(sweep: NonNullable<SegmentationReportInput['sweep']>, k: number): string {
  const range = `k = ${Math.min(...sweep.ks)}..${Math.max(...sweep.ks)}`;
  if (sweep.suggestedK === k) return `elbow of the WCSS sweep ${range}`;
  if (sweep.suggestedK === null) return `given; the WCSS sweep ${range} shows no clear elbow`;
  return `given; the elbow of the WCSS sweep ${range} is at k = ${sweep.suggestedK}`;
}

/** True when `name` is a one-hot column (`Column=Level`) or takes only 0/1 values. */
function isIndicatorColumn(profiles: SegmentProfiles, j: number): boolean {
  const f = profiles.features[j]!;
  return f.column.includes('=') && f.min >= 0 && f.max <= 1;
}

function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.length > 0 ? s.slice(0, 40) : 'column';
}

function chartJobs(input: SegmentationReportInput, profiles: SegmentProfiles, options: SegmentationReportOptions): ChartJob[] {
  const { table, k } = input;
  const names = profiles.segments.map((s) => segmentDisplayName(s.segment, s.name));
  const jobs: ChartJob[] = [];
  const ids = new Set<string>();
  const add = (job: ChartJob): void => {
    let id = job.id;
    for (let n = 2; ids.has(id); n++) id = `${job.id}-${n}`;
    ids.add(id);
    jobs.push({ ...job, id });
  };

  if (input.selection) {
    add({
      id: 'choosing-k',
      title: 'Choosing k: every method',
      caption: `Each method's curve over k; orange marks each method's own k, the dashed line the k used (${k}).`,
      spec: kSelectionChartSpec({ ks: input.selection.curves.ks, curves: methodCurves(input.selection), chosenK: k }),
    });
  } else if (input.sweep && input.sweep.ks.length > 0) {
    add({
      id: 'elbow',
      title: 'Elbow curve',
      caption: `WCSS for each k of the sweep; k = ${k} is marked.`,
      spec: elbowChartSpec({ ks: input.sweep.ks, wcss: input.sweep.wcss, chosenK: k, suggestedK: input.sweep.suggestedK }),
    });
  }

  // Scatter: the two chosen features (default the first two that are not one-hot).
  const cols = table.matrix.cols;
  let pair: [number, number] | undefined;
  if (options.scatter) {
    const [a, b] = options.scatter.map((name) => {
      const j = table.featureNames.indexOf(name);
      if (j < 0) {
        throw new SegmentaError('UNKNOWN_COLUMN', `scatter feature '${name}' is not a feature; features: ${table.featureNames.map((f) => `'${f}'`).join(', ')}`, {
          column: name,
          available: [...table.featureNames],
        });
      }
      return j;
    }) as [number, number];
    pair = [a, b];
  } else {
    const numeric = table.featureNames.map((_, j) => j).filter((j) => !isIndicatorColumn(profiles, j));
    if (numeric.length >= 2) pair = [numeric[0]!, numeric[1]!];
  }
  if (pair) {
    const [jx, jy] = pair;
    const n = table.matrix.rows;
    const size = options.sampleSize ?? DEFAULT_SCATTER_SAMPLE;
    const seed = options.sampleSeed ?? input.about?.seed ?? 0;
    const sample = sampleIndices(n, size, seed);
    const labels = profiles.labels;
    const points = Array.from(sample, (i) => ({ x: table.matrix.data[i * cols + jx]!, y: table.matrix.data[i * cols + jy]!, segment: names[labels[i]!]! }));
    const centres = profiles.segments.filter((s) => s.size > 0).map((s) => ({ x: s.centroid[jx]!, y: s.centroid[jy]!, segment: names[s.segment]!, number: s.segment }));
    const sampleNote =
      sample.length === n
        ? `all ${groupDigits(n)} customers`
        : `a seeded random sample of ${groupDigits(sample.length)} of ${groupDigits(n)} customers (seed ${seed})`;
    add({
      id: 'segments-scatter',
      title: `Segments by ${table.featureNames[jx]} and ${table.featureNames[jy]}`,
      caption: `Each point a customer (${sampleNote}), coloured by segment; squares mark the segment centres.`,
      spec: scatterChartSpec({ xTitle: table.featureNames[jx]!, yTitle: table.featureNames[jy]!, points, centres, segments: names, sampleNote }),
    });
  }

  add({
    id: 'segment-sizes',
    title: 'Customers per segment',
    caption: 'Size and share of each segment.',
    spec: segmentSizesChartSpec({ segments: profiles.segments.map((s) => ({ segment: names[s.segment]!, size: s.size, share: s.share })) }),
  });

  add({
    id: 'feature-distributions',
    title: 'Feature distributions by segment',
    caption: 'Each feature per segment: 5th–95th percentile, quartiles and median, against the median of all customers.',
    spec: featureBoxesChartSpec({
      segments: names,
      features: [
        ...profiles.features.map((f, j) => ({
          title: f.column,
          baseMedian: f.median,
          boxes: profiles.segments.filter((s) => s.size > 0).map((s) => ({ segment: names[s.segment]!, ...pickBox(s.features[j]!) })),
        })),
        ...profiles.descriptors.map((d, j) => ({
          title: `${d.column} (not a clustering feature)`,
          baseMedian: d.median,
          boxes: profiles.segments.filter((s) => s.descriptors[j]!.count > 0).map((s) => ({ segment: names[s.segment]!, ...pickBox(s.descriptors[j]!) })),
        })),
      ],
    }),
  });

  for (const [m, mix] of profiles.categories.entries()) {
    const levels = mix.levels.map((l) => l.level);
    add({
      id: `${slug(mix.column)}-by-segment`,
      title: `${mix.column} by segment`,
      caption: `Customers of each ${mix.column} level in each segment.`,
      spec: categoryChartSpec({
        column: mix.column,
        segments: names,
        levels,
        counts: profiles.segments.flatMap((s) => s.categories[m]!.levels.map((l) => ({ segment: names[s.segment]!, level: l.level, count: l.count, share: l.share }))),
      }),
    });
  }

  // Histograms: numeric kept columns, and an "age" feature.
  const histogramColumns: { column: string; values: ArrayLike<number> }[] = [];
  for (const [name, values] of Object.entries(table.kept ?? {})) if (values instanceof Float64Array) histogramColumns.push({ column: name, values });
  profiles.features.forEach((f, j) => {
    if (f.label === 'age') histogramColumns.push({ column: f.column, values: columnView(table.matrix, j) });
  });
  for (const h of histogramColumns) {
    add({
      id: `${slug(h.column)}-distribution`,
      title: `${h.column} distribution`,
      caption: `Customers per ${h.column} bin, stacked by segment.`,
      spec: histogramChartSpec({ column: h.column, segments: names, bins: histogramBySegment(h.values, profiles.labels, k) }),
    });
  }

  if (input.centroidTree && input.centroidTree.merges.length > 0) {
    const tree = input.centroidTree;
    const segmentOf = (leaf: number): number => profiles.fitLabelToSegment[leaf] ?? leaf;
    add({
      id: 'segment-tree',
      title: 'Segment tree',
      caption: TREE_NOTE,
      spec: dendrogramChartSpec({
        merges: tree.merges,
        leaves: tree.leaves,
        leafLabels: Array.from({ length: tree.leaves }, (_, leaf) => names[segmentOf(leaf)] ?? String(leaf)),
        leafColours: Array.from({ length: tree.leaves }, (_, leaf) => SEGMENT_PALETTE[segmentOf(leaf) % SEGMENT_PALETTE.length]!),
        title: 'Segment tree: which segments lie closest',
        subtitle: 'Ward linkage of the segment centres, weighted by size; each leaf is a K-Means segment in its colour.',
      }),
    });
  }
  if (input.kDistance && input.kDistance.distances.length > 0) {
    add({
      id: 'k-distance',
      title: 'Choosing eps (DBSCAN)',
      caption: 'Each customer’s distance to its k-th nearest neighbour, largest first. Customers under the eps line are core customers of DBSCAN with minSamples = k + 1; pick eps near the knee, where the outliers give way to the dense segments.',
      spec: kDistanceChartSpec(input.kDistance),
    });
  }
  if (input.dendrogram && input.dendrogram.merges.length > 0) {
    add({ id: 'dendrogram', title: 'Dendrogram', caption: 'Top merges of agglomerative clustering.', spec: dendrogramChartSpec(input.dendrogram) });
  }
  return jobs;
}

type BoxStats = Omit<FeatureBox, 'segment'>;

function pickBox(f: BoxStats): BoxStats {
  return { p05: f.p05, q1: f.q1, median: f.median, q3: f.q3, p95: f.p95, mean: f.mean };
}

/** Column j of a row-major matrix, copied. */
function columnView(matrix: Matrix, j: number): Float32Array {
  const { data, cols, rows } = matrix;
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = data[i * cols + j]!;
  return out;
}

/** NaN and ±Infinity become null; other numbers keep 10 significant digits. */
function jsonNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  if (!Number.isFinite(value)) return null;
  return Number.isInteger(value) ? value : Number(value.toPrecision(10));
}

function segmentsJson(
  input: SegmentationReportInput,
  profiles: SegmentProfiles,
  extra: { source: string; kChoice: string; notes: string[]; nextSteps: unknown[]; charts: { file: string; title: string }[] },
): string {
  const about = input.about ?? {};
  const labels = shortFeatureLabels(input.table.featureNames);
  const doc = {
    generator: REPORT_GENERATOR,
    version: 1,
    source: extra.source,
    rows: profiles.rows,
    k: profiles.k,
    kChoice: extra.kChoice,
    features: input.table.featureNames.map((column, j) => ({ column, label: labels[j] })),
    ...(about.scale !== undefined ? { scale: about.scale } : {}),
    ...(about.backend !== undefined ? { backend: about.backend } : {}),
    ...(about.seed !== undefined ? { seed: about.seed } : {}),
    ...(about.nInit !== undefined ? { nInit: about.nInit } : {}),
    ...(about.wcss !== undefined ? { wcss: about.wcss } : {}),
    ordering: profiles.ordering,
    levels: 'level of a feature in a segment: z = (segment mean - mean of all customers) / standard deviation of all customers; high at z >= 0.5, low at z <= -0.5, else mid',
    lift: 'segment mean / mean of all customers (categories: segment share / share among all customers)',
    quantiles: 'linear interpolation between order statistics (NumPy default)',
    labelsFile: { file: 'labels.csv', columns: [input.table.idColumn, 'segment'] },
    fitLabelToSegment: profiles.fitLabelToSegment,
    ...(input.sweep ? { sweep: { ks: input.sweep.ks, wcss: input.sweep.wcss, suggestedK: input.sweep.suggestedK } } : {}),
    ...(input.selection ? { kSelection: kSelectionJson(input.selection) } : {}),
    ...(input.comparison ? { comparison: comparisonFacts(input.comparison) } : {}),
    nextSteps: extra.nextSteps,
    base: { features: profiles.features, descriptors: profiles.descriptors, categories: profiles.categories },
    segments: profiles.segments,
    charts: extra.charts,
    notes: extra.notes,
  };
  return `${JSON.stringify(doc, jsonNumber, 2)}\n`;
}

/** The comparison as the page and segments.json show it: one row per method and the ARI matrix. */
export function comparisonFacts(c: MethodsComparison): NonNullable<ReportFacts['comparison']> {
  const s = c.methods.find((m) => m.quality)?.quality?.silhouette;
  return {
    methods: c.methods.map((m) => ({
      method: m.method,
      label: m.label,
      clusters: m.clusters,
      noiseShare: m.noiseShare,
      sizes: m.sizes,
      silhouette: m.quality?.silhouette.score ?? null,
      calinskiHarabasz: m.quality?.calinskiHarabasz ?? null,
      daviesBouldin: m.quality?.daviesBouldin ?? null,
      seconds: m.seconds,
    })),
    ari: c.ari,
    note: [
      ...(c.k !== undefined ? [`Every method with k = ${c.k} on the same scaled features.`] : []),
      s ? (s.sampled ? `Silhouette on a seeded sample of ${groupDigits(s.sampleSize)} of ${groupDigits(s.rows)} customers.` : `Silhouette on all ${groupDigits(s.rows)} customers.`) : '',
      'Metrics over the customers that are not noise; the ARI counts noise as one more group (1 = the same segments, 0 = no more alike than chance).',
    ]
      .filter((t) => t.length > 0)
      .join(' '),
  };
}
