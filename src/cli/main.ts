#!/usr/bin/env node
/**
 * The `segmenta` command line. Each subcommand lives in cli/commands/ and
 * registers itself on the program. User errors print one line and exit 2.
 * Commands load their heavy modules (DuckDB, vega, resvg, tfjs, the backends)
 * when they run, so `segmenta --version` and `--help` start fast.
 */
import { runCli } from './cli-program.js';
import { installProcessGuards } from './process-guards.js';

installProcessGuards();
process.exitCode = await runCli(process.argv);
