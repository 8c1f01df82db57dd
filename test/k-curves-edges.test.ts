/**
 * The k-selection curves at their edges: the silhouette's chunks of pair
 * distances and its undefined cases, the gap statistic's reference draws,
 * the JSON and CSV forms, and corners of suggest-k and the sweep. Small data
 * on the js backend; every expected value is worked out here from the
 * definitions (scikit-learn's silhouette through `silhouetteSamples`,
 * Tibshirani's gap written out), not copied from a run.
 */
import { describe, expect, it } from 'vitest';
import { jsReferenceBackend } from '../src/backends/index.js';
import type { Matrix } from '../src/common/matrix.js';
import { SeededRandom } from '../src/common/seeded-random.js';
import { sweepK } from '../src/drivers/elbow-sweep.js';
import { kSelectionCsv, kSelectionJson, selectK, silhouetteCurves, type KSelection } from '../src/drivers/k-selection.js';
import { suggestK, verdicts } from '../src/drivers/suggest-k.js';
import { silhouetteSamples } from '../src/metrics/cluster-metrics.js';
import { recordingBackend } from './helpers/recording-backend.js';
import { thrown } from './helpers/thrown.js';

const js = jsReferenceBackend;

/** Integer-valued rows (exact float32 distances), seeded. */
function grid(rows: number, cols: number, seed: number, span = 30): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(span);
  return { data, rows, cols };
}

function matrixOf(rows: number[][]): Matrix {
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length };
}

/** scikit-learn's silhouette_score: the mean of the per-row silhouettes. */
async function meanSilhouette(m: Matrix, labels: Int32Array): Promise<number> {
  return (await silhouetteSamples(m, labels)).reduce((a, b) => a + b, 0) / m.rows;
}

/** Pairs (i, j > i) of rows [start, end) out of n. */
function pairsOf(start: number, end: number, n: number): number {
  let p = 0;
  for (let i = start; i < end; i++) p += n - 1 - i;
  return p;
}

/** 6 significant digits, null for undefined values: the JSON and CSV rule. */
function r6(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(6));
}

describe('silhouetteCurves in chunks of pair distances', () => {
  it('chunks of at most max(16,384, 1M / labelings) pairs, each as large as it can be; every value is the exact silhouette', async () => {
    const n = 345;
    const m = grid(n, 2, 11);
    const rng = new SeededRandom(5);
    const ks: number[] = [];
    const labs: Int32Array[] = [];
    for (let q = 0; q < 50; q++) {
      const k = 2 + (q % 5);
      // Every seventh labeling leaves its last cluster empty.
      const used = q % 7 === 0 && k > 2 ? k - 1 : k;
      ks.push(k);
      labs.push(Int32Array.from({ length: n }, () => rng.nextInt(used)));
    }
    const log = recordingBackend();
    const scores = await silhouetteCurves(log.backend, m, labs, ks);
    const cap = Math.max(16_384, Math.floor(1_000_000 / labs.length)); // 20,000 pairs
    expect(log.pairwiseCalls[0]!.start).toBe(0);
    for (const [c, call] of log.pairwiseCalls.entries()) {
      if (c > 0) expect(call.start).toBe(log.pairwiseCalls[c - 1]!.end);
      const pairs = pairsOf(call.start, call.end, n);
      expect(call.length).toBe(pairs);
      expect(pairs).toBeLessThanOrEqual(cap);
      // As large as it can be: the next row's pairs would not fit.
      if (call.end < n - 1) expect(pairs + (n - 1 - call.end)).toBeGreaterThan(cap);
    }
    expect(log.pairwiseCalls.at(-1)!.end).toBe(n - 1);
    // Rows 0..63 hold exactly 20,000 pairs (64 · 344 − 64 · 63 / 2): a chunk may be full. The second chunk
    // (19,837 pairs) is shorter than the first and not the last: a stray row would read the first one's distances.
    expect(log.pairwiseCalls[0]).toEqual({ start: 0, end: 64, length: 20_000 });
    expect(log.pairwiseCalls.map((c) => c.length)).toEqual([20_000, pairsOf(64, 147, n), pairsOf(147, n - 1, n)]);
    expect(pairsOf(64, 147, n)).toBeLessThan(20_000);
    for (let q = 0; q < labs.length; q++) expect(scores[q]).toBeCloseTo(await meanSilhouette(m, labs[q]!), 12);
    expect(log.jobs.length).toBe(1);
    expect(log.disposed).toBe(1);
  });

  it('a row with more pairs than a chunk holds takes a chunk of its own (16,386 rows, 62 labelings)', async () => {
    const n = 16_386;
    const m: Matrix = { data: Float32Array.from({ length: n }, (_, i) => i % 7), rows: n, cols: 1 };
    const lab = Int32Array.from({ length: n }, (_, i) => i % 2);
    const log = recordingBackend({ stopAfterPairwise: 1 });
    await expect(silhouetteCurves(log.backend, m, Array(62).fill(lab), Array(62).fill(2))).rejects.toThrow('stopped by the test');
    // 1M / 62 < 16,384, so a chunk holds 16,384 pairs; row 0 alone has 16,385.
    expect(log.pairwiseCalls[0]).toEqual({ start: 0, end: 1, length: n - 1 });
    expect(log.disposed).toBe(1);
  });

  it('passes threads and the signal to the job, and nothing else', async () => {
    const m = grid(12, 2, 3);
    const lab = Int32Array.from({ length: 12 }, (_, i) => i % 3);
    const signal = new AbortController().signal;
    const a = recordingBackend();
    await silhouetteCurves(a.backend, m, [lab], [3], { threads: 3, signal });
    expect(a.jobs.map((j) => j.options ?? {})).toEqual([{ threads: 3, signal }]);
    const b = recordingBackend();
    await silhouetteCurves(b.backend, m, [lab], [3]);
    expect(b.jobs.map((j) => j.options ?? {})).toEqual([{}]);
  });
});

