// The gateway's record of each party's signed acknowledgement of a key's signing-policy revision
// (services/control/revision-ack.ts, docs/policies.md "Checking what every party enforces"): per
// key and party, the latest revision the party acknowledged, its policy hash and the signature.
// Public by nature; an owner checks the signatures itself. Rows go with their key.
import type { Database, Migration } from './db.ts';

export const REVISION_ACKS_V1: Migration = {
  store: 'revision-acks',
  sql: `
    CREATE TABLE policy_revision_acks (
      key_id      TEXT    NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
      party_id    TEXT    NOT NULL,
      revision    INTEGER NOT NULL CHECK (revision >= 1),
      policy_hash TEXT    NOT NULL,
      signature   TEXT    NOT NULL,   -- hex, Ed25519 by the party's identity key
      PRIMARY KEY (key_id, party_id)
    ) STRICT;
  `,
};

export type StoredRevisionAck = { partyId: string; revision: number; policyHash: string; signature: string };

type Row = { key_id: string; party_id: string; revision: number; policy_hash: string; signature: string };

export class RevisionAckStore {
  readonly #put;
  readonly #of;

  constructor(db: Database) {
    // A party's acknowledgement of an older revision never replaces a newer one (a late answer).
    this.#put = db.prepare<[Row]>(`INSERT INTO policy_revision_acks (key_id, party_id, revision, policy_hash, signature)
      VALUES (@key_id, @party_id, @revision, @policy_hash, @signature)
      ON CONFLICT (key_id, party_id) DO UPDATE SET revision = excluded.revision, policy_hash = excluded.policy_hash, signature = excluded.signature
      WHERE excluded.revision >= policy_revision_acks.revision`);
    this.#of = db.prepare<[string], Row>(`SELECT * FROM policy_revision_acks WHERE key_id = ? ORDER BY party_id`);
  }

  put(keyId: string, ack: StoredRevisionAck): void {
    this.#put.run({ key_id: keyId, party_id: ack.partyId, revision: ack.revision, policy_hash: ack.policyHash, signature: ack.signature });
  }

  of(keyId: string): StoredRevisionAck[] {
    return this.#of.all(keyId).map((r) => ({ partyId: r.party_id, revision: r.revision, policyHash: r.policy_hash, signature: r.signature }));
  }
}
