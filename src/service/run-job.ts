/**
 * Runs one job to completion inside a job worker: maps the process's inputs
 * onto a pipeline spec, runs `segmentCustomers` and writes the results into a
 * fresh folder that is renamed into place once complete. Never runs on the
 * server's thread.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentaError } from '../common/errors.js';
import type { ProgressListener } from '../common/progress.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { writeGeneratedCustomers } from '../data-in/generate-customers.js';
import { readCustomerTable } from '../data-in/read-customer-table.js';
import { hclustDocument, kmeansDocument, predictDocument, reportDocument, sweepDocument } from '../pipeline/result-documents.js';
import { loadModel, saveModel } from '../results/kmeans-model.js';
import { writeLabelsCsv } from '../results/write-labels-csv.js';
import { segmentCustomers } from '../pipeline/segment-customers.js';
import type { SegmentationSpec } from '../pipeline/spec.js';
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
  /** predict: the model.json of the finished job whose model scores the data. */
  modelFile?: string;
}

/** Top merges of the dendrogram in hclust results (as `segmenta hclust --json`). */
const TOP_MERGES = 30;

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

/** The pipeline spec of a process's inputs; outputs go to `dir`. */
export function pipelineSpec(processID: ProcessId, inputs: JobInputs, data: ResolvedData, dir: string): SegmentationSpec {
  const common: SegmentationSpec = {
    data: { path: data.file },
    features: inputs.features ?? [],
    ...(inputs.encode ? { encode: inputs.encode } : {}),
    scale: inputs.scale ?? 'none',
    seed: inputs.seed ?? 0,
    backend: inputs.backend ?? 'auto',
    ...(inputs.threads !== undefined ? { threads: inputs.threads } : {}),
    kmeans: { nInit: inputs.nInit ?? 3, maxIter: inputs.maxIter ?? 300, tol: inputs.tol ?? 1e-4 },
  };
  const kRange = { min: inputs.kMin ?? 1, max: inputs.kMax ?? 10 };
  // A fit with a given k that only labels, as `segmenta kmeans` and `hclust` run it.
  const labelsOnly = { sweep: false, keep: 'none' as const, profiles: false, outputs: { labels: join(dir, 'labels.csv') } };
  switch (processID) {
    case 'sweep':
      return { ...common, kRange, fit: false, keep: 'none', profiles: false };
    case 'kmeans':
      return { ...common, k: inputs.k as number, ...labelsOnly };
    case 'hclust':
      return {
        ...common,
        k: inputs.k as number,
        method: 'agglomerative',
        agglomerative: {
          linkage: (inputs.linkage ?? 'ward') as 'ward',
          mode: inputs.mode ?? 'auto',
          ...(inputs.microClusters !== undefined ? { microClusters: inputs.microClusters } : {}),
        },
        ...labelsOnly,
      };
    case 'report': {
      const k = inputs.k ?? 'auto';
      return {
        ...common,
        k,
        kRange: { min: kRange.min, max: Math.max(kRange.max, k === 'auto' ? 0 : k) },
        keep: inputs.keep ?? 'auto',
        dendrogram: inputs.dendrogram ?? true,
        outputs: { report: join(dir, 'report'), source: data.display.replace(/^'(.*)'$/, '$1') },
      };
    }
    case 'predict':
      throw new SegmentaError('INVALID_OPTION', 'the predict process scores with a saved model; it runs no segmentation', { field: 'processID' });
  }
}

async function runProcess(spec: WorkerJobSpec, onProgress: ProgressListener): Promise<Record<string, unknown>> {
  const { processID, inputs, data, partialDir } = spec;
  const started = performance.now();
  if (data.generate) {
    onProgress({ kind: 'phase', phase: 'generate', detail: `${data.generate.rows} customers` });
    await writeGeneratedCustomers(data.file, data.generate);
  }
  if (processID === 'predict') {
    // The model job may have been dismissed since this job was accepted.
    const model = await loadModel(spec.modelFile!).catch(() => {
      throw new SegmentaError('FILE_NOT_FOUND', `the model of job '${inputs.model!.job}' is gone (the job was dismissed)`, { field: 'inputs.model.job' });
    });
    const table = await readCustomerTable(data.file, { features: model.sourceFeatures(), encode: model.encodedFeatures(), onProgress });
    const labels = model.predictTable(table);
    await writeLabelsCsv(join(partialDir, 'labels.csv'), table.idColumn, table.ids, labels);
    return predictDocument(labels, model.k);
  }
  const r = await segmentCustomers(pipelineSpec(processID, inputs, data, partialDir), { onProgress });
  // A K-Means model scores new customers: POST /models/{jobID}/predict and the predict process.
  if (r.model) await saveModel(join(partialDir, 'model.json'), r.model);
  const seconds = (performance.now() - started) / 1000;
  switch (processID) {
    case 'sweep':
      return sweepDocument(r, seconds);
    case 'kmeans':
      return kmeansDocument(r, seconds);
    case 'hclust':
      return hclustDocument(r, seconds, TOP_MERGES);
    case 'report': {
      // The labels live at the same place for every process: results/labels.csv.
      await copyFile(join(partialDir, 'report', 'labels.csv'), join(partialDir, 'labels.csv'));
      return { ...reportDocument(r, seconds), dir: 'report', index: 'report/index.html' };
    }
  }
}
