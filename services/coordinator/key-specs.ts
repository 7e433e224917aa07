// The key specs this service offers, what protocol makes them, and how their public keys and
// signatures look on the wire (docs/kms-compatibility.md "Key specs and algorithms"): the coordinator's view of protocols/core/key-specs.ts,
// the one table of key specs and algorithms, with the curve objects it needs to encode and verify.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { signingDigest } from '../../policies/digest.ts';
import { KEY_SPEC_NAMES, KEY_SPEC_TABLE, SIGNING_ALGORITHMS, SIGNING_ALGORITHM_NAMES, type KeySpecEntry } from '../../protocols/core/key-specs.ts';

type EcdsaCurve = typeof secp256k1 | typeof p256;

export type KeySpecInfo = {
  keySpec: string;
  /** Protocol the parties run: the FROST suite for EdDSA, the DKLs23 curve for ECDSA. */
  protocol: KeySpecEntry['protocol'];
  /** 'eddsa': pure EdDSA, signs the message itself; 'ecdsa': signs a 32-byte digest (DIGEST, or the hash of RAW). */
  scheme: KeySpecEntry['scheme'];
  /** As the DescribeKey / GetPublicKey SigningAlgorithms list them: AWS's values first (docs/kms-compatibility.md "Key specs and algorithms"). */
  signingAlgorithms: string[];
  /** The public key as the parties report it (hex in keys.db): the raw EdDSA key, or the compressed SEC1 point. */
  publicKeyBytes: number;
  /** EdDSA: the signature's fixed length. ECDSA: the party's r ‖ s (the API returns DER). */
  signatureBytes: number;
  /** DER SubjectPublicKeyInfo prefix (RFC 8410 for EdDSA, RFC 5480 for EC); the raw key or the uncompressed point follows. */
  spkiPrefix: string;
  /** ECDSA: the curve, for the DER codec and noble's verification. */
  curve?: EcdsaCurve;
};

/** The noble curve of each DKLs23 suite, for DER signatures and noble's verification. */
const ECDSA_CURVES: Record<string, EcdsaCurve> = { secp256k1, p256 };

export const KEY_SPECS: Record<string, KeySpecInfo> = Object.fromEntries(
  KEY_SPEC_NAMES.map((keySpec) => {
    const e: KeySpecEntry = KEY_SPEC_TABLE[keySpec];
    const curve = e.scheme === 'ecdsa' ? ECDSA_CURVES[e.suite] : undefined;
    if (e.scheme === 'ecdsa' && !curve) throw new Error(`no curve for ${keySpec}`);
    const info: KeySpecInfo = {
      keySpec,
      protocol: e.protocol,
      scheme: e.scheme,
      signingAlgorithms: [...e.algorithms],
      publicKeyBytes: e.publicKeyBytes,
      signatureBytes: e.signatureBytes,
      spkiPrefix: e.spkiPrefix,
      ...(curve ? { curve } : {}),
    };
    return [keySpec, info];
  }),
);

/** AWS's DIGEST length per algorithm (docs/kms-compatibility.md "Key specs and algorithms"); pure EdDSA has none. */
export const DIGEST_BYTES: Record<string, number> = Object.fromEntries(
  SIGNING_ALGORITHM_NAMES.flatMap((a) => {
    const n = SIGNING_ALGORITHMS[a].digestBytes;
    return n === null ? [] : [[a, n] as const];
  }),
);

/** Algorithms AWS takes only with MessageType DIGEST (docs/kms-compatibility.md "Key specs and algorithms"). */
export const DIGEST_ONLY_ALGORITHMS: readonly string[] = SIGNING_ALGORITHM_NAMES.filter(
  (a) => !(SIGNING_ALGORITHMS[a].messageTypes as readonly string[]).includes('RAW'),
);

/**
 * DER SubjectPublicKeyInfo of a key as GetPublicKey returns it: the raw EdDSA key (RFC 8410), or the
 * EC point uncompressed (04 ‖ X ‖ Y, RFC 5480; docs/kms-compatibility.md "Key specs and algorithms": clients slice off the 04).
 */
export function spkiDer(info: KeySpecInfo, storedPublicKey: Uint8Array): Uint8Array {
  if (storedPublicKey.length !== info.publicKeyBytes) {
    throw new Error(`public key for ${info.keySpec} must be ${info.publicKeyBytes} bytes, got ${storedPublicKey.length}`);
  }
  if (!info.curve) return Uint8Array.from(Buffer.concat([Buffer.from(info.spkiPrefix, 'hex'), storedPublicKey]));
  // Decompressing takes a square root: GetPublicKey, which clients call on every signature, reads a cache.
  const cacheKey = `${info.keySpec}:${Buffer.from(storedPublicKey).toString('hex')}`;
  let spki = uncompressed.get(cacheKey);
  if (!spki) {
    spki = Uint8Array.from(Buffer.concat([Buffer.from(info.spkiPrefix, 'hex'), info.curve.Point.fromBytes(storedPublicKey).toBytes(false)]));
    if (uncompressed.size > 10_000) uncompressed.clear();
    uncompressed.set(cacheKey, spki);
  }
  return spki.slice();
}

