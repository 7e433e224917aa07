// Opening a SQLite database the way every store needs it, and the one migration runner.
//
// Durability: WAL with synchronous = FULL makes every committed transaction survive power loss
// (https://www.sqlite.org/pragma.html#pragma_synchronous), which the party relies on when it marks
// a nonce consumed or swaps in a refreshed share before anything leaves the process.
//
// Schema: each store declares its own migration steps next to its code; MIGRATIONS below is the
// single, append-only order in which they are applied, and `PRAGMA user_version` counts how many
// have been applied. Every database gets every table (they are tiny), so a store never has to
// know which process opened the file.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { SHARES_V1 } from './share-store.ts';
import { CONSUMED_V1 } from './consumed-store.ts';
import { KEYS_V1, KEYS_V2, KEYS_V3 } from './key-repository.ts';
import { POLICY_V1, POLICY_V2 } from './policy-store.ts';
import { BANS_V1 } from './ban-store.ts';
import { REVISION_ACKS_V1 } from './revision-acks.ts';
import { DELETIONS_V1 } from './deletion-store.ts';
import { SESSIONS_V1 } from './session-store.ts';
import { ATTESTATIONS_V1 } from './attestation-store.ts';
import { REFRESH_V1 } from './refresh-store.ts';
import { DERIVATIONS_V1 } from './derivation-store.ts';

export type Database = Sqlite.Database;

/** One schema step of one store. Never edit a step that has shipped: append a new one. */
export type Migration = {
  /** The store the step belongs to, for error messages. */
  readonly store: string;
  /** SQL run once, inside the migration's transaction. */
  readonly sql: string;
};

/** Append-only. Entry i is applied when `user_version` is i, and sets it to i + 1. */
export const MIGRATIONS: readonly Migration[] = [
  SHARES_V1,
  CONSUMED_V1,
  KEYS_V1,
  KEYS_V2,
  POLICY_V1,
  KEYS_V3,
  BANS_V1,
  POLICY_V2,
  REVISION_ACKS_V1,
  DELETIONS_V1,
  SESSIONS_V1,
  ATTESTATIONS_V1,
  REFRESH_V1,
  DERIVATIONS_V1,
];

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the database at `file`, sets the durability pragmas and brings the
 * schema up to date. The parent directory is created with mode 0700 and a new database file with
 * mode 0600 (SQLite gives its -wal and -shm files the same mode). `':memory:'` is accepted for
 * tests; it cannot use WAL.
 * @throws if WAL cannot be enabled, or the file was written by a newer build.
 */
export function openDatabase(file: string): Database {
  const inMemory = file === ':memory:';
  if (!inMemory) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createIfMissing(file, 0o600);
  }
  const db = new Sqlite(file);
  try {
    // busy_timeout first, so that switching to WAL waits for another process instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (!inMemory && mode !== 'wal') throw new Error(`${file}: cannot enable WAL (journal_mode is ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Deleted rows (old share versions after a refresh) are overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    migrate(db, MIGRATIONS, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * Applies the steps of `migrations` that `user_version` says are missing, all in one IMMEDIATE
 * transaction (so two processes opening the same file cannot both migrate it).
 * @throws if the database is newer than `migrations`, or a step fails (nothing is applied then).
 */
export function migrate(db: Database, migrations: readonly Migration[], name = db.name): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) {
      throw new Error(`${name}: schema version ${current} is newer than this build knows (${migrations.length})`);
    }
    for (let i = current; i < migrations.length; i++) {
      const step = migrations[i]!;
      try {
        db.exec(step.sql);
      } catch (e) {
        throw new Error(`${name}: migration ${i + 1} (${step.store}) failed: ${(e as Error).message}`, { cause: e });
      }
    }
    if (current !== migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

function createIfMissing(file: string, mode: number): void {
  try {
    closeSync(openSync(file, 'wx', mode));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
