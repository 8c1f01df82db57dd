/**
 * The whole segmentation job as one call: load → prepare → sweep → choose k →
 * fit → number the segments → profile → dendrogram → write labels and report.
 * The CLI commands (kmeans, sweep, hclust, report, demo), the library, the job
 * service and the queue workers all call {@link segmentCustomers}, so there is
 * one rule for choosing k (choose-k.ts) and one numbering
 * (results/segment-numbering.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../backends/built-in-backends.js';
import { resolveBackend } from '../backends/backend-registry.js';
import { resolveOutputPath } from '../common/atomic-file.js';
import type { CustomerTable } from '../common/customer-table.js';
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import { checkOutputDirectory } from '../common/output-directory.js';
import type { ProgressListener } from '../common/progress.js';
import { writeGeneratedCustomers } from '../data-in/generate-customers.js';
import { readCustomerTable } from '../data-in/read-customer-table.js';
import { fitAgglomerative, type AgglomerativeResult } from '../drivers/agglomerative/fit-agglomerative.js';
import { sweepK, type SweepResult } from '../drivers/elbow-sweep.js';
import { selectK, type KSelection } from '../drivers/k-selection.js';
import { K_METHODS, suggestK } from '../drivers/suggest-k.js';
import { fitKMeans, type KMeansResult } from '../drivers/kmeans.js';
import { compareMethods, type MethodsComparison } from '../drivers/compare-methods.js';
import { checkFloat32Range } from '../drivers/validate-input.js';
import type { SegmentProfiles } from '../insights/insight-types.js';
import { profileSegments } from '../insights/segment-profiles.js';
import { prepareFeatures, type PreparedFeatures } from '../preparation/prepare-features.js';
import type { DendrogramChartInput } from '../report/chart-specs.js';
import { writeSegmentationReport, type SegmentationReportSummary } from '../report/write-report.js';
import { KMeansModel } from '../results/kmeans-model.js';
import { packageVersion } from '../common/package-version.js';
import { numberByCentres, numberSegments, reorderRows, type SegmentNumbering } from '../results/segment-numbering.js';
import { weightsFromColumn } from './weight-column.js';
import { writeLabelsCsv } from '../results/write-labels-csv.js';
import { chooseK, type KChoice } from './choose-k.js';
import { segmentCentroidTree, type SegmentCentroidTree } from './centroid-tree.js';
import { sampleDendrogram } from './sample-dendrogram.js';
import { openShardedSource } from './sharded-source.js';
import type { SegmentationSpec } from './spec.js';
import { validateSpec, type ResolvedSpec } from './validate-spec.js';
import { groupDigits } from '../common/format-number.js';

/** Columns `keep: 'auto'` carries along when the file has them (case-insensitive): gender or sex, and age. */
export const AUTO_KEEP_PATTERNS: readonly RegExp[] = [/^(gender|sex)$/i, /^age$/i];

/** Options of {@link segmentCustomers}: how to watch and stop the job (not part of the JSON spec). */
export interface SegmentCustomersOptions {
  /** Receives read, sweep, fit, iteration and phase events. */
  onProgress?: ProgressListener;
  /** Stops the job (read, sweep, fit, report); the promise rejects with an `ABORTED` SegmentaError. */
  signal?: AbortSignal;
}

