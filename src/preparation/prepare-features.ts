/**
 * One call from a read table to the matrix the clustering drivers take.
 */
import type { Matrix } from '../common/matrix.js';
import type { CustomerTable } from '../common/customer-table.js';
import { fitScaler, parseScalingMethod } from './scaling.js';
import type { Scaler, ScalingMethod } from './scaling.js';

/** Options of {@link prepareFeatures}. */
export interface PrepareFeaturesOptions {
  /** Scaling method. Default `'none'` (as the CLI's `--scale`). */
  scale?: ScalingMethod;
  /** Scale `table.matrix` in place instead of copying it (saves rows × cols × 4 bytes). Default false. */
  inPlace?: boolean;
}

/** What {@link prepareFeatures} returns. */
export interface PreparedFeatures {
  /** rows × featureNames.length float32, scaled, row-major, input order. */
  matrix: Matrix;
  /** The fitted scaler: use `inverseTransform` to bring centroids back to original units. */
  scaler: Scaler;
  /** Column names of `matrix` (one-hot columns included), same as `table.featureNames`. */
  featureNames: string[];
}

/**
 * Fits a scaler on the table's matrix (original units) and applies it.
 *
 * @param table a table from `readCustomerTable`
 * @param options `scale` (default `'none'`), `inPlace` (default false)
 * @throws SegmentaError `INVALID_OPTION` for an unknown scaling method
 * @example
 * const table = await readCustomerTable('customers.csv', { features: ['Annual Income (k$)', 'Spending Score (1-100)'] });
 * const { matrix, scaler } = prepareFeatures(table, { scale: 'standard' });
 * // … fit K-Means on `matrix`, then:
 * const centresInK$ = scaler.inverseTransform(centroids, matrix.cols);
 */
export function prepareFeatures(table: Pick<CustomerTable, 'matrix' | 'featureNames'>, options: PrepareFeaturesOptions = {}): PreparedFeatures {
  const method = parseScalingMethod(options.scale ?? 'none');
  const scaler = fitScaler(table.matrix, method);
  const matrix = scaler.transform(table.matrix, { inPlace: options.inPlace ?? false });
  return { matrix, scaler, featureNames: [...table.featureNames] };
}
