import { groupDigits } from '../common/format-number.js';
/** Plain-text table for terminal output: a header, a rule, right-aligned numbers. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+%?$/.test(r[j] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The per-segment table of the kmeans and hclust commands: segment, customers,
 * share and the centre of every feature in original units.
 */
export function formatSegmentTable(featureNames: string[], centroids: number[][], sizes: number[], rows: number): string {
  const body = centroids.map((c, i) => [
    String(i),
    groupDigits(sizes[i]!),
    `${((100 * sizes[i]!) / rows).toFixed(1)}%`,
    ...c.map((v) => v.toFixed(2)),
  ]);
  return formatTable(['segment', 'customers', 'share', ...featureNames], body);
}
