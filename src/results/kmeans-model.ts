/**
 * A fitted K-Means model that labels new customers: it applies the encoding
 * and the scaler the model was fitted with, then the nearest-centroid rule of
 * the kernels (float32 distance in the contract's order, first strictly
 * smallest wins), so predicting the training rows gives exactly the fit's labels.
 *
 * Models are saved as versioned JSON ({@link KMeansModelJSON}, JSON Schema
 * {@link KMEANS_MODEL_SCHEMA}); see docs/embedding.md.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../common/atomic-file.js';
import { SegmentaError } from '../common/errors.js';
import type { Matrix } from '../common/matrix.js';
import { predictNearest, type KMeansResult } from '../drivers/kmeans.js';
import { oneHotNames } from '../data-in/one-hot.js';
import { fitScaler, scalerFromJSON, type Scaler } from '../preparation/scaling.js';
import {
  KMEANS_MODEL_FORMAT,
  KMEANS_MODEL_FORMAT_VERSIONS,
  type KMeansModelJSON,
  type ModelFeature,
  type ModelSegment,
  type ModelTraining,
} from './kmeans-model-schema.js';

export { KMEANS_MODEL_FORMAT, KMEANS_MODEL_FORMAT_VERSION, KMEANS_MODEL_FORMAT_VERSIONS, KMEANS_MODEL_SCHEMA } from './kmeans-model-schema.js';
export type { KMeansModelJSON, ModelFeature, ModelSampleWeight, ModelSegment, ModelTraining } from './kmeans-model-schema.js';

/** One customer as a plain object: source column name → value (numbers, or the level of a categorical column). */
export type CustomerRecord = Readonly<Record<string, unknown>>;

/** What a model knows beyond the fit result (all optional). */
export interface KMeansModelInfo {
  /** Names of the fitted matrix's columns (`prepareFeatures(...).featureNames`). Default `x1`, `x2`, …. */
  columns?: readonly string[];
  /** Sorted levels of each one-hot encoded source column (`table.levels`). */
  levels?: Readonly<Record<string, readonly string[]>>;
  /** Name of each segment, indexed by segment number. */
  segmentNames?: readonly string[];
  /** Training facts to record besides those of the fit result (seed, id column, source…). */
  training?: Partial<ModelTraining>;
  /** segmenta version written into saved models. */
  segmentaVersion?: string;
}

/** The part of a fit result a model needs (any {@link KMeansResult} will do). */
export type ModelFit = Pick<KMeansResult, 'k' | 'centroids' | 'cols'> & Partial<Pick<KMeansResult, 'rows' | 'wcss' | 'iterations' | 'converged' | 'backend' | 'sizes'>>;

/** A table as the readers return it (only what predictTable needs). */
export interface PredictableTable {
  featureNames: readonly string[];
  matrix: Matrix;
  levels: Readonly<Record<string, readonly string[]>>;
  /** Named in errors, e.g. the file or `upload 'customers.csv'`. */
  path?: string;
}

/** Per-column plan of the single-customer fast path. */
interface FastPlan {
  /** Source column of each model column, and the level it tests (one-hot) or null (numeric). */
  source: string[];
  level: (string | null)[];
  offset: Float64Array;
  scale: Float64Array;
  centroids: Float32Array;
  row: Float32Array;
}

export class KMeansModel {
  /** The scaler applied before the nearest-centroid rule (identity when the fit had none). */
  readonly scaler: Scaler;
  /** Column names of the model (numeric names and `Column=Level` one-hot names). */
  readonly columns: readonly string[];
  /** Source columns: numeric, or categorical with their levels. */
  readonly features: readonly ModelFeature[];
  readonly segments: readonly ModelSegment[];
  readonly training: ModelTraining;
  readonly segmentaVersion: string | undefined;
  private fast: FastPlan | undefined;