/** What {@link segmentCustomers} returns. Segment numbers follow the one numbering (descending size, ties by centre). */
export interface SegmentationResult {
  /** The spec with its defaults filled in. */
  spec: ResolvedSpec;
  /** The table as read (`table.matrix` in original units when profiles or a report were asked for, else scaled in place). */
  table: CustomerTable;
  /** The matrix clustered (scaled) and its scaler. */
  prepared: PreparedFeatures;
  /** Columns profiled besides the features (the resolved `keep`). */
  profiled: string[];
  /** The WCSS sweep, when it ran. */
  sweep?: SweepResult;
  /** Every method's curve over the sweep, each method's k and the suggestion with reasons (when the sweep ran). */
  selection?: KSelection;
  /** How k was chosen. */
  kChoice: KChoice;
  /** Number of segments (null only when `fit: false` and the sweep shows no elbow). */
  k: number | null;
  /** The K-Means fit as the driver returned it (labels and centroids in the fit's own order). */
  kmeans?: KMeansResult;
  /** The agglomerative fit as the driver returned it. */
  agglomerative?: AgglomerativeResult;
  /** The numbering that maps the fit's labels to segment numbers. */
  numbering?: SegmentNumbering;
  /** Every customer's segment (the one numbering), input order. */
  labels?: Int32Array;
  /** Customers per segment, in segment order. */
  sizes?: number[];
  /** Segment centres in original units (k rows of feature values), in segment order. */
  centroids?: number[][];
  /** WCSS of the fit (in the clustered, scaled space). */
  wcss?: number;
  /** A model that labels new customers with the same segment numbers (K-Means only). */
  model?: KMeansModel;
  /** The methods compared at k (when `spec.compare` is given). */
  comparison?: MethodsComparison;
  /** Segment profiles (when `profiles` is on). */
  profiles?: SegmentProfiles;
  /** The report's dendrogram input, when a sampled dendrogram was asked for (`dendrogram: { sampleSize }`). */
  dendrogram?: DendrogramChartInput;
  /** The segment tree (Ward linkage of the segment centres; leaves are segment numbers), when `dendrogram` is on. */
  centroidTree?: SegmentCentroidTree;
  /** The report written, when `outputs.report` was given. */
  report?: SegmentationReportSummary;
  /** Files written (labels file, report directory). */
  written: string[];
  /** The backend that ran the final fit (or the sweep). */
  backend: string;
  /** Remarks about how the job ran. */
  notes: string[];
  /** Wall time in seconds. */
  seconds: number;
}

/**
 * Runs a segmentation job described by a plain-JSON spec.
 *
 * @param spec the job (validated here: see `segmentationSpecSchema`)
 * @param options `onProgress`, `signal`
 * @throws SegmentaError `INVALID_SPEC` (every problem, naming its field), the reader's errors
 *   (`FILE_NOT_FOUND`, `UNKNOWN_COLUMN`, `NON_NUMERIC_VALUE`…), `INVALID_K` (no elbow with k 'auto'), `ABORTED`
 * @example
 * const result = await segmentCustomers({
 *   data: { path: 'Mall_Customers.csv' },
 *   features: ['Annual Income (k$)', 'Spending Score (1-100)'],
 *   scale: 'standard',
 *   outputs: { labels: 'labels.csv', report: 'report' },
 * });
 * result.k;                    // 5, at the elbow of the sweep
 * result.profiles!.segments[0].name; // e.g. 'Mid income · Mid spending'
 */
