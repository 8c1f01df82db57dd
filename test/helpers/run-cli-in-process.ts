/**
 * Runs the segmenta CLI in this process (no build needed) and captures what it
 * writes to stdout and stderr.
 */
import { vi } from 'vitest';
import '../../src/backends/built-in-backends.js';
import { runCli } from '../../src/cli/cli-program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `segmenta ...args` → exit code and captured output. */
export async function runSegmenta(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const code = await runCli(['node', 'segmenta', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
