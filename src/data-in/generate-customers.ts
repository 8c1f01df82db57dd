/**
 * A seeded, mall-like synthetic customer base (any size), modelled on the
 * 200-row "Mall Customers" sample: five latent segments in the
 * (Annual Income, Spending Score) plane, each with its own age and gender mix,
 * plus optional extra behavioural features that also differ by segment.
 *
 * The same `{rows, seed, features}` always gives the same customers, whether
 * generated in memory ({@link generateCustomers}) or streamed to a file
 * ({@link writeGeneratedCustomers}).
 */
import { dirname, extname } from 'node:path';
import { chmod, rename, rm, statfs } from 'node:fs/promises';
import { errnoCode, errnoReason, fileSystemError, SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { SeededRandom } from '../common/seeded-random.js';
import { registerTemporaryPath, releaseTemporaryPath, resolveOutputPath, temporaryPathFor, withAtomicWriter } from '../common/atomic-file.js';
import { literalDuckDbPath, lockDown } from './duckdb-lockdown.js';
import { loadDuckDB } from './duckdb-vectors.js';
import { sqlString } from './sql-quote.js';

/** A gaussian with clipping and rounding, as used for one generated column. */
export interface GeneratedDistribution {
  mean: number;
  sd: number;
}

/** One latent segment of the generated customer base. */
export interface CustomerSegmentDefinition {
  /** Segment index (the value in `trueSegment`). */
  id: number;
  /** A short human name. */
  name: string;
  /** Share of customers in this segment (all weights sum to 1). */
  weight: number;
  /** Annual Income (k$). */
  income: GeneratedDistribution;
  /** Spending Score (1-100). */
  score: GeneratedDistribution;
  /** Age in years (clipped to 18..70). */
  age: GeneratedDistribution;
  /** Probability that a customer of this segment is Female. */
  femaleShare: number;
}

/**
 * The five latent segments, after the clusters visible in the Mall data
 * (income/score centres and shares), with plausible age and gender mixes.
 * Spreads are small enough that K-Means (k = 5) on standardized
 * (income, score) recovers the segments with an adjusted Rand index ≥ 0.9,
 * and so it does on every standardized numeric column (Age included; age
 * spreads are kept narrow for that, ARI ≈ 0.97 with D = 4).
 *
 * | id | name | share | income (k$) | score | age | female |
 * |----|------|-------|-------------|-------|-----|--------|
 * | 0 | Average | 40% | 55 ± 7 | 50 ± 6 | 45 ± 8 | 58% |
 * | 1 | Affluent spenders | 20% | 87 ± 8 | 82 ± 6 | 33 ± 4 | 54% |
 * | 2 | Young impulsive | 11% | 26 ± 6 | 79 ± 6 | 25 ± 5 | 57% |
 * | 3 | Affluent careful | 17% | 88 ± 8 | 17 ± 6 | 41 ± 8 | 46% |
 * | 4 | Budget careful | 12% | 26 ± 6 | 21 ± 6 | 48 ± 9 | 60% |
 */
export const CUSTOMER_SEGMENTS: readonly CustomerSegmentDefinition[] = Object.freeze([
  { id: 0, name: 'Average', weight: 0.4, income: { mean: 55, sd: 7 }, score: { mean: 50, sd: 6 }, age: { mean: 45, sd: 8 }, femaleShare: 0.58 },
  { id: 1, name: 'Affluent spenders', weight: 0.2, income: { mean: 87, sd: 8 }, score: { mean: 82, sd: 6 }, age: { mean: 33, sd: 4 }, femaleShare: 0.54 },
  { id: 2, name: 'Young impulsive', weight: 0.11, income: { mean: 26, sd: 6 }, score: { mean: 79, sd: 6 }, age: { mean: 25, sd: 5 }, femaleShare: 0.57 },
  { id: 3, name: 'Affluent careful', weight: 0.17, income: { mean: 88, sd: 8 }, score: { mean: 17, sd: 6 }, age: { mean: 41, sd: 8 }, femaleShare: 0.46 },
  { id: 4, name: 'Budget careful', weight: 0.12, income: { mean: 26, sd: 6 }, score: { mean: 21, sd: 6 }, age: { mean: 48, sd: 9 }, femaleShare: 0.6 },
]);

/** An extra numeric column generated when `features > 3`. */
export interface ExtraFeatureDefinition {
  name: string;
  /** Mean per segment (indexed by segment id). */
  means: readonly number[];
  sd: number;
  min: number;
  max: number;
  /** Decimals kept (0 or 1). */
  decimals: number;
}

/**
 * Extra features, in the order they are added (feature 4 is the first).
 * Beyond these, generic `Feature N` columns (mean 50, sd 10, 1 decimal, a
 * segment-dependent shift) are added.
 */
export const EXTRA_FEATURES: readonly ExtraFeatureDefinition[] = Object.freeze([
  { name: 'Visits per Month', means: [4, 7, 6, 2.5, 2], sd: 1.2, min: 0, max: 60, decimals: 1 },
  { name: 'Avg Basket ($)', means: [45, 120, 38, 70, 22], sd: 12, min: 1, max: 1000, decimals: 1 },
  { name: 'Tenure (years)', means: [5, 6, 2, 8, 6], sd: 2, min: 0, max: 30, decimals: 1 },
  { name: 'Online Share (%)', means: [30, 45, 60, 25, 15], sd: 10, min: 0, max: 100, decimals: 0 },
  { name: 'Returns (%)', means: [6, 9, 14, 3, 4], sd: 2.5, min: 0, max: 100, decimals: 1 },
  { name: 'Loyalty Points (k)', means: [3, 9, 2, 5, 1], sd: 1.2, min: 0, max: 100, decimals: 1 },
  { name: 'Days Since Last Visit', means: [10, 5, 7, 25, 30], sd: 5, min: 0, max: 365, decimals: 0 },
  { name: 'Coupons Used per Year', means: [8, 4, 12, 2, 18], sd: 3, min: 0, max: 200, decimals: 0 },
  { name: 'Household Size', means: [2.8, 2.5, 1.6, 3, 3.2], sd: 0.9, min: 1, max: 10, decimals: 0 },
  { name: 'Distance to Mall (km)', means: [8, 6, 4, 12, 9], sd: 3, min: 0.1, max: 200, decimals: 1 },
  { name: 'Newsletter Opens (%)', means: [35, 55, 40, 20, 45], sd: 12, min: 0, max: 100, decimals: 0 },
  { name: 'Support Tickets per Year', means: [1.5, 2.5, 3, 0.8, 1.2], sd: 0.7, min: 0, max: 50, decimals: 1 },
  { name: 'Credit Limit (k$)', means: [12, 30, 5, 35, 4], sd: 4, min: 0.5, max: 500, decimals: 1 },
]);

/** Smallest and largest supported number of numeric features. */
export const MIN_GENERATED_FEATURES = 3;
export const MAX_GENERATED_FEATURES = 256;

/** Most customers {@link writeGeneratedCustomers} and {@link generateCustomers} make: one billion (a CSV of about 30 GB with D = 3). */
export const MAX_GENERATED_ROWS = 1_000_000_000;

/** The five base column names, in file order. */
export const BASE_COLUMNS = ['CustomerID', 'Gender', 'Age', 'Annual Income (k$)', 'Spending Score (1-100)'] as const;

/** Options of {@link generateCustomers} and {@link writeGeneratedCustomers}. */
export interface GenerateCustomersOptions {
  /** Number of customers, 1 ≤ rows ≤ {@link MAX_GENERATED_ROWS}. */
  rows: number;
  /** Seed of the generator (32-bit integer). Default 42. */
  seed?: number;
  /** Number of numeric features D (Age, Income, Score, then extras); 3 ≤ D ≤ 256. Default 3. */
  features?: number;
  /**
   * Multiplies every segment's standard deviation: above 1 the segments
   * overlap more (a harder clustering problem, e.g. 2 for benchmarks); 0 < spread ≤ 10. Default 1.
   */
  spread?: number;
  /**
   * Adds a last column of this name with a per-customer weight: an integer
   * visit count from 1 to 20 (geometric-like, most customers 1–4), drawn from
   * its own seeded stream, so the other columns are the same as without it.
   * For sample weights (`--weight`). Files only (writeGeneratedCustomers). Default: none.
   */
  weightColumn?: string;
}

/** A generated customer base held in memory. */
export interface GeneratedCustomers {
  rows: number;
  seed: number;
  /** All column names in file order: CustomerID, Gender, then the D numeric features. */
  columnNames: string[];
  /** The D numeric feature names (Age, Annual Income (k$), Spending Score (1-100), extras…). */
  featureNames: string[];
  /** CustomerID: 1..rows. */
  ids: Float64Array;
  /** 'Female' | 'Male' per row. */
  gender: string[];
  /** One Float64Array (length rows) per numeric feature, in `featureNames` order. */
  numeric: Float64Array[];
  /** The latent segment (index into {@link CUSTOMER_SEGMENTS}) of each row. */
  trueSegment: Int32Array;
}

interface ColumnSpec {
  name: string;
  means: readonly number[];
  sds: readonly number[];
  min: number;
  max: number;
  decimals: number;
}

/** The numeric column specs for D features, standard deviations times `spread`. */
function columnSpecs(d: number, spread: number): ColumnSpec[] {
  const seg = CUSTOMER_SEGMENTS;
  const specs: ColumnSpec[] = [
    { name: 'Age', means: seg.map((s) => s.age.mean), sds: seg.map((s) => s.age.sd), min: 18, max: 70, decimals: 0 },
    { name: 'Annual Income (k$)', means: seg.map((s) => s.income.mean), sds: seg.map((s) => s.income.sd), min: 15, max: 140, decimals: 0 },
    { name: 'Spending Score (1-100)', means: seg.map((s) => s.score.mean), sds: seg.map((s) => s.score.sd), min: 1, max: 100, decimals: 0 },
  ];
  for (let j = 3; j < d; j++) {
    const extra = EXTRA_FEATURES[j - 3];
    if (extra) {
      specs.push({ name: extra.name, means: extra.means, sds: extra.means.map(() => extra.sd), min: extra.min, max: extra.max, decimals: extra.decimals });
    } else {
      const n = j + 1;
      specs.push({
        name: `Feature ${n}`,
        means: seg.map((s) => 50 + 5 * (((s.id * 7 + n * 3) % 5) - 2)),
        sds: seg.map(() => 10),
        min: 0,
        max: 100,
        decimals: 1,
      });
    }
  }
  if (spread !== 1) for (const spec of specs) spec.sds = spec.sds.map((sd) => sd * spread);
  return specs;
}

interface ResolvedOptions {
  rows: number;
  seed: number;
  features: number;
  spread: number;
  weightColumn?: string;
}

function resolveOptions(opts: GenerateCustomersOptions): ResolvedOptions {
  const { rows } = opts;
  const seed = opts.seed ?? 42;
  const features = opts.features ?? 3;
  const spread = opts.spread ?? 1;
  if (!Number.isSafeInteger(rows) || rows < 1 || rows > MAX_GENERATED_ROWS) {
    throw new SegmentaError('INVALID_OPTION', `rows must be an integer from 1 to ${MAX_GENERATED_ROWS}, got ${String(rows)}`, { option: 'rows', value: rows });
  }
  if (!Number.isSafeInteger(seed) || seed < -2147483648 || seed > 4294967295) {
    throw new SegmentaError('INVALID_OPTION', `seed must be a 32-bit integer, got ${String(seed)}`, { option: 'seed', value: seed });
  }
  if (!Number.isSafeInteger(features) || features < MIN_GENERATED_FEATURES || features > MAX_GENERATED_FEATURES) {
    throw new SegmentaError(
      'INVALID_OPTION',
      `features must be an integer from ${MIN_GENERATED_FEATURES} to ${MAX_GENERATED_FEATURES}, got ${String(features)}`,
      { option: 'features', value: features },
    );
  }
  if (typeof spread !== 'number' || !Number.isFinite(spread) || spread <= 0 || spread > 10) {
    throw new SegmentaError('INVALID_OPTION', `spread must be a number above 0 and at most 10, got ${String(spread)}`, { option: 'spread', value: spread });
  }
  const weightColumn = opts.weightColumn;
  if (weightColumn !== undefined && (typeof weightColumn !== 'string' || weightColumn.trim() === '' || BASE_COLUMNS.includes(weightColumn as never))) {
    throw new SegmentaError('INVALID_OPTION', `weightColumn must be a new column name, got '${String(weightColumn)}'`, { option: 'weightColumn', value: weightColumn });
  }
  return { rows, seed, features, spread, ...(weightColumn !== undefined ? { weightColumn: weightColumn.trim() } : {}) };
}

/** The generated weight of the next customer: 1 + the number of failures before a success with p = 0.3, at most 20. */
function nextWeight(rng: SeededRandom): number {
  let w = 1;
  while (w < 20 && rng.nextFloat() >= 0.3) w++;
  return w;
}

/**
 * Row generator shared by the in-memory and streaming paths: it consumes the
 * random stream row by row, so block size never changes the data.
 */
class CustomerStream {
  private readonly rng: SeededRandom;
  private readonly specs: ColumnSpec[];
  private readonly cumulative: Float64Array;
  private readonly scales: Float64Array;

  constructor(seed: number, d: number, spread = 1) {
    this.rng = new SeededRandom(seed);
    this.specs = columnSpecs(d, spread);
    const k = CUSTOMER_SEGMENTS.length;
    this.cumulative = new Float64Array(k);
    let acc = 0;
    for (let s = 0; s < k; s++) {
      acc += CUSTOMER_SEGMENTS[s]!.weight;
      this.cumulative[s] = acc;
    }
    this.cumulative[k - 1] = Infinity;
    this.scales = Float64Array.from(this.specs, (s) => 10 ** s.decimals);
  }

  get names(): string[] {
    return this.specs.map((s) => s.name);
  }

  /** Uniform in (0, 1) with 32 random bits (plenty for synthetic data, and twice as cheap as nextFloat). */
  private uniform(): number {
    return (this.rng.nextUint32() + 0.5) * 2.3283064365386963e-10;
  }

  private spare = 0;
  private hasSpare = false;

  /** Standard normal (Box-Muller, both outputs used). */
  private gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 6.283185307179586 * this.uniform();
    this.spare = r * Math.sin(t);
    this.hasSpare = true;
    return r * Math.cos(t);
  }

  /**
   * Generates `count` rows into the given buffers (numeric row-major `count × D`).
   */
  next(count: number, segment: Int32Array, female: Uint8Array, values: Float64Array): void {
    const specs = this.specs;
    const d = specs.length;
    const cumulative = this.cumulative;
    for (let i = 0; i < count; i++) {
      const u = this.uniform();
      let s = 0;
      while (u >= cumulative[s]!) s++;
      segment[i] = s;
      female[i] = this.uniform() < CUSTOMER_SEGMENTS[s]!.femaleShare ? 1 : 0;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const spec = specs[j]!;
        let v = spec.means[s]! + spec.sds[s]! * this.gaussian();
        if (v < spec.min) v = spec.min;
        else if (v > spec.max) v = spec.max;
        const scale = this.scales[j]!;
        values[base + j] = Math.round(v * scale) / scale;
      }
    }
  }
}

