/**
 * Small tmpfs mounts for tests that need a real full or read-only file system
 * (root, in a container that allows `mount`). Elsewhere the tests that need one
 * say why they do not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Why a tmpfs cannot be mounted here, or '' when it can (probed once per test file). */
export function tmpfsRefusal(): string {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  const probe = mkdtempSync(join(tmpdir(), 'segmenta-tmpfs-probe-')); // unique even for test files sharing a process
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe]);
  if (r.status === 0) spawnSync('umount', [probe]);
  spawnSync('rmdir', [probe]);
  return r.status === 0 ? '' : `mount failed: ${String(r.stderr).trim()}`;
}

/** Mounts a tmpfs with `options` ('size=64k', 'ro,size=16k', …) on the existing directory `dir`; returns its unmount. */
export function mountTmpfs(dir: string, options: string): () => void {
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status).toBe(0);
  return () => {
    spawnSync('umount', [dir]);
  };
}
