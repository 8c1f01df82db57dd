/**
 * The docs as a newcomer meets them: a short README that links every doc,
 * links that resolve, the report screenshot present, and TypeScript examples
 * that import only names the package exports from that entry.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const docFiles = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort();
const pages = [{ path: 'README.md', text: readme }, ...docFiles.map((f) => ({ path: `docs/${f}`, text: readFileSync(join(ROOT, 'docs', f), 'utf8') }))];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string }> };

/** Names an entry file re-exports (values and types), from its `export { … } from` and `export type { … } from` clauses. */
function exportedNames(entry: string): Set<string> {
  const text = readFileSync(entry, 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

/** The source entry of a package specifier: 'segmenta/report' → src/report/index.ts. */
function entryOf(specifier: string): string {
  const sub = specifier === 'segmenta' ? '.' : `./${specifier.slice('segmenta/'.length)}`;
  const target = pkg.exports[sub];
  if (!target || typeof target === 'string') throw new Error(`package.json exports has no '${sub}' (imported as '${specifier}')`);
  return join(ROOT, target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));
}

describe('README and docs/', () => {
  it('the README stays short (at most about 10 KB) and has the set-up commands', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(10_240);
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });

  it('the README links the core docs and shows the report screenshot', () => {
    // Other docs (added by other areas) get their README link from the README's owner; the core set is required.
    const core = ['cli.md', 'api.md', 'backends.md', 'numerics.md', 'agglomerative.md', 'report.md', 'benchmarks.md'];
    expect(docFiles).toEqual(expect.arrayContaining(core));
    for (const f of core) expect(readme, `README should link docs/${f}`).toContain(`](docs/${f})`);
    expect(readme).toContain('](docs/images/report-top.png)');
    const png = readFileSync(join(ROOT, 'docs/images/report-top.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('every relative link resolves to a file', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const m of page.text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const href = m[1]!;
        if (/^[a-z]+:/.test(href)) continue;
        const target = resolve(dirname(join(ROOT, page.path)), href);
        if (!existsSync(target) || (!statSync(target).isFile() && !statSync(target).isDirectory())) broken.push(`${page.path}: ${href}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the examples import only what the package exports from that entry (the check can fail)", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const page of pages) {
      for (const block of page.text.matchAll(/```ts\n([\s\S]*?)```/g)) {
        for (const m of block[1]!.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(segmenta(?:\/[a-z-]+)?)'/g)) {
          const names = exportedNames(entryOf(m[2]!));
          for (const part of m[1]!.split(',')) {
            const name = part.trim().replace(/^type\s+/, '');
            if (!name) continue;
            checked++;
            if (!names.has(name)) missing.push(`${page.path}: '${name}' is not exported by '${m[2]}'`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(missing).toEqual([]);
    // An internal name is not part of the root entry.
    expect(exportedNames(entryOf('segmenta')).has('condensedBytes')).toBe(false);
    expect(exportedNames(entryOf('segmenta/agglomerative')).has('cutTree')).toBe(true);
  });
});
