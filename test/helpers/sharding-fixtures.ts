/**
 * Data for the sharded and streamed tests (the drivers-streaming mutation
 * unit's fast files).
 */
import { ROW_BLOCK_SIZE } from '../../src/backends/kernel-contract.js';
import type { Matrix } from '../../src/common/matrix.js';

/**
 * Three groups of rows (around (0, 0), (10, 5), (20, 10)) whose values repeat
 * every 97 rows, so equal distances occur in every block; 2 features.
 * Default: 3 blocks and 100 rows.
 */
export function repeatingGroups(rows = 3 * ROW_BLOCK_SIZE + 100): Matrix {
  const data = new Float32Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    const g = i % 3;
    data[2 * i] = g * 10 + (i % 97) / 97;
    data[2 * i + 1] = g * 5 + ((i * 31) % 97) / 97;
  }
  return { data, rows, cols: 2 };
}
