import { Command, CommanderError } from 'commander';
import { AbortedError, errnoCode, fileSystemError, isUserError } from '../common/errors.js';
import { INTERRUPTED_EXIT_CODE } from './command-options.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from '../common/package-version.js';

export { packageVersion };

/**
 * Builds the program. With the command line `argv`, only the subcommand it
 * names is registered (and none for `--version`), so a run loads no other
 * command's modules; without it, or when `argv` names no subcommand (help, a
 * typo), every subcommand.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
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
  const first = argv?.[2];
  if (first !== '-V' && first !== '--version') await registerCommands(program, first);
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 user error, 130 interrupted, 1 bug). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; parse errors were already printed in one line.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof AbortedError) {
      process.stderr.write(`segmenta: ${error.message.replace(/^aborted: /, '')}\n`);
      return INTERRUPTED_EXIT_CODE;
    }
    const mapped = userErrorOf(error);
    if (mapped) {
      process.stderr.write(`segmenta: error: ${cliMessage(mapped.message)}\n`);
      return 2;
    }
    process.stderr.write(`segmenta: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/**
 * The user-facing error behind `error`: a SegmentaError as is, or a file-system
 * error (EACCES, EISDIR, ENOSPC, EROFS, ENOENT…) turned into one naming its path.
 * Undefined for a bug.
 */
function userErrorOf(error: unknown): Error | undefined {
  if (isUserError(error)) return error;
  if (errnoCode(error) !== undefined) {
    const e = error as NodeJS.ErrnoException & { dest?: string };
    const path = e.dest ?? e.path;
    if (typeof path === 'string') return fileSystemError(error, path, e.syscall === 'open' || e.syscall === 'read' ? 'open' : 'write') as Error;
  }
  return undefined;
}

/** Spec fields (segmentCustomers) and library option names as the CLI spells them; longer names first. */
const SPEC_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['spec.agglomerative.distanceThreshold', '--distance-threshold'],
  ['spec.agglomerative.microClusters', '--micro-clusters'],
  ['spec.agglomerative.exactMaxRows', '--exact-max-rows'],
  ['spec.agglomerative.linkage', '--linkage'],
  ['spec.agglomerative.mode', '--mode'],
  ['spec.kmeans.maxIter', '--max-iter'],
  ['spec.kmeans.nInit', '--n-init'],
  ['spec.kmeans.tol', '--tol'],
  ['spec.outputs.scatterSample', '--sample'],
  ['spec.outputs.keepColumns', '--keep-columns'],
  ['spec.outputs.scatter', '--scatter'],
  ['spec.outputs.labels', '--out'],
  ['spec.outputs.report', '--out'],
  ['spec.outputs.force', '--force'],
  ['spec.kRange.min', '--k-min'],
  ['spec.kRange.max', '--k-max'],
  ['spec.kRange', '--k-min/--k-max'],
  ['spec.features', '--features'],
  ['spec.encode', '--encode'],
  ['spec.keep', '--keep'],
  ['spec.scale', '--scale'],
  ['spec.seed', '--seed'],
  ['spec.backend', '--backend'],
  ['spec.threads', '--threads'],
  ['spec.sweep', '--no-sweep'],
  ['spec.k', '--k'],
  ['kMin', '--k-min'],
  ['kMax', '--k-max'],
  ['nInit', '--n-init'],
  ['maxIter', '--max-iter'],
  ['sampleSize', '--sample'],
];
const FLAG_NAMES: ReadonlyArray<readonly [RegExp, string]> = SPEC_FLAGS.map(([name, flag]) => [
  new RegExp(`(?<![\\w.-])${name.replace(/\./g, '\\.')}(?![\\w])`, 'g'),
  flag,
]);

/**
 * A library message as the CLI prints it: option names become flag names
 * (`kMax` → `--k-max`) and it is exactly one line (a newline inside a value,
 * such as a header name, is shown as `\n`).
 */
export function cliMessage(message: string): string {
  let text = message.replace(/^invalid segmentation spec(?: \((\d+) problems\))?: /, (_, n: string | undefined) => (n ? `${n} problems: ` : ''));
  for (const [pattern, flag] of FLAG_NAMES) text = text.replace(pattern, flag);
  return text.replace(/\r\n|\r|\n/g, (m) => (m === '\n' ? '\\n' : m === '\r' ? '\\r' : '\\r\\n')).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
