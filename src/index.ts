/**
 * segmenta: customer segmentation for Node.js. The root entry is the everyday
 * surface — run a whole job with {@link segmentCustomers}, or the steps one by
 * one (read → prepare → sweep → fit → number → profile → report). Advanced
 * parts live behind subpaths:
 *
 * - `segmenta/backends` — kernel contract, registry, js/wasm/tfjs backends
 * - `segmenta/agglomerative` — merge trees, cuts, condensed distances
 * - `segmenta/metrics` — silhouette, Calinski–Harabasz, Davies–Bouldin, ARI
 * - `segmenta/insights` — profiles, names, distribution statistics
 * - `segmenta/report` — chart specs, chart rendering, the report writer
 * - `segmenta/data` — reading, one-hot encoding, generated customers
 * - `segmenta/pipeline` — the job spec, its JSON Schema and validation
 *
 * @example
 * ```ts
 * import { segmentCustomers } from 'segmenta';
 * const result = await segmentCustomers({
 *   data: { path: 'Mall_Customers.csv' },
 *   features: ['Annual Income (k$)', 'Spending Score (1-100)'],
 *   scale: 'standard',
 *   outputs: { report: 'report' },
 * });
 * console.log(result.k, result.profiles?.segments.map((s) => s.name));
 * ```
 * @module segmenta
 */
import './backends/built-in-backends.js';

// The whole job: one JSON spec, one call (CLI, library, job service and workers)
export { segmentCustomers, AUTO_KEEP_PATTERNS } from './pipeline/segment-customers.js';
export type { SegmentCustomersOptions, SegmentationResult } from './pipeline/segment-customers.js';
export { segmentationSpecSchema } from './pipeline/spec.js';
export type { SegmentationSpec, DataSource, KMethod, SegmentationMethod } from './pipeline/spec.js';
export { validateSpec } from './pipeline/validate-spec.js';
export type { ResolvedSpec, SpecProblem } from './pipeline/validate-spec.js';
export { chooseK } from './pipeline/choose-k.js';
export type { KChoice, ChooseKInput } from './pipeline/choose-k.js';
export { segmentCentroidTree } from './pipeline/centroid-tree.js';
export type { SegmentCentroidTree } from './pipeline/centroid-tree.js';

// Errors, matrices, progress
export { SegmentaError, AbortedError, isUserError } from './common/errors.js';
export type { SegmentaErrorCode } from './common/errors.js';
export { matrixFromRows } from './common/matrix.js';
export type { Matrix } from './common/matrix.js';
export type { ProgressEvent, ProgressListener } from './common/progress.js';

// Data in and preparation
export { readCustomerTable } from './data-in/read-customer-table.js';
export type { ReadTableOptions } from './data-in/read-customer-table.js';
export { readTable } from './data-in/read-from-memory.js';
export type { TableSource, MemoryTableSource } from './data-in/read-from-memory.js';
export type { CustomerTable } from './common/customer-table.js';
export { generateCustomers, writeGeneratedCustomers } from './data-in/generate-customers.js';
export type { GenerateCustomersOptions, GeneratedCustomers, GeneratedFileInfo } from './data-in/generate-customers.js';
export { prepareFeatures } from './preparation/prepare-features.js';
export type { PrepareFeaturesOptions, PreparedFeatures } from './preparation/prepare-features.js';
export { fitScaler, scalerFromJSON, SCALING_METHODS } from './preparation/scaling.js';
export type { Scaler, ScalerJSON, ScalingMethod, TransformOptions } from './preparation/scaling.js';

// Clustering
export { fitKMeans } from './drivers/kmeans.js';
export { openStreamedData, StreamedData, DEFAULT_CHUNK_ROWS } from './drivers/sharding/streamed-data.js';
export type { StreamedDataOptions } from './drivers/sharding/streamed-data.js';
export { openFeatureStream } from './data-in/read-customer-table.js';
export type { FeatureStream } from './data-in/read-customer-table.js';
export type { KMeansOptions, KMeansSettings, KMeansResult, IterationStat, KMeansAlgorithm } from './drivers/kmeans.js';
export { sweepK } from './drivers/elbow-sweep.js';
export type { SweepOptions, SweepPoint, SweepResult } from './drivers/elbow-sweep.js';
export { findElbow } from './drivers/knee-detection.js';
export { selectK, silhouetteCurves, kSelectionJson, kSelectionCsv } from './drivers/k-selection.js';
export type { SelectKOptions, KSelection } from './drivers/k-selection.js';
export { suggestK, gapOneStandardError, K_METHODS, K_CHOICE_RULE } from './drivers/suggest-k.js';
export type { KCurves, KSuggestion, MethodVerdict } from './drivers/suggest-k.js';
export { fitKPrototypes, kPrototypesGamma, huangCost } from './drivers/k-prototypes.js';
export type { KPrototypesOptions, KPrototypesResult, CategoricalColumns } from './drivers/k-prototypes.js';
export { fitGaussianMixture, GaussianMixtureModel, COVARIANCE_TYPES, mixtureParameterCount, precisionsFromCholesky } from './drivers/gaussian-mixture.js';
export type { CovarianceType, GaussianMixtureOptions, GaussianMixtureSettings, GaussianMixtureResult, GaussianMixtureParameters, GaussianMixtureInit, EmIterationStat } from './drivers/gaussian-mixture.js';
export { compareMethods, parseCompareMethods, COMPARE_METHODS, COMPARE_METHOD_NAMES } from './drivers/compare-methods.js';
export type { CompareMethodName, CompareMethod, CompareSettings, ComparedMethod, MethodsComparison, MethodFit } from './drivers/compare-methods.js';
export { fitAgglomerative, compareClusterings } from './drivers/agglomerative/index.js';
export type { AgglomerativeOptions, AgglomerativeResult, Linkage, ClusteringComparison } from './drivers/agglomerative/index.js';
export { fitDbscan, fitHdbscan, kDistanceCurve } from './drivers/density/index.js';
export type { DbscanOptions, DbscanResult, HdbscanOptions, HdbscanResult, KDistanceOptions, KDistanceCurve } from './drivers/density/index.js';

// Results: the one numbering, the model, the labels file
export { numberSegments, SEGMENT_ORDER_RULE } from './results/segment-numbering.js';
export type { SegmentNumbering } from './results/segment-numbering.js';
export { KMeansModel, saveModel, loadModel, KMEANS_MODEL_FORMAT, KMEANS_MODEL_FORMAT_VERSION, KMEANS_MODEL_FORMAT_VERSIONS, KMEANS_MODEL_SCHEMA } from './results/kmeans-model.js';
export type { KMeansModelJSON, KMeansModelInfo, ModelFit, ModelFeature, ModelSampleWeight, ModelSegment, ModelTraining, CustomerRecord, PredictableTable } from './results/kmeans-model.js';
export { writeLabelsCsv } from './results/write-labels-csv.js';
export type { LabelsColumn } from './results/write-labels-csv.js';

// Insights and the report
export { profileSegments } from './insights/segment-profiles.js';
export type { SegmentProfiles, SegmentProfile, FeatureProfile } from './insights/insight-types.js';
export { writeSegmentationReport } from './report/write-report.js';
export type { SegmentationReportInput, SegmentationReportOptions, SegmentationReportSummary } from './report/write-report.js';

// Backends (the rest in segmenta/backends)
export { listBackends, resolveBackend } from './backends/backend-registry.js';
export type { BackendStatus } from './backends/backend-registry.js';
export type { KernelBackend } from './backends/kernel-contract.js';
