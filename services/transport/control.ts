// The generic message framing on the coordinator ↔ party links: one JSON object per WebSocket
// text frame, `{ type: string, ... }`, binary fields as (standard, padded) base64 strings. The
// coordinator and party layers define their own message types on top ('open', 'envelope',
// 'result', 'abort', ...); types starting with 'auth-' are reserved for the link itself.

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
  try { v = JSON.parse(text); } catch { return undefined; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  if (!isControlType((v as { type?: unknown }).type)) return undefined;
  return v as ControlMessage;
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
