import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SegmentaError } from '../src/common/errors.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { generateCustomers, writeGeneratedCustomers } from '../src/data-in/generate-customers.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import type { ReadTableOptions } from '../src/data-in/read-customer-table.js';
import { tempDir, writeCsv } from './helpers/temp-dir.js';

const dir = tempDir('segmenta-read-');

async function readError(path: string, options: ReadTableOptions): Promise<SegmentaError> {
  try {
    await readCustomerTable(path, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SegmentaError);
    const e = error as SegmentaError;
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error(`expected reading ${path} to fail`);
}

const NUMERIC = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)', 'Visits per Month', 'Avg Basket ($)'];

describe('readCustomerTable on generated data', () => {
  const rows = 5000;
  const seed = 7;
  const expected = generateCustomers({ rows, seed, features: 5 });

  for (const ext of ['csv', 'parquet'] as const) {
    it(`reads ${ext} in input order with exact values, ids and kept columns`, async () => {
      const path = join(dir, `gen.${ext}`);
      await writeGeneratedCustomers(path, { rows, seed, features: 5 });
      const table = await readCustomerTable(path, { features: NUMERIC, keep: ['Gender', 'Age'] });
      expect(table.rows).toBe(rows);
      expect(table.columns).toEqual(expected.columnNames);
      expect(table.idColumn).toBe('CustomerID');
      expect(table.ids).toBeInstanceOf(Float64Array);
      expect(Array.from(table.ids as Float64Array)).toEqual(Array.from(expected.ids));
      expect(table.featureNames).toEqual(NUMERIC);
      expect(table.matrix.rows).toBe(rows);
      expect(table.matrix.cols).toBe(5);
      expect(table.matrix.data.length).toBe(rows * 5);
      for (let i = 0; i < rows; i += 1) {
        for (let j = 0; j < 5; j++) {
          const want = Math.fround(expected.numeric[j]![i]!);
          if (table.matrix.data[i * 5 + j] !== want) {
            throw new Error(`row ${i + 1} col ${NUMERIC[j]}: got ${table.matrix.data[i * 5 + j]}, want ${want}`);
          }
        }
      }
      expect(table.kept['Gender']).toEqual(expected.gender);
      expect(Array.from(table.kept['Age'] as Float64Array)).toEqual(Array.from(expected.numeric[0]!));
    });
  }

  it('one-hot encodes a categorical feature in place, levels sorted', async () => {
    const path = join(dir, 'gen-enc.csv');
    await writeGeneratedCustomers(path, { rows: 300, seed: 3 });
    const g = generateCustomers({ rows: 300, seed: 3 });
    const table = await readCustomerTable(path, { features: ['Age', 'Gender', 'Spending Score (1-100)'], encode: ['Gender'] });
    expect(table.featureNames).toEqual(['Age', 'Gender=Female', 'Gender=Male', 'Spending Score (1-100)']);
    expect(table.levels).toEqual({ Gender: ['Female', 'Male'] });
    for (let i = 0; i < 300; i++) {
      const row = Array.from(table.matrix.data.subarray(i * 4, i * 4 + 4));
      const female = g.gender[i] === 'Female';
      expect(row).toEqual([g.numeric[0]![i], female ? 1 : 0, female ? 0 : 1, g.numeric[2]![i]]);
    }
  });

  it('appends an encode column that is not listed in features', async () => {
    const path = join(dir, 'gen-enc2.csv');
    await writeGeneratedCustomers(path, { rows: 50, seed: 4 });
    const table = await readCustomerTable(path, { features: ['Age'], encode: ['Gender'] });
    expect(table.featureNames).toEqual(['Age', 'Gender=Female', 'Gender=Male']);
  });

  it('reports progress and honours an abort signal', async () => {
    const path = join(dir, 'gen-progress.csv');
    await writeGeneratedCustomers(path, { rows: 1000, seed: 5 });
    const events: ProgressEvent[] = [];
    await readCustomerTable(path, { features: ['Age'], onProgress: (e) => events.push(e) });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.kind === 'phase' && e.phase === 'read')).toBe(true);
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const e = await readError(path, { features: ['Age'], signal: controller.signal });
    expect(e.code).toBe('ABORTED');
  });
});

