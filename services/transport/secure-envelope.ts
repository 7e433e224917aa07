// End-to-end protection of protocol envelopes between parties. The coordinator relays these
// frames but can neither read a point-to-point payload nor alter any frame undetected, and a
// recording of the frames stays unreadable after the session even to someone who later obtains a
// party's identity keys (forward secrecy, docs/security.md).
//
// Frame (all integers big-endian):
//   u8 FRAME_VERSION (=1) | u8 kind | fields, each as u32 length ‖ bytes (exactly as many as the kind has)
//
//   kind 1, SIGNED (broadcast, env.to = 0):
//     fields = [ encodeEnvelope(env), signature ]
//     signature = Ed25519(sender sign key, lengthPrefixed(LABELS.envelopeSignature, header, payload))
//
//   kind 3, SIGNED WITH SESSION KEY (the round-1 broadcast of a session that seals p2p frames):
//     fields = [ encodeEnvelope(env), sessionKey (32), signature ]
//     signature = Ed25519(sender sign key,
//                         lengthPrefixed(LABELS.envelopeSignatureWithSessionKey, header, payload, sessionKey))
//     sessionKey = the sender's fresh X25519 public key for this session (session-keys.ts). The
//     header holds the session id, so the identity key vouches for this key in this session only:
//     a relay can neither substitute its own key nor move one to another session.
//
//   kind 2, SEALED (point-to-point, env.to ≥ 1):
//     fields = [ header, nonce (12), ciphertext ‖ tag (16) ]
//     header = encodeHeader(env, plaintext length)   (the payload-length field counts plaintext bytes)
//     key    = HKDF-SHA256(ikm  = X25519(sender session secret, receiver session public)
//                               ‖ X25519(sender kex secret, receiver kex public),
//                          salt = session id,
//                          info = lengthPrefixed(LABELS.sealKey, sender signPublic, receiver signPublic,
//                                                sender kexPublic, receiver kexPublic,
//                                                sender sessionKey, receiver sessionKey, u8 from ‖ u8 to))
//     ChaCha20-Poly1305(key, nonce, plaintext = payload, associated data = header)
//
// The ephemeral-ephemeral X25519 gives forward secrecy: once both parties erased their session
// secrets (at the session's end), the identity keys alone derive nothing. The static-static
// X25519 keeps the seal as strong as before against anyone without an identity key even if a
// session key were weak. Both session keys are in `info`, so parties whose views of a session key
// differ (only its owner can sign two) derive different keys and the frame does not open
// ('bad-seal', naming the sender). Every protocol here opens with a broadcast-only round, so each
// party has every peer's session key before it seals anything, at no extra round trip.
//
// The key differs per direction (from/to and the order of the public keys in `info`) and per
// session (salt, session keys), and the header — protocol, session, round, from, to, length — is
// associated data, so a relay cannot move a ciphertext to another session, round, sender or
// receiver. The AEAD key is known only to the two parties, so a valid seal authenticates the
// sender to the receiver; p2p frames carry no signature (the receiver could not prove authorship
// to a third party, which nothing here needs).
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes as nodeRandomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { BROADCAST, MAX_PAYLOAD_BYTES, SESSION_ID_BYTES, decodeEnvelope, encodeEnvelope, encodeHeader, type Envelope } from '../../protocols/core/envelope.ts';
import { bytesToHex, concatBytes, hexToBytes, lengthPrefixed, splitLengthPrefixed, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import type { Rng } from '../../protocols/core/session.ts';
import type { Identity, PublicIdentity } from './identity.ts';
import { TransportError } from './errors.ts';
import { SESSION_KEY_BYTES, type SessionKeys } from './session-keys.ts';

export const FRAME_VERSION = 1;
export const FRAME_SIGNED = 1;
export const FRAME_SEALED = 2;
export const FRAME_SIGNED_WITH_KEY = 3;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SIGNATURE_BYTES = 64;
/** No valid frame is larger: the largest envelope plus framing, nonce and tag. */
export const MAX_SECURE_FRAME_BYTES = MAX_PAYLOAD_BYTES + 512;

const AEAD = 'chacha20-poly1305';
const SIGN_LABEL = utf8ToBytes(LABELS.envelopeSignature);
const SIGN_WITH_KEY_LABEL = utf8ToBytes(LABELS.envelopeSignatureWithSessionKey);
const SEAL_LABEL = utf8ToBytes(LABELS.sealKey);

// ── Keys: node:crypto (OpenSSL) objects, made once per identity and peer ───────────────────────
//
// Ed25519 signing and verification and X25519 run in OpenSSL through node:crypto; the KeyObjects
// are built once per identity (ours) and per peer public key, and the X25519 shared secret once
// per (our identity, peer key exchange key): it is a function of the two long-term keys only. The
// per-session, per-direction AEAD key is derived with HKDF for every frame from it and the
// session keys' X25519 (agreed once per peer per session, session-keys.ts).
//
// Verification is at least as strict as noble's `ed25519.verify(…, { zip215: false })`, which it
// replaces. OpenSSL refuses s ≥ L, and it re-encodes [s]B − [k]A and compares the bytes with R, so a
// non-canonical R, or an R that differs from [s]B − [k]A by a small-order point (which noble's
// cofactored equation accepted), fails. OpenSSL does not check the public key beyond decoding it,
// so the sender's key is checked here once, as noble's strict mode did on every call: a canonical
// encoding (y < p; not x = 0 with the sign bit set), a point on the curve, and not of small order.
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
/** Peer keys remembered per process; a party has a handful of peers, so this only bounds abuse. */
const MAX_CACHED_PEERS = 1024;

type OwnKeys = { sign: KeyObject; kex: KeyObject; shared: Map<string, Buffer> };
const ownKeys = new WeakMap<Identity, OwnKeys>();
/** Peer Ed25519 public key (hex) → its KeyObject, or null if the key is unusable (never accepted). */
const verifyKeys = new Map<string, KeyObject | null>();
const kexKeys = new Map<string, KeyObject | null>();

function own(me: Identity): OwnKeys {
  let k = ownKeys.get(me);
  if (!k) {
    k = {
      sign: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, me.signSecret]), format: 'der', type: 'pkcs8' }),
      kex: createPrivateKey({ key: Buffer.concat([X25519_PKCS8, me.kexSecret]), format: 'der', type: 'pkcs8' }),
      shared: new Map(),
    };
    ownKeys.set(me, k);
  }
  return k;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_CACHED_PEERS) cache.clear();
  cache.set(key, value);
  return value;
}

