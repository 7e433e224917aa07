// Lockstep scalar multiplications for the base OTs of the DKG (base-ot.ts), its only heavy step:
//   multiplyMany      k·P_1, …, k·P_N for one secret k (the sender's Diffie–Hellman products)
//   multiplyBaseMany  k_1·B, …, k_N·B for one point B (the receiver's a_i·G, s_i·G and a_i·B)
//
// noble's constant-time `multiply` works in projective coordinates and, for a point without a
// cached table, builds a window table on every call (≈2.2 ms per product here). When N products
// follow one schedule, they can run in lockstep in affine coordinates with a single field
// inversion per step shared by all N points (Montgomery's simultaneous inversion).
//
// Scalars are recoded into odd signed base-16 digits (Joye–Tunstall regular recoding: every digit
// in {±1, ±3, …, ±15}, never zero, top digit 1), so the sequence of point operations is the same
// whatever the secret scalar is: a fixed number of doublings and one table addition per digit.
// secp256k1 additionally splits k with its GLV endomorphism (k = k1 + k2·λ, two 128-bit halves
// sharing one chain of doublings).
//
// Exceptional cases of the affine formulas (adding a point to ±itself) can only arise from the
// scalars, never from the points (prime-order group, no identity among them); for uniformly random
// secret scalars they do not occur, and if one ever does (a zero denominator) the whole batch is
// recomputed with noble's multiply.
//
// Side channels: table entries are selected by the secret digits as array indices (noble instead
// scans its tables). JavaScript BigInt arithmetic gives no timing guarantees either way; the DKG
// runs in the party's own process (a worker thread), so the exposure is to co-resident attackers.
import { _splitEndoScalar } from '@noble/curves/abstract/weierstrass.js';
import type { DklsCurve, Point } from './curve.ts';
import { nativeEc } from './native-ec.ts';
import { recodeOdd } from './recode.ts';

export { recodeOdd };

class Degenerate extends Error {}

/** Affine lockstep arithmetic over one field for N points at once. */
class Lockstep {
  private readonly prefix: bigint[];
  private readonly inv: bigint[];
  private readonly den: bigint[];

  constructor(
    private readonly curve: DklsCurve,
    readonly N: number,
  ) {
    this.prefix = new Array<bigint>(N);
    this.inv = new Array<bigint>(N);
    this.den = new Array<bigint>(N);
  }

  private get p(): bigint {
    return this.curve.Point.Fp.ORDER;
  }

  /** inv[j] = 1/den[j] for every j, with one field inversion. */
  private invertAll(): void {
    const { p, den, prefix, inv, N } = this;
    let acc = 1n;
    for (let j = 0; j < N; j++) {
      const d = den[j]! % p;
      if (d === 0n) throw new Degenerate();
      acc = (acc * d) % p;
      prefix[j] = acc;
    }
    let t = this.curve.Point.Fp.inv(acc);
    for (let j = N - 1; j > 0; j--) {
      inv[j] = (t * prefix[j - 1]!) % p;
      t = (t * den[j]!) % p;
    }
    inv[0] = t;
  }

  /** (X, Y) ← 2·(X, Y). */
  double(X: bigint[], Y: bigint[]): void {
    const { p, den, inv, N } = this;
    const a = this.curve.Point.CURVE().a;
    for (let j = 0; j < N; j++) den[j] = 2n * Y[j]!;
    this.invertAll();
    for (let j = 0; j < N; j++) {
      const x = X[j]!;
      const l = (((3n * x * x + a) % p) * inv[j]!) % p;
      const x3 = (l * l + 2n * p - 2n * x) % p;
      Y[j] = (l * (x - x3 + p) + p - Y[j]!) % p;
      X[j] = x3;
    }
  }

  /** (X, Y) ← (X, Y) + (U, V), with V[j] negated where neg(j). */
  add(X: bigint[], Y: bigint[], U: readonly bigint[], V: readonly bigint[], neg: (j: number) => boolean): void {
    const { p, den, inv, N } = this;
    for (let j = 0; j < N; j++) den[j] = U[j]! - X[j]! + p;
    this.invertAll();
    for (let j = 0; j < N; j++) {
      const x = X[j]!,
        u = U[j]!;
      const v = neg(j) ? p - V[j]! : V[j]!;
      const l = ((v - Y[j]! + p) * inv[j]!) % p;
      const x3 = (l * l + 2n * p - x - u) % p;
      Y[j] = (l * (x - x3 + p) + p - Y[j]!) % p;
      X[j] = x3;
    }
  }

  /** Odd multiples (2m+1)·(X, Y), m = 0..7, as [X-arrays, Y-arrays]. */
  oddMultiples(X0: bigint[], Y0: bigint[]): [bigint[][], bigint[][]] {
    const TX = [X0],
      TY = [Y0];
    const DX = X0.slice(),
      DY = Y0.slice();
    this.double(DX, DY);
    for (let m = 1; m < 8; m++) {
      const X = TX[m - 1]!.slice(),
        Y = TY[m - 1]!.slice();
      this.add(X, Y, DX, DY, () => false);
      TX.push(X);
      TY.push(Y);
    }
    return [TX, TY];
  }
}

