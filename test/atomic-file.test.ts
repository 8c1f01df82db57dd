/**
 * Atomic writes seen through a hard link: a hard link to the old destination
 * names the old inode, so it must still hold the old bytes after the write
 * (the new content arrives by rename as a new inode). A writer that writes
 * straight onto the destination changes the old inode, and the link shows it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  liveTemporaryFiles,
  openAtomicWriter,
  registerTemporaryPath,
  removeTemporaryFilesSync,
  resolveOutputPath,
  temporaryPathFor,
  withAtomicWriter,
  writeFileAtomic,
} from '../src/common/atomic-file.js';
import { SegmentaError } from '../src/common/errors.js';
import { thrown } from './helpers/thrown.js';
import { mountTmpfs, tmpfsRefusal } from './helpers/tmpfs.js';

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
    await w.write('naïve, 5 €\n'); // strings as UTF-8
    await w.write(new Uint8Array(0));
    expect(await readFile(path, 'utf8')).toBe('old bytes\n');
    expect((await stat(path)).ino).toBe(ino);
    expect(await readFile(w.tempPath, 'utf8')).toBe('chunk 1\nchunk 2\nnaïve, 5 €\n');
    await w.commit();
    expect(await readFile(path, 'utf8')).toBe('chunk 1\nchunk 2\nnaïve, 5 €\n');
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
    await expect(w.write('late')).rejects.toThrow(/already closed/);
    await expect(w.commit()).rejects.toThrow(/already closed/);
    await w.abort(); // a no-op after commit
    expect(await readFile(path, 'utf8')).toBe('chunk 1\nchunk 2\nnaïve, 5 €\n');
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

  it('a destination that is a directory is refused before any temporary file is made', async () => {
    const dir = await mkdtemp(join(root, 'd-'));
    const target = await mkdtemp(join(dir, 'sub-'));
    await expect(writeFileAtomic(target, 'x')).rejects.toMatchObject({ code: 'OUTPUT_REFUSED' });
    await expect(openAtomicWriter(target)).rejects.toMatchObject({ code: 'OUTPUT_REFUSED' });
    expect(readdirSync(dir)).toEqual([basename(target)]);
  });

  it('temporary paths are hidden, unique and beside the destination', () => {
    const a = temporaryPathFor('/some/dir/report.html');
    const b = temporaryPathFor('/some/dir/report.html');
    expect(a).not.toBe(b);
    // 32 random bits each: 200 names clash with a chance of about 5e-6
    expect(new Set(Array.from({ length: 200 }, () => temporaryPathFor('/some/dir/report.html'))).size).toBe(200);
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

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A fresh empty directory under the test root. */
const freshDir = (): Promise<string> => mkdtemp(join(root, 'd-'));

