/**
 * The saved K-Means model format (`segmenta.kmeans-model`): its TypeScript
 * shape and its JSON Schema (draft 2020-12). `KMeansModel.toJSON()` writes
 * it, `KMeansModel.fromJSON()` reads it and rejects any other
 * `formatVersion` with an `INVALID_MODEL` error.
 *
 * Versions: 1 is the original format; 2 adds `training.sampleWeight` (the
 * model was fitted with sample weights, and from which column). A model
 * fitted without weights is still written as version 1, byte for byte, so
 * older segmenta versions keep reading it; this build reads both.
 */

/** The `format` field of every saved model. */
export const KMEANS_MODEL_FORMAT = 'segmenta.kmeans-model';
/** The newest version this build writes (a model fitted with sample weights; without them it writes 1). */
export const KMEANS_MODEL_FORMAT_VERSION = 2;
/** Every version this build reads. */
export const KMEANS_MODEL_FORMAT_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/** A source column the model takes: a number, or a category it one-hot encodes. */
export type ModelFeature =
  | {
      name: string;
      kind: 'numeric';
    }
  | {
      name: string;
      kind: 'categorical';
      /** Sorted levels; the model has one column `name=level` per level, in this order. */
      levels: string[];
    };

/** A segment of the model: its number (the label `predict` returns) and, when known, its name. */
export interface ModelSegment {
  /** 0-based segment number, as written in labels files. */
  id: number;
  /** Rows of the training data in this segment. */
  size: number;
  /** Human name from the insights (e.g. "High income · Low spending"), when the caller named the segments. */
  name?: string;
}

/** How the model was trained. */
export interface ModelTraining {
  rows: number;
  wcss: number;
  iterations: number;
  converged: boolean;
  /** Backend that ran the fit, e.g. `wasm-simd (2 threads)`. */
  backend: string;
  seed?: number;
  nInit?: number;
  /** Header of the id column of the training table (labels files start with it). */
  idColumn?: string;
  /** Where the training data came from, as the caller named it. */
  source?: string;
  /** Version 2: the fit used sample weights. */
  sampleWeight?: ModelSampleWeight;
}

/** How a model's training rows were weighted (format version 2). */
export interface ModelSampleWeight {
  /** The column of the training table the weights came from (`--weight`), when they came from one. */
  column?: string;
  /** Sum of the weights (the weighted WCSS is on this scale). */
  total: number;
}

/** A saved K-Means model, version 1 or 2 (plain JSON). */
export interface KMeansModelJSON {
  format: typeof KMEANS_MODEL_FORMAT;
  formatVersion: 1 | 2;
  /** segmenta version that wrote it. */
  segmentaVersion?: string;
  /** Source columns, in model order (categorical ones expand into `columns`). */
  features: ModelFeature[];
  /** The model's columns (the fitted matrix's): numeric names and `Column=Level` one-hot names. */
  columns: string[];
  /** Per-column scaling `(x - offset) / scale`, applied before the nearest-centroid rule. */
  scaler: { method: 'none' | 'standard' | 'minmax'; offset: number[]; scale: number[] };
  k: number;
  /** k rows of `columns.length` values: `scaled` is what predict compares with, `original` is in the data's units. */
  centroids: { scaled: number[][]; original: number[][] };
  segments: ModelSegment[];
  training: ModelTraining;
}

/** JSON Schema (draft 2020-12) of {@link KMeansModelJSON}. */
export const KMEANS_MODEL_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://segmenta.dev/schemas/kmeans-model-2.json',
  title: 'segmenta K-Means model',
  type: 'object',
  required: ['format', 'formatVersion', 'features', 'columns', 'scaler', 'k', 'centroids', 'segments', 'training'],
  additionalProperties: false,
  properties: {
    format: { const: KMEANS_MODEL_FORMAT },
    formatVersion: { enum: [1, 2] },
    segmentaVersion: { type: 'string' },
    features: {
      type: 'array',
      minItems: 1,
      items: {
        oneOf: [
          {
            type: 'object',
            required: ['name', 'kind'],
            additionalProperties: false,
            properties: { name: { type: 'string', minLength: 1 }, kind: { const: 'numeric' } },
          },
          {
            type: 'object',
            required: ['name', 'kind', 'levels'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1 },
              kind: { const: 'categorical' },
              levels: { type: 'array', minItems: 1, items: { type: 'string' } },
            },
          },
        ],
      },
    },
    columns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    scaler: {
      type: 'object',
      required: ['method', 'offset', 'scale'],
      additionalProperties: false,
      properties: {
        method: { enum: ['none', 'standard', 'minmax'] },
        offset: { type: 'array', items: { type: 'number' } },
        scale: { type: 'array', items: { type: 'number', not: { const: 0 } } },
      },
    },
    k: { type: 'integer', minimum: 1 },
    centroids: {
      type: 'object',
      required: ['scaled', 'original'],
      additionalProperties: false,
      properties: {
        scaled: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
        original: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      },
    },
    segments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'size'],
        additionalProperties: false,
        properties: { id: { type: 'integer', minimum: 0 }, size: { type: 'integer', minimum: 0 }, name: { type: 'string' } },
      },
    },
    training: {
      type: 'object',
      required: ['rows', 'wcss', 'iterations', 'converged', 'backend'],
      additionalProperties: false,
      properties: {
        rows: { type: 'integer', minimum: 1 },
        wcss: { type: 'number', minimum: 0 },
        iterations: { type: 'integer', minimum: 0 },
        converged: { type: 'boolean' },
        backend: { type: 'string' },
        seed: { type: 'integer' },
        nInit: { type: 'integer', minimum: 1 },
        idColumn: { type: 'string' },
        source: { type: 'string' },
        sampleWeight: {
          type: 'object',
          required: ['total'],
          additionalProperties: false,
          properties: { column: { type: 'string', minLength: 1 }, total: { type: 'number', exclusiveMinimum: 0 } },
        },
      },
    },
  },
  // Version 1 has no sample weights; a weighted model is version 2.
  if: { properties: { formatVersion: { const: 1 } } },
  then: { properties: { training: { not: { required: ['sampleWeight'] } } } },
  else: { properties: { training: { required: ['sampleWeight'] } } },
} as const;
