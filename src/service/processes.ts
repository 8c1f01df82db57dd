/**
 * The processes the job service offers (OGC API – Processes "process
 * descriptions"): their ids, titles and the JSON Schema of their `inputs`.
 * Fastify validates every execution request against these schemas, so a bad
 * spec is a `400` naming the field before any job exists.
 */

/** Ids of the processes, in the order `GET /processes` lists them. */
export const PROCESS_IDS = ['sweep', 'kmeans', 'hclust', 'report', 'predict'] as const;
export type ProcessId = (typeof PROCESS_IDS)[number];

/** True when `id` names a process. */
export function isProcessId(id: string): id is ProcessId {
  return (PROCESS_IDS as readonly string[]).includes(id);
}

/** Where a job's customers come from (the multipart file part stands in for `data` when uploaded). */
export type DataInput =
  | { path: string }
  | { generate: { rows: number; seed?: number; features?: number } }
  | { upload: { file: string; name: string } };

/** The inputs of an execution request, after schema validation (fields depend on the process). */
export interface JobInputs {
  data?: DataInput;
  features?: string[];
  encode?: string[];
  scale?: 'none' | 'standard' | 'minmax';
  k?: number | 'auto';
  kMin?: number;
  kMax?: number;
  seed?: number;
  nInit?: number;
  maxIter?: number;
  tol?: number;
  backend?: string;
  threads?: number;
  linkage?: string;
  mode?: 'auto' | 'exact' | 'two-stage';
  microClusters?: number;
  keep?: string[] | 'auto' | 'none';
  dendrogram?: boolean;
  model?: { job: string };
}

const columnList = { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'string', minLength: 1, maxLength: 1024 } } as const;

/** `data`: a path inside the server's --data-dir, or generated customers. (A multipart file part replaces it.) */
export const DATA_SCHEMA = {
  description: "The customers: a CSV/Parquet path relative to the server's --data-dir, seeded generated customers, or (multipart) an uploaded file part named `data`.",
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: { path: { type: 'string', minLength: 1, maxLength: 4096, description: 'relative to --data-dir; never outside it (symlinks included)' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['generate'],
      properties: {
        generate: {
          type: 'object',
          additionalProperties: false,
          required: ['rows'],
          properties: {
            rows: { type: 'integer', minimum: 1, maximum: 20_000_000 },
            seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'default 42' },
            features: { type: 'integer', minimum: 3, maximum: 256, description: 'default 3; numeric columns: Age, Annual Income (k$), Spending Score (1-100), then extras' },
          },
        },
      },
    },
  ],
} as const;

const fitProperties = {
  data: DATA_SCHEMA,
  features: { ...columnList, description: 'feature columns, exact header names' },
  encode: { ...columnList, description: 'categorical columns to one-hot encode (e.g. Gender)' },
  scale: { type: 'string', enum: ['none', 'standard', 'minmax'], default: 'none' },
  seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0 },
  nInit: { type: 'integer', minimum: 1, maximum: 10_000, default: 3 },
  maxIter: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 300 },
  tol: { type: 'number', minimum: 0, default: 1e-4 },
  backend: { type: 'string', enum: ['auto', 'js', 'wasm', 'tfjs'], default: 'auto' },
  threads: { type: 'integer', minimum: 1, maximum: 256 },
} as const;

const kSchema = { type: 'integer', minimum: 1, maximum: 100_000 } as const;

function inputsSchema(properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

/** The JSON Schema of each process's `inputs`. */
export const PROCESS_INPUT_SCHEMAS: Record<ProcessId, Record<string, unknown>> = {
  sweep: inputsSchema({ ...fitProperties, kMin: { ...kSchema, default: 1 }, kMax: { ...kSchema, default: 10 } }, ['features']),
  kmeans: inputsSchema({ ...fitProperties, k: kSchema }, ['features', 'k']),
  hclust: inputsSchema(
    {
      data: DATA_SCHEMA,
      features: fitProperties.features,
      encode: fitProperties.encode,
      scale: fitProperties.scale,
      seed: fitProperties.seed,
      backend: fitProperties.backend,
      threads: fitProperties.threads,
      k: kSchema,
      linkage: { type: 'string', enum: ['ward', 'complete', 'average', 'single'], default: 'ward' },
      mode: { type: 'string', enum: ['auto', 'exact', 'two-stage'], default: 'auto' },
      microClusters: { type: 'integer', minimum: 2, maximum: 1_000_000, default: 2000 },
    },
    ['features', 'k'],
  ),
  report: inputsSchema(
    {
      ...fitProperties,
      k: { anyOf: [kSchema, { type: 'string', const: 'auto' }], default: 'auto', description: "a number of segments, or 'auto' for the elbow of the sweep" },
      kMin: { ...kSchema, default: 1 },
      kMax: { ...kSchema, default: 10 },
      keep: {
        anyOf: [columnList, { type: 'string', enum: ['auto', 'none'] }],
        default: 'auto',
        description: "columns profiled but not clustered on; 'auto' = Gender/Sex and Age when present",
      },
      dendrogram: { type: 'boolean', default: true },
    },
    ['features'],
  ),
  predict: inputsSchema(
    {
      data: DATA_SCHEMA,
      model: {
        type: 'object',
        additionalProperties: false,
        required: ['job'],
        properties: { job: { type: 'string', minLength: 1, maxLength: 100, description: 'a successful kmeans or report job whose model scores the data' } },
      },
    },
    ['model'],
  ),
};

/** What each process does and returns, for `GET /processes`. */
export const PROCESS_DESCRIPTIONS: Record<ProcessId, { title: string; description: string; outputs: string[] }> = {
  sweep: {
    title: 'WCSS elbow sweep',
    description: 'K-Means for every k in [kMin, kMax]: the WCSS curve and the suggested k (Kneedle elbow).',
    outputs: ['results (JSON)'],
  },
  kmeans: {
    title: 'K-Means',
    description: 'K-Means with a given k: WCSS, sizes and centroids in original units; every customer\'s segment; the saved model.',
    outputs: ['results (JSON)', 'labels.csv', 'model.json'],
  },
  hclust: {
    title: 'Agglomerative clustering',
    description: 'Ward/complete/average/single linkage; exact up to 20,000 rows, two-stage (K-Means micro-clusters, then the linkage) above.',
    outputs: ['results (JSON)', 'labels.csv'],
  },
  report: {
    title: 'Segmentation report',
    description: 'The elbow sweep, K-Means at the elbow (or the given k), named segments and the visual report.',
    outputs: ['results (JSON)', 'labels.csv', 'model.json', 'report/index.html', 'report/*.png', 'report/segments.json'],
  },
  predict: {
    title: 'Score customers with a saved model',
    description: "Applies a finished kmeans or report job's model (its encoding, scaling and centroids) to new customers.",
    outputs: ['results (JSON)', 'labels.csv'],
  },
};
