// The party's key shares, encrypted at rest, with versions so that a refresh can swap shares
// atomically: the new share is written as pending while the active one keeps signing, then
// activate() promotes it and deletes the older versions in one transaction.
//
// Every method that writes is one SQLite transaction (WAL, synchronous = FULL): after a crash the
// store holds the state before the call or after it. A partial unique index makes "two active
// versions of one key" unrepresentable.
import type { Database, Migration } from './db.ts';
import type { MasterKey } from './master-key.ts';
import { openAtRest, sealAtRest, SealedBoxError } from './sealed-box.ts';

export const SHARES_V1: Migration = {
  store: 'share-store',
  sql: `
    CREATE TABLE shares (
      key_id   TEXT    NOT NULL,
      version  INTEGER NOT NULL CHECK (version >= 0),
      protocol TEXT    NOT NULL,
      state    TEXT    NOT NULL CHECK (state IN ('pending', 'active')),
      sealed   BLOB    NOT NULL,  -- sealAtRest(JSON of the share), bound to recordAad(...)
      meta     TEXT    NOT NULL,  -- JSON, public; authenticated through the share's AAD
      PRIMARY KEY (key_id, version)
    ) STRICT;
    CREATE UNIQUE INDEX shares_one_active ON shares (key_id) WHERE state = 'active';
  `,
};

export type ShareState = 'pending' | 'active';

/** What the party stores for one version of one key's share. */
export type ShareRecord = {
  keyId: string;
  protocol: string;
  /** Share version: grows by one (or more) with every refresh. */
  version: number;
  /** The secret share, any JSON value. Encrypted at rest. */
  share: unknown;
  /**
   * Public metadata, any JSON value: parties, threshold, public key, policy hash, transcript hash.
   * Stored in clear but bound into the share's AAD, so altering it makes the share unreadable.
   * Put this party's own index here too, and it is bound as well.
   */
  meta: unknown;
};

export type StoredShare = ShareRecord & { state: ShareState };

/** A request the store refuses (unknown version, stale version, discarding the active share...). */
export class ShareStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareStoreError';
  }
}

type Row = { key_id: string; version: number; protocol: string; state: ShareState; sealed: Uint8Array; meta: string };

export class ShareStore {
  readonly #db: Database;
  readonly #masterKey: MasterKey;
  readonly #insert;
  readonly #byVersion;
  readonly #active;
  readonly #activeVersion;
  readonly #deleteOlder;
  readonly #promote;
  readonly #deletePending;
  readonly #deleteKey;
  readonly #listActive;
  readonly #activeStamp;
  /**
   * The decrypted active shares of the keys used most recently (at most ACTIVE_CACHE_MAX), deep-
   * frozen, each with the version and meta text it was read with: a share is decrypted and parsed
   * once, not on every Sign (≈ 1.5 ms for a DKLs23 share). The process holds the master key that
   * opens every share anyway, so keeping a few opened ones adds no secret it could not reach.
   */
  readonly #cache = new Map<string, { version: number; meta: string; share: StoredShare }>();

