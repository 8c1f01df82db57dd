/**
 * Renders Vega-Lite specs in Node, with no browser and no canvas: vega-lite
 * compiles the spec to Vega, a headless Vega View (renderer 'none') writes
 * SVG, and resvg rasterises the SVG to PNG with a system font.
 */
import { existsSync } from 'node:fs';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { SegmentaError } from '../common/errors.js';

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
  const resvg = new Resvg(svg, { font: chartFontOptions(), fitTo: { mode: 'zoom', value: scale }, background: 'white', logLevel: 'off' });
  return new Uint8Array(resvg.render().asPng());
}

/** Width and height attributes of an SVG's root element (0 when absent). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1] ?? 0);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1] ?? 0);
  return { width, height };
}
