/**
 * Property-based fuzzing of the CLI and the library (fast-check).
 *
 * The invariant, for any CSV shape and any option values: exit 0 with a
 * correct result, or exit 2 with exactly one line on stderr. Never a stack
 * trace, never exit 1, never a partial or stray output file, and the input
 * file is never modified.
 *
 * About a minute in `npm test`. For a longer run:
 *   SEGMENTA_FUZZ_RUNS=2000 npx vitest run test/fuzz.test.ts
 * (the number of cases of each CSV/option property; the library property runs
 * 4× as many). A failure prints fast-check's seed and path; replay it with
 * SEGMENTA_FUZZ_SEED=<seed>.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { liveTemporaryFiles } from '../src/common/atomic-file.js';
import { SegmentaError } from '../src/common/errors.js';
import type { Matrix } from '../src/common/matrix.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { runSegmenta, type CliRun } from './helpers/run-cli-in-process.js';
import { tempDir } from './helpers/temp-dir.js';

const RUNS = Math.max(1, Number(process.env['SEGMENTA_FUZZ_RUNS'] ?? 60));
const SEED = process.env['SEGMENTA_FUZZ_SEED'] !== undefined ? Number(process.env['SEGMENTA_FUZZ_SEED']) : undefined;
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true });
/** Generous: a long SEGMENTA_FUZZ_RUNS run takes as long as it needs. */
const TIMEOUT = 120_000 + RUNS * 2_000;
const CLI = resolve(import.meta.dirname, '../dist/src/cli/main.js');

const root = tempDir('segmenta-fuzz-');
let caseNo = 0;

// ---------------------------------------------------------------------------
// A CSV model and its text.

interface CsvModel {
  header: string[];
  rows: string[][];
  delimiter: string;
  quoting: 'minimal' | 'all' | 'none';
  bom: boolean;
  crlf: boolean;
  /** Indices (into the output lines) after which a blank line is inserted. */
  blankAfter: number[];
  /** A row that gets one field more or less: [row, +1 | -1]. */
  ragged: [number, 1 | -1] | null;
}

const SAFE_NAMES = ['a', 'b', 'c', 'Age', 'Income', 'Score', 'Visits', 'Basket'];
const ODD_NAMES = ['Annual Income (k$)', 'Spending Score (1-100)', '名前', 'ä', 'a b', 'a"b', "a'b", 'a,b', 'a;b', 'a\nb', '', ' a', 'a_1', '*', '[x]', '{y}', '?', 'é\u0301', 'SELECT', '"', '1', '2.5'];
const ODD_CELLS = ['', ' ', 'NaN', 'nan', 'Inf', '-Infinity', 'inf', '1e39', '-1e300', '1e20', '3.4e38', '3.5e38', 'abc', ' 7 ', '"5"', '1,5', 'é', '0x10', '1_000', 'NULL', 'null', 'true', '-0', '1e-45', '٣'];

function quoteField(value: string, model: Pick<CsvModel, 'delimiter' | 'quoting'>): string {
  const needs = value.includes(model.delimiter) || /["\r\n]/.test(value) || value !== value.trim();
  if (model.quoting === 'all' || (model.quoting === 'minimal' && needs)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

function csvText(model: CsvModel): string {
  const lines = [model.header, ...model.rows].map((fields, i) => {
    let f = fields;
    if (model.ragged && i === model.ragged[0] + 1) f = model.ragged[1] === 1 ? [...fields, '9'] : fields.slice(0, -1);
    return f.map((v) => quoteField(v, model)).join(model.delimiter);
  });
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    if (model.blankAfter.includes(i)) out.push('');
  });
  const eol = model.crlf ? '\r\n' : '\n';
  return `${model.bom ? '\uFEFF' : ''}${out.join(eol)}${eol}`;
}

/** Clean CSVs: unique plain names, integer cells, a well-formed layout. segmenta must read them exactly. */
const cleanModel = fc
  .record({
    cols: fc.integer({ min: 2, max: 4 }),
    rows: fc.integer({ min: 1, max: 25 }),
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    quoting: fc.constantFrom<'minimal' | 'all'>('minimal', 'all'),
    bom: fc.boolean(),
    crlf: fc.boolean(),
  })
  .chain((s) =>
    fc.record({
      header: fc.shuffledSubarray(SAFE_NAMES, { minLength: s.cols - 1, maxLength: s.cols - 1 }).map((names) => ['id', ...names]),
      rows: fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: s.cols - 1, maxLength: s.cols - 1 }), { minLength: s.rows, maxLength: s.rows }),
      delimiter: fc.constant(s.delimiter),
      quoting: fc.constant(s.quoting),
      bom: fc.constant(s.bom),
      crlf: fc.constant(s.crlf),
    }),
  )
  .map(
    ({ rows, ...rest }): CsvModel => ({
      ...rest,
      rows: rows.map((r, i) => [String(i + 1), ...r.map(String)]),
      blankAfter: [],
      ragged: null,
    }),
  );

const cellArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_CELLS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);

/** Anything: odd and duplicate names, odd cells, broken quoting, blank lines, a ragged row. */
const dirtyModel = fc
  .record({ cols: fc.integer({ min: 1, max: 5 }), rows: fc.integer({ min: 0, max: 20 }) })
  .chain((s) =>
    fc.record({
      header: fc.array(fc.oneof(fc.constantFrom(...SAFE_NAMES), fc.constantFrom(...ODD_NAMES), fc.string({ minLength: 1, maxLength: 5 })), {
        minLength: s.cols,
        maxLength: s.cols,
      }),
      rows: fc.array(fc.array(cellArb, { minLength: s.cols, maxLength: s.cols }), { minLength: s.rows, maxLength: s.rows }),
      delimiter: fc.constantFrom(',', ';', '\t', '|'),
      quoting: fc.constantFrom<'minimal' | 'all' | 'none'>('minimal', 'minimal', 'all', 'none'),
      bom: fc.boolean(),
      crlf: fc.boolean(),
      blankAfter: fc.array(fc.integer({ min: 0, max: s.rows + 1 }), { maxLength: 2 }),
      ragged: s.rows > 0 ? fc.option(fc.tuple(fc.integer({ min: 0, max: s.rows - 1 }), fc.constantFrom<1 | -1>(1, -1)), { freq: 3 }) : fc.constant(null),
    }),
  );

// ---------------------------------------------------------------------------
// The invariant.

type OutChoice = 'none' | 'fresh' | 'input' | 'dir' | 'missing-dir' | 'empty';
const outChoice = fc.constantFrom<OutChoice>('none', 'fresh', 'fresh', 'input', 'dir', 'missing-dir', 'empty');

function outArgs(choice: OutChoice, dir: string, input: string): { args: string[]; path?: string } {
  switch (choice) {
    case 'none':
      return { args: [] };
    case 'fresh':
      return { args: ['--out', join(dir, 'labels.csv')], path: join(dir, 'labels.csv') };
    case 'input':
      return { args: ['--out', input] };
    case 'dir':
      return { args: ['--out', dir] };
    case 'missing-dir':
      return { args: ['--out', join(dir, 'missing', 'labels.csv')] };
    case 'empty':
      return { args: ['--out', ''] };
  }
}

/** exit 0, or exit 2 with one line; never a stack trace. */
function checkExit(r: CliRun): void {
  expect([0, 2], `exit ${r.code}: ${r.stderr}`).toContain(r.code);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  // CLI messages speak of flags, not of the library's spec fields or option names.
  expect(r.stderr).not.toMatch(/\bspec\.|\b(kMin|kMax|nInit|maxIter)\b/);
  if (r.code === 2) {
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.slice(0, -1)).not.toContain('\n');
    expect(r.stderr).toMatch(/^segmenta: error: \S/);
    expect(r.stdout).toBe('');
  }
}

/** The directory holds the input, the output only on success, and nothing else (no temporary file). */
function checkFiles(dir: string, inputName: string, inputBytes: Buffer, r: CliRun, out: { path?: string }): void {
  expect(readFileSync(join(dir, inputName)).equals(inputBytes)).toBe(true);
  const expected = [inputName, ...(r.code === 0 && out.path ? ['labels.csv'] : [])].sort();
  expect(readdirSync(dir).sort()).toEqual(expected);
  expect(liveTemporaryFiles()).toEqual([]);
}

interface KMeansDoc {
  rows: number;
  k: number;
  wcss: number;
  sizes: number[];
  centroids: number[][];
}

