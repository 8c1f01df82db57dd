/**
 * Entry of a job worker thread: runs one job (see run-job.ts) and reports its
 * progress events and its end to the server thread. The server terminates the
 * thread to dismiss the job or when its time limit passes.
 */
import '../backends/built-in-backends.js';
import { isUserError } from '../common/errors.js';
import { runJob, type WorkerJobSpec } from './run-job.js';

/** Messages a job worker posts. */
export type WorkerMessage =
  | { type: 'progress'; event: import('../common/progress.js').ProgressEvent }
  | { type: 'done' }
  | { type: 'error'; code: string; message: string; userError: boolean };

const post = (message: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.connected) process.send!(message, () => resolve());
    else resolve();
  });
const spec = await new Promise<WorkerJobSpec>((resolve) => process.once('message', (m) => resolve(m as WorkerJobSpec)));

try {
  await runJob(spec, (event) => void post({ type: 'progress', event }));
  await post({ type: 'done' });
} catch (error) {
  const userError = isUserError(error);
  await post({
    type: 'error',
    code: userError ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    userError,
  });
}
process.disconnect();
