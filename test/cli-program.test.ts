/**
 * The CLI registers only the subcommand a command line names (so a run loads
 * no other command's modules), and every subcommand for help and typos. The
 * table in cli/commands/index.ts must match what the modules register.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/cli-program.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { runCli } from './helpers/cli-process.js';

const names = async (argv?: string[]): Promise<string[]> => (await buildProgram(argv)).commands.map((c) => c.name());
const argv = (...args: string[]): string[] => ['node', 'segmenta', ...args];

describe('which subcommands the CLI registers', () => {
  it('every one, in the table’s order, without a command line: the table names exactly what the modules register', async () => {
    expect(await names()).toEqual(COMMANDS.map(([name]) => name));
    expect(new Set(COMMANDS.map(([name]) => name)).size).toBe(COMMANDS.length);
  });

  it('only the named one for a run (dbscan and hdbscan share a module), none for --version', async () => {
    expect(await names(argv('sweep', 'customers.csv'))).toEqual(['sweep']);
    expect(await names(argv('hdbscan', '--help'))).toEqual(['dbscan', 'hdbscan']);
    expect(await names(argv('--version'))).toEqual([]);
    expect(await names(argv('-V'))).toEqual([]);
  });

  it('every one for help, a typo or no command, so help lists them all and commander can suggest a name', async () => {
    const all = COMMANDS.map(([name]) => name);
    for (const args of [['--help'], ['help', 'sweep'], ['swep'], []]) expect(await names(argv(...args))).toEqual(all);
  });
});

describe('the built CLI', () => {
  it('--help lists every command; a typo gets one line with a suggestion and exit code 2', () => {
    const help = runCli('--help');
    expect(help.code).toBe(0);
    for (const [name] of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const typo = runCli('swep', 'x.csv');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("segmenta: error: unknown command 'swep' (Did you mean sweep?)\n");
  });

  it('a command’s own help, and --version', () => {
    const sweep = runCli('sweep', '--help');
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toMatch(/^Usage: segmenta sweep \[options\] <file>/);
    const version = runCli('--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
