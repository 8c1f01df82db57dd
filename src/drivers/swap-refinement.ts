/**
 * Swap refinement of a K-Means solution, after Kanungo et al. (2002), "A local
 * search approximation algorithm for k-means clustering", with the new centre
 * chosen by the fast global k-means rule (Likas, Vlassis & Verbeek, 2003).
 *
 * Lloyd cannot move a centre from one dense group of customers to another; a
 * swap can. On a seeded subsample (at most {@link SWAP_SAMPLE} rows, so the
 * cost does not grow with n) we try, for every centre, replacing it with the
 * row that has the largest guaranteed WCSS reduction
 * `b_j = sum_i max(d_i − ||x_i − x_j||², 0)` followed by Lloyd on the
 * subsample, and keep the best swap while it lowers the subsample WCSS. The driver then runs one
 * full Lloyd from the result; the lowest WCSS over all runs wins, so the
 * refinement can only help.
 */
import type { Matrix } from '../common/matrix.js';
import { SeededRandom } from '../common/seeded-random.js';
import { TimeSlicer } from '../common/time-slice.js';

/**
 * Squared distance in float64. The search only proposes an initialisation (the
 * full Lloyd run that follows uses the kernels), so it needs no float32 contract.
 */
function sqDist(a: Float32Array, ao: number, b: Float32Array, bo: number, cols: number): number {
  let acc = 0;
  for (let j = 0; j < cols; j++) {
    const diff = a[ao + j]! - b[bo + j]!;
    acc += diff * diff;
  }
  return acc;
}

/** Rows the swap search works on. */
export const SWAP_SAMPLE = 1024;
/** Rows tried as the new centre of a swap. */
export const SWAP_CANDIDATES = 256;

/** The rows the search works on (rows × cols float32, row-major). */
export interface Sample {
  data: Float32Array;
  rows: number;
  cols: number;
}

function subsample(matrix: Matrix, seed: number): Sample {
  const { data, rows, cols } = matrix;
  if (rows <= SWAP_SAMPLE) return { data, rows, cols };
  const rng = new SeededRandom(seed);
  const out = new Float32Array(SWAP_SAMPLE * cols);
  for (let q = 0; q < SWAP_SAMPLE; q++) {
    const i = rng.nextInt(rows);
    out.set(data.subarray(i * cols, (i + 1) * cols), q * cols);
  }
  return { data: out, rows: SWAP_SAMPLE, cols };
}

/**
 * Relative margin of the pruning test in {@link sampleLloyd}: far above the
 * float64 rounding of the distances (about 1e-15), far below any real gap.
 */
const PRUNE_MARGIN = 1 + 1e-9;

/**
 * Lloyd on the sample; centres updated in place; returns the WCSS.
 *
 * Rows with a label from the previous iteration skip the centres that cannot
 * be nearest (Elkan's lemma): when `||a − c||² > 4 · d(x, a)² · (1 + 1e-9)`
 * for the best centre `a` so far, `d(x, c) > d(x, a)` strictly, with a margin
 * that covers the rounding of every computed distance. The computed minimum,
 * its first index and every sum are therefore exactly those of the full
 * search (test/swap-refinement.test.ts checks the bits against it).
 * Exported for that test.
 */
