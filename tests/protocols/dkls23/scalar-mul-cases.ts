// The single secret-scalar multiplications of signing (scalar-mul.ts) against noble's multiply:
// the same point for random, small, even, odd and extreme scalars, and for scalars whose GLV
// halves are zero, even or odd. Shared by scalar-mul.test.ts (`npm test`: every special scalar,
// 8 random ones, one random point beside ±G) and scalar-mul.slow.test.ts (the slow tier: 40
// random scalars, four random points). Not a test file.
import { describe, test, expect } from '@jest/globals';
import { _splitEndoScalar } from '@noble/curves/abstract/weierstrass.js';
import { SECP256K1_ENDO } from '../../../protocols/dkls23/batch-mul.ts';
import { mulBase, mulPoint, recodeOdd256 } from '../../../protocols/dkls23/scalar-mul.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { CURVES, seededRng } from './fixtures.ts';

/**
 * The cases on both curves with `randomScalars` random scalars beside the special ones and
 * `randomPoints` random points beside ±G for k·P (`tier` names the describe block and seeds the rng).
 */
export function scalarMulCases(tier: string, randomScalars: number, randomPoints: number): void {
  describe.each(CURVES)(`scalar-mul on %s${tier}`, (name, curve) => {
    const rng = seededRng(`scalar-mul/${name}${tier}`);
    const q = curve.Fn.ORDER;
    const { Point } = curve;
    const { lambda } = SECP256K1_ENDO;
    const special = [
      1n,
      2n,
      3n,
      15n,
      16n,
      17n,
      255n,
      256n,
      q - 1n,
      q - 2n,
      q - 3n,
      q - 16n,
      (q - 1n) / 2n,
      (q + 1n) / 2n,
      1n << 128n,
      (1n << 128n) - 1n,
      (1n << 128n) + 1n,
      lambda % q,
      (q - lambda) % q,
      (lambda + 1n) % q,
      (2n * lambda) % q,
      (lambda * lambda) % q,
    ];
    const scalars = [...special, ...Array.from({ length: randomScalars }, () => randomScalar(curve, rng))];

    test('k·G equals noble for random, small, even and extreme scalars; 0 gives the identity', () => {
      for (const k of scalars) expect(mulBase(curve, k).equals(Point.BASE.multiply(k))).toBe(true);
      expect(mulBase(curve, 0n).is0()).toBe(true);
      expect(mulBase(curve, q).is0()).toBe(true);
      expect(mulBase(curve, q + 5n).equals(Point.BASE.multiply(5n))).toBe(true);
    });

    test('k·P equals noble for random points and the same scalars; 0 and the identity give the identity', () => {
      const points = [Point.BASE, Point.BASE.negate(), ...Array.from({ length: randomPoints }, () => Point.BASE.multiply(randomScalar(curve, rng)))];
      for (const P of points) for (const k of scalars) expect(mulPoint(curve, k, P).equals(P.multiply(k))).toBe(true);
      expect(mulPoint(curve, 0n, points[2]!).is0()).toBe(true);
      expect(mulPoint(curve, 7n, Point.ZERO).is0()).toBe(true);
    });

    test('8-bit regular recoding: 33 odd digits in [−255, 255] with top digit 1, summing to k', () => {
      for (const k of [1n, 3n, 255n, 257n, q - 2n, (1n << 256n) - 1n, randomScalar(curve, rng) | 1n]) {
        const d = recodeOdd256(k);
        expect(d.length).toBe(33);
        expect(d[32]).toBe(1);
        for (const x of d) expect(Math.abs(x) % 2 === 1 && Math.abs(x) <= 255).toBe(true);
        expect(d.reduceRight((acc, x) => acc * 256n + BigInt(x), 0n)).toBe(k);
      }
      expect(() => recodeOdd256(2n)).toThrow(RangeError);
      expect(() => recodeOdd256(1n << 256n)).toThrow(RangeError);
    });

    test('the results are valid points whose encodings match noble', () => {
      const P = Point.BASE.multiply(randomScalar(curve, rng));
      for (const k of scalars.slice(0, 12)) {
        const a = mulPoint(curve, k, P);
        a.assertValidity();
        expect(a.toBytes(true)).toEqual(P.multiply(k).toBytes(true));
        expect(mulBase(curve, k).toBytes(false)).toEqual(Point.BASE.multiply(k).toBytes(false));
      }
    });

    if (name === 'secp256k1') {
      test('GLV halves of every parity (even/even, even/odd, odd/even, odd/odd) and a zero half', () => {
        const seen = new Set<string>();
        for (let i = 0; seen.size < 4 && i < 200; i++) {
          const k = randomScalar(curve, rng);
          const { k1, k2 } = _splitEndoScalar(k, SECP256K1_ENDO.basises, q);
          const key = `${k1 & 1n}${k2 & 1n}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const P = Point.BASE.multiply(randomScalar(curve, rng));
          expect(mulPoint(curve, k, P).equals(P.multiply(k))).toBe(true);
        }
        expect(seen.size).toBe(4);
        const { k1 } = _splitEndoScalar(lambda, SECP256K1_ENDO.basises, q);
        expect(k1).toBe(0n);
        expect(mulPoint(curve, lambda, Point.BASE).equals(Point.BASE.multiply(lambda))).toBe(true);
      });
    }
  });
}