/** A successful kmeans run is a consistent result: sizes sum to rows, a finite WCSS, the labels file matches the sizes. */
function checkResult(doc: KMeansDoc, k: number, out: { path?: string }): void {
  expect(doc.k).toBe(k);
  expect(doc.sizes).toHaveLength(k);
  expect(doc.sizes.reduce((a, b) => a + b, 0)).toBe(doc.rows);
  expect(Number.isFinite(doc.wcss) && doc.wcss >= 0).toBe(true);
  for (const c of doc.centroids) for (const v of c) expect(Number.isFinite(v)).toBe(true);
  if (out.path) {
    const lines = readFileSync(out.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(doc.rows + 1);
    const counts = new Array<number>(k).fill(0);
    for (const line of lines.slice(1)) counts[Number(line.slice(line.lastIndexOf(',') + 1))]!++;
    expect(counts).toEqual(doc.sizes);
  }
}

function distinctRows(rows: string[][], features: number[]): number {
  return new Set(rows.map((r) => features.map((j) => Math.fround(Number(r[j]))).join(','))).size;
}

function caseDir(): string {
  const dir = join(root, `c${++caseNo}`);
  mkdirSync(dir);
  return dir;
}

describe('fuzz: the CLI on random CSV shapes and option values', () => {
  it(
    'clean CSVs (any delimiter, quoting, BOM, CRLF) are read exactly: exit 0 with the right rows, or a one-line k error',
    async () => {
      await fc.assert(
        fc.asyncProperty(cleanModel, fc.integer({ min: 1, max: 5 }), outChoice, fc.constantFrom('js', 'wasm'), async (model, k, choice, backend) => {
          const dir = caseDir();
          const text = csvText(model);
          const input = join(dir, 'data.csv');
          writeFileSync(input, text);
          const bytes = readFileSync(input);
          const features = model.header.slice(1);
          const out = outArgs(choice, dir, input);
          const r = await runSegmenta('kmeans', input, '--features', features.join(','), '--k', String(k), '--backend', backend, '--json', ...out.args);
          checkExit(r);
          checkFiles(dir, 'data.csv', bytes, r, out);
          const outOk = choice === 'none' || choice === 'fresh';
          const distinct = distinctRows(model.rows, features.map((_, j) => j + 1));
          if (outOk && k <= distinct) {
            expect(r.code, r.stderr).toBe(0);
            const doc = JSON.parse(r.stdout) as KMeansDoc;
            expect(doc.rows).toBe(model.rows.length);
            checkResult(doc, k, out);
          } else {
            expect(r.code).toBe(2);
          }
        }),
        params(RUNS),
      );
    },
    TIMEOUT,
  );

  it(
    'dirty CSVs (odd and duplicate names, NaN/Inf/huge/empty/text cells, broken quoting, blank lines, ragged rows): exit 0 or one line',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          dirtyModel,
          fc.integer({ min: 1, max: 4 }),
          outChoice,
          fc.constantFrom('none', 'standard', 'minmax'),
          fc.array(fc.oneof(fc.nat(6), fc.constantFrom('nope', 'Gender', ' ')), { minLength: 1, maxLength: 3 }),
          async (model, k, choice, scale, picks) => {
            const dir = caseDir();
            const input = join(dir, 'data.csv');
            writeFileSync(input, csvText(model));
            const bytes = readFileSync(input);
            const names = picks.map((p) => (typeof p === 'number' ? (model.header[p] ?? `col${p}`) : p));
            const out = outArgs(choice, dir, input);
            const r = await runSegmenta('kmeans', input, '--features', names.join(','), '--k', String(k), '--scale', scale, '--backend', 'js', '--json', ...out.args);
            checkExit(r);
            checkFiles(dir, 'data.csv', bytes, r, out);
            if (r.code === 0) checkResult(JSON.parse(r.stdout) as KMeansDoc, k, out);
          },
        ),
        params(RUNS),
      );
    },
    TIMEOUT,
  );

  it(
    'random option values for kmeans, sweep and hclust: exit 0 or one line',
    async () => {
      const dir = caseDir();
      const input = join(dir, 'data.csv');
      const lines = ['id,a,b,c'];
      for (let i = 1; i <= 30; i++) lines.push(`${i},${(i * 7) % 11},${(i * 3) % 13},${i % 4}`);
      writeFileSync(input, `${lines.join('\n')}\n`);
      const value = fc.oneof(
        fc.integer({ min: -3, max: 40 }).map(String),
        fc.constantFrom('', ' ', '0', '1e3', '1.5', '-1', 'NaN', 'Infinity', '10_000', '99999999999999999999', 'auto', 'abc', '--json', '0x10', '1e-400'),
        fc.string({ maxLength: 4 }),
      );
      const option = fc.oneof(
        fc.tuple(fc.constantFrom('--k', '--k-min', '--k-max', '--n-init', '--max-iter', '--tol', '--seed', '--threads', '--distance-threshold', '--top-merges'), value),
        fc.tuple(fc.constant('--scale'), fc.oneof(fc.constantFrom('none', 'standard', 'minmax', 'z', ''), value)),
        fc.tuple(fc.constant('--backend'), fc.oneof(fc.constantFrom('auto', 'js', 'wasm', 'tfjs', 'cuda', ''), value)),
        fc.tuple(fc.constant('--features'), fc.constantFrom('a,b', 'a', 'a,b,c', 'b,a', 'a,a', ',', '', 'x', 'id,a')),
        fc.tuple(fc.constant('--linkage'), fc.constantFrom('ward', 'single', 'average', 'complete', 'median', '')),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('kmeans', 'sweep', 'hclust'), fc.array(option, { maxLength: 5 }), async (command, options) => {
          const args = [command, input, '--features', 'a,b', ...options.flat(), '--json'];
          if (command === 'sweep') args.push('--n-init', '1');
          const r = await runSegmenta(...args);
          checkExit(r);
          if (r.code === 0 && command !== 'sweep') {
            const doc = JSON.parse(r.stdout) as { rows: number; sizes: number[] };
            expect(doc.rows).toBe(30);
            expect(doc.sizes.reduce((a, b) => a + b, 0)).toBe(30);
          }
          expect(readdirSync(dir)).toEqual(['data.csv']);
        }),
        params(RUNS),
      );
    },
    TIMEOUT,
  );

  it('a few random dirty CSVs through the real process: exit 0 or one line, no stack trace', () => {
    const samples = fc.sample(fc.tuple(dirtyModel, fc.integer({ min: 1, max: 3 })), { numRuns: Math.max(2, Math.round(RUNS / 30)), ...(SEED !== undefined ? { seed: SEED } : {}) });
    for (const [model, k] of samples) {
      const dir = caseDir();
      const input = join(dir, 'data.csv');
      writeFileSync(input, csvText(model));
      const r = spawnSync(process.execPath, [CLI, 'kmeans', input, '--features', model.header.slice(0, 2).join(','), '--k', String(k), '--json', '--out', join(dir, 'labels.csv')], {
        encoding: 'utf8',
      });
      const run = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      checkExit(run);
      expect(existsSync(join(dir, 'labels.csv'))).toBe(run.code === 0);
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    }
  });
});

