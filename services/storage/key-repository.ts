// The coordinator's key metadata. Public by nature (the coordinator holds no secrets): ids, ARN,
// spec, usage, state, parties, threshold, public key, policy hash, tags, the key policy document,
// aliases, and the shares parties still have to delete for keys that are gone.
//
// Every method is one SQLite transaction, and the gateway is one process calling them synchronously,
// so a read-modify-write (mutate) can never interleave with another request's.
import type { Database, Migration } from './db.ts';

export const KEYS_V1: Migration = {
  store: 'key-repository',
  sql: `
    CREATE TABLE keys (
      key_id        TEXT    NOT NULL PRIMARY KEY,
      arn           TEXT    NOT NULL UNIQUE,
      account_id    TEXT    NOT NULL,
      region        TEXT    NOT NULL,
      creation_date INTEGER NOT NULL,  -- ms since the epoch
      description   TEXT    NOT NULL,
      key_usage     TEXT    NOT NULL,
      key_spec      TEXT    NOT NULL,
      key_state     TEXT    NOT NULL CHECK (key_state IN ('Creating', 'Enabled', 'Disabled', 'PendingDeletion')),
      protocol      TEXT    NOT NULL,
      threshold     INTEGER NOT NULL CHECK (threshold >= 1),
      parties       TEXT    NOT NULL,  -- JSON array of party ids, in index order
      public_key    TEXT,              -- hex, raw encoding
      policy_hash   TEXT,
      tags          TEXT    NOT NULL,  -- JSON array of {TagKey, TagValue}
      deletion_date INTEGER            -- ms since the epoch
    ) STRICT;
    CREATE INDEX keys_by_creation ON keys (creation_date, key_id);
  `,
};

export const KEYS_V2: Migration = {
  store: 'key-repository',
  sql: `
    ALTER TABLE keys ADD COLUMN policy TEXT;                  -- the key policy document, verbatim; NULL = AWS default
    ALTER TABLE keys ADD COLUMN pending_window_days INTEGER;  -- set while PendingDeletion
    CREATE INDEX keys_by_deletion ON keys (key_state, deletion_date);
    CREATE TABLE aliases (
      alias_name        TEXT    NOT NULL PRIMARY KEY,        -- 'alias/<name>'
      key_id            TEXT    NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
      creation_date     INTEGER NOT NULL,                    -- ms since the epoch
      last_updated_date INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX aliases_by_key ON aliases (key_id, alias_name);
    -- A key that is gone whose share a party has not yet confirmed deleting (resent on every connect).
    CREATE TABLE share_deletions (
      key_id       TEXT    NOT NULL,
      party_id     TEXT    NOT NULL,
      requested_at INTEGER NOT NULL,                         -- ms since the epoch
      PRIMARY KEY (key_id, party_id)
    ) STRICT;
  `,
};

export const KEYS_V3: Migration = {
  store: 'key-repository',
  sql: `
    ALTER TABLE keys ADD COLUMN signing_policy  TEXT;     -- JSON (RFC 8785) of the key's latest signing-policy revision
    ALTER TABLE keys ADD COLUMN policy_revision INTEGER;  -- its revision number; policy_hash is its hash
  `,
};

export type KeyState = 'Creating' | 'Enabled' | 'Disabled' | 'PendingDeletion';
export const KEY_STATES: readonly KeyState[] = ['Creating', 'Enabled', 'Disabled', 'PendingDeletion'];

export type Tag = { TagKey: string; TagValue: string };

