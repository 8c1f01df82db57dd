/**
 * The plain-TypeScript reference backend: the oracle every other backend must
 * match. It follows the numeric contract of kernel-contract.ts literally and
 * favours clarity over speed.
 *
 * It runs on the caller's thread, cut into slices: every 256 rows a pass asks
 * its {@link TimeSlicer} whether it has held the event loop for 8 ms, and if
 * so awaits one turn of it (setImmediate) and checks the job's AbortSignal.
 * Slicing changes no arithmetic: accumulators live across the pause.
 */
import { SegmentaError } from '../../common/errors.js';
import { TimeSlicer } from '../../common/time-slice.js';
import {
  ROW_BLOCK_SIZE,
  squaredDistanceF32,
  type AssignStats,
  type BackendAvailability,
  type JobOptions,
  type KernelBackend,
  type KernelJob,
  type LinkageNearest,
} from '../kernel-contract.js';
import { ReferenceLinkage } from '../reference-linkage.js';

/** A pass checks its time slice every this many + 1 rows. */
const SLICE_ROWS_MASK = 255;
/** candidatePotentials keeps every candidate's closest distances up to this many values (64 MB). */
const KEEP_MAX_VALUES = 16 << 20;

class JsReferenceJob implements KernelJob {
  readonly backend = 'js';
  readonly exact = true;
  private readonly labels: Int32Array;
  private readonly distances: Float32Array;
  private readonly closest: Float32Array;
  /** Block partials of the last assign pass (see KernelJob.readAssignBlocks). */
  private blockSums = new Float64Array(0);
  private blockWcss: Float64Array;
  private blockCounts = new Float64Array(0);
  private readonly linkage: ReferenceLinkage;
  private readonly slicer: TimeSlicer;
  private lastK = 0;
  /** count × rows: each candidate's min(closest, d²) of the last candidatePotentials call. */
  private keep = new Float32Array(0);
  private lastCandidates: { candidates: Float32Array; potentials: Float64Array; kept: boolean } | undefined;

  constructor(
    private readonly data: Float32Array,
    readonly rows: number,
    readonly dims: number,
    signal?: AbortSignal,
    private readonly weights?: Float64Array,
  ) {
    this.slicer = new TimeSlicer(signal);
    this.labels = new Int32Array(rows).fill(-1);
    this.distances = new Float32Array(rows);
    this.closest = new Float32Array(rows);
    this.linkage = new ReferenceLinkage(data, rows, dims, weights);
    this.blockWcss = new Float64Array(Math.ceil(rows / ROW_BLOCK_SIZE));
  }

  private scratch(k: number): void {
    if (this.blockCounts.length < k) {
      this.blockSums = new Float64Array(this.blockWcss.length * k * this.dims);
      this.blockCounts = new Float64Array(k);
    }
  }

  async assign(centroids: Float32Array, k: number, sums: Float64Array, counts: Float64Array): Promise<AssignStats> {
    const { data, dims, rows, labels, distances, weights } = this;
    this.scratch(k);
    const bCounts = this.blockCounts;
    const kd = k * dims;
    this.lastK = k;
    sums.fill(0, 0, kd);
    counts.fill(0, 0, k);
    let wcss = 0;
    let changed = 0;
    for (let start = 0, b = 0; start < rows; start += ROW_BLOCK_SIZE, b++) {
      const end = Math.min(rows, start + ROW_BLOCK_SIZE);
      const bSums = this.blockSums.subarray(b * kd, (b + 1) * kd);
      bSums.fill(0);
      bCounts.fill(0, 0, k);
      let bWcss = 0;
      for (let i = start; i < end; i++) {
        if ((i & SLICE_ROWS_MASK) === 0) await this.slicer.maybePause();
        const off = i * dims;
        let best = 0;
        let bestDist = squaredDistanceF32(data, off, centroids, 0, dims);
        for (let c = 1; c < k; c++) {
          const dist = squaredDistanceF32(data, off, centroids, c * dims, dims);
          if (dist < bestDist) {
            bestDist = dist;
            best = c;
          }
        }
        if (labels[i] !== best) changed++;
        labels[i] = best;
        distances[i] = bestDist;
        const so = best * dims;
        if (weights) {
          const w = weights[i]!;
          bWcss += w * bestDist;
          bCounts[best]! += w;
          for (let j = 0; j < dims; j++) bSums[so + j]! += w * data[off + j]!;
        } else {
          bWcss += bestDist;
          bCounts[best]! += 1;
          for (let j = 0; j < dims; j++) bSums[so + j]! += data[off + j]!;
        }
      }
      this.blockWcss[b] = bWcss;
      wcss += bWcss;
      for (let c = 0; c < k; c++) counts[c]! += bCounts[c]!;
      for (let q = 0; q < kd; q++) sums[q]! += bSums[q]!;
    }
    return { wcss, changed };
  }

  async readAssignBlocks(wcss: Float64Array, sums: Float64Array): Promise<void> {
    wcss.set(this.blockWcss);
    sums.set(this.blockSums.subarray(0, this.blockWcss.length * this.lastK * this.dims));
  }

