// The gateway's state behind one asynchronous interface, so that several gateways (replicas) can
// share it: key records, aliases, tags, key policies, the deletion schedule and pending share
// deletions (KeyStore), creation receipts, deletion records and deleted key ids (EvidenceStore),
// and the parties' signing-policy revision acknowledgements (AckStore).
//
// Two implementations with the same contract (tests/services/storage/gateway-store.test.ts runs
// one test body against both):
//   - SQLite (sqliteGatewayStore below): the embedded default of `npm start`, one gateway, the
//     synchronous stores of this folder wrapped in promises;
//   - PostgreSQL (postgres/postgres-gateway-store.ts), chosen by TUTTI_DATABASE_URL: any number of
//     gateways against one database (docs/operations.md "Gateway replicas").
// Races between replicas (two CreateAlias of one name, two deletions of one key) are decided by the
// database — primary keys, and row locks inside one transaction — never by an in-process lock.
import type { Database } from './db.ts';
import { AttestationStore } from './attestation-store.ts';
import { KeyRepository, type KeyCursor, type KeyState, type StoredAlias, type StoredKey } from './key-repository.ts';
import { RevisionAckStore, type StoredRevisionAck } from './revision-acks.ts';

/** Key records, aliases and the deletion schedule; the semantics of each method are key-repository.ts's. */
export interface KeyStore {
  /** @throws KeyRepositoryError 'exists' if the key id or ARN is taken, 'invalid' if inconsistent. */
  insert(k: StoredKey): Promise<void>;
  get(keyId: string): Promise<StoredKey | undefined>;
  /** @throws KeyRepositoryError 'not-found' or 'invalid'. */
  update(keyId: string, patch: Partial<StoredKey>): Promise<void>;
  /** Read, decide (`fn`, synchronous, no I/O) and write in one transaction holding the row. */
  mutate<T>(keyId: string, fn: (k: StoredKey) => { patch?: Partial<StoredKey>; result: T }): Promise<T>;
  delete(keyId: string): Promise<boolean>;
  list(limit: number, after?: string | KeyCursor): Promise<{ keys: StoredKey[]; more: boolean }>;
  getAlias(aliasName: string): Promise<StoredAlias | undefined>;
  /** @throws KeyRepositoryError 'exists' (the name is taken: the loser of a race gets this) or 'not-found'. */
  createAlias(aliasName: string, keyId: string, now: number): Promise<void>;
  retargetAlias(aliasName: string, keyId: string, now: number): Promise<void>;
  deleteAlias(aliasName: string): Promise<boolean>;
  listAliases(limit: number, opts?: { keyId?: string; afterName?: string }): Promise<{ aliases: StoredAlias[]; more: boolean }>;
  countAliases(keyId: string): Promise<number>;
  dueForDeletion(now: number): Promise<StoredKey[]>;
  inState(state: KeyState): Promise<StoredKey[]>;
  /** In one transaction: if `accept(key)` holds, removes the key (and aliases) and records its share deletions. */
  purge(keyId: string, accept: (k: StoredKey) => boolean, now: number): Promise<StoredKey | undefined>;
  replaceParties(keyId: string, from: string[], to: string[], now: number): Promise<void>;
  /** ReshareKey: holders `to` under `threshold`; every holder of `from` not in `to` is owed a share deletion. */
  reshare(keyId: string, from: string[], to: string[], threshold: number, now: number): Promise<void>;
  pendingShareDeletions(): Promise<{ keyId: string; partyId: string }[]>;
  pendingShareDeletionsOf(partyId: string): Promise<string[]>;
  shareDeleted(keyId: string, partyId: string): Promise<boolean>;
}