export type StoredKey = {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  /** ms since the epoch */
  creationDate: number;
  description: string;
  keyUsage: string;
  keySpec: string;
  keyState: KeyState;
  protocol: string;
  threshold: number;
  /** Party ids in index order: the party at position i has index i + 1. */
  parties: string[];
  /** Hex of the raw public key; null until DKG completes. */
  publicKey: string | null;
  policyHash: string | null;
  tags: Tag[];
  /** ms since the epoch; set while PendingDeletion. */
  deletionDate: number | null;
  /** Set while PendingDeletion: the waiting period asked for, in days. */
  pendingWindowInDays: number | null;
  /** The key policy document exactly as given (or as generated at creation); null = AWS's default. */
  policy: string | null;
  /**
   * The latest signing-policy revision all the key's parties accepted, as RFC 8785 JSON, and its
   * number (policyHash is its hash). Null for keys made before signing policies (they have the default).
   */
  signingPolicy?: string | null;
  policyRevision?: number | null;
};

export type StoredAlias = {
  /** `alias/<name>` */
  aliasName: string;
  keyId: string;
  /** ms since the epoch */
  creationDate: number;
  lastUpdatedDate: number;
};

/** Where a listing continues: the last entry of the previous page. */
export type KeyCursor = { creationDate: number; keyId: string };

export type KeyRepositoryErrorCode = 'exists' | 'not-found' | 'invalid' | 'invalid-cursor';

export class KeyRepositoryError extends Error {
  readonly code: KeyRepositoryErrorCode;
  constructor(code: KeyRepositoryErrorCode, message: string) {
    super(message);
    this.name = 'KeyRepositoryError';
    this.code = code;
  }
}

export type Row = {
  key_id: string;
  arn: string;
  account_id: string;
  region: string;
  creation_date: number;
  description: string;
  key_usage: string;
  key_spec: string;
  key_state: KeyState;
  protocol: string;
  threshold: number;
  parties: string;
  public_key: string | null;
  policy_hash: string | null;
  tags: string;
  deletion_date: number | null;
  pending_window_days: number | null;
  policy: string | null;
  signing_policy: string | null;
  policy_revision: number | null;
};
export type AliasRow = { alias_name: string; key_id: string; creation_date: number; last_updated_date: number };

export const COLUMNS = `key_id, arn, account_id, region, creation_date, description, key_usage, key_spec, key_state,
  protocol, threshold, parties, public_key, policy_hash, tags, deletion_date, pending_window_days, policy, signing_policy, policy_revision`;
const VALUES = `@key_id, @arn, @account_id, @region, @creation_date, @description, @key_usage, @key_spec, @key_state,
  @protocol, @threshold, @parties, @public_key, @policy_hash, @tags, @deletion_date, @pending_window_days, @policy, @signing_policy, @policy_revision`;

export class KeyRepository {
  readonly #insert;
  readonly #replace;
  readonly #get;
  readonly #delete;
  readonly #first;
  readonly #after;
  readonly #update;
  readonly #mutate;
  readonly #getAlias;
  readonly #insertAlias;
  readonly #retargetAlias;
  readonly #deleteAlias;
  readonly #aliasesFirst;
  readonly #aliasesAfter;
  readonly #aliasesOfKeyFirst;
  readonly #aliasesOfKeyAfter;
  readonly #countAliases;
  readonly #due;
  readonly #inState;
  readonly #purgeKey;
  readonly #addShareDeletion;
  readonly #shareDeletions;
  readonly #shareDeletionsOf;
  readonly #shareDeleted;
  readonly #purge;

