// Verifiable encryption of one key share to an operator's recovery public key (issue 15 item 4;
// docs/security.md "Verifiable backups", docs/operations.md "Backup and recovery drill").
//
// A party holds a share x (a scalar < q, the group order) whose public verification share X = x·G
// everyone knows; the operator has a recovery key pair (y, Y = y·G) on the same curve. The party
// writes x bit by bit, x = Σ_{i<L} 2^i·b_i with L the bit length of q, and encrypts each bit in
// exponential ElGamal under Y:
//
//     A_i = r_i·G,   B_i = b_i·G + r_i·Y          (r_i fresh, uniform mod q)
//
// with two kinds of non-interactive proofs (Fiat–Shamir, shake256, 128-bit challenges, bound to the
// context below):
//  - per bit, a Cramer–Damgård–Schoenmakers OR-proof (CRYPTO '94) of two Chaum–Pedersen statements,
//    "log_G A_i = log_Y B_i" (b_i = 0) or "log_G A_i = log_Y (B_i − G)" (b_i = 1): the ciphertext
//    holds 0 or 1, and which one is hidden;
//  - once, a Chaum–Pedersen DLEQ proof (CRYPTO '92) that log_G A* = log_Y B*, where
//    A* = Σ 2^i·A_i and B* = Σ 2^i·B_i − X.
// Soundness: each (A_i, B_i) = (r_i·G, b_i·G + r_i·Y) with b_i ∈ {0,1}, so Σ 2^i·B_i − X =
// (Σ 2^i·b_i)·G − X + (Σ 2^i·r_i)·Y, and the DLEQ proof (A* = R·G, B* = R·Y, R = Σ 2^i·r_i) forces
// (Σ 2^i·b_i)·G = X: whoever holds y decrypts bit by bit (B_i − y·A_i ∈ {0, G}) and gets the
// discrete log of X — the share — for any ciphertext that verifies, whoever made it.
// Privacy: the ciphertexts are ElGamal under DDH and the proofs are honest-verifier zero-knowledge
// (random oracle), so a verifier learns X, which it had, and nothing else.
//
// Why not Camenisch–Shoup (CRYPTO 2003): it encrypts the whole scalar at once (a few kB instead of
// ~95 kB of JSON here) but needs a Paillier-style group of unknown order and its own proofs across two
// groups; this needs nothing but the key's own curve and @noble, and each piece is a textbook Σ-protocol.
//
// Pure (docs/architecture.md "Purity"): randomness comes in as an argument.
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import type { EdwardsPoint } from '@noble/curves/abstract/edwards.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { bytesToHex, fromHex, lengthPrefixed, u32, utf8ToBytes } from '../core/bytes.ts';
import type { Rng } from '../core/session.ts';

export type BackupCurveName = 'secp256k1' | 'p256' | 'ed25519' | 'ed448';
export const BACKUP_CURVES: readonly BackupCurveName[] = ['secp256k1', 'p256', 'ed25519', 'ed448'];

type Pt = WeierstrassPoint<bigint> | EdwardsPoint;
/** The little of a noble point the scheme uses, one type for both curve forms. */
type P = {
  add(o: P): P;
  subtract(o: P): P;
  multiply(k: bigint): P;
  multiplyUnsafe(k: bigint): P;
  equals(o: P): boolean;
  toBytes(): Uint8Array;
  is0(): boolean;
  isTorsionFree(): boolean;
};

type Group = {
  name: BackupCurveName;
  G: P;
  ZERO: P;
  q: bigint;
  /** L: bits of q; every scalar < q is written in L bits. */
  bits: number;
  /** Bytes of a scalar as this file writes it (big-endian, fixed width). */
  scalarBytes: number;
  fromBytes(b: Uint8Array): P;
};

function group(name: BackupCurveName, Point: { BASE: Pt; ZERO: Pt; Fn: { ORDER: bigint; BITS: number; BYTES: number }; fromBytes(b: Uint8Array): Pt }): Group {
  return {
    name,
    G: Point.BASE,
    ZERO: Point.ZERO,
    q: Point.Fn.ORDER,
    bits: Point.Fn.ORDER.toString(2).length,
    scalarBytes: Point.Fn.BYTES,
    fromBytes: (b) => Point.fromBytes(b),
  };
}

const GROUPS: Record<BackupCurveName, Group> = {
  secp256k1: group('secp256k1', secp256k1.Point),
  p256: group('p256', p256.Point),
  ed25519: group('ed25519', ed25519.Point),
  ed448: group('ed448', ed448.Point),
};

