#!/usr/bin/env node
// Builds build/segmenta-kernels.wasm: generates the AssemblyScript kernels
// (assembly/generate-kernels.mjs) and compiles them with asc. Run by
// `npm run build:wasm`, hence by `npm install` / `npm ci` (prepare).
//
// Flags: SIMD on, relaxed SIMD off (no FMA: the numeric contract), threads on
// (atomics for work claiming), memory imported and shared so that every
// worker's instance runs on the same data, stub runtime (kernels never
// allocate), no abort import.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKernels } from './generate-kernels.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const genDir = join(root, 'build', 'generated');
const entry = join(genDir, 'segmenta-kernels.ts');
const outFile = join(root, 'build', 'segmenta-kernels.wasm');
const watFile = process.argv.includes('--wat') ? join(root, 'build', 'segmenta-kernels.wat') : null;

/** asc arguments; exported for the docs and tests. */
export const ASC_FLAGS = [
  '--runtime', 'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory', '1',
  '--maximumMemory', '65536',
  '--enable', 'simd',
  '--enable', 'threads',
  '--disable', 'relaxed-simd',
  '--use', 'abort=',
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--noAssert',
];

async function main() {
  await mkdir(genDir, { recursive: true });
  const rel = (p) => relative(genDir, p).split('\\').join('/');
  const source = generateKernels({
    layoutPath: rel(join(here, 'layout')),
    reductionsPath: rel(join(here, 'reductions')),
    linkagePath: rel(join(here, 'linkage')),
  });
  await writeFile(entry, source);
  let asc;
  try {
    asc = (await import('assemblyscript/asc')).default;
  } catch (error) {
    console.error(`segmenta build:wasm: cannot load the AssemblyScript compiler (devDependency 'assemblyscript'): ${error.message}`);
    process.exit(1);
  }
  const args = [relative(root, entry), '-o', relative(root, outFile), ...ASC_FLAGS];
  if (watFile) args.push('-t', relative(root, watFile));
  const t0 = Date.now();
  const prev = process.cwd();
  process.chdir(root);
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  process.chdir(prev);
  if (error) {
    console.error(`segmenta build:wasm: asc failed: ${error.message}`);
    process.exit(1);
  }
  void stderr;
  console.log(`segmenta build:wasm: ${relative(root, outFile)} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
