/**
 * DBSCAN's driver and neighbour grid, against the survivors of the first
 * `drivers-dbscan` mutation run (docs/testing.md): a non-exact pairwise kernel
 * at the edge of its error bound, what the driver asks of the backend's job,
 * a kernel the backend lacks, the grid's cell side at a cell edge, data far
 * from the origin, and more occupied cells than the first coordinate buffer
 * in two features.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { resolveBackend } from '../src/backends/backend-registry.js';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import type { KernelBackend, KernelJob } from '../src/backends/kernel-contract.js';
import { SegmentaError } from '../src/common/errors.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { fitDbscan } from '../src/drivers/density/dbscan.js';
import { recordingBackend } from './helpers/recording-backend.js';

/**
 * A backend whose jobs say they are not exact (as tfjs's matmul-form kernel)
 * and whose pairwise distances err upward by 0.9 of the bound the driver
 * allows such a kernel: `(d + 8) · 2⁻²² · (|x_i|² + |x_j|²)` on the squared
 * distance (with `exact`, jobs that say they are exact, off by 0.9 of
 * `(d + 8) · 2⁻²²` times the squared distance). A pair exactly at eps then comes back above eps, inside the
 * window the driver rechecks in float64.
 */
function edgeOfBoundBackend(exact = false): KernelBackend {
  return {
    name: 'edge-of-bound',
    priority: 0,
    description: 'the js backend, its pairwise distances off by 0.9 of the non-exact bound',
    checkAvailability: () => jsReferenceBackend.checkAvailability(),
    async createJob(data, rows, dims, options) {
      const inner = await jsReferenceBackend.createJob(data, rows, dims, options);
      const norms = new Float64Array(rows);
      for (let i = 0; i < rows; i++) for (let j = 0; j < dims; j++) norms[i]! += data[i * dims + j]! * data[i * dims + j]!;
      const relative = (dims + 8) * 2 ** -22;
      const pairwiseDistances: KernelJob['pairwiseDistances'] = async (start, end, out) => {
        await inner.pairwiseDistances!(start, end, out);
        let o = 0;
        for (let i = start; i < end; i++) {
          for (let j = i + 1; j < rows; j++, o++) {
            const s = out[o]! * out[o]!;
            // An exact-form kernel's bound is relative to the distance itself (at least eps²): s is within it.
            out[o] = Math.sqrt(s + 0.9 * relative * (exact ? s : norms[i]! + norms[j]!));
          }
        }
      };
      return new Proxy(inner, {
        get(target, property) {
          if (property === 'exact') return exact;
          if (property === 'backend') return 'edge-of-bound';
          if (property === 'pairwiseDistances') return pairwiseDistances;
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
}

/** Rows alternating between a group near the origin and unit-spaced pairs far from it (norms that differ a lot). */
function farAndNearRows(): Matrix {
  const rows: number[][] = [];
  for (let g = 0; g < 12; g++) {
    rows.push([g * 7, 0]);
    rows.push([300 + g * 5, 400]);
    rows.push([g * 7, 3]);
    rows.push([301 + g * 5, 400]);
  }
  return matrixFromRows(rows);
}

describe('a non-exact pairwise kernel at the edge of its error bound', () => {
  it.each([
    ['pairs exactly at eps far from the origin', farAndNearRows(), 1],
    ['the same rows, eps 3 (the near group joins too)', farAndNearRows(), 3],
    ['an exact-form kernel at the edge of its bound, eps 3', farAndNearRows(), 3, true],
  ] as const)('%s: the same labels as the grid (the float64 recheck decides)', async (_name, m, eps, exact = false) => {
    const grid = await fitDbscan(m, { eps, minSamples: 2 });
    const edge = await fitDbscan(m, { eps, minSamples: 2, neighbourSearch: 'pairwise', backend: edgeOfBoundBackend(exact) });
    expect(edge.backend).toBe('edge-of-bound');
    expect(grid.clusters).toBeGreaterThan(5);
    expect(Array.from(edge.labels)).toEqual(Array.from(grid.labels));
    expect(edge.neighbourPairs).toBe(grid.neighbourPairs);
  });
});

describe('what the pairwise search asks of the backend', () => {
  const m = matrixFromRows([[0, 0], [1, 0], [2, 0], [9, 9], [10, 9], [30, 30]]);

  it('threads and signal reach createJob as given, and absent options stay absent; the job is disposed once', async () => {
    const rec = recordingBackend();
    const signal = new AbortController().signal;
    const fit = await fitDbscan(m, { eps: 1, minSamples: 2, neighbourSearch: 'pairwise', backend: rec.backend, threads: 3, signal });
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 1, 1, -1]);
    await fitDbscan(m, { eps: 1, minSamples: 2, neighbourSearch: 'pairwise', backend: rec.backend });
    expect(rec.jobs).toHaveLength(2);
    expect(rec.jobs[0]!.options?.threads).toBe(3);
    expect(rec.jobs[0]!.options?.signal).toBe(signal);
    expect(rec.jobs[1]!.options !== undefined && 'threads' in rec.jobs[1]!.options).toBe(false);
    expect(rec.jobs[1]!.options !== undefined && 'signal' in rec.jobs[1]!.options).toBe(false);
    expect(rec.jobs.map((j) => j.disposed)).toEqual([1, 1]);
  });

  it('a backend without pairwiseDistances: KERNEL_NOT_IMPLEMENTED naming the kernel, and the job is disposed', async () => {
    const rec = recordingBackend({ without: ['pairwiseDistances'] });
    const e = await fitDbscan(m, { eps: 1, neighbourSearch: 'pairwise', backend: rec.backend }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SegmentaError);
    expect((e as SegmentaError).code).toBe('KERNEL_NOT_IMPLEMENTED');
    expect((e as SegmentaError).message).toMatch(/kernel 'pairwiseDistances'/);
    expect(rec.jobs.map((j) => j.disposed)).toEqual([1]);
  });

  it('without a backend option the pairwise search runs on the auto backend', async () => {
    const auto = await resolveBackend('auto');
    const job = await auto.createJob(m.data, m.rows, m.cols, {});
    const name = job.backend;
    await job.dispose();
    const fit = await fitDbscan(m, { eps: 1, minSamples: 2, neighbourSearch: 'pairwise' });
    expect(fit.backend).toBe(name);
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 1, 1, -1]);
  });

  it('2,902 rows: chunks of whole rows, each the most rows whose distances fit 2^22, each with room for all of them', async () => {
    const rows = 2902;
    const m = { data: Float32Array.from({ length: rows }, (_, i) => (i * 7919) % 2000), rows, cols: 1 };
    const rec = recordingBackend();
    await fitDbscan(m, { eps: 1, minSamples: 3, neighbourSearch: 'pairwise', backend: rec.backend });
    // Written out: from each start row, add rows while the chunk's distances stay within 2^22.
    const expected: Array<[number, number]> = [];
    for (let i0 = 0; i0 < rows - 1; ) {
      let i1 = i0 + 1;
      let count = rows - 1 - i0;
      while (i1 < rows - 1 && count + (rows - 1 - i1) <= 2 ** 22) count += rows - 1 - i1++;
      expected.push([i0, i1]);
      i0 = i1;
    }
    expect(expected.length).toBe(2);
    const calls = rec.pairwiseCalls.map((c) => [c.start, c.end]);
    // Two passes (counting, then joining core rows), each over the same chunks.
    expect(calls).toEqual([...expected, ...expected]);
    for (const c of rec.pairwiseCalls) {
      const distances = ((c.end - c.start) * (2 * rows - c.start - c.end - 1)) / 2;
      expect(c.length, `chunk ${c.start}..${c.end}`).toBeGreaterThanOrEqual(distances);
    }
  }, 60_000);

  it('bad data is named as the data', async () => {
    const e = (await fitDbscan({ data: new Float32Array(3), rows: 2, cols: 2 }, { eps: 1 }).catch((x: unknown) => x)) as SegmentaError;
    expect(e).toBeInstanceOf(SegmentaError);
    expect(e.message).toMatch(/^data\b/);
  });
});

describe('the neighbour grid at its edges', () => {
  it('a pair exactly eps apart whose far row sits two cells of side eps from the near one is still found', async () => {
    // b − a = 1 = eps; with cells of side eps·(1 − 2⁻²⁰) or eps / (1 + 2⁻²⁰), a would be in cell 0 and b in cell 2.
    const a = 1 - 2 ** -19 + 2 ** -23;
    const m = matrixFromRows([[0], [a], [a + 1]]);
    expect(m.data[2]! - m.data[1]!).toBe(1);
    const grid = await fitDbscan(m, { eps: 1, minSamples: 2, neighbourSearch: 'grid' });
    expect(grid.neighbourPairs).toBe(2);
    expect(Array.from(grid.labels)).toEqual([0, 0, 0]);
  });

  it('data far from the origin (1e7) with a small eps still fits the grid: the span counts, not the values', async () => {
    const m = matrixFromRows(Array.from({ length: 6 }, (_, i) => [1e7 + i, 5e6 + 2 * i]));
    const fit = await fitDbscan(m, { eps: 0.005, minSamples: 1 });
    expect(fit.neighbourSearch).toBe('grid');
    expect(fit.clusters).toBe(6);
  });

  it('the span is the largest minus the smallest value, wherever they sit: a tiny eps over a wide first row is refused', async () => {
    const m = matrixFromRows([[1000], [0], [1], [0]]);
    const e = (await fitDbscan(m, { eps: 1e-7, neighbourSearch: 'grid' }).catch((x: unknown) => x)) as SegmentaError;
    expect(e).toBeInstanceOf(SegmentaError);
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/eps 1e-7 is too small for the grid/);
  });

  it('more occupied cells than the first coordinate buffer holds, in two features', async () => {
    const rows = 70_000;
    const data = new Float32Array(rows * 2);
    // Pairs of rows 1 apart in the first feature, 4 between pairs, on a few lines of the second: each row in its own cell.
    for (let i = 0; i < rows; i++) {
      data[2 * i] = ((i >> 1) % 5000) * 5 + (i & 1);
      data[2 * i + 1] = Math.floor(i / 10_000) * 10;
    }
    const fit = await fitDbscan({ data, rows, cols: 2 }, { eps: 1, minSamples: 2 });
    expect(fit.neighbourSearch).toBe('grid');
    expect(fit.clusters).toBe(rows / 2);
    expect(fit.neighbourPairs).toBe(rows / 2);
    expect(fit.labels[rows - 1]).toBe(rows / 2 - 1);
  }, 60_000);
});