export function isBackupCurve(c: unknown): c is BackupCurveName {
  return typeof c === 'string' && (BACKUP_CURVES as readonly string[]).includes(c);
}

function groupOf(curve: BackupCurveName): Group {
  if (!isBackupCurve(curve)) throw new BackupProofError('bad-parameters', `unknown curve '${String(curve)}'`);
  return GROUPS[curve];
}

/** Why a backup does not verify or decrypt: its shape, a proof, or the decrypted share. */
export class BackupProofError extends Error {
  constructor(
    readonly reason: 'malformed' | 'invalid-proof' | 'bad-parameters' | 'wrong-share',
    message: string,
  ) {
    super(message);
    this.name = 'BackupProofError';
  }
}

/** What a backup is bound to: every proof's challenge hashes it (a proof for another key, party or version fails). */
export type BackupBinding = {
  keyId: string;
  /** The party that made the backup (the share's holder then). */
  partyId: string;
  /** The share store's version of the share (it grows with every refresh/reshare). */
  shareVersion: number;
  /** The share's index among the key's holders (1..n). */
  index: number;
};

/** One encrypted bit: the ElGamal pair and its OR-proof (128-bit challenges c0 ⊕ c1 = H(…), responses z0, z1). */
export type EncryptedBit = { a: string; b: string; c0: string; c1: string; z0: string; z1: string };

/** A share encrypted to Y, JSON-safe (hex): L bits, least significant first, and the sum proof. */
export type EncryptedShare = { curve: BackupCurveName; bits: EncryptedBit[]; sum: { c: string; z: string } };

// --- encoding ---------------------------------------------------------------------------------

const DOMAIN = 'tutti/v1/backup';

function scalarHex(g: Group, k: bigint): string {
  return k.toString(16).padStart(g.scalarBytes * 2, '0');
}

function parseScalar(g: Group, h: unknown, what: string): bigint {
  if (typeof h !== 'string' || h.length !== g.scalarBytes * 2 || !/^[0-9a-f]+$/.test(h)) throw new BackupProofError('malformed', `${what}: not a scalar`);
  const k = BigInt('0x' + h);
  if (k >= g.q) throw new BackupProofError('malformed', `${what}: not reduced mod the group order`);
  return k;
}

/** A point in the prime-order subgroup, canonically encoded (Edwards torsion refused). */
function parsePoint(g: Group, h: unknown, what: string): P {
  let p: P;
  let bytes: Uint8Array;
  try {
    bytes = fromHex(String(h), what);
    p = g.fromBytes(bytes);
  } catch {
    throw new BackupProofError('malformed', `${what}: not a ${g.name} point`);
  }
  if (bytesToHex(p.toBytes()) !== bytesToHex(bytes) || !p.isTorsionFree())
    throw new BackupProofError('malformed', `${what}: not a canonical ${g.name} group element`);
  return p;
}

function pointOf(g: Group, bytes: Uint8Array, what: string): P {
  return parsePoint(g, bytesToHex(bytes), what);
}

/** Y with a wNAF table: every proof multiplies it hundreds of times. */
function fixedBase(Y: P): P {
  (Y as unknown as { precompute(w: number, lazy: boolean): unknown }).precompute(8, false);
  return Y;
}

/** k·P, 0 included (noble's constant-time multiply refuses 0); `secret`: k is secret. */
function mul(g: Group, p: P, k: bigint, secret: boolean): P {
  if (k === 0n) return g.ZERO;
  return secret ? p.multiply(k) : p.multiplyUnsafe(k);
}

/** A uniform scalar mod q from 16 bytes more than q needs (bias < 2^-128). */
function toScalar(g: Group, bytes: Uint8Array): bigint {
  let k = 0n;
  for (const b of bytes) k = (k << 8n) | BigInt(b);
  return k % g.q;
}

function randomScalar(g: Group, rng: Rng): bigint {
  return toScalar(g, rng(g.scalarBytes + 16));
}

/**
 * Challenges are 128 bits (soundness error 2^-128 per proof; a Σ-protocol needs no more), which
 * halves the verifier's multiplications by the prover's points against full-size challenges.
 */
const CHALLENGE_BYTES = 16;

function challenge(...parts: Uint8Array[]): bigint {
  let k = 0n;
  for (const b of shake256(lengthPrefixed(...parts), { dkLen: CHALLENGE_BYTES })) k = (k << 8n) | BigInt(b);
  return k;
}

