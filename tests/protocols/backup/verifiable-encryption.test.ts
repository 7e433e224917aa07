// Verifiable encryption of a share to the operator's recovery key (protocols/backup/
// verifiable-encryption.ts): anything but an honest backup is refused before anyone decrypts. The
// cases are in verifiable-encryption-cases.ts: on Ed25519 and secp256k1 every refusal that stops at
// its first bad bit or before any proof, and on Ed25519 the backup of another share (honest bit
// proofs, bits that do not add up: the sum proof refuses it). The cases that walk every bit's proof
// once more are variants in verifiable-encryption.slow.test.ts (the honest backup on every curve,
// the tampered sum proof, the other share on secp256k1); an honest backup still verifies and
// decrypts on both curves in `npm test` through share-backup.test.ts, dkls23-restore.test.ts and
// tests/services/main/backup.test.ts (the header of verifiable-encryption-cases.ts says which).
import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { backupCases, refused } from './verifiable-encryption-cases.ts';

const seed = randomBytes(32);

describe('ed25519 backup', () => backupCases('ed25519', seed, { light: true, otherShare: true }));
describe('secp256k1 backup', () => backupCases('secp256k1', seed, { light: true }));

test('one seed gives one independent recovery key per curve, the same every time', () => {
  const keys = (['secp256k1', 'p256', 'ed25519', 'ed448'] as const).map((c) => recoveryKeyFromSeed(seed, c).publicKey);
  expect(new Set(keys).size).toBe(4);
  expect(recoveryKeyFromSeed(seed, 'ed25519')).toEqual(recoveryKeyFromSeed(Uint8Array.from(seed), 'ed25519'));
  refused(() => recoveryKeyFromSeed(seed.slice(1), 'ed25519'), 'bad-parameters');
});
