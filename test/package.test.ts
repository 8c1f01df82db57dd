/**
 * The package as another project gets it: `npm pack` the built tree, install
 * the tarball into a scratch project, then `require('segmenta')`,
 * `import 'segmenta'`, the subpaths, and the types from TypeScript. Also: the
 * tarball ships only the product (no tests, no benches, no test tooling).
 * Runs on the Node that runs the suite (CI runs it on Node 22 and 24).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown>; engines: { node: string } };
const dir = tempDir('segmenta-package-');
const app = join(dir, 'app');
let files: string[] = [];

function npm(args: string[], cwd: string): string {
  // npm's own CLI, on the Node that runs the suite.
  const npmCli = process.env['npm_execpath'] && process.env['npm_execpath'].endsWith('.js') ? process.env['npm_execpath'] : null;
  const [cmd, pre] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
  return execFileSync(cmd, [...pre, ...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function node(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/index.js'))) throw new Error('dist/ is missing: run npm run build (npm install does it)');
  // The tree is built already (npm install ran prepare): pack it as is.
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  npm(['install', join(dir, packed[0]!.filename), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--no-package-lock'], app);
}, 600_000);

describe('the packed tarball', () => {
  it('ships the built product only', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'build/segmenta-kernels.wasm']));
    expect(files.filter((f) => /^(test|bench|src|assembly|dist\/bench|docs)\//.test(f) || /headless-chromium|png-pixels|\.test\./.test(f))).toEqual([]);
  });

  it("require('segmenta') works, with the curated surface and the subpaths", () => {
    const r = node([
      '-e',
      `const s = require('segmenta');
       const b = require('segmenta/backends');
       const m = require('segmenta/metrics');
       m.adjustedRandIndex([0, 0, 1], [1, 1, 0]).then((ari) => console.log(JSON.stringify({ run: typeof s.segmentCustomers, schema: s.segmentationSpecSchema.title,
         error: new s.SegmentaError('INVALID_K', 'x').code, internal: 'condensedBytes' in s, backends: b.backendNames().sort(), ari })));`,
    ]);
    expect(r.stderr.replace(/^.*ExperimentalWarning.*\n?|^.*--trace-warnings.*\n?/gm, '')).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ run: 'function', schema: 'Segmentation spec', error: 'INVALID_K', internal: false, backends: ['js', 'tfjs', 'wasm'], ari: 1 });
  });

  it("import 'segmenta' works, and a whole job runs from the installed package", async () => {
    const script = `
      import { segmentCustomers, writeGeneratedCustomers } from 'segmenta';
      import { elbowChartSpec } from 'segmenta/report';
      await writeGeneratedCustomers('customers.csv', { rows: 500, seed: 1 });
      const r = await segmentCustomers({ data: { path: 'customers.csv' }, features: ['Annual Income (k$)', 'Spending Score (1-100)'], scale: 'standard', k: 3, sweep: false, backend: 'wasm' });
      console.log(JSON.stringify({ k: r.k, rows: r.table.rows, backend: r.backend.split(' ')[0], chart: typeof elbowChartSpec }));`;
    writeFileSync(join(app, 'job.mjs'), script);
    const r = node(['job.mjs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ k: 3, rows: 500, backend: expect.stringMatching(/^wasm/), chart: 'function' });
  });

  it('TypeScript resolves the types of the root and a subpath (types condition)', () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { segmentCustomers, type SegmentationSpec } from 'segmenta';
       import { listBackends } from 'segmenta/backends';
       const spec: SegmentationSpec = { data: { path: 'x.csv' }, features: ['A'] };
       const k: number | null = (await segmentCustomers(spec)).k;
       const n: number = (await listBackends()).length;
       export { k, n };`,
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    // A wrong field is a type error: the check can fail.
    writeFileSync(join(app, 'check.ts'), `import type { SegmentationSpec } from 'segmenta';\nexport const spec: SegmentationSpec = { data: { path: 'x.csv' }, featurez: ['A'] };\n`);
    const bad = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/featurez/);
  });

  it('declares Node >= 22 and types/import/default for every export', () => {
    expect(pkg.engines.node).toBe('>=22');
    for (const [path, target] of Object.entries(pkg.exports)) {
      if (path === './package.json') continue;
      expect(Object.keys(target as object), path).toEqual(['types', 'import', 'default']);
    }
  });
});
