/**
 * Access to ../shared/data/Mall_Customers.csv for tests. The repo never ships
 * it; tests that need it skip with a visible reason when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * ../shared/data beside the checkout; from a copy of the checkout nested
 * deeper (StrykerJS's sandbox under .stryker-tmp/), the nearest shared/data
 * above it.
 */
function findMall(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = resolve(here, '../../../shared/data/Mall_Customers.csv');
  if (existsSync(beside)) return beside;
  for (let dir = resolve(here, '../../..'); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'shared/data/Mall_Customers.csv');
    if (existsSync(candidate)) return candidate;
  }
  return beside;
}

export const MALL_CSV = findMall();
export const HAVE_MALL = existsSync(MALL_CSV);
export const MALL_SKIP_REASON = `skipped: ${MALL_CSV} is absent (CI has ../shared/data beside the checkout; a fresh clone may not)`;
if (!HAVE_MALL && process.env.SEGMENTA_REQUIRE_REFERENCES === '1') throw new Error(`SEGMENTA_REQUIRE_REFERENCES=1 but ${MALL_CSV} is absent`);
if (!HAVE_MALL) console.warn(MALL_SKIP_REASON);

export const INCOME = 'Annual Income (k$)';
export const SCORE = 'Spending Score (1-100)';

/** scikit-learn 1.2.1 KMeans(init='k-means++', n_init=10, random_state=42) WCSS on (income, score), k = 1..10. */
export const SKLEARN_MALL_WCSS = [269981.28, 181363.6, 106348.37, 73679.79, 44448.46, 37233.81, 30259.66, 25011.84, 21862.09, 19672.07];

/** scikit-learn's k = 5 centres (income, score) and sizes. */
export const SKLEARN_MALL_K5 = [
  { centre: [55.3, 49.52], size: 81 },
  { centre: [86.54, 82.13], size: 39 },
  { centre: [25.73, 79.36], size: 22 },
  { centre: [88.2, 17.11], size: 35 },
  { centre: [26.3, 20.91], size: 23 },
];
