// Schnorr proof of knowledge of a discrete logarithm, made non-interactive with Fiat–Shamir
// (research notes §1.4 "DLog proof"; Lindell eprint 2022/374 §6.1 uses it in the DKG). The
// challenge binds the label (one per use), the session id, the prover's index and the position
// of the proved value, so a proof cannot be replayed into another session, for another party, or
// for another coefficient.
//
//   proof = A ‖ z  (33 + 32 bytes),  A = k·G,  e = H(label, sid, party, index, X, A) mod q,
//   z = k + e·x;   accept iff z·G = A + e·X.
import type { Rng } from '../core/session.ts';
import type { DklsCurve, Point } from './curve.ts';
import { decodePoint, decodeScalar, encodePoint } from './codec.ts';
import { hashToScalar, partyByte, u16 } from './hash.ts';
import { randomScalar } from './random.ts';

export const DLOG_PROOF_BYTES = 65;

export type DlogContext = { label: string; sid: Uint8Array; party: number; index: number };

function challenge(curve: DklsCurve, ctx: DlogContext, X: Point, A: Point): bigint {
  return hashToScalar(curve, ctx.label, ctx.sid, partyByte(ctx.party), u16(ctx.index), encodePoint(X), encodePoint(A));
}

export function proveDlog(curve: DklsCurve, ctx: DlogContext, x: bigint, rng: Rng): Uint8Array {
  const { Fn, Point } = curve;
  const X = Point.BASE.multiply(x);
  const k = randomScalar(curve, rng);
  const A = Point.BASE.multiply(k);
  const z = Fn.add(k, Fn.mul(challenge(curve, ctx, X, A), x));
  const out = new Uint8Array(DLOG_PROOF_BYTES);
  out.set(encodePoint(A), 0);
  out.set(Fn.toBytes(z), 33);
  return out;
}

/** False on any malformed or invalid proof (the caller names the culprit). */
export function verifyDlog(curve: DklsCurve, ctx: DlogContext, X: Point, proof: Uint8Array): boolean {
  if (proof.length !== DLOG_PROOF_BYTES || X.is0()) return false;
  let A: Point, z: bigint;
  try {
    A = decodePoint(curve, proof.subarray(0, 33), 'proof commitment');
    z = decodeScalar(curve, proof.subarray(33), 'proof response');
  } catch {
    return false;
  }
  const e = challenge(curve, ctx, X, A);
  // Public values only: variable-time double multiplication z·G + (−e)·X.
  return curve.Point.BASE.mulAddUnsafe(z, X, curve.Fn.neg(e)).equals(A);
}
