/**
 * A fitted K-Means model that labels new customers: it applies the scaler the
 * model was fitted with, then the nearest-centroid rule of the kernels.
 */
import type { Matrix } from '../common/matrix.js';
import { predictNearest, type KMeansResult } from '../drivers/kmeans.js';
import type { Scaler } from '../preparation/scaling.js';

export class KMeansModel {
  /**
   * @param result a result of `fitKMeans` (centroids in the scaled space it was fitted on)
   * @param scaler the scaler of the fit (from `prepareFeatures`), so `predict` takes rows in original units
   */
  constructor(
    readonly result: Pick<KMeansResult, 'k' | 'centroids' | 'cols'>,
    readonly scaler?: Scaler,
  ) {}

  /**
   * Segment of each row of `rows` (n × cols, original units when the model has a scaler).
   * @example
   * ```ts
   * const { matrix, scaler } = prepareFeatures(table, { scale: 'standard' });
   * const model = new KMeansModel(await fitKMeans(matrix, { k: 5 }), scaler);
   * model.predict(matrixFromRows([[70, 80]])); // Int32Array [segment]
   * ```
   */
  predict(rows: Matrix): Int32Array {
    const scaled = this.scaler ? this.scaler.transform(rows) : rows;
    return predictNearest(this.result.centroids, this.result.k, scaled);
  }

  /** Centroids in original units (k × cols, row-major). */
  centroidsInOriginalUnits(): Float64Array {
    return this.scaler ? this.scaler.inverseTransform(this.result.centroids, this.result.cols) : Float64Array.from(this.result.centroids);
  }
}
