/**
 * Reads a customer table (CSV or Parquet) with DuckDB into a float32 feature
 * matrix, streaming result chunks straight into the matrix.
 */
import { open, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
// DuckDB loads on the first read, not when segmenta is imported.
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { SegmentaError, throwIfAborted } from '../common/errors.js';
import { untilAborted } from '../common/time-slice.js';
import type { CustomerTable } from '../common/customer-table.js';
import type { Matrix } from '../common/matrix.js';
import type { ProgressListener } from '../common/progress.js';
import { oneHotNames, sortCategoryCodes, writeOneHot } from './one-hot.js';
import { doubleColumn, isValid, loadDuckDB, StringDecoder, stringColumn } from './duckdb-vectors.js';
import type { DoubleColumn, StringColumn } from './duckdb-vectors.js';
import { duplicateNames, firstCsvLine, guessDelimiter, scanCsvShape, type CsvDialect } from './csv-diagnostics.js';
import { literalDuckDbPath, lockDown } from './duckdb-lockdown.js';
import { sqlIdentifier, sqlString } from './sql-quote.js';

/** Options of {@link readCustomerTable}. */
export interface ReadTableOptions {
  /**
   * Columns that become features, in this order (exact header names, spaces
   * and symbols included). Numeric columns, or categorical ones also listed
   * in `encode`.
   */
  features: string[];
  /**
   * Categorical columns to one-hot encode (levels sorted, features named
   * `Column=Level`). A column listed here but not in `features` is appended to
   * the features. Default none.
   */
  encode?: string[];
  /** Extra columns carried along for insights (not features), e.g. `['Gender', 'Age']`. Default none. */
  keep?: string[];
  /** Carry every column but the id in `kept` (features too, in original units), e.g. to write them beside the labels. Default false. */
  keepAll?: boolean;
  /** Stops the read (rejects with `ABORTED`). */
  signal?: AbortSignal;
  /** Receives `{kind: 'phase', phase: 'read', detail}` events (start, about every million rows, end). */
  onProgress?: ProgressListener;
  /**
   * Allocates the rows × cols feature matrix, e.g. a backend's `allocateMatrix`
   * so that the data is read straight into wasm memory and the job adopts it
   * without a copy. Default: a plain `Float32Array`.
   */
  allocate?: (rows: number, cols: number) => Float32Array;
  /**
   * Reads only the data rows [start, end) (0-based, file order), e.g. one
   * shard of a sharded job. Row numbers in errors stay those of the file.
   * Default: every row.
   */
  range?: { start: number; end: number };
  /** Leave out the id column (then `ids` is empty): a shard needs only its features. Default false. */
  skipIds?: boolean;
}

export type { CustomerTable } from '../common/customer-table.js';

type Format = 'csv' | 'parquet';

const CSV_EXTENSIONS = ['.csv', '.tsv', '.txt', '.csv.gz', '.tsv.gz'];

function formatOf(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (CSV_EXTENSIONS.some((e) => lower.endsWith(e))) return 'csv';
  throw new SegmentaError(
    'UNSUPPORTED_FORMAT',
    `cannot read '${path}': unsupported file type '${extname(path) || '(none)'}'; use .csv, .tsv, .txt, .csv.gz or .parquet`,
    { path },
  );
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(.*\))?)$/;

interface SourceColumn {
  name: string;
  type: string;
}

/** What the select list reads for one output slot. */
type Slot =
  | { kind: 'feature'; column: string; matrixColumn: number }
  | { kind: 'category'; column: string; index: number }
  | { kind: 'number'; column: string; target: 'id' | 'keep' }
  | { kind: 'string'; column: string; target: 'id' | 'keep' };

const PROGRESS_EVERY = 1_000_000;

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/**
 * Lines of an uncompressed CSV (newlines, plus one when the last line has no
 * newline): with the header removed, an upper bound on its data rows that is
 * exact for ordinary files (no blank lines, no quoted newlines). Null when unknown.
 */
async function csvLineCount(path: string, signal?: AbortSignal): Promise<number | null> {
  if (path.toLowerCase().endsWith('.gz')) return null;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 22);
    let count = 0;
    let last = 10;
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const view = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      let p = -1;
      while ((p = view.indexOf(10, p + 1)) !== -1) count++;
      last = view[bytesRead - 1]!;
    }
    return last === 10 ? count : count + 1;
  } finally {
    await handle.close();
  }
}

/** Growable typed storage: starts at an estimate, grows ×1.5, trimmed to the row count at the end. */
class Float64Store {
  data: Float64Array;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  ensure(rows: number): void {
    if (rows <= this.data.length) return;
    const next = new Float64Array(Math.max(rows, Math.ceil(this.data.length * 1.5) + 1024));
    next.set(this.data);
    this.data = next;
  }
  finish(rows: number): Float64Array {
    return rows === this.data.length ? this.data : this.data.slice(0, rows);
  }
}

