/**
 * Renders Vega-Lite specs in Node, with no browser and no canvas: vega-lite
 * compiles the spec to Vega, a headless Vega View (renderer 'none') writes
 * SVG, and resvg rasterises the SVG to PNG with a system font.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { SegmentaError } from '../common/errors.js';

// vega, vega-lite and resvg load on first use: importing segmenta (or running
// `segmenta --version`) does not pay for them, and vega's top-level await stays
// out of the module graph, so `require('segmenta')` works.
const require = createRequire(import.meta.url);
let resvgModule: typeof import('@resvg/resvg-js') | undefined;
function loadResvg(): typeof import('@resvg/resvg-js') {
  return (resvgModule ??= require('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));
}
let vegaModules: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;
function loadVega(): Promise<[typeof import('vega'), typeof import('vega-lite')]> {
  return (vegaModules ??= Promise.all([import('vega'), import('vega-lite')]).then((modules) => {
    useTextWidth(modules[0]);
    return modules;
  }));
}

/** A rendered chart. */
export interface RenderedChart {
  /** Standalone SVG document. */
  svg: string;
  /** PNG bytes (rendered at `scale` × the SVG's size). */
  png: Uint8Array;
  /** Size of the SVG in CSS pixels. */
  width: number;
  height: number;
  /** Warnings vega-lite and vega logged while compiling and rendering (none for a clean spec). */
  warnings: string[];
}

/** Options of {@link renderChart}. */
export interface RenderChartOptions {
  /** PNG pixels per SVG pixel. Default 2. */
  scale?: number;
  /** Skip the PNG (svg only). Default false. */
  svgOnly?: boolean;
}

/**
 * Sans-serif fonts tried in order; the first family whose regular face exists
 * becomes resvg's sans-serif (with its bold face when present). When none is
 * found resvg loads every system font instead.
 */
const FONT_CANDIDATES: ReadonlyArray<{ family: string; files: readonly string[] }> = [
  { family: 'DejaVu Sans', files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'] },
  { family: 'Liberation Sans', files: ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf'] },
  { family: 'Noto Sans', files: ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', '/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf'] },
  { family: 'Arial', files: ['/Library/Fonts/Arial.ttf', 'C:\\Windows\\Fonts\\arial.ttf', 'C:\\Windows\\Fonts\\arialbd.ttf'] },
  { family: 'Helvetica', files: ['/System/Library/Fonts/Helvetica.ttc'] },
];

let fontOptions: ResvgRenderOptions['font'] | undefined;

/**
 * Advance widths (in em) of DejaVu Sans, the font the PNGs are drawn with.
 * Without a canvas, vega guesses 0.8 em per character, which truncates
 * labels early and pads charts with empty space; these widths lay text out
 * as it is drawn (most browser sans-serif fonts are a little narrower).
 */
const EM_WIDTHS: Readonly<Record<string, number>> = (() => {
  const w: Record<string, number> = {};
  const set = (chars: string, width: number): void => {
    for (const c of chars) w[c] = width;
  };
  const lower = [0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525];
  const upper = [0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685];
  lower.forEach((width, i) => (w[String.fromCharCode(97 + i)] = width));
  upper.forEach((width, i) => (w[String.fromCharCode(65 + i)] = width));
  set('0123456789$', 0.636);
  set(' .,·', 0.318);
  set(':;/', 0.337);
  set('()[]', 0.39);
  set('-', 0.361);
  set('_–', 0.5);
  set('%', 0.95);
  set('&', 0.78);
  set("'", 0.275);
  set('"', 0.46);
  set('×=+#<>~', 0.838);
  set('—…', 1);
  return w;
})();

/** Width in pixels of `text` in DejaVu Sans at the item's size and weight. */
function textWidth(item: { fontSize?: number; fontWeight?: string | number; limit?: number }, text: unknown): number {
  const value = text == null ? '' : String(text).trim();
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  let em = 0;
  for (const c of value) em += EM_WIDTHS[c] ?? 0.62;
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  const width = em * size * (bold ? 1.1 : 1);
  // Text over its limit is truncated by vega to fit the limit.
  return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
}

/** Makes vega measure text with {@link textWidth} (it has no canvas in Node). */
function useTextWidth(vega: typeof import('vega')): void {
  const textMetrics = (vega as unknown as { textMetrics?: { width: (item: object, text: unknown) => number } }).textMetrics;
  if (textMetrics) textMetrics.width = textWidth;
}

/** resvg font settings: a known sans-serif file when one exists, else every system font. */
export function chartFontOptions(): NonNullable<ResvgRenderOptions['font']> {
  if (fontOptions) return fontOptions;
  for (const candidate of FONT_CANDIDATES) {
    const files = candidate.files.filter((f) => existsSync(f));
    if (files.length > 0 && existsSync(candidate.files[0]!)) {
      fontOptions = { loadSystemFonts: false, fontFiles: files, defaultFontFamily: candidate.family, sansSerifFamily: candidate.family };
      return fontOptions;
    }
  }
  fontOptions = { loadSystemFonts: true };
  return fontOptions;
}

/**
 * Compiles a Vega-Lite spec and renders it to SVG (and PNG).
 *
 * @throws SegmentaError `INVALID_OPTION` when the spec does not compile or render (its message names the chart)
 * @example
 * const { svg, png } = await renderChart(elbowChartSpec({ ks, wcss, chosenK: 5, suggestedK: 5 }));
 */
export async function renderChart(spec: TopLevelSpec, options: RenderChartOptions = {}, name = 'chart'): Promise<RenderedChart> {
  let svg: string;
  const warnings: string[] = [];
  const [vega, { compile }] = await loadVega();
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, args) => warnings.push(args.map(String).join(' ')));
  try {
    const compiled = compile(spec, { logger }).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger, logLevel: vega.Warn });
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (error) {
    throw new SegmentaError('INVALID_OPTION', `cannot render the ${name} chart: ${error instanceof Error ? error.message : String(error)}`, { chart: name });
  }
  const size = svgSize(svg);
  if (options.svgOnly) return { svg, png: new Uint8Array(0), ...size, warnings };
  const png = svgToPng(svg, options.scale ?? 2);
  return { svg, png, ...size, warnings };
}

/** Rasterises an SVG document to PNG with resvg, on a white background. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new (loadResvg().Resvg)(svg, { font: chartFontOptions(), fitTo: { mode: 'zoom', value: scale }, background: 'white', logLevel: 'off' });
  return new Uint8Array(resvg.render().asPng());
}

/** Width and height attributes of an SVG's root element (0 when absent). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1] ?? 0);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1] ?? 0);
  return { width, height };
}