describe('silhouetteCurves: undefined cases and refusals', () => {
  it('0 where a row and its nearest other cluster are all at distance 0 (scikit-learn: nan → 0)', async () => {
    const m = matrixOf([[1, 1], [1, 1], [1, 1], [1, 1]]);
    const [s] = await silhouetteCurves(js, m, [Int32Array.from([0, 0, 1, 1])], [2]);
    expect(s).toBe(0);
  });

  it('empty clusters do not count: 2 of k = 4 present on 4 rows is defined', async () => {
    const m = matrixOf([[0, 0], [1, 0], [5, 0], [7, 0]]);
    const lab = Int32Array.from([0, 0, 3, 3]);
    const [s] = await silhouetteCurves(js, m, [lab], [4]);
    expect(s).toBeCloseTo(await meanSilhouette(m, lab), 12);
    expect(Number.isNaN(s)).toBe(false);
  });

  it('NaN below 2 or above rows − 1 clusters; n − 1 clusters are defined', async () => {
    const m = matrixOf([[0, 0], [1, 0], [5, 0], [7, 0]]);
    const three = Int32Array.from([0, 0, 1, 2]);
    const [alone, one, nMinus1] = await silhouetteCurves(js, matrixOf([[0, 0], [1, 0], [5, 0]]), [Int32Array.from([0, 1, 2])], [3]).then(async (a) => [
      a[0],
      ...(await silhouetteCurves(js, m, [Int32Array.from([0, 0, 0, 0]), three], [1, 3])),
    ]);
    expect(alone).toBeNaN(); // every row alone: 3 clusters on 3 rows
    expect(one).toBeNaN();
    expect(nMinus1).toBeCloseTo(await meanSilhouette(m, three), 12);
    const [single] = await silhouetteCurves(js, matrixOf([[2, 3]]), [Int32Array.from([0])], [1]);
    expect(single).toBeNaN();
  });

  it('refuses labelings and ks of different lengths, labels outside 0..k−1, and labels of the wrong length, naming the values', async () => {
    const m = matrixOf([[0, 0], [1, 0], [5, 0], [7, 0]]);
    const ok = Int32Array.from([0, 0, 1, 1]);
    const shape = await thrown(() => silhouetteCurves(js, m, [ok], [2, 3]));
    expect(shape.code).toBe('SHAPE_MISMATCH');
    expect(shape.message).toBe('silhouetteCurves: 1 labelings for 2 k values');
    expect(shape.details).toEqual({ labelings: 1, ks: 2 });
    for (const [bad, label] of [[-1, -1], [2, 2]] as const) {
      const lab = Int32Array.from([0, 1, bad, 0]);
      const e = await thrown(() => silhouetteCurves(js, m, [ok, lab], [2, 2]));
      expect(e.code).toBe('INVALID_K');
      expect(e.message).toBe(`silhouetteCurves: row 3 has label ${label} at k = 2, outside 0..1`);
      expect(e.details).toEqual({ row: 3, k: 2 });
    }
    const short = await thrown(() => silhouetteCurves(js, m, [ok, Int32Array.from([0, 1, 2])], [2, 4]));
    expect(short.code).toBe('SHAPE_MISMATCH');
    expect(short.message).toBe('3 labels of k = 4 for 4 rows: give one label per row');
  });

  it('no labelings: [] without a job; a backend without pairwiseDistances is refused by name, and its job disposed', async () => {
    const m = matrixOf([[0, 0], [1, 0], [5, 0], [7, 0]]);
    const none = recordingBackend({ without: ['pairwiseDistances'] });
    expect(await silhouetteCurves(none.backend, m, [], [])).toEqual([]);
    expect(none.jobs.length).toBe(0);
    const e = await thrown(() => silhouetteCurves(none.backend, m, [Int32Array.from([0, 0, 1, 1])], [2]));
    expect(e.code).toBe('KERNEL_NOT_IMPLEMENTED');
    expect(e.message).toBe('backend js has no pairwiseDistances kernel, which the silhouette needs');
    expect(e.details).toEqual({ backend: 'js' });
    expect(none.disposed).toBe(1);
  });
});

