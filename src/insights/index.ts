/**
 * `segmenta/insights`: segment profiles in original units (sizes, shares,
 * distributions, lifts, category mixes), names and marketing readings.
 *
 * @example
 * ```ts
 * import { profileSegments } from 'segmenta/insights';
 * const profiles = profileSegments({ featureNames: table.featureNames, matrix: table.matrix, labels, k: 5, kept: table.kept });
 * profiles.segments[0].name; // e.g. 'Average income · Average spending'
 * ```
 * @module segmenta/insights
 */
export { profileSegments, SEGMENT_ORDER_RULE } from './segment-profiles.js';
export type { ProfileInput, ProfileOptions } from './segment-profiles.js';
export type { SegmentProfiles, SegmentProfile, FeatureProfile, ColumnSummary, CategoryMix, CategoryLevelShare, FeatureLevel } from './insight-types.js';
export { nameSegments, readSegment } from './segment-names.js';
export type { SegmentNaming } from './segment-names.js';
export { shortFeatureLabel, shortFeatureLabels } from './feature-labels.js';
export { describeSortable, quantileSorted } from './distribution-stats.js';
export type { DistributionStats } from './distribution-stats.js';