function challengeHex(c: bigint): string {
  return c.toString(16).padStart(CHALLENGE_BYTES * 2, '0');
}

function parseChallenge(h: unknown, what: string): bigint {
  if (typeof h !== 'string' || h.length !== CHALLENGE_BYTES * 2 || !/^[0-9a-f]+$/.test(h)) throw new BackupProofError('malformed', `${what}: not a challenge`);
  return BigInt('0x' + h);
}

/** The context every challenge hashes: domain, curve, binding, X, Y, L. */
function context(g: Group, binding: BackupBinding, X: P, Y: P): Uint8Array {
  const { keyId, partyId, shareVersion, index } = binding;
  if (
    typeof keyId !== 'string' ||
    typeof partyId !== 'string' ||
    !Number.isSafeInteger(shareVersion) ||
    shareVersion < 0 ||
    !Number.isSafeInteger(index) ||
    index < 1
  )
    throw new BackupProofError('bad-parameters', 'binding: key id, party id, share version ≥ 0 and index ≥ 1');
  return sha512(
    lengthPrefixed(
      utf8ToBytes(DOMAIN),
      utf8ToBytes(g.name),
      utf8ToBytes(keyId),
      utf8ToBytes(partyId),
      utf8ToBytes(String(shareVersion)),
      u32(index),
      X.toBytes(),
      Y.toBytes(),
      u32(g.bits),
    ),
  );
}

function bitChallenge(ctx: Uint8Array, i: number, A: P, B: P, t: P[]): bigint {
  return challenge(utf8ToBytes('bit'), ctx, u32(i), A.toBytes(), B.toBytes(), ...t.map((p) => p.toBytes()));
}

function ciphertextDigest(bits: { A: P; B: P }[]): Uint8Array {
  return sha512(lengthPrefixed(...bits.flatMap(({ A, B }) => [A.toBytes(), B.toBytes()])));
}

/** A* = Σ 2^i·A_i, B* = Σ 2^i·B_i − X (Horner from the top bit). */
function weightedSums(g: Group, bits: { A: P; B: P }[], X: P): { As: P; Bs: P } {
  let As = g.ZERO;
  let Bs = g.ZERO;
  for (let i = bits.length - 1; i >= 0; i--) {
    As = As.add(As).add(bits[i]!.A);
    Bs = Bs.add(Bs).add(bits[i]!.B);
  }
  return { As, Bs: Bs.subtract(X) };
}

// --- recovery key -----------------------------------------------------------------------------

/** Bytes of an operator recovery seed. */
export const RECOVERY_SEED_BYTES = 32;

/**
 * The operator's recovery key pair on one curve, from the one recovery seed: y = HKDF-SHA-512(seed,
 * info "tutti/v1/recovery-key/<curve>") read as an integer mod q (16 extra bytes, bias < 2^-128),
 * never 0; Y = y·G. One seed, four independent keys (docs/operations.md "Backup and recovery drill").
 */
export function recoveryKeyFromSeed(seed: Uint8Array, curve: BackupCurveName): { secret: bigint; publicKey: string } {
  const g = groupOf(curve);
  if (!(seed instanceof Uint8Array) || seed.length !== RECOVERY_SEED_BYTES)
    throw new BackupProofError('bad-parameters', `a recovery seed is ${RECOVERY_SEED_BYTES} bytes`);
  for (let counter = 0; ; counter++) {
    const okm = hkdf(sha512, seed, undefined, utf8ToBytes(`tutti/v1/recovery-key/${curve}/${counter}`), g.scalarBytes + 16);
    const y = toScalar(g, okm);
    if (y !== 0n) return { secret: y, publicKey: bytesToHex(g.G.multiply(y).toBytes()) };
  }
}

// --- encrypt, verify, decrypt -------------------------------------------------------------------

/**
 * Encrypts share x (X = x·G, checked) to the recovery key Y, with its proofs. `X`, `Y`: encoded
 * points (SEC1 compressed, or the RFC 8032 encoding).
 */
export function encryptShare(curve: BackupCurveName, binding: BackupBinding, x: bigint, Xbytes: Uint8Array, Ybytes: Uint8Array, rng: Rng): EncryptedShare {
  const g = groupOf(curve);
  if (x <= 0n || x >= g.q || !mul(g, g.G, x, true).equals(pointOf(g, Xbytes, 'verification share')))
    throw new BackupProofError('wrong-share', 'the share does not match its verification share');
  return encryptUnchecked(curve, binding, x, Xbytes, Ybytes, rng);
}

