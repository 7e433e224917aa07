// The two curves DKLs23 runs on in Tutti, behind one interface: secp256k1 (Ethereum, Bitcoin) and
// NIST P-256. Everything curve-specific — group, scalar field, RFC 9380 hash-to-curve suite, the
// independent ECDSA verifier — lives here so that every other file is generic.
import { secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { p256, p256_hasher } from '@noble/curves/nist.js';
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import type { IField } from '@noble/curves/abstract/modular.js';
import type { H2CHasher } from '@noble/curves/abstract/hash-to-curve.js';

export type DklsCurveName = 'secp256k1' | 'p256';
export type Point = WeierstrassPoint<bigint>;

export type DklsCurve = {
  readonly name: DklsCurveName;
  readonly Point: WeierstrassPointCons<bigint>;
  /** Scalar field, order q of the group. */
  readonly Fn: IField<bigint>;
  /** RFC 9380 hash-to-curve (secp256k1_XMD:SHA-256_SSWU_RO_ / P256_XMD:SHA-256_SSWU_RO_ suites). */
  readonly hasher: H2CHasher<WeierstrassPointCons<bigint>>;
  /** Bytes of a canonical scalar (big-endian). */
  readonly scalarBytes: 32;
  /** Bytes of a compressed SEC1 point. */
  readonly pointBytes: 33;
  /**
   * noble's ECDSA verifier for a 32-byte digest used as is (prehash: false). `lowS` is required:
   * our signatures are always normalised (BIP-62/146, Ethereum EIP-2).
   */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
};

function make(name: DklsCurveName, ecdsa: typeof secp256k1, hasher: H2CHasher<WeierstrassPointCons<bigint>>): DklsCurve {
  return Object.freeze({
    name,
    Point: ecdsa.Point,
    Fn: ecdsa.Point.Fn,
    hasher,
    scalarBytes: 32,
    pointBytes: 33,
    verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
      try {
        return ecdsa.verify(signature, digest, publicKey, { prehash: false, lowS: true, format: 'compact' });
      } catch {
        return false;
      }
    },
  } as const);
}

export const DKLS_CURVES: Readonly<Record<DklsCurveName, DklsCurve>> = Object.freeze({
  secp256k1: make('secp256k1', secp256k1, secp256k1_hasher),
  p256: make('p256', p256, p256_hasher),
});

export function isDklsCurveName(x: unknown): x is DklsCurveName {
  return x === 'secp256k1' || x === 'p256';
}

export function dklsCurve(name: DklsCurveName): DklsCurve {
  if (!isDklsCurveName(name)) throw new RangeError(`unknown DKLs23 curve '${String(name)}'`);
  return DKLS_CURVES[name];
}
