// Strict decoding of DKLs23 wire values. Points are compressed SEC1 (33 bytes), on the curve,
// canonical, and never the identity; scalars are 32-byte big-endian and below q. Every vector has
// one exact length, checked before anything is zipped or summed (ToB TOB-SILA-1/2/3: short or
// long vectors silently skipped checks or raised the threshold). A violation is 'malformed' and
// names the sender, because envelopes are authenticated.
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, equalBytes } from '../core/bytes.ts';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { DklsCurve, Point } from './curve.ts';

export function decodePoint(curve: DklsCurve, bytes: Uint8Array, what: string, culprits: number[] = []): Point {
  const bad = (why: string): never => { throw new ProtocolError('malformed', `${what}: ${why}`, culprits); };
  if (bytes.length !== curve.pointBytes) bad(`expected ${curve.pointBytes} bytes, got ${bytes.length}`);
  if (bytes[0] !== 2 && bytes[0] !== 3) bad('not a compressed point');
  let p: Point;
  try {
    p = curve.Point.fromBytes(bytes);
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
  if (bytes.length !== curve.scalarBytes)
    throw new ProtocolError('malformed', `${what}: expected ${curve.scalarBytes} bytes, got ${bytes.length}`, culprits);
  const s = bytesToNumberBE(bytes);
  if (s >= curve.Fn.ORDER) throw new ProtocolError('malformed', `${what}: scalar not below the group order`, culprits);
  return s;
}

export function encodePoint(p: Point): Uint8Array {
  return p.toBytes(true);
}

/** A cursor over one payload: reading past the end is 'malformed' (truncated), leftovers too. */
export class Reader {
  private off = 0;
  constructor(
    private readonly curve: DklsCurve,
    private readonly bytes: Uint8Array,
    private readonly what: string,
    private readonly culprits: number[],
  ) {}

  private fail(why: string): never {
    throw new ProtocolError('malformed', `${this.what}: ${why}`, this.culprits);
  }

  bytesN(n: number): Uint8Array {
    if (this.off + n > this.bytes.length) this.fail(`truncated (${this.bytes.length} bytes)`);
    // A copy: decoded values outlive the envelope, whose buffer the caller may reuse.
    const out = this.bytes.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u8(): number { return this.bytesN(1)[0]!; }

  point(name: string): Point {
    return decodePoint(this.curve, this.bytesN(this.curve.pointBytes), `${this.what} ${name}`, this.culprits);
  }

  scalar(name: string): bigint {
    return decodeScalar(this.curve, this.bytesN(this.curve.scalarBytes), `${this.what} ${name}`, this.culprits);
  }

  end(): void {
    if (this.off !== this.bytes.length) this.fail(`oversized (${this.bytes.length - this.off} trailing bytes)`);
  }
}

export const toHex = bytesToHex;

const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = 10 + c;

/**
 * Hex from our own snapshots and key shares; anything but lowercase, even-length hex is rejected.
 * A table-driven decoder: a key share holds ~130 KB of hex per counterpart and is decoded for
 * every signature.
 */
export function fromHex(h: string, what = 'hex'): Uint8Array {
  if (typeof h !== 'string' || h.length % 2 !== 0) throw new ProtocolError('malformed', `${what}: not lowercase hex`);
  const out = new Uint8Array(h.length >>> 1);
  let bad = 0;
  for (let i = 0; i < out.length; i++) {
    const a = h.charCodeAt(2 * i), b = h.charCodeAt(2 * i + 1);
    const hi = a < 128 ? NIBBLE[a]! : -1, lo = b < 128 ? NIBBLE[b]! : -1;
    bad |= hi | lo; // −1 sets the sign bit
    out[i] = (hi << 4) | lo;
  }
  if (bad < 0) throw new ProtocolError('malformed', `${what}: not lowercase hex`);
  return out;
}

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