  constructor(db: Database) {
    this.#insert = db.prepare<[Row]>(`INSERT INTO keys (${COLUMNS}) VALUES (${VALUES})`);
    this.#replace = db.prepare<[Row]>(`UPDATE keys SET (${COLUMNS}) = (${VALUES}) WHERE key_id = @key_id`);
    this.#get = db.prepare<[string], Row>(`SELECT * FROM keys WHERE key_id = ?`);
    this.#delete = db.prepare<[string]>(`DELETE FROM keys WHERE key_id = ?`);
    this.#first = db.prepare<[number], Row>(`SELECT * FROM keys ORDER BY creation_date, key_id LIMIT ?`);
    this.#after = db.prepare<[number, string, number], Row>(`SELECT * FROM keys WHERE (creation_date, key_id) > (?, ?) ORDER BY creation_date, key_id LIMIT ?`);
    this.#update = db.transaction((keyId: string, patch: Partial<StoredKey>) => {
      const row = this.#get.get(keyId);
      if (!row) throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      this.#replace.run(toRow(validate({ ...fromRow(row), ...definedOnly(patch), keyId })));
    });
    this.#mutate = db.transaction(<T>(keyId: string, fn: (k: StoredKey) => { patch?: Partial<StoredKey>; result: T }): T => {
      const row = this.#get.get(keyId);
      if (!row) throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      const { patch, result } = fn(fromRow(row));
      if (patch) this.#replace.run(toRow(validate({ ...fromRow(row), ...definedOnly(patch), keyId })));
      return result;
    });

    this.#getAlias = db.prepare<[string], AliasRow>(`SELECT * FROM aliases WHERE alias_name = ?`);
    this.#insertAlias = db.prepare<[AliasRow]>(
      `INSERT INTO aliases (alias_name, key_id, creation_date, last_updated_date) VALUES (@alias_name, @key_id, @creation_date, @last_updated_date)`,
    );
    this.#retargetAlias = db.prepare<[string, number, string]>(`UPDATE aliases SET key_id = ?, last_updated_date = ? WHERE alias_name = ?`);
    this.#deleteAlias = db.prepare<[string]>(`DELETE FROM aliases WHERE alias_name = ?`);
    this.#aliasesFirst = db.prepare<[number], AliasRow>(`SELECT * FROM aliases ORDER BY alias_name LIMIT ?`);
    this.#aliasesAfter = db.prepare<[string, number], AliasRow>(`SELECT * FROM aliases WHERE alias_name > ? ORDER BY alias_name LIMIT ?`);
    this.#aliasesOfKeyFirst = db.prepare<[string, number], AliasRow>(`SELECT * FROM aliases WHERE key_id = ? ORDER BY alias_name LIMIT ?`);
    this.#aliasesOfKeyAfter = db.prepare<[string, string, number], AliasRow>(
      `SELECT * FROM aliases WHERE key_id = ? AND alias_name > ? ORDER BY alias_name LIMIT ?`,
    );
    this.#countAliases = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM aliases WHERE key_id = ?`);

    this.#due = db.prepare<[number], Row>(`SELECT * FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= ? ORDER BY deletion_date, key_id`);
    this.#inState = db.prepare<[string], Row>(`SELECT * FROM keys WHERE key_state = ? ORDER BY creation_date, key_id`);
    this.#purgeKey = db.prepare<[string]>(`DELETE FROM keys WHERE key_id = ?`);
    this.#addShareDeletion = db.prepare<[string, string, number]>(`INSERT OR IGNORE INTO share_deletions (key_id, party_id, requested_at) VALUES (?, ?, ?)`);
    this.#shareDeletions = db.prepare<[], { key_id: string; party_id: string }>(
      `SELECT key_id, party_id FROM share_deletions ORDER BY requested_at, key_id, party_id`,
    );
    this.#shareDeletionsOf = db.prepare<[string], { key_id: string }>(`SELECT key_id FROM share_deletions WHERE party_id = ? ORDER BY requested_at, key_id`);
    this.#shareDeleted = db.prepare<[string, string]>(`DELETE FROM share_deletions WHERE key_id = ? AND party_id = ?`);
    this.#purge = db.transaction((keyId: string, accept: (k: StoredKey) => boolean, now: number): StoredKey | undefined => {
      const row = this.#get.get(keyId);
      if (!row) return undefined;
      const k = fromRow(row);
      if (!accept(k)) return undefined;
      for (const party of k.parties) this.#addShareDeletion.run(keyId, party, now);
      this.#purgeKey.run(keyId); // its aliases go with it (ON DELETE CASCADE)
      return k;
    });
  }

  /** @throws KeyRepositoryError 'exists' if the key id or ARN is taken, 'invalid' if the record is inconsistent. */
  insert(k: StoredKey): void {
    try {
      this.#insert.run(toRow(validate(k)));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new KeyRepositoryError('exists', `key ${k.keyId} (${k.arn}) already exists`);
      }
      throw e;
    }
  }

  get(keyId: string): StoredKey | undefined {
    const row = this.#get.get(keyId);
    return row && fromRow(row);
  }

  /**
   * Changes the given fields of one key in one transaction. `keyId` cannot change; fields set to
   * undefined are left as they are (use null to clear a nullable field).
   * @throws KeyRepositoryError 'not-found', or 'invalid' if the result would be inconsistent.
   */
  update(keyId: string, patch: Partial<StoredKey>): void {
    if (patch.keyId !== undefined && patch.keyId !== keyId) {
      throw new KeyRepositoryError('invalid', `key ${keyId}: keyId cannot be changed (to ${patch.keyId})`);
    }
    this.#update.immediate(keyId, patch);
  }

  /**
   * Reads the key, lets `fn` decide on a patch and a result, and writes the patch, all in one
   * transaction (`fn` must not do I/O). `fn` may throw to abandon the change.
   * @throws KeyRepositoryError 'not-found', or whatever `fn` throws.
   */
  mutate<T>(keyId: string, fn: (k: StoredKey) => { patch?: Partial<StoredKey>; result: T }): T {
    return this.#mutate.immediate(keyId, fn) as T;
  }

  /** Removes the key's record. Returns whether there was one. */
  delete(keyId: string): boolean {
    return this.#delete.run(keyId).changes > 0;
  }

  /**
   * One page of keys in (creationDate, keyId) order, which stays stable while keys are added.
   * Pass the last keyId of a page as `afterKeyId` to get the next page.
   * A KeyCursor continues after that position whether or not the key still exists.
   * @throws KeyRepositoryError 'invalid-cursor' if `afterKeyId` names no key (e.g. it was deleted).
   */
  list(limit: number, after?: string | KeyCursor): { keys: StoredKey[]; more: boolean } {
    checkLimit(limit);
    let rows: Row[];
    if (after === undefined) {
      rows = this.#first.all(limit + 1);
    } else if (typeof after === 'object') {
      rows = this.#after.all(after.creationDate, after.keyId, limit + 1);
    } else {
      const cursor = this.#get.get(after);
      if (!cursor) throw new KeyRepositoryError('invalid-cursor', `no key ${after} to continue the listing after`);
      rows = this.#after.all(cursor.creation_date, cursor.key_id, limit + 1);
    }
    return { keys: rows.slice(0, limit).map(fromRow), more: rows.length > limit };
  }

  // --- aliases ---------------------------------------------------------------------------------

  getAlias(aliasName: string): StoredAlias | undefined {
    const row = this.#getAlias.get(aliasName);
    return row && aliasFromRow(row);
  }

  /**
   * @throws KeyRepositoryError 'exists' if the name is taken, 'not-found' if the key does not exist.
   */
  createAlias(aliasName: string, keyId: string, now: number): void {
    try {
      this.#insertAlias.run({ alias_name: aliasName, key_id: keyId, creation_date: now, last_updated_date: now });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new KeyRepositoryError('exists', `alias ${aliasName} already exists`);
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      throw e;
    }
  }

  /** Points an existing alias at another key. @throws KeyRepositoryError 'not-found' (alias or key). */
  retargetAlias(aliasName: string, keyId: string, now: number): void {
    let changes: number;
    try {
      changes = this.#retargetAlias.run(keyId, now, aliasName).changes;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      throw e;
    }
    if (changes === 0) throw new KeyRepositoryError('not-found', `alias ${aliasName} does not exist`);
  }

  /** Returns whether there was such an alias. */
  deleteAlias(aliasName: string): boolean {
    return this.#deleteAlias.run(aliasName).changes > 0;
  }

  /** One page of aliases in name order, all of them or those of one key; continues after `afterName`. */
  listAliases(limit: number, opts: { keyId?: string; afterName?: string } = {}): { aliases: StoredAlias[]; more: boolean } {
    checkLimit(limit);
    const { keyId, afterName } = opts;
    const rows =
      keyId === undefined
        ? afterName === undefined
          ? this.#aliasesFirst.all(limit + 1)
          : this.#aliasesAfter.all(afterName, limit + 1)
        : afterName === undefined
          ? this.#aliasesOfKeyFirst.all(keyId, limit + 1)
          : this.#aliasesOfKeyAfter.all(keyId, afterName, limit + 1);
    return { aliases: rows.slice(0, limit).map(aliasFromRow), more: rows.length > limit };
  }

  countAliases(keyId: string): number {
    return this.#countAliases.get(keyId)!.n;
  }

  // --- deletion ----------------------------------------------------------------------------------

  /** Keys in PendingDeletion whose deletion date is at or before `now` (ms), soonest first. */
  dueForDeletion(now: number): StoredKey[] {
    return this.#due.all(now).map(fromRow);
  }

  /** Every key in `state`, oldest first. */
  inState(state: KeyState): StoredKey[] {
    return this.#inState.all(state).map(fromRow);
  }

  /**
   * In one transaction: if `accept(key)` still holds, removes the key record and its aliases and
   * records that each of its parties must delete its share. Returns the removed key, or undefined
   * (no such key, or `accept` said no — e.g. the deletion was cancelled meanwhile).
   */
  purge(keyId: string, accept: (k: StoredKey) => boolean, now: number): StoredKey | undefined {
    return this.#purge.immediate(keyId, accept, now);
  }

  /**
   * A refresh without some parties succeeded: in one transaction, if the key's parties are still
   * `from`, they become `to` (the remaining ones, in their new index order) and each party of
   * `from` not in `to` is recorded as having to delete its share (sent until it confirms, like the
   * shares of a deleted key).
   * @throws KeyRepositoryError 'not-found', or 'invalid' if the parties changed meanwhile or `to` is inconsistent.
   */
  replaceParties(keyId: string, from: string[], to: string[], now: number): void {
    this.#mutate.immediate(keyId, (k: StoredKey) => {
      if (JSON.stringify(k.parties) !== JSON.stringify(from)) {
        throw new KeyRepositoryError('invalid', `key ${keyId}: its parties changed meanwhile (${k.parties.join(', ')})`);
      }
      if (to.some((p) => !from.includes(p))) throw new KeyRepositoryError('invalid', `key ${keyId}: ${to.join(', ')} are not all parties of the key`);
      for (const party of from) if (!to.includes(party)) this.#addShareDeletion.run(keyId, party, now);
      return { patch: { parties: to }, result: undefined };
    });
  }

  /**
   * ReshareKey (services/coordinator/reshare.ts): the key's holders are now `to` (new-index order,
   * any parties) under `threshold`; every holder of `from` not in `to` is owed a share deletion.
   */
  reshare(keyId: string, from: string[], to: string[], threshold: number, now: number): void {
    this.#mutate.immediate(keyId, (k: StoredKey) => {
      if (JSON.stringify(k.parties) !== JSON.stringify(from)) {
        throw new KeyRepositoryError('invalid', `key ${keyId}: its parties changed meanwhile (${k.parties.join(', ')})`);
      }
      if (!Number.isInteger(threshold) || threshold < 1 || threshold > to.length)
        throw new KeyRepositoryError('invalid', `key ${keyId}: threshold ${threshold} of ${to.length}`);
      for (const party of from) if (!to.includes(party)) this.#addShareDeletion.run(keyId, party, now);
      return { patch: { parties: to, threshold }, result: undefined };
    });
  }

  /** Shares still to be deleted: every (key, party) pair, or the key ids one party still has to delete. */
  pendingShareDeletions(): { keyId: string; partyId: string }[] {
    return this.#shareDeletions.all().map((r) => ({ keyId: r.key_id, partyId: r.party_id }));
  }

  pendingShareDeletionsOf(partyId: string): string[] {
    return this.#shareDeletionsOf.all(partyId).map((r) => r.key_id);
  }

  /** The party confirmed it holds no share of the key any more. Returns whether it was pending. */
  shareDeleted(keyId: string, partyId: string): boolean {
    return this.#shareDeleted.run(keyId, partyId).changes > 0;
  }
}

