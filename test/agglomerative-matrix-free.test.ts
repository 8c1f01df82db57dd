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
import { fitAgglomerative, WARD_MATRIX_MAX_ROWS } from '../src/drivers/agglomerative/index.js';
import { mallLike } from './helpers/mall-like.js';

async function caught(p: Promise<unknown>): Promise<SegmentaError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SegmentaError);
    return e as SegmentaError;
  }
  throw new Error('expected a SegmentaError');
}

describe('exact ward without the matrix vs today\'s exact mode (large tables: agglomerative-matrix-free-large.test.ts)', () => {
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
