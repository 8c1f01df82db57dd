/**
 * Data for the sharded and streamed tests (the drivers-streaming mutation
 * unit's fast files).
 */
import { ROW_BLOCK_SIZE } from '../../src/backends/kernel-contract.js';
import type { Matrix } from '../../src/common/matrix.js';
import type { ChunkSource } from '../../src/drivers/sharding/streamed-data.js';

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

/**
 * The rows of `matrix` as a chunk source, as data-in's FeatureStream hands
 * them: one reused buffer of `chunkRows` rows; `log` counts the chunks
 * delivered and the closes. `shift` moves every chunk's start (a file that changed).
 */
export function memorySource(matrix: Matrix, log = { chunks: 0, closed: 0 }, shift = 0): ChunkSource {
  const d = matrix.cols;
  return {
    rows: matrix.rows,
    async pass(chunkRows, onChunk) {
      const buffer = new Float32Array(chunkRows * d);
      for (let start = 0; start < matrix.rows; start += chunkRows) {
        const n = Math.min(chunkRows, matrix.rows - start);
        buffer.set(matrix.data.subarray(start * d, (start + n) * d));
        log.chunks++;
        if ((await onChunk(buffer, start + shift, n)) === false) return;
      }
    },
    async close() {
      log.closed++;
    },
  };
}
