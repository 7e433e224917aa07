// The envelope codec: exact round trips, and every truncation, excess or bad field rejected as
// 'malformed' before any protocol code sees the message.
import { describe, test, expect } from '@jest/globals';
import {
  BROADCAST,
  ENVELOPE_VERSION,
  MAX_PAYLOAD_BYTES,
  SESSION_ID_BYTES,
  decodeEnvelope,
  encodeEnvelope,
  encodeHeader,
  type Envelope,
} from '../../../protocols/core/envelope.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { u32 } from '../../../protocols/core/bytes.ts';

const session = Uint8Array.from({ length: SESSION_ID_BYTES }, (_, k) => k * 7);
const sample: Envelope = { protocol: 'frost-ed25519/dkg', session, round: 2, from: 3, to: 1, payload: Uint8Array.of(1, 2, 3, 4, 5) };

function malformed(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).kind).toBe('malformed');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('envelope codec', () => {
  test('round trip, point-to-point and broadcast, empty and non-empty payloads', () => {
    for (const e of [sample, { ...sample, to: BROADCAST }, { ...sample, payload: new Uint8Array() }, { ...sample, round: 0, from: 255, to: 255 }]) {
      const bytes = encodeEnvelope(e);
      const { envelope, header } = decodeEnvelope(bytes);
      expect(envelope).toEqual(e);
      expect(header).toEqual(encodeHeader(e, e.payload.length));
      expect(bytes.subarray(0, header.length)).toEqual(header);
      expect(encodeEnvelope(envelope)).toEqual(bytes);
    }
  });

  test('the decoded envelope does not alias the input buffer', () => {
    const bytes = encodeEnvelope(sample);
    const { envelope } = decodeEnvelope(bytes);
    bytes.fill(0);
    expect(envelope).toEqual(sample);
  });

  test('every truncation is rejected', () => {
    const bytes = encodeEnvelope(sample);
    for (let len = 0; len < bytes.length; len++) malformed(() => decodeEnvelope(bytes.slice(0, len)));
  });

  test('trailing bytes are rejected', () => {
    expect(malformed(() => decodeEnvelope(new Uint8Array([...encodeEnvelope(sample), 0])))).toMatch(/trailing/);
  });

  test('a payload length beyond the maximum is rejected, in either direction', () => {
    const header = encodeHeader(sample, 0);
    const lie = header.slice();
    lie.set(u32(MAX_PAYLOAD_BYTES + 1), header.length - 4);
    expect(malformed(() => decodeEnvelope(lie))).toMatch(/exceeds/);
    expect(malformed(() => encodeEnvelope({ ...sample, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }))).toMatch(/exceeds/);
    // The maximum itself is fine.
    expect(decodeEnvelope(encodeEnvelope({ ...sample, payload: new Uint8Array(MAX_PAYLOAD_BYTES) })).envelope.payload.length).toBe(MAX_PAYLOAD_BYTES);
  });

  test('a wrong version is rejected', () => {
    for (const v of [0, ENVELOPE_VERSION + 1, 255]) {
      const bytes = encodeEnvelope(sample);
      bytes[0] = v;
      expect(malformed(() => decodeEnvelope(bytes))).toMatch(/version/);
    }
  });

  test('bad fields are rejected on both sides', () => {
    malformed(() => encodeEnvelope({ ...sample, protocol: 'FROST/Upper' }));
    malformed(() => encodeEnvelope({ ...sample, protocol: '' }));
    malformed(() => encodeEnvelope({ ...sample, session: new Uint8Array(31) }));
    malformed(() => encodeEnvelope({ ...sample, from: 0 }));
    malformed(() => encodeEnvelope({ ...sample, round: 256 }));
    malformed(() => encodeEnvelope({ ...sample, to: -1 }));
    malformed(() => encodeEnvelope({ ...sample, round: 1.5 }));
    const bytes = encodeEnvelope(sample);
    const noSender = bytes.slice();
    noSender[2 + sample.protocol.length + SESSION_ID_BYTES + 1] = 0;
    expect(malformed(() => decodeEnvelope(noSender))).toMatch(/from/);
    const badName = bytes.slice();
    badName[2] = 'A'.charCodeAt(0);
    expect(malformed(() => decodeEnvelope(badName))).toMatch(/protocol/);
  });

  test('a protocol-length byte that disagrees with the rest is rejected', () => {
    const bytes = encodeEnvelope(sample);
    for (const delta of [-1, 1]) {
      const b = bytes.slice();
      b[1] = b[1]! + delta;
      malformed(() => decodeEnvelope(b));
    }
  });
});
