/**
 * Runs one job to completion inside a job worker: reads the customers, runs
 * the process and writes its results into a fresh folder that the caller
 * renames into place. Never runs on the server's thread.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentaError } from '../common/errors.js';
import type { ProgressListener } from '../common/progress.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { readCustomerTable, type CustomerTable } from '../data-in/read-customer-table.js';
import { writeGeneratedCustomers } from '../data-in/generate-customers.js';
import { prepareFeatures, type PreparedFeatures } from '../preparation/prepare-features.js';
import { fitKMeans } from '../drivers/kmeans.js';
import { sweepK, type SweepResult } from '../drivers/elbow-sweep.js';
import { fitAgglomerative } from '../drivers/agglomerative/index.js';
import { sampleDendrogram } from '../pipeline/sample-dendrogram.js';
import { writeSegmentationReport } from '../report/write-report.js';
import { writeLabelsCsv } from '../results/write-labels-csv.js';
import type { JobInputs, ProcessId } from './processes.js';

/** The customers a worker reads: a file and the name errors give it. */
export interface ResolvedData {
  /** Absolute path of the file to read (inside --data-dir, or the job's own input folder). */
  file: string;
  /** How messages name it: `'Mall_Customers.csv'` or `upload 'customers.csv'`. */
  display: string;
  /** Generate these customers into `file` first. */
  generate?: { rows: number; seed: number; features: number };
}