export async function segmentCustomers(spec: SegmentationSpec | ResolvedSpec, options: SegmentCustomersOptions = {}): Promise<SegmentationResult> {
  const resolved = validateSpec(spec);
  const started = performance.now();
  const { signal, onProgress } = options;
  const listen = { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) };
  throwIfAborted(signal);

  // Outputs are checked before any work, so a bad destination fails in a second, not after the fit.
  const inputs = 'path' in resolved.data ? [resolved.data.path] : [];
  if (resolved.outputs.labels !== undefined) await resolveOutputPath(resolved.outputs.labels, { inputs });
  if (resolved.outputs.report !== undefined) {
    await checkOutputDirectory(resolved.outputs.report, { force: resolved.outputs.force, inputs, what: 'the report' });
  }

  let generatedDir: string | undefined;
  try {
    let path: string;
    let source: string | undefined = resolved.outputs.source;
    if ('generate' in resolved.data) {
      const { rows, seed = resolved.seed } = resolved.data.generate;
      generatedDir = await mkdtemp(join(tmpdir(), 'segmenta-generated-'));
      path = join(generatedDir, 'customers.csv');
      onProgress?.({ kind: 'phase', phase: 'generate', detail: `generating ${groupDigits(rows)} customers (seed ${seed})` });
      await writeGeneratedCustomers(path, { rows, seed });
      source ??= `${groupDigits(rows)} generated customers (seed ${seed})`;
    } else {
      path = resolved.data.path;
    }

    if (resolved.distributed || resolved.streamed) return await segmentSharded(path, resolved, listen, started);

    // Profiles and the report need the original units: keep them, and scale a copy.
    const keepOriginal = resolved.profiles || resolved.outputs.report !== undefined;
    const { table, profiled } = await readTable(path, resolved, keepOriginal, listen);
    const prepared = prepareFeatures(table, { scale: resolved.scale, inPlace: !keepOriginal });
    // Values whose squared distances overflow float32 are refused here with the feature's name (the drivers check again, by number).
    checkFloat32Range(prepared.matrix, 'data', prepared.featureNames);
    for (const name of resolved.outputs.scatter ?? []) {
      if (!table.featureNames.includes(name)) {
        throw new SegmentaError('UNKNOWN_COLUMN', `spec.outputs.scatter: '${name}' is not one of the features: ${table.featureNames.map((f) => `'${f}'`).join(', ')}`, {
          column: name,
        });
      }
    }

    const sampleWeight =
      resolved.weight === undefined ? undefined : weightsFromColumn(table, resolved.weight, path, resolved.method === 'agglomerative');
    const fitSettings = { ...(sampleWeight ? { sampleWeight } : {}), ...kmeansSettingsOf(resolved, listen) };
    const givenK = typeof resolved.k === 'number' ? resolved.k : null;
    let sweep: SweepResult | undefined;
    let selection: KSelection | undefined;
    if (resolved.sweep) {
      // A small table caps the sweep at its row count (k = N itself is still checked by the fit).
      const sweepMax = Math.max(givenK ?? 1, Math.min(resolved.kRange.max, prepared.matrix.rows));
      // lowerMax: the sweep itself lowers the default max to the distinct rows (never above the row count), with a note.
      const kMax = resolved.kRange.lowerMax && givenK === null ? resolved.kRange.max : sweepMax;
      selection = await selectK(prepared.matrix, {
        kMin: Math.min(resolved.kRange.min, sweepMax),
        kMax,
        clampKMax: resolved.kRange.lowerMax,
        ...fitSettings,
        methods: resolved.kMethod === 'all' ? K_METHODS : [resolved.kMethod],
        ...resolved.kSelection,
      });
      sweep = selection.sweep;
    }
    const threshold = resolved.method === 'agglomerative' ? resolved.agglomerative.distanceThreshold : undefined;
    const kChoice =
      threshold !== undefined
        ? { k: null, by: 'given' as const, reason: `the tree cut at distance ${threshold}` }
        : chooseK({ k: resolved.k, method: resolved.kMethod, ...(selection ? { selection } : {}), required: resolved.fit });
    const notes = [...(sweep?.notes ?? [])];
    if (sampleWeight) notes.push(`each customer weighs its '${resolved.weight}' value (sample weights: ${groupDigits(sampleWeight.length)} rows, total ${Number(sampleWeight.reduce((a, b) => a + b, 0).toPrecision(6))})`);
    const base = { spec: resolved, table, prepared, profiled, kChoice, written: [] as string[], notes, ...(sweep ? { sweep } : {}), ...(selection ? { selection } : {}) };
    if (!resolved.fit) {
      return { ...base, k: kChoice.k, backend: sweep?.backend ?? '', seconds: (performance.now() - started) / 1000 };
    }

    // The final fit.
    let kmeans: KMeansResult | undefined;
    let agglomerative: AgglomerativeResult | undefined;
    let fitLabels: Int32Array;
    let fitCentroids: Float64Array;
    let k: number;
    let backend: string;
    let wcss: number;
    if (resolved.method === 'kmeans') {
      kmeans = await fitKMeans(prepared.matrix, { k: kChoice.k!, ...fitSettings });
      ({ labels: fitLabels, centroids: fitCentroids, k, backend, wcss } = kmeans);
      notes.push(...kmeans.notes);
    } else {
      const { distanceThreshold: _, ...agg } = resolved.agglomerative;
      agglomerative = await fitAgglomerative(prepared.matrix, {
        ...(threshold !== undefined ? { distanceThreshold: threshold } : { k: kChoice.k! }),
        ...agg,
        backend: resolved.backend,
        seed: resolved.seed,
        ...(resolved.threads !== undefined ? { threads: resolved.threads } : {}),
        ...(sampleWeight ? { sampleWeight } : {}),
        ...listen,
      });
      ({ labels: fitLabels, centroids: fitCentroids, k, backend, wcss } = agglomerative);
      notes.push(...agglomerative.notes);
    }
    throwIfAborted(signal);

    // One numbering for every output.
    const numbering = numberSegments(fitLabels, k, prepared.matrix);
    const cols = prepared.matrix.cols;
    const centres = reorderRows(fitCentroids, cols, numbering.order);
    const original = prepared.scaler.inverseTransform(centres, cols);
    const centroids = Array.from({ length: k }, (_, s) => Array.from(original.subarray(s * cols, (s + 1) * cols)));

    const kept = Object.fromEntries(profiled.filter((c) => c in table.kept).map((c) => [c, table.kept[c]!]));
    const profiles = resolved.profiles
      ? profileSegments({ featureNames: table.featureNames, matrix: table.matrix, labels: numbering.labels, k, kept }, { keepNumbering: true })
      : undefined;

    const model = kmeans
      ? new KMeansModel(
          { k, cols, centroids: centres, sizes: numbering.sizes, rows: kmeans.rows, wcss, iterations: kmeans.iterations, converged: kmeans.converged, backend },
          prepared.scaler,
          {
            columns: prepared.featureNames,
            levels: table.levels,
            ...(profiles ? { segmentNames: segmentNamesByNumber(profiles, k) } : {}),
            training: {
              seed: resolved.seed,
              nInit: resolved.kmeans.nInit,
              idColumn: table.idColumn,
              ...(source !== undefined ? { source } : { source: path }),
              ...(sampleWeight ? { sampleWeight: { column: resolved.weight!, total: sampleWeight.reduce((a, b) => a + b, 0) } } : {}),
            },
            segmentaVersion: packageVersion(),
          },
        )
      : undefined;

    const tree = resolved.dendrogram;
    const sampled = tree !== false && (tree.sampleSize !== undefined || tree.topMerges !== undefined) ? tree : undefined;
    // Ward on the segment centres weighs each by its customers: with sample weights, by their weight.
    const fitWeights = kmeans?.segmentWeights ?? agglomerative?.segmentWeights;
    const treeSizes = fitWeights ? numbering.order.map((c) => fitWeights[c]!) : numbering.sizes;
    const centroidTree = tree !== false && !sampled ? await segmentCentroidTree(centres, treeSizes, k, cols) : undefined;
    const dendrogram = sampled
      ? await sampleDendrogram(prepared.matrix, {
          k,
          seed: resolved.seed,
          backend: resolved.backend,
          ...(resolved.threads !== undefined ? { threads: resolved.threads } : {}),
          ...(sampled.sampleSize !== undefined ? { sampleSize: sampled.sampleSize } : {}),
          ...(sampled.topMerges !== undefined ? { topMerges: sampled.topMerges } : {}),
          ...listen,
        })
      : undefined;

    const comparison = resolved.compare
      ? await compareMethods(
          prepared.matrix,
          resolved.compare.methods,
          {
            k,
            seed: resolved.seed,
            backend: resolved.backend,
            ...(resolved.threads !== undefined ? { threads: resolved.threads } : {}),
            ...listen,
            kmeans: resolved.kmeans,
            agglomerative: { linkage: resolved.agglomerative.linkage, mode: resolved.agglomerative.mode, microClusters: resolved.agglomerative.microClusters, exactMaxRows: resolved.agglomerative.exactMaxRows },
            gmm: { covariance: resolved.compare.covariance },
            ...(resolved.compare.dbscan ? { dbscan: resolved.compare.dbscan } : {}),
            ...(resolved.compare.hdbscan ? { hdbscan: resolved.compare.hdbscan } : {}),
          },
          { silhouetteSample: resolved.compare.silhouetteSampleSize, seed: resolved.seed },
        )
      : undefined;

    const written: string[] = [];
    if (resolved.outputs.labels !== undefined) {
      const columns = resolved.outputs.keepColumns ? table.columns.slice(1).map((name) => ({ name, values: table.kept[name]! })) : [];
      await writeLabelsCsv(resolved.outputs.labels, table.idColumn, table.ids, numbering.labels, columns, { inputs, ...(signal ? { signal } : {}) });
      written.push(resolved.outputs.labels);
    }
    let report: SegmentationReportSummary | undefined;
    if (resolved.outputs.report !== undefined) {
      report = await writeSegmentationReport(
        resolved.outputs.report,
        {
          table: { ...table, kept },
          labels: numbering.labels,
          k,
          ...(profiles ? { profiles } : {}),
          ...(sweep ? { sweep } : {}),
          ...(dendrogram ? { dendrogram } : {}),
          ...(selection ? { selection } : {}),
          ...(centroidTree ? { centroidTree } : {}),
          ...(comparison ? { comparison } : {}),
          about: {
            ...(source !== undefined ? { source } : {}),
            kChoice: kChoice.reason,
            backend,
            scale: resolved.scale,
            seed: resolved.seed,
            ...(kmeans ? { nInit: resolved.kmeans.nInit } : {}),
            wcss,
            notes: [...new Set(notes)],
          },
        },
        {
          ...(resolved.outputs.scatter ? { scatter: resolved.outputs.scatter } : {}),
          sampleSize: resolved.outputs.scatterSample,
          sampleSeed: resolved.seed,
          force: resolved.outputs.force,
          inputs,
          ...listen,
        },
      );
      written.push(report.dir);
    }
    return {
      ...base,
      k,
      ...(kmeans ? { kmeans } : {}),
      ...(agglomerative ? { agglomerative } : {}),
      numbering,
      labels: numbering.labels,
      sizes: numbering.sizes,
      centroids,
      wcss,
      ...(model ? { model } : {}),
      ...(profiles ? { profiles } : {}),
      ...(dendrogram ? { dendrogram } : {}),
      ...(centroidTree ? { centroidTree } : {}),
      ...(comparison ? { comparison } : {}),
      ...(report ? { report } : {}),
      written,
      backend,
      notes: [...new Set(notes)],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (generatedDir) await rm(generatedDir, { recursive: true, force: true });
  }
}

