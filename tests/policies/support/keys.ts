// Deterministic approver keys for the fixtures: secret = SHA-256("tutti-test-approver:" + id).
// The fixture policies list the matching public keys; nothing here is a real key.
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';

export type Scheme = 'ed25519' | 'secp256k1';

export const SCHEMES: Record<string, Scheme> = {
  'owner-device': 'secp256k1',
  'sec-officer': 'ed25519',
  cfo: 'ed25519',
  'signer-a': 'secp256k1',
  'signer-b': 'secp256k1',
  'signer-c': 'ed25519',
  'user-device': 'ed25519',
  operator: 'ed25519',
  service: 'secp256k1',
  mallory: 'ed25519',
};

export function approverKey(
  id: string,
  scheme: Scheme = SCHEMES[id] ?? 'ed25519',
): { approverId: string; scheme: Scheme; secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = sha256(new TextEncoder().encode(`tutti-test-approver:${id}`));
  const publicKey = scheme === 'ed25519' ? ed25519.getPublicKey(secretKey) : secp256k1.getPublicKey(secretKey, true);
  return { approverId: id, scheme, secretKey, publicKey };
}
