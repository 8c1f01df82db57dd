/**
 * Atomic writes seen through a hard link: a hard link to the old destination
 * names the old inode, so it must still hold the old bytes after the write
 * (the new content arrives by rename as a new inode). A writer that writes
 * straight onto the destination changes the old inode, and the link shows it.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { link, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAtomicWriter, temporaryPathFor, withAtomicWriter, writeFileAtomic } from '../src/common/atomic-file.js';
import { SegmentaError } from '../src/common/errors.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'segmenta-atomic-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory holding `out.txt` ("old bytes") and a hard link `keep.txt` to it. */
async function linkedOldFile(): Promise<{ dir: string; path: string; linked: string; ino: number }> {
  const dir = await mkdtemp(join(root, 'd-'));
  const path = join(dir, 'out.txt');
  const linked = join(dir, 'keep.txt');
  await writeFile(path, 'old bytes\n');
  await link(path, linked);
  return { dir, path, linked, ino: (await stat(path)).ino };
}

describe('atomic writes leave the old inode untouched (checked through a hard link)', () => {
  it('writeFileAtomic: the link keeps the old bytes; the path names a new inode with the new bytes', async () => {
    const { dir, path, linked, ino } = await linkedOldFile();
    await writeFileAtomic(path, 'new bytes, longer than before\n');
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
    expect(await readFile(path, 'utf8')).toBe('new bytes, longer than before\n');
    expect((await stat(path)).ino).not.toBe(ino);
    expect((await stat(linked)).ino).toBe(ino);
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'out.txt']);
  });

  it('writeFileAtomic with bytes (Uint8Array) behaves the same', async () => {
    const { path, linked } = await linkedOldFile();
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
  });

  it('openAtomicWriter: the destination keeps the old bytes while chunks are written, until commit', async () => {
    const { path, linked, ino } = await linkedOldFile();
    const w = await openAtomicWriter(path);
    expect(w.path).toBe(path);
    expect(dirname(w.tempPath)).toBe(dirname(path));
    await w.write('chunk 1\n');
    await w.write(Buffer.from('chunk 2\n'));
    expect(await readFile(path, 'utf8')).toBe('old bytes\n');
    expect((await stat(path)).ino).toBe(ino);
    expect(await readFile(w.tempPath, 'utf8')).toBe('chunk 1\nchunk 2\n');
    await w.commit();
    expect(await readFile(path, 'utf8')).toBe('chunk 1\nchunk 2\n');
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
    await expect(w.write('late')).rejects.toThrow(/already closed/);
    await expect(w.commit()).rejects.toThrow(/already closed/);
    await w.abort(); // a no-op after commit
    expect(await readFile(path, 'utf8')).toBe('chunk 1\nchunk 2\n');
  });

  it('withAtomicWriter: commit replaces the path only; a failure leaves both names on the old inode', async () => {
    const { dir, path, linked, ino } = await linkedOldFile();
    await expect(
      withAtomicWriter(path, async (w) => {
        await w.write('half');
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect((await stat(path)).ino).toBe(ino);
    expect(await readFile(path, 'utf8')).toBe('old bytes\n');
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'out.txt']);
    const result = await withAtomicWriter(path, async (w) => {
      await w.write('whole');
      return 42;
    });
    expect(result).toBe(42);
    expect(await readFile(path, 'utf8')).toBe('whole');
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'out.txt']);
  });

  it('a failed rename (destination is a directory) removes the temporary file and leaves the directory', async () => {
    const dir = await mkdtemp(join(root, 'd-'));
    const target = await mkdtemp(join(dir, 'sub-'));
    await expect(writeFileAtomic(target, 'x')).rejects.toMatchObject({ code: 'OUTPUT_REFUSED' });
    await expect(openAtomicWriter(target)).rejects.toMatchObject({ code: 'OUTPUT_REFUSED' });
    expect(readdirSync(dir)).toEqual([basename(target)]);
    // The destination turns into a directory while the writer runs: commit refuses it and removes the temporary file.
    const later = join(dir, 'later.csv');
    const w = await openAtomicWriter(later);
    await w.write('y');
    mkdirSync(later);
    await expect(w.commit()).rejects.toMatchObject({ code: 'OUTPUT_REFUSED' });
    expect(readdirSync(dir).sort()).toEqual([basename(target), 'later.csv'].sort());
  });

  it('temporary paths are hidden, unique and beside the destination', () => {
    const a = temporaryPathFor('/some/dir/report.html');
    const b = temporaryPathFor('/some/dir/report.html');
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe('/some/dir');
    expect(basename(a)).toMatch(new RegExp(`^\\.report\\.html\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
    expect(temporaryPathFor('/d/x', '.part')).toMatch(/\.part$/);
  });

  it('names the missing directory, and refuses a parent that is a file, with typed errors', async () => {
    const dir = await mkdtemp(join(root, 'd-'));
    const missing = join(dir, 'nope', 'a.txt');
    const e1 = await writeFileAtomic(missing, 'x').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(SegmentaError);
    expect(e1).toMatchObject({ code: 'FILE_NOT_FOUND', message: `cannot write '${missing}': directory '${join(dir, 'nope')}' does not exist` });
    await writeFile(join(dir, 'file'), '');
    const under = join(dir, 'file', 'a.txt');
    const e2 = await openAtomicWriter(under).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(SegmentaError);
    expect(e2).toMatchObject({ code: 'OUTPUT_REFUSED', message: `cannot write '${under}': '${join(dir, 'file')}' is not a directory` });
    expect(readdirSync(dir)).toEqual(['file']);
  });
});