  constructor(db: Database, masterKey: MasterKey) {
    this.#db = db;
    this.#masterKey = masterKey;
    this.#insert = db.prepare<[string, number, string, Uint8Array, string]>(
      `INSERT INTO shares (key_id, version, protocol, state, sealed, meta) VALUES (?, ?, ?, 'pending', ?, ?)`,
    );
    this.#byVersion = db.prepare<[string, number], Row>(`SELECT * FROM shares WHERE key_id = ? AND version = ?`);
    this.#active = db.prepare<[string], Row>(`SELECT * FROM shares WHERE key_id = ? AND state = 'active'`);
    this.#activeVersion = db.prepare<[string], number>(`SELECT version FROM shares WHERE key_id = ? AND state = 'active'`).pluck();
    this.#deleteOlder = db.prepare<[string, number]>(`DELETE FROM shares WHERE key_id = ? AND version < ?`);
    this.#promote = db.prepare<[string, number]>(`UPDATE shares SET state = 'active' WHERE key_id = ? AND version = ?`);
    this.#deletePending = db.prepare<[string, number]>(`DELETE FROM shares WHERE key_id = ? AND version = ? AND state = 'pending'`);
    this.#deleteKey = db.prepare<[string]>(`DELETE FROM shares WHERE key_id = ?`);
    this.#listActive = db.prepare<[], { key_id: string }>(`SELECT key_id FROM shares WHERE state = 'active' ORDER BY key_id`);
    this.#activeStamp = db.prepare<[string], { version: number; meta: string }>(`SELECT version, meta FROM shares WHERE key_id = ? AND state = 'active'`);
  }

  /**
   * Stores a new version as pending: invisible to getActive until activate().
   * @throws ShareStoreError if that version exists, is not newer than the active one, or the
   * protocol differs from the active version's.
   */
  putPending(rec: ShareRecord): void {
    const { keyId, protocol, version } = rec;
    checkVersion(version);
    const shareJson = JSON.stringify(rec.share);
    const metaJson = JSON.stringify(rec.meta);
    if (shareJson === undefined || metaJson === undefined) throw new TypeError('share and meta must be JSON values');
    const plaintext = Buffer.from(shareJson, 'utf8');
    const sealed = sealAtRest(this.#masterKey, plaintext, recordAad(keyId, protocol, version, metaJson));
    plaintext.fill(0);
    this.#immediate(() => {
      if (this.#byVersion.get(keyId, version)) throw new ShareStoreError(`share ${keyId} version ${version} already exists`);
      const active = this.#active.get(keyId);
      if (active && active.version >= version) {
        throw new ShareStoreError(`share ${keyId} version ${version} is not newer than the active version ${active.version}`);
      }
      if (active && active.protocol !== protocol) {
        throw new ShareStoreError(`share ${keyId} is ${active.protocol}; a ${protocol} version cannot follow it`);
      }
      this.#insert.run(keyId, version, protocol, sealed, metaJson);
    });
  }

  /**
   * Makes `version` the active share of `keyId` and deletes every older version (the previous
   * active one included), in one transaction. Activating the active version again is a no-op.
   * The pending share is decrypted first, so a share that does not open never replaces one that does.
   * @throws ShareStoreError if the version does not exist or is older than the active one.
   */
  activate(keyId: string, version: number): void {
    this.#immediate(() => {
      const row = this.#byVersion.get(keyId, version);
      if (!row) throw new ShareStoreError(`no share ${keyId} version ${version} to activate`);
      if (row.state === 'active') return;
      const active = this.#active.get(keyId);
      if (active && active.version > version) {
        throw new ShareStoreError(`share ${keyId} version ${version} is older than the active version ${active.version}`);
      }
      this.#open(row);
      this.#deleteOlder.run(keyId, version);
      this.#promote.run(keyId, version);
    });
  }

  /**
   * The active share of `keyId`, decrypted; undefined if there is none (pending ones do not count).
   * Deep-frozen and possibly shared with earlier callers: copy before changing anything. It is
   * served from memory while the row's version and meta are those it was read with (a key deleted
   * and made again under the same id has another transcript, hence other meta).
   */
  getActive(keyId: string): StoredShare | undefined {
    const stamp = this.#activeStamp.get(keyId);
    if (!stamp) {
      this.#cache.delete(keyId);
      return undefined;
    }
    const hit = this.#cache.get(keyId);
    if (hit && hit.version === stamp.version && hit.meta === stamp.meta) {
      this.#cache.delete(keyId);
      this.#cache.set(keyId, hit);
      return hit.share;
    }
    const row = this.#active.get(keyId);
    if (!row) return undefined;
    const share = deepFreeze(this.#open(row));
    this.#cache.delete(keyId);
    if (this.#cache.size >= ACTIVE_CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(keyId, { version: row.version, meta: row.meta, share });
    return share;
  }

  /** One version of `keyId`, pending or active, decrypted. */
  getVersion(keyId: string, version: number): StoredShare | undefined {
    const row = this.#byVersion.get(keyId, version);
    return row && this.#open(row);
  }

  /** The active version number of `keyId`, without decrypting anything. */
  activeVersion(keyId: string): number | undefined {
    return this.#activeVersion.get(keyId);
  }

  /**
   * Deletes a pending version (a failed DKG or refresh). A version that is not there is ignored.
   * @throws ShareStoreError if the version is the active one.
   */
  discardPending(keyId: string, version: number): void {
    this.#immediate(() => {
      if (this.#deletePending.run(keyId, version).changes === 0 && this.#byVersion.get(keyId, version)) {
        throw new ShareStoreError(`share ${keyId} version ${version} is active; it cannot be discarded as pending`);
      }
    });
  }

  /**
   * Deletes every version of `keyId`, active and pending, and scrubs the write-ahead log (scrubWal):
   * secure_delete overwrites the row in the database pages, but the pages that held it stay in
   * shares.db-wal until a checkpoint copies them back and the log is truncated.
   */
  delete(keyId: string): void {
    this.#cache.delete(keyId);
    this.#deleteKey.run(keyId);
    this.scrubWal();
  }

  /**
   * Copies the write-ahead log into the database (whose deleted rows secure_delete has zeroed) and
   * truncates the log to zero bytes, so no frame holding a deleted share's ciphertext stays in
   * shares.db-wal (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint). Returns false when
   * it could not complete (inside a transaction, or another connection is reading); the next call
   * (or the next close) finishes it.
   */
  scrubWal(): boolean {
    if (this.#db.inTransaction || this.#db.memory) return false;
    const [r] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r?.busy === 0;
  }

  /** Ids of the keys that have an active share, sorted. */
  /**
   * Drops every pending (never activated) share but those in `keep`. A party calls this at start:
   * a pending share belongs to a DKG or refresh that was cut off by a crash, and that session can never finish.
   * Returns the key ids whose pending rows were dropped.
   */
  discardAllPending(keep: readonly { keyId: string; version: number }[] = []): string[] {
    // `keep`: the pending versions of refreshes this party confirmed (services/party/activation.ts):
    // they wait for their certificate or rollback instead.
    const kept = (r: { key_id: string; version: number }) => keep.some((k) => k.keyId === r.key_id && k.version === r.version);
    const rows = this.#db
      .prepare<[], { key_id: string; version: number }>(`SELECT key_id, version FROM shares WHERE state = 'pending'`)
      .all()
      .filter((r) => !kept(r));
    const del = this.#db.prepare<[string, number]>(`DELETE FROM shares WHERE key_id = ? AND version = ? AND state = 'pending'`);
    this.#immediate(() => {
      for (const r of rows) del.run(r.key_id, r.version);
    });
    return [...new Set(rows.map((r) => r.key_id))];
  }

  listActive(): string[] {
    return this.#listActive.all().map((r) => r.key_id);
  }

  #open(row: Row): StoredShare {
    const aad = recordAad(row.key_id, row.protocol, row.version, row.meta);
    let plaintext: Uint8Array;
    try {
      plaintext = openAtRest(this.#masterKey, row.sealed, aad);
    } catch (e) {
      if (!(e instanceof SealedBoxError)) throw e;
      throw new SealedBoxError(`share ${row.key_id} version ${row.version}: ${e.message}`);
    }
    const share: unknown = JSON.parse(new TextDecoder().decode(plaintext));
    plaintext.fill(0);
    return { keyId: row.key_id, protocol: row.protocol, version: row.version, state: row.state, share, meta: JSON.parse(row.meta) as unknown };
  }

  #immediate(fn: () => void): void {
    // IMMEDIATE takes the write lock before the first read, so a read-then-write cannot be
    // invalidated by another connection's commit in between.
    this.#db.transaction(fn).immediate();
  }
}

/** Keys whose opened active share stays in memory (ShareStore #cache). */
export const ACTIVE_CACHE_MAX = 32;

/** Freezes a JSON value and everything in it. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * The identity a sealed share is bound to: moving the blob to any other row makes it fail to open.
 * A JSON array is an unambiguous encoding of its elements; meta is bound as the exact stored text.
 */
function recordAad(keyId: string, protocol: string, version: number, metaJson: string): Uint8Array {
  return Buffer.from(JSON.stringify(['share-record', keyId, protocol, version, metaJson]), 'utf8');
}

function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new RangeError(`share version must be a non-negative integer, got ${version}`);
  }
}
