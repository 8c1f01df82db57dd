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
 * A reading turns the income and spending levels into a marketing action:
 * high income + low spending is a segment to win over; high income + high
 * spending, loyal high spenders to keep.
 */
import { capitalise } from './feature-labels.js';
import type { FeatureLevel, FeatureProfile, SegmentProfile } from './insight-types.js';

/** Name, action and reading of one segment. */
export interface SegmentNaming {
  name: string;
  action: string;
  reading: string;
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

function composeName(s: SegmentProfile, fine: boolean, count: number): string {
  const numeric = s.features.map((f, j) => ({ f, j })).filter((x) => !isIndicator(x.f));
  const parts = namedFeatures(numeric, count).map((j) => `${levelWord(s.features[j]!, fine)} ${s.features[j]!.label}`);
  if (numeric.length > count && parts.every((p) => p.startsWith('Average'))) parts.splice(0, parts.length, 'Average on every feature');
  // A dominant one-hot level ("mostly Female"), at most one.
  const dominant = s.features.filter((f) => isIndicator(f) && f.mean >= 0.75 && f.lift > 1.05).sort((a, b) => b.mean - a.mean)[0];
  if (dominant) parts.push(`mostly ${dominant.label}`);
  if (parts.length === 0) parts.push('Segment');
  return parts.join(SEPARATOR);
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
  const names = segments.map((s) => composeName(s, false, MAX_NAMED_FEATURES));
  const refine = (make: (s: SegmentProfile) => string): void => {
    for (const group of duplicateGroups(names)) for (const i of group) names[i] = make(segments[i]!);
  };
  refine((s) => composeName(s, true, MAX_NAMED_FEATURES));
  for (let count = MAX_NAMED_FEATURES + 1; count <= numericCount; count++) refine((s) => composeName(s, true, count));
  for (const group of duplicateGroups(names)) group.forEach((i, g) => (names[i] = `${names[i]} (${letter(g)})`));
  return segments.map((s, i) => ({ name: names[i]!, ...readSegment(s) }));
}

function duplicateGroups(names: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  names.forEach((n, i) => groups.set(n, [...(groups.get(n) ?? []), i]));
  return [...groups.values()].filter((g) => g.length > 1);
}

function letter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : String(i + 1);
}

type Level3 = FeatureLevel;

/** Income × spending → action and advice. Rows: income level; columns: spending level. */
const PLAYBOOK: Record<Level3, Record<Level3, [string, string]>> = {
  high: {
    high: ['Keep', 'Loyal high spenders with high income: keep them — loyalty rewards, early access and premium service.'],
    mid: ['Grow', 'High income but only average spending: room to grow — upsell premium ranges and bundles.'],
    low: ['Win over', 'High income but low spending: they can afford more — find out what holds them back and win them over with targeted offers.'],
  },
  mid: {
    high: ['Keep', 'Average income, high spending: engaged customers — keep them with loyalty perks and personal offers.'],
    mid: ['Nurture', 'Average income and spending: the mainstream — broad campaigns, nudge towards higher-value products.'],
    low: ['Activate', 'Average income, low spending: under-engaged — reactivation offers and reminders.'],
  },
  low: {
    high: ['Serve with care', 'Low income yet high spending: enthusiastic buyers on a budget — value bundles and easy payment, without over-pushing credit.'],
    mid: ['Value', 'Low income, average spending: price-sensitive — value ranges and timely discounts.'],
    low: ['Low priority', 'Low income and low spending: budget-conscious — low-cost channels and price promotions; low priority for premium campaigns.'],
  },
};

/** The action and reading of one segment. */
export function readSegment(s: SegmentProfile): { action: string; reading: string } {
  const income = s.features.find((f) => f.label === 'income');
  const spending = s.features.find((f) => f.label === 'spending');
  let action: string;
  let advice: string;
  if (income && spending) {
    [action, advice] = PLAYBOOK[income.level][spending.level];
  } else if (spending) {
    [action, advice] =
      spending.level === 'high'
        ? ['Keep', 'High spenders: keep them — loyalty rewards and premium service.']
        : spending.level === 'low'
          ? ['Win over', 'Low spenders: win them over — find out what holds them back, targeted offers.']
          : ['Nurture', 'Average spenders: the mainstream — broad campaigns, nudge towards higher-value products.'];
  } else {
    [action, advice] = ['Profile', genericAdvice(s)];
  }
  const facts = segmentFacts(s);
  return { action, reading: facts ? `${advice} ${facts}` : advice };
}

function genericAdvice(s: SegmentProfile): string {
  const numeric = s.features.filter((f) => !isIndicator(f));
  const above = numeric.filter((f) => f.level === 'high').map((f) => f.label);
  const below = numeric.filter((f) => f.level === 'low').map((f) => f.label);
  if (above.length === 0 && below.length === 0) return 'Close to the average customer on every feature: the mainstream — broad campaigns.';
  const parts: string[] = [];
  if (above.length > 0) parts.push(`above the base in ${listWords(above)}`);
  if (below.length > 0) parts.push(`below it in ${listWords(below)}`);
  return `${capitalise(parts.join(', '))}: tailor offers to these traits.`;
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** "Median age 31 (base 36). 57% Female." from kept columns, when they say something. */
function segmentFacts(s: SegmentProfile): string {
  const facts: string[] = [];
  const age = s.descriptors.find((d) => d.label === 'age') ?? s.features.find((f) => f.label === 'age');
  if (age && age.count > 0) {
    const young = age.level === 'low' ? 'younger than the base' : age.level === 'high' ? 'older than the base' : 'a typical age';
    facts.push(`Median age ${formatNumber(age.median)}, ${young}.`);
  }
  for (const mix of s.categories) {
    const top = [...mix.levels].filter((l) => !l.level.startsWith('(')).sort((a, b) => b.share - a.share)[0];
    if (top && top.share >= 0.5 && Number.isFinite(top.lift) && Math.abs(top.lift - 1) >= 0.1) {
      facts.push(`${Math.round(top.share * 100)}% ${top.level} (${top.lift > 1 ? 'more' : 'fewer'} than the base).`);
    }
  }
  return facts.join(' ');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
