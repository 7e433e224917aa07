// The two FROST ciphersuites Tutti offers (RFC 9591 §6.1 FROST(Ed25519, SHA-512) and §6.3
// FROST(Ed448, SHAKE256)), with everything the sessions need in one table: noble's FROST object,
// the group, the encodings' sizes, the DKG proof-of-knowledge hash, and an independent verifier.
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { ed448, ed448_FROST } from '@noble/curves/ed448.js';
import type { EdwardsPoint, EdwardsPointCons } from '@noble/curves/abstract/edwards.js';
import type { IField } from '@noble/curves/abstract/modular.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';

export type FrostSuiteName = 'ed25519' | 'ed448';
export type FrostApi = typeof ed25519_FROST;
export type Point = EdwardsPoint;

export type FrostSuite = {
  readonly name: FrostSuiteName;
  /** noble's RFC 9591 implementation for this ciphersuite. */
  readonly frost: FrostApi;
  /** Prefix of every protocol name (`${prefix}/dkg`, `${prefix}/sign`, `${prefix}/refresh`). */
  readonly prefix: 'frost-ed25519' | 'frost-ed448';
  /** RFC 9591 contextString. */
  readonly contextString: string;
  readonly Point: EdwardsPointCons;
  /** Scalar field (the group order L). For Ed448 this is the 57-byte field FROST uses. */
  readonly Fn: IField<bigint>;
  /** Ne: bytes of a serialized element. */
  readonly elementBytes: number;
  /** Ns: bytes of a serialized scalar. */
  readonly scalarBytes: number;
  /** Bytes of a final signature: SerializeElement(R) ‖ SerializeScalar(z). */
  readonly signatureBytes: number;
  /**
   * HDKG(m) = H(contextString ‖ "dkg" ‖ m) mod L, the proof-of-knowledge challenge hash of ZF
   * frost-core keys::dkg (and noble's DKG). We recompute it so that a bad proof can be blamed on
   * its sender before noble's round2 (which only throws) sees the packages.
   */
  hashDkg(m: Uint8Array): bigint;
  /**
   * The independent verifier: plain RFC 8032 Ed25519 / Ed448 verification (RFC 9591 §6.1/§6.3 say
   * FROST signatures are valid EdDSA signatures). Strict decoding (no ZIP-215 leniency).
   */
  verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean;
};

function makeSuite(o: {
  name: FrostSuiteName; frost: FrostApi; contextString: string; Point: EdwardsPointCons;
  hash: (m: Uint8Array) => Uint8Array; signatureBytes: number;
  verify: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean;
}): FrostSuite {
  const Fn = o.frost.utils.Fn;
  const dkgPrefix = utf8ToBytes(o.contextString + 'dkg');
  return Object.freeze({
    name: o.name,
    frost: o.frost,
    prefix: `frost-${o.name}` as const,
    contextString: o.contextString,
    Point: o.Point,
    Fn,
    elementBytes: o.Point.BASE.toBytes().length,
    scalarBytes: Fn.BYTES,
    signatureBytes: o.signatureBytes,
    // As RFC 9591 §6.1/§6.3 H1: the 64-byte SHA-512 / 114-byte SHAKE256 digest, read little-endian, mod L.
    hashDkg: (m: Uint8Array) => Fn.create(bytesToNumberLE(o.hash(concatBytes(dkgPrefix, m)))),
    verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
      if (sig.length !== o.signatureBytes || publicKey.length !== o.Point.BASE.toBytes().length) return false;
      try { return o.verify(sig, msg, publicKey); } catch { return false; }
    },
  });
}

export const FROST_SUITES: Readonly<Record<FrostSuiteName, FrostSuite>> = Object.freeze({
  ed25519: makeSuite({
    name: 'ed25519', frost: ed25519_FROST, contextString: 'FROST-ED25519-SHA512-v1',
    Point: ed25519.Point, hash: sha512, signatureBytes: 64,
    verify: (sig, msg, pk) => ed25519.verify(sig, msg, pk, { zip215: false }),
  }),
  ed448: makeSuite({
    name: 'ed448', frost: ed448_FROST as unknown as FrostApi, contextString: 'FROST-ED448-SHAKE256-v1',
    Point: ed448.Point, hash: (m) => shake256(m, { dkLen: 114 }), signatureBytes: 114,
    verify: (sig, msg, pk) => ed448.verify(sig, msg, pk, { zip215: false }),
  }),
});

export function isFrostSuiteName(x: unknown): x is FrostSuiteName {
  return x === 'ed25519' || x === 'ed448';
}

/** Looks a suite up by name; throws on an unknown name (callers map that to 'bad-parameters'). */
export function frostSuite(name: FrostSuiteName): FrostSuite {
  if (!isFrostSuiteName(name)) throw new RangeError(`unknown FROST suite '${String(name)}'`);
  return FROST_SUITES[name];
}

/** noble's RNG signature. */
export type NobleRng = (bytesLength?: number) => Uint8Array<ArrayBuffer>;

/** Adapts the injected rng to noble's signature, and refuses a short or non-byte answer. */
export function nobleRng(rng: (n: number) => Uint8Array): NobleRng {
  return (n = 32) => {
    const out = rng(n);
    if (!(out instanceof Uint8Array) || out.length !== n)
      throw new ProtocolError('bad-parameters', `rng returned ${out?.length} bytes, wanted ${n}`);
    return Uint8Array.from(out);
  };
}
