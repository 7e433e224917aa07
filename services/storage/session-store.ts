// The session ids a party has opened, durably (docs/security.md "Session ids and replay"): a
// session id runs at most once at a party, across restarts, for as long as it is retained here.
// Ids are 32 random bytes chosen by the coordinator per session; an id is written in the same
// transaction as the decision it opens (a sign's policy decision), so after a crash either both
// are there or neither is.
import type { Database, Migration } from './db.ts';

export const SESSIONS_V1: Migration = {
  store: 'session-store',
  sql: `
    CREATE TABLE seen_sessions (
      session TEXT    NOT NULL PRIMARY KEY,  -- 64 hex digits
      seen_at INTEGER NOT NULL               -- ms since the epoch, this party's clock
    ) STRICT;
    CREATE INDEX seen_sessions_by_time ON seen_sessions (seen_at);
  `,
};

/** Default retention of opened session ids: one hour (≈ 540,000 rows, some 50–100 MB with the index, at 150 signatures/s). */
export const SESSION_RETENTION_MS = 3600 * 1000;

export class SessionStore {
  readonly #insert;
  readonly #prune;

  constructor(db: Database) {
    this.#insert = db.prepare<[string, number]>(`INSERT INTO seen_sessions (session, seen_at) VALUES (?, ?) ON CONFLICT (session) DO NOTHING`);
    this.#prune = db.prepare<[number]>(`DELETE FROM seen_sessions WHERE seen_at < ?`);
  }

  /** Records the id as opened; false when it was opened before (a replay). */
  claim(session: string, now = Date.now()): boolean {
    return this.#insert.run(session, now).changes === 1;
  }

  /** Forgets ids older than the retention; returns how many went. */
  prune(now = Date.now(), retentionMs = SESSION_RETENTION_MS): number {
    return this.#prune.run(now - retentionMs).changes;
  }
}
