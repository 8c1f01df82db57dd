/**
 * THE rule for choosing the number of segments. Every path that picks k (the
 * CLI's report, demo and sweep, the library's `segmentCustomers`, the job
 * service, the workers) goes through {@link chooseK}. The methods and their
 * combination live in drivers/suggest-k.ts (`suggestK`); `selectK`
 * (drivers/k-selection.ts) runs them. docs/choosing-k.md explains both.
 */
import { SegmentaError } from '../common/errors.js';
import type { KSelection } from '../drivers/k-selection.js';
import type { KMethod } from './spec.js';

/** How k was decided. */
export interface KChoice {
  /** The number of segments, or null when the sweep shows no choice (only with `required: false`). */
  k: number | null;
  /** `given` (the spec named k) or the method (`all` = every method combined) that chose it. */
  by: 'given' | KMethod;
  /** Why, for people, with the figures: "The WCSS elbow is at k = 4; the mean silhouette keeps rising …". */
  reason: string;
}

/** What {@link chooseK} needs. */
export interface ChooseKInput {
  /** The spec's k: a number, or 'auto'. */
  k: number | 'auto';
  /** How 'auto' is chosen. */
  method: KMethod;
  /** The sweep scored by the methods, when it ran (`selectK`). */
  selection?: KSelection;
  /** Throw `INVALID_K` when no k can be chosen (a fit follows). Default true. */
  required?: boolean;
}

/**
 * Chooses k: the given number, else the suggestion of the methods that ran
 * on the sweep (`selection.choice`).
 *
 * @throws SegmentaError `INVALID_K` when k is 'auto', a fit follows and no method gives a k (the message lists the WCSS curve)
 * @example
 * chooseK({ k: 'auto', method: 'all', selection }); // { k: 5, by: 'all', reason: 'The WCSS elbow is at k = 4; the mean silhouette keeps rising …' }
 */
export function chooseK(input: ChooseKInput): KChoice {
  if (input.k !== 'auto') return { k: input.k, by: 'given', reason: `k = ${input.k} given` };
  const sel = input.selection;
  const ks = sel?.curves.ks ?? [];
  const span = ks.length > 0 ? `k = ${ks[0]}..${ks[ks.length - 1]}` : 'k = ?';
  const k = sel?.choice.suggestedK ?? null;
  if (k !== null) return { k, by: input.method, reason: sel!.choice.reason };
  if (input.required ?? true) {
    throw new SegmentaError(
      'INVALID_K',
      `no method (${input.method}) chooses k on the sweep ${span}: ${sel?.choice.reason ?? 'no sweep ran'}; choose the number of segments (--k N, or spec.k)${sel ? ` (WCSS: ${sel.sweep.wcss.map((w) => w.toPrecision(4)).join(', ')})` : ''}`,
      { method: input.method, ks, wcss: sel?.sweep.wcss ?? [] },
    );
  }
  return { k: null, by: input.method, reason: sel?.choice.reason ?? `no sweep ran on ${span}` };
}
