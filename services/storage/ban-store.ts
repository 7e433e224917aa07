// Peers a party has banned, per key (docs/security.md "Bans (DKLs23)"). A DKLs23 session
// that aborts because a peer failed an OT-extension, all-but-one OT, VOLE or Γ consistency check
// names that peer; retrying with it would let it learn this party's OT correlation Δ bit by bit, and
// then the key (docs/security.md "Bans (DKLs23)": the selective-abort attack on OT extension). So the ban is committed here before the
// abort leaves the party, and from then on the party refuses every session of the key that
// includes the banned peer. A refresh replaces all of the key's OT state; the operator then lifts
// the bans (`cli.ts refresh --lift-bans`) or, better, refreshes without the banned peer
// (`--exclude`, `--without-banned`), which drops the bans against the parties left out and moves
// the others to the peers' new indices (replaceKey). Deleting the key drops its bans.
import type { Database, Migration } from './db.ts';

export const BANS_V1: Migration = {
  store: 'ban-store',
  sql: `
    CREATE TABLE bans (
      key_id        TEXT    NOT NULL,
      peer_index    INTEGER NOT NULL CHECK (peer_index BETWEEN 1 AND 255),
      peer_id       TEXT    NOT NULL,
      share_version INTEGER NOT NULL,  -- the share (and OT state) the failed check was made with
      session       TEXT    NOT NULL,  -- the session whose check failed
      reason        TEXT    NOT NULL,  -- the protocol's abort message
      banned_at     INTEGER NOT NULL,  -- ms since the epoch
      PRIMARY KEY (key_id, peer_index)
    ) STRICT;
  `,
};

export type Ban = { keyId: string; peerIndex: number; peerId: string; shareVersion: number; session: string; reason: string; bannedAt: number };

type Row = { key_id: string; peer_index: number; peer_id: string; share_version: number; session: string; reason: string; banned_at: number };

const fromRow = (r: Row): Ban => ({
  keyId: r.key_id,
  peerIndex: r.peer_index,
  peerId: r.peer_id,
  shareVersion: r.share_version,
  session: r.session,
  reason: r.reason,
  bannedAt: r.banned_at,
});

export class BanStore {
  readonly #insert;
  readonly #ofKey;
  readonly #all;
  readonly #deleteKey;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    // The first ban of a peer is kept: later failures of the same peer add nothing.
    this.#insert = db.prepare<[string, number, string, number, string, string, number]>(
      `INSERT INTO bans (key_id, peer_index, peer_id, share_version, session, reason, banned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key_id, peer_index) DO NOTHING`,
    );
    this.#ofKey = db.prepare<[string], Row>(`SELECT * FROM bans WHERE key_id = ? ORDER BY peer_index`);
    this.#all = db.prepare<[], Row>(`SELECT * FROM bans ORDER BY key_id, peer_index`);
    this.#deleteKey = db.prepare<[string]>(`DELETE FROM bans WHERE key_id = ?`);
  }

  /** Durably bans `peerIndex` for `keyId` (committed when this returns). Banning a banned peer again is a no-op. */
  ban(b: Omit<Ban, 'bannedAt'> & { bannedAt?: number }): void {
    this.#insert.run(b.keyId, b.peerIndex, b.peerId, b.shareVersion, b.session, b.reason.slice(0, 1000), b.bannedAt ?? Date.now());
  }

  /** The bans of one key, by peer index. */
  ofKey(keyId: string): Ban[] {
    return this.#ofKey.all(keyId).map(fromRow);
  }

  /** Every ban this party holds (for operators). */
  all(): Ban[] {
    return this.#all.all().map(fromRow);
  }

  /** Replaces every ban of `keyId` by `bans` (a refresh without some parties renumbered the rest). */
  replaceKey(keyId: string, bans: Ban[]): void {
    this.#db
      .transaction(() => {
        this.#deleteKey.run(keyId);
        for (const b of bans) this.ban({ ...b, keyId });
      })
      .immediate();
  }

  /** Runs `fn` as one IMMEDIATE transaction on the party's database (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** The key is gone: its bans go with it. */
  deleteKey(keyId: string): void {
    this.#deleteKey.run(keyId);
  }
}
