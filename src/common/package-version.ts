import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * segmenta's version, from the first package.json named `segmenta` in `from`
 * or one of its 4 parent folders; `'unknown'` when there is none.
 *
 * @param from where to start: by default this module's folder (src/common,
 *   or dist/src/common once built), so the repository's or installed package's package.json
 */
export function packageVersion(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'segmenta' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
