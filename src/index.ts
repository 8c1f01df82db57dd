/**
 * segmenta's public API. Each area adds its export lines here.
 */

// Core: errors, matrices, progress, backends and the K-Means drivers
import './backends/built-in-backends.js';
export { SegmentaError, AbortedError, isUserError } from './common/errors.js';
export type { SegmentaErrorCode } from './common/errors.js';
export { matrixFromRows } from './common/matrix.js';
export type { Matrix } from './common/matrix.js';
export type { ProgressEvent, ProgressListener } from './common/progress.js';
export { SeededRandom } from './common/seeded-random.js';
export { ROW_BLOCK_SIZE } from './backends/kernel-contract.js';
export type { KernelBackend, KernelJob, AssignStats, JobOptions, BackendAvailability } from './backends/kernel-contract.js';
export { registerBackend, resolveBackend, listBackends, backendNames } from './backends/backend-registry.js';
export type { BackendStatus } from './backends/backend-registry.js';
export { jsReferenceBackend } from './backends/js-reference/js-reference-backend.js';
export { tfjsBackend, createTfjsBackend, TFJS_RUNTIME_ORDER } from './backends/tfjs/tfjs-backend.js';
export type { TfjsBackendOptions, TfjsKernelBackend, TfjsRuntimeName } from './backends/tfjs/tfjs-backend.js';
export { fitKMeans, predictNearest } from './drivers/kmeans.js';
export type { KMeansOptions, KMeansSettings, KMeansResult, IterationStat } from './drivers/kmeans.js';
export { sweepK } from './drivers/elbow-sweep.js';
export type { SweepOptions, SweepPoint, SweepResult } from './drivers/elbow-sweep.js';
export { findElbow } from './drivers/knee-detection.js';
export {
  KMeansModel,
  saveModel,
  loadModel,
  KMEANS_MODEL_FORMAT,
  KMEANS_MODEL_FORMAT_VERSION,
  KMEANS_MODEL_SCHEMA,
} from './results/kmeans-model.js';
export type {
  KMeansModelJSON,
  KMeansModelInfo,
  ModelFit,
  ModelFeature,
  ModelSegment,
  ModelTraining,
  CustomerRecord,
  PredictableTable,
} from './results/kmeans-model.js';

// Data in: reading, generating, writing labels
export { readCustomerTable } from './data-in/read-customer-table.js';
export type { ReadTableOptions, CustomerTable } from './data-in/read-customer-table.js';
export {
  generateCustomers,
  generatedFeatureMatrix,
  writeGeneratedCustomers,
  CUSTOMER_SEGMENTS,
  EXTRA_FEATURES,
  BASE_COLUMNS,
  MIN_GENERATED_FEATURES,
  MAX_GENERATED_FEATURES,
} from './data-in/generate-customers.js';
export type {
  GenerateCustomersOptions,
  GeneratedCustomers,
  GeneratedFileInfo,
  CustomerSegmentDefinition,
  ExtraFeatureDefinition,
  GeneratedDistribution,
} from './data-in/generate-customers.js';
export { writeLabelsCsv } from './results/write-labels-csv.js';
export { writeFileAtomic, openAtomicWriter, withAtomicWriter } from './common/atomic-file.js';
export type { AtomicWriter } from './common/atomic-file.js';

// Preparation: one-hot encoding and scaling
export { fitScaler, scalerFromJSON, parseScalingMethod, SCALING_METHODS } from './preparation/scaling.js';
export type { Scaler, ScalerJSON, ScalingMethod, TransformOptions } from './preparation/scaling.js';
export { prepareFeatures } from './preparation/prepare-features.js';
export type { PrepareFeaturesOptions, PreparedFeatures } from './preparation/prepare-features.js';
export { oneHotEncode, encodeCategories, sortLevels, oneHotNames } from './data-in/one-hot.js';
export type { CategoryCodes } from './data-in/one-hot.js';

