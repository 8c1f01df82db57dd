/**
 * The segmentation job as plain JSON: what `segmentCustomers` takes, and what
 * the CLI, the HTTP job service and the queue workers send it. The JSON
 * Schema below is the contract; `validateSpec` checks a spec against it and
 * against the few rules a schema cannot state.
 */
import { COMPARE_METHOD_NAMES, type CompareMethodName } from '../drivers/compare-methods.js';

/** Where the customers come from: a file, or generated customers (`segmenta generate`). */
export type DataSource = { path: string } | { generate: { rows: number; seed?: number } };

/**
 * How k is chosen when it is not given: `all` (default) runs every method
 * and combines them (see `suggestK` in drivers/suggest-k.ts); one method name
 * runs WCSS plus that method and takes its k. See docs/choosing-k.md.
 */
export type KMethod = 'all' | 'elbow' | 'silhouette' | 'calinski' | 'davies' | 'gap' | 'bic' | 'aic';

/** Clustering method of the final fit. */
export type SegmentationMethod = 'kmeans' | 'agglomerative';

/**
 * A segmentation job. Only `data` and `features` are required.
 *
 * @example
 * ```json
 * {
 *   "data": { "path": "Mall_Customers.csv" },
 *   "features": ["Annual Income (k$)", "Spending Score (1-100)"],
 *   "scale": "standard",
 *   "k": "auto",
 *   "seed": 42,
 *   "outputs": { "labels": "labels.csv", "report": "report" }
 * }
 * ```
 */
