// Byte helpers shared by every protocol. Pure: no I/O.
import { bytesToHex, hexToBytes, concatBytes, equalBytes } from '@noble/curves/utils.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ProtocolError } from './errors.ts';

export { bytesToHex, hexToBytes, concatBytes, utf8ToBytes, equalBytes };

/** Big-endian u32. */
export function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/**
 * Unambiguous encoding of a list of byte strings: each part is prefixed with its u32 length.
 * Used for every hash, transcript and Fiat–Shamir input so that no two different lists of parts
 * encode to the same bytes.
 */
export function lengthPrefixed(...parts: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const p of parts) out.push(u32(p.length), p);
  return concatBytes(...out);
}

/** Reads length-prefixed parts back; throws if the encoding is not exactly `count` parts. */
export function splitLengthPrefixed(bytes: Uint8Array, count?: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) throw new RangeError('truncated length prefix');
    const len = view.getUint32(off);
    off += 4;
    if (off + len > bytes.length) throw new RangeError('truncated part');
    parts.push(bytes.subarray(off, off + len));
    off += len;
  }
  if (count !== undefined && parts.length !== count) throw new RangeError(`expected ${count} parts, got ${parts.length}`);
  return parts;
}

const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = 10 + c;

/**
 * Hex from our own snapshots and key shares; anything but lowercase, even-length hex is rejected
 * ('malformed', naming `what`). Table-driven: a DKLs23 key share holds ~130 KB of hex per
 * counterpart and is decoded for every signature.
 */
export function fromHex(h: string, what = 'hex'): Uint8Array {
  if (typeof h !== 'string' || h.length % 2 !== 0) throw new ProtocolError('malformed', `${what}: not lowercase hex`);
  const out = new Uint8Array(h.length >>> 1);
  let bad = 0;
  for (let i = 0; i < out.length; i++) {
    const a = h.charCodeAt(2 * i),
      c = h.charCodeAt(2 * i + 1);
    const hi = a < 128 ? NIBBLE[a]! : -1,
      lo = c < 128 ? NIBBLE[c]! : -1;
    bad |= hi | lo; // −1 sets the sign bit
    out[i] = (hi << 4) | lo;
  }
  if (bad < 0) throw new ProtocolError('malformed', `${what}: not lowercase hex`);
  return out;
}
