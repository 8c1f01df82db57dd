/**
 * Pixel statistics of a PNG (decoded with pngjs), to check that a rendered
 * chart or a browser screenshot actually shows something. Test helper only.
 */
import { PNG } from 'pngjs';

/** Decoded pixels, always RGBA, row-major. */
export interface DecodedPng {
  width: number;
  height: number;
  /** width × height × 4 bytes. */
  rgba: Uint8Array;
}

/** Decodes a PNG (any bit depth, palette or interlaced) into RGBA bytes; throws on anything that is not a PNG. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** What an image shows, roughly. */
export interface PixelStats {
  width: number;
  height: number;
  /** Share of pixels that differ from the most common colour (the background). */
  inkShare: number;
  /** Distinct colours, counted up to 4,096. */
  colours: number;
  /** Standard deviation of luminance (0..255). */
  lumaStd: number;
}

/** Pixel statistics of a PNG: a blank image has inkShare 0, one colour and lumaStd 0. */
export function pngPixelStats(bytes: Uint8Array): PixelStats {
  const { width, height, rgba } = decodePng(bytes);
  const n = width * height;
  const counts = new Map<number, number>();
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const key = (rgba[o]! << 24) | (rgba[o + 1]! << 16) | (rgba[o + 2]! << 8) | rgba[o + 3]!;
    if (counts.size < 4096 || counts.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const luma = 0.2126 * rgba[o]! + 0.7152 * rgba[o + 1]! + 0.0722 * rgba[o + 2]!;
    sum += luma;
    sumSq += luma * luma;
  }
  let background = 0;
  for (const c of counts.values()) background = Math.max(background, c);
  const mean = sum / n;
  return { width, height, inkShare: n > 0 ? 1 - background / n : 0, colours: counts.size, lumaStd: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}
