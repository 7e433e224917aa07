// Encryption at rest: AES-256-GCM under a subkey derived per record from the master key.
//
//   blob    = version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
//   subkey  = HKDF-SHA256(ikm = master key, salt = nonce, info = LABELS.shareAtRest || SHA-256(aad))
//   AEAD    = AES-256-GCM(subkey, nonce, plaintext, associated data = version || aad)
//
// `aad` is the record's identity (the share store binds key id, protocol, version and metadata),
// so a blob copied into another row derives another subkey and fails authentication. Because the
// nonce is also the HKDF salt, every blob has a key of its own, and GCM's limit on messages per key
// is never approached however many records are written.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import { LABELS } from '../../protocols/core/labels.ts';
import type { MasterKey } from './master-key.ts';

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

/** A blob that does not open. Deliberately vague about why: wrong key, moved, or altered. */
export class SealedBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedBoxError';
  }
}

/** Encrypts `plaintext` for storage, bound to `aad` (which is not stored: the caller re-supplies it). */
export function sealAtRest(masterKey: MasterKey, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.concat([Buffer.of(VERSION), nonce]);
  const key = subkey(masterKey, nonce, aad);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header.subarray(0, 1), aad]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([header, body, cipher.getAuthTag()]));
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypts a blob from sealAtRest with the same master key and `aad`.
 * @throws SealedBoxError if the blob is malformed, of an unknown version, or fails authentication.
 */
export function openAtRest(masterKey: MasterKey, blob: Uint8Array, aad: Uint8Array): Uint8Array {
  if (blob.length < HEADER_BYTES + TAG_BYTES) throw new SealedBoxError(`sealed blob too short (${blob.length} bytes)`);
  if (blob[0] !== VERSION) throw new SealedBoxError(`sealed blob has unknown version ${blob[0]}`);
  const nonce = blob.subarray(1, HEADER_BYTES);
  const body = blob.subarray(HEADER_BYTES, blob.length - TAG_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const key = subkey(masterKey, nonce, aad);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([blob.subarray(0, 1), aad]));
    decipher.setAuthTag(tag);
    const head = decipher.update(body);
    try {
      return new Uint8Array(Buffer.concat([head, decipher.final()]));
    } catch {
      head.fill(0);
      throw new SealedBoxError('sealed blob does not open: wrong master key, or the record was moved or altered');
    }
  } finally {
    key.fill(0);
  }
}

function subkey(masterKey: MasterKey, nonce: Uint8Array, aad: Uint8Array): Buffer {
  // HKDF would take any bytes as ikm; insist on what loadMasterKey returns.
  if (!(masterKey instanceof KeyObject) || masterKey.type !== 'secret' || masterKey.symmetricKeySize !== 32) {
    throw new TypeError('the master key must be a 32-byte secret KeyObject (see loadMasterKey)');
  }
  // aad is hashed because Node caps HKDF info at 1024 bytes; GCM still authenticates it in full.
  // A constant label followed by a fixed-length digest needs no length prefixes to be unambiguous.
  const info = Buffer.concat([Buffer.from(LABELS.shareAtRest, 'utf8'), createHash('sha256').update(aad).digest()]);
  return Buffer.from(hkdfSync('sha256', masterKey, nonce, info, 32));
}
