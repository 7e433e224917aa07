// Single scalar multiplications with a secret scalar, for signing (sign.ts) and for checking a
// stored share (keyshare.ts):
//   mulBase(curve, k)       k·G   (the nonce R_i, pk_i, Γ^u, Γ^v and the d·G of the Γ checks)
//   mulPoint(curve, k, P)   k·P   (χ·R_j and χ·pk_j of the Γ checks)
//
// noble's constant-time `multiply` builds a fresh window table for every point other than G
// (≈2.3 ms on secp256k1, ≈2.8 ms on P-256 here) and adds 33 table points plus 33 dummy ones for G
// (≈0.4 ms). Here the arithmetic is Jacobian with the curve's own doubling (a = 0 for secp256k1,
// a = −3 for P-256) and mixed additions of affine table points, on plain bigints with one
// reduction per product:
//   k·G   k recoded into 33 odd signed base-256 digits (Joye–Tunstall regular recoding, as
//         batch-mul.ts recodeOdd with 8-bit windows) and one mixed addition per digit from an
//         affine table of (2m+1)·256^w·G (33 × 128 points, built once per curve and process in
//         ≈ 30 ms): 32 additions, no doublings;
//   k·P   a table of the odd multiples P, 3P, …, 15P (normalised with one inversion), then four
//         doublings and one addition per digit; on secp256k1 k = ±k1 ± k2·λ (GLV) with the two
//         128-bit halves sharing the doublings, each half made odd by adding 1 or 2 and
//         corrected by one final addition of −P or −2P (so that the parity does not change the
//         sequence of operations).
// Every digit is non-zero, so the sequence of field operations does not depend on the scalar
// (only which table entry is read, as in batch-mul.ts; JavaScript bigints give no timing
// guarantee either way). Mixed addition has exceptional cases (adding ±the accumulator itself, or
// the identity); they cannot arise for k·P without GLV (the partial sums stay in [1, q)), and
// otherwise only for scalars a party cannot steer; if one ever does, the product is recomputed
// with noble's multiply, so the result is always exactly noble's k·P.
// tests/protocols/dkls23/scalar-mul.test.ts compares both functions with noble.
import { _splitEndoScalar } from '@noble/curves/abstract/weierstrass.js';
import type { DklsCurve, Point } from './curve.ts';
import { SECP256K1_ENDO, recodeOdd } from './batch-mul.ts';
import { nativeEc } from './native-ec.ts';

class Degenerate extends Error {}

/** A Jacobian point (x = X/Z², y = Y/Z³) under construction. */
type Jac = { X: bigint; Y: bigint; Z: bigint };

type Field = { p: bigint; aIsZero: boolean };

const fields = new Map<string, Field>();
function field(curve: DklsCurve): Field {
  let f = fields.get(curve.name);
  if (!f) {
    const p = curve.Point.Fp.ORDER;
    const a = curve.Point.CURVE().a;
    if (a !== 0n && a !== p - 3n) throw new Error(`scalar-mul: unsupported curve coefficient a on ${curve.name}`);
    fields.set(curve.name, (f = { p, aIsZero: a === 0n }));
  }
  return f;
}

/** P ← 2·P (dbl-2009-l for a = 0, dbl-2001-b for a = −3). */
function double(f: Field, P: Jac): void {
  const { p } = f;
  const { X, Y, Z } = P;
  if (f.aIsZero) {
    const A = (X * X) % p,
      B = (Y * Y) % p,
      C = (B * B) % p;
    const t = (X + B) % p;
    const D = (2n * (t * t - A - C + 2n * p)) % p;
    const E = 3n * A;
    const F = (E * E) % p;
    const X3 = (F + 2n * p - 2n * D) % p;
    P.Y = (E * (D - X3 + p) + 8n * p - 8n * C) % p;
    P.Z = (2n * Y * Z) % p;
    P.X = X3;
  } else {
    const delta = (Z * Z) % p,
      gamma = (Y * Y) % p,
      beta = (X * gamma) % p;
    const alpha = (3n * (X - delta + p) * (X + delta)) % p;
    const X3 = (alpha * alpha + 8n * p - 8n * beta) % p;
    const yz = Y + Z;
    P.Z = (yz * yz + 2n * p - gamma - delta) % p;
    P.Y = (alpha * (4n * beta - X3 + p) + 8n * p - ((8n * gamma * gamma) % p)) % p;
    P.X = X3;
  }
}

