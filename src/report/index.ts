/**
 * `segmenta/report`: the visual report and its parts — Vega-Lite chart specs,
 * charts rendered to SVG/PNG, the dendrogram chart input. The report draws
 * what it is given; `segmentCustomers` (root entry) runs the fits it shows.
 *
 * @example
 * ```ts
 * import { elbowChartSpec, renderChart } from 'segmenta/report';
 * const chart = await renderChart(elbowChartSpec({ ks: [1, 2, 3], wcss: [90, 40, 30], suggestedK: 2 }));
 * await writeFile('elbow.svg', chart.svg);
 * ```
 * @module segmenta/report
 */
export { writeSegmentationReport, REPORT_GENERATOR } from './write-report.js';
export type { SegmentationReportInput, SegmentationReportOptions, SegmentationReportSummary } from './write-report.js';
export {
  elbowChartSpec,
  scatterChartSpec,
  segmentSizesChartSpec,
  categoryChartSpec,
  histogramChartSpec,
  featureBoxesChartSpec,
  dendrogramChartSpec,
  kDistanceChartSpec,
  segmentDisplayName,
  SEGMENT_PALETTE,
} from './chart-specs.js';
export type {
  ElbowChartInput,
  ScatterChartInput,
  SizesChartInput,
  CategoryChartInput,
  HistogramChartInput,
  FeatureBox,
  FeatureBoxesInput,
  DendrogramChartInput,
  DendrogramMerge,
  KDistanceChartInput,
} from './chart-specs.js';
export { renderChart, svgToPng } from './render-chart.js';
export type { RenderedChart, RenderChartOptions } from './render-chart.js';
export { dendrogramChartInput, DEFAULT_DENDROGRAM_SAMPLE } from './dendrogram-input.js';
export { histogramBySegment, DEFAULT_SCATTER_SAMPLE } from './chart-data.js';
export type { HistogramBin } from './chart-data.js';
