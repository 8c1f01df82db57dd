/**
 * The rule that turns per-k quality curves into one suggested k, with its
 * reasons. Pure functions over plain numbers: the curves come from
 * {@link selectK} (or anywhere else) and the rule never runs a fit.
 *
 * ## The methods (each gives one k, or none)
 * - `elbow`: Kneedle (Satopää et al. 2011, S = 1) on the WCSS curve.
 * - `silhouette`: the k with the highest mean silhouette (k ≥ 2).
 * - `calinski`: the k with the highest Calinski-Harabasz index (k ≥ 2).
 * - `davies`: the k with the lowest Davies-Bouldin index (k ≥ 2).
 * - `gap`: Tibshirani, Walther & Hastie (2001) with the 1-SE rule: the
 *   smallest k with `Gap(k) ≥ Gap(k+1) − s(k+1)`.
 * - `bic`, `aic`: the k with the lowest Bayesian (Akaike) information
 *   criterion of a Gaussian mixture fitted at each k (from the sweep's
 *   K-Means fit). Asked for by name only: `all` is the five methods above.
 *
 * ## The combination ({@link K_CHOICE_RULE})
 * With the elbow and the silhouette (the default, `all`): start at the
 * Kneedle elbow and move to k + 1 while the mean silhouette still rises,
 * never past the gap statistic's k when that lies above the elbow. Kneedle measures the
 * distance to the chord over the whole range, so on convex WCSS curves it
 * lands early (k = 4 on seven well-separated clusters); silhouette, which
 * compares each row's own segment with the nearest other one, says whether
 * one more segment is still a real split. It only moves up: silhouette
 * alone prefers coarse, well-separated groupings (k = 3 on the generator's
 * five segments in 8 features) that merge segments a marketer needs apart.
 * The gap statistic, which asks whether the data hold more structure than
 * uniform noise, bounds the climb.
 *
 * Otherwise (a subset of methods without the elbow or the silhouette): a
 * majority vote as NbClust does across its indices; a tie goes to the tied
 * k with the higher mean silhouette, else the smaller k. Calinski-Harabasz
 * and Davies-Bouldin always show in the reason, agreeing or not. When no
 * method gives a k, there is no suggestion (`null`).
 */
import { SegmentaError } from '../common/errors.js';
import { findElbow, validateCurve } from './knee-detection.js';

/** A method of choosing k. */
export type KMethod = 'elbow' | 'silhouette' | 'calinski' | 'davies' | 'gap' | 'bic' | 'aic';

/** The methods `all` runs (the default), in the order reports list them. */
export const K_METHODS: readonly KMethod[] = Object.freeze(['elbow', 'silhouette', 'calinski', 'davies', 'gap']);

/** Methods that fit a Gaussian mixture at every k; they run only when asked for by name. */
export const MIXTURE_K_METHODS: readonly KMethod[] = Object.freeze(['bic', 'aic']);

/** Every method, in report order: {@link K_METHODS}, then {@link MIXTURE_K_METHODS}. */
export const ALL_K_METHODS: readonly KMethod[] = Object.freeze([...K_METHODS, ...MIXTURE_K_METHODS]);

/** What each method is called in text. */
export const K_METHOD_TITLES: Readonly<Record<KMethod, string>> = Object.freeze({
  elbow: 'elbow (Kneedle on WCSS)',
  silhouette: 'silhouette (highest)',
  calinski: 'Calinski-Harabasz (highest)',
  davies: 'Davies-Bouldin (lowest)',
  gap: 'gap statistic (1-SE rule)',
  bic: 'BIC of a Gaussian mixture (lowest)',
  aic: 'AIC of a Gaussian mixture (lowest)',
});

/** The combination rule in words (also in the JSON as `rule`). */
export const K_CHOICE_RULE =
  'start at the WCSS elbow (Kneedle) and move to k + 1 while the mean silhouette rises, never past the gap statistic\'s k when that lies above the elbow; without the elbow or the silhouette, a majority vote of the methods that ran (ties: higher silhouette, else smaller k)';

