// A party's long-term identity: an Ed25519 key that signs (broadcasts, connection
// authentication) and an X25519 key that agrees seal keys with peers. The public half is
// JSON-safe (hex) so that it can sit in configuration files and peer allowlists.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, equalBytes, hexToBytes } from '../../protocols/core/bytes.ts';
import type { Rng } from '../../protocols/core/session.ts';

export const PARTY_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEY_HEX_RE = /^[0-9a-f]{64}$/;
const IDENTITY_FORMAT = 1;

export type Identity = {
  partyId: string;
  /** Ed25519 secret key (32-byte seed). */
  signSecret: Uint8Array;
  signPublic: Uint8Array;
  /** X25519 secret key (32 bytes). */
  kexSecret: Uint8Array;
  kexPublic: Uint8Array;
};

/** The shareable half of an identity; keys are lowercase hex. */
export type PublicIdentity = { partyId: string; signPublic: string; kexPublic: string };

export function isPartyId(v: unknown): v is string {
  return typeof v === 'string' && PARTY_ID_RE.test(v);
}

function assertPartyId(partyId: unknown): asserts partyId is string {
  if (!isPartyId(partyId)) throw new TypeError(`bad party id ${JSON.stringify(partyId)}: must match ${PARTY_ID_RE}`);
}

function keyFromHex(name: string, v: unknown): Uint8Array {
  if (typeof v !== 'string' || !KEY_HEX_RE.test(v)) throw new TypeError(`${name} must be 64 lowercase hex characters`);
  return hexToBytes(v);
}

/** Builds an identity from its two secret keys (public keys are derived). */
export function identityFromSecrets(partyId: string, signSecret: Uint8Array, kexSecret: Uint8Array): Identity {
  assertPartyId(partyId);
  if (signSecret.length !== 32 || kexSecret.length !== 32) throw new TypeError('identity secrets must be 32 bytes each');
  return {
    partyId,
    signSecret: Uint8Array.from(signSecret),
    signPublic: ed25519.getPublicKey(signSecret),
    kexSecret: Uint8Array.from(kexSecret),
    kexPublic: x25519.getPublicKey(kexSecret),
  };
}

/** A fresh identity. `rng` defaults to the platform CSPRNG. */
export function generateIdentity(partyId: string, rng: Rng = randomBytes): Identity {
  return identityFromSecrets(partyId, rng(32), rng(32));
}

export function publicIdentity(id: Identity): PublicIdentity {
  return { partyId: id.partyId, signPublic: bytesToHex(id.signPublic), kexPublic: bytesToHex(id.kexPublic) };
}

/** Validates an untrusted value (configuration, wire) as a PublicIdentity; throws TypeError. */
export function parsePublicIdentity(v: unknown): PublicIdentity {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('public identity must be an object');
  const o = v as Record<string, unknown>;
  assertPartyId(o.partyId);
  const sign = keyFromHex('signPublic', o.signPublic);
  keyFromHex('kexPublic', o.kexPublic);
  if (!ed25519.utils.isValidPublicKey(sign, false)) throw new TypeError('signPublic is not a valid Ed25519 public key');
  return { partyId: o.partyId, signPublic: o.signPublic as string, kexPublic: o.kexPublic as string };
}

export function samePublicIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return a.partyId === b.partyId && a.signPublic === b.signPublic && a.kexPublic === b.kexPublic;
}

/** JSON text holding the secret identity. Store it with owner-only permissions. */
export function serializeIdentity(id: Identity): string {
  return JSON.stringify(
    {
      format: IDENTITY_FORMAT,
      partyId: id.partyId,
      signSecret: bytesToHex(id.signSecret),
      kexSecret: bytesToHex(id.kexSecret),
      signPublic: bytesToHex(id.signPublic),
      kexPublic: bytesToHex(id.kexPublic),
    },
    null,
    2,
  );
}

/** Parses serializeIdentity's output; public keys are re-derived and must match when present. */
export function parseIdentity(text: string): Identity {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new TypeError('identity is not valid JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError('identity must be a JSON object');
  const r = o as Record<string, unknown>;
  if (r.format !== IDENTITY_FORMAT) throw new TypeError(`unsupported identity format ${JSON.stringify(r.format)}`);
  assertPartyId(r.partyId);
  const id = identityFromSecrets(r.partyId, keyFromHex('signSecret', r.signSecret), keyFromHex('kexSecret', r.kexSecret));
  if (r.signPublic !== undefined && !equalBytes(keyFromHex('signPublic', r.signPublic), id.signPublic))
    throw new TypeError('signPublic does not match signSecret');
  if (r.kexPublic !== undefined && !equalBytes(keyFromHex('kexPublic', r.kexPublic), id.kexPublic)) throw new TypeError('kexPublic does not match kexSecret');
  return id;
}
