/**
 * Customer tables from memory: a Buffer, a string or a stream of CSV or
 * Parquet bytes, as a service receives an upload. DuckDB reads files only, so
 * the bytes go to a private file (mode 0600 in a fresh 0700 directory) on
 * memory-backed `/dev/shm` where the system has it, else in the OS temp
 * directory, for the length of the read, and are removed right after, also
 * on error or abort. Errors and progress name the source as the caller
 * labelled it (e.g. `upload 'customers.csv'`), never that private path.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CustomerTable } from '../common/customer-table.js';
import { AbortedError, SegmentaError, throwIfAborted } from '../common/errors.js';
import type { ProgressEvent } from '../common/progress.js';
import { readCustomerTable, type ReadTableOptions } from './read-customer-table.js';

/** A table held in memory (or arriving as a stream). */
export interface MemoryTableSource {
  /** The bytes: a Buffer / Uint8Array, a string (CSV text), or a readable stream / async iterable of chunks. */
  data: Uint8Array | string | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;
  /**
   * How errors and progress name this source, verbatim, e.g. `upload 'customers.csv'`.
   * A name ending in .parquet, .csv, .tsv, .txt or .csv.gz also tells the format.
   */
  name: string;
  /** `csv` or `parquet`. Default: from `name`, else Parquet when the bytes start with `PAR1`, else CSV. */
  format?: 'csv' | 'parquet';
}

/** What {@link readTable} takes: a file path, or a table in memory. */
export type TableSource = string | MemoryTableSource;

const PARQUET_MAGIC = 'PAR1';

function formatFrom(source: MemoryTableSource, head: Uint8Array | string | undefined): { ext: string } {
  if (source.format !== undefined && source.format !== 'csv' && source.format !== 'parquet') {
    throw new SegmentaError('INVALID_OPTION', `${source.name}: format must be 'csv' or 'parquet', got '${String(source.format)}'`, { option: 'format' });
  }
  if (source.format === 'parquet') return { ext: '.parquet' };
  if (source.format === 'csv') return { ext: '.csv' };
  const lower = source.name.toLowerCase().replace(/['"]+$/, '');
  for (const ext of ['.parquet', '.csv.gz', '.tsv.gz', '.csv', '.tsv', '.txt']) if (lower.endsWith(ext)) return { ext };
  const start = typeof head === 'string' ? head.slice(0, 4) : head ? Buffer.from(head.subarray(0, 4)).toString('latin1') : '';
  return { ext: start === PARQUET_MAGIC ? '.parquet' : '.csv' };
}

/** A fresh private directory, on RAM-backed /dev/shm when available. */
async function privateDirectory(): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  try {
    return await mkdtemp(join(base, 'segmenta-read-'));
  } catch {
    return await mkdtemp(join(tmpdir(), 'segmenta-read-'));
  }
}

function isStream(data: MemoryTableSource['data']): data is NodeJS.ReadableStream | AsyncIterable<Uint8Array | string> {
  return typeof data === 'object' && data !== null && !(data instanceof Uint8Array) && (Symbol.asyncIterator in data || 'pipe' in data);
}

/** Replaces every mention of the private path with the caller's name, in an error's message and details. */
function relabel(error: unknown, privatePath: string, name: string): unknown {
  if (!(error instanceof SegmentaError)) return error;
  const message = error.message.split(`'${privatePath}'`).join(name).split(privatePath).join(name);
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error.details)) details[key] = typeof value === 'string' ? value.split(privatePath).join(name) : value;
  if ('path' in details) details['path'] = name;
  details['source'] = name;
  const again = error instanceof AbortedError ? new AbortedError(message) : new SegmentaError(error.code, message, details);
  return again;
}

/**
 * Reads a customer table from a path or from memory, with the options of
 * `readCustomerTable` (features, encode, keep, signal, onProgress, allocate).
 *
 * @example
 * ```ts
 * // in a request handler: no temp file of yours, errors name the upload
 * const table = await readTable({ data: request.body, name: `upload 'customers.csv'` }, { features: ['Annual Income (k$)', 'Spending Score (1-100)'] });
 * ```
 * @throws SegmentaError as `readCustomerTable`, with messages naming `source.name`
 */
export async function readTable(source: TableSource, options: ReadTableOptions): Promise<CustomerTable> {
  if (typeof source === 'string') return readCustomerTable(source, options);
  if (!source || typeof source !== 'object' || typeof source.name !== 'string' || source.name.trim() === '') {
    throw new SegmentaError('INVALID_OPTION', 'a table in memory needs { data, name }: name labels it in errors, e.g. "upload \'customers.csv\'"', { option: 'name' });
  }
  const { name, data } = source;
  if (data === undefined || data === null || (typeof data !== 'string' && !(data instanceof Uint8Array) && !isStream(data))) {
    throw new SegmentaError('INVALID_OPTION', `${name}: data must be a Buffer, a string or a readable stream`, { option: 'data', source: name });
  }
  throwIfAborted(options.signal);
  const { ext } = formatFrom(source, isStream(data) ? undefined : data);
  const dir = await privateDirectory();
  const privatePath = join(dir, `table${ext}`);
  try {
    if (isStream(data)) {
      const readable = 'pipe' in data ? (data as NodeJS.ReadableStream) : Readable.from(data);
      await pipeline(readable, createWriteStream(privatePath, { mode: 0o600 }), ...(options.signal ? [{ signal: options.signal }] : [])).catch((error: unknown) => {
        throwIfAborted(options.signal);
        throw new SegmentaError('MALFORMED_FILE', `cannot read ${name}: the stream failed: ${(error as Error).message}`, { source: name });
      });
    } else {
      await writeFile(privatePath, data, { mode: 0o600, ...(options.signal ? { signal: options.signal } : {}) }).catch((error: unknown) => {
        throwIfAborted(options.signal);
        throw error;
      });
    }
    const onProgress = options.onProgress;
    const table = await readCustomerTable(privatePath, {
      ...options,
      ...(onProgress
        ? {
            onProgress: (e: ProgressEvent) =>
              onProgress(e.kind === 'phase' && e.detail !== undefined ? { ...e, detail: e.detail.split(privatePath).join(name) } : e),
          }
        : {}),
    });
    return { ...table, path: name };
  } catch (error) {
    throw relabel(error, privatePath, name);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
