// Polynomials, Feldman commitments and Lagrange coefficients over the scalar field (Feldman VSS as
// used by the DKLs23 DKG, research notes §1.5, after Lindell eprint 2022/374 §6.1). Lengths are
// checked before any zip or sum (ToB TOB-SILA-1/2: a commitment vector longer than t raises the
// threshold, a short one skips checks; TOB-SILA-3: an empty one crashed verification).
import { ProtocolError } from '../core/errors.ts';
import type { Rng } from '../core/session.ts';
import type { DklsCurve, Point } from './curve.ts';
import { randomScalar } from './random.ts';

/** f(x) = Σ_k a_k x^k of degree t−1 with f(0) = constant (random when not given). */
export function randomPolynomial(curve: DklsCurve, t: number, rng: Rng, constant?: bigint): bigint[] {
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`polynomial size ${t}`);
  const coefficients: bigint[] = [];
  for (let k = 0; k < t; k++) coefficients.push(k === 0 && constant !== undefined ? curve.Fn.create(constant) : randomScalar(curve, rng));
  return coefficients;
}

/** Horner evaluation of f at x. */
export function evalPolynomial(curve: DklsCurve, coefficients: readonly bigint[], x: bigint): bigint {
  const { Fn } = curve;
  let acc = Fn.ZERO;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, x), coefficients[k]!);
  return acc;
}

/** F = (a_0·G, …, a_{t−1}·G). The coefficients are secret: constant-time multiplication. */
export function commitPolynomial(curve: DklsCurve, coefficients: readonly bigint[]): Point[] {
  return coefficients.map((a) => curve.Point.BASE.multiply(a));
}

/** Σ_k x^k·F_k = f(x)·G (public values: variable-time Horner). */
export function evalCommitment(curve: DklsCurve, commitment: readonly Point[], x: bigint): Point {
  if (commitment.length === 0) throw new ProtocolError('invalid-commitment', 'empty polynomial commitment');
  let acc = curve.Point.ZERO;
  for (let k = commitment.length - 1; k >= 0; k--) acc = acc.multiplyUnsafe(x).add(commitment[k]!);
  return acc;
}

/** Throws 'invalid-commitment' naming `from` unless the vector has exactly t entries. */
export function checkCommitmentLength(commitment: readonly unknown[], t: number, from: number): void {
  if (commitment.length !== t)
    throw new ProtocolError('invalid-commitment', `party ${from} committed to ${commitment.length} coefficients, expected ${t}`, [from]);
}

/** Feldman check: share·G == F(x). */
export function verifyFeldmanShare(curve: DklsCurve, commitment: readonly Point[], x: bigint, share: bigint): boolean {
  const lhs = share === 0n ? curve.Point.ZERO : curve.Point.BASE.multiply(share);
  return lhs.equals(evalCommitment(curve, commitment, x));
}

/** Coefficient-wise sum of equal-length commitment vectors (the joint polynomial's commitment). */
export function sumCommitments(curve: DklsCurve, commitments: readonly (readonly Point[])[]): Point[] {
  if (commitments.length === 0) throw new RangeError('no commitments to sum');
  const t = commitments[0]!.length;
  if (commitments.some((c) => c.length !== t)) throw new ProtocolError('invalid-commitment', 'commitment vectors of different lengths');
  return Array.from({ length: t }, (_, k) => commitments.reduce((acc, c) => acc.add(c[k]!), curve.Point.ZERO));
}

/** λ_i = Π_{j∈S, j≠i} x_j / (x_j − x_i): the Lagrange coefficient at 0 of i over the set S. */
export function lagrangeAtZero(curve: DklsCurve, set: readonly number[], i: number): bigint {
  const { Fn } = curve;
  if (!set.includes(i) || new Set(set).size !== set.length) throw new RangeError('Lagrange set must hold i once and be distinct');
  let num = Fn.ONE,
    den = Fn.ONE;
  const xi = BigInt(i);
  for (const j of set) {
    if (j === i) continue;
    const xj = BigInt(j);
    num = Fn.mul(num, xj);
    den = Fn.mul(den, Fn.sub(xj, xi));
  }
  return Fn.div(num, den);
}
