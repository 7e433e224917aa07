// k·P_1, …, k·P_N for one secret scalar k and many points: the base-OT sender's 2 × 256
// Diffie–Hellman multiplications by its batch secret (base-ot.ts), which dominate the DKG.
//
// noble's constant-time `multiply` builds a window table per point and works in projective
// coordinates (≈2.2 ms per point here). Because every point is multiplied by the same k, all N
// multiplications follow one schedule, so they can run in lockstep in affine coordinates with one
// field inversion per step shared by all points (Montgomery's simultaneous inversion): ≈4× faster.
//
// Schedule (independent of the points, fixed length whatever k is): k' = k if k is odd, else
// q − k (odd; the results are negated at the end). k' is recoded into 65 odd signed base-16 digits
// (Joye–Tunstall regular recoding: d_i ∈ {±1, ±3, …, ±15}, never zero, top digit 1), so every
// step is 4 doublings and one addition of ±(odd multiple of P) from a table P, 3P, …, 15P.
//
// Exceptional cases of the affine formulas (adding a point to itself or its negation, doubling a
// point of order 2) depend only on k, not on the points (the group has prime order, no point is
// the identity): for a uniformly random k they never occur; should one occur (a zero
// denominator), the whole batch falls back to noble's multiplication.
import type { DklsCurve, Point } from './curve.ts';

const DIGITS = 65;

/** Regular recoding of an odd k' < 2^256: k' = Σ_i d_i·16^i, d_i odd in [−15, 15], 65 digits. */
export function recodeOdd(k: bigint): number[] {
  if ((k & 1n) === 0n || k <= 0n || k >= 1n << 256n) throw new RangeError('recodeOdd needs an odd k in [1, 2^256)');
  const d: number[] = [];
  for (let i = 0; i < DIGITS - 1; i++) {
    const di = Number(k & 31n) - 16;
    d.push(di);
    k = (k - BigInt(di)) >> 4n;
  }
  d.push(Number(k));
  return d;
}

class Degenerate extends Error {}

export function multiplyMany(curve: DklsCurve, k: bigint, points: readonly Point[]): Point[] {
  const { Point: P, Fn } = curve;
  const q = Fn.ORDER;
  k = Fn.create(k);
  if (k === 0n) throw new RangeError('multiplyMany: zero scalar');
  if (points.length < 4) return points.map((pt) => pt.multiply(k));
  try {
    return lockstep(curve, k, q, points);
  } catch (e) {
    if (!(e instanceof Degenerate)) throw e;
    return points.map((pt) => pt.multiply(k));
  }
}

function lockstep(curve: DklsCurve, k: bigint, q: bigint, points: readonly Point[]): Point[] {
  const Fp = curve.Point.Fp;
  const p = Fp.ORDER;
  const a = curve.Point.CURVE().a;
  const N = points.length;
  const negate = (k & 1n) === 0n;
  const digits = recodeOdd(negate ? q - k : k);

  const prefix: bigint[] = new Array<bigint>(N);
  const inv: bigint[] = new Array<bigint>(N);
  /** inv[j] = 1/den[j] for all j, one field inversion for the batch. */
  const invertAll = (den: bigint[]) => {
    let acc = 1n;
    for (let j = 0; j < N; j++) {
      const d = den[j]!;
      if (d === 0n) throw new Degenerate();
      acc = (acc * d) % p;
      prefix[j] = acc;
    }
    let t = Fp.inv(acc);
    for (let j = N - 1; j > 0; j--) {
      inv[j] = (t * prefix[j - 1]!) % p;
      t = (t * den[j]!) % p;
    }
    inv[0] = t;
  };
  const den: bigint[] = new Array<bigint>(N);

  /** (X, Y) ← 2·(X, Y) in place. */
  const double = (X: bigint[], Y: bigint[]) => {
    for (let j = 0; j < N; j++) den[j] = (2n * Y[j]!) % p;
    invertAll(den);
    for (let j = 0; j < N; j++) {
      const x = X[j]!;
      const l = (((3n * x * x + a) % p) * inv[j]!) % p;
      const x3 = (l * l + 2n * p - 2n * x) % p;
      Y[j] = (l * (x - x3 + p) + p - Y[j]!) % p;
      X[j] = x3;
    }
  };
  /** (X, Y) ← (X, Y) + (U, ±V) in place. */
  const add = (X: bigint[], Y: bigint[], U: bigint[], V: bigint[], neg: boolean) => {
    for (let j = 0; j < N; j++) den[j] = (U[j]! - X[j]! + p) % p;
    invertAll(den);
    for (let j = 0; j < N; j++) {
      const x = X[j]!, u = U[j]!;
      const v = neg ? (p - V[j]!) % p : V[j]!;
      const l = ((v - Y[j]! + p) * inv[j]!) % p;
      const x3 = (l * l + 2n * p - x - u) % p;
      Y[j] = (l * (x - x3 + p) + p - Y[j]!) % p;
      X[j] = x3;
    }
  };

  // Table of odd multiples: TX[m], TY[m] hold (2m+1)·P_j.
  const X0: bigint[] = [], Y0: bigint[] = [];
  for (const pt of points) {
    const { x, y } = pt.toAffine();
    X0.push(x); Y0.push(y);
  }
  const TX: bigint[][] = [X0], TY: bigint[][] = [Y0];
  const DX = X0.slice(), DY = Y0.slice();
  double(DX, DY);
  for (let m = 1; m < 8; m++) {
    const X = TX[m - 1]!.slice(), Y = TY[m - 1]!.slice();
    add(X, Y, DX, DY, false);
    TX.push(X); TY.push(Y);
  }

  // The top digit is 1: start from P itself.
  const top = digits[DIGITS - 1]!;
  if (top !== 1) throw new Error('recoding invariant broken');
  const X = X0.slice(), Y = Y0.slice();
  for (let i = DIGITS - 2; i >= 0; i--) {
    for (let r = 0; r < 4; r++) double(X, Y);
    const d = digits[i]!;
    const m = (Math.abs(d) - 1) >>> 1;
    add(X, Y, TX[m]!, TY[m]!, d < 0);
  }
  return X.map((x, j) => curve.Point.fromAffine({ x, y: negate ? (p - Y[j]!) % p : Y[j]! }));
}
