/**
 * Feature scaling: `x' = (x - offset[j]) / scale[j]` per column j.
 *
 * - `standard`: offset = mean, scale = population standard deviation (as
 *   scikit-learn's StandardScaler, ddof = 0); a constant column gets scale 1.
 * - `minmax`: offset = min, scale = max - min, mapping to [0, 1] (as
 *   MinMaxScaler); a constant column gets scale 1.
 * - `none`: offset 0, scale 1.
 *
 * Statistics are computed in float64 (two passes for the standard deviation).
 */
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { foldColumnRange, foldColumnSums, foldSquaredDeviations } from '../common/column-folds.js';
import { validateFiniteMatrix } from '../common/validate-matrix.js';

/** How features are scaled before clustering. */
export type ScalingMethod = 'none' | 'standard' | 'minmax';

/** Every accepted {@link ScalingMethod}. */
export const SCALING_METHODS: readonly ScalingMethod[] = Object.freeze(['none', 'standard', 'minmax']);

/** Checks a scaling method name; throws `INVALID_OPTION` listing the allowed values. */
export function parseScalingMethod(value: unknown): ScalingMethod {
  if (typeof value === 'string' && (SCALING_METHODS as readonly string[]).includes(value)) return value as ScalingMethod;
  throw new SegmentaError('INVALID_OPTION', `unknown scaling method '${String(value)}'; use one of: ${SCALING_METHODS.join(', ')}`, {
    option: 'scale',
    value,
    allowed: [...SCALING_METHODS],
  });
}

/** The parameters of a fitted scaler, as plain JSON. */
export interface ScalerJSON {
  method: ScalingMethod;
  /** Per column: subtracted first (mean, min, or 0). */
  offset: number[];
  /** Per column: divided by next (std, max - min, or 1; never 0). */
  scale: number[];
}

/** Options of {@link Scaler.transform}. */
export interface TransformOptions {
  /** Overwrite the input matrix instead of returning a new one. Default false. */
  inPlace?: boolean;
}

/** A fitted per-column affine scaling. */
export interface Scaler {
  readonly method: ScalingMethod;
  /** Number of columns it was fitted on. */
  readonly cols: number;
  /** Per column offset (float64, length cols). */
  readonly offset: Float64Array;
  /** Per column scale (float64, length cols, never 0). */
  readonly scale: Float64Array;
  /**
   * Scales a rows × cols matrix: `(x - offset) / scale`, computed in float64
   * and stored as float32. Returns a new matrix unless `inPlace` is set.
   */
  transform(matrix: Matrix, options?: TransformOptions): Matrix;
  /**
   * Maps scaled values back to original units: `x * scale + offset`.
   * `values` is row-major with `cols` columns (e.g. k × cols centroids).
   *
   * @returns a new Float64Array of the same length
   */
  inverseTransform(values: Float32Array | Float64Array, cols: number): Float64Array;
  /** The parameters as JSON (method, offset[], scale[]). */
  toJSON(): ScalerJSON;
}

class AffineScaler implements Scaler {
  readonly cols: number;

  constructor(
    readonly method: ScalingMethod,
    readonly offset: Float64Array,
    readonly scale: Float64Array,
  ) {
    this.cols = offset.length;
  }

  transform(matrix: Matrix, options: TransformOptions = {}): Matrix {
    const { rows, cols } = matrix;
    if (cols !== this.cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `the scaler was fitted on ${this.cols} columns but the matrix has ${cols}`, { expected: this.cols, actual: cols });
    }
    if (matrix.data.length !== rows * cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `matrix data has ${matrix.data.length} values, expected ${rows} × ${cols}`);
    }
    const src = matrix.data;
    const dst = options.inPlace ? src : new Float32Array(rows * cols);
    const { offset, scale } = this;
    if (this.method === 'none') {
      if (dst !== src) dst.set(src);
    } else {
      const n = src.length;
      for (let p = 0; p < n; p += cols) {
        for (let j = 0; j < cols; j++) dst[p + j] = (src[p + j]! - offset[j]!) / scale[j]!;
      }
    }
    return options.inPlace ? matrix : { data: dst, rows, cols };
  }

  inverseTransform(values: Float32Array | Float64Array, cols: number): Float64Array {
    if (cols !== this.cols || values.length % cols !== 0) {
      throw new SegmentaError(
        'SHAPE_MISMATCH',
        `inverseTransform: the scaler has ${this.cols} columns; got ${values.length} values with cols = ${cols}`,
        { expected: this.cols, actual: cols, length: values.length },
      );
    }
    const out = new Float64Array(values.length);
    for (let p = 0; p < values.length; p++) {
      const j = p % cols;
      out[p] = values[p]! * this.scale[j]! + this.offset[j]!;
    }
    return out;
  }

  toJSON(): ScalerJSON {
    return { method: this.method, offset: Array.from(this.offset), scale: Array.from(this.scale) };
  }
}