/** Creation receipts, deletion records and deleted key ids (attestation-store.ts). */
export interface EvidenceStore {
  putReceipts(keyId: string, receipts: { partyId: string; receipt: unknown }[]): Promise<void>;
  /** ReshareKey: the new holders' receipts replace every earlier one (one transaction). */
  replaceReceipts(keyId: string, receipts: { partyId: string; receipt: unknown }[]): Promise<void>;
  receipts(keyId: string): Promise<unknown[]>;
  deletionRecord(keyId: string): Promise<unknown>;
  putDeletionRecord(keyId: string, record: unknown): Promise<void>;
  dropDeletionRecord(keyId: string): Promise<void>;
  tombstone(keyId: string, at: number): Promise<void>;
  wasDeleted(keyId: string): Promise<boolean>;
}

/** The parties' signed signing-policy revision acknowledgements (revision-acks.ts). */
export interface AckStore {
  put(keyId: string, ack: StoredRevisionAck): Promise<void>;
  of(keyId: string): Promise<StoredRevisionAck[]>;
}

export type GatewayStore = {
  readonly kind: 'sqlite' | 'postgres';
  readonly keys: KeyStore;
  readonly evidence: EvidenceStore;
  readonly acks: AckStore;
  close(): Promise<void>;
};

/** The embedded store: one SQLite database (services/storage/db.ts), one gateway. */
export function sqliteGatewayStore(db: Database, opts: { closeDb?: boolean } = {}): GatewayStore {
  return {
    kind: 'sqlite',
    keys: sqliteKeyStore(new KeyRepository(db)),
    evidence: sqliteEvidenceStore(new AttestationStore(db)),
    acks: sqliteAckStore(new RevisionAckStore(db)),
    close: async () => {
      if (opts.closeDb) db.close();
    },
  };
}

/** A promise-returning view of the synchronous repository (a throw becomes a rejection). */
export function sqliteKeyStore(r: KeyRepository): KeyStore {
  return {
    insert: async (k) => r.insert(k),
    get: async (id) => r.get(id),
    update: async (id, patch) => r.update(id, patch),
    mutate: async (id, fn) => r.mutate(id, fn),
    delete: async (id) => r.delete(id),
    list: async (limit, after) => r.list(limit, after),
    getAlias: async (name) => r.getAlias(name),
    createAlias: async (name, id, now) => r.createAlias(name, id, now),
    retargetAlias: async (name, id, now) => r.retargetAlias(name, id, now),
    deleteAlias: async (name) => r.deleteAlias(name),
    listAliases: async (limit, opts) => r.listAliases(limit, opts),
    countAliases: async (id) => r.countAliases(id),
    dueForDeletion: async (now) => r.dueForDeletion(now),
    inState: async (state) => r.inState(state),
    purge: async (id, accept, now) => r.purge(id, accept, now),
    replaceParties: async (id, from, to, now) => r.replaceParties(id, from, to, now),
    reshare: async (id, from, to, threshold, now) => r.reshare(id, from, to, threshold, now),
    pendingShareDeletions: async () => r.pendingShareDeletions(),
    pendingShareDeletionsOf: async (p) => r.pendingShareDeletionsOf(p),
    shareDeleted: async (id, p) => r.shareDeleted(id, p),
  };
}

export function sqliteEvidenceStore(s: AttestationStore): EvidenceStore {
  return {
    putReceipts: async (id, receipts) => s.putReceipts(id, receipts),
    replaceReceipts: async (id, receipts) => s.replaceReceipts(id, receipts),
    receipts: async (id) => s.receipts(id),
    deletionRecord: async (id) => s.deletionRecord(id),
    putDeletionRecord: async (id, record) => s.putDeletionRecord(id, record),
    dropDeletionRecord: async (id) => s.dropDeletionRecord(id),
    tombstone: async (id, at) => s.tombstone(id, at),
    wasDeleted: async (id) => s.wasDeleted(id),
  };
}

export function sqliteAckStore(s: RevisionAckStore): AckStore {
  return { put: async (id, ack) => s.put(id, ack), of: async (id) => s.of(id) };
}
