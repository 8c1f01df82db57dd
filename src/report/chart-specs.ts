/**
 * Vega-Lite specs of the report's charts. Every spec carries its data inline
 * and already aggregated or sampled (never one mark per customer of a large
 * base), and colours segments the same way in every chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { HistogramBin } from './chart-data.js';
import { groupDigits } from '../common/format-number.js';

/**
 * Segment colours: Tableau 10 hues (its grey swapped for a teal), then their
 * light Tableau 20 tones; cycled beyond 20 segments. No greys: those belong
 * to category levels.
 */
export const SEGMENT_PALETTE: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#17becf',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#86bcb6', '#8cd17d', '#f1ce63', '#d4a6c8', '#fabfd2', '#d7b5a6', '#9edae5',
];

/**
 * Colours of category levels (Gender…): neutral greys and near-black, so a
 * level never reads as a segment (no hue is shared with {@link SEGMENT_PALETTE}).
 */
export const CATEGORY_PALETTE: readonly string[] = ['#3b3b3b', '#a6a6a6', '#6e6e6e', '#d0d0d0', '#1a1a1a', '#8a8a8a', '#555555', '#bdbdbd'];

/** Shared look: sans-serif text, white background, no view border. */
const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null },
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420 },
} as const;

/** A segment as the charts show it: "0 · High income · Low spending". */
export function segmentDisplayName(segment: number, name: string): string {
  return `${segment} · ${name}`;
}

function segmentColour(displayNames: readonly string[], title = 'Segment'): Record<string, unknown> {
  return {
    title,
    scale: { domain: [...displayNames], range: displayNames.map((_, i) => SEGMENT_PALETTE[i % SEGMENT_PALETTE.length]!) },
  };
}

function spec(s: Record<string, unknown>): TopLevelSpec {
  return { config: CONFIG, ...s } as unknown as TopLevelSpec;
}

/** Input of {@link elbowChartSpec}. */
export interface ElbowChartInput {
  ks: readonly number[];
  wcss: readonly number[];
  /** The k the report uses. */
  chosenK: number;
  /** The sweep's elbow (Kneedle), when it found one. */
  suggestedK: number | null;
}

/** The elbow curve: WCSS by k, the chosen k marked with a rule, a red point and its label. */
export function elbowChartSpec(input: ElbowChartInput): TopLevelSpec {
  const values = input.ks.map((k, i) => ({ k, wcss: input.wcss[i]! }));
  const chosen = values.find((v) => v.k === input.chosenK);
  const note =
    input.suggestedK === null
      ? `k = ${input.chosenK} (chosen; no clear elbow)`
      : input.suggestedK === input.chosenK
        ? `k = ${input.chosenK} (elbow)`
        : `k = ${input.chosenK} (chosen; elbow at ${input.suggestedK})`;
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', point: { size: 50 }, color: '#4e79a7', strokeWidth: 2 },
      encoding: {
        x: { field: 'k', type: 'quantitative', title: 'number of segments k', scale: { domain: [Math.min(...input.ks), Math.max(...input.ks)], nice: false }, axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'wcss', type: 'quantitative', title: 'WCSS (within-cluster sum of squares)' },
      },
    },
  ];
  if (chosen) {
    layers.push(
      { data: { values: [chosen] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#e15759' }, encoding: { x: { field: 'k', type: 'quantitative' } } },
      { data: { values: [chosen] }, mark: { type: 'point', filled: true, size: 160, color: '#e15759' }, encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'wcss', type: 'quantitative' } } },
      {
        data: { values: [{ ...chosen, note }] },
        mark: { type: 'text', align: 'left', dx: 10, dy: -12, fontSize: 12, fontWeight: 'bold', color: '#e15759' },
        encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'wcss', type: 'quantitative' }, text: { field: 'note' } },
      },
    );
  }
  return spec({
    title: { text: 'Elbow curve: WCSS by number of segments', subtitle: 'The chosen k is marked in red; past the elbow, more segments explain little more.' },
    width: 520,
    height: 300,
    data: { values },
    layer: layers,
  });
}

