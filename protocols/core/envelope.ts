// The versioned envelope every protocol message travels in.
//
// Wire layout (all integers big-endian):
//   u8 version (=1) | u8 len | protocol (ASCII) | 32-byte session id | u8 round | u8 from | u8 to |
//   u32 payload length | payload
// `to` = 0 means broadcast. The header (everything before the payload) is what the transport
// signs (broadcast) or binds as AEAD associated data (point-to-point), so no relay can move a
// payload to another session, round, sender or receiver undetected.
import { ProtocolError } from './errors.ts';
import { concatBytes, u32 } from './bytes.ts';

export const ENVELOPE_VERSION = 1;
export const SESSION_ID_BYTES = 32;
export const BROADCAST = 0;
/** Upper bound on one payload; DKLs23 OT-extension messages are the largest (tens of KB). */
export const MAX_PAYLOAD_BYTES = 1 << 20;
export const MAX_PARTIES = 255;

export type Envelope = {
  protocol: string;
  session: Uint8Array;
  round: number;
  from: number;
  /** Receiver's index, or BROADCAST (0). */
  to: number;
  payload: Uint8Array;
};

const PROTOCOL_RE = /^[a-z0-9][a-z0-9/._-]{0,63}$/;

function byteField(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 255) throw new ProtocolError('malformed', `envelope ${name} out of range: ${v}`);
  return v;
}

/** Encodes only the header: what signatures and AEADs bind. */
export function encodeHeader(e: Omit<Envelope, 'payload'>, payloadLength: number): Uint8Array {
  if (!PROTOCOL_RE.test(e.protocol)) throw new ProtocolError('malformed', `bad protocol name '${e.protocol}'`);
  if (e.session.length !== SESSION_ID_BYTES) throw new ProtocolError('malformed', `session id must be ${SESSION_ID_BYTES} bytes`);
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new ProtocolError('malformed', `payload of ${payloadLength} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const proto = new TextEncoder().encode(e.protocol);
  return concatBytes(
    Uint8Array.of(ENVELOPE_VERSION, proto.length),
    proto,
    e.session,
    Uint8Array.of(byteField('round', e.round, 0), byteField('from', e.from, 1), byteField('to', e.to, 0)),
    u32(payloadLength),
  );
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  return concatBytes(encodeHeader(e, e.payload.length), e.payload);
}

/** Decodes an envelope; throws ProtocolError('malformed') on any truncation, excess or bad field. */
export function decodeEnvelope(bytes: Uint8Array): { envelope: Envelope; header: Uint8Array } {
  const fail = (why: string): never => {
    throw new ProtocolError('malformed', `envelope: ${why}`);
  };
  if (bytes.length < 2) fail('truncated');
  if (bytes[0] !== ENVELOPE_VERSION) fail(`unsupported version ${bytes[0]}`);
  const plen = bytes[1]!;
  const fixed = 2 + plen + SESSION_ID_BYTES + 3 + 4;
  if (bytes.length < fixed) fail('truncated header');
  const protocol = new TextDecoder().decode(bytes.subarray(2, 2 + plen));
  if (!PROTOCOL_RE.test(protocol)) fail(`bad protocol name '${protocol}'`);
  let off = 2 + plen;
  const session = bytes.slice(off, off + SESSION_ID_BYTES);
  off += SESSION_ID_BYTES;
  const round = bytes[off]!,
    from = bytes[off + 1]!,
    to = bytes[off + 2]!;
  off += 3;
  if (from < 1) fail('from must be >= 1');
  const len = new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0);
  off += 4;
  if (len > MAX_PAYLOAD_BYTES) fail(`payload of ${len} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  if (bytes.length !== off + len) fail(bytes.length < off + len ? 'truncated payload' : 'trailing bytes');
  return { envelope: { protocol, session, round, from, to, payload: bytes.slice(off) }, header: bytes.slice(0, off) };
}
