// The two FROST ciphersuites Tutti offers (RFC 9591 §6.1 FROST(Ed25519, SHA-512) and §6.3
// FROST(Ed448, SHAKE256)), with everything the sessions need in one table: noble's FROST object,
// the group, the encodings' sizes, the hash functions H1, H2, H4, H5 and HDKG, and a verifier.
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { ed448, ed448_FROST } from '@noble/curves/ed448.js';
import type { EdwardsPoint, EdwardsPointCons } from '@noble/curves/abstract/edwards.js';
import type { IField } from '@noble/curves/abstract/modular.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';

/** The key suites: what a DKG makes and a key share is for. */
export type FrostSuiteName = 'ed25519' | 'ed448';
/**
 * What a signing session computes: a key suite, or 'ed25519ph' — Ed25519ph (RFC 8032 §5.1,
 * HashEdDSA) with an Ed25519 key share: the same group, nonces and binding factors, and the
 * challenge H2 prefixed with dom2(1, "") (ED25519_PH_SHA_512, docs/protocols.md).
 */
export type FrostSigningSuiteName = FrostSuiteName | 'ed25519ph';
export type FrostApi = typeof ed25519_FROST;
export type Point = EdwardsPoint;

export type FrostSuite = {
  readonly name: FrostSigningSuiteName;
  /** noble's RFC 9591 implementation for this ciphersuite. */
  readonly frost: FrostApi;
  /** Prefix of every protocol name (`${prefix}/dkg`, `${prefix}/sign`, `${prefix}/refresh`). */
  readonly prefix: 'frost-ed25519' | 'frost-ed448' | 'frost-ed25519ph';
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
  /** RFC 9591 §6.1 / §6.3 H1 (binding factors): H(contextString ‖ "rho" ‖ m) mod L. */
  H1(m: Uint8Array): bigint;
  /** H2 (the challenge): the RFC 8032 challenge hash, SHA-512(m) / SHAKE256(dom4(0, "") ‖ m, 114), mod L. */
  H2(m: Uint8Array): bigint;
  /** H3 (nonce generation): H(contextString ‖ "nonce" ‖ m) mod L. */
  H3(m: Uint8Array): bigint;
  /** H4 (message digest): H(contextString ‖ "msg" ‖ m). */
  H4(m: Uint8Array): Uint8Array;
  /** H5 (commitment list digest): H(contextString ‖ "com" ‖ m). */
  H5(m: Uint8Array): Uint8Array;
  /**
   * Plain RFC 8032 Ed25519 / Ed448 verification (RFC 9591 §6.1/§6.3 say FROST signatures are
   * valid EdDSA signatures): the host's verifier where one is installed (`useEdwardsVerify`; the
   * daemons use OpenSSL's), else `verifyWithH2`. Strict: canonical R and s < L.
   * For 'ed25519ph', `msg` is PH(M) = SHA-512(M) and the check is RFC 8032 §5.1.7 with dom2(1, "")
   * (node:crypto on Node 20 has no Ed25519ph).
   */
  verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean;
};

/**
 * A plain RFC 8032 verifier a host may install for the pure suites (Ed25519, Ed448) with
 * `useEdwardsVerify`: the party daemons install OpenSSL's through node:crypto
 * (services/party/native-crypto.ts), an implementation independent of the noble code that produced
 * the signature and 10–15× faster. It must be strict as `verifyWithH2` is (canonical A and R,
 * S < L, cofactorless). Without one (a browser), `verifyWithH2` checks the signature.
 */
export type EdwardsVerify = (suite: FrostSuiteName, sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array) => boolean;
let hostVerify: EdwardsVerify | null = null;

/** Installs (or with null removes) the host's Ed25519/Ed448 verifier. Call once at start-up. */
export function useEdwardsVerify(verify: EdwardsVerify | null): void {
  hostVerify = verify;
}

function makeSuite(o: {
  name: FrostSigningSuiteName;
  frost: FrostApi;
  contextString: string;
  Point: EdwardsPointCons;
  hash: (m: Uint8Array) => Uint8Array;
  signatureBytes: number;
  /** The RFC 8032 prefix of H2: empty for Ed25519, dom4(0, "") for Ed448. */
  challengePrefix: Uint8Array;
  /** Ed25519ph: never the host's verifier (OpenSSL 3.0 lacks Ed25519ph), always `verifyWithH2`. */
  prehashed?: true;
}): FrostSuite {
  const Fn = o.frost.utils.Fn;
  const elementBytes = o.Point.BASE.toBytes().length;
  const prefix = (label: string) => utf8ToBytes(o.contextString + label);
  const [dkgPrefix, rhoPrefix, noncePrefix, msgPrefix, comPrefix] = ['dkg', 'rho', 'nonce', 'msg', 'com'].map(prefix) as Uint8Array[] as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  // RFC 9591 §6.1/§6.3: the 64-byte SHA-512 / 114-byte SHAKE256 digest, read little-endian, mod L.
  const toScalar = (p: Uint8Array, m: Uint8Array) => Fn.create(bytesToNumberLE(o.hash(concatBytes(p, m))));
  const suite: FrostSuite = Object.freeze({
    name: o.name,
    frost: o.frost,
    prefix: `frost-${o.name}` as const,
    contextString: o.contextString,
    Point: o.Point,
    Fn,
    elementBytes,
    scalarBytes: Fn.BYTES,
    signatureBytes: o.signatureBytes,
    hashDkg: (m: Uint8Array) => toScalar(dkgPrefix, m),
    H1: (m: Uint8Array) => toScalar(rhoPrefix, m),
    H2: (m: Uint8Array) => toScalar(o.challengePrefix, m),
    H3: (m: Uint8Array) => toScalar(noncePrefix, m),
    H4: (m: Uint8Array) => o.hash(concatBytes(msgPrefix, m)),
    H5: (m: Uint8Array) => o.hash(concatBytes(comPrefix, m)),
    verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
      if (sig.length !== o.signatureBytes || publicKey.length !== elementBytes) return false;
      if (!o.prehashed && hostVerify && isFrostSuiteName(o.name)) return hostVerify(o.name, sig, msg, publicKey);
      return verifyWithH2(suite, sig, msg, publicKey);
    },
  });
  return suite;
}

