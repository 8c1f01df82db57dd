/**
 * The agglomerative driver's edges, pinned from the outside so that a one-line
 * slip in any of them fails a test: merges and heights of every linkage and
 * exact method on points small enough to work by hand, ties, weighted Ward
 * against the same data with rows repeated, two-stage against exact on the
 * distinct rows, the mode and exact-method choice and its notes, every
 * refusal (code, message, details), progress, the kernels the driver asks for,
 * and a cancellation from a timer. Expected values are worked out in comments
 * or computed here from the definitions.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { JobOptions, KernelBackend, KernelJob } from '../src/backends/kernel-contract.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { allocateCondensed, computeCondensedDistances, condensedIndex, formatBytes } from '../src/drivers/agglomerative/condensed-distances.js';
import {
  clustersAtThreshold,
  compareClusterings,
  cutTree,
  dendrogramTop,
  fitAgglomerative,
  linkageRows,
  parseLinkage,
  WARD_MATRIX_MAX_ROWS,
  type AgglomerativeOptions,
  type Linkage,
} from '../src/drivers/agglomerative/index.js';
import { thrown } from './helpers/thrown.js';

const LINKAGES: Linkage[] = ['ward', 'complete', 'average', 'single'];
const line = matrixFromRows([[0], [1], [3], [7]]);

/** A js backend named `name` whose jobs replace some kernels, recording the job options it was given. */
function wrapped(name: string, overrides: Partial<KernelJob>, seen: (JobOptions | undefined)[] = []): KernelBackend {
  return {
    ...jsReferenceBackend,
    name,
    async createJob(data, rows, dims, options) {
      seen.push(options);
      const job = await jsReferenceBackend.createJob(data, rows, dims, options);
      return new Proxy(job, {
        get(target, key) {
          if (key === 'backend') return name;
          if (Object.prototype.hasOwnProperty.call(overrides, key)) return (overrides as Record<string | symbol, unknown>)[key];
          const v = Reflect.get(target, key, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}

/** Phase events a fit reports, as [phase, detail]. */
function phases(events: ProgressEvent[]): [string, string | undefined][] {
  return events.filter((e) => e.kind === 'phase').map((e) => [(e as { phase: string }).phase, (e as { detail?: string }).detail]);
}

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => rng.nextGaussian() * 5), rows, cols };
}

describe('merges and heights worked by hand, for each exact method', () => {
  // Line 0, 1, 3, 7: {0,1} at 1; ward {0,1}+{3} = sqrt(2·2·1/3)·(3 − 0.5), {0,1,3}+{7} = sqrt(2·3·1/4)·(7 − 4/3);
  // single {0,1}+{3} at 2, +{7} at 4.
  const ward = [[0, 1, 1, 2], [2, 4, Math.sqrt(4 / 3) * 2.5, 3], [3, 5, Math.sqrt(1.5) * (7 - 4 / 3), 4]];
  const single = [[0, 1, 1, 2], [2, 4, 2, 3], [3, 5, 4, 4]];
  const close = (rows: number[][], expected: number[][]): void => {
    expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual(expected.map((r) => [r[0], r[1], r[3]]));
    rows.forEach((r, i) => expect(r[2]).toBeCloseTo(expected[i]![2]!, 10));
  };

  it('ward: the matrix (auto below WARD_MATRIX_MAX_ROWS, no note) and matrix-free (a note naming the chain) give the same tree', async () => {
    const onMatrix = await fitAgglomerative(line, { k: 2, linkage: 'ward', backend: 'js' });
    expect(onMatrix.notes).toEqual([]);
    close(linkageRows(onMatrix.tree), ward);
    const free = await fitAgglomerative(line, { k: 2, linkage: 'ward', exactMethod: 'matrix-free', backend: 'js' });
    expect(free.notes).toEqual(['exact ward linkage without the distance matrix (nearest-neighbour chain on cluster centroids)']);
    close(linkageRows(free.tree), ward);
    expect(Array.from(free.labels)).toEqual([0, 0, 0, 1]);
  });

  it("single: matrix-free by default (a note naming Prim's tree), the same tree on the matrix", async () => {
    const free = await fitAgglomerative(line, { k: 2, linkage: 'single', backend: 'js' });
    expect(free.notes).toEqual(["exact single linkage without the distance matrix (Prim's minimum spanning tree)"]);
    close(linkageRows(free.tree), single);
    const onMatrix = await fitAgglomerative(line, { k: 2, linkage: 'single', exactMethod: 'matrix', backend: 'js' });
    expect(onMatrix.notes).toEqual([]);
    close(linkageRows(onMatrix.tree), single);
  });

  it('two rows: one merge at their distance, k = 1 puts both in one cluster (every linkage)', async () => {
    const two = matrixFromRows([[0, 0], [3, 4]]);
    for (const linkage of LINKAGES) {
      const r = await fitAgglomerative(two, { k: 1, linkage, backend: 'js' });
      expect(linkageRows(r.tree), linkage).toEqual([[0, 1, 5, 2]]);
      expect(Array.from(r.labels)).toEqual([0, 0]);
    }
  });

  it('ties: single linkage takes the lowest row (points 0, 1, −1; k = 2 cuts the later merge), on the matrix and without it', async () => {
    // From row 0 both others are at 1: row 1 is taken first (scipy), then row 2 joins {0,1} at 1 too.
    const m = matrixFromRows([[0], [1], [-1]]);
    for (const exactMethod of ['matrix', 'matrix-free'] as const) {
      const r = await fitAgglomerative(m, { k: 2, linkage: 'single', exactMethod, backend: 'js' });
      expect(linkageRows(r.tree), exactMethod).toEqual([[0, 1, 1, 2], [2, 3, 1, 3]]);
      expect(Array.from(r.labels)).toEqual([0, 0, 1]);
    }
  });

  it('ties: equal heights keep the order the chain found them (ward on 0, 1, 2, 3)', async () => {
    // The chain from row 0 merges {0,1} at 1; restarting at slot 1 it walks 1 → 2 → 3 and merges {2,3} at 1;
    // then {0,1}+{2,3} at sqrt(2·2·2/4)·(2.5 − 0.5). Sorting keeps {0,1} before {2,3} (a stable sort).
    const r = await fitAgglomerative(matrixFromRows([[0], [1], [2], [3]]), { k: 2, linkage: 'ward', backend: 'js' });
    const rows = linkageRows(r.tree);
    expect(rows.map((z) => [z[0], z[1], z[3]])).toEqual([[0, 1, 2], [2, 3, 2], [4, 5, 4]]);
    expect(rows[0]![2]).toBe(1);
    expect(rows[1]![2]).toBe(1);
    expect(rows[2]![2]).toBeCloseTo(Math.sqrt(2) * 2, 12);
    // the top merge hangs over the first merge (id 4 = leaves) and the second, each formed at 1
    expect(dendrogramTop(r.tree, 1).leaves).toEqual([
      { id: 4, size: 2, height: 1 },
      { id: 5, size: 2, height: 1 },
    ]);
  });
});

describe('weighted Ward equals Ward on the data with each row repeated weight times', () => {
  const unique = gaussian(9, 2, 4);
  const weights = [1, 3, 2, 1, 2, 3, 1, 2, 1];
  const expandedRows: number[][] = [];
  weights.forEach((w, i) => {
    for (let c = 0; c < w; c++) expandedRows.push([unique.data[2 * i]!, unique.data[2 * i + 1]!]);
  });
  const expanded = matrixFromRows(expandedRows);
  const total = weights.reduce((s, w) => s + w, 0);

  for (const exactMethod of ['matrix', 'matrix-free'] as const) {
    it(`${exactMethod}: heights, sizes, labels, weighted means, WCSS and segment weights`, async () => {
      const full = await fitAgglomerative(expanded, { k: 3, linkage: 'ward', backend: 'js' });
      const r = await fitAgglomerative(unique, { k: 3, linkage: 'ward', exactMethod, sampleWeight: weights, backend: 'js' });
      expect(Array.from(r.tree.leafSizes!)).toEqual(weights);
      const fullRows = linkageRows(full.tree).filter((z) => z[2]! > 0);
      const rows = linkageRows(r.tree);
      expect(rows).toHaveLength(fullRows.length);
      rows.forEach((z, i) => {
        expect(z[3]).toBe(fullRows[i]![3]);
        expect(Math.abs(z[2]! - fullRows[i]![2]!)).toBeLessThan(1e-6 * fullRows[i]![2]!);
      });
      // the copies of row i are labelled as row i
      const repeated: number[] = [];
      weights.forEach((w, i) => {
        for (let c = 0; c < w; c++) repeated.push(r.labels[i]!);
      });
      expect(repeated).toEqual(Array.from(full.labels));
      expect(r.segmentWeights).toEqual(full.sizes);
      expect(r.sizes).toEqual([0, 1, 2].map((c) => Array.from(r.labels).filter((l) => l === c).length));
      r.centroids.forEach((v, i) => expect(v).toBeCloseTo(full.centroids[i]!, 5));
      expect(r.wcss).toBeCloseTo(full.wcss, 4);
      expect(r.tree.merges[4 * 7 + 3]).toBe(total);
    });
  }

  it('refuses weights for other linkages, and weights that are not > 0, naming the row', async () => {
    const a = await thrown(() => fitAgglomerative(unique, { k: 2, linkage: 'average', sampleWeight: weights, backend: 'js' }));
    expect([a.code, a.message, a.details]).toEqual([
      'INVALID_OPTION',
      'sampleWeight needs ward linkage (a weighted merge cost); average linkage compares distances only',
      { option: 'sampleWeight', linkage: 'average' },
    ]);
    const zero = [...weights];
    zero[4] = 0;
    const z = await thrown(() => fitAgglomerative(unique, { k: 2, sampleWeight: zero, backend: 'js' }));
    expect([z.code, z.message, z.details]).toEqual([
      'INVALID_OPTION',
      'sampleWeight row 5 is 0: Ward linkage needs weights > 0 (leave the row out instead)',
      { option: 'sampleWeight', row: 5, value: 0 },
    ]);
  });
});

describe('two-stage on as many micro-clusters as distinct rows equals exact on the rows', () => {
  // 6 distinct points, some repeated: K-Means with m = 6 puts a centre on each, and the linkage of the
  // size-weighted centres is the linkage of the rows (ward and average weigh by size; complete and single
  // ignore repeats), less the rows' zero-height merges.
  const m = matrixFromRows([[0, 0], [0, 0], [1.5, 0], [10, 10], [10, 11], [10, 11], [10, 11], [30, 0], [31, 2], [31, 2]]);
  for (const linkage of LINKAGES) {
    it(`${linkage}: heights, sizes, labels, the notes and the micro-cluster phase`, async () => {
      const events: ProgressEvent[] = [];
      const two = await fitAgglomerative(m, { k: 3, linkage, mode: 'two-stage', microClusters: 50, backend: 'js', onProgress: (e) => events.push(e) });
      const exact = await fitAgglomerative(m, { k: 3, linkage, exactMethod: 'matrix', backend: 'js' });
      expect([two.mode, two.m, two.tree.leaves]).toEqual(['two-stage', 6, 6]);
      expect(two.notes[0]).toBe('two-stage mode as requested');
      expect(two.notes[1]).toMatch(new RegExp(`^K-Means made m = 6 micro-clusters \\(\\d+ iterations, \\d+\\.\\d\\d s\\), then ${linkage} linkage ran on their size-weighted centroids$`));
      expect(phases(events)).toContainEqual(['micro-clusters', 'K-Means with m = 6']);
      const exactRows = linkageRows(exact.tree).filter((z) => z[2]! > 0);
      const rows = linkageRows(two.tree);
      expect(rows.map((z) => z[3])).toEqual(exactRows.map((z) => z[3]));
      rows.forEach((z, i) => expect(z[2]).toBeCloseTo(exactRows[i]![2]!, 5));
      expect(Array.from(two.labels)).toEqual(Array.from(exact.labels));
      expect(Array.from(two.labels)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
      expect(Array.from(two.micro!.sizes).sort()).toEqual([1, 1, 1, 2, 2, 3]);
      // a truncated dendrogram's leaves are micro-clusters with their row counts
      const top = dendrogramTop(two.tree, 5);
      for (const leaf of top.leaves) expect(leaf.size).toBe(two.tree.leafSizes![leaf.id]);
      // k equal to m is allowed: every micro-cluster its own cluster
      const six = await fitAgglomerative(m, { k: 6, linkage, mode: 'two-stage', microClusters: 50, backend: 'js' });
      expect(Array.from(six.labels)).toEqual([0, 0, 1, 2, 3, 3, 3, 4, 5, 5]);
    });
  }

  it('weighted two-stage: the micro-clusters weigh the sum of their rows’ weights', async () => {
    const w = [1, 2, 1, 1, 1, 1, 1, 3, 1, 1];
    const r = await fitAgglomerative(m, { k: 3, mode: 'two-stage', microClusters: 50, sampleWeight: w, backend: 'js' });
    expect(Array.from(r.micro!.sizes).reduce((s, v) => s + v, 0)).toBe(13);
    expect(r.segmentWeights).toEqual([4, 4, 5]);
    expect(r.tree.merges[4 * 4 + 3]).toBe(13);
  });

  it('refuses k above m, naming both', async () => {
    const e = await thrown(() => fitAgglomerative(m, { k: 7, mode: 'two-stage', microClusters: 50, backend: 'js' }));
    expect([e.code, e.message, e.details]).toEqual(['INVALID_K', 'k = 7 is larger than the 6 micro-clusters of the two-stage mode; raise microClusters', { k: 7, m: 6 }]);
  });
});

describe('the mode and exact-method choice', () => {
  it('auto runs exact up to exactMaxRows rows and two-stage above, saying why', async () => {
    const at = await fitAgglomerative(line, { k: 2, exactMaxRows: 4, backend: 'js' });
    expect([at.mode, at.m]).toEqual(['exact', null]);
    const above = await fitAgglomerative(line, { k: 2, exactMaxRows: 3, backend: 'js' });
    expect([above.mode, above.m]).toEqual(['two-stage', 4]);
    expect(above.notes[0]).toBe('two-stage: 4 rows are above the exact bound of 3 rows');
  });

  it('MEMORY_LIMIT above exactMaxRows names the bytes of the matrix, the bound, and (complete, average) why', async () => {
    const bytes = ((4 * 3) / 2) * 8;
    expect((await fitAgglomerative(line, { k: 2, linkage: 'average', mode: 'exact', exactMaxRows: 4, backend: 'js' })).mode).toBe('exact');
    for (const linkage of ['complete', 'average'] as const) {
      const e = await thrown(() => fitAgglomerative(line, { k: 2, linkage, mode: 'exact', exactMaxRows: 3, backend: 'js' }));
      expect([e.code, e.message, e.details]).toEqual([
        'MEMORY_LIMIT',
        `exact ${linkage} clustering of 4 rows needs a ${(bytes / 1e6).toFixed(1)} MB distance matrix, above the bound exactMaxRows = 3; ${linkage} linkage needs the matrix (ward and single run exact without it); use the two-stage mode or raise exactMaxRows`,
        { rows: 4, exactMaxRows: 3, bytes, linkage },
      ]);
    }
    const ward = await thrown(() => fitAgglomerative(line, { k: 2, linkage: 'ward', mode: 'exact', exactMethod: 'matrix', exactMaxRows: 3, backend: 'js' }));
    expect(ward.message).toBe('exact ward clustering of 4 rows needs a 0.0 MB distance matrix, above the bound exactMaxRows = 3; use the two-stage mode or raise exactMaxRows');
  });

  it(`ward (auto) runs on the matrix up to WARD_MATRIX_MAX_ROWS = ${WARD_MATRIX_MAX_ROWS} rows and without it above`, async () => {
    // The first kernel the driver calls says which way it went.
    const probe = wrapped('probe', {
      pairwiseDistances: () => Promise.reject(new Error('probe: matrix')),
      linkageStart: () => Promise.reject(new Error('probe: matrix-free')),
    });
    for (const [rows, method] of [[WARD_MATRIX_MAX_ROWS, 'matrix'], [WARD_MATRIX_MAX_ROWS + 1, 'matrix-free']] as const) {
      const m = gaussian(rows, 1, rows);
      await expect(fitAgglomerative(m, { k: 2, linkage: 'ward', backend: probe })).rejects.toThrow(new RegExp(`^probe: ${method}$`));
    }
  });

  it('a backend without the linkage kernels: above exactMaxRows single still goes matrix-free and says which kernel is missing', async () => {
    const bare = wrapped('bare', { linkageStart: undefined, primStep: undefined, wardNearest: undefined, wardMerge: undefined });
    const e = await thrown(() => fitAgglomerative(line, { k: 2, linkage: 'single', mode: 'exact', exactMaxRows: 3, backend: bare }));
    expect([e.code, e.message, e.details]).toEqual(['KERNEL_NOT_IMPLEMENTED', "backend 'bare' does not implement kernel 'linkageStart'", { backend: 'bare', kernel: 'linkageStart' }]);
    const noPrim = await thrown(() => fitAgglomerative(line, { k: 2, linkage: 'single', backend: wrapped('noprim', { primStep: undefined }) }));
    expect(noPrim.message).toBe("backend 'noprim' does not implement kernel 'primStep'");
    for (const missing of ['wardNearest', 'wardMerge']) {
      const w = await thrown(() => fitAgglomerative(line, { k: 2, exactMethod: 'matrix-free', backend: wrapped('noward', { [missing]: undefined }) }));
      expect(w.message, missing).toBe("backend 'noward' does not implement kernel 'wardNearest'");
    }
  });

  it('passes threads, the signal and the weights to the job', async () => {
    const seen: (JobOptions | undefined)[] = [];
    const signal = new AbortController().signal;
    await fitAgglomerative(line, { k: 2, threads: 3, signal, sampleWeight: [1, 2, 1, 1], backend: wrapped('rec', {}, seen) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.threads).toBe(3);
    expect(seen[0]!.signal).toBe(signal);
    expect(Array.from(seen[0]!.weights!)).toEqual([1, 2, 1, 1]);
  });
});

describe('progress and cancellation', () => {
  it('reports the matrix size, then the share of pairs; matrix-free reports the merging', async () => {
    const events: ProgressEvent[] = [];
    await fitAgglomerative(line, { k: 2, linkage: 'average', backend: 'js', onProgress: (e) => events.push(e) });
    expect(phases(events)).toEqual([
      ['distances', `${((6 * 8) / 1e6).toFixed(1)} MB for 4 rows`],
      ['distances', '100% of 6 pairs'],
    ]);
    const free: ProgressEvent[] = [];
    await fitAgglomerative(line, { k: 2, linkage: 'single', backend: 'js', onProgress: (e) => free.push(e) });
    expect(phases(free)).toEqual([['merging', 'single linkage of 4 rows without the distance matrix']]);
  });

  it('on 3,000 rows: the distances in two kernel calls equal one call, merging reports progress, and a timer aborts it', async () => {
    const m = gaussian(3000, 2, 8);
    const pairs = (3000 * 2999) / 2;
    const job = await jsReferenceBackend.createJob(m.data, m.rows, m.cols);
    try {
      const blocks = await computeCondensedDistances(job);
      const one = new Float64Array(pairs);
      await job.pairwiseDistances!(0, 2999, one);
      expect(blocks.length).toBe(pairs);
      let differ = 0;
      for (let i = 0; i < pairs; i++) if (blocks[i] !== one[i]) differ++;
      expect(differ).toBe(0);
      expect(blocks[condensedIndex(3000, 2999, 0)]).toBe(one[2998]);
    } finally {
      await job.dispose();
    }
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    let afterAbort = 0;
    const e = await thrown(() =>
      fitAgglomerative(m, {
        k: 2,
        linkage: 'average',
        backend: 'js',
        signal: controller.signal,
        onProgress: (ev) => {
          if (controller.signal.aborted) afterAbort++;
          events.push(ev);
          // the first merging report starts a timer; the timer aborts
          if (ev.kind === 'phase' && ev.phase === 'merging' && !timer) timer = setTimeout(() => controller.abort(new Error('timer')), 0);
        },
      }),
    );
    expect([e.code, e.message]).toEqual(['ABORTED', 'aborted: timer']);
    // the merging stops at the next pause: nothing is reported after the abort
    expect(afterAbort).toBe(0);
    const p = phases(events);
    expect(p[0]).toEqual(['distances', `${((pairs * 8) / 1e6).toFixed(1)} MB for 3,000 rows`]);
    const shares = p.filter(([phase]) => phase === 'distances').slice(1).map(([, d]) => d!);
    // two kernel calls of at most 4,000,000 pairs: the first always reports, and the last
    expect(shares).toHaveLength(2);
    expect(shares[0]).toMatch(new RegExp(`^\\d\\d% of ${pairs.toLocaleString('en-US')} pairs$`));
    expect(shares[1]).toBe(`100% of ${pairs.toLocaleString('en-US')} pairs`);
    const merging = p.filter(([phase]) => phase === 'merging').map(([, d]) => d!);
    expect(merging.length).toBeGreaterThan(0);
    for (const d of merging) {
      const match = /^([\d,]+) of 2,999 merges$/.exec(d);
      expect(match, d).not.toBeNull();
      expect(Number(match![1]!.replace(/,/g, ''))).toBeLessThan(2999);
    }
  }, 60_000);
});

describe('refusals: code, message and details', () => {
  const m = matrixFromRows([[0, 0], [1, 1], [5, 5]]);
  const fit = (o: AgglomerativeOptions) => fitAgglomerative(m, { backend: 'js', ...o });

  it('every integer option names itself and its range; the boundaries are accepted', async () => {
    const cases: [AgglomerativeOptions, string, unknown][] = [
      [{ exactMaxRows: 1 }, 'exactMaxRows must be an integer >= 2, got 1', 1],
      [{ microClusters: 1 }, 'microClusters must be an integer >= 2, got 1', 1],
      [{ microMaxIter: 0 }, 'microMaxIter must be an integer >= 1, got 0', 0],
      [{ seed: 2 ** 32 }, `seed must be an integer in [-2147483648, 4294967295], got ${2 ** 32}`, 2 ** 32],
      [{ seed: -(2 ** 31) - 1 }, `seed must be an integer in [-2147483648, 4294967295], got ${-(2 ** 31) - 1}`, -(2 ** 31) - 1],
      [{ threads: 0 }, 'threads must be an integer in [1, 256], got 0', 0],
      [{ threads: 257 }, 'threads must be an integer in [1, 256], got 257', 257],
    ];
    for (const [o, message, value] of cases) {
      const e = await thrown(() => fit({ k: 1, ...o }));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', message, { option: Object.keys(o)[0], value }]);
    }
    for (const o of [{ exactMaxRows: 3 }, { microClusters: 2, mode: 'two-stage' as const }, { microMaxIter: 1, mode: 'two-stage' as const }, { seed: -(2 ** 31) }, { seed: 2 ** 32 - 1 }, { threads: 1 }, { threads: 256 }]) {
      expect((await fit({ k: 2, ...o })).k, JSON.stringify(o)).toBe(2);
    }
  });

  it('mode, exactMethod and linkage: the choices and the value given', async () => {
    const mode = await thrown(() => fit({ k: 1, mode: 'fast' as never }));
    expect(mode.details).toEqual({ option: 'mode', value: 'fast' });
    const method = await thrown(() => fit({ k: 1, exactMethod: 'sparse' as never }));
    expect(method.details).toEqual({ option: 'exactMethod', value: 'sparse' });
    const free = await thrown(() => fit({ k: 1, linkage: 'complete', exactMethod: 'matrix-free' }));
    expect([free.code, free.message, free.details]).toEqual([
      'INVALID_OPTION',
      "exactMethod 'matrix-free' runs ward and single linkage only; complete linkage needs the distance matrix",
      { option: 'exactMethod', value: 'matrix-free', linkage: 'complete' },
    ]);
    expect(parseLinkage(' Complete ')).toBe('complete');
    expect((await fit({ k: 1, linkage: 'AVERAGE' as Linkage })).linkage).toBe('average');
    const bad = await thrown(() => parseLinkage(3));
    expect([bad.code, bad.message, bad.details]).toEqual(['INVALID_OPTION', "linkage must be one of ward, complete, average, single, got '3'", { option: 'linkage', value: 3 }]);
    // an option given as undefined takes its default
    const r = await fit({ k: 2, linkage: undefined, mode: undefined, exactMethod: undefined, exactMaxRows: undefined } as AgglomerativeOptions);
    expect([r.linkage, r.mode]).toEqual(['ward', 'exact']);
  });

  it('k and distanceThreshold: exactly one; k up to the rows; a threshold finite and >= 0 (0 keeps every row apart)', async () => {
    const both = await thrown(() => fit({ k: 2, distanceThreshold: 1 }));
    expect([both.code, both.message, both.details]).toEqual(['INVALID_OPTION', 'give exactly one of k and distanceThreshold', { k: 2, distanceThreshold: 1 }]);
    const neither = await thrown(() => fit({}));
    expect(neither.details).toEqual({ k: undefined, distanceThreshold: undefined });
    expect(Array.from((await fit({ k: 3 })).labels)).toEqual([0, 1, 2]);
    const four = await thrown(() => fit({ k: 4 }));
    expect(four.details).toEqual({ k: 4, rows: 3 });
    const zero = await fit({ distanceThreshold: 0 });
    expect([zero.k, zero.distanceThreshold]).toEqual([3, 0]);
    for (const t of [Infinity, NaN, '1' as unknown as number]) {
      const e = await thrown(() => fit({ distanceThreshold: t }));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', `distanceThreshold must be a finite number >= 0, got ${String(t)}`, { option: 'distanceThreshold', value: t }]);
    }
  });

  it('the tree readers check their arguments', async () => {
    const r = await fitAgglomerative(line, { k: 1, linkage: 'single', backend: 'js' });
    for (const t of [-1, NaN]) {
      const e = await thrown(() => clustersAtThreshold(r.tree, t));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_OPTION', `distanceThreshold must be a finite number >= 0, got ${t}`, { option: 'distanceThreshold', value: t }]);
    }
    for (const k of [0, 5, 1.5]) {
      const e = await thrown(() => cutTree(r.tree, k));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_K', `k must be an integer from 1 to the number of leaves (4), got ${k}`, { k, leaves: 4 }]);
    }
    const c = await thrown(() => dendrogramTop(r.tree, 1.5));
    expect(c.details).toEqual({ option: 'count', value: 1.5 });
  });
});

describe('the dendrogram top, condensed layout and byte counts', () => {
  it('dendrogramTop(tree, 1) on 0, 1, 3, 7 (single): the root over leaf 3 and the subtree {0,1,3} formed at 2', async () => {
    const r = await fitAgglomerative(line, { k: 1, linkage: 'single', backend: 'js' });
    expect(dendrogramTop(r.tree, 1)).toEqual({
      leafCount: 4,
      rootId: 6,
      merges: [{ id: 6, left: 3, right: 5, distance: 4, size: 4 }],
      leaves: [
        { id: 3, size: 1, height: 0 },
        { id: 5, size: 3, height: 2 },
      ],
    });
    const one = await fitAgglomerative(matrixFromRows([[2, 2]]), { k: 1, backend: 'js' });
    expect(dendrogramTop(one.tree)).toEqual({ leafCount: 1, rootId: 0, merges: [], leaves: [{ id: 0, size: 1, height: 0 }] });
  });

  it('condensedIndex enumerates the pairs i < j row after row, either way round', () => {
    let o = 0;
    for (let i = 0; i < 5; i++) {
      for (let j = i + 1; j < 5; j++) {
        expect(condensedIndex(5, i, j)).toBe(o);
        expect(condensedIndex(5, j, i)).toBe(o);
        o++;
      }
    }
  });

  it('formatBytes switches to GB at 10^9 bytes; an impossible matrix is MEMORY_LIMIT naming its size', () => {
    expect(formatBytes(1e9)).toBe('1.00 GB');
    expect(formatBytes(1e9 - 1)).toBe(`${((1e9 - 1) / 1e6).toFixed(1)} MB`);
    const n = 100_000_000;
    const bytes = ((n * (n - 1)) / 2) * 8;
    let e: unknown;
    try {
      allocateCondensed(n);
    } catch (error) {
      e = error;
    }
    const err = e as { code: string; message: string; details: unknown };
    expect(err.code).toBe('MEMORY_LIMIT');
    expect(err.message).toMatch(new RegExp(`^cannot allocate the ${(bytes / 1e9).toFixed(2)} GB distance matrix for 100,000,000 rows \\(.+\\); use the two-stage mode$`));
    expect(err.details).toEqual({ rows: n, bytes });
  });
});

describe('compareClusterings', () => {
  const m = matrixFromRows([[0, 0], [0, 1], [1, 0], [20, 20], [20, 21], [21, 20]]);
  it('fits both methods with the same k; two far groups give the same partition (ARI 1)', async () => {
    const c = await compareClusterings(m, 2, { backend: 'js', seed: 1 }, { linkage: 'average', backend: 'js' });
    expect([c.k, c.rows, c.ari]).toEqual([2, 6, 1]);
    expect([c.kmeans.method, c.agglomerative.method, c.agglomerative.label]).toEqual(['kmeans', 'agglomerative', 'Agglomerative (average, exact)']);
    expect(Array.from(c.agglomerative.result.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(c.agglomerative.result.linkage).toBe('average');
    expect(c.agglomerative.quality.wcss).toBeCloseTo(2 * (2 / 3 + 2 / 3), 6);
  });

  it('refuses k < 2 and k not an integer', async () => {
    for (const k of [1, 2.5]) {
      const e = await thrown(() => compareClusterings(m, k, { backend: 'js' }, { backend: 'js' }));
      expect([e.code, e.message, e.details]).toEqual(['INVALID_K', `compare needs k >= 2 (silhouette, CH and DB compare clusters), got ${k}`, { k }]);
    }
  });
});
