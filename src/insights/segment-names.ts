/**
 * Names and readings of segments.
 *
 * A name lists the level of each feature against the base ("High income ·
 * Low spending"); a level comes from the z-score of the segment mean (its
 * centre) against the base: high at z ≥ 0.5, low at z ≤ −0.5, else average.
 * With more than three features the name keeps the three that stand out most.
 * Names are unique: duplicates first get finer levels (very high/very low at
 * |z| ≥ 1.5) and more features, then a letter.
 *
 * The action comes from the same named features: each has a role
 * ({@link featureRole}: capacity such as income, engagement such as
 * spending, basket or visits, or other), and the strongest capacity and
 * engagement features of the name pick the action (high capacity + low
 * engagement: win over; high + high: keep; …). A name with neither gets
 * "Tailor". The reading's text mentions only the features of the name; its
 * evidence gives their figures and those of kept columns (age, gender) that
 * stand out.
 */
import { capitalise } from './feature-labels.js';
import type { FeatureLevel, FeatureProfile, SegmentProfile } from './insight-types.js';

/** Name, action and reading of one segment. */
export interface SegmentNaming {
  name: string;
  /** The feature columns the name holds (the action reads only these). */
  named: string[];
  action: string;
  reading: string;
  /** The figures behind the action: each named feature's lift and mean, then kept columns that stand out. */
  evidence: string[];
}

const SEPARATOR = ' · ';
const MAX_NAMED_FEATURES = 3;
const FINE_LEVEL_Z = 1.5;

/** True for a one-hot column (`Column=Level`) whose values are 0/1. */
function isIndicator(f: FeatureProfile): boolean {
  return f.column.includes('=') && f.min >= 0 && f.max <= 1;
}

function levelWord(f: FeatureProfile, fine: boolean): string {
  if (fine && Math.abs(f.z) >= FINE_LEVEL_Z) return f.z > 0 ? 'Very high' : 'Very low';
  return f.level === 'high' ? 'High' : f.level === 'low' ? 'Low' : 'Average';
}

/** Feature indices to name, in feature order: all when there are ≤ 3 numeric features, else the `count` standing out most. */
function namedFeatures(numeric: readonly { f: FeatureProfile; j: number }[], count: number): number[] {
  if (numeric.length <= count) return numeric.map((x) => x.j);
  const ranked = [...numeric].sort((a, b) => Math.abs(b.f.z) - Math.abs(a.f.z) || a.j - b.j);
  const standing = ranked.filter((x) => x.f.level !== 'mid');
  const chosen = (standing.length > 0 ? standing : ranked).slice(0, count);
  return chosen.map((x) => x.j).sort((a, b) => a - b);
}

function composeName(s: SegmentProfile, fine: boolean, count: number): { name: string; named: number[] } {
  const numeric = s.features.map((f, j) => ({ f, j })).filter((x) => !isIndicator(x.f));
  const named = namedFeatures(numeric, count);
  const parts = named.map((j) => `${levelWord(s.features[j]!, fine)} ${s.features[j]!.label}`);
  if (numeric.length > count && parts.every((p) => p.startsWith('Average'))) {
    parts.splice(0, parts.length, 'Average on every feature');
    named.splice(0, named.length);
  }
  // A dominant one-hot level ("mostly Female"), at most one.
  const dominant = s.features.filter((f) => isIndicator(f) && f.mean >= 0.75 && f.lift > 1.05).sort((a, b) => b.mean - a.mean)[0];
  if (dominant) parts.push(`mostly ${dominant.label}`);
  if (parts.length === 0) parts.push('Segment');
  return { name: parts.join(SEPARATOR), named };
}

/**
 * Unique names, actions and readings for segments in their final order.
 *
 * @example
 * nameSegments(profiles.segments).map((n) => n.name);
 * // ['Average income · Average spending', 'High income · High spending', …]
 */
export function nameSegments(segments: readonly SegmentProfile[]): SegmentNaming[] {
  const numericCount = segments[0]?.features.filter((f) => !isIndicator(f)).length ?? 0;
  const composed = segments.map((s) => composeName(s, false, MAX_NAMED_FEATURES));
  const names = composed.map((c) => c.name);
  const refine = (make: (s: SegmentProfile) => { name: string; named: number[] }): void => {
    for (const group of duplicateGroups(names)) {
      for (const i of group) {
        composed[i] = make(segments[i]!);
        names[i] = composed[i]!.name;
      }
    }
  };
  refine((s) => composeName(s, true, MAX_NAMED_FEATURES));
  for (let count = MAX_NAMED_FEATURES + 1; count <= numericCount; count++) refine((s) => composeName(s, true, count));
  for (const group of duplicateGroups(names)) group.forEach((i, g) => (names[i] = `${names[i]} (${letter(g)})`));
  return segments.map((s, i) => ({ name: names[i]!, named: composed[i]!.named.map((j) => s.features[j]!.column), ...readSegment(s, composed[i]!.named) }));
}

