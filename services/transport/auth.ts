// Connection authentication: proves to the coordinator that a WebSocket belongs to a configured
// party. Challenge–response, one round trip, on every (re)connect:
//
//   coordinator → party  { type: 'auth-challenge', coordinatorId, challenge: base64(32 random bytes) }
//   party → coordinator  { type: 'auth-response', partyId, signPublic: hex, kexPublic: hex, signature: base64 }
//   coordinator → party  { type: 'auth-ok' }              (or closes with an AUTH_CLOSE code)
//
//   signature = Ed25519(party sign key, lengthPrefixed(LABELS.authChallenge, coordinatorId, challenge, partyId, kexPublic))
//
// The coordinator id in the signed message keeps a response from being replayed to another
// coordinator; the fresh challenge keeps it from being replayed at all.
//
// Mutual authentication (docs/security.md "How a party knows its coordinator"): the party puts a
// challenge of its own into its auth-response (`challenge`), and the coordinator answers in
// auth-ok with `signature` = Ed25519(coordinator key, lengthPrefixed(LABEL_COORDINATOR_AUTH,
// coordinatorId, partyId, party's challenge, coordinator's challenge)). A party that pins a
// coordinator key (coordinator-identity.ts) stays unauthenticated until that signature verifies;
// its fresh challenge then also names the connection in every signed control message
// (control-signature.ts). This does not bind the TLS channel; envelope security never depends on
// it: envelopes are signed or sealed end to end.
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, hexToBytes, lengthPrefixed, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import { base64ToBytes, bytesToBase64, type ControlMessage } from './control.ts';
import { isPartyId, type Identity, type PublicIdentity } from './identity.ts';

export const CHALLENGE_BYTES = 32;
export const AUTH_CHALLENGE = 'auth-challenge';
export const AUTH_RESPONSE = 'auth-response';
export const AUTH_OK = 'auth-ok';
const COORDINATOR_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const HEX32_RE = /^[0-9a-f]{64}$/;

/** WebSocket close codes (4000–4999 is the application range) the coordinator uses. */
export const CLOSE = {
  /** The first frame was not a well-formed auth-response, or a frame arrived that breaks the protocol. */
  malformed: 4000,
  unknownParty: 4001,
  badSignature: 4002,
  /** The party is configured, but with other public keys. */
  identityMismatch: 4003,
  authTimeout: 4004,
  /** A newer authenticated connection for the same party took over. */
  replaced: 4005,
  /** The party was removed from the coordinator's list. */
  removed: 4006,
  /** The coordinator is shutting down. */
  shutdown: 1001,
} as const;

export type AuthChallenge = { type: typeof AUTH_CHALLENGE; coordinatorId: string; challenge: string };
/** `challenge`: the party's own challenge (base64, 32 bytes) for the coordinator to sign in auth-ok. */
export type AuthResponse = { type: typeof AUTH_RESPONSE; partyId: string; signPublic: string; kexPublic: string; signature: string; challenge?: string };

/** Label of the coordinator's signature in auth-ok (its own, so no other signature of the key passes for it). */
export const LABEL_COORDINATOR_AUTH = 'tutti/v1/coordinator-auth';

/** What the coordinator signs to prove its key to a party on one connection. */
export function coordinatorAuthMessage(coordinatorId: string, partyId: string, partyChallenge: Uint8Array, coordinatorChallenge: Uint8Array): Uint8Array {
  return lengthPrefixed(utf8ToBytes(LABEL_COORDINATOR_AUTH), utf8ToBytes(coordinatorId), utf8ToBytes(partyId), partyChallenge, coordinatorChallenge);
}

/** Coordinator side: the party's own challenge from a verified auth-response (undefined if it sent none or a bad one). */
export function partyChallengeOf(msg: ControlMessage): Uint8Array | undefined {
  const c = typeof msg.challenge === 'string' ? base64ToBytes(msg.challenge) : undefined;
  return c && c.length === CHALLENGE_BYTES ? c : undefined;
}

export function isCoordinatorId(v: unknown): v is string {
  return typeof v === 'string' && COORDINATOR_ID_RE.test(v);
}