/**
 * Generates a mall-like customer base in memory.
 *
 * Columns: `CustomerID` (1..rows), `Gender` ('Female'/'Male'), `Age`,
 * `Annual Income (k$)`, `Spending Score (1-100)` (integers, like the Mall
 * data), then `features - 3` extra numeric columns from {@link EXTRA_FEATURES}
 * (up to 1 decimal), then generic `Feature N` columns.
 *
 * @param opts `rows` (required), `seed` (default 42), `features` D (default 3, 3..256)
 * @returns the columns plus `trueSegment` (the latent segment of each row)
 * @throws SegmentaError `INVALID_OPTION` for a bad rows/seed/features value
 * @example
 * const g = generateCustomers({ rows: 1000, seed: 7, features: 5 });
 * g.featureNames; // ['Age', 'Annual Income (k$)', 'Spending Score (1-100)', 'Visits per Month', 'Avg Basket ($)']
 * g.trueSegment[0]; // 0..4, see CUSTOMER_SEGMENTS
 */
export function generateCustomers(opts: GenerateCustomersOptions): GeneratedCustomers {
  const { rows, seed, features, spread } = resolveOptions(opts);
  const stream = new CustomerStream(seed, features, spread);
  const trueSegment = new Int32Array(rows);
  const female = new Uint8Array(rows);
  const values = new Float64Array(rows * features);
  stream.next(rows, trueSegment, female, values);
  const numeric: Float64Array[] = [];
  for (let j = 0; j < features; j++) {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = values[i * features + j]!;
    numeric.push(col);
  }
  const ids = new Float64Array(rows);
  const gender: string[] = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    ids[i] = i + 1;
    gender[i] = female[i] ? 'Female' : 'Male';
  }
  const featureNames = stream.names;
  return { rows, seed, columnNames: ['CustomerID', 'Gender', ...featureNames], featureNames, ids, gender, numeric, trueSegment };
}

