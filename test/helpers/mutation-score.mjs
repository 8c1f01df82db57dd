#!/usr/bin/env node
/**
 * `npm run mutation:score [-- --survivors]`: the mutation score of every unit
 * from its committed incremental file (test/mutation/<unit>.incremental.json,
 * a mutation-testing-report-schema report that Stryker rewrites after each run)
 * and of all units together.
 *
 * Counted as Stryker counts: detected = killed + timeout; the score is
 * detected / (detected + survived + no coverage). Compile and runtime errors
 * are invalid and ignored mutants are left out. A unit that never finished is
 * listed as not run. Exit 1 when any unit is not run or the total is under 85 %.
 * `--survivors` lists each surviving and uncovered mutant.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MUTATION_UNITS, incrementalFile, runRecordFile } from './mutation-units.mjs';

const BREAK = 85;
process.chdir(fileURLToPath(new URL('../../', import.meta.url)));
const showSurvivors = process.argv.includes('--survivors');

const STATUSES = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Ignored'];
/** Status counts of one report; mutants of files no longer in the unit are left out. */
function countStatuses(report) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const survivors = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (!(m.status in counts)) throw new Error(`${file}: unknown mutant status '${m.status}'`);
      counts[m.status]++;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        survivors.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? '')}${m.status === 'NoCoverage' ? ' (no coverage)' : ''}`);
      }
    }
  }
  return { counts, survivors };
}

/** One line of the table: name, last run, mutants, killed, timeout, survived, invalid, score. */
function row(name, lastRun, counts) {
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  const invalid = counts.CompileError + counts.RuntimeError;
  const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)} %`;
  return [name, lastRun, valid + invalid, counts.Killed, counts.Timeout, counts.Survived + counts.NoCoverage, invalid, score].map(String);
}
const rows = [];
const total = Object.fromEntries(STATUSES.map((s) => [s, 0]));
const notRun = [];
for (const unit of MUTATION_UNITS) {
  if (unit.mutate.length === 0) continue;
  const file = incrementalFile(unit.name);
  if (!existsSync(file)) {
    notRun.push(unit.name);
    rows.push([unit.name, 'not run', '', '', '', '', '', '']);
    continue;
  }
  const { counts, survivors } = countStatuses(JSON.parse(readFileSync(file, 'utf8')));
  const record = existsSync(runRecordFile(unit.name)) ? JSON.parse(readFileSync(runRecordFile(unit.name), 'utf8')) : undefined;
  for (const s of STATUSES) total[s] += counts[s];
  rows.push(row(unit.name, record ? `${record.finished.slice(0, 16).replace('T', ' ')} ${record.commit.slice(0, 7)}` : '?', counts));
  if (showSurvivors && survivors.length > 0) rows.push(...survivors.map((s) => [`  ${s}`]));
}
rows.push(row('all units', notRun.length > 0 ? `${notRun.length} not run` : '', total));
const detected = total.Killed + total.Timeout;
const valid = detected + total.Survived + total.NoCoverage;

const header = ['unit', 'last run (UTC, commit)', 'mutants', 'killed', 'timeout', 'survived', 'invalid', 'score'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 1).map((r) => r[i].length)));
const line = (r) => (r.length === 1 ? r[0] : r.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
console.log([line(header), ...rows.map(line)].join('\n'));
console.log('survived counts no-coverage mutants too; invalid = compile or runtime errors (not in the score)');
if (notRun.length > 0) console.log(`not run: ${notRun.join(', ')} (npm run mutation -- ${notRun.join(' ')})`);
const score = valid === 0 ? 0 : (100 * detected) / valid;
process.exit(notRun.length > 0 || score < BREAK ? 1 : 0);
