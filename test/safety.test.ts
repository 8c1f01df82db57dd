/**
 * Safe by construction (issue 9): one regression test per failure found when
 * segmenta was tried as a hostile user would. No user file lost, no file read
 * that was not named, no wrong answer with exit 0, one line and exit 2 for
 * every mistake. Most cases drive the CLI in-process; EPIPE and signals need
 * real processes (the built dist/src/cli/main.js).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { liveTemporaryFiles } from '../src/common/atomic-file.js';
import { matrixFromRows, type Matrix } from '../src/common/matrix.js';
import { lockDown } from '../src/data-in/duckdb-lockdown.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { fitAgglomerative } from '../src/drivers/agglomerative/fit-agglomerative.js';
import { runSegmenta } from './helpers/run-cli-in-process.js';
import { mountTmpfs, tmpfsRefusal } from './helpers/tmpfs.js';
import { tempDir, writeCsv } from './helpers/temp-dir.js';

const CLI = resolve(import.meta.dirname, '../dist/src/cli/main.js');

const root = tempDir('segmenta-safety-');
let n = 0;

function fresh(): string {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir);
  return dir;
}

/** A small table with two clear groups: id,a,b. */
function smallCsv(dir: string, name = 'data.csv', rows = 40): string {
  const lines = ['id,a,b'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${(i % 2) * 10 + (i % 5)},${(i % 2) * 20 + (i % 3)}`);
  return writeCsv(dir, name, lines);
}

/** Exit 2 with exactly one line on stderr, no stack trace. */
function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(/^segmenta: error: /);
  expect(r.stderr).toMatch(pattern);
}

/** A directory this process cannot write to (root ignores mode bits, so root gets /sys). */
function unwritableDir(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/sys';
  const dir = fresh();
  chmodSync(dir, 0o555);
  return dir;
}

const FAST_REPORT = ['--k', '2', '--no-sweep', '--no-dendrogram', '--keep', 'none', '--features', 'a,b'];

describe('1. --out DIR of a report never deletes what segmenta did not write', () => {
  it('refuses a project folder holding a segments.json from an old report, and leaves every file in place', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    writeFileSync(join(dir, 'segments.json'), JSON.stringify({ generator: 'segmenta report', version: 1 }));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const before = readdirSync(dir).sort();
    const r = await runSegmenta('report', input, ...FAST_REPORT, '--out', dir);
    expectOneLine(r, /not empty and segmenta did not write it .*--force/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    expect(readFileSync(join(dir, 'main.py'), 'utf8')).toBe('print(1)\n');
  });

  it('re-running into an earlier report replaces only its files and keeps the ones the user added', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const out = join(dir, 'report');
    expect((await runSegmenta('report', input, ...FAST_REPORT, '--out', out)).code).toBe(0);
    writeFileSync(join(out, 'my-notes.txt'), 'keep me');
    const oldIndex = statSync(join(out, 'index.html')).ino;
    const r = await runSegmenta('report', input, ...FAST_REPORT, '--k', '3', '--out', out);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'my-notes.txt'), 'utf8')).toBe('keep me');
    expect(statSync(join(out, 'index.html')).ino).not.toBe(oldIndex);
    expect(JSON.parse(readFileSync(join(out, 'segments.json'), 'utf8')).k).toBe(3);
    const manifest = JSON.parse(readFileSync(join(out, '.segmenta-manifest.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).not.toContain('my-notes.txt');
    expect(readdirSync(out).filter((f) => f.startsWith('.segmenta-tmp'))).toEqual([]);
  });

  it('--force writes only the report files into a foreign directory; a same-named user file needs --force', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const r = await runSegmenta('report', input, ...FAST_REPORT, '--out', dir, '--force');
    expect(r.code).toBe(0);
    expect(existsSync(input)).toBe(true);
    expect(readdirSync(dir)).toContain('index.html');
    // A file the user put where a report file goes is not replaced without --force.
    const out = join(dir, 'second');
    expect((await runSegmenta('report', input, ...FAST_REPORT, '--out', out)).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, '.segmenta-manifest.json'), 'utf8')) as { files: string[] };
    writeFileSync(join(out, '.segmenta-manifest.json'), JSON.stringify({ ...manifest, generator: 'segmenta', files: manifest.files.filter((f) => f !== 'labels.csv') }));
    writeFileSync(join(out, 'labels.csv'), 'mine\n');
    expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', out), /already holds a 'labels.csv' that segmenta did not write/);
    expect(readFileSync(join(out, 'labels.csv'), 'utf8')).toBe('mine\n');
  });

  it('a report never writes onto its input (labels.csv as input, --force)', async () => {
    const dir = fresh();
    const input = smallCsv(dir, 'labels.csv');
    const before = readFileSync(input, 'utf8');
    expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', dir, '--force'), /is the input file/);
    expect(readFileSync(input, 'utf8')).toBe(before);
  });
});

describe('2. a path names exactly one file', () => {
  it("a literal 'd[a].csv' reads itself, not da.csv", async () => {
    const dir = fresh();
    smallCsv(dir, 'd[a].csv', 40);
    smallCsv(dir, 'da.csv', 60);
    const r = await runSegmenta('kmeans', join(dir, 'd[a].csv'), '--features', 'a,b', '--k', '2', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(40);
  });

  it("a Parquet file literally named '*.parquet' reads only itself", async () => {
    const dir = fresh();
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(`COPY (SELECT range AS id, range % 7 AS a, range % 3 AS b FROM range(30)) TO '${join(dir, 'x.parquet')}' (FORMAT parquet)`);
    await c.run(`COPY (SELECT range AS id, range % 7 AS a, range % 3 AS b FROM range(50)) TO '${join(dir, 'y.parquet')}' (FORMAT parquet)`);
    await c.run(`COPY (SELECT range AS id, range % 7 AS a, range % 3 AS b FROM range(20)) TO '${join(dir, 'star.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    instance.closeSync();
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'star.parquet'), join(dir, '*.parquet'));
    const table = await readCustomerTable(join(dir, '*.parquet'), { features: ['a', 'b'] });
    expect(table.rows).toBe(20);
  });

  it('a URL or ~ is a local path, never fetched or expanded', async () => {
    const r = await runSegmenta('kmeans', 'http://127.0.0.1:9/data.csv', '--features', 'a', '--k', '2');
    expectOneLine(r, /cannot read 'http:\/\/127\.0\.0\.1:9\/data\.csv': file not found/);
  });

  it('DuckDB runs locked down: no other file, no setting change, no extension install', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await lockDown(c, ['/nonexistent/allowed.csv']);
      await expect(c.run("SELECT * FROM read_text('/etc/passwd')")).rejects.toThrow(/Permission Error/);
      await expect(c.run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(/Permission Error/);
      await expect(c.run("COPY (SELECT 1) TO '/tmp/segmenta-should-not-exist.csv'")).rejects.toThrow(/Permission Error/);
      await expect(c.run('SET enable_external_access = true')).rejects.toThrow(/locked/);
      await expect(c.run('INSTALL httpfs')).rejects.toThrow();
      const settings = await c.runAndReadAll(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions', 'enable_external_access', 'lock_configuration') ORDER BY name",
      );
      expect(settings.getRowsJS()).toEqual([
        ['autoinstall_known_extensions', 'false'],
        ['autoload_known_extensions', 'false'],
        ['enable_external_access', 'false'],
        ['lock_configuration', 'true'],
      ]);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  it('SQL in a column name or option is a name, never run', async () => {
    const dir = fresh();
    const evil = `a"), read_text('/etc/passwd') --`;
    const path = writeCsv(dir, 'evil.csv', `id,"${evil.replace(/"/g, '""')}",b\n1,1,2\n2,3,4\n3,5,6\n`);
    const table = await readCustomerTable(path, { features: [evil, 'b'] });
    expect(table.featureNames).toEqual([evil, 'b']);
    expect(Array.from(table.matrix.data)).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(readCustomerTable(path, { features: [`b" FROM read_text('/etc/passwd') --`] })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
    const r = await runSegmenta('kmeans', path, '--features', `b' || (SELECT content FROM read_text('/etc/passwd')) || '`, '--k', '1');
    expectOneLine(r, /has no column/);
    expect(r.stderr).not.toContain('root:');
  });
});

describe('3. --out FILE replaces nothing it should not', () => {
  it('refuses a device and leaves it a device', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    // Never aim a test at the system's /dev/null as root: the bug under test replaced it with a regular file.
    // As root, a private null device; otherwise /dev/null, which a non-root process cannot replace.
    let device = '/dev/null';
    if (typeof process.getuid === 'function' && process.getuid() === 0) {
      device = join(dir, 'null-device');
      expect(spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status).toBe(0);
    }
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', device), /it is a character device/);
    expect(statSync(device).isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO without blocking on it', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const fifo = join(dir, 'pipe.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', fifo), /FIFO/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('through a symbolic link writes the target, and the link stays a link', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const target = join(dir, 'real-labels.csv');
    writeFileSync(target, 'old\n');
    const link = join(dir, 'labels.csv');
    symlinkSync(target, link);
    expect((await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', link)).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^id,segment\n1,/);
  });

  it('an existing mode-600 file stays 600', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const out = join(dir, 'labels.csv');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o600);
    expect((await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', out)).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/^id,segment\n/);
  });

  it('--out equal to the input (also through a link) is refused and the input is untouched', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const before = readFileSync(input, 'utf8');
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', input), /is the input file/);
    const link = join(dir, 'alias.csv');
    symlinkSync(input, link);
    expectOneLine(await runSegmenta('hclust', input, '--features', 'a,b', '--k', '2', '--out', link), /is the input file/);
    expect(readFileSync(input, 'utf8')).toBe(before);
  });
});

describe('4. no wrong answer with exit 0', () => {
  const huge = (): Matrix => matrixFromRows(Array.from({ length: 19 }, (_, i) => [1e20 * (i + 1), i + 1]));

  it('values whose squared distances overflow float32: one line naming the column and a value', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'huge.csv', `id,a,b\n${Array.from({ length: 19 }, (_, i) => `${i + 1},${1e20 * (i + 1)},${i + 1}`).join('\n')}\n`);
    const r = await runSegmenta('kmeans', path, '--features', 'a,b', '--k', '2', '--json');
    expectOneLine(r, /feature 1 \('a'\) is 1\.900e\+21: squared distances .* overflow float32/);
    expect(r.stdout).toBe('');
    // Scaled, the same data is fine.
    const scaled = await runSegmenta('kmeans', path, '--features', 'a,b', '--k', '2', '--scale', 'standard', '--json');
    expect(scaled.code).toBe(0);
    expect(JSON.parse(scaled.stdout).wcss).toBeGreaterThan(0);
  });

  it.each(['js', 'wasm', 'tfjs'])('backend %s refuses the same data with the same code', async (backend) => {
    await expect(fitKMeans(huge(), { k: 2, backend })).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE', details: { column: 1 } });
    await expect(sweepK(huge(), { kMax: 3, backend })).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
    await expect(fitAgglomerative(huge(), { k: 2, backend })).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
  });

  it('only a Float32Array matrix is accepted; anything else is a typed error', async () => {
    const rows = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const f64 = { data: new Float64Array([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 } as unknown as Matrix;
    const plain = { data: [1, 2, 3, 4, 5, 6], rows: 3, cols: 2 } as unknown as Matrix;
    await expect(fitKMeans(f64, { k: 2 })).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('Float64Array') });
    await expect(fitKMeans(plain, { k: 2 })).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('plain array') });
    await expect(fitKMeans(rows as unknown as Matrix, { k: 2 })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(fitKMeans(null as unknown as Matrix, { k: 2 })).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('null') });
    await expect(sweepK(f64)).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(fitAgglomerative(plain, { k: 2 })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    const ok = matrixFromRows(rows);
    await expect(fitKMeans(ok, undefined as never)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('fitKMeans needs an options object with k') });
    await expect(fitKMeans(ok, null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(sweepK(ok, null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(fitAgglomerative(ok, undefined as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('5. file-system errors are one line naming the path, exit 2', () => {
  it('EACCES: kmeans, report and generate into a directory it cannot write', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const locked = unwritableDir();
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', join(locked, 'labels.csv')), /labels\.csv'.*(permission denied|not permitted|read-only)/);
    expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', join(locked, 'report')), /report'.*(permission denied|not permitted|read-only)/);
    expectOneLine(await runSegmenta('generate', '--rows', '10', '--out', join(locked, 'g.csv')), /g\.csv'.*(permission denied|not permitted|read-only)/);
  });

  it('EISDIR: --out naming an existing directory', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    mkdirSync(join(dir, 'sub'));
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', join(dir, 'sub')), /it is a directory/);
    expectOneLine(await runSegmenta('generate', '--rows', '10', '--out', join(dir, 'sub.csv', 'x.csv')), /does not exist/);
  });

  it('ENOENT on the directory', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', join(dir, 'missing', 'labels.csv')), /directory .*missing' does not exist/);
  });

  it('ENOSPC, EROFS and the like become one line naming the path (the mapping)', async () => {
    const { fileSystemError } = await import('../src/common/errors.js');
    for (const [code, words] of [
      ['ENOSPC', 'no space left on the device'],
      ['EROFS', 'read-only file system'],
      ['EDQUOT', 'disk quota exceeded'],
      ['EACCES', 'permission denied'],
    ] as const) {
      const raw = Object.assign(new Error(`${code}: something, write '/x/.tmp'`), { code, path: '/x/.tmp' });
      expect(fileSystemError(raw, 'out/labels.csv')).toMatchObject({ code: 'FILE_SYSTEM_ERROR', message: `cannot write 'out/labels.csv': ${words} (${code})` });
    }
  });

  // Real full and read-only file systems need a tmpfs mount (root in a container that allows it).
  const canMount = tmpfsRefusal();
  if (canMount) console.log(`safety: the ENOSPC/EROFS tests on real tmpfs mounts do not run here (${canMount}); the mapping test above still runs`);

  it.runIf(canMount === '')('a full disk (16 KB tmpfs) and a read-only one: exit 2, one line, nothing left behind, no truncated file with exit 0', async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    const full = join(dir, 'full');
    const ro = join(dir, 'ro');
    mkdirSync(full);
    mkdirSync(ro);
    const unmountFull = mountTmpfs(full, 'size=16k');
    const unmountRo = mountTmpfs(ro, 'ro,size=16k');
    try {
      // 10,000 rows are about 200 KB: a short write must not pass for success.
      expectOneLine(await runSegmenta('generate', '--rows', '10000', '--out', join(full, 'g.csv')), /cannot write '.*g\.csv': no space left on the device \(ENOSPC\)/);
      expectOneLine(await runSegmenta('generate', '--rows', '10000', '--out', join(full, 'g.parquet')), /cannot write '.*g\.parquet': no space left/);
      expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', join(full, 'report')), /cannot write the report to '.*report': no space left/);
      expect(readdirSync(full)).toEqual([]);
      expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', join(ro, 'labels.csv')), /labels\.csv': read-only file system \(EROFS\)/);
      expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', join(ro, 'report')), /read-only file system/);
    } finally {
      unmountFull();
      unmountRo();
    }
  });

  it('EPIPE: output larger than the pipe into `| head -c 1` exits quietly (real process)', async () => {
    const dir = fresh();
    const input = smallCsv(dir, 'data.csv', 2000);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" hclust "${input}" --features a,b --k 3 --json --top-merges 5000 | head -c 1 > /dev/null; echo "status=\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('status=0');
    expect(r.stderr).toBe('');
  });
});

