// Strict decoding of FROST wire payloads. Every payload has one exact length; every element must
// be a canonical encoding of a prime-order-subgroup point other than the identity, and every
// scalar a canonical encoding below L (RFC 9591 §3.1 DeserializeElement / DeserializeScalar, and
// what ZF frost-ed25519 / frost-ed448 check). Any violation is 'malformed' and names the sender,
// because envelopes are authenticated: the sender really sent these bytes.
import { ProtocolError } from '../core/errors.ts';
import { ByteReader } from '../core/reader.ts';
import { bytesToHex, equalBytes } from '../core/bytes.ts';
import type { FrostSuite, Point } from './suite.ts';

/**
 * The Point objects decodePoint returned, i.e. that passed every check below. Only decodePoint
 * adds to it, so membership proves a Point was validated; it holds objects, not encodings, so
 * two parties simulated in one process still validate what each of them receives.
 */
const VALIDATED = new WeakSet<Point>();
/** How many subgroup checks decodePoint has run in this process (tests count them). */
let subgroupChecks = 0;
export function subgroupCheckCount(): number {
  return subgroupChecks;
}

/** Whether `p` came out of decodePoint with the encoding `bytes` (so it need not be validated again). */
export function isValidatedEncoding(p: Point | undefined, bytes: Uint8Array): boolean {
  return p !== undefined && VALIDATED.has(p) && equalBytes(p.toBytes(), bytes);
}

/**
 * Pre-made nonce commitments (sign.ts) validated before a request names them, by encoding: a
 * memo of decodePoint's verdict, filled only by prevalidatePoint, each entry used once (a
 * commitment belongs to one signature) and bounded (the oldest go first). Public values only.
 * It lets the subgroup checks of a signature's peer commitments run while no request waits.
 */
const PREVALIDATED = new Map<string, Point>();
const PREVALIDATED_MAX = 16_384;

/** Validates an element now (decodePoint, throwing the same way) and remembers it for the next decodePoint of the same bytes. */
export function prevalidatePoint(suite: FrostSuite, bytes: Uint8Array, what: string): void {
  rememberPrevalidated(suite, bytes, decodePoint(suite, bytes, what));
}

function rememberPrevalidated(suite: FrostSuite, bytes: Uint8Array, p: Point): void {
  const key = `${suite.name}:${bytesToHex(bytes)}`;
  PREVALIDATED.delete(key);
  if (PREVALIDATED.size >= PREVALIDATED_MAX) PREVALIDATED.delete(PREVALIDATED.keys().next().value!);
  PREVALIDATED.set(key, p);
}

export function decodePoint(suite: FrostSuite, bytes: Uint8Array, what: string, culprits: number[] = []): Point {
  if (PREVALIDATED.size) {
    const key = `${suite.name}:${bytesToHex(bytes)}`;
    const p = PREVALIDATED.get(key);
    if (p) {
      PREVALIDATED.delete(key);
      return p;
    }
  }
  const bad = (why: string): never => {
    throw new ProtocolError('malformed', `${what}: ${why}`, culprits);
  };
  if (bytes.length !== suite.elementBytes) bad(`expected ${suite.elementBytes} bytes, got ${bytes.length}`);
  let p: Point;
  try {
    p = suite.Point.fromBytes(bytes); // zip215 = false: y must be < p (RFC 8032 strict)
    p.assertValidity();
  } catch {
    return bad('not a point');
  }
  // Re-encoding rejects the remaining non-canonical forms (e.g. x = 0 with the sign bit set).
  if (!equalBytes(p.toBytes(), bytes)) bad('non-canonical encoding');
  if (p.is0()) bad('identity element');
  // Small-order and mixed-order points would let a sender leak or bias other parties' values
  // (RFC 9591 §3.1: DeserializeElement rejects elements outside the prime-order subgroup). This
  // check is a full scalar multiplication by L, the most expensive step: callers decode each
  // element once and keep the Point (sessions in their decoded cache, keys in share.ts).
  subgroupChecks++;
  if (!p.isTorsionFree()) bad('not in the prime-order subgroup');
  VALIDATED.add(p);
  return p;
}

export function decodeScalar(suite: FrostSuite, bytes: Uint8Array, what: string, culprits: number[] = []): bigint {
  const bad = (why: string): never => {
    throw new ProtocolError('malformed', `${what}: ${why}`, culprits);
  };
  if (bytes.length !== suite.scalarBytes) bad(`expected ${suite.scalarBytes} bytes, got ${bytes.length}`);
  let s: bigint;
  try {
    s = suite.Fn.fromBytes(bytes);
  } catch {
    return bad('scalar not below the group order');
  }
  if (!equalBytes(suite.Fn.toBytes(s), bytes)) bad('non-canonical scalar');
  return s;
}

/** A cursor over one payload (protocols/core/reader.ts) that also reads this protocol's points and scalars. */
export class Reader extends ByteReader {
  constructor(
    private readonly suite: FrostSuite,
    bytes: Uint8Array,
    what: string,
    culprits: number[],
  ) {
    super(bytes, what, culprits);
  }

  point(name: string): Point {
    return decodePoint(this.suite, this.bytesN(this.suite.elementBytes), `${this.what} ${name}`, this.culprits);
  }

  scalar(name: string): bigint {
    return decodeScalar(this.suite, this.bytesN(this.suite.scalarBytes), `${this.what} ${name}`, this.culprits);
  }
}

export const toHex = bytesToHex;

/** Hex from our own snapshots; anything but lowercase, even-length hex is rejected. */
/** Strict lowercase hex (protocols/core/bytes.ts). */
export { fromHex } from '../core/bytes.ts';

export function scalarHex(suite: FrostSuite, s: bigint): string {
  return bytesToHex(suite.Fn.toBytes(s));
}
