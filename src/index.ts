/**
 * segmenta's public API. Each area adds its export lines here.
 */

// Data in: reading, generating, writing labels
export { readCustomerTable } from './data-in/read-customer-table.js';
export type { ReadTableOptions, CustomerTable } from './data-in/read-customer-table.js';
export {
  generateCustomers,
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
export { oneHotEncode, encodeCategories, sortLevels, oneHotNames } from './preparation/one-hot.js';
export type { CategoryCodes } from './preparation/one-hot.js';
