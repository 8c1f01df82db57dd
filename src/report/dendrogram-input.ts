/**
 * Dendrogram chart input for the report: the top merges of a merge tree,
 * numbered for drawing. The report draws; the tree itself is fitted above the
 * report (see `sampleDendrogram` in src/pipeline/).
 */
import type { DendrogramTop } from '../drivers/agglomerative/linkage-tree.js';
import type { DendrogramChartInput } from './chart-specs.js';
import { groupDigits } from '../common/format-number.js';

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
    leafLabels: top.leaves.map((leaf) => `(${groupDigits(leaf.size)})`),
    ...(cutDistance !== undefined ? { cutDistance } : {}),
    ...(subtitle ? { subtitle } : {}),
  };
}
