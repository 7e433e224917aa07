// A FROST share's backup entry verifies against the group's public key without the recovery secret
// and restores the very share (protocols/backup/share-backup.ts): two walks over every bit's proof
// (seconds), a variant of what `npm test` runs through the same functions in
// tests/services/main/backup.test.ts (backup-export, backup-verify --public-key, backup-restore of a
// FROST Ed25519 share, restored equal to the original) and the e2e backup drill. The entry's
// contents and its refusals are in share-backup.test.ts.
import { expect, test } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { restoreFrostShare, verifyShareBackup } from '../../../protocols/backup/share-backup.ts';
import { frostBackup } from './share-backup-cases.ts';

test('FROST: the entry verifies without the recovery secret, and restores the same share', () => {
  const { share, y, b } = frostBackup(randomBytes(32));
  expect(() => verifyShareBackup(b, { recoveryKey: y.publicKey, publicKey: share.groupPublicKey })).not.toThrow();
  expect(restoreFrostShare(b, y.secret)).toEqual(share);
}, 120_000);
