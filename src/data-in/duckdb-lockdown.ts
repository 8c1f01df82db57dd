/**
 * DuckDB, locked down to the files of one job. DuckDB's file functions expand
 * glob patterns (`*`, `?`, `[…]`, `{…}`) and fetch URLs, and by default may
 * read any file, install extensions and change its own settings. segmenta
 * reads exactly the files it was given:
 *
 * - a path with glob characters is handed to DuckDB as an open descriptor
 *   (`/proc/self/fd/N`), so `d[a].csv` reads that file, never `da.csv`;
 * - after opening, `allowed_paths` lists exactly the job's files,
 *   `enable_external_access = false` blocks every other file, URL and
 *   extension directory, extension autoinstall and autoload are off, and
 *   `lock_configuration = true` stops SQL from undoing any of it.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SegmentaError } from '../common/errors.js';
import { sqlString } from './sql-quote.js';

/** Characters that DuckDB's file functions treat as a pattern. */
const PATTERN_CHARACTERS = /[*?[\]{}]/;

/** A path as DuckDB must be given it to read one file literally. */
export interface LiteralDuckDbPath {
  /** The string to put in SQL (quote it with `sqlString`). */
  path: string;
  /** Releases the descriptor behind `path`, if any. Call after the connection is done. */
  close(): Promise<void>;
}

/**
 * The path DuckDB reads `absolute` through, as exactly that one file: the path
 * itself when it holds no pattern characters, else an open descriptor
 * (`/proc/self/fd/N`, Linux).
 *
 * @param absolute an absolute path (already resolved: never a URL or `~`)
 * @param shown the path as the user gave it, for messages
 * @throws SegmentaError `UNSUPPORTED_FORMAT` when the path has pattern characters and the platform has no `/proc/self/fd`
 */
export async function literalDuckDbPath(absolute: string, shown = absolute): Promise<LiteralDuckDbPath> {
  if (!PATTERN_CHARACTERS.test(absolute)) return { path: absolute, close: async () => undefined };
  if (process.platform !== 'linux' || !existsSync('/proc/self/fd')) {
    throw new SegmentaError(
      'UNSUPPORTED_FORMAT',
      `cannot read '${shown}': its path contains one of * ? [ ] { }, which DuckDB would expand as a pattern; rename the file`,
      { path: shown },
    );
  }
  const handle = await open(absolute, 'r');
  return { path: `/proc/self/fd/${handle.fd}`, close: () => handle.close() };
}

/**
 * Locks a fresh DuckDB connection down to `paths` (the only files it may read
 * or write). Run it before any query that touches a file.
 *
 * @example
 * const connection = await instance.connect();
 * await lockDown(connection, [csvPath]);
 * await connection.run(`SELECT * FROM read_csv(${sqlString(csvPath)})`);
 */
export async function lockDown(connection: DuckDBConnection, paths: readonly string[]): Promise<void> {
  const list = paths.map((p) => sqlString(p)).join(', ');
  await connection.run(`SET allowed_paths = [${list}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET autoinstall_known_extensions = false');
  await connection.run('SET autoload_known_extensions = false');
  await connection.run('SET lock_configuration = true');
}