export function validate(k: StoredKey): StoredKey {
  const bad = (why: string) => new KeyRepositoryError('invalid', `key ${k.keyId}: ${why}`);
  if (!k.keyId) throw bad('empty keyId');
  if (!KEY_STATES.includes(k.keyState)) throw bad(`unknown keyState ${String(k.keyState)}`);
  if (!Number.isSafeInteger(k.creationDate)) throw bad(`creationDate must be integer ms, got ${k.creationDate}`);
  if (k.deletionDate !== null && !Number.isSafeInteger(k.deletionDate)) throw bad(`deletionDate must be integer ms or null`);
  if (k.pendingWindowInDays !== null && !Number.isSafeInteger(k.pendingWindowInDays)) throw bad('pendingWindowInDays must be an integer or null');
  if (!Array.isArray(k.parties) || k.parties.length === 0 || new Set(k.parties).size !== k.parties.length) {
    throw bad('parties must be a non-empty list of distinct ids');
  }
  if (!Number.isInteger(k.threshold) || k.threshold < 1 || k.threshold > k.parties.length) {
    throw bad(`threshold ${k.threshold} is not in [1, ${k.parties.length}]`);
  }
  return k;
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`list limit must be a positive integer, got ${limit}`);
}

export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function toRow(k: StoredKey): Row {
  return {
    key_id: k.keyId,
    arn: k.arn,
    account_id: k.accountId,
    region: k.region,
    creation_date: k.creationDate,
    description: k.description,
    key_usage: k.keyUsage,
    key_spec: k.keySpec,
    key_state: k.keyState,
    protocol: k.protocol,
    threshold: k.threshold,
    parties: JSON.stringify(k.parties),
    public_key: k.publicKey,
    policy_hash: k.policyHash,
    tags: JSON.stringify(k.tags),
    deletion_date: k.deletionDate,
    pending_window_days: k.pendingWindowInDays ?? null,
    policy: k.policy ?? null,
    signing_policy: k.signingPolicy ?? null,
    policy_revision: k.policyRevision ?? null,
  };
}

export function fromRow(r: Row): StoredKey {
  return {
    keyId: r.key_id,
    arn: r.arn,
    accountId: r.account_id,
    region: r.region,
    creationDate: r.creation_date,
    description: r.description,
    keyUsage: r.key_usage,
    keySpec: r.key_spec,
    keyState: r.key_state,
    protocol: r.protocol,
    threshold: r.threshold,
    parties: JSON.parse(r.parties) as string[],
    publicKey: r.public_key,
    policyHash: r.policy_hash,
    tags: JSON.parse(r.tags) as Tag[],
    deletionDate: r.deletion_date,
    pendingWindowInDays: r.pending_window_days,
    policy: r.policy,
    ...(r.signing_policy !== null ? { signingPolicy: r.signing_policy } : {}),
    ...(r.policy_revision !== null ? { policyRevision: r.policy_revision } : {}),
  };
}

export function aliasFromRow(r: AliasRow): StoredAlias {
  return { aliasName: r.alias_name, keyId: r.key_id, creationDate: r.creation_date, lastUpdatedDate: r.last_updated_date };
}
