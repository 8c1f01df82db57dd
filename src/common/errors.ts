/**
 * Typed errors. Every error segmenta throws for a caller's mistake is a
 * {@link SegmentaError} with a stable machine-readable `code`; the CLI prints
 * its message as one line and exits with status 2.
 */

/** Stable error codes. Callers may switch on these. */
export type SegmentaErrorCode =
  | 'FILE_NOT_FOUND'
  | 'UNSUPPORTED_FORMAT'
  | 'MALFORMED_FILE'
  | 'UNKNOWN_COLUMN'
  | 'NON_NUMERIC_VALUE'
  | 'MISSING_VALUE'
  | 'NON_FINITE_VALUE'
  | 'EMPTY_TABLE'
  | 'INVALID_OPTION'
  | 'INVALID_SPEC'
  | 'INVALID_K'
  | 'TOO_FEW_DISTINCT_POINTS'
  | 'SHAPE_MISMATCH'
  | 'UNKNOWN_BACKEND'
  | 'BACKEND_UNAVAILABLE'
  | 'KERNEL_NOT_IMPLEMENTED'
  | 'MEMORY_LIMIT'
  | 'ABORTED'
  | 'NOT_FITTED'
  | 'INVALID_MODEL'
  | 'UNKNOWN_CATEGORY'
  | 'INVALID_DATA'
  | 'VALUE_TOO_LARGE'
  | 'OUTPUT_REFUSED'
  | 'FILE_SYSTEM_ERROR'
  | 'REDIS_UNAVAILABLE'
  | 'DISTRIBUTED_JOB_FAILED'
  | 'ILL_DEFINED_COVARIANCE';

/** Base class of every error segmenta throws on purpose. */
export class SegmentaError extends Error {
  readonly code: SegmentaErrorCode;
  /** Values that help a program react to the error (row, column, value, …). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SegmentaErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SegmentaError';
    this.code = code;
    this.details = details;
  }
}

/** Thrown when an AbortSignal stops a fit, sweep or read. */
export class AbortedError extends SegmentaError {
  constructor(message = 'the operation was aborted') {
    super('ABORTED', message);
    this.name = 'AbortedError';
  }
}

/** Throws {@link AbortedError} when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason = signal.reason;
    throw new AbortedError(
      reason instanceof Error ? `aborted: ${reason.message}` : typeof reason === 'string' ? `aborted: ${reason}` : 'the operation was aborted',
    );
  }
}

/** True for errors that are the user's to fix (bad input, bad option), as opposed to bugs. */
export function isUserError(error: unknown): error is SegmentaError {
  return error instanceof SegmentaError;
}

/** Plain words for the errno codes a file operation can fail with. */
const ERRNO_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
  EEXIST: 'it already exists',
  EXDEV: 'it is on another file system',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
};

/** Plain words for an errno code (`'ENOSPC'` → `'no space left on the device'`), or the code itself. */
export function errnoReason(code: string): string {
  return ERRNO_REASONS[code] ?? code;
}

/** The errno code of a Node.js file-system error (`'EACCES'`, …), or undefined for any other value. */
export function errnoCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * Turns a Node.js file-system error into a one-line `FILE_SYSTEM_ERROR` that
 * names the user's path (not a temporary file): `cannot write 'out.csv': permission denied (EACCES)`.
 * Returns any other value unchanged.
 */
export function fileSystemError(error: unknown, path: string, action = 'write'): unknown {
  const code = errnoCode(error);
  if (code === undefined || error instanceof SegmentaError) return error;
  const reason = ERRNO_REASONS[code] ?? ((error as Error).message.split(/[,\n]/)[0] ?? code).replace(/^E[A-Z0-9]+:\s*/, '');
  return new SegmentaError('FILE_SYSTEM_ERROR', `cannot ${action} '${path}': ${reason} (${code})`, { path, errno: code, action });
}