/**
 * Reads a customer table from CSV (`.csv`, `.tsv`, `.txt`, `.csv.gz`; header and
 * dialect auto-detected) or Parquet (`.parquet`) into a float32 matrix in
 * original units, rows in file order.
 *
 * Features are read as DOUBLE by DuckDB and written straight from the result
 * vectors into the matrix (no per-row JS objects): about 6 s and 0.4 GB above
 * the matrix for 10M rows × 8 features of CSV on 2 cores (see docs/benchmarks.md).
 *
 * @param path the file
 * @param options `features` (required), `encode`, `keep`, `signal`, `onProgress`
 * @returns ids (first column), the feature matrix (rows × featureNames.length), kept columns
 * @throws SegmentaError with `code`:
 *   `FILE_NOT_FOUND` (names the path), `UNSUPPORTED_FORMAT` (extension),
 *   `UNKNOWN_COLUMN` (lists the available columns), `NON_NUMERIC_VALUE`
 *   (`row 17, column 'Age': 'abc' is not a number`; also a categorical
 *   feature not listed in `encode`, with a hint to encode it), `MISSING_VALUE`
 *   (empty cell: row and column), `NON_FINITE_VALUE` (NaN, ±Inf, or beyond
 *   float32), `EMPTY_TABLE` (no data rows), `MALFORMED_FILE` (unparseable
 *   file), `INVALID_OPTION` (bad options), `ABORTED` (at once when `signal` fires; the
 *   DuckDB query is interrupted and closed in the background).
 *   Row numbers are 1-based data rows (the header is not counted).
 * @example
 * const table = await readCustomerTable('Mall_Customers.csv', {
 *   features: ['Annual Income (k$)', 'Spending Score (1-100)', 'Gender'],
 *   encode: ['Gender'],
 *   keep: ['Age'],
 * });
 * table.featureNames; // ['Annual Income (k$)', 'Spending Score (1-100)', 'Gender=Female', 'Gender=Male']
 * table.matrix.rows;  // 200
 */
export function readCustomerTable(path: string, options: ReadTableOptions): Promise<CustomerTable> {
  // DuckDB notices an interrupt only between steps (sniffing a CSV can take a second): answer the abort at once.
  return untilAborted(readTableFile(path, options), options?.signal);
}

async function readTableFile(path: string, options: ReadTableOptions): Promise<CustomerTable> {
  const { features, encode, keep } = validateOptions(options);
  const { signal, onProgress, range } = options;
  if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end > range.start)) {
    throw new SegmentaError('INVALID_OPTION', `range must be 0 <= start < end, got [${range.start}, ${range.end})`, { option: 'range' });
  }
  throwIfAborted(signal);
  const format = formatOf(path);
  const absolute = await checkFile(path);

  onProgress?.({ kind: 'phase', phase: 'read', detail: `reading ${path}` });
  const duck = await openDuckDb(path, absolute, format, signal);
  const { connection, fileArg } = duck;
  try {
    await connection.run('SET preserve_insertion_order = true');
    await lockDown(connection, [duck.literalPath]);
    const lines = format === 'csv' && !range ? csvLineCount(absolute, signal) : Promise.resolve(null);
    lines.catch(() => undefined);
    const schema = await describe(connection, path, fileArg, format);
    if (format === 'csv') await checkCsvShape(path, absolute, schema);
    const columnNames = checkColumns(path, format, schema, [...features, ...encode, ...keep]);
    const typeOf = new Map(schema.columns.map((c) => [c.name, c.type] as const));
    const idColumn = columnNames[0]!;
    const lineCount = await lines;
    // Expected rows: exact for Parquet; for CSV exact unless it has blank lines or quoted newlines (then an upper bound).
    const expectedRows = range
      ? format === 'parquet'
        ? Math.max(0, Math.min(range.end, await parquetRowCount(connection, fileArg)) - range.start)
        : range.end - range.start
      : format === 'parquet'
        ? await parquetRowCount(connection, fileArg)
        : lineCount === null
          ? null
          : lineCount - (schema.header ? 1 : 0);
    const capacity = expectedRows ?? 65_536;
    throwIfAborted(signal);

    const carried = options.keepAll ? [...new Set([...keep, ...columnNames.slice(1)])] : keep;
    const plan = planSlots(features, encode, carried, options.skipIds ? null : idColumn, typeOf);
    let forceVarchar = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await streamRows(connection, plan, {
          path,
          source: sourceSql(fileArg, format, schema.header, plan, forceVarchar, range),
          firstRow: range?.start ?? 0,
          capacity: Math.max(1, capacity),
          expectedRows,
          signal,
          onProgress,
          ...(options.allocate ? { allocate: options.allocate } : {}),
        });
        if (result.rows === 0) throw new SegmentaError('EMPTY_TABLE', `'${path}' has no data rows`, { path });
        return {
          path,
          rows: result.rows,
          columns: columnNames,
          idColumn,
          ids: result.ids,
          featureNames: result.featureNames,
          matrix: result.matrix,
          kept: result.kept,
          levels: result.levels,
        };
      } catch (error) {
        if (error instanceof SegmentaError) throw error;
        throwIfAborted(signal);
        const message = error instanceof Error ? error.message : String(error);
        if (format === 'csv') await throwIfRagged(path, absolute, schema);
        if (/^(Conversion|Invalid Input) Error/.test(message)) {
          // A cell could not be parsed. Find the first offending feature cell with an all-varchar scan.
          await diagnose(connection, path, fileArg, format, schema.header, plan, signal);
          // No feature cell is at fault: an id or kept column changed type after the sniffed sample. Read those as text.
          const textual = plan.slots.filter((s) => s.kind === 'number').map((s) => s.column);
          if (attempt === 0 && format === 'csv' && textual.length > 0) {
            forceVarchar = new Set(textual);
            plan.slots = plan.slots.map((s) => (s.kind === 'number' ? { kind: 'string', column: s.column, target: s.target } : s));
            continue;
          }
        }
        throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': ${firstLine(message)}`, { path, cause: message });
      }
    }
  } catch (error) {
    if (error instanceof SegmentaError) throw error;
    throwIfAborted(signal);
    const message = error instanceof Error ? error.message : String(error);
    if (format === 'csv') await throwIfRagged(path, absolute, null);
    throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': ${firstLine(message)}`, { path, cause: message });
  } finally {
    await duck.close();
  }
}

