/**
 * The reference implementation of the matrix-free linkage kernels of the
 * contract (`linkageStart`, `wardNearest`, `wardMerge`, `primStep`): plain
 * loops over the rows in slot order, exactly as the contract words them. The
 * js backend runs it, and so does the tfjs backend (on the CPU: these scans
 * are O(rows × dims) per call, with nothing for a tensor runtime to batch).
 */
import { SegmentaError } from '../common/errors.js';
import { mergedCoordinate, squaredDistanceF32, wardCost, type LinkageNearest } from './kernel-contract.js';

export class ReferenceLinkage {
  private kind: 'ward' | 'single' | undefined;
  /** Ward: rows × dims float64 centroids; sizes (0 = dead). */
  private cent = new Float64Array(0);
  private size = new Float64Array(0);
  /** Single: best squared distance (float32) per row; open flags. */
  private best = new Float32Array(0);
  private open = new Uint8Array(0);

  constructor(
    private readonly data: Float32Array,
    private readonly rows: number,
    private readonly dims: number,
    /** The job's sample weights: a row's starting Ward size (default 1). */
    private readonly weights?: Float64Array,
  ) {}

  start(kind: 'ward' | 'single'): void {
    this.kind = kind;
    if (kind === 'ward') {
      this.cent = Float64Array.from(this.data.subarray(0, this.rows * this.dims));
      this.size = this.weights ? Float64Array.from(this.weights) : new Float64Array(this.rows).fill(1);
      this.best = new Float32Array(0);
      this.open = new Uint8Array(0);
    } else {
      this.best = new Float32Array(this.rows).fill(Infinity);
      this.open = new Uint8Array(this.rows).fill(1);
      this.cent = new Float64Array(0);
      this.size = new Float64Array(0);
    }
  }

  private expect(kind: 'ward' | 'single'): void {
    if (this.kind !== kind) throw new SegmentaError('INVALID_OPTION', `linkage kernels: call linkageStart('${kind}') first`);
  }

  private cost(x: number, i: number): number {
    const d = this.dims;
    const nx = this.size[x]!;
    const ni = this.size[i]!;
    // Two single rows: the contract's float32 distance, as in the matrix.
    if (nx === 1 && ni === 1) return wardCost(1, 1, squaredDistanceF32(this.data, i * d, this.data, x * d, d));
    const c = this.cent;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const df = c[i * d + j]! - c[x * d + j]!;
      sq += df * df;
    }
    return wardCost(nx, ni, sq);
  }

  wardNearest(x: number, prev: number): LinkageNearest {
    this.expect('ward');
    let y = prev;
    let current = prev >= 0 ? this.cost(x, prev) : Infinity;
    for (let i = 0; i < this.rows; i++) {
      if (i === x || this.size[i] === 0) continue;
      const c = this.cost(x, i);
      if (c < current) {
        current = c;
        y = i;
      }
    }
    return { index: y, value: current };
  }

  wardMerge(x: number, y: number): void {
    this.expect('ward');
    const d = this.dims;
    const nx = this.size[x]!;
    const ny = this.size[y]!;
    for (let j = 0; j < d; j++) this.cent[y * d + j] = mergedCoordinate(nx, this.cent[x * d + j]!, ny, this.cent[y * d + j]!);
    this.size[y] = nx + ny;
    this.size[x] = 0;
  }

  primStep(x: number): LinkageNearest {
    this.expect('single');
    const { data, dims, best, open } = this;
    open[x] = 0;
    let y = -1;
    let current = Infinity;
    for (let i = 0; i < this.rows; i++) {
      if (open[i] === 0) continue;
      const dist = squaredDistanceF32(data, i * dims, data, x * dims, dims);
      if (dist < best[i]!) best[i] = dist;
      if (best[i]! < current) {
        current = best[i]!;
        y = i;
      }
    }
    return { index: y, value: Math.sqrt(current) };
  }
}