describe('temporary files are registered while they live (the signal handler removes them)', () => {
  it('a writer\'s temporary file is listed while it lives and forgotten after commit, abort or failure', async () => {
    const dir = await freshDir();
    const committed = await openAtomicWriter(join(dir, 'a.txt'));
    const aborted = await openAtomicWriter(join(dir, 'b.txt'));
    expect(liveTemporaryFiles()).toEqual(expect.arrayContaining([committed.tempPath, aborted.tempPath]));
    expect(committed.tempPath).toBe(resolve(committed.tempPath));
    await committed.commit();
    await aborted.abort();
    expect(liveTemporaryFiles()).not.toContain(committed.tempPath);
    expect(liveTemporaryFiles()).not.toContain(aborted.tempPath);
    expect(readdirSync(dir)).toEqual(['a.txt']);
    // after abort, the writer is closed for good
    await expect(aborted.commit()).rejects.toThrow(`atomic writer for '${join(dir, 'b.txt')}' is already closed`);
    await expect(aborted.write('x')).rejects.toThrow(/already closed/);
  });

  it('removeTemporaryFilesSync removes every live temporary file and directory and returns their paths; the writer then fails naming its path', async () => {
    const dir = await freshDir();
    const path = join(dir, 'out.txt');
    await writeFile(path, 'old bytes\n');
    const w = await openAtomicWriter(path);
    await w.write('half');
    const other = await openAtomicWriter(join(dir, 'other.txt'));
    // a temporary directory with files in it (as the report's output directory uses)
    const tempDir = join(dir, '.building.tmp');
    mkdirSync(join(tempDir, 'inner'), { recursive: true });
    await writeFile(join(tempDir, 'inner', 'x.html'), '<p>');
    registerTemporaryPath(join(dir, '.', '.building.tmp')); // registered by its absolute, normalized path
    const removed = removeTemporaryFilesSync();
    expect(removed.sort()).toEqual([w.tempPath, other.tempPath, tempDir].sort());
    expect(readdirSync(dir)).toEqual(['out.txt']);
    expect(liveTemporaryFiles()).toEqual([]);
    expect(removeTemporaryFilesSync()).toEqual([]);
    // the interrupted writer cannot put its file in place: a typed error naming the user's path, the old bytes stay
    const e = await thrown(() => w.commit());
    expect(e).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write '${path}': no such file or directory (ENOENT)` });
    expect(await readFile(path, 'utf8')).toBe('old bytes\n');
    // aborting one whose file is already gone is quiet
    await expect(other.abort()).resolves.toBeUndefined();
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('a temporary file that cannot even be created (its name too long for PATH_MAX) is reported against the path, and not left registered', async () => {
    // A directory whose path plus '/a' is exactly 4,095 bytes (PATH_MAX less its NUL): the destination's name is
    // legal, the temporary file's (the same directory, a longer name) is not.
    let dir = await freshDir();
    while (dir.length < 4093) dir = join(dir, 's'.repeat(Math.min(200, 4093 - dir.length - 1)));
    expect(dir.length).toBe(4093);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'a');
    const e = await thrown(() => writeFileAtomic(path, 'x'));
    expect(e).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write '${path}': file name too long (ENAMETOOLONG)` });
    expect(liveTemporaryFiles()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('temporary file names', () => {
  it('characters other than letters, digits and . @ % + = - become _', () => {
    expect(basename(temporaryPathFor('/d/my report*?"\'$.csv'))).toMatch(new RegExp(`^\\.my_report_____\\.csv\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
    expect(basename(temporaryPathFor('/d/a.b@c%d+e=f-g_1'))).toMatch(/^\.a\.b@c%d\+e=f-g_1\./);
  });

  it('keep only the first 80 characters of a long name, so a 250-character file name can still be written', async () => {
    const dir = await freshDir();
    const name = `${'n'.repeat(246)}.csv`;
    expect(basename(temporaryPathFor(join(dir, name)))).toMatch(new RegExp(`^\\.${'n'.repeat(80)}\\.${process.pid}\\.`));
    await writeFileAtomic(join(dir, name), 'long\n');
    expect(readdirSync(dir)).toEqual([name]);
    expect(await readFile(join(dir, name), 'utf8')).toBe('long\n');
  });
});

describe('resolveOutputPath refuses what is not a file to replace, naming it', () => {
  it('an empty, blank or missing path', async () => {
    for (const path of ['', '   ', undefined, 7]) {
      const e = await thrown(() => resolveOutputPath(path as unknown as string));
      expect(e).toMatchObject({ code: 'OUTPUT_REFUSED', message: 'the output path is empty; name a file to write', details: { path } });
    }
  });

  it('a path with a NUL byte (shown as \\0)', async () => {
    const e = await thrown(() => resolveOutputPath('out\0.csv'));
    expect(e).toMatchObject({ code: 'OUTPUT_REFUSED', message: "the output path 'out\\0.csv' contains a NUL byte", details: { path: 'out\0.csv' } });
  });

  it('a directory, a character device, a block device, a FIFO or a socket, by kind; each stays what it was', async () => {
    const dir = await freshDir();
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const socket = join(dir, 'socket');
    const server = createServer();
    await new Promise<void>((done) => server.listen(socket, done));
    // Never aim a test at the system's devices as root: as root, private nodes (a null device, a loop device that
    // does not exist); otherwise /dev/null, which a non-root process cannot replace, and no block device.
    const kinds: [string, string, (s: Awaited<ReturnType<typeof stat>>) => boolean][] = [
      [dir, 'a directory', (s) => s.isDirectory()],
      [fifo, 'a FIFO (named pipe)', (s) => s.isFIFO()],
      [socket, 'a socket', (s) => s.isSocket()],
    ];
    if (isRoot) {
      expect(spawnSync('mknod', ['-m', '666', join(dir, 'null'), 'c', '1', '3']).status).toBe(0);
      expect(spawnSync('mknod', ['-m', '600', join(dir, 'block'), 'b', '7', '250']).status).toBe(0);
      kinds.push([join(dir, 'null'), 'a character device', (s) => s.isCharacterDevice()], [join(dir, 'block'), 'a block device', (s) => s.isBlockDevice()]);
    } else {
      kinds.push(['/dev/null', 'a character device', (s) => s.isCharacterDevice()]);
    }
    try {
      for (const [path, kind, isKind] of kinds) {
        const message = `cannot write '${path}': it is ${kind}; --out must name a regular file`;
        expect(await thrown(() => resolveOutputPath(path))).toMatchObject({ code: 'OUTPUT_REFUSED', message, details: { path, kind } });
        expect(await thrown(() => writeFileAtomic(path, 'x'))).toMatchObject({ code: 'OUTPUT_REFUSED', message });
        expect(isKind(await stat(path))).toBe(true);
      }
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect(readdirSync(dir).sort()).toEqual(isRoot ? ['block', 'fifo', 'null'] : ['fifo']);
  });

  it('the missing directory and the file in the way are named in the details', async () => {
    const dir = await freshDir();
    const missing = join(dir, 'nope', 'a.txt');
    expect((await thrown(() => resolveOutputPath(missing))).details).toEqual({ path: missing, directory: join(dir, 'nope') });
    await writeFile(join(dir, 'file'), '');
    const under = join(dir, 'file', 'a.txt');
    expect((await thrown(() => resolveOutputPath(under))).details).toEqual({ path: under, directory: join(dir, 'file') });
  });

  it('a directory that loops on itself: ELOOP naming the path', async () => {
    const dir = await freshDir();
    await symlink('loop', join(dir, 'loop'));
    const path = join(dir, 'loop', 'out.csv');
    const e = await thrown(() => writeFileAtomic(path, 'x'));
    expect(e).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write '${path}': too many levels of symbolic links (ELOOP)` });
  });
});

describe('through symbolic links', () => {
  it('a link to a file: the file gets the new bytes (as a new inode), the link stays a link', async () => {
    const { dir, path, linked } = await linkedOldFile();
    const viaLink = join(dir, 'via-link.txt');
    await symlink('out.txt', viaLink);
    expect((await resolveOutputPath(viaLink)).target).toBe(path);
    await writeFileAtomic(viaLink, 'new\n');
    expect((await lstat(viaLink)).isSymbolicLink()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect(await readFile(linked, 'utf8')).toBe('old bytes\n');
  });

  it('a dangling link names the file to create; a link to a directory is a way to reach its files', async () => {
    const dir = await freshDir();
    await symlink('later.txt', join(dir, 'dangling'));
    await writeFileAtomic(join(dir, 'dangling'), 'created\n');
    expect(await readFile(join(dir, 'later.txt'), 'utf8')).toBe('created\n');
    expect((await lstat(join(dir, 'dangling'))).isSymbolicLink()).toBe(true);
    await mkdir(join(dir, 'real'));
    await symlink('real', join(dir, 'linked-dir'));
    await writeFileAtomic(join(dir, 'linked-dir', 'x.txt'), 'through\n');
    expect(await readFile(join(dir, 'real', 'x.txt'), 'utf8')).toBe('through\n');
  });

  it('follows a chain of 40 links (the kernel\'s own limit) and refuses 41, or a cycle, with ELOOP', async () => {
    const dir = await freshDir();
    const chain = async (n: number, prefix: string): Promise<string> => {
      // prefix0 -> prefix1 -> … -> prefix{n-1} -> prefix-file
      for (let i = 0; i < n; i++) await symlink(i === n - 1 ? `${prefix}-file` : `${prefix}${i + 1}`, join(dir, `${prefix}${i}`));
      return join(dir, `${prefix}0`);
    };
    await writeFileAtomic(await chain(40, 'ok'), 'end of 40\n');
    expect(await readFile(join(dir, 'ok-file'), 'utf8')).toBe('end of 40\n');
    const tooLong = await chain(41, 'long');
    const e = await thrown(() => writeFileAtomic(tooLong, 'x'));
    expect(e).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write '${tooLong}': too many levels of symbolic links (ELOOP)` });
    expect(existsSync(join(dir, 'long-file'))).toBe(false);
    await symlink('cycle-b', join(dir, 'cycle-a'));
    await symlink('cycle-a', join(dir, 'cycle-b'));
    expect(await thrown(() => writeFileAtomic(join(dir, 'cycle-a'), 'x'))).toMatchObject({ code: 'FILE_SYSTEM_ERROR', details: { errno: 'ELOOP' } });
    expect((await lstat(join(dir, 'cycle-a'))).isSymbolicLink()).toBe(true);
  });
});

describe('never writes onto an input file', () => {
  it('the input itself, a hard link to it, a link to it, or the input named through a link: refused naming both', async () => {
    const dir = await freshDir();
    const input = join(dir, 'customers.csv');
    await writeFile(input, 'id\n1\n');
    await link(input, join(dir, 'hard.csv'));
    await symlink('customers.csv', join(dir, 'soft.csv'));
    const cases: [string, string][] = [
      [input, input],
      [join(dir, 'hard.csv'), input],
      [join(dir, 'soft.csv'), input],
      [input, join(dir, 'soft.csv')], // the input given through a link
    ];
    for (const [path, given] of cases) {
      const e = await thrown(() => writeFileAtomic(path, 'labels', { inputs: [join(dir, 'missing.csv'), given] }));
      expect(e).toMatchObject({
        code: 'OUTPUT_REFUSED',
        message: `cannot write '${path}': it is the input file '${given}'; choose another output file`,
        details: { path, input: given },
      });
    }
    expect(await readFile(input, 'utf8')).toBe('id\n1\n');
    expect(readdirSync(dir).sort()).toEqual(['customers.csv', 'hard.csv', 'soft.csv']);
  });

  it('another file on the same disk, a missing input, or a new output are fine', async () => {
    const dir = await freshDir();
    const input = join(dir, 'customers.csv');
    await writeFile(input, 'id\n1\n');
    await writeFile(join(dir, 'labels.csv'), 'old');
    await writeFileAtomic(join(dir, 'labels.csv'), 'new', { inputs: [input, join(dir, 'missing.csv')] });
    await writeFileAtomic(join(dir, 'fresh.csv'), 'fresh', { inputs: [input] });
    expect(await readFile(join(dir, 'labels.csv'), 'utf8')).toBe('new');
    expect(await readFile(join(dir, 'fresh.csv'), 'utf8')).toBe('fresh');
    expect(await readFile(input, 'utf8')).toBe('id\n1\n');
  });
});

describe('an existing file keeps its attributes', () => {
  it('its permission bits (0640 stays 0640), and as root its owner', async () => {
    const dir = await freshDir();
    const path = join(dir, 'kept.csv');
    await writeFile(path, 'old');
    await chmod(path, 0o640);
    if (isRoot) await chown(path, 1234, 5678);
    await writeFileAtomic(path, 'new');
    const s = await stat(path);
    expect(s.mode & 0o7777).toBe(0o640);
    if (isRoot) expect([s.uid, s.gid]).toEqual([1234, 5678]);
    expect(await readFile(path, 'utf8')).toBe('new');
  });
});

describe('the destination changes while the writer runs', () => {
  it('it became a directory, or a link to one: commit refuses by kind, removes the temporary file and leaves it', async () => {
    const dir = await freshDir();
    const later = join(dir, 'later.csv');
    const w = await openAtomicWriter(later);
    await w.write('y');
    mkdirSync(later);
    expect(await thrown(() => w.commit())).toMatchObject({
      code: 'OUTPUT_REFUSED',
      message: `cannot write '${later}': it is a directory; --out must name a regular file`,
      details: { path: later },
    });
    const linked = join(dir, 'linked.csv');
    const v = await openAtomicWriter(linked);
    await v.write('z');
    await symlink('later.csv', linked);
    expect(await thrown(() => v.commit())).toMatchObject({ code: 'OUTPUT_REFUSED', message: `cannot write '${linked}': it is a directory; --out must name a regular file` });
    expect((await lstat(linked)).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['later.csv', 'linked.csv']);
    expect(readdirSync(later)).toEqual([]);
  });
});

// A real full disk needs a small tmpfs mount (root in a container that allows it); elsewhere this says why it does not run.
const mountRefusal = tmpfsRefusal();
if (mountRefusal) console.log(`atomic-file: the full-disk test on a real tmpfs does not run here (${mountRefusal})`);

describe.runIf(mountRefusal === '')('a full disk (a 64 KiB tmpfs)', () => {
  it('a write larger than the space left fails with ENOSPC naming the path; the old file keeps its bytes and no temporary file stays', async () => {
    const mnt = await freshDir();
    const unmount = mountTmpfs(mnt, 'size=64k');
    try {
      const path = join(mnt, 'labels.csv');
      await writeFile(path, 'old bytes\n');
      // One chunk of 256 KiB: the kernel takes what fits (a short write), the rest fails with ENOSPC.
      const big = new Uint8Array(256 * 1024).fill(65);
      const e = await thrown(() => writeFileAtomic(path, big));
      expect(e).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write '${path}': no space left on the device (ENOSPC)`, details: { path, errno: 'ENOSPC' } });
      expect(await readFile(path, 'utf8')).toBe('old bytes\n');
      expect(readdirSync(mnt)).toEqual(['labels.csv']);
      // The streaming writer: the failed write closes it; commit says so, abort is a no-op.
      const w = await openAtomicWriter(path);
      await w.write('a small chunk fits\n');
      expect(await thrown(() => w.write(big))).toMatchObject({ code: 'FILE_SYSTEM_ERROR', details: { errno: 'ENOSPC' } });
      expect(liveTemporaryFiles()).not.toContain(w.tempPath);
      await expect(w.commit()).rejects.toThrow(`atomic writer for '${path}' is already closed`);
      await w.abort();
      expect(readdirSync(mnt)).toEqual(['labels.csv']);
      expect(await readFile(path, 'utf8')).toBe('old bytes\n');
    } finally {
      unmount();
    }
  });
});