/** P ← P + (x2, y2) for an affine point (madd-2007-bl); throws Degenerate on the exceptional cases. */
function addAffine(f: Field, P: Jac, x2: bigint, y2: bigint): void {
  const { p } = f;
  const { X, Y, Z } = P;
  if (Z === 0n) throw new Degenerate();
  const ZZ = (Z * Z) % p;
  const U2 = (x2 * ZZ) % p;
  const S2 = (((y2 * Z) % p) * ZZ) % p;
  const H = (U2 - X + p) % p;
  if (H === 0n) throw new Degenerate();
  const HH = (H * H) % p;
  const I = 4n * HH;
  const J = (H * I) % p;
  const r = (2n * (S2 - Y + p)) % p;
  const V = (X * I) % p;
  const X3 = (r * r + 3n * p - J - 2n * V) % p;
  P.Y = (r * (V - X3 + p) + 2n * p - ((2n * Y * J) % p)) % p;
  const zh = Z + H;
  P.Z = (zh * zh + 2n * p - ZZ - HH) % p;
  P.X = X3;
}

/** The noble point of a Jacobian one: homogeneous (X·Z, Y, Z³), no inversion. */
function toPoint(curve: DklsCurve, f: Field, P: Jac, negate: boolean): Point {
  if (P.Z === 0n) throw new Degenerate();
  const { p } = f;
  const Z3 = (((P.Z * P.Z) % p) * P.Z) % p;
  return new curve.Point((P.X * P.Z) % p, negate ? (p - P.Y) % p : P.Y, Z3);
}

/** 33 odd signed base-256 digits of an odd k < 2^256 (batch-mul.ts recodeOdd with 8-bit windows). */
export function recodeOdd256(k: bigint): number[] {
  return recodeOdd(k, 33, 8);
}

/** Affine odd multiples (2m+1)·256^w·G, m < 128, w ≤ 32: X[w][m], Y[w][m] (built once per curve, ≈ 30 ms). */
type Base256 = { X: bigint[][]; Y: bigint[][] };
const base256 = new Map<string, Base256>();

function base256Table(curve: DklsCurve): Base256 {
  let T = base256.get(curve.name);
  if (T) return T;
  const pts: Point[] = [];
  let B = curve.Point.BASE;
  for (let w = 0; w <= 32; w++) {
    const B2 = B.double();
    let acc = B;
    for (let m = 0; m < 128; m++) {
      pts.push(acc);
      acc = acc.add(B2);
    }
    for (let r = 0; r < 8; r++) B = B.double();
  }
  const invZ = curve.Point.Fp.invertBatch(pts.map((pt) => pt.Z));
  T = { X: [], Y: [] };
  for (let w = 0; w <= 32; w++) {
    const X: bigint[] = [],
      Y: bigint[] = [];
    for (let m = 0; m < 128; m++) {
      const a = pts[128 * w + m]!.toAffine(invZ[128 * w + m]);
      X.push(a.x);
      Y.push(a.y);
    }
    T.X.push(X);
    T.Y.push(Y);
  }
  base256.set(curve.name, T);
  return T;
}

/** k·G for a secret k (reduced mod q; 0 gives the identity): 32 mixed additions from base256Table. */
export function mulBase(curve: DklsCurve, k: bigint): Point {
  const { Fn, Point } = curve;
  k = Fn.create(k);
  if (k === 0n) return Point.ZERO;
  // A host's native k·G for this curve (native-ec.ts), decoded by noble (on-curve check).
  const native = nativeEc(curve.name)?.mulBase;
  if (native) return Point.fromBytes(native(Fn.toBytes(k)));
  try {
    const f = field(curve);
    const T = base256Table(curve);
    // k' odd: k itself, or q − k with the result negated.
    const negate = (k & 1n) === 0n;
    const digits = recodeOdd256(negate ? Fn.ORDER - k : k);
    const acc: Jac = { X: T.X[32]![0]!, Y: T.Y[32]![0]!, Z: 1n }; // top digit 1
    for (let w = 31; w >= 0; w--) {
      const d = digits[w]!;
      const m = (Math.abs(d) - 1) >>> 1;
      const y = T.Y[w]![m]!;
      addAffine(f, acc, T.X[w]![m]!, d < 0 ? f.p - y : y);
    }
    return toPoint(curve, f, acc, negate);
  } catch (e) {
    if (!(e instanceof Degenerate)) throw e;
    return Point.BASE.multiply(k);
  }
}

/** Affine odd multiples (2m+1)·P, m = 0..count−1, as [X, Y]: one inversion. */
function oddMultiples(curve: DklsCurve, P: Point, count: number): [bigint[], bigint[]] {
  const pts: Point[] = [P];
  const P2 = P.double();
  for (let m = 1; m < count; m++) pts.push(pts[m - 1]!.add(P2));
  const invZ = curve.Point.Fp.invertBatch(pts.map((pt) => pt.Z));
  const X: bigint[] = [],
    Y: bigint[] = [];
  pts.forEach((pt, j) => {
    const a = pt.toAffine(invZ[j]);
    X.push(a.x);
    Y.push(a.y);
  });
  return [X, Y];
}

