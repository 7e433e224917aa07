import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { sha512 } from '@noble/hashes/sha2.js';
import { MAX_PAYLOAD_BYTES, SESSION_ID_BYTES, encodeEnvelope, type Envelope } from '../../../protocols/core/envelope.ts';
import { concatBytes, lengthPrefixed, splitLengthPrefixed, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { LABELS } from '../../../protocols/core/labels.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { generateIdentity, publicIdentity, type Identity, type PublicIdentity } from '../../../services/transport/identity.ts';
import {
  FRAME_SEALED,
  FRAME_SIGNED,
  FRAME_SIGNED_WITH_KEY,
  FRAME_VERSION,
  MAX_SECURE_FRAME_BYTES,
  ReplayGuard,
  frameKind,
  open,
  protect,
} from '../../../services/transport/secure-envelope.ts';
import { TransportError, type TransportErrorReason } from '../../../services/transport/errors.ts';
import { SessionKeys } from '../../../services/transport/session-keys.ts';

// Three parties (indices 1..3) and a coordinator that relays their frames.
const ids: Identity[] = [generateIdentity('party-1'), generateIdentity('party-2'), generateIdentity('party-3')];
const pubs: PublicIdentity[] = ids.map(publicIdentity);
const coordinator = generateIdentity('coordinator');
const senders = (i: number): PublicIdentity | undefined => pubs[i - 1];
const session = randomBytes(SESSION_ID_BYTES);
/** Each party's keys for `session`, every peer's announced key learnt (as round 1 does). */
function sessionKeys(n = 3): SessionKeys[] {
  const k = Array.from({ length: n }, () => new SessionKeys());
  for (const [i, a] of k.entries()) for (const [j, b] of k.entries()) if (i !== j) a.learn(j + 1, b.publicKey);
  return k;
}
const keys = sessionKeys();

function env(over: Partial<Envelope> = {}): Envelope {
  return { protocol: 'frost-ed25519/dkg', session, round: 1, from: 1, to: 0, payload: new TextEncoder().encode('hello, round one'), ...over };
}

/** Runs fn and returns the TransportError it throws (failing the test if it throws anything else or nothing). */
function rejection(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  }
  throw new Error('expected a TransportError, got success');
}

function expectReason(fn: () => unknown, reason: TransportErrorReason, sender?: number): void {
  const e = rejection(fn);
  expect(e.reason).toBe(reason);
  if (sender !== undefined) expect(e.sender).toBe(sender);
}

function flip(bytes: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[i] = out[i]! ^ mask;
  return out;
}

/** Offsets inside a frame: 2 bytes of version/kind, then u32-prefixed fields. */
function fieldOffsets(frame: Uint8Array): { start: number; length: number }[] {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out: { start: number; length: number }[] = [];
  let off = 2;
  while (off < frame.length) {
    const length = view.getUint32(off);
    out.push({ start: off + 4, length });
    off += 4 + length;
  }
  return out;
}

// Envelope header layout: version, protocol length, protocol, session (32), round, from, to, u32 length.
function headerOffsets(protocol: string): { session: number; round: number; from: number; to: number } {
  const session = 2 + protocol.length;
  return { session, round: session + SESSION_ID_BYTES, from: session + SESSION_ID_BYTES + 1, to: session + SESSION_ID_BYTES + 2 };
}