/** Affine coordinates of many projective points with one field inversion. */
function affine(curve: DklsCurve, points: readonly Point[]): [bigint[], bigint[]] {
  const X: bigint[] = [],
    Y: bigint[] = [];
  const invZ = curve.Point.Fp.invertBatch(points.map((pt) => pt.Z));
  points.forEach((pt, j) => {
    const { x, y } = pt.toAffine(invZ[j]);
    X.push(x);
    Y.push(y);
  });
  return [X, Y];
}

/** The same points with Z = 1 (one inversion for all), e.g. before encoding each of them. */
export function normalizeMany(curve: DklsCurve, points: readonly Point[]): Point[] {
  const invZ = curve.Point.Fp.invertBatch(points.map((pt) => pt.Z));
  return points.map((pt, j) => curve.Point.fromAffine(pt.toAffine(invZ[j])));
}

function toPoints(curve: DklsCurve, X: bigint[], Y: bigint[], negate: (j: number) => boolean): Point[] {
  const p = curve.Point.Fp.ORDER;
  return X.map((x, j) => curve.Point.fromAffine({ x, y: negate(j) ? (p - Y[j]!) % p : Y[j]! }));
}

// secp256k1's GLV endomorphism ψ(x, y) = (β·x, y) = λ·(x, y) (SEC 2 §2.4.1; libsecp256k1), the
// constants noble uses internally (secp256k1.js secp256k1_ENDO). The tests check ψ(P) = λ·P.
export const SECP256K1_ENDO = {
  beta: 0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501een,
  lambda: 0x5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72n,
  basises: [
    [0x3086d221a7d46bcde86c90e49284eb15n, -0xe4437ed6010e88286f547fa90abfe4c3n],
    [0x114ca50f7a8e2f3f657c1108d9d44cfd8n, 0x3086d221a7d46bcde86c90e49284eb15n],
  ] as [[bigint, bigint], [bigint, bigint]],
};

/** k·P_j for every j, one secret scalar k ≠ 0. */
export function multiplyMany(curve: DklsCurve, k: bigint, points: readonly Point[]): Point[] {
  k = curve.Fn.create(k);
  if (k === 0n) throw new RangeError('multiplyMany: zero scalar');
  if (points.length < 4) return points.map((pt) => pt.multiply(k));
  try {
    return curve.name === 'secp256k1' ? lockstepGlv(curve, k, points) : lockstep(curve, k, points);
  } catch (e) {
    if (!(e instanceof Degenerate)) throw e;
    return points.map((pt) => pt.multiply(k));
  }
}

function lockstep(curve: DklsCurve, k: bigint, points: readonly Point[]): Point[] {
  const q = curve.Fn.ORDER;
  const N = points.length;
  const L = new Lockstep(curve, N);
  // k' odd: k itself, or q − k with the results negated at the end.
  const negate = (k & 1n) === 0n;
  const digits = recodeOdd(negate ? q - k : k);
  const [X0, Y0] = affine(curve, points);
  const [TX, TY] = L.oddMultiples(X0, Y0);
  const X = X0.slice(),
    Y = Y0.slice(); // top digit 1
  for (let i = digits.length - 2; i >= 0; i--) {
    for (let r = 0; r < 4; r++) L.double(X, Y);
    const d = digits[i]!;
    const m = (Math.abs(d) - 1) >>> 1;
    L.add(X, Y, TX[m]!, TY[m]!, () => d < 0);
  }
  return toPoints(curve, X, Y, () => negate);
}

/**
 * secp256k1: k ≡ ±k1 ± k2·λ with k1, k2 < 2^128, so k·P = k1·P1 + k2·P2 with P1 = ±P and
 * P2 = ±ψ(P). Each half is made odd (k + 1 if even, corrected by one subtraction at the end) and
 * recoded into 34 digits; the two share the doublings.
 */
