/**
 * Where k-means++ draws land at the two edges that seeded draws never reach
 * (written against the mutants StrykerJS left alive in kmeans-plusplus.ts):
 *
 * - a draw exactly on a cumulative sum takes the row that reaches it, as
 *   scikit-learn's `np.searchsorted(cumsum, draw)` (side 'left') does;
 * - a draw past the end of the distances, which happens when the potential the
 *   job returns (float64) rounds above the sum of the float32 distances it
 *   keeps, takes the last row that can be drawn.
 *
 * The draws are scripted (a stand-in for SeededRandom) and the job is the js
 * backend's, recorded.
 */
import { describe, expect, it } from 'vitest';
import { jsReferenceBackend } from '../src/backends/js-reference/js-reference-backend.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import type { SeededRandom } from '../src/common/seeded-random.js';
import { createPlusPlusBuffers, kmeansPlusPlus } from '../src/drivers/kmeans-plusplus.js';
import { recordingJob } from './helpers/recording-backend.js';

/** Returns `draws` in order from nextFloat; nextInt(n) is floor(u · n), as SeededRandom's. */
function scripted(draws: number[]): SeededRandom {
  const next = (): number => {
    const u = draws.shift();
    if (u === undefined) throw new Error('k-means++ asked for more draws than the test scripted');
    return u;
  };
  return { nextFloat: next, nextInt: (n: number) => Math.floor(next() * n) } as unknown as SeededRandom;
}

async function plusPlus(m: Matrix, draws: number[], options: { weights?: Float64Array; potentialScale?: number } = {}) {
  const { weights, potentialScale } = options;
  const rec = recordingJob(await jsReferenceBackend.createJob(m.data, m.rows, m.cols, weights ? { weights } : {}), potentialScale ? { potentialScale } : {});
  const centres = await kmeansPlusPlus(rec.job, m, 2, scripted(draws), createPlusPlusBuffers(m.rows), undefined, weights);
  // k = 2: two candidates for the second centre
  return { centres: Array.from(centres), candidates: Array.from(rec.potentialCalls[0]!.candidates), potential: rec.potentials[0] };
}

// From the first centre (0, 0), the squared distances are 0, 1, 1, 2: cumulative 0, 1, 2, 4.
const square = matrixFromRows([
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
]);

describe('k-means++ draws at the edges', () => {
  it.each([false, true])('a draw exactly on a cumulative sum takes the row that reaches it, as searchsorted (left) does (unit weights: %s)', async (weighted) => {
    // first centre: row 0 (u = 0); then u = 0.25 of the potential 4 draws 1, reached by row 1 (1, 0), not row 2
    const r = await plusPlus(square, [0, 0.25, 0.25], weighted ? { weights: new Float64Array(4).fill(1) } : {});
    expect(r.potential).toBe(4);
    expect(r.candidates).toEqual([1, 0, 1, 0]);
    expect(r.centres).toEqual([0, 0, 1, 0]);
  });

  it('a draw past the end of the distances takes the last row', async () => {
    // the job says 8 where the distances sum to 4: u = 0.9 draws 7.2
    const r = await plusPlus(square, [0, 0.9, 0.9], { potentialScale: 2 });
    expect(r.potential).toBe(8);
    expect(r.candidates).toEqual([1, 1, 1, 1]);
    expect(r.centres).toEqual([0, 0, 1, 1]);
  });

  it('weighted, it takes the last row of positive weight · distance, skipping a row of weight 0 and a copy of a centre', async () => {
    // w · D² = 0, 1, 1, 0 (weight 0), 0 (a copy of the first centre): the last row that can be drawn is row 2 (0, 1)
    const m = matrixFromRows([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ]);
    const r = await plusPlus(m, [0, 0.9, 0.9], { weights: Float64Array.from([1, 1, 1, 0, 1]), potentialScale: 2 });
    expect(r.potential).toBe(4);
    expect(r.candidates).toEqual([0, 1, 0, 1]);
    expect(r.centres).toEqual([0, 0, 0, 1]);
  });
});
