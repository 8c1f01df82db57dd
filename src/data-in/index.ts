/**
 * `segmenta/data`: reading customer tables (CSV, Parquet) with DuckDB,
 * one-hot encoding, and generated customer bases.
 *
 * @example
 * ```ts
 * import { readCustomerTable, writeGeneratedCustomers } from 'segmenta/data';
 * await writeGeneratedCustomers('customers.csv', { rows: 100_000, seed: 42 });
 * const table = await readCustomerTable('customers.csv', { features: ['Annual Income (k$)', 'Spending Score (1-100)'] });
 * ```
 * @module segmenta/data
 */
export { readCustomerTable } from './read-customer-table.js';
export type { ReadTableOptions } from './read-customer-table.js';
export type { CustomerTable } from '../common/customer-table.js';
export {
  generateCustomers,
  generatedFeatureMatrix,
  writeGeneratedCustomers,
  CUSTOMER_SEGMENTS,
  EXTRA_FEATURES,
  BASE_COLUMNS,
  MIN_GENERATED_FEATURES,
  MAX_GENERATED_FEATURES,
} from './generate-customers.js';
export type {
  GenerateCustomersOptions,
  GeneratedCustomers,
  GeneratedFileInfo,
  CustomerSegmentDefinition,
  ExtraFeatureDefinition,
  GeneratedDistribution,
} from './generate-customers.js';
export { oneHotEncode, encodeCategories, sortLevels, oneHotNames } from './one-hot.js';
export type { CategoryCodes } from './one-hot.js';
