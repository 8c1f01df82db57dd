import type { Command } from 'commander';
import { registerGenerateCommand } from './generate-command.js';
import { registerBackendsCommand } from './backends-command.js';

/** Adds every subcommand to the program. One line per command module. */
export function registerCommands(program: Command): void {
  void program;
  registerBackendsCommand(program);
  registerGenerateCommand(program);
}
