// OpenSSL's EC arithmetic in place of noble's for DKLs23 (protocols/dkls23/native-ec.ts, installed
// by services/party/native-crypto.ts for P-256): it must compute the very same bytes. Each
// primitive against noble on both curves, the base OT's known answers with it installed, the
// strict point decoding rejecting what it rejected before, and a whole P-256 2-of-3 DKG with it
// installed against the same DKG made by the pure code (the cached test key: same seeds, same
// session id), then a signature that node:crypto verifies.
import { afterEach, describe, expect, test } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { installedEc, useNativeEc, nativeEc } from '../../../protocols/dkls23/native-ec.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { decodePoint } from '../../../protocols/dkls23/codec.ts';
import { mulBase } from '../../../protocols/dkls23/scalar-mul.ts';
import { multiplyBaseMany } from '../../../protocols/dkls23/batch-mul.ts';
import { baseOtReceive1, baseOtReceive2, baseOtSend, baseOtSessionId } from '../../../protocols/dkls23/base-ot.ts';
import { createDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { installNativeCrypto, opensslEc } from '../../../services/party/native-crypto.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { TEST_KEY_CONTEXT, testKey } from '../../support/dkls23-test-keys.ts';
import { seededRng, sid } from '../../protocols/dkls23/fixtures.ts';
import { expectValidSignature, runSign } from '../../protocols/dkls23/session-fixtures.ts';

const OPENSSL_NAME = { secp256k1: 'secp256k1', p256: 'prime256v1' } as const;
const NOBLE = { secp256k1, p256 } as const;
const CURVES: DklsCurveName[] = ['secp256k1', 'p256'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

afterEach(() => {
  useNativeEc('secp256k1', null);
  useNativeEc('p256', null);
});

test("installNativeCrypto installs OpenSSL's three for P-256, only decompression for secp256k1 (whose products stay the WebAssembly kernel's)", () => {
  installNativeCrypto();
  expect(Object.keys(nativeEc('p256')!).sort()).toEqual(['decompress', 'ecdhX', 'mulBase']);
  expect(Object.keys(nativeEc('secp256k1')!).sort()).toEqual(['decompress', 'ecdhX', 'mul']);
  // What the host installed, without the kernel's defaults (the base OT receiver asks for this).
  expect(Object.keys(installedEc('p256')!).sort()).toEqual(['decompress', 'ecdhX', 'mulBase']);
  expect(Object.keys(installedEc('secp256k1')!)).toEqual(['decompress']);
  const native = opensslEc('secp256k1').decompress;
  const point = secp256k1.Point.BASE.toBytes(true);
  expect(hex(nativeEc('secp256k1')!.decompress!(point))).toEqual(hex(native(point)));
});

describe.each(CURVES)('%s', (name) => {
  const curve = DKLS_CURVES[name];
  const native = opensslEc(OPENSSL_NAME[name]);
  const scalars = Array.from({ length: 24 }, (_, i) => curve.Fn.create(BigInt('0x' + hex(sha256(Uint8Array.of(i)))) || 1n));
  scalars.push(1n, 2n, curve.Fn.ORDER - 1n);

  test('k·G, x(k·P) and decompression equal noble', () => {
    const P = NOBLE[name].Point.BASE.multiply(12345n);
    for (const k of scalars) {
      const kb = curve.Fn.toBytes(k);
      expect(hex(native.mulBase(kb))).toBe(hex(NOBLE[name].Point.BASE.multiply(k).toBytes(false)));
      expect(hex(native.ecdhX(kb, [P.toBytes(false), P.toBytes(true)])[0]!)).toBe(hex(P.multiply(k).toBytes(true).subarray(1)));
      const Q = NOBLE[name].Point.BASE.multiply(k);
      expect(hex(native.decompress(Q.toBytes(true)))).toBe(hex(Q.toBytes(false)));
    }
  });

  test('installed: mulBase and multiplyBaseMany give the pure results', () => {
    const pure = scalars.map((k) => mulBase(curve, k).toBytes(true));
    const pureMany = multiplyBaseMany(curve, curve.Point.BASE, scalars).map((p) => p.toBytes(true));
    useNativeEc(name, native);
    expect(scalars.map((k) => hex(mulBase(curve, k).toBytes(true)))).toEqual(pure.map(hex));
    expect(multiplyBaseMany(curve, curve.Point.BASE, scalars).map((p) => hex(p.toBytes(true)))).toEqual(pureMany.map(hex));
    expect(mulBase(curve, 0n).is0()).toBe(true);
  });

  test('installed: a base OT batch gives byte for byte the pure messages and keys', () => {
    const pairSid = baseOtSessionId(sid('native-ec'), 1, 2);
    const choices = Uint8Array.from(seededRng(`native-ec/choices/${name}`)(64), (b) => b & 1);
    const run = () => {
      const r1 = baseOtReceive1(curve, pairSid, choices, seededRng(`native-ec/r/${name}`));
      const s = baseOtSend(curve, pairSid, r1.message, 64, seededRng(`native-ec/s/${name}`), 2);
      const keys = baseOtReceive2(curve, pairSid, r1.state, s.message, 1);
      return [r1.message, s.message, s.keys0, s.keys1, keys].map(hex);
    };
    const pure = run();
    useNativeEc(name, native);
    expect(run()).toEqual(pure);
  });

  test('installed: strict point decoding refuses what it refused before, with the same reasons', () => {
    const G = curve.Point.BASE.toBytes(true);
    // An x with no point on the curve, and x ≥ p (non-canonical) where a point exists for x − p.
    const offCurve = new Uint8Array(33);
    offCurve[0] = 2;
    for (let x = 1; ; x++) {
      offCurve[32] = x;
      try {
        curve.Point.fromBytes(offCurve);
      } catch {
        break;
      }
    }
    const p = curve.Point.Fp.ORDER;
    const bad = [new Uint8Array(33), Uint8Array.of(4, ...G.subarray(1)), offCurve, G.subarray(1), Uint8Array.of(2, ...curve.Fn.toBytes(p - 1n).fill(0xff))];
    const reason = (b: Uint8Array) => {
      try {
        decodePoint(curve, b, 'x', [3]);
        return 'accepted';
      } catch (e) {
        return `${(e as Error).message} ${JSON.stringify((e as { culprits?: number[] }).culprits)}`;
      }
    };
    const pure = bad.map(reason);
    useNativeEc(name, native);
    expect(bad.map(reason)).toEqual(pure);
    expect(pure.every((r) => r !== 'accepted')).toBe(true);
    expect(hex(decodePoint(curve, G, 'G').toBytes(true))).toBe(hex(G));
  });
});

test('installed: a P-256 2-of-3 DKG gives the shares the pure DKG gave (cached test key), and they sign', () => {
  const key = testKey('p256-2of3');
  installNativeCrypto();
  const sim = simulate(
    Array.from({ length: key.n }, (_, k) =>
      createDklsDkg({
        curve: 'p256',
        sessionId: sid(key.label),
        self: k + 1,
        n: key.n,
        t: key.t,
        context: TEST_KEY_CONTEXT,
        rng: seededRng(`${key.label}/dkg/${k + 1}`),
      }),
    ),
  );
  const outputs = outputsOf(sim);
  for (const [p, share] of key.shares) expect(JSON.stringify(outputs.get(p)!.share)).toBe(JSON.stringify(share));
  const message = new TextEncoder().encode('native P-256');
  const signed = outputsOf(runSign('p256', key.shares, [1, 3], sha256(message), 'native-ec/sign'));
  expectValidSignature('p256', message, signed.get(1)!, key.publicKey);
});
