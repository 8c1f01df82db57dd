/**
 * The tests StrykerJS runs against each mutant (npm run mutation): the unit's
 * own tests as listed in test/helpers/mutation-units.mjs (SEGMENTA_MUTATION_UNIT),
 * all of them fast unit tests on the js backend with small data. Not here: the
 * CLI, browser, service, queue, wasm, tfjs and report suites, and the large-data
 * files (select-k-structure, agglomerative-matrix-free-large, sharded-kmeans,
 * streamed-kmeans, minibatch-kmeans-quality), which exercise
 * the same code far more slowly; `npm test` runs them. A test here must not
 * start the built CLI: the sandbox has no dist/.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';
// a plain .mjs module (the runner scripts use it too)
import { STRYKER_TESTS, mutationUnit } from './test/helpers/mutation-units.mjs';

const unitName = process.env['SEGMENTA_MUTATION_UNIT'];
const unit = unitName ? (mutationUnit(unitName) as { tests: string[] }) : undefined;

/** Cheapest files first: a mutant is usually killed by its first failing test (Stryker bails there). */
const ORDER = [
  'atomic-file',
  'output-directory',
  'time-slice',
  'js-reference',
  'common',
  'cluster-metrics',
  'preparation',
  'kmeans-choices',
  'kmeans-edges',
  'kmeans-driver',
  'elbow-sweep',
  'suggest-k',
  'k-prototypes',
  'data-in-output',
  'agglomerative-edges',
  'agglomerative',
];
class CheapFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = ORDER.findIndex((name) => f.moduleId.includes(`/test/${name}`));
      return i < 0 ? ORDER.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // the unit's own tests (test/helpers/mutation-units.mjs), or every one of them
    include: unit ? unit.tests : STRYKER_TESTS,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    // one worker keeps the modules loaded between mutants (Stryker switches
    // mutants through a global, so nothing needs re-importing)
    isolate: false,
    // the scikit-learn reference scripts run once per sandbox, not once per mutant
    env: { SEGMENTA_REFERENCE_CACHE: '.stryker-tmp/python-reference-cache' },
    sequence: { sequencer: CheapFirst },
  },
});