/** DuckDB's buffer between a streamed query's threads and its reader (default ~1 MB). */
const STREAM_BUFFER = '32MB';

/** A DuckDB connection for reading one file, and the file's argument to read_csv/read_parquet. */
interface DuckDbFile {
  connection: DuckDBConnection;
  fileArg: string;
  /** The path DuckDB reads (lock the connection down to it before the first read). */
  literalPath: string;
  close(): Promise<void>;
}

/**
 * Opens an in-memory DuckDB for `absolute` (the file `path` names), interrupted
 * when `signal` fires. DuckDB reads exactly this one file: never a pattern, a
 * URL or any other file (see duckdb-lockdown.ts).
 */
async function openDuckDb(path: string, absolute: string, format: Format, signal: AbortSignal | undefined): Promise<DuckDbFile> {
  const literal = await literalDuckDbPath(absolute, path);
  const fileArg = `${sqlString(literal.path)}${format === 'csv' ? `, compression = '${absolute.toLowerCase().endsWith('.gz') ? 'gzip' : 'none'}'` : ''}`;
  const { DuckDBInstance } = loadDuckDB();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  // A streamed result buffers ~1 MB by default, so DuckDB's scan threads stall while JS copies each chunk out:
  // 32 MB lets the parallel CSV parse run ahead (10M × 4 rows: 2.6 s → 1.4 s of reading; docs/benchmarks.md).
  await connection.run(`SET streaming_buffer_size = '${STREAM_BUFFER}'`);
  const onAbort = (): void => connection.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    connection,
    fileArg,
    literalPath: literal.path,
    async close() {
      signal?.removeEventListener('abort', onAbort);
      connection.closeSync();
      instance.closeSync();
      await literal.close();
    },
  };
}

/** The dialect to scan `absolute` with: the sniffed one, or one guessed from its first line when the sniffer gave up. Null for a one-column file. */
async function scanDialect(absolute: string, schema: Schema | null): Promise<CsvDialect | null> {
  const gzip = absolute.toLowerCase().endsWith('.gz');
  const delimiter = guessDelimiter(await firstCsvLine(absolute, gzip), schema?.dialect?.delimiter);
  if (delimiter === undefined) return null;
  const quote = schema?.dialect?.quote || '"';
  return { delimiter, quote, escape: schema?.dialect?.escape || quote };
}

/** Throws `MALFORMED_FILE` naming the first ragged data row (expected N fields, got M), if the file has one. */
async function throwIfRagged(path: string, absolute: string, schema: Schema | null): Promise<void> {
  const dialect = await scanDialect(absolute, schema).catch(() => null);
  if (!dialect) return;
  const shape = await scanCsvShape(absolute, absolute.toLowerCase().endsWith('.gz'), dialect, true).catch(() => null);
  if (!shape?.ragged) return;
  const { row, line, fields } = shape.ragged;
  const expected = shape.header.length;
  throw new SegmentaError(
    'MALFORMED_FILE',
    `${path}: data row ${row} (line ${line}) has ${fields} field${fields === 1 ? '' : 's'}, expected ${expected} like the ${schema?.header === false ? 'first line' : 'header'}`,
    { path, row, line, expected, got: fields },
  );
}

/**
 * After sniffing a CSV: a duplicated header name is an error (DuckDB would
 * rename it `a_1`), and when the sniffer's columns do not match the first
 * line's fields, a ragged row is the likely cause: name it.
 */
async function checkCsvShape(path: string, absolute: string, schema: Schema): Promise<void> {
  const dialect = await scanDialect(absolute, schema);
  if (!dialect) return;
  const { header } = await scanCsvShape(absolute, absolute.toLowerCase().endsWith('.gz'), dialect, false);
  if (schema.header) {
    const dups = duplicateNames(header);
    if (dups.length > 0) {
      const d = dups[0]!;
      throw new SegmentaError(
        'MALFORMED_FILE',
        `${path}: the header names column '${d.name}' ${d.positions.length} times (columns ${d.positions.join(', ')}); column names must be unique`,
        { path, column: d.name, positions: d.positions },
      );
    }
  }
  if (header.length !== schema.columns.length) await throwIfRagged(path, absolute, schema);
}

/** Resolves `path` and checks that it is a non-empty file; returns the absolute path. */
async function checkFile(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    const s = await stat(absolute);
    if (!s.isFile()) throw new SegmentaError('FILE_NOT_FOUND', `cannot read '${path}': it is not a file`, { path });
    if (s.size === 0) throw new SegmentaError('EMPTY_TABLE', `'${path}' is empty: no header and no data rows`, { path });
  } catch (error) {
    if (error instanceof SegmentaError) throw error;
    throw new SegmentaError('FILE_NOT_FOUND', `cannot read '${path}': file not found`, { path });
  }
  return absolute;
}

