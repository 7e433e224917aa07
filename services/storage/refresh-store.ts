// The two-phase activation of a refreshed share (docs/protocols.md "Refresh activation"): one row
// per refresh session a party took part in, with where it stands. The new share itself lives in
// share-store.ts as a pending version; this row says whether the party has confirmed it (its
// signed confirmation left, so it must keep the new share until the refresh is settled), whether
// it activated it (with the certificate: every member's signed confirmation) or gave it up (with
// the signed abandon statement that proves no certificate can exist).
//
// Every state change is one SQLite transaction on the party's database, and the ones that go with
// a share change (activate, drop the pending share) run inside the same transaction as that change.
import type { Database, Migration } from './db.ts';

export const REFRESH_V1: Migration = {
  store: 'refresh-store',
  sql: `
    CREATE TABLE refresh_activations (
      key_id          TEXT    NOT NULL,
      session         TEXT    NOT NULL,  -- the refresh session id (hex)
      version         INTEGER,           -- the pending share's version here (NULL: never held one)
      transcript_hash TEXT,              -- the new version's transcript hash
      members         TEXT,              -- JSON: the new version's party ids, index order
      after           TEXT,              -- JSON: what activation changes besides the share (bans)
      state           TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed', 'activated', 'abandoned', 'rolled-back')),
      confirmation    TEXT,              -- this party's signed confirmation (hex), once confirmed
      proof           TEXT,              -- JSON: the certificate (activated) or the abandon statement (abandoned, rolled-back)
      updated_at      INTEGER NOT NULL,
      PRIMARY KEY (key_id, session)
    ) STRICT;
  `,
};

/**
 * pending: the new share is stored, nothing about it left this party (it may still drop it);
 * confirmed: its signed confirmation may have left: it keeps both shares until a certificate
 * (→ activated) or a member's abandon statement (→ rolled-back) settles the refresh;
 * abandoned: this party gave the refresh up before confirming and will never confirm it.
 */
export type RefreshState = 'pending' | 'confirmed' | 'activated' | 'abandoned' | 'rolled-back';

export type RefreshRow = {
  keyId: string;
  session: string;
  version: number | null;
  transcriptHash: string | null;
  members: string[] | null;
  after: unknown;
  state: RefreshState;
  confirmation: string | null;
  proof: unknown;
  updatedAt: number;
};

type Row = {
  key_id: string;
  session: string;
  version: number | null;
  transcript_hash: string | null;
  members: string | null;
  after: string | null;
  state: RefreshState;
  confirmation: string | null;
  proof: string | null;
  updated_at: number;
};

const fromRow = (r: Row): RefreshRow => ({
  keyId: r.key_id,
  session: r.session,
  version: r.version,
  transcriptHash: r.transcript_hash,
  members: r.members === null ? null : (JSON.parse(r.members) as string[]),
  after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  state: r.state,
  confirmation: r.confirmation,
  proof: r.proof === null ? null : (JSON.parse(r.proof) as unknown),
  updatedAt: r.updated_at,
});

/** A state change the row's current state does not allow. */
export class RefreshStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefreshStoreError';
  }
}

