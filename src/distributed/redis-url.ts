/** Redis URL checks, without loading a Redis client (the CLI parses flags before it loads anything heavy). */
import { SegmentaError } from '../common/errors.js';

/**
 * Checks a Redis URL (`redis://HOST:PORT[/DB]`, `rediss://…` for TLS).
 *
 * @throws SegmentaError `INVALID_OPTION` naming the value
 */
export function parseRedisUrl(raw: string | undefined): string {
  const text = (raw ?? '').trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new SegmentaError('INVALID_OPTION', `--redis must be a URL like redis://127.0.0.1:6379, got '${text}'`, { option: 'redis', value: raw });
  }
  return text;
}