  /**
   * @param result a result of `fitKMeans` (centroids in the scaled space it was fitted on)
   * @param scaler the scaler of the fit (from `prepareFeatures`), so `predict` takes rows in original units
   * @param info column names, one-hot levels, segment names and training facts (for saving and for customer objects)
   * @example
   * ```ts
   * const table = await readCustomerTable('customers.csv', { features: ['Annual Income (k$)', 'Spending Score (1-100)'] });
   * const { matrix, scaler, featureNames } = prepareFeatures(table, { scale: 'standard' });
   * const model = new KMeansModel(await fitKMeans(matrix, { k: 5 }), scaler, { columns: featureNames });
   * model.predictOne({ 'Annual Income (k$)': 70, 'Spending Score (1-100)': 80 }); // segment number
   * await saveModel('model.json', model);
   * ```
   */
  constructor(
    readonly result: ModelFit,
    scaler?: Scaler,
    info: KMeansModelInfo = {},
  ) {
    const cols = result.cols;
    if (!Number.isInteger(result.k) || result.k < 1 || result.centroids.length !== result.k * cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `a model needs k × cols centroids; got ${result.centroids.length} values for k = ${result.k}, cols = ${cols}`);
    }
    this.scaler = scaler ?? fitScaler({ data: new Float32Array(cols), rows: 1, cols }, 'none');
    if (this.scaler.cols !== cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `the scaler has ${this.scaler.cols} columns but the centroids have ${cols}`);
    }
    this.columns = info.columns ? [...info.columns] : Array.from({ length: cols }, (_, j) => `x${j + 1}`);
    if (this.columns.length !== cols) {
      throw new SegmentaError('SHAPE_MISMATCH', `${this.columns.length} column names for ${cols} model columns`);
    }
    this.features = featuresOf(this.columns, info.levels ?? {});
    const sizes = result.sizes ?? [];
    this.segments = Array.from({ length: result.k }, (_, id) => ({
      id,
      size: sizes[id] ?? 0,
      ...(info.segmentNames?.[id] !== undefined ? { name: info.segmentNames[id]! } : {}),
    }));
    this.training = {
      rows: result.rows ?? sizes.reduce((a, b) => a + b, 0),
      wcss: result.wcss ?? 0,
      iterations: result.iterations ?? 0,
      converged: result.converged ?? true,
      backend: result.backend ?? 'unknown',
      ...stripUndefined(info.training ?? {}),
    };
    this.segmentaVersion = info.segmentaVersion;
  }

  /** Number of segments. */
  get k(): number {
    return this.result.k;
  }

  /**
   * Segment of each row: a matrix (n × columns, original units, one-hot columns
   * already 0/1) or a list of customer objects (see {@link predictOne}).
   * @example
   * ```ts
   * model.predict(matrixFromRows([[70, 80], [20, 10]])); // Int32Array [s0, s1]
   * model.predict([{ 'Annual Income (k$)': 70, 'Spending Score (1-100)': 80 }]);
   * ```
   */
  predict(rows: Matrix | readonly CustomerRecord[]): Int32Array {
    if (Array.isArray(rows)) {
      const out = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = this.predictRecord(rows[i]!, i + 1);
      return out;
    }
    const matrix = rows as Matrix;
    const scaled = this.scaler.transform(matrix);
    return predictNearest(this.result.centroids, this.result.k, scaled);
  }

  /**
   * The fast path for one customer: `{ 'Annual Income (k$)': 70, 'Spending Score (1-100)': 80, Gender: 'Female' }`
   * → segment number. Allocates nothing per call (0.36 µs of CPU at k = 10, d = 8 on the 2-core dev machine; see bench/model-bench.ts).
   * @throws SegmentaError `MISSING_VALUE`, `NON_NUMERIC_VALUE`, `NON_FINITE_VALUE` or `UNKNOWN_CATEGORY`, naming the column
   */
  predictOne(customer: CustomerRecord): number {
    return this.predictRecord(customer, 0);
  }

  private predictRecord(customer: CustomerRecord, row: number): number {
    const p = (this.fast ??= this.plan());
    const { source, level, offset, scale, centroids, row: x } = p;
    const d = source.length;
    if (customer === null || typeof customer !== 'object') {
      throw new SegmentaError('INVALID_OPTION', `${where(row)}a customer must be an object of column → value, got ${customer === null ? 'null' : typeof customer}`);
    }
    for (let j = 0; j < d; j++) {
      const v = customer[source[j]!];
      const lv = level[j];
      let raw: number;
      if (lv === null) {
        raw = typeof v === 'number' ? v : numericValue(v, source[j]!, row);
        raw = Math.fround(raw);
        if (raw - raw !== 0) throw nonFinite(v, source[j]!, row);
      } else {
        if (typeof v !== 'string' && typeof v !== 'number') throw missing(source[j]!, row);
        raw = String(v) === lv ? 1 : 0;
        if (raw === 0 && !this.knownLevel(source[j]!, String(v))) throw unknownLevel(this.features, source[j]!, String(v), row);
      }
      x[j] = (raw - offset[j]!) / scale[j]!;
    }
    const k = this.result.k;
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0, o = 0; c < k; c++) {
      let acc = 0;
      for (let j = 0; j < d; j++, o++) {
        const diff = Math.fround(x[j]! - centroids[o]!);
        acc = Math.fround(acc + Math.fround(diff * diff));
      }
      if (acc < bestDist) {
        bestDist = acc;
        best = c;
      }
    }
    return best;
  }

  private knownLevel(column: string, value: string): boolean {
    const f = this.features.find((x) => x.name === column);
    return f !== undefined && f.kind === 'categorical' && f.levels.includes(value);
  }

  private plan(): FastPlan {
    const source: string[] = [];
    const level: (string | null)[] = [];
    for (const f of this.features) {
      if (f.kind === 'numeric') {
        source.push(f.name);
        level.push(null);
      } else {
        for (const l of f.levels) {
          source.push(f.name);
          level.push(l);
        }
      }
    }
    return {
      source,
      level,
      offset: Float64Array.from(this.scaler.offset),
      scale: Float64Array.from(this.scaler.scale),
      centroids: Float32Array.from(this.result.centroids),
      row: new Float32Array(source.length),
    };
  }

  /**
   * Segments of a table read with the model's source columns
   * (`readCustomerTable(src, { features: model.sourceFeatures(), encode: model.encodedFeatures() })`):
   * one-hot columns are matched by level, so a file holding only some of the
   * training levels works; a level the model never saw is an error naming its row.
   * @throws SegmentaError `UNKNOWN_COLUMN` (a model column the table lacks), `UNKNOWN_CATEGORY`
   */
  predictTable(table: PredictableTable): Int32Array {
    const { matrix } = table;
    const at = new Map(table.featureNames.map((name, j) => [name, j] as const));
    for (const f of this.features) {
      if (f.kind === 'numeric') {
        if (!at.has(f.name)) throw new SegmentaError('UNKNOWN_COLUMN', `${table.path ?? 'the table'} has no column '${f.name}', which the model needs`, { column: f.name });
        continue;
      }
      const known = new Set(f.levels);
      const seen = table.levels[f.name];
      if (!seen) throw new SegmentaError('UNKNOWN_COLUMN', `${table.path ?? 'the table'} has no encoded column '${f.name}', which the model needs`, { column: f.name });
      for (const l of seen) {
        if (known.has(l)) continue;
        const j = at.get(oneHotNames(f.name, [l])[0]!)!;
        let row = 0;
        while (row < matrix.rows && matrix.data[row * matrix.cols + j] !== 1) row++;
        throw unknownLevel(this.features, f.name, l, row + 1, table.path);
      }
    }
    const cols = this.columns.length;
    const source = this.columns.map((c) => at.get(c) ?? -1);
    const data = new Float32Array(matrix.rows * cols);
    for (let i = 0; i < matrix.rows; i++) {
      const r = i * matrix.cols;
      for (let j = 0; j < cols; j++) {
        const s = source[j]!;
        data[i * cols + j] = s >= 0 ? matrix.data[r + s]! : 0;
      }
    }
    return this.predict({ data, rows: matrix.rows, cols });
  }

  /** Source columns to read for prediction, in model order (categorical ones included). */
  sourceFeatures(): string[] {
    return this.features.map((f) => f.name);
  }

  /** Source columns the model one-hot encodes. */
  encodedFeatures(): string[] {
    return this.features.filter((f) => f.kind === 'categorical').map((f) => f.name);
  }

  /** Centroids in original units (k × cols, row-major). */
  centroidsInOriginalUnits(): Float64Array {
    return this.scaler.inverseTransform(this.result.centroids, this.result.cols);
  }

  /** The model as versioned plain JSON ({@link KMeansModelJSON}); `JSON.stringify(model)` uses it. */
  toJSON(): KMeansModelJSON {
    const { k, cols } = this.result;
    const rowsOf = (values: ArrayLike<number>): number[][] =>
      Array.from({ length: k }, (_, c) => Array.from({ length: cols }, (_, j) => values[c * cols + j]!));
    const scaler = this.scaler.toJSON();
    return {
      format: KMEANS_MODEL_FORMAT,
      formatVersion: this.training.sampleWeight ? 2 : 1,
      ...(this.segmentaVersion ? { segmentaVersion: this.segmentaVersion } : {}),
      features: this.features.map((f) => (f.kind === 'numeric' ? { name: f.name, kind: f.kind } : { name: f.name, kind: f.kind, levels: [...f.levels] })),
      columns: [...this.columns],
      scaler: { method: scaler.method, offset: scaler.offset, scale: scaler.scale },
      k,
      centroids: { scaled: rowsOf(this.result.centroids), original: rowsOf(this.centroidsInOriginalUnits()) },
      segments: this.segments.map((s) => ({ ...s })),
      training: { ...this.training },
    };
  }

  /**
   * Rebuilds a model from {@link toJSON} output (parsed JSON).
   * @throws SegmentaError `INVALID_MODEL` for another format, an unknown `formatVersion`, or inconsistent fields (the message names the field)
   */
  static fromJSON(json: unknown, source = 'model'): KMeansModel {
    const m = checkModelJSON(json, source);
    const scaler = scalerFromJSON(m.scaler);
    const centroids = Float64Array.from(m.centroids.scaled.flat());
    const levels: Record<string, string[]> = {};
    for (const f of m.features) if (f.kind === 'categorical') levels[f.name] = f.levels;
    return new KMeansModel(
      { k: m.k, cols: m.columns.length, centroids, sizes: m.segments.map((s) => s.size), rows: m.training.rows, wcss: m.training.wcss, iterations: m.training.iterations, converged: m.training.converged, backend: m.training.backend },
      scaler,
      {
        columns: m.columns,
        levels,
        segmentNames: m.segments.map((s) => s.name ?? (undefined as unknown as string)),
        training: m.training,
        ...(m.segmentaVersion ? { segmentaVersion: m.segmentaVersion } : {}),
      },
    );
  }
}

