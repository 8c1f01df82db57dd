/**
 * Where the sweep's time goes (src/benchmark/sweep-profile.ts), alone:
 *   node dist/bench/sweep-profile.js [--rows 1000000] [--backend wasm] [--no-refine] [--threads N]
 */
import { profileSweep, profileTable } from '../src/benchmark/sweep-profile.js';

async function main(argv: string[]): Promise<void> {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const p = await profileSweep({
    rows: Number(value('--rows') ?? 1_000_000),
    backend: value('--backend') ?? 'auto',
    refine: !argv.includes('--no-refine'),
    ...(value('--threads') ? { threads: Number(value('--threads')) } : {}),
    log: (s) => void process.stderr.write(`${s}\n`),
  });
  process.stdout.write(`${profileTable(p)}\n`);
}

await main(process.argv.slice(2));
process.exit(0);
