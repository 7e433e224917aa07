// What a party remembers about deleting keys (docs/security.md "Deleting a key"):
//
//  - deletion_requests: the gateway-signed deletion record of a key the party holds a share of,
//    with the time (the party's own clock) it first received it. The share is deleted only once
//    the party's own waiting period has passed since then; a signed cancel removes the request.
//  - key_tombstones: every key id this party deleted a share of (or was told to delete). A DKG
//    under such an id is refused: a key id names one key for ever, because approvals and audit
//    entries name keys by id only (policies/approvals.ts).
import type { Database, Migration } from './db.ts';

export const DELETIONS_V1: Migration = {
  store: 'deletion-store',
  sql: `
    CREATE TABLE deletion_requests (
      key_id       TEXT    NOT NULL PRIMARY KEY,
      requested_at INTEGER NOT NULL,  -- the gateway's date in the signed record, ms since the epoch
      record       TEXT    NOT NULL,  -- the signed record, JSON, as received
      first_seen   INTEGER NOT NULL   -- this party's clock when it first received this record
    ) STRICT;
    CREATE TABLE key_tombstones (
      key_id     TEXT    NOT NULL PRIMARY KEY,
      deleted_at INTEGER NOT NULL,
      record     TEXT               -- the signed record the deletion followed (null: no share was held)
    ) STRICT;
  `,
};

export type DeletionRequestRow = { keyId: string; requestedAt: number; record: string; firstSeen: number };

export class DeletionStore {
  readonly #getRequest;
  readonly #putRequest;
  readonly #dropRequest;
  readonly #tombstone;
  readonly #isTombstoned;

  constructor(db: Database) {
    this.#getRequest = db.prepare<[string], { key_id: string; requested_at: number; record: string; first_seen: number }>(
      `SELECT * FROM deletion_requests WHERE key_id = ?`,
    );
    this.#putRequest = db.prepare<[string, number, string, number]>(
      `INSERT INTO deletion_requests (key_id, requested_at, record, first_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (key_id) DO UPDATE SET requested_at = excluded.requested_at, record = excluded.record, first_seen = excluded.first_seen`,
    );
    this.#dropRequest = db.prepare<[string]>(`DELETE FROM deletion_requests WHERE key_id = ?`);
    this.#tombstone = db.prepare<[string, number, string | null]>(
      `INSERT INTO key_tombstones (key_id, deleted_at, record) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING`,
    );
    this.#isTombstoned = db.prepare<[string], number>(`SELECT 1 FROM key_tombstones WHERE key_id = ?`).pluck();
  }

  request(keyId: string): DeletionRequestRow | undefined {
    const r = this.#getRequest.get(keyId);
    return r && { keyId: r.key_id, requestedAt: r.requested_at, record: r.record, firstSeen: r.first_seen };
  }

  /** Stores a (new) request; the waiting period starts at `firstSeen`. */
  putRequest(row: DeletionRequestRow): void {
    this.#putRequest.run(row.keyId, row.requestedAt, row.record, row.firstSeen);
  }

  dropRequest(keyId: string): boolean {
    return this.#dropRequest.run(keyId).changes > 0;
  }

  /** Records that the key id is used up here (idempotent; the first record stays). */
  tombstone(keyId: string, at: number, record: string | null): void {
    this.#tombstone.run(keyId, at, record);
  }

  isTombstoned(keyId: string): boolean {
    return this.#isTombstoned.get(keyId) === 1;
  }
}
