// What the gateway keeps about HD derivation (docs/protocols.md "HD derivation"), beside the key
// records (key-repository.ts), public data only:
//
//  - hd_chain_codes: the chain code of a key made by a DKG, from the transcript hash all parties
//    confirmed (every party stores the same one beside its share);
//  - hd_children: a derived child key's parent key id and path. The child's own key record holds
//    its public key, policy, state, aliases and tags like any other key; no party stores anything.
import type { Database, Migration } from './db.ts';

export const DERIVATIONS_V1: Migration = {
  store: 'derivation-store',
  sql: `
    CREATE TABLE hd_chain_codes (
      key_id     TEXT NOT NULL PRIMARY KEY,
      chain_code TEXT NOT NULL   -- hex, 32 bytes
    ) STRICT;
    CREATE TABLE hd_children (
      key_id        TEXT NOT NULL PRIMARY KEY,
      parent_key_id TEXT NOT NULL,
      path          TEXT NOT NULL   -- non-hardened, m/i/j/…
    ) STRICT;
  `,
};

export type ChildKey = { keyId: string; parentKeyId: string; path: string };

export class DerivationStore {
  readonly #putChainCode;
  readonly #chainCode;
  readonly #putChild;
  readonly #child;

  constructor(db: Database) {
    this.#putChainCode = db.prepare('INSERT OR REPLACE INTO hd_chain_codes (key_id, chain_code) VALUES (?, ?)');
    this.#chainCode = db.prepare('SELECT chain_code FROM hd_chain_codes WHERE key_id = ?').pluck();
    this.#putChild = db.prepare('INSERT INTO hd_children (key_id, parent_key_id, path) VALUES (?, ?, ?)');
    this.#child = db.prepare('SELECT key_id AS keyId, parent_key_id AS parentKeyId, path FROM hd_children WHERE key_id = ?');
  }

  putChainCode(keyId: string, chainCode: string): void {
    this.#putChainCode.run(keyId, chainCode);
  }

  /** Undefined for a key made before HD derivation (or a child: children are not derived from further). */
  chainCode(keyId: string): string | undefined {
    return this.#chainCode.get(keyId) as string | undefined;
  }

  putChild(c: ChildKey): void {
    this.#putChild.run(c.keyId, c.parentKeyId, c.path);
  }

  child(keyId: string): ChildKey | undefined {
    return this.#child.get(keyId) as ChildKey | undefined;
  }
}