/**
 * Fits a scaler on a rows × cols float32 matrix.
 *
 * @param matrix the data (original units), rows ≥ 1
 * @param method `'standard'` (mean / population std), `'minmax'` (to [0, 1]) or `'none'`
 * @throws SegmentaError `INVALID_OPTION` for an unknown method, `INVALID_DATA` for anything but
 *   a `{ data: Float32Array, rows, cols }` matrix, `EMPTY_TABLE` for 0 rows,
 *   `SHAPE_MISMATCH` for 0 columns or data of the wrong length, `NON_FINITE_VALUE` when a value
 *   is NaN or infinite (every method, `none` included)
 * @example
 * const scaler = fitScaler(table.matrix, 'standard');
 * const scaled = scaler.transform(table.matrix);           // new matrix
 * const centres = scaler.inverseTransform(centroids, scaled.cols); // back to original units
 * JSON.stringify(scaler); // {"method":"standard","offset":[…],"scale":[…]}
 */
export function fitScaler(matrix: Matrix, method: ScalingMethod): Scaler {
  const m = parseScalingMethod(method);
  // Every value finite (float32, so float64 column sums and ranges cannot overflow).
  validateFiniteMatrix(matrix, 'matrix');
  const { data, rows, cols } = matrix;
  if (m === 'none') return new AffineScaler(m, new Float64Array(cols), new Float64Array(cols).fill(1));

  if (m === 'standard') {
    const mean = columnMeans(foldColumnSums(data, cols, new Float64Array(cols)), rows);
    return standardScaler(mean, foldSquaredDeviations(data, cols, mean, new Float64Array(cols)), rows);
  }

  // minmax
  const min = new Float64Array(cols).fill(Infinity);
  const max = new Float64Array(cols).fill(-Infinity);
  foldColumnRange(data, cols, min, max);
  return minMaxScaler(min, max);
}

/** Column means from column sums (float64): `sum[j] / rows`. */
export function columnMeans(sum: Float64Array, rows: number): Float64Array {
  return sum.map((s) => s / rows);
}

/**
 * The `standard` scaler from column means and summed squared deviations
 * (see common/column-folds.ts): scale = population std, 1 for a constant column.
 */
export function standardScaler(mean: Float64Array, squaredDeviations: Float64Array, rows: number): Scaler {
  const scale = new Float64Array(mean.length).fill(1);
  for (let j = 0; j < mean.length; j++) {
    const sd = Math.sqrt(squaredDeviations[j]! / rows);
    scale[j] = sd > 0 && Number.isFinite(sd) ? sd : 1;
  }
  return new AffineScaler('standard', Float64Array.from(mean), scale);
}

/** The `minmax` scaler from column minima and maxima: offset = min, scale = max - min (1 for a constant column). */
export function minMaxScaler(min: Float64Array, max: Float64Array): Scaler {
  const offset = Float64Array.from(min);
  const scale = new Float64Array(min.length).fill(1);
  for (let j = 0; j < min.length; j++) {
    const range = max[j]! - min[j]!;
    scale[j] = range > 0 ? range : 1;
  }
  return new AffineScaler('minmax', offset, scale);
}

/**
 * Rebuilds a scaler from {@link Scaler.toJSON} output.
 *
 * @example
 * const again = scalerFromJSON(JSON.parse(JSON.stringify(scaler)));
 */
export function scalerFromJSON(json: ScalerJSON): Scaler {
  const method = parseScalingMethod(json?.method);
  if (!Array.isArray(json.offset) || !Array.isArray(json.scale) || json.offset.length !== json.scale.length) {
    throw new SegmentaError('INVALID_OPTION', 'scaler JSON needs offset[] and scale[] of equal length');
  }
  const offset = Float64Array.from(json.offset);
  const scale = Float64Array.from(json.scale);
  for (let j = 0; j < scale.length; j++) {
    if (!Number.isFinite(offset[j]!) || !Number.isFinite(scale[j]!) || scale[j] === 0) {
      throw new SegmentaError('INVALID_OPTION', `scaler JSON column ${j + 1}: offset ${offset[j]} / scale ${scale[j]} must be finite, scale non-zero`);
    }
  }
  return new AffineScaler(method, offset, scale);
}
