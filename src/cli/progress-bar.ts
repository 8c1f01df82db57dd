/**
 * Progress on a terminal: one line on stderr, redrawn in place, per k and per
 * iteration. Silent unless the stream is a TTY, so pipes and CI logs stay clean,
 * or unless `SEGMENTA_PROGRESS=lines` asks for plain lines (one per phase,
 * per k and per fit) for log files and supervisors.
 */
import type { ProgressEvent, ProgressListener } from '../common/progress.js';

/** A progress listener bound to a stream, and `done()` to clear its line. */
export interface ProgressReporter {
  listener: ProgressListener;
  done(): void;
}

/**
 * @param stream where to draw (default `process.stderr`); nothing is drawn unless `stream.isTTY`
 * @example
 * const progress = createProgressReporter();
 * await sweepK(matrix, { onProgress: progress.listener });
 * progress.done();
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!stream.isTTY && process.env[PROGRESS_ENV] === 'lines') return lineReporter(stream);
  if (!stream.isTTY) return { listener: () => {}, done: () => {} };
  let sweep = '';
  let drawn = false;
  let last = 0;
  const draw = (text: string, force = false): void => {
    const now = performance.now();
    if (!force && now - last < 80) return;
    last = now;
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r\x1b[2K${text.slice(0, width)}`);
    drawn = true;
  };
  const listener = (e: ProgressEvent): void => {
    switch (e.kind) {
      case 'sweep-k': {
        const filled = Math.round((20 * e.index) / e.total);
        sweep = `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] k ${e.index}/${e.total} `;
        draw(`${sweep}WCSS ${e.wcss.toPrecision(6)}`, true);
        break;
      }
      case 'iteration':
        draw(`${sweep}k=${e.k} run ${e.run + 1}/${e.nInit} iteration ${e.iteration} WCSS ${e.wcss.toPrecision(6)} moved ${e.changed}`);
        break;
      case 'phase':
        draw(`${sweep}${e.phase}${e.detail ? `: ${e.detail}` : ''}`, true);
        break;
      case 'fit':
        break;
    }
  };
  return {
    listener,
    done: () => {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
      sweep = '';
    },
  };
}

/** Environment variable: `lines` prints progress as plain lines when stderr is not a terminal. */
export const PROGRESS_ENV = 'SEGMENTA_PROGRESS';

function lineReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const listener = (e: ProgressEvent): void => {
    if (e.kind === 'sweep-k') stream.write(`segmenta: progress: sweep k ${e.index}/${e.total} WCSS ${e.wcss.toPrecision(6)}\n`);
    else if (e.kind === 'fit') stream.write(`segmenta: progress: fit k=${e.k} WCSS ${e.wcss.toPrecision(6)}\n`);
    else if (e.kind === 'phase') stream.write(`segmenta: progress: ${e.phase}${e.detail ? `: ${e.detail}` : ''}\n`);
  };
  return { listener, done: () => {} };
}