/** Input of {@link scatterChartSpec}. */
export interface ScatterChartInput {
  xTitle: string;
  yTitle: string;
  /** Sampled points: x, y and the segment's display name. */
  points: readonly { x: number; y: number; segment: string }[];
  /** One centre per segment, in segment order. */
  centres: readonly { x: number; y: number; segment: string; number: number }[];
  /** Display names of every segment, in segment order (the colour domain). */
  segments: readonly string[];
  /** What the points are, e.g. "all 200 customers" or "a seeded random sample of 5,000 of 1,000,000 customers (seed 42)". */
  sampleNote: string;
}

/** Scatter of two features coloured by segment, with the segment centres as large outlined squares labelled by number. */
export function scatterChartSpec(input: ScatterChartInput): TopLevelSpec {
  const colour = segmentColour(input.segments);
  return spec({
    title: { text: `Segments by ${input.xTitle} and ${input.yTitle}`, subtitle: `Points: ${input.sampleNote}. Squares: segment centres.` },
    width: 520,
    height: 380,
    layer: [
      {
        data: { values: input.points },
        mark: { type: 'circle', size: 28, opacity: 0.7 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: input.xTitle, scale: { zero: false } },
          y: { field: 'y', type: 'quantitative', title: input.yTitle, scale: { zero: false } },
          color: {
            field: 'segment',
            type: 'nominal',
            ...colour,
            legend: { title: 'Segment', orient: 'bottom', direction: 'vertical', columns: 2, symbolType: 'circle', symbolOpacity: 1, labelLimit: 300 },
          },
        },
      },
      {
        data: { values: input.centres },
        mark: { type: 'square', size: 260, filled: true, stroke: 'black', strokeWidth: 1.5, opacity: 1 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'segment', type: 'nominal', ...colour } },
      },
      {
        data: { values: input.centres },
        mark: { type: 'text', fontSize: 11, fontWeight: 'bold', color: 'white' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'number', type: 'nominal' } },
      },
    ],
  });
}

/** Input of {@link segmentSizesChartSpec}. */
export interface SizesChartInput {
  segments: readonly { segment: string; size: number; share: number }[];
}

