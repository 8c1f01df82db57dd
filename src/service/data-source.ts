/**
 * Where a job's customers come from: a path confined to `--data-dir`
 * (symlinks resolved before the check), an upload spooled into the job's own
 * folder, or generated customers.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SegmentaError } from '../common/errors.js';
import type { ResolvedData } from './run-job.js';

/** File types the service reads, by extension (as the reader accepts them). */
export const DATA_EXTENSIONS = ['.csv', '.tsv', '.txt', '.csv.gz', '.tsv.gz', '.parquet'] as const;

function dataError(message: string, field = 'inputs.data.path'): SegmentaError {
  return new SegmentaError('INVALID_OPTION', message, { field });
}

/** The extension of a data file name (`.csv.gz` counts as one), or null when the service does not read it. */
export function dataExtension(name: string): string | null {
  const lower = name.toLowerCase();
  return DATA_EXTENSIONS.find((e) => lower.endsWith(e)) ?? null;
}

/**
 * Resolves `path` inside `dataDir`: relative only, symlinks followed, and the
 * real file must lie inside the real data folder. Throws `INVALID_OPTION`
 * (field `inputs.data.path`) otherwise; the message never shows the server's
 * own folders.
 */
export async function resolveDataPath(dataDir: string | undefined, path: string): Promise<ResolvedData> {
  if (!dataDir) throw dataError('inputs.data.path needs a server started with --data-dir; upload the file instead');
  if (path.includes('\0') || isAbsolute(path) || /^[a-zA-Z]:[\\/]/.test(path)) {
    throw dataError(`inputs.data.path must be relative to the data folder, got '${path}'`);
  }
  const root = await realpath(dataDir);
  const inside = (real: string): boolean => {
    const rel = relative(root, real);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  const lexical = resolve(root, path);
  if (!inside(lexical)) throw dataError(`inputs.data.path '${path}' is outside the data folder`);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw new SegmentaError('FILE_NOT_FOUND', `inputs.data.path '${path}' does not exist in the data folder`, { field: 'inputs.data.path' });
  }
  if (!inside(real)) throw dataError(`inputs.data.path '${path}' is outside the data folder (it links to a file outside)`);
  if (!(await stat(real)).isFile()) throw dataError(`inputs.data.path '${path}' is not a file`);
  if (!dataExtension(real)) throw dataError(`inputs.data.path '${path}' is not a data file; use ${DATA_EXTENSIONS.join(', ')}`);
  return { file: real, display: `'${path}'` };
}

/** Where an upload named `name` lands in the job's input folder, and how messages name it. */
export function uploadTarget(inputDir: string, name: string): ResolvedData {
  const ext = dataExtension(name);
  if (!ext) {
    throw new SegmentaError('UNSUPPORTED_FORMAT', `cannot read upload '${basename(name)}': unsupported file type '${extname(name) || '(none)'}'; upload ${DATA_EXTENSIONS.join(', ')}`, {
      field: 'data',
    });
  }
  return { file: join(inputDir, `upload${ext}`), display: `upload '${basename(name)}'` };
}

/** Generated customers, written into the job's input folder by its worker. */
export function generatedTarget(inputDir: string, generate: { rows: number; seed?: number; features?: number }): ResolvedData {
  const spec = { rows: generate.rows, seed: generate.seed ?? 42, features: generate.features ?? 3 };
  return { file: join(inputDir, 'generated.parquet'), display: `generated customers (${spec.rows} rows, seed ${spec.seed})`, generate: spec };
}
