/**
 * Process-level guards of the `segmenta` command (installed by main.ts, not by
 * in-process test runs):
 *
 * - a closed stdout/stderr pipe (`segmenta … | head -1`, EPIPE) ends the
 *   process quietly with status 0, like a Unix filter;
 * - SIGTERM and SIGINT while no job or server is listening for them (or a second one),
 *   remove every temporary file segmenta is writing, then exit with 128 + the
 *   signal number (143, 130). A running job handles the first Ctrl-C itself:
 *   it aborts, and its writers remove their temporary files.
 */
import { removeTemporaryFilesSync } from '../common/atomic-file.js';

const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** Exits now after removing segmenta's temporary files. */
export function exitAfterCleanup(code: number): never {
  removeTemporaryFilesSync();
  process.exit(code);
}

/** Installs the EPIPE and signal guards on this process. Call once, from the CLI entry point. */
export function installProcessGuards(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') exitAfterCleanup(0);
      throw error;
    });
  }
  let terminations = 0;
  process.on('SIGTERM', () => {
    terminations++;
    // A long-running command listening for it (segmenta serve) stops gracefully on the first SIGTERM.
    if (terminations === 1 && process.listenerCount('SIGTERM') > 1) return;
    exitAfterCleanup(SIGNAL_EXIT.SIGTERM);
  });
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    // Another listener (a running job's abort) handles the first Ctrl-C and cleans up as it unwinds.
    if (interrupts === 1 && process.listenerCount('SIGINT') > 1) return;
    exitAfterCleanup(SIGNAL_EXIT.SIGINT);
  });
}
