/**
 * Memory is released when a job ends, not when GC gets to it: 50 wasm K-Means
 * fits in one real process keep its RSS flat (within 10% of the RSS after the
 * 10th fit, once the worker pool, the spare wasm memory and the JIT are warm).
 * Before jobs reused their memory, every fit left a SharedArrayBuffer of the
 * matrix's size for GC to find (237 → 586 MB over 20 fits).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BUILT = existsSync(join(ROOT, 'dist/src/drivers/kmeans.js'));
if (!BUILT) console.warn('skipped: dist/ is missing (npm install builds it)');

describe.skipIf(!BUILT)('50 fits in one process', () => {
  it('wasm: RSS stays within 10% of the 10th fit', () => {
    const backend = 'wasm';
    const r = spawnSync(process.execPath, [join(ROOT, 'test/helpers/rss-probe.mjs'), backend, '200000', '50'], { encoding: 'utf8', timeout: 600_000 });
    expect(r.stderr).toBe('');
    const { rss } = JSON.parse(r.stdout) as { rss: number[] };
    const mb = rss.map((b) => Math.round(b / 1048576));
    console.log(`${backend}: RSS MB after each fit: ${mb.join(' ')}`);
    expect(rss).toHaveLength(50);
    expect(rss[49]!).toBeLessThanOrEqual(rss[9]! * 1.1);
    expect(Math.max(...rss.slice(9))).toBeLessThanOrEqual(rss[9]! * 1.1);
  });
});