/**
 * The numeric features of generated customers (Age, Income, Score, extras) as
 * one rows × D float32 matrix, row-major, in original units.
 *
 * @example
 * const g = generateCustomers({ rows: 1000, features: 4 });
 * const { matrix } = prepareFeatures({ matrix: generatedFeatureMatrix(g), featureNames: g.featureNames }, { scale: 'standard' });
 */
export function generatedFeatureMatrix(g: GeneratedCustomers): Matrix {
  const rows = g.rows;
  const cols = g.numeric.length;
  const data = new Float32Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const col = g.numeric[j]!;
    for (let i = 0; i < rows; i++) data[i * cols + j] = col[i]!;
  }
  return { data, rows, cols };
}

/** Quotes a CSV field when it contains a comma, quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** What {@link writeGeneratedCustomers} wrote. */
export interface GeneratedFileInfo {
  path: string;
  format: 'csv' | 'parquet';
  rows: number;
  columns: string[];
  featureNames: string[];
  seed: number;
  /** Customers per latent segment. */
  segmentCounts: number[];
}

const BLOCK_ROWS = 32_768;
const DIGITS = 20;

/**
 * Writes a non-negative number with at most one decimal (the generator's
 * values) as ASCII into `buf` at `pos`, exactly as `String(value)` would;
 * returns the new position.
 */