/**
 * The per-k curves of a sweep. Arrays are aligned with `ks`; a value is
 * `null` where the method is undefined (silhouette, Calinski-Harabasz and
 * Davies-Bouldin at k = 1). A missing curve is a method that was not run.
 */
export interface KCurves {
  /** Increasing k values. */
  ks: readonly number[];
  /** Within-cluster sum of squares per k. */
  wcss?: readonly number[];
  silhouette?: readonly (number | null)[];
  calinski?: readonly (number | null)[];
  davies?: readonly (number | null)[];
  /** Gap(k) and its standard error s(k) = sd(k) · sqrt(1 + 1/B). */
  gap?: { gap: readonly number[]; sk: readonly number[] };
  /** BIC of a Gaussian mixture per k (null where the mixture could not be fitted). */
  bic?: readonly (number | null)[];
  /** AIC of a Gaussian mixture per k. */
  aic?: readonly (number | null)[];
}

/** One method's verdict. */
export interface MethodVerdict {
  /** Its k, or `null` when it has none in the swept range. */
  k: number | null;
  /** Why, in one sentence with the figures. */
  why: string;
}

/** The rule's answer. */
export interface KSuggestion {
  /** The suggested k, or `null` when no method gives one. */
  suggestedK: number | null;
  /** Each method that ran, with its k and why. */
  byMethod: Partial<Record<KMethod, MethodVerdict>>;
  /** k → the methods that voted for it. */
  votes: Record<string, KMethod[]>;
  /** Why this k, in one or two sentences with the figures. */
  reason: string;
  /** {@link K_CHOICE_RULE}. */
  rule: string;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/** Index of the best defined value (first on ties), or -1. */
function bestIndex(values: readonly (number | null)[], better: (a: number, b: number) => boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    if (best < 0 || better(v, values[best]!)) best = i;
  });
  return best;
}

/**
 * Tibshirani's 1-SE rule: the smallest k with `gap[k] ≥ gap[k+1] − sk[k+1]`
 * over consecutive k of the sweep; `null` when the gap still rises at the
 * end of the range.
 *
 * @example gapOneStandardError([1, 2, 3], [0.1, 0.5, 0.52], [0.02, 0.02, 0.02]) // 2
 */
export function gapOneStandardError(ks: readonly number[], gap: readonly number[], sk: readonly number[]): number | null {
  // Gap(k) is +Infinity where the data's WCSS is 0 (k = the distinct rows): lengths only.
  validateCurve('gapOneStandardError', ks, gap, 'gap', 'any');
  validateCurve('gapOneStandardError', ks, sk, 'sk', 'any');
  for (let i = 0; i + 1 < ks.length; i++) {
    if (ks[i + 1] !== ks[i]! + 1) continue;
    if (gap[i]! >= gap[i + 1]! - sk[i + 1]!) return ks[i]!;
  }
  return null;
}

