// Byte helpers shared by every protocol. Pure: no I/O.
import { bytesToHex, hexToBytes, concatBytes, equalBytes } from '@noble/curves/utils.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

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