function putNumber(buf: Uint8Array, pos: number, value: number, scratch: Uint8Array): number {
  const tenths = Math.round(value * 10);
  let int = Math.floor(tenths / 10);
  const frac = tenths - int * 10;
  let n = 0;
  do {
    const q = Math.floor(int / 10);
    scratch[n++] = 48 + (int - q * 10);
    int = q;
  } while (int > 0);
  while (n > 0) buf[pos++] = scratch[--n]!;
  if (frac !== 0) {
    buf[pos++] = 46; // '.'
    buf[pos++] = 48 + frac;
  }
  return pos;
}

async function writeCsv(path: string, o: ResolvedOptions): Promise<{ columns: string[]; featureNames: string[]; counts: number[] }> {
  const stream = new CustomerStream(o.seed, o.features, o.spread);
  const featureNames = stream.names;
  const columns = ['CustomerID', 'Gender', ...featureNames, ...(o.weightColumn !== undefined ? [o.weightColumn] : [])];
  const weightRng = o.weightColumn !== undefined ? new SeededRandom((o.seed ^ 0x7f4a7c15) >>> 0) : undefined;
  const counts = new Array<number>(CUSTOMER_SEGMENTS.length).fill(0);
  const d = o.features;
  const segment = new Int32Array(BLOCK_ROWS);
  const female = new Uint8Array(BLOCK_ROWS);
  const values = new Float64Array(BLOCK_ROWS * d);
  // Longest line: id (≤ 16 digits) + ',Female' + D × (',' + ≤ 16 digits + '.d') + '\n'.
  const buffer = Buffer.allocUnsafe(BLOCK_ROWS * (24 + 8 + (d + 1) * 20));
  const scratch = new Uint8Array(DIGITS);
  const femaleBytes = Buffer.from(',Female');
  const maleBytes = Buffer.from(',Male');
  await withAtomicWriter(path, async (w) => {
    await w.write(columns.map(csvField).join(',') + '\n');
    for (let start = 0; start < o.rows; start += BLOCK_ROWS) {
      const count = Math.min(BLOCK_ROWS, o.rows - start);
      stream.next(count, segment, female, values);
      let pos = 0;
      for (let i = 0; i < count; i++) {
        counts[segment[i]!]!++;
        pos = putNumber(buffer, pos, start + i + 1, scratch);
        const g = female[i] ? femaleBytes : maleBytes;
        for (let b = 0; b < g.length; b++) buffer[pos++] = g[b]!;
        const base = i * d;
        for (let j = 0; j < d; j++) {
          buffer[pos++] = 44; // ','
          pos = putNumber(buffer, pos, values[base + j]!, scratch);
        }
        if (weightRng) {
          buffer[pos++] = 44; // ','
          pos = putNumber(buffer, pos, nextWeight(weightRng), scratch);
        }
        buffer[pos++] = 10; // '\n'
      }
      await w.write(buffer.subarray(0, pos));
    }
  });
  return { columns, featureNames, counts };
}

