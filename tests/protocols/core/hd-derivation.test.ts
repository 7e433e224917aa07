// HD derivation (protocols/core/hd-derivation.ts) against an independent implementation:
// @scure/bip32's HDKey built from the parent's compressed public key and chain code, deriveChild
// level by level, on several paths; the tweak moves the key (child = parent + t·G) on every curve;
// hardened and malformed paths are refused; the policy's path patterns.
import { describe, expect, test } from '@jest/globals';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { chainCodeOf, deriveChild, DerivationError, parsePath } from '../../../protocols/core/hd-derivation.ts';

const seed = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));
const PATHS = ['m/0', 'm/1', 'm/0/5', 'm/44/60/0/0/7', 'm/2147483647', 'm/3/1/4/1/5/9/2/6'];

describe('BIP-32 CKDpub on secp256k1', () => {
  const parent = secp256k1.Point.BASE.multiply(BigInt('0x' + Buffer.from(seed('parent')).toString('hex')) % secp256k1.Point.Fn.ORDER);
  const publicKey = parent.toBytes(true);
  const chainCode = chainCodeOf(seed('transcript'));

  test.each(PATHS)('%s equals @scure/bip32 from the xpub (public key + chain code)', (path) => {
    const mine = deriveChild('secp256k1', publicKey, chainCode, path);
    let scure = new HDKey({ publicKey, chainCode });
    for (const i of parsePath(path)) scure = scure.deriveChild(i);
    expect(Buffer.from(mine.publicKey).toString('hex')).toBe(Buffer.from(scure.publicKey!).toString('hex'));
    expect(Buffer.from(mine.chainCode).toString('hex')).toBe(Buffer.from(scure.chainCode!).toString('hex'));
    // The tweak is what each party adds to its share: child = parent + t·G.
    expect(parent.add(secp256k1.Point.BASE.multiply(mine.tweak)).toBytes(true)).toEqual(mine.publicKey);
  });

  test('derive(m/a/b) = derive(derive(m/a), b): the levels chain', () => {
    const a = deriveChild('secp256k1', publicKey, chainCode, 'm/7');
    const ab = deriveChild('secp256k1', a.publicKey, a.chainCode, 'm/9');
    expect(deriveChild('secp256k1', publicKey, chainCode, 'm/7/9').publicKey).toEqual(ab.publicKey);
  });
});

describe('the same formula on P-256, and the additive Ed25519 scheme', () => {
  test.each(['m/0', 'm/0/5', 'm/9/8/7'])('%s: child = parent + t·G', (path) => {
    const c = chainCodeOf(seed('t2'));
    const P = p256.Point.BASE.multiply(12345n);
    const d = deriveChild('p256', P.toBytes(true), c, path);
    expect(P.add(p256.Point.BASE.multiply(d.tweak)).toBytes(true)).toEqual(d.publicKey);
    const A = ed25519.Point.BASE.multiply(6789n);
    const e = deriveChild('ed25519', A.toBytes(), c, path);
    expect(A.add(ed25519.Point.BASE.multiply(e.tweak)).toBytes()).toEqual(e.publicKey);
    expect(e.publicKey).not.toEqual(A.toBytes());
  });

  test('the chain code and the index both matter', () => {
    const A = ed25519.Point.BASE.multiply(6789n).toBytes();
    const one = deriveChild('ed25519', A, chainCodeOf(seed('x')), 'm/1').publicKey;
    expect(deriveChild('ed25519', A, chainCodeOf(seed('y')), 'm/1').publicKey).not.toEqual(one);
    expect(deriveChild('ed25519', A, chainCodeOf(seed('x')), 'm/2').publicKey).not.toEqual(one);
  });
});

describe('paths', () => {
  test.each(["m/0'", 'm/0h', 'm/2147483648', 'm/1/2147483648'])('%s is hardened: refused', (path) => {
    expect(() => parsePath(path)).toThrow(/hardened/);
  });
  test.each(['', 'm', 'm/', '0/1', 'm/01', 'm/-1', 'm/1.5', 'm//1', 'm/1/', 'M/1', 'm/99999999999', `m${'/1'.repeat(17)}`])(
    '%j is malformed: refused',
    (path) => {
      expect(() => parsePath(path)).toThrow(DerivationError);
    },
  );
});
