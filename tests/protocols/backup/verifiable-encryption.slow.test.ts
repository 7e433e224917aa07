// The verifiable-encryption cases of verifiable-encryption.test.ts that walk every bit's proof once
// more (verifiable-encryption-cases.ts), each a variant of what `npm test` keeps: the honest backup
// on Ed25519, secp256k1 and P-256 (an honest backup verifies and decrypts in `npm test` through
// share-backup.test.ts, dkls23-restore.test.ts and tests/services/main/backup.test.ts, on Ed25519
// and secp256k1); the tampered sum proof on Ed25519 and secp256k1 and the backup of another share
// on secp256k1 (`npm test` refuses the backup of another share on Ed25519: the same sum-proof check).
import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { decryptShare, encryptShare, recoveryKeyFromSeed, verifyEncryptedShare } from '../../../protocols/backup/verifiable-encryption.ts';
import { fromHex } from '../../../protocols/core/bytes.ts';
import { backupCases, binding, refused, shareOn } from './verifiable-encryption-cases.ts';

const seed = randomBytes(32);

describe('ed25519 backup', () => backupCases('ed25519', seed, { honest: true, sumProof: true }));
describe('secp256k1 backup', () => backupCases('secp256k1', seed, { honest: true, otherShare: true, sumProof: true }));

test('p256: an honest backup verifies and decrypts to the share', () => {
  const { x, X } = shareOn('p256');
  const { secret: y, publicKey } = recoveryKeyFromSeed(seed, 'p256');
  const enc = encryptShare('p256', binding, x, X, fromHex(publicKey), randomBytes);
  expect(decryptShare('p256', binding, X, y, enc)).toBe(x);
  refused(() => verifyEncryptedShare('p256', { ...binding, partyId: 'party-9' }, X, fromHex(publicKey), enc), 'invalid-proof');
}, 60_000);
