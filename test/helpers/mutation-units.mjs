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

const KMEANS = ['src/drivers/kmeans.ts', 'src/drivers/kmeans-plusplus.ts', 'src/drivers/swap-refinement.ts', 'src/drivers/validate-input.ts'];
const K_SELECTION = ['src/drivers/elbow-sweep.ts', 'src/drivers/knee-detection.ts', 'src/drivers/k-selection.ts', 'src/drivers/suggest-k.ts'];
const K_PROTOTYPES = ['src/drivers/k-prototypes.ts'];

/** @type {{ name: string, mutate: string[] }[]} */
export const MUTATION_UNITS = [
  { name: 'js-reference', mutate: ['src/backends/js-reference/**/*.ts'] },
  { name: 'preparation', mutate: ['src/preparation/**/*.ts'] },
  { name: 'drivers-k-prototypes', mutate: K_PROTOTYPES },
  { name: 'metrics', mutate: ['src/metrics/**/*.ts'] },
  { name: 'common', mutate: ['src/common/**/*.ts'] },
  { name: 'drivers-k-selection', mutate: K_SELECTION },
  { name: 'drivers-kmeans', mutate: KMEANS },
  { name: 'drivers-agglomerative', mutate: ['src/drivers/agglomerative/**/*.ts'] },
  // Every other driver file (none today; sharding or streaming drivers land here).
  { name: 'drivers', mutate: otherDrivers() },
];

function otherDrivers() {
  const named = new Set([...KMEANS, ...K_SELECTION, ...K_PROTOTYPES]);
  const root = new URL('../../', import.meta.url);
  return readdirSync(new URL('src/drivers/', root), { recursive: true })
    .map((f) => `src/drivers/${String(f).replaceAll('\\', '/')}`)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('src/drivers/agglomerative/') && !named.has(f))
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