describe('signed broadcasts', () => {
  const e = env();
  const frame = protect(e, ids[0]!);
  const [envField] = fieldOffsets(frame);
  const h = headerOffsets(e.protocol);

  test('verify and return the envelope', () => {
    expect(frameKind(frame)).toBe('signed');
    expect(frame[1]).toBe(FRAME_SIGNED);
    for (const [i, id] of ids.entries()) {
      if (i === 0) continue;
      expect(open(frame, id, senders, i + 1)).toEqual(e);
    }
  });

  test('a one-byte change in the header or the payload breaks the signature', () => {
    const base = envField!.start;
    expectReason(() => open(flip(frame, base + h.round), ids[1]!, senders, 2), 'bad-signature', 1);
    expectReason(() => open(flip(frame, base + h.session + 5), ids[1]!, senders, 2), 'bad-signature', 1);
    expectReason(() => open(flip(frame, base + h.from, 0x03), ids[2]!, senders, 3), 'bad-signature', 2); // 1 → 2: claims party 2
    expectReason(() => open(flip(frame, frame.length - 64 - 4 - 1), ids[1]!, senders, 2), 'bad-signature', 1); // last payload byte
    expectReason(() => open(flip(frame, frame.length - 1), ids[1]!, senders, 2), 'bad-signature', 1); // signature
  });

  test('every single-byte change anywhere in the frame is rejected', () => {
    for (let i = 0; i < frame.length; i++) {
      for (const mask of [0x01, 0x80]) rejection(() => open(flip(frame, i, mask), ids[1]!, senders, 2));
    }
  });

  test('a signature by someone else, an unknown sender and our own reflected broadcast are refused', () => {
    const forged = protect(env({ from: 2 }), ids[0]!); // party 1 claims to be party 2
    expectReason(() => open(forged, ids[2]!, senders, 3), 'bad-signature', 2);
    expectReason(() => open(protect(env({ from: 9 }), ids[0]!), ids[1]!, senders, 2), 'unknown-sender', 9);
    expectReason(() => open(frame, ids[0]!, senders, 1), 'misaddressed', 1);
  });

  test('a broadcast signed by the coordinator does not pass for a party', () => {
    expectReason(() => open(protect(e, coordinator), ids[1]!, senders, 2), 'bad-signature', 1);
  });
});

