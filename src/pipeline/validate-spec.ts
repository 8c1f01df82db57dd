/**
 * Validation of a segmentation spec: the JSON Schema (segmentationSpecSchema)
 * first, then the rules a schema cannot state. Every problem is reported,
 * one clear sentence each, naming the field (`spec.kmeans.nInit`).
 */
import { SegmentaError } from '../common/errors.js';
import { segmentationSpecSchema, type SegmentationSpec } from './spec.js';
import { defaultCompareMethods, type CompareMethodName } from '../drivers/compare-methods.js';
import { groupDigits } from '../common/format-number.js';

/** One problem of a spec. */
export interface SpecProblem {
  /** The field, e.g. `spec.kRange.max`. */
  field: string;
  /** One sentence that names the field and the value. */
  message: string;
}

/** A JSON Schema node, as far as the spec's schema uses them. */
interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  oneOf?: readonly SchemaNode[];
  default?: unknown;
  description?: string;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function range(s: SchemaNode): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${groupDigits(s.minimum)} to ${groupDigits(s.maximum)}`;
  if (s.minimum !== undefined) return ` >= ${s.minimum}`;
  if (s.maximum !== undefined) return ` <= ${s.maximum}`;
  return '';
}

/** What a schema node asks for, in words: "an integer >= 1", "one of 'none', 'standard', 'minmax'". */
export function describeSchema(s: SchemaNode): string {
  if (s.oneOf) return s.oneOf.map(describeSchema).join(' or ');
  if (s.const !== undefined) return show(s.const);
  if (s.enum) return s.enum.length === 1 ? show(s.enum[0]) : `one of ${s.enum.map(show).join(', ')}`;
  switch (s.type) {
    case 'integer':
      return `an integer${range(s)}`;
    case 'number':
      return `a number${range(s)}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'array': {
      const count = s.minItems !== undefined && s.minItems === s.maxItems ? `${s.minItems} ` : s.minItems ? 'at least one ' : '';
      return `a list of ${count}${s.items?.type === 'string' ? 'names' : 'values'}`;
    }
    case 'object':
      return s.required?.length ? `an object with ${s.required.map((r) => `'${r}'`).join(' and ')}` : 'an object';
    default:
      return 'a value';
  }
}

function typeMatches(type: SchemaNode['type'], value: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

/** Checks `value` against a schema node; appends one problem per violation. */
export function checkSchema(schema: SchemaNode, value: unknown, field: string, problems: SpecProblem[]): void {
  const fail = (message: string): void => void problems.push({ field, message: `${field} ${message}` });
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((alt) => {
      const trial: SpecProblem[] = [];
      checkSchema(alt, value, field, trial);
      return trial.length === 0;
    });
    if (fits.length === 1) return;
    // When exactly one object or list alternative has the value's shape, its own problems (deeper fields) are the clearest.
    const sameShape = schema.oneOf.filter(
      (alt) => (alt.type === 'object' || alt.type === 'array') && typeMatches(alt.type, value) && (alt.required ?? []).every((r) => r in (value as object)),
    );
    if (fits.length === 0 && sameShape.length === 1) return checkSchema(sameShape[0]!, value, field, problems);
    return fail(`must be ${describeSchema(schema)}, got ${show(value)}`);
  }
  if (schema.const !== undefined && value !== schema.const) return fail(`must be ${show(schema.const)}, got ${show(value)}`);
  if (schema.enum && !schema.enum.includes(value)) return fail(`must be ${describeSchema(schema)}, got ${show(value)}`);
  if (!typeMatches(schema.type, value)) return fail(`must be ${describeSchema(schema)}, got ${show(value)}`);
  if (typeof value === 'number' && ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum))) {
    return fail(`must be ${describeSchema(schema)}, got ${value}`);
  }
  if (typeof value === 'string' && schema.minLength !== undefined && value.length < schema.minLength) return fail(`must be ${describeSchema(schema)}, got ''`);
  if (Array.isArray(value)) {
    if ((schema.minItems !== undefined && value.length < schema.minItems) || (schema.maxItems !== undefined && value.length > schema.maxItems)) {
      return fail(`must be ${describeSchema(schema)}, got ${value.length} item${value.length === 1 ? '' : 's'}`);
    }
    if (schema.items) value.forEach((item, i) => checkSchema(schema.items!, item, `${field}[${i}]`, problems));
    return;
  }
  if (schema.type === 'object') {
    const object = value as Record<string, unknown>;
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (object[name] === undefined) problems.push({ field: `${field}.${name}`, message: `${field}.${name} is required: ${describeSchema(properties[name] ?? {})}` });
    }
    for (const [name, v] of Object.entries(object)) {
      const child = properties[name];
      if (child) {
        if (v !== undefined) checkSchema(child, v, `${field}.${name}`, problems);
      } else if (schema.additionalProperties === false) {
        problems.push({ field: `${field}.${name}`, message: `${field}.${name} is not a known field; known fields: ${Object.keys(properties).join(', ')}` });
      }
    }
  }
}

