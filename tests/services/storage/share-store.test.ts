import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { masterKeyFromBytes, type MasterKey } from '../../../services/storage/master-key.ts';
import { SealedBoxError } from '../../../services/storage/sealed-box.ts';
import { ShareStore, ShareStoreError, type ShareRecord } from '../../../services/storage/share-store.ts';

let dir: string;
let db: Database;
let masterKey: MasterKey;
let store: ShareStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-shares-'));
  db = openDatabase(join(dir, 'party.db'));
  masterKey = masterKeyFromBytes(randomBytes(32));
  store = new ShareStore(db, masterKey);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function rec(keyId: string, version: number, secret = `s-${keyId}-${version}`): ShareRecord {
  return {
    keyId,
    protocol: 'frost-ed25519',
    version,
    share: { secret, identifier: 2 },
    meta: { parties: ['p1', 'p2', 'p3'], self: 2, threshold: 2, publicKey: 'ab'.repeat(32), policyHash: 'cd'.repeat(32) },
  };
}

describe('ShareStore', () => {
  test('discardAllPending drops what a crashed DKG or refresh left, and nothing active', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    store.putPending(rec('k1', 2));
    store.putPending(rec('k2', 1));
    expect(store.discardAllPending().sort()).toEqual(['k1', 'k2']);
    expect(store.activeVersion('k1')).toBe(1);
    expect(store.getActive('k1')?.share).toEqual(rec('k1', 1).share);
    expect(store.getVersion('k1', 2)).toBeUndefined();
    expect(store.getVersion('k2', 1)).toBeUndefined();
    expect(store.discardAllPending()).toEqual([]);
  });

  test('a pending share is not active; activate makes it so', () => {
    store.putPending(rec('k1', 1));
    expect(store.getActive('k1')).toBeUndefined();
    expect(store.activeVersion('k1')).toBeUndefined();
    expect(store.listActive()).toEqual([]);
    expect(store.getVersion('k1', 1)).toMatchObject({ state: 'pending', share: { secret: 's-k1-1' } });
    store.activate('k1', 1);
    expect(store.getActive('k1')).toEqual({ ...rec('k1', 1), state: 'active' });
    expect(store.activeVersion('k1')).toBe(1);
    expect(store.listActive()).toEqual(['k1']);
  });

  test('a refresh: the old version signs while the new one is pending, then one swap drops it', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    store.putPending(rec('k1', 2));
    expect(store.getActive('k1')?.version).toBe(1);
    store.activate('k1', 2);
    expect(store.getActive('k1')).toMatchObject({ version: 2, share: { secret: 's-k1-2' } });
    expect(store.getVersion('k1', 1)).toBeUndefined();
    expect(db.prepare(`SELECT version FROM shares WHERE key_id = 'k1'`).pluck().all()).toEqual([2]);
  });

  test('activate drops older pending versions too, keeps newer ones, and is idempotent', () => {
    store.putPending(rec('k1', 1));
    store.putPending(rec('k1', 2));
    store.putPending(rec('k1', 3));
    store.activate('k1', 2);
    store.activate('k1', 2);
    expect(db.prepare(`SELECT version, state FROM shares WHERE key_id = 'k1' ORDER BY version`).all()).toEqual([
      { version: 2, state: 'active' },
      { version: 3, state: 'pending' },
    ]);
  });

  test('activate is all-or-nothing: a share that does not open never replaces the active one', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    store.putPending(rec('k1', 2));
    db.prepare(`UPDATE shares SET sealed = zeroblob(40) WHERE key_id = 'k1' AND version = 2`).run();
    expect(() => store.activate('k1', 2)).toThrow(SealedBoxError);
    expect(store.getActive('k1')?.version).toBe(1);
    expect(db.prepare(`SELECT count(*) FROM shares`).pluck().get()).toBe(2);
  });

  test('refuses stale, duplicate and unknown versions, and a protocol change', () => {
    store.putPending(rec('k1', 2));
    expect(() => store.putPending(rec('k1', 2))).toThrow(/already exists/);
    store.activate('k1', 2);
    expect(() => store.putPending(rec('k1', 1))).toThrow(ShareStoreError);
    expect(() => store.putPending(rec('k1', 2))).toThrow(ShareStoreError);
    expect(() => store.activate('k1', 7)).toThrow(/no share k1 version 7/);
    expect(() => store.putPending({ ...rec('k1', 3), protocol: 'dkls23-secp256k1' })).toThrow(/cannot follow/);
    expect(() => store.putPending(rec('k1', 1.5))).toThrow(RangeError);
    expect(() => store.putPending({ ...rec('k1', 3), share: undefined })).toThrow(TypeError);
  });

  test('at most one active version per key, enforced by the schema itself', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    store.putPending(rec('k1', 2));
    expect(() => db.prepare(`UPDATE shares SET state = 'active' WHERE key_id = 'k1' AND version = 2`).run()).toThrow(/UNIQUE/);
  });

  test('discardPending removes a pending version, ignores a missing one, refuses the active one', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    store.putPending(rec('k1', 2));
    store.discardPending('k1', 2);
    store.discardPending('k1', 2);
    expect(store.getVersion('k1', 2)).toBeUndefined();
    expect(() => store.discardPending('k1', 1)).toThrow(/is active/);
    expect(store.getActive('k1')?.version).toBe(1);
  });

  test('delete removes every version of one key only', () => {
    for (const k of ['k1', 'k2']) {
      store.putPending(rec(k, 1));
      store.activate(k, 1);
      store.putPending(rec(k, 2));
    }
    store.delete('k1');
    expect(store.listActive()).toEqual(['k2']);
    expect(store.getVersion('k1', 2)).toBeUndefined();
    expect(store.getVersion('k2', 2)?.state).toBe('pending');
  });

  test('the share is encrypted at rest; meta is in clear', () => {
    store.putPending(rec('k1', 1, 'very-secret-scalar'));
    const row = db.prepare(`SELECT sealed, meta FROM shares`).get() as { sealed: Buffer; meta: string };
    expect(row.sealed.includes('very-secret-scalar')).toBe(false);
    expect(JSON.parse(row.meta)).toEqual(rec('k1', 1).meta);
  });

  test('a different master key cannot open a share', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    const other = new ShareStore(db, masterKeyFromBytes(randomBytes(32)));
    expect(() => other.getActive('k1')).toThrow(SealedBoxError);
    expect(() => other.getActive('k1')).toThrow(/share k1 version 1/);
    expect(other.activeVersion('k1')).toBe(1); // metadata is readable, the secret is not
  });

  test('a blob moved to another row fails to open: other key, other version, altered meta', () => {
    for (const k of ['k1', 'k2']) {
      store.putPending(rec(k, 1));
      store.activate(k, 1);
    }
    // swap the sealed blobs of k1 and k2
    const sealed = db.prepare(`SELECT sealed FROM shares WHERE key_id = ?`).pluck();
    const [b1, b2] = [sealed.get('k1'), sealed.get('k2')];
    const put = db.prepare(`UPDATE shares SET sealed = ? WHERE key_id = ?`);
    put.run(b2, 'k1');
    put.run(b1, 'k2');
    expect(() => store.getActive('k1')).toThrow(SealedBoxError);
    expect(() => store.getActive('k2')).toThrow(SealedBoxError);

    store.putPending(rec('k3', 1));
    db.exec(`UPDATE shares SET version = 5 WHERE key_id = 'k3'`);
    expect(() => store.getVersion('k3', 5)).toThrow(SealedBoxError);

    store.putPending(rec('k4', 1));
    db.exec(`UPDATE shares SET meta = replace(meta, '"self":2', '"self":1') WHERE key_id = 'k4'`);
    expect(() => store.getVersion('k4', 1)).toThrow(SealedBoxError);

    store.putPending(rec('k5', 1));
    db.exec(`UPDATE shares SET protocol = 'frost-ed448' WHERE key_id = 'k5'`);
    expect(() => store.getVersion('k5', 1)).toThrow(SealedBoxError);
  });

  test('survives closing and reopening the database', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    db.close();
    db = openDatabase(join(dir, 'party.db'));
    expect(new ShareStore(db, masterKey).getActive('k1')).toMatchObject({ version: 1, share: { secret: 's-k1-1' } });
  });
});

