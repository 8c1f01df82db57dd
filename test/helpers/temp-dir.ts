/**
 * Temporary directories and the small files tests put in them: one place for
 * the make-a-directory, write-the-customers, remove-it-afterwards boilerplate.
 *
 * Call {@link tempDir} and {@link customersFile} at the top level of a
 * test file or in a `describe` body (not inside a test): each returns its path
 * at once and registers the hooks that make the directory and write the file
 * before the block's tests (`beforeAll`, in call order) and remove the
 * directory, with everything in it, after them (`afterAll`, after the block's
 * own `afterAll` hooks). A block whose tests are all skipped leaves nothing behind.
 *
 * @example
 * ```ts
 * const dir = tempDir('segmenta-gmm-');
 * const customers = customersFile(dir, 'customers.csv', { rows: 1500, seed: 8 });
 *
 * it('refuses a NaN', async () => {
 *   const bad = writeCsv(dir, 'nan.csv', ['Age,Score', '20,30', '21,NaN']);
 *   // …
 * });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { writeGeneratedCustomers, type GenerateCustomersOptions } from '../../src/data-in/generate-customers.js';

/**
 * A new directory `<os tmpdir>/<prefix><8 random characters>` for the tests of the calling file or
 * `describe` block: made (mode 0700, never an existing one) in a `beforeAll`, removed recursively in an `afterAll`.
 */
export function tempDir(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString('base64url')}`);
  beforeAll(() => {
    mkdirSync(dir, { mode: 0o700 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The path of `name` in `dir`, written in a `beforeAll` with generated customers (`writeGeneratedCustomers`:
 * CSV, or Parquet for a `.parquet` name). Call it after the {@link tempDir} that made `dir`.
 */
export function customersFile(dir: string, name: string, options: GenerateCustomersOptions): string {
  const path = join(dir, name);
  beforeAll(async () => {
    await writeGeneratedCustomers(path, options);
  });
  return path;
}

/**
 * Writes a small CSV file `name` in `dir` now and returns its path: `lines` joined by newlines with one at the
 * end, or a string written as it is.
 */
export function writeCsv(dir: string, name: string, lines: readonly string[] | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof lines === 'string' ? lines : `${lines.join('\n')}\n`);
  return path;
}