/** A spec with every default filled in. */
export interface ResolvedSpec {
  data: SegmentationSpec['data'];
  features: string[];
  weight?: string;
  encode: string[];
  keep: string[] | 'auto' | 'none';
  scale: 'none' | 'standard' | 'minmax';
  k: number | 'auto';
  kRange: { min: number; max: number; lowerMax: boolean };
  kMethod: NonNullable<SegmentationSpec['kMethod']>;
  kSelection: { silhouetteSampleSize: number; silhouetteExact: boolean; gapReferences: number; mixtureCovariance: 'full' | 'diag' | 'spherical' };
  sweep: boolean;
  fit: boolean;
  method: NonNullable<SegmentationSpec['method']>;
  kmeans: {
    nInit: number;
    maxIter: number;
    tol: number;
    algorithm: 'lloyd' | 'minibatch';
    /** Mini-batch settings: present with `algorithm: 'minibatch'` only. */
    batchSize?: number;
    maxNoImprovement?: number;
    reassignmentRatio?: number;
  };
  agglomerative: {
    linkage: 'ward' | 'complete' | 'average' | 'single';
    mode: 'auto' | 'exact' | 'two-stage';
    microClusters: number;
    exactMaxRows: number;
    distanceThreshold?: number;
  };
  seed: number;
  backend: string;
  threads?: number;
  profiles: boolean;
  dendrogram: false | { sampleSize?: number; topMerges?: number };
  distributed?: { shards: number; redis?: string; shardTimeout: number };
  compare?: {
    methods: CompareMethodName[];
    covariance: 'full' | 'diag' | 'spherical';
    silhouetteSampleSize: number;
    dbscan?: { eps: number; minSamples?: number };
    hdbscan?: { minClusterSize?: number; minSamples?: number };
  };
  streamed?: { chunkRows: number };
  outputs: { labels?: string; keepColumns: boolean; report?: string; force: boolean; scatter?: [string, string]; scatterSample: number; source?: string };
}

/** K-Means settings with defaults; `maxIter` and `tol` default by algorithm (scikit-learn's KMeans and MiniBatchKMeans). */
function resolveKMeans(k: SegmentationSpec['kmeans']): ResolvedSpec['kmeans'] {
  const minibatch = k?.algorithm === 'minibatch';
  return {
    nInit: k?.nInit ?? 3,
    maxIter: k?.maxIter ?? (minibatch ? 100 : 300),
    tol: k?.tol ?? (minibatch ? 0 : 1e-4),
    algorithm: k?.algorithm ?? 'lloyd',
    ...(minibatch ? { batchSize: k?.batchSize ?? 1024, maxNoImprovement: k?.maxNoImprovement ?? 10, reassignmentRatio: k?.reassignmentRatio ?? 0.01 } : {}),
  };
}