export function sampleLloyd(s: Sample, centres: Float32Array, k: number, labels: Int32Array, near: Float64Array, maxIter = 100): number {
  const { data, rows, cols } = s;
  const sums = new Float64Array(k * cols);
  const counts = new Float64Array(k);
  // squared centre-to-centre distances of this iteration, times 1/4 (x/4 is exact)
  const half = new Float64Array(k * k);
  let cost = Infinity;
  for (let it = 0; it < maxIter; it++) {
    let changed = 0;
    let total = 0;
    sums.fill(0);
    counts.fill(0);
    for (let a = 0; a < k; a++) {
      for (let c = a + 1; c < k; c++) half[a * k + c] = half[c * k + a] = sqDist(centres, a * cols, centres, c * cols, cols) / 4;
    }
    for (let i = 0; i < rows; i++) {
      let best: number;
      let bestD: number;
      const own = labels[i]!;
      if (own < 0) {
        best = 0;
        bestD = sqDist(data, i * cols, centres, 0, cols);
        for (let c = 1; c < k; c++) {
          const d = sqDist(data, i * cols, centres, c * cols, cols);
          if (d < bestD) {
            bestD = d;
            best = c;
          }
        }
      } else {
        // start from the previous label; keep the first index among equal minima
        best = own;
        bestD = sqDist(data, i * cols, centres, own * cols, cols);
        for (let c = 0; c < k; c++) {
          if (c === own || half[best * k + c]! > bestD * PRUNE_MARGIN) continue;
          const d = sqDist(data, i * cols, centres, c * cols, cols);
          if (d < bestD || (d === bestD && c < best)) {
            bestD = d;
            best = c;
          }
        }
      }
      if (labels[i] !== best) changed++;
      labels[i] = best;
      near[i] = bestD;
      total += bestD;
      counts[best]! += 1;
      for (let j = 0; j < cols; j++) sums[best * cols + j]! += data[i * cols + j]!;
    }
    cost = total;
    if (changed === 0 && it > 0) break;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let j = 0; j < cols; j++) centres[c * cols + j] = sums[c * cols + j]! / counts[c]!;
    }
  }
  return cost;
}

/** Plain D² (k-means++) seeding on the sample. */
function samplePlusPlus(s: Sample, k: number, rng: SeededRandom, near: Float64Array): Float32Array {
  const { data, rows, cols } = s;
  const centres = new Float32Array(k * cols);
  let pick = rng.nextInt(rows);
  centres.set(data.subarray(pick * cols, (pick + 1) * cols), 0);
  let total = 0;
  for (let i = 0; i < rows; i++) total += near[i] = sqDist(data, i * cols, centres, 0, cols);
  for (let c = 1; c < k; c++) {
    let r = rng.nextFloat() * total;
    pick = rows - 1;
    for (let i = 0; i < rows; i++) {
      r -= near[i]!;
      if (r < 0) {
        pick = i;
        break;
      }
    }
    centres.set(data.subarray(pick * cols, (pick + 1) * cols), c * cols);
    total = 0;
    for (let i = 0; i < rows; i++) {
      near[i] = Math.min(near[i]!, sqDist(data, i * cols, centres, c * cols, cols));
      total += near[i]!;
    }
  }
  return centres;
}

/**
 * An initialisation for one more full run: the best of `sampleRuns` k-means++ +
 * Lloyd runs on a subsample (Bradley & Fayyad's refinement of initial points,
 * 1998) and the best full-data solution so far, each improved by centre swaps;
 * whichever has the lowest subsample WCSS.
 *
 * @param centres k × cols best centres found so far on the full data
 * @returns k × cols centres, or `null` when nothing beat `centres` on the
 *   subsample (a full run from them would only find the same solution again)
 * @param signal stops the search (rejects with `AbortedError`); the search runs
 *   on the caller's thread in slices of at most about 8 ms, yielding in between
 */
export async function refineBySwaps(matrix: Matrix, centres: Float32Array, k: number, seed: number, sampleRuns = 20, signal?: AbortSignal): Promise<Float32Array | null> {
  if (k < 2) return null;
  const slicer = new TimeSlicer(signal);
  const s = subsample(matrix, seed);
  const rng = new SeededRandom(seed ^ 0x27d4eb2d);
  const labels = new Int32Array(s.rows);
  const near = new Float64Array(s.rows);
  let best = { centres: Float32Array.from(centres) as Float32Array, cost: Infinity };
  labels.fill(-1);
  best.cost = sampleLloyd(s, best.centres, k, labels, near);
  const baseline = best.cost;
  for (let r = 0; r < sampleRuns; r++) {
    await slicer.maybePause();
    const c = samplePlusPlus(s, k, rng, near);
    labels.fill(-1);
    const cost = sampleLloyd(s, c, k, labels, near, 30);
    if (cost < best.cost) best = { centres: c, cost };
  }
  const refined = await swapSearch(s, best.centres, best.cost, k, k, slicer);
  return refined.cost < baseline * (1 - 1e-9) ? refined.centres : null;
}

