import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
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
    keyId, arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`, accountId: '111122223333', region: 'eu-west-1',
    creationDate, description: 'reward key', keyUsage: 'SIGN_VERIFY', keySpec: 'ECC_NIST_EDWARDS25519',
    keyState: 'Creating', protocol: 'frost-ed25519', threshold: 2, parties: ['party-a', 'party-b', 'party-c'],
    publicKey: null, policyHash: 'ab'.repeat(32), tags: [{ TagKey: 'team', TagValue: 'nodes' }], deletionDate: null,
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
});
