#!/usr/bin/env node
/**
 * `npm run mutation [-- unit ...]`: runs StrykerJS over each unit of
 * mutation-units.mjs in turn (all units, smallest first, unless named), each
 * with its own incremental file, so a stopped run keeps the units it finished.
 * Records each finished unit's commit, times and load in
 * test/mutation/<unit>.run.json, then prints the combined score
 * (mutation-score.mjs). Exit 1 when a unit failed or the score is below 85 %.
 *
 * On a shared machine: `nice -n 10 npm run mutation`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MUTATION_UNITS, incrementalFile, mutationUnit, runRecordFile } from './mutation-units.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
process.chdir(root);

const names = process.argv.slice(2);
const units = names.length > 0 ? names.map(mutationUnit) : MUTATION_UNITS;

/** CPU seconds of this process's waited-for children (Linux), or null. */
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // cutime and cstime are fields 16 and 17 of stat(5), in clock ticks (100 a second)
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
let failed = 0;
for (const unit of units) {
  if (unit.mutate.length === 0) {
    console.log(`mutation: ${unit.name}: no files to mutate, skipped`);
    continue;
  }
  const file = incrementalFile(unit.name);
  const commit = git('rev-parse', 'HEAD');
  const dirty = git('status', '--porcelain', '--', ...unit.mutate.filter((g) => !g.startsWith('!'))) !== '';
  const started = new Date();
  const cpuBefore = childCpuSeconds();
  const loadBefore = loadavg()[0];
  console.log(`mutation: ${unit.name} (${unit.mutate.join(', ')}) at ${commit.slice(0, 7)}${dirty ? ' + local changes' : ''}, ${started.toISOString()}`);
  const run = spawnSync(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run'], {
    stdio: 'inherit',
    env: { ...process.env, SEGMENTA_MUTATION_UNIT: unit.name },
  });
  const finished = new Date();
  // Stryker exits 1 both on an error and on a score under the break threshold;
  // the unit finished when it rewrote its incremental file.
  const completed = existsSync(file) && statSync(file).mtimeMs >= started.getTime();
  if (!completed) {
    failed++;
    console.log(`mutation: ${unit.name} did not finish (exit ${run.status ?? run.signal}); its previous results stay`);
    continue;
  }
  const cpuAfter = childCpuSeconds();
  const record = {
    unit: unit.name,
    mutate: unit.mutate,
    commit,
    localChanges: dirty,
    started: started.toISOString(),
    finished: finished.toISOString(),
    wallSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : Math.round(cpuAfter - cpuBefore),
    loadAverage: { start: loadBefore, end: loadavg()[0] },
    node: process.version,
  };
  const out = runRecordFile(unit.name);
  writeFileSync(`${out}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
}

const score = spawnSync(process.execPath, [fileURLToPath(new URL('mutation-score.mjs', import.meta.url))], { stdio: 'inherit' });
process.exit(failed > 0 ? 1 : (score.status ?? 1));
