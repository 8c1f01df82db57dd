/**
 * `segmenta kprototypes` on Mall through the built CLI (a child process).
 * The algorithm itself is tested in k-prototypes.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';

describe.skipIf(!HAVE_MALL)(`segmenta kprototypes on Mall${HAVE_MALL ? '' : ` — ${MALL_SKIP_REASON}`}`, () => {
  it('--json: γ from the standardized features, five segments with a Gender mode each; a bad column exits 2 with one line', () => {
    const cli = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [cli, 'kprototypes', MALL_CSV, '--features', `Age,${INCOME},${SCORE}`, '--categorical', 'Gender', '--k', '5', '--scale', 'standard', '--seed', '42', '--backend', 'js', '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.gamma).toBeCloseTo(0.5, 6); // every standardized column has sd 1 (float32 data)
    expect(doc.segments).toHaveLength(5);
    expect(doc.segments.reduce((a: number, s: { size: number }) => a + s.size, 0)).toBe(200);
    for (const s of doc.segments) expect(['Female', 'Male']).toContain(s.modes.Gender);
    const bad = spawnSync(process.execPath, [cli, 'kprototypes', MALL_CSV, '--features', 'Age', '--categorical', 'Nope', '--k', '2'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/no column 'Nope'/);
  });
});
