// The key specs this service offers, what protocol makes them, and how their public keys and
// signatures look on the wire (kms-compat §3). The only place that maps KMS names to protocols.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';

export type KeySpecInfo = {
  keySpec: string;
  /** Protocol family the parties run (the FROST suite name for EdDSA). */
  protocol: 'frost-ed25519' | 'frost-ed448';
  signingAlgorithms: string[];
  publicKeyBytes: number;
  signatureBytes: number;
  /** DER SubjectPublicKeyInfo prefix (RFC 8410 for Ed25519 / Ed448); the raw key follows. */
  spkiPrefix: string;
};

export const KEY_SPECS: Record<string, KeySpecInfo> = {
  // AWS's own name for Ed25519 (botocore 1.40.69). Only pure Ed25519 is offered: RFC 9591 FROST
  // computes H2 without the dom2 prefix Ed25519ph needs (kms-compat §3.2).
  ECC_NIST_EDWARDS25519: {
    keySpec: 'ECC_NIST_EDWARDS25519', protocol: 'frost-ed25519', signingAlgorithms: ['ED25519_SHA_512'],
    publicKeyBytes: 32, signatureBytes: 64, spkiPrefix: '302a300506032b6570032100',
  },
  // Extension (kms-compat §3.5): Ed448 is NIST "Edwards448" in SP 800-186.
  ECC_NIST_EDWARDS448: {
    keySpec: 'ECC_NIST_EDWARDS448', protocol: 'frost-ed448', signingAlgorithms: ['ED448_SHAKE_256'],
    publicKeyBytes: 57, signatureBytes: 114, spkiPrefix: '3043300506032b6571033a00',
  },
};

export function spkiDer(info: KeySpecInfo, rawPublicKey: Uint8Array): Uint8Array {
  if (rawPublicKey.length !== info.publicKeyBytes) {
    throw new Error(`public key for ${info.keySpec} must be ${info.publicKeyBytes} bytes, got ${rawPublicKey.length}`);
  }
  return Uint8Array.from(Buffer.concat([Buffer.from(info.spkiPrefix, 'hex'), rawPublicKey]));
}

const keyObjects = new Map<string, KeyObject>();

/**
 * The independent verifier (non-negotiable 7): OpenSSL through node:crypto, not the library the
 * parties signed with. Pure EdDSA: the message is passed as is (RFC 8032 §5.1.7, §5.2.7).
 */
export function verifyWithSpki(spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const cacheKey = Buffer.from(spki).toString('hex');
  let key = keyObjects.get(cacheKey);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (keyObjects.size > 10_000) keyObjects.clear();
    keyObjects.set(cacheKey, key);
  }
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
