import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../services/storage/db.ts';
import { ConsumedError, ConsumedStore } from '../../../services/storage/consumed-store.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-consumed-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ConsumedStore', () => {
  test('consuming an id twice throws ConsumedError naming it', () => {
    const db = openDatabase(join(dir, 'party.db'));
    try {
      const store = new ConsumedStore(db);
      expect(store.isConsumed('frost-nonce/k1/abc')).toBe(false);
      store.consume('frost-nonce/k1/abc', 'session 42');
      expect(store.isConsumed('frost-nonce/k1/abc')).toBe(true);
      expect(() => store.consume('frost-nonce/k1/abc')).toThrow(ConsumedError);
      expect(() => store.consume('frost-nonce/k1/abc')).toThrow(/frost-nonce\/k1\/abc is already consumed/);
      expect(db.prepare(`SELECT note FROM consumed`).pluck().all()).toEqual(['session 42']);
    } finally {
      db.close();
    }
  });

  test('a consumed id stays consumed after the database is reopened', () => {
    const file = join(dir, 'party.db');
    const db = openDatabase(file);
    new ConsumedStore(db).consume('presig/7');
    db.close();
    const reopened = openDatabase(file);
    try {
      const store = new ConsumedStore(reopened);
      expect(store.isConsumed('presig/7')).toBe(true);
      expect(() => store.consume('presig/7')).toThrow(ConsumedError);
    } finally {
      reopened.close();
    }
  });

  test('a second connection (another process) cannot consume the same id either', () => {
    const file = join(dir, 'party.db');
    const a = openDatabase(file);
    const b = openDatabase(file);
    try {
      new ConsumedStore(a).consume('nonce/1');
      expect(() => new ConsumedStore(b).consume('nonce/1')).toThrow(ConsumedError);
    } finally {
      a.close();
      b.close();
    }
  });

  test('consumeAll records all ids or none', () => {
    const db = openDatabase(join(dir, 'party.db'));
    try {
      const store = new ConsumedStore(db);
      store.consume('n2');
      expect(() => store.consumeAll(['n1', 'n2', 'n3'])).toThrow(expect.objectContaining({ name: 'ConsumedError', id: 'n2' }));
      expect(store.isConsumed('n1')).toBe(false);
      expect(store.isConsumed('n3')).toBe(false);
      expect(() => store.consumeAll(['n4', 'n4'])).toThrow(ConsumedError);
      expect(store.isConsumed('n4')).toBe(false);
      store.consumeAll(['n1', 'n3']);
      expect(store.isConsumed('n1') && store.isConsumed('n3')).toBe(true);
    } finally {
      db.close();
    }
  });
});