/** Checks the CSV layout and that every wanted column exists; returns the column names. */
function checkColumns(path: string, format: Format, schema: Schema, wanted: string[]): string[] {
  const columnNames = schema.columns.map((c) => c.name);
  if (columnNames.length === 1 && /[,;\t|]/.test(columnNames[0]!) && format === 'csv') {
    throw new SegmentaError(
      'MALFORMED_FILE',
      `cannot read '${path}': could not detect its CSV layout (found one column '${columnNames[0]}'); are some rows missing fields?`,
      { path },
    );
  }
  for (const name of wanted) {
    if (!columnNames.includes(name)) {
      throw new SegmentaError(
        'UNKNOWN_COLUMN',
        `'${path}' has no column '${name}'; available columns: ${columnNames.map((c) => `'${c}'`).join(', ')}`,
        { path, column: name, available: columnNames },
      );
    }
  }
  return columnNames;
}

/** What {@link describeCustomerTable} finds without reading the data into memory. */
export interface TableDescription {
  path: string;
  /** Data rows (DuckDB's count). */
  rows: number;
  columns: string[];
  idColumn: string;
}

/**
 * Counts a table's rows and checks that the named columns exist, without
 * reading the data into memory (a sharded job's coordinator plans its shards
 * from this). DuckDB is locked down to the file as for readCustomerTable, and
 * the errors are the same for a missing file, an unsupported type, an
 * unparseable layout or an unknown column.
 *
 * @example
 * const t = await describeCustomerTable('customers.parquet', ['Age', 'Annual Income (k$)']);
 * t.rows; // 200000
 */
export async function describeCustomerTable(path: string, columns: string[], signal?: AbortSignal): Promise<TableDescription> {
  throwIfAborted(signal);
  const format = formatOf(path);
  const absolute = await checkFile(path);
  const duck = await openDuckDb(path, absolute, format, signal);
  const { connection, fileArg } = duck;
  try {
    await lockDown(connection, [duck.literalPath]);
    const schema = await describe(connection, path, fileArg, format);
    if (format === 'csv') await checkCsvShape(path, absolute, schema);
    const columnNames = checkColumns(path, format, schema, columns);
    const rows =
      format === 'parquet'
        ? await parquetRowCount(connection, fileArg)
        : Number((await connection.runAndReadAll(`SELECT count(*) FROM read_csv(${fileArg}, header = ${schema.header})`)).getRowsJS()[0]![0]);
    if (rows === 0) throw new SegmentaError('EMPTY_TABLE', `'${path}' has no data rows`, { path });
    return { path, rows, columns: columnNames, idColumn: columnNames[0]! };
  } catch (error) {
    if (error instanceof SegmentaError) throw error;
    throwIfAborted(signal);
    const message = error instanceof Error ? error.message : String(error);
    throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': ${firstLine(message)}`, { path, cause: message });
  } finally {
    await duck.close();
  }
}

function validateOptions(options: ReadTableOptions): { features: string[]; encode: string[]; keep: string[] } {
  if (!options || typeof options !== 'object') throw new SegmentaError('INVALID_OPTION', 'readCustomerTable needs options with a features list');
  const list = (name: string, value: unknown): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
      throw new SegmentaError('INVALID_OPTION', `${name} must be a list of column names`, { option: name, value });
    }
    return value as string[];
  };
  const features = list('features', options.features);
  const encode = list('encode', options.encode);
  const keep = list('keep', options.keep);
  for (const c of encode) if (!features.includes(c)) features.push(c);
  if (features.length === 0) throw new SegmentaError('INVALID_OPTION', 'features must name at least one column', { option: 'features' });
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f)) throw new SegmentaError('INVALID_OPTION', `feature '${f}' is listed twice`, { option: 'features', column: f });
    seen.add(f);
  }
  return { features, encode: [...new Set(encode)], keep: [...new Set(keep)] };
}

interface Schema {
  columns: SourceColumn[];
  header: boolean;
  /** CSV only: the sniffed delimiter, quote and escape ('' when none). */
  dialect?: { delimiter: string; quote: string; escape: string };
}

async function describe(connection: DuckDBConnection, path: string, fileArg: string, format: Format): Promise<Schema> {
  if (format === 'csv') {
    const reader = await connection.runAndReadAll(`SELECT HasHeader, Columns, Delimiter, Quote, Escape FROM sniff_csv(${fileArg})`);
    const row = reader.getRowsJS()[0];
    if (!row) throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': DuckDB could not sniff its CSV layout`, { path });
    const header = row[0] === true;
    const columns = (row[1] as { name: string; type: string }[]).map((c) => ({ name: String(c.name), type: String(c.type) }));
    const char = (v: unknown): string => (typeof v === 'string' && v !== '(empty)' ? v : '');
    return { columns, header, dialect: { delimiter: char(row[2]), quote: char(row[3]), escape: char(row[4]) } };
  }
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${fileArg})`);
  const columns = reader.getRowObjectsJS().map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
  return { columns, header: true };
}

async function parquetRowCount(connection: DuckDBConnection, fileArg: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${fileArg})`);
  return Number(reader.getRowsJS()[0]![0]);
}

interface Plan {
  slots: Slot[];
  /** Feature columns as requested (encoded ones are expanded to `Col=Level` only after reading). */
  features: string[];
  encode: string[];
  keep: string[];
  idColumn: string;
  /** Number of numeric features (the matrix columns read directly). */
  numericCount: number;
}