function duplicateGroups(names: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  names.forEach((n, i) => groups.set(n, [...(groups.get(n) ?? []), i]));
  return [...groups.values()].filter((g) => g.length > 1);
}

function letter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : String(i + 1);
}

/** What a feature says about a customer, for the action rule. */
export type FeatureRole = 'capacity' | 'engagement' | 'other';

/** Column-name patterns of each role, tried in order (capacity first). */
const ROLE_PATTERNS: ReadonlyArray<readonly [RegExp, FeatureRole]> = [
  [/\b(income|salary|earnings|wage|wealth|credit)\b/i, 'capacity'],
  [/\b(spend(ing)?|basket|purchases?|orders?|visits?|frequency|loyalty|transactions?|revenue|sales)\b/i, 'engagement'],
];

/**
 * The role of a feature: `capacity` (what customers can spend: income,
 * salary, credit), `engagement` (what they do spend or how often: spending,
 * basket, visits, purchases, loyalty) or `other` (age, tenure…).
 */
export function featureRole(column: string, label = column): FeatureRole {
  for (const [pattern, role] of ROLE_PATTERNS) if (pattern.test(column) || pattern.test(label)) return role;
  return 'other';
}

/**
 * The action rule, over capacity level × engagement level. `{c}` and `{e}`
 * stand for the labels of the capacity and engagement features the name
 * holds, so the text mentions nothing the name does not.
 */
const PLAYBOOK: Record<FeatureLevel, Record<FeatureLevel, [string, string]>> = {
  high: {
    high: ['Keep', 'High {c} and high {e}: the most valuable customers — keep them with loyalty rewards, early access and premium service.'],
    mid: ['Grow', 'High {c} but only average {e}: room to grow — upsell premium ranges and bundles.'],
    low: ['Win over', 'High {c} but low {e}: they can afford more — find out what holds them back and win them over with targeted offers.'],
  },
  mid: {
    high: ['Keep', 'Average {c}, high {e}: engaged customers — keep them with loyalty perks and personal offers.'],
    mid: ['Nurture', 'Average {c} and {e}: the mainstream — broad campaigns, nudge towards higher-value products.'],
    low: ['Activate', 'Average {c}, low {e}: under-engaged — reactivation offers and reminders.'],
  },
  low: {
    high: ['Serve with care', 'Low {c} yet high {e}: enthusiastic buyers on a budget — value bundles and easy payment, without over-pushing credit.'],
    mid: ['Value', 'Low {c}, average {e}: price-sensitive — value ranges and timely discounts.'],
    low: ['Low priority', 'Low {c} and low {e}: budget-conscious — low-cost channels and price promotions; low priority for premium campaigns.'],
  },
};

const ENGAGEMENT_ONLY: Record<FeatureLevel, [string, string]> = {
  high: ['Keep', 'High {e}: engaged customers — keep them with loyalty rewards and premium service.'],
  mid: ['Nurture', 'Average {e}: the mainstream — broad campaigns, nudge towards higher-value products.'],
  low: ['Win over', 'Low {e}: find out what holds them back and win them over with targeted offers.'],
};

const CAPACITY_ONLY: Record<FeatureLevel, [string, string]> = {
  high: ['Grow', 'High {c}: room to grow — premium ranges and bundles.'],
  mid: ['Nurture', 'Average {c}: the mainstream — broad campaigns.'],
  low: ['Value', 'Low {c}: price-sensitive — value ranges and timely discounts.'],
};

/**
 * Actions in the order next steps are ranked: protect revenue first, then
 * the largest upside, then the rest. Ties go to the larger segment.
 */
export const ACTION_PRIORITY: readonly string[] = ['Keep', 'Win over', 'Grow', 'Activate', 'Serve with care', 'Nurture', 'Value', 'Tailor', 'Profile', 'Low priority'];