/**
 * Writes a model as JSON, atomically (temporary file, then rename).
 * @example
 * await saveModel('model.json', model);
 */
export async function saveModel(path: string, model: KMeansModel): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(model.toJSON(), null, 2)}\n`);
}

/**
 * Reads a model saved by {@link saveModel} (or any JSON following the schema).
 * @throws SegmentaError `FILE_NOT_FOUND`, `INVALID_MODEL` (not JSON, another format or version, inconsistent fields)
 */
export async function loadModel(path: string): Promise<KMeansModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new SegmentaError('FILE_NOT_FOUND', `cannot read model '${path}': file not found`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SegmentaError('INVALID_MODEL', `model '${path}' is not JSON: ${(error as Error).message}`, { path });
  }
  return KMeansModel.fromJSON(json, `model '${path}'`);
}

/** Groups model columns into source features: `Col=Level` runs matching `levels[Col]` are one categorical feature. */
function featuresOf(columns: readonly string[], levels: Readonly<Record<string, readonly string[]>>): ModelFeature[] {
  const out: ModelFeature[] = [];
  for (let j = 0; j < columns.length; ) {
    const match = Object.entries(levels).find(([name, ls]) => ls.length > 0 && oneHotNames(name, ls).every((n, q) => columns[j + q] === n));
    if (match) {
      out.push({ name: match[0], kind: 'categorical', levels: [...match[1]] });
      j += match[1].length;
    } else {
      out.push({ name: columns[j]!, kind: 'numeric' });
      j++;
    }
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function where(row: number): string {
  return row > 0 ? `row ${row}: ` : '';
}

function missing(column: string, row: number): SegmentaError {
  return new SegmentaError('MISSING_VALUE', `${where(row)}column '${column}' is missing`, { column, ...(row > 0 ? { row } : {}) });
}

function numericValue(v: unknown, column: string, row: number): number {
  if (v === undefined || v === null || v === '') throw missing(column, row);
  const n = typeof v === 'string' ? Number(v.trim()) : NaN;
  if (typeof v !== 'string' || v.trim() === '' || Number.isNaN(n)) {
    throw new SegmentaError('NON_NUMERIC_VALUE', `${where(row)}column '${column}': ${JSON.stringify(v) ?? String(v)} is not a number`, { column, value: v });
  }
  return n;
}

function nonFinite(v: unknown, column: string, row: number): SegmentaError {
  return new SegmentaError('NON_FINITE_VALUE', `${where(row)}column '${column}': ${String(v)} is not a finite float32 number`, { column, value: String(v) });
}

function unknownLevel(features: readonly ModelFeature[], column: string, value: string, row: number, source?: string): SegmentaError {
  const f = features.find((x) => x.name === column);
  const known = f && f.kind === 'categorical' ? f.levels.map((l) => `'${l}'`).join(', ') : '';
  return new SegmentaError(
    'UNKNOWN_CATEGORY',
    `${source ? `${source}: ` : ''}${where(row)}column '${column}': level '${value}' was not in the training data (the model knows ${known})`,
    { column, value, ...(row > 0 ? { row } : {}) },
  );
}

function invalid(source: string, message: string, details: Record<string, unknown> = {}): SegmentaError {
  return new SegmentaError('INVALID_MODEL', `${source}: ${message}`, details);
}

function isNumberArray(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Checks a parsed model against the version-1 format; messages name the field. */
function checkModelJSON(json: unknown, source: string): KMeansModelJSON {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(source, 'a model must be a JSON object');
  const m = json as Record<string, unknown>;
  if (m['format'] !== KMEANS_MODEL_FORMAT) {
    throw invalid(source, `format is ${JSON.stringify(m['format'])}, not '${KMEANS_MODEL_FORMAT}'`, { format: m['format'] });
  }
  if (!KMEANS_MODEL_FORMAT_VERSIONS.includes(m['formatVersion'] as number)) {
    throw invalid(
      source,
      `format version ${JSON.stringify(m['formatVersion'])} is not supported; this segmenta reads versions ${KMEANS_MODEL_FORMAT_VERSIONS.join(' and ')}`,
      { formatVersion: m['formatVersion'], supported: [...KMEANS_MODEL_FORMAT_VERSIONS] },
    );
  }
  const columns = m['columns'];
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c === '')) {
    throw invalid(source, 'columns must be a non-empty list of column names');
  }
  const d = columns.length;
  const features = m['features'];
  if (!Array.isArray(features) || features.length === 0) throw invalid(source, 'features must be a non-empty list');
  const expanded: string[] = [];
  for (const [i, f] of features.entries()) {
    const ok =
      f !== null &&
      typeof f === 'object' &&
      typeof f.name === 'string' &&
      f.name !== '' &&
      (f.kind === 'numeric' || (f.kind === 'categorical' && Array.isArray(f.levels) && f.levels.length > 0 && f.levels.every((l: unknown) => typeof l === 'string')));
    if (!ok) throw invalid(source, `features[${i}] must be {name, kind: 'numeric'} or {name, kind: 'categorical', levels: [...]}`);
    expanded.push(...(f.kind === 'numeric' ? [f.name as string] : oneHotNames(f.name as string, f.levels as string[])));
  }
  if (expanded.length !== d || expanded.some((c, j) => c !== columns[j])) {
    throw invalid(source, `features expand to [${expanded.join(', ')}] but columns are [${columns.join(', ')}]`);
  }
  const scaler = m['scaler'] as Record<string, unknown> | undefined;
  if (!scaler || typeof scaler !== 'object' || !isNumberArray(scaler['offset'], d) || !isNumberArray(scaler['scale'], d)) {
    throw invalid(source, `scaler must hold method, offset[${d}] and scale[${d}] (finite numbers)`);
  }
  const k = m['k'];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw invalid(source, `k must be an integer >= 1, got ${JSON.stringify(k)}`);
  const centroids = m['centroids'] as Record<string, unknown> | undefined;
  for (const unit of ['scaled', 'original']) {
    const rows = centroids?.[unit];
    if (!Array.isArray(rows) || rows.length !== k || !rows.every((r) => isNumberArray(r, d))) {
      throw invalid(source, `centroids.${unit} must be ${k} rows of ${d} finite numbers`);
    }
  }
  const segments = m['segments'];
  if (!Array.isArray(segments) || segments.length !== k || segments.some((s, i) => !s || s.id !== i || !Number.isInteger(s.size) || s.size < 0)) {
    throw invalid(source, `segments must list ids 0..${k - 1} in order, each with a size`);
  }
  const t = m['training'] as Record<string, unknown> | undefined;
  if (
    !t ||
    typeof t !== 'object' ||
    !Number.isInteger(t['rows']) ||
    typeof t['wcss'] !== 'number' ||
    !Number.isInteger(t['iterations']) ||
    typeof t['converged'] !== 'boolean' ||
    typeof t['backend'] !== 'string'
  ) {
    throw invalid(source, 'training must hold rows, wcss, iterations, converged and backend');
  }
  const sw = t['sampleWeight'] as Record<string, unknown> | undefined;
  if (m['formatVersion'] === 1 && sw !== undefined) throw invalid(source, 'training.sampleWeight needs format version 2');
  if (m['formatVersion'] === 2) {
    if (!sw || typeof sw !== 'object' || typeof sw['total'] !== 'number' || !(sw['total'] > 0) || (sw['column'] !== undefined && (typeof sw['column'] !== 'string' || sw['column'] === ''))) {
      throw invalid(source, 'format version 2: training.sampleWeight must hold total (> 0) and, when the weights came from a column, its name');
    }
  }
  return json as KMeansModelJSON;
}
