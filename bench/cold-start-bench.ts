/**
 * Cold start of the CLI, as a user meets it: a fresh `node` process per run.
 *
 *   segmenta --version                      target ≤ 150 ms
 *   segmenta sweep Mall_Customers.csv …     target ≤ 400 ms (k = 1..10, end to end: start, read, sweep, print)
 *
 * Reports wall time (median and best of the runs, via tinybench) and the CPU
 * time the process used (user + system, all threads; read at exit by a
 * preloaded hook), which a busy shared machine inflates far less than wall
 * time. Prints Markdown, or JSON with --json.
 *
 *   npm run build && node dist/bench/cold-start-bench.js [--runs 15] [--mall ../shared/data/Mall_Customers.csv] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, existsSync(join(here, '../package.json')) ? '..' : '../..');
const cli = join(root, 'dist/src/cli/main.js');
const argv = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const runs = Number(value('--runs', '15'));
const mall = resolve(value('--mall', join(root, '../shared/data/Mall_Customers.csv')));

/** Prints the process's CPU time (µs) on stderr as it exits. */
const CPU_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\ncpu-us:'+JSON.stringify(process.cpuUsage())))`;

interface Case {
  name: string;
  /** Arguments of segmenta, or of node itself with `bare`. */
  args: string[];
  targetMs?: number;
  bare?: boolean;
}

// The floor: Node starting and exiting, on the same machine at the same moment.
const cases: Case[] = [{ name: 'node -e 0 (Node itself, for scale)', args: ['-e', '0'], bare: true }, { name: 'segmenta --version', args: ['--version'], targetMs: 150 }];
if (existsSync(mall)) {
  cases.push({
    name: 'segmenta sweep Mall (k = 1..10, standard, --json)',
    args: ['sweep', mall, '--features', 'Annual Income (k$),Spending Score (1-100)', '--scale', 'standard', '--json'],
    targetMs: 400,
  });
} else {
  process.stderr.write(`note: ${mall} is absent; only --version is timed (pass --mall PATH)\n`);
}

interface Row {
  name: string;
  targetMs?: number;
  medianMs: number;
  minMs: number;
  cpuMedianMs: number;
  runs: number;
}

function run(args: string[], bare = false): number {
  const r = spawnSync(process.execPath, ['--import', CPU_HOOK, ...(bare ? [] : [cli]), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`segmenta ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /cpu-us:(\{.*\})\s*$/.exec(r.stderr);
  const cpu = m ? (JSON.parse(m[1]!) as { user: number; system: number }) : { user: NaN, system: NaN };
  return (cpu.user + cpu.system) / 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const load = loadavg()[0]!;
const rows: Row[] = [];
for (const c of cases) {
  const cpu: number[] = [];
  const bench = new Bench({ iterations: runs, warmupIterations: 1, time: 0 });
  bench.add(c.name, () => void cpu.push(run(c.args, c.bare)));
  await bench.run();
  const latency = (bench.tasks[0]!.result as { latency: { p50: number; min: number; samplesCount: number } }).latency;
  rows.push({ name: c.name, targetMs: c.targetMs, medianMs: latency.p50, minMs: latency.min, cpuMedianMs: median(cpu.slice(-latency.samplesCount)), runs: latency.samplesCount });
}

if (argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ node: process.version, load1: load, rows }, null, 2)}\n`);
} else {
  const ms = (x: number): string => `${Math.round(x)} ms`;
  process.stdout.write(`Cold start, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 1-minute load ${load.toFixed(1)}\n\n`);
  process.stdout.write('| command | target | wall median | wall best | CPU median | runs |\n|---|---|---|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.name} | ${r.targetMs ? `≤ ${r.targetMs} ms` : '—'} | ${ms(r.medianMs)} | ${ms(r.minMs)} | ${ms(r.cpuMedianMs)} | ${r.runs} |\n`);
}