function planSlots(features: string[], encode: string[], keep: string[], idColumn: string | null, typeOf: Map<string, string>): Plan {
  const slots: Slot[] = [];
  let numeric = 0;
  let categories = 0;
  for (const f of features) {
    if (encode.includes(f)) slots.push({ kind: 'category', column: f, index: categories++ });
    else slots.push({ kind: 'feature', column: f, matrixColumn: numeric++ });
  }
  const numericType = (c: string): boolean => NUMERIC_TYPE.test(typeOf.get(c) ?? '');
  if (idColumn !== null) {
    slots.push(numericType(idColumn) ? { kind: 'number', column: idColumn, target: 'id' } : { kind: 'string', column: idColumn, target: 'id' });
  }
  for (const k of keep) {
    slots.push(numericType(k) ? { kind: 'number', column: k, target: 'keep' } : { kind: 'string', column: k, target: 'keep' });
  }
  return { slots, features, encode, keep, idColumn: idColumn ?? '', numericCount: numeric };
}

function sourceSql(fileArg: string, format: Format, header: boolean, plan: Plan, forceVarchar: Set<string>, range?: { start: number; end: number }): string {
  const selectList = plan.slots
    .map((s, k) => `CAST(${sqlIdentifier(s.column)} AS ${s.kind === 'feature' || s.kind === 'number' ? 'DOUBLE' : 'VARCHAR'}) AS c${k}`)
    .join(', ');
  if (format === 'parquet') {
    // file_row_number lets DuckDB skip the row groups outside the range.
    return range
      ? `SELECT ${selectList} FROM read_parquet(${fileArg}, file_row_number = true) WHERE file_row_number >= ${range.start} AND file_row_number < ${range.end}`
      : `SELECT ${selectList} FROM read_parquet(${fileArg})`;
  }
  // Fix the types DuckDB parses with: features as DOUBLE (a late decimal or bad cell cannot slip past the sniffed sample),
  // encoded columns as text, plus any column we must read as text.
  const types = new Map<string, string>();
  for (const s of plan.slots) {
    if (s.kind === 'feature') types.set(s.column, 'DOUBLE');
    else if (s.kind === 'category' || forceVarchar.has(s.column)) types.set(s.column, 'VARCHAR');
  }
  const typeStruct = [...types].map(([c, t]) => `${sqlString(c)}: '${t}'`).join(', ');
  const csv = `SELECT ${selectList} FROM read_csv(${fileArg}, header = ${header}, types = {${typeStruct}})`;
  return range ? `${csv} LIMIT ${range.end - range.start} OFFSET ${range.start}` : csv;
}

interface StreamOptions {
  path: string;
  source: string;
  capacity: number;
  /** Rows the file should hold (see readCustomerTable); null when unknown. */
  expectedRows: number | null;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  allocate?: (rows: number, cols: number) => Float32Array;
  /** Rows of the file before the first row read (a range read), for row numbers in errors. */
  firstRow: number;
}

interface StreamResult {
  rows: number;
  ids: Float64Array | string[];
  featureNames: string[];
  matrix: Matrix;
  kept: Record<string, string[] | Float64Array>;
  levels: Record<string, string[]>;
}

/**
 * The data chunks of `sql`, streamed from DuckDB; an abort of `signal`
 * interrupts the query and throws `AbortedError` before the next chunk.
 */
async function* streamChunks(connection: DuckDBConnection, sql: string, signal: AbortSignal | undefined): AsyncGenerator<NonNullable<Awaited<ReturnType<DuckDBResult['fetchChunk']>>>> {
  const result = await connection.stream(sql);
  for (;;) {
    if (signal?.aborted) {
      connection.interrupt();
      throwIfAborted(signal);
    }
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    yield chunk;
  }
}

function rowError(code: 'MISSING_VALUE' | 'NON_FINITE_VALUE', path: string, row: number, column: string, value?: number): SegmentaError {
  if (code === 'MISSING_VALUE') {
    return new SegmentaError('MISSING_VALUE', `${path}: row ${row}, column '${column}' is empty (missing value)`, { path, row, column });
  }
  const shown = Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : String(value);
  const why = Number.isFinite(value) ? 'is too large for a float32 feature' : 'is not a finite number';
  return new SegmentaError('NON_FINITE_VALUE', `${path}: row ${row}, column '${column}': '${shown}' ${why}`, { path, row, column, value: shown });
}

