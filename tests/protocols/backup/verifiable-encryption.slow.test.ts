// The verifiable-encryption cases of verifiable-encryption.test.ts that repeat, on another curve, a
// check that walks every bit's proof (verifiable-encryption-cases.ts): the two such refusals on
// secp256k1 (npm test runs them on Ed25519) and P-256's honest backup (npm test runs secp256k1's).
import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { decryptShare, encryptShare, recoveryKeyFromSeed, verifyEncryptedShare } from '../../../protocols/backup/verifiable-encryption.ts';
import { fromHex } from '../../../protocols/core/bytes.ts';
import { backupCases, binding, refused, shareOn } from './verifiable-encryption-cases.ts';

const seed = randomBytes(32);

describe('secp256k1 backup', () => backupCases('secp256k1', seed, { light: false, heavy: true }));

test('p256: an honest backup verifies and decrypts to the share', () => {
  const { x, X } = shareOn('p256');
  const { secret: y, publicKey } = recoveryKeyFromSeed(seed, 'p256');
  const enc = encryptShare('p256', binding, x, X, fromHex(publicKey), randomBytes);
  expect(decryptShare('p256', binding, X, y, enc)).toBe(x);
  refused(() => verifyEncryptedShare('p256', { ...binding, partyId: 'party-9' }, X, fromHex(publicKey), enc), 'invalid-proof');
}, 60_000);
