// The vault in IndexedDB, for the embedded party in a browser (docs/waas.md): one object store,
// one record per device party; a save resolves when its transaction completed (the browser's
// durability for IndexedDB, relaxed by default in Chromium — we ask for 'strict').
import type { VaultStorage } from './vault.ts';

type Req<T> = { result: T; error: unknown; onsuccess: (() => void) | null; onerror: (() => void) | null };
type Tx = {
  objectStore(n: string): { get(k: string): Req<unknown>; put(v: unknown, k: string): Req<unknown> };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
};
type Db = {
  transaction(s: string, mode: string, o?: { durability: string }): Tx;
  objectStoreNames: { contains(n: string): boolean };
  createObjectStore(n: string): unknown;
};
type Factory = { open(name: string, version: number): Req<Db> & { onupgradeneeded: (() => void) | null } };

const STORE = 'vault';

function idb(): Factory {
  const f = (globalThis as unknown as { indexedDB?: Factory }).indexedDB;
  if (!f) throw new Error('IndexedDB is not available here: in Node use fileStorage(path) instead');
  return f;
}

function openDb(name: string): Promise<Db> {
  return new Promise((resolve, reject) => {
    const r = idb().open(name, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(asError(r.error));
  });
}

/** `dbName`: the IndexedDB database; `record`: the key of this party's blob in it (e.g. its party id). */
export function indexedDbStorage(record: string, dbName = 'tutti-party-client'): VaultStorage {
  let db: Promise<Db> | undefined;
  const get = () => (db ??= openDb(dbName));
  return {
    async load() {
      const d = await get();
      return new Promise<Uint8Array | null>((resolve, reject) => {
        const r = d.transaction(STORE, 'readonly').objectStore(STORE).get(record);
        r.onsuccess = () => resolve(r.result instanceof Uint8Array ? r.result : r.result instanceof ArrayBuffer ? new Uint8Array(r.result) : null);
        r.onerror = () => reject(asError(r.error));
      });
    },
    async save(sealed) {
      const d = await get();
      return new Promise<void>((resolve, reject) => {
        const tx = d.transaction(STORE, 'readwrite', { durability: 'strict' });
        tx.objectStore(STORE).put(Uint8Array.from(sealed), record);
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(asError(tx.error ?? 'IndexedDB write aborted'));
      });
    },
  };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(`IndexedDB: ${String((e as { message?: string })?.message ?? e)}`);
}