/** Each method's k from the curves that are present. */
export function verdicts(curves: KCurves): Partial<Record<KMethod, MethodVerdict>> {
  const { ks } = curves;
  const out: Partial<Record<KMethod, MethodVerdict>> = {};
  if (curves.wcss) {
    const k = findElbow(ks, curves.wcss);
    if (k === null) out.elbow = { k: null, why: 'the WCSS curve has no clear elbow' };
    else {
      const i = ks.indexOf(k);
      const next = i + 1 < ks.length ? curves.wcss[i + 1]! : undefined;
      const drop = next !== undefined && curves.wcss[i]! > 0 ? ` (the next k lowers WCSS by ${(100 * (1 - next / curves.wcss[i]!)).toFixed(1)}%)` : '';
      out.elbow = { k, why: `Kneedle finds the elbow of the WCSS curve at k = ${k}${drop}` };
    }
  }
  const extreme = (name: KMethod, values: readonly (number | null)[] | undefined, higher: boolean, label: string, needs = 'it needs k ≥ 2'): void => {
    if (!values) return;
    const i = bestIndex(values, higher ? (a, b) => a > b : (a, b) => a < b);
    if (i < 0) out[name] = { k: null, why: `${label} is undefined on this range (${needs})` };
    else {
      // The runner-up is the best of the other defined values (NaN, e.g. a silhouette of one cluster, is none).
      const r = bestIndex(values.map((v, j) => (j === i ? null : v)), higher ? (a, b) => a > b : (a, b) => a < b);
      const runner = r < 0 ? undefined : values[r]!;
      const runnerK = r < 0 ? undefined : ks[r];
      out[name] = {
        k: ks[i]!,
        why: `${label} is ${higher ? 'highest' : 'lowest'} at k = ${ks[i]} (${fmt(values[i]!)}${runner !== undefined ? `; next best ${fmt(runner)} at k = ${runnerK}` : ''})`,
      };
    }
  };
  extreme('silhouette', curves.silhouette, true, 'mean silhouette');
  extreme('calinski', curves.calinski, true, 'Calinski-Harabasz');
  extreme('davies', curves.davies, false, 'Davies-Bouldin');
  extreme('bic', curves.bic, false, "the Gaussian mixture's BIC", 'no mixture could be fitted');
  extreme('aic', curves.aic, false, "the Gaussian mixture's AIC", 'no mixture could be fitted');
  if (curves.gap) {
    const k = gapOneStandardError(ks, curves.gap.gap, curves.gap.sk);
    if (k === null) out.gap = { k: null, why: 'the gap still rises at the largest k (widen the range)' };
    else {
      const i = ks.indexOf(k);
      out.gap = {
        k,
        why: `smallest k with Gap(k) ≥ Gap(k+1) − s(k+1): Gap(${k}) = ${fmt(curves.gap.gap[i]!)} ≥ ${fmt(curves.gap.gap[i + 1]!)} − ${fmt(curves.gap.sk[i + 1]!)}`,
      };
    }
  }
  return out;
}

/**
 * Combines the methods' verdicts into one suggested k ({@link K_CHOICE_RULE}).
 *
 * @example
 * const choice = suggestK({ ks: [1, 2, 3, 4, 5], wcss, silhouette: [null, 0.40, 0.52, 0.61, 0.50] });
 * choice.suggestedK; // 4 when Kneedle's elbow is at 3: the silhouette still rises from 3 to 4
 */