/** The action and reading of one segment, from the named features only. */
export function readSegment(s: SegmentProfile, named?: readonly number[]): { action: string; reading: string; evidence: string[] } {
  const indices = named ?? namedFeatures(s.features.map((f, j) => ({ f, j })).filter((x) => !isIndicator(x.f)), MAX_NAMED_FEATURES);
  const features = indices.map((j) => s.features[j]!);
  const strongest = (role: FeatureRole): FeatureProfile | undefined =>
    features.filter((f) => featureRole(f.column, f.label) === role).sort((a, b) => Math.abs(b.z) - Math.abs(a.z))[0];
  const capacity = strongest('capacity');
  const engagement = strongest('engagement');
  let action: string;
  let advice: string;
  // All the named features of the strongest one's role and level, e.g. "spending, visits per month and avg basket".
  const labelsLike = (f: FeatureProfile | undefined): string =>
    f ? listWords(features.filter((g) => featureRole(g.column, g.label) === featureRole(f.column, f.label) && g.level === f.level).map((g) => g.label)) : '';
  if (features.every((f) => f.level === 'mid')) {
    [action, advice] = ['Nurture', 'Close to the average customer on every feature: the mainstream — broad campaigns, nudge towards higher-value products.'];
  } else if (capacity && engagement) [action, advice] = PLAYBOOK[capacity.level][engagement.level];
  else if (engagement) [action, advice] = ENGAGEMENT_ONLY[engagement.level];
  else if (capacity) [action, advice] = CAPACITY_ONLY[capacity.level];
  else [action, advice] = ['Tailor', genericAdvice(features)];
  advice = advice.replaceAll('{c}', labelsLike(capacity)).replaceAll('{e}', labelsLike(engagement));
  const evidence = [...features.map(featureEvidence), ...segmentFacts(s)];
  return { action, reading: evidence.length > 0 ? `${advice} Evidence: ${evidence.join('; ')}.` : advice, evidence };
}

/** "income ×1.43 (mean 86.5 vs 60.6 for all)": a named feature's figures. */
function featureEvidence(f: FeatureProfile): string {
  const lift = Number.isFinite(f.lift) ? `×${f.lift.toFixed(2)} ` : '';
  return `${f.label} ${lift}(mean ${formatNumber(f.mean)} vs ${formatNumber(f.mean / (Number.isFinite(f.lift) && f.lift !== 0 ? f.lift : 1))} for all)`;
}

function genericAdvice(features: readonly FeatureProfile[]): string {
  const above = features.filter((f) => f.level === 'high').map((f) => f.label);
  const below = features.filter((f) => f.level === 'low').map((f) => f.label);
  if (above.length === 0 && below.length === 0) return 'Close to the average customer: the mainstream — broad campaigns.';
  const parts: string[] = [];
  if (above.length > 0) parts.push(`above the base in ${listWords(above)}`);
  if (below.length > 0) parts.push(`below it in ${listWords(below)}`);
  return `${capitalise(parts.join(', '))}: tailor offers to these traits.`;
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** "median age 31 (younger than the base, 36)", "57% Female (more than the base)": kept columns that say something. */
function segmentFacts(s: SegmentProfile): string[] {
  const facts: string[] = [];
  const age = s.descriptors.find((d) => d.label === 'age');
  if (age && age.count > 0) {
    const young = age.level === 'low' ? 'younger than the base' : age.level === 'high' ? 'older than the base' : 'a typical age';
    facts.push(`median age ${formatNumber(age.median)}, ${young}`);
  }
  for (const mix of s.categories) {
    const top = [...mix.levels].filter((l) => !l.level.startsWith('(')).sort((a, b) => b.share - a.share)[0];
    if (top && top.share >= 0.5 && Number.isFinite(top.lift) && Math.abs(top.lift - 1) >= 0.1) {
      facts.push(`${Math.round(top.share * 100)}% ${top.level} (${top.lift > 1 ? 'more' : 'fewer'} than the base)`);
    }
  }
  return facts;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** One ranked next step of the report's summary. */
export interface NextStep {
  rank: number;
  segment: number;
  name: string;
  action: string;
  /** What to do, from the segment's reading (named features only). */
  advice: string;
  /** The figures behind it. */
  evidence: string[];
  size: number;
  share: number;
}

/**
 * The `count` next steps of a report: one per segment, ranked by
 * {@link ACTION_PRIORITY} and then by size; `Low priority` segments last.
 */
export function rankNextSteps(segments: readonly SegmentProfile[], count = 3): NextStep[] {
  const rank = (a: string): number => {
    const i = ACTION_PRIORITY.indexOf(a);
    return i < 0 ? ACTION_PRIORITY.length : i;
  };
  return [...segments]
    .filter((s) => s.size > 0)
    .sort((a, b) => rank(a.action) - rank(b.action) || b.size - a.size || a.segment - b.segment)
    .slice(0, count)
    .map((s, i) => ({
      rank: i + 1,
      segment: s.segment,
      name: s.name,
      action: s.action,
      advice: s.reading.split(' Evidence: ')[0]!,
      evidence: s.evidence ?? [],
      size: s.size,
      share: s.share,
    }));
}
