/**
 * A real process for test/embedding.test.ts, run on the built package
 * (dist/, as npm install builds it): starts a k = 1..10 sweep of N generated
 * customers × 4 standardized features on a backend (again and again, until aborted), answers a 10 ms interval
 * timer while it runs, and aborts the sweep from a timer after `abortAfterMs`.
 * Prints one JSON line: { backend, eventLoopUtilization (busy share of the main thread once Lloyd runs), timerLateMaxMs, timerLateP50Ms, timerLateP99Ms, timerTicks, abortLatencyMs, ranMs, sweepsCompleted, error }.
 *
 * argv: backend rows abortAfterMs
 */
import '../../dist/src/backends/built-in-backends.js';
import { AbortedError } from '../../dist/src/common/errors.js';
import { generateCustomers, generatedFeatureMatrix } from '../../dist/src/data-in/generate-customers.js';
import { sweepK } from '../../dist/src/drivers/elbow-sweep.js';
import { fitScaler } from '../../dist/src/preparation/scaling.js';

const [backend = 'wasm', rowsArg = '1000000', abortArg = '1500'] = process.argv.slice(2);
const g = generateCustomers({ rows: Number(rowsArg), seed: 3, features: 4 });
const raw = generatedFeatureMatrix(g);
const matrix = fitScaler(raw, 'standard').transform(raw, { inPlace: true });
// The generator's garbage is not segmenta's: collect it before measuring (run with --expose-gc).
globalThis.gc?.();

const TICK_MS = 10;
let ticks = 0;
let lateMax = 0;
const lates = [];
let expected = performance.now() + TICK_MS;
const ticker = setInterval(() => {
  const now = performance.now();
  lateMax = Math.max(lateMax, now - expected);
  lates.push(Math.max(0, now - expected));
  expected = now + TICK_MS;
  ticks++;
}, TICK_MS);

const ac = new AbortController();
let abortedAt = NaN;
const abortTimer = setTimeout(() => {
  abortedAt = performance.now();
  ac.abort(new Error('timer'));
}, Number(abortArg));

let error = '';
let abortLatencyMs = NaN;
// Utilization of the main thread from the first Lloyd iteration (set-up done) to the end.
let elu0;
const started = performance.now();
// Sweeps run back to back (another seed each time) until the timer aborts one, so the abort always lands mid-sweep however fast the machine is.
let sweeps = 0;
try {
  for (;;) {
    await sweepK(matrix, { kMin: 1, kMax: 10, seed: 42 + sweeps, backend, signal: ac.signal, onProgress: (e) => void (e.kind === 'iteration' && (elu0 ??= performance.eventLoopUtilization())) });
    sweeps++;
  }
} catch (e) {
  if (e instanceof AbortedError) abortLatencyMs = performance.now() - abortedAt;
  else error = String(e?.stack ?? e);
}
const { utilization } = elu0 ? performance.eventLoopUtilization(elu0) : { utilization: NaN };
clearInterval(ticker);
clearTimeout(abortTimer);
lates.sort((a, b) => a - b);
const pct = (p) => (lates.length ? lates[Math.min(lates.length - 1, Math.floor((p / 100) * lates.length))] : NaN);
process.stdout.write(
  `${JSON.stringify({ backend, eventLoopUtilization: utilization, timerLateMaxMs: lateMax, timerLateP50Ms: pct(50), timerLateP99Ms: pct(99), timerTicks: ticks, abortLatencyMs, ranMs: performance.now() - started, sweepsCompleted: sweeps, error })}\n`,
);
process.exit(0);
