// What happens to a party's bans when a refresh becomes active (services/party/refresh.ts
// bansAfterRefresh, storage BanStore.replaceKey): lifted on request; otherwise bans against parties
// left out of the key go with them and the rest move to the peer's new index, committed with the
// share's activation.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { BanStore, type Ban } from '../../../services/storage/ban-store.ts';
import { bansAfterRefresh } from '../../../services/party/refresh.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const ban = (peerIndex: number, peerId: string): Ban => ({
  keyId: KEY,
  peerIndex,
  peerId,
  shareVersion: 1,
  session: 'ab'.repeat(32),
  reason: '[ban] test',
  bannedAt: 1000 + peerIndex,
});

describe('bansAfterRefresh', () => {
  // A 2-of-5 key; this party banned party 2 and party 5.
  const bans = [ban(2, 'party-2'), ban(5, 'party-5')];

  test('a full refresh keeps every ban where it is, or lifts them all', () => {
    expect(bansAfterRefresh(bans, [1, 2, 3, 4, 5], false)).toEqual(bans);
    expect(bansAfterRefresh(bans, [1, 2, 3, 4, 5], true)).toEqual([]);
  });

  test('without party 2 and 4: the ban of party 2 goes with it, party 5 (now party 3) stays banned under its new index', () => {
    expect(bansAfterRefresh(bans, [1, 3, 5], false)).toEqual([{ ...ban(5, 'party-5'), peerIndex: 3 }]);
    expect(bansAfterRefresh(bans, [1, 3, 5], true)).toEqual([]);
  });
});

describe('BanStore.replaceKey', () => {
  let dir: string;
  let db: Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-bans-'));
    db = openDatabase(join(dir, 'shares.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("replaces one key's bans, leaves other keys alone, and rolls back with the transaction around it", () => {
    const store = new BanStore(db);
    const other = '99999999-2222-4333-8444-555555555555';
    store.ban(ban(2, 'party-2'));
    store.ban(ban(5, 'party-5'));
    store.ban({ ...ban(3, 'party-3'), keyId: other });
    store.replaceKey(KEY, [{ ...ban(5, 'party-5'), peerIndex: 3 }]);
    expect(store.ofKey(KEY)).toEqual([{ ...ban(5, 'party-5'), peerIndex: 3 }]);
    expect(store.ofKey(other)).toHaveLength(1);
    expect(() =>
      store.transaction(() => {
        store.replaceKey(KEY, []);
        throw new Error('activation failed');
      }),
    ).toThrow('activation failed');
    expect(store.ofKey(KEY)).toEqual([{ ...ban(5, 'party-5'), peerIndex: 3 }]);
  });
});
