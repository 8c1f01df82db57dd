import type { Matrix } from '../../src/common/matrix.js';
import { SeededRandom } from '../../src/common/seeded-random.js';

/**
 * Seeded integer rows on a small lattice: each value `floor(u · span) + offset`,
 * row after row. Many pairs lie exactly at an integer distance (DBSCAN's eps
 * boundary, cell edges) and many distances tie (HDBSCAN's spanning tree).
 */
export function lattice(rows: number, cols: number, seed: number, span: number, offset = 0): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let p = 0; p < data.length; p++) data[p] = Math.floor(rng.nextFloat() * span) + offset;
  return { data, rows, cols };
}