describe('6. clear messages', () => {
  it('ragged rows near the top name the data row and the field counts', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'ragged.csv', 'id,a,b\n1,1,2\n2,3\n3,5,6,7\n4,7,8\n');
    expectOneLine(await runSegmenta('kmeans', path, '--features', 'a,b', '--k', '2'), /data row 2 \(line 3\) has 2 fields, expected 3/);
  });

  it('a bad row late in the file names the data row, not just a file line', async () => {
    const dir = fresh();
    const lines = ['id,a,b'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},${i % 13},${i % 7}`);
    lines.push('30001,1,2,3');
    for (let i = 30_002; i <= 30_010; i++) lines.push(`${i},${i % 13},${i % 7}`);
    const path = writeCsv(dir, 'late.csv', lines);
    expectOneLine(await runSegmenta('kmeans', path, '--features', 'a,b', '--k', '2'), /data row 30001 \(line 30002\) has 4 fields, expected 3/);
  });

  it('a duplicated header name is an error naming it', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'dup.csv', 'id,a,a\n1,1,2\n2,3,4\n3,5,6\n');
    expectOneLine(await runSegmenta('kmeans', path, '--features', 'a,a_1', '--k', '2'), /header names column 'a' 2 times \(columns 2, 3\)/);
  });

  it('a header name with a newline still gives one line', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'nl.csv', 'id,"a\nb",c\n1,2,3\n2,3,4\n3,4,5\n');
    expectOneLine(await runSegmenta('kmeans', path, '--features', 'x', '--k', '2'), /'a\\nb'/);
  });

  it('CLI messages name flags, not library options', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'three.csv', 'id,a,b\n1,1,1\n2,2,2\n3,3,3\n4,1,1\n5,2,2\n6,3,3\n');
    const r = await runSegmenta('sweep', path, '--features', 'a,b', '--k-max', '5');
    expectOneLine(r, /--k-max = 5 is larger than the number of distinct rows \(3\)/);
    expect(r.stderr).not.toMatch(/\bkMax\b|\bkMin\b/);
    const twice = await runSegmenta('kmeans', path, '--features', 'a,a', '--k', '2');
    expectOneLine(twice, /^segmenta: error: --features lists 'a' twice$/m);
    expect(twice.stderr).not.toMatch(/spec\./);
  });

  it('sweep with the default --k-max on fewer than 10 distinct rows: clamped, with a note', async () => {
    const dir = fresh();
    const path = writeCsv(dir, 'few.csv', 'id,a,b\n1,1,1\n2,2,2\n3,9,9\n4,10,10\n5,1,1\n6,20,20\n');
    const r = await runSegmenta('sweep', path, '--features', 'a,b', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { k: number[]; notes: string[] };
    expect(doc.k).toEqual([1, 2, 3, 4, 5]);
    expect(doc.notes).toContain('k-max lowered from 10 to 5: the data has only 5 distinct rows');
  });

  it("--out '' is refused, not silently ignored", async () => {
    const dir = fresh();
    const input = smallCsv(dir);
    expectOneLine(await runSegmenta('kmeans', input, '--features', 'a,b', '--k', '2', '--out', ''), /--out needs a file name/);
    expectOneLine(await runSegmenta('hclust', input, '--features', 'a,b', '--k', '2', '--out', ''), /--out needs a file name/);
    expectOneLine(await runSegmenta('report', input, ...FAST_REPORT, '--out', ''), /--out needs a directory name/);
    expectOneLine(await runSegmenta('generate', '--rows', '10', '--out', ''), /--out is required/);
  });

  it('generate --rows has a limit', async () => {
    const dir = fresh();
    expectOneLine(await runSegmenta('generate', '--rows', '100000000000', '--out', join(dir, 'g.csv')), /--rows must be an integer from 1 to 1000000000/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('an interrupted generate (%s) leaves no temporary file (real process)', async (signal, status) => {
    const dir = fresh();
    const child = spawn(process.execPath, [CLI, 'generate', '--rows', '50000000', '--out', join(dir, 'big.csv')], { stdio: 'ignore' });
    // Wait until the temporary file exists and grows, then interrupt.
    const started = Date.now();
    while (readdirSync(dir).length === 0 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir)[0]).toMatch(/^\.big\.csv\.\d+\.[0-9a-f]+\.tmp$/);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    expect(await exited).toBe(status);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('in-process runs leave no registered temporary file behind', () => {
    expect(liveTemporaryFiles()).toEqual([]);
  });
});