describe('ShareStore: opened active shares kept in memory', () => {
  test('the same frozen object while the key is unchanged; a new one after a refresh, a deletion or a rebirth under the same id', () => {
    store.putPending(rec('k1', 1));
    store.activate('k1', 1);
    const a = store.getActive('k1')!;
    expect(Object.isFrozen(a) && Object.isFrozen(a.share) && Object.isFrozen(a.meta)).toBe(true);
    expect(() => {
      (a.share as { secret: string }).secret = 'changed';
    }).toThrow(TypeError);
    expect(store.getActive('k1')).toBe(a);
    // A new version replaces it.
    store.putPending(rec('k1', 2));
    expect(store.getActive('k1')).toBe(a);
    store.activate('k1', 2);
    const b = store.getActive('k1')!;
    expect(b).not.toBe(a);
    expect((b.share as { secret: string }).secret).toBe('s-k1-2');
    // Deleted, then made again under the same id and version with another transcript (other meta).
    store.delete('k1');
    expect(store.getActive('k1')).toBeUndefined();
    store.putPending({ ...rec('k1', 2, 'reborn'), meta: { ...(rec('k1', 2).meta as object), publicKey: 'ef'.repeat(32) } });
    store.activate('k1', 2);
    expect((store.getActive('k1')!.share as { secret: string }).secret).toBe('reborn');
    // Another store on the same database (another connection) that changes the row is seen too.
    const other = new ShareStore(db, masterKey);
    other.delete('k1');
    expect(store.getActive('k1')).toBeUndefined();
  });
});