/** The rules the schema cannot state (between fields). */
function crossFieldProblems(spec: SegmentationSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (field: string, message: string): void => void problems.push({ field, message: `${field} ${message}` });
  const min = spec.kRange?.min ?? 1;
  const max = spec.kRange?.max ?? 10;
  if (min > max) add('spec.kRange', `must have min <= max, got min ${min} and max ${max}`);
  const threshold = spec.agglomerative?.distanceThreshold;
  if (spec.sweep === false && (spec.k ?? 'auto') === 'auto' && threshold === undefined && spec.fit !== false) {
    add('spec.sweep', "is false, so k cannot be chosen from the sweep: give a number of segments in spec.k");
  }
  if (spec.kmeans?.algorithm !== 'minibatch') {
    for (const field of ['batchSize', 'maxNoImprovement', 'reassignmentRatio'] as const) {
      if (spec.kmeans?.[field] !== undefined) add(`spec.kmeans.${field}`, "applies only with spec.kmeans.algorithm 'minibatch'");
    }
  }
  if (spec.fit === false && spec.sweep === false) add('spec.fit', 'is false and so is spec.sweep: the job would do nothing');
  if (threshold !== undefined && typeof spec.k === 'number') add('spec.k', `is ${spec.k} but spec.agglomerative.distanceThreshold is also given: give exactly one`);
  if (threshold !== undefined && (spec.method ?? 'kmeans') !== 'agglomerative') add('spec.agglomerative.distanceThreshold', "applies only with spec.method 'agglomerative'");
  if (spec.outputs?.keepColumns && !spec.outputs.labels) add('spec.outputs.keepColumns', 'needs spec.outputs.labels, the labels file that carries the columns');
  if (spec.fit === false) {
    for (const out of ['labels', 'report'] as const) if (spec.outputs?.[out] !== undefined) add(`spec.outputs.${out}`, 'needs a fit, but spec.fit is false');
  }
  if (spec.outputs?.report !== undefined && spec.profiles === false) add('spec.profiles', 'is false, but the report (spec.outputs.report) shows the profiles');
  if (spec.streamed && spec.distributed) add('spec.streamed', 'cannot run with spec.distributed: give one of them');
  const chunkRows = spec.streamed?.chunkRows;
  if (chunkRows !== undefined && chunkRows % 4096 !== 0) add('spec.streamed.chunkRows', `must be a multiple of 4096 (the accumulation block), got ${chunkRows}`);
  if (spec.distributed || spec.streamed) {
    const why = spec.distributed
      ? 'cannot run with spec.distributed (sharded runs keep the rows in their shards)'
      : 'cannot run with spec.streamed (streamed runs never hold every row)';
    if ((spec.encode ?? []).length > 0) add('spec.encode', `${why}: one-hot encode the columns in the file`);
    if (spec.profiles === true) add('spec.profiles', `${why}`);
    if (spec.outputs?.report !== undefined) add('spec.outputs.report', `${why}`);
    if (spec.outputs?.keepColumns) add('spec.outputs.keepColumns', `${why}`);
    if (spec.weight !== undefined) add('spec.weight', `${why}: sample weights are not sharded yet`);
    if ((spec.method ?? 'kmeans') !== 'kmeans') add('spec.method', `'${spec.method}' ${why}; use 'kmeans'`);
    if (spec.distributed && spec.kmeans?.algorithm === 'minibatch') add('spec.kmeans.algorithm', `'minibatch' ${why}; use 'lloyd'`);
    if (spec.dendrogram !== undefined && spec.dendrogram !== false) add('spec.dendrogram', `${why}`);
    if (spec.compare) add('spec.compare', `${why}`);
    if (spec.distributed?.redis !== undefined && !/^rediss?:\/\/[^/\s]+/.test(spec.distributed.redis)) {
      add('spec.distributed.redis', `must be a URL like redis://127.0.0.1:6379, got '${spec.distributed?.redis}'`);
    }
  }
  const compared = spec.compare?.methods ?? [];
  for (const name of new Set(compared)) if (compared.indexOf(name) !== compared.lastIndexOf(name)) add('spec.compare.methods', `lists '${name}' twice`);
  if (compared.includes('dbscan') && spec.compare?.dbscan === undefined) add('spec.compare.methods', "lists 'dbscan', which needs spec.compare.dbscan.eps");
  if (spec.compare?.dbscan !== undefined && !(spec.compare.dbscan.eps > 0)) add('spec.compare.dbscan.eps', `must be > 0, got ${spec.compare.dbscan.eps}`);
  if (spec.compare && spec.fit === false) add('spec.compare', 'needs a fit (it compares methods at the chosen k), but spec.fit is false');
  if (spec.compare && threshold !== undefined) add('spec.compare', 'needs a number of segments, but spec.agglomerative.distanceThreshold cuts the tree by distance');
  const features = spec.features ?? [];
  for (const name of new Set(features)) if (features.indexOf(name) !== features.lastIndexOf(name)) add('spec.features', `lists '${name}' twice`);
  if (spec.weight !== undefined && features.includes(spec.weight)) add('spec.weight', `'${spec.weight}' is also a feature: the weight column is not clustered on`);
  if (spec.weight !== undefined && (spec.encode ?? []).includes(spec.weight)) add('spec.weight', `'${spec.weight}' is a categorical (encoded) column; weights must be numbers`);
  if (spec.weight !== undefined && spec.kmeans?.algorithm === 'minibatch') add('spec.weight', "is not supported with spec.kmeans.algorithm 'minibatch' yet: use 'lloyd', or leave the weights out");
  if (spec.weight !== undefined && (spec.method ?? 'kmeans') === 'agglomerative' && (spec.agglomerative?.linkage ?? 'ward') !== 'ward') {
    add('spec.weight', `needs ward linkage with spec.method 'agglomerative' (got ${spec.agglomerative?.linkage})`);
  }
  return problems.filter((p, i) => problems.findIndex((q) => q.message === p.message) === i);
}