/** Tibshirani's gap written out: B uniform reference sets over the bounding box, each with its own seed. */
async function gapByHand(m: Matrix, wcss: number[], mass: number, o: { seed: number; B: number; rows: number; kMin: number; kMax: number }) {
  const { data, rows, cols } = m;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < cols; j++) {
    const col = Array.from({ length: rows }, (_, i) => data[i * cols + j]!);
    lo.push(Math.min(...col));
    hi.push(Math.max(...col));
  }
  const logRef: number[][] = wcss.map(() => []);
  for (let b = 0; b < o.B; b++) {
    // Reference set b's seed: independent of the data's sweep seed stream.
    const seed = (Math.imul((o.seed >>> 0) ^ 0x61c88647, 0x9e3779b1) + Math.imul(b + 1, 0x85ebca77)) >>> 0;
    const rng = new SeededRandom(seed);
    const ref = new Float32Array(o.rows * cols);
    for (let i = 0; i < o.rows; i++) for (let j = 0; j < cols; j++) ref[i * cols + j] = lo[j]! + rng.nextFloat() * (hi[j]! - lo[j]!);
    const r = await sweepK({ data: ref, rows: o.rows, cols }, { kMin: o.kMin, kMax: o.kMax, nInit: 1, refine: false, seed, backend: js });
    r.wcss.forEach((w, i) => logRef[i]!.push(Math.log(w / o.rows)));
  }
  const logW = wcss.map((w) => Math.log(w / mass));
  const expected = logRef.map((v) => v.reduce((a, b) => a + b, 0) / o.B);
  const sd = logRef.map((v, i) => Math.sqrt(v.reduce((a, x) => a + (x - expected[i]!) ** 2, 0) / o.B));
  return { logW, expected, gap: expected.map((e, i) => e - logW[i]!), sk: sd.map((s) => s * Math.sqrt(1 + 1 / o.B)) };
}

