/**
 * Output directories segmenta owns file by file (src/common/output-directory.ts),
 * called directly on real temporary directories: what a run writes, what it
 * replaces, what it never touches, and what it refuses (with the path and a
 * typed error). The report and the CLI use it; test/safety.test.ts checks the
 * same rules through the CLI.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, link, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentaError } from '../src/common/errors.js';
import { checkOutputDirectory, MANIFEST_NAME, readManifest, writeOutputDirectory, type OutputDirectoryOptions } from '../src/common/output-directory.js';
import { mountTmpfs, tmpfsRefusal } from './helpers/tmpfs.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'segmenta-outdir-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let count = 0;
/** A path for a directory that does not exist yet. */
function freshPath(): string {
  return join(root, `out-${++count}`);
}

/** Writes `files` (name → text) through writeOutputDirectory. */
function writeFiles(dir: string, files: Record<string, string>, options: OutputDirectoryOptions = {}): Promise<string> {
  return writeOutputDirectory(
    dir,
    Object.keys(files),
    async (temp) => {
      for (const [name, text] of Object.entries(files)) await writeFile(join(temp, name), text);
    },
    options,
  );
}

async function refusal(p: Promise<unknown>, code = 'OUTPUT_REFUSED'): Promise<SegmentaError> {
  const e = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(SegmentaError);
  expect((e as SegmentaError).code).toBe(code);
  return e as SegmentaError;
}

const listing = (dir: string): string[] => readdirSync(dir).sort();

describe('writeOutputDirectory: a new directory', () => {
  it('is created with the files and a manifest listing them (sorted, once each), and nothing else beside it', async () => {
    const dir = freshPath();
    const returned = await writeFiles(dir, { 'b.txt': 'B', 'a.txt': 'A' });
    expect(returned).toBe(dir);
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt', 'b.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('A');
    expect(JSON.parse(await readFile(join(dir, MANIFEST_NAME), 'utf8'))).toEqual({ generator: 'segmenta', version: 1, files: ['a.txt', 'b.txt'] });
    expect(await readManifest(dir)).toEqual(['a.txt', 'b.txt']);
    // the temporary directory built beside it was renamed into place
    expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('creates missing parent directories', async () => {
    const dir = join(freshPath(), 'deeper', 'report');
    await writeFiles(dir, { 'index.html': '<p>' });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'index.html']);
  });

  it('is not created when fill fails, and no temporary directory stays', async () => {
    const dir = freshPath();
    await expect(writeOutputDirectory(dir, ['a.txt'], async () => Promise.reject(new Error('fill broke')))).rejects.toThrow('fill broke');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

describe('writeOutputDirectory: a directory segmenta wrote before', () => {
  it('replaces the listed files, removes earlier files this run does not write, and keeps the user\'s files', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A1', 'old.txt': 'O' });
    await writeFile(join(dir, 'mine.txt'), 'user');
    await writeFiles(dir, { 'a.txt': 'A2', 'new.txt': 'N' });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt', 'mine.txt', 'new.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('A2');
    expect(await readFile(join(dir, 'mine.txt'), 'utf8')).toBe('user');
    expect(await readManifest(dir)).toEqual(['a.txt', 'new.txt']);
  });

  it('replaces a file by rename: a hard link to the old file keeps the old bytes', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'old' });
    await link(join(dir, 'a.txt'), join(root, `keep-${count}.txt`));
    await writeFiles(dir, { 'a.txt': 'new' });
    expect(await readFile(join(root, `keep-${count}.txt`), 'utf8')).toBe('old');
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('new');
  });

  it('leaves an earlier file that is now a directory, and does not follow a crafted manifest outside the directory', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A' });
    const outside = join(root, `outside-${count}.txt`);
    await writeFile(outside, 'precious');
    await writeFile(
      join(dir, MANIFEST_NAME),
      JSON.stringify({ generator: 'segmenta', version: 1, files: ['a.txt', 'sub', `../outside-${count}.txt`, '', '.', '..', 'x/y', 7] }),
    );
    mkdirSync(join(dir, 'sub'));
    expect(await readManifest(dir)).toEqual(['a.txt', 'sub']);
    await writeFiles(dir, { 'b.txt': 'B' });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'b.txt', 'sub']);
    expect(await readFile(outside, 'utf8')).toBe('precious');
  });

  it('refuses a file of its own name that the user put there, unless force', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A' });
    await writeFile(join(dir, 'b.txt'), 'user b');
    const e = await refusal(writeFiles(dir, { 'a.txt': 'A2', 'b.txt': 'B' }, { what: 'the report' }));
    expect(e.message).toBe(`cannot write the report to '${dir}': it already holds a 'b.txt' that segmenta did not write; move it, or add --force to replace it`);
    expect(e.details).toEqual({ path: join(dir, 'b.txt') });
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('user b');
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('A');
    await writeFiles(dir, { 'a.txt': 'A2', 'b.txt': 'B' }, { force: true });
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('B');
    expect(listing(dir).filter((n) => n.startsWith('.segmenta-tmp'))).toEqual([]);
  });

  it('refuses a directory where one of its files goes, even with force', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A' });
    mkdirSync(join(dir, 'b.txt'));
    for (const force of [false, true]) {
      const e = await refusal(writeFiles(dir, { 'b.txt': 'B' }, { force }));
      expect(e.message).toBe(`cannot write the output to '${dir}': 'b.txt' there is a directory`);
      expect(e.details).toEqual({ path: join(dir, 'b.txt') });
    }
  });

  it('never writes onto an input file (the same inode under the output\'s name)', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A' });
    const input = join(root, `input-${count}.csv`);
    await writeFile(input, 'id\n1\n');
    await link(input, join(dir, 'labels.csv'));
    const e = await refusal(writeFiles(dir, { 'labels.csv': 'x' }, { force: true, inputs: [join(root, 'no-such.csv'), input] }));
    expect(e.message).toBe(`cannot write the output to '${dir}': its file 'labels.csv' is the input file '${input}'; choose another directory`);
    expect(e.details).toEqual({ path: join(dir, 'labels.csv'), input });
    expect(await readFile(input, 'utf8')).toBe('id\n1\n');
    // another input elsewhere does not stop the write
    const other = join(root, `other-${count}.csv`);
    await writeFile(other, 'id\n');
    await writeFiles(dir, { 'labels.csv': 'x' }, { force: true, inputs: [other] });
    expect(await readFile(input, 'utf8')).toBe('id\n1\n');
    expect(await readFile(join(dir, 'labels.csv'), 'utf8')).toBe('x');
  });

  it('with replace: false refuses any non-empty directory', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'a.txt': 'A' });
    const e = await refusal(checkOutputDirectory(dir, { replace: false, what: 'the labels' }));
    expect(e.message).toBe(`cannot write the labels to '${dir}': the directory is not empty`);
    expect(e.details).toEqual({ path: dir });
    mkdirSync(`${dir}-empty`);
    await expect(checkOutputDirectory(`${dir}-empty`, { replace: false })).resolves.toBeUndefined();
  });
});

