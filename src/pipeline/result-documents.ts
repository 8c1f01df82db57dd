/**
 * The JSON documents of a finished job, one per command: what `segmenta sweep
 * | kmeans | hclust | report --json` print and what the job service serves at
 * `GET /jobs/{id}/results`. One builder each, so the CLI and the service can
 * never drift apart.
 */
import { dendrogramTop } from '../drivers/agglomerative/linkage-tree.js';
import { kSelectionJson } from '../drivers/k-selection.js';
import type { SegmentationResult } from './segment-customers.js';

/** Rounds for display/JSON without float noise. */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Centroids rounded for printing and JSON (6 decimals). */
export function roundCentroids(centroids: readonly (readonly number[])[]): number[][] {
  return centroids.map((row) => row.map((v) => roundTo(v, 6)));
}

/** `sweep --json`: the WCSS curve and the k at its elbow. */
export function sweepDocument(r: SegmentationResult, seconds: number): Record<string, unknown> {
  const sweep = r.sweep!;
  return {
    backend: sweep.backend,
    rows: sweep.rows,
    features: r.prepared.featureNames,
    scale: r.spec.scale,
    ...(r.selection ? kSelectionJson(r.selection) : { k: sweep.ks, wcss: sweep.wcss }),
    suggestedK: r.k,
    seconds: roundTo(seconds, 3),
    notes: sweep.notes,
  };
}

/** `kmeans --json`: WCSS, sizes and centroids (original units) in the one numbering; `written` names the labels file and saved model. */
export function kmeansDocument(r: SegmentationResult, seconds: number, written: { out?: string | undefined; model?: string | undefined } = {}): Record<string, unknown> {
  const result = r.kmeans!;
  return {
    backend: result.backend,
    rows: result.rows,
    features: r.prepared.featureNames,
    scale: r.spec.scale,
    k: result.k,
    algorithm: result.algorithm,
    wcss: result.wcss,
    iterations: result.iterations,
    ...(result.steps !== undefined ? { steps: result.steps } : {}),
    converged: result.converged,
    centroids: roundCentroids(r.centroids!),
    sizes: r.sizes,
    seconds: roundTo(seconds, 3),
    notes: result.notes,
    ...(written.out ? { out: written.out } : {}),
    ...(written.model ? { model: written.model } : {}),
  };
}

/** `hclust --json`: sizes and centroids in the one numbering (descending size), and the top of the dendrogram. */
export function hclustDocument(r: SegmentationResult, seconds: number, topMerges: number, out?: string): Record<string, unknown> {
  const result = r.agglomerative!;
  const top = dendrogramTop(result.tree, topMerges);
  return {
    backend: result.backend,
    mode: result.mode,
    m: result.m,
    linkage: result.linkage,
    rows: result.rows,
    features: r.prepared.featureNames,
    scale: r.spec.scale,
    k: result.k,
    ...(result.distanceThreshold !== undefined ? { distanceThreshold: result.distanceThreshold } : {}),
    sizes: r.sizes,
    wcss: result.wcss,
    centroids: roundCentroids(r.centroids!),
    seconds: roundTo(seconds, 3),
    dendrogram: {
      leafKind: result.mode === 'exact' ? 'row' : 'micro-cluster',
      leafCount: top.leafCount,
      rootId: top.rootId,
      merges: top.merges,
      leaves: top.leaves,
    },
    notes: result.notes,
    ...(out ? { out } : {}),
  };
}

/** `predict --json`: customers labelled, k and customers per segment. */
export function predictDocument(labels: ArrayLike<number>, k: number, out?: string): Record<string, unknown> {
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++;
  return { rows: labels.length, k, sizes, ...(out ? { out } : {}) };
}

/** `report --json`: k and how it was found, the named segments and the report's files. */
export function reportDocument(r: SegmentationResult, seconds: number): Record<string, unknown> {
  const report = r.report!;
  return {
    backend: r.backend,
    rows: r.table.rows,
    features: r.prepared.featureNames,
    scale: r.spec.scale,
    k: r.k,
    suggestedK: r.selection?.choice.suggestedK ?? null,
    reason: r.kChoice.reason,
    wcss: r.wcss,
    dir: report.dir,
    index: report.index,
    files: report.files,
    segments: report.segments.map((s) => ({ ...s, share: roundTo(s.share, 6) })),
    seconds: roundTo(seconds, 3),
  };
}
