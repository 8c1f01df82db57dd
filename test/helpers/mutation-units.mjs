/**
 * The units `npm run mutation` runs StrykerJS over, one after another
 * (docs/testing.md, "Mutation testing"). Each unit has its own incremental
 * file, test/mutation/<name>.incremental.json (committed), so a run that stops
 * keeps every unit it finished and a rerun tests only what changed.
 *
 * Together the units cover src/drivers, src/common, src/preparation,
 * src/metrics and src/backends/js-reference exactly once: `drivers` takes every
 * driver file no other unit names, including files added later.
 * Smallest first.
 */
import { readdirSync } from 'node:fs';

export const MUTATED_FOLDERS = ['src/drivers', 'src/common', 'src/preparation', 'src/metrics', 'src/backends/js-reference'];

// K-Means in two units (1,343 mutants together took over an hour on a loaded
// machine; a stopped run keeps only the units it finished).
const KMEANS = ['src/drivers/kmeans.ts', 'src/drivers/validate-input.ts'];
const KMEANS_PLUSPLUS = ['src/drivers/kmeans-plusplus.ts'];
// Its own unit: instrumented, its search loops make every refined fit ~30× slower (see its tests below).
const SWAP_REFINEMENT = ['src/drivers/swap-refinement.ts'];
const K_SELECTION = ['src/drivers/elbow-sweep.ts', 'src/drivers/knee-detection.ts', 'src/drivers/k-selection.ts', 'src/drivers/suggest-k.ts'];
const K_PROTOTYPES = ['src/drivers/k-prototypes.ts'];
const GMM = ['src/drivers/gaussian-mixture.ts'];
const COMPARE = ['src/drivers/compare-methods.ts'];
const DBSCAN = ['src/drivers/density/dbscan.ts', 'src/drivers/density/neighbour-grid.ts', 'src/drivers/density/index.ts'];
const HDBSCAN = ['src/drivers/density/hdbscan.ts', 'src/drivers/density/k-distance.ts'];
const STREAMING = ['src/drivers/minibatch-kmeans.ts', 'src/drivers/sharding/**/*.ts'];

/**
 * Every test file StrykerJS may run per mutant (vitest.stryker.config.ts):
 * fast unit tests on the js backend with small data. Not the CLI, browser,
 * service, queue, wasm, tfjs or report suites, nor the large-data files: they
 * exercise the same code far more slowly, and the sandbox has no dist/.
 */
export const STRYKER_TESTS = [
  'test/agglomerative-edges.test.ts',
  'test/agglomerative.test.ts',
  'test/agglomerative-matrix-free.test.ts',
  'test/agglomerative-survivors.test.ts',
  'test/atomic-file.test.ts',
  'test/cluster-metrics.test.ts',
  'test/common.test.ts',
  'test/data-in-output.test.ts',
  'test/elbow-sweep.test.ts',
  'test/js-reference.test.ts',
  'test/kmeans-choices.test.ts',
  'test/kmeans-driver.test.ts',
  'test/kmeans-edges.test.ts',
  'test/kmeans-plusplus-draws.test.ts',
  'test/kmeans-survivors.test.ts',
  'test/output-directory.test.ts',
  'test/preparation.test.ts',
  'test/time-slice.test.ts',
  'test/suggest-k.test.ts',
  'test/k-prototypes.test.ts',
  'test/swap-refinement.test.ts',
  'test/validation-edges.test.ts',
  'test/sample-weight.test.ts',
  'test/dbscan.test.ts',
  'test/dbscan-survivors.test.ts',
  'test/hdbscan.test.ts',
  'test/hdbscan-survivors.test.ts',
  'test/gaussian-mixture.test.ts',
  'test/gmm-model-edges.test.ts',
  'test/gmm-fit-edges.test.ts',
  'test/select-k-edges.test.ts',
  'test/k-curves-edges.test.ts',
  'test/compare-methods.test.ts',
  'test/minibatch-kmeans.test.ts',
  'test/sharded-data.test.ts',
  'test/streamed-data.test.ts',
];

