/**
 * A real process for test/memory.test.ts, on the built package (dist/):
 * fits K-Means `fits` times in a row on N generated customers × 4 features
 * with one backend, and prints one JSON line with the RSS and the V8 heap's
 * size (heapTotal) after every fit.
 * No explicit GC: memory must come back because jobs are disposed.
 *
 * argv: backend rows fits
 */
import '../../dist/src/backends/built-in-backends.js';
import { generateCustomers, generatedFeatureMatrix } from '../../dist/src/data-in/generate-customers.js';
import { fitKMeans } from '../../dist/src/drivers/kmeans.js';
import { fitScaler } from '../../dist/src/preparation/scaling.js';

const [backend = 'wasm', rowsArg = '200000', fitsArg = '50'] = process.argv.slice(2);
const g = generateCustomers({ rows: Number(rowsArg), seed: 5, features: 4 });
const raw = generatedFeatureMatrix(g);
const matrix = fitScaler(raw, 'standard').transform(raw, { inPlace: true });
const rss = [];
const heap = [];
for (let i = 0; i < Number(fitsArg); i++) {
  await fitKMeans(matrix, { k: 5, nInit: 1, seed: i, backend, threads: 2, refine: false });
  const m = process.memoryUsage();
  rss.push(m.rss);
  heap.push(m.heapTotal);
}
process.stdout.write(`${JSON.stringify({ backend, rss, heapTotal: heap })}\n`);
process.exit(0);
