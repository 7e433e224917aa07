// What the gateway keeps as evidence about keys, beside the key records (key-repository.ts):
//
//  - key_attestations: each party's signed creation receipt of a key (services/control/receipts.ts),
//    served by GetKeyAttestation so that a client can check offline what the parties bound;
//  - deletion_records: the signed deletion record sent to a key's parties, kept stable from the
//    first send until every party confirmed (a party's waiting period runs from when it first saw
//    the record, so resending the same record must not restart it);
//  - deleted_key_ids: every key id the gateway deleted: CreateKey never hands one out again.
import type { Database, Migration } from './db.ts';

export const ATTESTATIONS_V1: Migration = {
  store: 'attestation-store',
  sql: `
    CREATE TABLE key_attestations (
      key_id   TEXT NOT NULL,
      party_id TEXT NOT NULL,
      receipt  TEXT NOT NULL,  -- JSON: the party's signed creation receipt
      PRIMARY KEY (key_id, party_id)
    ) STRICT;
    CREATE TABLE deletion_records (
      key_id TEXT NOT NULL PRIMARY KEY,
      record TEXT NOT NULL   -- JSON: the signed deletion record
    ) STRICT;
    CREATE TABLE deleted_key_ids (
      key_id     TEXT    NOT NULL PRIMARY KEY,
      deleted_at INTEGER NOT NULL
    ) STRICT;
  `,
};

export class AttestationStore {
  readonly #putReceipt;
  readonly #receipts;
  readonly #getRecord;
  readonly #putRecord;
  readonly #dropRecord;
  readonly #tombstone;
  readonly #wasDeleted;
  readonly #dropReceipts;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    this.#dropReceipts = db.prepare<[string]>(`DELETE FROM key_attestations WHERE key_id = ?`);
    this.#putReceipt = db.prepare<[string, string, string]>(
      `INSERT INTO key_attestations (key_id, party_id, receipt) VALUES (?, ?, ?) ON CONFLICT (key_id, party_id) DO UPDATE SET receipt = excluded.receipt`,
    );
    this.#receipts = db.prepare<[string], { party_id: string; receipt: string }>(
      `SELECT party_id, receipt FROM key_attestations WHERE key_id = ? ORDER BY party_id`,
    );
    this.#getRecord = db.prepare<[string], string>(`SELECT record FROM deletion_records WHERE key_id = ?`).pluck();
    this.#putRecord = db.prepare<[string, string]>(
      `INSERT INTO deletion_records (key_id, record) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET record = excluded.record`,
    );
    this.#dropRecord = db.prepare<[string]>(`DELETE FROM deletion_records WHERE key_id = ?`);
    this.#tombstone = db.prepare<[string, number]>(`INSERT INTO deleted_key_ids (key_id, deleted_at) VALUES (?, ?) ON CONFLICT (key_id) DO NOTHING`);
    this.#wasDeleted = db.prepare<[string], number>(`SELECT 1 FROM deleted_key_ids WHERE key_id = ?`).pluck();
  }

  putReceipts(keyId: string, receipts: { partyId: string; receipt: unknown }[]): void {
    for (const r of receipts) this.#putReceipt.run(keyId, r.partyId, JSON.stringify(r.receipt));
  }

  /** ReshareKey: the new holders' receipts of the new version replace every earlier one (one transaction). */
  replaceReceipts(keyId: string, receipts: { partyId: string; receipt: unknown }[]): void {
    this.#db.transaction(() => {
      this.#dropReceipts.run(keyId);
      this.putReceipts(keyId, receipts);
    })();
  }

  receipts(keyId: string): unknown[] {
    return this.#receipts.all(keyId).map((r) => JSON.parse(r.receipt) as unknown);
  }

  deletionRecord(keyId: string): unknown {
    const t = this.#getRecord.get(keyId);
    return t === undefined ? undefined : (JSON.parse(t) as unknown);
  }

  putDeletionRecord(keyId: string, record: unknown): void {
    this.#putRecord.run(keyId, JSON.stringify(record));
  }

  dropDeletionRecord(keyId: string): void {
    this.#dropRecord.run(keyId);
  }

  tombstone(keyId: string, at: number): void {
    this.#tombstone.run(keyId, at);
  }

  wasDeleted(keyId: string): boolean {
    return this.#wasDeleted.get(keyId) === 1;
  }
}
