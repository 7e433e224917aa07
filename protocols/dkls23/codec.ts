// Strict decoding of DKLs23 wire values. Points are compressed SEC1 (33 bytes), on the curve,
// canonical, and never the identity; scalars are 32-byte big-endian and below q. Every vector has
// one exact length, checked before anything is zipped or summed (ToB TOB-SILA-1/2/3: short or
// long vectors silently skipped checks or raised the threshold). A violation is 'malformed' and
// names the sender, because envelopes are authenticated.
import { ProtocolError } from '../core/errors.ts';
import { ByteReader } from '../core/reader.ts';
import { bytesToHex, equalBytes } from '../core/bytes.ts';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { DklsCurve, Point } from './curve.ts';
import { nativeEc } from './native-ec.ts';

export function decodePoint(curve: DklsCurve, bytes: Uint8Array, what: string, culprits: number[] = []): Point {
  const bad = (why: string): never => {
    throw new ProtocolError('malformed', `${what}: ${why}`, culprits);
  };
  if (bytes.length !== curve.pointBytes) bad(`expected ${curve.pointBytes} bytes, got ${bytes.length}`);
  if (bytes[0] !== 2 && bytes[0] !== 3) bad('not a compressed point');
  let p: Point;
  try {
    // A host's native decompression (native-ec.ts) spares noble's square root; noble still decodes
    // the result (on-curve check) and every check here and below still applies.
    const native = nativeEc(curve.name)?.decompress;
    p = curve.Point.fromBytes(native ? native(bytes) : bytes);
    p.assertValidity();
  } catch {
    return bad('not a point on the curve');
  }
  if (p.is0()) bad('identity element');
  // x must be below p: re-encoding catches an x ≥ p that the decoder reduced.
  if (!equalBytes(p.toBytes(true), bytes)) bad('non-canonical encoding');
  return p;
}

export function decodeScalar(curve: DklsCurve, bytes: Uint8Array, what: string, culprits: number[] = []): bigint {
  if (bytes.length !== curve.scalarBytes) throw new ProtocolError('malformed', `${what}: expected ${curve.scalarBytes} bytes, got ${bytes.length}`, culprits);
  const s = bytesToNumberBE(bytes);
  if (s >= curve.Fn.ORDER) throw new ProtocolError('malformed', `${what}: scalar not below the group order`, culprits);
  return s;
}

export function encodePoint(p: Point): Uint8Array {
  return p.toBytes(true);
}

/** A cursor over one payload (protocols/core/reader.ts) that also reads this protocol's points and scalars. */
export class Reader extends ByteReader {
  constructor(
    private readonly curve: DklsCurve,
    bytes: Uint8Array,
    what: string,
    culprits: number[],
  ) {
    super(bytes, what, culprits);
  }

  point(name: string): Point {
    return decodePoint(this.curve, this.bytesN(this.curve.pointBytes), `${this.what} ${name}`, this.culprits);
  }

  scalar(name: string): bigint {
    return decodeScalar(this.curve, this.bytesN(this.curve.scalarBytes), `${this.what} ${name}`, this.culprits);
  }
}

export const toHex = bytesToHex;

/** Strict lowercase hex (protocols/core/bytes.ts). */
export { fromHex } from '../core/bytes.ts';

/** Big-endian unsigned integer of `len` bytes (a multiple of 8) at bytes[offset]: hot-loop decoding. */
export function readUintBE(bytes: Uint8Array, offset: number, len: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, len);
  let v = 0n;
  for (let k = 0; k < len; k += 8) v = (v << 64n) | view.getBigUint64(k);
  return v;
}

/** Writes a scalar (< 2^256) as 32 big-endian bytes at out[offset]: hot-loop encoding. */
export function writeScalarBE(s: bigint, out: Uint8Array, offset: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 32);
  for (let k = 24; k >= 0; k -= 8) {
    view.setBigUint64(k, s & 0xffffffffffffffffn);
    s >>= 64n;
  }
}