export function suggestK(curves: KCurves): KSuggestion {
  if (curves === null || typeof curves !== 'object' || !Array.isArray(curves.ks) || curves.ks.length === 0) {
    throw new SegmentaError('INVALID_OPTION', 'suggestK needs curves with a non-empty ks array', {});
  }
  // Every method's curve: the same length as ks, and finite k values (the elbow and the gap check theirs too).
  for (const name of ['silhouette', 'calinski', 'davies', 'bic', 'aic'] as const) {
    const c = curves[name];
    if (c !== undefined) validateCurve('suggestK', curves.ks, c, name, 'any');
  }
  const byMethod = verdicts(curves);
  const votes: Record<string, KMethod[]> = {};
  for (const m of ALL_K_METHODS) {
    const k = byMethod[m]?.k;
    if (k === null || k === undefined) continue;
    (votes[String(k)] ??= []).push(m);
  }
  const ran = ALL_K_METHODS.filter((m) => byMethod[m] !== undefined);
  const range = `k = ${curves.ks[0]}..${curves.ks[curves.ks.length - 1]}`;
  const finish = (suggestedK: number | null, why: string): KSuggestion => {
    if (suggestedK === null) return { suggestedK, byMethod, votes, reason: why, rule: K_CHOICE_RULE };
    const agree = ran.filter((m) => byMethod[m]!.k === suggestedK);
    const dissent = ran.filter((m) => !agree.includes(m)).map((m) => (byMethod[m]!.k === null ? `${m} gives none` : `${m} says ${byMethod[m]!.k}`));
    const tally = `${agree.length} of ${ran.length} methods point at k = ${suggestedK}${agree.length > 0 ? ` (${agree.join(', ')})` : ''}${dissent.length > 0 ? `; ${dissent.join(', ')}` : ''}.`;
    return { suggestedK, byMethod, votes, reason: `${why} ${tally}`, rule: K_CHOICE_RULE };
  };
  const sil = (k: number): number => {
    const v = curves.silhouette?.[curves.ks.indexOf(k)];
    return v === null || v === undefined || !Number.isFinite(v) ? -Infinity : v;
  };
  const elbow = byMethod.elbow?.k ?? null;
  if (elbow !== null && curves.silhouette) {
    // Kneedle measures the distance to the chord over the whole range, which places the
    // elbow early on convex curves: step up while the silhouette still rises.
    // The gap bounds the climb when it sees structure beyond the elbow (a gap k below it bounds nothing).
    const gapK = byMethod.gap?.k ?? null;
    const cap = gapK !== null && gapK > elbow ? gapK : null;
    let k = elbow;
    const path: string[] = [];
    while (curves.ks.includes(k + 1) && sil(k + 1) > sil(k) && (cap === null || k + 1 <= cap)) {
      path.push(`${fmt(sil(k))} → ${fmt(sil(k + 1))} at k = ${k + 1}`);
      k++;
    }
    const after = curves.ks.includes(k + 1) ? sil(k + 1) : undefined;
    const stop =
      after === undefined
        ? 'the end of the range'
        : cap !== null && k + 1 > cap && after > sil(k)
          ? `the gap statistic's k = ${cap}`
          : `a silhouette of ${fmt(after)} at k = ${k + 1}`;
    const why =
      path.length === 0
        ? `The WCSS elbow is at k = ${elbow} and the mean silhouette does not rise at k = ${elbow + 1} (${fmt(sil(elbow))} → ${after === undefined ? 'none' : fmt(after)}).`
        : `The WCSS elbow is at k = ${elbow}; the mean silhouette keeps rising (${path.join(', ')}) until ${stop}.`;
    return finish(k, why);
  }
  const candidates = Object.keys(votes).map(Number);
  if (candidates.length === 0) return finish(null, `no method gives a k on ${range}`);
  const most = Math.max(...candidates.map((k) => votes[String(k)]!.length));
  const tied = candidates.filter((k) => votes[String(k)]!.length === most).sort((a, b) => a - b);
  if (tied.length === 1) return finish(tied[0]!, `Majority vote: k = ${tied[0]} has the most votes.`);
  if (curves.silhouette && tied.some((k) => Number.isFinite(sil(k)))) {
    const k = tied.reduce((a, b) => (sil(b) > sil(a) ? b : a));
    return finish(k, `Majority vote tied between k = ${tied.join(', ')}; k = ${k} has the highest mean silhouette (${tied.map((t) => `${t}: ${fmt(sil(t))}`).join(', ')}).`);
  }
  return finish(tied[0]!, `Majority vote tied between k = ${tied.join(', ')}; the smallest wins.`);
}

/**
 * Parses a `--method` value: one method, a comma list, or `all`.
 *
 * @throws SegmentaError `INVALID_OPTION` naming the unknown method
 */
export function parseKMethods(value: string): KMethod[] {
  const parts = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (parts.length === 0 || parts.includes('all')) return [...K_METHODS];
  const aliases: Record<string, KMethod> = { kneedle: 'elbow', wcss: 'elbow', ch: 'calinski', 'calinski-harabasz': 'calinski', db: 'davies', 'davies-bouldin': 'davies' };
  const out: KMethod[] = [];
  for (const p of parts) {
    const m = (ALL_K_METHODS as readonly string[]).includes(p) ? (p as KMethod) : aliases[p];
    if (!m) {
      throw new SegmentaError('INVALID_OPTION', `unknown method '${p}': choose from ${ALL_K_METHODS.join(', ')} or all`, { option: 'method', value: p });
    }
    if (!out.includes(m)) out.push(m);
  }
  return out;
}
