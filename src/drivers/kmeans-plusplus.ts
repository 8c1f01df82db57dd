/**
 * Greedy k-means++ initialisation, as scikit-learn's `_kmeans_plusplus`:
 * the first centre is a uniformly drawn row; each next centre is the best (lowest
 * potential) of `2 + floor(ln k)` candidates drawn with probability proportional
 * to the squared distance to the nearest centre chosen so far.
 *
 * Per centre the backend makes one pass over the data: `candidatePotentials`
 * scores every candidate at once, and `chooseCandidate` adopts the winner's
 * distances from that pass (backends without it run `updateClosest`, a second
 * pass with the same result).
 *
 * With sample weights, as scikit-learn weights it: the first centre is drawn
 * with probability ∝ w, candidates ∝ w · D², and the best candidate is the
 * one with the lowest weighted potential (the job's kernels weight it). Unit
 * weights draw exactly the rows the unweighted code draws.
 */
import type { SeededRandom } from '../common/seeded-random.js';
import type { Matrix } from '../common/matrix.js';
import type { KernelJob } from '../backends/kernel-contract.js';
import { TimeSlicer } from '../common/time-slice.js';

/** Buffers the initialisation reuses across calls (owned by the driver). */
export interface PlusPlusBuffers {
  closest: Float32Array; // rows
}

export function createPlusPlusBuffers(rows: number): PlusPlusBuffers {
  return { closest: new Float32Array(rows) };
}

/**
 * Chooses k initial centres among the rows of `matrix` (already loaded in `job`).
 * `signal` is checked before every centre (and the job checks its own inside
 * each kernel call), so a large k stops promptly.
 * @returns k × cols float32 centres, row-major
 */
export async function kmeansPlusPlus(
  job: KernelJob,
  matrix: Matrix,
  k: number,
  rng: SeededRandom,
  buffers: PlusPlusBuffers,
  signal?: AbortSignal,
  weights?: Float64Array,
): Promise<Float32Array> {
  const slicer = new TimeSlicer(signal);
  const { data, rows, cols } = matrix;
  const centers = new Float32Array(k * cols);
  const trials = 2 + Math.floor(Math.log(k));
  const candidates = new Float32Array(trials * cols);
  const candidateIds = new Int32Array(trials);
  const potentials = new Float64Array(trials);
  const draws = new Float64Array(trials);
  const order = new Int32Array(trials);

  const first = weights ? weightedDraw(weights, rng.nextFloat()) : rng.nextInt(rows);
  centers.set(data.subarray(first * cols, (first + 1) * cols), 0);
  let potential = await job.updateClosest(centers.subarray(0, cols), true);

  for (let c = 1; c < k; c++) {
    await slicer.maybePause();
    await job.readClosest(buffers.closest);
    for (let t = 0; t < trials; t++) {
      draws[t] = rng.nextFloat() * potential;
      order[t] = t;
    }
    // searchsorted(cumsum(closest), draw) for all draws in one sequential scan.
    order.sort((a, b) => draws[a]! - draws[b]!);
    let cum = 0;
    let i = 0;
    const closest = buffers.closest;
    if (weights) {
      // The same scan over w · D²; past the end (rounding), the last row that can be drawn.
      let last = rows - 1;
      while (last > 0 && !(weights[last]! * closest[last]! > 0)) last--;
      for (let q = 0; q < trials; q++) {
        const target = draws[order[q]!]!;
        while (i < rows && cum + weights[i]! * closest[i]! < target) {
          cum += weights[i]! * closest[i]!;
          i++;
        }
        candidateIds[order[q]!] = Math.min(i, last);
      }
    } else {
      for (let q = 0; q < trials; q++) {
        const target = draws[order[q]!]!;
        while (i < rows && cum + closest[i]! < target) {
          cum += closest[i]!;
          i++;
        }
        candidateIds[order[q]!] = Math.min(i, rows - 1);
      }
    }
    for (let t = 0; t < trials; t++) {
      const id = candidateIds[t]!;
      candidates.set(data.subarray(id * cols, (id + 1) * cols), t * cols);
    }
    await job.candidatePotentials(candidates, trials, potentials);
    let best = 0;
    for (let t = 1; t < trials; t++) if (potentials[t]! < potentials[best]!) best = t;
    centers.set(candidates.subarray(best * cols, (best + 1) * cols), c * cols);
    // One pass per centre where the backend keeps the candidates' distances (same bits either way).
    potential = job.chooseCandidate ? await job.chooseCandidate(best) : await job.updateClosest(centers.subarray(c * cols, (c + 1) * cols), false);
  }
  return centers;
}

/**
 * A row drawn with probability ∝ `weights` for a uniform `u` in [0, 1): the
 * first row whose cumulative weight exceeds `u · Σ w`. With unit weights that
 * is `floor(u · rows)`, the row `SeededRandom.nextInt(rows)` gives for the same `u`.
 */
export function weightedDraw(weights: Float64Array, u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  const target = u * total;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w > 0) last = i;
    cum += w;
    // cum grows only at rows of positive weight, so the first row past the target has weight > 0
    if (cum > target) return i;
  }
  return last;
}