function lockstepGlv(curve: DklsCurve, k: bigint, points: readonly Point[]): Point[] {
  const p = curve.Point.Fp.ORDER;
  const N = points.length;
  const L = new Lockstep(curve, N);
  const { k1neg, k1, k2neg, k2 } = _splitEndoScalar(k, SECP256K1_ENDO.basises, curve.Fn.ORDER);
  const odd1 = k1 | 1n,
    odd2 = k2 | 1n;
  const d1 = recodeOdd(odd1, 34),
    d2 = recodeOdd(odd2, 34);
  const [PX, PY] = affine(curve, points);
  const X1 = PX,
    Y1 = k1neg ? PY.map((y) => (p - y) % p) : PY;
  const X2 = PX.map((x) => (x * SECP256K1_ENDO.beta) % p),
    Y2 = k2neg ? PY.map((y) => (p - y) % p) : PY;
  const [T1X, T1Y] = L.oddMultiples(X1, Y1);
  // ψ commutes with multiplication: the odd multiples of P2 are ψ of those of ±P.
  const T2X = T1X.map((row) => row.map((x) => (x * SECP256K1_ENDO.beta) % p));
  const T2Y = T1Y.map((row) => (k1neg === k2neg ? row : row.map((y) => (p - y) % p)));
  const X = X1.slice(),
    Y = Y1.slice();
  L.add(X, Y, X2, Y2, () => false); // top digits: 1·P1 + 1·P2
  for (let i = d1.length - 2; i >= 0; i--) {
    for (let r = 0; r < 4; r++) L.double(X, Y);
    const a = d1[i]!,
      b = d2[i]!;
    L.add(X, Y, T1X[(Math.abs(a) - 1) >>> 1]!, T1Y[(Math.abs(a) - 1) >>> 1]!, () => a < 0);
    L.add(X, Y, T2X[(Math.abs(b) - 1) >>> 1]!, T2Y[(Math.abs(b) - 1) >>> 1]!, () => b < 0);
  }
  if (odd1 !== k1) L.add(X, Y, X1, Y1, () => true);
  if (odd2 !== k2) L.add(X, Y, X2, Y2, () => true);
  return toPoints(curve, X, Y, () => false);
}

/** Tables of odd multiples of 16^w·B, w = 0..64, for fixed-base products (memo for G). */
export type BaseTable = { X: bigint[][]; Y: bigint[][] }; // X[w][m] = x((2m+1)·16^w·B)
const baseTables = new Map<string, BaseTable>();

function baseTable(curve: DklsCurve, B: Point): BaseTable {
  const isG = B.equals(curve.Point.BASE);
  const known = isG ? baseTables.get(curve.name) : undefined;
  if (known) return known;
  // Projective with noble, then one batch normalisation (toAffine with the inverted Z).
  const pts: Point[] = [];
  let Q = B;
  for (let w = 0; w < 65; w++) {
    const Q2 = Q.double();
    let acc = Q;
    for (let m = 0; m < 8; m++) {
      pts.push(acc);
      acc = acc.add(Q2);
    }
    for (let r = 0; r < 4; r++) Q = Q.double();
  }
  const Fp = curve.Point.Fp;
  const invZ = Fp.invertBatch(pts.map((pt) => pt.Z));
  const table: BaseTable = { X: [], Y: [] };
  for (let w = 0; w < 65; w++) {
    const X: bigint[] = [],
      Y: bigint[] = [];
    for (let m = 0; m < 8; m++) {
      const a = pts[8 * w + m]!.toAffine(invZ[8 * w + m]);
      X.push(a.x);
      Y.push(a.y);
    }
    table.X.push(X);
    table.Y.push(Y);
  }
  if (isG) baseTables.set(curve.name, table);
  return table;
}

/** k_j·B for every j (secret scalars k_j ≠ 0, one point B ≠ identity). */
export function multiplyBaseMany(curve: DklsCurve, B: Point, scalars: readonly bigint[]): Point[] {
  const { Fn } = curve;
  const ks = scalars.map((k) => Fn.create(k));
  if (ks.some((k) => k === 0n)) throw new RangeError('multiplyBaseMany: zero scalar');
  // k_j·G by a host's native arithmetic for this curve (native-ec.ts), decoded by noble.
  const native = nativeEc(curve.name)?.mulBase;
  if (native && B.equals(curve.Point.BASE)) return ks.map((k) => curve.Point.fromBytes(native(Fn.toBytes(k))));
  if (ks.length < 4) return ks.map((k) => B.multiply(k));
  try {
    const q = Fn.ORDER;
    const N = ks.length;
    const T = baseTable(curve, B);
    const negate = ks.map((k) => (k & 1n) === 0n);
    const digits = ks.map((k, j) => recodeOdd(negate[j] ? q - k : k));
    const L = new Lockstep(curve, N);
    const X = new Array<bigint>(N).fill(T.X[64]![0]!),
      Y = new Array<bigint>(N).fill(T.Y[64]![0]!); // top digit 1
    const U = new Array<bigint>(N),
      V = new Array<bigint>(N);
    const neg = new Uint8Array(N);
    for (let w = 63; w >= 0; w--) {
      for (let j = 0; j < N; j++) {
        const d = digits[j]![w]!;
        const m = (Math.abs(d) - 1) >>> 1;
        U[j] = T.X[w]![m]!;
        V[j] = T.Y[w]![m]!;
        neg[j] = d < 0 ? 1 : 0;
      }
      L.add(X, Y, U, V, (j) => neg[j] === 1);
    }
    return toPoints(curve, X, Y, (j) => negate[j]!);
  } catch (e) {
    if (!(e instanceof Degenerate)) throw e;
    return ks.map((k) => B.multiply(k));
  }
}
