// Verifiable encryption of a share to the operator's recovery key (protocols/backup/
// verifiable-encryption.ts): honest backups verify against the public verification share alone and
// decrypt to the share on every curve; anything else is refused before anyone decrypts. The cases
// are in verifiable-encryption-cases.ts: every one on Ed25519, and on secp256k1 the honest backup
// and every refusal but the two that walk every bit's proof first (those, and P-256's honest
// backup, are in verifiable-encryption.slow.test.ts).
import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { backupCases, refused } from './verifiable-encryption-cases.ts';

const seed = randomBytes(32);

describe('ed25519 backup', () => backupCases('ed25519', seed, { light: true, heavy: true }));
describe('secp256k1 backup', () => backupCases('secp256k1', seed, { light: true, heavy: false }));

test('one seed gives one independent recovery key per curve, the same every time', () => {
  const keys = (['secp256k1', 'p256', 'ed25519', 'ed448'] as const).map((c) => recoveryKeyFromSeed(seed, c).publicKey);
  expect(new Set(keys).size).toBe(4);
  expect(recoveryKeyFromSeed(seed, 'ed25519')).toEqual(recoveryKeyFromSeed(Uint8Array.from(seed), 'ed25519'));
  refused(() => recoveryKeyFromSeed(seed.slice(1), 'ed25519'), 'bad-parameters');
});
