/**
 * Short, readable feature labels for segment names and chart captions:
 * "Annual Income (k$)" → "income", "Spending Score (1-100)" → "spending",
 * "Age" → "age"; other columns lose their unit in parentheses and are
 * lower-cased ("Visits per Month" → "visits per month").
 */

/** Well-known customer columns and their short labels, tried in order. */
const KNOWN_LABELS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(income|salary|earnings|wage)\b/i, 'income'],
  [/\bspend(ing)?\b/i, 'spending'],
  [/^\s*age(\s*\(.*\))?\s*$/i, 'age'],
];

/**
 * The short label of one column name.
 *
 * - well-known columns: income (Income, Annual Income (k$), Salary…),
 *   spending (Spending Score (1-100), Spend…), age;
 * - one-hot columns `Column=Level` keep the level: `Gender=Female` → "Female";
 * - anything else: the name without a trailing unit in parentheses or
 *   brackets, lower-cased; the full name when nothing is left.
 *
 * @example
 * shortFeatureLabel('Annual Income (k$)');     // 'income'
 * shortFeatureLabel('Spending Score (1-100)'); // 'spending'
 * shortFeatureLabel('Tenure (years)');         // 'tenure'
 */
export function shortFeatureLabel(name: string): string {
  const eq = name.indexOf('=');
  if (eq > 0 && eq < name.length - 1) return name.slice(eq + 1).trim();
  for (const [pattern, label] of KNOWN_LABELS) if (pattern.test(name)) return label;
  const stripped = name
    .replace(/\s*[([][^)\]]*[)\]]\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  return stripped.length > 0 ? stripped : name.trim() || name;
}

/**
 * Short labels for a list of columns, made unique: when two columns would get
 * the same label (e.g. "Annual Income" and "Monthly Income"), those columns
 * keep their full names.
 *
 * @example
 * shortFeatureLabels(['Annual Income (k$)', 'Spending Score (1-100)']); // ['income', 'spending']
 */
export function shortFeatureLabels(names: readonly string[]): string[] {
  const labels = names.map(shortFeatureLabel);
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l.toLowerCase(), (counts.get(l.toLowerCase()) ?? 0) + 1);
  const result = labels.map((l, i) => ((counts.get(l.toLowerCase()) ?? 0) > 1 ? names[i]! : l));
  // Full names are unique unless the input repeats a column; number any repeats left.
  const seen = new Map<string, number>();
  return result.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

/** "income" → "Income": the label capitalised for the start of a name. */
export function capitalise(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}