/** RFC 8032 §5.1.3 strict decoding (as noble with zip215 = false), and not a small-order point. */
function strictPublicKey(bytes: Uint8Array): boolean {
  try {
    return bytes.length === 32 && !ed25519.Point.fromBytes(bytes, false).isSmallOrder();
  } catch {
    return false;
  }
}

/** A raw 32-byte public key as a cached KeyObject (SPKI prefix + raw), or null if `accept` refuses it. */
function cachedKey(cache: Map<string, KeyObject | null>, hex: string, spkiPrefix: Buffer, accept: (raw: Uint8Array) => boolean): KeyObject | null {
  const cached = cache.get(hex);
  if (cached !== undefined) return cached;
  let key: KeyObject | null = null;
  try {
    const raw = hexToBytes(hex);
    if (accept(raw)) key = createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  return remember(cache, hex, key);
}

/** The sender's verification key, or null if its public key is not one we accept. */
function verifyKey(signPublicHex: string): KeyObject | null {
  return cachedKey(verifyKeys, signPublicHex, ED25519_SPKI, strictPublicKey);
}

function kexKey(kexPublicHex: string): KeyObject | null {
  return cachedKey(kexKeys, kexPublicHex, X25519_SPKI, (raw) => raw.length === 32);
}

/** X25519(our kex secret, peer kex public), once per peer key; throws on an unusable key or an all-zero result. */
function sharedSecret(me: Identity, peerKexHex: string): Buffer {
  const k = own(me);
  const cached = k.shared.get(peerKexHex);
  if (cached) return cached;
  const peer = kexKey(peerKexHex);
  if (!peer) throw new Error('unusable key exchange key');
  // OpenSSL refuses an all-zero output (a small-order peer key), as noble did.
  const shared = diffieHellman({ privateKey: k.kex, publicKey: peer });
  return remember(k.shared, peerKexHex, shared);
}

/** Ed25519 signature with our identity key (OpenSSL; deterministic, as RFC 8032). */
export function signWithIdentity(me: Identity, message: Uint8Array): Uint8Array {
  return nodeSign(null, message, own(me).sign);
}

/**
 * Verifies an Ed25519 signature by `signPublicHex` (strict, see above). False for any bad input,
 * never throws.
 */
export function verifyIdentitySignature(signPublicHex: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  const key = verifyKey(signPublicHex);
  if (!key) return false;
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

const defaultRng: Rng = (n) => nodeRandomBytes(n);

function signedMessage(header: Uint8Array, payload: Uint8Array, sessionKey?: Uint8Array): Uint8Array {
  return sessionKey ? lengthPrefixed(SIGN_WITH_KEY_LABEL, header, payload, sessionKey) : lengthPrefixed(SIGN_LABEL, header, payload);
}

type SealEnd = { sign: Uint8Array; kex: Uint8Array; sessionKey: Uint8Array };

function sealKey(ephemeral: Uint8Array, shared: Uint8Array, session: Uint8Array, sender: SealEnd, receiver: SealEnd, from: number, to: number): Buffer {
  const info = lengthPrefixed(
    SEAL_LABEL,
    sender.sign,
    receiver.sign,
    sender.kex,
    receiver.kex,
    sender.sessionKey,
    receiver.sessionKey,
    Uint8Array.of(from, to),
  );
  const ikm = concatBytes(ephemeral, shared);
  try {
    return Buffer.from(hkdfSync('sha256', ikm, session, info, 32));
  } finally {
    ikm.fill(0);
  }
}

function frame(kind: number, ...fields: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(FRAME_VERSION, kind), lengthPrefixed(...fields));
}

/**
 * Protects an envelope for the wire: a signed broadcast when env.to = 0 (no recipient), otherwise
 * sealed to `recipient` (required) under the session's keys (required). A round-1 broadcast
 * protected with `session` carries its session key (frame kind 3). Throws TypeError on misuse,
 * ProtocolError on a bad envelope, TransportError('bad-session-key') when the recipient has not
 * announced its session key or the session's keys were erased.
 */
export function protect(env: Envelope, me: Identity, recipient?: PublicIdentity, session?: SessionKeys, rng: Rng = defaultRng): Uint8Array {
  if (env.to === BROADCAST) {
    if (recipient !== undefined) throw new TypeError('a broadcast envelope takes no recipient');
    const bytes = encodeEnvelope(env);
    const header = bytes.subarray(0, bytes.length - env.payload.length);
    const sessionKey = session && env.round === 1 ? session.publicKey : undefined;
    const signature = signWithIdentity(me, signedMessage(header, env.payload, sessionKey));
    return sessionKey ? frame(FRAME_SIGNED_WITH_KEY, bytes, sessionKey, signature) : frame(FRAME_SIGNED, bytes, signature);
  }
  if (recipient === undefined) throw new TypeError(`point-to-point envelope (to ${env.to}) needs a recipient identity`);
  if (session === undefined) throw new TypeError(`point-to-point envelope (to ${env.to}) needs the session's keys`);
  if (env.to === env.from) throw new TypeError('an envelope cannot be addressed to its sender');
  const header = encodeHeader(env, env.payload.length);
  const ephemeral = session.agreed(env.to);
  const shared = sharedSecret(me, recipient.kexPublic);
  const key = sealKey(
    ephemeral,
    shared,
    env.session,
    { sign: me.signPublic, kex: me.kexPublic, sessionKey: session.publicKey },
    { sign: hexToBytes(recipient.signPublic), kex: hexToBytes(recipient.kexPublic), sessionKey: session.peerKey(env.to)! },
    env.from,
    env.to,
  );
  const nonce = rng(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new TypeError('rng returned the wrong number of bytes');
  try {
    const cipher = createCipheriv(AEAD, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(header, { plaintextLength: env.payload.length });
    const ct = concatBytes(cipher.update(env.payload), cipher.final(), cipher.getAuthTag());
    return frame(FRAME_SEALED, header, nonce, ct);
  } finally {
    key.fill(0);
  }
}

/** What the frame's kind byte says, without verifying anything (for routing and metrics). */
export function frameKind(bytes: Uint8Array): 'signed' | 'sealed' | undefined {
  if (bytes.length < 2 || bytes[0] !== FRAME_VERSION) return undefined;
  return bytes[1] === FRAME_SIGNED || bytes[1] === FRAME_SIGNED_WITH_KEY ? 'signed' : bytes[1] === FRAME_SEALED ? 'sealed' : undefined;
}

type PeekedHeader = { session: Uint8Array; round: number; from: number; to: number; payloadLength: number };

/** Reads the fixed fields of a bare header (no payload). Full validation happens in decodeEnvelope. */
function peekHeader(h: Uint8Array): PeekedHeader {
  if (h.length < 2) throw new TransportError('malformed', 'sealed header truncated');
  const plen = h[1]!;
  const off = 2 + plen + SESSION_ID_BYTES;
  if (h.length !== off + 3 + 4) throw new TransportError('malformed', 'sealed header has the wrong length');
  const from = h[off + 1]!;
  const payloadLength = new DataView(h.buffer, h.byteOffset + off + 3, 4).getUint32(0);
  return { session: h.subarray(2 + plen, off), round: h[off]!, from, to: h[off + 2]!, payloadLength };
}

function splitFrame(bytes: Uint8Array, fields: number): Uint8Array[] {
  try {
    return splitLengthPrefixed(bytes.subarray(2), fields);
  } catch (e) {
    throw new TransportError('malformed', `frame: ${(e as Error).message}`);
  }
}

function malformedFrom(e: unknown, from?: number): TransportError {
  if (e instanceof TransportError) return e;
  return new TransportError('malformed', (e as Error)?.message ?? String(e), from);
}

/** Decodes a public identity's keys, blaming the claimed sender if configuration is broken. */
function keysOf(p: PublicIdentity, from: number): { sign: Uint8Array; kex: Uint8Array } {
  try {
    return { sign: hexToBytes(p.signPublic), kex: hexToBytes(p.kexPublic) };
  } catch {
    throw new TransportError('unknown-sender', `sender ${from} has an unusable public identity`, from);
  }
}

/**
 * Verifies (broadcast) or opens (point-to-point) a frame and returns the plaintext envelope.
 * `senders(i)` gives the identity of the session's party with index i (undefined if none);
 * `myIndex` is this party's index in the session. With `guard`, an exact copy of an envelope
 * already accepted is refused. `session`: the session's keys, for a session that seals p2p
 * frames. Then a round-1 broadcast must carry its sender's session key (learnt here), and a p2p
 * frame opens only under the session keys of both ends. Throws TransportError, never anything else.
 */
export function open(
  bytes: Uint8Array,
  me: Identity,
  senders: (index: number) => PublicIdentity | undefined,
  myIndex: number,
  guard?: ReplayGuard,
  session?: SessionKeys,
): Envelope {
  const env = openUnguarded(bytes, me, senders, myIndex, session);
  guard?.accept(env);
  return env;
}

function openUnguarded(
  bytes: Uint8Array,
  me: Identity,
  senders: (index: number) => PublicIdentity | undefined,
  myIndex: number,
  session: SessionKeys | undefined,
): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new TransportError('malformed', 'frame is not bytes');
  if (bytes.length > MAX_SECURE_FRAME_BYTES) throw new TransportError('malformed', `frame of ${bytes.length} bytes exceeds ${MAX_SECURE_FRAME_BYTES}`);
  if (bytes.length < 2) throw new TransportError('malformed', 'frame truncated');
  if (bytes[0] !== FRAME_VERSION) throw new TransportError('malformed', `unsupported frame version ${bytes[0]}`);
  const kind = bytes[1];

  if (kind === FRAME_SIGNED || kind === FRAME_SIGNED_WITH_KEY) {
    const withKey = kind === FRAME_SIGNED_WITH_KEY;
    const fields = splitFrame(bytes, withKey ? 3 : 2);
    const envBytes = fields[0]!;
    const signature = fields[fields.length - 1]!;
    const sessionKey = withKey ? fields[1]! : undefined;
    let decoded: ReturnType<typeof decodeEnvelope>;
    try {
      decoded = decodeEnvelope(envBytes);
    } catch (e) {
      throw malformedFrom(e);
    }
    const { envelope, header } = decoded;
    const from = envelope.from;
    if (envelope.to !== BROADCAST) throw new TransportError('malformed', `signed frame addressed to ${envelope.to}, not broadcast`, from);
    if (from === myIndex) throw new TransportError('misaddressed', 'our own broadcast reflected back', from);
    if (signature.length !== SIGNATURE_BYTES) throw new TransportError('malformed', 'signature has the wrong length', from);
    if (sessionKey && sessionKey.length !== SESSION_KEY_BYTES) throw new TransportError('malformed', 'session key has the wrong length', from);
    if (sessionKey && envelope.round !== 1)
      throw new TransportError('malformed', `a round-${envelope.round} broadcast carries a session key (only round 1 does)`, from);
    const sender = senders(from);
    if (!sender) throw new TransportError('unknown-sender', `no party with index ${from}`, from);
    keysOf(sender, from);
    const ok = verifyIdentitySignature(sender.signPublic, signedMessage(header, envelope.payload, sessionKey), signature);
    if (!ok) throw new TransportError('bad-signature', 'broadcast signature does not verify', from);
    if (session) {
      // Signed by the sender over this session's id: its session key, and no one else's.
      if (sessionKey) session.learn(from, sessionKey);
      else if (envelope.round === 1) throw new TransportError('bad-session-key', 'round-1 broadcast carries no session key', from);
    }
    return envelope;
  }

  if (kind === FRAME_SEALED) {
    const [header, nonce, ct] = splitFrame(bytes, 3) as [Uint8Array, Uint8Array, Uint8Array];
    const h = peekHeader(header);
    const from = h.from;
    if (from < 1) throw new TransportError('malformed', 'from must be >= 1');
    if (h.to === BROADCAST) throw new TransportError('malformed', 'sealed frame addressed to broadcast', from);
    if (h.to !== myIndex) throw new TransportError('misaddressed', `sealed for ${h.to}, not for us (${myIndex})`, from);
    if (from === myIndex) throw new TransportError('misaddressed', 'our own envelope reflected back', from);
    if (nonce.length !== NONCE_BYTES) throw new TransportError('malformed', 'nonce has the wrong length', from);
    if (ct.length < TAG_BYTES || ct.length - TAG_BYTES !== h.payloadLength) {
      throw new TransportError('malformed', 'ciphertext length does not match the header', from);
    }
    if (h.payloadLength > MAX_PAYLOAD_BYTES) throw new TransportError('malformed', 'payload too large', from);
    const sender = senders(from);
    if (!sender) throw new TransportError('unknown-sender', `no party with index ${from}`, from);
    const { sign: senderSign, kex: senderKex } = keysOf(sender, from);
    if (!session) throw new TransportError('bad-session-key', 'a point-to-point frame in a session without session keys', from);
    const ephemeral = session.agreed(from);
    let plaintext: Uint8Array;
    let key: Uint8Array | undefined;
    try {
      const shared = sharedSecret(me, sender.kexPublic);
      key = sealKey(
        ephemeral,
        shared,
        h.session,
        { sign: senderSign, kex: senderKex, sessionKey: session.peerKey(from)! },
        { sign: me.signPublic, kex: me.kexPublic, sessionKey: session.publicKey },
        from,
        h.to,
      );
      const decipher = createDecipheriv(AEAD, key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(header, { plaintextLength: h.payloadLength });
      decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
      plaintext = concatBytes(decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final());
    } catch {
      throw new TransportError('bad-seal', 'sealed payload does not open', from);
    } finally {
      key?.fill(0);
    }
    try {
      return decodeEnvelope(concatBytes(header, plaintext)).envelope;
    } catch (e) {
      // The seal opened: the sender sealed an envelope that does not decode.
      throw new TransportError('malformed', (e as Error)?.message ?? String(e), from, true);
    }
  }

  throw new TransportError('malformed', `unknown frame kind ${kind}`);
}

export type ReplayGuardOptions = {
  /** Sessions remembered at once; beyond this the oldest is forgotten. Default 4096. */
  maxSessions?: number;
  /** Envelopes accepted per session; beyond this accept() throws 'limit'. Default 65536. */
  maxPerSession?: number;
};

/**
 * Remembers every envelope accepted, as (session, round, from, to, SHA-256 of the plaintext
 * envelope), and refuses a second copy. Different envelopes for the same slot pass: detecting
 * equivocation is the session's job. Memory is bounded: call forget() when a session ends
 * (its session id must never be reused, which the session-id derivation guarantees) and at most
 * maxSessions are kept, oldest evicted first.
 */
export class ReplayGuard {
  private readonly sessions = new Map<string, Set<string>>();
  private readonly maxSessions: number;
  private readonly maxPerSession: number;

  constructor(opts: ReplayGuardOptions = {}) {
    this.maxSessions = opts.maxSessions ?? 4096;
    this.maxPerSession = opts.maxPerSession ?? 65536;
  }

  private static slot(env: Envelope): { session: string; entry: string } {
    // SHA-256 of encodeEnvelope(env), header and payload fed separately (no copy of the payload).
    const digest = createHash('sha256').update(encodeHeader(env, env.payload.length)).update(env.payload).digest('hex');
    return { session: bytesToHex(env.session), entry: `${env.round}:${env.from}:${env.to}:${digest}` };
  }

  /** True if an exact copy of `env` was accepted before. */
  seen(env: Envelope): boolean {
    const { session, entry } = ReplayGuard.slot(env);
    return this.sessions.get(session)?.has(entry) ?? false;
  }

  /** Records `env`; throws TransportError('replay') if it was accepted before. */
  accept(env: Envelope): void {
    const { session, entry } = ReplayGuard.slot(env);
    let set = this.sessions.get(session);
    if (set?.has(entry)) throw new TransportError('replay', `envelope for round ${env.round}, ${env.from}→${env.to} already accepted`, env.from);
    if (!set) {
      while (this.sessions.size >= this.maxSessions) {
        const oldest = this.sessions.keys().next().value;
        if (oldest === undefined) break;
        this.sessions.delete(oldest);
      }
      set = new Set();
      this.sessions.set(session, set);
    }
    if (set.size >= this.maxPerSession) throw new TransportError('limit', `more than ${this.maxPerSession} envelopes in one session`, env.from);
    set.add(entry);
  }

  /** Drops everything remembered for a finished session. */
  forget(session: Uint8Array): void {
    this.sessions.delete(bytesToHex(session));
  }

  /** Number of sessions currently remembered. */
  get sessionCount(): number {
    return this.sessions.size;
  }
}