/**
 * encryptShare without its x·G = X check: what a cheating party could send (any x < 2^L, proofs
 * made honestly for its ciphertexts, the sum proof then false). Tests use it; verification refuses it.
 */
export function encryptUnchecked(curve: BackupCurveName, binding: BackupBinding, x: bigint, Xbytes: Uint8Array, Ybytes: Uint8Array, rng: Rng): EncryptedShare {
  const g = groupOf(curve);
  const X = pointOf(g, Xbytes, 'verification share');
  const Y0 = pointOf(g, Ybytes, 'recovery public key');
  if (Y0.is0()) throw new BackupProofError('bad-parameters', 'the recovery public key is the identity');
  const Y = fixedBase(Y0);
  const ctx = context(g, binding, X, Y);
  const out: EncryptedBit[] = [];
  const cts: { A: P; B: P }[] = [];
  let R = 0n;
  for (let i = 0; i < g.bits; i++) {
    const bit = Number((x >> BigInt(i)) & 1n);
    const r = randomScalar(g, rng);
    R = (R + (r << BigInt(i))) % g.q;
    const A = mul(g, g.G, r, true);
    const rY = mul(g, Y, r, true);
    const B = bit ? rY.add(g.G) : rY;
    // Real branch `bit`: commitments w·G, w·Y. Simulated branch: pick its challenge and response,
    // and solve for its commitments (CDS).
    const w = randomScalar(g, rng);
    const cs = toScalar(g, rng(CHALLENGE_BYTES + g.scalarBytes)) & ((1n << BigInt(CHALLENGE_BYTES * 8)) - 1n);
    const zs = randomScalar(g, rng);
    const other = 1 - bit;
    const t: P[] = [];
    t[2 * bit] = mul(g, g.G, w, true);
    t[2 * bit + 1] = mul(g, Y, w, true);
    // zs·G − cs·A = (zs − cs·r)·G and zs·Y − cs·(B − other·G) = (zs − cs·r)·Y − cs·(bit − other)·G:
    // base multiplications only (G and the precomputed Y), the same points.
    const u = (((zs - cs * r) % g.q) + g.q) % g.q;
    const dG = mul(g, g.G, cs, true);
    t[2 * other] = mul(g, g.G, u, true);
    t[2 * other + 1] = bit > other ? mul(g, Y, u, true).subtract(dG) : mul(g, Y, u, true).add(dG);
    const c = bitChallenge(ctx, i, A, B, t);
    const cr = c ^ cs;
    const zr = (w + cr * r) % g.q;
    const [c0, c1, z0, z1] = bit ? [cs, cr, zs, zr] : [cr, cs, zr, zs];
    out.push({
      a: bytesToHex(A.toBytes()),
      b: bytesToHex(B.toBytes()),
      c0: challengeHex(c0),
      c1: challengeHex(c1),
      z0: scalarHex(g, z0),
      z1: scalarHex(g, z1),
    });
    cts.push({ A, B });
  }
  const { As, Bs } = weightedSums(g, cts, X);
  const w = randomScalar(g, rng);
  const T1 = mul(g, g.G, w, true);
  const T2 = mul(g, Y, w, true);
  const c = challenge(utf8ToBytes('sum'), ctx, ciphertextDigest(cts), As.toBytes(), Bs.toBytes(), T1.toBytes(), T2.toBytes());
  const z = (w + c * R) % g.q;
  return { curve, bits: out, sum: { c: challengeHex(c), z: scalarHex(g, z) } };
}

type ParsedBit = { A: P; B: P; c0: bigint; c1: bigint; z0: bigint; z1: bigint };

function checkShape(g: Group, enc: EncryptedShare): void {
  if (typeof enc !== 'object' || enc === null || !Array.isArray(enc.bits) || typeof enc.sum !== 'object' || enc.sum === null)
    throw new BackupProofError('malformed', 'not an encrypted share');
  if (enc.curve !== g.name) throw new BackupProofError('bad-parameters', `the backup is on ${String(enc.curve)}, the key on ${g.name}`);
  if (enc.bits.length !== g.bits) throw new BackupProofError('malformed', `${enc.bits.length} encrypted bits, not ${g.bits}`);
}

function parseBit(g: Group, b: EncryptedBit | undefined, i: number): ParsedBit {
  return {
    A: parsePoint(g, b?.a, `bit ${i} A`),
    B: parsePoint(g, b?.b, `bit ${i} B`),
    c0: parseChallenge(b?.c0, `bit ${i} c0`),
    c1: parseChallenge(b?.c1, `bit ${i} c1`),
    z0: parseScalar(g, b?.z0, `bit ${i} z0`),
    z1: parseScalar(g, b?.z1, `bit ${i} z1`),
  };
}

