/**
 * Tables from memory: a Buffer, a string or a stream of CSV or Parquet bytes
 * read exactly as the same file would be, errors naming the caller's label
 * and never the private file the reader used, which is gone afterwards.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { readTable } from '../src/data-in/read-from-memory.js';
import { customersFile, tempDir } from './helpers/temp-dir.js';

const FEATURES = ['Age', 'Annual Income (k$)', 'Spending Score (1-100)', 'Gender'];
const OPTIONS = { features: FEATURES, encode: ['Gender'], keep: ['Gender'] };
const SHM = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const leftovers = (): string[] => readdirSync(SHM).filter((f) => f.startsWith('segmenta-read-'));

const dir = tempDir('segmenta-memory-');
const csvPath = customersFile(dir, 'customers.csv', { rows: 5000, seed: 2 });
const parquetPath = customersFile(dir, 'customers.parquet', { rows: 5000, seed: 2 });

describe('readTable from memory', () => {
  it('a Buffer, a string and a stream of CSV give the table the file gives, named as the caller labelled it', async () => {
    const fromFile = await readCustomerTable(csvPath, OPTIONS);
    const bytes = readFileSync(csvPath);
    const before = leftovers();
    const fromBuffer = await readTable({ data: bytes, name: "upload 'customers.csv'" }, OPTIONS);
    const fromString = await readTable({ data: bytes.toString('utf8'), name: 'pasted text' }, OPTIONS);
    const chunks = [bytes.subarray(0, 1000), bytes.subarray(1000, 70_000), bytes.subarray(70_000)];
    const fromStream = await readTable({ data: Readable.from(chunks), name: 'stream' }, OPTIONS);
    for (const t of [fromBuffer, fromString, fromStream]) {
      expect(t.matrix.data).toEqual(fromFile.matrix.data);
      expect(t.featureNames).toEqual(fromFile.featureNames);
      expect(t.ids).toEqual(fromFile.ids);
      expect(t.kept).toEqual(fromFile.kept);
    }
    expect(fromBuffer.path).toBe("upload 'customers.csv'");
    expect(leftovers()).toEqual(before);
  });

  it('Parquet bytes, by name or by their PAR1 magic', async () => {
    const fromFile = await readCustomerTable(parquetPath, OPTIONS);
    const bytes = readFileSync(parquetPath);
    const named = await readTable({ data: bytes, name: "upload 'customers.parquet'" }, OPTIONS);
    const sniffed = await readTable({ data: bytes, name: 'upload #7' }, OPTIONS);
    expect(named.matrix.data).toEqual(fromFile.matrix.data);
    expect(sniffed.matrix.data).toEqual(fromFile.matrix.data);
  });

  it('errors name the upload, never the private file, and the private file is removed', async () => {
    const before = leftovers();
    const bad = `CustomerID,Age,Annual Income (k$),Spending Score (1-100),Gender\n1,20,15,39,Male\n2,abc,16,81,Female\n`;
    const name = "upload 'customers.csv'";
    const e1 = await readTable({ data: bad, name }, OPTIONS).catch((e: unknown) => e as Error & { code: string; details: Record<string, unknown> });
    expect(e1.code).toBe('NON_NUMERIC_VALUE');
    expect(e1.message).toBe(`${name}: row 2, column 'Age': 'abc' is not a number`);
    expect(e1.details['path']).toBe(name);
    const e2 = await readTable({ data: bad, name }, { features: ['Tenure'] }).catch((e: unknown) => e as Error & { code: string });
    expect(e2.code).toBe('UNKNOWN_COLUMN');
    expect(e2.message).toMatch(/^upload 'customers.csv' has no column 'Tenure'; available columns: 'CustomerID', 'Age'/);
    const e3 = await readTable({ data: '', name }, OPTIONS).catch((e: unknown) => e as Error & { code: string });
    expect(e3.code).toBe('EMPTY_TABLE');
    expect(e3.message).toBe(`${name} is empty: no header and no data rows`);
    for (const e of [e1, e2, e3]) expect(e.message).not.toMatch(/segmenta-read-|\/dev\/shm|\/tmp\//);
    expect(leftovers()).toEqual(before);
  });

  it('a stream that fails, bad arguments and an aborted signal give typed errors', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(readTable({ data: failing, name: 'upload x' }, OPTIONS)).rejects.toThrow(/^cannot read upload x: the stream failed: connection reset$/);
    await expect(readTable({ data: 42 as unknown as string, name: 'upload x' }, OPTIONS)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(readTable({ data: 'a,b\n1,2\n', name: '' }, OPTIONS)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const ac = new AbortController();
    ac.abort();
    await expect(readTable({ data: readFileSync(csvPath), name: 'upload' }, { ...OPTIONS, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
