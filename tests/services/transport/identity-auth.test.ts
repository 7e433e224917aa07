import { describe, test, expect } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  generateIdentity,
  identityFromSecrets,
  parseIdentity,
  parsePublicIdentity,
  publicIdentity,
  serializeIdentity,
  type PublicIdentity,
} from '../../../services/transport/identity.ts';
import { AUTH_CHALLENGE, AUTH_RESPONSE, CLOSE, answerChallenge, createChallenge, verifyResponse } from '../../../services/transport/auth.ts';
import { MAX_CONTROL_FRAME_BYTES, base64ToBytes, bytesToBase64, decodeControl, encodeControl } from '../../../services/transport/control.ts';

describe('identity', () => {
  test('generate, publish, serialize and parse', () => {
    const id = generateIdentity('party-1');
    const pub = publicIdentity(id);
    expect(pub.partyId).toBe('party-1');
    expect(pub.signPublic).toMatch(/^[0-9a-f]{64}$/);
    expect(pub.kexPublic).toMatch(/^[0-9a-f]{64}$/);
    expect(pub.signPublic).not.toBe(pub.kexPublic);
    expect(JSON.parse(JSON.stringify(pub))).toEqual(pub);
    expect(parsePublicIdentity(JSON.parse(JSON.stringify(pub)))).toEqual(pub);
    const back = parseIdentity(serializeIdentity(id));
    expect(back).toEqual(id);
    expect(publicIdentity(back)).toEqual(pub);
    // The same secrets give the same identity; fresh identities differ.
    expect(identityFromSecrets('party-1', id.signSecret, id.kexSecret)).toEqual(id);
    expect(publicIdentity(generateIdentity('party-1')).signPublic).not.toBe(pub.signPublic);
  });

  test('party ids follow the pattern', () => {
    for (const ok of ['a', 'party-1', '0', 'x'.repeat(63)]) expect(() => generateIdentity(ok)).not.toThrow();
    for (const bad of ['', '-a', 'A', 'a_b', 'a b', 'x'.repeat(64), 'é']) expect(() => generateIdentity(bad)).toThrow(TypeError);
  });

  test('parse refuses broken or inconsistent input', () => {
    const id = generateIdentity('p');
    const good = JSON.parse(serializeIdentity(id)) as Record<string, unknown>;
    const other = publicIdentity(generateIdentity('p'));
    for (const bad of [
      'not json',
      '[]',
      '{}',
      JSON.stringify({ ...good, format: 2 }),
      JSON.stringify({ ...good, partyId: 'P' }),
      JSON.stringify({ ...good, signSecret: 'zz' }),
      JSON.stringify({ ...good, kexSecret: (good.kexSecret as string).toUpperCase() }),
      JSON.stringify({ ...good, signPublic: other.signPublic }),
      JSON.stringify({ ...good, kexPublic: other.kexPublic }),
    ])
      expect(() => parseIdentity(bad)).toThrow(TypeError);
    const pub = publicIdentity(id);
    for (const bad of [null, 1, [], { ...pub, partyId: 'X' }, { ...pub, signPublic: pub.signPublic.slice(2) }, { ...pub, kexPublic: 7 }]) {
      expect(() => parsePublicIdentity(bad)).toThrow(TypeError);
    }
  });
});

describe('control framing', () => {
  test('base64 is strict and canonical', () => {
    const b = randomBytes(33);
    expect(base64ToBytes(bytesToBase64(b))).toEqual(b);
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
    for (const bad of ['A', 'AA', 'AB==x', 'AB=A', 'A===', 'AB-_', ' QQ==', 'QR==', 'QUJ=']) expect(base64ToBytes(bad)).toBeUndefined();
    expect(base64ToBytes('QQ==')).toEqual(Uint8Array.of(0x41));
  });

  test('messages are JSON objects with a type, within the size limit', () => {
    expect(decodeControl(encodeControl({ type: 'open', n: 1 }))).toEqual({ type: 'open', n: 1 });
    for (const bad of ['', 'nope', '[]', 'null', '"x"', '{}', '{"type":5}', '{"type":""}', '{"type":"a b"}']) expect(decodeControl(bad)).toBeUndefined();
    expect(decodeControl('x'.repeat(MAX_CONTROL_FRAME_BYTES + 1))).toBeUndefined();
    expect(() => encodeControl({ type: 'big', data: 'x'.repeat(MAX_CONTROL_FRAME_BYTES) })).toThrow(/exceeds/);
    expect(() => encodeControl({ type: '' })).toThrow(TypeError);
  });
});

