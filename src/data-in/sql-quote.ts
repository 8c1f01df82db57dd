/** SQL quoting for DuckDB: identifiers (column names with spaces, `$`, quotes…) and string literals (paths). */

/** Quotes a column name as a DuckDB identifier: `"Annual Income (k$)"`; embedded `"` are doubled. */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (a path, a value): `'it''s'`. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
