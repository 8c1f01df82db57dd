/**
 * Atomic file output: everything segmenta writes goes to a temporary file in
 * the destination's own directory and is renamed over the destination only
 * once it is complete, so a crash, an error or an abort never leaves a
 * partial file behind (rename within one directory is atomic on POSIX).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SegmentaError } from './errors.js';

/** Path of a fresh temporary file next to `path` (same directory, hidden, unique). */
export function temporaryPathFor(path: string, suffix = '.tmp'): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}${suffix}`);
}

async function ensureDirectory(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new SegmentaError('INVALID_OPTION', `cannot write '${path}': '${dir}' is not a directory`, { path });
  } catch (error) {
    if (error instanceof SegmentaError) throw error;
    throw new SegmentaError('FILE_NOT_FOUND', `cannot write '${path}': directory '${dir}' does not exist`, { path, directory: dir });
  }
}

/**
 * Writes `data` to `path` atomically: to a temporary file in the same
 * directory first, then renamed over `path`. On any failure the temporary file
 * is removed and `path` is left as it was.
 *
 * @example
 * await writeFileAtomic('out/summary.json', JSON.stringify(summary));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await ensureDirectory(path);
  const temp = temporaryPathFor(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A file being written: chunks go to a temporary file until {@link AtomicWriter.commit}. */
export interface AtomicWriter {
  /** The destination path. */
  readonly path: string;
  /** The temporary file receiving the chunks (same directory as `path`). */
  readonly tempPath: string;
  /** Appends a chunk (strings are written as UTF-8). */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Closes the temporary file and renames it over `path`. */
  commit(): Promise<void>;
  /** Closes and deletes the temporary file; `path` is untouched. Safe to call twice or after commit (then a no-op). */
  abort(): Promise<void>;
}

/**
 * Opens a streaming atomic writer for `path`. Call `commit()` when done, or
 * `abort()` on failure; prefer {@link withAtomicWriter}, which does both.
 *
 * @example
 * const w = await openAtomicWriter('labels.csv');
 * try { await w.write('id,segment\n'); await w.commit(); } catch (e) { await w.abort(); throw e; }
 */
export async function openAtomicWriter(path: string): Promise<AtomicWriter> {
  await ensureDirectory(path);
  const tempPath = temporaryPathFor(path);
  let handle: FileHandle | undefined = await open(tempPath, 'wx');
  let done = false;
  return {
    path,
    tempPath,
    async write(chunk) {
      if (!handle) throw new Error(`atomic writer for '${path}' is already closed`);
      if (typeof chunk === 'string') await handle.write(chunk, null, 'utf8');
      else await handle.write(chunk);
    },
    async commit() {
      if (done) throw new Error(`atomic writer for '${path}' is already closed`);
      done = true;
      try {
        await handle!.close();
        handle = undefined;
        await rename(tempPath, path);
      } catch (error) {
        await handle?.close().catch(() => undefined);
        handle = undefined;
        await rm(tempPath, { force: true });
        throw error;
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await rm(tempPath, { force: true });
    },
  };
}

/**
 * Runs `fill` with an atomic writer for `path`; commits when `fill` resolves,
 * aborts (no file left anywhere) when it throws, and rethrows.
 *
 * @example
 * await withAtomicWriter('big.csv', async (w) => { for (const chunk of chunks) await w.write(chunk); });
 */
export async function withAtomicWriter<T>(path: string, fill: (writer: AtomicWriter) => Promise<T>): Promise<T> {
  const writer = await openAtomicWriter(path);
  let result: T;
  try {
    result = await fill(writer);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.commit();
  return result;
}
