// Non-hardened HD derivation of a threshold key (issue 15 item 3, docs/protocols.md "HD derivation").
//
// A child key is the parent key plus a public tweak: child secret = s + t, child public key =
// Y + t·G. A Shamir sharing f of s shares s + t as f + t (a constant added to the polynomial), so
// every party applies t to its own share, every verification share X_j becomes X_j + t·G and the
// group key Y + t·G, with no interaction (tweakDklsShare, tweakFrostShare). Only public data enters
// t: the parent public key, its chain code and the path, so every party computes t itself.
//
//   secp256k1: BIP-32 CKDpub exactly: I = HMAC-SHA512(c_par, serP(K_par) ‖ ser32(i)), t_i = IL,
//              c_i = IR; IL ≥ n or a child at infinity is refused (BIP-32 says "proceed with the
//              next i": we let the caller choose another path instead of silently moving it).
//   P-256:     the same formula (SLIP-10's nist256p1 CKDpub where SLIP-10 does not retry).
//   Ed25519:   an additive scheme of our own (not SLIP-10, whose Ed25519 derivation is hardened
//              only): t_i = LE(HMAC-SHA512(c_par, 0x00 ‖ A_par ‖ ser32(i))) mod L,
//              c_i = HMAC-SHA512(c_par, 0x01 ‖ A_par ‖ ser32(i))[0..32]. The whole 64-byte output is
//              reduced, as RFC 8032 reduces its nonce hash, so t is uniform up to 2^-259.
// A path of several levels sums the tweaks, each level computed from the previous level's public
// key and chain code. The chain code of a key is derived from its DKG transcript hash
// (chainCodeOf), which all n parties confirmed.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils.js';
import { concatBytes, utf8ToBytes } from './bytes.ts';

export type HdCurve = 'secp256k1' | 'p256' | 'ed25519';

/** First hardened index (BIP-32): indices at or above it are refused. */
export const HARDENED = 0x80000000;
/** At most this many levels in a path (BIP-32 allows 255; a KMS key needs few). */
export const MAX_DEPTH = 16;
const PATH_RE = /^m(?:\/(?:0|[1-9][0-9]{0,9}))+$/;

/** A path that cannot be derived: the caller maps it to a ValidationException (or a refusal). */
export class DerivationError extends Error {
  override name = 'DerivationError';
}

/**
 * Parses `m/i1/i2/…`: decimal indices without leading zeros (one spelling per path), each below
 * 2^31, at least one level, at most MAX_DEPTH. A hardened index (`'`, `h`, or ≥ 2^31) is refused:
 * it needs the parent's private key, which no one holds.
 */
export function parsePath(path: string): number[] {
  if (typeof path !== 'string') throw new DerivationError('the path must be a string');
  if (/['hH]/.test(path))
    throw new DerivationError(`path ${path}: hardened derivation needs the parent's private key, which no party holds; use non-hardened indices`);
  if (!PATH_RE.test(path)) throw new DerivationError(`path ${path} is not of the form m/i/j/… with decimal indices`);
  const indices = path.split('/').slice(1).map(Number);
  if (indices.length > MAX_DEPTH) throw new DerivationError(`path ${path} has more than ${MAX_DEPTH} levels`);
  if (indices.some((i) => i >= HARDENED)) throw new DerivationError(`path ${path}: indices at or above 2^31 are hardened; use non-hardened indices`);
  return indices;
}

/** The 32-byte chain code of a key: SHA-256 over a domain label and its DKG transcript hash. */
export function chainCodeOf(dkgTranscriptHash: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes('tutti/hd/chain-code/v1'), dkgTranscriptHash));
}

export type Derived = {
  /** The sum of the levels' tweaks, mod the group order. */
  tweak: bigint;
  /** The child public key: compressed SEC1 (33 bytes) or the Ed25519 encoding (32 bytes). */
  publicKey: Uint8Array;
  chainCode: Uint8Array;
};

function ser32(i: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, i);
  return b;
}

/** The child of `publicKey` (the parent's encoding) with chain code `chainCode` at `path`. */
export function deriveChild(curve: HdCurve, publicKey: Uint8Array, chainCode: Uint8Array, path: string): Derived {
  if (chainCode.length !== 32) throw new DerivationError('the chain code must be 32 bytes');
  const indices = parsePath(path);
  return curve === 'ed25519' ? deriveEd25519(publicKey, chainCode, indices, path) : deriveWeierstrass(curve, publicKey, chainCode, indices, path);
}

function deriveWeierstrass(curve: 'secp256k1' | 'p256', publicKey: Uint8Array, chainCode: Uint8Array, indices: number[], path: string): Derived {
  const { Point } = curve === 'secp256k1' ? secp256k1 : p256;
  const n = Point.Fn.ORDER;
  let K = Point.fromBytes(publicKey);
  K.assertValidity();
  let c = chainCode;
  let tweak = 0n;
  for (const i of indices) {
    const I = hmac(sha512, c, concatBytes(K.toBytes(true), ser32(i)));
    const IL = bytesToNumberBE(I.subarray(0, 32));
    if (IL >= n) throw new DerivationError(`path ${path}: index ${i} gives an invalid tweak (IL ≥ n, BIP-32); use another index`);
    const child = IL === 0n ? K : K.add(Point.BASE.multiply(IL));
    if (child.is0()) throw new DerivationError(`path ${path}: index ${i} gives the point at infinity (BIP-32); use another index`);
    K = child;
    c = I.slice(32);
    tweak = (tweak + IL) % n;
  }
  return { tweak, publicKey: K.toBytes(true), chainCode: c };
}

function deriveEd25519(publicKey: Uint8Array, chainCode: Uint8Array, indices: number[], path: string): Derived {
  const { Point } = ed25519;
  const L = Point.Fn.ORDER;
  let A = Point.fromBytes(publicKey);
  let c = chainCode;
  let tweak = 0n;
  for (const i of indices) {
    const data = (tag: number): Uint8Array => concatBytes(Uint8Array.of(tag), A.toBytes(), ser32(i));
    const t = bytesToNumberLE(hmac(sha512, c, data(0))) % L;
    if (t === 0n) throw new DerivationError(`path ${path}: index ${i} gives a zero tweak; use another index`);
    const child = A.add(Point.BASE.multiply(t));
    if (child.is0() || child.isSmallOrder()) throw new DerivationError(`path ${path}: index ${i} gives a degenerate child key; use another index`);
    A = child;
    c = hmac(sha512, c, data(1)).slice(0, 32);
    tweak = (tweak + t) % L;
  }
  return { tweak, publicKey: A.toBytes(), chainCode: c };
}
