/**
 * The k-selection chart's input from a k selection: one curve per method
 * that ran, with the method's own pick.
 */
import type { KMethod } from '../drivers/suggest-k.js';
import type { KSelection } from '../drivers/k-selection.js';
import type { KMethodCurve } from './chart-specs.js';

/** Each method's curve for `kSelectionChartSpec`, in method order (WCSS first). */
export function methodCurves(sel: KSelection): KMethodCurve[] {
  const c = sel.curves;
  const pick = (m: KMethod): number | null => sel.choice.byMethod[m]?.k ?? null;
  const out: KMethodCurve[] = [];
  if (c.wcss) out.push({ title: 'WCSS (elbow)', values: c.wcss, pick: sel.methods.includes('elbow') ? pick('elbow') : null });
  if (c.silhouette) out.push({ title: 'Silhouette (higher is better)', values: c.silhouette, pick: pick('silhouette') });
  if (c.calinski) out.push({ title: 'Calinski-Harabasz (higher)', values: c.calinski, pick: pick('calinski') });
  if (c.davies) out.push({ title: 'Davies-Bouldin (lower)', values: c.davies, pick: pick('davies') });
  if (c.gap) out.push({ title: 'Gap ± s (1-SE rule)', values: c.gap.gap, error: c.gap.sk, pick: pick('gap') });
  if (c.bic) out.push({ title: 'BIC of a Gaussian mixture (lower)', values: c.bic, pick: pick('bic') });
  if (c.aic) out.push({ title: 'AIC of a Gaussian mixture (lower)', values: c.aic, pick: pick('aic') });
  return out;
}
