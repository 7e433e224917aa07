// The lockstep fixed-scalar multiplication of the base-OT sender against noble's multiply.
import { describe, test, expect } from '@jest/globals';
import { multiplyMany, recodeOdd } from '../../../protocols/dkls23/batch-mul.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { CURVES, seededRng } from './fixtures.ts';

describe.each(CURVES)('multiplyMany on %s', (_, curve) => {
  const rng = seededRng('batch-mul');
  const points = Array.from({ length: 24 }, () => curve.Point.BASE.multiply(randomScalar(curve, rng)));
  const q = curve.Fn.ORDER;

  test('equals noble for random, small, even and extreme scalars', () => {
    const scalars = [randomScalar(curve, rng), randomScalar(curve, rng), 1n, 2n, 3n, 16n, 17n, q - 1n, q - 2n, q - 15n, (q - 1n) / 2n];
    for (const k of scalars) {
      const got = multiplyMany(curve, k, points);
      got.forEach((pt, j) => expect(pt.equals(points[j]!.multiply(k))).toBe(true));
    }
  });

  test('small batches and a zero scalar', () => {
    const k = randomScalar(curve, rng);
    expect(multiplyMany(curve, k, points.slice(0, 2)).every((pt, j) => pt.equals(points[j]!.multiply(k)))).toBe(true);
    expect(() => multiplyMany(curve, 0n, points)).toThrow();
  });

  test('regular recoding: 65 odd digits in [−15, 15] with top digit 1, summing to k', () => {
    for (const k of [1n, 3n, q - 2n, randomScalar(curve, rng) | 1n]) {
      const d = recodeOdd(k);
      expect(d.length).toBe(65);
      expect(d[64]).toBe(1);
      expect(d.every((x) => Math.abs(x) % 2 === 1 && Math.abs(x) <= 15)).toBe(true);
      expect(d.reduceRight((acc, x) => acc * 16n + BigInt(x), 0n)).toBe(k);
    }
    expect(() => recodeOdd(2n)).toThrow();
  });
});