/** Horizontal bars: customers per segment, with the share printed at each bar's end. */
export function segmentSizesChartSpec(input: SizesChartInput): TopLevelSpec {
  const domain = input.segments.map((s) => s.segment);
  const values = input.segments.map((s) => ({ ...s, label: `${groupDigits(s.size)} (${(100 * s.share).toFixed(1)}%)` }));
  return spec({
    title: { text: 'Customers per segment', subtitle: 'Segments are numbered by descending size.' },
    width: 420,
    height: { step: 28 },
    data: { values },
    encoding: { y: { field: 'segment', type: 'nominal', title: null, sort: domain, axis: { labelLimit: 420 } } },
    layer: [
      { mark: { type: 'bar' }, encoding: { x: { field: 'size', type: 'quantitative', title: 'customers' }, color: { field: 'segment', type: 'nominal', ...segmentColour(domain), legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 }, encoding: { x: { field: 'size', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  });
}

/** Input of {@link categoryChartSpec}. */
export interface CategoryChartInput {
  column: string;
  /** Counts per segment and level. */
  counts: readonly { segment: string; level: string; count: number; share: number }[];
  segments: readonly string[];
  levels: readonly string[];
}

/** Grouped horizontal bars: count of each level (e.g. Female, Male) within each segment. */
export function categoryChartSpec(input: CategoryChartInput): TopLevelSpec {
  return spec({
    title: { text: `${input.column} by segment`, subtitle: `Customers of each ${input.column} level within each segment; the label gives the share of the segment.` },
    width: 420,
    height: { step: 14 * Math.max(1, Math.min(input.levels.length, 6)) + 6 },
    data: { values: input.counts.map((c) => ({ ...c, percent: `${(100 * c.share).toFixed(0)}%` })) },
    encoding: {
      y: { field: 'segment', type: 'nominal', title: null, sort: [...input.segments], axis: { labelLimit: 400 } },
      yOffset: { field: 'level', type: 'nominal', sort: [...input.levels] },
      x: { field: 'count', type: 'quantitative', title: 'customers' },
    },
    layer: [
      {
        mark: { type: 'bar', height: { band: 1 } },
        encoding: {
          color: {
            field: 'level',
            type: 'nominal',
            title: input.column,
            sort: [...input.levels],
            scale: { domain: [...input.levels], range: input.levels.map((_, i) => CATEGORY_PALETTE[i % CATEGORY_PALETTE.length]!) },
          },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { text: { field: 'percent' } } },
    ],
  });
}

/** Input of {@link histogramChartSpec}. */
export interface HistogramChartInput {
  column: string;
  bins: readonly HistogramBin[];
  segments: readonly string[];
}

/** Stacked histogram of one column, each bar split by segment. */
export function histogramChartSpec(input: HistogramChartInput): TopLevelSpec {
  const values = input.bins.map((b) => ({ start: b.start, end: b.end, count: b.count, segment: input.segments[b.segment]!, order: b.segment }));
  return spec({
    title: { text: `${input.column} distribution`, subtitle: 'Customers per bin, stacked by segment.' },
    width: 520,
    height: 280,
    data: { values },
    mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: input.column },
      x2: { field: 'end' },
      y: { field: 'count', type: 'quantitative', stack: 'zero', title: 'customers' },
      color: { field: 'segment', type: 'nominal', ...segmentColour(input.segments) },
      order: { field: 'order', type: 'quantitative' },
    },
  });
}

/** One feature's quartiles in one segment (a row of {@link FeatureBoxesInput}). */
export interface FeatureBox {
  segment: string;
  p05: number;
  q1: number;
  median: number;
  q3: number;
  p95: number;
  mean: number;
}

/** Input of {@link featureBoxesChartSpec}. */
export interface FeatureBoxesInput {
  features: readonly { title: string; boxes: readonly FeatureBox[]; baseMedian: number }[];
  segments: readonly string[];
}

/**
 * Each feature's distribution per segment, one panel per feature: whiskers
 * from the 5th to the 95th percentile, a box from the first to the third
 * quartile, a white tick at the median, a dashed line at the base's median.
 */
export function featureBoxesChartSpec(input: FeatureBoxesInput): TopLevelSpec {
  const colour = segmentColour(input.segments);
  const panels = input.features.map((f, index) => ({
    title: { text: f.title, fontSize: 13, anchor: 'start' },
    width: 420,
    height: { step: 24 },
    layer: [
      {
        data: { values: f.boxes },
        encoding: { y: { field: 'segment', type: 'nominal', title: null, sort: [...input.segments], axis: { labelLimit: 420 } } },
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 1.5 },
            encoding: { x: { field: 'p05', type: 'quantitative', title: f.title, scale: { zero: false } }, x2: { field: 'p95' }, color: { field: 'segment', type: 'nominal', ...colour, legend: null } },
          },
          {
            mark: { type: 'bar', size: 14, stroke: '#333', strokeWidth: 0.5 },
            encoding: { x: { field: 'q1', type: 'quantitative' }, x2: { field: 'q3' }, color: { field: 'segment', type: 'nominal', ...colour, legend: null } },
          },
          { mark: { type: 'tick', color: 'white', size: 14, thickness: 2 }, encoding: { x: { field: 'median', type: 'quantitative' } } },
        ],
      },
      {
        data: { values: [{ median: f.baseMedian, index }] },
        mark: { type: 'rule', strokeDash: [3, 3], color: '#555' },
        encoding: { x: { field: 'median', type: 'quantitative' } },
      },
    ],
  }));
  return spec({
    title: {
      text: 'Feature distributions by segment',
      subtitle: 'Whiskers: 5th–95th percentile; box: quartiles; white tick: median; dashed line: median of all customers.',
    },
    vconcat: panels,
    spacing: 24,
    resolve: { scale: { x: 'independent' } },
  });
}

/** One merge of a dendrogram: two clusters (leaf or earlier merge) joined at a distance. */
export interface DendrogramMerge {
  /** Left and right children: `0..leaves-1` are leaves, `leaves + i` is the i-th merge. */
  left: number;
  right: number;
  distance: number;
  /** Customers under the merge. */
  size: number;
}

/** Input of {@link dendrogramChartSpec}. */
export interface DendrogramChartInput {
  /** The top merges, in merge order (distances non-decreasing), over `leaves` clusters. */
  merges: readonly DendrogramMerge[];
  /** Number of leaves (clusters below the shown merges). */
  leaves: number;
  /** Leaf labels, e.g. sizes ("n = 120"); default the leaf number. */
  leafLabels?: readonly string[];
  /** Draw a dashed cut line at this distance (where the tree splits into the chosen k). */
  cutDistance?: number;
  subtitle?: string;
  /** Title (default "Dendrogram of the top merges"). */
  title?: string;
  /** A colour per leaf: drawn as a dot under each leaf (the segment tree colours leaves by segment). */
  leafColours?: readonly string[];
}

/**
 * A dendrogram drawn from merge records (SciPy linkage layout: leaves in the
 * order a depth-first walk from the root meets them, each merge a ∏-shaped
 * link at its distance).
 */
export function dendrogramChartSpec(input: DendrogramChartInput): TopLevelSpec {
  const { links, leafOrder, leafX } = layoutDendrogram(input.merges, input.leaves);
  const leafValues = leafOrder.map((leaf) => ({ x: leafX[leaf]!, label: input.leafLabels?.[leaf] ?? String(leaf) }));
  const layers: Record<string, unknown>[] = [
    {
      data: { values: links },
      mark: { type: 'rule', color: '#4e79a7', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'x', type: 'quantitative', axis: null, scale: { domain: [-0.5, Math.max(0.5, input.leaves - 0.5)], nice: false, zero: false } },
        x2: { field: 'x2' },
        y: { field: 'y', type: 'quantitative', title: 'merge distance', scale: { zero: true } },
        y2: { field: 'y2' },
      },
    },
    {
      data: { values: leafValues },
      mark: { type: 'text', angle: 270, align: 'right', baseline: 'middle', dy: 0, dx: -4, fontSize: 10, color: '#333' },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { datum: 0 }, text: { field: 'label' } },
    },
  ];
  if (input.leafColours) {
    const dots = leafOrder.map((leaf) => ({ x: leafX[leaf]!, colour: input.leafColours![leaf]! }));
    layers.push({
      data: { values: dots },
      mark: { type: 'circle', size: 180, opacity: 1, stroke: '#1d2430', strokeWidth: 1 },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { datum: 0 }, color: { field: 'colour', type: 'nominal', scale: null, legend: null } },
    });
  }
  if (input.cutDistance !== undefined) {
    layers.push({
      data: { values: [{ y: input.cutDistance }] },
      mark: { type: 'rule', strokeDash: [5, 4], color: '#e15759' },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
  }
  return spec({
    title: { text: input.title ?? 'Dendrogram of the top merges', subtitle: input.subtitle ?? 'Each ∏ joins two clusters at the height of their merge distance.' },
    width: Math.max(560, Math.min(900, 18 * input.leaves)),
    height: 300,
    layer: layers,
  });
}

/** Link segments of a dendrogram: vertical and horizontal rules with x in leaf positions, y in distance. */
export function layoutDendrogram(
  merges: readonly DendrogramMerge[],
  leaves: number,
): { links: { x: number; x2: number; y: number; y2: number }[]; leafOrder: number[]; leafX: number[] } {
  const nodes = leaves + merges.length;
  const height = new Array<number>(nodes).fill(0);
  const x = new Array<number>(nodes).fill(NaN);
  merges.forEach((m, i) => (height[leaves + i] = m.distance));
  // Depth-first walk from each root (the last merges that are nobody's child) to order leaves.
  const isChild = new Array<boolean>(nodes).fill(false);
  for (const m of merges) {
    isChild[m.left] = true;
    isChild[m.right] = true;
  }
  const roots: number[] = [];
  for (let node = nodes - 1; node >= 0; node--) if (!isChild[node]) roots.push(node);
  roots.reverse();
  const leafOrder: number[] = [];
  const visit = (node: number): void => {
    const stack = [node];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current < leaves) leafOrder.push(current);
      else {
        const m = merges[current - leaves]!;
        stack.push(m.right, m.left);
      }
    }
  };
  roots.forEach(visit);
  const leafX = new Array<number>(leaves).fill(0);
  leafOrder.forEach((leaf, position) => {
    leafX[leaf] = position;
    x[leaf] = position;
  });
  const links: { x: number; x2: number; y: number; y2: number }[] = [];
  merges.forEach((m, i) => {
    const node = leaves + i;
    const xl = x[m.left]!;
    const xr = x[m.right]!;
    x[node] = (xl + xr) / 2;
    links.push({ x: xl, x2: xl, y: height[m.left]!, y2: m.distance });
    links.push({ x: xr, x2: xr, y: height[m.right]!, y2: m.distance });
    links.push({ x: xl, x2: xr, y: m.distance, y2: m.distance });
  });
  return { links, leafOrder, leafX };
}

