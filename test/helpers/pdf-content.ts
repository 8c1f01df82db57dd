/**
 * What a PDF draws, without a PDF renderer: its page count and, from its
 * (Flate-decoded) content streams, how many text-showing and painting
 * operators it holds. A blank page has none. Test helper only.
 */
import { inflateSync } from 'node:zlib';

/** Counts of a PDF's pages and drawing operators. */
export interface PdfContent {
  pages: number;
  /** Text-showing operators (`Tj`, `TJ`, `'`, `"`). */
  textOps: number;
  /** Path painting operators (`f`, `F`, `f*`, `S`, `s`, `B`, `b`…) and image draws (`Do`). */
  paintOps: number;
  /** Content streams that could be decoded. */
  streams: number;
}

/** Scans a PDF's content streams (Flate or uncompressed). */
export function pdfContent(bytes: Uint8Array): PdfContent {
  const text = Buffer.from(bytes).toString('latin1');
  const pages = (text.match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
  let textOps = 0;
  let paintOps = 0;
  let streams = 0;
  const re = /<<((?:[^<>]|<<[^>]*>>|<[^<>]*>)*)>>\s*stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    const raw = Buffer.from(text.slice(start, end), 'latin1');
    let body: string;
    try {
      body = (/\/FlateDecode/.test(m[1]!) ? inflateSync(raw) : raw).toString('latin1');
    } catch {
      continue;
    }
    streams++;
    textOps += (body.match(/(?:\]|\)|>)\s*T[Jj]\b/g) ?? []).length;
    paintOps += (body.match(/(?:^|\s)(?:f\*?|F|B\*?|b\*?|S|s|Do)(?=\s|$)/gm) ?? []).length;
    re.lastIndex = end;
  }
  return { pages, textOps, paintOps, streams };
}