export interface SegmentationSpec {
  /** The customer table: `{ path }` (.csv, .tsv, .csv.gz, .parquet) or `{ generate: { rows, seed } }`. */
  data: DataSource;
  /** Columns clustered on (exact header names). */
  features: string[];
  /**
   * A numeric column of per-customer sample weights (e.g. a value or a visit
   * count): read from the file, not clustered on. Each customer counts as that
   * many (K-Means, the sweep, Ward). Values must be finite and >= 0, not all 0
   * (> 0 for Ward). See docs/weights.md.
   */
  weight?: string;
  /** Categorical columns to one-hot encode (appended to the features when not listed there). Default none. */
  encode?: string[];
  /**
   * Columns profiled but not clustered on: a list, `'none'`, or `'auto'`
   * (Gender/Sex and Age when present and not features). Default `'auto'`.
   */
  keep?: string[] | 'auto' | 'none';
  /** Feature scaling. Default `'none'`. */
  scale?: 'none' | 'standard' | 'minmax';
  /** Number of segments, or `'auto'` to choose it from the sweep (see `kMethod`). Default `'auto'`. */
  k?: number | 'auto';
  /**
   * The k range of the sweep. Default 1..10 (capped at the row count).
   * `lowerMax`: when the data has fewer distinct rows than `max`, lower `max`
   * to them (never below `min`) and say so in the notes, instead of failing.
   * Default: true when `max` is not given, else false.
   */
  kRange?: { min?: number; max?: number; lowerMax?: boolean };
  /** How `k: 'auto'` is chosen. Default `'all'`: every method, combined with reasons. */
  kMethod?: KMethod;
  /** Settings of the methods for k. */
  kSelection?: {
    /** Rows of the silhouette's seeded sample. Default 10,000. */
    silhouetteSampleSize?: number;
    /** Silhouette over every row (O(rows²) time, chunked memory). Default false. */
    silhouetteExact?: boolean;
    /** B, the gap statistic's reference sets. Default 10. */
    gapReferences?: number;
    /** Covariance of the Gaussian mixtures behind `kMethod: 'bic'` and `'aic'`. Default `'full'`. */
    mixtureCovariance?: 'full' | 'diag' | 'spherical';
  };
  /** Run the WCSS sweep. Default true; false needs a numeric `k`. */
  sweep?: boolean;
  /** Fit the final clustering. Default true; false stops after the sweep (as `segmenta sweep`). */
  fit?: boolean;
  /** Clustering method of the final fit. Default `'kmeans'`. */
  method?: SegmentationMethod;
  /**
   * K-Means settings (the sweep and the `kmeans` fit). `algorithm`:
   * `'lloyd'` (default, exact) or `'minibatch'` (scikit-learn's
   * MiniBatchKMeans: `maxIter` counts epochs and defaults to 100, `tol`
   * defaults to 0; `batchSize` 1024, `maxNoImprovement` 10,
   * `reassignmentRatio` 0.01 by default). See docs/minibatch.md.
   */
  kmeans?: {
    nInit?: number;
    maxIter?: number;
    tol?: number;
    algorithm?: 'lloyd' | 'minibatch';
    batchSize?: number;
    maxNoImprovement?: number;
    reassignmentRatio?: number;
  };
  /** Agglomerative settings (the `agglomerative` fit). */
  agglomerative?: {
    linkage?: 'ward' | 'complete' | 'average' | 'single';
    mode?: 'auto' | 'exact' | 'two-stage';
    microClusters?: number;
    exactMaxRows?: number;
    /** Cut the tree where merges reach this distance instead of at k. */
    distanceThreshold?: number;
  };
  /** Seed of every random choice (k-means++, samples, generated data by default). Default 0. */
  seed?: number;
  /** Kernel backend: `auto`, `js`, `wasm`, `tfjs` or another registered name. Default `'auto'`. */
  backend?: string;
  /** Worker threads. Default: the backend's, as `JobOptions.threads` states it. */
  threads?: number;
  /** Profile the segments (needs the matrix in original units: one copy of it). Default true. */
  profiles?: boolean;
  /**
   * The report's tree. `true` (the default with a report): the segment tree,
   * Ward linkage of the segment centres, its leaves coloured by segment. An
   * object: a dendrogram of Ward on a seeded sample of customers instead.
   */
  dendrogram?: boolean | { sampleSize?: number; topMerges?: number };
  /**
   * Run sharded (docs/scale-out.md): the rows are split into shards of whole
   * 4096-row blocks that load their own rows from the file, each with its own
   * backend job, in this process or on `segmenta worker` processes through
   * Redis. The sweep and the fit are bit-identical to an unsharded run. Needs
   * a K-Means job without profiles, report or one-hot encoding (those need
   * every row in one process); `profiles` defaults to false here.
   */
  distributed?: {
    /** Number of shards (fewer when the table has fewer 4096-row blocks). Default 4 with `redis`, else 1. */
    shards?: number;
    /** Redis URL (`redis://HOST:PORT`): run the shards on workers. Default: in this process. */
    redis?: string;
    /** With `redis`: seconds a shard may take to answer before it is handed to another worker. Default 300. */
    shardTimeout?: number;
  };
  /**
   * Compare clustering methods at the chosen k, measured the same way (sizes,
   * noise share, silhouette, Calinski-Harabasz, Davies-Bouldin, ARI between
   * every pair): `result.comparison` and the report's "Comparing methods"
   * table. `methods` default: K-Means, agglomerative and the Gaussian mixture, plus
   * DBSCAN and HDBSCAN when their settings are given. Default: no comparison.
   */
  compare?: {
    methods?: CompareMethodName[];
    /** Covariance of the Gaussian mixture. Default `'full'`. */
    covariance?: 'full' | 'diag' | 'spherical';
    /** Rows of the silhouette's seeded sample. Default 10,000. */
    silhouetteSampleSize?: number;
    /** DBSCAN's settings; `eps` is needed to compare DBSCAN (which then joins the default methods). */
    dbscan?: { eps: number; minSamples?: number };
    /** HDBSCAN's settings; given, HDBSCAN joins the default methods. */
    hdbscan?: { minClusterSize?: number; minSamples?: number };
  };
  /**
   * Stream the rows from the file on every pass instead of holding the
   * matrix (docs/streaming.md): K-Means past RAM. Chunks of `chunkRows` rows
   * (a multiple of 4096; default 262,144) are read through DuckDB; exact
   * Lloyd gives the same result bit for bit as in memory. The same limits as
   * `distributed` (K-Means only, no profiles, report or one-hot encoding), and
   * not together with it.
   */
  streamed?: { chunkRows?: number };
  /** Files to write. Nothing is written by default. */
  outputs?: {
    /** Labels CSV: the id column, then `segment` (0-based, the one numbering). */
    labels?: string;
    /** The labels file also carries every original column, in file order, before `segment`. Default false. */
    keepColumns?: boolean;
    /**
     * Report directory: index.html, charts, labels.csv, segments.json, and the
     * manifest of the files segmenta wrote there. An earlier report's files are
     * replaced; nothing else in the directory is touched (docs/safety.md).
     */
    report?: string;
    /** Write the report into a non-empty directory that holds no segmenta manifest (only the report's files). Default false. */
    force?: boolean;
    /** The two features of the report's scatter. Default: the first two. */
    scatter?: [string, string];
    /** Most customers drawn in the scatter. Default 5,000. */
    scatterSample?: number;
    /** What the report says the data is (default: the file name). */
    source?: string;
  };
}