/** One method's curve for {@link kSelectionChartSpec}. */
export interface KMethodCurve {
  /** Panel title, e.g. "Silhouette (higher is better)". */
  title: string;
  /** Values aligned with `ks`; null where undefined (k = 1). */
  values: readonly (number | null)[];
  /** The k this method picks, or null. */
  pick: number | null;
  /** Optional ± error per k (the gap statistic's s(k)). */
  error?: readonly number[];
}

/** Input of {@link kSelectionChartSpec}. */
export interface KSelectionChartInput {
  ks: readonly number[];
  /** One panel per method, in order. */
  curves: readonly KMethodCurve[];
  /** The suggested (or chosen) k, drawn as a dashed rule on every panel. */
  chosenK: number | null;
}

/**
 * Every method of choosing k, one small panel each: the curve over k, the
 * method's own pick as a large orange point, and the chosen k as a dashed
 * rule across all panels (so agreement reads at a glance).
 */
export function kSelectionChartSpec(input: KSelectionChartInput): TopLevelSpec {
  const domain = [Math.min(...input.ks), Math.max(...input.ks)];
  const x = { field: 'k', type: 'quantitative', title: 'k', scale: { domain, nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const panels = input.curves.map((c) => {
    const values = input.ks.flatMap((k, i) => (c.values[i] === null || !Number.isFinite(c.values[i]!) ? [] : [{ k, v: c.values[i]!, lo: c.values[i]! - (c.error?.[i] ?? 0), hi: c.values[i]! + (c.error?.[i] ?? 0) }]));
    const y = { field: 'v', type: 'quantitative', title: null, scale: { zero: false } };
    const layers: Record<string, unknown>[] = [];
    if (input.chosenK !== null) {
      layers.push({ data: { values: [{ k: input.chosenK }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { field: 'k', type: 'quantitative' } } });
    }
    if (c.error) layers.push({ mark: { type: 'rule', color: '#9aa5b1' }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: { zero: false } }, y2: { field: 'hi' } } });
    layers.push({ mark: { type: 'line', point: { size: 30 }, color: '#2f4b7c', strokeWidth: 2 }, encoding: { x, y } });
    const picked = values.filter((v) => v.k === c.pick);
    if (picked.length > 0) {
      layers.push({ data: { values: picked }, mark: { type: 'point', filled: true, size: 150, color: '#f28e2b', stroke: '#1d2430', strokeWidth: 1 }, encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } } });
    }
    return {
      title: { text: `${c.title}: ${c.pick === null ? 'no k' : `k = ${c.pick}`}`, fontSize: 12, anchor: 'start' },
      width: 210,
      height: 130,
      data: { values },
      layer: layers,
    };
  });
  return spec({
    title: {
      text: 'Choosing k: every method',
      subtitle: `Orange: each method's own k. Dashed: ${input.chosenK === null ? 'no k suggested' : `the k used, ${input.chosenK}`}.`,
    },
    columns: 3,
    concat: panels,
    spacing: 18,
  });
}

