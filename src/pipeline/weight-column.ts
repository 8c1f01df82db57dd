/**
 * Sample weights from a column of the customer table (`--weight COLUMN`,
 * `spec.weight`): read beside the features (never clustered on), checked cell
 * by cell, each problem one line naming the row and the value.
 */
import { SegmentaError } from '../common/errors.js';
import type { CustomerTable } from '../common/customer-table.js';

/**
 * The weight column of `table` (read as a kept column) as float64 weights.
 *
 * @param path the file, for messages
 * @throws SegmentaError `NON_NUMERIC_VALUE` (text), `MISSING_VALUE` (empty), `NON_FINITE_VALUE`
 *   (NaN/Infinity), `INVALID_OPTION` (negative; all zero; zero with Ward), naming row and value
 */
export function weightsFromColumn(table: Pick<CustomerTable, 'kept'>, column: string, path: string, positive = false): Float64Array {
  const values = table.kept[column];
  if (values === undefined) throw new SegmentaError('UNKNOWN_COLUMN', `${path}: the weight column '${column}' was not read`, { column });
  const where = (i: number): string => `${path}: row ${i + 1}, weight column '${column}'`;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!;
    let v: number;
    if (typeof raw === 'string') {
      const text = raw.trim();
      if (text === '') throw new SegmentaError('MISSING_VALUE', `${where(i)} is empty (missing weight)`, { row: i + 1, column });
      v = Number(text);
      if (Number.isNaN(v) && !/^[-+]?nan$/i.test(text)) {
        throw new SegmentaError('NON_NUMERIC_VALUE', `${where(i)}: '${raw}' is not a number`, { row: i + 1, column, value: raw });
      }
    } else {
      v = raw;
      if (Number.isNaN(v)) throw new SegmentaError('MISSING_VALUE', `${where(i)} is empty or NaN (missing weight)`, { row: i + 1, column });
    }
    if (!Number.isFinite(v)) throw new SegmentaError('NON_FINITE_VALUE', `${where(i)}: '${String(raw)}' is not a finite number`, { row: i + 1, column, value: raw });
    if (v < 0) throw new SegmentaError('INVALID_OPTION', `${where(i)}: ${v} is negative; weights must be >= 0`, { row: i + 1, column, value: v });
    if (positive && v === 0) {
      throw new SegmentaError('INVALID_OPTION', `${where(i)}: 0; Ward linkage needs weights > 0 (leave the row out instead)`, { row: i + 1, column, value: v });
    }
    out[i] = v;
  }
  if (!out.some((w) => w > 0)) {
    throw new SegmentaError('INVALID_OPTION', `${path}: every weight in column '${column}' is 0; at least one customer needs a positive weight`, { column });
  }
  return out;
}