describe('readCustomerTable on hand-written CSVs', () => {
  it('handles header names with spaces, $, parentheses, quotes and commas', async () => {
    const path = writeCsv(
      dir,
      'odd-names.csv',
      'Customer Key,"Spend, total ($)",Income (k$),"Say ""hi"""\nA-1,10.5,15,1\n"B,2",20,16,2\nC 3,30.25,17,3\n',
    );
    const table = await readCustomerTable(path, { features: ['Spend, total ($)', 'Income (k$)', 'Say "hi"'] });
    expect(table.columns).toEqual(['Customer Key', 'Spend, total ($)', 'Income (k$)', 'Say "hi"']);
    expect(table.ids).toEqual(['A-1', 'B,2', 'C 3']);
    expect(Array.from(table.matrix.data)).toEqual([10.5, 15, 1, 20, 16, 2, 30.25, 17, 3]);
  });

  it('reads a feature whose first sampled values are integers and later ones decimals', async () => {
    const lines = ['id,x'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},${i <= 25_000 ? i : i + 0.5}`);
    const path = writeCsv(dir, 'late-decimal.csv', lines);
    const table = await readCustomerTable(path, { features: ['x'] });
    expect(table.rows).toBe(30_000);
    expect(table.matrix.data[29_999]).toBe(30_000.5);
  });

  it('reads gzip-compressed CSV and tab-separated files', async () => {
    const { gzipSync } = await import('node:zlib');
    const lines = ['id,a,b'];
    for (let i = 1; i <= 70_000; i++) lines.push(`${i},${i % 13},${(i % 5) / 2}`);
    const gz = join(dir, 'data.csv.gz');
    await writeFile(gz, gzipSync(lines.join('\n') + '\n'));
    const table = await readCustomerTable(gz, { features: ['b', 'a'] });
    expect(table.rows).toBe(70_000);
    expect(Array.from(table.matrix.data.subarray(0, 4))).toEqual([0.5, 1, 1, 2]);
    expect((table.ids as Float64Array)[69_999]).toBe(70_000);
    lines[60_001] = '60001,oops,1';
    const badGz = join(dir, 'bad.csv.gz');
    await writeFile(badGz, gzipSync(lines.join('\n') + '\n'));
    const e = await readError(badGz, { features: ['b', 'a'] });
    expect(e.code).toBe('NON_NUMERIC_VALUE');
    expect(e.message).toContain("row 60001, column 'a': 'oops' is not a number");
    const tsv = writeCsv(dir, 'data.tsv', 'id\tIncome (k$)\n1\t15\n2\t16\n');
    expect(Array.from((await readCustomerTable(tsv, { features: ['Income (k$)'] })).matrix.data)).toEqual([15, 16]);
  });

  it('FILE_NOT_FOUND names the path', async () => {
    const path = join(dir, 'nope.csv');
    const e = await readError(path, { features: ['Age'] });
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toContain(path);
  });

  it('UNSUPPORTED_FORMAT for another extension', async () => {
    const path = writeCsv(dir, 'data.xlsx', 'a,b\n1,2\n');
    const e = await readError(path, { features: ['a'] });
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain('.xlsx');
  });

  it('UNKNOWN_COLUMN lists the available columns', async () => {
    const path = writeCsv(dir, 'cols.csv', 'id,Age,Income (k$)\n1,20,30\n');
    for (const options of [{ features: ['Agee'] }, { features: ['Age'], keep: ['Region'] }, { features: ['Age'], encode: ['Sex'] }]) {
      const e = await readError(path, options);
      expect(e.code).toBe('UNKNOWN_COLUMN');
      expect(e.message).toContain("'Age', 'Income (k$)'");
      expect(e.details['available']).toEqual(['id', 'Age', 'Income (k$)']);
    }
  });

  it('NON_NUMERIC_VALUE names the 1-based data row, the column and the value', async () => {
    const lines = ['id,Age,Income'];
    for (let i = 1; i <= 40; i++) lines.push(`${i},${i === 17 ? 'abc' : 20 + i},${30 + i}`);
    const path = writeCsv(dir, 'bad-age.csv', lines);
    const e = await readError(path, { features: ['Income', 'Age'] });
    expect(e.code).toBe('NON_NUMERIC_VALUE');
    expect(e.message).toContain("row 17, column 'Age': 'abc' is not a number");
    expect(e.details).toMatchObject({ row: 17, column: 'Age', value: 'abc' });
  });

  it('NON_NUMERIC_VALUE far beyond the sniffer sample still names the right row', async () => {
    const lines = ['id,score'];
    for (let i = 1; i <= 60_000; i++) lines.push(`${i},${i === 54_321 ? '12x' : i % 100}`);
    const path = writeCsv(dir, 'late-bad.csv', lines);
    const e = await readError(path, { features: ['score'] });
    expect(e.code).toBe('NON_NUMERIC_VALUE');
    expect(e.message).toContain("row 54321, column 'score': '12x' is not a number");
  });

  it('reads ids as strings when a late id is not a number', async () => {
    const lines = ['id,score'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i === 29_000 ? 'X-29000' : i},${i % 7}`);
    const path = writeCsv(dir, 'late-id.csv', lines);
    const table = await readCustomerTable(path, { features: ['score'] });
    expect(table.rows).toBe(30_000);
    expect(Array.isArray(table.ids)).toBe(true);
    expect((table.ids as string[])[28_999]).toBe('X-29000');
    expect((table.ids as string[])[0]).toBe('1');
  });

  it('MISSING_VALUE names the row and column', async () => {
    const path = writeCsv(dir, 'missing.csv', 'id,Age,Income\n1,20,30\n2,21,31\n3,,32\n4,23,33\n');
    const e = await readError(path, { features: ['Age', 'Income'] });
    expect(e.code).toBe('MISSING_VALUE');
    expect(e.message).toContain("row 3, column 'Age'");
    expect(e.details).toMatchObject({ row: 3, column: 'Age' });
  });

  it('MISSING_VALUE in an encoded column', async () => {
    const path = writeCsv(dir, 'missing-cat.csv', 'id,Gender,Age\n1,Male,20\n2,,21\n3,Female,22\n');
    const e = await readError(path, { features: ['Age', 'Gender'], encode: ['Gender'] });
    expect(e.code).toBe('MISSING_VALUE');
    expect(e.message).toContain("row 2, column 'Gender'");
  });

  it('NON_FINITE_VALUE for NaN and Inf cells', async () => {
    for (const [bad, row] of [
      ['nan', 2],
      ['inf', 3],
      ['-Infinity', 1],
    ] as const) {
      const values = ['1.5', '2.5', '3.5'];
      values[row - 1] = bad;
      const path = writeCsv(dir, `nonfinite-${row}.csv`, `id,x\n${values.map((v, i) => `${i + 1},${v}`).join('\n')}\n`);
      const e = await readError(path, { features: ['x'] });
      expect(e.code).toBe('NON_FINITE_VALUE');
      expect(e.message).toContain(`row ${row}, column 'x'`);
    }
  });

  it('NON_FINITE_VALUE for a value beyond float32', async () => {
    const path = writeCsv(dir, 'huge.csv', 'id,x\n1,1\n2,1e39\n');
    const e = await readError(path, { features: ['x'] });
    expect(e.code).toBe('NON_FINITE_VALUE');
    expect(e.message).toContain("row 2, column 'x'");
  });

  it('EMPTY_TABLE for a header-only file and an empty file', async () => {
    const headerOnly = writeCsv(dir, 'header-only.csv', 'id,Age\n');
    expect((await readError(headerOnly, { features: ['Age'] })).code).toBe('EMPTY_TABLE');
    const empty = writeCsv(dir, 'empty.csv', '');
    expect((await readError(empty, { features: ['Age'] })).code).toBe('EMPTY_TABLE');
  });

  it('a categorical feature not listed in encode is refused with a hint to --encode', async () => {
    const path = writeCsv(dir, 'cat.csv', 'id,Gender,Age\n1,Male,20\n2,Female,21\n3,Male,22\n');
    const e = await readError(path, { features: ['Age', 'Gender'] });
    expect(e.code).toBe('NON_NUMERIC_VALUE');
    expect(e.message).toContain("column 'Gender' is categorical");
    expect(e.message).toContain('--encode');
    expect(e.details['categorical']).toBe(true);
  });

  it('INVALID_OPTION for an empty or duplicated feature list', async () => {
    const path = writeCsv(dir, 'opts.csv', 'id,a\n1,2\n');
    expect((await readError(path, { features: [] })).code).toBe('INVALID_OPTION');
    expect((await readError(path, { features: ['a', 'a'] })).code).toBe('INVALID_OPTION');
  });

  it('reads a Parquet file with a non-numeric text feature as a precise error', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const path = join(dir, 'text.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM (VALUES (1, '10'), (2, '11'), (3, 'x1'), (4, '13')) t("id", "v")) TO '${path.replace(/'/g, "''")}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const e = await readError(path, { features: ['v'] });
    expect(e.code).toBe('NON_NUMERIC_VALUE');
    expect(e.message).toContain("row 3, column 'v': 'x1' is not a number");
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const mallPath = resolve(here, '../../shared/data/Mall_Customers.csv');
const hasMall = existsSync(mallPath);
if (!hasMall) console.warn(`skipping the Mall_Customers.csv tests: ${mallPath} is absent (the shared data folder is not mounted)`);

describe.skipIf(!hasMall)('Mall_Customers.csv (shared sample data)', () => {
  it('reads 200 rows with ids 1..200 and one-hot Gender', async () => {
    const table = await readCustomerTable(mallPath, {
      features: ['Annual Income (k$)', 'Spending Score (1-100)', 'Gender'],
      encode: ['Gender'],
      keep: ['Age'],
    });
    expect(table.rows).toBe(200);
    expect(table.idColumn).toBe('CustomerID');
    expect(Array.from(table.ids as Float64Array)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(table.featureNames).toEqual(['Annual Income (k$)', 'Spending Score (1-100)', 'Gender=Female', 'Gender=Male']);
    expect(table.matrix.data.length).toBe(800);
    // every row has exactly one of the two gender columns set
    for (let i = 0; i < 200; i++) expect(table.matrix.data[i * 4 + 2]! + table.matrix.data[i * 4 + 3]!).toBe(1);
    expect((table.kept['Age'] as Float64Array).length).toBe(200);
  });
});

describe('readCustomerTable allocate option', () => {
  it('fills the caller-allocated matrix (numeric and one-hot features) with the same values', async () => {
    const p = writeCsv(dir, 'alloc.csv', 'id,Gender,Age,Score\n1,Male,30,5\n2,Female,40,6\n3,Male,50,7\n');
    const calls: [number, number][] = [];
    const given: Float32Array[] = [];
    const allocate = (rows: number, cols: number): Float32Array => {
      calls.push([rows, cols]);
      const a = new Float32Array(rows * cols);
      given.push(a);
      return a;
    };
    const plain = await readCustomerTable(p, { features: ['Age', 'Score'] });
    const mine = await readCustomerTable(p, { features: ['Age', 'Score'], allocate });
    expect(given).toContain(mine.matrix.data);
    expect(Array.from(mine.matrix.data)).toEqual(Array.from(plain.matrix.data));
    const encoded = await readCustomerTable(p, { features: ['Age', 'Gender'], encode: ['Gender'], allocate });
    expect(given).toContain(encoded.matrix.data);
    expect(calls.at(-1)).toEqual([3, 3]);
    expect(Array.from(encoded.matrix.data)).toEqual([30, 0, 1, 40, 1, 0, 50, 0, 1]);
  });
});
