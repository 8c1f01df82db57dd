/**
 * The wasm backend through the CLI (issue 3's "done when"): `segmenta kmeans
 * FILE --k 5 --backend wasm --threads 2 --out a.csv` on generated customers
 * (4 features, standard scaling) writes the same labels as `--backend js`,
 * and its JSON `backend` starts with `wasm`. Also: `segmenta bench` options
 * are validated, and a MEMORY_LIMIT message reaches the user as one line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { tempDir } from './helpers/temp-dir.js';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSegmenta(...argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const dir = tempDir('segmenta-wasm-cli-');

describe('segmenta kmeans --backend wasm', () => {
  it('writes the same labels as --backend js on generated customers, and names the wasm backend', async () => {
    const file = join(dir, 'customers.csv');
    const info = await writeGeneratedCustomers(file, { rows: 60_000, features: 4, seed: 42 });
    const features = info.featureNames.join(',');
    const common = ['kmeans', file, '--features', features, '--scale', 'standard', '--k', '5', '--seed', '7', '--json'];
    const a = await capture([...common, '--backend', 'wasm', '--threads', '2', '--out', join(dir, 'a.csv')]);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    const b = await capture([...common, '--backend', 'js', '--out', join(dir, 'b.csv')]);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.out) as { backend: string; wcss: number };
    const jb = JSON.parse(b.out) as { backend: string; wcss: number };
    expect(ja.backend).toMatch(/^wasm/);
    expect(ja.backend).toBe('wasm-simd (2 threads)');
    expect(jb.backend).toBe('js');
    expect(ja.wcss).toBe(jb.wcss);
    const la = readFileSync(join(dir, 'a.csv'), 'utf8');
    expect(la.split('\n').length).toBe(60_002);
    expect(la).toBe(readFileSync(join(dir, 'b.csv'), 'utf8'));
  });

  it('rejects a bad bench option with one line and exit 2', async () => {
    const r = await capture(['bench', '--rows', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("segmenta: error: --rows must be a positive integer, got '0'\n");
  });
});
