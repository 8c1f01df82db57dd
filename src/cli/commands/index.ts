import type { Command } from 'commander';
import { registerDemoCommand } from './demo-command.js';
import { registerKMeansCommand } from './kmeans-command.js';
import { registerSweepCommand } from './sweep-command.js';
import { registerGenerateCommand } from './generate-command.js';
import { registerBackendsCommand } from './backends-command.js';
import { registerHclustCommand } from './hclust-command.js';
import { registerCompareCommand } from './compare-command.js';
import { registerReportCommand } from './report-command.js';
import { registerBenchCommand } from './bench-command.js';
import { registerPredictCommand } from './predict-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerKPrototypesCommand } from './kprototypes-command.js';
import { registerWorkerCommand } from './worker-command.js';
import { registerDensityCommands } from './density-commands.js';
import { registerGmmCommand } from './gmm-command.js';

/** Adds every subcommand to the program. One line per command module. */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerSweepCommand(program);
  registerKMeansCommand(program);
  registerPredictCommand(program);
  registerKPrototypesCommand(program);
  registerHclustCommand(program);
  registerDensityCommands(program);
  registerGmmCommand(program);
  registerCompareCommand(program);
  registerBackendsCommand(program);
  registerGenerateCommand(program);
  registerReportCommand(program);
  registerBenchCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
}
