/**
 * Exact Ward and single linkage without the distance matrix
 * (drivers/agglomerative/matrix-free-linkage.ts) against today's exact mode
 * on the matrix, on generated Mall-like customers; the exactMethod option and
 * its errors; a backend without the linkage kernels; cancellation.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { KernelBackend, KernelJob } from '../src/backends/kernel-contract.js';
import { SegmentaError } from '../src/common/errors.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { computeCondensedDistances, cutTree, fitAgglomerative, matrixFreeMerges, nnChainMerges, sortAndRelabel, WARD_MATRIX_MAX_ROWS, type LinkageTree } from '../src/drivers/agglomerative/index.js';
import { fitScaler } from '../src/preparation/scaling.js';
import { samePartition } from './helpers/partitions.js';

/**
 * Generated Mall-like customers (Age, Income, Score, Visits), standard-scaled.
 * With `continuous`, each value moves by a seeded amount below the generator's
 * rounding step (1, or 0.1 for Visits): rounded values put exact ties between
 * distances, which two correct algorithms may break either way.
 */
function mallLike(rows: number, continuous: boolean): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features: 4, seed: 42 }));
  if (continuous) {
    const rng = new SeededRandom(7);
    for (let i = 0; i < raw.data.length; i++) raw.data[i] = raw.data[i]! + (rng.nextFloat() - 0.5) * (i % 4 === 3 ? 0.1 : 1);
  }
  return fitScaler(raw, 'standard').transform(raw);
}

async function caught(p: Promise<unknown>): Promise<SegmentaError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SegmentaError);
    return e as SegmentaError;
  }
  throw new Error('expected a SegmentaError');
}

describe('exact ward without the matrix vs today\'s exact mode', () => {
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

  it('ward on small tables stays on the matrix (scipy\'s bits) unless asked; the js and auto backends give the same tree', async () => {
    const m = mallLike(400, false);
    const auto = await fitAgglomerative(m, { k: 5, linkage: 'ward', mode: 'exact' });
    expect(400).toBeLessThanOrEqual(WARD_MATRIX_MAX_ROWS);
    expect(auto.notes.join(' ')).not.toMatch(/without the distance matrix/);
    const freeJs = await fitAgglomerative(m, { k: 5, linkage: 'ward', mode: 'exact', exactMethod: 'matrix-free', backend: 'js' });
    const freeAuto = await fitAgglomerative(m, { k: 5, linkage: 'ward', mode: 'exact', exactMethod: 'matrix-free' });
    expect(Array.from(freeAuto.tree.merges)).toEqual(Array.from(freeJs.tree.merges));
    expect(Array.from(freeJs.labels)).toEqual(Array.from(auto.labels));
  });
});

describe('exactMethod: which linkages run without the matrix, and the errors', () => {
  const m = mallLike(300, true);

  it('ward and single run exact above exactMaxRows (no matrix); the merges equal the matrix run', async () => {
    for (const linkage of ['ward', 'single'] as const) {
      const free = await fitAgglomerative(m, { k: 3, linkage, mode: 'exact', exactMaxRows: 100, backend: 'js' });
      expect(free.mode).toBe('exact');
      const onMatrix = await fitAgglomerative(m, { k: 3, linkage, mode: 'exact', exactMethod: 'matrix', backend: 'js' });
      for (let q = 0; q < m.rows - 1; q++) {
        expect([free.tree.merges[4 * q], free.tree.merges[4 * q + 1], free.tree.merges[4 * q + 3]]).toEqual([
          onMatrix.tree.merges[4 * q],
          onMatrix.tree.merges[4 * q + 1],
          onMatrix.tree.merges[4 * q + 3],
        ]);
      }
    }
  });

  it('complete and average above exactMaxRows: MEMORY_LIMIT naming the matrix bytes and the linkage', async () => {
    for (const linkage of ['complete', 'average'] as const) {
      const e = await caught(fitAgglomerative(m, { k: 3, linkage, mode: 'exact', exactMaxRows: 100 }));
      expect(e.code).toBe('MEMORY_LIMIT');
      expect(e.message).toMatch(new RegExp(`exact ${linkage} clustering of 300 rows needs a 0\\.4 MB distance matrix`));
      expect(e.message).toMatch(/ward and single run exact without it/);
    }
    const forced = await caught(fitAgglomerative(m, { k: 3, linkage: 'ward', mode: 'exact', exactMethod: 'matrix', exactMaxRows: 100 }));
    expect(forced.code).toBe('MEMORY_LIMIT');
  });

  it('rejects matrix-free for complete/average and unknown methods (INVALID_OPTION)', async () => {
    const a = await caught(fitAgglomerative(m, { k: 3, linkage: 'average', exactMethod: 'matrix-free' }));
    expect(a.code).toBe('INVALID_OPTION');
    expect(a.message).toMatch(/average linkage needs the distance matrix/);
    const b = await caught(fitAgglomerative(m, { k: 3, exactMethod: 'sparse' as never }));
    expect(b.code).toBe('INVALID_OPTION');
    expect(b.message).toMatch(/exactMethod must be one of auto, matrix, matrix-free, got 'sparse'/);
  });

  it('a backend without the linkage kernels: auto falls back to the matrix; matrix-free says which kernel is missing', async () => {
    const bare: KernelBackend = {
      ...jsReferenceBackend,
      name: 'bare',
      async createJob(data, rows, dims): Promise<KernelJob> {
        const job = await jsReferenceBackend.createJob(data, rows, dims);
        return {
          backend: 'bare',
          rows,
          dims,
          exact: true,
          assign: (c, k, s, n) => job.assign(c, k, s, n),
          candidatePotentials: (c, n, o) => job.candidatePotentials(c, n, o),
          updateClosest: (c, r) => job.updateClosest(c, r),
          readClosest: (o) => job.readClosest(o),
          readLabels: (o) => job.readLabels(o),
          readDistances: (o) => job.readDistances(o),
          pairwiseDistances: (r0, r1, o) => job.pairwiseDistances!(r0, r1, o),
          dispose: () => job.dispose(),
        };
      },
    };
    const fallback = await fitAgglomerative(m, { k: 3, linkage: 'single', mode: 'exact', backend: bare });
    expect(fallback.notes.join(' ')).not.toMatch(/without the distance matrix/);
    const js = await fitAgglomerative(m, { k: 3, linkage: 'single', mode: 'exact', backend: 'js' });
    expect(Array.from(fallback.tree.merges)).toEqual(Array.from(js.tree.merges));
    const e = await caught(fitAgglomerative(m, { k: 3, linkage: 'ward', mode: 'exact', exactMethod: 'matrix-free', backend: bare }));
    expect(e.code).toBe('KERNEL_NOT_IMPLEMENTED');
    expect(e.message).toMatch(/linkageStart/);
  });
});

describe('cancellation', () => {
  it('a matrix-free ward fit on 40,000 rows stops soon after an abort from a timer', async () => {
    const m = mallLike(40_000, true);
    const controller = new AbortController();
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error('timer')), 300);
    const e = await caught(fitAgglomerative(m, { k: 5, linkage: 'ward', mode: 'exact', signal: controller.signal }));
    expect(e.code).toBe('ABORTED');
    expect(e.message).toMatch(/timer/);
    // generous: the machine is shared; the loop checks every ~50 ms of work
    expect(performance.now() - t0).toBeLessThan(20_000);
  }, 120_000);
});
