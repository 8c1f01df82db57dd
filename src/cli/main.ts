#!/usr/bin/env node
/**
 * The `segmenta` command line. Each subcommand lives in cli/commands/ and
 * registers itself on the program. User errors print one line and exit 2.
 * Only the named subcommand's module is loaded, and commands load their heavy
 * modules (DuckDB, vega, resvg, tfjs, the backends) when they run, so
 * `segmenta --version`, `--help` and a small job start fast.
 */
import { runCli } from './cli-program.js';
import { INTERRUPTED_EXIT_CODE } from './command-options.js';
import { exitAfterCleanup, installProcessGuards } from './process-guards.js';

installProcessGuards();
const code = await runCli(process.argv);
// Interrupted: the job has unwound and cleaned up; do not wait for idle handles (pooled workers, timers).
if (code === INTERRUPTED_EXIT_CODE) exitAfterCleanup(code);
process.exitCode = code;
