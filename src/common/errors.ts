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
  | 'UNKNOWN_CATEGORY';

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
