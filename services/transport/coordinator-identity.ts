// The gateway's (coordinator's) own identity: an Ed25519 key it signs with, so that parties can
// tell the genuine coordinator from anyone else who answers their outbound connection
// (docs/security.md "How a party knows its coordinator"). Each party pins the public half in its
// peers.json (`"coordinator": { "coordinatorId", "signPublic" }`), as it pins its peers.
//
// What it signs, each under its own length-prefixed label (protocols/core/bytes.ts lengthPrefixed):
//   - its answer to the party's challenge at connection time (auth.ts coordinatorProof);
//   - every control message on that connection, with a per-connection sequence (control-signature.ts);
//   - key deletion records and their cancels (services/control/deletion-records.ts).
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, equalBytes, hexToBytes } from '../../protocols/core/bytes.ts';
import { isCoordinatorId } from './auth.ts';

const KEY_HEX_RE = /^[0-9a-f]{64}$/;
const FORMAT = 1;
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** What a party pins: the coordinator's id and Ed25519 public key (hex). */
export type CoordinatorPin = { coordinatorId: string; signPublic: string };

export type CoordinatorIdentity = {
  coordinatorId: string;
  signPublic: Uint8Array;
  /** Signs with the secret key (kept as a KeyObject, never exported). */
  sign: (message: Uint8Array) => Uint8Array;
  pin: CoordinatorPin;
};

/** The identity whose Ed25519 secret key is `seed` (32 bytes); the KeyObject keeps its own copy. */
export function coordinatorIdentityFromSeed(coordinatorId: string, seed: Uint8Array): CoordinatorIdentity {
  if (!isCoordinatorId(coordinatorId)) throw new TypeError(`bad coordinator id ${JSON.stringify(coordinatorId)}`);
  if (seed.length !== 32) throw new TypeError('the coordinator key seed must be 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const signPublic = ed25519.getPublicKey(seed);
  return {
    coordinatorId,
    signPublic,
    sign: (message) => new Uint8Array(nodeSign(null, message, key)),
    pin: { coordinatorId, signPublic: bytesToHex(signPublic) },
  };
}

export function generateCoordinatorIdentity(
  coordinatorId: string,
  rng: (n: number) => Uint8Array = randomBytes,
): { identity: CoordinatorIdentity; text: string } {
  const seed = rng(32);
  const identity = coordinatorIdentityFromSeed(coordinatorId, seed);
  return {
    identity,
    text: JSON.stringify({ format: FORMAT, coordinatorId, signSecret: bytesToHex(seed), signPublic: identity.pin.signPublic }, null, 2) + '\n',
  };
}

/** Parses the gateway's coordinator-identity.json (the public key, when present, must match). */
export function parseCoordinatorIdentity(text: string): CoordinatorIdentity {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new TypeError('coordinator identity is not valid JSON');
  }
  if (typeof o !== 'object' || o === null || o.format !== FORMAT) throw new TypeError(`unsupported coordinator identity format ${JSON.stringify(o?.format)}`);
  if (typeof o.signSecret !== 'string' || !KEY_HEX_RE.test(o.signSecret)) throw new TypeError('signSecret must be 64 lowercase hex characters');
  const id = coordinatorIdentityFromSeed(o.coordinatorId as string, hexToBytes(o.signSecret));
  if (o.signPublic !== undefined && o.signPublic !== id.pin.signPublic) throw new TypeError('signPublic does not match signSecret');
  return id;
}

/** Validates an untrusted pin (peers.json); throws TypeError naming the field. */
export function parseCoordinatorPin(v: unknown): CoordinatorPin {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('coordinator pin must be an object {coordinatorId, signPublic}');
  const o = v as Record<string, unknown>;
  if (!isCoordinatorId(o.coordinatorId)) throw new TypeError(`coordinator pin: bad coordinatorId ${JSON.stringify(o.coordinatorId)}`);
  if (typeof o.signPublic !== 'string' || !KEY_HEX_RE.test(o.signPublic))
    throw new TypeError('coordinator pin: signPublic must be 64 lowercase hex characters');
  if (!ed25519.utils.isValidPublicKey(hexToBytes(o.signPublic), false)) throw new TypeError('coordinator pin: signPublic is not a valid Ed25519 public key');
  return { coordinatorId: o.coordinatorId, signPublic: o.signPublic };
}

/** A verifier for one pinned key: strict Ed25519 (OpenSSL: canonical S, canonical R and A encodings). */
export function pinVerifier(pin: CoordinatorPin): (message: Uint8Array, signature: Uint8Array) => boolean {
  const key: KeyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519, Buffer.from(pin.signPublic, 'hex')]), format: 'der', type: 'spki' });
  return (message, signature) => {
    if (signature.length !== 64) return false;
    try {
      return nodeVerify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}

export function samePin(a: CoordinatorPin, b: CoordinatorPin): boolean {
  return a.coordinatorId === b.coordinatorId && equalBytes(hexToBytes(a.signPublic), hexToBytes(b.signPublic));
}
