/**
 * The arithmetic behind the wasm backend's exact Hamerly bounds: the float32
 * distance of the contract stays within gamma (relative) of the exact one,
 * the float32 factors are rounded to the safe side, and f32Ceil rounds up.
 * If gamma or a factor were too small, a bound test could skip a centroid
 * that plain Lloyd would pick; these checks can fail.
 */
import { describe, expect, it } from 'vitest';
import { squaredDistanceF32 } from '../src/backends/kernel-contract.js';
import { boundConstants, f32Ceil, f32Down, f32Up } from '../src/backends/wasm/wasm-layout.js';
import { SeededRandom } from '../src/common/seeded-random.js';

/** Exact squared distance of float32 vectors, in float64 (each term exact to 2^-53). */
function exactSquared(x: Float32Array, c: Float32Array): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) {
    const dl = x[j]! - c[j]!;
    s += dl * dl;
  }
  return s;
}

describe('wasm bound arithmetic', () => {
  it('keeps the float32 contract distance within gamma of the exact one (d = 1..64, wide magnitudes)', () => {
    const rng = new SeededRandom(3);
    for (let d = 1; d <= 64; d = d < 12 ? d + 1 : d * 2) {
      const { gamma } = boundConstants(d);
      let worst = 0;
      for (let t = 0; t < 4000; t++) {
        const scale = 2 ** (rng.nextInt(40) - 20);
        const x = new Float32Array(d).map(() => rng.nextGaussian() * scale);
        // centroids near the row stress the subtraction; far ones the sum
        const c = new Float32Array(d).map((_, j) => x[j]! + rng.nextGaussian() * scale * (t % 2 === 0 ? 1e-3 : 1));
        const approx = squaredDistanceF32(x, 0, c, 0, d);
        const exact = exactSquared(x, c);
        if (exact === 0) continue;
        worst = Math.max(worst, Math.abs(approx - exact) / exact);
      }
      expect(worst, `d=${d}`).toBeLessThanOrEqual(gamma);
      // and the bound is not absurdly loose: the observed error uses a fair share of it
      expect(worst, `d=${d}`).toBeGreaterThan(gamma / 64);
    }
  });

  it('rounds every factor to the safe side', () => {
    for (const d of [1, 2, 3, 4, 8, 9, 100]) {
      const k = boundConstants(d);
      for (const v of [k.kStore, k.kTest, k.kDown, k.tiny]) expect(Math.fround(v)).toBe(v);
      expect(k.kStore * (1 + k.gamma)).toBeLessThan(1 - 2 ** -21);
      expect(k.kTest).toBeLessThan((1 - k.gamma) * (1 - 2 ** -21));
      expect(k.kDown).toBe(1 - 2 ** -20);
    }
  });

  it('f32Up / f32Down / f32Ceil round as they say', () => {
    const rng = new SeededRandom(9);
    for (let t = 0; t < 10_000; t++) {
      const x = rng.nextFloat() * 2 ** (rng.nextInt(60) - 30);
      expect(f32Up(x)).toBeGreaterThanOrEqual(x);
      expect(f32Down(x)).toBeLessThanOrEqual(x);
      const c = f32Ceil(x);
      expect(c).toBeGreaterThanOrEqual(x);
      expect(Math.fround(c)).toBe(c);
      expect(c - x).toBeLessThanOrEqual(x * 2 ** -23);
    }
    expect(f32Ceil(0)).toBe(0);
    expect(f32Ceil(1)).toBe(1);
    expect(f32Ceil(1 + 2 ** -30)).toBe(1 + 2 ** -23);
  });
});