export function authMessage(coordinatorId: string, challenge: Uint8Array, partyId: string, kexPublic: Uint8Array): Uint8Array {
  return lengthPrefixed(utf8ToBytes(LABELS.authChallenge), utf8ToBytes(coordinatorId), challenge, utf8ToBytes(partyId), kexPublic);
}

/** Coordinator side: a fresh challenge for one connection. */
export function createChallenge(
  coordinatorId: string,
  challenge: Uint8Array = randomBytes(CHALLENGE_BYTES),
): { message: AuthChallenge; challenge: Uint8Array } {
  if (!isCoordinatorId(coordinatorId)) throw new TypeError(`bad coordinator id ${JSON.stringify(coordinatorId)}`);
  if (challenge.length !== CHALLENGE_BYTES) throw new TypeError(`challenge must be ${CHALLENGE_BYTES} bytes`);
  return { message: { type: AUTH_CHALLENGE, coordinatorId, challenge: bytesToBase64(challenge) }, challenge };
}

/**
 * Party side: answers a challenge. Returns undefined if the challenge is malformed or names a
 * coordinator other than `expectedCoordinatorId` (when given).
 */
export function answerChallenge(msg: ControlMessage, me: Identity, expectedCoordinatorId?: string, ownChallenge?: Uint8Array): AuthResponse | undefined {
  if (msg.type !== AUTH_CHALLENGE || !isCoordinatorId(msg.coordinatorId) || typeof msg.challenge !== 'string') return undefined;
  if (expectedCoordinatorId !== undefined && msg.coordinatorId !== expectedCoordinatorId) return undefined;
  const challenge = base64ToBytes(msg.challenge);
  if (!challenge || challenge.length !== CHALLENGE_BYTES) return undefined;
  const signature = ed25519.sign(authMessage(msg.coordinatorId, challenge, me.partyId, me.kexPublic), me.signSecret);
  return {
    type: AUTH_RESPONSE,
    partyId: me.partyId,
    signPublic: bytesToHex(me.signPublic),
    kexPublic: bytesToHex(me.kexPublic),
    signature: bytesToBase64(signature),
    ...(ownChallenge ? { challenge: bytesToBase64(ownChallenge) } : {}),
  };
}

export type AuthVerdict = { ok: true; party: PublicIdentity } | { ok: false; code: number; reason: string };

/**
 * Coordinator side: checks a response against the challenge sent and the configured parties.
 * The party must be configured with exactly the public keys it presents.
 */
export function verifyResponse(msg: ControlMessage, coordinatorId: string, challenge: Uint8Array, parties: ReadonlyMap<string, PublicIdentity>): AuthVerdict {
  const fail = (code: number, reason: string): AuthVerdict => ({ ok: false, code, reason });
  if (msg.type !== AUTH_RESPONSE) return fail(CLOSE.malformed, 'expected auth-response');
  const { partyId, signPublic, kexPublic, signature } = msg;
  if (!isPartyId(partyId)) return fail(CLOSE.malformed, 'bad party id');
  if (typeof signPublic !== 'string' || !HEX32_RE.test(signPublic)) return fail(CLOSE.malformed, 'bad signPublic');
  if (typeof kexPublic !== 'string' || !HEX32_RE.test(kexPublic)) return fail(CLOSE.malformed, 'bad kexPublic');
  const sig = typeof signature === 'string' ? base64ToBytes(signature) : undefined;
  if (!sig || sig.length !== 64) return fail(CLOSE.malformed, 'bad signature encoding');
  const known = parties.get(partyId);
  if (!known) return fail(CLOSE.unknownParty, 'unknown party');
  if (known.signPublic !== signPublic || known.kexPublic !== kexPublic) return fail(CLOSE.identityMismatch, 'keys do not match configuration');
  let ok: boolean;
  try {
    ok = ed25519.verify(sig, authMessage(coordinatorId, challenge, partyId, hexToBytes(kexPublic)), hexToBytes(signPublic), { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) return fail(CLOSE.badSignature, 'bad signature');
  return { ok: true, party: known };
}