/**
 * Checks an encrypted share against the verification share X and the recovery key Y, without
 * decrypting: every bit is 0 or 1 and the bits add up to log_G X. Throws BackupProofError naming
 * the first bit or proof that fails.
 */
export function verifyEncryptedShare(curve: BackupCurveName, binding: BackupBinding, Xbytes: Uint8Array, Ybytes: Uint8Array, enc: EncryptedShare): void {
  verified(groupOf(curve), binding, Xbytes, Ybytes, enc);
}

/** verifyEncryptedShare's work; the decoded bits (decryption reuses them). Each bit is decoded and checked in turn: a bad one stops it early. */
function verified(g: Group, binding: BackupBinding, Xbytes: Uint8Array, Ybytes: Uint8Array, enc: EncryptedShare): ParsedBit[] {
  const X = pointOf(g, Xbytes, 'verification share');
  const Y0 = pointOf(g, Ybytes, 'recovery public key');
  if (Y0.is0()) throw new BackupProofError('bad-parameters', 'the recovery public key is the identity');
  const Y = fixedBase(Y0);
  const ctx = context(g, binding, X, Y);
  checkShape(g, enc);
  const bits = enc.bits.map((raw, i) => {
    const bit = parseBit(g, raw, i);
    const { A, B, c0, c1, z0, z1 } = bit;
    // Branch k: z_k·G − c_k·A and z_k·Y − c_k·(B − k·G) are the commitments it hashed.
    const t = [
      mul(g, g.G, z0, false).subtract(mul(g, A, c0, false)),
      mul(g, Y, z0, false).subtract(mul(g, B, c0, false)),
      mul(g, g.G, z1, false).subtract(mul(g, A, c1, false)),
      mul(g, Y, z1, false).subtract(mul(g, B.subtract(g.G), c1, false)),
    ];
    if ((c0 ^ c1) !== bitChallenge(ctx, i, A, B, t)) throw new BackupProofError('invalid-proof', `bit ${i}: the proof that it encrypts 0 or 1 fails`);
    return bit;
  });
  const { As, Bs } = weightedSums(g, bits, X);
  const c = parseChallenge(enc.sum.c, 'sum c');
  const z = parseScalar(g, enc.sum.z, 'sum z');
  const T1 = mul(g, g.G, z, false).subtract(mul(g, As, c, false));
  const T2 = mul(g, Y, z, false).subtract(mul(g, Bs, c, false));
  if (c !== challenge(utf8ToBytes('sum'), ctx, ciphertextDigest(bits), As.toBytes(), Bs.toBytes(), T1.toBytes(), T2.toBytes()))
    throw new BackupProofError('invalid-proof', 'the bits do not add up to the verification share');
  return bits;
}

/**
 * Verifies, then decrypts with the recovery secret y (y·G must be Y): bit i is 0 if B_i = y·A_i, 1
 * if B_i − y·A_i = G. Returns x with x·G = X, checked.
 */
export function decryptShare(curve: BackupCurveName, binding: BackupBinding, Xbytes: Uint8Array, y: bigint, enc: EncryptedShare): bigint {
  const g = groupOf(curve);
  if (y <= 0n || y >= g.q) throw new BackupProofError('bad-parameters', 'the recovery secret is not a scalar');
  const Y = mul(g, g.G, y, true);
  const bits = verified(g, binding, Xbytes, Y.toBytes(), enc);
  let x = 0n;
  for (let i = bits.length - 1; i >= 0; i--) {
    const M = bits[i]!.B.subtract(mul(g, bits[i]!.A, y, true));
    let b: bigint;
    if (M.is0()) b = 0n;
    else if (M.equals(g.G)) b = 1n;
    else throw new BackupProofError('wrong-share', `bit ${i} decrypts to neither 0 nor 1`);
    x = (x << 1n) | b;
  }
  x %= g.q;
  if (!mul(g, g.G, x, true).equals(pointOf(g, Xbytes, 'verification share')))
    throw new BackupProofError('wrong-share', 'the decrypted share does not match its verification share');
  return x;
}

/** The recovery public key of a recovery secret (to check a seed against a backup's Y). */
export function publicKeyOf(curve: BackupCurveName, y: bigint): string {
  const g = groupOf(curve);
  return bytesToHex(mul(g, g.G, y, true).toBytes());
}