/** Everything a worker needs to run one job. */
export interface WorkerJobSpec {
  processID: ProcessId;
  inputs: JobInputs;
  data: ResolvedData;
  /** Results are written here first (created fresh)… */
  partialDir: string;
  /** …and renamed to this once complete. */
  resultsDir: string;
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Replaces the internal path in a user error by the name the client gave the data. */
export function renameSourceInError(error: unknown, data: ResolvedData): unknown {
  if (error instanceof SegmentaError && data.file !== data.display) {
    const message = error.message.split(`'${data.file}'`).join(data.display).split(data.file).join(data.display);
    const renamed = new SegmentaError(error.code, message, { ...error.details });
    return renamed;
  }
  return error;
}

/**
 * Runs the job; resolves when `spec.resultsDir` holds the complete results
 * (`results.json` plus the process's files).
 */
export async function runJob(spec: WorkerJobSpec, listener: ProgressListener): Promise<void> {
  // Progress details name the data as the client did, never by the server's path.
  const onProgress: ProgressListener = (event) =>
    listener(
      event.kind === 'phase' && event.detail !== undefined
        ? { ...event, detail: event.detail.split(spec.data.file).join(spec.data.display).split(spec.partialDir).join('results') }
        : event,
    );
  await rm(spec.partialDir, { recursive: true, force: true });
  await mkdir(spec.partialDir, { recursive: true });
  try {
    const doc = await runProcess(spec, onProgress);
    await writeFileAtomic(join(spec.partialDir, 'results.json'), `${JSON.stringify(doc)}\n`);
  } catch (error) {
    await rm(spec.partialDir, { recursive: true, force: true });
    throw renameSourceInError(error, spec.data);
  }
  onProgress({ kind: 'phase', phase: 'write', detail: 'results' });
  await rename(spec.partialDir, spec.resultsDir);
}

async function runProcess(spec: WorkerJobSpec, onProgress: ProgressListener): Promise<Record<string, unknown>> {
  const { inputs, data, partialDir } = spec;
  const started = performance.now();
  if (data.generate) {
    onProgress({ kind: 'phase', phase: 'generate', detail: `${data.generate.rows} customers` });
    await writeGeneratedCustomers(data.file, data.generate);
  }
  if (spec.processID === 'predict') {
    throw new SegmentaError('INVALID_OPTION', 'the predict process needs the saved-model format, which this build does not have yet', { process: 'predict' });
  }
  const features = inputs.features ?? [];
  const encode = inputs.encode ?? [];
  const scale = inputs.scale ?? 'none';
  const isReport = spec.processID === 'report';
  const read = (keep: string[]): Promise<CustomerTable> => readCustomerTable(data.file, { features, encode, keep, onProgress });
  const table = isReport ? await readForReport(inputs, read) : await read([]);
  const prepared = prepareFeatures(table, { scale, inPlace: !isReport });
  const fit = {
    backend: inputs.backend ?? 'auto',
    ...(inputs.threads !== undefined ? { threads: inputs.threads } : {}),
    seed: inputs.seed ?? 0,
    nInit: inputs.nInit ?? 3,
    maxIter: inputs.maxIter ?? 300,
    tol: inputs.tol ?? 1e-4,
    onProgress,
  };
  const seconds = (): number => round((performance.now() - started) / 1000, 3);
  const common = { rows: table.rows, features: prepared.featureNames, scale };
  switch (spec.processID) {
    case 'sweep': {
      const sweep = await sweepK(prepared.matrix, { kMin: inputs.kMin ?? 1, kMax: inputs.kMax ?? 10, ...fit });
      return { backend: sweep.backend, ...common, k: sweep.ks, wcss: sweep.wcss, suggestedK: sweep.suggestedK, seconds: seconds(), notes: sweep.notes };
    }
    case 'kmeans': {
      const k = inputs.k as number;
      const result = await fitKMeans(prepared.matrix, { k, ...fit });
      await writeLabelsCsv(join(partialDir, 'labels.csv'), table.idColumn, table.ids, result.labels);
      return {
        backend: result.backend,
        ...common,
        k,
        wcss: result.wcss,
        iterations: result.iterations,
        converged: result.converged,
        centroids: originalCentroids(prepared, result.centroids, k),
        sizes: result.sizes,
        seconds: seconds(),
        notes: result.notes,
      };
    }
    case 'hclust': {
      const k = inputs.k as number;
      const result = await fitAgglomerative(prepared.matrix, {
        k,
        linkage: (inputs.linkage ?? 'ward') as 'ward',
        ...(inputs.mode && inputs.mode !== 'auto' ? { mode: inputs.mode } : {}),
        ...(inputs.microClusters !== undefined ? { microClusters: inputs.microClusters } : {}),
        backend: fit.backend,
        ...(inputs.threads !== undefined ? { threads: inputs.threads } : {}),
        seed: fit.seed,
        onProgress,
      });
      await writeLabelsCsv(join(partialDir, 'labels.csv'), table.idColumn, table.ids, result.labels);
      return {
        backend: result.backend,
        mode: result.mode,
        m: result.m,
        linkage: result.linkage,
        ...common,
        k: result.k,
        sizes: result.sizes,
        wcss: result.wcss,
        centroids: originalCentroids(prepared, result.centroids, result.k),
        seconds: seconds(),
        notes: result.notes,
      };
    }
    case 'report': {
      const givenK = inputs.k === undefined || inputs.k === 'auto' ? null : inputs.k;
      const kMin = inputs.kMin ?? 1;
      const kMax = Math.max(inputs.kMax ?? 10, givenK ?? 0);
      const sweepMax = Math.max(givenK ?? 1, Math.min(kMax, prepared.matrix.rows));
      const sweep: SweepResult = await sweepK(prepared.matrix, { kMin: Math.min(kMin, sweepMax), kMax: sweepMax, ...fit });
      const k = givenK ?? sweep.suggestedK;
      if (k === null) {
        throw new SegmentaError(
          'INVALID_K',
          `the WCSS sweep k = ${sweep.ks[0]}..${sweep.ks[sweep.ks.length - 1]} shows no clear elbow; choose the number of segments with "k" (WCSS: ${sweep.wcss.map((w) => w.toPrecision(4)).join(', ')})`,
          { field: 'k' },
        );
      }
      const result = await fitKMeans(prepared.matrix, { k, ...fit });
      const dendrogram =
        inputs.dendrogram === false
          ? undefined
          : await sampleDendrogram(prepared.matrix, { k, seed: fit.seed, backend: fit.backend, ...(fit.threads !== undefined ? { threads: fit.threads } : {}), onProgress });
      const report = await writeSegmentationReport(
        join(partialDir, 'report'),
        {
          table: { ...table, path: data.display },
          labels: result.labels,
          k,
          sweep,
          ...(dendrogram ? { dendrogram } : {}),
          about: { source: data.display, backend: result.backend, scale, seed: fit.seed, nInit: fit.nInit, wcss: result.wcss, notes: [...new Set([...sweep.notes, ...result.notes])] },
        },
        { sampleSeed: fit.seed, onProgress },
      );
      // The labels live at the same place for every process: results/labels.csv.
      await copyFile(join(partialDir, 'report', 'labels.csv'), join(partialDir, 'labels.csv'));
      return {
        backend: result.backend,
        ...common,
        k,
        suggestedK: sweep.suggestedK,
        wcss: result.wcss,
        sweep: { k: sweep.ks, wcss: sweep.wcss },
        index: 'report/index.html',
        files: report.files.map((f) => `report/${f}`),
        segments: report.segments.map((s) => ({ ...s, share: round(s.share, 6) })),
        seconds: seconds(),
      };
    }
  }
}

function originalCentroids(prepared: PreparedFeatures, centroids: Float64Array, k: number): number[][] {
  const cols = prepared.matrix.cols;
  const original = prepared.scaler.inverseTransform(centroids, cols);
  return Array.from({ length: k }, (_, c) => Array.from(original.subarray(c * cols, (c + 1) * cols), (v) => round(v, 6)));
}

/**
 * Reads the table with the report's `keep` columns: a list, none, or (auto)
 * Gender/Sex and Age when the file has them and they are not features.
 */
async function readForReport(inputs: JobInputs, read: (keep: string[]) => Promise<CustomerTable>): Promise<CustomerTable> {
  const keep = inputs.keep ?? 'auto';
  if (keep === 'none') return read([]);
  if (Array.isArray(keep)) return read(keep);
  const features = new Set((inputs.features ?? []).filter((f) => !(inputs.encode ?? []).includes(f)));
  const guess = ['Gender', 'Age'].filter((c) => !features.has(c));
  try {
    return await read(guess);
  } catch (error) {
    if (!(error instanceof SegmentaError) || error.code !== 'UNKNOWN_COLUMN' || !guess.includes(String(error.details['column']))) throw error;
    const available = Array.isArray(error.details['available']) ? (error.details['available'] as unknown[]).map(String) : [];
    return read(available.filter((c) => !features.has(c) && (/^(gender|sex)$/i.test(c.trim()) || /^age$/i.test(c.trim()))));
  }
}