/** k·P for a secret k (reduced mod q; 0 gives the identity) and a point P. */
export function mulPoint(curve: DklsCurve, k: bigint, P: Point): Point {
  const { Fn } = curve;
  k = Fn.create(k);
  if (k === 0n || P.is0()) return curve.Point.ZERO;
  // A native or WebAssembly k·P for this curve (native-ec.ts), decoded by noble (on-curve check).
  const native = nativeEc(curve.name)?.mul;
  if (native) return curve.Point.fromBytes(native(Fn.toBytes(k), P.toBytes(false)));
  try {
    return curve.name === 'secp256k1' ? mulGlv(curve, k, P) : mulPlain(curve, k, P);
  } catch (e) {
    if (!(e instanceof Degenerate)) throw e;
    return P.multiply(k);
  }
}

function mulPlain(curve: DklsCurve, k: bigint, P: Point): Point {
  const f = field(curve);
  const negate = (k & 1n) === 0n;
  const digits = recodeOdd(negate ? curve.Fn.ORDER - k : k);
  const [TX, TY] = oddMultiples(curve, P, 8);
  const acc: Jac = { X: TX[0]!, Y: TY[0]!, Z: 1n }; // top digit 1
  for (let i = digits.length - 2; i >= 0; i--) {
    double(f, acc);
    double(f, acc);
    double(f, acc);
    double(f, acc);
    const d = digits[i]!;
    const m = (Math.abs(d) - 1) >>> 1;
    addAffine(f, acc, TX[m]!, d < 0 ? f.p - TY[m]! : TY[m]!);
  }
  return toPoint(curve, f, acc, negate);
}

/**
 * secp256k1: k ≡ ±k1 ± k2·λ with k1, k2 < 2^128, so k·P = k1·P1 + k2·P2 with P1 = ±P and
 * P2 = ±ψ(P) = ±(β·x, y). Each half h is replaced by the odd h + 1 (h even) or h + 2 (h odd) and
 * corrected at the end by adding −P_i or −2·P_i: the same operations whatever the parities.
 */
function mulGlv(curve: DklsCurve, k: bigint, P: Point): Point {
  const f = field(curve);
  const { p } = f;
  const { beta } = SECP256K1_ENDO;
  const { k1neg, k1, k2neg, k2 } = _splitEndoScalar(k, SECP256K1_ENDO.basises, curve.Fn.ORDER);
  const e1 = 1n + (k1 & 1n),
    e2 = 1n + (k2 & 1n); // 1 if even, 2 if odd
  const d1 = recodeOdd(k1 + e1, 34),
    d2 = recodeOdd(k2 + e2, 34);
  // Odd multiples of P, plus 2P for the correction; those of ψ(P) are (β·x, y).
  const [X0, Y0] = oddMultiples(curve, P, 8);
  const P2a = P.double().toAffine();
  const T1X = X0,
    T1Y = k1neg ? Y0.map((y) => (p - y) % p) : Y0;
  const T2X = X0.map((x) => (x * beta) % p),
    T2Y = k2neg ? Y0.map((y) => (p - y) % p) : Y0;
  const acc: Jac = { X: T1X[0]!, Y: T1Y[0]!, Z: 1n };
  addAffine(f, acc, T2X[0]!, T2Y[0]!); // top digits: 1·P1 + 1·P2
  for (let i = d1.length - 2; i >= 0; i--) {
    double(f, acc);
    double(f, acc);
    double(f, acc);
    double(f, acc);
    const a = d1[i]!,
      b = d2[i]!;
    const ma = (Math.abs(a) - 1) >>> 1,
      mb = (Math.abs(b) - 1) >>> 1;
    addAffine(f, acc, T1X[ma]!, a < 0 ? p - T1Y[ma]! : T1Y[ma]!);
    addAffine(f, acc, T2X[mb]!, b < 0 ? p - T2Y[mb]! : T2Y[mb]!);
  }
  // −e·P_i: e = 1 → −P_i (negated table entry 0), e = 2 → −2·P_i.
  const y2 = P2a.y;
  const c1x = e1 === 1n ? T1X[0]! : P2a.x,
    c1y = e1 === 1n ? T1Y[0]! : k1neg ? (p - y2) % p : y2;
  const c2x = e2 === 1n ? T2X[0]! : (P2a.x * beta) % p,
    c2y = e2 === 1n ? T2Y[0]! : k2neg ? (p - y2) % p : y2;
  addAffine(f, acc, c1x, (p - c1y) % p);
  addAffine(f, acc, c2x, (p - c2y) % p);
  return toPoint(curve, f, acc, false);
}
