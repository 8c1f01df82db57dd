/**
 * `segmenta/pipeline`: the segmentation job as plain JSON — the spec, its
 * JSON Schema, validation, the rule for k and `segmentCustomers`. What the job
 * service and the queue workers build on (the root entry exports the same).
 *
 * @module segmenta/pipeline
 */
export { segmentCustomers, AUTO_KEEP_PATTERNS } from './segment-customers.js';
export type { SegmentCustomersOptions, SegmentationResult } from './segment-customers.js';
export { segmentationSpecSchema } from './spec.js';
export type { SegmentationSpec, DataSource, KMethod, SegmentationMethod } from './spec.js';
export { validateSpec, checkSchema, describeSchema } from './validate-spec.js';
export type { ResolvedSpec, SpecProblem } from './validate-spec.js';
export { chooseK } from './choose-k.js';
export type { KChoice, ChooseKInput } from './choose-k.js';
export { sampleDendrogram } from './sample-dendrogram.js';
export type { SampleDendrogramOptions } from './sample-dendrogram.js';