describe('fuzz: the library never fails untyped', () => {
  const junk = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.array(fc.double(), { maxLength: 6 }),
    fc.constant({}),
  );
  const matrixArb = fc.oneof(
    fc.record({ rows: fc.integer({ min: 0, max: 8 }), cols: fc.integer({ min: 0, max: 3 }) }).chain(({ rows, cols }) =>
      fc.record({
        data: fc.oneof(
          fc.array(fc.oneof(fc.double(), fc.float(), fc.integer({ min: -5, max: 5 })), { minLength: rows * cols, maxLength: rows * cols }).map((v) => Float32Array.from(v)),
          fc.array(fc.double(), { minLength: rows * cols, maxLength: rows * cols }).map((v) => Float64Array.from(v)),
          fc.array(fc.integer(), { minLength: rows * cols, maxLength: rows * cols }),
          junk,
        ),
        rows: fc.oneof(fc.constant(rows), fc.integer({ min: -1, max: 9 }), fc.double(), junk),
        cols: fc.oneof(fc.constant(cols), fc.integer({ min: -1, max: 4 }), junk),
      }),
    ),
    junk,
  );
  const optionsArb = fc.oneof(
    fc.record(
      {
        k: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.double(), junk),
        kMin: fc.oneof(fc.integer({ min: 0, max: 4 }), junk),
        kMax: fc.oneof(fc.integer({ min: 0, max: 8 }), junk),
        nInit: fc.oneof(fc.integer({ min: 0, max: 3 }), junk),
        maxIter: fc.oneof(fc.integer({ min: 0, max: 50 }), junk),
        tol: fc.oneof(fc.double(), junk),
        seed: fc.oneof(fc.integer(), junk),
        backend: fc.oneof(fc.constantFrom('js', 'wasm', 'tfjs', 'nope'), junk),
      },
      { requiredKeys: [] },
    ),
    junk,
  );

  it(
    'fitKMeans and sweepK on junk: a result, or a SegmentaError with a code',
    async () => {
      await fc.assert(
        fc.asyncProperty(matrixArb, optionsArb, fc.boolean(), async (matrix, options, sweep) => {
          try {
            const run = sweep ? sweepK(matrix as Matrix, options as never) : fitKMeans(matrix as Matrix, options as never);
            const r = await run;
            expect(r.rows).toBe((matrix as Matrix).rows);
            if ('wcss' in r && typeof r.wcss === 'number') expect(Number.isFinite(r.wcss)).toBe(true);
          } catch (error) {
            expect(error, String(error instanceof Error ? error.stack : error)).toBeInstanceOf(SegmentaError);
            expect((error as SegmentaError).code).toMatch(/^[A-Z_]+$/);
          }
        }),
        params(RUNS * 4),
      );
    },
    TIMEOUT,
  );
});