async function swapSearch(s: Sample, start: Float32Array, startCost: number, k: number, maxSwaps: number, slicer: TimeSlicer): Promise<{ centres: Float32Array; cost: number }> {
  const { data, rows, cols } = s;
  let current = start;
  let cost = startCost;
  // Every row is scored as a candidate on small samples; evenly spaced rows otherwise.
  const candidates = Math.min(rows, SWAP_CANDIDATES);
  const candidateStride = Math.floor(rows / candidates);
  // Row-to-candidate distances do not change between swaps: compute them once.
  const toCandidate = new Float64Array(candidates * rows);
  for (let q = 0; q < candidates; q++) {
    if ((q & 15) === 0) await slicer.maybePause();
    const a = q * candidateStride;
    for (let i = 0; i < rows; i++) toCandidate[q * rows + i] = sqDist(data, i * cols, data, a * cols, cols);
  }
  const nearest = new Int32Array(rows);
  const first = new Float64Array(rows);
  const second = new Float64Array(rows);
  const trialLabels = new Int32Array(rows);
  const trialNear = new Float64Array(rows);
  for (let attempt = 0; attempt < maxSwaps; attempt++) {
    // Nearest and second-nearest centre of every row: dropping centre c leaves
    // a row of c at its second-nearest distance, and every other row unchanged.
    for (let i = 0; i < rows; i++) {
      let b1 = Infinity;
      let b2 = Infinity;
      let l1 = 0;
      for (let c = 0; c < k; c++) {
        const d = sqDist(data, i * cols, current, c * cols, cols);
        if (d < b1) {
          b2 = b1;
          b1 = d;
          l1 = c;
        } else if (d < b2) b2 = d;
      }
      nearest[i] = l1;
      first[i] = b1;
      second[i] = b2;
    }
    const gains = dropGains(nearest, first, second, toCandidate, rows, candidates, k);
    let bestTrial: { centres: Float32Array; cost: number } | undefined;
    for (let drop = 0; drop < k; drop++) {
      await slicer.maybePause();
      let bestGain = -1;
      let bestRow = 0;
      for (let q = 0; q < candidates; q++) {
        const gain = gains[drop * candidates + q]!;
        if (gain > bestGain) {
          bestGain = gain;
          bestRow = q * candidateStride;
        }
      }
      const trial = Float32Array.from(current);
      trial.set(data.subarray(bestRow * cols, (bestRow + 1) * cols), drop * cols);
      trialLabels.fill(-1);
      const trialCost = sampleLloyd(s, trial, k, trialLabels, trialNear, 30);
      if (!bestTrial || trialCost < bestTrial.cost) bestTrial = { centres: trial, cost: trialCost };
    }
    if (!bestTrial || !(bestTrial.cost < cost * (1 - 1e-9))) break;
    current = bestTrial.centres;
    cost = bestTrial.cost;
  }
  return { centres: current, cost };
}

/**
 * The guaranteed gain of every (dropped centre, candidate) pair, k × candidates:
 * `sum_i max(b_i − ||x_i − x_q||², 0)` with `b_i` the row's second-nearest
 * distance when its nearest centre is the dropped one, else its nearest.
 * One pass over the rows per candidate serves every dropped centre: a row adds
 * the same terms, in the same row order, as a separate pass per centre would,
 * and skips only the zero terms a separate pass skips too (bit-identical).
 * Exported for its test.
 */
export function dropGains(nearest: Int32Array, first: Float64Array, second: Float64Array, toCandidate: Float64Array, rows: number, candidates: number, k: number): Float64Array {
  const gains = new Float64Array(k * candidates);
  const acc = new Float64Array(k);
  for (let q = 0; q < candidates; q++) {
    acc.fill(0);
    const o = q * rows;
    for (let i = 0; i < rows; i++) {
      const t = toCandidate[o + i]!;
      const v2 = second[i]! - t;
      if (!(v2 > 0)) continue; // first <= second, so the row adds nothing for any dropped centre
      const a = nearest[i]!;
      acc[a]! += v2;
      const v1 = first[i]! - t;
      if (v1 > 0) for (let drop = 0; drop < k; drop++) if (drop !== a) acc[drop]! += v1;
    }
    for (let drop = 0; drop < k; drop++) gains[drop * candidates + q] = acc[drop]!;
  }
  return gains;
}