/**
 * The sharded job (spec.distributed), or the streamed one (spec.streamed, whose shards are chunks of the file read again on every pass): the same sweep, choice of k, fit and
 * numbering as {@link segmentCustomers}, on shards that hold the rows (here or
 * on Redis workers). validateSpec has ruled out what needs every row in one
 * process (profiles, report, one-hot encoding, agglomerative). The result's
 * `table` holds the ids (when labels are written) and `table.matrix` /
 * `prepared.matrix` have the shape but no data: the rows stay in the shards.
 */
async function segmentSharded(
  path: string,
  resolved: ResolvedSpec,
  listen: { signal?: AbortSignal; onProgress?: ProgressListener },
  started: number,
): Promise<SegmentationResult> {
  const log = (line: string): void => listen.onProgress?.({ kind: 'phase', phase: 'distributed', detail: line });
  const source = await openShardedSource(path, resolved, { ...listen, log });
  const { data, scaler } = source;
  let result: SegmentationResult;
  try {
    const fitSettings = kmeansSettingsOf(resolved, listen);
    const givenK = typeof resolved.k === 'number' ? resolved.k : null;
    let sweep: SweepResult | undefined;
    let selection: KSelection | undefined;
    const notes: string[] = [];
    if (resolved.sweep) {
      const sweepMax = Math.max(givenK ?? 1, Math.min(resolved.kRange.max, data.rows));
      const t0 = performance.now();
      sweep = await sweepK(data, { kMin: Math.min(resolved.kRange.min, sweepMax), kMax: sweepMax, ...fitSettings });
      // The other methods for k (silhouette, Calinski-Harabasz, Davies-Bouldin, gap)
      // need every row in one process: a sharded or streamed job chooses k by the elbow.
      const curves = { ks: sweep.ks, wcss: sweep.wcss };
      const seconds = (performance.now() - t0) / 1000;
      selection = { methods: ['elbow'], sweep, curves, choice: suggestK(curves), seconds: { sweep: seconds, silhouette: 0, gap: 0, total: seconds } };
      if (resolved.kMethod !== 'elbow') notes.push(`k is chosen by the elbow alone: a sharded job cannot run the ${resolved.kMethod === 'all' ? 'other methods' : `${resolved.kMethod} method`}, which need every row in one process`);
      notes.push(...sweep.notes);
    }
    const kChoice = chooseK({ k: resolved.k, method: resolved.kMethod === 'all' ? 'elbow' : resolved.kMethod, ...(selection ? { selection } : {}), required: resolved.fit });
    const shape = { data: new Float32Array(0), rows: data.rows, cols: data.cols };
    const needIds = resolved.fit && resolved.outputs.labels !== undefined;
    const ids = needIds ? await readCustomerTable(path, { features: [resolved.features[0]!], ...listen }) : undefined;
    const table: CustomerTable = {
      path,
      rows: data.rows,
      columns: ids?.columns ?? [],
      idColumn: ids?.idColumn ?? '',
      ids: ids?.ids ?? [],
      featureNames: [...resolved.features],
      matrix: shape,
      kept: {},
      levels: {},
    };
    const prepared = { matrix: shape, scaler, featureNames: [...resolved.features] };
    const base = { spec: resolved, table, prepared, profiled: [], kChoice, written: [] as string[], notes, ...(sweep ? { sweep } : {}), ...(selection ? { selection } : {}) };
    if (!resolved.fit) {
      result = { ...base, k: kChoice.k, backend: sweep?.backend ?? '', seconds: (performance.now() - started) / 1000 };
    } else {
      const kmeans = await fitKMeans(data, { k: kChoice.k!, ...fitSettings });
      const { k, labels: fitLabels, centroids: fitCentroids, backend, wcss } = kmeans;
      notes.push(...kmeans.notes);
      const cols = data.cols;
      const numbering = numberByCentres(fitLabels, kmeans.sizes, Array.from({ length: k }, (_, c) => Array.from(fitCentroids.subarray(c * cols, (c + 1) * cols))));
      const centres = reorderRows(fitCentroids, cols, numbering.order);
      const original = scaler.inverseTransform(centres, cols);
      const centroids = Array.from({ length: k }, (_, s) => Array.from(original.subarray(s * cols, (s + 1) * cols)));
      const written: string[] = [];
      if (resolved.outputs.labels !== undefined) {
        await writeLabelsCsv(resolved.outputs.labels, table.idColumn, table.ids, numbering.labels, [], { inputs: [path] });
        written.push(resolved.outputs.labels);
      }
      result = {
        ...base,
        k,
        kmeans,
        numbering,
        labels: numbering.labels,
        sizes: numbering.sizes,
        centroids,
        wcss,
        model: new KMeansModel(
          { k, cols, centroids: centres, sizes: numbering.sizes, rows: kmeans.rows, wcss, iterations: kmeans.iterations, converged: kmeans.converged, backend },
          scaler,
          {
            columns: [...resolved.features],
            levels: {},
            training: { seed: resolved.seed, nInit: resolved.kmeans.nInit, idColumn: table.idColumn, source: resolved.outputs.source ?? path },
            segmentaVersion: packageVersion(),
          },
        ),
        written,
        backend,
        notes: [...new Set(notes)],
        seconds: (performance.now() - started) / 1000,
      };
    }
  } catch (error) {
    await source.finish(error);
    throw error;
  }
  await source.finish();
  return result;
}

