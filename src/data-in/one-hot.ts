/**
 * One-hot encoding of categorical columns: one 0/1 feature per level, levels
 * sorted, named `Column=Level` (e.g. `Gender=Female`, `Gender=Male`).
 */
import { SegmentaError } from '../common/errors.js';

/**
 * Sorts category levels deterministically: numerically when every level is a
 * finite number (`'2' < '10'`), otherwise by UTF-16 code units (locale-independent).
 *
 * @example
 * sortLevels(['Male', 'Female']); // ['Female', 'Male']
 * sortLevels(['10', '9', '1']);   // ['1', '9', '10']
 */
export function sortLevels(levels: readonly string[]): string[] {
  const copy = [...levels];
  const numeric = copy.length > 0 && copy.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  if (numeric) return copy.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  return copy.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Feature names of a one-hot encoded column: `Column=Level` for each level, in order. */
export function oneHotNames(column: string, levels: readonly string[]): string[] {
  return levels.map((level) => `${column}=${level}`);
}

/** A categorical column as sorted levels plus one level index per row. */
export interface CategoryCodes {
  /** Distinct values, sorted with {@link sortLevels}. */
  levels: string[];
  /** Index into `levels` for each row (length = rows). */
  codes: Int32Array;
}

/**
 * Turns codes numbered in first-seen order into codes of the sorted levels.
 * Used by readers that meet levels while streaming.
 *
 * @param seen levels in the order they were first met
 * @param codes first-seen codes, rewritten in place to sorted-level codes
 * @param rows how many entries of `codes` are used
 */
export function sortCategoryCodes(seen: readonly string[], codes: Int32Array, rows: number): CategoryCodes {
  const levels = sortLevels(seen);
  const position = new Map(levels.map((l, i) => [l, i] as const));
  const remap = Int32Array.from(seen, (l) => position.get(l)!);
  for (let i = 0; i < rows; i++) codes[i] = remap[codes[i]!]!;
  return { levels, codes: rows === codes.length ? codes : codes.slice(0, rows) };
}

/**
 * Codes a categorical column.
 *
 * @param values one string per row; empty strings are refused (`MISSING_VALUE`)
 * @param column the column name, for error messages
 * @example
 * encodeCategories(['Male', 'Female', 'Male'], 'Gender'); // { levels: ['Female', 'Male'], codes: [1, 0, 1] }
 */
export function encodeCategories(values: ArrayLike<string>, column: string): CategoryCodes {
  const n = values.length;
  const index = new Map<string, number>();
  const seen: string[] = [];
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === '' || v === undefined || v === null) {
      throw new SegmentaError('MISSING_VALUE', `row ${i + 1}, column '${column}' is empty (missing value)`, { row: i + 1, column });
    }
    let code = index.get(v);
    if (code === undefined) {
      code = seen.length;
      index.set(v, code);
      seen.push(v);
    }
    codes[i] = code;
  }
  return sortCategoryCodes(seen, codes, n);
}

/**
 * Writes one-hot columns into a row-major float32 matrix: for row i, column
 * `offset + codes[i]` is set to 1 and the other `levelCount - 1` columns to 0.
 *
 * @param target rows × stride float32, row-major
 * @param stride number of columns of `target`
 * @param offset first of the `levelCount` one-hot columns
 */
export function writeOneHot(codes: Int32Array, levelCount: number, target: Float32Array, stride: number, offset: number, rows = codes.length): void {
  for (let i = 0; i < rows; i++) {
    const base = i * stride + offset;
    for (let l = 0; l < levelCount; l++) target[base + l] = 0;
    target[base + codes[i]!] = 1;
  }
}

/**
 * One-hot encodes one categorical column into a `rows × levels` float32 matrix.
 *
 * @example
 * const { names, data } = oneHotEncode(['Male', 'Female'], 'Gender');
 * names; // ['Gender=Female', 'Gender=Male']
 * data;  // Float32Array [0, 1, 1, 0]
 */
export function oneHotEncode(values: ArrayLike<string>, column: string): { names: string[]; levels: string[]; data: Float32Array; rows: number; cols: number } {
  const { levels, codes } = encodeCategories(values, column);
  const data = new Float32Array(codes.length * levels.length);
  writeOneHot(codes, levels.length, data, levels.length, 0);
  return { names: oneHotNames(column, levels), levels, data, rows: codes.length, cols: levels.length };
}