/** Input of {@link kDistanceChartSpec}. */
export interface KDistanceChartInput {
  /** Neighbour rank (minSamples − 1). */
  k: number;
  /** k-distances, largest first (a sample of the rows when `sampled`). */
  distances: ArrayLike<number>;
  /** The eps in use, drawn as a rule; omit when choosing. */
  eps?: number;
  /** The curve's knee (a suggested eps), marked with a point. */
  knee?: number | null;
  /** Rows in the table, and whether the curve is of a sample. */
  rows: number;
  sampled: boolean;
}

/** Points drawn at most (the curve is thinned evenly beyond it; the first and last are kept). */
const K_DISTANCE_POINTS = 600;

/**
 * The k-distance plot for choosing DBSCAN's eps: each row's distance to its
 * k-th nearest neighbour, sorted from largest to smallest, on the share of
 * rows. Rows under a horizontal line at eps are core rows (with minSamples =
 * k + 1); the knee, where outliers give way to dense rows, is the usual pick.
 */
export function kDistanceChartSpec(input: KDistanceChartInput): TopLevelSpec {
  const n = input.distances.length;
  const step = Math.max(1, Math.ceil(n / K_DISTANCE_POINTS));
  const values: { share: number; distance: number }[] = [];
  for (let i = 0; i < n; i += step) values.push({ share: n > 1 ? i / (n - 1) : 0, distance: input.distances[i]! });
  if (n > 1 && (n - 1) % step !== 0) values.push({ share: 1, distance: input.distances[n - 1]! });
  const layers: Record<string, unknown>[] = [
    {
      data: { values },
      mark: { type: 'line', color: '#4e79a7', strokeWidth: 2 },
      encoding: {
        x: { field: 'share', type: 'quantitative', title: 'share of customers, by k-distance (largest first)', axis: { format: '%' }, scale: { domain: [0, 1], nice: false } },
        y: { field: 'distance', type: 'quantitative', title: `distance to the ${ordinal(input.k)} nearest neighbour` },
      },
    },
  ];
  const core = (eps: number): number => {
    let c = 0;
    for (let i = 0; i < n; i++) if (input.distances[i]! <= eps) c++;
    return n > 0 ? c / n : 0;
  };
  if (input.eps !== undefined) {
    layers.push(
      { data: { values: [{ eps: input.eps }] }, mark: { type: 'rule', color: '#e15759', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'eps', type: 'quantitative' } } },
      {
        data: { values: [{ eps: input.eps, label: `eps = ${formatNumber(input.eps)}: ${Math.round(100 * core(input.eps))}% core rows` }] },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -4, x: 'width', color: '#e15759', fontSize: 12 },
        encoding: { y: { field: 'eps', type: 'quantitative' }, text: { field: 'label' } },
      },
    );
  }
  if (input.knee !== undefined && input.knee !== null) {
    const at = Array.prototype.findIndex.call(input.distances, (d: number) => d <= input.knee!);
    const share = n > 1 && at >= 0 ? at / (n - 1) : 0;
    layers.push(
      { data: { values: [{ share, distance: input.knee }] }, mark: { type: 'point', filled: true, size: 90, color: '#f28e2b' }, encoding: { x: { field: 'share', type: 'quantitative' }, y: { field: 'distance', type: 'quantitative' } } },
      {
        data: { values: [{ share, distance: input.knee, label: `knee ≈ ${formatNumber(input.knee)}` }] },
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, color: '#f28e2b', fontSize: 12 },
        encoding: { x: { field: 'share', type: 'quantitative' }, y: { field: 'distance', type: 'quantitative' }, text: { field: 'label' } },
      },
    );
  }
  const sample = input.sampled ? `a seeded sample of ${groupDigits(n)} of ${groupDigits(input.rows)} customers` : `all ${groupDigits(n)} customers`;
  return spec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Choosing eps: the k-distance plot', subtitle: `k = ${input.k} (minSamples = ${input.k + 1}), ${sample}; pick eps near the knee` },
    width: 560,
    height: 300,
    layer: layers,
  });
}

function ordinal(k: number): string {
  const s = k % 100 >= 11 && k % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k}${s}`;
}

function formatNumber(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