/**
 * Reads the table with the columns the spec asks for. `keep: 'auto'` guesses
 * Gender and Age first and, when the file lacks them, takes the columns that
 * match {@link AUTO_KEEP_PATTERNS} from the reader's list of columns.
 */
/** The K-Means settings a spec asks for (sweep and fit), with the caller's signal and progress listener. */
function kmeansSettingsOf(resolved: ResolvedSpec, listen: { signal?: AbortSignal; onProgress?: ProgressListener }) {
  return {
    nInit: resolved.kmeans.nInit,
    maxIter: resolved.kmeans.maxIter,
    tol: resolved.kmeans.tol,
    algorithm: resolved.kmeans.algorithm,
    ...(resolved.kmeans.batchSize !== undefined ? { batchSize: resolved.kmeans.batchSize } : {}),
    ...(resolved.kmeans.maxNoImprovement !== undefined ? { maxNoImprovement: resolved.kmeans.maxNoImprovement } : {}),
    ...(resolved.kmeans.reassignmentRatio !== undefined ? { reassignmentRatio: resolved.kmeans.reassignmentRatio } : {}),
    seed: resolved.seed,
    backend: resolved.backend,
    ...(resolved.threads !== undefined ? { threads: resolved.threads } : {}),
    ...listen,
  };
}