  /**
   * One pass over the rows for all candidates (row outer, candidate inner):
   * each candidate's potential is still summed row by row inside each block
   * and block by block, and each candidate's `min(closest, d²)` per row is
   * kept for {@link chooseCandidate}.
   */
  async candidatePotentials(candidates: Float32Array, count: number, out: Float64Array): Promise<void> {
    const { data, dims, rows, closest, weights } = this;
    const keep = count * rows <= KEEP_MAX_VALUES ? this.keepBuffer(count * rows) : undefined;
    this.lastCandidates = undefined;
    const bPot = new Float64Array(count);
    out.fill(0, 0, count);
    for (let start = 0; start < rows; start += ROW_BLOCK_SIZE) {
      const end = Math.min(rows, start + ROW_BLOCK_SIZE);
      bPot.fill(0);
      for (let i = start; i < end; i++) {
        if ((i & SLICE_ROWS_MASK) === 0) await this.slicer.maybePause();
        const cl = closest[i]!;
        for (let t = 0; t < count; t++) {
          const dist = squaredDistanceF32(data, i * dims, candidates, t * dims, dims);
          const m = dist < cl ? dist : cl;
          if (keep) keep[t * rows + i] = m;
          bPot[t]! += weights ? weights[i]! * m : m;
        }
      }
      for (let t = 0; t < count; t++) out[t]! += bPot[t]!;
    }
    this.lastCandidates = { candidates: candidates.slice(0, count * dims), potentials: Float64Array.from(out.subarray(0, count)), kept: keep !== undefined };
  }

  /** Takes a candidate of the last candidatePotentials: its kept distances, or an update pass when they were not kept. */
  async chooseCandidate(index: number): Promise<number> {
    const last = this.lastCandidates;
    this.lastCandidates = undefined;
    if (!last || index < 0 || index >= last.potentials.length) {
      throw new SegmentaError('INVALID_OPTION', `chooseCandidate(${index}): no such candidate in the last candidatePotentials call`);
    }
    const { rows, dims } = this;
    if (!last.kept) return this.updateClosest(last.candidates.subarray(index * dims, (index + 1) * dims), false);
    this.closest.set(this.keep.subarray(index * rows, (index + 1) * rows));
    return last.potentials[index]!;
  }

  private keepBuffer(length: number): Float32Array {
    if (this.keep.length < length) this.keep = new Float32Array(length);
    return this.keep;
  }

  async updateClosest(center: Float32Array, reset: boolean): Promise<number> {
    const { data, dims, rows, closest, weights } = this;
    if (this.lastCandidates) this.lastCandidates.kept = false; // the kept distances no longer start from closest
    let pot = 0;
    for (let start = 0; start < rows; start += ROW_BLOCK_SIZE) {
      const end = Math.min(rows, start + ROW_BLOCK_SIZE);
      let bPot = 0;
      for (let i = start; i < end; i++) {
        if ((i & SLICE_ROWS_MASK) === 0) await this.slicer.maybePause();
        const dist = squaredDistanceF32(data, i * dims, center, 0, dims);
        const cl = reset || dist < closest[i]! ? dist : closest[i]!;
        closest[i] = cl;
        bPot += weights ? weights[i]! * cl : cl;
      }
      pot += bPot;
    }
    return pot;
  }

  async pairwiseDistances(rowStart: number, rowEnd: number, out: Float64Array): Promise<void> {
    const { data, dims, rows } = this;
    let o = 0;
    for (let i = rowStart; i < rowEnd; i++) {
      await this.slicer.maybePause();
      for (let j = i + 1; j < rows; j++) {
        out[o++] = Math.sqrt(squaredDistanceF32(data, i * dims, data, j * dims, dims));
      }
    }
  }

  async linkageStart(kind: 'ward' | 'single'): Promise<void> {
    this.linkage.start(kind);
  }
  async wardNearest(x: number, prev: number): Promise<LinkageNearest> {
    return this.linkage.wardNearest(x, prev);
  }
  async wardMerge(x: number, y: number): Promise<void> {
    this.linkage.wardMerge(x, y);
  }
  async primStep(x: number): Promise<LinkageNearest> {
    return this.linkage.primStep(x);
  }

  async readClosest(out: Float32Array): Promise<void> {
    out.set(this.closest);
  }
  async readLabels(out: Int32Array): Promise<void> {
    out.set(this.labels);
  }
  async readDistances(out: Float32Array): Promise<void> {
    out.set(this.distances);
  }
  async dispose(): Promise<void> {}
}

/** The reference backend (`--backend js`). Always available; lowest priority. */
export const jsReferenceBackend: KernelBackend = {
  name: 'js',
  priority: 0,
  description: 'plain TypeScript reference kernels (caller\'s thread, 8 ms slices): the oracle the others must match',
  async checkAvailability(): Promise<BackendAvailability> {
    return { available: true, detail: 'always available' };
  },
  async createJob(data: Float32Array, rows: number, dims: number, options?: JobOptions): Promise<KernelJob> {
    return new JsReferenceJob(data, rows, dims, options?.signal, options?.weights);
  },
};
