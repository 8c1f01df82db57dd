// StrykerJS mutation testing: `npm run mutation` (docs/testing.md) runs the
// units of test/helpers/mutation-units.mjs one after another, each with
// SEGMENTA_MUTATION_UNIT=<name> and its own committed incremental file.
// Too slow for every CI run on 2 cores; run it before resolving an issue that
// touches these folders, and put its score in the closing note.
import { MUTATED_FOLDERS, incrementalFile, mutationUnit } from './test/helpers/mutation-units.mjs';

const unitName = process.env.SEGMENTA_MUTATION_UNIT;
const unit = unitName ? mutationUnit(unitName) : undefined;
// Without a unit: every folder at once, with a scratch incremental file.
const name = unit?.name ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  checkers: ['typescript'],
  // The mutated folders and their imports only (not the CLI, service, report or
  // bench that use them): checking each mutant costs far less CPU.
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: unit ? unit.mutate : MUTATED_FOLDERS.map((f) => `${f}/**/*.ts`),
  coverageAnalysis: 'perTest',
  // 2 cores shared with the rest of the team.
  concurrency: 2,
  // Reruns only test mutants whose code or covering tests changed since the
  // last run, reading and updating the unit's committed file.
  incremental: true,
  incrementalFile: unit ? incrementalFile(name) : 'reports/mutation/all.incremental.json',
  ignorePatterns: ['dist', 'reports', 'out', '.bench-data', 'segmenta-report'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 85, break: 85 },
  // A mutant that loops forever is stopped at 1.25 × its tests' dry-run time + 5 s.
  timeoutMS: 5_000,
  // The initial run is instrumented for coverage and slow on a shared 2-core machine.
  dryRunTimeoutMinutes: 40,
  timeoutFactor: 1.25,
  // Module-level constants would need every test per mutant; they are reported as ignored.
  ignoreStatic: true,
  tempDirName: '.stryker-tmp',
  // Only the TypeScript sources are type-checked (assembly/ is AssemblyScript).
  disableTypeChecks: 'src/**/*.ts',
  cleanTempDir: true,
};
