/**
 * Entry of a job worker thread: runs one job (see run-job.ts) and reports its
 * progress events and its end to the server thread. The server terminates the
 * thread to dismiss the job or when its time limit passes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../backends/built-in-backends.js';
import { isUserError } from '../common/errors.js';
import { runJob, type WorkerJobSpec } from './run-job.js';

/** Messages a job worker posts. */
export type WorkerMessage =
  | { type: 'progress'; event: import('../common/progress.js').ProgressEvent }
  | { type: 'done' }
  | { type: 'error'; code: string; message: string; userError: boolean };

const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);

try {
  await runJob(workerData as WorkerJobSpec, (event) => post({ type: 'progress', event }));
  post({ type: 'done' });
} catch (error) {
  const userError = isUserError(error);
  post({
    type: 'error',
    code: userError ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    userError,
  });
}