describe('connection authentication', () => {
  const a = generateIdentity('party-a');
  const b = generateIdentity('party-b');
  const parties = new Map<string, PublicIdentity>([
    [a.partyId, publicIdentity(a)],
    [b.partyId, publicIdentity(b)],
  ]);

  test('a configured party answering the challenge is accepted', () => {
    const { message, challenge } = createChallenge('coord-1');
    expect(message.type).toBe(AUTH_CHALLENGE);
    expect(challenge.length).toBe(32);
    const response = answerChallenge(message, a)!;
    expect(response.type).toBe(AUTH_RESPONSE);
    expect(verifyResponse(response, 'coord-1', challenge, parties)).toEqual({ ok: true, party: publicIdentity(a) });
  });

  test('responses do not transfer to another challenge, coordinator or party', () => {
    const { message, challenge } = createChallenge('coord-1');
    const response = answerChallenge(message, a)!;
    const code = (v: ReturnType<typeof verifyResponse>): number | undefined => (v.ok ? undefined : v.code);
    expect(code(verifyResponse(response, 'coord-1', randomBytes(32), parties))).toBe(CLOSE.badSignature);
    expect(code(verifyResponse(response, 'coord-2', challenge, parties))).toBe(CLOSE.badSignature);
    // b's keys with a's signature.
    expect(code(verifyResponse({ ...response, ...publicIdentity(b) }, 'coord-1', challenge, parties))).toBe(CLOSE.badSignature);
    // a signature by a key other than the one configured, under the configured public keys.
    const impostor = { ...generateIdentity('party-a'), signPublic: a.signPublic, kexPublic: a.kexPublic };
    expect(code(verifyResponse(answerChallenge(message, impostor)!, 'coord-1', challenge, parties))).toBe(CLOSE.badSignature);
    // Unknown party; known party presenting other keys.
    expect(code(verifyResponse(answerChallenge(message, generateIdentity('party-c'))!, 'coord-1', challenge, parties))).toBe(CLOSE.unknownParty);
    expect(code(verifyResponse(answerChallenge(message, generateIdentity('party-a'))!, 'coord-1', challenge, parties))).toBe(CLOSE.identityMismatch);
  });

  test('malformed responses and challenges are refused', () => {
    const { message, challenge } = createChallenge('coord-1');
    const response = answerChallenge(message, a)!;
    for (const bad of [
      { type: 'hello' },
      { ...response, partyId: 'A' },
      { ...response, signPublic: 'xx' },
      { ...response, kexPublic: undefined },
      { ...response, signature: 'not base64!' },
      { ...response, signature: bytesToBase64(new Uint8Array(63)) },
    ]) {
      const v = verifyResponse(bad as never, 'coord-1', challenge, parties);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.code).toBe(CLOSE.malformed);
    }
    expect(answerChallenge({ ...message, challenge: bytesToBase64(new Uint8Array(31)) }, a)).toBeUndefined();
    expect(answerChallenge({ ...message, coordinatorId: '' }, a)).toBeUndefined();
    expect(answerChallenge({ type: 'auth-ok' }, a)).toBeUndefined();
    // A party that knows its coordinator's id refuses to sign for another.
    expect(answerChallenge(message, a, 'coord-2')).toBeUndefined();
    expect(answerChallenge(message, a, 'coord-1')).toBeDefined();
  });
});
