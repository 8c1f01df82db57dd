import type { Matrix } from '../../src/common/matrix.js';
import { SeededRandom } from '../../src/common/seeded-random.js';

/** n rows of `centres.length` spherical Gaussians (sd 1), round-robin. */
export function gaussians(n: number, centres: number[][], seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const d = centres[0]!.length;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    for (let j = 0; j < d; j++) data[i * d + j] = c[j]! + rng.nextGaussian();
  }
  return { data, rows: n, cols: d };
}
