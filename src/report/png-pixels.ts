/**
 * A small PNG decoder (8-bit grey, grey+alpha, RGB, RGBA; not interlaced)
 * and pixel statistics, to check that a rendered chart or a browser
 * screenshot actually shows something. Uses only node:zlib.
 */
import { inflateSync } from 'node:zlib';
import { SegmentaError } from '../common/errors.js';

/** Decoded pixels, always RGBA, row-major. */
export interface DecodedPng {
  width: number;
  height: number;
  /** width × height × 4 bytes. */
  rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Decodes a PNG.
 *
 * @throws SegmentaError `MALFORMED_FILE` for anything else (bad signature, 16-bit, palette or interlaced images, truncated data)
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): SegmentaError => new SegmentaError('MALFORMED_FILE', `cannot decode PNG: ${why}`);
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) throw bad('not a PNG signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  while (offset + 8 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (data.length !== length) throw bad(`chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8]!;
      colourType = data[9]!;
      if (depth !== 8) throw bad(`bit depth ${depth} is not supported (8 only)`);
      if (![0, 2, 4, 6].includes(colourType)) throw bad(`colour type ${colourType} is not supported`);
      if (data[12] !== 0) throw bad('interlaced images are not supported');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (width === 0 || height === 0) throw bad('no IHDR chunk');
  const channels = colourType === 0 ? 1 : colourType === 4 ? 2 : colourType === 2 ? 3 : 4;
  const stride = width * channels;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (error) {
    throw bad(`image data does not inflate (${error instanceof Error ? error.message : String(error)})`);
  }
  if (raw.length < height * (stride + 1)) throw bad(`image data holds ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const prev = out - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels]! : 0;
      const b = y > 0 ? pixels[prev + x]! : 0;
      const c = y > 0 && x >= channels ? pixels[prev + x - channels]! : 0;
      let v = line[x]!;
      switch (filter) {
        case 0:
          break;
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw bad(`unknown filter ${filter} on row ${y}`);
      }
      pixels[out + x] = v & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, p = 0; i < width * height; i++, p += channels) {
    const o = i * 4;
    if (channels <= 2) {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = pixels[p]!;
      rgba[o + 3] = channels === 2 ? pixels[p + 1]! : 255;
    } else {
      rgba[o] = pixels[p]!;
      rgba[o + 1] = pixels[p + 1]!;
      rgba[o + 2] = pixels[p + 2]!;
      rgba[o + 3] = channels === 4 ? pixels[p + 3]! : 255;
    }
  }
  return { width, height, rgba };
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