async function streamRows(connection: DuckDBConnection, plan: Plan, o: StreamOptions): Promise<StreamResult> {
  const { path, signal, onProgress } = o;
  const d = plan.numericCount;
  const categoryCount = plan.slots.filter((s) => s.kind === 'category').length;
  let capacity = o.capacity;
  const allocate = o.allocate ?? ((r: number, c: number) => new Float32Array(r * c));
  // Numeric features go straight into the final matrix when nothing is encoded.
  const allocateNumeric = (r: number): Float32Array => (categoryCount === 0 ? allocate(r, d) : new Float32Array(r * d));
  let numeric = allocateNumeric(capacity);
  const codes: Int32Array[] = [];
  const seen: string[][] = [];
  const levelIndex: Map<string, number>[] = [];
  for (let c = 0; c < categoryCount; c++) {
    codes.push(new Int32Array(capacity));
    seen.push([]);
    levelIndex.push(new Map());
  }
  const numberStores = new Map<Slot, Float64Store>();
  const stringStores = new Map<Slot, string[]>();
  const decoders = new Map<Slot, StringDecoder>();
  for (const s of plan.slots) {
    if (s.kind === 'number') numberStores.set(s, new Float64Store(capacity));
    if (s.kind === 'string' || s.kind === 'category') {
      stringStores.set(s, []);
      decoders.set(s, new StringDecoder(s.kind === 'string' && s.target === 'id' ? 1024 : 65_536));
    }
  }

  let rows = 0;
  let nextProgress = PROGRESS_EVERY;
  for await (const chunk of streamChunks(connection, o.source, signal)) {
    const n = chunk.rowCount;
    const raw = chunk.chunk;
    // The earliest bad cell of this chunk (by row, then by column order).
    let firstBad: { row: number; error: SegmentaError } | undefined;
    const note = (row: number, error: SegmentaError): void => {
      if (!firstBad || row < firstBad.row) firstBad = { row, error };
    };
    if (rows + n > capacity) {
      capacity = Math.max(rows + n, Math.ceil(capacity * 1.5) + 2048);
      const grown = allocateNumeric(capacity);
      grown.set(numeric);
      numeric = grown;
      for (let c = 0; c < categoryCount; c++) {
        const g = new Int32Array(capacity);
        g.set(codes[c]!);
        codes[c] = g;
      }
    }
    for (let k = 0; k < plan.slots.length; k++) {
      const slot = plan.slots[k]!;
      switch (slot.kind) {
        case 'feature': {
          const col: DoubleColumn = doubleColumn(raw, k, n);
          const v = col.values;
          const validity = col.validity;
          let p = rows * d + slot.matrixColumn;
          for (let i = 0; i < n; i++, p += d) {
            const f = Math.fround(v[i]!);
            numeric[p] = f;
            // NaN, ±Inf and float32 overflow all fail this test; so may the garbage under a NULL.
            if (!(f - f === 0) || (validity !== null && !isValid(validity, i))) {
              if (!isValid(validity, i)) note(rows + i + 1, rowError('MISSING_VALUE', path, o.firstRow + rows + i + 1, slot.column));
              else note(rows + i + 1, rowError('NON_FINITE_VALUE', path, o.firstRow + rows + i + 1, slot.column, v[i]!));
              break;
            }
          }
          break;
        }
        case 'category': {
          const col: StringColumn = stringColumn(raw, k, n);
          const decoder = decoders.get(slot)!;
          const index = levelIndex[slot.index]!;
          const levels = seen[slot.index]!;
          const out = codes[slot.index]!;
          for (let i = 0; i < n; i++) {
            if (!isValid(col.validity, i)) {
              note(rows + i + 1, rowError('MISSING_VALUE', path, o.firstRow + rows + i + 1, slot.column));
              break;
            }
            const value = decoder.decode(col, i);
            let code = index.get(value);
            if (code === undefined) {
              code = levels.length;
              levels.push(value);
              index.set(value, code);
            }
            out[rows + i] = code;
          }
          break;
        }
        case 'number': {
          const col = doubleColumn(raw, k, n);
          const store = numberStores.get(slot)!;
          store.ensure(rows + n);
          const target = store.data;
          if (col.validity) {
            for (let i = 0; i < n; i++) target[rows + i] = isValid(col.validity, i) ? col.values[i]! : NaN;
          } else {
            target.set(col.values, rows);
          }
          break;
        }
        case 'string': {
          const col = stringColumn(raw, k, n);
          const decoder = decoders.get(slot)!;
          const out = stringStores.get(slot)!;
          for (let i = 0; i < n; i++) out.push(isValid(col.validity, i) ? decoder.decode(col, i) : '');
          break;
        }
      }
    }
    if (firstBad) throw firstBad.error;
    rows += n;
    if (rows >= nextProgress) {
      nextProgress += PROGRESS_EVERY;
      onProgress?.({ kind: 'phase', phase: 'read', detail: `${rows} rows` });
    }
  }

  throwIfAborted(signal);
  // A streaming result that fails mid-way ends exactly like an exhausted one (the bindings do not expose
  // duckdb_result_error). Unless the row count proves the read complete, re-run the conversion as an
  // aggregate, whose errors do surface, and check the count.
  if (o.expectedRows === null || rows < o.expectedRows) {
    const counts = plan.slots.map((_, k) => `count(c${k})`).join(', ');
    const check = await connection.runAndReadAll(`SELECT count(*), ${counts} FROM (${o.source})`);
    const total = Number(check.getRowsJS()[0]![0]);
    if (total !== rows) {
      throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': the read stopped after ${rows} of ${total} rows`, { path, rows, total });
    }
  }

  // Assemble the matrix: numeric features, then one-hot columns expanded in place of each encoded feature.
  const featureNames: string[] = [];
  const levels: Record<string, string[]> = {};
  const sorted = new Map<number, { levels: string[]; codes: Int32Array }>();
  for (const s of plan.slots) {
    if (s.kind === 'feature') featureNames.push(s.column);
    else if (s.kind === 'category') {
      const c = sortCategoryCodes(seen[s.index]!, codes[s.index]!, rows);
      sorted.set(s.index, c);
      levels[s.column] = c.levels;
      featureNames.push(...oneHotNames(s.column, c.levels));
    }
  }
  let data: Float32Array;
  if (categoryCount === 0) {
    if (rows * d === numeric.length) data = numeric;
    else if (o.allocate && rows > 0) {
      data = allocate(rows, d);
      data.set(numeric.subarray(0, rows * d));
    } else data = numeric.slice(0, rows * d);
  } else {
    const cols = featureNames.length;
    data = rows > 0 ? allocate(rows, cols) : new Float32Array(0);
    let target = 0;
    for (const s of plan.slots) {
      if (s.kind === 'feature') {
        const j = s.matrixColumn;
        for (let i = 0, p = target, q = j; i < rows; i++, p += cols, q += d) data[p] = numeric[q]!;
        target++;
      } else if (s.kind === 'category') {
        const c = sorted.get(s.index)!;
        writeOneHot(c.codes, c.levels.length, data, cols, target, rows);
        target += c.levels.length;
      }
    }
  }
  numeric = new Float32Array(0);

  let ids: Float64Array | string[] = [];
  const kept: Record<string, string[] | Float64Array> = {};
  for (const s of plan.slots) {
    if (s.kind !== 'number' && s.kind !== 'string') continue;
    const values = s.kind === 'number' ? numberStores.get(s)!.finish(rows) : stringStores.get(s)!;
    if (s.target === 'id') ids = values;
    else kept[s.column] = values;
  }
  onProgress?.({ kind: 'phase', phase: 'read', detail: `${rows} rows read` });
  return { rows, ids, featureNames, matrix: { data, rows, cols: featureNames.length }, kept, levels };
}