const uncompressed = new Map<string, Uint8Array>();

/**
 * The signature the KMS API returns for what a party output: EdDSA as is; ECDSA r ‖ s as DER
 * SEQUENCE { INTEGER r, INTEGER s } (X9.62, RFC 3279 §2.2.3). Null if the output has the wrong shape.
 */
export function apiSignature(info: KeySpecInfo, partyOutput: Uint8Array): Uint8Array | null {
  if (partyOutput.length !== info.signatureBytes) return null;
  if (!info.curve) return partyOutput;
  try {
    return info.curve.Signature.fromBytes(partyOutput, 'compact').toBytes('der');
  } catch {
    return null;
  }
}

/** True iff `der` is an ECDSA signature whose s is at most q/2 (what Sign always returns). */
export function isLowS(info: KeySpecInfo, der: Uint8Array): boolean {
  const curve = info.curve!;
  const s = curve.Signature.fromBytes(der, 'der').s;
  return s <= curve.Point.Fn.ORDER >> 1n;
}

/**
 * What an ECDSA signature is over (docs/policies.md "What gets signed", policies/digest.ts): SHA-256
 * or Keccak-256 of a RAW message — the EIP-712 digest for EIP-712 JSON under ECDSA_KECCAK_256, as the
 * parties sign it — or a DIGEST as given. Bytes under ECDSA_KECCAK_256 that start like JSON but are
 * no EIP-712 typed data are read as bytes (Keccak-256), which is what RAW means for that algorithm.
 */
export function ecdsaDigest(algorithm: string, messageType: string, message: Uint8Array): Uint8Array {
  try {
    const d = signingDigest(algorithm, messageType, message);
    if (d) return d;
  } catch {
    if (algorithm === 'ECDSA_KECCAK_256' && messageType === 'RAW') return keccak_256(message);
  }
  throw new Error(`no ECDSA digest for ${algorithm} ${messageType}`);
}

const keyObjects = new Map<string, KeyObject>();

function keyObject(spki: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(spki).toString('hex');
  let key = keyObjects.get(cacheKey);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (keyObjects.size > 10_000) keyObjects.clear();
    keyObjects.set(cacheKey, key);
  }
  return key;
}

/**
 * Verify, and the check of every signature the parties return. EdDSA: OpenSSL through node:crypto
 * (non-negotiable 7: not the library the parties signed with), over the message itself (RFC 8032
 * §5.1.7, §5.2.7). ECDSA: noble over the digest with `lowS: false` — Verify accepts high-S, as AWS's
 * own signatures are about half high-S (docs/kms-compatibility.md "Sign") — and, for ECDSA_SHA_256 over a RAW
 * message, OpenSSL as well (node:crypto hashes the message itself; it cannot take a digest).
 * Both must accept. `signature` is what the API carries: raw EdDSA bytes, DER ECDSA.
 */
