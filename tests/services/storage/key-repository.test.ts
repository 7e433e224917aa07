import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { MIGRATIONS, migrate, openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository, KeyRepositoryError, type StoredKey } from '../../../services/storage/key-repository.ts';

let dir: string;
let db: Database;
let repo: KeyRepository;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-keys-'));
  db = openDatabase(join(dir, 'coordinator.db'));
  repo = new KeyRepository(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function key(creationDate: number, keyId: string = randomUUID()): StoredKey {
  return {
    keyId,
    arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    accountId: '111122223333',
    region: 'eu-west-1',
    creationDate,
    description: 'reward key',
    keyUsage: 'SIGN_VERIFY',
    keySpec: 'ECC_NIST_EDWARDS25519',
    keyState: 'Creating',
    protocol: 'frost-ed25519',
    threshold: 2,
    parties: ['party-a', 'party-b', 'party-c'],
    publicKey: null,
    policyHash: 'ab'.repeat(32),
    tags: [{ TagKey: 'team', TagValue: 'nodes' }],
    deletionDate: null,
    pendingWindowInDays: null,
    policy: null,
  };
}

describe('KeyRepository', () => {
  test('insert, get, update, delete', () => {
    const k = key(1_700_000_000_000);
    repo.insert(k);
    expect(repo.get(k.keyId)).toEqual(k);
    expect(repo.get('nope')).toBeUndefined();

    repo.update(k.keyId, { keyState: 'Enabled', publicKey: 'cd'.repeat(32), tags: [] });
    expect(repo.get(k.keyId)).toEqual({ ...k, keyState: 'Enabled', publicKey: 'cd'.repeat(32), tags: [] });

    repo.update(k.keyId, { keyState: 'PendingDeletion', deletionDate: 1_800_000_000_000, description: undefined });
    expect(repo.get(k.keyId)).toMatchObject({ keyState: 'PendingDeletion', deletionDate: 1_800_000_000_000, description: 'reward key' });
    repo.update(k.keyId, { keyState: 'Disabled', deletionDate: null });
    expect(repo.get(k.keyId)?.deletionDate).toBeNull();

    expect(repo.delete(k.keyId)).toBe(true);
    expect(repo.delete(k.keyId)).toBe(false);
    expect(repo.get(k.keyId)).toBeUndefined();
  });

  test('refuses duplicates, unknown keys and inconsistent records', () => {
    const k = key(1);
    repo.insert(k);
    expect(() => repo.insert(k)).toThrow(expect.objectContaining({ code: 'exists' }));
    expect(() => repo.insert({ ...key(2), arn: k.arn })).toThrow(expect.objectContaining({ code: 'exists' }));
    expect(() => repo.update('missing', { keyState: 'Enabled' })).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => repo.update(k.keyId, { keyId: 'other' })).toThrow(KeyRepositoryError);
    expect(() => repo.update(k.keyId, { threshold: 4 })).toThrow(/threshold 4/);
    expect(() => repo.update(k.keyId, { keyState: 'Bogus' as StoredKey['keyState'] })).toThrow(/keyState/);
    expect(() => repo.insert({ ...key(3), parties: ['a', 'a'] })).toThrow(/distinct/);
    expect(repo.get(k.keyId)).toEqual(k);
  });

  test('list pages through keys in creation order, stable while keys are added', () => {
    // equal creation dates are ordered by keyId
    const keys = [key(30, 'c'), key(10, 'z'), key(20, 'b'), key(20, 'a'), key(40, 'd')];
    for (const k of keys) repo.insert(k);
    const page1 = repo.list(2);
    expect(page1.keys.map((k) => k.keyId)).toEqual(['z', 'a']);
    expect(page1.more).toBe(true);
    repo.insert(key(5, 'early')); // lands before the cursor: not seen, nothing repeated
    const page2 = repo.list(2, 'a');
    expect(page2.keys.map((k) => k.keyId)).toEqual(['b', 'c']);
    expect(page2.more).toBe(true);
    const page3 = repo.list(2, 'c');
    expect(page3.keys.map((k) => k.keyId)).toEqual(['d']);
    expect(page3.more).toBe(false);
    expect(repo.list(6).keys.map((k) => k.keyId)).toEqual(['early', 'z', 'a', 'b', 'c', 'd']);
    expect(repo.list(6).more).toBe(false);
    expect(repo.list(5).more).toBe(true);
    expect(() => repo.list(2, 'gone')).toThrow(expect.objectContaining({ code: 'invalid-cursor' }));
    expect(() => repo.list(0)).toThrow(RangeError);
  });

  test('list continues after a cursor position even when that key is gone', () => {
    for (const k of [key(10, 'a'), key(20, 'b'), key(30, 'c')]) repo.insert(k);
    repo.delete('b');
    expect(repo.list(5, { creationDate: 20, keyId: 'b' }).keys.map((k) => k.keyId)).toEqual(['c']);
  });

  test('mutate reads, patches and writes in one transaction; a throw changes nothing', () => {
    const k = key(1);
    repo.insert(k);
    const result = repo.mutate(k.keyId, (cur) => ({ patch: { tags: [...cur.tags, { TagKey: 'b', TagValue: '2' }] }, result: cur.tags.length }));
    expect(result).toBe(1);
    expect(repo.get(k.keyId)!.tags).toEqual([
      { TagKey: 'team', TagValue: 'nodes' },
      { TagKey: 'b', TagValue: '2' },
    ]);
    expect(() =>
      repo.mutate(k.keyId, () => {
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(repo.mutate(k.keyId, () => ({ result: 'read only' }))).toBe('read only');
    expect(repo.get(k.keyId)!.tags).toHaveLength(2);
    expect(() => repo.mutate('missing', () => ({ result: 1 }))).toThrow(expect.objectContaining({ code: 'not-found' }));
    repo.update(k.keyId, { policy: '{"Statement":[]}', pendingWindowInDays: 7 });
    expect(repo.get(k.keyId)).toMatchObject({ policy: '{"Statement":[]}', pendingWindowInDays: 7 });
  });

  test('aliases: create, retarget, list by name with paging, per key, delete; they go with their key', () => {
    const a = key(1, 'key-a');
    const b = key(2, 'key-b');
    repo.insert(a);
    repo.insert(b);
    repo.createAlias('alias/z', 'key-a', 100);
    repo.createAlias('alias/m', 'key-a', 101);
    repo.createAlias('alias/b', 'key-b', 102);
    expect(() => repo.createAlias('alias/m', 'key-b', 103)).toThrow(expect.objectContaining({ code: 'exists' }));
    expect(() => repo.createAlias('alias/x', 'nope', 103)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(repo.getAlias('alias/m')).toEqual({ aliasName: 'alias/m', keyId: 'key-a', creationDate: 101, lastUpdatedDate: 101 });

    const p1 = repo.listAliases(2);
    expect(p1.aliases.map((x) => x.aliasName)).toEqual(['alias/b', 'alias/m']);
    expect(p1.more).toBe(true);
    const p2 = repo.listAliases(2, { afterName: 'alias/m' });
    expect(p2.aliases.map((x) => x.aliasName)).toEqual(['alias/z']);
    expect(p2.more).toBe(false);
    expect(repo.listAliases(10, { keyId: 'key-a' }).aliases.map((x) => x.aliasName)).toEqual(['alias/m', 'alias/z']);
    expect(repo.listAliases(1, { keyId: 'key-a', afterName: 'alias/m' }).aliases.map((x) => x.aliasName)).toEqual(['alias/z']);
    expect(repo.countAliases('key-a')).toBe(2);

    repo.retargetAlias('alias/m', 'key-b', 200);
    expect(repo.getAlias('alias/m')).toEqual({ aliasName: 'alias/m', keyId: 'key-b', creationDate: 101, lastUpdatedDate: 200 });
    expect(() => repo.retargetAlias('alias/nope', 'key-b', 200)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => repo.retargetAlias('alias/m', 'nope', 200)).toThrow(expect.objectContaining({ code: 'not-found' }));

    expect(repo.deleteAlias('alias/z')).toBe(true);
    expect(repo.deleteAlias('alias/z')).toBe(false);
    repo.delete('key-b');
    expect(repo.listAliases(10).aliases).toEqual([]);
  });

  test('purge removes a due key with its aliases and records a share deletion per party', () => {
    const due = { ...key(1, 'due'), keyState: 'PendingDeletion' as const, deletionDate: 1000, pendingWindowInDays: 7 };
    const later = { ...key(2, 'later'), keyState: 'PendingDeletion' as const, deletionDate: 5000, pendingWindowInDays: 30 };
    repo.insert(due);
    repo.insert(later);
    repo.insert({ ...key(3, 'live'), keyState: 'Enabled' });
    repo.createAlias('alias/due', 'due', 1);
    expect(repo.dueForDeletion(999)).toEqual([]);
    expect(repo.dueForDeletion(1000).map((k) => k.keyId)).toEqual(['due']);

    // accept() sees the current record and may refuse (e.g. the deletion was cancelled meanwhile)
    expect(repo.purge('due', () => false, 1000)).toBeUndefined();
    expect(repo.get('due')).toBeDefined();
    expect(repo.purge('due', (k) => k.keyState === 'PendingDeletion', 1000)?.keyId).toBe('due');
    expect(repo.get('due')).toBeUndefined();
    expect(repo.getAlias('alias/due')).toBeUndefined();
    expect(repo.purge('due', () => true, 1000)).toBeUndefined();

    expect(repo.pendingShareDeletions()).toEqual(['party-a', 'party-b', 'party-c'].map((partyId) => ({ keyId: 'due', partyId })));
    expect(repo.pendingShareDeletionsOf('party-b')).toEqual(['due']);
    expect(repo.shareDeleted('due', 'party-b')).toBe(true);
    expect(repo.shareDeleted('due', 'party-b')).toBe(false);
    expect(repo.pendingShareDeletionsOf('party-b')).toEqual([]);
    expect(repo.pendingShareDeletions()).toHaveLength(2);
  });

  test('replaceParties (a refresh without some parties): the remaining parties in one transaction with a share deletion per excluded party', () => {
    const k = { ...key(1, 'k'), keyState: 'Enabled' as const, publicKey: 'cd'.repeat(32) };
    repo.insert(k);
    repo.replaceParties('k', ['party-a', 'party-b', 'party-c'], ['party-a', 'party-c'], 1000);
    expect(repo.get('k')).toEqual({ ...k, parties: ['party-a', 'party-c'] });
    expect(repo.pendingShareDeletions()).toEqual([{ keyId: 'k', partyId: 'party-b' }]);
    // The parties changed meanwhile, a party the key does not have, fewer than t: nothing changes.
    expect(() => repo.replaceParties('k', ['party-a', 'party-b', 'party-c'], ['party-a'], 2000)).toThrow(/changed meanwhile/);
    expect(() => repo.replaceParties('k', ['party-a', 'party-c'], ['party-a', 'party-x'], 2000)).toThrow(/not all parties of the key/);
    expect(() => repo.replaceParties('k', ['party-a', 'party-c'], ['party-a'], 2000)).toThrow(/threshold 2/);
    expect(() => repo.replaceParties('missing', [], [], 2000)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(repo.get('k')?.parties).toEqual(['party-a', 'party-c']);
    expect(repo.pendingShareDeletions()).toEqual([{ keyId: 'k', partyId: 'party-b' }]);
  });

  test('reshare (ReshareKey): new parties and threshold in one transaction, a share deletion per old party left out', () => {
    const k = { ...key(1, 'k'), keyState: 'Enabled' as const, publicKey: 'cd'.repeat(32) };
    repo.insert(k);
    repo.reshare('k', ['party-a', 'party-b', 'party-c'], ['party-c', 'party-d', 'party-e'], 3, 1000);
    expect(repo.get('k')).toEqual({ ...k, parties: ['party-c', 'party-d', 'party-e'], threshold: 3 });
    expect(repo.pendingShareDeletions()).toEqual([
      { keyId: 'k', partyId: 'party-a' },
      { keyId: 'k', partyId: 'party-b' },
    ]);
    // Stale parties or a threshold above n: nothing changes.
    expect(() => repo.reshare('k', ['party-a', 'party-b', 'party-c'], ['party-a'], 1, 2000)).toThrow(/changed meanwhile/);
    expect(() => repo.reshare('k', ['party-c', 'party-d', 'party-e'], ['party-a', 'party-b'], 3, 2000)).toThrow(/threshold 3 of 2/);
    expect(repo.get('k')?.threshold).toBe(3);
  });

  test('a database from before KEYS_V2 keeps its keys and gains the new columns and tables', () => {
    const file = join(dir, 'old.db');
    const raw = new Sqlite(file);
    const v2 = MIGRATIONS.findIndex((m) => m.sql.includes('CREATE TABLE aliases'));
    migrate(raw, MIGRATIONS.slice(0, v2));
    raw
      .prepare(
        `INSERT INTO keys (key_id, arn, account_id, region, creation_date, description, key_usage, key_spec, key_state, protocol, threshold, parties, public_key, policy_hash, tags, deletion_date)
      VALUES ('old', 'arn:old', '111122223333', 'eu-west-1', 1, '', 'SIGN_VERIFY', 'ECC_NIST_EDWARDS25519', 'Enabled', 'frost-ed25519', 2, '["a","b"]', NULL, NULL, '[]', NULL)`,
      )
      .run();
    raw.close();
    const reopened = openDatabase(file);
    try {
      const r = new KeyRepository(reopened);
      expect(r.get('old')).toMatchObject({ keyId: 'old', keyState: 'Enabled', policy: null, pendingWindowInDays: null });
      r.createAlias('alias/old', 'old', 2);
      expect(r.listAliases(5).aliases).toHaveLength(1);
    } finally {
      reopened.close();
    }
  });
});
