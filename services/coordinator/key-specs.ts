// The key specs this service offers, what protocol makes them, and how their public keys and
// signatures look on the wire (kms-compat §3). The only place that maps KMS names to protocols.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { signingDigest } from '../../policies/digest.ts';

type EcdsaCurve = typeof secp256k1 | typeof p256;

export type KeySpecInfo = {
  keySpec: string;
  /** Protocol the parties run: the FROST suite for EdDSA, the DKLs23 curve for ECDSA. */
  protocol: 'frost-ed25519' | 'frost-ed448' | 'dkls23-secp256k1' | 'dkls23-p256';
  /** 'eddsa': pure EdDSA, signs the message itself; 'ecdsa': signs a 32-byte digest (DIGEST, or the hash of RAW). */
  scheme: 'eddsa' | 'ecdsa';
  /** As the DescribeKey / GetPublicKey SigningAlgorithms list them: AWS's values first (kms-compat §3.4). */
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

export const KEY_SPECS: Record<string, KeySpecInfo> = {
  // AWS's own name for Ed25519 (botocore 1.40.69), with AWS's two algorithms: pure Ed25519 (RAW) and
  // Ed25519ph (DIGEST of 64 bytes, hashed again; kms-compat §3.2), which the parties compute as FROST
  // with the dom2(1, "") prefix in H2 (protocols/frost/suite.ts 'ed25519ph').
  ECC_NIST_EDWARDS25519: {
    keySpec: 'ECC_NIST_EDWARDS25519', protocol: 'frost-ed25519', scheme: 'eddsa', signingAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    publicKeyBytes: 32, signatureBytes: 64, spkiPrefix: '302a300506032b6570032100',
  },
  // Extension (kms-compat §3.5): Ed448 is NIST "Edwards448" in SP 800-186.
  ECC_NIST_EDWARDS448: {
    keySpec: 'ECC_NIST_EDWARDS448', protocol: 'frost-ed448', scheme: 'eddsa', signingAlgorithms: ['ED448_SHAKE_256'],
    publicKeyBytes: 57, signatureBytes: 114, spkiPrefix: '3043300506032b6571033a00',
  },
  // DKLs23 threshold ECDSA (issue 4). ECDSA_KECCAK_256 is the Ethereum extension (kms-compat §3.5):
  // RAW is hashed with Keccak-256 (or, for EIP-712 JSON, is the EIP-712 digest), DIGEST is 32 bytes as given.
  ECC_SECG_P256K1: {
    keySpec: 'ECC_SECG_P256K1', protocol: 'dkls23-secp256k1', scheme: 'ecdsa', signingAlgorithms: ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'],
    publicKeyBytes: 33, signatureBytes: 64, spkiPrefix: '3056301006072a8648ce3d020106052b8104000a034200', curve: secp256k1,
  },
  ECC_NIST_P256: {
    keySpec: 'ECC_NIST_P256', protocol: 'dkls23-p256', scheme: 'ecdsa', signingAlgorithms: ['ECDSA_SHA_256'],
    publicKeyBytes: 33, signatureBytes: 64, spkiPrefix: '3059301306072a8648ce3d020106082a8648ce3d030107034200', curve: p256,
  },
};

/** AWS's DIGEST length per algorithm (kms-compat §3.1, §3.2, §3.5); pure EdDSA has none. */
export const DIGEST_BYTES: Record<string, number> = { ECDSA_SHA_256: 32, ECDSA_KECCAK_256: 32, ED25519_PH_SHA_512: 64 };

/** Algorithms AWS takes only with MessageType DIGEST (kms-compat §3.2). */
export const DIGEST_ONLY_ALGORITHMS: readonly string[] = ['ED25519_PH_SHA_512'];

/**
 * DER SubjectPublicKeyInfo of a key as GetPublicKey returns it: the raw EdDSA key (RFC 8410), or the
 * EC point uncompressed (04 ‖ X ‖ Y, RFC 5480; kms-compat §3.3: clients slice off the 04).
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
 * own signatures are about half high-S (kms-compat §0.11) — and, for ECDSA_SHA_256 over a RAW
 * message, OpenSSL as well (node:crypto hashes the message itself; it cannot take a digest).
 * Both must accept. `signature` is what the API carries: raw EdDSA bytes, DER ECDSA.
 */
export function verifySignature(info: KeySpecInfo, spki: Uint8Array, req: { signingAlgorithm: string; messageType: string; message: Uint8Array }, signature: Uint8Array): boolean {
  try {
    if (req.signingAlgorithm === 'ED25519_PH_SHA_512') {
      // Ed25519ph of the bytes given (AWS hashes a DIGEST again, kms-compat §3.2): noble's RFC 8032
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
