/**
 * Opens a page in headless Chromium and reports what a reader would meet:
 * console errors, uncaught exceptions, failed or blocked loads (CSP), network
 * requests, the size of each inline SVG chart, and a full-page screenshot.
 *
 * It speaks the DevTools protocol over `--remote-debugging-pipe` (file
 * descriptors 3 and 4, NUL-terminated JSON), so it needs no WebSocket client
 * and no extra dependency. Used by the browser test of the report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { SegmentaError } from '../common/errors.js';

/** Where Chromium is looked for: `$CHROMIUM_PATH` first, then these. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

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
  /** console.error/assert calls, uncaught exceptions, and log entries of level error (failed loads, CSP violations). */
  errors: string[];
  /** Console warnings and warning log entries. */
  warnings: string[];
  /** URLs the page requested besides itself (should be none for a self-contained page). */
  requests: string[];
  title: string;
  svgs: RenderedSvg[];
  /** Images (`<img>`) and whether each loaded. */
  images: { src: string; loaded: boolean }[];
  /** Full-page PNG screenshot. */
  screenshot: Uint8Array;
  /** CSS pixel size of the whole page. */
  pageWidth: number;
  pageHeight: number;
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
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools-protocol connection over Chromium's debugging pipe. */
class PipeConnection {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners: ((m: CdpMessage) => void)[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(JSON.parse(text) as CdpMessage);
      }
    });
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(`${p.method}: ${message.error.message}`));
      else p.resolve(message.result ?? {});
      return;
    }
    for (const l of this.listeners) l(message);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const promise = new Promise<Record<string, unknown>>((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return promise;
  }

  onEvent(listener: (m: CdpMessage) => void): void {
    this.listeners.push(listener);
  }

  waitFor(method: string, sessionId: string): Promise<CdpMessage> {
    return new Promise((resolve) => this.onEvent((m) => m.method === method && m.sessionId === sessionId && resolve(m)));
  }

  failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
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

function describeRemoteObject(o: unknown): string {
  const r = o as { value?: unknown; description?: string; type?: string } | undefined;
  if (!r) return '';
  if (r.value !== undefined) return typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
  return r.description ?? r.type ?? '';
}

/**
 * Loads `htmlPath` in headless Chromium (`--headless --no-sandbox`) and reports
 * errors, requests, chart sizes and a full-page screenshot.
 *
 * @throws SegmentaError `BACKEND_UNAVAILABLE` when no Chromium is found; `FILE_NOT_FOUND` for a missing page;
 *   an Error when the browser fails or times out
 * @example
 * const seen = await inspectPage('report/index.html');
 * if (seen.errors.length > 0) console.error(seen.errors);
 */
export async function inspectPage(htmlPath: string, options: InspectPageOptions = {}): Promise<PageInspection> {
  const executable = options.executable ?? findChromium();
  if (!executable) throw new SegmentaError('BACKEND_UNAVAILABLE', `no Chromium found (tried $CHROMIUM_PATH, ${CHROMIUM_CANDIDATES.join(', ')})`);
  const page = resolve(htmlPath);
  if (!existsSync(page)) throw new SegmentaError('FILE_NOT_FOUND', `cannot open '${htmlPath}': file not found`, { path: htmlPath });
  const width = options.width ?? 1200;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profile = await mkdtemp(join(tmpdir(), 'segmenta-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    '--mute-audio',
    '--force-color-profile=srgb',
    `--window-size=${width},900`,
    'about:blank',
  ];
  const child: ChildProcess = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const connection = new PipeConnection(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`chromium exited (code ${code}, signal ${signal}) before the page was inspected: ${stderr.trim().slice(-800)}`))),
  );
  exited.catch(() => undefined);
  child.once('exit', () => connection.failAll(new Error(`chromium exited: ${stderr.trim().slice(-800)}`)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium did not finish within ${timeoutMs} ms: ${stderr.trim().slice(-800)}`)), timeoutMs);
  });
  try {
    return await Promise.race([drive(connection, pathToFileURL(page).href, width, options.maxScreenshotHeight ?? 12_000), exited, timeout]);
  } finally {
    clearTimeout(timer);
    await connection.send('Browser.close').catch(() => undefined);
    await new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
    });
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function drive(cdp: PipeConnection, url: string, width: number, maxHeight: number): Promise<PageInspection> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const requests: string[] = [];
  const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  cdp.onEvent((m) => {
    if (m.sessionId !== sessionId || !m.params) return;
    const p = m.params;
    if (m.method === 'Runtime.consoleAPICalled') {
      const text = ((p['args'] as unknown[]) ?? []).map(describeRemoteObject).join(' ');
      if (p['type'] === 'error' || p['type'] === 'assert') errors.push(`console.${String(p['type'])}: ${text}`);
      else if (p['type'] === 'warning') warnings.push(`console.warn: ${text}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } } | undefined;
      errors.push(`exception: ${d?.exception?.description ?? d?.text ?? 'unknown'}`);
    } else if (m.method === 'Log.entryAdded') {
      const e = p['entry'] as { level?: string; text?: string; url?: string } | undefined;
      const text = `${e?.text ?? ''}${e?.url ? ` (${e.url})` : ''}`;
      if (e?.level === 'error') errors.push(`log: ${text}`);
      else if (e?.level === 'warning') warnings.push(`log: ${text}`);
    } else if (m.method === 'Network.requestWillBeSent') {
      const request = p['request'] as { url?: string } | undefined;
      if (request?.url && request.url !== url) requests.push(request.url);
    } else if (m.method === 'Network.loadingFailed') {
      errors.push(`load failed: ${String(p['errorText'] ?? '')}${p['blockedReason'] ? ` (${String(p['blockedReason'])})` : ''}`);
    }
  });
  await cdp.send('Runtime.enable', {}, sessionId);
  await cdp.send('Log.enable', {}, sessionId);
  await cdp.send('Network.enable', {}, sessionId);
  await cdp.send('Page.enable', {}, sessionId);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = cdp.waitFor('Page.loadEventFired', sessionId);
  const navigation = (await cdp.send('Page.navigate', { url }, sessionId)) as { errorText?: string };
  if (navigation.errorText) throw new Error(`chromium could not open ${url}: ${navigation.errorText}`);
  await loaded;
  // Two animation frames, so layout and paint have settled.
  await cdp.send('Runtime.evaluate', { expression: 'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))', awaitPromise: true }, sessionId);
  const probe = (await cdp.send('Runtime.evaluate', { expression: PAGE_PROBE, returnByValue: true }, sessionId)) as {
    result: { value: Omit<PageInspection, 'errors' | 'warnings' | 'screenshot'> & { requests: string[] } };
  };
  const seen = probe.result.value;
  const height = Math.max(1, Math.min(maxHeight, seen.pageHeight));
  const shot = (await cdp.send(
    'Page.captureScreenshot',
    { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: Math.max(width, seen.pageWidth), height, scale: 1 } },
    sessionId,
  )) as { data: string };
  return {
    errors,
    warnings,
    requests: [...new Set([...requests, ...seen.requests.filter((r) => r !== url)])],
    title: seen.title,
    svgs: seen.svgs,
    images: seen.images,
    screenshot: new Uint8Array(Buffer.from(shot.data, 'base64')),
    pageWidth: seen.pageWidth,
    pageHeight: seen.pageHeight,
  };
}
