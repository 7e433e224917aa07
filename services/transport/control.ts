// The generic message framing on the coordinator ↔ party links: one JSON object per WebSocket
// text frame, `{ type: string, ... }`, binary fields as (standard, padded) base64 strings. The
// coordinator and party layers define their own message types on top ('open', 'envelope',
// 'result', 'abort', ...); types starting with 'auth-' are reserved for the link itself.
//
// The one exception is the protocol envelope, the bulk of the traffic (a DKLs23 signature relays
// ~160 KB of them): `{ type: 'envelope', session, from, to, data }` with `data` as bytes travels as
// one WebSocket *binary* frame, no JSON and no base64:
//
//   u8 BINARY_ENVELOPE (=1) | session id (32 bytes) | u8 from | u8 to | data (the protected frame)
//
// and is decoded back into the same message shape, `data` a Uint8Array.

export type ControlMessage = { type: string; [k: string]: unknown };

/** Largest frame either side sends or accepts (a 1 MiB envelope in base64 plus slack). */
export const MAX_CONTROL_FRAME_BYTES = 2 * 1024 * 1024;
export const RESERVED_TYPE_PREFIX = 'auth-';
const TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isControlType(t: unknown): t is string {
  return typeof t === 'string' && TYPE_RE.test(t);
}

export function isReservedType(t: string): boolean {
  return t.startsWith(RESERVED_TYPE_PREFIX);
}

/** Serializes a message; throws TypeError if it is not a valid message or exceeds the limit. */
export function encodeControl(msg: ControlMessage): string {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || !isControlType(msg.type)) {
    throw new TypeError('control message must be an object with a valid string `type`');
  }
  const text = JSON.stringify(msg);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONTROL_FRAME_BYTES) throw new TypeError(`control message exceeds ${MAX_CONTROL_FRAME_BYTES} bytes`);
  return text;
}

/** Parses one frame; undefined for anything that is not a well-formed message within the limit. */
export function decodeControl(text: string): ControlMessage | undefined {
  if (typeof text !== 'string' || text.length > MAX_CONTROL_FRAME_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  if (!isControlType((v as { type?: unknown }).type)) return undefined;
  return v as ControlMessage;
}

/** Kind byte of a binary frame holding an envelope message. */
export const BINARY_ENVELOPE = 1;
const BINARY_HEADER_BYTES = 1 + 32 + 1 + 1;
const SESSION_HEX_RE = /^[0-9a-f]{64}$/;

/** An envelope message whose data is bytes: sent as a binary frame (encodeBinaryEnvelope). */
export function isBinaryEnvelope(msg: ControlMessage): boolean {
  return msg.type === 'envelope' && msg.data instanceof Uint8Array;
}

/** The binary frame of an envelope message; throws TypeError on a bad field or over the frame limit. */
export function encodeBinaryEnvelope(msg: ControlMessage): Buffer {
  const { session, from, to, data } = msg as { session?: unknown; from?: unknown; to?: unknown; data?: unknown };
  if (msg.type !== 'envelope' || !(data instanceof Uint8Array)) throw new TypeError('not an envelope message with bytes');
  if (typeof session !== 'string' || !SESSION_HEX_RE.test(session)) throw new TypeError('envelope session must be 64 lowercase hex characters');
  for (const v of [from, to]) if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255) throw new TypeError('envelope from/to must be 0..255');
  if (BINARY_HEADER_BYTES + data.length > MAX_CONTROL_FRAME_BYTES) throw new TypeError(`control message exceeds ${MAX_CONTROL_FRAME_BYTES} bytes`);
  const out = Buffer.allocUnsafe(BINARY_HEADER_BYTES + data.length);
  out[0] = BINARY_ENVELOPE;
  out.write(session, 1, 32, 'hex');
  out[33] = from as number;
  out[34] = to as number;
  out.set(data, BINARY_HEADER_BYTES);
  return out;
}

/** Parses a binary frame; undefined for anything that is not a well-formed envelope frame within the limit. */
export function decodeBinaryControl(buf: Buffer): ControlMessage | undefined {
  if (!Buffer.isBuffer(buf) || buf.length < BINARY_HEADER_BYTES || buf.length > MAX_CONTROL_FRAME_BYTES || buf[0] !== BINARY_ENVELOPE) return undefined;
  return { type: 'envelope', session: buf.toString('hex', 1, 33), from: buf[33]!, to: buf[34]!, data: buf.subarray(BINARY_HEADER_BYTES) };
}

export function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Strict decoding: canonical padded base64 only; undefined otherwise. */
export function base64ToBytes(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !BASE64_RE.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  // Reject non-canonical encodings (non-zero unused bits in the last character).
  if (buf.toString('base64') !== s) return undefined;
  return Uint8Array.from(buf); // a copy: small Buffers share Node's pool
}
