/**
 * Safe file output. Everything segmenta writes goes to a temporary file in the
 * destination's own directory and is renamed over the destination only once it
 * is complete, so a crash, an error or an abort never leaves a partial file
 * (rename within one directory is atomic on POSIX). Before anything is written,
 * the destination is checked ({@link resolveOutputPath}):
 *
 * - an empty path, a directory, a device, a FIFO or a socket is refused;
 * - through a symbolic link, the link's target is written (the link stays);
 * - an existing file keeps its permission bits (and its owner when allowed);
 * - a destination that is one of the job's input files is refused.
 *
 * Temporary files are registered while they live, so a signal handler can
 * remove them: {@link removeTemporaryFilesSync}.
 */
import { rmSync } from 'node:fs';
import { access, constants, lstat, open, readlink, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileSystemError, SegmentaError } from './errors.js';

// ---------------------------------------------------------------------------
// Live temporary files: removed on SIGINT/SIGTERM by the CLI.

const liveTemporaryPaths = new Set<string>();

/** Records a temporary file or directory that must not outlive the process. */
export function registerTemporaryPath(path: string): void {
  liveTemporaryPaths.add(resolve(path));
}

/** Forgets a temporary path (it was renamed into place or removed). */
export function releaseTemporaryPath(path: string): void {
  liveTemporaryPaths.delete(resolve(path));
}

/** The temporary files and directories segmenta is writing right now (absolute paths). */
export function liveTemporaryFiles(): string[] {
  return [...liveTemporaryPaths];
}

/**
 * Removes, synchronously, every temporary file and directory segmenta is
 * writing right now, and returns their paths. Call it from a SIGINT/SIGTERM
 * handler before exiting (the CLI does): an interrupted job then leaves nothing
 * behind. Safe to call at any time; later writes to a removed file fail.
 *
 * @example
 * process.once('SIGTERM', () => { removeTemporaryFilesSync(); process.exit(143); });
 */
export function removeTemporaryFilesSync(): string[] {
  const removed = [...liveTemporaryPaths];
  for (const path of removed) {
    try {
      rmSync(path, { recursive: true });
    } catch {
      // Best effort (already gone, or not removable): a signal handler must not throw.
    }
    liveTemporaryPaths.delete(path);
  }
  return removed;
}

/**
 * Removes a writer's temporary file and forgets it. Best effort: it runs on the
 * way out of a failure or an abort, and the file may be gone already (a signal
 * handler removed it) or may never have been created (its name too long), so
 * a cleanup error must not hide the error being reported.
 */
async function removeTemporary(path: string): Promise<void> {
  releaseTemporaryPath(path);
  await rm(path).catch(() => undefined);
}

// ---------------------------------------------------------------------------
// Destination checks.

/** Characters kept in temporary names: no glob or quote characters reach DuckDB or a shell. */
function safeName(name: string): string {
  return name.replace(/[^\w.@%+=-]/g, '_').slice(0, 80);
}

/**
 * `<pid>.<8 hex digits>`, for temporary names that no other process and no
 * other call of this one picks. Math.random, not node:crypto, whose loading
 * costs every CLI start 4–8 ms: the names need not be unpredictable, since
 * temporary files are created exclusively (`wx`, `mkdir`), so a clash fails
 * instead of writing into another writer's file.
 */
export function uniqueTag(): string {
  return `${process.pid}.${Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0')}`;
}