describe('the gap statistic written out', () => {
  // 30 rows over two ranges; the last row holds the second feature's maximum.
  const base = grid(30, 2, 21, 9);
  const data = Float32Array.from(base.data, (v, i) => (i % 2 === 0 ? v - 5 : v + 10));
  data[59] = 25;
  const m: Matrix = { data, rows: 30, cols: 2 };

  it('uniform reference sets over each feature range, seeded per set; Gap = E*[log W*] − log W, s = sd · sqrt(1 + 1/B); one progress event per set', async () => {
    const events: string[] = [];
    const sel = await selectK(m, {
      methods: ['gap'],
      kMin: 1,
      kMax: 3,
      nInit: 2,
      seed: 7,
      gapReferences: 3,
      gapSampleSize: 10,
      backend: js,
      onProgress: (e) => {
        if (e.kind === 'phase' && e.phase === 'gap') events.push(e.detail ?? '');
      },
    });
    const want = await gapByHand(m, sel.sweep.wcss, 30, { seed: 7, B: 3, rows: 10, kMin: 1, kMax: 3 });
    const close = (got: readonly number[], exp: number[]) => exp.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
    close(sel.gap!.logW, want.logW);
    close(sel.gap!.expectedLogW, want.expected);
    close(sel.curves.gap!.gap, want.gap);
    close(sel.curves.gap!.sk, want.sk);
    expect(want.sk.every((s) => s > 0)).toBe(true);
    expect(events).toEqual(['reference set 1 of 3 (10 rows)', 'reference set 2 of 3 (10 rows)', 'reference set 3 of 3 (10 rows)']);
  });

  it('with sample weights, log W is per unit of weight: log(WCSS / Σw)', async () => {
    const w = Float64Array.from({ length: 30 }, (_, i) => 1 + (i % 4));
    const mass = w.reduce((a, b) => a + b, 0);
    const sel = await selectK(m, { methods: ['gap'], kMin: 1, kMax: 3, seed: 4, gapReferences: 2, gapSampleSize: 10, sampleWeight: w, backend: js });
    const want = await gapByHand(m, sel.sweep.wcss, mass, { seed: 4, B: 2, rows: 10, kMin: 1, kMax: 3 });
    want.logW.forEach((v, i) => expect(sel.gap!.logW[i]).toBeCloseTo(v, 12));
    want.gap.forEach((v, i) => expect(sel.curves.gap!.gap[i]).toBeCloseTo(v, 12));
  });
});

