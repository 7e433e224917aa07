// One party's bundle of an import (split.ts): its share f(i), sealed to the party's identity key
// exchange key (X25519, services/transport/identity.ts) by the offline splitter, which has no
// identity of its own — so an ephemeral-static sealed box (the shape of HPKE's Base mode, RFC 9180
// §5.1.1, built from the same parts the transport uses):
//
//   e, E = e·B                      fresh per bundle, e dropped at once
//   k    = HKDF-SHA256(ikm = X25519(e, K_party), salt = manifest hash,
//                      info = LABEL ‖ E ‖ K_party ‖ partyId ‖ u32 index)
//   box  = ChaCha20-Poly1305(k, nonce = 0¹², share, aad = manifest hash ‖ u32 index)
//
// The key is new for every bundle (fresh e), so the fixed nonce is never reused under a key. The
// manifest hash in salt and aad binds the bundle to one split: a bundle moved to another manifest,
// another index or another party does not open. Only the party's kexSecret opens it — not the
// gateway, which relays it.
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bytesToHex, concatBytes, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import { IMPORT_FORMAT, type ImportManifest } from './split.ts';

const BUNDLE_LABEL = 'tutti/v1/import-bundle';

export type ImportBundle = {
  format: typeof IMPORT_FORMAT;
  /** The manifest this bundle belongs to (its hash). */
  manifestHash: string;
  partyId: string;
  index: number;
  /** E, hex (32 bytes). */
  ephemeral: string;
  /** ChaCha20-Poly1305 ciphertext ‖ tag, hex. */
  sealed: string;
};

function bundleKey(shared: Uint8Array, E: Uint8Array, kexPublic: Uint8Array, manifestHash: Uint8Array, partyId: string, index: number): Uint8Array {
  const info = lengthPrefixed(utf8ToBytes(BUNDLE_LABEL), E, kexPublic, utf8ToBytes(partyId), u32(index));
  return hkdf(sha256, shared, manifestHash, info, 32);
}

/** Seals party `index`'s share (bytes) to its identity's kexPublic. */
export function sealBundle(m: ImportManifest, index: number, share: Uint8Array, rng: (n: number) => Uint8Array): ImportBundle {
  const party = m.parties[index - 1];
  if (!party) throw new ProtocolError('bad-parameters', `no party ${index} in the manifest`);
  const e = rng(32);
  try {
    const E = x25519.getPublicKey(e);
    const K = hexToBytes(party.kexPublic);
    const h = hexToBytes(m.hash);
    const key = bundleKey(x25519.getSharedSecret(e, K), E, K, h, party.partyId, index);
    const sealed = chacha20poly1305(key, new Uint8Array(12), concatBytes(h, u32(index))).encrypt(share);
    key.fill(0);
    return { format: IMPORT_FORMAT, manifestHash: m.hash, partyId: party.partyId, index, ephemeral: bytesToHex(E), sealed: bytesToHex(sealed) };
  } finally {
    e.fill(0);
  }
}

/**
 * Opens this party's bundle with its identity's kexSecret. Refuses (bad-parameters) a bundle of
 * another manifest, party or index, or one that does not open: never says which.
 */
export function openBundle(m: ImportManifest, b: ImportBundle, self: { partyId: string; index: number; kexSecret: Uint8Array; kexPublic: string }): Uint8Array {
  const refuse = (why: string): never => {
    throw new ProtocolError('bad-parameters', `import bundle: ${why}; import refused`);
  };
  if (typeof b !== 'object' || b === null || b.format !== IMPORT_FORMAT) refuse(`not a ${IMPORT_FORMAT} bundle`);
  if (b.manifestHash !== m.hash) refuse('it belongs to another manifest');
  if (b.partyId !== self.partyId || b.index !== self.index) refuse(`it is for ${String(b.partyId)} (index ${String(b.index)}), not this party`);
  const party = m.parties[self.index - 1];
  if (!party || party.partyId !== self.partyId || party.kexPublic !== self.kexPublic)
    refuse("the manifest names another identity key for this party than the party's own");
  try {
    const E = hexToBytes(b.ephemeral);
    const K = hexToBytes(self.kexPublic);
    const h = hexToBytes(m.hash);
    const key = bundleKey(x25519.getSharedSecret(self.kexSecret, E), E, K, h, self.partyId, self.index);
    try {
      return chacha20poly1305(key, new Uint8Array(12), concatBytes(h, u32(self.index))).decrypt(hexToBytes(b.sealed));
    } finally {
      key.fill(0);
    }
  } catch {
    return refuse("it does not open with this party's identity key (sealed to another key, or altered)");
  }
}