/**
 * Each unit runs its own tests: the files written for its code, plus the
 * driver tests that exercise it most directly. Mutated code runs many times
 * slower (every operator checks which mutant is active), so a surviving
 * mutant costs every covering test it has; keeping a unit's tests to its own
 * makes that affordable. A mutant that only another unit's tests kill is
 * reported as surviving: kill it with a test of its own unit.
 *
 * @type {{ name: string, mutate: string[], tests: string[] }[]}
 */
export const MUTATION_UNITS = [
  { name: 'js-reference', mutate: ['src/backends/js-reference/**/*.ts'], tests: ['test/js-reference.test.ts', 'test/kmeans-driver.test.ts', 'test/agglomerative-matrix-free.test.ts'] },
  { name: 'preparation', mutate: ['src/preparation/**/*.ts'], tests: ['test/preparation.test.ts', 'test/k-prototypes.test.ts'] },
  { name: 'drivers-k-prototypes', mutate: K_PROTOTYPES, tests: ['test/k-prototypes.test.ts'] },
  {
    name: 'metrics',
    mutate: ['src/metrics/**/*.ts'],
    tests: ['test/cluster-metrics.test.ts', 'test/suggest-k.test.ts', 'test/kmeans-driver.test.ts', 'test/agglomerative.test.ts'],
  },
  {
    name: 'common',
    mutate: ['src/common/**/*.ts'],
    tests: [
      'test/common.test.ts',
      'test/atomic-file.test.ts',
      'test/output-directory.test.ts',
      'test/time-slice.test.ts',
      'test/data-in-output.test.ts',
      'test/preparation.test.ts',
      'test/kmeans-driver.test.ts',
      // every entry point's input checks (validate-matrix.ts) from the outside
      'test/validation-edges.test.ts',
    ],
  },
  {
    name: 'drivers-k-selection',
    mutate: K_SELECTION,
    // The edge files hold the tests written against the first run's survivors (new files: the rerun keeps the other results).
    tests: ['test/elbow-sweep.test.ts', 'test/suggest-k.test.ts', 'test/kmeans-driver.test.ts', 'test/select-k-edges.test.ts', 'test/k-curves-edges.test.ts'],
  },
  {
    name: 'drivers-kmeans-plusplus',
    mutate: KMEANS_PLUSPLUS,
    // kmeans-plusplus-draws holds the tests written against the first run's survivors.
    tests: ['test/kmeans-plusplus-draws.test.ts', 'test/kmeans-choices.test.ts', 'test/kmeans-edges.test.ts', 'test/kmeans-driver.test.ts', 'test/sample-weight.test.ts', 'test/swap-refinement.test.ts'],
  },
  {
    name: 'drivers-swap-refinement',
    mutate: SWAP_REFINEMENT,
    // Not kmeans-edges or sample-weight: with this file instrumented their refined fits took 54 s and 51 s of
    // a 120 s dry run (4 s with only kmeans-plusplus.ts instrumented), and every surviving mutant pays them.
    // The refinement's own tests drive it directly; kmeans-driver and kmeans-choices run it inside fits.
    tests: ['test/swap-refinement.test.ts', 'test/kmeans-choices.test.ts', 'test/kmeans-driver.test.ts'],
  },
  {
    name: 'drivers-kmeans',
    mutate: KMEANS,
    // kmeans-survivors holds the tests written against the first run's survivors.
    tests: [
      'test/kmeans-survivors.test.ts',
      'test/kmeans-edges.test.ts',
      'test/kmeans-driver.test.ts',
      'test/kmeans-choices.test.ts',
      'test/swap-refinement.test.ts',
      'test/validation-edges.test.ts',
      'test/sample-weight.test.ts',
      'test/elbow-sweep.test.ts',
    ],
  },
  {
    name: 'drivers-agglomerative',
    mutate: ['src/drivers/agglomerative/**/*.ts'],
    // agglomerative-survivors holds the tests written against the first run's survivors (a new file: the rerun keeps the other results).
    tests: ['test/agglomerative-edges.test.ts', 'test/agglomerative.test.ts', 'test/agglomerative-matrix-free.test.ts', 'test/agglomerative-survivors.test.ts'],
  },
  // Density in two units (1,377 mutants together; a stopped run keeps only the units it finished). Not
  // compare-methods.test.ts: its HDBSCAN timer-abort test took 31 of the 62 s of the instrumented dry run (a
  // full 1,200-row fit first), and dbscan/hdbscan.test.ts abort each fit from a timer themselves.
  // dbscan-survivors holds the tests written against the first run's survivors.
  { name: 'drivers-dbscan', mutate: DBSCAN, tests: ['test/dbscan.test.ts', 'test/dbscan-survivors.test.ts'] },
  // k-distance.ts: HDBSCAN's core distances; dbscan.test.ts holds its own tests (the k-distance plot).
  // hdbscan-survivors holds the tests written against the first run's survivors.
  { name: 'drivers-hdbscan', mutate: HDBSCAN, tests: ['test/hdbscan.test.ts', 'test/dbscan.test.ts', 'test/hdbscan-survivors.test.ts'] },
  {
    name: 'drivers-gmm',
    mutate: GMM,
    // The edge files hold the tests written against the first run's survivors: new files, so the
    // incremental rerun keeps every result the unchanged tests gave.
    tests: ['test/gaussian-mixture.test.ts', 'test/gmm-model-edges.test.ts', 'test/gmm-fit-edges.test.ts', 'test/compare-methods.test.ts'],
  },
  { name: 'drivers-compare', mutate: COMPARE, tests: ['test/compare-methods.test.ts'] },
  {
    name: 'drivers-streaming',
    mutate: STREAMING,
    // Small data (a few 4,096-row blocks, js): sharded-kmeans, streamed-kmeans and
    // minibatch-kmeans-quality hold the 200k-row, 1M-row and wasm checks and run in `npm test`.
    tests: ['test/minibatch-kmeans.test.ts', 'test/sharded-data.test.ts', 'test/streamed-data.test.ts'],
  },
  // Every other driver file (none today): a new driver lands here until it gets a unit of its own.
  { name: 'drivers', mutate: otherDrivers(), tests: STRYKER_TESTS },
];