async function readTable(
  path: string,
  spec: ResolvedSpec,
  keepOriginal: boolean,
  listen: { signal?: AbortSignal; onProgress?: ProgressListener },
): Promise<{ table: CustomerTable; profiled: string[] }> {
  // Read straight into the backend's memory when it can adopt the matrix (wasm): no second copy of a large table.
  const backend = keepOriginal ? undefined : await resolveBackend(spec.backend);
  // The weight column is read beside the kept ones (never a feature).
  const withWeight = (keep: string[]): string[] => (spec.weight === undefined || keep.includes(spec.weight) ? keep : [...keep, spec.weight]);
  const read = (keep: string[]): Promise<CustomerTable> =>
    readCustomerTable(path, {
      features: spec.features,
      encode: spec.encode,
      keep: withWeight(keep),
      keepAll: spec.outputs.keepColumns,
      ...listen,
      ...(backend?.allocateMatrix ? { allocate: (rows: number, cols: number) => backend.allocateMatrix!(rows, cols) } : {}),
    });
  if (spec.keep === 'none' || !spec.profiles) return { table: await read([]), profiled: [] };
  if (spec.keep !== 'auto') return { table: await read(spec.keep), profiled: [...spec.keep] };
  // Plain numeric features are profiled already; one-hot encoded ones (Gender) are worth keeping for their mix chart.
  const encoded = new Set(spec.encode);
  const features = new Set(spec.features.filter((c) => !encoded.has(c)));
  const guess = ['Gender', 'Age'].filter((c) => !features.has(c));
  try {
    return { table: await read(guess), profiled: guess };
  } catch (error) {
    if (!(error instanceof SegmentaError) || error.code !== 'UNKNOWN_COLUMN' || !guess.includes(String(error.details['column']))) throw error;
    const available = Array.isArray(error.details['available']) ? (error.details['available'] as unknown[]).map(String) : [];
    const keep = available.filter((c) => !features.has(c) && AUTO_KEEP_PATTERNS.some((p) => p.test(c.trim())));
    return { table: await read(keep), profiled: keep };
  }
}

/** Segment names indexed by segment number. */
function segmentNamesByNumber(profiles: SegmentProfiles, k: number): string[] {
  const names = new Array<string>(k).fill('');
  for (const s of profiles.segments) names[s.segment] = s.name;
  return names;
}
