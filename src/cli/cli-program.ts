import { Command, CommanderError } from 'commander';
import { isUserError } from '../common/errors.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from '../common/package-version.js';

export { packageVersion };

/** Builds the program with every subcommand. Exported for tests. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('segmenta')
    .version(packageVersion(), '-V, --version', 'print the version')
    .description('Customer segmentation engine: K-Means, the WCSS elbow sweep and agglomerative clustering.')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // One line per error: commander's "(Did you mean …?)" hint joins the message.
      outputError: (s, write) => write(`${s.trim().replace(/^error: /, 'segmenta: error: ').replace(/\s*\n\s*/g, ' ')}\n`),
    });
  registerCommands(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 user error, 1 bug). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; parse errors were already printed in one line.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (isUserError(error)) {
      process.stderr.write(`segmenta: error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`segmenta: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