export class RefreshStore {
  readonly #db: Database;
  readonly #get;
  readonly #insert;
  readonly #set;
  readonly #unsettled;
  readonly #activatedSince;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare<[string, string], Row>(`SELECT * FROM refresh_activations WHERE key_id = ? AND session = ?`);
    this.#insert = db.prepare<[string, string, number | null, string | null, string | null, string | null, RefreshState, string | null, number]>(
      `INSERT INTO refresh_activations (key_id, session, version, transcript_hash, members, after, state, proof, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#set = db.prepare<[RefreshState, string | null, string | null, number, string, string]>(
      `UPDATE refresh_activations SET state = ?, confirmation = COALESCE(?, confirmation), proof = COALESCE(?, proof), updated_at = ? WHERE key_id = ? AND session = ?`,
    );
    this.#unsettled = db.prepare<[], Row>(`SELECT * FROM refresh_activations WHERE state IN ('pending', 'confirmed') ORDER BY updated_at`);
    this.#activatedSince = db.prepare<[number], Row>(`SELECT * FROM refresh_activations WHERE state = 'activated' AND updated_at >= ? ORDER BY updated_at`);
  }

  get(keyId: string, session: string): RefreshRow | undefined {
    const r = this.#get.get(keyId, session);
    return r && fromRow(r);
  }

  /** Refreshes not settled here (pending or confirmed), oldest first. */
  unsettled(): RefreshRow[] {
    return this.#unsettled.all().map(fromRow);
  }

  /** Refreshes activated here at or after `since` (ms since the epoch), oldest first. */
  activatedSince(since: number): RefreshRow[] {
    return this.#activatedSince.all(since).map(fromRow);
  }

  /** The confirmed (unsettled) refresh of `keyId`, if any: a new refresh waits until it is settled. */
  confirmedOf(keyId: string): RefreshRow | undefined {
    return this.unsettled().find((r) => r.keyId === keyId && r.state === 'confirmed');
  }

  /** A refresh's new share was stored as pending `version` (call in the putPending transaction). */
  begin(r: { keyId: string; session: string; version: number; transcriptHash: string; members: string[]; after: unknown }): void {
    if (this.#get.get(r.keyId, r.session)) throw new RefreshStoreError(`refresh ${r.session.slice(0, 16)}… of key ${r.keyId} is already recorded`);
    this.#insert.run(r.keyId, r.session, r.version, r.transcriptHash, JSON.stringify(r.members), JSON.stringify(r.after ?? null), 'pending', null, Date.now());
  }

  /** pending → confirmed, with this party's confirmation; committed before the confirmation leaves. */
  confirm(keyId: string, session: string, confirmation: string): void {
    this.#tx(() => {
      const r = this.#get.get(keyId, session);
      if (r?.state !== 'pending')
        throw new RefreshStoreError(`refresh ${session.slice(0, 16)}… of key ${keyId} is ${r?.state ?? 'unknown'} here; it cannot be confirmed`);
      this.#set.run('confirmed', confirmation, null, Date.now(), keyId, session);
    });
  }

  /** → activated, keeping the certificate (call in the transaction that activates the share). */
  activated(keyId: string, session: string, certificate: unknown): void {
    this.#set.run('activated', null, JSON.stringify(certificate), Date.now(), keyId, session);
  }

  /**
   * → abandoned (inserting the row if this party never held the new share): this party will never
   * confirm the session. Refused once confirmed or settled otherwise.
   */
  abandon(keyId: string, session: string, statement: unknown): void {
    this.#tx(() => {
      const r = this.#get.get(keyId, session);
      if (!r) {
        this.#insert.run(keyId, session, null, null, null, null, 'abandoned', JSON.stringify(statement), Date.now());
        return;
      }
      if (r.state === 'abandoned') return;
      if (r.state !== 'pending') throw new RefreshStoreError(`refresh ${session.slice(0, 16)}… of key ${keyId} is ${r.state} here; it cannot be abandoned`);
      this.#set.run('abandoned', null, JSON.stringify(statement), Date.now(), keyId, session);
    });
  }

  /** confirmed → rolled-back, with the member's abandon statement that proves it (call in the transaction that drops the share). */
  rolledBack(keyId: string, session: string, statement: unknown): void {
    this.#set.run('rolled-back', null, JSON.stringify(statement), Date.now(), keyId, session);
  }

  /** The key is gone: its rows go with it. */
  deleteKey(keyId: string): void {
    this.#db.prepare<[string]>(`DELETE FROM refresh_activations WHERE key_id = ?`).run(keyId);
  }

  /** Runs `fn` as one IMMEDIATE transaction on the party's database (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  #tx(fn: () => void): void {
    this.#db.transaction(fn).immediate();
  }
}
