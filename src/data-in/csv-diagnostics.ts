/**
 * Plain-JavaScript checks of a CSV file's shape, for the messages DuckDB cannot
 * give: the header's own field names (duplicates, which DuckDB silently renames
 * `a_1`) and the first ragged row (DuckDB's sniffer gives up, or reports only
 * "CSV Error on Line: N"). The scan follows RFC 4180 quoting with the sniffed
 * delimiter, quote and escape, skips a UTF-8 BOM and blank lines, and accepts
 * LF and CRLF line ends.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** The dialect of a CSV file (as DuckDB's `sniff_csv` reports it). */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  escape: string;
}

/** The first record's fields and, when asked, the first record whose field count differs. */
export interface CsvShape {
  /** Fields of the first non-blank record (the header when the file has one). */
  header: string[];
  /** The first later record with another field count; undefined when every record matches (or the scan stopped at the header). */
  ragged?: { row: number; line: number; fields: number };
}

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];

/**
 * The delimiter of a CSV whose first line is `line`: the sniffed one when it
 * splits the line, else the candidate (`, ; TAB |`) that occurs most often
 * outside quotes. Undefined for a one-column file.
 */
export function guessDelimiter(line: string, sniffed: string | undefined): string | undefined {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && CANDIDATE_DELIMITERS.includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  if (sniffed && sniffed.length === 1 && (counts.get(sniffed) ?? 0) > 0) return sniffed;
  let best: string | undefined;
  for (const [ch, n] of counts) if (best === undefined || n > counts.get(best)!) best = ch;
  return best;
}

function openText(path: string, gzip: boolean): Readable {
  const raw = createReadStream(path);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (e) => stream.destroy(e));
  stream.setEncoding('utf8');
  return stream;
}

/** The first line of a CSV file (BOM removed), at most `limit` characters. */
export async function firstCsvLine(path: string, gzip: boolean, limit = 1 << 20): Promise<string> {
  const stream = openText(path, gzip);
  let text = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      text += chunk;
      const end = text.search(/\r?\n/);
      if (end >= 0) {
        text = text.slice(0, end);
        break;
      }
      if (text.length > limit) break;
    }
  } finally {
    stream.destroy();
  }
  return text.replace(/^\uFEFF/, '').slice(0, limit);
}

/**
 * Scans a CSV file with a known dialect: the first record's fields, and with
 * `findRagged` the first later record whose field count differs from it
 * (1-based data row after the header, and the file line it starts on).
 */
export async function scanCsvShape(path: string, gzip: boolean, dialect: CsvDialect, findRagged: boolean): Promise<CsvShape> {
  const { delimiter, quote, escape } = dialect;
  const stream = openText(path, gzip);
  let header: string[] | undefined;
  let fields = 0;
  let field = '';
  let fieldChars = 0;
  let recordEmpty = true;
  let inQuotes = false;
  let afterQuote = false;
  let line = 1;
  let recordLine = 1;
  let row = 0;
  let first = true;
  let pendingEscape = false;
  const current: string[] = [];
  const finishRecord = (): CsvShape['ragged'] | 'stop' | undefined => {
    if (recordEmpty && fields === 0) return undefined;
    const count = fields + 1;
    if (header === undefined) {
      current.push(field);
      header = [...current];
      return findRagged ? undefined : 'stop';
    }
    row++;
    if (count !== header.length) return { row, line: recordLine, fields: count };
    return undefined;
  };
  const reset = (): void => {
    fields = 0;
    field = '';
    fieldChars = 0;
    recordEmpty = true;
    current.length = 0;
    afterQuote = false;
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (first) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        if (inQuotes) {
          if (pendingEscape) {
            pendingEscape = false;
            if (header === undefined) field += ch;
            if (ch === '\n') line++;
            continue;
          }
          if (escape !== quote && ch === escape) {
            pendingEscape = true;
            continue;
          }
          if (ch === quote) {
            // A doubled quote is a literal quote; else the quoted part ends.
            if (text[i + 1] === quote) {
              if (header === undefined) field += ch;
              i++;
              continue;
            }
            inQuotes = false;
            afterQuote = true;
            continue;
          }
          if (ch === '\n') line++;
          if (header === undefined) field += ch;
          continue;
        }
        if (ch === quote && quote !== '' && !afterQuote) {
          inQuotes = true;
          recordEmpty = false;
          continue;
        }
        if (ch === delimiter) {
          if (header === undefined) current.push(field);
          fields++;
          field = '';
          fieldChars = 0;
          recordEmpty = false;
          afterQuote = false;
          continue;
        }
        if (ch === '\n') {
          const result = finishRecord();
          if (result === 'stop') return { header: header! };
          if (result) return { header: header!, ragged: result };
          reset();
          line++;
          recordLine = line;
          continue;
        }
        if (ch === '\r') continue;
        recordEmpty = false;
        fieldChars++;
        if (header === undefined && fieldChars < 100_000) field += ch;
      }
    }
    const result = finishRecord();
    if (result && result !== 'stop') return { header: header ?? [], ragged: result };
    return { header: header ?? [] };
  } finally {
    stream.destroy();
  }
}

/** Names that occur more than once, each with its 1-based positions. */
export function duplicateNames(names: readonly string[]): { name: string; positions: number[] }[] {
  const at = new Map<string, number[]>();
  names.forEach((n, i) => at.set(n, [...(at.get(n) ?? []), i + 1]));
  return [...at].filter(([, p]) => p.length > 1).map(([name, positions]) => ({ name, positions }));
}
