// The coordinator's key metadata. Public by nature (the coordinator holds no secrets): ids, ARN,
// spec, usage, state, parties, threshold, public key, policy hash, tags.
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
};

export type KeyRepositoryErrorCode = 'exists' | 'not-found' | 'invalid' | 'invalid-cursor';

export class KeyRepositoryError extends Error {
  readonly code: KeyRepositoryErrorCode;
  constructor(code: KeyRepositoryErrorCode, message: string) {
    super(message);
    this.name = 'KeyRepositoryError';
    this.code = code;
  }
}

type Row = {
  key_id: string; arn: string; account_id: string; region: string; creation_date: number; description: string;
  key_usage: string; key_spec: string; key_state: KeyState; protocol: string; threshold: number; parties: string;
  public_key: string | null; policy_hash: string | null; tags: string; deletion_date: number | null;
};

const COLUMNS = `key_id, arn, account_id, region, creation_date, description, key_usage, key_spec, key_state,
  protocol, threshold, parties, public_key, policy_hash, tags, deletion_date`;
const VALUES = `@key_id, @arn, @account_id, @region, @creation_date, @description, @key_usage, @key_spec, @key_state,
  @protocol, @threshold, @parties, @public_key, @policy_hash, @tags, @deletion_date`;

export class KeyRepository {
  readonly #insert;
  readonly #replace;
  readonly #get;
  readonly #delete;
  readonly #first;
  readonly #after;
  readonly #update;

  constructor(db: Database) {
    this.#insert = db.prepare<[Row]>(`INSERT INTO keys (${COLUMNS}) VALUES (${VALUES})`);
    this.#replace = db.prepare<[Row]>(`UPDATE keys SET (${COLUMNS}) = (${VALUES}) WHERE key_id = @key_id`);
    this.#get = db.prepare<[string], Row>(`SELECT * FROM keys WHERE key_id = ?`);
    this.#delete = db.prepare<[string]>(`DELETE FROM keys WHERE key_id = ?`);
    this.#first = db.prepare<[number], Row>(`SELECT * FROM keys ORDER BY creation_date, key_id LIMIT ?`);
    this.#after = db.prepare<[number, string, number], Row>(
      `SELECT * FROM keys WHERE (creation_date, key_id) > (?, ?) ORDER BY creation_date, key_id LIMIT ?`);
    this.#update = db.transaction((keyId: string, patch: Partial<StoredKey>) => {
      const row = this.#get.get(keyId);
      if (!row) throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      this.#replace.run(toRow(validate({ ...fromRow(row), ...definedOnly(patch), keyId })));
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

  /** Removes the key's record. Returns whether there was one. */
  delete(keyId: string): boolean {
    return this.#delete.run(keyId).changes > 0;
  }

  /**
   * One page of keys in (creationDate, keyId) order, which stays stable while keys are added.
   * Pass the last keyId of a page as `afterKeyId` to get the next page.
   * @throws KeyRepositoryError 'invalid-cursor' if `afterKeyId` names no key (e.g. it was deleted).
   */
  list(limit: number, afterKeyId?: string): { keys: StoredKey[]; more: boolean } {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`list limit must be a positive integer, got ${limit}`);
    let rows: Row[];
    if (afterKeyId === undefined) {
      rows = this.#first.all(limit + 1);
    } else {
      const cursor = this.#get.get(afterKeyId);
      if (!cursor) throw new KeyRepositoryError('invalid-cursor', `no key ${afterKeyId} to continue the listing after`);
      rows = this.#after.all(cursor.creation_date, cursor.key_id, limit + 1);
    }
    return { keys: rows.slice(0, limit).map(fromRow), more: rows.length > limit };
  }
}

function validate(k: StoredKey): StoredKey {
  const bad = (why: string) => new KeyRepositoryError('invalid', `key ${k.keyId}: ${why}`);
  if (!k.keyId) throw bad('empty keyId');
  if (!KEY_STATES.includes(k.keyState)) throw bad(`unknown keyState ${String(k.keyState)}`);
  if (!Number.isSafeInteger(k.creationDate)) throw bad(`creationDate must be integer ms, got ${k.creationDate}`);
  if (k.deletionDate !== null && !Number.isSafeInteger(k.deletionDate)) throw bad(`deletionDate must be integer ms or null`);
  if (!Array.isArray(k.parties) || k.parties.length === 0 || new Set(k.parties).size !== k.parties.length) {
    throw bad('parties must be a non-empty list of distinct ids');
  }
  if (!Number.isInteger(k.threshold) || k.threshold < 1 || k.threshold > k.parties.length) {
    throw bad(`threshold ${k.threshold} is not in [1, ${k.parties.length}]`);
  }
  return k;
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toRow(k: StoredKey): Row {
  return {
    key_id: k.keyId, arn: k.arn, account_id: k.accountId, region: k.region, creation_date: k.creationDate,
    description: k.description, key_usage: k.keyUsage, key_spec: k.keySpec, key_state: k.keyState,
    protocol: k.protocol, threshold: k.threshold, parties: JSON.stringify(k.parties), public_key: k.publicKey,
    policy_hash: k.policyHash, tags: JSON.stringify(k.tags), deletion_date: k.deletionDate,
  };
}

function fromRow(r: Row): StoredKey {
  return {
    keyId: r.key_id, arn: r.arn, accountId: r.account_id, region: r.region, creationDate: r.creation_date,
    description: r.description, keyUsage: r.key_usage, keySpec: r.key_spec, keyState: r.key_state,
    protocol: r.protocol, threshold: r.threshold, parties: JSON.parse(r.parties) as string[],
    publicKey: r.public_key, policyHash: r.policy_hash, tags: JSON.parse(r.tags) as Tag[], deletionDate: r.deletion_date,
  };
}