/**
 * After a failed typed read: scans the file as text and throws a precise
 * error for the first offending feature cell (non-numeric, empty or
 * non-finite), or for a categorical column that needs encoding. Returns when
 * every feature cell is fine.
 */
async function diagnose(
  connection: DuckDBConnection,
  path: string,
  fileArg: string,
  format: Format,
  header: boolean,
  plan: Plan,
  signal: AbortSignal | undefined,
): Promise<void> {
  const checked = plan.slots.filter((s) => s.kind === 'feature' || s.kind === 'category');
  const source =
    format === 'csv'
      ? `read_csv(${fileArg}, header = ${header}, all_varchar = true)`
      : `(SELECT ${checked.map((s) => `CAST(${sqlIdentifier(s.column)} AS VARCHAR) AS ${sqlIdentifier(s.column)}`).join(', ')} FROM read_parquet(${fileArg}))`;
  const inner = checked.map((s, i) => `${sqlIdentifier(s.column)} AS v${i}`).join(', ');
  const aggregates = checked
    .map((s, i) => {
      const v = `v${i}`;
      const bad =
        s.kind === 'category'
          ? `${v} IS NULL`
          : `(${v} IS NULL OR TRY_CAST(${v} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${v} AS DOUBLE)) OR TRY_CAST(${v} AS FLOAT) IS NULL OR NOT isfinite(TRY_CAST(${v} AS FLOAT)))`;
      return [
        `min(rn) FILTER (WHERE ${bad}) AS first${i}`,
        `arg_min({'v': ${v}, 'num': TRY_CAST(${v} AS DOUBLE)}, rn) FILTER (WHERE ${bad}) AS value${i}`,
        `count(${v}) AS nonnull${i}`,
        `count(TRY_CAST(${v} AS DOUBLE)) AS numeric${i}`,
      ].join(', ');
    })
    .join(', ');
  throwIfAborted(signal);
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS total, ${aggregates} FROM (SELECT row_number() OVER () AS rn, ${inner} FROM ${source})`,
  );
  throwIfAborted(signal);
  const row = reader.getRowsJS()[0]!;
  const total = Number(row[0]);
  if (total === 0) throw new SegmentaError('EMPTY_TABLE', `'${path}' has no data rows`, { path });
  let worst: { row: number; slot: Slot; value: string | null; num: number | null; categorical: boolean } | undefined;
  checked.forEach((slot, i) => {
    const base = 1 + i * 4;
    const first = row[base];
    if (first === null || first === undefined) return;
    const r = Number(first);
    const cell = row[base + 1] as { v: string | null; num: number | null } | null;
    const value = cell?.v ?? null;
    const num = cell?.num ?? null;
    const nonNull = Number(row[base + 2]);
    const numericCount = Number(row[base + 3]);
    const categorical = slot.kind === 'feature' && value !== null && num === null && numericCount * 2 < nonNull;
    if (!worst || r < worst.row) worst = { row: r, slot, value, num, categorical };
  });
  if (!worst) return;
  const { slot, value, num } = worst;
  const at = { path, row: worst.row, column: slot.column, value };
  if (value === null || value.trim() === '') {
    throw new SegmentaError('MISSING_VALUE', `${path}: row ${worst.row}, column '${slot.column}' is empty (missing value)`, at);
  }
  if (worst.categorical) {
    throw new SegmentaError(
      'NON_NUMERIC_VALUE',
      `${path}: column '${slot.column}' is categorical (row ${worst.row}: '${value}'); one-hot encode it with --encode '${slot.column}' (option encode) or leave it out of the features`,
      { ...at, categorical: true },
    );
  }
  if (num === null) {
    throw new SegmentaError('NON_NUMERIC_VALUE', `${path}: row ${worst.row}, column '${slot.column}': '${value}' is not a number`, at);
  }
  const why = Number.isFinite(num) ? 'is too large for a float32 feature' : 'is not a finite number';
  throw new SegmentaError('NON_FINITE_VALUE', `${path}: row ${worst.row}, column '${slot.column}': '${value}' ${why}`, at);
}

/** Feature rows read chunk by chunk on every pass instead of held in memory (streamed K-Means: docs/streaming.md). */
export interface FeatureStream {
  readonly path: string;
  /** Data rows (DuckDB's count when the stream was opened). */
  readonly rows: number;
  /** The feature columns, in matrix order. */
  readonly featureNames: string[];
  /**
   * One pass over the file in row order: `onChunk` gets consecutive chunks of
   * `chunkRows` rows (the last may be shorter) as row-major float32 in a
   * buffer that the next chunk reuses; it may modify it. Returning `false`
   * ends the pass early. Every value is checked as readCustomerTable checks
   * it (missing, non-finite, not a number), naming the file row.
   *
   * @throws SegmentaError `MISSING_VALUE`, `NON_FINITE_VALUE`, `MALFORMED_FILE` (also when the file changed its row count), `ABORTED`
   */
  pass(chunkRows: number, onChunk: (data: Float32Array, start: number, rows: number) => Promise<boolean | void>): Promise<void>;
  /** Closes DuckDB. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens `path` (CSV or Parquet) for {@link FeatureStream} passes over numeric
 * feature columns: one DuckDB connection, locked down to this one file, kept
 * open between passes; each pass is one streaming query in file order. Memory:
 * one chunk of `chunkRows × features` float32, whatever the file's size.
 *
 * @example
 * const s = await openFeatureStream('customers.parquet', { features: ['Age', 'Annual Income (k$)'] });
 * await s.pass(262_144, async (data, start, rows) => { ... });
 * await s.close();
 * @throws SegmentaError as readCustomerTable: `FILE_NOT_FOUND`, `UNSUPPORTED_FORMAT`, `UNKNOWN_COLUMN`, `EMPTY_TABLE`, `MALFORMED_FILE`
 */
export async function openFeatureStream(path: string, options: { features: string[]; signal?: AbortSignal }): Promise<FeatureStream> {
  const { features } = validateOptions({ features: [...(options?.features ?? [])] });
  const signal = options.signal;
  throwIfAborted(signal);
  const format = formatOf(path);
  const absolute = await checkFile(path);
  const duck = await openDuckDb(path, absolute, format, signal);
  const { connection, fileArg } = duck;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await duck.close();
  };
  const fail = (error: unknown): SegmentaError => {
    if (error instanceof SegmentaError) return error;
    throwIfAborted(signal);
    const message = error instanceof Error ? error.message : String(error);
    return new SegmentaError('MALFORMED_FILE', `cannot read '${path}': ${firstLine(message)}`, { path, cause: message });
  };
  try {
    await connection.run('SET preserve_insertion_order = true');
    await lockDown(connection, [duck.literalPath]);
    const schema = await describe(connection, path, fileArg, format);
    if (format === 'csv') await checkCsvShape(path, absolute, schema);
    checkColumns(path, format, schema, features);
    const typeOf = new Map(schema.columns.map((c) => [c.name, c.type] as const));
    const plan = planSlots(features, [], [], null, typeOf);
    const source = sourceSql(fileArg, format, schema.header, plan, new Set());
    const rows =
      format === 'parquet'
        ? await parquetRowCount(connection, fileArg)
        : Number((await connection.runAndReadAll(`SELECT count(*) FROM read_csv(${fileArg}, header = ${schema.header})`)).getRowsJS()[0]![0]);
    if (rows === 0) throw new SegmentaError('EMPTY_TABLE', `'${path}' has no data rows`, { path });
    const d = features.length;
    let buffer = new Float32Array(0);
    const pass = async (chunkRows: number, onChunk: (data: Float32Array, start: number, rows: number) => Promise<boolean | void>): Promise<void> => {
      if (closed) throw new SegmentaError('INVALID_OPTION', `the feature stream of '${path}' is closed`, { path });
      if (buffer.length < chunkRows * d) buffer = new Float32Array(chunkRows * d);
      let start = 0;
      let filled = 0;
      try {
        for await (const chunk of streamChunks(connection, source, signal)) {
          const n = chunk.rowCount;
          const columns = features.map((_, k) => doubleColumn(chunk.chunk, k, n));
          for (let i0 = 0; i0 < n; ) {
            const take = Math.min(n - i0, chunkRows - filled);
            for (let k = 0; k < d; k++) {
              const { values, validity } = columns[k]!;
              for (let i = i0, p = filled * d + k; i < i0 + take; i++, p += d) {
                const f = Math.fround(values[i]!);
                buffer[p] = f;
                if (!(f - f === 0) || (validity !== null && !isValid(validity, i))) {
                  const row = start + filled + (i - i0) + 1;
                  throw isValid(validity, i) ? rowError('NON_FINITE_VALUE', path, row, features[k]!, values[i]!) : rowError('MISSING_VALUE', path, row, features[k]!);
                }
              }
            }
            filled += take;
            i0 += take;
            if (filled === chunkRows) {
              const go = await onChunk(buffer, start, filled);
              start += filled;
              filled = 0;
              if (go === false) return;
            }
          }
        }
        throwIfAborted(signal);
        if (filled > 0) {
          const go = await onChunk(buffer, start, filled);
          start += filled;
          if (go === false) return;
        }
      } catch (error) {
        throw fail(error);
      }
      if (start !== rows) {
        // A streaming read that fails mid-way ends like an exhausted one: find the bad cell, else say what happened.
        await diagnose(connection, path, fileArg, format, schema.header, plan, signal).catch((e: unknown) => {
          throw fail(e);
        });
        throw new SegmentaError('MALFORMED_FILE', `cannot read '${path}': a pass read ${start} of ${rows} rows (did the file change?)`, { path, rows: start, total: rows });
      }
    };
    return { path, rows, featureNames: [...features], pass, close };
  } catch (error) {
    await close();
    throw fail(error);
  }
}
