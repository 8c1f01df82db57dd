import type { Matrix } from '../../src/common/matrix.js';
import { SeededRandom } from '../../src/common/seeded-random.js';
import { generateCustomers, generatedFeatureMatrix } from '../../src/data-in/generate-customers.js';
import { fitScaler } from '../../src/preparation/scaling.js';

/**
 * Generated Mall-like customers (Age, Income, Score, Visits), standard-scaled.
 * With `continuous`, each value moves by a seeded amount below the generator's
 * rounding step (1, or 0.1 for Visits): rounded values put exact ties between
 * distances, which two correct algorithms may break either way.
 */
export function mallLike(rows: number, continuous: boolean): Matrix {
  const raw = generatedFeatureMatrix(generateCustomers({ rows, features: 4, seed: 42 }));
  if (continuous) {
    const rng = new SeededRandom(7);
    for (let i = 0; i < raw.data.length; i++) raw.data[i] = raw.data[i]! + (rng.nextFloat() - 0.5) * (i % 4 === 3 ? 0.1 : 1);
  }
  return fitScaler(raw, 'standard').transform(raw);
}

