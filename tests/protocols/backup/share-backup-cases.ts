// A FROST Ed25519 share and its backup entry, for share-backup.test.ts and
// share-backup.slow.test.ts (not a test file).
import { randomBytes } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { backupShare, type ShareBackup } from '../../../protocols/backup/share-backup.ts';
import { recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import { makeKeyShare, type FrostKeyShare } from '../../../protocols/frost/share.ts';
import { frostSuite } from '../../../protocols/frost/suite.ts';

export const KEY = '0a0a0a0a-1111-2222-3333-444444444444';
export const scalar = (q: bigint) => 1n + (BigInt('0x' + bytesToHex(randomBytes(48))) % (q - 1n));

/** Share 2 of a 2-of-3 FROST Ed25519 key (a random polynomial), encrypted to the seed's recovery key. */
export function frostBackup(seed: Uint8Array): { share: FrostKeyShare; y: { secret: bigint; publicKey: string }; b: ShareBackup } {
  const q = ed25519.Point.Fn.ORDER;
  const a = [scalar(q), scalar(q)];
  const commitments = a.map((c) => ed25519.Point.BASE.multiply(c));
  const share = makeKeyShare(frostSuite('ed25519'), 2, 3, 2, (a[0]! + 2n * a[1]!) % q, commitments, new Uint8Array(64).fill(1));
  const y = recoveryKeyFromSeed(seed, 'ed25519');
  const b = backupShare({ keyId: KEY, partyId: 'party-2', shareVersion: 5, protocol: 'frost-ed25519', share, recoveryKey: y.publicKey }, randomBytes);
  return { share, y, b };
}