/**
 * RFC 8032 §5.1.7 verification, strict (canonical A and R, S < L, cofactorless [S]B = R + [k]A,
 * as OpenSSL checks pure Ed25519), with k = H2(R ‖ A ‖ msg): H2 carries the suite's dom2/dom4
 * prefix, so this is Ed25519, Ed448 or (where `msg` is PH(M)) Ed25519ph verification.
 */
function verifyWithH2(suite: FrostSuite, sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const n = suite.elementBytes;
    const Rbytes = sig.subarray(0, n);
    const S = bytesToNumberLE(sig.subarray(n));
    if (S >= suite.Fn.ORDER) return false;
    const A = suite.Point.fromBytes(publicKey);
    const R = suite.Point.fromBytes(Rbytes);
    // fromBytes accepts a non-canonical y (≥ p); RFC 8032 §5.1.3 decoding does not.
    if (!equalBytes(A.toBytes(), publicKey) || !equalBytes(R.toBytes(), Rbytes)) return false;
    const k = suite.H2(concatBytes(Rbytes, publicKey, msg));
    const lhs = S === 0n ? suite.Point.ZERO : suite.Point.BASE.multiply(S);
    return lhs.equals(R.add(k === 0n ? suite.Point.ZERO : A.multiply(k)));
  } catch {
    return false;
  }
}

/** RFC 8032 §5.1 dom2(phflag, context) = "SigEd25519 no Ed25519 collisions" ‖ phflag ‖ len(context) ‖ context. */
export function dom2(phflag: 0 | 1, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (context.length > 255) throw new RangeError('dom2 context is at most 255 bytes');
  return concatBytes(utf8ToBytes('SigEd25519 no Ed25519 collisions'), Uint8Array.of(phflag, context.length), context);
}

export const FROST_SUITES: Readonly<Record<FrostSuiteName, FrostSuite>> = Object.freeze({
  ed25519: makeSuite({
    name: 'ed25519',
    frost: ed25519_FROST,
    contextString: 'FROST-ED25519-SHA512-v1',
    Point: ed25519.Point,
    hash: sha512,
    signatureBytes: 64,
    challengePrefix: new Uint8Array(0),
  }),
  ed448: makeSuite({
    name: 'ed448',
    frost: ed448_FROST,
    contextString: 'FROST-ED448-SHAKE256-v1',
    Point: ed448.Point,
    hash: (m) => shake256(m, { dkLen: 114 }),
    signatureBytes: 114,
    // RFC 8032 dom4(phflag = 0, context = ""): "SigEd448" ‖ 0x00 ‖ 0x00.
    challengePrefix: concatBytes(utf8ToBytes('SigEd448'), Uint8Array.of(0, 0)),
  }),
});

/**
 * FROST(Ed25519, SHA-512) computing Ed25519ph (ED25519_PH_SHA_512): RFC 9591 §6.1 with its
 * contextString (so H1, H3, H4, H5 are the Ed25519 suite's, and a share of an Ed25519 key signs),
 * and the challenge of RFC 8032 §5.1.6 for phflag = 1: H2(m) = SHA-512(dom2(1, "") ‖ m) mod L, where
 * m = R ‖ A ‖ PH(M). The session's message is PH(M) = SHA-512(M) (64 bytes). The protocol names
 * (`frost-ed25519ph/sign`, `…/sign-premade`) differ from pure Ed25519's, so signers asked for one
 * and the other never combine.
 */
const ED25519PH_SUITE = makeSuite({
  name: 'ed25519ph',
  frost: ed25519_FROST,
  contextString: 'FROST-ED25519-SHA512-v1',
  Point: ed25519.Point,
  hash: sha512,
  signatureBytes: 64,
  challengePrefix: dom2(1),
  prehashed: true,
});

export function isFrostSuiteName(x: unknown): x is FrostSuiteName {
  return x === 'ed25519' || x === 'ed448';
}

export function isFrostSigningSuiteName(x: unknown): x is FrostSigningSuiteName {
  return isFrostSuiteName(x) || x === 'ed25519ph';
}

/** The key suite whose shares a signing suite uses. */
export function keySuiteOf(name: FrostSigningSuiteName): FrostSuiteName {
  return name === 'ed25519ph' ? 'ed25519' : name;
}

/** Looks a suite up by name; throws on an unknown name (callers map that to 'bad-parameters'). */
export function frostSuite(name: FrostSigningSuiteName): FrostSuite {
  if (name === 'ed25519ph') return ED25519PH_SUITE;
  if (!isFrostSuiteName(name)) throw new RangeError(`unknown FROST suite '${String(name)}'`);
  return FROST_SUITES[name];
}

/** noble's RNG signature. */
export type NobleRng = (bytesLength?: number) => Uint8Array<ArrayBuffer>;

/** Adapts the injected rng to noble's signature, and refuses a short or non-byte answer. */
export function nobleRng(rng: (n: number) => Uint8Array): NobleRng {
  return (n = 32) => {
    const out = rng(n);
    if (!(out instanceof Uint8Array) || out.length !== n) throw new ProtocolError('bad-parameters', `rng returned ${out?.length} bytes, wanted ${n}`);
    return Uint8Array.from(out);
  };
}