describe('kSelectionJson and kSelectionCsv', () => {
  const m = grid(40, 2, 8, 20);
  let sel: KSelection | undefined;
  const selection = async (): Promise<KSelection> =>
    (sel ??= await selectK(m, {
      methods: ['elbow', 'silhouette', 'calinski', 'davies', 'gap', 'bic', 'aic'],
      kMin: 1,
      kMax: 4,
      nInit: 1,
      seed: 3,
      gapReferences: 2,
      gapSampleSize: 10,
      mixtureCovariance: 'spherical',
      backend: js,
    }));

  it('JSON: every field, curves to 6 significant digits, null where undefined', async () => {
    const s = await selection();
    const c = s.curves;
    expect(kSelectionJson(s)).toEqual({
      suggestedK: s.choice.suggestedK,
      byMethod: Object.fromEntries(Object.entries(s.choice.byMethod).map(([k, v]) => [k, { k: v.k, why: v.why }])),
      reason: s.choice.reason,
      rule: s.choice.rule,
      methods: ['elbow', 'silhouette', 'calinski', 'davies', 'gap', 'bic', 'aic'],
      k: [1, 2, 3, 4],
      wcss: s.sweep.wcss,
      silhouette: c.silhouette!.map(r6),
      calinskiHarabasz: c.calinski!.map(r6),
      daviesBouldin: c.davies!.map(r6),
      gap: c.gap!.gap.map(r6),
      gapSE: c.gap!.sk.map(r6),
      bic: c.bic!.map(r6),
      aic: c.aic!.map(r6),
      mixture: { covariance: 'spherical', meanLogLikelihood: s.mixture!.meanLogLikelihood.map(r6), failures: s.mixture!.failures },
      silhouetteSample: { sampled: false, sampleSize: 40, rows: 40 },
      gapReferences: { B: 2, rows: 10, distribution: s.gap!.reference },
      seconds: { sweep: r6(s.seconds.sweep), silhouette: r6(s.seconds.silhouette), gap: r6(s.seconds.gap) },
    });
    expect(kSelectionJson(s).silhouette).toContain(null); // k = 1
    expect(Object.keys(kSelectionJson(s).byMethod as object).sort()).toEqual(['aic', 'bic', 'calinski', 'davies', 'elbow', 'gap', 'silhouette']);
    // Curves that did not run leave their keys out; a curve set without WCSS gives [].
    const bare = kSelectionJson({ ...s, curves: { ks: c.ks, silhouette: [NaN, Infinity, 0.123456789, null] } });
    expect(bare.wcss).toEqual([]);
    expect(bare.silhouette).toEqual([null, null, 0.123457, null]);
    for (const key of ['calinskiHarabasz', 'daviesBouldin', 'gap', 'gapSE', 'bic', 'aic']) expect(bare).not.toHaveProperty(key);
  });

  it('CSV: one row per k, empty cells where undefined, bic and aic columns only when they ran', async () => {
    const s = await selection();
    const c = s.curves;
    const cell = (v: number | null | undefined) => (r6(v) === null ? '' : String(r6(v)));
    const lines = kSelectionCsv(s).split('\n');
    expect(lines[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,bic,aic,fit_seconds');
    expect(lines.length).toBe(6);
    expect(lines[5]).toBe('');
    c.ks.forEach((k, i) => {
      const row = [k, s.sweep.wcss[i], cell(c.silhouette![i]), cell(c.calinski![i]), cell(c.davies![i]), cell(c.gap!.gap[i]), cell(c.gap!.sk[i]), cell(c.bic![i]), cell(c.aic![i]), cell(s.sweep.points[i]!.seconds)];
      expect(lines[i + 1]).toBe(row.join(','));
    });
    expect(lines[1]!.split(',')[2]).toBe(''); // the silhouette at k = 1
    expect(c.bic!.some((v, i) => v !== null && v !== c.aic![i])).toBe(true);
    const aicOnly = kSelectionCsv({ ...s, curves: { ks: c.ks, aic: c.aic! } }).split('\n');
    expect(aicOnly[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,aic,fit_seconds');
    expect(aicOnly[2]).toBe(['2', '', '', '', '', '', '', cell(c.aic![1]), cell(s.sweep.points[1]!.seconds)].join(','));
    const none = kSelectionCsv({ ...s, curves: { ks: c.ks, wcss: c.wcss! } }).split('\n');
    expect(none[0]).toBe('k,wcss,silhouette,calinski_harabasz,davies_bouldin,gap,gap_se,fit_seconds');
  });
});

describe('suggest-k and the sweep at their corners', () => {
  it("the runner-up is the first of equal values; a mixture that never fits says so; AIC's lowest wins", () => {
    const v = verdicts({ ks: [1, 2, 3, 4], silhouette: [null, 0.5, 0.3, 0.3], bic: [null, null, null, null], aic: [30, 10, 20, 10] });
    expect(v.silhouette!.why).toBe('mean silhouette is highest at k = 2 (0.500; next best 0.300 at k = 3)');
    expect(v.bic).toEqual({ k: null, why: "the Gaussian mixture's BIC is undefined on this range (no mixture could be fitted)" });
    expect(v.aic).toEqual({ k: 2, why: "the Gaussian mixture's AIC is lowest at k = 2 (10.0; next best 10.0 at k = 4)" });
  });

  it('the climb from the elbow works on k values that are not consecutive', () => {
    // Kneedle by hand: x = (0, .4, .6, .8, 1), y flipped = (0, .889, .944, .978, 1): the knee is at index 1 (k = 3).
    const choice = suggestK({ ks: [1, 3, 4, 5, 6], wcss: [100, 20, 15, 12, 10], silhouette: [null, 0.4, 0.5, 0.45, 0.3] });
    expect(choice.byMethod.elbow!.k).toBe(3);
    expect(choice.suggestedK).toBe(4);
  });

  it('a majority of two beats a single vote: no tie-break', () => {
    const choice = suggestK({ ks: [1, 2, 3, 4, 5], calinski: [null, 10, 30, 20, 5], davies: [null, 1, 0.5, 0.8, 2], silhouette: [null, 0.2, 0.3, 0.5, 0.1] });
    expect(choice.suggestedK).toBe(3);
    expect(choice.reason).toBe('Majority vote: k = 3 has the most votes. 2 of 3 methods point at k = 3 (calinski, davies); silhouette says 4.');
  });

  it('refuses a non-finite k and a curve of the wrong length, whichever curves are given', async () => {
    const nan = await thrown(() => suggestK({ ks: [1, NaN, 3], calinski: [1, 2, 3] }));
    expect(nan.code).toBe('NON_FINITE_VALUE');
    expect(nan.message).toBe('suggestK: k value 2 is NaN; finite numbers are required');
    const short = await thrown(() => suggestK({ ks: [1, 2, 3], bic: [1, 2] }));
    expect(short.code).toBe('SHAPE_MISMATCH');
    expect(short.message).toBe('suggestK: 2 bic values for 3 k values');
  });

  it('sweepK names itself when its options are not an object, and disposes of its job', async () => {
    const e = await thrown(() => sweepK(matrixOf([[0], [1], [2]]), 'fast' as never));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/^sweepK needs an options object/);
    const log = recordingBackend();
    await sweepK(grid(20, 2, 1), { kMin: 1, kMax: 3, nInit: 1, seed: 1, backend: log.backend });
    expect(log.jobs.length).toBeGreaterThan(0);
    expect(log.disposed).toBe(log.jobs.length);
  });
});
