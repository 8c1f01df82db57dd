/**
 * Opens a page in headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) and reports what a reader would meet: console errors,
 * uncaught exceptions, failed or blocked loads (CSP), network requests, the
 * size of each inline SVG chart, and a full-page screenshot. Test helper only.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Where Chromium is looked for: `$CHROMIUM_PATH` first, then these. */
export const CHROMIUM_CANDIDATES: readonly string[] = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

/** The Chromium executable to use, or null when none is installed. */
export function findChromium(): string | null {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** One inline SVG as laid out in the page. */
export interface RenderedSvg {
  /** The enclosing figure's id (e.g. `chart-elbow`). */
  figure: string;
  width: number;
  height: number;
  /** Drawn elements (path, rect, line, text, circle…) inside it. */
  marks: number;
}

/** What {@link inspectPage} saw. */
export interface PageInspection {
  /** console.error/assert calls, uncaught exceptions, failed loads and CSP violations. */
  errors: string[];
  /** Console warnings. */
  warnings: string[];
  /** URLs the page requested besides itself (should be none for a self-contained page). */
  requests: string[];
  title: string;
  svgs: RenderedSvg[];
  /** Images (`<img>`) and whether each loaded. */
  images: { src: string; loaded: boolean }[];
  /** PNG screenshot: the full page, or the top `clipHeight` pixels. */
  screenshot: Uint8Array;
  /** CSS pixel size of the whole page. */
  pageWidth: number;
  pageHeight: number;
  /** What the `evaluate` option's expression returned (JSON-serialisable). */
  evaluated?: unknown;
  /** The page printed to PDF (A4, print stylesheet, backgrounds), with `pdf: true`. */
  pdf?: Uint8Array;
}

/** Options of {@link inspectPage}. */
export interface InspectPageOptions {
  /** Chromium executable. Default: {@link findChromium}. */
  executable?: string;
  /** Viewport width in CSS pixels. Default 1200. */
  width?: number;
  /** Gives up after this many milliseconds. Default 60,000. */
  timeoutMs?: number;
  /** Largest screenshot height in CSS pixels. Default 12,000. */
  maxScreenshotHeight?: number;
  /** Device scale factor of the screenshot. Default 1. */
  scale?: number;
  /** A JavaScript expression evaluated in the page after layout; its value comes back as `evaluated`. */
  evaluate?: string;
  /** Also print the page to PDF as Chromium's print does (A4, print media, backgrounds). */
  pdf?: boolean;
}

const PAGE_PROBE = `(() => {
  const svgs = [...document.querySelectorAll('svg')].map((svg) => {
    const r = svg.getBoundingClientRect();
    return { figure: svg.closest('figure')?.id ?? '', width: r.width, height: r.height,
      marks: svg.querySelectorAll('path, rect, line, text, circle, ellipse, polygon, polyline').length };
  });
  const images = [...document.images].map((img) => ({ src: img.currentSrc.slice(0, 60), loaded: img.complete && img.naturalWidth > 0 }));
  const requests = performance.getEntriesByType('resource').map((e) => e.name);
  return { title: document.title, svgs, images, requests,
    pageWidth: Math.ceil(document.documentElement.scrollWidth), pageHeight: Math.ceil(document.documentElement.scrollHeight) };
})()`;

/** Starts headless Chromium (`--headless --no-sandbox`) through puppeteer-core; close it with `browser.close()`. */
export async function launchChromium(executable: string, timeoutMs = 60_000): Promise<Browser> {
  return puppeteer.launch({
    executablePath: executable,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--force-color-profile=srgb', '--mute-audio'],
    protocolTimeout: timeoutMs,
  });
}

/** Loads `htmlPath` in headless Chromium (`--headless --no-sandbox`) and reports errors, requests, chart sizes and a screenshot. */
export async function inspectPage(htmlPath: string, options: InspectPageOptions = {}): Promise<PageInspection> {
  const executable = options.executable ?? findChromium();
  if (!executable) throw new Error(`no Chromium found (tried $CHROMIUM_PATH, ${CHROMIUM_CANDIDATES.join(', ')})`);
  const file = resolve(htmlPath);
  if (!existsSync(file)) throw new Error(`cannot open '${htmlPath}': file not found`);
  const url = pathToFileURL(file).href;
  const width = options.width ?? 1200;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const browser = await launchChromium(executable, timeoutMs);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    const errors: string[] = [];
    const warnings: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'assert') errors.push(`console.${m.type()}: ${m.text()}`);
      else if (m.type() === 'warn') warnings.push(`console.warn: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`exception: ${e instanceof Error ? e.message : String(e)}`));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    page.on('requestfailed', (r) => errors.push(`load failed: ${r.url().slice(0, 120)} (${r.failure()?.errorText ?? 'unknown'})`));
    await page.setViewport({ width, height: 900, deviceScaleFactor: options.scale ?? 1 });
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response && !response.ok()) throw new Error(`chromium could not open ${url}: status ${response.status()}`);
    // Two animation frames, so layout and paint have settled.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const seen = (await page.evaluate(PAGE_PROBE)) as Omit<PageInspection, 'errors' | 'warnings' | 'screenshot'>;
    const height = Math.max(1, Math.min(options.maxScreenshotHeight ?? 12_000, seen.pageHeight));
    const shot = await page.screenshot({ type: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: Math.max(width, seen.pageWidth), height } });
    const evaluated = options.evaluate ? await page.evaluate(options.evaluate) : undefined;
    const pdf = options.pdf ? new Uint8Array(await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true })) : undefined;
    return {
      ...(options.evaluate ? { evaluated } : {}),
      ...(pdf ? { pdf } : {}),
      errors,
      warnings,
      requests: [...new Set([...requests, ...seen.requests.filter((r) => r !== url)])],
      title: seen.title,
      svgs: seen.svgs,
      images: seen.images,
      screenshot: new Uint8Array(shot),
      pageWidth: seen.pageWidth,
      pageHeight: seen.pageHeight,
    };
  } finally {
    await browser.close();
  }
}
