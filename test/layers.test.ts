/**
 * The one-way layers of src/ (src/README.md): every import goes to the same
 * folder or to a lower layer, nothing imports bench/ or test/, and there is no
 * import cycle. The table in src/README.md is the source of the layers, and it
 * must list exactly the folders that exist.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** Parses the layer table of a layers README: `| 3 | \`drivers/\` | … |` rows. */
function parseLayerTable(markdown: string): Map<string, number> {
  const layers = new Map<string, number>();
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*(\d+)\s*\|\s*`([a-z0-9-]+)\/`\s*\|/.exec(line);
    if (m) layers.set(m[2]!, Number(m[1]));
  }
  return layers;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative import specifiers of a file: static imports and exports (type-only included) and dynamic `import()`. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** src/-relative path of an import target (`.js` → `.ts`), or the resolved absolute path when outside src/. */
function resolveImport(from: string, specifier: string): string {
  return resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** Checks every relative import of `files` against `layers`; returns the violations and the import graph. */
function checkLayers(files: readonly string[], read: (f: string) => string, layers: ReadonlyMap<string, number>, src = SRC) {
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  const top = Math.max(...layers.values()) + 1;
  const layerOf = (path: string): { folder: string; rank: number } | null => {
    const rel = relative(src, path).split('\\').join('/');
    if (rel.startsWith('..')) return null;
    const folder = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '';
    if (folder === '') return { folder: '(root)', rank: top };
    const rank = layers.get(folder);
    return rank === undefined ? { folder, rank: Number.NaN } : { folder, rank };
  };
  for (const file of files) {
    const from = layerOf(file)!;
    const rel = relative(src, file);
    const edges: string[] = [];
    graph.set(file, edges);
    if (Number.isNaN(from.rank)) violations.push({ file: rel, imports: '', why: `folder '${from.folder}/' has no row in src/README.md` });
    for (const specifier of importsOf(read(file))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveImport(file, specifier);
      const to = layerOf(target);
      if (!to) {
        violations.push({ file: rel, imports: specifier, why: 'reaches outside src/ (bench/ or test/ code must not ship in the product)' });
        continue;
      }
      edges.push(target);
      if (to.folder === from.folder || Number.isNaN(from.rank)) continue;
      if (to.rank === from.rank) violations.push({ file: rel, imports: specifier, why: `sibling layer: ${from.folder}/ and ${to.folder}/ are both on layer ${from.rank}` });
      else if (!(to.rank < from.rank)) violations.push({ file: rel, imports: specifier, why: `upward: ${from.folder}/ (layer ${from.rank}) imports ${to.folder}/ (layer ${to.rank})` });
    }
  }
  return { violations, graph };
}

/** The import cycles of a graph (each as a file list, first file repeated at the end). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

const readme = readFileSync(join(SRC, 'README.md'), 'utf8');
const layers = parseLayerTable(readme);
const files = tsFiles(SRC).sort();
const read = (f: string): string => readFileSync(f, 'utf8');

describe('src/ layers', () => {
  it('src/README.md lists exactly the folders of src/, each with its layer', () => {
    const folders = readdirSync(SRC)
      .filter((name) => statSync(join(SRC, name)).isDirectory())
      .sort();
    expect(layers.size).toBeGreaterThan(5);
    expect([...layers.keys()].sort()).toEqual(folders);
    // Every folder's row says what it holds, and the README names the root entry.
    for (const folder of folders) expect(readme).toMatch(new RegExp(`\\|\\s*\`${folder}/\`\\s*\\|\\s*\\S.{20,}\\|`));
    expect(readme).toContain('index.ts');
  });

  it('no file imports upward, sideways or outside src/', () => {
    const { violations } = checkLayers(files, read, layers);
    expect(violations.map((v) => `${v.file}: '${v.imports}': ${v.why}`)).toEqual([]);
  });

  it('there is no import cycle', () => {
    const { graph } = checkLayers(files, read, layers);
    expect(graph.size).toBe(files.length);
    expect(findCycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' → '))).toEqual([]);
  });

  it('drivers/density/ (DBSCAN, HDBSCAN) stands on common/, backends/ and the drivers\' input checks only, not on another algorithm', () => {
    const density = files.filter((f) => relative(SRC, f).startsWith('drivers/density/'));
    expect(density.length).toBeGreaterThanOrEqual(4);
    const { graph } = checkLayers(files, read, layers);
    const outside = density.flatMap((f) =>
      (graph.get(f) ?? [])
        .map((to) => relative(SRC, to))
        .filter((to) => !to.startsWith('drivers/density/') && !to.startsWith('common/') && !to.startsWith('backends/') && to !== 'drivers/validate-input.ts')
        .map((to) => `${relative(SRC, f)} → ${to}`),
    );
    expect(outside).toEqual([]);
    expect(readme).toMatch(/`density\/`: DBSCAN/);
  });

  it('the checks can fail: an upward import, a sibling import, a reach into bench/ and a cycle are caught', () => {
    const fake = new Map<string, string>([
      [join(SRC, 'drivers/a.ts'), "import { x } from '../report/b.js';\nimport type { Y } from '../../bench/bench-suite.js';"],
      [join(SRC, 'report/b.ts'), "export const x = 1; const m = await import('./c.js');"],
      [join(SRC, 'report/c.ts'), "export * from './b.js';"],
      [join(SRC, 'metrics/d.ts'), "import { z } from '../data-in/e.js';"],
      [join(SRC, 'mystery/f.ts'), "import { z } from '../common/errors.js';"],
    ]);
    const { violations, graph } = checkLayers([...fake.keys()], (f) => fake.get(f)!, layers);
    const why = violations.map((v) => `${v.file} ${v.why}`);
    expect(why).toEqual([
      'drivers/a.ts upward: drivers/ (layer 3) imports report/ (layer 6)',
      'drivers/a.ts reaches outside src/ (bench/ or test/ code must not ship in the product)',
      'metrics/d.ts sibling layer: metrics/ and data-in/ are both on layer 1',
      "mystery/f.ts folder 'mystery/' has no row in src/README.md",
    ]);
    expect(findCycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' → '))).toEqual(['report/b.ts → report/c.ts → report/b.ts']);
  });
});
