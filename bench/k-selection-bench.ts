/**
 * `node dist/bench/k-selection-bench.js [--rows 1000000] [--features 4] [--backend wasm]`:
 * what choosing k costs on a large base — the K-Means sweep alone, then
 * `selectK` with every method (Calinski-Harabasz and Davies-Bouldin on every
 * row through the assign kernel, silhouette on a 10,000-row sample through
 * the pairwise kernel, the gap statistic with B = 10 references of 2,000
 * rows), each stage timed, with the process's peak RSS.
 */
import '../src/backends/built-in-backends.js';
import { generateCustomers, generatedFeatureMatrix } from '../src/data-in/generate-customers.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { selectK } from '../src/drivers/k-selection.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { machineLine } from '../src/benchmark/bench-report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const rows = Number(arg('rows', '1000000'));
const features = Number(arg('features', '4'));
const backend = arg('backend', 'wasm');
const g = generateCustomers({ rows, seed: 42, features });
const { matrix } = prepareFeatures({ matrix: generatedFeatureMatrix(g), featureNames: g.featureNames }, { scale: 'standard', inPlace: true });
const settings = { kMin: 1, kMax: 10, nInit: 3, seed: 0, backend };
console.log(machineLine());
console.log(`${rows.toLocaleString('en-US')} generated customers × ${features} standardized features, k = 1..10, n_init 3, backend ${backend}`);
let t0 = performance.now();
const sweep = await sweepK(matrix, settings);
const sweepOnly = (performance.now() - t0) / 1000;
console.log(`sweep alone (${sweep.backend}): ${sweepOnly.toFixed(2)} s`);
t0 = performance.now();
const sel = await selectK(matrix, settings);
const total = (performance.now() - t0) / 1000;
const s = sel.seconds;
console.log(`selectK, all methods: ${total.toFixed(2)} s = sweep with Calinski-Harabasz and Davies-Bouldin ${s.sweep.toFixed(2)} s + silhouette (${sel.silhouette!.sampleSize.toLocaleString('en-US')}-row sample, 9 k) ${s.silhouette.toFixed(2)} s + gap (B = ${sel.gap!.references}, ${sel.gap!.sampleSize.toLocaleString('en-US')} rows) ${s.gap.toFixed(2)} s`);
console.log(`suggested k = ${sel.choice.suggestedK}: ${sel.choice.reason}`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (matrix ${((rows * features * 4) / 2 ** 20).toFixed(0)} MiB)`);
