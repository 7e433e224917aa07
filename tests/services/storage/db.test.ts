import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { MIGRATIONS, migrate, openDatabase } from '../../../services/storage/db.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  test('sets WAL, synchronous = FULL, foreign keys and a busy timeout', () => {
    const db = openDatabase(join(dir, 'party.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  test('creates the parent directory 0700 and the database file 0600', () => {
    const file = join(dir, 'nested', 'deeper', 'party.db');
    const db = openDatabase(file);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600); // SQLite copies the database's mode
    db.close();
    expect(statSync(join(dir, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('applies every migration once and records it in user_version', () => {
    const file = join(dir, 'party.db');
    openDatabase(file).close();
    const db = openDatabase(file); // a second open must not re-run CREATE TABLE
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
      expect(tables).toEqual([
        'aliases',
        'audit_log',
        'bans',
        'consumed',
        'consumed_approvals',
        'deleted_key_ids',
        'deletion_records',
        'deletion_requests',
        'hd_chain_codes',
        'hd_children',
        'key_attestations',
        'key_tombstones',
        'keys',
        'policy_clock',
        'policy_revision_acks',
        'policy_revisions',
        'rate_limit_charges',
        'refresh_activations',
        'seen_sessions',
        'sequence_high_water',
        'share_deletions',
        'shares',
      ]);
    } finally {
      db.close();
    }
  });

  test('refuses a database written by a newer build', () => {
    const file = join(dir, 'party.db');
    openDatabase(file).close();
    const raw = new Sqlite(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer than this build/);
  });

  test('a failing migration step applies nothing', () => {
    const db = new Sqlite(':memory:');
    try {
      const steps = [
        { store: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
        { store: 'b', sql: 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL' },
      ];
      expect(() => migrate(db, steps)).toThrow(/migration 2 \(b\) failed/);
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'a'`).pluck().get()).toBe(0);
      migrate(db, steps.slice(0, 1));
      expect(db.pragma('user_version', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});
