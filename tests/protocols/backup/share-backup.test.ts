// A key share's backup entry (protocols/backup/share-backup.ts): what it keeps of the share (its
// public part, never the scalar; for DKLs23 not the pairwise OT seeds either), that it verifies
// without the recovery secret, and what it refuses. That a FROST entry verifies against the
// group's public key and restores the very share is in share-backup.slow.test.ts (two walks over
// every bit's proof, seconds): `npm test` exports, verifies and restores a FROST Ed25519 share
// through the same functions in tests/services/main/backup.test.ts (restored share equal to the
// original) and the e2e backup drill; the DKLs23 entry below verifies here.
import { randomBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { backupShare, restoreFrostShare, verifyShareBackup, type ShareBackup } from '../../../protocols/backup/share-backup.ts';
import { KEY, frostBackup, scalar } from './share-backup-cases.ts';
import { BackupProofError, recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { bytesToHex } from '../../../protocols/core/bytes.ts';

const seed = randomBytes(32);

test('FROST: the entry holds no signing share; a public part that is not the key’s is refused before any proof', () => {
  const { share, y, b } = frostBackup(seed);
  expect(b.publicShare).not.toHaveProperty('signingShare');
  expect(JSON.stringify(b)).not.toContain(share.signingShare);
  expect(b.recoveryKey).toBe(y.publicKey);
  // A public part whose verifying shares are not the commitments' is refused before any proof.
  const forged = JSON.parse(JSON.stringify(b)) as ShareBackup;
  const vs = forged.publicShare.verifyingShares as Record<string, string>;
  [vs['1'], vs['3']] = [vs['3']!, vs['1']!];
  expect(() => verifyShareBackup(forged)).toThrow(BackupProofError);
  expect(() => verifyShareBackup(b, { verificationShares: vs })).toThrow(/verification shares are not the key/);
});

test('DKLs23: the entry keeps neither the scalar nor the OT seeds, verifies; it is not a FROST share', () => {
  const q = secp256k1.Point.Fn.ORDER;
  const x = scalar(q);
  const X = bytesToHex(secp256k1.Point.BASE.multiply(x).toBytes(true));
  const share = {
    curve: 'secp256k1',
    index: 1,
    n: 2,
    t: 2,
    secretShare: x.toString(16).padStart(64, '0'),
    publicKey: bytesToHex(secp256k1.Point.BASE.multiply(scalar(q)).toBytes(true)),
    commitments: [],
    verificationShares: { '1': X, '2': bytesToHex(secp256k1.Point.BASE.multiply(scalar(q)).toBytes(true)) },
    dkgSessionId: 'ab'.repeat(32),
    transcriptHash: 'cd'.repeat(32),
    peers: { '2': { zeroSeed: 'ee'.repeat(32), voleReceiverSeeds: '11', voleSenderDelta: '22', voleSenderSeeds: '33' } },
  };
  const y = recoveryKeyFromSeed(seed, 'secp256k1');
  const b = backupShare({ keyId: KEY, partyId: 'party-1', shareVersion: 1, protocol: 'dkls23-secp256k1', share, recoveryKey: y.publicKey }, randomBytes);
  expect(Object.keys(b.publicShare).sort()).toEqual([
    'commitments',
    'curve',
    'dkgSessionId',
    'index',
    'n',
    'publicKey',
    't',
    'transcriptHash',
    'verificationShares',
  ]);
  expect(JSON.stringify(b)).not.toContain(share.secretShare);
  expect(b.verificationShare).toBe(X);
  expect(() => verifyShareBackup(b, { recoveryKey: y.publicKey })).not.toThrow();
  expect(() => restoreFrostShare(b, y.secret)).toThrow(/not a FROST share/);
}, 120_000);