export function verifySignature(
  info: KeySpecInfo,
  spki: Uint8Array,
  req: { signingAlgorithm: string; messageType: string; message: Uint8Array },
  signature: Uint8Array,
): boolean {
  try {
    if (req.signingAlgorithm === 'ED25519_PH_SHA_512') {
      // Ed25519ph of the bytes given (AWS hashes a DIGEST again, docs/kms-compatibility.md "Key specs and algorithms"): noble's RFC 8032
      // ed25519ph (OpenSSL 3.0 under Node 20 has no Ed25519ph), strict, not ZIP-215. The parties'
      // FROST code shares only noble's point arithmetic with it.
      return signature.length === 64 && ed25519ph.verify(signature, req.message, spki.subarray(spki.length - 32), { zip215: false });
    }
    if (info.scheme === 'eddsa') return signature.length === info.signatureBytes && nodeVerify(null, req.message, keyObject(spki), signature);
    const curve = info.curve!;
    const point = spki.subarray(spki.length - 65);
    const digest = ecdsaDigest(req.signingAlgorithm, req.messageType, req.message);
    if (!curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' })) return false;
    if (req.signingAlgorithm === 'ECDSA_SHA_256' && req.messageType === 'RAW') {
      return nodeVerify('sha256', req.message, { key: keyObject(spki), dsaEncoding: 'der' }, signature);
    }
    return true;
  } catch {
    return false;
  }
}

type EcdsaPoint = ReturnType<EcdsaCurve['Point']['fromBytes']>;

/**
 * Public-key points by SPKI for verifyIssued's noble path (public values only): decoded once, and a
 * key verified again gets wNAF tables (noble `precompute`, window 4) so that u2·P walks them like
 * u1·G walks the base point's: R = u1·G + u2·P then costs ≈ 1.1–1.6 ms against ≈ 3.2–4.4 ms for
 * noble's joint multiplication with no tables (secp256k1, P-256; docs/benchmarks.md "One
 * verification"). Tables cost ≈ 150–250 KiB and a few ms to build, so a key gets them on its second
 * verification and at most TABLES_MAX keys keep them (the most recently used).
 */
const verifyPoints = new Map<string, { point: EcdsaPoint; uses: number }>();
const VERIFY_POINTS_MAX = 4096;
const withTables = new Set<string>();
const TABLES_MAX = 64;

function verifyPoint(curve: EcdsaCurve, spki: Uint8Array): EcdsaPoint {
  const cacheKey = Buffer.from(spki).toString('hex');
  let e = verifyPoints.get(cacheKey);
  if (!e) {
    // The uncompressed point (no square root), checked on the curve by fromBytes.
    e = { point: curve.Point.fromBytes(spki.subarray(spki.length - 65)), uses: 0 };
    if (verifyPoints.size >= VERIFY_POINTS_MAX) {
      const oldest = verifyPoints.keys().next().value!;
      verifyPoints.delete(oldest);
      withTables.delete(oldest);
    }
    verifyPoints.set(cacheKey, e);
  }
  if (++e.uses === 2) {
    if (withTables.size >= TABLES_MAX) {
      // The least recently tabled key goes back to a plain point (its tables are freed with it).
      const oldest = withTables.values().next().value!;
      withTables.delete(oldest);
      const o = verifyPoints.get(oldest);
      if (o) verifyPoints.set(oldest, { point: curve.Point.fromAffine(o.point.toAffine()), uses: 1 });
    }
    e.point = curve.Point.fromAffine(e.point.toAffine()).precompute(4, false);
    withTables.add(cacheKey);
  } else if (withTables.has(cacheKey)) {
    withTables.delete(cacheKey);
    withTables.add(cacheKey);
  }
  return e.point;
}

/**
 * The one check of a signature this gateway made itself before Sign returns it (the presigned
 * path: services/coordinator/sign.ts, where the combine of protocols/dkls23/presign.ts is verified
 * nowhere else): ECDSA, low-S, over what the request signs. OpenSSL (node:crypto) for a RAW
 * message under ECDSA_SHA_256 — a different library from the noble arithmetic that combined it, and
 * ≈ 0.9 ms against noble's ≈ 5 ms here (docs/benchmarks.md) — but node:crypto hashes its input
 * itself, so a DIGEST, and ECDSA_KECCAK_256, are verified by noble over the digest, with the key's
 * point decoded once and given precomputed tables (verifyPoint).
 * `signature` is DER, as the API returns it.
 */
export function verifyIssued(
  info: KeySpecInfo,
  spki: Uint8Array,
  req: { signingAlgorithm: string; messageType: string; message: Uint8Array },
  signature: Uint8Array,
): boolean {
  if (info.scheme !== 'ecdsa') return verifySignature(info, spki, req, signature);
  try {
    const curve = info.curve!;
    const sig = curve.Signature.fromBytes(signature, 'der');
    const { Fn } = curve.Point;
    if (sig.s > Fn.ORDER >> 1n) return false; // Sign returns low-S only
    if (req.signingAlgorithm === 'ECDSA_SHA_256' && req.messageType === 'RAW') {
      return nodeVerify('sha256', req.message, { key: keyObject(spki), dsaEncoding: 'der' }, signature);
    }
    const digest = ecdsaDigest(req.signingAlgorithm, req.messageType, req.message);
    if (digest.length !== 32 || !Fn.isValidNot0(sig.r) || !Fn.isValidNot0(sig.s)) return false;
    const is = Fn.inv(sig.s);
    // SEC 1 v2 §4.1.4: R = u1·G + u2·P, each walking its precomputed tables (verifyPoint).
    const R = curve.Point.BASE.multiplyUnsafe(Fn.mul(Fn.create(bytesToNumberBE(digest)), is)).add(verifyPoint(curve, spki).multiplyUnsafe(Fn.mul(sig.r, is)));
    return !R.is0() && Fn.create(R.toAffine().x) === sig.r;
  } catch {
    return false;
  }
}
