// recordHolders (services/coordinator/record-holders.ts): the key record follows a reshare or a
// refresh without some parties, written by the session's flow and by a member's activation report
// on (re)connect — in either order. The second writer accepts a record already moved to the same
// holders; a record moved anywhere else is still a conflict. (Found in CI: a newcomer restarted
// right as its ReshareKey finished made the flow's write fail with a 500 after the reconnect's
// report had recorded the same holders; tests/e2e/reshare-dkls-kill.slow.test.ts.)
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../services/storage/db.ts';
import { sqliteGatewayStore, type GatewayStore } from '../../../services/storage/gateway-store.ts';
import { KeyRepositoryError, type StoredKey } from '../../../services/storage/key-repository.ts';
import { recordHolders } from '../../../services/coordinator/record-holders.ts';
import { storedKey } from '../../support/stored-key.ts';

const OLD = ['party-1', 'party-2', 'party-3'];

const key = (keyId: string): StoredKey => storedKey(keyId, { parties: [...OLD] });

let dir = '';
let store: GatewayStore;
let id = '';

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-record-holders-'));
  store = sqliteGatewayStore(openDatabase(join(dir, 'keys.db')), { closeDb: true });
  id = randomUUID();
  await store.keys.insert(key(id));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a reshare (new holders and threshold)', () => {
  const NEW = ['party-2', 'party-3', 'party-4'];

  test('moves the record and owes the leaver a share deletion', async () => {
    await recordHolders(store.keys, id, OLD, NEW, 2, 5);
    const k = (await store.keys.get(id))!;
    expect([k.parties, k.threshold]).toEqual([NEW, 2]);
    expect(await store.keys.pendingShareDeletions()).toEqual([{ keyId: id, partyId: 'party-1' }]);
  });

  test('the second writer of the same move succeeds and changes nothing', async () => {
    await recordHolders(store.keys, id, OLD, NEW, 2, 5); // the reconnect's report, first
    await recordHolders(store.keys, id, OLD, NEW, 2, 6); // the ReshareKey flow, second
    const k = (await store.keys.get(id))!;
    expect([k.parties, k.threshold]).toEqual([NEW, 2]);
    expect(await store.keys.pendingShareDeletions()).toEqual([{ keyId: id, partyId: 'party-1' }]);
  });

  test('a record moved elsewhere, or to the same parties under another threshold, is still a conflict', async () => {
    await recordHolders(store.keys, id, OLD, ['party-3', 'party-4'], 2, 5);
    await expect(recordHolders(store.keys, id, OLD, NEW, 2, 6)).rejects.toBeInstanceOf(KeyRepositoryError);
    await expect(recordHolders(store.keys, id, ['party-3', 'party-4'], ['party-3', 'party-4'], 1, 7)).resolves.toBeUndefined();
    await expect(recordHolders(store.keys, id, OLD, ['party-3', 'party-4'], 2, 8)).rejects.toBeInstanceOf(KeyRepositoryError);
  });
});

describe('a refresh without some parties (holders only)', () => {
  test('the second writer of the same move succeeds; another move is a conflict', async () => {
    await recordHolders(store.keys, id, OLD, ['party-1', 'party-2'], undefined, 5);
    await recordHolders(store.keys, id, OLD, ['party-1', 'party-2'], undefined, 6);
    expect((await store.keys.get(id))!.parties).toEqual(['party-1', 'party-2']);
    await expect(recordHolders(store.keys, id, OLD, ['party-1', 'party-3'], undefined, 7)).rejects.toBeInstanceOf(KeyRepositoryError);
  });

  test('a key that does not exist is not "already moved"', async () => {
    await expect(recordHolders(store.keys, randomUUID(), OLD, ['party-1', 'party-2'], undefined, 5)).rejects.toBeInstanceOf(KeyRepositoryError);
  });
});
