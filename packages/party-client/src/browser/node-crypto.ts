// node:crypto for the browser bundle (build.ts swaps it in): the subset the shared transport code
// uses — services/transport/secure-envelope.ts seals and signs envelopes with OpenSSL KeyObjects,
// HKDF and ChaCha20-Poly1305 — on @noble/curves, @noble/hashes and @noble/ciphers, with the same
// semantics (strict Ed25519 verification, an all-zero X25519 result refused, AEAD tags checked).
// Anything else a browser path never calls throws and says so.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { randomBytes as nobleRandom, bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha';
import { Buffer } from 'buffer';

type Kind = 'ed25519' | 'x25519';
export type KeyObject = { readonly type: 'private' | 'public'; readonly kind: Kind; readonly raw: Uint8Array };

const PREFIXES: Array<[string, 'private' | 'public', Kind]> = [
  ['302e020100300506032b657004220420', 'private', 'ed25519'],
  ['302a300506032b6570032100', 'public', 'ed25519'],
  ['302e020100300506032b656e04220420', 'private', 'x25519'],
  ['302a300506032b656e032100', 'public', 'x25519'],
];

function fromDer(der: Uint8Array, want: 'private' | 'public'): KeyObject {
  const hex = bytesToHex(der);
  for (const [p, type, kind] of PREFIXES)
    if (type === want && hex.startsWith(p) && hex.length === p.length + 64) return { type, kind, raw: hexToBytes(hex.slice(p.length)) };
  throw new Error(`unsupported ${want} key in the browser build`);
}

export function createPrivateKey(o: { key: Uint8Array }): KeyObject {
  return fromDer(o.key, 'private');
}

export function createPublicKey(o: { key: Uint8Array | { kty: string; crv: string; x: string }; format?: string }): KeyObject {
  if (o.format === 'jwk') {
    const j = o.key as { crv: string; x: string };
    return { type: 'public', kind: j.crv === 'Ed25519' ? 'ed25519' : 'x25519', raw: new Uint8Array(Buffer.from(j.x, 'base64url')) };
  }
  return fromDer(o.key as Uint8Array, 'public');
}

export function diffieHellman(o: { privateKey: KeyObject; publicKey: KeyObject }): Buffer {
  const s = x25519.getSharedSecret(o.privateKey.raw, o.publicKey.raw);
  if (s.every((b) => b === 0)) throw new Error('all-zero X25519 result');
  return Buffer.from(s);
}

export function sign(_alg: null, message: Uint8Array, key: KeyObject): Buffer {
  return Buffer.from(ed25519.sign(message, key.raw));
}

export function verify(_alg: null, message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  return ed25519.verify(signature, message, key.raw, { zip215: false });
}

export function hkdfSync(_digest: 'sha256', ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): ArrayBuffer {
  return Uint8Array.from(hkdf(sha256, ikm, salt, info, length)).buffer;
}

export function randomBytes(n: number): Buffer {
  return Buffer.from(nobleRandom(n));
}

export function createHash(alg: string) {
  if (alg !== 'sha256') throw new Error(`hash ${alg} is not in the browser build`);
  const h = sha256.create();
  const api = {
    update(d: Uint8Array | string) {
      h.update(typeof d === 'string' ? new TextEncoder().encode(d) : d);
      return api;
    },
    digest(enc?: 'hex') {
      const out = h.digest();
      return enc === 'hex' ? bytesToHex(out) : Buffer.from(out);
    },
  };
  return api;
}

export function createHmac(alg: string, key: Uint8Array) {
  if (alg !== 'sha256') throw new Error(`hmac ${alg} is not in the browser build`);
  const h = hmac.create(sha256, key);
  const api = {
    update(d: Uint8Array) {
      h.update(d);
      return api;
    },
    digest: () => Buffer.from(h.digest()),
  };
  return api;
}

/** ChaCha20-Poly1305 with node's streaming shape: everything comes out of final() (and getAuthTag). */
export function createCipheriv(alg: string, key: Uint8Array, nonce: Uint8Array) {
  if (alg !== 'chacha20-poly1305') throw new Error(`cipher ${alg} is not in the browser build`);
  let aad: Uint8Array = new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let tag: Uint8Array = new Uint8Array(0);
  return {
    setAAD(a: Uint8Array) {
      aad = Uint8Array.from(a);
    },
    update(d: Uint8Array) {
      parts.push(Uint8Array.from(d));
      return new Uint8Array(0);
    },
    final() {
      const sealed = chacha20poly1305(key, nonce, aad).encrypt(Buffer.concat(parts));
      tag = sealed.subarray(sealed.length - 16);
      return sealed.subarray(0, sealed.length - 16);
    },
    getAuthTag: () => tag,
  };
}

export function createDecipheriv(alg: string, key: Uint8Array, nonce: Uint8Array) {
  if (alg !== 'chacha20-poly1305') throw new Error(`cipher ${alg} is not in the browser build`);
  let aad: Uint8Array = new Uint8Array(0);
  let tag: Uint8Array = new Uint8Array(0);
  const parts: Uint8Array[] = [];
  return {
    setAAD(a: Uint8Array) {
      aad = Uint8Array.from(a);
    },
    setAuthTag(t: Uint8Array) {
      tag = Uint8Array.from(t);
    },
    update(d: Uint8Array) {
      parts.push(Uint8Array.from(d));
      return new Uint8Array(0);
    },
    final() {
      return chacha20poly1305(key, nonce, aad).decrypt(Buffer.concat([...parts, tag]));
    },
  };
}

const absent = (name: string) => () => {
  throw new Error(`node:crypto ${name} is not available in the browser build of the party client`);
};
export const randomInt = absent('randomInt');
export const randomUUID = absent('randomUUID');
export const timingSafeEqual = absent('timingSafeEqual');
export const generateKeyPairSync = absent('generateKeyPairSync');
export const hash = absent('hash');
export default {};
