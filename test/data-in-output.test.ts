import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAtomicWriter, withAtomicWriter, writeFileAtomic } from '../src/common/atomic-file.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { writeLabelsCsv } from '../src/results/write-labels-csv.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'segmenta-out-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  return mkdtemp(join(root, 'd-'));
}

describe('atomic file writes', () => {
  it('writeFileAtomic writes the whole content and leaves no temporary file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'a.json');
    await writeFileAtomic(path, '{"ok":true}');
    expect(await readFile(path, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a failing streaming write leaves no partial file and keeps the previous one', async () => {
    const dir = await freshDir();
    const path = join(dir, 'out.csv');
    await writeFile(path, 'previous\n');
    await expect(
      withAtomicWriter(path, async (w) => {
        await w.write('header\n');
        await w.write(Buffer.from('row 1\n'));
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await readFile(path, 'utf8')).toBe('previous\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);

    const fresh = join(dir, 'new.csv');
    await expect(
      withAtomicWriter(fresh, async (w) => {
        await w.write('partial');
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('the destination appears only on commit; abort removes the temporary file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'x.txt');
    const w = await openAtomicWriter(path);
    await w.write('hello ');
    await w.write('world');
    expect(readdirSync(dir)).toEqual([w.tempPath.split('/').pop()]);
    await w.commit();
    expect(await readFile(path, 'utf8')).toBe('hello world');
    const w2 = await openAtomicWriter(join(dir, 'y.txt'));
    await w2.write('never');
    await w2.abort();
    await w2.abort();
    expect(readdirSync(dir)).toEqual(['x.txt']);
  });

  it('refuses a missing directory with FILE_NOT_FOUND', async () => {
    await expect(writeFileAtomic(join(root, 'missing', 'a.txt'), 'x')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('writeLabelsCsv', () => {
  it('writes <idColumn>,segment then one row per input row, in order', async () => {
    const dir = await freshDir();
    const path = join(dir, 'labels.csv');
    await writeLabelsCsv(path, 'CustomerID', new Float64Array([3, 1, 2, 10.5]), new Int32Array([2, 0, 1, 4]));
    expect(await readFile(path, 'utf8')).toBe('CustomerID,segment\n3,2\n1,0\n2,1\n10.5,4\n');
    expect(readdirSync(dir)).toEqual(['labels.csv']);
  });

  it('CSV-quotes string ids and the header when needed, and reads back', async () => {
    const dir = await freshDir();
    const path = join(dir, 'labels.csv');
    const ids = ['A-1', 'B,2', 'say "hi"', 'multi\nline', 'plain'];
    await writeLabelsCsv(path, 'Customer, id', ids, [0, 1, 2, 3, 4]);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('"Customer, id",segment\n')).toBe(true);
    expect(text).toContain('"B,2",1\n');
    expect(text).toContain('"say ""hi""",2\n');
    const table = await readCustomerTable(path, { features: ['segment'] });
    expect(table.ids).toEqual(ids);
    expect(Array.from(table.matrix.data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('handles many rows (several chunks) in order', async () => {
    const dir = await freshDir();
    const path = join(dir, 'many.csv');
    const n = 200_003;
    const ids = new Float64Array(n).map((_, i) => i + 1);
    const labels = new Int32Array(n).map((_, i) => i % 7);
    await writeLabelsCsv(path, 'id', ids, labels);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(n + 1);
    for (let i = 0; i < n; i += 9973) expect(lines[i + 1]).toBe(`${i + 1},${i % 7}`);
    expect(lines[n]).toBe(`${n},${(n - 1) % 7}`);
  });

  it('refuses mismatched lengths with SHAPE_MISMATCH and writes nothing', async () => {
    const dir = await freshDir();
    await expect(writeLabelsCsv(join(dir, 'l.csv'), 'id', new Float64Array(3), new Int32Array(2))).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});