describe('sealed point-to-point', () => {
  const secret = new TextEncoder().encode('secret share for party 2: 0123456789abcdef');
  const e = env({ round: 2, from: 1, to: 2, payload: secret });
  const frame = protect(e, ids[0]!, pubs[1]!, keys[0]);
  const [hdr, nonce, ct] = fieldOffsets(frame) as [{ start: number; length: number }, { start: number; length: number }, { start: number; length: number }];
  const h = headerOffsets(e.protocol);

  test('round trip to the addressed party', () => {
    expect(frameKind(frame)).toBe('sealed');
    expect(frame[1]).toBe(FRAME_SEALED);
    expect(nonce.length).toBe(12);
    expect(ct.length).toBe(secret.length + 16);
    expect(open(frame, ids[1]!, senders, 2, undefined, keys[1])).toEqual(e);
    // Empty payloads seal too.
    const empty = env({ from: 3, to: 1, payload: new Uint8Array(0) });
    expect(open(protect(empty, ids[2]!, pubs[0]!, keys[2]), ids[0]!, senders, 1, undefined, keys[0])).toEqual(empty);
  });

  test('the plaintext does not appear on the wire and every seal uses a fresh nonce', () => {
    const hex = Buffer.from(frame).toString('hex');
    expect(hex.includes(Buffer.from(secret.subarray(0, 8)).toString('hex'))).toBe(false);
    const again = protect(e, ids[0]!, pubs[1]!, keys[0]);
    expect(Buffer.from(again).equals(Buffer.from(frame))).toBe(false);
    expect(open(again, ids[1]!, senders, 2, undefined, keys[1])).toEqual(e);
  });

  test('the coordinator (a third identity) cannot open it, nor can another party', () => {
    // The coordinator poses as the receiver: index 2 but its own keys.
    // It even learnt party 1's announced session key (public): still no.
    const coordinatorKeys = new SessionKeys();
    coordinatorKeys.learn(1, keys[0]!.publicKey);
    expectReason(() => open(frame, coordinator, senders, 2, undefined, coordinatorKeys), 'bad-seal', 1);
    // Party 3 holding the frame, re-addressed to itself.
    const readdressed = flip(frame, hdr.start + h.to, 0x02 ^ 0x03);
    expectReason(() => open(readdressed, ids[2]!, senders, 3, undefined, keys[2]), 'bad-seal', 1);
  });

  test('a one-byte change of the ciphertext, the tag, the nonce or the header (AAD) is rejected', () => {
    expectReason(() => open(flip(frame, ct.start), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
    expectReason(() => open(flip(frame, ct.start + ct.length - 1), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
    expectReason(() => open(flip(frame, nonce.start + 3), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
    expectReason(() => open(flip(frame, hdr.start + h.round), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
    expectReason(() => open(flip(frame, hdr.start + 3), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1); // protocol name byte
  });

  test('every single-byte change anywhere in the frame is rejected', () => {
    for (let i = 0; i < frame.length; i++) {
      for (const mask of [0x01, 0x80]) rejection(() => open(flip(frame, i, mask), ids[1]!, senders, 2, undefined, keys[1]));
    }
  });

  test('re-addressing to another receiver, another sender or another session is rejected', () => {
    // Still addressed to 2 but handed to 3: refused before decryption.
    expectReason(() => open(frame, ids[2]!, senders, 3, undefined, keys[2]), 'misaddressed', 1);
    // Header says from 3 (party 3's key would be used): the seal does not open.
    expectReason(() => open(flip(frame, hdr.start + h.from, 0x01 ^ 0x03), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 3);
    // Direction swapped (1→2 presented to party 1 as 2→1): a key per direction.
    const swapped = Uint8Array.from(frame);
    swapped[hdr.start + h.from] = 2;
    swapped[hdr.start + h.to] = 1;
    expectReason(() => open(swapped, ids[0]!, senders, 1, undefined, keys[0]), 'bad-seal', 2);
    // Another session: every session id byte matters (HKDF salt and AAD).
    for (let i = 0; i < SESSION_ID_BYTES; i++) {
      expectReason(() => open(flip(frame, hdr.start + h.session + i), ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
    }
    // A frame sealed for one session cannot be replayed into another by rewriting the whole id.
    const other = randomBytes(SESSION_ID_BYTES);
    const moved = Uint8Array.from(frame);
    moved.set(other, hdr.start + h.session);
    expectReason(() => open(moved, ids[1]!, senders, 2, undefined, keys[1]), 'bad-seal', 1);
  });

  test('our own reflected envelope, a sealed broadcast and an unknown sender are refused', () => {
    const toSelf = Uint8Array.from(frame);
    toSelf[hdr.start + h.to] = 1;
    expectReason(() => open(toSelf, ids[0]!, senders, 1, undefined, keys[0]), 'misaddressed', 1);
    const toAll = Uint8Array.from(frame);
    toAll[hdr.start + h.to] = 0;
    expectReason(() => open(toAll, ids[1]!, senders, 2, undefined, keys[1]), 'malformed', 1);
    expectReason(() => open(protect(env({ from: 7, to: 2 }), ids[0]!, pubs[1]!, keys[0]), ids[1]!, senders, 2, undefined, keys[1]), 'unknown-sender', 7);
  });

  test('the largest payload seals and opens', () => {
    const big = env({ from: 2, to: 3, payload: new Uint8Array(MAX_PAYLOAD_BYTES).fill(0xa5) });
    const f = protect(big, ids[1]!, pubs[2]!, keys[1]);
    expect(f.length).toBeLessThanOrEqual(MAX_SECURE_FRAME_BYTES);
    const got = open(f, ids[2]!, senders, 3, undefined, keys[2]);
    // Compared as Buffers: jest's deep equality walks a megabyte element by element.
    expect(Buffer.from(got.payload).equals(Buffer.from(big.payload))).toBe(true);
    expect({ ...got, payload: null }).toEqual({ ...big, payload: null });
  });
});

describe('strict frame decoding', () => {
  const signed = protect(env(), ids[0]!);
  const sealed = protect(env({ to: 3 }), ids[0]!, pubs[2]!, keys[0]);

  test('every truncation is malformed', () => {
    for (const [frame, me, idx] of [
      [signed, ids[1]!, 2],
      [sealed, ids[2]!, 3],
    ] as const) {
      for (let n = 0; n < frame.length; n++) expectReason(() => open(frame.subarray(0, n), me, senders, idx), 'malformed');
    }
  });

  test('trailing bytes, unknown versions and kinds, and oversized frames are malformed', () => {
    const trailing = new Uint8Array(signed.length + 1);
    trailing.set(signed);
    expectReason(() => open(trailing, ids[1]!, senders, 2), 'malformed');
    expectReason(() => open(Uint8Array.of(2, ...signed.subarray(1)), ids[1]!, senders, 2), 'malformed');
    expectReason(() => open(Uint8Array.of(1, 3, ...signed.subarray(2)), ids[1]!, senders, 2), 'malformed');
    // A signed frame relabelled as sealed (and vice versa) does not parse as the other kind.
    expectReason(() => open(Uint8Array.of(1, FRAME_SEALED, ...signed.subarray(2)), ids[1]!, senders, 2), 'malformed');
    expectReason(() => open(Uint8Array.of(1, FRAME_SIGNED, ...sealed.subarray(2)), ids[2]!, senders, 3, undefined, keys[2]), 'malformed');
    const huge = new Uint8Array(MAX_SECURE_FRAME_BYTES + 1);
    huge.set(signed);
    expectReason(() => open(huge, ids[1]!, senders, 2), 'malformed');
    expectReason(() => open(new Uint8Array(0), ids[1]!, senders, 2), 'malformed');
  });

  test('misuse of protect is a TypeError', () => {
    expect(() => protect(env(), ids[0]!, pubs[1]!, keys[0])).toThrow(TypeError);
    expect(() => protect(env({ to: 2 }), ids[0]!)).toThrow(TypeError);
    expect(() => protect(env({ to: 2 }), ids[0]!, pubs[1]!)).toThrow(/session's keys/); // no static-only seal any more
    expect(() => protect(env({ from: 2, to: 2 }), ids[1]!, pubs[1]!, keys[1])).toThrow(TypeError);
    expect(() => protect(env({ payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }), ids[0]!)).toThrow(ProtocolError);
  });

  test('a TransportError converts to a ProtocolError naming the claimed sender', () => {
    const e = rejection(() => open(flip(sealed, sealed.length - 1), ids[2]!, senders, 3, undefined, keys[2]));
    const p = e.toProtocolError();
    expect(p).toBeInstanceOf(ProtocolError);
    expect(p.kind).toBe('invalid-signature');
    expect(p.culprits).toEqual([1]);
    expect(rejection(() => open(new Uint8Array(1), ids[2]!, senders, 3)).toProtocolError().culprits).toEqual([]);
  });
});

// trust-review H1 / dkls23-review F2: with static keys only, recorded frames plus one party's
// identity keys opened every frame to and from it. Now each session seals under fresh ephemeral
// X25519 keys, announced on the signed round-1 broadcast and erased at the session's end.
describe('session keys: forward secrecy, announcement, substitution', () => {
  const sid = randomBytes(SESSION_ID_BYTES);
  const e1 = (from: number) => env({ session: sid, round: 1, from, to: 0, payload: Uint8Array.of(from) });
  /** A session run for real: each party's round-1 broadcast announces its key; each learns the others' from the frames. */
  function announce(): { k: SessionKeys[]; frames: Uint8Array[] } {
    const k = [new SessionKeys(), new SessionKeys(), new SessionKeys()];
    const frames = [1, 2, 3].map((from) => protect(e1(from), ids[from - 1]!, undefined, k[from - 1]));
    for (const [i, f] of frames.entries()) for (const me of [1, 2, 3]) if (me !== i + 1) open(f, ids[me - 1]!, senders, me, undefined, k[me - 1]);
    return { k, frames };
  }
  const secret = new TextEncoder().encode('f_1(2) = 0x0123456789abcdef0123456789abcdef');

  test('the round-1 broadcast carries the session key, signed; later broadcasts do not', () => {
    const { k, frames } = announce();
    expect(frames[0]![1]).toBe(FRAME_SIGNED_WITH_KEY);
    expect(frameKind(frames[0]!)).toBe('signed');
    expect(Buffer.from(frames[0]!).includes(Buffer.from(k[0]!.publicKey))).toBe(true);
    expect(k[1]!.peerKey(1)).toEqual(k[0]!.publicKey);
    expect(protect(env({ session: sid, round: 2 }), ids[0]!, undefined, k[0])[1]).toBe(FRAME_SIGNED);
    // A party that needs no session keys (FROST signing) reads the frame as a broadcast.
    expect(open(frames[0]!, ids[1]!, senders, 2).payload).toEqual(Uint8Array.of(1));
  });

  test('every session has its own keys', () => {
    const a = announce(),
      b = announce();
    const all = [...a.k, ...b.k].map((x) => Buffer.from(x.publicKey).toString('hex'));
    expect(new Set(all).size).toBe(6);
  });

  test('after the session, the identity keys of both ends open nothing that was recorded', () => {
    const { k } = announce();
    const recorded = protect(env({ session: sid, round: 2, from: 1, to: 2, payload: secret }), ids[0]!, pubs[1]!, k[0]);
    expect(open(recorded, ids[1]!, senders, 2, undefined, k[1]).payload).toEqual(secret);
    for (const x of k) x.erase();
    expect(k[1]!.erased).toBe(true);
    // The receiver itself, after the session: its keys are gone.
    expectReason(() => open(recorded, ids[1]!, senders, 2, undefined, k[1]), 'bad-session-key');
    // An attacker holding both identities and every announced (public) session key, with a key pair of its own.
    const attacker = new SessionKeys();
    attacker.learn(1, k[0]!.publicKey);
    expectReason(() => open(recorded, ids[1]!, senders, 2, undefined, attacker), 'bad-seal', 1);
    // The review's attack (E1): the key derived from the static X25519 alone, as v1 sealed.
    const [hdr, nonce, ct] = splitLengthPrefixed(recorded.subarray(2), 3) as [Uint8Array, Uint8Array, Uint8Array];
    const staticShared = x25519.getSharedSecret(ids[1]!.kexSecret, ids[0]!.kexPublic);
    for (const label of ['tutti/v1/seal-key', LABELS.sealKey]) {
      const info = lengthPrefixed(utf8ToBytes(label), ids[0]!.signPublic, ids[1]!.signPublic, ids[0]!.kexPublic, ids[1]!.kexPublic, Uint8Array.of(1, 2));
      const key = Buffer.from(hkdfSync('sha256', staticShared, sid, info, 32));
      const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      d.setAAD(hdr, { plaintextLength: ct.length - 16 });
      d.setAuthTag(ct.subarray(ct.length - 16));
      d.update(ct.subarray(0, ct.length - 16));
      expect(() => d.final()).toThrow();
    }
    // And nothing can be sealed with erased keys.
    expect(() => protect(env({ session: sid, round: 3, from: 1, to: 2 }), ids[0]!, pubs[1]!, k[0])).toThrow(TransportError);
  });

  test('a substituted session key is refused, naming the party it claims to be from', () => {
    const [frame] = announce().frames;
    const receiver = () => new SessionKeys();
    // The relay swaps in its own key: the identity signature no longer verifies.
    const f = fieldOffsets(frame!);
    const swapped = Uint8Array.from(frame!);
    swapped.set(new SessionKeys().publicKey, f[1]!.start);
    expectReason(() => open(swapped, ids[1]!, senders, 2, undefined, receiver()), 'bad-signature', 1);
    // The relay strips the key (a kind-1 frame with the same signature): refused.
    const stripped = concatBytes(
      Uint8Array.of(FRAME_VERSION, FRAME_SIGNED),
      lengthPrefixed(frame!.subarray(f[0]!.start, f[0]!.start + f[0]!.length), frame!.subarray(f[2]!.start)),
    );
    expectReason(() => open(stripped, ids[1]!, senders, 2, undefined, receiver()), 'bad-signature', 1);
    // The key signed by someone else (the coordinator posing as party 1): refused.
    expectReason(() => open(protect(e1(1), coordinator, undefined, new SessionKeys()), ids[1]!, senders, 2, undefined, receiver()), 'bad-signature', 1);
    // A key announced in another session does not pass in this one (the signature covers the session id).
    const moved = Uint8Array.from(frame!);
    moved.set(randomBytes(SESSION_ID_BYTES), f[0]!.start + headerOffsets(e1(1).protocol).session);
    expectReason(() => open(moved, ids[1]!, senders, 2, undefined, receiver()), 'bad-signature', 1);
    // Party 1 itself signs a round-1 broadcast without a key, or a second, different key: refused, naming it.
    expectReason(() => open(protect(e1(1), ids[0]!), ids[1]!, senders, 2, undefined, receiver()), 'bad-session-key', 1);
    const twice = receiver();
    open(frame!, ids[1]!, senders, 2, undefined, twice);
    expectReason(() => open(protect(e1(1), ids[0]!, undefined, new SessionKeys()), ids[1]!, senders, 2, undefined, twice), 'bad-session-key', 1);
    // A key on a later round's broadcast is malformed.
    const late = concatBytes(
      Uint8Array.of(FRAME_VERSION, FRAME_SIGNED_WITH_KEY),
      lengthPrefixed(encodeEnvelope(env({ session: sid, round: 2 })), new Uint8Array(32), new Uint8Array(64)),
    );
    expectReason(() => open(late, ids[1]!, senders, 2, undefined, receiver()), 'malformed', 1);
  });

  test('a p2p frame before its sender announced a key, or in a session without keys, is refused naming the sender', () => {
    const { k } = announce();
    const frame = protect(env({ session: sid, round: 2, from: 1, to: 2, payload: secret }), ids[0]!, pubs[1]!, k[0]);
    expectReason(() => open(frame, ids[1]!, senders, 2, undefined, new SessionKeys()), 'bad-session-key', 1);
    expectReason(() => open(frame, ids[1]!, senders, 2), 'bad-session-key', 1);
    expect(rejection(() => open(frame, ids[1]!, senders, 2)).toProtocolError().culprits).toEqual([1]);
  });

  test('ends whose views of a session key differ derive different seal keys: the frame does not open', () => {
    const { k } = announce();
    // Party 2 was shown another key for party 1 (only party 1 could have signed it).
    const otherView = new SessionKeys();
    otherView.learn(1, new SessionKeys().publicKey);
    otherView.learn(3, k[2]!.publicKey);
    const frame = protect(env({ session: sid, round: 2, from: 1, to: 2, payload: secret }), ids[0]!, pubs[1]!, k[0]);
    expectReason(() => open(frame, ids[1]!, senders, 2, undefined, otherView), 'bad-seal', 1);
  });

  test('unusable session keys are refused', () => {
    const k = new SessionKeys();
    expectReason(() => k.learn(2, new Uint8Array(31)), 'bad-session-key', 2);
    expectReason(() => k.learn(2, new Uint8Array(32)), 'bad-session-key', 2); // small order: all-zero agreement
  });
});

describe('ReplayGuard', () => {
  test('refuses a second copy, through open() or directly', () => {
    const guard = new ReplayGuard();
    const frame = protect(env({ to: 2 }), ids[0]!, pubs[1]!, keys[0]);
    const first = open(frame, ids[1]!, senders, 2, guard, keys[1]);
    expectReason(() => open(frame, ids[1]!, senders, 2, guard, keys[1]), 'replay', 1);
    // A fresh seal of the same envelope (new nonce) is still the same envelope.
    expectReason(() => open(protect(first, ids[0]!, pubs[1]!, keys[0]), ids[1]!, senders, 2, guard, keys[1]), 'replay', 1);
    expect(guard.seen(first)).toBe(true);
    // A different envelope for the same slot passes the guard (equivocation is the session's call).
    expect(() => guard.accept({ ...first, payload: Uint8Array.of(1) })).not.toThrow();
    // The same bytes in another round, to another party or in another session are different envelopes.
    expect(() => guard.accept({ ...first, round: 2 })).not.toThrow();
    expect(() => guard.accept({ ...first, to: 3 })).not.toThrow();
    expect(() => guard.accept({ ...first, session: randomBytes(32) })).not.toThrow();
  });

  test('forget() ends a session; memory is bounded', () => {
    const guard = new ReplayGuard({ maxSessions: 2, maxPerSession: 3 });
    const a = env({ session: randomBytes(32) });
    guard.accept(a);
    guard.forget(a.session);
    expect(guard.sessionCount).toBe(0);
    expect(() => guard.accept(a)).not.toThrow();
    const b = env({ session: randomBytes(32) });
    const c = env({ session: randomBytes(32) });
    guard.accept(b);
    guard.accept(c); // evicts a, the oldest
    expect(guard.sessionCount).toBe(2);
    expect(guard.seen(a)).toBe(false);
    expect(guard.seen(b) && guard.seen(c)).toBe(true);
    guard.accept({ ...c, round: 2 });
    guard.accept({ ...c, round: 3 });
    expectReason(() => guard.accept({ ...c, round: 4 }), 'limit', 1);
  });
});

// Broadcast signatures are checked by OpenSSL (node:crypto). These frames are built by hand, with
// the sender's secret scalar, to show the check is RFC 8032 strict: at least as strict as noble's
// ed25519.verify with zip215 = false, which it replaced, and stricter where noble's cofactored
// equation was lenient.
describe('strict Ed25519 verification of broadcasts', () => {
  const L = ed25519.Point.Fn.ORDER;
  const P = ed25519.Point.Fp.ORDER;
  const e = env({ payload: new TextEncoder().encode('strictness') });
  const envBytes = encodeEnvelope(e);
  const header = envBytes.subarray(0, envBytes.length - e.payload.length);
  const message = lengthPrefixed(utf8ToBytes(LABELS.envelopeSignature), header, e.payload);
  const le = (n: bigint): Uint8Array => {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  const fromLe = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
  const challenge = (r: Uint8Array, a: Uint8Array): bigint => fromLe(sha512(concatBytes(r, a, message))) % L;
  const signedFrame = (sig: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(FRAME_VERSION, FRAME_SIGNED), lengthPrefixed(envBytes, sig));
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(ids[0]!.signSecret);
  // An order-8 point (the small-order list of "Taming the many EdDSAs", Chalkias et al.).
  const T8 = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

  test('the hand-built signatures are right: R = identity (nonce 0), canonically encoded, verifies', () => {
    const R = ed25519.Point.ZERO.toBytes();
    const s = (challenge(R, A) * a) % L;
    expect(open(signedFrame(concatBytes(R, le(s))), ids[1]!, senders, 2)).toEqual(e);
    expect(ed25519.verify(concatBytes(R, le(s)), message, A, { zip215: false })).toBe(true);
  });

  test('R encoded non-canonically (y = p + 1) is refused, as by noble strict (ZIP-215 would accept it)', () => {
    const R = le(P + 1n);
    const sig = concatBytes(R, le((challenge(R, A) * a) % L));
    expect(ed25519.verify(sig, message, A, { zip215: true })).toBe(true);
    expect(ed25519.verify(sig, message, A, { zip215: false })).toBe(false);
    expectReason(() => open(signedFrame(sig), ids[1]!, senders, 2), 'bad-signature', 1);
  });

  test('s + L (a non-reduced s) is refused', () => {
    const good = splitLengthPrefixed(protect(e, ids[0]!).subarray(2), 2)[1]!;
    const s = fromLe(good.subarray(32));
    const sig = concatBytes(good.subarray(0, 32), le(s + L));
    expect(ed25519.verify(sig, message, A, { zip215: false })).toBe(false);
    expectReason(() => open(signedFrame(sig), ids[1]!, senders, 2), 'bad-signature', 1);
  });

  test('R off by a small-order point is refused (noble cofactored equation accepted it: tighter now)', () => {
    expect(T8.isSmallOrder() && !T8.is0()).toBe(true);
    const r = 12345678901234567890n;
    const R = ed25519.Point.BASE.multiply(r).add(T8).toBytes();
    const sig = concatBytes(R, le((r + challenge(R, A) * a) % L));
    expect(ed25519.verify(sig, message, A, { zip215: false })).toBe(true);
    expectReason(() => open(signedFrame(sig), ids[1]!, senders, 2), 'bad-signature', 1);
  });

  test('a sender whose public key is of small order or non-canonical is refused', () => {
    const r = 987654321n;
    const R = ed25519.Point.BASE.multiply(r).toBytes();
    const sig = concatBytes(R, le(r)); // [s]B − [k]·identity = R for any message
    const identityKey = ed25519.Point.ZERO.toBytes();
    const weak: PublicIdentity = { ...pubs[0]!, signPublic: Buffer.from(identityKey).toString('hex') };
    expect(ed25519.verify(sig, message, identityKey, { zip215: false })).toBe(false);
    expectReason(() => open(signedFrame(sig), ids[1]!, (i) => (i === 1 ? weak : pubs[i - 1]), 2), 'bad-signature', 1);
    // The identity point encoded with y = p + 1: not canonical.
    const nonCanonical: PublicIdentity = { ...pubs[0]!, signPublic: Buffer.from(le(P + 1n)).toString('hex') };
    expectReason(() => open(signedFrame(sig), ids[1]!, (i) => (i === 1 ? nonCanonical : pubs[i - 1]), 2), 'bad-signature', 1);
  });
});
