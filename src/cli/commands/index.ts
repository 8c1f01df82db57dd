import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every subcommand, in the order `--help` lists them, with the module that
 * registers it (loaded on demand: one line per command; `dbscan` and
 * `hdbscan` share a module).
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['demo', async () => (await import('./demo-command.js')).registerDemoCommand],
  ['sweep', async () => (await import('./sweep-command.js')).registerSweepCommand],
  ['kmeans', async () => (await import('./kmeans-command.js')).registerKMeansCommand],
  ['predict', async () => (await import('./predict-command.js')).registerPredictCommand],
  ['kprototypes', async () => (await import('./kprototypes-command.js')).registerKPrototypesCommand],
  ['hclust', async () => (await import('./hclust-command.js')).registerHclustCommand],
  ['dbscan', async () => (await import('./density-commands.js')).registerDensityCommands],
  ['hdbscan', async () => (await import('./density-commands.js')).registerDensityCommands],
  ['gmm', async () => (await import('./gmm-command.js')).registerGmmCommand],
  ['compare', async () => (await import('./compare-command.js')).registerCompareCommand],
  ['backends', async () => (await import('./backends-command.js')).registerBackendsCommand],
  ['generate', async () => (await import('./generate-command.js')).registerGenerateCommand],
  ['report', async () => (await import('./report-command.js')).registerReportCommand],
  ['bench', async () => (await import('./bench-command.js')).registerBenchCommand],
  ['serve', async () => (await import('./serve-command.js')).registerServeCommand],
  ['worker', async () => (await import('./worker-command.js')).registerWorkerCommand],
];

/**
 * Adds subcommands to the program: when `only` names one, just that one, so a
 * run loads its own command's modules and no other's; otherwise (help, a
 * mistyped name that commander suggests a fix for) every one.
 */
export async function registerCommands(program: Command, only?: string): Promise<void> {
  const named = COMMANDS.filter(([name]) => name === only);
  const loaded = await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
  // A module that registers two commands is listed twice: register it once.
  for (const register of new Set(loaded)) register(program);
}
