/**
 * Exact Ward and single linkage without the distance matrix on large
 * generated tables (20,000 and 6,000 rows) against today's exact mode on the
 * matrix. Slow (minutes under load), so StrykerJS does not run it per mutant
 * (vitest.stryker.config.ts); agglomerative-matrix-free.test.ts checks the
 * same on small tables.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { computeCondensedDistances, cutTree, fitAgglomerative, matrixFreeMerges, nnChainMerges, sortAndRelabel, type LinkageTree } from '../src/drivers/agglomerative/index.js';
import { mallLike } from './helpers/mall-like.js';
import { samePartition } from './helpers/partitions.js';

describe('exact ward without the matrix vs today\'s exact mode, large tables', () => {
  it('20,000 Mall-like rows: the chain takes the same merges in the same order (left, right, size), heights equal to 2e-7, the same clusters at every k up to 40', async () => {
    const m = mallLike(20_000, true);
    const backend = await resolveBackend('auto');
    const job = await backend.createJob(m.data, m.rows, m.cols);
    let today: Float64Array;
    let free: Float64Array;
    try {
      // today's exact mode: the condensed matrix, then scipy's nearest-neighbour chain on it
      today = await nnChainMerges(await computeCondensedDistances(job), m.rows, 'ward');
      free = await matrixFreeMerges(job, 'ward');
    } finally {
      await job.dispose();
    }
    let differing = 0;
    let maxRel = 0;
    for (let q = 0; q < m.rows - 1; q++) {
      if (today[4 * q] !== free[4 * q] || today[4 * q + 1] !== free[4 * q + 1] || today[4 * q + 3] !== free[4 * q + 3]) differing++;
      maxRel = Math.max(maxRel, Math.abs(today[4 * q + 2]! - free[4 * q + 2]!) / Math.max(today[4 * q + 2]!, 1e-300));
    }
    expect(differing).toBe(0);
    expect(maxRel).toBeLessThan(2e-7);
    // Sorted by height, merges whose heights differ by less than the rounding may swap places; the clusters do not change.
    const a: LinkageTree = { leaves: m.rows, merges: sortAndRelabel(today, m.rows) };
    const b: LinkageTree = { leaves: m.rows, merges: sortAndRelabel(free, m.rows) };
    for (let k = 1; k <= 40; k++) expect(samePartition(cutTree(a, k), cutTree(b, k)), `k = ${k}`).toBe(true);
    // Not a timed test: the matrix run alone takes about 20 s on a quiet machine and many minutes on a loaded one.
  }, 2_400_000);

  it('single linkage: the same tree bit for bit (rounded data with ties, 6,000 rows)', async () => {
    const m = mallLike(6000, false);
    const onMatrix = await fitAgglomerative(m, { k: 4, linkage: 'single', mode: 'exact', exactMethod: 'matrix' });
    const free = await fitAgglomerative(m, { k: 4, linkage: 'single', mode: 'exact' });
    expect(free.notes.join(' ')).toMatch(/Prim's minimum spanning tree/);
    expect(Array.from(free.tree.merges)).toEqual(Array.from(onMatrix.tree.merges));
    expect(Array.from(free.labels)).toEqual(Array.from(onMatrix.labels));
  }, 600_000);

});
