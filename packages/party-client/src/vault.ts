// The embedded party's data at rest: one blob — its identity, the gateway pin and peers the backend
// handed it, and the DeviceState (shares, policy state, audit log) — sealed with AES-256-GCM under
// a key the app supplies (docs/waas.md "The vault key"): e.g. derived from a passkey's PRF output
// or from a user secret with a slow KDF. The library never sees where the key comes from and never
// stores it. WebCrypto (globalThis.crypto.subtle) does the sealing in browsers and in Node ≥ 20 alike.
//
// Format: "tutti-vault-1" ‖ 12-byte IV ‖ AES-GCM(ciphertext ‖ tag), with the AAD binding the
// format and the party id, so a blob of another device party does not open under this one's name.

/** Where the sealed blob lives: IndexedDB (indexeddb-storage.ts), a file (file-storage.ts) or memory. */
export type VaultStorage = {
  load(): Promise<Uint8Array | null>;
  /** Must not resolve before the bytes are durable. */
  save(sealed: Uint8Array): Promise<void>;
};

/** The app's key: 32 raw bytes, or a WebCrypto AES-GCM key (e.g. non-extractable, from HKDF over a passkey PRF). */
export type VaultKey = Uint8Array | CryptoKeyLike;
/** A WebCrypto CryptoKey, without needing the DOM types. */
export type CryptoKeyLike = { readonly type: string; readonly algorithm: unknown };

export class VaultError extends Error {
  override name = 'VaultError';
}

const MAGIC = new TextEncoder().encode('tutti-vault-1');

type Subtle = {
  importKey(format: 'raw', key: Uint8Array, alg: string, extractable: boolean, usages: string[]): Promise<CryptoKeyLike>;
  encrypt(alg: { name: string; iv: Uint8Array; additionalData: Uint8Array }, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(alg: { name: string; iv: Uint8Array; additionalData: Uint8Array }, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
};

function webCrypto(): { subtle: Subtle; getRandomValues(a: Uint8Array): Uint8Array } {
  const c = (globalThis as unknown as { crypto?: { subtle?: Subtle; getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c?.subtle) throw new VaultError('WebCrypto is not available: the vault needs globalThis.crypto.subtle (a secure context in browsers, Node ≥ 20)');
  return c as { subtle: Subtle; getRandomValues(a: Uint8Array): Uint8Array };
}

async function aesKey(key: VaultKey): Promise<CryptoKeyLike> {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new VaultError(`the vault key must be 32 bytes (AES-256), got ${key.length}; derive one with HKDF from your secret`);
    return webCrypto().subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  }
  return key;
}

const aad = (partyId: string) => new TextEncoder().encode(`tutti/party-client/vault/v1/${partyId}`);

export async function seal(key: VaultKey, partyId: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const c = webCrypto();
  const iv = c.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await c.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(partyId) }, await aesKey(key), plaintext));
  const out = new Uint8Array(MAGIC.length + 12 + ct.length);
  out.set(MAGIC, 0);
  out.set(iv, MAGIC.length);
  out.set(ct, MAGIC.length + 12);
  return out;
}

export async function open(key: VaultKey, partyId: string, sealed: Uint8Array): Promise<Uint8Array> {
  if (sealed.length < MAGIC.length + 12 + 16 || !MAGIC.every((b, i) => sealed[i] === b)) throw new VaultError('not a party-client vault (wrong format)');
  const iv = sealed.subarray(MAGIC.length, MAGIC.length + 12);
  try {
    return new Uint8Array(
      await webCrypto().subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad(partyId) }, await aesKey(key), sealed.subarray(MAGIC.length + 12)),
    );
  } catch {
    throw new VaultError(`the vault of ${partyId} does not open with this key: a wrong vault key, another party's vault, or altered bytes`);
  }
}

/** A vault that forgets everything when the process ends (tests, demos). */
export function memoryStorage(): VaultStorage & { bytes: Uint8Array | null } {
  const s = {
    bytes: null as Uint8Array | null,
    load: () => Promise.resolve(s.bytes),
    save: (b: Uint8Array) => {
      s.bytes = Uint8Array.from(b);
      return Promise.resolve();
    },
  };
  return s;
}