function otherDrivers() {
  const named = new Set([...KMEANS, ...KMEANS_PLUSPLUS, ...SWAP_REFINEMENT, ...K_SELECTION, ...K_PROTOTYPES, ...GMM, ...COMPARE, ...DBSCAN, ...HDBSCAN, 'src/drivers/minibatch-kmeans.ts']);
  const root = new URL('../../', import.meta.url);
  return readdirSync(new URL('src/drivers/', root), { recursive: true })
    .map((f) => `src/drivers/${String(f).replaceAll('\\', '/')}`)
    .filter((f) => f.endsWith('.ts') && !/^src\/drivers\/(agglomerative|sharding)\//.test(f) && !named.has(f))
    .sort();
}

/** The unit called `name`; throws naming the known units otherwise. */
export function mutationUnit(name) {
  const unit = MUTATION_UNITS.find((u) => u.name === name);
  if (!unit) throw new Error(`unknown mutation unit '${name}' (units: ${MUTATION_UNITS.map((u) => u.name).join(', ')})`);
  return unit;
}

/** The committed incremental file of a unit (also its latest full result). */
export function incrementalFile(name) {
  return `test/mutation/${name}.incremental.json`;
}

/** Where the runner records a unit's last run: commit, times, load. */
export function runRecordFile(name) {
  return `test/mutation/${name}.run.json`;
}
