/**
 * THE rule for choosing the number of segments. Every path that picks k (the
 * CLI's report, demo and sweep, the library's `segmentCustomers`, the job
 * service, the workers) goes through {@link chooseK}. To add a method
 * (silhouette, gap statistic…): add its name to `KMethod` and to the schema's
 * `kMethod` enum (spec.ts), and a branch here.
 */
import { SegmentaError } from '../common/errors.js';
import type { SweepResult } from '../drivers/elbow-sweep.js';
import type { KMethod } from './spec.js';

/** How k was decided. */
export interface KChoice {
  /** The number of segments, or null when the sweep shows no choice (only with `required: false`). */
  k: number | null;
  /** `given` (the spec named k) or the method that chose it. */
  by: 'given' | KMethod;
  /** One sentence for people: "k = 5 at the elbow of the WCSS sweep k = 1..10". */
  reason: string;
}

/** What {@link chooseK} needs. */
export interface ChooseKInput {
  /** The spec's k: a number, or 'auto'. */
  k: number | 'auto';
  /** How 'auto' is chosen. */
  method: KMethod;
  /** The WCSS sweep, when it ran. */
  sweep?: SweepResult;
  /** Throw `INVALID_K` when no k can be chosen (a fit follows). Default true. */
  required?: boolean;
}

/**
 * Chooses k: the given number, else the method's choice on the sweep.
 *
 * @throws SegmentaError `INVALID_K` when k is 'auto', a fit follows and the method finds no k (the message lists the WCSS curve)
 * @example
 * chooseK({ k: 'auto', method: 'elbow', sweep }); // { k: 5, by: 'elbow', reason: 'k = 5 at the elbow of the WCSS sweep k = 1..10' }
 */
export function chooseK(input: ChooseKInput): KChoice {
  if (input.k !== 'auto') return { k: input.k, by: 'given', reason: `k = ${input.k} given` };
  const sweep = input.sweep;
  const span = sweep && sweep.ks.length > 0 ? `k = ${sweep.ks[0]}..${sweep.ks[sweep.ks.length - 1]}` : 'k = ?';
  switch (input.method) {
    case 'elbow': {
      const k = sweep?.suggestedK ?? null;
      if (k !== null) return { k, by: 'elbow', reason: `k = ${k} at the elbow of the WCSS sweep ${span}` };
      if (input.required ?? true) {
        throw new SegmentaError(
          'INVALID_K',
          `the WCSS sweep ${span} shows no clear elbow; choose the number of segments (--k N, or spec.k)${sweep ? ` (WCSS: ${sweep.wcss.map((w) => w.toPrecision(4)).join(', ')})` : ''}`,
          { method: 'elbow', ks: sweep?.ks ?? [], wcss: sweep?.wcss ?? [] },
        );
      }
      return { k: null, by: 'elbow', reason: `no clear elbow on the WCSS sweep ${span}` };
    }
  }
}
