/**
 * The customer table in memory: what data-in reads and what preparation,
 * insights and the report take. A type only, shared by the layers.
 */
import type { Matrix } from './matrix.js';

/** A customer table in memory. */
export interface CustomerTable {
  /** The path it was read from, as given. */
  path: string;
  /** Number of data rows. */
  rows: number;
  /** Every column name of the file, in file order. */
  columns: string[];
  /** Name of the first column, used as the customer id. */
  idColumn: string;
  /** Ids in input order: Float64Array when the first column is numeric, else strings. */
  ids: Float64Array | string[];
  /** Names of the matrix columns: the features, one-hot columns expanded in place (`Gender=Female`, `Gender=Male`). */
  featureNames: string[];
  /** rows × featureNames.length float32, original units, row-major, input order. */
  matrix: Matrix;
  /** Columns requested with `keep`: numeric ones as Float64Array (NULL → NaN), others as strings (NULL → ''). */
  kept: Record<string, string[] | Float64Array>;
  /** Sorted levels of each one-hot encoded column. */
  levels: Record<string, string[]>;
}
