// A key share's backup entry (protocols/backup/share-backup.ts): what it keeps of the share (its
// public part, never the scalar; for DKLs23 not the pairwise OT seeds either), that it verifies
// without the recovery secret and restores a FROST share exactly, and what it refuses.
import { randomBytes } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { backupShare, restoreFrostShare, verifyShareBackup, type ShareBackup } from '../../../protocols/backup/share-backup.ts';
import { BackupProofError, recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import { makeKeyShare } from '../../../protocols/frost/share.ts';
import { frostSuite } from '../../../protocols/frost/suite.ts';

const KEY = '0a0a0a0a-1111-2222-3333-444444444444';
const seed = randomBytes(32);
const scalar = (q: bigint) => 1n + (BigInt('0x' + bytesToHex(randomBytes(48))) % (q - 1n));

test('FROST: the entry holds no signing share, verifies, and restores the same share', () => {
  const q = ed25519.Point.Fn.ORDER;
  const a = [scalar(q), scalar(q)];
  const commitments = a.map((c) => ed25519.Point.BASE.multiply(c));
  const share = makeKeyShare(frostSuite('ed25519'), 2, 3, 2, (a[0]! + 2n * a[1]!) % q, commitments, new Uint8Array(64).fill(1));
  const y = recoveryKeyFromSeed(seed, 'ed25519');
  const b = backupShare({ keyId: KEY, partyId: 'party-2', shareVersion: 5, protocol: 'frost-ed25519', share, recoveryKey: y.publicKey }, randomBytes);
  expect(b.publicShare).not.toHaveProperty('signingShare');
  expect(JSON.stringify(b)).not.toContain(share.signingShare);
  expect(() => verifyShareBackup(b, { recoveryKey: y.publicKey, publicKey: share.groupPublicKey })).not.toThrow();
  expect(restoreFrostShare(b, y.secret)).toEqual(share);
  // A public part whose verifying shares are not the commitments' is refused before any proof.
  const forged = JSON.parse(JSON.stringify(b)) as ShareBackup;
  const vs = forged.publicShare.verifyingShares as Record<string, string>;
  [vs['1'], vs['3']] = [vs['3']!, vs['1']!];
  expect(() => verifyShareBackup(forged)).toThrow(BackupProofError);
  expect(() => verifyShareBackup(b, { verificationShares: vs })).toThrow(/verification shares are not the key/);
}, 120_000);

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
