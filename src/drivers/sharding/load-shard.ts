/**
 * Loads one shard's rows straight from the table (Parquet or CSV) into memory
 * its backend job adopts (wasm: its own WebAssembly.Memory), without the rest
 * of the file: what each worker does for its shards, and what a sharded run in
 * one process does for all of them.
 */
import { SegmentaError } from '../../common/errors.js';
import { readCustomerTable } from '../../data-in/read-customer-table.js';
import type { JobOptions, KernelBackend } from '../../backends/kernel-contract.js';
import type { ShardRange } from '../../backends/sharded/sharded-job.js';
import { LocalShard } from './local-shard.js';

/**
 * Reads rows `range` of `file` (features in this order, original units) into a shard.
 *
 * @throws SegmentaError from the reader (with file row numbers), or `MALFORMED_FILE`
 *   when the file holds fewer rows than the range (it changed since the job was planned)
 */
export async function loadShard(file: string, features: string[], range: ShardRange, backend: KernelBackend, jobOptions: JobOptions = {}): Promise<LocalShard> {
  const table = await readCustomerTable(file, {
    features,
    range,
    skipIds: true,
    ...(jobOptions.signal ? { signal: jobOptions.signal } : {}),
    ...(backend.allocateMatrix ? { allocate: (rows: number, cols: number) => backend.allocateMatrix!(rows, cols) } : {}),
  });
  const want = range.end - range.start;
  if (table.rows !== want) {
    throw new SegmentaError('MALFORMED_FILE', `'${file}' rows ${range.start + 1}..${range.end}: read ${table.rows} of ${want} rows (did the file change?)`, {
      path: file,
      range,
      rows: table.rows,
    });
  }
  return new LocalShard(range, table.matrix.data, table.matrix.cols, backend, jobOptions);
}
