// FROST's final Ed25519/Ed448 check: the pure default (verifyWithH2, noble arithmetic, what a
// browser party runs) and OpenSSL's (installed by the daemons, services/party/native-crypto.ts)
// must give the same answer on valid signatures and on the edge cases RFC 8032 strict decoding
// rejects: S ≥ L, a non-canonical R, a wrong message or key.
import { afterAll, describe, expect, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { FROST_SUITES, useEdwardsVerify, type FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { installNativeCrypto, nativeEdwardsVerify } from '../../../services/party/native-crypto.ts';

afterAll(() => useEdwardsVerify(null));

const CURVES = { ed25519, ed448 } as const;

function cases(name: FrostSuiteName): Array<[string, Uint8Array, Uint8Array, Uint8Array, boolean]> {
  const c = CURVES[name];
  const sk = c.utils.randomSecretKey();
  const pk = c.getPublicKey(sk);
  const msg = new TextEncoder().encode('tutti');
  const sig = c.sign(msg, sk);
  const n = pk.length;
  const L = c.Point.Fn.ORDER;
  const sPlusL = Uint8Array.from(sig);
  sPlusL.set(numberToBytesLE(bytesToNumberLE(sig.subarray(n)) + L, sig.length - n), n);
  const otherPk = c.getPublicKey(c.utils.randomSecretKey());
  const flipped = Uint8Array.from(sig);
  flipped[0]! ^= 1;
  return [
    ['valid', sig, msg, pk, true],
    ['S + L (non-canonical S)', sPlusL, msg, pk, false],
    ['another message', sig, new TextEncoder().encode('tuttj'), pk, false],
    ['another key', sig, msg, otherPk, false],
    ['R altered', flipped, msg, pk, false],
  ];
}

describe.each(['ed25519', 'ed448'] as const)('%s verification', (name) => {
  test.each(cases(name))('%s: pure and OpenSSL agree', (_case, sig, msg, pk, expected) => {
    useEdwardsVerify(null);
    expect(FROST_SUITES[name].verify(sig, msg, pk)).toBe(expected);
    expect(nativeEdwardsVerify(name, sig, msg, pk)).toBe(expected);
    installNativeCrypto();
    expect(FROST_SUITES[name].verify(sig, msg, pk)).toBe(expected);
    useEdwardsVerify(null);
  });
});