/**
 * Validates a spec (parsed JSON) and fills in its defaults.
 *
 * @throws SegmentaError `INVALID_SPEC` listing every problem, one sentence each naming the field;
 *   `details.problems` holds them as `{ field, message }`
 * @example
 * const spec = validateSpec(JSON.parse(await readFile('job.json', 'utf8')));
 * // invalid: "invalid segmentation spec: spec.k must be an integer >= 1 or 'auto', got 0"
 */
export function validateSpec(input: unknown): ResolvedSpec {
  const problems: SpecProblem[] = [];
  checkSchema(segmentationSpecSchema as unknown as SchemaNode, input, 'spec', problems);
  if (problems.length === 0) problems.push(...crossFieldProblems(input as SegmentationSpec));
  if (problems.length > 0) {
    const message =
      problems.length === 1
        ? `invalid segmentation spec: ${problems[0]!.message}`
        : `invalid segmentation spec (${problems.length} problems): ${problems.map((p) => p.message).join('; ')}`;
    throw new SegmentaError('INVALID_SPEC', message, { problems });
  }
  const spec = input as SegmentationSpec;
  const dendrogram = spec.dendrogram ?? spec.outputs?.report !== undefined;
  return {
    data: spec.data,
    features: [...spec.features],
    ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
    encode: [...(spec.encode ?? [])],
    keep: Array.isArray(spec.keep) ? [...spec.keep] : (spec.keep ?? 'auto'),
    scale: spec.scale ?? 'none',
    k: spec.k ?? 'auto',
    kRange: { min: spec.kRange?.min ?? 1, max: spec.kRange?.max ?? 10, lowerMax: spec.kRange?.lowerMax ?? spec.kRange?.max === undefined },
    kMethod: spec.kMethod ?? 'all',
    kSelection: {
      silhouetteSampleSize: spec.kSelection?.silhouetteSampleSize ?? 10_000,
      silhouetteExact: spec.kSelection?.silhouetteExact ?? false,
      gapReferences: spec.kSelection?.gapReferences ?? 10,
      mixtureCovariance: spec.kSelection?.mixtureCovariance ?? 'full',
    },
    sweep: spec.sweep ?? true,
    fit: spec.fit ?? true,
    method: spec.method ?? 'kmeans',
    kmeans: resolveKMeans(spec.kmeans),
    agglomerative: {
      linkage: spec.agglomerative?.linkage ?? 'ward',
      mode: spec.agglomerative?.mode ?? 'auto',
      microClusters: spec.agglomerative?.microClusters ?? 2000,
      exactMaxRows: spec.agglomerative?.exactMaxRows ?? 20_000,
      ...(spec.agglomerative?.distanceThreshold !== undefined ? { distanceThreshold: spec.agglomerative.distanceThreshold } : {}),
    },
    seed: spec.seed ?? 0,
    backend: spec.backend ?? 'auto',
    ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
    profiles: spec.profiles ?? !(spec.distributed || spec.streamed),
    ...(spec.streamed ? { streamed: { chunkRows: spec.streamed.chunkRows ?? 262_144 } } : {}),
    ...(spec.distributed
      ? {
          distributed: {
            shards: spec.distributed.shards ?? (spec.distributed.redis !== undefined ? 4 : 1),
            ...(spec.distributed.redis !== undefined ? { redis: spec.distributed.redis } : {}),
            shardTimeout: spec.distributed.shardTimeout ?? 300,
          },
        }
      : {}),
    dendrogram: dendrogram === false ? false : dendrogram === true ? {} : { ...dendrogram },
    ...(spec.compare
      ? {
          compare: {
            methods: [...(spec.compare.methods ?? defaultCompareMethods(spec.compare))],
            covariance: spec.compare.covariance ?? 'full',
            silhouetteSampleSize: spec.compare.silhouetteSampleSize ?? 10_000,
            ...(spec.compare.dbscan ? { dbscan: { ...spec.compare.dbscan } } : {}),
            ...(spec.compare.hdbscan ? { hdbscan: { ...spec.compare.hdbscan } } : {}),
          },
        }
      : {}),
    outputs: {
      ...(spec.outputs?.labels !== undefined ? { labels: spec.outputs.labels } : {}),
      keepColumns: spec.outputs?.keepColumns ?? false,
      ...(spec.outputs?.report !== undefined ? { report: spec.outputs.report } : {}),
      force: spec.outputs?.force ?? false,
      ...(spec.outputs?.scatter ? { scatter: [spec.outputs.scatter[0], spec.outputs.scatter[1]] as [string, string] } : {}),
      scatterSample: spec.outputs?.scatterSample ?? 5000,
      ...(spec.outputs?.source !== undefined ? { source: spec.outputs.source } : {}),
    },
  };
}