/**
 * Streams a generated customer base (same data as {@link generateCustomers}
 * for the same options) to `path`: `.csv` (header row, comma-separated) or
 * `.parquet` (written by DuckDB from a temporary CSV). The file appears
 * atomically: on any failure nothing is left at `path`.
 *
 * About 1 s per million rows for CSV with D = 8 on a 2-core machine.
 *
 * @throws SegmentaError `UNSUPPORTED_FORMAT` for another extension, `INVALID_OPTION` for bad options
 * @example
 * await writeGeneratedCustomers('customers.csv', { rows: 1_000_000, seed: 1, features: 8 });
 */
export async function writeGeneratedCustomers(path: string, opts: GenerateCustomersOptions): Promise<GeneratedFileInfo> {
  const o = resolveOptions(opts);
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.parquet') {
    throw new SegmentaError('UNSUPPORTED_FORMAT', `cannot write '${path}': the extension must be .csv or .parquet`, { path });
  }
  const out = await resolveOutputPath(path);
  await checkFreeSpace(path, dirname(out.target), estimatedCsvBytes(o) * (ext === '.parquet' ? 1.5 : 1));
  if (ext === '.csv') {
    const r = await writeCsv(path, o);
    return { path, format: 'csv', rows: o.rows, columns: r.columns, featureNames: r.featureNames, seed: o.seed, segmentCounts: r.counts };
  }
  const tempCsv = temporaryPathFor(out.target, '.csv');
  const tempParquet = temporaryPathFor(out.target, '.parquet');
  registerTemporaryPath(tempCsv);
  registerTemporaryPath(tempParquet);
  try {
    const r = await writeCsv(tempCsv, o);
    const { DuckDBInstance } = loadDuckDB();
    const instance = await DuckDBInstance.create(':memory:');
    const csv = await literalDuckDbPath(tempCsv);
    try {
      const connection = await instance.connect();
      try {
        await lockDown(connection, [csv.path, tempParquet]);
        const types = r.columns
          .map((c, j) => `${sqlString(c)}: '${j === 0 ? 'BIGINT' : j === 1 ? 'VARCHAR' : j <= 4 || c === o.weightColumn ? 'INTEGER' : 'DOUBLE'}'`)
          .join(', ');
        await connection.run(
          `COPY (SELECT * FROM read_csv(${sqlString(csv.path)}, header = true, delim = ',', quote = '"', columns = {${types}})) ` +
            `TO ${sqlString(tempParquet)} (FORMAT parquet, COMPRESSION zstd)`,
        );
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
      await csv.close();
    }
    try {
      if (out.mode !== undefined) await chmod(tempParquet, out.mode);
      await rename(tempParquet, out.target);
    } catch (error) {
      throw fileSystemError(error, path);
    }
    return { path, format: 'parquet', rows: o.rows, columns: r.columns, featureNames: r.featureNames, seed: o.seed, segmentCounts: r.counts };
  } catch (error) {
    // Failures on the temporary files (a full disk, DuckDB's own write errors) are about `path`: name it.
    if (error instanceof SegmentaError && error.code !== 'FILE_SYSTEM_ERROR') throw error;
    const errno = error instanceof SegmentaError ? String(error.details['errno'] ?? '') : (errnoCode(error) ?? '');
    const reason = errno ? `${errnoReason(errno)} (${errno})` : String(error instanceof Error ? error.message : error).split('\n')[0]!;
    throw new SegmentaError('FILE_SYSTEM_ERROR', `cannot write '${path}': ${reason}`, { path, ...(errno ? { errno } : {}) });
  } finally {
    await rm(tempCsv, { force: true });
    await rm(tempParquet, { force: true });
    releaseTemporaryPath(tempCsv);
    releaseTemporaryPath(tempParquet);
  }
}

/** About how many bytes the CSV of `o` takes (ids, gender, then about 4 characters per value), rounded up. */
function estimatedCsvBytes(o: ResolvedOptions): number {
  return o.rows * (String(o.rows).length + 8 + o.features * 4.5);
}

/** Refuses a large write (over 100 MB) that cannot fit on the destination's file system (when it can tell). */
async function checkFreeSpace(path: string, dir: string, bytes: number): Promise<void> {
  if (bytes < 1e8) return;
  let free: number;
  try {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return;
  }
  if (bytes > free) {
    const gb = (b: number): string => `${(b / 1e9).toFixed(b < 1e10 ? 2 : 0)} GB`;
    throw new SegmentaError('FILE_SYSTEM_ERROR', `cannot write '${path}': it needs about ${gb(bytes)} but only ${gb(free)} are free on its file system`, {
      path,
      bytes,
      free,
    });
  }
}
