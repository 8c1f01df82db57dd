/**
 * `npm run bench`: the kernel bench (assign pass per backend, n × d × k) and
 * the job bench (the k = 1..10 sweep on 1M generated customers from CSV, with
 * scikit-learn side by side when /usr/bin/python3 has it). Prints Markdown.
 *
 * Options: --10m (adds n = 10M and the huge-n targets; also SEGMENTA_BENCH_10M=1),
 * --quick, --backends a,b, --threads N, --no-sklearn, --no-kernel, --no-job, --no-profile, --no-linkage,
 * --json FILE (raw results).
 */
import { writeFileSync } from 'node:fs';
import { runBenchSuite } from '../src/benchmark/bench-suite.js';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const value = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const r = await runBenchSuite({
  quick: flag('--quick'),
  huge: flag('--10m') || process.env.SEGMENTA_BENCH_10M === '1',
  kernel: !flag('--no-kernel'),
  job: !flag('--no-job'),
  profile: !flag('--no-profile'),
  linkage: !flag('--no-linkage'),
  sklearn: !flag('--no-sklearn'),
  ...(value('--backends') ? { backends: value('--backends')!.split(',') } : {}),
  ...(value('--threads') ? { threads: Number(value('--threads')) } : {}),
  log: (s) => void process.stderr.write(`${s}\n`),
});
process.stdout.write(r.markdown);
const jsonFile = value('--json');
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ ...r, markdown: undefined }, null, 2));
process.exit(0);