/** Path of a fresh temporary file next to `path` (same directory, hidden, unique, no glob or quote characters in its name). */
export function temporaryPathFor(path: string, suffix = '.tmp'): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${safeName(basename(abs))}.${uniqueTag()}${suffix}`);
}

/** Options of the output functions. */
export interface OutputOptions {
  /** The job's input files: a destination that is one of them (same file, through any link) is refused. */
  inputs?: readonly string[];
}

/** Where the bytes for an output path go. */
export interface OutputTarget {
  /** The path as the caller gave it (used in messages). */
  path: string;
  /** The file actually written: `path` resolved, symbolic links followed. */
  target: string;
  /** Permission bits of the existing file (kept), or undefined for a new file. */
  mode: number | undefined;
  /** Owner of the existing file (kept when the process may), or undefined. */
  owner: { uid: number; gid: number } | undefined;
}

function describeKind(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

async function statOrNull(path: string, follow: boolean): Promise<Stats | null> {
  try {
    return follow ? await stat(path) : await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * Checks an output path before anything is written and says where the bytes go.
 *
 * @throws SegmentaError `OUTPUT_REFUSED` for an empty path, a directory, a device,
 *   a FIFO or a socket, or one of `options.inputs`; `FILE_NOT_FOUND` when the
 *   directory does not exist; `FILE_SYSTEM_ERROR` (permission denied, read-only
 *   file system, …) naming the path.
 * @example
 * const { target } = await resolveOutputPath('labels.csv', { inputs: ['customers.csv'] });
 */
export async function resolveOutputPath(path: string, options: OutputOptions = {}): Promise<OutputTarget> {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new SegmentaError('OUTPUT_REFUSED', 'the output path is empty; name a file to write', { path });
  }
  if (path.includes('\0')) throw new SegmentaError('OUTPUT_REFUSED', `the output path '${path.replace(/\0/g, '\\0')}' contains a NUL byte`, { path });
  try {
    // Follow symbolic links to the file they name (a dangling link names the file to create).
    let target = resolve(path);
    for (let hops = 0; ; hops++) {
      const link = await statOrNull(target, false);
      if (link === null || !link.isSymbolicLink()) break;
      if (hops >= 40) throw Object.assign(new Error('ELOOP'), { code: 'ELOOP' });
      target = resolve(dirname(target), await readlink(target));
    }
    const dir = dirname(target);
    const dirStat = await statOrNull(dir, true);
    if (dirStat === null) {
      throw new SegmentaError('FILE_NOT_FOUND', `cannot write '${path}': directory '${dirname(resolve(path))}' does not exist`, { path, directory: dir });
    }
    if (!dirStat.isDirectory()) throw new SegmentaError('OUTPUT_REFUSED', `cannot write '${path}': '${dir}' is not a directory`, { path, directory: dir });
    const existing = await statOrNull(target, true);
    if (existing && !existing.isFile()) {
      throw new SegmentaError('OUTPUT_REFUSED', `cannot write '${path}': it is ${describeKind(existing)}; --out must name a regular file`, {
        path,
        kind: describeKind(existing),
      });
    }
    if (existing) {
      for (const input of options.inputs ?? []) {
        const s = await statOrNull(resolve(input), true).catch(() => null);
        if (s && s.dev === existing.dev && s.ino === existing.ino) {
          throw new SegmentaError('OUTPUT_REFUSED', `cannot write '${path}': it is the input file '${input}'; choose another output file`, { path, input });
        }
      }
    }
    await access(dir, constants.W_OK | constants.X_OK);
    return {
      path,
      target,
      mode: existing ? existing.mode & 0o7777 : undefined,
      owner: existing ? { uid: existing.uid, gid: existing.gid } : undefined,
    };
  } catch (error) {
    throw fileSystemError(error, path);
  }
}

async function keepAttributes(handle: FileHandle, out: OutputTarget): Promise<void> {
  if (out.mode === undefined) return;
  await handle.chmod(out.mode);
  // Root may give the file back to any owner; another user may keep its own file's group. Where not allowed (EPERM), the writer owns it.
  if (out.owner) await handle.chown(out.owner.uid, out.owner.gid).catch(() => undefined);
}

/**
 * Writes `data` to `path` atomically: to a temporary file in the same
 * directory first, then renamed over `path` (through a symbolic link, over its
 * target). An existing file keeps its mode. On any failure the temporary file
 * is removed and `path` is left as it was.
 *
 * @throws SegmentaError as {@link resolveOutputPath}; `FILE_SYSTEM_ERROR` (no space, …) naming `path`
 * @example
 * await writeFileAtomic('out/summary.json', JSON.stringify(summary));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: OutputOptions = {}): Promise<void> {
  await withAtomicWriter(path, (w) => w.write(data), options);
}

/** A file being written: chunks go to a temporary file until {@link AtomicWriter.commit}. */
export interface AtomicWriter {
  /** The destination path, as given. */
  readonly path: string;
  /** The temporary file receiving the chunks (same directory as the destination). */
  readonly tempPath: string;
  /** Appends a chunk (strings are written as UTF-8). */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Closes the temporary file and renames it over the destination. */
  commit(): Promise<void>;
  /** Closes and deletes the temporary file; the destination is untouched. Safe to call twice or after commit (then a no-op). */
  abort(): Promise<void>;
}

/**
 * Opens a streaming atomic writer for `path`. Call `commit()` when done, or
 * `abort()` on failure; prefer {@link withAtomicWriter}, which does both.
 *
 * @throws SegmentaError as {@link resolveOutputPath}
 * @example
 * const w = await openAtomicWriter('labels.csv');
 * try { await w.write('id,segment\n'); await w.commit(); } catch (e) { await w.abort(); throw e; }
 */
export async function openAtomicWriter(path: string, options: OutputOptions = {}): Promise<AtomicWriter> {
  const out = await resolveOutputPath(path, options);
  const tempPath = temporaryPathFor(out.target);
  let handle: FileHandle | undefined;
  registerTemporaryPath(tempPath);
  try {
    handle = await open(tempPath, 'wx');
    await keepAttributes(handle, out);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await removeTemporary(tempPath);
    throw fileSystemError(error, path);
  }
  let done = false;
  const fail = async (error: unknown): Promise<never> => {
    done = true;
    await handle?.close().catch(() => undefined);
    handle = undefined;
    await removeTemporary(tempPath);
    throw fileSystemError(error, path);
  };
  return {
    path,
    tempPath,
    async write(chunk) {
      if (!handle) throw new Error(`atomic writer for '${path}' is already closed`);
      try {
        // The whole chunk, at the current position (strings as UTF-8). After a short write (a nearly full
        // disk) Node writes the rest, which then fails with ENOSPC.
        await handle.writeFile(chunk);
      } catch (error) {
        await fail(error);
      }
    },
    async commit() {
      if (done) throw new Error(`atomic writer for '${path}' is already closed`);
      done = true;
      try {
        await handle!.close();
        handle = undefined;
        // The destination may have changed kind since the check (a directory, a FIFO): never rename over it.
        const now = await statOrNull(out.target, true);
        if (now && !now.isFile()) {
          throw new SegmentaError('OUTPUT_REFUSED', `cannot write '${path}': it is ${describeKind(now)}; --out must name a regular file`, { path });
        }
        await rename(tempPath, out.target);
        releaseTemporaryPath(tempPath);
      } catch (error) {
        await fail(error);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await removeTemporary(tempPath);
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
export async function withAtomicWriter<T>(path: string, fill: (writer: AtomicWriter) => Promise<T>, options: OutputOptions = {}): Promise<T> {
  const writer = await openAtomicWriter(path, options);
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
