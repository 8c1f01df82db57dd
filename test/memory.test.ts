/**
 * Memory is released when a job ends, not when GC gets to it: 50 wasm K-Means
 * fits in one real process keep its memory outside the JS heap (RSS less V8's
 * heapTotal: wasm memories, native buffers) flat: no later fit exceeds the
 * highest of the first 10 (the worker pool, the spare wasm memory and the JIT
 * warming) by more than 10%.
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
    const { rss, heapTotal } = JSON.parse(r.stdout) as { rss: number[]; heapTotal: number[] };
    // What segmenta allocates outside V8's heap (wasm memories, worker stacks, native buffers): RSS less the JS heap.
    // The JS heap is left out because V8 sizes it by its own heuristics, which differ between Node versions
    // (Node 22 lets it grow ~30 MB over these fits before a major GC), and a fit's JS garbage is ordinary garbage.
    const native = rss.map((b, i) => b - heapTotal[i]!);
    const mb = (v: number[]) => v.map((b) => Math.round(b / 1048576)).join(' ');
    console.log(`${backend}: RSS MB after each fit: ${mb(rss)}; RSS less the JS heap: ${mb(native)}`);
    expect(native).toHaveLength(50);
    // The first 10 fits warm the worker pool, the spare wasm memory and the JIT; the highest of them is the baseline
    // (a single fit's value can dip while V8 moves pages between its heap and the rest).
    const warm = Math.max(...native.slice(0, 10));
    expect(Math.max(...native.slice(10))).toBeLessThanOrEqual(warm * 1.1);
    expect(native[49]!).toBeLessThanOrEqual(warm * 1.1);
  });
});
