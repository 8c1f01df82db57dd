import type { Command } from 'commander';
import { registerBackendsCommand } from './backends-command.js';

/** Adds every subcommand to the program. One line per command module. */
export function registerCommands(program: Command): void {
  void program;
  registerBackendsCommand(program);
}