const columnList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;

/**
 * JSON Schema (draft 2020-12) of {@link SegmentationSpec}. Serve it as the
 * input schema of the segmentation process; extend it by adding properties
 * (e.g. a `distributed` section) — `validateSpec` follows the schema.
 */
export const segmentationSpecSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://segmenta.dev/schemas/segmentation-spec.json',
  title: 'Segmentation spec',
  description: 'One customer segmentation job: data, features, scaling, k, method, seed, backend and outputs.',
  type: 'object',
  required: ['data', 'features'],
  additionalProperties: false,
  properties: {
    data: {
      description: 'The customer table: a file path, or generated customers.',
      oneOf: [
        { type: 'object', required: ['path'], additionalProperties: false, properties: { path: { type: 'string', minLength: 1 } } },
        {
          type: 'object',
          required: ['generate'],
          additionalProperties: false,
          properties: {
            generate: {
              type: 'object',
              required: ['rows'],
              additionalProperties: false,
              properties: { rows: { type: 'integer', minimum: 10, maximum: 100_000_000 }, seed: { type: 'integer', minimum: 0, maximum: 4294967295 } },
            },
          },
        },
      ],
    },
    features: { ...columnList, minItems: 1, description: 'Columns clustered on (exact header names).' },
    weight: { type: 'string', minLength: 1, description: 'A numeric column of per-customer sample weights (not a feature): each customer counts as that many.' },
    encode: { ...columnList, description: 'Categorical columns to one-hot encode.' },
    keep: {
      description: "Columns profiled but not clustered on: a list, 'none', or 'auto' (Gender/Sex and Age).",
      oneOf: [columnList, { enum: ['auto', 'none'] }],
    },
    scale: { enum: ['none', 'standard', 'minmax'], default: 'none' },
    k: { description: "Number of segments, or 'auto'.", oneOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }], default: 'auto' },
    kRange: {
      type: 'object',
      additionalProperties: false,
      properties: { min: { ...positiveInteger, default: 1 }, max: { ...positiveInteger, default: 10 }, lowerMax: { type: 'boolean' } },
    },
    kMethod: {
      enum: ['all', 'elbow', 'silhouette', 'calinski', 'davies', 'gap', 'bic', 'aic'],
      default: 'all',
      description: "How k: 'auto' is chosen: every method combined ('all': elbow, silhouette, calinski, davies, gap), or one; 'bic' and 'aic' fit a Gaussian mixture at every k.",
    },
    kSelection: {
      type: 'object',
      additionalProperties: false,
      properties: {
        silhouetteSampleSize: { type: 'integer', minimum: 2, maximum: 1_000_000, default: 10_000 },
        silhouetteExact: { type: 'boolean', default: false },
        gapReferences: { type: 'integer', minimum: 2, maximum: 1000, default: 10 },
        mixtureCovariance: { enum: ['full', 'diag', 'spherical'], default: 'full' },
      },
    },
    sweep: { type: 'boolean', default: true },
    fit: { type: 'boolean', default: true },
    method: { enum: ['kmeans', 'agglomerative'], default: 'kmeans' },
    kmeans: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nInit: { type: 'integer', minimum: 1, maximum: 10_000, default: 3 },
        maxIter: { type: 'integer', minimum: 1, maximum: 1_000_000, description: "Lloyd iterations per run (default 300); epochs with 'minibatch' (default 100)." },
        tol: { type: 'number', minimum: 0, description: "Tolerance on the squared centre shift relative to the mean feature variance: default 1e-4; 0 (off) with 'minibatch'." },
        algorithm: { enum: ['lloyd', 'minibatch'], default: 'lloyd', description: "Exact Lloyd, or scikit-learn's mini-batch K-Means." },
        batchSize: { type: 'integer', minimum: 1, maximum: 16_777_216, default: 1024, description: "Rows per mini-batch ('minibatch' only)." },
        maxNoImprovement: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10, description: "Mini-batch steps without a lower smoothed inertia before stopping ('minibatch' only)." },
        reassignmentRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.01, description: "Centres below this share of the largest count move to random batch rows ('minibatch' only)." },
      },
    },
    agglomerative: {
      type: 'object',
      additionalProperties: false,
      properties: {
        linkage: { enum: ['ward', 'complete', 'average', 'single'], default: 'ward' },
        mode: { enum: ['auto', 'exact', 'two-stage'], default: 'auto' },
        microClusters: { type: 'integer', minimum: 2, maximum: 1_000_000, default: 2000 },
        exactMaxRows: { type: 'integer', minimum: 2, maximum: 1_000_000, default: 20_000 },
        distanceThreshold: { type: 'number', minimum: 0 },
      },
    },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0 },
    backend: { type: 'string', minLength: 1, default: 'auto' },
    threads: { type: 'integer', minimum: 1, maximum: 256 },
    profiles: { type: 'boolean', default: true },
    dendrogram: {
      oneOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { sampleSize: { type: 'integer', minimum: 2, maximum: 100_000 }, topMerges: { type: 'integer', minimum: 1, maximum: 100_000 } },
        },
      ],
    },
    distributed: {
      type: 'object',
      additionalProperties: false,
      description: 'Sharded run, in this process or on Redis workers (bit-identical to unsharded).',
      properties: {
        shards: { type: 'integer', minimum: 1, maximum: 65_536 },
        redis: { type: 'string', minLength: 1, description: 'redis://HOST:PORT of the queue the workers serve' },
        shardTimeout: { type: 'number', minimum: 0.1, default: 300 },
      },
    },
    compare: {
      type: 'object',
      additionalProperties: false,
      description: 'Compare clustering methods at the chosen k (the report shows the table).',
      properties: {
        methods: { type: 'array', items: { enum: [...COMPARE_METHOD_NAMES] }, minItems: 1 },
        covariance: { enum: ['full', 'diag', 'spherical'], default: 'full' },
        silhouetteSampleSize: { type: 'integer', minimum: 2, maximum: 1_000_000, default: 10_000 },
        dbscan: { type: 'object', additionalProperties: false, required: ['eps'], properties: { eps: { type: 'number', minimum: 0 }, minSamples: { type: 'integer', minimum: 1, default: 5 } } },
        hdbscan: { type: 'object', additionalProperties: false, properties: { minClusterSize: { type: 'integer', minimum: 2, default: 5 }, minSamples: { type: 'integer', minimum: 1 } } },
      },
    },
    streamed: {
      type: 'object',
      additionalProperties: false,
      description: 'Stream the rows from the file on every pass instead of holding the matrix (bit-identical to in memory).',
      properties: { chunkRows: { type: 'integer', minimum: 4096, maximum: 16_777_216, default: 262_144, description: 'Rows per chunk: a multiple of 4096.' } },
    },
    outputs: {
      type: 'object',
      additionalProperties: false,
      properties: {
        labels: { type: 'string', minLength: 1 },
        keepColumns: { type: 'boolean', default: false },
        report: { type: 'string', minLength: 1 },
        force: { type: 'boolean', default: false },
        scatter: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, maxItems: 2 },
        scatterSample: { type: 'integer', minimum: 10, maximum: 1_000_000, default: 5000 },
        source: { type: 'string' },
      },
    },
  },
} as const;
