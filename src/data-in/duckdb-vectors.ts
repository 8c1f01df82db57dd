/**
 * Zero-copy access to DuckDB result vectors. `@duckdb/node-api` exposes each
 * chunk's raw handle (`DuckDBDataChunk.chunk`); the low-level bindings it is
 * built on hand out the vector memory as typed arrays, which lets readers fill
 * a Float32Array straight from a chunk without creating a JS value per cell.
 *
 * The bindings are loaded through `@duckdb/node-api`'s own resolution, so they
 * are always the exact build that node-api uses.
 */
import { createRequire } from 'node:module';

/** The few binding functions the readers use. */
interface RawBindings {
  data_chunk_get_vector(chunk: unknown, columnIndex: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  vector_get_validity(vector: unknown, byteCount: number): Uint8Array | null;
  get_data_from_pointer(arrayBuffer: ArrayBuffer, pointerOffset: number, byteCount: number): Uint8Array;
}

let cached: RawBindings | undefined;
let nodeApi: typeof import('@duckdb/node-api') | undefined;

/**
 * `@duckdb/node-api`, loaded on first use with require(): importing it from
 * ESM would run Node's CommonJS export scan over its ~180 files (about half a
 * second of start-up), and segmenta should not pay for DuckDB until it reads.
 */
export function loadDuckDB(): typeof import('@duckdb/node-api') {
  return (nodeApi ??= createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api'));
}

function bindings(): RawBindings {
  if (!cached) {
    const here = createRequire(import.meta.url);
    const nodeApiMain = here.resolve('@duckdb/node-api');
    cached = createRequire(nodeApiMain)('@duckdb/node-bindings') as RawBindings;
  }
  return cached;
}

/** A column of one chunk: its values and its validity mask. */
export interface RawColumn {
  /** Number of rows in the chunk. */
  rows: number;
  /** Validity bitmap (bit i set = row i is not NULL), or null when every row is valid. */
  validity: Uint8Array | null;
}

/** Validity of a vector of `rows` items: null when there are no NULLs. */
function readValidity(vector: unknown, rows: number): Uint8Array | null {
  const bytes = bindings().vector_get_validity(vector, Math.ceil(rows / 64) * 8);
  if (!bytes) return null;
  const full = rows >>> 3;
  for (let b = 0; b < full; b++) if (bytes[b] !== 0xff) return bytes;
  for (let i = full * 8; i < rows; i++) if (((bytes[i >>> 3]! >>> (i & 7)) & 1) === 0) return bytes;
  return null;
}

/** True when row i is valid in a validity bitmap from {@link RawColumn}. */
export function isValid(validity: Uint8Array | null, i: number): boolean {
  return validity === null || ((validity[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

/** A DOUBLE column of a chunk, viewed in place. */
export interface DoubleColumn extends RawColumn {
  values: Float64Array;
}

/** Views column `index` (which must be of type DOUBLE) of a raw chunk. */
export function doubleColumn(chunk: unknown, index: number, rows: number): DoubleColumn {
  const b = bindings();
  const vector = b.data_chunk_get_vector(chunk, index);
  const bytes = b.vector_get_data(vector, rows * 8);
  const values =
    bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, rows) : new Float64Array(bytes.slice(0, rows * 8).buffer);
  return { rows, values, validity: readValidity(vector, rows) };
}

/** A VARCHAR column of a chunk: 16-byte `duckdb_string_t` records. */
export interface StringColumn extends RawColumn {
  records: Uint8Array;
}

/** Views column `index` (which must be of type VARCHAR) of a raw chunk. */
export function stringColumn(chunk: unknown, index: number, rows: number): StringColumn {
  const b = bindings();
  const vector = b.data_chunk_get_vector(chunk, index);
  return { rows, records: b.vector_get_data(vector, rows * 16), validity: readValidity(vector, rows) };
}

const decoder = new TextDecoder();

interface InternEntry {
  bytes: Uint8Array;
  value: string;
}

/**
 * Decodes VARCHAR records to strings, interning short (inline, ≤ 12 bytes)
 * values: repeated categories like 'Female'/'Male' are matched byte-wise and
 * share one string, so 10M rows cost no per-row decoding or string memory.
 */
export class StringDecoder {
  private readonly table = new Map<number, InternEntry[]>();
  private size = 0;

  /** @param maxInterned stop adding new values after this many distinct ones (ids are unique; no point). */
  constructor(private readonly maxInterned = 65_536) {}

  /** Decodes row `i` of a string column (the caller has checked validity). */
  decode(column: StringColumn, i: number): string {
    const r = column.records;
    const o = i * 16;
    const length = (r[o]! | (r[o + 1]! << 8) | (r[o + 2]! << 16) | (r[o + 3]! << 24)) >>> 0;
    if (length > 12) {
      const bytes = bindings().get_data_from_pointer(r.buffer as ArrayBuffer, r.byteOffset + o + 8, length);
      return decoder.decode(bytes);
    }
    let h = 0x811c9dc5 ^ length;
    for (let k = 0; k < length; k++) h = Math.imul(h ^ r[o + 4 + k]!, 16777619);
    const bucket = this.table.get(h);
    if (bucket) {
      outer: for (const entry of bucket) {
        const e = entry.bytes;
        if (e.length !== length) continue;
        for (let k = 0; k < length; k++) if (e[k] !== r[o + 4 + k]) continue outer;
        return entry.value;
      }
    }
    const bytes = r.slice(o + 4, o + 4 + length);
    const value = decoder.decode(bytes);
    if (this.size < this.maxInterned) {
      this.size++;
      if (bucket) bucket.push({ bytes, value });
      else this.table.set(h, [{ bytes, value }]);
    }
    return value;
  }
}