describe('checkOutputDirectory and writeOutputDirectory refuse what segmenta did not write', () => {
  it('a non-empty directory without a manifest, unless force; with force only the run\'s files are written', async () => {
    const dir = freshPath();
    mkdirSync(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const e = await refusal(checkOutputDirectory(dir, { what: 'the report' }));
    expect(e.message).toBe(
      `cannot write the report to '${dir}': the directory is not empty and segmenta did not write it (no ${MANIFEST_NAME}); choose a new or empty directory, or add --force to write only the report's own files there`,
    );
    expect(e.details).toEqual({ path: dir });
    await refusal(writeFiles(dir, { 'a.txt': 'A' }));
    expect(listing(dir)).toEqual(['notes.txt']);
    await writeFiles(dir, { 'a.txt': 'A' }, { force: true });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt', 'notes.txt']);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('an empty existing directory is used as it is', async () => {
    const dir = freshPath();
    mkdirSync(dir);
    await checkOutputDirectory(dir);
    await writeFiles(dir, { 'a.txt': 'A' });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt']);
  });

  it('a manifest that is not segmenta\'s, or not JSON, counts as none', async () => {
    for (const text of ['{"generator":"other","files":["a.txt"]}', '{"generator":"segmenta","files":"a.txt"}', 'not json']) {
      const dir = freshPath();
      mkdirSync(dir);
      await writeFile(join(dir, MANIFEST_NAME), text);
      expect(await readManifest(dir)).toBeNull();
      await refusal(checkOutputDirectory(dir));
    }
    expect(await readManifest(freshPath())).toBeNull();
  });

  it('a path that is a file, or an empty or missing path', async () => {
    const file = join(root, `file-${++count}.txt`);
    await writeFile(file, 'x');
    const e = await refusal(checkOutputDirectory(file, { what: 'the report' }));
    expect(e.message).toBe(`cannot write the report to '${file}': it exists and is not a directory`);
    expect(e.details).toEqual({ path: file });
    for (const empty of ['', '   ', undefined]) {
      const f = await refusal(checkOutputDirectory(empty as string));
      expect(f.message).toBe('the directory for the output is empty; name a directory');
      expect(f.details).toEqual({ path: empty });
    }
  });

  it('a directory under a plain file: FILE_SYSTEM_ERROR naming the path', async () => {
    const file = join(root, `plain-${++count}`);
    await writeFile(file, 'x');
    const e = await refusal(checkOutputDirectory(join(file, 'a', 'b')), 'FILE_SYSTEM_ERROR');
    expect(e.message).toMatch(new RegExp(`^cannot write '${join(file, 'a', 'b')}': .+ \\(ENOTDIR\\)$`));
  });

  it('file names must be plain names inside the directory', async () => {
    for (const name of ['', '.', '..', 'a/b', 'a\\b', 'nul\0', MANIFEST_NAME]) {
      const e = await refusal(writeOutputDirectory(freshPath(), [name], async () => undefined), 'INVALID_OPTION');
      expect(e.message).toBe(`'${name}' is not a plain file name`);
      expect(e.details).toEqual({ file: name });
    }
  });

  it('a file-system error inside fill names the destination directory', async () => {
    const dir = freshPath();
    const e = await refusal(
      writeOutputDirectory(dir, ['a.txt'], async (temp) => {
        throw new SegmentaError('FILE_SYSTEM_ERROR', `cannot write '${temp}/a.txt': no space left on device (ENOSPC)`, { errno: 'ENOSPC' });
      }, { what: 'the report' }),
      'FILE_SYSTEM_ERROR',
    );
    expect(e.message).toMatch(new RegExp(`^cannot write the report to '${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': .+ \\(ENOSPC\\)$`));
    expect(e.details).toEqual({ path: dir, errno: 'ENOSPC' });
    expect(existsSync(dir)).toBe(false);
  });
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('where the files are built, and what stays as it was', () => {
  it('fill works in a hidden temporary directory: beside a new directory (its name made safe), inside an existing one', async () => {
    const parent = freshPath();
    const dir = join(parent, 'my report*');
    const seen: string[] = [];
    const record = async (temp: string): Promise<void> => {
      seen.push(temp);
      await writeFile(join(temp, 'a.txt'), 'A');
    };
    await writeOutputDirectory(dir, ['a.txt'], record);
    await writeOutputDirectory(dir, ['a.txt'], record);
    expect(dirname(seen[0]!)).toBe(parent);
    expect(basename(seen[0]!)).toMatch(new RegExp(`^\\.my_report_\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
    expect(dirname(seen[1]!)).toBe(dir);
    expect(basename(seen[1]!)).toMatch(new RegExp(`^\\.segmenta-tmp\\.${process.pid}\\.[0-9a-f]{8}$`));
    expect(listing(parent)).toEqual(['my report*']);
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt']);
  });

  it('a new directory with a 250-character name: its temporary sibling keeps only the first 80', async () => {
    const parent = freshPath();
    const dir = join(parent, `r${'e'.repeat(248)}t`);
    let temp = '';
    await writeOutputDirectory(dir, ['a.txt'], async (t) => {
      temp = t;
      await writeFile(join(t, 'a.txt'), 'A');
    });
    expect(basename(temp)).toMatch(new RegExp(`^\\.r${'e'.repeat(79)}\\.${process.pid}\\.`));
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt']);
  });

  it('an existing empty directory is written into, not replaced: same inode, same permission bits', async () => {
    const dir = freshPath();
    mkdirSync(dir);
    await chmod(dir, 0o750);
    const before = await stat(dir);
    await writeFiles(dir, { 'a.txt': 'A' });
    const after = await stat(dir);
    expect(after.ino).toBe(before.ino);
    expect(after.mode & 0o7777).toBe(0o750);
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt']);
  });

  it('a fill that leaves out a file it named fails naming the directory; the manifest still lists both runs\' files, so the next run may replace them', async () => {
    const dir = freshPath();
    await writeFiles(dir, { 'old.txt': 'O' });
    const e = await refusal(
      writeOutputDirectory(dir, ['a.txt', 'b.txt'], async (temp) => {
        await writeFile(join(temp, 'a.txt'), 'A');
      }),
      'FILE_SYSTEM_ERROR',
    );
    expect(e.message).toBe(`cannot write '${dir}': no such file or directory (ENOENT)`);
    expect(await readManifest(dir)).toEqual(['a.txt', 'b.txt', 'old.txt']);
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt', 'old.txt']);
    await writeFiles(dir, { 'a.txt': 'A2' });
    expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('A2');
  });

  it('a file-system error without an errno (a space check) passes through as it is', async () => {
    const dir = freshPath();
    const low = new SegmentaError('FILE_SYSTEM_ERROR', `cannot write '${dir}/big.csv': it needs about 2 GB but only 1 GB are free on its file system`, { path: `${dir}/big.csv` });
    const e = await refusal(writeOutputDirectory(dir, ['big.csv'], () => Promise.reject(low)), 'FILE_SYSTEM_ERROR');
    expect(e).toBe(low);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('another process makes the path while fill runs (a new directory)', () => {
  it('a directory with someone\'s file in it: refused as foreign without force, written file by file with force; the file stays', async () => {
    for (const force of [false, true]) {
      const dir = freshPath();
      const fill = async (temp: string): Promise<void> => {
        await writeFile(join(temp, 'a.txt'), 'A');
        mkdirSync(dir); // the other process
        writeFileSync(join(dir, 'theirs.txt'), 'theirs');
      };
      const run = writeOutputDirectory(dir, ['a.txt'], fill, { force });
      if (force) {
        await expect(run).resolves.toBe(dir);
        expect(listing(dir)).toEqual([MANIFEST_NAME, 'a.txt', 'theirs.txt']);
        expect(await readManifest(dir)).toEqual(['a.txt']);
      } else {
        const e = await refusal(run);
        expect(e.message).toMatch(new RegExp(`^cannot write the output to '${escape(dir)}': the directory is not empty and segmenta did not write it`));
        expect(listing(dir)).toEqual(['theirs.txt']);
      }
      expect(await readFile(join(dir, 'theirs.txt'), 'utf8')).toBe('theirs');
      expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
    }
  });

  it('a plain file: FILE_SYSTEM_ERROR (ENOTDIR) naming the path; the file stays', async () => {
    const dir = freshPath();
    const e = await refusal(
      writeOutputDirectory(dir, ['a.txt'], async (temp) => {
        await writeFile(join(temp, 'a.txt'), 'A');
        writeFileSync(dir, 'a file now');
      }),
      'FILE_SYSTEM_ERROR',
    );
    expect(e.message).toBe(`cannot write '${dir}': a component of the path is not a directory (ENOTDIR)`);
    expect(await readFile(dir, 'utf8')).toBe('a file now');
    expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

// A directory this process cannot write: mode 555 for a user; root ignores mode bits, so a read-only tmpfs for root.
const mountRefusal = typeof process.getuid === 'function' && process.getuid() === 0 ? tmpfsRefusal() : '';
if (mountRefusal) console.log(`output-directory: the unwritable-ancestor test does not run here (as root it needs a read-only tmpfs: ${mountRefusal})`);

describe.runIf(mountRefusal === '')('a new directory under one this process cannot write', () => {
  it('is refused before fill runs, naming the path, even several levels down', async () => {
    const locked = freshPath();
    mkdirSync(locked);
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const unmount = asRoot ? mountTmpfs(locked, 'ro,size=16k') : (chmodSync(locked, 0o555), () => chmodSync(locked, 0o755));
    const code = asRoot ? 'EROFS' : 'EACCES';
    const words = asRoot ? 'read-only file system' : 'permission denied';
    try {
      const dir = join(locked, 'a', 'b', 'report');
      const e = await refusal(checkOutputDirectory(dir), 'FILE_SYSTEM_ERROR');
      expect(e.message).toBe(`cannot write '${dir}': ${words} (${code})`);
      expect(e.details).toMatchObject({ path: dir, errno: code });
      let filled = false;
      await refusal(writeOutputDirectory(dir, ['a.txt'], async () => { filled = true; }), 'FILE_SYSTEM_ERROR');
      expect(filled).toBe(false);
      expect(readdirSync(locked)).toEqual([]);
    } finally {
      unmount();
    }
  });
});
