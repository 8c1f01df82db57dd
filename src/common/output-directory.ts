/**
 * Output directories that segmenta owns file by file. A directory segmenta
 * writes (a report) holds a manifest, `.segmenta-manifest.json`, listing the
 * files segmenta wrote there. A later run:
 *
 * - replaces only the files in that manifest (and adds its own), through a
 *   temporary directory and one rename per file; it never deletes anything else;
 * - refuses an existing non-empty directory without a manifest, unless
 *   `force` is set; even then, only the run's own files are written;
 * - refuses a file of its own name that the user put there (not in the
 *   manifest), unless `force` is set;
 * - never writes onto one of the job's input files.
 */
import { access, constants, lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { registerTemporaryPath, releaseTemporaryPath, uniqueTag, writeFileAtomic } from './atomic-file.js';
import { errnoReason, fileSystemError, SegmentaError } from './errors.js';

/** Name of the manifest inside a directory segmenta wrote. */
export const MANIFEST_NAME = '.segmenta-manifest.json';

/** Options of {@link writeOutputDirectory} and {@link checkOutputDirectory}. */
export interface OutputDirectoryOptions {
  /** Write into an existing non-empty directory without a manifest, and over same-named files not in it. Default false. */
  force?: boolean;
  /** Replace the files of an earlier run (listed in its manifest). Default true; false refuses any non-empty directory. */
  replace?: boolean;
  /** The job's input files: none of them is ever written. */
  inputs?: readonly string[];
  /** What the files are, for messages (default 'the output'). */
  what?: string;
}

interface Manifest {
  generator: 'segmenta';
  version: 1;
  files: string[];
}

function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** The files listed by `dir`'s manifest, or null when it has none (or an unreadable one). */
export async function readManifest(dir: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch {
    return null;
  }
  try {
    const doc = JSON.parse(text) as Partial<Manifest>;
    if (doc.generator !== 'segmenta' || !Array.isArray(doc.files)) return null;
    // Only plain names inside the directory: a crafted manifest cannot point elsewhere.
    return doc.files.filter(isPlainName);
  } catch {
    return null;
  }
}

function manifestText(files: readonly string[]): string {
  const doc: Manifest = { generator: 'segmenta', version: 1, files: [...new Set(files)].sort() };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The directory's real path (links followed) when it exists, else the resolved path. */
async function realDirectory(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return resolve(dir);
  }
}

interface DirectoryState {
  target: string;
  exists: boolean;
  /** Files of the earlier run (its manifest), or null. */
  manifest: string[] | null;
}

/**
 * Checks `dir` before any work: refuses an empty path, a non-directory, and a
 * non-empty directory that segmenta did not write (no manifest) unless `force`.
 *
 * @throws SegmentaError `OUTPUT_REFUSED`, `FILE_SYSTEM_ERROR`
 */
export async function checkOutputDirectory(dir: string, options: OutputDirectoryOptions = {}): Promise<void> {
  await inspect(dir, options);
}

async function inspect(dir: string, options: OutputDirectoryOptions): Promise<DirectoryState> {
  const what = options.what ?? 'the output';
  if (typeof dir !== 'string' || dir.trim() === '') throw new SegmentaError('OUTPUT_REFUSED', `the directory for ${what} is empty; name a directory`, { path: dir });
  try {
    const target = await realDirectory(dir);
    let s;
    try {
      s = await stat(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // It will be created: its nearest existing ancestor must be a writable directory.
      let parent = dirname(target);
      while (!(await stat(parent).then(() => true, () => false)) && dirname(parent) !== parent) parent = dirname(parent);
      await access(parent, constants.W_OK | constants.X_OK);
      return { target, exists: false, manifest: null };
    }
    if (!s.isDirectory()) {
      throw new SegmentaError('OUTPUT_REFUSED', `cannot write ${what} to '${dir}': it exists and is not a directory`, { path: dir });
    }
    const entries = await readdir(target);
    const manifest = await readManifest(target);
    if (entries.length > 0 && options.replace === false) {
      throw new SegmentaError('OUTPUT_REFUSED', `cannot write ${what} to '${dir}': the directory is not empty`, { path: dir });
    }
    if (entries.length > 0 && manifest === null && !options.force) {
      throw new SegmentaError(
        'OUTPUT_REFUSED',
        `cannot write ${what} to '${dir}': the directory is not empty and segmenta did not write it (no ${MANIFEST_NAME}); choose a new or empty directory, or add --force to write only ${what}'s own files there`,
        { path: dir },
      );
    }
    return { target, exists: true, manifest };
  } catch (error) {
    throw fileSystemError(error, dir);
  }
}

async function sameFileAsInput(path: string, inputs: readonly string[]): Promise<string | undefined> {
  let s;
  try {
    s = await stat(path);
  } catch {
    return undefined;
  }
  for (const input of inputs) {
    const t = await stat(resolve(input)).catch(() => null);
    if (t && t.dev === s.dev && t.ino === s.ino) return input;
  }
  return undefined;
}

/**
 * Writes a set of files into `dir` safely. `fill` writes the files (and only
 * those named in `files`) into the temporary directory it is given; then they
 * are moved into `dir` one rename each, and the manifest is updated. Files of
 * an earlier run that this run does not write are removed (they are listed in
 * the earlier manifest); nothing else in `dir` is touched. On failure before
 * the moves, `dir` is left as it was.
 *
 * @param files plain file names inside `dir`
 * @returns the directory's absolute path
 * @throws SegmentaError `OUTPUT_REFUSED` (see the module), `FILE_SYSTEM_ERROR`
 * @example
 * await writeOutputDirectory('report', ['index.html'], async (temp) => {
 *   await writeFileAtomic(join(temp, 'index.html'), html);
 * });
 */
export async function writeOutputDirectory(
  dir: string,
  files: readonly string[],
  fill: (tempDir: string) => Promise<void>,
  options: OutputDirectoryOptions = {},
): Promise<string> {
  const what = options.what ?? 'the output';
  for (const f of files) if (!isPlainName(f) || f === MANIFEST_NAME) throw new SegmentaError('INVALID_OPTION', `'${f}' is not a plain file name`, { file: f });
  const state = await inspect(dir, options);
  const { target } = state;
  try {
    await mkdir(dirname(target), { recursive: true }); // the parents of a new directory (a no-op for an existing one)
    // A fresh directory is built beside its destination and renamed into place; an existing one gets a temporary directory inside.
    const temp = state.exists
      ? join(target, `.segmenta-tmp.${uniqueTag()}`)
      : join(dirname(target), `.${basename(target).replace(/[^\w.@%+=-]/g, '_').slice(0, 80)}.${uniqueTag()}.tmp`);
    registerTemporaryPath(temp);
    try {
      await mkdir(temp);
      try {
        await fill(temp);
      } catch (error) {
        // A file-system error inside the temporary directory is the destination's problem: name the directory.
        const code = error instanceof SegmentaError && error.code === 'FILE_SYSTEM_ERROR' ? String(error.details['errno'] ?? '') : '';
        if (code) throw new SegmentaError('FILE_SYSTEM_ERROR', `cannot write ${what} to '${dir}': ${errnoReason(code)} (${code})`, { path: dir, errno: code });
        throw error;
      }
      if (!state.exists) {
        await writeFileAtomic(join(temp, MANIFEST_NAME), manifestText(files));
        try {
          await rename(temp, target);
          releaseTemporaryPath(temp);
          return target;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
          // Someone created the directory meanwhile: fall through to the file-by-file path.
          await publishInto(await inspect(dir, options), files, temp, options, what);
          return target;
        }
      }
      await publishInto(state, files, temp, options, what);
      return target;
    } finally {
      await rm(temp, { recursive: true, force: true });
      releaseTemporaryPath(temp);
    }
  } catch (error) {
    throw fileSystemError(error, dir);
  }
}

async function publishInto(state: DirectoryState, files: readonly string[], temp: string, options: OutputDirectoryOptions, what: string): Promise<void> {
  const { target } = state;
  const earlier = new Set(state.manifest ?? []);
  for (const f of files) {
    const path = join(target, f);
    const existing = await lstat(path).catch(() => null);
    if (!existing) continue;
    const input = await sameFileAsInput(path, options.inputs ?? []);
    if (input !== undefined) {
      throw new SegmentaError('OUTPUT_REFUSED', `cannot write ${what} to '${target}': its file '${f}' is the input file '${input}'; choose another directory`, {
        path,
        input,
      });
    }
    if (existing.isDirectory()) {
      throw new SegmentaError('OUTPUT_REFUSED', `cannot write ${what} to '${target}': '${f}' there is a directory`, { path });
    }
    if (!earlier.has(f) && !options.force) {
      throw new SegmentaError(
        'OUTPUT_REFUSED',
        `cannot write ${what} to '${target}': it already holds a '${f}' that segmenta did not write; move it, or add --force to replace it`,
        { path },
      );
    }
  }
  // The manifest first lists both runs' files, so an interruption never leaves a segmenta file unlisted.
  await writeFileAtomic(join(target, MANIFEST_NAME), manifestText([...earlier, ...files]));
  for (const f of files) await rename(join(temp, f), join(target, f));
  const now = new Set(files);
  for (const f of earlier) {
    if (now.has(f)) continue;
    const old = await lstat(join(target, f)).catch(() => null);
    if (old && (old.isFile() || old.isSymbolicLink())) await rm(join(target, f), { force: true });
  }
  await writeFileAtomic(join(target, MANIFEST_NAME), manifestText(files));
  await rmdir(temp).catch(() => undefined);
}
