/**
 * The shapes insights produce: profiles of the whole base and of each
 * segment. Types only, so that segment-profiles (which computes them) and
 * segment-names (which reads them) both depend on this file and not on each
 * other.
 */
import type { DistributionStats } from './distribution-stats.js';

/** How a segment's mean of one feature compares with the whole base. */
export type FeatureLevel = 'low' | 'mid' | 'high';

/** One column summarised over the whole base. */
export interface ColumnSummary extends DistributionStats {
  /** The column's name as in the file. */
  column: string;
  /** Its short label ("income", "spending", "age"…). */
  label: string;
  /** Rows with no value (kept numeric columns only; features have none). */
  missing: number;
}

/** One column summarised within one segment, compared with the base. */
export interface FeatureProfile extends ColumnSummary {
  /** Segment mean / base mean (NaN, null in JSON, when the base mean is 0). */
  lift: number;
  /** (segment mean − base mean) / base standard deviation (0 when the base does not vary). */
  z: number;
  /** `high` when z ≥ threshold, `low` when z ≤ −threshold, else `mid` (threshold 0.5 by default). */
  level: FeatureLevel;
}

/** Share of one level of a categorical column. */
export interface CategoryLevelShare {
  level: string;
  count: number;
  /** count / customers counted (in the segment, or in the base). */
  share: number;
  /** Segment share / base share of this level (1 for the base itself). */
  lift: number;
}

/** The mix of one categorical column (e.g. Gender). */
export interface CategoryMix {
  column: string;
  /**
   * Levels by descending count in the base, then by name. Beyond
   * `maxCategoryLevels` levels the rest are summed as `(other)`; empty
   * values are `(missing)`.
   */
  levels: CategoryLevelShare[];
}

/** One segment. */
export interface SegmentProfile {
  /** 0-based segment number in the stable order (the value in labels.csv). */
  segment: number;
  /** The label the clustering gave this segment before reordering. */
  fitLabel: number;
  /** Descriptive, unique name, e.g. "High income · Low spending". */
  name: string;
  /** A one- or two-word marketing action, e.g. "Win over", "Keep". */
  action: string;
  /** A short reading for marketers: the action's advice, then `Evidence: …`. */
  reading: string;
  /** The feature columns the name holds; the action reads only these. */
  named?: string[];
  /** The figures behind the action (named features' lifts and means, kept columns that stand out). */
  evidence?: string[];
  size: number;
  /** size / all customers. */
  share: number;
  /** Feature means of the segment (its centre), original units, in feature order. */
  centroid: number[];
  /** Clustering features, in feature order. */
  features: FeatureProfile[];
  /** Numeric columns carried along but not clustered on (e.g. Age). */
  descriptors: FeatureProfile[];
  /** Categorical columns carried along (e.g. Gender). */
  categories: CategoryMix[];
}

/** Everything `profileSegments` computes. */
export interface SegmentProfiles {
  rows: number;
  k: number;
  /** The whole base: one summary per feature. */
  features: ColumnSummary[];
  /** The whole base: one summary per numeric kept column. */
  descriptors: ColumnSummary[];
  /** The whole base: the mix of each categorical kept column. */
  categories: CategoryMix[];
  /** Segments in the stable order. */
  segments: SegmentProfile[];
  /** The ordering rule, in words. */
  ordering: string;
  /** `fitLabelToSegment[fitLabel]` = segment number. */
  fitLabelToSegment: number[];
  /** Every customer's segment number (renumbered), in input order. */
  labels: Int32Array;
}
