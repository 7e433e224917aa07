// The base-field kernel (protocols/dkls23/kernel/ec-kernel.ts): secp256k1's k·P against noble's
// multiply (random and edge scalars and points, both entry points `mul` and `ecdhX`), powers
// against BigInt on both curves, and the protocol functions that take them by default
// (scalar-mul.ts mulPoint, the base OT's ECDH, h2c.ts) giving the same results with the kernels
// on and off.
import { afterAll, describe, expect, test } from '@jest/globals';
import { DKLS_CURVES } from '../../../protocols/dkls23/curve.ts';
import { fieldKernel, wasmEc } from '../../../protocols/dkls23/kernel/ec-kernel.ts';
import { hashToCurveMany } from '../../../protocols/dkls23/h2c.ts';
import { setKernelEnabled } from '../../../protocols/dkls23/kernel/module.ts';
import { nativeEc } from '../../../protocols/dkls23/native-ec.ts';
import { mulPoint } from '../../../protocols/dkls23/scalar-mul.ts';
import { baseOtReceive1, baseOtReceive2, baseOtSend } from '../../../protocols/dkls23/base-ot.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { seededRng, sid } from './fixtures.ts';

const curve = DKLS_CURVES.secp256k1;
const { Fn, Point } = curve;
const q = Fn.ORDER;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

afterAll(() => setKernelEnabled(true));

describe('secp256k1 k·P in WebAssembly', () => {
  const ec = wasmEc(curve)!;

  test('is the default mul and ecdhX for secp256k1 (not for P-256)', () => {
    expect(ec).toBeDefined();
    expect(nativeEc('secp256k1')?.mul).toBeDefined();
    expect(nativeEc('secp256k1')?.ecdhX).toBeDefined();
    expect(wasmEc(DKLS_CURVES.p256)).toBeUndefined();
  });

  test('equals noble for random and edge scalars, on random points, G and −G', () => {
    const rng = seededRng('ec-kernel');
    const points = [Point.BASE, Point.BASE.negate(), ...Array.from({ length: 6 }, () => Point.BASE.multiply(randomScalar(curve, rng)))];
    const scalars = [
      1n,
      2n,
      3n,
      15n,
      16n,
      17n,
      q - 1n,
      q - 2n,
      q - 15n,
      (q - 1n) / 2n,
      (q + 1n) / 2n,
      1n << 255n,
      (1n << 128n) + 1n,
      ...Array.from({ length: 12 }, () => randomScalar(curve, rng)),
    ];
    for (const P of points)
      for (const k of scalars) {
        const want = P.multiply(k).toBytes(false);
        expect({ k, got: hex(ec.mul!(Fn.toBytes(k), P.toBytes(false))) }).toEqual({ k, got: hex(want) });
      }
  });

  test('ecdhX is the x-coordinate of each product', () => {
    const rng = seededRng('ec-kernel-ecdh');
    const k = randomScalar(curve, rng);
    const points = Array.from({ length: 5 }, () => Point.BASE.multiply(randomScalar(curve, rng)));
    const got = ec.ecdhX!(
      Fn.toBytes(k),
      points.map((p) => p.toBytes(false)),
    );
    expect(got.map(hex)).toEqual(points.map((p) => hex(p.multiply(k).toBytes(true).subarray(1))));
  });

  test('refuses a zero scalar or a compressed point (the callers never pass them)', () => {
    expect(() => ec.mul!(new Uint8Array(32), Point.BASE.toBytes(false))).toThrow(RangeError);
    expect(() => ec.mul!(Fn.toBytes(5n), Point.BASE.toBytes(true))).toThrow(RangeError);
  });

  test('mulPoint and a whole base-OT batch give the same bytes with the kernels on and off', () => {
    const rng = seededRng('ec-kernel-protocol');
    const P = Point.BASE.multiply(randomScalar(curve, rng));
    const ks = Array.from({ length: 8 }, () => randomScalar(curve, rng));
    const run = () => {
      const products = ks.map((k) => hex(mulPoint(curve, k, P).toBytes(true)));
      const s = sid('ec-kernel-base-ot');
      const choices = Uint8Array.from({ length: 16 }, (_, i) => i & 1);
      const r1 = baseOtReceive1(curve, s, choices, seededRng('receiver'));
      const sent = baseOtSend(curve, s, r1.message, 16, seededRng('sender'), 2);
      const keys = baseOtReceive2(curve, s, r1.state, sent.message, 1);
      return { products, keys: hex(keys), sender: hex(sent.keys0) + hex(sent.keys1) };
    };
    setKernelEnabled(true);
    const on = run();
    setKernelEnabled(false);
    const off = run();
    setKernelEnabled(true);
    expect(on).toEqual(off);
  });
});

describe.each(['secp256k1', 'p256'] as const)('powers in WebAssembly on %s', (name) => {
  const c = DKLS_CURVES[name];
  const p = c.Point.Fp.ORDER;
  const pow = (x: bigint, e: bigint) => {
    let r = 1n;
    for (let b = x % p; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
    return r;
  };

  test('x^e for edge and random x, and the exponents the protocols use', () => {
    const rng = seededRng(`pow/${name}`);
    const xs = [0n, 1n, 2n, p - 1n, p - 2n, ...Array.from({ length: 8 }, () => c.Point.Fp.create(BigInt('0x' + hex(rng(32)))))];
    for (const e of [0n, 1n, 2n, 16n, (p + 1n) / 4n, p - 2n, (1n << 256n) - 1n]) expect(fieldKernel(c)!.powMany(xs, e)).toEqual(xs.map((x) => pow(x, e)));
  });

  test('hashToCurveMany gives the same points with the kernels on and off, and equals noble', () => {
    const msgs = Array.from({ length: 6 }, (_, i) => Uint8Array.of(i, 1, 2, 3));
    const dsts = msgs.map((_, i) => `tutti-test-h2c-${i}`);
    setKernelEnabled(true);
    const on = hashToCurveMany(c, msgs, dsts).map((P) => hex(P.toBytes(true)));
    setKernelEnabled(false);
    const off = hashToCurveMany(c, msgs, dsts).map((P) => hex(P.toBytes(true)));
    setKernelEnabled(true);
    expect(on).toEqual(off);
    expect(on).toEqual(msgs.map((m, i) => hex(c.hasher.hashToCurve(m, { DST: dsts[i]! }).toBytes(true))));
  });
});
