// A DKLs23 share restored from its backup (protocols/backup/share-backup.ts restoreDklsDealerShare):
// dealer-only (the scalar and the key's public part, no OT material, none invented). It deals in a
// reshare as the holder it was backed up from — here the restored party also receives, as the
// drill's new machine does — and the new set signs under the same public key (verified by @noble
// and node:crypto); asked to sign, presign or refresh it is refused before any message.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { backupShare, restoreShare } from '../../../protocols/backup/share-backup.ts';
import { recoveryKeyFromSeed } from '../../../protocols/backup/verifiable-encryption.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { isDealerOnlyShare, parseDealerShare, parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { createDklsSign } from '../../../protocols/dkls23/sign.ts';
import { createDklsPresign } from '../../../protocols/dkls23/presign.ts';
import { createDklsRefresh } from '../../../protocols/dkls23/refresh.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { CONTEXT } from '../dkls23/session-fixtures.ts';
import { seededRng, sid } from '../dkls23/fixtures.ts';
import { expectSigns, newShares, run } from '../dkls23/reshare-fixtures.ts';

const KEY = '0b0b0b0b-1111-2222-3333-444444444444';
const seed = randomBytes(32);

/**
 * Party 1's share of the cached 2-of-3 key, through backup and restore. Made once for the file: a
 * backup is a verifiable encryption of every bit of the share, and each restore verifies every
 * bit's proof (seconds on secp256k1); the cases below need one restored share, not three. The
 * restore is `restoreShare` (the entry point services/main/backup.ts calls, which hands a DKLs23
 * entry to restoreDklsDealerShare): the first case checks that it gives the dealer-only share.
 */
let made: { original: DklsKeyShare; share: DklsKeyShare } | undefined;
function restored(): { original: DklsKeyShare; share: DklsKeyShare } {
  if (made) return made;
  const key = testKey('secp256k1-2of3');
  const original = key.shares.get(1)!;
  const y = recoveryKeyFromSeed(seed, 'secp256k1');
  const b = backupShare(
    { keyId: KEY, partyId: 'party-1', shareVersion: 1, protocol: 'dkls23-secp256k1', share: original, recoveryKey: y.publicKey },
    randomBytes,
  );
  const share = restoreShare(b, y.secret) as DklsKeyShare;
  return (made = { original, share });
}

describe('a restored DKLs23 share', () => {
  test('is the original without its OT material, marked dealer-only', () => {
    const { original, share } = restored();
    const { peers: _peers, ...publicAndSecret } = original;
    expect(share).toEqual({ ...publicAndSecret, peers: {}, dealerOnly: true });
    expect(isDealerOnlyShare(share)).toBe(true);
    expect(isDealerOnlyShare(original)).toBe(false);
    expect(parseDealerShare(share).secretShare).toBe(parseKeyShare(original).secretShare);
    // OT material planted in a dealer-only share is refused (it is never used, and never trusted).
    expect(() => parseDealerShare({ ...share, peers: original.peers })).toThrow(/holds no OT material/);
  });

  test('deals as a stand-in for the lost holder; the new set signs under the same public key', () => {
    const key = testKey('secp256k1-2of3');
    const { share } = restored();
    // Old holder 1 is lost and 3 is down; the restored share deals as old 1 and its new machine
    // receives (new 2); old 2 deals and stays (new 1). The dealers see only the restored share.
    const members = [
      { old: 2, new: 1 },
      { old: 1, new: 2 },
    ];
    const old = new Map([
      [1, share],
      [2, key.shares.get(2)!],
    ]);
    const sim = run(key.curve, old, members, 2, 'backup/dkls23-restore/reshare');
    const shares = newShares(sim, members);
    // The restored party now holds a full share with fresh OT setup with its new peer.
    const fresh = shares.get(2)!;
    expect(isDealerOnlyShare(fresh)).toBe(false);
    expect(Object.keys(fresh.peers)).toEqual(['1']);
    expect(parseKeyShare(fresh).index).toBe(2);
    expect(fresh.publicKey).toBe(share.publicKey);
    expectSigns(key.curve, shares, [1, 2], key.publicKey, 'backup/dkls23-restore/sign');
  }, 120_000);

  test('refuses to sign, presign or refresh, before any message', () => {
    const { share } = restored();
    const common = { curve: 'secp256k1' as const, sessionId: sid('backup/dkls23-restore/refused'), self: 1, share, rng: seededRng('refused') };
    const refusals = [
      () => createDklsSign({ ...common, signers: [1, 2], digest: sha256(new Uint8Array(1)) }),
      () => createDklsPresign({ ...common, signers: [1, 2] }),
      () => createDklsRefresh({ ...common, context: CONTEXT }),
    ];
    for (const f of refusals) {
      expect(f).toThrow(ProtocolError);
      expect(f).toThrow(/restored from a backup without OT material: it only deals in a reshare/);
    }
  });
});
