import { expect } from 'vitest';
import { SegmentaError } from '../../src/common/errors.js';

/** The error a call throws or rejects with (a SegmentaError), or a failure when it succeeds. */
export async function thrown(run: () => unknown): Promise<SegmentaError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(SegmentaError);
    return error as SegmentaError;
  }
  throw new Error('expected a SegmentaError, but the call succeeded');
}
