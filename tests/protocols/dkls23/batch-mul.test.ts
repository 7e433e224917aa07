// The lockstep fixed-scalar multiplication of the base-OT sender against noble's multiply.
import { describe, test, expect } from '@jest/globals';
import { SECP256K1_ENDO, multiplyBaseMany, multiplyMany, recodeOdd } from '../../../protocols/dkls23/batch-mul.ts';
import { DKLS_CURVES } from '../../../protocols/dkls23/curve.ts';
import { hashToCurveMany } from '../../../protocols/dkls23/h2c.ts';
import { useSha256 } from '../../../protocols/dkls23/hash.ts';
import { NATIVE_SHA256 } from '../../../services/party/native-crypto.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { CURVES, seededRng } from './fixtures.ts';

describe.each(CURVES)('multiplyMany on %s', (_, curve) => {
  const rng = seededRng('batch-mul');
  const points = Array.from({ length: 8 }, () => curve.Point.BASE.multiply(randomScalar(curve, rng)));
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

  test('fixed-base: k_j·B for many scalars equals noble, for G and another point', () => {
    const ks = [randomScalar(curve, rng), 1n, 2n, q - 1n, q - 2n, 3n, randomScalar(curve, rng), (q + 1n) / 2n];
    for (const B of [curve.Point.BASE, points[0]!]) {
      const got = multiplyBaseMany(curve, B, ks);
      got.forEach((pt, j) => expect(pt.equals(B.multiply(ks[j]!))).toBe(true));
    }
    expect(() => multiplyBaseMany(curve, points[0]!, [1n, 0n, 2n, 3n])).toThrow();
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

test('secp256k1 GLV constants: ψ(x, y) = (β·x, y) = λ·(x, y)', () => {
  const c = DKLS_CURVES.secp256k1;
  const P = c.Point.BASE.multiply(123456789n);
  const { x, y } = P.toAffine();
  expect(c.Point.fromAffine({ x: (x * SECP256K1_ENDO.beta) % c.Point.Fp.ORDER, y }).equals(P.multiply(SECP256K1_ENDO.lambda))).toBe(true);
});

describe.each(CURVES)('batched RFC 9380 hash_to_curve on %s', (_, curve) => {
  // expand_message_xmd goes through hash.ts's SHA-256: noble's, or the one a daemon installs.
  test.each([
    ['noble', null],
    ['node:crypto', NATIVE_SHA256],
  ])("equals noble's hashToCurve for every message and DST (SHA-256: %s)", (_name, impl) => {
    useSha256(impl);
    try {
      const rng = seededRng('h2c');
      const msgs = Array.from({ length: 64 }, (_, i) => rng(i % 40));
      const dsts = msgs.map((_, i) => `tutti-test/h2c/${i % 3}`);
      hashToCurveMany(curve, msgs, dsts).forEach((pt, i) => expect(pt.equals(curve.hasher.hashToCurve(msgs[i]!, { DST: dsts[i]! }) as typeof pt)).toBe(true));
    } finally {
      useSha256(null);
    }
  });
});