// Insights and the visual report
export { profileSegments, SEGMENT_ORDER_RULE } from './insights/segment-profiles.js';
export type { SegmentProfiles, SegmentProfile, FeatureProfile, ColumnSummary, CategoryMix, CategoryLevelShare, FeatureLevel, ProfileInput, ProfileOptions } from './insights/segment-profiles.js';
export { nameSegments, readSegment } from './insights/segment-names.js';
export type { SegmentNaming } from './insights/segment-names.js';
export { shortFeatureLabel, shortFeatureLabels } from './insights/feature-labels.js';
export { describeSortable, quantileSorted } from './insights/distribution-stats.js';
export type { DistributionStats } from './insights/distribution-stats.js';
export { writeSegmentationReport, REPORT_GENERATOR } from './report/write-report.js';
export type { SegmentationReportInput, SegmentationReportOptions, SegmentationReportSummary } from './report/write-report.js';
export { dendrogramChartInput } from './report/dendrogram-input.js';
export { sampleDendrogram } from './pipeline/sample-dendrogram.js';
export type { SampleDendrogramOptions } from './pipeline/sample-dendrogram.js';
export {
  elbowChartSpec,
  scatterChartSpec,
  segmentSizesChartSpec,
  categoryChartSpec,
  histogramChartSpec,
  featureBoxesChartSpec,
  dendrogramChartSpec,
  SEGMENT_PALETTE,
} from './report/chart-specs.js';
export type { DendrogramChartInput, DendrogramMerge } from './report/chart-specs.js';
export { renderChart, svgToPng } from './report/render-chart.js';
export type { RenderedChart, RenderChartOptions } from './report/render-chart.js';

// Agglomerative clustering and the K-Means vs agglomerative comparison
export {
  fitAgglomerative,
  LINKAGES,
  parseLinkage,
  cutTree,
  clustersAtThreshold,
  dendrogramTop,
  linkageRows,
  computeCondensedDistances,
  condensedIndex,
  condensedLength,
  condensedBytes,
} from './drivers/agglomerative/index.js';
export type {
  AgglomerativeMode,
  AgglomerativeOptions,
  AgglomerativeResult,
  AgglomerativeSettings,
  MicroClusters,
  Linkage,
  LinkageTree,
  MergeStep,
  DendrogramTop,
  DendrogramLeaf,
} from './drivers/agglomerative/index.js';
export {
  adjustedRandIndex,
  silhouetteScore,
  silhouetteSamples,
  calinskiHarabasz,
  daviesBouldin,
  withinClusterSumOfSquares,
  clusterMeans,
  compactLabels,
  evaluatePartition,
} from './metrics/cluster-metrics.js';
export type { SilhouetteOptions, SilhouetteResult, PartitionQuality, ClusterMeans, CompactLabels } from './metrics/cluster-metrics.js';
export { compareClusterings } from './drivers/agglomerative/compare-clusterings.js';
export type { ClusteringComparison, MethodComparison } from './drivers/agglomerative/compare-clusterings.js';

// The whole job: one JSON spec, one call (CLI, library, service and workers)
export { segmentCustomers, AUTO_KEEP_PATTERNS } from './pipeline/segment-customers.js';
export type { SegmentCustomersOptions, SegmentationResult } from './pipeline/segment-customers.js';
export { segmentationSpecSchema } from './pipeline/spec.js';
export type { SegmentationSpec, DataSource, KMethod, SegmentationMethod } from './pipeline/spec.js';
export { validateSpec } from './pipeline/validate-spec.js';
export type { ResolvedSpec, SpecProblem } from './pipeline/validate-spec.js';
export { chooseK } from './pipeline/choose-k.js';
export type { KChoice, ChooseKInput } from './pipeline/choose-k.js';
export { numberSegments } from './results/segment-numbering.js';
export type { SegmentNumbering } from './results/segment-numbering.js';
export type { LabelsColumn } from './results/write-labels-csv.js';
